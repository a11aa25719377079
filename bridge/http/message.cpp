#include "bridge/http/message.hpp"

#include <algorithm>

namespace http {
namespace {
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

const std::string* find_header(const Headers& headers, std::string_view name) {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return &h.value;
    return nullptr;
}

std::vector<std::string_view> find_all_headers(const Headers& headers, std::string_view name) {
    std::vector<std::string_view> out;
    for (const auto& h : headers)
        if (iequals(h.name, name)) out.emplace_back(h.value);
    return out;
}

void set_header(Headers& headers, std::string_view name, std::string_view value) {
    auto it = std::find_if(headers.begin(), headers.end(), [&](const Header& h) { return iequals(h.name, name); });
    if (it == headers.end()) {
        headers.push_back(Header{std::string(name), std::string(value)});
        return;
    }
    it->value.assign(value);
    headers.erase(std::remove_if(std::next(it), headers.end(), [&](const Header& h) { return iequals(h.name, name); }),
                  headers.end());
}

void remove_header(Headers& headers, std::string_view name) {
    std::erase_if(headers, [&](const Header& h) { return iequals(h.name, name); });
}

}  // namespace http

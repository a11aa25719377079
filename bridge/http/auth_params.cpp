#include "bridge/http/auth_params.hpp"

#include <optional>

#include "bridge/http/message.hpp"

namespace http {
namespace {

bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token68_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/';
}

core::Error syntax(std::string_view what) { return core::make_error("http.bad_auth_header", std::string(what)); }

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    core::Result<std::vector<AuthChallenge>> run() {
        std::vector<AuthChallenge> out;
        for (;;) {
            while (!end() && (ows(peek()) || peek() == ',')) ++i_;
            if (end()) break;
            AuthChallenge c;
            std::string_view scheme = token();
            if (scheme.empty()) return syntax("expected an authentication scheme");
            c.scheme = to_lower(scheme);
            const bool spaced = skip_ows();
            if (end() || peek() == ',') {
                out.push_back(std::move(c));
                continue;
            }
            if (!spaced) return syntax("expected a space after the authentication scheme");

            if (auto p = param()) {
                if (!p->ok()) return p->error();
                c.params.push_back(std::move(p->value()));
            } else {
                std::size_t start = i_;
                while (!end() && is_token68_char(peek())) ++i_;
                if (i_ == start) return syntax("expected auth-params or a token68");
                while (!end() && peek() == '=') ++i_;
                c.token68.assign(s_.substr(start, i_ - start));
                skip_ows();
                if (!end() && peek() != ',') return syntax("unexpected text after token68");
                out.push_back(std::move(c));
                continue;
            }
            for (;;) {
                skip_ows();
                if (end()) break;
                if (peek() != ',') return syntax("expected ',' between auth-params");
                const std::size_t comma = i_;
                while (!end() && (ows(peek()) || peek() == ',')) ++i_;
                if (end()) break;
                auto p = param();
                if (!p) {  // not name=value: the next challenge starts here
                    i_ = comma;
                    break;
                }
                if (!p->ok()) return p->error();
                c.params.push_back(std::move(p->value()));
            }
            out.push_back(std::move(c));
        }
        return out;
    }

private:
    using Param = std::pair<std::string, std::string>;

    bool end() const { return i_ >= s_.size(); }
    char peek() const { return s_[i_]; }
    static bool ows(char c) { return c == ' ' || c == '\t'; }
    bool skip_ows() {
        std::size_t start = i_;
        while (!end() && ows(peek())) ++i_;
        return i_ != start;
    }
    std::string_view token() {
        std::size_t start = i_;
        while (!end() && is_tchar(peek())) ++i_;
        return s_.substr(start, i_ - start);
    }

    // nullopt (position unchanged) when the text is not `token BWS "=" BWS value`;
    // an error result when it is but the value is malformed.
    std::optional<core::Result<Param>> param() {
        const std::size_t start = i_;
        std::string_view name = token();
        skip_ows();
        if (name.empty() || end() || peek() != '=') {
            i_ = start;
            return std::nullopt;
        }
        ++i_;
        skip_ows();
        // "abc==" and "abc=" at the end of an item are token68 padding, not a parameter.
        if (end() || peek() == ',' || peek() == '=') {
            i_ = start;
            return std::nullopt;
        }
        Param p{to_lower(name), {}};
        if (peek() == '"') {
            ++i_;
            for (;;) {
                if (end()) return core::Result<Param>(syntax("unterminated quoted-string"));
                char c = peek();
                ++i_;
                if (c == '"') break;
                if (c == '\\') {
                    if (end()) return core::Result<Param>(syntax("unterminated quoted-string"));
                    c = peek();
                    ++i_;
                }
                if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                    return core::Result<Param>(syntax("control character in quoted-string"));
                p.second += c;
            }
        } else {
            std::string_view v = token();
            if (v.empty()) return core::Result<Param>(syntax("expected a token or quoted-string value"));
            p.second.assign(v);
        }
        return core::Result<Param>(std::move(p));
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace

const std::string* AuthChallenge::param(std::string_view name) const {
    for (const auto& [n, v] : params)
        if (iequals(n, name)) return &v;
    return nullptr;
}

core::Result<std::vector<AuthChallenge>> parse_auth_header(std::string_view value) {
    if (value.size() > 16 * 1024) return syntax("authentication header too long");
    return Parser(value).run();
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        auto comma = s.find(',');
        std::string_view item = s.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) out.push_back(item);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace http

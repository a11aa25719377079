#pragma once
// Plain HTTP message values shared by the sans-I/O engines and bridge/net.
// Header names are compared case-insensitively (RFC 9110 5.1); order and
// repetition are kept because WWW-Authenticate and Set-Cookie may repeat.
#include <string>
#include <string_view>
#include <vector>

namespace http {

// ASCII-only case folding: header names, auth schemes and cookie attributes
// are ASCII tokens, and locale-dependent folding would be a bug here.
bool iequals(std::string_view a, std::string_view b) noexcept;
std::string to_lower(std::string_view s);

struct Header {
    std::string name;
    std::string value;
};

using Headers = std::vector<Header>;

// First header with that name, or nullptr.
const std::string* find_header(const Headers& headers, std::string_view name);
// Every value of a repeated header, in arrival order.
std::vector<std::string_view> find_all_headers(const Headers& headers, std::string_view name);
// Replaces every occurrence of name by one header (appended if absent).
void set_header(Headers& headers, std::string_view name, std::string_view value);
void remove_header(Headers& headers, std::string_view name);

struct Request {
    std::string method = "POST";
    std::string target;  // origin-form (path + query); empty = the URL's target
    Headers headers;
    std::string body;

    const std::string* find(std::string_view name) const { return find_header(headers, name); }
    std::vector<std::string_view> find_all(std::string_view name) const { return find_all_headers(headers, name); }
    void set(std::string_view name, std::string_view value) { set_header(headers, name, value); }
};

struct Response {
    int status = 0;
    Headers headers;
    std::string body;

    const std::string* find(std::string_view name) const { return find_header(headers, name); }
    std::vector<std::string_view> find_all(std::string_view name) const { return find_all_headers(headers, name); }
    void set(std::string_view name, std::string_view value) { set_header(headers, name, value); }
};

}  // namespace http

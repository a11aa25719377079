#pragma once
// An HTTP/1.1 request as the bytes a client writes (RFC 9112 3 and 5):
// request line, Host, User-Agent, the caller's headers in order, then
// Content-Length and the body, in one buffer. bridge/net writes it with one
// asio::async_write: Beast's serializer walked its buffer sequences for
// about 9,000 instructions per message, more than the rest of the write.
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"

namespace http {

// Fills `out` (cleared first). Host comes from the URL (the port only when it
// is not the scheme's default, an IPv6 literal in brackets), the target from
// req.target or else the URL's. Host, User-Agent, Content-Length and
// Transfer-Encoding among req.headers are the writer's own and not copied; a
// Content-Length is written for a body and for POST and PUT without one.
// Refused (http.bad_request), nothing written: a method that is not a token, a
// target with white space or control characters, a header name that is not a
// token or a value with CR, LF or NUL (header injection).
core::Status write_request(const Request& req, const Url& url, std::string_view user_agent, std::string& out);

}  // namespace http

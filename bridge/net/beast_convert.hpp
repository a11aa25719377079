#pragma once
// The one place where Beast messages meet the project's plain http:: values,
// so that nothing above bridge/net depends on Beast.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bridge/http/message.hpp"

namespace net {

namespace bhttp = boost::beast::http;

template <class Fields>
void copy_headers(const Fields& from, std::vector<http::Header>& to) {
    for (auto const& f : from) to.push_back(http::Header{std::string(f.name_string()), std::string(f.value())});
}

inline http::Response from_beast(bhttp::response<bhttp::string_body>&& res) {
    http::Response out;
    out.status = static_cast<int>(res.result_int());
    copy_headers(res, out.headers);
    out.body = std::move(res.body());
    return out;
}

inline http::Request from_beast(bhttp::request<bhttp::string_body>&& req) {
    http::Request out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    copy_headers(req, out.headers);
    out.body = std::move(req.body());
    return out;
}

inline bhttp::response<bhttp::string_body> to_beast(http::Response&& res, bool keep_alive) {
    bhttp::response<bhttp::string_body> out;
    out.result(static_cast<unsigned>(res.status));
    out.version(11);
    for (auto& h : res.headers) out.insert(h.name, h.value);
    out.keep_alive(keep_alive);
    out.body() = std::move(res.body);
    out.prepare_payload();
    return out;
}

}  // namespace net

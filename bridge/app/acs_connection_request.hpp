#pragma once
// Sends one Connection Request (TR-069 3.2.2) to a CPE: the I/O around
// acs::ConnectionRequestClient, a fresh connection, every step under the
// client's timeouts. Awaited on the executor it runs on (the CPE's strand).
#include <boost/asio/awaitable.hpp>

#include "bridge/core/result.hpp"
#include "bridge/http/auth.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"

namespace app {

struct ConnectionRequestOutcome {
    // Ok once the CPE answered 200/204; error "acs.unreachable" otherwise (no
    // connection, a timeout, refused credentials, another status).
    core::Status status = core::Ok{};
    bool busy = false;  // 503: worth asking again (after retry_after when given)
    std::optional<std::chrono::seconds> retry_after;
};
boost::asio::awaitable<ConnectionRequestOutcome> send_connection_request(http::Url url, http::Credentials credentials,
                                                                         net::ClientOptions options);

}  // namespace app

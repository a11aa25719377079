#include "bridge/app/acs_connection_request.hpp"

#include <boost/asio/this_coro.hpp>

#include "bridge/acs/connection_request.hpp"

namespace app {

boost::asio::awaitable<ConnectionRequestOutcome> send_connection_request(http::Url url, http::Credentials credentials,
                                                                         net::ClientOptions options) {
    ConnectionRequestOutcome out;
    auto ex = co_await boost::asio::this_coro::executor;
    net::HttpClient client(ex, std::move(options));
    acs::ConnectionRequestClient cr(url, std::move(credentials));
    auto step = cr.start();
    while (step.kind == acs::ConnectionRequestClient::Step::Kind::send) {
        // Not resent on a stale connection: each Connection Request opens its own.
        auto response = co_await client.send(url, std::move(step.request), false);
        if (!response) {
            client.close();
            out.status = core::make_error("acs.unreachable",
                                          "Connection Request to " + url.authority() + ": " + response.error().message);
            co_return out;
        }
        step = cr.on_response(*response);
    }
    client.close();
    if (step.kind == acs::ConnectionRequestClient::Step::Kind::failed) {
        out.status = core::make_error("acs.unreachable", "Connection Request to " + url.authority() + ": " + step.error);
        out.busy = step.busy;
        out.retry_after = step.retry_after;
    }
    co_return out;
}

}  // namespace app

#include "bridge/cmp/gateway_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/core/clock.hpp"

namespace cmp {
namespace asio = boost::asio;

GatewayClient::GatewayClient(asio::any_io_executor ex, GatewayClientOptions options)
    : ex_(std::move(ex)), options_(std::move(options)) {
    net::ClientOptions co;
    co.connect_timeout = options_.timeout;
    co.io_timeout = options_.timeout;
    co.tls = options_.tls;
    for (unsigned i = 0; i < std::max(1u, options_.concurrency); ++i) {
        pool_.push_back(std::make_unique<net::HttpClient>(ex_, co));
        busy_.push_back(false);
    }
}

asio::awaitable<std::size_t> GatewayClient::acquire() {
    for (;;) {
        for (std::size_t i = 0; i < busy_.size(); ++i)
            if (!busy_[i]) {
                busy_[i] = true;
                co_return i;
            }
        // All connections busy: wait to be woken by release().
        auto t = std::make_shared<asio::steady_timer>(ex_, asio::steady_timer::time_point::max());
        waiters_.push_back(t);
        co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

void GatewayClient::release(std::size_t slot) {
    busy_[slot] = false;
    if (!waiters_.empty()) {
        waiters_.front()->cancel();
        waiters_.pop_front();
    }
}

asio::awaitable<core::Result<Response>> GatewayClient::call(Request req) {
    req.header.rg_id = options_.rg_id;
    req.header.transaction_id = std::to_string(next_transaction_++);
    req.header.time_stamp = core::now_utc();
    const FunctionSpec* spec = Catalogue::builtin().find(req.function);
    const bool idempotent = spec && spec->idempotent;
    const PeerKeys keys{options_.rg_id, options_.secret, options_.legacy_seed};
    const std::string& target = options_.url.target;

    std::size_t slot = co_await acquire();
    auto started = std::chrono::steady_clock::now();
    core::Result<Response> result = core::make_error("cmp.unsent", "not sent");
    std::string request_body, response_body;
    for (int attempt = 0; attempt < (idempotent ? 2 : 1); ++attempt) {
        // A fresh nonce (and IV) per attempt: the gateway's replay cache refuses a resent one.
        auto out = make_http_request(req, target, keys, unix_now());
        if (!out) {
            result = out.error();
            break;
        }
        request_body = out->http.body;
        auto res = co_await pool_[slot]->send(options_.url, std::move(out->http), idempotent);
        if (!res) {
            result = res.error();
            continue;  // transport failure: retried only when the function is idempotent
        }
        result = read_http_response(*res, target, keys, out->nonce, unix_now(), req.function);
        response_body = std::move(res->body);  // the decoded answer owns its values
        break;
    }
    release(slot);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (observer_) observer_->on_call(req, request_body, result, response_body, elapsed);
    co_return result;
}

}  // namespace cmp

#include "bridge/cmp/gateway_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/clock.hpp"

namespace cmp {
namespace asio = boost::asio;

namespace {
std::string random_nonce() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return buf;
}
}  // namespace

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
    std::string body = encode(req);

    std::size_t slot = co_await acquire();
    auto started = std::chrono::steady_clock::now();
    core::Result<Response> result = core::make_error("cmp.unsent", "not sent");
    std::string response_body;
    for (int attempt = 0; attempt < (idempotent ? 2 : 1); ++attempt) {
        http::Request hreq;
        hreq.method = "POST";
        hreq.target = options_.url.target;
        hreq.headers.push_back({"Content-Type", "text/xml; charset=utf-8"});
        hreq.headers.push_back({"SOAPAction", "\"" + std::string(kNamespace) + "#" + req.function + "\""});
        if (!options_.secret.empty()) {
            auto ts = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
            hreq.headers.push_back({std::string(kAuthHeader),
                                    sign(options_.secret, options_.rg_id, "POST", options_.url.target, body, ts,
                                         random_nonce())});
        }
        hreq.body = body;
        auto res = co_await pool_[slot]->send(options_.url, std::move(hreq));
        if (!res) {
            result = res.error();
            continue;  // transport failure: retried only when the function is idempotent
        }
        response_body = res->body;
        if (res->status != 200 && res->status != 500) {
            result = core::make_error("cmp.http", "gateway " + options_.rg_id + " answered HTTP " +
                                                      std::to_string(res->status) + " to " + req.function);
            break;
        }
        auto decoded = decode_response(res->body, {}, &Catalogue::builtin(), req.function);
        if (!decoded) {
            result = core::make_error(decoded.error().code, "gateway " + options_.rg_id + " sent an undecodable " +
                                                                req.function + " response: " + decoded.error().message);
            break;
        }
        result = std::move(decoded);
        break;
    }
    release(slot);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (observer_) observer_->on_call(req, body, result, response_body, elapsed);
    co_return result;
}

}  // namespace cmp

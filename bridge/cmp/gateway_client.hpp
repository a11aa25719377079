#pragma once
// The bridge's client towards one gateway's CMP agent: fills the CMP header,
// signs the message (and encrypts it for legacy SEED gateways), posts it over
// a small pool of keep-alive connections (bounded concurrency per gateway),
// retries idempotent get calls once on a transport failure (and never resends
// anything else, not even on a stale keep-alive connection), verifies the
// gateway's signed answer and decodes it. Every network step has a deadline.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"

namespace cmp {

struct GatewayClientOptions {
    std::string rg_id;
    http::Url url;
    std::string secret;  // empty: unsigned (only when the deployment turned auth off)
    std::chrono::milliseconds timeout{10'000};
    unsigned concurrency = 2;
    net::TlsClientConfig tls;
    bool legacy_seed = false;  // SEED-128-CBC bodies (docs/cmp-protocol.md 12.5)
};

// Observes every exchange (the trace recorder and the demo log hook in here).
struct CallObserver {
    virtual ~CallObserver() = default;
    virtual void on_call(const Request& req, const std::string& request_xml, const core::Result<Response>& res,
                         const std::string& response_xml, std::chrono::milliseconds elapsed) = 0;
};

class GatewayClient {
public:
    GatewayClient(boost::asio::any_io_executor ex, GatewayClientOptions options);

    boost::asio::awaitable<core::Result<Response>> call(Request req);
    void set_observer(CallObserver* o) { observer_ = o; }
    const std::string& rg_id() const { return options_.rg_id; }

private:
    boost::asio::awaitable<std::size_t> acquire();
    void release(std::size_t slot);

    boost::asio::any_io_executor ex_;
    GatewayClientOptions options_;
    std::vector<std::unique_ptr<net::HttpClient>> pool_;
    std::vector<bool> busy_;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
    std::uint64_t next_transaction_ = 1;
    CallObserver* observer_ = nullptr;
};

}  // namespace cmp

#pragma once
// The seam between a virtual CPE and its two peers, and the hooks through
// which a session can be recorded (docs/traces.md).
//
// A VirtualCpe sends to the ACS through an AcsTransport and calls its gateway
// through a GatewayTransport. In production they forward to net::HttpClient
// and cmp::GatewayClient; trace replay (bridge/trace/replay.hpp) substitutes
// recorded peers, so a replayed session runs the very same session, handler,
// mapping and codec code, without sockets, in milliseconds.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bridge/cmp/gateway_client.hpp"
#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"

namespace app {

class AcsTransport {
public:
    virtual ~AcsTransport() = default;
    // One HTTP exchange with the ACS (same contract as net::HttpClient::send).
    virtual boost::asio::awaitable<core::Result<http::Response>> send(const http::Url& url, http::Request req) = 0;
    // The session is over; a connection-based transport drops its connection.
    virtual void close() {}
};

class GatewayTransport {
public:
    virtual ~GatewayTransport() = default;
    // One CMP call; the header (rgId, transactionId, timeStamp) is the transport's to fill.
    virtual boost::asio::awaitable<core::Result<cmp::Response>> call(cmp::Request req) = 0;
};

class HttpAcsTransport final : public AcsTransport {
public:
    explicit HttpAcsTransport(net::HttpClient& client) : client_(client) {}
    boost::asio::awaitable<core::Result<http::Response>> send(const http::Url& url, http::Request req) override {
        return client_.send(url, std::move(req));
    }
    void close() override { client_.close(); }

private:
    net::HttpClient& client_;
};

class CmpGatewayTransport final : public GatewayTransport {
public:
    explicit CmpGatewayTransport(cmp::GatewayClient& client) : client_(client) {}
    boost::asio::awaitable<core::Result<cmp::Response>> call(cmp::Request req) override {
        return client_.call(std::move(req));
    }

private:
    cmp::GatewayClient& client_;
};

// Null members mean "production": the VirtualCpe's own clients.
struct Transports {
    std::unique_ptr<AcsTransport> acs;
    std::unique_ptr<GatewayTransport> gateway;
};

// ---- recording ---------------------------------------------------------------

// What a recorder needs to replay a session later, as of the session's start.
struct SessionStart {
    std::string gateway_id;
    std::string gateway_url;
    cwmp::Version cwmp_version = cwmp::Version::v1_0;  // configured
    std::string acs_url;                               // configured
    std::string acs_username;                          // configured
    std::string cr_url_base;
    bool periodic_enable = true;  // configured defaults
    std::uint32_t periodic_interval = 3600;
    std::uint32_t retry_count = 0;
    std::vector<std::string> events;
    std::vector<cwmp::ParameterValue> changed;  // values under notification awaiting this Inform
    std::string state;  // cpe::serialize(): the recorder redacts it
    std::uint32_t reuse_answers_ms = 0;  // cmp.reuse_answers_ms: a replay must reuse answers the same way
};

// Sees one session; its CMP calls arrive through cmp::CallObserver::on_call.
// Called on the CPE's strand only.
class SessionRecorder : public cmp::CallObserver {
public:
    virtual void on_acs_exchange(const http::Url& url, const http::Request& request,
                                 const core::Result<http::Response>& response) = 0;
    // state: cpe::serialize() after the session (the recorder redacts it).
    virtual void on_end(bool ok, const std::string& error, const std::string& state) = 0;
};

// Thread-safe: CPEs on several threads start sessions concurrently.
class SessionRecorderFactory {
public:
    virtual ~SessionRecorderFactory() = default;
    // The mapping table a gateway's CPE presents (traces name it).
    virtual void set_mapping(const std::string& gateway_id, const std::string& name, const std::string& hash) = 0;
    // Must not block: the caller is an event-loop thread.
    virtual std::unique_ptr<SessionRecorder> begin(SessionStart start) = 0;
};

}  // namespace app

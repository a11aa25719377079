#pragma once
// The CMP agents of the reverse direction (issue 13), gateway -> HOMS half:
// one cmp::AgentSession per virtual gateway (rgId), each driven on its own
// strand by one coroutine with one timer, posting what the session asks for
// to the HOMS URL through cmp::wire (X-CMP-Auth with the gateway's secret)
// and net::HttpClient (TLS verification on, a deadline on every step). The
// HOMS -> gateway half is app::CmpAgentServer.
//
// Thread-safe: add/remove/notify may be called from any thread; each hands
// its input to the gateway's strand. The registry (rgId -> agent) is the only
// shared structure, guarded by one mutex.
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/cmp/agent_session.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/tls.hpp"

namespace app {

struct CmpAgentsOptions {
    http::Url homs_url;                         // where gateway -> HOMS messages are POSTed
    std::chrono::milliseconds timeout{10'000};  // connect, and each write/read of one exchange
    net::TlsClientConfig tls;                   // for an https HOMS URL: chain and host name verified
    cmp::AgentOptions agent;
    // The first regRg of each gateway is spread over this (a fleet added at once).
    std::chrono::milliseconds start_spread{0};
    // A gateway whose next message is further away than this closes its
    // connection meanwhile: thousands of gateways keeping an idle connection
    // each would hit the HOMS's per-source connection limit.
    std::chrono::milliseconds idle_close{5'000};
};

class CmpAgents {
public:
    // A snapshot, for status pages and tests.
    struct Status {
        cmp::AgentSession::Phase phase = cmp::AgentSession::Phase::idle;
        std::string session_id;
        std::size_t outbox = 0;
        std::uint64_t delivered = 0, rejected = 0, dropped = 0, registrations = 0;
        bool retiring = false;  // remove() was called: deregistering
    };

    CmpAgents(boost::asio::io_context& ioc, CmpAgentsOptions options);
    // Halts every agent without deregistering (stop() first for an orderly shutdown).
    ~CmpAgents();
    CmpAgents(const CmpAgents&) = delete;
    CmpAgents& operator=(const CmpAgents&) = delete;

    // Starts registering rgId. Again for a known rgId: a new identity
    // registers again (regRg), a new secret applies from the next message;
    // for one being removed, it starts afresh once its deregRg is done.
    void add(std::string rg_id, cmp::AgentIdentity identity, std::string secret);
    // The gateway booted (the CPE's 1 BOOT): a fresh regRg as soon as nothing
    // is in flight, its notifications kept and sent after it. No deregRg: the
    // gateway is already back. False when rgId is unknown or being removed.
    bool rebooted(const std::string& rg_id, cmp::AgentIdentity identity);
    // deregRg(reason), then the agent is gone. Undelivered notifications are dropped (counted, logged).
    void remove(const std::string& rg_id, std::string reason);
    // Queues a gateway -> HOMS notification; false (logged) when rgId is unknown or being removed.
    bool notify(const std::string& rg_id, cmp::Request message);
    // keepAliveRg.upTime from now on (the CPE's DeviceInfo.UpTime).
    void set_up_time(const std::string& rg_id, std::uint32_t seconds);
    // remove() for every gateway.
    void stop(std::string reason);

    // The gateway's keys, for app::CmpAgentServer's X-CMP-Auth checks; nullopt when unknown or being removed.
    std::optional<cmp::PeerKeys> keys(std::string_view rg_id) const;
    std::optional<Status> status(std::string_view rg_id) const;
    std::size_t size() const;  // agents, those still deregistering included

    struct Agent;  // one gateway's driver (cmp_agent_clients.cpp)
    struct Registry {
        mutable std::mutex mutex;
        std::map<std::string, std::shared_ptr<Agent>, std::less<>> agents;
    };

private:
    boost::asio::io_context& ioc_;
    CmpAgentsOptions options_;
    std::shared_ptr<Registry> registry_;
};

}  // namespace app

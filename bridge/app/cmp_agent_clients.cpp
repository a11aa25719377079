#include "bridge/app/cmp_agent_clients.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/net/http_client.hpp"

namespace app {
namespace asio = boost::asio;
using cmp::AgentSession;
using Actions = AgentSession::Actions;

namespace {

net::ClientOptions client_options(const CmpAgentsOptions& o) {
    net::ClientOptions c;
    c.connect_timeout = o.timeout;
    c.io_timeout = o.timeout;
    c.tls = o.tls;
    c.body_limit = 512 * 1024;  // the profile's message bound
    return c;
}

AgentSession::TimePoint now() { return AgentSession::Clock::now(); }

}  // namespace

// One gateway: its session, its HTTP connection to the HOMS and its timer, all
// used on its strand only. The fields marked "registry" are read by other
// threads under Registry::mutex.
struct CmpAgents::Agent : std::enable_shared_from_this<Agent> {
    Agent(asio::io_context& ioc, const CmpAgentsOptions& o, const std::string& rg, cmp::AgentIdentity identity,
          std::string secret, std::weak_ptr<Registry> reg)
        : strand(asio::make_strand(ioc)),
          timer(strand),
          client(strand, client_options(o)),
          options(o),
          session(std::make_unique<AgentSession>(rg, std::move(identity), secret, o.agent)),
          keys{rg, secret, false},
          registry(std::move(reg)),
          published_keys(keys) {}

    asio::strand<asio::io_context::executor_type> strand;
    asio::steady_timer timer;
    net::HttpClient client;
    const CmpAgentsOptions options;  // a copy: the coroutine may outlive CmpAgents
    std::unique_ptr<AgentSession> session;
    cmp::PeerKeys keys;
    std::weak_ptr<Registry> registry;
    std::optional<cmp::Request> pending_send;  // produced by an input while the loop slept
    bool waiting = false, exchanging = false, halted = false;
    // registry
    bool retiring = false;
    std::optional<std::pair<cmp::AgentIdentity, std::string>> successor;  // add() during remove()
    cmp::PeerKeys published_keys;
    Status status;

    const std::string& rg() const { return keys.rg_id; }

    // Logs what the session said and takes the request it wants sent.
    void absorb(Actions& a) {
        for (auto& n : a.notes) core::log::info(rg(), "cmp agent: " + n);
        // A HOMS outage fails every gateway at once: limited per kind for the whole fleet
        // (the kind is the warning's first word: a function name, "outbox", "stopped").
        for (auto& w : a.warnings)
            core::log::warn_grouped("cmp-agent", options.homs_url.authority(), std::string_view(w).substr(0, w.find(' ')),
                                    rg(), "cmp agent: " + w);
        if (a.send) pending_send = std::move(a.send);
        a.send.reset();
    }

    // An input from outside, on the strand: the loop re-evaluates at once.
    void input(Actions a) {
        absorb(a);
        if (waiting) timer.cancel();
        publish();
    }

    void publish() {
        auto reg = registry.lock();
        if (!reg) return;
        std::lock_guard lock(reg->mutex);
        status.phase = session->phase();
        status.session_id = session->session_id();
        status.outbox = session->outbox_size();
        status.delivered = session->delivered();
        status.rejected = session->rejected();
        status.dropped = session->dropped();
        status.registrations = session->registrations();
        status.retiring = retiring;
    }

    asio::awaitable<core::Result<cmp::Response>> exchange(cmp::Request msg) {
        msg.header.time_stamp = core::now_utc();
        const std::string& target = options.homs_url.target;
        for (int attempt = 0;; ++attempt) {
            const bool reused = client.connected();
            auto out = cmp::make_http_request(msg, target, keys, cmp::unix_now());
            if (!out) co_return out.error();
            core::log::debug(rg(), "cmp agent: -> " + msg.function);
            // Never resent by the client with the same X-CMP-Auth nonce: the
            // HOMS's replay cache would refuse the copy (and end the session).
            auto res = co_await client.send(options.homs_url, std::move(out->http), false);
            if (!res) {
                // The HOMS closed an idle keep-alive connection: once more on a
                // fresh one, freshly signed. (A HOMS that processed the first
                // copy and then vanished sees it twice: delivery is at least once.)
                if (reused && attempt == 0) continue;
                co_return res.error();
            }
            co_return cmp::read_http_response(*res, target, keys, out->nonce, cmp::unix_now(), msg.function);
        }
    }

    // The session finished: start the successor add() asked for, or leave the registry.
    bool restart_or_leave(Actions& a) {
        auto reg = registry.lock();
        if (!reg) return false;
        std::unique_lock lock(reg->mutex);
        if (successor) {
            auto [identity, secret] = std::move(*successor);
            successor.reset();
            retiring = false;
            keys.secret = secret;
            published_keys = keys;
            session = std::make_unique<AgentSession>(rg(), std::move(identity), std::move(secret), options.agent);
            lock.unlock();
            a = session->start(now());
            return true;
        }
        auto it = reg->agents.find(rg());
        if (it != reg->agents.end() && it->second.get() == this) reg->agents.erase(it);
        return false;
    }

    // `self` keeps the agent alive for as long as its coroutine runs.
    asio::awaitable<void> run([[maybe_unused]] std::shared_ptr<Agent> self, std::chrono::milliseconds spread) {
        Actions a = session->start(now(), spread);
        for (;;) {
            absorb(a);
            while (pending_send && !halted) {
                cmp::Request msg = std::move(*pending_send);
                pending_send.reset();
                exchanging = true;
                auto res = co_await exchange(std::move(msg));
                exchanging = false;
                if (halted) break;
                a = res ? session->on_response(*res, now()) : session->on_failure(res.error(), now());
                absorb(a);
                publish();
            }
            publish();
            if (halted) {
                client.close();
                co_return;
            }
            if (a.finished || (session->phase() == AgentSession::Phase::stopped && !session->in_flight())) {
                client.close();
                if (!restart_or_leave(a)) co_return;
                publish();
                continue;
            }
            if (a.wake_at - now() > options.idle_close) client.close();
            waiting = true;
            timer.expires_at(a.wake_at);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            waiting = false;
            if (halted) {
                client.close();
                co_return;
            }
            a = session->timer(now());
        }
    }

    void halt() {
        asio::post(strand, [self = shared_from_this()] {
            self->halted = true;
            self->timer.cancel();
            // An exchange in progress ends within its deadline; closing under it would free its stream.
            if (!self->exchanging) self->client.close();
        });
    }
};

CmpAgents::CmpAgents(asio::io_context& ioc, CmpAgentsOptions options)
    : ioc_(ioc), options_(std::move(options)), registry_(std::make_shared<Registry>()) {}

CmpAgents::~CmpAgents() {
    std::lock_guard lock(registry_->mutex);
    for (auto& [rg, agent] : registry_->agents) agent->halt();
    registry_->agents.clear();
}

void CmpAgents::add(std::string rg_id, cmp::AgentIdentity identity, std::string secret) {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it != registry_->agents.end()) {
        std::shared_ptr<Agent> agent = it->second;
        if (agent->retiring) {
            agent->successor.emplace(std::move(identity), std::move(secret));
            return;
        }
        agent->published_keys.secret = secret;
        asio::post(agent->strand, [agent, identity = std::move(identity), secret = std::move(secret)]() mutable {
            // Both proofs use it: X-CMP-Auth on every message and authRg's digest.
            agent->session->set_secret(secret);
            agent->keys.secret = std::move(secret);
            if (identity == agent->session->identity()) return;
            agent->input(agent->session->reregister(std::move(identity), now()));
        });
        return;
    }
    auto agent = std::make_shared<Agent>(ioc_, options_, rg_id, std::move(identity), std::move(secret), registry_);
    registry_->agents.emplace(rg_id, agent);
    asio::co_spawn(agent->strand, agent->run(agent, options_.start_spread), asio::detached);
}

void CmpAgents::remove(const std::string& rg_id, std::string reason) {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it == registry_->agents.end()) return;
    std::shared_ptr<Agent> agent = it->second;
    agent->retiring = true;
    agent->successor.reset();
    asio::post(agent->strand, [agent, reason = std::move(reason)]() mutable {
        agent->input(agent->session->stop(std::move(reason), now()));
    });
}

bool CmpAgents::rebooted(const std::string& rg_id, cmp::AgentIdentity identity) {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it == registry_->agents.end() || it->second->retiring) return false;
    asio::post(it->second->strand, [agent = it->second, identity = std::move(identity)]() mutable {
        agent->input(agent->session->reregister(std::move(identity), now()));
    });
    return true;
}

bool CmpAgents::notify(const std::string& rg_id, cmp::Request message) {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it == registry_->agents.end() || it->second->retiring) {
        core::log::warn_grouped("cmp-agent", "notify", "no agent", rg_id,
                                "cmp agent: " + message.function + " dropped: no agent for this gateway");
        return false;
    }
    asio::post(it->second->strand, [agent = it->second, message = std::move(message)]() mutable {
        agent->input(agent->session->notify(std::move(message), now()));
    });
    return true;
}

void CmpAgents::set_up_time(const std::string& rg_id, std::uint32_t seconds) {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it == registry_->agents.end()) return;
    asio::post(it->second->strand, [agent = it->second, seconds] { agent->session->set_up_time(seconds, now()); });
}

void CmpAgents::stop(std::string reason) {
    std::vector<std::string> ids;
    {
        std::lock_guard lock(registry_->mutex);
        for (auto& [rg, agent] : registry_->agents) ids.push_back(rg);
    }
    for (auto& rg : ids) remove(rg, reason);
}

std::optional<cmp::PeerKeys> CmpAgents::keys(std::string_view rg_id) const {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it == registry_->agents.end() || it->second->retiring) return std::nullopt;
    return it->second->published_keys;
}

std::optional<CmpAgents::Status> CmpAgents::status(std::string_view rg_id) const {
    std::lock_guard lock(registry_->mutex);
    auto it = registry_->agents.find(rg_id);
    if (it == registry_->agents.end()) return std::nullopt;
    return it->second->status;
}

std::size_t CmpAgents::size() const {
    std::lock_guard lock(registry_->mutex);
    return registry_->agents.size();
}

}  // namespace app

#include "bridge/app/acs_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/acs/cpe_id.hpp"
#include "bridge/app/acs_connection_request.hpp"
#include "bridge/app/reverse_recording.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/http/encoding.hpp"

namespace app {
namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;

namespace {
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr const char* kLog = "acs";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string connection_key(const net::PeerInfo& peer) { return peer.address + "|" + std::to_string(peer.port); }

// Cheap pre-check before decoding a POST of an open session a second time:
// an element named Inform (<cwmp:Inform>, <Inform ...>), not merely the word
// (PeriodicInformInterval is in many answers, some of them large).
bool may_be_inform(const http::Request& req) {
    const std::string& b = req.body;
    for (auto at = b.find("Inform"); at != std::string::npos; at = b.find("Inform", at + 1)) {
        const char before = at > 0 ? b[at - 1] : '\0';
        const char after = at + 6 < b.size() ? b[at + 6] : '\0';
        if ((before == ':' || before == '<') && (after == '>' || after == '/' || after == ' ' || after == '\t' ||
                                                 after == '\r' || after == '\n'))
            return true;
    }
    return false;
}
}  // namespace

struct AcsServer::Cpe {
    explicit Cpe(asio::io_context& ioc, std::size_t max_queued)
        : strand(asio::make_strand(ioc)), queue(max_queued), session_timer(strand) {}
    Strand strand;
    acs::CpeRecord record;
    acs::RpcQueue queue;
    std::unique_ptr<acs::CpeSession> session;
    std::string connection;  // the connection the session's Inform came on
    asio::steady_timer session_timer;
    std::uint64_t session_generation = 0;
    bool waking = false;  // a Connection Request is under way
};

AcsServer::AcsServer(asio::io_context& ioc, AcsServerConfig config, Observer* observer)
    : ioc_(ioc), config_(std::move(config)), observer_(observer), gone_timer_(asio::make_strand(ioc)) {}

AcsServer::~AcsServer() { stop(); }

core::Status AcsServer::start() {
    if (!config_.credentials)
        return core::make_error("config.invalid", "the ACS listener needs CPE credentials (docs/reverse.md)");
    auto addr = net::split_host_port(config_.listen);
    if (!addr) return core::make_error("config.invalid", "acs.listen: " + addr.error().message);
    acs::CpeAuthenticator::Options ao;
    ao.digest.realm = config_.realm;
    ao.digest.secret = http::random_token(32);
    ao.allow_basic = config_.allow_basic && config_.tls.has_value();
    auth_ = std::make_unique<acs::CpeAuthenticator>(config_.credentials, std::move(ao));

    net::ServerOptions so;
    so.tls = config_.tls;
    so.body_limit = config_.body_limit;
    so.max_connections = config_.max_connections;
    so.max_connections_per_source = config_.max_connections_per_source;
    so.log_name = kLog;
    so.pre_body = [this](const http::Request& head, const net::PeerInfo& peer) { return pre_body(head, peer); };
    server_ = std::make_unique<net::HttpServer>(
        ioc_, std::move(so), [this](http::Request r, net::PeerInfo p) { return handle(std::move(r), std::move(p)); });
    if (auto st = server_->listen(addr->first, addr->second); !st) return st;
    schedule_gone_check();
    return core::Ok{};
}

void AcsServer::stop() {
    stopped_ = true;
    if (server_) server_->stop();
    gone_timer_.cancel();
    std::lock_guard lock(mutex_);
    for (auto& [id, cpe] : cpes_) asio::post(cpe->strand, [cpe = cpe] { cpe->session_timer.cancel(); });
}

unsigned short AcsServer::port() const { return server_ ? server_->port() : 0; }
net::ServerStats AcsServer::stats() const { return server_ ? server_->stats() : net::ServerStats{}; }

// ---- authentication, before any body is read --------------------------------------------------

net::PreBodyDecision AcsServer::pre_body(const http::Request& head, const net::PeerInfo& peer) {
    net::PreBodyDecision d;
    if (head.find("Authorization")) {
        // Any Authorization is checked, so the handler may trust the username of one that got through.
        auto check = auth_->check(head, unix_now());
        if (check.verdict == http::Verdict::ok) return d;
        if (check.verdict == http::Verdict::bad)
            core::log::warn_from(kLog, peer.address, "auth", "CPE authentication from " + peer.address + " failed");
        d.refuse = auth_->challenge(unix_now(), check.verdict == http::Verdict::stale);
        return d;
    }
    // Later POSTs of a session prove themselves with the session cookie (or the connection).
    if (session_cpe(head, connection_key(peer))) return d;
    d.refuse = auth_->challenge(unix_now());
    return d;
}

AcsServer::CpePtr AcsServer::session_cpe(const http::Request& req, const std::string& connection) const {
    std::lock_guard lock(mutex_);
    if (auto token = acs::session_token(req)) {
        auto it = by_token_.find(*token);
        return it == by_token_.end() ? nullptr : it->second;
    }
    // CPEs that drop cookies stay on their connection.
    auto it = by_connection_.find(connection);
    return it == by_connection_.end() ? nullptr : it->second;
}

AcsServer::CpePtr AcsServer::cpe_for(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (cpes_.size() >= config_.max_cpes && cpes_.find(id) == cpes_.end()) return nullptr;
    auto& slot = cpes_[id];
    if (!slot) {
        slot = std::make_shared<Cpe>(ioc_, config_.max_queued_per_cpe);
        slot->record.id = id;
        slot->record.watch = config_.watch;
    }
    return slot;
}

void AcsServer::restore(acs::CpeRecord record) {
    std::lock_guard lock(mutex_);
    auto& slot = cpes_[record.id];
    if (slot) return;
    slot = std::make_shared<Cpe>(ioc_, config_.max_queued_per_cpe);
    slot->record = std::move(record);
    slot->record.watch = config_.watch;
    slot->record.discovered = false;  // names and notifications are learnt again
}

// ---- sessions ------------------------------------------------------------------------------------

asio::awaitable<http::Response> AcsServer::handle(http::Request req, net::PeerInfo peer) {
    const std::string connection = connection_key(peer);
    if (CpePtr cpe = session_cpe(req, connection)) {
        auto work = on_session_post(cpe, std::move(req), connection);
        std::optional<http::Response> r = co_await asio::co_spawn(cpe->strand, std::move(work), asio::use_awaitable);
        if (r) co_return std::move(*r);
        // The session ended between the lookup and the strand: the POST belongs to no session
        // any more, and a new one starts with an authenticated Inform.
        co_return auth_->challenge(unix_now());
    }
    // No session: this must be an authenticated Inform (pre_body checked any Authorization).
    if (!req.find("Authorization")) co_return auth_->challenge(unix_now());
    auto first = acs::read_first_post(req);
    if (!first.inform) co_return std::move(first.refusal);
    const std::string id = acs::cpe_id(std::get<cwmp::Inform>(first.inform->body).device_id);
    const std::string user = acs::authorization_username(req);
    if (!config_.credentials->may_claim(user, id)) {
        core::log::warn_from(kLog, peer.address, "claim",
                             "CPE user " + user + " from " + peer.address + " may not inform as " + id);
        http::Response r;
        r.status = 403;
        r.headers.push_back({"Content-Type", "text/plain"});
        r.body = "these credentials do not belong to this CPE\n";
        co_return r;
    }
    CpePtr cpe = cpe_for(id);
    if (!cpe) {
        core::log::warn_from(kLog, peer.address, "max_cpes",
                             "CPE " + id + " refused: the ACS already keeps " + std::to_string(config_.max_cpes) + " CPEs");
        http::Response r;
        r.status = 503;
        r.headers.push_back({"Retry-After", "3600"});
        r.headers.push_back({"Content-Type", "text/plain"});
        r.body = "this ACS serves no more CPEs\n";
        co_return r;
    }
    auto work = open_session(cpe, std::move(*first.inform), connection);
    http::Response r = co_await asio::co_spawn(cpe->strand, std::move(work), asio::use_awaitable);
    if (recorder_) recorder_->cpe_post(id, req, r);
    co_return r;
}

asio::awaitable<std::optional<http::Response>> AcsServer::on_session_post(CpePtr cpe, http::Request req,
                                                                          std::string connection) {
    if (!cpe->session) co_return std::nullopt;
    if (may_be_inform(req)) {
        // A CPE that keeps the cookie into its next session starts it with an Inform.
        auto first = acs::read_first_post(req);
        if (first.inform && acs::cpe_id(std::get<cwmp::Inform>(first.inform->body).device_id) == cpe->record.id) {
            http::Response r = co_await open_session(cpe, std::move(*first.inform), std::move(connection));
            if (recorder_) recorder_->cpe_post(cpe->record.id, req, r);
            co_return r;
        }
    }
    http::Response r = cpe->session->on_post(req);
    if (recorder_) recorder_->cpe_post(cpe->record.id, req, r);
    after_exchange(cpe);
    co_return r;
}

asio::awaitable<http::Response> AcsServer::open_session(CpePtr cpe, cwmp::Envelope inform_env,
                                                        std::string connection) {
    if (cpe->session) close_session(cpe, "the CPE started a new session");
    acs::SessionOptions so;
    so.secure_cookie = config_.tls.has_value();
    so.id_prefix = http::random_token(6);
    std::string token = http::random_token(24);
    cpe->session = std::make_unique<acs::CpeSession>(cpe->record, cpe->queue, token, so);
    cpe->connection = connection;
    ++cpe->session_generation;
    if (recorder_) recorder_->session_started(cpe->record);
    http::Response r = cpe->session->start(inform_env, config_.now());
    {
        std::lock_guard lock(mutex_);
        by_token_[token] = cpe;
        by_connection_[connection] = cpe;
    }
    arm_session_timer(cpe);
    const auto& inform = std::get<cwmp::Inform>(inform_env.body);
    std::string events;
    for (const auto& e : inform.events) events += (events.empty() ? "" : ", ") + e.event_code;
    core::log::info(cpe->record.id, "Inform (" + events + ")");
    if (observer_) {
        // Posted: it runs on the strand once this answer is on its way.
        asio::post(cpe->strand, [this, cpe, inform] { observer_->on_inform(cpe->record, inform); });
    }
    co_return r;
}

void AcsServer::after_exchange(const CpePtr& cpe) {
    if (observer_)
        for (auto& tc : cpe->session->take_transfer_completes())
            asio::post(cpe->strand, [this, cpe, tc = std::move(tc)] { observer_->on_transfer_complete(cpe->record, tc); });
    if (cpe->session->ended()) close_session(cpe, "ended");
    else arm_session_timer(cpe);
}

void AcsServer::close_session(const CpePtr& cpe, std::string_view why) {
    if (!cpe->session) return;
    if (recorder_) recorder_->session_closed(cpe->record.id, why, cpe->session->ended());
    if (!cpe->session->ended()) {
        core::log::info(cpe->record.id, "session closed: " + std::string(why));
        cpe->session->abort(why);
    }
    {
        std::lock_guard lock(mutex_);
        by_token_.erase(cpe->session->token());
        if (auto it = by_connection_.find(cpe->connection); it != by_connection_.end() && it->second == cpe)
            by_connection_.erase(it);
    }
    cpe->session.reset();
    ++cpe->session_generation;
    cpe->session_timer.cancel();
}

void AcsServer::arm_session_timer(const CpePtr& cpe) {
    cpe->session_timer.expires_after(config_.session_timeout);
    cpe->session_timer.async_wait([this, cpe, generation = cpe->session_generation](boost::system::error_code ec) {
        if (ec || generation != cpe->session_generation || !cpe->session) return;
        close_session(cpe, "the CPE was silent for " + std::to_string(config_.session_timeout.count()) + " ms");
    });
}

// ---- RPCs from the upper layer --------------------------------------------------------------------

asio::awaitable<core::Result<cwmp::Body>> AcsServer::run(std::string cpe_id, cwmp::Body rpc,
                                                         std::chrono::milliseconds wait) {
    CpePtr cpe;
    {
        std::lock_guard lock(mutex_);
        if (auto it = cpes_.find(cpe_id); it != cpes_.end()) cpe = it->second;
    }
    if (!cpe) co_return core::make_error("acs.unknown_cpe", "no CPE " + cpe_id + " has informed");
    auto work = run_on_strand(cpe, std::move(rpc), wait);
    // Engaged always: co_spawn's completion needs a default-constructible value, Result has none.
    std::optional<acs::RpcResult> result = co_await asio::co_spawn(cpe->strand, std::move(work), asio::use_awaitable);
    co_return std::move(*result);
}

asio::awaitable<std::optional<acs::RpcResult>> AcsServer::run_on_strand(CpePtr cpe, cwmp::Body rpc,
                                                                   std::chrono::milliseconds wait) {
    struct Waiter {
        explicit Waiter(const Strand& s) : timer(s) {}
        asio::steady_timer timer;
        std::optional<acs::RpcResult> result;
    };
    auto waiter = std::make_shared<Waiter>(cpe->strand);
    waiter->timer.expires_after(wait);
    const std::string what(cwmp::rpc_name(rpc));
    auto handle = cpe->queue.enqueue(std::move(rpc), [waiter](acs::RpcResult r) {
        if (waiter->result) return;
        waiter->result = std::move(r);
        waiter->timer.cancel();
    });
    if (!handle)
        co_return acs::RpcResult(core::make_error("acs.busy", std::to_string(cpe->queue.size()) + " RPCs already wait for " +
                                                   cpe->record.id));
    if (!cpe->session) wake(cpe);
    if (!waiter->result) co_await waiter->timer.async_wait(use_nothrow);
    if (!waiter->result) {
        // Withdrawn if not sent yet: a late Reboot nobody waits for would surprise everyone.
        const bool withdrawn = cpe->queue.cancel(*handle);
        waiter->result = core::make_error(
            "acs.timeout", cpe->record.id + (withdrawn ? " did not open a session" : " did not answer " + what) +
                               " within " + std::to_string(wait.count()) + " ms");
    }
    co_return std::move(*waiter->result);
}

void AcsServer::wake(const CpePtr& cpe) {
    if (cpe->waking || stopped_) return;
    cpe->waking = true;
    asio::co_spawn(cpe->strand, connection_request(cpe), asio::detached);
}

asio::awaitable<void> AcsServer::connection_request(CpePtr cpe) {
    core::Status st = core::Ok{};
    auto url = http::Url::parse(cpe->record.connection_request_url);
    if (cpe->record.connection_request_url.empty()) {
        st = core::make_error("acs.unreachable", cpe->record.id + " gave no ConnectionRequestURL");
    } else if (!url) {
        st = core::make_error("acs.unreachable", cpe->record.id + " gave an invalid ConnectionRequestURL: " +
                                                     url.error().message);
    } else {
        net::ClientOptions co;
        co.connect_timeout = config_.connection_request_timeout;
        co.io_timeout = config_.connection_request_timeout;
        co.body_limit = 64 * 1024;
        co.tls = config_.connection_request_tls;
        // A busy CPE (503: in a session, or limiting Connection Requests) is
        // asked again while someone still waits for it and it did not come by
        // itself; each run() bounds that wait, so this loop ends with them.
        auto delay = std::chrono::milliseconds(500);
        asio::steady_timer pause(cpe->strand);
        for (;;) {
            auto work = send_connection_request(*url, config_.credentials->connection_request(cpe->record.id), co);
            ConnectionRequestOutcome out = co_await std::move(work);
            st = out.status;
            if (st || !out.busy || stopped_ || cpe->session || !cpe->queue.has_user_rpcs()) break;
            auto wait = out.retry_after ? std::chrono::duration_cast<std::chrono::milliseconds>(*out.retry_after) : delay;
            wait = std::clamp(wait, std::chrono::milliseconds(100), std::chrono::milliseconds(10'000));
            delay = std::min(delay * 2, std::chrono::milliseconds(8'000));
            core::log::debug(cpe->record.id, st.error().message + ": asking again in " + std::to_string(wait.count()) +
                                                 " ms");
            pause.expires_after(wait);
            auto [ec] = co_await pause.async_wait(use_nothrow);
            if (ec || stopped_ || cpe->session || !cpe->queue.has_user_rpcs()) {
                cpe->waking = false;  // came by itself, or nobody waits any more
                co_return;
            }
        }
    }
    cpe->waking = false;
    if (st) {
        core::log::info(cpe->record.id, "Connection Request accepted");
        co_return;
    }
    core::log::warn(cpe->record.id, st.error().message);
    // Everyone waiting for this CPE learns now rather than at their timeout,
    // unless the CPE came anyway (a periodic Inform crossed the request).
    if (!cpe->session) cpe->queue.fail_user_rpcs(st.error());
}

// ---- what others read -----------------------------------------------------------------------------

const acs::CpeRecord* AcsServer::find(std::string_view cpe_id) const {
    std::lock_guard lock(mutex_);
    auto it = cpes_.find(cpe_id);
    return it == cpes_.end() ? nullptr : &it->second->record;
}

asio::awaitable<std::optional<acs::CpeRecord>> AcsServer::snapshot(std::string cpe_id) {
    CpePtr cpe;
    {
        std::lock_guard lock(mutex_);
        if (auto it = cpes_.find(cpe_id); it != cpes_.end()) cpe = it->second;
    }
    if (!cpe) co_return std::nullopt;
    auto copy = [](CpePtr c) -> asio::awaitable<std::optional<acs::CpeRecord>> { co_return c->record; };
    auto work = copy(cpe);
    co_return co_await asio::co_spawn(cpe->strand, std::move(work), asio::use_awaitable);
}

std::vector<std::string> AcsServer::cpe_ids() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, c] : cpes_) out.push_back(id);
    return out;
}

std::size_t AcsServer::open_sessions() const {
    std::lock_guard lock(mutex_);
    return by_token_.size();
}

void AcsServer::check_gone() {
    std::vector<CpePtr> all;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, c] : cpes_) all.push_back(c);
    }
    for (auto& cpe : all) {
        asio::post(cpe->strand, [this, cpe] {
            if (cpe->record.gone || cpe->session) return;
            auto deadline = cpe->record.gone_deadline(config_.missed_informs, config_.gone_grace);
            if (!deadline || config_.now() < *deadline) return;
            cpe->record.gone = true;
            core::log::warn(cpe->record.id, "gone: no Inform for " + std::to_string(config_.missed_informs) +
                                                " periodic intervals");
            if (observer_) observer_->on_gone(cpe->record);
        });
    }
}

void AcsServer::schedule_gone_check() {
    if (stopped_) return;
    gone_timer_.expires_after(config_.gone_check_every);
    gone_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        check_gone();
        schedule_gone_check();
    });
}

}  // namespace app

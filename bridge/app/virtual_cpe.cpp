// VirtualCpe: life cycle, the thread-safe hooks, and the execution of the
// agent's actions (store, timer, sessions, a deferred reboot). What happens
// when is cpe::Agent's business; the session itself is in
// virtual_cpe_session.cpp.
#include "bridge/app/virtual_cpe.hpp"
#include "bridge/app/async_callback.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/app/bridge_metrics.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/state/blob_digest.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

// Logs each CMP exchange of a CPE (the demo shows these lines) and passes it
// on to the recorder of the session in progress, if any.
struct VirtualCpe::CallLog : cmp::CallObserver {
    std::string id;
    std::string gateway;  // host:port, what the failure warnings are limited by
    cmp::CallObserver* recorder = nullptr;
    void on_call(const cmp::Request& req, const std::string& req_xml, const core::Result<cmp::Response>& res,
                 const std::string& res_xml, milliseconds elapsed) override {
        if (res && core::log::enabled(core::log::Level::info, id))
            core::log::info(id, "CMP " + req.function + " -> resultCode " + std::to_string(res->result_code) + " (" +
                                    std::to_string(res->fields.fields.size()) + " fields, " +
                                    std::to_string(elapsed.count()) + " ms)");
        else if (!res)
            // One unreachable simulator or network outage fails every CPE's calls at
            // once: rate-limited per gateway address and error, not per CPE.
            core::log::warn_grouped("cmp", gateway, "CMP call failed: " + res.error().code, id,
                                    "CMP " + req.function + " failed: " + res.error().message);
        observe_cmp_call(req.function, res ? std::to_string(res->result_code) : res.error().code, elapsed);
        if (recorder) recorder->on_call(req, req_xml, res, res_xml, elapsed);
    }
};

// A bootstrap session asked the store for the same state twice in a row (the
// SetParameterValues outcome, then the session's end): a write of a state the
// store already holds is skipped. "Already holds" is strict: the last write's
// completion said durable (a failed one proves nothing about the disk), and no
// write is still on its way (it could fail yet, or overwrite with an older
// blob). A digest, not a copy, of the last blob: per-gateway memory counts.
// The completions run on the store's thread, the decision on the CPE's strand;
// the strand starts every write, so once it reads no write in flight, no
// completion can run until it starts the next one.
struct VirtualCpe::WriteLedger {
    std::atomic<std::uint32_t> in_flight{0};
    std::atomic<bool> known{false};  // `digest` is that of the last write, which is durable
    std::atomic<std::uint64_t> digest{0};

    bool holds(std::uint64_t d) const {
        return in_flight.load(std::memory_order_acquire) == 0 && known.load(std::memory_order_relaxed) &&
               digest.load(std::memory_order_relaxed) == d;
    }
    void started() { in_flight.fetch_add(1, std::memory_order_relaxed); }
    // The store completes one key's writes in order, so the last completion is the latest blob.
    void completed(std::uint64_t d, bool durable) {
        digest.store(d, std::memory_order_relaxed);
        known.store(durable, std::memory_order_relaxed);
        in_flight.fetch_sub(1, std::memory_order_release);
    }
};

VirtualCpe::VirtualCpe(asio::io_context& ioc, CpeEnvironment& env, GatewayConfig gateway, http::Url gateway_url,
                       std::unique_ptr<cpe::Device> device, cpe::CpeState state, Transports transports)
    : strand_(asio::make_strand(ioc)),
      env_(env),
      gateway_(std::move(gateway)),
      device_(std::move(device)),
      state_(std::move(state)),
      agent_(gateway_.id, state_),
      cr_path_(state_.cr_path),
      acs_client_(strand_, net::ClientOptions{env.config.acs.timeout, env.config.acs.timeout, 4 * 1024 * 1024,
                                              env.config.acs.tls, "cmp-cwmp-bridge/0.1",
                                              /*bounded_idle=*/false}),
      gateway_client_(strand_, cmp::GatewayClientOptions{gateway_.id, gateway_url, gateway_.secret,
                                                         env.config.cmp.timeout, env.config.cmp.concurrency,
                                                         env.config.cmp.tls, gateway_.legacy_seed}),
      acs_(std::move(transports.acs)),
      gateway_transport_(std::move(transports.gateway)),
      gateway_url_(gateway_url.to_string()),
      gateway_host_(gateway_url.host + ":" + gateway_url.port),
      wake_(strand_),
      writes_(std::make_shared<WriteLedger>()) {
    cr_creds_ = {state_.cr_username, state_.cr_password};
    if (!acs_) acs_ = std::make_unique<HttpAcsTransport>(acs_client_);
    if (!gateway_transport_) gateway_transport_ = std::make_unique<CmpGatewayTransport>(gateway_client_);
    if (env_.sessions) slot_id_ = env_.sessions->next_id();
    observer_ = std::make_unique<CallLog>();
    observer_->id = gateway_.id;
    observer_->gateway = gateway_host_;
    gateway_client_.set_observer(observer_.get());
}

VirtualCpe::~VirtualCpe() = default;

void VirtualCpe::start(milliseconds spread) {
    asio::post(strand_, [self = shared_from_this(), spread] {
        self->device_->restore_state(self->state_.device_state);
        auto actions = self->agent_.start(now(), spread);
        // A new ConnectionRequestURL (url_base changed) is a value change the ACS
        // must hear about: it is the only way it learns how to reach the CPE.
        const std::string cr_param = self->device_->root() + "ManagementServer.ConnectionRequestURL";
        if (!self->state_.last_cr_url.empty() && self->state_.last_cr_url != self->cr_url())
            self->note_change(cr_param, self->cr_url());
        self->apply(std::move(actions));
    });
}

void VirtualCpe::stop() {
    // No new session or timer; a session in progress ends as it would (the
    // caller waits for in_session() to turn false, then stops the loop).
    asio::post(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->wake_.cancel();
        self->stop_waiting();
        if (!self->in_session_) self->acs_->close();
    });
}

void VirtualCpe::apply(cpe::Agent::Actions a) {
    for (auto& n : a.notes) core::log::info(gateway_.id, n);
    for (auto& w : a.warnings) core::log::warn(gateway_.id, w);
    if (a.online && online_.exchange(*a.online) != *a.online)
        core::log::info(gateway_.id, *a.online ? "gateway reachable" : "gateway unreachable");
    if (a.persist) persist();
    publish_status(a.wake_at);
    if (stopped_) return;
    if (a.reboot_gateway)
        asio::co_spawn(strand_, reboot_gateway(*a.reboot_gateway),
                       [self = shared_from_this()](std::exception_ptr e, bool ok) {
                           self->apply(self->agent_.reboot_done(!e && ok, now()));
                       });
    if (a.start_session) begin_session();
    arm_timer(a.wake_at);
}

void VirtualCpe::begin_session() {
    if (env_.sessions) {
        // A Connection Request waits ahead of periodic and boot sessions.
        const bool cr = agent_.events().contains("6 CONNECTION REQUEST");
        std::weak_ptr<VirtualCpe> weak = weak_from_this();
        auto grant = [weak, slots = env_.sessions.get()] {
            auto self = weak.lock();
            if (!self) return slots->release();  // gone meanwhile: the slot is the next one's
            asio::post(self->strand_, [self] {
                self->waiting_slot_ = false;
                self->holds_slot_ = true;
                // Stopped, dropped or handed over while waiting: its state (events
                // included) was stored as it was; nothing runs here any more.
                if (self->stopped_) return self->release_slot();
                self->launch_session();
            });
        };
        if (!env_.sessions->acquire(slot_id_, cr, std::move(grant))) {
            waiting_slot_ = true;
            return;
        }
        holds_slot_ = true;
    }
    launch_session();
}

void VirtualCpe::release_slot() {
    if (!std::exchange(holds_slot_, false)) return;
    env_.sessions->release();
}

void VirtualCpe::launch_session() {
    {
        in_session_ = true;
        asio::co_spawn(strand_, run_session(),
                       [self = shared_from_this()](std::exception_ptr e, cpe::Agent::SessionEnd end) {
                           self->in_session_ = false;
                           // Before the agent decides: a session it starts at once queues behind the waiting ones.
                           self->release_slot();
                           if (e) end.kind = cpe::Agent::SessionEnd::Kind::failed;
                           auto actions = self->agent_.session_ended(end, now());
                           self->end_recording(end);
                           self->apply(std::move(actions));
                           if (auto idle = std::exchange(self->on_idle_, nullptr)) idle();
                       });
    }
}

void VirtualCpe::stop_waiting() {
    if (!std::exchange(waiting_slot_, false)) return;
    // Not waiting any more in the queue: the grant is on its way and gives the slot back itself.
    env_.sessions->withdraw(slot_id_);
}

void VirtualCpe::hand_over(std::function<void(bool)> done) {
    asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
        self->stopped_ = true;
        self->wake_.cancel();
        self->stop_waiting();  // its events go to the replacement with the state
        auto flush = [self, done = std::move(done)]() mutable {
            asio::co_spawn(self->strand_, self->persist_durable(),
                           [self, done = std::move(done)](std::exception_ptr e, bool ok) {
                               // The replacement owns the state from here: this one writes nothing more.
                               self->dropped_ = true;
                               done(!e && ok);
                           });
        };
        if (self->in_session_) self->on_idle_ = std::move(flush);
        else flush();
    });
}

void VirtualCpe::arm_timer(cpe::TimePoint at) {
    // One timer per CPE: each decision replaces the previous wake-up.
    const std::uint64_t generation = ++wake_generation_;
    wake_.expires_at(at);
    wake_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
        if (ec || self->stopped_ || generation != self->wake_generation_) return;
        self->apply(self->agent_.timer(now()));
    });
}

void VirtualCpe::request_session(std::string code, std::string key) {
    asio::post(strand_, [self = shared_from_this(), code = std::move(code), key = std::move(key)]() mutable {
        const bool cr = code == "6 CONNECTION REQUEST";
        self->apply(self->agent_.request_session(std::move(code), std::move(key), now()));
        // Waiting behind periodic sessions: the operator's request goes first.
        if (cr && self->waiting_slot_) self->env_.sessions->raise(self->slot_id_);
    });
}

void VirtualCpe::note_change(const std::string& path, const std::string& value) {
    cpe::RpcHandler handler(local_context(), state_, agent_.events(), *device_);  // reads attributes only
    int notification = handler.notification_of(path);
    if (notification == 0) return;
    auto node = device_->describe(path);
    apply(agent_.value_changed({path, value, node ? node->type : "xsd:string"}, notification, now()));
}

void VirtualCpe::set_online(bool online) {
    if (online_.load() == online) return;
    asio::post(strand_, [self = shared_from_this(), online] { self->apply(self->agent_.set_online(online, now())); });
}

std::string VirtualCpe::cr_url() const { return env_.cr_url_base + "/" + cr_path_; }

cpe::CrTarget VirtualCpe::cr_target() const {
    std::lock_guard lock(cr_mutex_);
    return {gateway_.id, cr_creds_.first, cr_creds_.second, online_.load()};
}

void VirtualCpe::attach_recorder(cmp::CallObserver* recorder) { observer_->recorder = recorder; }

void VirtualCpe::publish_credentials() {
    std::lock_guard lock(cr_mutex_);
    cr_creds_ = {state_.cr_username, state_.cr_password};
}

cpe::LocalContext VirtualCpe::local_context() const {
    const auto& c = env_.config;
    return cpe::LocalContext{device_->root(), device_->model(), c.acs.url, c.acs.username, c.acs.password, cr_url(),
                             c.periodic_inform.enable, c.periodic_inform.interval_s};
}

// One failing store (disk full, database unreachable) fails every CPE's
// writes at once: limited per error code across all CPEs, each line still
// naming its gateway (core::log::error_grouped).
static void log_persist_failure(const std::string& id, const core::Error& e) {
    core::log::error_grouped("state", "store", e.code, id, "cannot persist state: " + e.message);
}

std::string VirtualCpe::state_blob() {
    state_.pending_events = agent_.events().pending();
    state_.device_state = device_->persistent_state();
    return cpe::encode_state(state_);
}

void VirtualCpe::persist() {
    if (dropped_) return;  // retire(): its state is being removed
    std::string blob = state_blob();
    const std::uint64_t digest = state::blob_digest(blob);
    if (writes_->holds(digest)) return;
    writes_->started();
    env_.store.save_async(gateway_.id, std::move(blob),
                          [id = gateway_.id, asked = steady_clock::now(), writes = writes_, digest](core::Status st) {
                              writes->completed(digest, st.ok());
                              observe_commit("background", asked);
                              if (!st) log_persist_failure(id, st.error());
                          });
}

asio::awaitable<bool> VirtualCpe::persist_durable(Write write) {
    if (dropped_) co_return false;  // retire(): nothing may be acknowledged any more
    const auto asked = steady_clock::now();
    std::string blob = state_blob();
    const std::uint64_t digest = state::blob_digest(blob);
    if (write == Write::if_changed && writes_->holds(digest)) co_return true;
    writes_->started();
    // Named, not a temporary in the co_await: GCC 12 destroys captured
    // temporaries of a co_await expression twice.
    auto save = [this, blob = std::move(blob), digest](auto done) mutable {
        env_.store.save_async(gateway_.id, std::move(blob),
                              [writes = writes_, digest, done = std::move(done)](core::Status st) mutable {
                                  // Before the session can go on and decide on the next write.
                                  writes->completed(digest, st.ok());
                                  done(std::move(st));
                              });
    };
    core::Status st = co_await async_from_callback<core::Status>(std::move(save), asio::use_awaitable);
    observe_commit("durable", asked);
    if (!st) log_persist_failure(gateway_.id, st.error());
    co_return st.ok();
}

void VirtualCpe::replay_session(std::uint32_t retry_count, std::vector<cwmp::ParameterValue> changed,
                                std::function<void(bool)> done) {
    // The recorded state already holds this session's events: no restart semantics.
    auto session = [self = shared_from_this(), retry_count,
                    changed = std::move(changed)]() -> asio::awaitable<cpe::Agent::SessionEnd> {
        self->device_->restore_state(self->state_.device_state);
        self->agent_.load_for_replay(retry_count, changed);
        co_return co_await self->run_session();
    };
    asio::co_spawn(strand_, std::move(session),
                   [self = shared_from_this(), done = std::move(done)](std::exception_ptr e, cpe::Agent::SessionEnd end) {
                       // Only the session: its effects on the schedule are not part of a replay.
                       self->stopped_ = true;
                       auto actions = self->agent_.session_ended(end, now());
                       self->end_recording(end);
                       self->apply(std::move(actions));
                       done(!e && end.kind == cpe::Agent::SessionEnd::Kind::done);
                   });
}

}  // namespace app

// VirtualCpe: life cycle, the thread-safe hooks, timers (periodic, scheduled,
// retry, reboot wait, transfer timeout) and persistence. The session itself is
// in virtual_cpe_session.cpp.
#include "bridge/app/virtual_cpe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cpe/value_syntax.hpp"
#include "bridge/cwmp/periodic.hpp"
#include "bridge/cwmp/retry.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

namespace {

std::int64_t to_unix(system_clock::time_point t) { return duration_cast<seconds>(t.time_since_epoch()).count(); }
system_clock::time_point from_unix(std::int64_t s) { return system_clock::time_point(seconds(s)); }

}  // namespace

// Logs each CMP exchange of a CPE (the demo shows these lines) and passes it
// on to the recorder of the session in progress, if any.
struct VirtualCpe::CallLog : cmp::CallObserver {
    std::string id;
    cmp::CallObserver* recorder = nullptr;
    void on_call(const cmp::Request& req, const std::string& req_xml, const core::Result<cmp::Response>& res,
                 const std::string& res_xml, milliseconds elapsed) override {
        if (res)
            core::log::info(id, "CMP " + req.function + " -> resultCode " + std::to_string(res->result_code) + " (" +
                                    std::to_string(res->fields.fields.size()) + " fields, " +
                                    std::to_string(elapsed.count()) + " ms)");
        else
            core::log::warn(id, "CMP " + req.function + " failed: " + res.error().message);
        if (recorder) recorder->on_call(req, req_xml, res, res_xml, elapsed);
    }
};

VirtualCpe::VirtualCpe(asio::io_context& ioc, CpeEnvironment& env, GatewayConfig gateway, http::Url gateway_url,
                       std::unique_ptr<cpe::Device> device, cpe::CpeState state, Transports transports)
    : strand_(asio::make_strand(ioc)),
      env_(env),
      gateway_(std::move(gateway)),
      device_(std::move(device)),
      state_(std::move(state)),
      cr_path_(state_.cr_path),
      acs_client_(strand_, net::ClientOptions{env.config.acs.timeout, env.config.acs.timeout, 4 * 1024 * 1024,
                                              env.config.acs.tls, "cmp-cwmp-bridge/0.1"}),
      gateway_client_(strand_, cmp::GatewayClientOptions{gateway_.id, gateway_url, gateway_.secret,
                                                         env.config.cmp.timeout, env.config.cmp.concurrency,
                                                         env.config.cmp.tls, gateway_.legacy_seed}),
      acs_(std::move(transports.acs)),
      gateway_transport_(std::move(transports.gateway)),
      gateway_url_(gateway_url.to_string()),
      wake_(strand_),
      rng_(static_cast<std::mt19937::result_type>(cwmp::stable_hash(gateway_.id))) {
    cr_creds_ = {state_.cr_username, state_.cr_password};
    if (!acs_) acs_ = std::make_unique<HttpAcsTransport>(acs_client_);
    if (!gateway_transport_) gateway_transport_ = std::make_unique<CmpGatewayTransport>(gateway_client_);
    observer_ = std::make_unique<CallLog>();
    observer_->id = gateway_.id;
    gateway_client_.set_observer(observer_.get());
}

VirtualCpe::~VirtualCpe() = default;

void VirtualCpe::start() {
    asio::co_spawn(strand_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void VirtualCpe::stop() {
    asio::post(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->wake_.cancel();
        self->acs_->close();
    });
}

void VirtualCpe::wake() { wake_.cancel(); }

void VirtualCpe::request_session(std::string code, std::string key) {
    asio::post(strand_, [self = shared_from_this(), code = std::move(code), key = std::move(key)]() mutable {
        if (code == "1 BOOT") {
            // The gateway rebooted. A Reboot deferred during its upgrade is done now.
            if (self->state_.deferred_reboot) {
                self->events_.add("M Reboot", *self->state_.deferred_reboot);
                self->state_.deferred_reboot.reset();
            }
            if (cpe::firmware_upgrade_in_progress(self->state_))
                self->boot_hold_until_ = system_clock::now() + kUpgradeResultWait;
        }
        self->events_.add(std::move(code), std::move(key));
        self->session_wanted_ = true;
        // Whoever asks (a registering gateway, an authenticated Connection
        // Request) ends the wait for a rebooting gateway.
        self->reboot_wait_until_ = {};
        self->persist();
        self->wake();
    });
}

void VirtualCpe::value_changed(std::string path, std::string value) {
    asio::post(strand_, [self = shared_from_this(), path = std::move(path), value = std::move(value)] {
        self->note_change(path, value);
    });
}

void VirtualCpe::note_change(const std::string& path, const std::string& value) {
    cwmp::EventQueue scratch;  // notification_of() reads attributes only
    cpe::RpcHandler handler(local_context(), state_, scratch, *device_);
    int notification = handler.notification_of(path);
    if (notification == 0) return;
    auto node = device_->describe(path);
    changed_[path] = Changed{{path, value, node ? node->type : "xsd:string"}, ++change_stamp_};
    // Both kinds put VALUE CHANGE in the Inform that carries the value
    // (TR-069 3.7.1.5); only active notification asks for that Inform now.
    events_.add("4 VALUE CHANGE");
    if (notification == 2) {
        session_wanted_ = true;
        wake();
    }
    persist();
}

void VirtualCpe::finish_transfer(cpe::Transfer& t, cwmp::FaultStruct fault, std::string start, std::string complete) {
    t.completed = true;
    t.result.fault = std::move(fault);
    t.result.start_time = start.empty() ? std::string(cwmp::kUnknownTime) : std::move(start);
    t.result.complete_time = complete.empty() ? std::string(cwmp::kUnknownTime) : std::move(complete);
    core::log::info(gateway_.id, t.method + " '" + t.result.command_key + "' finished with fault code " +
                                     std::to_string(t.result.fault.code));
    session_wanted_ = true;
    persist();
    wake();
}

void VirtualCpe::transfer_complete(std::string key, cwmp::FaultStruct fault, std::string start, std::string complete) {
    asio::post(strand_, [self = shared_from_this(), key = std::move(key), fault = std::move(fault),
                         start = std::move(start), complete = std::move(complete)]() mutable {
        for (auto& t : self->state_.transfers)
            if (!t.completed && t.result.command_key == key)
                return self->finish_transfer(t, std::move(fault), std::move(start), std::move(complete));
        core::log::warn(self->gateway_.id, "transfer result for unknown CommandKey '" + key + "' ignored");
    });
}

void VirtualCpe::transfer_complete_oldest(std::string method, cwmp::FaultStruct fault, std::string start,
                                          std::string complete) {
    asio::post(strand_, [self = shared_from_this(), method = std::move(method), fault = std::move(fault),
                         start = std::move(start), complete = std::move(complete)]() mutable {
        for (auto& t : self->state_.transfers)
            if (!t.completed && t.method == method)
                return self->finish_transfer(t, std::move(fault), std::move(start), std::move(complete));
        core::log::warn(self->gateway_.id, method + " result without a transfer in progress ignored");
    });
}

void VirtualCpe::set_online(bool online) {
    bool was = online_.exchange(online);
    if (was == online) return;
    core::log::info(gateway_.id, online ? "gateway reachable" : "gateway unreachable");
    if (online)
        asio::post(strand_, [self = shared_from_this()] {
            if (self->has_work()) self->session_wanted_ = true;
            self->wake();
        });
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

bool VirtualCpe::persist() {
    state_.pending_events = events_.pending();
    state_.device_state = device_->persistent_state();
    auto st = env_.store.save(gateway_.id, cpe::serialize(state_));
    if (!st) core::log::error(gateway_.id, "cannot persist state: " + st.error().message);
    return st.ok();
}

bool VirtualCpe::has_work() const {
    if (!events_.empty()) return true;
    for (auto& t : state_.transfers)
        if (t.completed) return true;
    return false;
}

void VirtualCpe::schedule_periodic() {
    std::optional<std::int64_t> reference;
    if (!cpe::is_unknown_time(state_.periodic_time)) reference = cpe::parse_date_time(state_.periodic_time);
    next_periodic_ = from_unix(cwmp::next_periodic_inform(to_unix(system_clock::now()), state_.periodic_interval,
                                                          reference, cwmp::stable_hash(gateway_.id)));
}

void VirtualCpe::restore() {
    // Restart semantics (TR-069 3.7.1.5): only some events survive; the
    // virtual CPE itself has (re)booted.
    events_ = cwmp::EventQueue{};
    for (auto& e : state_.pending_events) events_.add(e.event_code, e.command_key);
    events_.restarted();
    if (!state_.bootstrapped) events_.add("0 BOOTSTRAP");
    events_.add("1 BOOT");
    device_->restore_state(state_.device_state);
    // A new ConnectionRequestURL (url_base changed) is a value change the ACS
    // must hear about: it is the only way it learns how to reach the CPE.
    const std::string cr_param = device_->root() + "ManagementServer.ConnectionRequestURL";
    if (!state_.last_cr_url.empty() && state_.last_cr_url != cr_url()) note_change(cr_param, cr_url());
    persist();
    schedule_periodic();
}

void VirtualCpe::replay_session(std::uint32_t retry_count, std::vector<cwmp::ParameterValue> changed,
                                std::function<void(bool)> done) {
    // The recorded state already holds this session's events: no restore().
    auto session = [self = shared_from_this(), retry_count, changed = std::move(changed)]() -> asio::awaitable<bool> {
        self->events_ = cwmp::EventQueue{};
        for (auto& e : self->state_.pending_events) self->events_.add(e.event_code, e.command_key);
        self->device_->restore_state(self->state_.device_state);
        for (auto& c : changed) self->changed_[c.name] = Changed{c, ++self->change_stamp_};
        self->retry_count_ = retry_count;
        co_return co_await self->run_session();
    };
    asio::co_spawn(strand_, std::move(session),
                   [done = std::move(done)](std::exception_ptr e, bool ok) { done(!e && ok); });
}

void VirtualCpe::fire_timers(system_clock::time_point now) {
    const std::int64_t now_unix = to_unix(now);
    bool dirty = false;
    for (auto it = state_.scheduled_informs.begin(); it != state_.scheduled_informs.end();) {
        if (it->due_unix > now_unix) {
            ++it;
            continue;
        }
        events_.add("3 SCHEDULED");
        events_.add("M ScheduleInform", it->command_key);
        it = state_.scheduled_informs.erase(it);
        session_wanted_ = dirty = true;
    }
    if (state_.periodic_enable && now >= next_periodic_) {
        events_.add("2 PERIODIC");
        schedule_periodic();
        session_wanted_ = dirty = true;
    }
    const std::int64_t timeout = duration_cast<seconds>(kTransferTimeout).count();
    for (auto& t : state_.transfers)
        if (!t.completed && now_unix - t.accepted_unix >= timeout) {
            // 9010 (download) / 9011 (upload): the transfer failed as far as anyone can tell.
            std::uint32_t code = t.method == "Upload" ? 9011 : 9010;
            finish_transfer(t, {code, "the gateway did not report the transfer's result in time"}, "", "");
            dirty = true;
        }
    if (dirty) persist();
}

asio::awaitable<void> VirtualCpe::run() {
    restore();
    session_wanted_ = true;
    while (!stopped_) {
        auto now = system_clock::now();
        fire_timers(now);
        bool due = session_wanted_ || (retry_at_ && now >= *retry_at_);
        if (state_.deferred_reboot && !cpe::firmware_upgrade_in_progress(state_) && now >= deferred_reboot_at_) {
            co_await carry_out_deferred_reboot();
            continue;
        }
        // After a Reboot the BOOT session waits for the gateway to be back;
        // after an upgrade's reboot, for the upgrade's result.
        const bool upgrade_hold = now < boot_hold_until_ && cpe::firmware_upgrade_in_progress(state_);
        bool held = (!online_ && now < reboot_wait_until_) || upgrade_hold;
        if (due && !held) {
            session_wanted_ = false;
            retry_at_.reset();
            if (!has_work()) continue;
            if (co_await run_session()) {
                retry_count_ = 0;
            } else if (!stopped_ && has_work()) {
                ++retry_count_;
                std::uniform_real_distribution<double> u(0.0, 1.0);
                auto delay = cwmp::retry_delay(retry_count_, u(rng_));
                if (retry_after_) delay = duration_cast<milliseconds>(*retry_after_);
                retry_after_.reset();
                core::log::info(gateway_.id, "session retry " + std::to_string(retry_count_) + " in " +
                                                 std::to_string(delay.count() / 1000.0) + " s");
                retry_at_ = system_clock::now() + delay;
            }
            continue;
        }
        // Sleep until the earliest deadline; an hour at most, so a wall-clock
        // jump is noticed.
        auto until = now + hours(1);
        if (state_.periodic_enable) until = std::min(until, next_periodic_);
        if (retry_at_) until = std::min(until, *retry_at_);
        if (!online_ && now < reboot_wait_until_) until = std::min(until, reboot_wait_until_);
        if (upgrade_hold) until = std::min(until, boot_hold_until_);
        if (state_.deferred_reboot && !cpe::firmware_upgrade_in_progress(state_))
            until = std::min(until, deferred_reboot_at_);
        for (auto& s : state_.scheduled_informs) until = std::min(until, from_unix(s.due_unix));
        for (auto& t : state_.transfers)
            if (!t.completed) until = std::min(until, from_unix(t.accepted_unix) + kTransferTimeout);
        wake_.expires_after(std::max(milliseconds(0), duration_cast<milliseconds>(until - now)));
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace app

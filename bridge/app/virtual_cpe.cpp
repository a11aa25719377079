#include "bridge/app/virtual_cpe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cwmp/cpe_session.hpp"
#include "bridge/cwmp/retry.hpp"
#include "bridge/mapping/table_device.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

namespace {

std::string join_events(const std::vector<cwmp::EventStruct>& ev) {
    std::string s;
    for (auto& e : ev) {
        if (!s.empty()) s += ", ";
        s += e.event_code;
        if (!e.command_key.empty()) s += " (" + e.command_key + ")";
    }
    return s;
}

std::string describe(const cwmp::Body& b) {
    std::string name(cwmp::rpc_name(b));
    if (auto* gpv = std::get_if<cwmp::GetParameterValues>(&b)) {
        name += " [";
        for (std::size_t i = 0; i < gpv->names.size(); ++i) name += (i ? ", " : "") + gpv->names[i];
        name += "]";
    } else if (auto* r = std::get_if<cwmp::GetParameterValuesResponse>(&b)) {
        name += " (" + std::to_string(r->parameters.size()) + " values)";
    } else if (auto* f = std::get_if<cwmp::Fault>(&b)) {
        name += " " + std::to_string(f->code) + " \"" + f->string + "\"";
    }
    return name;
}

// Logs each CMP exchange of a CPE: the demo shows these lines.
struct LoggingObserver : cmp::CallObserver {
    std::string id;
    void on_call(const cmp::Request& req, const std::string&, const core::Result<cmp::Response>& res,
                 const std::string&, milliseconds elapsed) override {
        if (res)
            core::log::info(id, "CMP " + req.function + " -> resultCode " + std::to_string(res->result_code) + " (" +
                                    std::to_string(res->fields.fields.size()) + " fields, " +
                                    std::to_string(elapsed.count()) + " ms)");
        else
            core::log::warn(id, "CMP " + req.function + " failed: " + res.error().message);
    }
};

}  // namespace

VirtualCpe::VirtualCpe(asio::io_context& ioc, CpeEnvironment& env, GatewayConfig gateway, http::Url gateway_url,
                       std::shared_ptr<const mapping::Table> table, cpe::CpeState state)
    : strand_(asio::make_strand(ioc)),
      env_(env),
      gateway_(std::move(gateway)),
      table_(std::move(table)),
      device_(std::make_unique<mapping::TableDevice>(table_)),
      state_(std::move(state)),
      acs_client_(strand_, net::ClientOptions{env.config.acs.timeout, env.config.acs.timeout, 4 * 1024 * 1024,
                                              env.config.acs.tls, "cmp-cwmp-bridge/0.1"}),
      gateway_client_(strand_, cmp::GatewayClientOptions{gateway_.id, std::move(gateway_url), gateway_.secret,
                                                         env.config.cmp.timeout, env.config.cmp.concurrency,
                                                         env.config.cmp.tls}),
      wake_(strand_),
      rng_(std::hash<std::string>{}(gateway_.id)) {
    cr_creds_ = {state_.cr_username, state_.cr_password};
    auto observer = std::make_unique<LoggingObserver>();
    observer->id = gateway_.id;
    gateway_client_.set_observer(observer.get());
    observer_ = std::move(observer);
}

VirtualCpe::~VirtualCpe() = default;

void VirtualCpe::start() {
    asio::co_spawn(strand_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void VirtualCpe::stop() {
    asio::post(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->wake_.cancel();
        self->acs_client_.close();
    });
}

void VirtualCpe::request_session(std::string code, std::string key) {
    asio::post(strand_, [self = shared_from_this(), code = std::move(code), key = std::move(key)]() mutable {
        self->events_.add(std::move(code), std::move(key));
        self->session_wanted_ = true;
        self->persist();
        self->wake_.cancel();
    });
}

std::pair<std::string, std::string> VirtualCpe::cr_credentials() const {
    std::lock_guard lock(cr_mutex_);
    return cr_creds_;
}

std::string VirtualCpe::cr_url() const { return env_.cr_url_base + "/" + state_.cr_path; }

void VirtualCpe::persist() {
    state_.pending_events = events_.pending();
    auto st = env_.store.save(gateway_.id, cpe::serialize(state_));
    if (!st) core::log::error(gateway_.id, "cannot persist state: " + st.error().message);
}

void VirtualCpe::schedule_periodic() {
    // Phase-spread by gateway id so a fleet started together does not inform together.
    auto interval = seconds(std::max<std::uint32_t>(1, state_.periodic_interval));
    auto phase = seconds(std::hash<std::string>{}(gateway_.id) % static_cast<std::size_t>(interval.count()));
    next_periodic_ = steady_clock::now() + (phase.count() ? phase : interval);
}

asio::awaitable<void> VirtualCpe::run() {
    // Restart semantics (TR-069 3.7.1.5): only some events survive; the
    // virtual CPE itself has (re)booted.
    events_ = cwmp::EventQueue{};
    for (auto& e : state_.pending_events) events_.add(e.event_code, e.command_key);
    events_.restarted();
    if (!state_.bootstrapped) events_.add("0 BOOTSTRAP");
    events_.add("1 BOOT");
    persist();
    schedule_periodic();

    std::optional<steady_clock::time_point> retry_at = steady_clock::now();
    while (!stopped_) {
        auto now = steady_clock::now();
        if (state_.periodic_enable && now >= next_periodic_) {
            events_.add("2 PERIODIC");
            next_periodic_ = now + seconds(std::max<std::uint32_t>(1, state_.periodic_interval));
            session_wanted_ = true;
        }
        if (session_wanted_ || (retry_at && now >= *retry_at)) {
            session_wanted_ = false;
            retry_at.reset();
            if (co_await run_session()) {
                retry_count_ = 0;
            } else if (!stopped_) {
                ++retry_count_;
                std::uniform_real_distribution<double> u(0.0, 1.0);
                auto delay = cwmp::retry_delay(retry_count_, u(rng_));
                if (retry_after_) delay = duration_cast<milliseconds>(*retry_after_);
                retry_after_.reset();
                core::log::info(gateway_.id, "session retry " + std::to_string(retry_count_) + " in " +
                                                 std::to_string(delay.count() / 1000.0) + " s");
                retry_at = steady_clock::now() + delay;
            }
            continue;
        }
        auto wake_at = state_.periodic_enable ? next_periodic_ : steady_clock::time_point::max();
        if (retry_at && *retry_at < wake_at) wake_at = *retry_at;
        wake_.expires_at(wake_at);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

template <class T>
asio::awaitable<cpe::Outcome<T>> VirtualCpe::run_step(cpe::Step<T> step) {
    while (!step.done) {
        cpe::CallResults results;
        results.reserve(step.calls.size());
        for (auto& call : step.calls) results.push_back(co_await gateway_client_.call(std::move(call)));
        step = step.resume(std::move(results));
    }
    co_return std::move(*step.done);
}

asio::awaitable<core::Result<cwmp::Inform>> VirtualCpe::build_inform() {
    const std::string root = table_->root();
    const std::string di = root + "DeviceInfo.";
    cpe::LocalContext local{state_, root, table_->model(), env_.config.acs.url, env_.config.acs.username, cr_url()};
    std::vector<std::string> id_names = {di + "Manufacturer", di + "ManufacturerOUI", di + "ProductClass",
                                         di + "SerialNumber"};
    std::vector<std::string> names = id_names;
    for (auto extra : {"HardwareVersion", "SoftwareVersion", "ProvisioningCode"})
        if (table_->find(di + extra)) names.push_back(di + extra);
    for (auto* r : table_->under(root + "WANDevice."))
        if (r->path.ends_with(".ExternalIPAddress")) {
            names.push_back(r->path);
            break;
        }
    for (auto& n : id_names)
        if (!table_->find(n)) co_return core::make_error("inform.unmapped", "mapping lacks " + n + " (needed for the DeviceId)");

    cpe::RpcHandler handler(local, *device_);
    auto outcome = co_await run_step(handler.get_values(names));
    if (auto* f = std::get_if<cwmp::Fault>(&outcome)) co_return core::make_error("inform.gateway", f->string);
    const auto& values = std::get<0>(outcome);
    auto value_of = [&](const std::string& n) -> std::string {
        for (auto& v : values)
            if (v.name == n) return v.value;
        return {};
    };
    cwmp::Inform inform;
    inform.device_id = {value_of(di + "Manufacturer"), value_of(di + "ManufacturerOUI"), value_of(di + "ProductClass"),
                        value_of(di + "SerialNumber")};
    state_.device_id = inform.device_id;
    inform.events = events_.pending();
    inform.max_envelopes = 1;
    inform.current_time = core::now_utc();
    inform.retry_count = retry_count_;
    // Forced Inform parameters (TR-098 / TR-106 "Forced Inform" list).
    for (auto& l : cpe::local_parameters(local))
        if (l.path.ends_with("DeviceSummary") || l.path.ends_with("ConnectionRequestURL") ||
            l.path.ends_with("ManagementServer.ParameterKey"))
            inform.parameters.push_back({l.path, l.value, l.type});
    for (auto& v : values)
        if (std::find(id_names.begin(), id_names.end(), v.name) == id_names.end()) inform.parameters.push_back(v);
    std::stable_sort(inform.parameters.begin(), inform.parameters.end(),
                     [](const cwmp::ParameterValue& a, const cwmp::ParameterValue& b) { return a.name < b.name; });
    co_return inform;
}

asio::awaitable<bool> VirtualCpe::run_session() {
    if (events_.empty()) events_.add("2 PERIODIC");
    auto inform = co_await build_inform();
    if (!inform) {
        core::log::warn(gateway_.id, "no session: " + inform.error().message);
        co_return false;
    }
    auto acs_url = http::Url::parse(state_.acs_url.empty() ? env_.config.acs.url : state_.acs_url);
    if (!acs_url) {
        core::log::error(gateway_.id, "bad ACS URL: " + acs_url.error().message);
        co_return false;
    }
    core::log::info(gateway_.id, "session: Inform [" + join_events(inform->events) + "] to " + acs_url->to_string());
    cwmp::SessionConfig sc;
    sc.acs_url = *acs_url;
    sc.username = env_.config.acs.username;
    sc.password = env_.config.acs.password;
    sc.version = env_.config.acs.cwmp_version;
    cwmp::CpeSession session(sc, *inform);
    cwmp::Action action = session.start();
    cpe::LocalContext local{state_, table_->root(), table_->model(), env_.config.acs.url, env_.config.acs.username,
                            cr_url()};
    for (;;) {
        switch (action.kind) {
            case cwmp::Action::Kind::send: {
                auto res = co_await acs_client_.send(action.url, std::move(action.request));
                action = res ? session.on_response(*res) : session.on_transport_error(res.error().message);
                break;
            }
            case cwmp::Action::Kind::call_device: {
                const cwmp::Body& req = action.acs_request.body;
                core::log::info(gateway_.id, "ACS -> " + describe(req));
                cpe::RpcHandler handler(local, *device_);
                auto outcome = co_await run_step(handler.handle(req));
                cwmp::Body answer = std::holds_alternative<cwmp::Fault>(outcome)
                                        ? cwmp::Body(std::get<cwmp::Fault>(std::move(outcome)))
                                        : std::get<cwmp::Body>(std::move(outcome));
                core::log::info(gateway_.id, "ACS <- " + describe(answer));
                action = session.on_device_answer(std::move(answer));
                break;
            }
            case cwmp::Action::Kind::done:
            case cwmp::Action::Kind::failed: {
                bool ok = action.kind == cwmp::Action::Kind::done;
                if (session.inform_acknowledged()) {
                    if (events_.contains("0 BOOTSTRAP")) state_.bootstrapped = true;
                    events_.delivered(inform->events);
                } else {
                    events_.session_failed();
                }
                if (ok) {
                    core::log::info(gateway_.id, "session done (" + std::to_string(session.acs_requests_served()) +
                                                     " ACS requests)");
                } else {
                    core::log::warn(gateway_.id, "session failed: " + action.error);
                    retry_after_ = action.retry_after;
                    acs_client_.close();
                }
                persist();
                co_return ok;
            }
        }
    }
}

}  // namespace app

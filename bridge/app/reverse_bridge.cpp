#include "bridge/app/reverse_bridge.hpp"

#include <openssl/evp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <filesystem>

#include "bridge/app/acs_credentials.hpp"
#include "bridge/app/reverse_recording.hpp"
#include "bridge/app/async_callback.hpp"
#include "bridge/app/reverse_state.hpp"
#include "bridge/state/sqlite_store.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/http/url.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

namespace {

const std::string* param(const acs::CpeRecord& cpe, std::string_view suffix) {
    for (const auto& p : cpe.inform_parameters)
        if (p.name.size() > suffix.size() && p.name.compare(p.name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return &p.value;
    return nullptr;
}

bool has_event(const cwmp::Inform& inform, std::string_view code) {
    for (const auto& e : inform.events)
        if (e.event_code == code) return true;
    return false;
}

}  // namespace

ReverseBridge::ReverseBridge(asio::io_context& ioc, ReverseConfig config, std::string state_dir)
    : ioc_(ioc), config_(std::move(config)), state_dir_(std::move(state_dir)) {}

ReverseBridge::~ReverseBridge() = default;

std::string ReverseBridge::gateway_id(const std::string& cpe_id) {
    if (cpe_id.size() <= 64) return cpe_id;
    // The profile's rgId is at most 64 characters: keep a readable head and
    // make it unique with a hash of the whole id.
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(cpe_id.data(), cpe_id.size(), md, &len, EVP_sha256(), nullptr);
    std::string tail;
    char hex[3];
    for (unsigned i = 0; i < 8; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", md[i]);
        tail += hex;
    }
    return cpe_id.substr(0, 64 - 17) + "~" + tail;
}

core::Status ReverseBridge::start() {
    for (const auto& [key, file] : config_.mappings) {
        auto table = mapping::Table::load_file(file);
        if (!table) return core::make_error("config.mapping", "reverse.mappings." + key + ": " + table.error().message);
        // "Device:2" must name a table presenting Device:2.x; "Device" any Device table.
        const std::string& model = (*table)->model();
        const bool fits = key.find(':') == std::string::npos ? (*table)->root() == key + "."
                                                              : model.compare(0, key.size() + 1, key + ".") == 0;
        if (!fits)
            return core::make_error("config.mapping", "reverse.mappings." + key + ": " + file + " presents " + model +
                                                          ", not " + key);
        auto m = mapping::ReverseMapping::make(*table);
        // Rules that cannot be read back are answered without their field; say which once.
        for (const auto& d : m->diagnostics())
            core::log::debug("reverse", file + ": " + d.message);
        if (!m->diagnostics().empty())
            core::log::info("reverse", file + ": " + std::to_string(m->diagnostics().size()) +
                                           " rules cannot be read the other way (validate --reverse lists them)");
        mappings_[key] = std::move(m);
    }
    auto credentials = load_acs_credentials(config_.acs.credentials_file);
    if (!credentials) return credentials.error();
    credentials_ = *credentials;

    AcsServerConfig ac;
    ac.listen = config_.acs.listen;
    ac.tls = config_.acs.tls;
    ac.credentials = *credentials;
    ac.allow_basic = config_.acs.allow_basic;
    ac.session_timeout = config_.acs.session_timeout;
    ac.connection_request_timeout = config_.acs.connection_request_timeout;
    ac.connection_request_tls = config_.acs.connection_request_tls;
    ac.missed_informs = config_.acs.missed_informs;
    ac.max_connections = config_.acs.max_connections;
    ac.max_connections_per_source = config_.acs.max_connections_per_source;
    for (const auto& [root, m] : mappings_)
        for (auto& path : m->watch_paths()) ac.watch.push_back(std::move(path));
    acs_ = std::make_unique<AcsServer>(ioc_, std::move(ac), this);
    acs_->record(recorder_);

    auto homs = http::Url::parse(config_.homs.url);
    if (!homs) return core::make_error("config.invalid", "reverse.homs.url: " + homs.error().message);
    CmpAgentsOptions co;
    co.homs_url = *homs;
    co.timeout = config_.homs.timeout;
    co.tls = config_.homs.tls;
    co.start_spread = duration_cast<milliseconds>(config_.homs.start_spread);
    agents_ = std::make_unique<CmpAgents>(ioc_, std::move(co));

    CmpAgentServerOptions so;
    so.listen = config_.agent.listen;
    so.tls = config_.agent.tls;
    so.require_auth = config_.homs.require_auth;
    so.advertise_base = config_.agent.url_base;
    auto keys = [agents = agents_.get()](std::string_view rg) { return agents->keys(rg); };
    auto handler = [this](std::string rg, cmp::Request req) { return answer(std::move(rg), std::move(req)); };
    agent_server_ = std::make_unique<CmpAgentServer>(ioc_, std::move(so), keys, handler);
    if (auto st = agent_server_->listen(); !st) return st;
    if (auto st = restore_devices(); !st) return st;
    if (auto st = acs_->start(); !st) return st;
    core::log::info("reverse", "ACS for TR-069 CPEs on " + config_.acs.listen + " (port " + std::to_string(acs_port()) +
                                   "), CMP agents on port " + std::to_string(agent_port()) + " for HOMS " +
                                   config_.homs.url);
    return core::Ok{};
}

void ReverseBridge::stop() {
    stopping_ = true;
    if (agents_) agents_->stop("shutdown");
    if (agent_server_) agent_server_->stop();
    if (acs_) acs_->stop();
}

unsigned short ReverseBridge::acs_port() const { return acs_ ? acs_->port() : 0; }
unsigned short ReverseBridge::agent_port() const { return agent_server_ ? agent_server_->port() : 0; }
std::size_t ReverseBridge::open_sessions() const {
    std::size_t n = acs_ ? acs_->open_sessions() : 0;
    if (stopping_ && agents_) n += agents_->size();
    return n;
}

std::string ReverseBridge::secret_for(const std::string& rg_id) const {
    if (!config_.homs.registration_secret.empty())
        return cmp::derive_gateway_secret(config_.homs.registration_secret, rg_id);
    return config_.homs.secret;
}

cmp::AgentIdentity ReverseBridge::identity_of(const acs::CpeRecord& cpe, const std::string& rg_id) const {
    cmp::AgentIdentity id;
    id.manufacturer = cpe.device_id.manufacturer;
    id.oui = cpe.device_id.oui;
    id.product_class = cpe.device_id.product_class;
    id.serial_number = cpe.device_id.serial_number;
    // TR-098/TR-181 Inform parameters (forced ones always come; ModelName only
    // in newer models): what is missing is announced as the closest known value.
    const std::string* model = param(cpe, "DeviceInfo.ModelName");
    id.model_name = model ? *model : cpe.device_id.product_class;
    const std::string* hw = param(cpe, "DeviceInfo.HardwareVersion");
    const std::string* sw = param(cpe, "DeviceInfo.SoftwareVersion");
    id.hw_version = hw ? *hw : "";
    id.sw_version = sw ? *sw : "";
    const std::string* ip = param(cpe, ".ExternalIPAddress");
    if (!ip) ip = param(cpe, ".IPv4Address.1.IPAddress");
    if (ip && !ip->empty()) {
        id.ip_addr = *ip;
    } else if (auto u = http::Url::parse(cpe.connection_request_url)) {
        id.ip_addr = u->host;  // where the CPE listens is where it is
    }
    id.ctrl_url = agent_server_->ctrl_url(rg_id);
    return id;
}

std::shared_ptr<ReverseBridge::Device> ReverseBridge::device(std::string_view rg_id) const {
    std::lock_guard lock(mutex_);
    auto it = devices_.find(rg_id);
    return it == devices_.end() ? nullptr : it->second;
}

void ReverseBridge::record_inform(const acs::CpeRecord& cpe, const std::string& rg, Device* d,
                                  const mapping::ReverseMapping& m) {
    if (!d) return recorder_->inform_seen(cpe.id, rg, m.table(), mapping::ReverseEventState{});
    std::lock_guard lock(d->mutex);
    recorder_->inform_seen(cpe.id, rg, m.table(), d->events);
}

void ReverseBridge::send(const Device& d, std::vector<cmp::Request> messages) {
    if (recorder_) recorder_->to_homs(d.cpe_id, messages);
    for (auto& m : messages) {
        m.header.rg_id = d.rg_id;
        core::log::debug(d.rg_id, "to HOMS: " + m.function);
        agents_->notify(d.rg_id, std::move(m));
    }
}

core::Status ReverseBridge::restore_devices() {
    std::error_code ec;
    std::filesystem::create_directories(state_dir_, ec);
    if (ec) return core::make_error("state.io", "cannot create state_dir " + state_dir_ + ": " + ec.message());
    auto store = state::SqliteStore::open(std::filesystem::path(state_dir_) / "reverse.db");
    if (!store) return store.error();
    store_ = std::move(*store);
    auto keys = store_->keys();
    if (!keys) return keys.error();
    std::size_t restored = 0;
    for (const auto& key : *keys) {
        auto blob = store_->load(key);
        if (!blob) return blob.error();
        if (!*blob) continue;
        auto st = decode_reverse_state(**blob);
        if (!st) {
            core::log::error("reverse", "stored CPE " + key + " not restored: " + st.error().message);
            continue;
        }
        auto m = mappings_.find(st->mapping);
        if (m == mappings_.end()) continue;  // its table is no longer configured
        auto d = std::make_shared<Device>();
        d->cpe_id = st->record.id;
        d->rg_id = st->rg_id;
        d->mapping = m->second;
        d->mapping_key = st->mapping;
        d->identity = st->identity;
        d->identity.ctrl_url = agent_server_->ctrl_url(d->rg_id);  // the listener may have moved
        if (auto ev = d->events.load(st->events); !ev)
            core::log::warn(d->rg_id, "its event state was not restored: " + ev.error().message);
        d->known = st->record;
        d->saved = **blob;
        acs_->restore(st->record);
        agents_->add(d->rg_id, d->identity, secret_for(d->rg_id));
        std::lock_guard lock(mutex_);
        devices_[d->rg_id] = std::move(d);
        ++restored;
    }
    if (restored)
        core::log::info("reverse", std::to_string(restored) + " CPEs known from before: their gateways register again");
    return core::Ok{};
}

void ReverseBridge::persist(Device& d, std::function<void(core::Status)> done) {
    ReverseCpeState s{d.known, d.rg_id, d.mapping_key, d.identity, d.events.save()};
    std::string blob = encode_reverse_state(s);
    if (blob == d.saved || !store_) {
        if (done) done(core::Ok{});
        return;
    }
    d.saved = blob;
    store_->save_async(reverse_state_key(d.cpe_id), std::move(blob),
                       [id = d.rg_id, done = std::move(done)](core::Status st) {
                           if (!st) core::log::error(id, "reverse CPE state not stored: " + st.error().message);
                           if (done) done(std::move(st));
                       });
}

asio::awaitable<core::Status> ReverseBridge::persist_durably(std::shared_ptr<Device> d) {
    auto start = [this, d](auto done) {
        std::lock_guard lock(d->mutex);
        persist(*d, std::move(done));
    };
    core::Status st = co_await async_from_callback<core::Status>(std::move(start), asio::use_awaitable);
    co_return st;
}

std::string ReverseBridge::mapping_key_for(const acs::CpeRecord& cpe) const {
    if (cpe.root.empty()) return {};
    const std::string root = cpe.root.substr(0, cpe.root.size() - 1);
    // The major version: DeviceSummary "Device:2.11[](Baseline:1)" (TR-106), else RootDataModelVersion "2.11" (TR-181).
    std::string major;
    if (const std::string* summary = param(cpe, ".DeviceSummary")) {
        auto colon = summary->find(':'), dot = summary->find('.');
        if (colon != std::string::npos && dot != std::string::npos && dot > colon + 1)
            major = summary->substr(colon + 1, dot - colon - 1);
    }
    if (major.empty())
        if (const std::string* v = param(cpe, ".RootDataModelVersion")) major = v->substr(0, v->find('.'));
    if (!major.empty() && mappings_.count(root + ":" + major)) return root + ":" + major;
    if (mappings_.count(root)) return root;
    return {};
}

void ReverseBridge::on_inform(const acs::CpeRecord& cpe, const cwmp::Inform& inform) {
    const std::string key = mapping_key_for(cpe);
    auto m = mappings_.find(key);
    if (m == mappings_.end()) {
        core::log::warn_from("reverse", cpe.id, "no table",
                             "CPE " + cpe.id + " presents " + (cpe.root.empty() ? "no data model" : cpe.root) +
                                 ": no reverse.mappings table for it, not presented to the HOMS");
        return;
    }
    const std::string rg = gateway_id(cpe.id);
    std::shared_ptr<Device> d = device(rg);
    if (recorder_) record_inform(cpe, rg, d.get(), *m->second);
    const bool boot = has_event(inform, "0 BOOTSTRAP") || has_event(inform, "1 BOOT");
    cmp::AgentIdentity identity = identity_of(cpe, rg);
    if (!d || d->mapping != m->second || cpe.came_back || boot || !(d->identity == identity)) {
        // First contact, a boot or new firmware: a (new) registration, as a gateway does after every boot.
        if (!d) {
            d = std::make_shared<Device>();
            d->cpe_id = cpe.id;
            d->rg_id = rg;
            std::lock_guard lock(mutex_);
            devices_[rg] = d;
        }
        bool first;
        {
            std::lock_guard lock(d->mutex);
            first = !d->mapping;
            d->mapping = m->second;
            d->mapping_key = key;
            d->identity = identity;
        }
        if (first || has_event(inform, "0 BOOTSTRAP")) provision_connection_request(cpe);
        // A boot of a known gateway registers it again (regRg, as gateways do
        // after every boot) and keeps what it still has to tell the HOMS.
        if (!(boot && agents_->rebooted(rg, identity))) agents_->add(rg, identity, secret_for(rg));
        core::log::info(rg, std::string(boot ? "CPE booted" : "CPE informed") + ": registering it with the HOMS");
    }
    if (const std::string* up = param(cpe, "DeviceInfo.UpTime")) {
        try {
            agents_->set_up_time(rg, static_cast<std::uint32_t>(std::stoul(*up)));
        } catch (...) {
        }
    }
    std::vector<std::string> reads;
    {
        std::lock_guard lock(d->mutex);
        // What a restart must not lose (reverse_state.hpp); the names are learnt again.
        d->known.id = cpe.id;
        d->known.device_id = cpe.device_id;
        d->known.root = cpe.root;
        d->known.version = cpe.version;
        d->known.connection_request_url = cpe.connection_request_url;
        d->known.periodic_interval = cpe.periodic_interval;
        d->known.last_inform = cpe.last_inform;
        reads = mapping::reverse_event_reads(*d->mapping, inform, d->events);
    }
    if (reads.empty()) {
        std::vector<cmp::Request> messages;
        {
            std::lock_guard lock(d->mutex);
            messages = mapping::reverse_events(*d->mapping, inform, d->events);
            persist(*d);
        }
        send(*d, std::move(messages));
        return;
    }
    // A host that just joined reports only Active: its other fields are read in
    // this same session before the HOMS is told.
    asio::co_spawn(ioc_, report_events(d, inform), asio::detached);
}

asio::awaitable<void> ReverseBridge::report_events(std::shared_ptr<Device> d, cwmp::Inform inform) {
    std::vector<std::string> reads;
    {
        std::lock_guard lock(d->mutex);
        reads = mapping::reverse_event_reads(*d->mapping, inform, d->events);
    }
    std::vector<cwmp::ParameterValue> values;
    cwmp::Body gpv = cwmp::GetParameterValues{std::move(reads)};
    auto r = co_await acs_->run(d->cpe_id, std::move(gpv), config_.acs.session_timeout);
    if (r && std::holds_alternative<cwmp::GetParameterValuesResponse>(*r)) {
        values = std::move(std::get<cwmp::GetParameterValuesResponse>(*r).parameters);
    } else {
        core::log::warn_from("reverse", d->rg_id, "event reads",
                             d->rg_id + ": the values an event message needs could not be read (" +
                                 (r ? std::string("CPE fault") : r.error().message) + "): sent without them");
    }
    std::vector<cmp::Request> messages;
    {
        std::lock_guard lock(d->mutex);
        messages = mapping::reverse_events(*d->mapping, inform, d->events, values);
        persist(*d);
    }
    send(*d, std::move(messages));
}

void ReverseBridge::provision_connection_request(const acs::CpeRecord& cpe) {
    http::Credentials cr = credentials_->connection_request(cpe.id);
    if (cr.username.empty() || cpe.root.empty()) return;
    cwmp::SetParameterValues spv;
    const std::string ms = cpe.root + "ManagementServer.";
    spv.parameters.push_back({ms + "ConnectionRequestUsername", cr.username, "xsd:string"});
    spv.parameters.push_back({ms + "ConnectionRequestPassword", cr.password, "xsd:string"});
    spv.parameter_key = "bridge:connection-request";
    if (recorder_) recorder_->queued(cpe.id, "connection-request credentials", spv, cpe.version);
    // Queued in the session the CPE has open now (the Observer runs right after the InformResponse).
    auto work = [this, id = cpe.id, rpc = cwmp::Body(std::move(spv))]() mutable -> asio::awaitable<void> {
        auto r = co_await acs_->run(id, std::move(rpc), config_.acs.session_timeout);
        if (!r) {
            core::log::warn_from("reverse", id, "cr credentials",
                                 id + ": could not set its Connection Request credentials: " + r.error().message);
        } else if (auto* f = std::get_if<cwmp::Fault>(&*r)) {
            core::log::warn_from("reverse", id, "cr credentials",
                                 id + ": refused its Connection Request credentials: fault " +
                                     std::to_string(f->code) + " " + f->string);
        } else {
            core::log::debug(id, "Connection Request credentials set");
        }
    };
    asio::co_spawn(ioc_, std::move(work), asio::detached);
}

void ReverseBridge::on_transfer_complete(const acs::CpeRecord& cpe, const cwmp::TransferComplete& tc) {
    auto d = device(gateway_id(cpe.id));
    if (!d) return;
    std::optional<cmp::Request> message;
    {
        std::lock_guard lock(d->mutex);
        message = mapping::reverse_transfer_complete(*d->mapping, tc, d->events);
    }
    if (message) send(*d, {std::move(*message)});
}

void ReverseBridge::on_gone(const acs::CpeRecord& cpe) {
    const std::string rg = gateway_id(cpe.id);
    if (!device(rg)) return;
    core::log::info(rg, "CPE stopped informing: deregistering its gateway");
    agents_->remove(rg, "CPE stopped informing");
}

asio::awaitable<cmp::Response> ReverseBridge::answer(std::string rg_id, cmp::Request request) {
    std::shared_ptr<Device> d = device(rg_id);
    if (!d) co_return cmp::make_response(request, cmp::result_code::unauthorized, "unknown gateway");
    const auto deadline = steady_clock::now() + config_.call_wait;
    // The CPE's data model as discovered (read on its strand): only names it has are asked for.
    std::optional<acs::CpeRecord> snap = co_await acs_->snapshot(d->cpe_id);
    mapping::ReverseContext ctx;
    ctx.known_names = snap && snap->discovered ? &snap->names : nullptr;
    ctx.state = &d->events;
    std::unique_lock lock(d->mutex);
    if (recorder_)
        recorder_->call_started(d->cpe_id, rg_id, d->mapping->table(), request, snap ? &*snap : nullptr, d->events);
    mapping::ReverseCall call(d->mapping, request, ctx);
    for (auto step = call.next(); std::holds_alternative<cwmp::Body>(step); step = call.next()) {
        cwmp::Body rpc = std::get<cwmp::Body>(std::move(step));
        lock.unlock();
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        // No temporaries around the co_await (GCC 12 destroys them twice).
        core::Result<cwmp::Body> result = core::make_error("acs.timeout", "the call's time is up");
        if (left.count() > 0) result = co_await acs_->run(d->cpe_id, std::move(rpc), left);
        if (recorder_ && !result) recorder_->call_rpc_failed(d->cpe_id, result.error());
        lock.lock();
        call.on_rpc_result(std::move(result));
    }
    cmp::Response response = std::get<cmp::Response>(call.next());
    std::vector<cmp::Request> follow_ups = call.follow_ups();
    lock.unlock();
    // A subscription the HOMS is told about must survive a restart.
    if (auto st = co_await persist_durably(d); !st) {
        co_return cmp::make_response(request, cmp::result_code::general_failure, "the bridge could not store it");
    }
    core::log::debug(rg_id, request.function + " answered with resultCode " + std::to_string(response.result_code) +
                                " after " + std::to_string(call.rpc_count()) + " RPCs");
    send(*d, std::move(follow_ups));
    if (recorder_) recorder_->call_answered(d->cpe_id, response);
    co_return response;
}

}  // namespace app

#include "bridge/app/reverse_bridge.hpp"

#include <openssl/evp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "bridge/app/acs_credentials.hpp"
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

ReverseBridge::ReverseBridge(asio::io_context& ioc, ReverseConfig config) : ioc_(ioc), config_(std::move(config)) {}

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
    for (const auto& [root, file] : config_.mappings) {
        auto table = mapping::Table::load_file(file);
        if (!table) return core::make_error("config.mapping", "reverse.mappings." + root + ": " + table.error().message);
        if ((*table)->root() != root + ".")
            return core::make_error("config.mapping", "reverse.mappings." + root + ": " + file + " presents " +
                                                          (*table)->root() + ", not " + root + ".");
        auto m = mapping::ReverseMapping::make(*table);
        // Rules that cannot be read back are answered without their field; say which once.
        for (const auto& d : m->diagnostics())
            core::log::debug("reverse", file + ": " + d.message);
        if (!m->diagnostics().empty())
            core::log::info("reverse", file + ": " + std::to_string(m->diagnostics().size()) +
                                           " rules cannot be read the other way (validate --reverse lists them)");
        mappings_[root + "."] = std::move(m);
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
    if (auto st = acs_->start(); !st) return st;
    core::log::info("reverse", "ACS for TR-069 CPEs on " + config_.acs.listen + " (port " + std::to_string(acs_port()) +
                                   "), CMP agents on port " + std::to_string(agent_port()) + " for HOMS " +
                                   config_.homs.url);
    return core::Ok{};
}

void ReverseBridge::stop() {
    if (agents_) agents_->stop("shutdown");
    if (agent_server_) agent_server_->stop();
    if (acs_) acs_->stop();
}

unsigned short ReverseBridge::acs_port() const { return acs_ ? acs_->port() : 0; }
unsigned short ReverseBridge::agent_port() const { return agent_server_ ? agent_server_->port() : 0; }
std::size_t ReverseBridge::open_sessions() const { return acs_ ? acs_->open_sessions() : 0; }

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

void ReverseBridge::send(const Device& d, std::vector<cmp::Request> messages) {
    for (auto& m : messages) {
        m.header.rg_id = d.rg_id;
        core::log::debug(d.rg_id, "to HOMS: " + m.function);
        agents_->notify(d.rg_id, std::move(m));
    }
}

void ReverseBridge::on_inform(const acs::CpeRecord& cpe, const cwmp::Inform& inform) {
    auto m = mappings_.find(cpe.root);
    if (m == mappings_.end()) {
        core::log::warn_from("reverse", cpe.id, "no table",
                             "CPE " + cpe.id + " presents " + (cpe.root.empty() ? "no data model" : cpe.root) +
                                 ": no reverse.mappings table for it, not presented to the HOMS");
        return;
    }
    const std::string rg = gateway_id(cpe.id);
    std::shared_ptr<Device> d = device(rg);
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
        if (!d->mapping || has_event(inform, "0 BOOTSTRAP")) provision_connection_request(cpe);
        d->mapping = m->second;
        d->identity = identity;
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
    std::vector<cmp::Request> messages;
    {
        std::lock_guard lock(d->mutex);
        messages = mapping::reverse_events(*d->mapping, inform, d->events);
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
    mapping::ReverseCall call(d->mapping, request, ctx);
    for (auto step = call.next(); std::holds_alternative<cwmp::Body>(step); step = call.next()) {
        cwmp::Body rpc = std::get<cwmp::Body>(std::move(step));
        lock.unlock();
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        // No temporaries around the co_await (GCC 12 destroys them twice).
        core::Result<cwmp::Body> result = core::make_error("acs.timeout", "the call's time is up");
        if (left.count() > 0) result = co_await acs_->run(d->cpe_id, std::move(rpc), left);
        lock.lock();
        call.on_rpc_result(std::move(result));
    }
    cmp::Response response = std::get<cmp::Response>(call.next());
    std::vector<cmp::Request> follow_ups = call.follow_ups();
    lock.unlock();
    core::log::debug(rg_id, request.function + " answered with resultCode " + std::to_string(response.result_code) +
                                " after " + std::to_string(call.rpc_count()) + " RPCs");
    send(*d, std::move(follow_ups));
    co_return response;
}

}  // namespace app

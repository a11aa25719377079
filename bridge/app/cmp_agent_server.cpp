#include "bridge/app/cmp_agent_server.hpp"

#include "bridge/http/encoding.hpp"

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"

namespace app {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kLog = "cmp-agent";

http::Response not_found() {
    http::Response r;
    r.status = 404;
    return r;
}

// Refusals are rate-limited per peer and kind; the claimed ids only, never a header value or body.
void refused(const net::PeerInfo& peer, std::string_view kind, const std::string& what) {
    core::log::warn_from(kLog, peer.address, kind, "refused HOMS request from " + peer.address + ": " + what);
}

}  // namespace

std::string percent_encode(std::string_view s) { return http::percent_encode(s, http::unreserved); }

std::optional<std::string> percent_decode(std::string_view s) { return http::percent_decode(s); }

CmpAgentServer::CmpAgentServer(asio::io_context& ioc, CmpAgentServerOptions options, cmp::KeyLookup keys,
                               Handler handler)
    : ioc_(ioc),
      options_(std::move(options)),
      keys_(std::move(keys)),
      handler_(std::move(handler)),
      verifier_(options_.auth_window, options_.replay_cache) {}

CmpAgentServer::~CmpAgentServer() { stop(); }

core::Status CmpAgentServer::listen() {
    auto addr = net::split_host_port(options_.listen);
    if (!addr) return core::make_error("config.invalid", "cmp agent listen: " + addr.error().message);
    net::ServerOptions so;
    so.body_limit = options_.body_limit;
    so.tls = options_.tls;
    so.log_name = std::string(kLog);
    so.max_connections = options_.max_connections;
    so.max_connections_per_source = options_.max_connections_per_source;
    // Nothing is buffered for a peer that cannot name one of our gateways (issue 10).
    so.pre_body = [this](const http::Request& head, const net::PeerInfo& peer) {
        return net::PreBodyDecision{precheck(head, peer), std::nullopt};
    };
    server_ = std::make_unique<net::HttpServer>(
        ioc_, so, [this](http::Request r, net::PeerInfo p) { return serve(std::move(r), std::move(p)); });
    if (auto st = server_->listen(addr->first, addr->second); !st) return st;
    if (!options_.advertise_base.empty()) {
        base_ = options_.advertise_base;
        while (!base_.empty() && base_.back() == '/') base_.pop_back();
    } else {
        std::string host = addr->first;
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        base_ = (options_.tls ? "https://" : "http://") + host + ":" + std::to_string(server_->port());
    }
    return core::Ok{};
}

void CmpAgentServer::stop() {
    if (server_) server_->stop();
}

unsigned short CmpAgentServer::port() const { return server_ ? server_->port() : 0; }

net::ServerStats CmpAgentServer::stats() const { return server_ ? server_->stats() : net::ServerStats{}; }

std::string CmpAgentServer::ctrl_url(std::string_view rg_id) const {
    return base_ + options_.path_prefix + percent_encode(rg_id);
}

std::optional<std::string> CmpAgentServer::gateway_of(std::string_view target) const {
    std::string_view path = target.substr(0, target.find('?'));
    if (!path.starts_with(options_.path_prefix)) return std::nullopt;
    auto rg = percent_decode(path.substr(options_.path_prefix.size()));
    if (!rg || rg->empty()) return std::nullopt;
    return rg;
}

std::optional<http::Response> CmpAgentServer::precheck(const http::Request& req, const net::PeerInfo& peer) {
    if (req.method != "POST") {
        refused(peer, "method", "method " + req.method);
        return cmp::make_refusal(405);
    }
    if (!std::string_view(req.target).starts_with(options_.path_prefix)) {
        refused(peer, "path", "not a CMP path");
        return not_found();
    }
    // A gateway we do not serve is refused as the profile says for an unknown
    // rgId (401, resultCode 4), exactly like a wrong MAC: no way to probe which rgIds exist.
    auto rg = gateway_of(req.target);
    if (!rg || !keys_(*rg)) {
        refused(peer, "HTTP 401 unknown_gateway", "no gateway of ours at this path");
        return cmp::make_refusal(401);
    }
    const std::string* auth = req.find(cmp::kAuthHeader);
    if (!auth && !options_.require_auth) return std::nullopt;
    auto params = auth ? cmp::parse_auth_header(*auth) : std::nullopt;
    if (!params) {
        refused(peer, "HTTP 401", auth ? "X-CMP-Auth malformed" : "X-CMP-Auth missing");
        return cmp::make_refusal(401);
    }
    // Only the gateway of the path signs its calls.
    if (params->rg_id != *rg) {
        refused(peer, "HTTP 401", "X-CMP-Auth for '" + params->rg_id + "' on the path of '" + *rg + "'");
        return cmp::make_refusal(401);
    }
    const std::int64_t now = cmp::unix_now(), window = options_.auth_window.count();
    if (params->ts < now - window || params->ts > now + window) {
        refused(peer, "HTTP 401", "stale X-CMP-Auth for '" + *rg + "'");
        return cmp::make_refusal(401);
    }
    return std::nullopt;
}

asio::awaitable<http::Response> CmpAgentServer::serve(http::Request req, net::PeerInfo peer) {
    const std::int64_t now = cmp::unix_now();
    if (!std::string_view(req.target).starts_with(options_.path_prefix)) {
        refused(peer, "path", "not a CMP path");
        co_return not_found();
    }
    const std::optional<std::string> rg = gateway_of(req.target);
    const std::optional<cmp::PeerKeys> keys = rg ? keys_(*rg) : std::nullopt;
    if (!keys) {
        refused(peer, "HTTP 401 unknown_gateway", "no gateway of ours at this path");
        co_return cmp::make_refusal(401);
    }
    cmp::Incoming in;
    {
        auto lookup = [&](std::string_view who) -> std::optional<cmp::PeerKeys> {
            if (who != *rg) return std::nullopt;
            return keys;
        };
        std::lock_guard lock(verifier_mutex_);
        in = cmp::open_request(req, verifier_, options_.require_auth, now, lookup);
    }
    if (!in.ok()) {
        refused(peer, "HTTP " + std::to_string(in.refuse_status) + (in.refuse_status == 401 ? " " + in.reason : ""),
                "'" + *rg + "': HTTP " + std::to_string(in.refuse_status) + ", " + in.reason);
        co_return cmp::make_refusal(in.refuse_status);
    }
    auto decoded = cmp::decode_request(in.xml, options_.limits, &cmp::Catalogue::builtin());
    if (!decoded) {
        refused(peer, "malformed", "'" + *rg + "': " + decoded.error().message);
        co_return cmp::make_http_response(500, cmp::encode(cmp::fault_for(decoded.error())), in, now);
    }
    const cmp::Request& msg = *decoded;
    auto answer = [&](cmp::Response r) {
        r.header.rg_id = msg.header.rg_id;
        r.header.transaction_id = msg.header.transaction_id;
        r.header.time_stamp = cmp::format_date_time(cmp::unix_now());
        return cmp::make_http_response(200, cmp::encode(r), in, cmp::unix_now());
    };
    if (msg.header.rg_id != *rg) {
        refused(peer, "rgId", "header rgId '" + msg.header.rg_id + "' on the path of '" + *rg + "'");
        co_return answer(cmp::make_response(msg, cmp::result_code::unauthorized, "not this gateway's rgId"));
    }
    if (const std::string* action = req.find("SOAPAction")) {
        std::string_view named = cmp::function_from_soap_action(*action);
        if (!named.empty() && named != msg.function) {
            cmp::Fault f;
            f.fault_string = "SOAPAction names " + std::string(named) + " but the body is " + msg.function;
            f.result_msg = f.fault_string;
            f.function = msg.function;
            f.header = msg.header;
            f.header.time_stamp = cmp::format_date_time(now);
            co_return cmp::make_http_response(500, cmp::encode(f), in, now);
        }
    }
    const cmp::Catalogue& cat = cmp::Catalogue::builtin();
    const cmp::FunctionSpec* spec = cat.find(msg.function);
    if (!spec || spec->direction != cmp::Direction::to_gateway)
        co_return answer(cmp::make_response(msg, cmp::result_code::unknown_function,
                                            "unknown HOMS -> gateway function " + msg.function));
    if (auto st = cat.validate(msg); !st)
        co_return answer(cmp::make_response(msg, cmp::result_code_for(st.error()), st.error().message));

    cmp::Response result;
    bool failed = false;
    try {
        std::string who = *rg;
        cmp::Request call = msg;
        auto pending = handler_(std::move(who), std::move(call));
        result = co_await std::move(pending);
    } catch (const std::exception& e) {
        core::log::error(*rg, std::string("cmp agent: ") + msg.function + " handler failed: " + e.what());
        failed = true;
    }
    if (failed) {
        cmp::Fault f;
        f.fault_code = "Server";
        f.fault_string = "the gateway could not answer " + msg.function;
        f.result_code = cmp::result_code::general_failure;
        f.result_msg = f.fault_string;
        f.function = msg.function;
        f.header = msg.header;
        f.header.time_stamp = cmp::format_date_time(cmp::unix_now());
        co_return cmp::make_http_response(500, cmp::encode(f), in, cmp::unix_now());
    }
    result.function = msg.function;
    result.header = msg.header;
    result.header.time_stamp = cmp::format_date_time(cmp::unix_now());
    if (auto st = cat.validate(result); !st) {
        // A translation bug must not reach the HOMS as a malformed answer.
        core::log::error(*rg, "cmp agent: invalid " + msg.function + " answer not sent: " + st.error().message);
        co_return answer(cmp::make_response(msg, cmp::result_code::general_failure,
                                            "the gateway built an invalid answer"));
    }
    co_return answer(std::move(result));
}

}  // namespace app

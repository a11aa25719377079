#include "bridge/app/bridge.hpp"

#include <boost/asio/post.hpp>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/http/encoding.hpp"
#include "bridge/state/store.hpp"

namespace app {
namespace asio = boost::asio;

namespace {

http::Response text_response(int status, std::string body, std::vector<http::Header> headers = {}) {
    http::Response r;
    r.status = status;
    r.headers = std::move(headers);
    if (!body.empty()) {
        r.headers.push_back({"Content-Type", "text/plain"});
        r.body = std::move(body) + "\n";
    }
    return r;
}

http::Response cmp_response(const cmp::Response& res) {
    http::Response r;
    r.status = 200;
    r.headers.push_back({"Content-Type", std::string(cmp::kContentType)});
    r.body = cmp::encode(res);
    return r;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Bridge::Bridge(asio::io_context& ioc, Config config) : ioc_(ioc), config_(std::move(config)) {}

Bridge::~Bridge() { stop(); }

core::Result<std::shared_ptr<const mapping::Table>> Bridge::table_for(const std::string& path) {
    if (auto it = tables_.find(path); it != tables_.end()) return it->second;
    auto t = mapping::Table::load_file(path);
    if (!t) return t.error();
    tables_[path] = *t;
    return *t;
}

core::Status Bridge::add_gateway(const GatewayConfig& g) {
    auto table = table_for(g.mapping);
    if (!table) return table.error();
    auto url = http::Url::parse(g.url);
    if (!url) return core::make_error("config.gateway", "gateway " + g.id + ": bad url: " + url.error().message);
    cpe::CpeState st;
    auto loaded = store_->load(g.id);
    if (!loaded) return loaded.error();
    if (*loaded) {
        auto parsed = cpe::parse_state(**loaded);
        if (!parsed) return core::make_error("state.invalid", "gateway " + g.id + ": " + parsed.error().message);
        st = std::move(*parsed);
    } else {
        st.gateway_id = g.id;
        st.periodic_enable = config_.periodic_inform.enable;
        st.periodic_interval = config_.periodic_inform.interval_s;
    }
    // Credentials and the CR path are created once and then persisted: the
    // ACS learns them from the Inform and must be able to rely on them.
    if (st.cr_path.empty()) st.cr_path = http::random_token(18);
    if (st.cr_username.empty()) st.cr_username = g.id;
    if (st.cr_password.empty()) st.cr_password = http::random_token(18);
    auto cpe = std::make_shared<VirtualCpe>(ioc_, *env_, g, *url, *table, std::move(st));
    std::lock_guard lock(mutex_);
    by_id_[g.id] = cpe;
    by_cr_path_["/" + cpe->cr_path()] = cpe;
    return core::Ok{};
}

std::shared_ptr<VirtualCpe> Bridge::find_by_id(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

core::Status Bridge::start() {
    auto store = state::FileStore::open(config_.state_dir);
    if (!store) return store.error();
    store_ = std::move(*store);

    auto cr_addr = net::split_host_port(config_.connection_request.listen);
    if (!cr_addr) return core::make_error("config.invalid", "connection_request.listen: " + cr_addr.error().message);
    auto cmp_addr = net::split_host_port(config_.cmp.listen);
    if (!cmp_addr) return core::make_error("config.invalid", "cmp.listen: " + cmp_addr.error().message);

    cr_verifier_ = std::make_unique<http::DigestVerifier>(
        http::DigestVerifierOptions{"cmp-cwmp-bridge", http::random_token(32), 300, 4096});
    cmp_verifier_ = std::make_unique<cmp::Verifier>();

    cr_server_ = std::make_unique<net::HttpServer>(
        ioc_, net::ServerOptions{},
        [this](http::Request r, net::PeerInfo p) { return on_connection_request(std::move(r), std::move(p)); });
    if (auto st = cr_server_->listen(cr_addr->first, cr_addr->second); !st) return st;
    cmp_server_ = std::make_unique<net::HttpServer>(
        ioc_, net::ServerOptions{},
        [this](http::Request r, net::PeerInfo p) { return on_cmp_message(std::move(r), std::move(p)); });
    if (auto st = cmp_server_->listen(cmp_addr->first, cmp_addr->second); !st) return st;

    std::string base = config_.connection_request.url_base;
    if (base.empty()) {
        bool v6 = cr_addr->first.find(':') != std::string::npos;
        base = "http://" + (v6 ? "[" + cr_addr->first + "]" : cr_addr->first) + ":" + std::to_string(cr_server_->port());
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    env_ = std::make_unique<CpeEnvironment>(CpeEnvironment{config_, *store_, base});

    for (const auto& g : config_.gateways)
        if (auto st = add_gateway(g); !st) return st;
    core::log::info("bridge", "connection requests on " + base + ", CMP listener on " + cmp_addr->first + ":" +
                                  std::to_string(cmp_server_->port()) + ", " + std::to_string(by_id_.size()) +
                                  " gateways");
    std::lock_guard lock(mutex_);
    for (auto& [id, cpe] : by_id_) cpe->start();
    return core::Ok{};
}

void Bridge::stop() {
    if (cr_server_) cr_server_->stop();
    if (cmp_server_) cmp_server_->stop();
    std::lock_guard lock(mutex_);
    for (auto& [id, cpe] : by_id_) cpe->stop();
}

unsigned short Bridge::cr_port() const { return cr_server_ ? cr_server_->port() : 0; }
unsigned short Bridge::cmp_port() const { return cmp_server_ ? cmp_server_->port() : 0; }

asio::awaitable<http::Response> Bridge::on_connection_request(http::Request req, net::PeerInfo peer) {
    std::shared_ptr<VirtualCpe> cpe;
    {
        std::lock_guard lock(mutex_);
        std::string_view target = req.target;
        if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
        auto it = by_cr_path_.find(target);
        if (it != by_cr_path_.end()) cpe = it->second;
    }
    // Unknown paths get the same challenge as known ones, so paths cannot be probed.
    const std::string* authz = req.find("Authorization");
    auto creds = cpe ? cpe->cr_credentials() : std::pair<std::string, std::string>{};
    auto verdict = authz ? cr_verifier_->verify(*authz, req.method,
                                                [&](std::string_view user) -> std::optional<std::string> {
                                                    if (!cpe || user != creds.first) return std::nullopt;
                                                    return creds.second;
                                                },
                                                unix_now())
                         : http::DigestVerifier::Verdict::missing;
    if (verdict != http::DigestVerifier::Verdict::ok || !cpe) {
        if (authz) core::log::warn("cr", "refused connection request from " + peer.address);
        co_return text_response(401, "authentication required",
                                {{"WWW-Authenticate",
                                  cr_verifier_->challenge(verdict == http::DigestVerifier::Verdict::stale)}});
    }
    if (req.method != "GET") co_return text_response(405, "connection requests use GET", {{"Allow", "GET"}});
    {
        std::lock_guard lock(mutex_);
        auto& hist = cr_history_[cpe->id()];
        auto now = std::chrono::steady_clock::now();
        while (!hist.empty() && now - hist.front() > std::chrono::minutes(1)) hist.pop_front();
        if (hist.size() >= config_.connection_request.max_per_minute)
            co_return text_response(503, "too many connection requests", {{"Retry-After", "60"}});
        hist.push_back(now);
    }
    core::log::info(cpe->id(), "connection request from " + peer.address);
    // Answer first (the ACS waits only briefly), then start the session.
    cpe->request_session("6 CONNECTION REQUEST");
    co_return text_response(200, "");
}

asio::awaitable<http::Response> Bridge::on_cmp_message(http::Request req, net::PeerInfo peer) {
    if (req.method != "POST") co_return text_response(405, "CMP uses POST", {{"Allow", "POST"}});
    if (config_.cmp.require_auth) {
        const std::string* h = req.find(cmp::kAuthHeader);
        std::string rg;
        auto verdict = cmp_verifier_->verify(
            h ? std::string_view(*h) : std::string_view{}, req.method, req.target, req.body, unix_now(),
            [&](std::string_view rg_id) -> std::optional<std::string> {
                auto cpe = find_by_id(rg_id);
                if (!cpe) return std::nullopt;
                for (auto& g : config_.gateways)
                    if (g.id == rg_id) return g.secret;
                return std::nullopt;
            },
            &rg);
        if (verdict != cmp::Verdict::ok) {
            core::log::warn("cmp", "refused message from " + peer.address + " (rgId '" + rg +
                                       "'): " + std::string(cmp::to_string(verdict)));
            co_return text_response(401, "CMP message authentication failed");
        }
    }
    auto decoded = cmp::decode_request(req.body, {}, &cmp::Catalogue::builtin());
    if (!decoded) {
        core::log::warn("cmp", "undecodable message from " + peer.address + ": " + decoded.error().message);
        co_return text_response(400, "malformed CMP message");
    }
    cmp::Request& msg = *decoded;
    cmp::Response res;
    res.header = msg.header;
    res.header.time_stamp = core::now_utc();
    res.function = msg.function;
    auto cpe = find_by_id(msg.header.rg_id);
    if (!cpe) {
        res.result_code = cmp::result_code::unauthorized;
        res.result_msg = "unknown gateway";
        co_return cmp_response(res);
    }
    if (msg.function == "regRg") {
        core::log::info(cpe->id(), "CMP regRg: gateway registered");
        cpe->request_session("1 BOOT");
        res.fields.set("sessionId", http::random_token(12));
        res.fields.set("nonce", http::random_token(12));
        res.fields.set("keepAliveIntv", "300");
    } else if (msg.function == "keepAliveRg" || msg.function == "authRg" || msg.function == "deregRg") {
        core::log::debug(cpe->id(), "CMP " + msg.function);
    } else {
        core::log::info(cpe->id(), "CMP " + msg.function + " received");
    }
    res.result_code = 0;
    res.result_msg = "OK";
    co_return cmp_response(res);
}

}  // namespace app

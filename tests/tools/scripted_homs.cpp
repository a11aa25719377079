// scripted-homs: a strict test HOMS (CMP management server) for tests and
// demos. Not part of the bridge. Gateways register with it (regRg, authRg,
// keepAliveRg, notify*, deregRg through the bridge's own cmp::Listener, so
// every profile check applies), and it plays a YAML script: wait for
// gateways, call functions on them with cmp::GatewayClient and check the
// answers, wait for their events. It prints what happened and exits 0 when
// every step passed, 1 otherwise. Script format: tests/tools/homs_script.hpp,
// docs/testing.md.
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <deque>
#include <set>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cmp/listener.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/log.hpp"
#include "bridge/net/http_server.hpp"
#include "tests/tools/homs_script.hpp"

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

struct Options {
    std::string secret, derive_master;
    std::map<std::string, std::string, std::less<>> secrets;  // from --secrets-file
    milliseconds call_timeout{10'000};
    net::TlsClientConfig tls;
    bool quiet = false;
};

// A gateway -> HOMS message as a script event.
struct Event {
    std::string rg_id;
    cmp::Request message;
    bool used = false;  // matched by a wait_event already
};

class ScriptedHoms final : public cmp::ListenerHost {
public:
    ScriptedHoms(asio::io_context& ioc, Options options, HomsScript script)
        : ioc_(ioc), options_(std::move(options)), script_(std::move(script)) {}

    // ---- cmp::ListenerHost: every gateway with a secret may register ----
    std::optional<cmp::GatewayAccess> access(std::string_view rg) override {
        std::string secret;
        if (auto it = options_.secrets.find(rg); it != options_.secrets.end()) secret = it->second;
        else if (!options_.secret.empty()) secret = options_.secret;
        else if (!options_.derive_master.empty()) secret = cmp::derive_gateway_secret(options_.derive_master, rg);
        else return std::nullopt;
        return cmp::GatewayAccess{{std::string(rg), secret, false}, true};
    }
    bool registered(const cmp::Registration& reg) override {
        if (std::find(order_.begin(), order_.end(), reg.rg_id) == order_.end()) order_.push_back(reg.rg_id);
        ctrl_urls_[reg.rg_id] = reg.info.get("rgCtrlUrl");
        online_.insert(reg.rg_id);
        say(reg.rg_id + " registered (#" + std::to_string(index_of(reg.rg_id)) + ", " + reg.info.get("rgCtrlUrl") + ")");
        record(reg.rg_id, "regRg", reg.info);
        return true;
    }
    void alive(std::string_view rg) override { record(std::string(rg), "keepAliveRg", {}); }
    void gone(std::string_view rg, std::string_view reason) override {
        online_.erase(std::string(rg));
        cmp::Record r;
        r.set("reason", std::string(reason));
        say(std::string(rg) + " gone (" + std::string(reason) + ")");
        record(std::string(rg), "deregRg", r);
    }
    int notification(const cmp::Request& m) override {
        say(m.header.rg_id + " -> " + m.function + " " + describe(m.args));
        events_.push_back({m.header.rg_id, m, false});
        return cmp::result_code::success;
    }

    asio::awaitable<void> run() {
        for (std::size_t i = 0; i < script_.steps.size(); ++i) {
            const HomsStep& s = script_.steps[i];
            step_marks_.push_back(events_.size());
            since_ = s.since_previous && i > 0 ? step_marks_[i - 1] : 0;
            const std::string where = "step " + std::to_string(i + 1) + " (line " + std::to_string(s.line) + ")";
            std::string problem = co_await play(s);
            if (!problem.empty()) {
                std::cout << "[homs] " << where << " FAILED: " << problem << std::endl;
                failed_ = true;
                break;
            }
            say(where + " ok");
        }
        if (!failed_) std::cout << "[homs] all " << script_.steps.size() << " steps passed" << std::endl;
        finished_ = true;
    }

    bool finished() const { return finished_; }
    bool failed() const { return failed_; }

private:
    void say(const std::string& s) const {
        if (!options_.quiet) std::cout << "[homs] " << s << std::endl;
    }
    void record(std::string rg, std::string function, cmp::Record fields) {
        cmp::Request m;
        m.header.rg_id = rg;
        m.function = std::move(function);
        m.args = std::move(fields);
        events_.push_back({std::move(rg), std::move(m), false});
    }
    std::size_t index_of(const std::string& rg) const {
        return static_cast<std::size_t>(std::find(order_.begin(), order_.end(), rg) - order_.begin()) + 1;
    }
    // An rgId or "#N"; empty when "#N" has not registered yet.
    std::string resolve(const std::string& gateway) const {
        if (gateway.size() > 1 && gateway[0] == '#') {
            std::size_t n = 0;
            try {
                n = std::stoul(gateway.substr(1));
            } catch (const std::exception&) {
                return {};
            }
            return n >= 1 && n <= order_.size() ? order_[n - 1] : std::string();
        }
        return gateway;
    }

    asio::awaitable<bool> wait_until(const std::function<bool()>& done, milliseconds timeout) {
        auto end = steady_clock::now() + timeout;
        asio::steady_timer t(ioc_);
        while (!done()) {
            if (steady_clock::now() >= end) co_return false;
            t.expires_after(milliseconds(20));
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        co_return true;
    }

    asio::awaitable<std::string> play(const HomsStep& s) {
        switch (s.kind) {
            case HomsStep::Kind::sleep: {
                asio::steady_timer t(ioc_, s.duration);
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                co_return "";
            }
            case HomsStep::Kind::wait_registered: {
                std::function<bool()> done = [&] {
                    if (s.count) return online_.size() >= s.count;
                    return online_.count(resolve(s.gateway)) > 0;
                };
                say(s.count ? "waiting for " + std::to_string(s.count) + " gateway(s)" : "waiting for " + s.gateway);
                if (!co_await wait_until(done, s.timeout))
                    co_return "timed out with " + std::to_string(online_.size()) + " gateway(s) registered";
                co_return "";
            }
            case HomsStep::Kind::wait_event:
                co_return co_await wait_event(s);
            case HomsStep::Kind::call:
                co_return co_await call(s);
        }
        co_return "unknown step";
    }

    asio::awaitable<std::string> wait_event(const HomsStep& s) {
        say("waiting for " + s.function + (s.gateway.empty() ? "" : " from " + s.gateway));
        Event* found = nullptr;
        std::function<bool()> done = [&] {
            const std::string rg = s.gateway.empty() ? std::string() : resolve(s.gateway);
            if (!s.gateway.empty() && rg.empty()) return false;
            for (std::size_t i = since_; i < events_.size(); ++i) {
                Event& e = events_[i];
                if (e.used || e.message.function != s.function || (!rg.empty() && e.rg_id != rg)) continue;
                if (!check_fields(s.fields, s.absent, e.message.args, vars_).empty()) continue;
                found = &e;
                return true;
            }
            return false;
        };
        if (!co_await wait_until(done, s.timeout)) {
            std::string seen;
            for (auto& e : events_)
                if (!e.used && e.message.function == s.function)
                    seen += "\n    " + e.rg_id + " " + describe(e.message.args);
            co_return "no matching " + s.function + " within " + std::to_string(s.timeout.count() / 1000) + " s" +
                (seen.empty() ? "" : "; unmatched ones:" + seen);
        }
        found->used = true;
        say(found->rg_id + " " + s.function + " matched: " + describe(found->message.args));
        co_return save(s, found->message.args);
    }

    std::string save(const HomsStep& s, const cmp::Record& from) {
        for (auto& [var, path] : s.save) {
            auto v = field_at(from, path);
            if (!v) return "save " + var + ": " + path + " is missing";
            vars_[var] = *v;
        }
        return "";
    }

    cmp::GatewayClient* client_for(const std::string& rg, std::string& problem) {
        auto url_it = ctrl_urls_.find(rg);
        auto keys = access(rg);
        if (url_it == ctrl_urls_.end() || !keys) {
            problem = "gateway " + rg + " never registered";
            return nullptr;
        }
        auto url = http::Url::parse(url_it->second);
        if (!url) {
            problem = "gateway " + rg + ": rgCtrlUrl: " + url.error().message;
            return nullptr;
        }
        auto& slot = clients_[rg];
        if (!slot.second || slot.first != url_it->second) {
            cmp::GatewayClientOptions o{rg, *url, keys->keys.secret, options_.call_timeout, 1, options_.tls};
            slot = {url_it->second, std::make_unique<cmp::GatewayClient>(ioc_.get_executor(), std::move(o))};
        }
        return slot.second.get();
    }

    asio::awaitable<std::string> call(const HomsStep& s) {
        const std::string rg = resolve(s.gateway);
        if (rg.empty()) co_return "no gateway " + s.gateway + " has registered";
        auto args = make_args(s.args, vars_);
        if (!args) co_return args.error().message;
        std::string problem;
        cmp::GatewayClient* client = client_for(rg, problem);
        if (!client) co_return problem;
        cmp::Request req;
        req.function = s.function;
        req.args = std::move(*args);
        say(rg + " <- " + s.function + " " + redacted(req));
        auto res = co_await client->call(req);
        if (!res) co_return s.function + " failed: " + res.error().message;
        say(rg + " -> resultCode " + std::to_string(res->result_code) +
            (res->result_msg.empty() ? "" : " (" + res->result_msg + ")") + " " + describe(res->fields));
        if (s.expect_result && res->result_code != *s.expect_result)
            co_return "resultCode " + std::to_string(res->result_code) + " (" + res->result_msg + "), expected " +
                std::to_string(*s.expect_result);
        if (auto p = check_fields(s.fields, s.absent, res->fields, vars_); !p.empty()) co_return p;
        co_return save(s, res->fields);
    }

    // Call arguments for the output, sensitive ones (passwords) replaced.
    static std::string redacted(const cmp::Request& req) {
        cmp::Record shown = req.args;
        if (const cmp::FunctionSpec* spec = cmp::Catalogue::builtin().find(req.function))
            for (auto& f : shown.fields)
                if (const cmp::FieldSpec* fs = spec->request_field(f.name); fs && fs->sensitive && !f.is_list())
                    f.value = std::string("<redacted>");
        return describe(shown);
    }

    asio::io_context& ioc_;
    Options options_;
    HomsScript script_;
    std::vector<std::string> order_;  // rgIds in order of first registration
    std::set<std::string, std::less<>> online_;
    std::map<std::string, std::string> ctrl_urls_;
    std::map<std::string, std::pair<std::string, std::unique_ptr<cmp::GatewayClient>>> clients_;
    std::deque<Event> events_;
    Variables vars_;
    std::vector<std::size_t> step_marks_;  // events_.size() when each step began
    std::size_t since_ = 0;                // the first event the current wait_event may match
    bool finished_ = false, failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"scripted-homs: a strict test HOMS that plays a YAML script against the gateways registering with it"};
    std::string listen = "127.0.0.1:0", port_file, script_path, secrets_file, log_level = "warn";
    std::string tls_cert, tls_key, tls_client_ca;
    Options options;
    double timeout_s = 120, call_timeout_s = 10;
    unsigned keepalive_s = 30;
    cli.add_option("--listen", listen, "host:port for gateway -> HOMS messages (port 0 = ephemeral)")->capture_default_str();
    cli.add_option("--port-file", port_file, "write the bound port here");
    cli.add_option("--script", script_path, "YAML script (docs/testing.md)")->required();
    cli.add_option("--secret", options.secret, "one shared secret for every gateway");
    cli.add_option("--secrets-file", secrets_file, "YAML map rgId: secret (wins over --secret)");
    cli.add_option("--derive-secrets", options.derive_master, "registration master: each gateway's derived secret");
    cli.add_option("--keepalive", keepalive_s, "keepAliveIntv handed to gateways, s")->capture_default_str();
    cli.add_option("--timeout", timeout_s, "give up after this many seconds")->capture_default_str();
    cli.add_option("--call-timeout", call_timeout_s, "per HOMS -> gateway call, s")->capture_default_str();
    cli.add_option("--tls-cert", tls_cert, "serve HTTPS with this PEM certificate chain");
    cli.add_option("--tls-key", tls_key, "... and this PEM key");
    cli.add_option("--tls-client-ca", tls_client_ca, "require client certificates signed by this CA");
    cli.add_option("--ca-file", options.tls.ca_file, "CA bundle to verify https control URLs (default: system store)");
    cli.add_option("--client-cert", options.tls.cert_file, "client certificate for gateways that require one");
    cli.add_option("--client-key", options.tls.key_file);
    cli.add_option("--log-level", log_level, "the listener's own log (stderr)")->capture_default_str();
    cli.add_flag("--quiet", options.quiet, "print failures and the verdict only");
    CLI11_PARSE(cli, argc, argv);

    core::log::Level level;
    if (!core::log::parse_level(log_level, level)) {
        std::cerr << "error: --log-level " << log_level << ": want debug, info, warn, error or off\n";
        return 2;
    }
    core::log::set_level(level);
    auto script = load_homs_script(script_path);
    if (!script) {
        std::cerr << "error: " << script.error().message << "\n";
        return 2;
    }
    if (!secrets_file.empty()) {
        try {
            YAML::Node n = YAML::LoadFile(secrets_file);
            for (auto it = n.begin(); it != n.end(); ++it)
                options.secrets[it->first.as<std::string>()] = it->second.as<std::string>();
        } catch (const YAML::Exception& e) {
            std::cerr << "error: " << secrets_file << ": " << e.what() << "\n";
            return 2;
        }
    }
    if (options.secret.empty() && options.derive_master.empty() && options.secrets.empty()) {
        std::cerr << "error: give --secret, --secrets-file or --derive-secrets (every message is authenticated)\n";
        return 2;
    }
    options.call_timeout = milliseconds(static_cast<long>(call_timeout_s * 1000));

    asio::io_context ioc;
    ScriptedHoms homs(ioc, options, std::move(*script));
    cmp::ListenerOptions lo;
    lo.sessions.keepalive_s = keepalive_s;
    cmp::Listener listener(homs, lo);
    net::ServerOptions so;
    so.body_limit = 512 * 1024;
    so.max_connections = 0;  // a test peer: every gateway may come from one address
    so.max_connections_per_source = 0;
    so.log_name = "homs";
    if (!tls_cert.empty()) so.tls = net::TlsServerConfig{tls_cert, tls_key, tls_client_ca};
    so.pre_body = [&](const http::Request& head, const net::PeerInfo& peer) {
        return net::PreBodyDecision{listener.precheck(head, peer.address, cmp::unix_now()), std::nullopt};
    };
    net::HttpServer server(ioc, so, [&](http::Request r, net::PeerInfo p) -> asio::awaitable<http::Response> {
        co_return listener.handle(r, p.address, cmp::unix_now());
    });
    auto hp = net::split_host_port(listen);
    if (!hp) {
        std::cerr << "error: " << hp.error().message << "\n";
        return 2;
    }
    if (auto st = server.listen(hp->first, hp->second); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 2;
    }
    if (!port_file.empty()) {
        std::ofstream(port_file + ".tmp") << server.port() << "\n";
        std::filesystem::rename(port_file + ".tmp", port_file);
    }
    if (!options.quiet)
        std::cout << "[homs] listening on " << (tls_cert.empty() ? "http://" : "https://") << hp->first << ":"
                  << server.port() << "/cmp" << std::endl;

    asio::co_spawn(ioc, homs.run(), asio::detached);
    auto deadline = steady_clock::now() + milliseconds(static_cast<long>(timeout_s * 1000));
    bool timed_out = false;
    asio::steady_timer tick(ioc);
    auto last_expiry = steady_clock::now();
    std::function<void()> poll = [&] {
        if (homs.finished() || steady_clock::now() > deadline) {
            timed_out = !homs.finished();
            server.stop();
            ioc.stop();
            return;
        }
        if (steady_clock::now() - last_expiry > seconds(2)) {
            listener.expire(cmp::unix_now());  // gateways whose keep-alives stopped are gone
            last_expiry = steady_clock::now();
        }
        tick.expires_after(milliseconds(50));
        tick.async_wait([&](auto) { poll(); });
    };
    poll();
    ioc.run();
    if (timed_out) {
        std::cout << "[homs] FAILED: timed out after " << timeout_s << " s" << std::endl;
        return 1;
    }
    return homs.failed() ? 1 : 0;
}

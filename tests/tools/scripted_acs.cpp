// scripted-acs: a minimal, strict ACS for tests and the demo. Not part of the
// bridge. It accepts CWMP sessions, answers each Inform, plays a YAML script of
// RPCs to every CPE, checks expectations, dumps every CPE message to a folder
// (for schema validation) and writes a YAML report.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "bridge/cwmp/codec.hpp"
#include "bridge/http/auth.hpp"
#include "bridge/http/auth_params.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/net/http_server.hpp"
#include "tests/tools/acs_script.hpp"

namespace asio = boost::asio;

namespace {

struct SessionLog {
    cwmp::Inform inform;
    std::size_t index = 0;  // this CPE's n-th session (0-based)
    const SessionScript* script = nullptr;
    std::string event_problem;
    std::vector<std::string> cr_results;  // "status N" per Connection Request attempt
    std::vector<std::string> cpe_requests;  // "TransferComplete -> TransferCompleteResponse", ...
    std::vector<cwmp::TransferComplete> transfer_completes;
    bool cpe_done = false;  // the CPE's empty POST ended its requests
    bool interim = false;   // before the session a wait_for_events entry waits for
    std::size_t step = 0;
    bool awaiting = false;  // a script request is out
    std::vector<StepResult> results;
    bool finished = false;
    cwmp::Version version = cwmp::Version::v1_0;
};

class ScriptedAcs {
public:
    ScriptedAcs(asio::io_context& ioc, AcsScript script, std::string dump_dir, std::string username,
                std::string password, bool quiet, bool nonce_per_connection)
        : ioc_(ioc),
          script_(std::move(script)),
          dump_dir_(std::move(dump_dir)),
          username_(std::move(username)),
          password_(std::move(password)),
          verifier_(http::DigestVerifierOptions{"scripted-acs", "scripted-acs-nonce-secret", 300, 4096}),
          quiet_(quiet),
          nonce_per_connection_(nonce_per_connection) {}

    asio::awaitable<http::Response> handle(http::Request req, net::PeerInfo peer) {
        if (!username_.empty()) {
            const std::string connection = peer.address + ":" + std::to_string(peer.port);
            const std::string* authz = req.find("Authorization");
            auto v = authz ? verifier_.verify(*authz, req.method,
                                              [&](std::string_view u) -> std::optional<std::string> {
                                                  if (u == username_) return password_;
                                                  return std::nullopt;
                                              },
                                              now())
                           : http::DigestVerifier::Verdict::missing;
            // Like GenieACS: a nonce is good only on the connection it was issued on.
            if (v == http::DigestVerifier::Verdict::ok && nonce_per_connection_ &&
                nonce_connection_[nonce_of(*authz)] != connection) {
                say(connection, "Digest nonce from another connection refused");
                v = http::DigestVerifier::Verdict::bad;
            }
            if (v != http::DigestVerifier::Verdict::ok) {
                http::Response r;
                r.status = 401;
                std::string challenge = verifier_.challenge(v == http::DigestVerifier::Verdict::stale);
                if (nonce_per_connection_) nonce_connection_[nonce_of(challenge)] = connection;
                r.headers.push_back({"WWW-Authenticate", std::move(challenge)});
                co_return r;
            }
        }
        co_return on_message(req);
    }

    bool all_done(std::size_t sessions) const {
        std::size_t n = 0;
        for (auto& [k, s] : sessions_) n += s.finished && !s.interim;
        return n >= sessions;
    }
    bool ok() const { return failures_ == 0; }
    void write_report(const std::string& path) const;

private:
    static std::string nonce_of(std::string_view header) {
        auto parsed = http::parse_auth_header(header);
        if (!parsed || parsed->empty()) return "";
        const std::string* n = parsed->front().param("nonce");
        return n ? *n : "";
    }
    static std::int64_t now() {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    }
    void say(const std::string& who, const std::string& what) {
        if (!quiet_) std::cout << "[acs] " << who << ": " << what << std::endl;
    }
    void dump(const std::string& who, std::string_view rpc, const std::string& body) {
        if (dump_dir_.empty()) return;
        char name[64];
        std::snprintf(name, sizeof name, "%04u-", ++dump_counter_);
        std::ofstream(std::filesystem::path(dump_dir_) / (name + who + "-" + std::string(rpc) + ".xml")) << body;
    }
    http::Response reply(const SessionLog& s, const std::string& cookie, cwmp::Body body, const std::string& id) {
        cwmp::Envelope env;
        env.version = s.version;
        env.id = id;
        env.body = std::move(body);
        http::Response r;
        r.status = 200;
        r.headers.push_back({"Content-Type", "text/xml; charset=\"utf-8\""});
        r.headers.push_back({"Set-Cookie", "acs-session=" + cookie + "; Path=/"});
        r.body = cwmp::encode(env);
        return r;
    }
    http::Response next_request(SessionLog& s, const std::string& cookie);
    http::Response cpe_request(SessionLog& s, const std::string& cookie, const cwmp::Envelope& env);
    asio::awaitable<void> connection_request(std::string cookie, std::string url, CrAction action);
    // One Connection Request: challenge, then Digest with `password`; the final status.
    asio::awaitable<int> try_connection_request(net::HttpClient& client, const http::Url& url,
                                                const std::string& username, const std::string& password);
    http::Response on_message(const http::Request& req);

    asio::io_context& ioc_;
    AcsScript script_;
    std::string dump_dir_;
    std::string username_, password_;
    http::DigestVerifier verifier_;
    bool quiet_;
    bool nonce_per_connection_;
    std::map<std::string, std::string> nonce_connection_;  // nonce -> "address:port" it was issued to
    std::map<std::string, SessionLog> sessions_;
    unsigned dump_counter_ = 0;
    unsigned session_counter_ = 0;
    unsigned failures_ = 0;
};

http::Response ScriptedAcs::next_request(SessionLog& s, const std::string& cookie) {
    const std::string who = s.inform.device_id.serial_number;
    if (!s.script || s.step >= s.script->steps.size()) {
        say(who, "session complete, 204 No Content");
        if (s.script && s.script->connection_request) {
            std::string url;
            for (auto& p : s.inform.parameters)
                if (p.name.ends_with("ManagementServer.ConnectionRequestURL")) url = p.value;
            asio::co_spawn(ioc_, connection_request(cookie, url, *s.script->connection_request), asio::detached);
        } else {
            s.finished = true;
        }
        http::Response r;
        r.status = 204;
        return r;
    }
    const AcsStep& step = s.script->steps[s.step];
    s.awaiting = true;
    say(who, "-> " + describe_request(step.request));
    return reply(s, cookie, step.request, "acs-" + std::to_string(s.step + 1));
}

http::Response ScriptedAcs::on_message(const http::Request& req) {
    std::string cookie;
    if (const std::string* c = req.find("Cookie")) {
        auto pos = c->find("acs-session=");
        if (pos != std::string::npos) cookie = c->substr(pos + 12, c->find(';', pos) - pos - 12);
    }
    if (req.body.empty()) {
        auto it = sessions_.find(cookie);
        if (it == sessions_.end()) {
            http::Response r;
            r.status = 400;
            r.body = "empty POST outside a session\n";
            return r;
        }
        SessionLog& s = it->second;
        if (!s.cpe_done) {
            // The CPE's requests are over: judge them.
            s.cpe_done = true;
            std::string problem = check_transfer_consistency(s.inform, s.transfer_completes);
            if (s.script) problem += check_transfers(*s.script, s.transfer_completes);
            if (!problem.empty()) {
                ++failures_;
                s.event_problem += problem;
                std::cerr << "[acs] " << s.inform.device_id.serial_number << ": session " << s.index + 1 << ": "
                          << problem << "\n";
            }
        }
        return next_request(s, cookie);
    }
    auto env = cwmp::decode(req.body);
    if (!env) {
        ++failures_;
        std::cerr << "[acs] undecodable CPE message: " << env.error().message << "\n";
        http::Response r;
        r.status = 400;
        return r;
    }
    if (auto* inform = std::get_if<cwmp::Inform>(&env->body)) {
        cookie = std::to_string(++session_counter_);
        std::size_t index = 0;
        for (auto& [k, other] : sessions_)
            index += other.inform.device_id.serial_number == inform->device_id.serial_number && !other.interim;
        SessionLog& s = sessions_[cookie];
        s.inform = *inform;
        s.version = env->version;
        s.index = index;
        s.script = script_.session(index);
        if (s.script && s.script->wait_for_events && !has_expected_events(*s.script, *inform)) {
            s.interim = true;
            s.script = nullptr;
        }
        if (s.script) s.event_problem = check_events(*s.script, *inform);
        if (!s.event_problem.empty()) {
            ++failures_;
            std::cerr << "[acs] " << inform->device_id.serial_number << ": session " << index + 1 << ": "
                      << s.event_problem << "\n";
        }
        std::string events;
        for (auto& e : inform->events) events += (events.empty() ? "" : ", ") + e.event_code;
        say(inform->device_id.serial_number, "Inform from " + inform->device_id.manufacturer + " " +
                                                 inform->device_id.product_class + " [" + events + "]");
        dump(inform->device_id.serial_number, "Inform", req.body);
        return reply(s, cookie, cwmp::InformResponse{1}, env->id);
    }
    auto it = sessions_.find(cookie);
    if (it == sessions_.end()) {
        ++failures_;
        std::cerr << "[acs] CPE message without a session cookie\n";
        http::Response r;
        r.status = 400;
        return r;
    }
    SessionLog& s = it->second;
    const std::string who = s.inform.device_id.serial_number;
    dump(who, cwmp::rpc_name(env->body), req.body);
    if (!s.awaiting) {
        if (!s.cpe_done) return cpe_request(s, cookie, *env);
        ++failures_;
        std::cerr << "[acs] " << who << ": unexpected " << cwmp::rpc_name(env->body) << "\n";
        http::Response r;
        r.status = 400;
        return r;
    }
    s.awaiting = false;
    const AcsStep& step = s.script->steps[s.step];
    StepResult result = check_step(step, *env);
    say(who, "<- " + result.summary);
    if (!result.ok) {
        ++failures_;
        std::cerr << "[acs] " << who << ": step " << s.step + 1 << " FAILED: " << result.problem << "\n";
    }
    s.results.push_back(std::move(result));
    ++s.step;
    return next_request(s, cookie);
}

// A request of the CPE between InformResponse and its empty POST.
http::Response ScriptedAcs::cpe_request(SessionLog& s, const std::string& cookie, const cwmp::Envelope& env) {
    const std::string who = s.inform.device_id.serial_number;
    const std::string name(cwmp::rpc_name(env.body));
    http::Response r;
    bool refused = false;
    if (auto* tc = std::get_if<cwmp::TransferComplete>(&env.body)) {
        s.transfer_completes.push_back(*tc);
        say(who, "TransferComplete '" + tc->command_key + "' fault " + std::to_string(tc->fault.code) + " [" +
                     tc->start_time + " .. " + tc->complete_time + "]");
        r = reply(s, cookie, cwmp::TransferCompleteResponse{}, env.id);
    } else if (std::holds_alternative<cwmp::GetRPCMethods>(env.body)) {
        r = reply(s, cookie, cwmp::GetRPCMethodsResponse{{"Inform", "GetRPCMethods", "TransferComplete",
                                                           "AutonomousTransferComplete", "RequestDownload"}},
                  env.id);
    } else if (auto* u = std::get_if<cwmp::UnknownRpc>(&env.body);
               u && (u->name == "AutonomousTransferComplete" || u->name == "RequestDownload")) {
        // The codec has no types for these; both responses are empty elements (TR-069 A.3.2.3, A.4.2.1).
        r.status = 200;
        r.headers.push_back({"Content-Type", "text/xml; charset=\"utf-8\""});
        r.headers.push_back({"Set-Cookie", "acs-session=" + cookie + "; Path=/"});
        std::string id;
        for (char c : env.id) id += c == '<' ? "&lt;" : c == '&' ? "&amp;" : std::string(1, c);
        const std::string ns = u->namespace_uri.empty() ? std::string(cwmp::namespace_uri(s.version)) : u->namespace_uri;
        r.body = "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"" +
                 ns + "\"><soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">" + id +
                 "</cwmp:ID></soap-env:Header><soap-env:Body><cwmp:" + u->name +
                 "Response/></soap-env:Body></soap-env:Envelope>";
    } else {
        // Kicked needs a kick URL this ACS does not have; anything else is unknown.
        r = reply(s, cookie, cwmp::Fault{8000, "Method not supported", {}}, env.id);
        refused = true;
    }
    const std::string answer = refused ? "Fault 8000" : name + "Response";
    s.cpe_requests.push_back(name + " -> " + answer);
    say(who, "CPE request " + name + " -> " + answer);
    return r;
}

asio::awaitable<int> ScriptedAcs::try_connection_request(net::HttpClient& client, const http::Url& url,
                                                         const std::string& username, const std::string& password) {
    http::Request req;
    req.method = "GET";
    auto first = co_await client.send(url, req);
    if (!first) co_return -1;
    if (first->status != 401) co_return first->status;
    http::ClientAuth auth;
    if (!auth.on_challenge(*first, {username, password})) co_return -2;
    req.set("Authorization", *auth.authorization("GET", url.target));
    auto second = co_await client.send(url, req);
    co_return second ? second->status : -1;
}

asio::awaitable<void> ScriptedAcs::connection_request(std::string cookie, std::string url, CrAction action) {
    // Let the CPE see the 204 and end its session first (and, when the
    // script says so, leave every connection idle for a while).
    asio::steady_timer pause(ioc_, std::chrono::milliseconds(action.delay_ms));
    co_await pause.async_wait(asio::use_awaitable);
    SessionLog& s = sessions_[cookie];
    const std::string who = s.inform.device_id.serial_number;
    auto parsed = http::Url::parse(url);
    if (!parsed) {
        ++failures_;
        std::cerr << "[acs] " << who << ": no usable ConnectionRequestURL '" << url << "'\n";
        s.finished = true;
        co_return;
    }
    net::HttpClient client(ioc_.get_executor(), net::ClientOptions{});
    if (action.wrong_password_first) {
        int st = co_await try_connection_request(client, *parsed, action.username, "wrong-" + action.password);
        s.cr_results.push_back("wrong password: " + std::to_string(st));
        say(who, "connection request with a wrong password -> " + std::to_string(st));
        if (st != 401) ++failures_;
    }
    int st = co_await try_connection_request(client, *parsed, action.username, action.password);
    s.cr_results.push_back("status " + std::to_string(st));
    say(who, "connection request -> " + std::to_string(st));
    if (st != action.expect_status) {
        ++failures_;
        std::cerr << "[acs] " << who << ": connection request answered " << st << ", expected " << action.expect_status
                  << "\n";
    }
    s.finished = true;
}

void ScriptedAcs::write_report(const std::string& path) const {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "ok" << YAML::Value << ok();
    out << YAML::Key << "sessions" << YAML::Value << YAML::BeginSeq;
    for (auto& [cookie, s] : sessions_) {
        out << YAML::BeginMap;
        out << YAML::Key << "manufacturer" << YAML::Value << s.inform.device_id.manufacturer;
        out << YAML::Key << "oui" << YAML::Value << s.inform.device_id.oui;
        out << YAML::Key << "product_class" << YAML::Value << s.inform.device_id.product_class;
        out << YAML::Key << "serial_number" << YAML::Value << s.inform.device_id.serial_number;
        out << YAML::Key << "finished" << YAML::Value << s.finished;
        out << YAML::Key << "index" << YAML::Value << s.index;
        if (s.interim) out << YAML::Key << "interim" << YAML::Value << true;
        if (!s.event_problem.empty()) out << YAML::Key << "event_problem" << YAML::Value << s.event_problem;
        if (!s.cpe_requests.empty()) {
            out << YAML::Key << "cpe_requests" << YAML::Value << YAML::Flow << YAML::BeginSeq;
            for (auto& c : s.cpe_requests) out << c;
            out << YAML::EndSeq;
        }
        if (!s.transfer_completes.empty()) {
            out << YAML::Key << "transfer_completes" << YAML::Value << YAML::BeginSeq;
            for (auto& t : s.transfer_completes)
                out << YAML::Flow << YAML::BeginMap << YAML::Key << "command_key" << YAML::Value << t.command_key
                    << YAML::Key << "fault_code" << YAML::Value << t.fault.code << YAML::Key << "fault_string"
                    << YAML::Value << t.fault.string << YAML::Key << "start_time" << YAML::Value << t.start_time
                    << YAML::Key << "complete_time" << YAML::Value << t.complete_time << YAML::EndMap;
            out << YAML::EndSeq;
        }
        if (!s.cr_results.empty()) {
            out << YAML::Key << "connection_requests" << YAML::Value << YAML::Flow << YAML::BeginSeq;
            for (auto& c : s.cr_results) out << c;
            out << YAML::EndSeq;
        }
        out << YAML::Key << "events" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (auto& e : s.inform.events) out << e.event_code;
        out << YAML::EndSeq;
        out << YAML::Key << "inform_parameters" << YAML::Value << YAML::BeginMap;
        for (auto& p : s.inform.parameters) out << YAML::Key << p.name << YAML::Value << p.value;
        out << YAML::EndMap;
        out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
        for (auto& r : s.results) emit_result(out, r);
        out << YAML::EndSeq;
        out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    std::ofstream(path) << out.c_str() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"scripted-acs: a strict test ACS that plays a YAML script against each CPE"};
    std::string listen = "127.0.0.1:0", port_file, script_path, report, dump_dir, username, password;
    std::string tls_cert, tls_key, tls_client_ca;
    std::size_t sessions = 1;
    double timeout_s = 60;
    bool quiet = false, nonce_per_connection = false;
    cli.add_option("--listen", listen, "host:port (port 0 = ephemeral)")->capture_default_str();
    cli.add_option("--port-file", port_file, "write the bound port here");
    cli.add_option("--script", script_path, "YAML script of RPCs")->required();
    cli.add_option("--report", report, "write a YAML report here");
    cli.add_option("--dump-dir", dump_dir, "write every CPE message here");
    cli.add_option("--username", username, "require HTTP Digest authentication");
    cli.add_option("--password", password);
    cli.add_option("--sessions", sessions, "exit after this many completed sessions (interim ones not counted)")->capture_default_str();
    cli.add_option("--timeout", timeout_s, "give up after this many seconds")->capture_default_str();
    cli.add_option("--tls-cert", tls_cert, "serve HTTPS with this PEM certificate chain");
    cli.add_option("--tls-key", tls_key, "... and this PEM key");
    cli.add_option("--tls-client-ca", tls_client_ca, "require client certificates signed by this CA");
    cli.add_flag("--nonce-per-connection", nonce_per_connection,
                 "accept a Digest nonce only on the connection it was issued on (as GenieACS does)");
    cli.add_flag("--quiet", quiet);
    unsigned idle_close_ms = 0;
    cli.add_option("--idle-close-ms", idle_close_ms,
                   "close a keep-alive connection idle this long, as real ACSes do (0: the server's default)");
    CLI11_PARSE(cli, argc, argv);

    auto script = load_script(script_path);
    if (!script) {
        std::cerr << "error: " << script.error().message << "\n";
        return 2;
    }
    if (!dump_dir.empty()) std::filesystem::create_directories(dump_dir);
    asio::io_context ioc;
    ScriptedAcs acs(ioc, std::move(*script), dump_dir, username, password, quiet, nonce_per_connection);
    net::ServerOptions server_options;
    if (idle_close_ms) server_options.idle_timeout = std::chrono::milliseconds(idle_close_ms);
    // A test peer: every virtual CPE connects from the same address.
    server_options.max_connections = 0;
    server_options.max_connections_per_source = 0;
    if (!tls_cert.empty()) server_options.tls = net::TlsServerConfig{tls_cert, tls_key, tls_client_ca};
    else if (!tls_key.empty() || !tls_client_ca.empty()) {
        std::cerr << "error: --tls-key and --tls-client-ca need --tls-cert\n";
        return 2;
    }
    net::HttpServer server(ioc, server_options,
                           [&](http::Request r, net::PeerInfo p) { return acs.handle(std::move(r), std::move(p)); });
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
    if (!quiet)
        std::cout << "[acs] listening on " << (tls_cert.empty() ? "http://" : "https://") << hp->first << ":"
                  << server.port() << std::endl;

    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
    bool timed_out = false;
    asio::steady_timer tick(ioc);
    std::function<void()> poll = [&] {
        if (acs.all_done(sessions)) {
            // Let the last 204 reach the CPE before closing.
            tick.expires_after(std::chrono::milliseconds(100));
            tick.async_wait([&](auto) { server.stop(); ioc.stop(); });
            return;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            timed_out = true;
            server.stop();
            ioc.stop();
            return;
        }
        tick.expires_after(std::chrono::milliseconds(50));
        tick.async_wait([&](auto) { poll(); });
    };
    poll();
    ioc.run();
    if (!report.empty()) acs.write_report(report);
    if (timed_out) {
        std::cerr << "[acs] timed out before " << sessions << " sessions completed\n";
        return 1;
    }
    return acs.ok() ? 0 : 1;
}

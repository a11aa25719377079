// bench-load-acs: the load-generating ACS of the fleet benchmark (bench/fleet.sh,
// docs/performance.md "Fleet benchmark"). Every CPE that Informs gets the same
// session: Inform -> InformResponse, empty POST -> GetParameterValues of 20
// DeviceInfo/WAN parameters, -> SetParameterValues of 2 (the Connection Request
// credentials, with a ParameterKey), -> 204. Optionally Digest on every
// message, 503 + Retry-After to a fraction of the CPEs' first Informs (storm),
// and, once the bootstrap sessions are done, Connection Requests to K CPEs at
// once (their sessions: Inform -> InformResponse, empty POST -> 204).
//
// Latency of an RPC = from the moment its answer is handed to the socket to the
// moment the CPE's next POST has been read: the bridge, the gateway simulator
// and two loopback deliveries. The bridge-added part is that minus the
// simulator's configured latency (--gateway-latency-ms, 0 in the benchmark).
// Writes a flat YAML summary (--summary) that fleet.sh reads with awk.
#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench/bench_http.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/http/auth.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"

namespace {

using namespace benchhttp;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}
double epoch_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* const kGpvNames[] = {
    "DeviceInfo.Manufacturer", "DeviceInfo.ManufacturerOUI", "DeviceInfo.ModelName", "DeviceInfo.ProductClass",
    "DeviceInfo.SerialNumber", "DeviceInfo.HardwareVersion", "DeviceInfo.SoftwareVersion", "DeviceInfo.UpTime",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ConnectionStatus",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.Uptime",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.AddressingType",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.SubnetMask",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.DefaultGateway",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.DNSServers",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.MACAddress",
    "WANDevice.1.WANCommonInterfaceConfig.TotalBytesSent", "WANDevice.1.WANCommonInterfaceConfig.TotalBytesReceived",
    "WANDevice.1.WANCommonInterfaceConfig.TotalPacketsSent",
    "WANDevice.1.WANCommonInterfaceConfig.TotalPacketsReceived",
};
constexpr std::size_t kGpvCount = std::size(kGpvNames);

struct Options {
    std::string root = "InternetGatewayDevice.";
    std::string username, password;  // empty: no Digest
    std::string cr_username = "bench-cr", cr_password = "bench-cr-pw";
    std::size_t sessions = 1, cr_count = 0;
    double refuse_fraction = 0;
    unsigned retry_after_s = 2;
    double gateway_latency_ms = 0;
    std::vector<std::string> expect_events{"0 BOOTSTRAP", "1 BOOT"};
};

enum class Step { informed, gpv, spv };

struct Session {
    std::string cpe;  // OUI-serial
    cwmp::Version version = cwmp::Version::v1_0;
    Step step = Step::informed;
    bool cr = false;           // started by our Connection Request
    bool events_ok = false;    // the Inform carried every expected event
    Clock::time_point sent;    // our last answer was handed to the socket
    std::string cr_url;
    std::string sizes;         // "request:response," per exchange (the canned benchmark replays them)
};

class LoadAcs {
public:
    explicit LoadAcs(Options o)
        : o_(std::move(o)), verifier_(http::DigestVerifierOptions{"bench-load-acs", "bench-nonce-secret", 600, 1 << 20}) {}

    void handle(Request& req, Response& res) {
        const auto now = Clock::now();
        std::lock_guard lock(mu_);
        if (first_request_.time_since_epoch().count() == 0) {
            first_request_ = now;
            first_request_epoch_ = epoch_now();
        }
        ++exchanges_;
        if (!o_.username.empty() && !authorized(req)) {
            ++challenges_;
            res.result(bhttp::status::unauthorized);
            res.set(bhttp::field::www_authenticate, verifier_.challenge());
            return;
        }
        std::string cookie;
        if (auto c = req[bhttp::field::cookie]; !c.empty()) {
            auto pos = c.find("acs-session=");
            if (pos != std::string_view::npos) cookie = std::string(c.substr(pos + 12, c.find(';', pos) - pos - 12));
        }
        if (req.body().empty()) return on_empty(cookie, req, res, now);
        auto env = cwmp::decode(req.body());
        if (!env) return fail(res, "undecodable CPE message: " + env.error().message);
        if (auto* inform = std::get_if<cwmp::Inform>(&env->body)) return on_inform(*inform, *env, req, res, now);
        auto it = sessions_.find(cookie);
        if (it == sessions_.end()) return fail(res, "a CPE message without a session cookie");
        Session& s = it->second;
        s.sizes += std::to_string(req.body().size()) + ":";
        if (auto* gpv = std::get_if<cwmp::GetParameterValuesResponse>(&env->body); gpv && s.step == Step::gpv) {
            lat_gpv_.push_back(ms_between(s.sent, now));
            if (gpv->parameters.size() != kGpvCount) ++bad_answers_;
            cwmp::SetParameterValues spv;
            spv.parameter_key = "bench-" + std::to_string(++spv_counter_);
            spv.parameters.push_back({o_.root + "ManagementServer.ConnectionRequestUsername", o_.cr_username});
            spv.parameters.push_back({o_.root + "ManagementServer.ConnectionRequestPassword", o_.cr_password});
            s.step = Step::spv;
            return reply(s, cookie, std::move(spv), "bench-spv", res);
        }
        if (auto* spvr = std::get_if<cwmp::SetParameterValuesResponse>(&env->body); spvr && s.step == Step::spv) {
            lat_spv_.push_back(ms_between(s.sent, now));
            if (spvr->status != 0 && spvr->status != 1) ++bad_answers_;
            return complete(it, res, now);
        }
        // A fault, or anything this ACS did not ask for: the session failed.
        ++failed_sessions_;
        if (failed_sessions_ <= 5)
            std::cerr << "[load-acs] " << s.cpe << ": unexpected " << cwmp::rpc_name(env->body) << "\n";
        sessions_.erase(it);
        res.result(bhttp::status::no_content);
        res.keep_alive(false);
    }

    // Connection Requests to the first cr_count CPEs that completed a session, all at once.
    void start_connection_requests(asio::io_context& ioc) {
        std::vector<std::pair<std::string, std::string>> targets;
        {
            std::lock_guard lock(mu_);
            for (auto& [cpe, url] : cr_urls_) {
                if (targets.size() >= o_.cr_count) break;
                targets.emplace_back(cpe, url);
            }
            cr_started_ = targets.size();
            cr_phase_start_ = Clock::now();
        }
        for (auto& [cpe, url] : targets)
            asio::co_spawn(asio::make_strand(ioc), connection_request(cpe, url), asio::detached);
    }

    // Bootstrap target reached (unique CPEs with a complete session).
    bool boot_done() {
        std::lock_guard lock(mu_);
        return completed_cpes_.size() >= o_.sessions;
    }
    bool cr_done() {
        std::lock_guard lock(mu_);
        return cr_sessions_ >= cr_started_ && cr_answered_ >= cr_started_;
    }
    void write_summary(std::ostream& out, bool timed_out);

private:
    bool authorized(const Request& req) {
        auto authz = req[bhttp::field::authorization];
        if (authz.empty()) return false;
        const auto now_s = static_cast<std::int64_t>(epoch_now());
        auto v = verifier_.verify(authz, std::string_view(req.method_string()),
                                  [&](std::string_view u) -> std::optional<std::string> {
                                      if (u == o_.username) return o_.password;
                                      return std::nullopt;
                                  },
                                  now_s);
        return v == http::Verdict::ok;
    }

    void fail(Response& res, const std::string& why) {
        ++protocol_errors_;
        if (protocol_errors_ <= 5) std::cerr << "[load-acs] " << why << "\n";
        res.result(bhttp::status::bad_request);
        res.keep_alive(false);
    }

    void reply(Session& s, const std::string& cookie, cwmp::Body body, std::string id, Response& res) {
        cwmp::Envelope env;
        env.version = s.version;
        env.id = std::move(id);
        env.body = std::move(body);
        res.result(bhttp::status::ok);
        res.set(bhttp::field::content_type, "text/xml; charset=\"utf-8\"");
        res.set(bhttp::field::set_cookie, "acs-session=" + cookie + "; Path=/");
        res.body() = cwmp::encode(env);
        s.sizes += std::to_string(res.body().size()) + ",";
        s.sent = Clock::now();
    }

    void on_inform(const cwmp::Inform& inform, const cwmp::Envelope& env, const Request& req, Response& res,
                   Clock::time_point now) {
        const std::string cpe = inform.device_id.oui + "-" + inform.device_id.serial_number;
        bool cr = false;
        for (auto& e : inform.events) cr |= e.event_code == "6 CONNECTION REQUEST";
        if (cr) {
            if (auto it = cr_sent_.find(cpe); it != cr_sent_.end()) lat_cr_.push_back(ms_between(it->second, now));
        } else if (o_.refuse_fraction > 0 && !refused_.contains(cpe) &&
                   static_cast<double>(std::hash<std::string>{}(cpe) % 10000) < o_.refuse_fraction * 10000) {
            refused_.insert(cpe);
            ++refused_503_;
            res.result(bhttp::status::service_unavailable);
            res.set(bhttp::field::retry_after, std::to_string(o_.retry_after_s));
            res.keep_alive(false);
            return;
        }
        const std::string cookie = std::to_string(++session_counter_);
        Session& s = sessions_[cookie];
        s.cpe = cpe;
        s.version = env.version;
        s.cr = cr;
        s.events_ok = true;
        for (auto& want : o_.expect_events) {
            bool found = false;
            for (auto& e : inform.events) found |= e.event_code == want;
            s.events_ok &= found;
        }
        for (auto& p : inform.parameters)
            if (p.name.ends_with("ManagementServer.ConnectionRequestURL")) s.cr_url = p.value;
        s.sizes = std::to_string(req.body().size()) + ":";
        reply(s, cookie, cwmp::InformResponse{1}, env.id, res);
    }

    void on_empty(const std::string& cookie, const Request& req, Response& res, Clock::time_point now) {
        auto it = sessions_.find(cookie);
        if (it == sessions_.end()) return fail(res, "an empty POST outside a session");
        Session& s = it->second;
        if (s.step != Step::informed) return fail(res, s.cpe + ": an empty POST in the middle of the session");
        lat_inform_response_.push_back(ms_between(s.sent, now));
        s.sizes += std::to_string(req.body().size()) + ":";
        if (s.cr) return complete(it, res, now);
        cwmp::GetParameterValues gpv;
        for (const char* n : kGpvNames) gpv.names.push_back(o_.root + n);
        s.step = Step::gpv;
        reply(s, cookie, std::move(gpv), "bench-gpv", res);
    }

    void complete(std::unordered_map<std::string, Session>::iterator it, Response& res, Clock::time_point now) {
        Session& s = it->second;
        s.sizes += "0,";
        res.result(bhttp::status::no_content);
        res.keep_alive(false);  // as most ACSes do after a session: the CPE's sockets do not pile up
        if (s.cr) {
            ++cr_sessions_;
        } else {
            ++boot_sessions_;
            if (completed_cpes_.insert(s.cpe).second) {
                done_times_.push_back(now);
                done_epoch_ = epoch_now();
                if (s.events_ok) ++events_ok_;
                if (!s.cr_url.empty()) cr_urls_.emplace(s.cpe, s.cr_url);
                if (sample_sizes_.empty()) sample_sizes_ = s.sizes;
            }
        }
        sessions_.erase(it);
    }

    asio::awaitable<int> cr_attempt(net::HttpClient& client, const http::Url& url) {
        http::Request req;
        req.method = "GET";
        auto first = co_await client.send(url, req);
        if (!first) co_return -1;
        if (first->status != 401) co_return first->status;
        http::ClientAuth auth;
        if (!auth.on_challenge(*first, {o_.cr_username, o_.cr_password})) co_return -2;
        req.set("Authorization", *auth.authorization("GET", url.target));
        auto second = co_await client.send(url, req);
        co_return second ? second->status : -1;
    }

    asio::awaitable<void> connection_request(std::string cpe, std::string url) {
        auto parsed = http::Url::parse(url);
        int status = -3;
        if (parsed) {
            // Not in one expression with the co_await: GCC 12 destroys such temporaries twice.
            auto ex = co_await asio::this_coro::executor;
            net::ClientOptions options;
            net::HttpClient client(ex, options);
            {
                std::lock_guard lock(mu_);
                cr_sent_[cpe] = Clock::now();
            }
            status = co_await cr_attempt(client, *parsed);
        }
        std::lock_guard lock(mu_);
        if (auto it = cr_sent_.find(cpe); it != cr_sent_.end()) lat_cr_answer_.push_back(ms_between(it->second, Clock::now()));
        ++cr_status_[status];
        ++cr_answered_;
        if (status != 200) ++cr_sessions_;  // no session will come: do not wait for it
    }

    Options o_;
    http::DigestVerifier verifier_;
    std::mutex mu_;
    std::unordered_map<std::string, Session> sessions_;  // by cookie
    std::unordered_set<std::string> completed_cpes_, refused_;
    std::map<std::string, std::string> cr_urls_;
    std::unordered_map<std::string, Clock::time_point> cr_sent_;
    std::map<int, std::size_t> cr_status_;
    std::vector<double> lat_inform_response_, lat_gpv_, lat_spv_, lat_cr_, lat_cr_answer_;
    std::vector<Clock::time_point> done_times_;
    Clock::time_point first_request_{}, cr_phase_start_{};
    double first_request_epoch_ = 0, done_epoch_ = 0;
    std::string sample_sizes_;
    std::uint64_t exchanges_ = 0, challenges_ = 0, session_counter_ = 0, spv_counter_ = 0;
    std::size_t boot_sessions_ = 0, events_ok_ = 0, refused_503_ = 0, failed_sessions_ = 0, bad_answers_ = 0,
                protocol_errors_ = 0, cr_started_ = 0, cr_answered_ = 0, cr_sessions_ = 0;
};

void percentiles(std::ostream& out, const std::string& name, std::vector<double> v, double subtract) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        if (v.empty()) return 0.0;
        return std::max(0.0, v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))] - subtract);
    };
    char line[256];
    std::snprintf(line, sizeof line, "%s_n: %zu\n%s_min_ms: %.3f\n%s_p50_ms: %.3f\n%s_p99_ms: %.3f\n%s_max_ms: %.3f\n",
                  name.c_str(), v.size(), name.c_str(), at(0), name.c_str(), at(0.5), name.c_str(), at(0.99),
                  name.c_str(), at(1.0));
    out << line;
}

void LoadAcs::write_summary(std::ostream& out, bool timed_out) {
    std::lock_guard lock(mu_);
    const std::size_t n = done_times_.size();
    double elapsed = n ? ms_between(first_request_, done_times_.back()) / 1000 : 0;
    // Steady window: between the 10th and the 90th percentile of the completions.
    double steady = 0;
    if (n >= 10) {
        const std::size_t a = n / 10, b = n - 1 - n / 10;
        const double w = ms_between(done_times_[a], done_times_[b]) / 1000;
        steady = w > 0 ? static_cast<double>(b - a) / w : 0;
    }
    out << "timed_out: " << (timed_out ? "true" : "false") << "\n";
    out << "cpes_completed: " << n << "\nsessions_completed: " << boot_sessions_ << "\n";
    out << "events_ok: " << events_ok_ << "\nevents_lost: " << (n - events_ok_) << "\n";
    out << std::fixed;
    out.precision(3);
    out << "first_request_epoch: " << first_request_epoch_ << "\nlast_session_epoch: " << done_epoch_ << "\n";
    out << "elapsed_s: " << elapsed << "\n";
    out << "sessions_per_s: " << (elapsed > 0 ? n / elapsed : 0) << "\nsessions_per_s_steady: " << steady << "\n";
    out << "exchanges: " << exchanges_ << "\nchallenges_401: " << challenges_ << "\n";
    out << "refused_503: " << refused_503_ << "\nfailed_sessions: " << failed_sessions_ << "\n";
    out << "bad_answers: " << bad_answers_ << "\nprotocol_errors: " << protocol_errors_ << "\n";
    out << "gateway_latency_ms: " << o_.gateway_latency_ms << "\n";
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    out << "acs_cpu_s: " << ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6 << "\n";
    std::string sizes = sample_sizes_;
    if (!o_.username.empty() && !sizes.empty()) sizes = sizes.substr(0, sizes.find(':')) + ":0," + sizes;
    if (!sizes.empty() && sizes.back() == ',') sizes.pop_back();
    out << "exchange_sizes: \"" << sizes << "\"\n";
    // InformResponse and the SPV of ManagementServer values need no CMP call; the GPV of 20
    // parameters needs three (getRgInfo, getRgNetInfo, getRgTrafficInfo): at most three latencies.
    percentiles(out, "inform_response", lat_inform_response_, 0);
    percentiles(out, "gpv", lat_gpv_, o_.gateway_latency_ms * 3);
    percentiles(out, "spv", lat_spv_, 0);
    std::vector<double> all = lat_inform_response_;
    for (auto* v : {&lat_gpv_, &lat_spv_}) all.insert(all.end(), v->begin(), v->end());
    percentiles(out, "rpc", all, 0);
    out << "cr_sent: " << cr_started_ << "\ncr_sessions: " << cr_sessions_ << "\n";
    std::string statuses;
    for (auto& [st, count] : cr_status_) statuses += (statuses.empty() ? "" : " ") + std::to_string(st) + "x" + std::to_string(count);
    out << "cr_statuses: \"" << statuses << "\"\n";
    percentiles(out, "cr_answer", lat_cr_answer_, 0);  // the CR's final status (after its Digest challenge)
    percentiles(out, "cr_to_inform", lat_cr_, 0);
    if (cr_started_)
        out << "cr_phase_s: " << ms_between(cr_phase_start_, Clock::now()) / 1000 << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"bench-load-acs: the fleet benchmark's ACS (bench/fleet.sh)"};
    Options o;
    std::string listen = "127.0.0.1:0", port_file, summary, events = "0 BOOTSTRAP,1 BOOT";
    double timeout_s = 600;
    unsigned threads = 1;
    cli.add_option("--listen", listen, "host:port (port 0 = ephemeral)")->capture_default_str();
    cli.add_option("--port-file", port_file, "write the bound port here");
    cli.add_option("--summary", summary, "write the YAML summary here (default: stdout)");
    cli.add_option("--sessions", o.sessions, "CPEs that must complete a session")->capture_default_str();
    cli.add_option("--timeout", timeout_s, "give up after this many seconds")->capture_default_str();
    cli.add_option("--threads", threads, "threads running the io_context")->capture_default_str();
    cli.add_option("--username", o.username, "require Digest on every message");
    cli.add_option("--password", o.password);
    cli.add_option("--root", o.root, "data model root")->capture_default_str();
    cli.add_option("--refuse-fraction", o.refuse_fraction, "CPEs whose first Inform gets 503 (storm)")
        ->check(CLI::Range(0.0, 1.0));
    cli.add_option("--retry-after", o.retry_after_s, "Retry-After of those 503s, seconds")->capture_default_str();
    cli.add_option("--cr-count", o.cr_count, "after the sessions, Connection Requests to this many CPEs at once");
    cli.add_option("--cr-username", o.cr_username)->capture_default_str();
    cli.add_option("--cr-password", o.cr_password)->capture_default_str();
    cli.add_option("--gateway-latency-ms", o.gateway_latency_ms, "the simulator's --latency, subtracted per CMP call");
    cli.add_option("--expect-events", events, "events every first Inform must carry (comma-separated)");
    CLI11_PARSE(cli, argc, argv);
    o.expect_events.clear();
    {
        std::stringstream ss(events);
        for (std::string e; std::getline(ss, e, ',');)
            if (!e.empty()) o.expect_events.push_back(e);
    }

    asio::io_context ioc;
    LoadAcs acs(o);
    auto colon = listen.rfind(':');
    std::unique_ptr<tcp::acceptor> acceptor;
    try {
        acceptor = benchhttp::listen(ioc, listen.substr(0, colon),
                                     static_cast<unsigned short>(std::stoi(listen.substr(colon + 1))));
    } catch (const std::exception& e) {
        std::cerr << "error: " << listen << ": " << e.what() << "\n";
        return 2;
    }
    asio::co_spawn(ioc, accept_loop(*acceptor, ioc, acs, std::chrono::seconds(60)), asio::detached);
    if (!port_file.empty()) {
        std::ofstream(port_file + ".tmp") << acceptor->local_endpoint().port() << "\n";
        std::rename((port_file + ".tmp").c_str(), port_file.c_str());
    }

    const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
    bool timed_out = false, cr_phase = false;
    asio::steady_timer tick(ioc);
    auto finish = [&] {
        tick.expires_after(std::chrono::milliseconds(100));  // let the last 204 reach the CPE
        tick.async_wait([&](auto) {
            acceptor->close();
            ioc.stop();
        });
    };
    std::function<void()> poll = [&] {
        if (Clock::now() > deadline) {
            timed_out = true;
            return finish();
        }
        if (!cr_phase && acs.boot_done()) {
            if (o.cr_count == 0) return finish();
            cr_phase = true;
            acs.start_connection_requests(ioc);
        } else if (cr_phase && acs.cr_done()) {
            return finish();
        }
        tick.expires_after(std::chrono::milliseconds(20));
        tick.async_wait([&](auto) { poll(); });
    };
    poll();
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
        timed_out = true;
        finish();
    });
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    if (summary.empty()) {
        acs.write_summary(std::cout, timed_out);
    } else {
        std::ofstream out(summary);
        acs.write_summary(out, timed_out);
    }
    if (timed_out) std::cerr << "[load-acs] timed out before " << o.sessions << " CPEs completed a session\n";
    return timed_out ? 1 : 0;
}

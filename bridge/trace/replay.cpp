#include "bridge/trace/replay.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>

#include "bridge/app/transport.hpp"
#include "bridge/app/virtual_cpe.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/mapping/table_device.hpp"
#include "bridge/state/store.hpp"

namespace trace {
namespace {

namespace asio = boost::asio;

class ReplayAcs final : public app::AcsTransport {
public:
    explicit ReplayAcs(ReplayScript& s) : script_(s) {}
    asio::awaitable<core::Result<http::Response>> send(const http::Url& url, http::Request req) override {
        co_return script_.on_acs(url, req);
    }

private:
    ReplayScript& script_;
};

class ReplayGateway final : public app::GatewayTransport {
public:
    explicit ReplayGateway(ReplayScript& s) : script_(s) {}
    asio::awaitable<core::Result<cmp::Response>> call(cmp::Request req) override {
        co_return script_.on_cmp(std::move(req));
    }

private:
    ReplayScript& script_;
};

// The production recording hooks, used here for the session's end: its
// outcome and the state it leaves (the exchanges the transports see anyway).
class EndHook final : public app::SessionRecorderFactory {
public:
    explicit EndHook(ReplayScript& s) : script_(s) {}
    void set_mapping(const std::string&, const std::string&, const std::string&) override {}
    std::unique_ptr<app::SessionRecorder> begin(app::SessionStart) override {
        struct Rec final : app::SessionRecorder {
            ReplayScript& script;
            explicit Rec(ReplayScript& s) : script(s) {}
            void on_call(const cmp::Request&, const std::string&, const core::Result<cmp::Response>&,
                         const std::string&, std::chrono::milliseconds) override {}
            void on_acs_exchange(const http::Url&, const http::Request&, const core::Result<http::Response>&) override {}
            void on_end(bool ok, const std::string& error, const std::string& state) override {
                script.on_end(ok, error, state);
            }
        };
        return std::make_unique<Rec>(script_);
    }

private:
    ReplayScript& script_;
};

std::string short_hash(const std::string& h) { return h.size() > 12 ? h.substr(0, 12) : h; }

}  // namespace

core::Result<std::shared_ptr<const mapping::Table>> find_mapping(const Trace& t, const std::filesystem::path& trace_file,
                                                                const std::vector<std::filesystem::path>& dirs) {
    namespace fs = std::filesystem;
    if (t.mapping_name.empty()) return core::make_error("replay.mapping", "the trace names no mapping table");
    std::vector<fs::path> candidates;
    for (auto& d : dirs) candidates.push_back(d / t.mapping_name);
    std::error_code ec;
    fs::path dir = fs::absolute(trace_file, ec).parent_path();
    for (; !dir.empty(); dir = dir.parent_path()) {
        candidates.push_back(dir / t.mapping_name);
        candidates.push_back(dir / "mappings" / t.mapping_name);
        if (dir == dir.root_path()) break;
    }
    for (auto& c : candidates)
        if (fs::is_regular_file(c, ec)) return mapping::Table::load_file(c.string());
    return core::make_error("replay.mapping", "mapping table '" + t.mapping_name +
                                                  "' not found beside the trace, above it or in --mapping-dir");
}

core::Result<std::shared_ptr<const mapping::Table>> replay_table(const std::string& mapping_name,
                                                                 const std::string& mapping_hash,
                                                                 const std::filesystem::path& trace_file,
                                                                 const ReplayOptions& options, ReplayReport& report) {
    std::shared_ptr<const mapping::Table> table = options.table;
    if (!table) {
        Trace named;  // find_mapping reads the name only
        named.mapping_name = mapping_name;
        auto found = find_mapping(named, trace_file, options.mapping_dirs);
        if (!found) return found.error();
        table = *found;
    }
    report.mapping_hash = table->hash();
    if (table->hash() != mapping_hash)
        report.warnings.push_back("mapping " + table->name() + " differs from the one recorded (" +
                                  short_hash(mapping_hash) + " -> " + short_hash(table->hash()) +
                                  "): a divergence may be the intended effect of the change");
    return table;
}

core::Result<ReplayReport> replay(const Trace& t, const std::filesystem::path& trace_file, const ReplayOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    ReplayReport report;
    report.name = trace_file.string();
    report.exchanges = t.exchanges.size();

    auto resolved = replay_table(t.mapping_name, t.mapping_hash, trace_file, options, report);
    if (!resolved) return resolved.error();
    std::shared_ptr<const mapping::Table> table = *resolved;
    auto state = cpe::parse_state(t.start_state);
    if (!state) return core::make_error("replay.state", "start_state: " + state.error().message);
    auto gateway_url = http::Url::parse(t.gateway_url.empty() ? "http://gateway.invalid/cmp" : t.gateway_url);
    if (!gateway_url) return core::make_error("replay.trace", "gateway.url: " + gateway_url.error().message);

    // The configuration the session saw, as far as it shapes the messages.
    app::Config config;
    config.acs.url = t.acs_url;
    config.acs.username = t.acs_username;
    config.acs.password = "replay-has-no-password";  // Authorization is compared by scheme only
    config.acs.cwmp_version = t.cwmp_version;
    config.periodic_inform.enable = t.periodic_enable;
    config.periodic_inform.interval_s = t.periodic_interval;
    // The window recorded, not today's default: it decides which reads reached the gateway.
    config.cmp.reuse_answers = std::chrono::milliseconds(t.reuse_answers_ms);
    app::GatewayConfig gateway{t.gateway_id, t.gateway_url, table->name(), ""};
    config.gateways.push_back(gateway);

    ReplayScript script(t, options.update);
    EndHook hook(script);
    state::MemoryStore store;
    if (auto st = store.save(t.gateway_id, t.start_state); !st) return st.error();
    app::CpeEnvironment env{config, store, t.cr_url_base};
    env.recorders = &hook;

    asio::io_context ioc;
    app::Transports transports{std::make_unique<ReplayAcs>(script), std::make_unique<ReplayGateway>(script)};
    auto cpe = std::make_shared<app::VirtualCpe>(ioc, env, gateway, *gateway_url,
                                                 std::make_unique<mapping::TableDevice>(table), std::move(*state),
                                                 std::move(transports));
    bool finished = false;
    cpe->replay_session(t.retry_count, t.changed, [&](bool) { finished = true; });
    // Nothing in a replayed session waits for time; the bound only catches a hang.
    ioc.run_for(std::chrono::seconds(30));
    if (!finished || !script.ended())
        return core::make_error("replay.hang", "the replayed session did not finish within 30 s");

    report.divergence = script.divergence();
    for (auto& w : script.warnings()) report.warnings.push_back(w);
    report.replayed = script.replayed();
    if (options.update) {
        report.updated = script.updated();
        report.updated.mapping_name = table->name();
        report.updated.mapping_hash = table->hash();
    }
    report.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return report;
}

std::string ReplayReport::text() const {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", milliseconds);
    std::string out;
    for (auto& w : warnings) out += "warning: " + name + ": " + w + "\n";
    if (passed()) return out + "PASS " + name + " (" + std::to_string(exchanges) + " " + unit + ", " + ms + ")\n";
    const Divergence& d = *divergence;
    const std::string where = d.step <= exchanges ? "step " + std::to_string(d.step) + " of " + std::to_string(exchanges)
                                                  : "after step " + std::to_string(exchanges) + " of " + std::to_string(exchanges);
    out += "FAIL " + name + ": " + where + ": " + d.what + "\n";
    out += "  expected: " + d.expected + "\n";
    out += "  actual:   " + d.actual + "\n";
    if (!d.diff.empty()) {
        for (std::size_t pos = 0; pos < d.diff.size();) {
            auto nl = d.diff.find('\n', pos);
            out += "  " + d.diff.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos + 1);
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
        if (out.back() != '\n') out += '\n';
    }
    return out;
}

}  // namespace trace

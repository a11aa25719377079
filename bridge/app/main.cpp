// cmp-cwmp-bridge: the daemon and its subcommands.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <sys/resource.h>

#include <iostream>
#include <thread>

#include "bridge/app/bridge.hpp"
#include "bridge/app/config.hpp"
#include "bridge/core/log.hpp"
#include "bridge/mapping/validator.hpp"
#include "bridge/trace/recorder.hpp"
#include "bridge/trace/replay.hpp"

namespace {

// Every connection is a descriptor, and the listeners' connection limits
// (1024 per listener by default) assume the process may hold that many
// besides its gateways and ACS connections: the soft limit (often 1024)
// is raised to the hard one, as far as the administrator allows.
void raise_open_files_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return;
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) core::log::warn("bridge", "cannot raise the open files limit");
}

int cmd_run(const std::string& config_path, unsigned threads, const std::string& record_dir) {
    raise_open_files_limit();
    auto cfg = app::load_config(config_path);
    if (!cfg) {
        std::cerr << "error: " << cfg.error().message << "\n";
        return 1;
    }
    // Before the io_context: sessions still end (and hand over traces) while it is destroyed.
    std::unique_ptr<trace::Recorder> recorder;
    if (!record_dir.empty()) {
        trace::RecorderOptions ro;
        ro.dir = record_dir;
        ro.known_secrets = {cfg->acs.password, cfg->default_secret, cfg->cmp.registration_secret};
        for (auto& g : cfg->gateways) ro.known_secrets.push_back(g.secret);
        if (!cfg->cmp.secrets_file.empty())
            for (auto& s : trace::secrets_in_file(cfg->cmp.secrets_file)) ro.known_secrets.push_back(s);
        ro.registration_secret = cfg->cmp.registration_secret;
        auto r = trace::Recorder::open(std::move(ro));
        if (!r) {
            std::cerr << "error: --record: " << r.error().message << "\n";
            return 1;
        }
        recorder = std::move(*r);
    }
    boost::asio::io_context ioc(static_cast<int>(threads));
    app::Bridge bridge(ioc, std::move(*cfg));
    bridge.record_sessions(recorder.get());
    if (auto st = bridge.start(); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 1;
    }
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int sig) {
        core::log::info("bridge", "signal " + std::to_string(sig) + ", stopping");
        bridge.stop();
        ioc.stop();
    });
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    return 0;
}

int cmd_validate(const std::vector<std::string>& files) { return mapping::run_validate(files, std::cout, std::cerr); }

// 0 all traces pass, 1 a divergence, 2 a trace that cannot be replayed at all.
int cmd_replay(const std::vector<std::string>& files, bool update, const std::string& mapping_file,
               const std::vector<std::string>& mapping_dirs) {
    trace::ReplayOptions opt;
    for (auto& d : mapping_dirs) opt.mapping_dirs.emplace_back(d);
    if (!mapping_file.empty()) {
        auto t = mapping::Table::load_file(mapping_file);
        if (!t) {
            std::cerr << t.error().message << "\n";
            return 2;
        }
        opt.table = *t;
    }
    int status = 0;
    std::size_t passed = 0, diverged = 0, updated = 0;
    for (auto& f : files) {
        auto t = trace::load_file(f);
        auto r = t ? trace::replay(*t, f, opt) : core::Result<trace::ReplayReport>(t.error());
        if (!r) {
            std::cerr << "ERROR " << f << ": " << r.error().message << "\n";
            status = 2;
            continue;
        }
        if (r->passed() || !update) {
            std::cout << r->text();
            r->passed() ? ++passed : ++diverged;
            if (!r->passed()) status = std::max(status, 1);
            // The mapping changed but not what the bridge does: only the hash is new.
            if (update && r->passed() && r->mapping_hash != t->mapping_hash) {
                t->mapping_hash = r->mapping_hash;
                if (auto st = trace::save_file(*t, f); !st) {
                    std::cerr << "ERROR " << st.error().message << "\n";
                    status = 2;
                } else {
                    std::cout << "UPDATED " << f << " (mapping hash only)\n";
                    ++updated;
                }
            }
            continue;
        }
        // Only a trace that diverges is rewritten: the others keep their bytes.
        trace::ReplayOptions up = opt;
        up.update = true;
        auto u = trace::replay(*t, f, up);
        if (!u || !u->passed()) {
            std::cerr << "ERROR " << f << ": cannot update: "
                      << (u ? u->divergence->what : u.error().message) << "\n";
            status = 2;
            continue;
        }
        u->updated.recorded_by = "cmp-cwmp-bridge replay --update";
        if (auto st = trace::save_file(u->updated, f); !st) {
            std::cerr << "ERROR " << st.error().message << "\n";
            status = 2;
            continue;
        }
        for (auto& w : u->warnings) std::cout << "warning: " << f << ": " << w << "\n";
        std::cout << "UPDATED " << f << " (was: step " << r->divergence->step << ": " << r->divergence->what << ")\n";
        ++updated;
    }
    std::cout << files.size() << " traces: " << passed << " passed, " << diverged << " diverged";
    if (update) std::cout << ", " << updated << " updated";
    std::cout << "\n";
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"cmp-cwmp-bridge: presents CMP residential gateways to a TR-069 ACS"};
    cli.require_subcommand(1);
    std::string log_level = "info";
    cli.add_option("--log-level", log_level, "debug, info, warn, error or off")->capture_default_str();

    auto* run = cli.add_subcommand("run", "run the bridge daemon");
    std::string config_path;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    run->add_option("-c,--config", config_path, "configuration file (docs/configuration.md)")->required();
    run->add_option("--threads", threads, "event loop threads")->capture_default_str();
    std::string record_dir;
    run->add_option("--record", record_dir, "write one trace per CWMP session to this folder (docs/traces.md)");

    auto* replay = cli.add_subcommand("replay", "replay session traces against this bridge (docs/traces.md)");
    std::vector<std::string> traces, mapping_dirs;
    std::string mapping_file;
    bool update = false;
    replay->add_option("trace", traces, "trace files")->required();
    replay->add_flag("--update", update, "rewrite the traces that diverge with what the bridge sends now");
    replay->add_option("--mapping", mapping_file, "use this mapping table, whatever the traces name");
    // One folder per --mapping-dir: a vector option would otherwise swallow the traces after it.
    replay->add_option("--mapping-dir", mapping_dirs, "where to look first for the mapping a trace names")
        ->allow_extra_args(false);

    auto* validate = cli.add_subcommand("validate", "check mapping tables; errors as file:line:col");
    std::vector<std::string> files;
    validate->add_option("mapping", files, "mapping files")->required();

    CLI11_PARSE(cli, argc, argv);
    core::log::Level lvl;
    if (!core::log::parse_level(log_level, lvl)) {
        std::cerr << "error: bad --log-level '" << log_level << "'\n";
        return 2;
    }
    // A replay's own log lines would drown its report; --log-level still wins.
    if (*replay && cli.get_option("--log-level")->count() == 0) lvl = core::log::Level::error;
    core::log::set_level(lvl);
    if (*replay) return cmd_replay(traces, update, mapping_file, mapping_dirs);
    if (*run) return cmd_run(config_path, threads, record_dir);
    if (*validate) return cmd_validate(files);
    return 2;
}

// cmp-cwmp-bridge: the daemon and its subcommands.
#include <CLI/CLI.hpp>
#include <openssl/crypto.h>
#include <sys/resource.h>
#include <tinyxml2.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/version.hpp>
#include <functional>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "bridge/app/bridge.hpp"
#include "bridge/app/commands.hpp"
#include "bridge/app/config.hpp"
#include "bridge/app/systemd_notify.hpp"
#include "bridge/core/log.hpp"
#include "bridge/trace/recorder.hpp"

#ifdef BRIDGE_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#ifndef BRIDGE_VERSION
#define BRIDGE_VERSION "unknown"
#endif

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

// WATCHDOG=1 from the event loop itself: if the loop stops turning, the
// messages stop and systemd restarts the daemon (WatchdogSec= in the unit).
void feed_watchdog(boost::asio::steady_timer& timer, std::chrono::microseconds every) {
    if (every.count() <= 0) return;
    app::systemd::notify("WATCHDOG=1");
    timer.expires_after(every);
    timer.async_wait([&timer, every](const boost::system::error_code& ec) {
        if (!ec) feed_watchdog(timer, every);
    });
}

int cmd_version() {
    std::cout << "cmp-cwmp-bridge " BRIDGE_VERSION "\n"
              << "built with Boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "."
              << BOOST_VERSION % 100 << ", tinyxml2 " << TINYXML2_MAJOR_VERSION << "." << TINYXML2_MINOR_VERSION
              << "." << TINYXML2_PATCH_VERSION << ", running " << OpenSSL_version(OPENSSL_VERSION) << "\n";
#ifdef BRIDGE_WITH_MIMALLOC
    // mi_version() also keeps the library in the link: its malloc replaces glibc's (docs/dependencies.md).
    // A block from plain malloc inside mimalloc's heap proves the replacement took effect.
    const int mi = mi_version();
    void* probe = std::malloc(64);
    const bool redirected = mi_is_in_heap_region(probe);
    std::free(probe);
    std::cout << "allocator: mimalloc " << mi / 100 << "." << mi / 10 % 10 << "." << mi % 10
              << (redirected ? " (malloc redirected)" : " (NOT redirected: glibc malloc in use)") << "\n";
#else
    std::cout << "allocator: glibc malloc\n";
#endif
    return 0;
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
        if (cfg->reverse) {
            // Reverse traces: the HOMS secrets and every password of the CPE credentials file.
            ro.known_secrets.push_back(cfg->reverse->homs.secret);
            ro.known_secrets.push_back(cfg->reverse->homs.registration_secret);
            if (ro.registration_secret.empty()) ro.registration_secret = cfg->reverse->homs.registration_secret;
            for (auto& s : trace::secrets_in_yaml(cfg->reverse->acs.credentials_file)) ro.known_secrets.push_back(s);
        }
        auto r = trace::Recorder::open(std::move(ro));
        if (!r) {
            std::cerr << "error: --record: " << r.error().message << "\n";
            return 1;
        }
        recorder = std::move(*r);
    }
    boost::asio::io_context ioc(static_cast<int>(threads));
    const std::size_t bridge_gateways = cfg->gateways.size();
    app::Bridge bridge(ioc, std::move(*cfg));
    bridge.record_sessions(recorder.get());
    bridge.record_reverse(recorder ? recorder->reverse() : nullptr);
    if (auto st = bridge.start(); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 1;
    }
    // Listeners bound, tables loaded: systemd (Type=notify) may start what depends on us.
    app::systemd::notify("READY=1\nSTATUS=serving " + std::to_string(bridge_gateways) + " configured gateways");
    boost::asio::steady_timer watchdog(ioc);
    feed_watchdog(watchdog, app::systemd::watchdog_interval());
    // SIGTERM/SIGINT: a graceful stop. Nothing new starts; sessions in
    // progress may finish for kGraceful (what they acknowledged is stored as
    // it happens); then the loop stops and the store drains its queue as it
    // closes. A second signal stops at once.
    constexpr auto kGraceful = std::chrono::seconds(10);
    // SIGHUP: reload what may change while running (Bridge::reload); it is
    // never a reason to stop.
    boost::asio::signal_set hangup(ioc, SIGHUP);
    std::function<void()> on_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            core::log::info("bridge", "SIGHUP: reloading");
            bridge.reload();
            on_hangup();
        });
    };
    on_hangup();
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    boost::asio::steady_timer drain(ioc);
    auto deadline = std::chrono::steady_clock::now();
    std::function<void()> wait_for_sessions = [&] {
        const std::size_t left = bridge.sessions_in_progress();
        if (left == 0 || std::chrono::steady_clock::now() >= deadline) {
            if (left) core::log::warn("bridge", std::to_string(left) + " sessions cut at the end of the graceful stop");
            ioc.stop();
            return;
        }
        drain.expires_after(std::chrono::milliseconds(100));
        drain.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) wait_for_sessions();
        });
    };
    signals.async_wait([&](const boost::system::error_code&, int sig) {
        core::log::info("bridge", "signal " + std::to_string(sig) + ", stopping");
        app::systemd::notify("STOPPING=1");
        watchdog.cancel();
        hangup.cancel();
        bridge.stop();
        deadline = std::chrono::steady_clock::now() + kGraceful;
        wait_for_sessions();
        signals.async_wait([&](const boost::system::error_code&, int) {
            core::log::warn("bridge", "second signal: stopping now");
            ioc.stop();
        });
    });
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"cmp-cwmp-bridge: presents CMP residential gateways to a TR-069 ACS"};
    cli.require_subcommand(1);
    // Global options are accepted before or after the subcommand (set before any is added: inherited).
    cli.fallthrough();
    cli.set_version_flag("--version", "cmp-cwmp-bridge " BRIDGE_VERSION, "print the version and exit");
    std::string log_level = "info", log_format, datamodels;
    cli.add_option("--log-level", log_level, "debug, info, warn, error or off")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
    cli.add_option("--log-format", log_format, "text, json (one object per line) or journal (default: journal under "
                                               "systemd, else text)")
        ->check(CLI::IsMember({"text", "json", "journal"}));
    cli.add_option("--datamodels", datamodels, "folder of the data model files (default: next to the table, then "
                                               "../share/cmp-cwmp-bridge/datamodels from the binary)")
        ->envname("BRIDGE_DATAMODELS")
        ->check(CLI::ExistingDirectory);
    const auto formats = CLI::IsMember({"text", "json", "junit"});

    auto* run = cli.add_subcommand("run", "run the bridge daemon");
    std::string config_path;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    run->add_option("-c,--config", config_path, "configuration file (docs/configuration.md)")->required();
    run->add_option("--threads", threads, "event loop threads")->capture_default_str()->check(CLI::Range(1u, 1024u));
    std::string record_dir;
    run->add_option("--record", record_dir, "write one trace per CWMP session to this folder (docs/traces.md)");

    auto* check = cli.add_subcommand("check", "check the configuration and the mapping tables it names, start nothing");
    check->add_option("-c,--config", config_path, "configuration file (docs/configuration.md)")->required();

    auto* replay = cli.add_subcommand("replay", "replay session traces against this bridge (docs/traces.md)");
    app::commands::ReplayArgs ra;
    std::string replay_format = "text";
    replay->add_option("trace", ra.traces, "trace files")->required();
    replay->add_flag("--update", ra.update, "rewrite the traces that diverge with what the bridge sends now");
    replay->add_option("--mapping", ra.mapping_file, "use this mapping table, whatever the traces name");
    // One folder per --mapping-dir: a vector option would otherwise swallow the traces after it.
    replay->add_option("--mapping-dir", ra.mapping_dirs, "where to look first for the mapping a trace names")
        ->allow_extra_args(false);
    replay->add_option("--format", replay_format, "text, json or junit (on stdout)")->check(formats);

    auto* validate = cli.add_subcommand("validate", "check mapping tables; errors as file:line:col");
    std::vector<std::string> files;
    std::string validate_format = "text";
    validate->add_option("mapping", files, "mapping files")->required();
    validate->add_option("--format", validate_format, "text, json or junit (on stdout)")->check(formats);
    bool validate_reverse = false;
    validate->add_flag("--reverse", validate_reverse, "also check the tables read the other way (docs/reverse.md)");

    auto* secrets = cli.add_subcommand("secrets", "the per-gateway CMP secrets shared by several bridges (PostgreSQL)");
    std::string secrets_action, secrets_arg;
    secrets->add_option("action", secrets_action, "import FILE, set RGID (secret on stdin), delete RGID, or list")
        ->required()
        ->check(CLI::IsMember({"import", "set", "delete", "list"}));
    secrets->add_option("argument", secrets_arg, "the secrets file (import) or the gateway id (set, delete)");
    secrets->add_option("-c,--config", config_path, "configuration file (docs/configuration.md)")->required();

    auto* version = cli.add_subcommand("version", "print the version and the libraries built with");

    // docs/operations.md: 0 ok, 1 failure, 2 usage. CLI11's own codes (106, 109, ...) are usage errors.
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e) == 0 ? 0 : 2;
    }
    if (*version) return cmd_version();
    core::log::Level lvl = core::log::Level::info;
    core::log::parse_level(log_level, lvl);
    // A replay's own log lines would drown its report; --log-level still wins.
    if (*replay && cli.get_option("--log-level")->count() == 0) lvl = core::log::Level::error;
    core::log::set_level(lvl);
    core::log::Format fmt = core::log::stderr_is_journal() ? core::log::Format::journal : core::log::Format::text;
    if (!log_format.empty()) core::log::parse_format(log_format, fmt);
    core::log::set_format(fmt);
    // The one place the mapping compiler reads it from (compile_table.cpp); no thread runs yet.
    if (!datamodels.empty()) ::setenv("BRIDGE_DATAMODELS", datamodels.c_str(), 1);
    app::report::Format rf = app::report::Format::text;
    if (*replay) {
        app::report::parse_format(replay_format, ra.format);
        return app::commands::replay(ra);
    }
    if (*run) return cmd_run(config_path, threads, record_dir);
    if (*check) return app::commands::check(config_path);
    if (*secrets) return app::commands::secrets(config_path, secrets_action, secrets_arg, std::cin);
    if (*validate) {
        app::report::parse_format(validate_format, rf);
        if (validate_reverse) return app::commands::validate_reverse(files);
        return app::commands::validate(files, rf);
    }
    return 2;
}

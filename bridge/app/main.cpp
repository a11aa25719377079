// cmp-cwmp-bridge: the daemon and its subcommands.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>
#include <thread>

#include "bridge/app/bridge.hpp"
#include "bridge/app/config.hpp"
#include "bridge/core/log.hpp"
#include "bridge/mapping/table.hpp"

namespace {

int cmd_run(const std::string& config_path, unsigned threads) {
    auto cfg = app::load_config(config_path);
    if (!cfg) {
        std::cerr << "error: " << cfg.error().message << "\n";
        return 1;
    }
    boost::asio::io_context ioc(static_cast<int>(threads));
    app::Bridge bridge(ioc, std::move(*cfg));
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

int cmd_validate(const std::vector<std::string>& files) {
    int status = 0;
    for (auto& f : files) {
        auto t = mapping::Table::load_file(f);
        if (!t) {
            std::cerr << t.error().message << "\n";
            status = 1;
        } else {
            std::cout << f << ": ok (" << (*t)->model() << ", " << (*t)->rules().size() << " parameters)\n";
        }
    }
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

    auto* validate = cli.add_subcommand("validate", "check mapping tables; errors as file:line:col");
    std::vector<std::string> files;
    validate->add_option("mapping", files, "mapping files")->required();

    CLI11_PARSE(cli, argc, argv);
    core::log::Level lvl;
    if (!core::log::parse_level(log_level, lvl)) {
        std::cerr << "error: bad --log-level '" << log_level << "'\n";
        return 2;
    }
    core::log::set_level(lvl);
    if (*run) return cmd_run(config_path, threads);
    if (*validate) return cmd_validate(files);
    return 2;
}

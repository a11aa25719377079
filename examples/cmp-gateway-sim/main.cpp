// cmp-gateway-sim: many simulated CMP residential gateways in one process.
// Each gateway is a sim::GatewayModel (pure, advanced by a clock); the
// Simulator (sim_server.cpp) wires them to HTTP(S). This file is the command line.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "bridge/cmp/seed_cipher.hpp"
#include "bridge/core/log.hpp"
#include "examples/cmp-gateway-sim/sim_server.hpp"

namespace asio = boost::asio;

int main(int argc, char** argv) {
    CLI::App cli{"cmp-gateway-sim: simulated CMP residential gateways"};
    sim::SimOptions o;
    std::string log_level = "info";
    cli.add_option("--listen", o.listen, "host:port to serve /cmp/<rgId> (port 0 = ephemeral)")->capture_default_str();
    cli.add_option("--port-file", o.port_file, "write the bound port here");
    cli.add_option("--gateways", o.gateways, "number of gateways")->capture_default_str();
    cli.add_option("--first-id", o.first_id, "number of the first gateway id (GW-0001)")->capture_default_str();
    cli.add_option("--bridge", o.bridge, "the bridge's CMP listener URL (registers every gateway)");
    cli.add_option("--secret", o.secret, "CMP shared secret of every gateway (X-CMP-Auth both ways)");
    cli.add_option("--derive-secrets", o.derive_secrets,
                   "registration master secret: each gateway uses its derived secret (self-registration)");
    cli.add_option("--legacy-seed", o.legacy_seed, "gateway ids in SEED-128-CBC legacy mode ('all' for every one)");
    cli.add_option("--fail-rate", o.fail_rate, "fraction of calls answered with a failure")->check(CLI::Range(0.0, 1.0));
    cli.add_option("--latency", o.latency_ms, "added answer latency, ms");
    cli.add_option("--idle-close-ms", o.idle_close_ms, "close keep-alive connections idle this long, as real gateways do");
    cli.add_option("--offline", o.offline, "gateway ids that neither answer nor send");
    cli.add_option("--seed,--seed-from", o.seed_file, "initial values from a genieacs-sim dump (JSON/CSV)");
    cli.add_option("--identities-out", o.identities_out, "write each gateway's getRgInfo answer here (YAML)");
    cli.add_option("--tls-cert", o.tls_cert, "serve HTTPS with this certificate chain (PEM)");
    cli.add_option("--tls-key", o.tls_key, "private key of --tls-cert (PEM)");
    cli.add_option("--tls-client-ca", o.tls_client_ca, "require a client certificate signed by this CA (PEM) from HOMS");
    cli.add_option("--ca-file", o.ca_file, "CA bundle to verify an https --bridge (default: system store)");
    cli.add_option("--client-cert", o.client_cert, "client certificate (PEM) for an https --bridge that requires one");
    cli.add_option("--client-key", o.client_key, "private key of --client-cert (PEM)");
    cli.add_option("--control-token", o.control_token, "enable /control/<rgId>/<action> for loopback peers");
    cli.add_option("--reboot-seconds", o.reboot_s, "how long a reboot keeps a gateway unreachable")->capture_default_str();
    cli.add_option("--upgrade-seconds", o.upgrade_s, "download and flash time of a firmware upgrade")->capture_default_str();
    cli.add_option("--advertise-host", o.advertise_host, "host announced in regRg.rgCtrlUrl (default: --listen host)");
    cli.add_option("--exchange-sizes-out", o.exchange_sizes_out,
                   "at exit: the CMP exchanges served per function, with their mean body sizes (YAML)");
    cli.add_option("--log-level", log_level)->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    core::log::Level lvl;
    if (core::log::parse_level(log_level, lvl)) core::log::set_level(lvl);
    if (o.tls_cert.empty() != o.tls_key.empty()) {
        std::cerr << "error: --tls-cert and --tls-key go together\n";
        return 2;
    }
    if (o.client_cert.empty() != o.client_key.empty()) {
        std::cerr << "error: --client-cert and --client-key go together\n";
        return 2;
    }
    if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
        std::cerr << "error: --tls-client-ca needs --tls-cert and --tls-key\n";
        return 2;
    }
    if (!o.legacy_seed.empty() && !cmp::seed_available()) {
        std::cerr << "error: --legacy-seed needs SEED-CBC (OpenSSL legacy provider), which is not available\n";
        return 1;
    }

    asio::io_context ioc(1);
    sim::Simulator sim(ioc, o);
    net::ServerOptions so;
    if (o.idle_close_ms) so.idle_timeout = std::chrono::milliseconds(o.idle_close_ms);
    // A test peer: every bridge connection comes from one address, thousands at once in the fleet bench.
    so.max_connections = 0;
    so.max_connections_per_source = 0;
    if (!o.tls_cert.empty()) so.tls = net::TlsServerConfig{o.tls_cert, o.tls_key, o.tls_client_ca};
    net::HttpServer server(ioc, so, [&](http::Request r, net::PeerInfo p) { return sim.handle(std::move(r), std::move(p)); });
    auto hp = net::split_host_port(o.listen);
    if (!hp) {
        std::cerr << "error: " << hp.error().message << "\n";
        return 1;
    }
    if (auto st = server.listen(hp->first, hp->second); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 1;
    }
    if (auto st = sim.init(server.port()); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 1;
    }
    core::log::info("sim", std::to_string(o.gateways) + " gateways on " + (o.tls_cert.empty() ? "http" : "https") +
                               "://" + hp->first + ":" + std::to_string(server.port()));
    if (!o.port_file.empty()) {
        std::ofstream(o.port_file + ".tmp") << server.port() << "\n";
        std::filesystem::rename(o.port_file + ".tmp", o.port_file);
    }
    asio::co_spawn(ioc, sim.ticker(), asio::detached);
    asio::co_spawn(ioc, sim.sender(), asio::detached);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
        server.stop();
        ioc.stop();
    });
    ioc.run();
    if (!o.exchange_sizes_out.empty()) sim.write_exchange_sizes(o.exchange_sizes_out);
    return 0;
}

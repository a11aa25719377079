// acs-probe: the ACS side alone, for trying a real CPE or a third-party
// simulator by hand (docs/reverse.md, "Tried by hand"). Not a ctest: it waits
// for a CPE that someone else starts. Once a CPE has informed and its first
// session ended, it runs a fixed script of RPCs through app::AcsServer::run()
// (so through Connection Requests) and prints each result, then exits.
//
//   acs-probe LISTEN CREDENTIALS.yaml [CERT KEY]      (CERT/KEY: TLS, Basic allowed)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

#include "bridge/app/acs_credentials.hpp"
#include "bridge/app/acs_server.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string describe(const cwmp::Body& b) {
    std::string out(cwmp::rpc_name(b));
    if (auto* v = std::get_if<cwmp::GetParameterValuesResponse>(&b))
        for (const auto& p : v->parameters) out += "\n    " + p.name + " = " + p.value + " (" + p.type + ")";
    if (auto* f = std::get_if<cwmp::Fault>(&b)) out += " " + std::to_string(f->code) + " " + f->string;
    if (auto* a = std::get_if<cwmp::AddObjectResponse>(&b)) out += " instance " + std::to_string(a->instance_number);
    if (auto* s = std::get_if<cwmp::SetParameterValuesResponse>(&b)) out += " status " + std::to_string(s->status);
    return out;
}

struct Printer : app::AcsServer::Observer {
    std::string first_cpe;
    void on_inform(const acs::CpeRecord& r, const cwmp::Inform& i) override {
        std::cout << "Inform from " << r.id << ":";
        for (const auto& e : i.events) std::cout << " [" << e.event_code << "]";
        std::cout << " root " << r.root << ", CR URL " << r.connection_request_url << std::endl;
        if (first_cpe.empty()) first_cpe = r.id;
    }
    void on_transfer_complete(const acs::CpeRecord& r, const cwmp::TransferComplete& tc) override {
        std::cout << "TransferComplete from " << r.id << ": " << tc.command_key << " fault " << tc.fault.code << std::endl;
    }
    void on_gone(const acs::CpeRecord& r) override { std::cout << "gone: " << r.id << std::endl; }
};

asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<void> script(app::AcsServer& acs, Printer& printer, asio::io_context& ioc) {
    while (printer.first_cpe.empty()) co_await pause(100ms);
    // Let the first session (discovery) end, so that every RPC below needs a Connection Request.
    while (acs.open_sessions() > 0) co_await pause(100ms);
    const std::string id = printer.first_cpe;
    auto record = co_await acs.snapshot(id);
    const std::string root = record->root;
    std::cout << "discovered " << record->names.size() << " names, " << record->notification_active.size()
              << " on active notification" << (record->notification_error.empty() ? "" : ", refused: " + record->notification_error)
              << ", periodic interval "
              << (record->periodic_interval ? std::to_string(record->periodic_interval->count()) + " s" : "unknown")
              << std::endl;
    std::string table;  // the first writable multi-instance object, for AddObject
    for (const auto& [name, writable] : record->names)
        if (writable && name.back() == '.' && name.find("WANDevice") == std::string::npos) {
            table = name;
            break;
        }
    std::vector<cwmp::Body> rpcs = {
        cwmp::GetParameterValues{{root + "DeviceInfo.SoftwareVersion", root + "ManagementServer.PeriodicInformInterval"}},
        cwmp::SetParameterValues{{{root + "ManagementServer.PeriodicInformInterval", "600", "xsd:unsignedInt"}}, "probe-1"},
        cwmp::GetParameterValues{{root + "ManagementServer.PeriodicInformInterval"}},
        cwmp::GetParameterNames{root + "DeviceInfo.", true},
    };
    if (!table.empty()) rpcs.push_back(cwmp::AddObject{table, "probe-2"});
    rpcs.push_back(cwmp::Reboot{"probe-reboot"});
    // Last: some simulators die on an unknown name (then this shows acs.timeout).
    rpcs.push_back(cwmp::GetParameterValues{{root + "No.Such.Parameter"}});
    for (auto& rpc : rpcs) {
        std::cout << "run " << cwmp::rpc_name(rpc) << (std::holds_alternative<cwmp::AddObject>(rpc) ? " " + table : "")
                  << " ..." << std::endl;
        auto started = std::chrono::steady_clock::now();
        auto result = co_await acs.run(id, rpc, 10'000ms);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (result) std::cout << "  -> " << describe(*result) << " in " << ms.count() << " ms" << std::endl;
        else std::cout << "  -> error " << result.error().code << ": " << result.error().message << std::endl;
        while (acs.open_sessions() > 0) co_await pause(50ms);
        if (std::holds_alternative<cwmp::Reboot>(rpc)) co_await pause(3000ms);  // the Inform after the reboot
    }
    ioc.stop();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 && argc != 5) {
        std::cerr << "usage: acs-probe LISTEN CREDENTIALS.yaml [CERT KEY]\n";
        return 2;
    }
    auto table = app::load_acs_credentials(argv[2]);
    if (!table) {
        std::cerr << table.error().message << "\n";
        return 2;
    }
    asio::io_context ioc;
    Printer printer;
    app::AcsServerConfig config;
    config.listen = argv[1];
    config.credentials = *table;
    config.watch = {"Hosts.Host.{i}.Active", "LANDevice.{i}.Hosts.Host.{i}.Active"};
    if (argc == 5) {
        config.tls = net::TlsServerConfig{argv[3], argv[4], ""};
        config.allow_basic = true;
    }
    app::AcsServer acs(ioc, std::move(config), &printer);
    if (auto st = acs.start(); !st) {
        std::cerr << st.error().message << "\n";
        return 1;
    }
    std::cout << "ACS listening on port " << acs.port() << std::endl;
    asio::co_spawn(ioc, script(acs, printer, ioc), asio::detached);
    ioc.run_for(std::chrono::minutes(5));
    return 0;
}

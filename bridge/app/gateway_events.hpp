#pragma once
// The gateway side of the bridge: the CMP listener (cmp::Listener behind a
// net::HttpServer, HTTPS with cmp.listen_tls) and what gateway messages mean
// for the virtual CPEs (TR-069 Annex J):
//
//   authRg after regRg    the CPE is online; BOOT Inform when the gateway rebooted
//                         (a gateway registering itself gets a new CPE: BOOTSTRAP)
//   keepAliveRg           liveness
//   deregRg / silence     the CPE is offline
//   notify* events        value changes through the mapping table; alerts
//                         also logged at warn; upgrade results -> TransferComplete
//
// It also decides who may talk at all (cmp::ListenerHost::access): the
// configured gateways, the remembered self-registered ones, and, with
// cmp.accept_registrations, any valid id holding its provisioned or derived secret.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/app/cluster_replay.hpp"
#include "bridge/app/cluster_secrets.hpp"
#include "bridge/app/config.hpp"
#include "bridge/app/gateway_registry.hpp"
#include "bridge/app/secrets_file.hpp"
#include "bridge/state/append_log.hpp"
#include "bridge/app/virtual_cpe.hpp"
#include "bridge/cmp/listener.hpp"
#include "bridge/net/http_server.hpp"

namespace app {

class GatewayEvents final : public cmp::ListenerHost {
public:
    struct Hooks {
        // The CPE of a gateway id, or null.
        std::function<std::shared_ptr<VirtualCpe>(std::string_view)> find;
        // Creates and starts the CPE of a gateway that registered itself.
        std::function<core::Status(const GatewayConfig&)> add;
        // Several bridges (app::ClusterNode): a message for a gateway another
        // node owns is answered by that node (the whole request relayed);
        // nullopt: serve it here. Unset: always here.
        std::function<boost::asio::awaitable<std::optional<http::Response>>(http::Request, std::string rg_id)> forward;
        // A self-registered gateway's secret changed (secrets file or shared
        // table): its CPE, wherever it runs here, signs with the new one from
        // now on (replaced). From a watcher thread. Unset: nothing is replaced.
        std::function<void(const GatewayConfig&)> rekey;
    };

    GatewayEvents(boost::asio::io_context& ioc, const Config& config, Hooks hooks);
    ~GatewayEvents() override;

    // The registry in this store instead of <state_dir>/registry/ (several
    // bridges share it in PostgreSQL: state::PgRegistryStore). Before open().
    void use_registry_store(std::unique_ptr<state::Store> store) { registry_store_ = std::move(store); }
    // The replay window in PostgreSQL instead of <state_dir>/cmp-replay.log
    // (several bridges: a gateway's new owner must refuse what the old one
    // accepted). Before open().
    void use_shared_replay_window(std::unique_ptr<SharedReplayWindow> window) { shared_nonces_ = std::move(window); }
    // Per-gateway secrets from the table every node shares (bridge.secrets)
    // instead of cmp.secrets_file, which then only feeds the table. Before open().
    void use_shared_secrets(std::unique_ptr<SharedSecrets> secrets) { shared_secrets_ = std::move(secrets); }
    SharedSecrets* shared_secrets() { return shared_secrets_.get(); }
    // A node took `rg_id` over: the nonces any node accepted for it recently
    // are refused here from now on. Blocking: off the event loop, before the
    // gateway is served here. No-op without a shared window.
    core::Status restore_replay_window(std::string_view rg_id);
    // Replay window sizes for logs and tests: the shared window, or null.
    SharedReplayWindow* shared_replay_window() { return shared_nonces_.get(); }
    // Re-reads the registry (shared by several bridges: another node may
    // have enrolled a gateway) and returns every self-registered gateway
    // that can be served; the new ones are known to access() from now on.
    // Blocking: off the event loop.
    std::vector<GatewayConfig> shared_registered();
    // Reads the secrets file and the registry; returns the remembered
    // self-registered gateways, for the bridge to serve from the start.
    core::Result<std::vector<GatewayConfig>> open();
    // Binds cmp.listen and starts the keep-alive clock.
    core::Status listen();
    // A reload changed the configured gateways: who may talk is decided from these now.
    void set_configured(const std::vector<GatewayConfig>& gateways);
    void stop();
    unsigned short port() const;
    net::ServerStats stats() const;

    // ---- cmp::ListenerHost (called under the listener's lock) ----
    std::optional<cmp::GatewayAccess> access(std::string_view rg_id) override;
    bool registered(const cmp::Registration& reg) override;
    bool defer_enrollment(const cmp::Registration&) override { return true; }
    void alive(std::string_view rg_id) override;
    void gone(std::string_view rg_id, std::string_view reason) override;
    int notification(const cmp::Request& msg) override;

    cmp::Listener& listener() { return listener_; }

    // The admin listener drops a self-registered gateway: it is forgotten
    // at once (the listener treats it as unknown; with accept_registrations
    // it may register again, as a new device) and its registry entry is
    // removed. False: not a self-registered gateway. Thread-safe; writes the
    // registry, so call it off the event loop.
    bool forget(std::string_view rg_id);

private:
    core::Status open_replay_window();
    // Sequence of the last nonce handed to the replay window (file or shared), 0 without one.
    std::uint64_t replay_appended() const;
    boost::asio::awaitable<http::Response> serve(http::Request req, net::PeerInfo peer);
    std::optional<std::string> secret_for(const std::string& rg_id);
    core::Status open_secrets();
    // Secrets of these ids changed: the running CPEs of self-registered ones are re-keyed (Hooks::rekey).
    void secrets_changed(const std::vector<std::string>& ids);
    GatewayConfig dynamic_config(const RegisteredGateway& g, std::string secret) const;
    // Runs on blocking_: the registry write (fsync) and the new CPE's creation.
    bool enroll(const cmp::Registration& reg);
    boost::asio::awaitable<bool> enroll_unlocked(cmp::Registration reg);
    void schedule_expiry();

    boost::asio::io_context& ioc_;
    const Config& config_;
    Hooks hooks_;
    cmp::Listener listener_;
    std::unique_ptr<net::HttpServer> server_;
    boost::asio::steady_timer expiry_;
    // Registry writes and enrollments: file I/O and fsync, never on the
    // event loop nor under the listener's lock. One thread keeps them ordered.
    boost::asio::thread_pool blocking_{1};
    std::atomic<bool> blocking_joined_{false};
    bool stopped_ = false;

    // The configured gateways (a copy: a reload replaces them), under registered_mutex_.
    std::map<std::string, GatewayConfig, std::less<>> configured_;
    std::unique_ptr<GatewayRegistry> registry_;
    std::unique_ptr<state::Store> registry_store_;  // use_registry_store(), until open()
    // The nonces the listener accepted within its window, durable before
    // the gateway gets an answer: a restart must not reopen the window.
    std::unique_ptr<state::AppendLog> nonces_;
    std::unique_ptr<SharedReplayWindow> shared_nonces_;  // instead of nonces_ (use_shared_replay_window)
    // Guards registered_: the listener reads it under its own lock, forget() from the admin listener.
    mutable std::mutex registered_mutex_;
    std::map<std::string, RegisteredGateway, std::less<>> registered_;  // self-registered
    std::unique_ptr<SecretsFile> secrets_;  // cmp.secrets_file, watched by its own thread
    std::unique_ptr<SharedSecrets> shared_secrets_;  // the cluster's table: looked up instead of secrets_
    std::set<std::string, std::less<>> warned_;  // ids already logged as unusable
    std::set<std::string, std::less<>> seen_;    // gateways registered since the bridge started (registered_mutex_)
    std::set<std::string, std::less<>> enrolling_;  // under registered_mutex_: one enrollment per id at a time
    std::chrono::steady_clock::time_point started_{};
};

}  // namespace app

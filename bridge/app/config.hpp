#pragma once
// The daemon's configuration file (docs/configuration.md). Loaded once at
// start-up; errors are reported with file:line:col and the daemon refuses
// to start rather than run half-configured.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/app/reverse_config.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/net/tls.hpp"

namespace app {

struct AcsConfig {
    std::string url;
    std::string username;
    std::string password;
    cwmp::Version cwmp_version = cwmp::Version::v1_0;
    net::TlsClientConfig tls;
    std::chrono::milliseconds timeout{30'000};
    // Sessions running at once in the process (each holds an ACS and a gateway
    // connection); the others wait, Connection Requests first. 0: no bound.
    std::size_t max_concurrent_sessions = 512;
};

// Connections one listener holds at once (docs/operations.md, "Limits").
struct ListenerLimits {
    std::size_t max_connections;
    std::size_t max_connections_per_source;
};

struct ConnectionRequestConfig {
    std::string listen = "127.0.0.1:7548";
    // The base URL the ACS uses to reach the listener (NAT, proxies); defaults to http://<listen>.
    std::string url_base;
    unsigned max_per_minute = 6;  // per CPE; further requests get 503
    // One ACS sends the Connection Requests of all its CPEs from one address;
    // each costs a header at most.
    ListenerLimits limits{1024, 256};
};

struct CmpConfig {
    std::string listen = "127.0.0.1:7600";
    bool require_auth = true;
    std::chrono::milliseconds timeout{10'000};
    unsigned concurrency = 2;  // calls in flight per gateway
    net::TlsClientConfig tls;
    // The listener over HTTPS (cmp.listen_tls); plain HTTP when absent.
    std::optional<net::TlsServerConfig> listen_tls;
    std::uint32_t keepalive_s = 300;  // keepAliveIntv handed to gateways
    // Gateways that register themselves (docs/configuration.md): off unless
    // enabled, and then only with a secret source.
    bool accept_registrations = false;
    std::string registration_secret;  // master of derived per-gateway secrets
    std::string secrets_file;         // YAML map rgId -> secret, re-read for new ids
    unsigned max_registered = 10'000;  // self-registered gateways at most
    // Gateways behind one NAT address share the per-source bound: raise it there.
    ListenerLimits limits{4096, 64};
    // A session answers an identical read it made at most this long ago from
    // the gateway's earlier answer (cpe::SessionAnswers, docs/cwmp.md). 0: off.
    std::chrono::milliseconds reuse_answers{2000};
};

struct GatewayConfig {
    std::string id;
    std::string url;
    std::string mapping;  // path, resolved relative to the config file
    std::string secret;   // CMP shared secret; empty only when auth is off
    bool legacy_seed = false;  // SEED-128-CBC bodies both ways (docs/cmp-protocol.md 12.5)
};

struct PeriodicInformConfig {
    bool enable = true;
    std::uint32_t interval_s = 3600;
    // After a start the CPEs' first Informs are spread over at most this
    // long (cpe::Agent::start), so a restarted fleet does not Inform in one
    // second; never longer than the fleet needs at 100 starts per second.
    std::uint32_t start_spread_s = 180;
};

// Where CPE state lives in state_dir (docs/configuration.md, state_backend):
// one SQLite database with group commit, or FileStore's file per gateway.
// postgresql: in a PostgreSQL database shared by several bridges (state.dsn).
enum class StateBackend { sqlite, files, postgresql };

// The state section's PostgreSQL settings (docs/configuration.md, "state").
struct PostgresStateConfig {
    std::string dsn;      // a secret: never logged (state::pg::describe shows it)
    std::string node_id;  // this bridge in lease rows; the host name by default
    std::chrono::seconds lease_ttl{30};
    // How long a write waits for PostgreSQL to come back before failing.
    std::chrono::milliseconds commit_timeout{30'000};
    // Where the other bridges reach this one's listeners (forwarded gateway
    // messages and Connection Requests): a host name or address; empty: the
    // listen address, or the host name when that is a wildcard.
    std::string advertise_host;
};

// The admin listener (docs/operations.md, "Monitoring and the admin
// listener"): metrics, health, the status page and operator actions. Off
// unless `admin.listen` is set. Credentials are required unless it listens
// on a loopback address only.
struct AdminConfig {
    std::string listen;                      // empty: no admin listener
    std::string username, password;          // HTTP Basic (browsers)
    std::string token;                       // Bearer (Prometheus, scripts)
    std::optional<net::TlsServerConfig> tls;
    bool enabled() const { return !listen.empty(); }
    bool needs_auth() const { return !username.empty() || !token.empty(); }
};

struct Config {
    std::string file;
    AcsConfig acs;
    ConnectionRequestConfig connection_request;
    CmpConfig cmp;
    std::string state_dir;
    StateBackend state_backend = StateBackend::sqlite;
    PostgresStateConfig state_postgres;  // used with StateBackend::postgresql
    PeriodicInformConfig periodic_inform;
    std::string default_mapping;
    std::string default_secret;
    std::vector<GatewayConfig> gateways;
    AdminConfig admin;
    // Reverse mode (docs/reverse.md): TR-069 CPEs managed by a HOMS through the bridge.
    std::optional<ReverseConfig> reverse;
    // Whether the forward direction (gateways -> ACS) runs: an acs section was given.
    bool forward() const { return !acs.url.empty(); }
};

// Never throws: a folder, an unreadable file, broken YAML and every refused
// value come back as an error naming file:line:col (docs/configuration.md).
core::Result<Config> load_config(const std::string& path);

}  // namespace app

#pragma once
// The simulator's I/O around the pure sim::GatewayModel: one HTTP(S)
// listener serving every gateway's CMP agent at /cmp/<rgId> (and the
// /control endpoint for tests), a ticker advancing the models once a second,
// and a sender delivering their gateway -> HOMS messages to the bridge, in
// order. Both directions use cmp::wire, so the simulator applies exactly the
// profile's security: X-CMP-Auth on requests and answers, SEED-128-CBC for
// gateways in legacy mode.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bridge/cmp/message_auth.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/net/http_server.hpp"
#include "examples/cmp-gateway-sim/gateway_model.hpp"

namespace sim {

struct SimOptions {
    std::string listen = "127.0.0.1:7700";
    std::string port_file;
    unsigned gateways = 3;
    unsigned first_id = 1;
    std::string bridge;          // the bridge's CMP listener URL; empty: no registration
    std::string secret;          // one shared secret for every gateway
    std::string derive_secrets;  // a registration master: each gateway gets its derived secret
    std::vector<std::string> legacy_seed;  // gateway ids in SEED legacy mode; "all" for every one
    double fail_rate = 0;
    unsigned latency_ms = 0;
    unsigned idle_close_ms = 0;  // close keep-alive connections idle this long (0: the server's default)
    std::vector<std::string> offline;
    std::string seed_file;
    std::string identities_out;
    std::string tls_cert, tls_key;  // serve HTTPS
    std::string tls_client_ca;      // with HTTPS: require HOMS's client certificate, signed by this CA
    std::string ca_file;            // trust anchors for an https --bridge
    std::string client_cert, client_key;  // presented to an https --bridge that requires client certificates
    std::string control_token;      // enables /control (loopback peers, Bearer token)
    unsigned reboot_s = 45;
    unsigned upgrade_s = 90;
    std::string advertise_host;  // host in each rgCtrlUrl; default: the listen host
    std::string exchange_sizes_out;  // at exit: CMP exchanges served, per function (bench/fleet.sh)
};

class Simulator {
public:
    Simulator(boost::asio::io_context& ioc, SimOptions opt);

    // Creates the gateways once the listener's port is known (their rgCtrlUrl names it).
    core::Status init(unsigned short port);
    boost::asio::awaitable<http::Response> handle(http::Request req, net::PeerInfo peer);
    boost::asio::awaitable<void> ticker();
    boost::asio::awaitable<void> sender();
    // The CMP exchanges served so far, per function in the order first seen, as YAML:
    // how many, and their mean request and answer body sizes. bench/fleet.sh
    // replays as many exchanges of those sizes in its transport baseline.
    void write_exchange_sizes(const std::string& path) const;

private:
    http::Response control(const http::Request& req, const net::PeerInfo& peer);
    http::Response serve_cmp(GatewayModel& model, const http::Request& req);
    cmp::PeerKeys keys_of(const std::string& id) const;
    void drain(const std::string& id);
    void write_identities();
    void deliver(const std::string& id, const cmp::Response& answer);

    boost::asio::io_context& ioc_;
    SimOptions opt_;
    boost::asio::steady_timer tick_;
    net::HttpClient sender_;
    std::map<std::string, std::unique_ptr<GatewayModel>, std::less<>> models_;
    std::map<std::string, cmp::PeerKeys, std::less<>> keys_;
    std::set<std::string, std::less<>> offline_;  // forced: neither answers nor sends
    std::deque<std::pair<std::string, cmp::Request>> outbox_;
    http::Url bridge_url_;
    cmp::Verifier verifier_;
    std::uint64_t transactions_ = 0;
    struct Tally {
        std::string function;
        std::uint64_t calls = 0, request_bytes = 0, answer_bytes = 0;
    };
    std::vector<Tally> tallies_;  // a handful of functions: a linear search is the cheapest
};

}  // namespace sim

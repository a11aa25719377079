#pragma once
// The CMP agents of the reverse direction (issue 13), HOMS -> gateway half:
// one net::HttpServer listener answering HOMS calls for every virtual gateway
// at /cmp/<rgId> (each gateway's rgCtrlUrl). Per request, in this order
// (docs/cmp-protocol.md sections 2-8 and 12, as a gateway owes them):
//   path under path_prefix (else 404) naming a gateway we serve (else 401
//   with resultCode 4, the profile's answer for an unknown rgId, as for a
//   wrong MAC), both before the body is read;
//   method, Content-Type, X-CMP-Auth with that gateway's secret (401/405/415;
//   the signer must be the gateway of the path); the SOAP envelope (Fault,
//   500); the header rgId is the path's (resultCode 4); SOAPAction against
//   the body (Fault, 14); a HOMS -> gateway function of the catalogue
//   (resultCode 3) with valid fields (2); then the handler's answer, checked
//   against the catalogue, signed with the request's nonce. A handler that
//   throws is answered with a Fault (Server, resultCode 1).
// The handler runs on the connection's strand and must bound its own wait
// (the CPE's answer, a Connection Request): the HOMS gives up after ~10 s.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/cmp/message.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/net/http_server.hpp"
#include "bridge/soap/xml.hpp"

namespace app {

struct CmpAgentServerOptions {
    std::string listen = "127.0.0.1:0";
    std::optional<net::TlsServerConfig> tls;
    // X-CMP-Auth required (default); off only in laboratories, like the forward listener.
    bool require_auth = true;
    std::chrono::seconds auth_window{300};
    std::size_t replay_cache = 65536;
    soap::Limits limits;
    std::size_t body_limit = 512 * 1024;  // the profile's message bound (413 above)
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_source = 64;
    std::string path_prefix = "/cmp/";
    // Scheme, host and port of the rgCtrlUrls announced in regRg
    // ("https://bridge.example.net:7600"); default: the listen address.
    std::string advertise_base;
};

class CmpAgentServer {
public:
    // Answers one validated HOMS -> gateway request for the gateway rg_id.
    // The response's header is filled in here.
    using Handler = std::function<boost::asio::awaitable<cmp::Response>(std::string rg_id, cmp::Request request)>;

    // keys: the gateways served and their secrets (e.g. CmpAgents::keys); nullopt = not ours.
    CmpAgentServer(boost::asio::io_context& ioc, CmpAgentServerOptions options, cmp::KeyLookup keys, Handler handler);
    ~CmpAgentServer();

    core::Status listen();
    void stop();
    unsigned short port() const;
    net::ServerStats stats() const;
    // The rgCtrlUrl of a gateway: advertise_base (or the listen address) + path_prefix + the
    // percent-encoded rgId. Valid after listen().
    std::string ctrl_url(std::string_view rg_id) const;

    // One request, without sockets (tests); what the listener calls.
    boost::asio::awaitable<http::Response> serve(http::Request req, net::PeerInfo peer);
    // The checks that need no body (net::ServerOptions::pre_body).
    std::optional<http::Response> precheck(const http::Request& headers_only, const net::PeerInfo& peer);

private:
    // The gateway a request-target addresses, or nullopt.
    std::optional<std::string> gateway_of(std::string_view target) const;

    boost::asio::io_context& ioc_;
    CmpAgentServerOptions options_;
    cmp::KeyLookup keys_;
    Handler handler_;
    std::mutex verifier_mutex_;  // connections run on their own strands
    cmp::Verifier verifier_;
    std::unique_ptr<net::HttpServer> server_;
    std::string base_;
};

// rgIds may hold characters a path cannot ('/', '?', '%', ...): outside
// [A-Za-z0-9._~-] every byte is %XX. decode: nullopt for a malformed escape.
std::string percent_encode(std::string_view s);
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace app

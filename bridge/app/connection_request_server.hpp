#pragma once
// The Connection Request listener shared by every virtual CPE of a bridge
// (TR-069 3.2.2, Annex J): one port, one unguessable path per CPE. The
// decision is cpe::ConnectionRequestGate's; this class adds the socket, the
// path → CPE lookup and the hand-off to the CPE (answer first, the session
// starts afterwards on the CPE's own strand).
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "bridge/app/config.hpp"
#include "bridge/app/virtual_cpe.hpp"
#include "bridge/cpe/connection_request.hpp"
#include "bridge/net/http_server.hpp"

namespace app {

class ConnectionRequestServer {
public:
    // Finds the CPE that owns a request path ("/<token>"), or nullptr.
    using Lookup = std::function<std::shared_ptr<VirtualCpe>(std::string_view path)>;

    // Several bridges (app::ClusterNode): a path none of this node's CPEs
    // has is offered here; an answer means the request was relayed to the
    // node owning it; nullopt: look again here (the lease was just taken over).
    using Forward = std::function<boost::asio::awaitable<std::optional<http::Response>>(http::Request, std::string path)>;

    ConnectionRequestServer(boost::asio::io_context& ioc, const ConnectionRequestConfig& config, Lookup lookup,
                            Forward forward = {});
    ~ConnectionRequestServer();

    // Binds connection_request.listen; url_base() is valid afterwards.
    core::Status start();
    void stop();
    unsigned short port() const;
    net::ServerStats stats() const;
    // What ConnectionRequestURLs start with: the configured url_base, else http://<listen address>:<port>.
    const std::string& url_base() const { return url_base_; }

private:
    boost::asio::awaitable<http::Response> handle(http::Request req, net::PeerInfo peer);

    boost::asio::io_context& ioc_;
    ConnectionRequestConfig config_;
    Lookup lookup_;
    Forward forward_;
    cpe::ConnectionRequestGate gate_;
    std::unique_ptr<net::HttpServer> server_;
    std::string url_base_;
};

}  // namespace app

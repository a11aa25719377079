#pragma once
// TLS contexts. Verification is on unless a deployment explicitly turns it
// off; a fresh client context per reconnect so a rotated CA or client
// certificate on disk is picked up without a restart.
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "bridge/core/result.hpp"

namespace net {

struct TlsClientConfig {
    bool verify = true;
    std::string ca_file;    // PEM bundle; empty = system default paths
    std::string ca_path;    // hashed directory
    std::string cert_file;  // optional client certificate (PEM)
    std::string key_file;
};

struct TlsServerConfig {
    std::string cert_file;       // PEM chain
    std::string key_file;
    std::string client_ca_file;  // when set, client certificates are required and verified
};

core::Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(const TlsClientConfig& cfg);
core::Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const TlsServerConfig& cfg);

}  // namespace net

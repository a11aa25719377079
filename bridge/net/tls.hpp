#pragma once
// TLS contexts. Verification is on unless a deployment explicitly turns it
// off. Client contexts are shared by every connection with the same
// settings and rebuilt only when one of their files changed on disk, so a
// rotated CA or client certificate is picked up without a restart while
// 100,000 connections do not each parse the CA bundle.
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
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

// The shared client context for `cfg`: built on first use and again after
// a change (size, modification time or inode) of its CA file, CA directory,
// certificate or key. Thread-safe. A context that failed to build is not
// cached: the next connection tries again (the file may be fixed by then).
core::Result<std::shared_ptr<boost::asio::ssl::context>> client_context(const TlsClientConfig& cfg);
// How many client contexts have been built (tests, metrics).
std::uint64_t client_contexts_built();

}  // namespace net

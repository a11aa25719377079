#include "bridge/net/tls.hpp"

namespace net {
namespace ssl = boost::asio::ssl;

core::Result<std::shared_ptr<ssl::context>> make_client_context(const TlsClientConfig& cfg) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (cfg.verify) {
        ctx->set_verify_mode(ssl::verify_peer, ec);
        if (!cfg.ca_file.empty()) ctx->load_verify_file(cfg.ca_file, ec);
        if (!ec && !cfg.ca_path.empty()) ctx->add_verify_path(cfg.ca_path, ec);
        if (!ec && cfg.ca_file.empty() && cfg.ca_path.empty()) ctx->set_default_verify_paths(ec);
        if (ec) return core::make_error("tls.ca", "cannot load CA certificates: " + ec.message());
    } else {
        ctx->set_verify_mode(ssl::verify_none, ec);
    }
    if (!cfg.cert_file.empty()) {
        ctx->use_certificate_chain_file(cfg.cert_file, ec);
        if (!ec) ctx->use_private_key_file(cfg.key_file.empty() ? cfg.cert_file : cfg.key_file, ssl::context::pem, ec);
        if (ec) return core::make_error("tls.client_cert", "cannot load client certificate: " + ec.message());
    }
    return ctx;
}

core::Result<std::shared_ptr<ssl::context>> make_server_context(const TlsServerConfig& cfg) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    ctx->use_certificate_chain_file(cfg.cert_file, ec);
    if (!ec) ctx->use_private_key_file(cfg.key_file, ssl::context::pem, ec);
    if (ec) return core::make_error("tls.server_cert", "cannot load server certificate/key: " + ec.message());
    if (!cfg.client_ca_file.empty()) {
        ctx->load_verify_file(cfg.client_ca_file, ec);
        if (ec) return core::make_error("tls.ca", "cannot load client CA: " + ec.message());
        ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    return ctx;
}

}  // namespace net

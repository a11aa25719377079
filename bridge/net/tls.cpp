#include "bridge/net/tls.hpp"

#include <sys/stat.h>

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

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

namespace {

// What identifies a file's content well enough to notice a replacement.
struct FileStamp {
    bool exists = false;
    long long size = 0, mtime_ns = 0, inode = 0;
    bool operator==(const FileStamp&) const = default;
};

FileStamp stamp(const std::string& path) {
    FileStamp s;
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return s;
    s.exists = true;
    s.size = static_cast<long long>(st.st_size);
    s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
    s.inode = static_cast<long long>(st.st_ino);
    return s;
}

struct Cached {
    std::vector<FileStamp> stamps;
    std::shared_ptr<ssl::context> ctx;
};

std::mutex cache_mutex;
std::map<std::string, Cached> cache;  // key: the settings
std::atomic<std::uint64_t> built{0};

}  // namespace

core::Result<std::shared_ptr<ssl::context>> client_context(const TlsClientConfig& cfg) {
    const std::string key = std::string(cfg.verify ? "1" : "0") + '\n' + cfg.ca_file + '\n' + cfg.ca_path + '\n' +
                            cfg.cert_file + '\n' + cfg.key_file;
    // A few stat() calls per connection: cheap next to a handshake, and what
    // lets a rotated file take effect at the next connection.
    std::vector<FileStamp> stamps{stamp(cfg.ca_file), stamp(cfg.ca_path), stamp(cfg.cert_file), stamp(cfg.key_file)};
    {
        std::lock_guard lock(cache_mutex);
        auto it = cache.find(key);
        if (it != cache.end() && it->second.stamps == stamps) return it->second.ctx;
    }
    auto ctx = make_client_context(cfg);
    if (!ctx) return ctx;
    ++built;
    std::lock_guard lock(cache_mutex);
    cache[key] = Cached{std::move(stamps), *ctx};
    return ctx;
}

std::uint64_t client_contexts_built() { return built.load(); }

}  // namespace net

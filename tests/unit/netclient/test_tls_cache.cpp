// net::client_context: one TLS client context per distinct setting, shared
// by every connection, rebuilt when a file it was built from changes on
// disk; a failure is not remembered.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "bridge/net/tls.hpp"
#include "tests/unit/cmp/pki_util.hpp"

namespace fs = std::filesystem;

TEST_CASE("client contexts are shared until a certificate file changes") {
    const fs::path dir = pki::temp_dir("tls-cache");
    auto a = pki::make(dir, "a");
    auto b = pki::make(dir, "b");
    const std::string ca = (dir / "current-ca.pem").string();
    fs::copy_file(a.ca(), ca);
    net::TlsClientConfig cfg;
    cfg.ca_file = ca;
    cfg.cert_file = a.client_cert();
    cfg.key_file = a.client_key();

    const auto before = net::client_contexts_built();
    auto first = net::client_context(cfg);
    REQUIRE(first);
    for (int i = 0; i < 100; ++i) {
        auto again = net::client_context(cfg);
        REQUIRE(again);
        CHECK(again->get() == first->get());
    }
    CHECK(net::client_contexts_built() == before + 1);  // 101 connections, one CA parse

    // Another setting: its own context.
    net::TlsClientConfig other = cfg;
    other.cert_file.clear();
    other.key_file.clear();
    auto o = net::client_context(other);
    REQUIRE(o);
    CHECK(o->get() != first->get());

    // The operator rotates the CA: the next connection gets a new context.
    fs::copy_file(b.ca(), ca, fs::copy_options::overwrite_existing);
    auto rotated = net::client_context(cfg);
    REQUIRE(rotated);
    CHECK(rotated->get() != first->get());
    CHECK(net::client_context(cfg)->get() == rotated->get());

    // A broken file fails, and is tried again once fixed.
    std::ofstream(ca, std::ios::trunc) << "not a certificate\n";
    CHECK_FALSE(net::client_context(cfg));
    fs::copy_file(a.ca(), ca, fs::copy_options::overwrite_existing);
    CHECK(net::client_context(cfg));
    fs::remove_all(dir);
}

// The admin section of bridge.yaml: off when absent; credentials required
// unless the listener is on loopback; secrets inline, from ${ENV} or *_file;
// refusals name file:line:col. Each refusal has an accepted neighbour, so a
// check that refuses everything fails.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bridge/app/config.hpp"

namespace fs = std::filesystem;

namespace {

struct Dir {
    fs::path dir = fs::temp_directory_path() / ("bridge-admin-config-test-" + std::to_string(::getpid()));
    Dir() {
        fs::create_directories(dir);
        std::ofstream(dir / "map.yaml") << "model: InternetGatewayDevice:1.4\n";
        std::ofstream(dir / "token") << "a-token-of-32-bytes-from-a-file!\n";
        std::ofstream(dir / "admin.pem") << "not parsed at load time\n";
        std::ofstream(dir / "admin.key") << "not parsed at load time\n";
    }
    ~Dir() { fs::remove_all(dir); }
    std::string file() const { return (dir / "bridge.yaml").string(); }
};

const Dir& tmp() {
    static Dir d;
    return d;
}

const std::string kHead = "acs: { url: http://127.0.0.1:7547/acs, username: b, password: p }\n"  // line 1
                          "state_dir: state\n"                                                       // line 2
                          "defaults: { mapping: map.yaml, secret: s }\n";                           // line 3

core::Result<app::Config> load(const std::string& admin) {
    std::ofstream(tmp().file(), std::ios::trunc) << kHead << admin;
    return app::load_config(tmp().file());
}

app::AdminConfig accepted(const std::string& admin) {
    auto c = load(admin);
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
    return c->admin;
}

void refused(const std::string& admin, const std::string& pos, const std::string& expect) {
    auto c = load(admin);
    CAPTURE(admin);
    REQUIRE_FALSE(c.ok());
    CAPTURE(c.error().message);
    CHECK(c.error().message.starts_with(tmp().file() + ":" + pos + ": "));
    CHECK(c.error().message.find(expect) != std::string::npos);
}

}  // namespace

TEST_CASE("no admin section: no admin listener") {
    CHECK_FALSE(accepted("").enabled());
}

TEST_CASE("on loopback the admin listener may run without credentials, elsewhere it may not") {
    auto a = accepted("admin:\n  listen: 127.0.0.1:9100\n");
    CHECK(a.enabled());
    CHECK_FALSE(a.needs_auth());
    CHECK(accepted("admin:\n  listen: \"[::1]:9100\"\n").enabled());
    refused("admin:\n  listen: 0.0.0.0:9100\n", "5:11", "not a loopback address");
    refused("admin:\n  listen: 192.0.2.1:9100\n", "5:11", "admin.username/password or admin.token");
    CHECK(accepted("admin:\n  listen: 0.0.0.0:9100\n  username: ops\n  password: pw\n").needs_auth());
}

TEST_CASE("admin credentials: Basic pairs, a long enough token, from a file or the environment") {
    auto basic = accepted("admin:\n  listen: 0.0.0.0:9100\n  username: ops\n  password: s3cret\n");
    CHECK(basic.username == "ops");
    CHECK(basic.password == "s3cret");
    refused("admin:\n  listen: 127.0.0.1:9100\n  username: ops\n", "6:13", "username and password go together");
    refused("admin:\n  listen: 127.0.0.1:9100\n  password: pw\n", "6:13", "username and password go together");

    auto file = accepted("admin:\n  listen: 0.0.0.0:9100\n  token_file: token\n");
    CHECK(file.token == "a-token-of-32-bytes-from-a-file!");
    refused("admin:\n  listen: 0.0.0.0:9100\n  token: short\n", "6:10", "at least 16 bytes");
    refused("admin:\n  listen: 0.0.0.0:9100\n  token: 0123456789abcdef0123\n  token_file: token\n", "7:15",
            "keep one of them");
    ::setenv("BRIDGE_TEST_ADMIN_TOKEN", "from-the-environment-0123456789", 1);
    CHECK(accepted("admin:\n  listen: 0.0.0.0:9100\n  token: ${BRIDGE_TEST_ADMIN_TOKEN}\n").token ==
          "from-the-environment-0123456789");
}

TEST_CASE("admin: unknown keys, a missing listen, bad addresses and TLS files are refused") {
    refused("admin:\n  listen: 127.0.0.1:9100\n  user: ops\n", "6:3", "unknown key 'user' in admin");
    refused("admin:\n  username: ops\n  password: pw\n", "5:3", "missing admin.listen");
    refused("admin:\n  listen: localhost:9100\n", "5:11", "the host must be an IP address");
    refused("admin:\n  listen: 127.0.0.1:9100\n  tls: { cert_file: admin.pem }\n", "6:8", "needs cert_file and key_file");
    refused("admin:\n  listen: 127.0.0.1:9100\n  tls: { cert_file: gone.pem, key_file: admin.key }\n", "6:21",
            "does not exist");
    auto tls = accepted("admin:\n  listen: 127.0.0.1:9100\n  tls: { cert_file: admin.pem, key_file: admin.key }\n");
    REQUIRE(tls.tls);
    CHECK(tls.tls->key_file == (tmp().dir / "admin.key").string());
}

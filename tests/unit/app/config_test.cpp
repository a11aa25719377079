// The daemon's configuration (docs/configuration.md): every value that would
// leave the bridge half-working is refused at start, naming file:line:col,
// the key, and what was expected (type, range or allowed values). Each case
// also loads an accepted variant, so a check that refuses everything fails.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bridge/app/config.hpp"

namespace fs = std::filesystem;

namespace {

// A folder per test process holding bridge.yaml and the files it names.
struct ConfigDir {
    fs::path dir = fs::temp_directory_path() / ("bridge-config-test-" + std::to_string(::getpid()));
    ConfigDir() {
        fs::create_directories(dir);
        std::ofstream(dir / "map.yaml") << "model: InternetGatewayDevice:1.4\n";
        std::ofstream(dir / "secrets.yaml") << "GW-0042: a-provisioned-secret\n";
        std::ofstream(dir / "ca.pem") << "not parsed at load time\n";
    }
    ~ConfigDir() { fs::remove_all(dir); }
    std::string file() const { return (dir / "bridge.yaml").string(); }
    core::Result<app::Config> load(const std::string& text) const {
        std::ofstream(file(), std::ios::trunc) << text;
        return app::load_config(file());
    }
};

const ConfigDir& tmp() {
    static ConfigDir d;
    return d;
}

// The lines every case shares; a case appends sections or replaces one.
const std::string kAcs = "acs:\n  url: http://127.0.0.1:7547/acs\n  username: bridge\n  password: pw\n";  // lines 1-4
const std::string kRest = "state_dir: state\n"                                                           // line 5
                          "defaults:\n  mapping: map.yaml\n  secret: s3cret\n"                           // lines 6-8
                          "gateways:\n  - { id: GW-0001, url: \"http://127.0.0.1:7700/cmp/GW-0001\" }\n";  // lines 9-10

app::Config accepted(const std::string& text) {
    auto c = tmp().load(text);
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
    return *c;
}

// Refused with the message at `pos` ("line:col") containing every word of `expect`.
void refused(const std::string& text, const std::string& pos, std::initializer_list<std::string> expect) {
    auto c = tmp().load(text);
    CAPTURE(text);
    REQUIRE_FALSE(c.ok());
    const std::string& m = c.error().message;
    CAPTURE(m);
    CHECK(c.error().code == "config.invalid");
    CHECK(m.starts_with(tmp().file() + ":" + pos + ": "));
    for (const auto& e : expect) CHECK_MESSAGE(m.find(e) != std::string::npos, "missing: " << e);
}

}  // namespace

TEST_CASE("acs.url must be an http/https URL with a host") {
    auto acs = [](const std::string& url) { return "acs:\n  url: " + url + "\n" + kRest; };
    refused(acs("\"not a url\""), "2:8", {"acs.url", "expected an http:// or https:// URL with a host"});
    refused(acs("ftp://127.0.0.1/acs"), "2:8", {"acs.url", "expected an http:// or https:// URL"});
    refused(acs("\"http:///acs\""), "2:8", {"acs.url", "with a host"});
    CHECK(accepted(acs("https://acs.example.net:7547/")).acs.url == "https://acs.example.net:7547/");
}

TEST_CASE("gateway urls and connection_request.url_base must be URLs too") {
    refused(kAcs + "state_dir: s\ndefaults: { mapping: map.yaml, secret: s }\ngateways:\n  - id: GW-1\n    url: gw-1\n",
            "9:10", {"gateways[0].url", "expected an http:// or https:// URL"});
    refused(kAcs + "connection_request:\n  url_base: bridge.example.net:7548\n" + kRest, "6:13",
            {"connection_request.url_base", "expected an http:// or https:// URL"});
    refused(kAcs + "connection_request:\n  url_base: http://bridge.example.net/?x=1\n" + kRest, "6:13",
            {"connection_request.url_base", "without a query"});
    auto c = accepted(kAcs + "connection_request:\n  url_base: http://bridge.example.net:7548\n" + kRest);
    CHECK(c.connection_request.url_base == "http://bridge.example.net:7548");
    CHECK(c.gateways.at(0).url == "http://127.0.0.1:7700/cmp/GW-0001");
}

TEST_CASE("timeouts must be positive numbers of seconds within their range") {
    auto acs = [](const std::string& v) { return kAcs + "  timeout_s: " + v + "\n" + kRest; };
    for (const char* bad : {"-5", "0", "601", "1e9"})
        refused(acs(bad), "5:14", {"acs.timeout_s", "out of range", "allowed: 0.5 to 600 seconds"});
    refused(acs("soon"), "5:14", {"acs.timeout_s", "expected a number of seconds", "'soon'"});
    CHECK(accepted(acs("2.5")).acs.timeout == std::chrono::milliseconds(2500));

    auto cmp = [](const std::string& v) { return kAcs + "cmp:\n  timeout_s: " + v + "\n" + kRest; };
    refused(cmp("-1"), "6:14", {"cmp.timeout_s", "allowed: 0.5 to 600 seconds"});
    CHECK(accepted(cmp("3")).cmp.timeout == std::chrono::seconds(3));
}

TEST_CASE("counts and intervals: zero, negative and absurd values are refused with the allowed range") {
    struct Case {
        std::string section, key, bad, range;
    };
    for (const Case& k : {Case{"cmp", "concurrency", "0", "allowed: 1 to 64"},
                          Case{"cmp", "concurrency", "-2", "allowed: 1 to 64"},
                          Case{"cmp", "keepalive_s", "5", "allowed: 10 to 86400 seconds"},
                          Case{"cmp", "max_registered", "0", "allowed: 1 to 1000000"},
                          Case{"connection_request", "max_per_minute", "0", "allowed: 1 to 6000 per minute"},
                          Case{"periodic_inform", "interval_s", "0", "allowed: 1 to 31536000 seconds"},
                          Case{"periodic_inform", "interval_s", "99999999999999999999", "allowed: 1 to 31536000"}}) {
        const std::string at = "  " + k.key + ": ";
        refused(kAcs + k.section + ":\n" + at + k.bad + "\n" + kRest, "6:" + std::to_string(at.size() + 1),
                {k.section + "." + k.key, "out of range", k.range});
    }
    auto c = accepted(kAcs + "cmp:\n  concurrency: 4\n  keepalive_s: 60\nperiodic_inform:\n  interval_s: 600\n" + kRest);
    CHECK(c.cmp.concurrency == 4);
    CHECK(c.cmp.keepalive_s == 60);
    CHECK(c.periodic_inform.interval_s == 600);
}

TEST_CASE("cmp.reuse_answers_ms: 2000 by default, 0 turns it off, beyond a minute refused") {
    CHECK(accepted(kAcs + kRest).cmp.reuse_answers == std::chrono::milliseconds(2000));
    auto reuse = [](const std::string& v) { return kAcs + "cmp:\n  reuse_answers_ms: " + v + "\n" + kRest; };
    CHECK(accepted(reuse("0")).cmp.reuse_answers == std::chrono::milliseconds(0));
    CHECK(accepted(reuse("500")).cmp.reuse_answers == std::chrono::milliseconds(500));
    refused(reuse("-1"), "6:21", {"cmp.reuse_answers_ms", "out of range", "allowed: 0 to 60000 ms"});
    refused(reuse("60001"), "6:21", {"cmp.reuse_answers_ms", "out of range", "allowed: 0 to 60000 ms"});
}

TEST_CASE("cwmp_version: only the versions the codec writes, listed in the error") {
    auto acs = [](const std::string& v) { return kAcs + "  cwmp_version: " + v + "\n" + kRest; };
    for (const char* bad : {"cwmp-1-4", "cwmp-1-3", "1.2", "cwmp-2-0"})
        refused(acs(bad), "5:17",
                {"acs.cwmp_version", "'" + std::string(bad) + "' is not supported",
                 "allowed: cwmp-1-0, cwmp-1-1, cwmp-1-2"});
    CHECK(accepted(acs("cwmp-1-1")).acs.cwmp_version == cwmp::Version::v1_1);
    CHECK(accepted(acs("cwmp-1-2")).acs.cwmp_version == cwmp::Version::v1_2);
}

TEST_CASE("a wrong type names the key and the expected type") {
    refused(kAcs + "cmp:\n  concurrency: two\n" + kRest, "6:16", {"cmp.concurrency", "expected an integer", "'two'"});
    refused(kAcs + "cmp:\n  concurrency: 2.5\n" + kRest, "6:16", {"cmp.concurrency", "expected an integer"});
    refused(kAcs + "cmp:\n  require_auth: maybe\n" + kRest, "6:17", {"cmp.require_auth", "expected true/false"});
    refused("acs:\n  url: http://127.0.0.1/\n  username: [a, b]\n" + kRest, "3:13", {"acs.username", "expected a string"});
    refused("acs: http://127.0.0.1/\n" + kRest, "1:6", {"acs", "expected a mapping"});
    refused(kAcs + "periodic_inform: yes\n" + kRest, "5:18", {"periodic_inform", "expected a mapping"});
    refused(kAcs + "state_dir: s\ngateways: { id: GW-1 }\n", "6:11", {"gateways", "expected a list"});
    refused(kAcs + "state_dir: s\ndefaults: { mapping: map.yaml, secret: ~ }\n", "6:40", {"defaults.secret", "expected a string"});
    CHECK_FALSE(accepted(kAcs + "cmp:\n  require_auth: false\n" + kRest).cmp.require_auth);
}

TEST_CASE("listen addresses must be IP:port with a port in range") {
    auto cr = [](const std::string& v) { return kAcs + "connection_request:\n  listen: \"" + v + "\"\n" + kRest; };
    refused(cr("127.0.0.1"), "6:11", {"connection_request.listen", "expected IP:port"});
    refused(cr("localhost:7548"), "6:11", {"connection_request.listen", "expected IP:port", "must be an IP address"});
    refused(cr("127.0.0.1:70000"), "6:11", {"connection_request.listen", "allowed: 0 to 65535"});
    refused(kAcs + "cmp:\n  listen: \":7600\"\n" + kRest, "6:11", {"cmp.listen", "expected IP:port"});
    CHECK(accepted(cr("[::1]:0")).connection_request.listen == "[::1]:0");
}

TEST_CASE("gateway ids: not empty, usable as a state file name, never twice") {
    auto gw = [](const std::string& id) {
        return kAcs + "state_dir: s\ndefaults: { mapping: map.yaml, secret: s }\ngateways:\n  - id: " + id +
               "\n    url: http://127.0.0.1:7700/\n";
    };
    refused(gw("\"\""), "8:9", {"gateways[0].id", "is not a valid gateway id"});
    refused(gw("../../etc/x"), "8:9", {"gateways[0].id", "is not a valid gateway id"});
    refused(gw("GW-1\n    url: http://127.0.0.1:7700/\n  - id: GW-1"), "10:9", {"duplicate gateway id 'GW-1'"});
    CHECK(accepted(gw("GW_0001.a")).gateways.at(0).id == "GW_0001.a");
}

TEST_CASE("files the bridge will need must exist: mappings, secrets file, TLS files") {
    refused(kAcs + "state_dir: s\ndefaults:\n  mapping: nowhere.yaml\n  secret: s\n", "7:12",
            {"defaults.mapping", "nowhere.yaml does not exist"});
    refused(kAcs + "state_dir: s\ndefaults: { secret: s }\ngateways:\n  - { id: GW-1, url: \"http://h/\", mapping: . }\n",
            "8:44", {"gateways[0].mapping", "is a directory, expected a file"});
    refused(kAcs + "cmp:\n  accept_registrations: true\n  secrets_file: gone.yaml\n" + kRest, "7:17",
            {"cmp.secrets_file", "does not exist"});
    refused(kAcs + "  tls: { ca_file: missing-ca.pem }\n" + kRest, "5:19", {"acs.tls.ca_file", "does not exist"});
    refused(kAcs + "  tls: { cert_file: ca.pem }\n" + kRest, "5:8", {"acs.tls", "cert_file and key_file go together"});
    std::ofstream(tmp().dir / "a-file") << "x";
    refused(kAcs + "state_dir: a-file\n", "5:12", {"state_dir", "is not a directory"});
    auto c = accepted(kAcs + "  tls: { ca_file: ca.pem }\ncmp:\n  accept_registrations: true\n  secrets_file: secrets.yaml\n" + kRest);
    CHECK(c.acs.tls.ca_file == (tmp().dir / "ca.pem").string());
    CHECK(c.cmp.secrets_file == (tmp().dir / "secrets.yaml").string());
}

TEST_CASE("secrets: a short registration master and a missing CMP secret are refused") {
    refused(kAcs + "cmp:\n  registration_secret: short\n" + kRest, "6:24", {"cmp.registration_secret", "at least 16 bytes"});
    refused(kAcs + "state_dir: s\ndefaults: { mapping: map.yaml }\ngateways:\n  - { id: GW-1, url: \"http://h/\", secret: \"\" }\n",
            "8:5", {"gateway 'GW-1' has no CMP secret", "cmp.require_auth"});
    // A secret that YAML reads as a mapping is not a secret.
    refused(kAcs + "state_dir: s\ndefaults: { mapping: map.yaml }\ngateways:\n  - { id: GW-1, url: \"http://h/\", secret: {a: b} }\n",
            "8:43", {"gateways[0].secret", "expected a string"});
    CHECK(accepted(kAcs + "cmp:\n  registration_secret: 0123456789abcdef\n" + kRest).cmp.registration_secret.size() == 16);
}

TEST_CASE("unknown and repeated keys are refused") {
    refused(kAcs + "  timeout: 5\n" + kRest, "5:3", {"unknown key 'timeout' in acs", "timeout_s"});
    refused(kAcs + "  url: http://127.0.0.1:1/\n" + kRest, "5:3", {"duplicate key 'url' in acs"});
    refused(kAcs + kRest + "state_dir: other\n", "11:1", {"duplicate key 'state_dir'"});
}

TEST_CASE("a folder, a missing file or an empty file is an error, never an exception") {
    auto dir = app::load_config(tmp().dir.string());
    REQUIRE_FALSE(dir.ok());
    CHECK(dir.error().code == "config.io");
    CHECK(dir.error().message.find("is a directory") != std::string::npos);
    auto missing = app::load_config((tmp().dir / "absent.yaml").string());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("no such configuration file") != std::string::npos);
    refused("", "1:1", {"the configuration file is empty"});
    refused("acs: [\n", "2:1", {"end of sequence"});
}

TEST_CASE("listener connection limits: settable per listener, in range, per source at most the total") {
    auto d = accepted(kAcs + kRest);
    CHECK(d.cmp.limits.max_connections == 4096);
    CHECK(d.cmp.limits.max_connections_per_source == 64);
    CHECK(d.connection_request.limits.max_connections_per_source == 256);
    auto c = accepted(kAcs + "cmp:\n  max_connections: 20000\n  max_connections_per_source: 20000\n"
                             "connection_request:\n  max_connections: 64\n  max_connections_per_source: 8\n" + kRest);
    CHECK(c.cmp.limits.max_connections == 20000);
    CHECK(c.cmp.limits.max_connections_per_source == 20000);
    CHECK(c.connection_request.limits.max_connections == 64);
    CHECK(c.connection_request.limits.max_connections_per_source == 8);
    refused(kAcs + "cmp:\n  max_connections: 0\n" + kRest, "6:20", {"cmp.max_connections", "allowed: 1 to 1000000"});
    refused(kAcs + "cmp:\n  max_connections: 10\n  max_connections_per_source: 11\n" + kRest, "7:31",
            {"cmp.max_connections_per_source", "at most cmp.max_connections (10)"});
}

// Secrets kept out of the file: ${ENV} in any string value, *_file for every secret.
TEST_CASE("${NAME} in a string value is the environment variable; unset is refused at its position") {
    ::setenv("BRIDGE_TEST_ACS_PW", "from-env", 1);
    ::setenv("BRIDGE_TEST_HOST", "127.0.0.1", 1);
    ::unsetenv("BRIDGE_TEST_UNSET");
    const std::string acs = "acs:\n  url: http://${BRIDGE_TEST_HOST}:7547/acs\n  username: bridge\n";  // lines 1-3
    auto c = accepted(acs + "  password: ${BRIDGE_TEST_ACS_PW}\n" + kRest);
    CHECK(c.acs.password == "from-env");
    CHECK(c.acs.url == "http://127.0.0.1:7547/acs");
    // Inside text, twice, and $${ for a literal ${ (not expanded even if set).
    CHECK(accepted(acs + "  password: \"a${BRIDGE_TEST_HOST}b${BRIDGE_TEST_ACS_PW}\"\n" + kRest).acs.password ==
          "a127.0.0.1bfrom-env");
    CHECK(accepted(acs + "  password: \"$${BRIDGE_TEST_ACS_PW}\"\n" + kRest).acs.password == "${BRIDGE_TEST_ACS_PW}");
    CHECK(accepted(acs + "  password: a$b$\n" + kRest).acs.password == "a$b$");  // a lone $ is text
    refused(acs + "  password: ${BRIDGE_TEST_UNSET}\n" + kRest, "4:13",
            {"acs.password", "environment variable BRIDGE_TEST_UNSET is not set"});
    refused(acs + "  password: ${BRIDGE_TEST_ACS_PW\n" + kRest, "4:13", {"acs.password", "without a closing '}'"});
    refused(acs + "  password: \"${1X}\"\n" + kRest, "4:13", {"is not a variable name"});
    // Everything read as a string is expanded: a gateway's secret too.
    CHECK(accepted(kAcs + "state_dir: s\ndefaults: { mapping: map.yaml }\ngateways:\n"
                          "  - { id: GW-1, url: \"http://h/\", secret: \"${BRIDGE_TEST_ACS_PW}\" }\n")
              .gateways[0]
              .secret == "from-env");
}

TEST_CASE("*_file secrets: read at load, one trailing newline dropped, never both forms, the file must exist") {
    std::ofstream(tmp().dir / "acs-pw") << "file-pw\n";
    std::ofstream(tmp().dir / "master") << "0123456789abcdef0123\r\n";
    std::ofstream(tmp().dir / "gw") << "gw-secret";
    std::ofstream(tmp().dir / "two-lines") << "line1\nline2\n\n";
    std::ofstream(tmp().dir / "empty");
    const std::string acs = "acs:\n  url: http://127.0.0.1:7547/acs\n  username: bridge\n";  // lines 1-3
    auto c = accepted(acs + "  password_file: acs-pw\ncmp:\n  registration_secret_file: master\n"
                            "state_dir: s\ndefaults:\n  mapping: map.yaml\n  secret_file: gw\n"
                            "gateways:\n  - { id: GW-1, url: \"http://h/\" }\n  - { id: GW-2, url: \"http://h/\", "
                            "secret_file: two-lines }\n");
    CHECK(c.acs.password == "file-pw");
    CHECK(c.cmp.registration_secret == "0123456789abcdef0123");
    CHECK(c.default_secret == "gw-secret");
    CHECK(c.gateways[0].secret == "gw-secret");
    CHECK(c.gateways[1].secret == "line1\nline2\n");  // only the last newline is the file's end
    refused(acs + "  password: p\n  password_file: acs-pw\n" + kRest, "5:18",
            {"acs.password_file", "acs.password is given too"});
    refused(acs + "  password_file: nowhere\n" + kRest, "4:18", {"acs.password_file", "nowhere does not exist"});
    refused(acs + "  password_file: empty\n" + kRest, "4:18", {"acs.password_file", "is empty"});
    refused(acs + "  password_file: .\n" + kRest, "4:18", {"is a directory"});
    refused(kAcs + "state_dir: s\ndefaults:\n  mapping: map.yaml\n  secret: a\n  secret_file: gw\n", "9:16",
            {"defaults.secret_file", "defaults.secret is given too"});
    refused(kAcs + "state_dir: s\ndefaults: { mapping: map.yaml }\ngateways:\n"
                   "  - { id: GW-1, url: \"http://h/\", secret_file: gone }\n",
            "8:48", {"gateways[0].secret_file", "does not exist"});
    // The length rule of the master applies to what the file holds.
    std::ofstream(tmp().dir / "short") << "short\n";
    refused(kAcs + "cmp:\n  registration_secret_file: short\n" + kRest, "6:29", {"at least 16 bytes"});
    // The content of a secret file is taken literally, never expanded.
    std::ofstream(tmp().dir / "dollar") << "${NOT_EXPANDED}\n";
    CHECK(accepted(acs + "  password_file: dollar\n" + kRest).acs.password == "${NOT_EXPANDED}");
    if (::getuid() != 0) {  // root reads any file
        std::ofstream(tmp().dir / "locked") << "x\n";
        fs::permissions(tmp().dir / "locked", fs::perms::none);
        refused(acs + "  password_file: locked\n" + kRest, "4:18", {"is not readable"});
    }
}

TEST_CASE("periodic_inform.start_spread_s: 0 to a day, default three minutes") {
    CHECK(accepted(kAcs + kRest).periodic_inform.start_spread_s == 180);
    CHECK(accepted(kAcs + "periodic_inform:\n  start_spread_s: 0\n" + kRest).periodic_inform.start_spread_s == 0);
    refused(kAcs + "periodic_inform:\n  start_spread_s: -1\n" + kRest, "6:19",
            {"periodic_inform.start_spread_s", "allowed: 0 to 86400 seconds"});
}

TEST_CASE("reverse: a reverse-only bridge needs no acs section; its own keys are checked at file:line:col") {
    std::ofstream(tmp().dir / "cpes.yaml") << "default: {username: cpe, password: pw}\n";
    const std::string rev = "state_dir: state\n"                                          // line 1
                            "reverse:\n"                                                  // line 2
                            "  acs:\n    listen: 127.0.0.1:7557\n"                        // lines 3-4
                            "    credentials_file: cpes.yaml\n"                           // line 5
                            "  homs:\n    url: http://127.0.0.1:7443/cmp\n"               // lines 6-7
                            "    secret: a-shared-gateway-secret\n"                       // line 8
                            "  agent: { listen: 127.0.0.1:7700, url_base: http://127.0.0.1:7700/ }\n"  // line 9
                            "  mappings: { InternetGatewayDevice: map.yaml }\n";          // line 10
    auto c = accepted(rev);
    REQUIRE(c.reverse);
    CHECK_FALSE(c.forward());
    CHECK(c.reverse->acs.credentials_file == (tmp().dir / "cpes.yaml").string());
    CHECK(c.reverse->homs.url == "http://127.0.0.1:7443/cmp");
    CHECK(c.reverse->agent.url_base == "http://127.0.0.1:7700");
    CHECK(c.reverse->mappings.at("InternetGatewayDevice") == (tmp().dir / "map.yaml").string());
    CHECK(c.reverse->call_wait == std::chrono::milliseconds(8000));
    // Both directions in one file: the forward part is read as usual.
    CHECK(accepted(kAcs + kRest + rev.substr(rev.find("reverse:"))).forward());

    auto replace = [&](const std::string& from, const std::string& to) {
        std::string t = rev;
        t.replace(t.find(from), from.size(), to);
        return t;
    };
    refused(replace("    credentials_file: cpes.yaml\n", ""), "4:5", {"credentials_file", "authenticated"});
    refused(replace("cpes.yaml", "absent.yaml"), "5:23", {"reverse.acs.credentials_file", "does not exist"});
    refused(replace("    secret: a-shared-gateway-secret\n", ""), "7:5", {"reverse.homs", "secret"});
    refused(replace("InternetGatewayDevice: map.yaml", "Devise: map.yaml"), "10:15", {"unknown key 'Devise'"});
    refused(replace("url: http://127.0.0.1:7443/cmp", "url: 127.0.0.1:7443"), "7:10", {"reverse.homs.url"});
    refused(replace("  mappings:", "  call_wait_s: 0\n  mappings:"), "10:16", {"reverse.call_wait_s", "out of range"});
}

TEST_CASE("state: backend, dsn or dsn_file, node_id, lease_ttl_s; state_backend still read; conflicts at file:line:col") {
    // The default and the older top-level key.
    CHECK(accepted(kAcs + kRest).state_backend == app::StateBackend::sqlite);
    CHECK(accepted(kAcs + kRest + "state_backend: files\n").state_backend == app::StateBackend::files);
    CHECK(accepted(kAcs + kRest + "state:\n  backend: files\n").state_backend == app::StateBackend::files);
    auto pg = accepted(kAcs + kRest +
                       "state:\n  backend: postgresql\n  dsn: host=db.example user=bridge password=pw dbname=fleet\n"
                       "  node_id: node-1\n  lease_ttl_s: 15\n");
    CHECK(pg.state_backend == app::StateBackend::postgresql);
    CHECK(pg.state_postgres.dsn == "host=db.example user=bridge password=pw dbname=fleet");
    CHECK(pg.state_postgres.node_id == "node-1");
    CHECK(pg.state_postgres.lease_ttl == std::chrono::seconds(15));
    CHECK(pg.state_postgres.commit_timeout == std::chrono::seconds(30));
    // dsn_file: the secret kept out of bridge.yaml; node_id defaults to the host name.
    std::ofstream(tmp().dir / "dsn.txt") << "postgresql://bridge:pw@db.example/fleet\n";
    auto f = accepted(kAcs + kRest + "state:\n  backend: postgresql\n  dsn_file: dsn.txt\n  commit_timeout_s: 5\n");
    CHECK(f.state_postgres.dsn == "postgresql://bridge:pw@db.example/fleet");
    CHECK(f.state_postgres.commit_timeout == std::chrono::seconds(5));
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    CHECK(f.state_postgres.node_id == host);

    refused(kAcs + kRest + "state:\n  backend: postgresql\n", "12:12", {"state.backend", "needs state.dsn"});
    refused(kAcs + kRest + "state:\n  backend: postgresql\n  dsn: host=x\n  dsn_file: dsn.txt\n", "14:13",
            {"state.dsn_file", "state.dsn is given too"});
    refused(kAcs + kRest + "state:\n  backend: sqlite\n  dsn: host=x\n", "13:8", {"state.dsn", "only used with"});
    refused(kAcs + kRest + "state:\n  dsn: host=x\n", "12:8", {"state.dsn", "only used with"});
    refused(kAcs + kRest + "state_backend: files\nstate:\n  backend: sqlite\n", "11:16", {"state.backend is given too"});
    refused(kAcs + kRest + "state_backend: postgresql\n", "11:16", {"state: { backend: postgresql, dsn"});
    refused(kAcs + kRest + "state:\n  backend: mysql\n", "12:12", {"allowed: sqlite, files, postgresql"});
    refused(kAcs + kRest + "state:\n  backend: postgresql\n  dsn: host=x\n  lease_ttl_s: 1\n", "14:16",
            {"state.lease_ttl_s", "allowed: 5 to 600 seconds"});
    refused(kAcs + kRest + "state:\n  backend: postgresql\n  dsn: host=x\n  node_id: \"a b\"\n", "14:12",
            {"state.node_id", "not a valid node id"});
    refused(kAcs + kRest + "state:\n  backend: postgresql\n  port: 5432\n", "13:3", {"unknown key 'port' in state"});
    // An unparsable DSN is refused, shown without its password.
    auto bad = tmp().load(kAcs + kRest + "state:\n  backend: postgresql\n  dsn: \"host='open password=topsecret\"\n");
    REQUIRE(!bad);
    CHECK(bad.error().message.find("13:8: state.dsn: not a PostgreSQL connection string") != std::string::npos);
    CHECK(bad.error().message.find("topsecret") == std::string::npos);
}

TEST_CASE("acs.max_concurrent_sessions: default 512, 0 = no bound, beyond a million refused") {
    CHECK(accepted(kAcs + kRest).acs.max_concurrent_sessions == 512);
    CHECK(accepted(kAcs + "  max_concurrent_sessions: 0\n" + kRest).acs.max_concurrent_sessions == 0);
    CHECK(accepted(kAcs + "  max_concurrent_sessions: 64\n" + kRest).acs.max_concurrent_sessions == 64);
    refused(kAcs + "  max_concurrent_sessions: 1000001\n" + kRest, "5:28",
            {"acs.max_concurrent_sessions", "out of range", "allowed: 0 to 1000000 sessions"});
    refused(kAcs + "  max_concurrent_sessions: many\n" + kRest, "5:28", {"acs.max_concurrent_sessions", "integer"});
}

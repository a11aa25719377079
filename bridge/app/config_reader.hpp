#pragma once
// Typed, position-aware reads of the configuration YAML, shared by the
// sections of bridge.yaml (config.cpp) and the reverse mode's section
// (reverse_config.cpp): every refusal names file:line:col, the dotted key
// and what was expected (docs/configuration.md).
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/net/http_server.hpp"

namespace app::config_detail {

namespace fs = std::filesystem;

// The first refusal, thrown by Reader and turned into a Result by
// load_config: every check reads as one line instead of an if-return.
struct Refused {
    core::Error error;
};

// Values are quoted back so the operator sees what was read; long ones cut.
inline std::string shown(const std::string& s) { return "'" + (s.size() > 60 ? s.substr(0, 60) + "..." : s) + "'"; }

inline std::string number_text(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

enum class Want { file, directory };

// Typed reads of one node each. A refusal names file:line:col of the
// offending node, the key (`name`, dotted from the top) and what was expected.
struct Reader {
    std::string file;

    std::string where(const YAML::Node& n) const {
        auto m = n.Mark();
        // An empty document has no position: point at its start.
        return file + ":" + std::to_string(std::max(m.line, 0) + 1) + ":" + std::to_string(std::max(m.column, 0) + 1);
    }
    [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
        throw Refused{core::make_error("config.invalid", where(n) + ": " + what)};
    }

    // Unknown keys are errors: a typo must not silently fall back to a default.
    // Repeated keys too: yaml-cpp would silently use one of the values.
    void only_keys(const YAML::Node& n, const std::string& name, std::initializer_list<std::string_view> keys) const {
        std::string list;
        for (auto k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
        if (!n.IsMap()) fail(n, name + ": expected a mapping (keys: " + list + ")");
        std::set<std::string> seen;
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (!it->first.IsScalar()) fail(it->first, name + ": expected a key name (a string)");
            const std::string& k = it->first.Scalar();
            bool known = false;
            for (auto kk : keys) known = known || kk == k;
            if (!known) fail(it->first, "unknown key '" + k + "' in " + name + " (known: " + list + ")");
            if (!seen.insert(k).second) fail(it->first, "duplicate key '" + k + "' in " + name);
        }
    }
    // The sub-mapping `key` of `parent`, checked for its keys; undefined when absent.
    YAML::Node section(const YAML::Node& parent, const char* key, const std::string& name,
                       std::initializer_list<std::string_view> keys) const {
        YAML::Node n = parent[key];
        if (n) only_keys(n, name, keys);
        return n;
    }

    std::string string(const YAML::Node& n, const std::string& name) const {
        if (!n.IsScalar()) fail(n, name + ": expected a string");
        return expand(n, name);
    }
    // ${NAME} is replaced by the environment variable NAME (secrets kept out of the
    // file, e.g. `password: ${ACS_PASSWORD}`), `$${` is a literal `${`. An unset
    // variable is refused: an empty password would only fail later, far from here.
    std::string expand(const YAML::Node& n, const std::string& name) const {
        const std::string& s = n.Scalar();
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s.compare(i, 3, "$${") == 0) {
                out += "${";
                i += 2;
                continue;
            }
            if (s.compare(i, 2, "${") != 0) {
                out += s[i];
                continue;
            }
            auto close = s.find('}', i + 2);
            if (close == std::string::npos)
                fail(n, name + ": '${' without a closing '}' (write $${ for a literal ${)");
            std::string var = s.substr(i + 2, close - i - 2);
            bool valid = !var.empty() && !std::isdigit(static_cast<unsigned char>(var[0]));
            for (char ch : var) valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
            if (!valid)
                fail(n, name + ": " + shown("${" + var + "}") +
                            " is not a variable name (A-Z a-z 0-9 _; write $${ for a literal ${)");
            const char* value = std::getenv(var.c_str());
            if (!value) fail(n, name + ": environment variable " + var + " is not set");
            out += value;
            i = close;
        }
        return out;
    }
    // A secret given inline (`key`, ${ENV} expanded) or as `key_file`, a file whose
    // content is the secret (one trailing newline dropped, as `echo` writes it).
    // Both at once is refused: which one wins would be a guess.
    struct Secret {
        std::string value;
        YAML::Node node;  // where an error about the value points
    };
    std::optional<Secret> secret(const YAML::Node& parent, const std::string& key, const std::string& name) const {
        YAML::Node inline_node = parent[key], file_node = parent[key + "_file"];
        if (inline_node && file_node)
            fail(file_node, name + "_file: " + name + " is given too; keep one of them");
        if (inline_node) return Secret{string(inline_node, name), inline_node};
        if (!file_node) return std::nullopt;
        std::string path = existing(file_node, name + "_file", Want::file);
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in || in.bad()) fail(file_node, name + "_file: cannot read " + path);
        std::string v = text.str();
        if (v.size() >= 1 && v.back() == '\n') v.pop_back();
        if (v.size() >= 1 && v.back() == '\r') v.pop_back();
        if (v.empty()) fail(file_node, name + "_file: " + path + " is empty");
        return Secret{v, file_node};
    }
    bool boolean(const YAML::Node& n, const std::string& name) const {
        bool b = false;
        if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b))
            fail(n, name + ": expected true/false" + (n.IsScalar() ? ", got " + shown(n.Scalar()) : ""));
        return b;
    }
    long long integer(const YAML::Node& n, const std::string& name, long long lo, long long hi,
                      const std::string& unit) const {
        const std::string range = "allowed: " + std::to_string(lo) + " to " + std::to_string(hi) + unit;
        if (!n.IsScalar()) fail(n, name + ": expected an integer (" + range + ")");
        const std::string& s = n.Scalar();
        long long v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc::result_out_of_range) fail(n, name + ": " + shown(s) + " is out of range (" + range + ")");
        if (ec != std::errc{} || end != s.data() + s.size())
            fail(n, name + ": expected an integer, got " + shown(s) + " (" + range + ")");
        if (v < lo || v > hi) fail(n, name + ": " + s + " is out of range (" + range + ")");
        return v;
    }
    std::chrono::milliseconds seconds(const YAML::Node& n, const std::string& name, double lo, double hi) const {
        const std::string range = "allowed: " + number_text(lo) + " to " + number_text(hi) + " seconds";
        if (!n.IsScalar()) fail(n, name + ": expected a number of seconds (" + range + ")");
        const std::string& s = n.Scalar();
        double v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
            fail(n, name + ": expected a number of seconds, got " + shown(s) + " (" + range + ")");
        if (v < lo || v > hi) fail(n, name + ": " + s + " is out of range (" + range + ")");
        return std::chrono::milliseconds(static_cast<long long>(std::llround(v * 1000)));
    }

    // An absolute http/https URL with a host, as http::Url reads it for every request.
    std::string url(const YAML::Node& n, const std::string& name) const {
        std::string s = string(n, name);
        auto u = http::Url::parse(s);
        if (!u) fail(n, name + ": expected an http:// or https:// URL with a host (" + u.error().message + ")");
        return s;
    }
    // "IP:port" as the listeners bind it: they do not resolve names; port 0 = any free port.
    std::string listen(const YAML::Node& n, const std::string& name) const {
        std::string s = string(n, name);
        const std::string want = "expected IP:port, e.g. 0.0.0.0:7548 or [::]:7548, got " + shown(s);
        auto hp = net::split_host_port(s);
        if (!hp) fail(n, name + ": " + want);
        boost::system::error_code ec;
        boost::asio::ip::make_address(hp->first, ec);
        if (ec) fail(n, name + ": " + want + " (the host must be an IP address)");
        unsigned port = 0;
        auto [end, pec] = std::from_chars(hp->second.data(), hp->second.data() + hp->second.size(), port);
        if (pec != std::errc{} || end != hp->second.data() + hp->second.size() || port > 65535)
            fail(n, name + ": port " + shown(hp->second) + " is out of range (allowed: 0 to 65535, 0 = any free port)");
        return s;
    }
    // Relative paths are relative to the configuration file.
    std::string resolve(const std::string& p) const {
        if (p.empty() || fs::path(p).is_absolute()) return p;
        return (fs::path(file).parent_path() / p).lexically_normal().string();
    }
    // A file (or folder) that must exist now: better refused at start than at the first use.
    std::string existing(const YAML::Node& n, const std::string& name, Want want) const {
        std::string p = resolve(string(n, name));
        if (p.empty()) fail(n, name + ": expected a path, got an empty string");
        std::error_code ec;
        auto st = fs::status(p, ec);
        if (!fs::exists(st)) fail(n, name + ": " + p + " does not exist");
        if (want == Want::file && fs::is_directory(st)) fail(n, name + ": " + p + " is a directory, expected a file");
        if (want == Want::directory && !fs::is_directory(st)) fail(n, name + ": " + p + " is not a directory");
        if (::access(p.c_str(), R_OK) != 0) fail(n, name + ": " + p + " is not readable");
        return p;
    }
};

inline void read_tls(const Reader& r, const YAML::Node& parent, const std::string& name, net::TlsClientConfig& tls) {
    auto n = r.section(parent, "tls", name, {"verify", "ca_file", "ca_path", "cert_file", "key_file"});
    if (!n) return;
    if (n["verify"]) tls.verify = r.boolean(n["verify"], name + ".verify");
    if (n["ca_file"]) tls.ca_file = r.existing(n["ca_file"], name + ".ca_file", Want::file);
    if (n["ca_path"]) tls.ca_path = r.existing(n["ca_path"], name + ".ca_path", Want::directory);
    if (n["cert_file"]) tls.cert_file = r.existing(n["cert_file"], name + ".cert_file", Want::file);
    if (n["key_file"]) tls.key_file = r.existing(n["key_file"], name + ".key_file", Want::file);
    if (tls.cert_file.empty() != tls.key_file.empty())
        r.fail(n, name + ": cert_file and key_file go together (a client certificate needs its key)");
}


}  // namespace app::config_detail

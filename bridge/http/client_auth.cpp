// ClientAuth: the CPE side of HTTP authentication towards the ACS.
#include <cstdio>
#include <vector>

#include "bridge/http/auth.hpp"
#include "bridge/http/auth_params.hpp"
#include "bridge/http/encoding.hpp"

namespace http {
namespace {

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// A Digest challenge we can answer: known algorithm, realm and nonce present,
// and either no qop (RFC 2069) or a qop list that offers "auth".
bool usable_digest(const AuthChallenge& c) {
    if (c.scheme != "digest" || !c.param("realm") || !c.param("nonce")) return false;
    const std::string* alg = c.param("algorithm");
    const std::optional<DigestAlgorithm> algorithm = alg ? parse_digest_algorithm(*alg) : DigestAlgorithm::md5;
    if (!algorithm) return false;
    const std::string* qop = c.param("qop");
    // A -sess HA1 depends on a cnonce, which only travels together with qop.
    if (!qop) return algorithm == DigestAlgorithm::md5 || algorithm == DigestAlgorithm::sha256;
    for (auto item : split_list(*qop))
        if (iequals(item, "auth")) return true;
    return false;  // auth-int only would need the body hash
}

}  // namespace

core::Status ClientAuth::on_challenge(const Response& response, Credentials credentials) {
    std::vector<AuthChallenge> all;
    for (std::string_view header : response.find_all("WWW-Authenticate")) {
        auto parsed = parse_auth_header(header);
        if (!parsed) continue;  // one malformed header must not hide a good one next to it
        for (auto& c : *parsed) all.push_back(std::move(c));
    }
    if (all.empty())
        return core::make_error("http.auth_no_challenge", "401 response without a usable WWW-Authenticate header");
    if (has_control(credentials.username) || has_control(credentials.password))
        return core::make_error("http.auth_bad_credentials", "credentials contain control characters");

    const AuthChallenge* digest = nullptr;
    const AuthChallenge* basic = nullptr;
    for (const auto& c : all) {
        if (!digest && usable_digest(c)) digest = &c;
        if (!basic && c.scheme == "basic") basic = &c;
    }

    if (digest) {
        const std::string* alg = digest->param("algorithm");
        const std::string* opaque = digest->param("opaque");
        const std::string* stale = digest->param("stale");
        scheme_ = Scheme::digest;
        algorithm_ = alg ? *parse_digest_algorithm(*alg) : DigestAlgorithm::md5;
        send_algorithm_ = alg != nullptr;
        qop_auth_ = digest->param("qop") != nullptr;
        stale_ = stale && iequals(*stale, "true");
        realm_ = *digest->param("realm");
        nonce_ = *digest->param("nonce");
        opaque_ = opaque ? std::optional<std::string>(*opaque) : std::nullopt;
        sess_cnonce_.clear();
        nc_ = 0;
        credentials_ = std::move(credentials);
        return core::Ok{};
    }
    if (basic) {
        // RFC 7617: the user-id cannot contain a colon.
        if (credentials.username.find(':') != std::string::npos)
            return core::make_error("http.auth_bad_credentials", "a Basic user name cannot contain ':'");
        scheme_ = Scheme::basic;
        stale_ = false;
        credentials_ = std::move(credentials);
        return core::Ok{};
    }
    std::string offered;
    for (const auto& c : all) offered += (offered.empty() ? "" : ", ") + c.scheme;
    return core::make_error("http.auth_unsupported", "no supported authentication scheme offered (" + offered + ")");
}

std::string ClientAuth::next_cnonce() {
    if (cnonce_source_) return cnonce_source_();
    // Drawn from a per-thread pool refilled 32 cnonces at a time: one RAND_bytes call per
    // Authorization header cost more than its three MD5s (docs/performance.md, "the XML and crypto path"). A cnonce is
    // public; each pooled byte is used once.
    constexpr std::size_t kBytes = 16;
    thread_local std::string pool;
    thread_local std::size_t used = 0;
    if (used + kBytes > pool.size()) {
        pool = random_bytes(32 * kBytes);
        used = 0;
    }
    std::string cnonce = hex_encode(std::string_view(pool).substr(used, kBytes));
    used += kBytes;
    return cnonce;
}

std::optional<std::string> ClientAuth::authorization(std::string_view method, std::string_view uri) {
    if (scheme_ == Scheme::none) return std::nullopt;
    if (scheme_ == Scheme::basic)
        return "Basic " + base64_encode(credentials_.username + ":" + credentials_.password);

    DigestInput in;
    in.algorithm = algorithm_;
    in.username = credentials_.username;
    in.password = credentials_.password;
    in.realm = realm_;
    in.nonce = nonce_;
    in.method = method;
    in.uri = uri;

    const bool sess = algorithm_ == DigestAlgorithm::md5_sess || algorithm_ == DigestAlgorithm::sha256_sess;
    std::string cnonce;
    char nc[9] = {};
    if (sess) {
        if (sess_cnonce_.empty()) sess_cnonce_ = next_cnonce();
        cnonce = sess_cnonce_;
    } else if (qop_auth_) {
        cnonce = next_cnonce();
    }
    if (qop_auth_) {
        std::snprintf(nc, sizeof nc, "%08x", static_cast<unsigned>(++nc_));
        in.qop = "auth";
        in.nc = nc;
    }
    in.cnonce = cnonce;

    std::string h = "Digest username=" + quote(credentials_.username) + ", realm=" + quote(realm_) +
                    ", nonce=" + quote(nonce_) + ", uri=" + quote(uri);
    if (send_algorithm_) h += ", algorithm=" + std::string(to_string(algorithm_));
    h += ", response=\"" + digest_response(in) + "\"";
    if (opaque_) h += ", opaque=" + quote(*opaque_);
    if (qop_auth_) h += ", qop=auth, nc=" + std::string(nc) + ", cnonce=" + quote(cnonce);
    return h;
}

void ClientAuth::reset() {
    CnonceSource keep = std::move(cnonce_source_);
    *this = ClientAuth{};
    cnonce_source_ = std::move(keep);
}

}  // namespace http

#include "bridge/acs/cpe_auth.hpp"

#include "bridge/http/auth_params.hpp"
#include "bridge/http/encoding.hpp"

namespace acs {

core::Status CredentialTable::remember_username(const http::Credentials& c) {
    if (c.username.empty()) return core::Ok{};
    auto [it, inserted] = passwords_.emplace(c.username, c.password);
    if (!inserted && it->second != c.password)
        return core::make_error("acs.credentials",
                                "the CPE username " + c.username + " is given twice with different passwords");
    return core::Ok{};
}

core::Status CredentialTable::set_default(CpeCredentials credentials) {
    if (auto st = remember_username(credentials.cpe_to_acs); !st) return st;
    default_ = std::move(credentials);
    return core::Ok{};
}

core::Status CredentialTable::add(std::string cpe_id, CpeCredentials credentials) {
    if (auto st = remember_username(credentials.cpe_to_acs); !st) return st;
    per_cpe_[std::move(cpe_id)] = std::move(credentials);
    return core::Ok{};
}

std::optional<std::string> CredentialTable::password_for(std::string_view username) const {
    auto it = passwords_.find(username);
    if (it == passwords_.end()) return std::nullopt;
    return it->second;
}

bool CredentialTable::may_claim(std::string_view username, std::string_view cpe_id) const {
    if (auto it = per_cpe_.find(cpe_id); it != per_cpe_.end()) return it->second.cpe_to_acs.username == username;
    return default_ && !default_->cpe_to_acs.username.empty() && default_->cpe_to_acs.username == username;
}

http::Credentials CredentialTable::connection_request(std::string_view cpe_id) const {
    if (auto it = per_cpe_.find(cpe_id); it != per_cpe_.end() && !it->second.connection_request.username.empty())
        return it->second.connection_request;
    return default_ ? default_->connection_request : http::Credentials{};
}

CpeAuthenticator::CpeAuthenticator(std::shared_ptr<const CredentialTable> table, Options options)
    : table_(std::move(table)), options_(std::move(options)), verifier_(options_.digest) {}

CpeAuthenticator::Check CpeAuthenticator::check(const http::Request& head, std::int64_t now_unix) {
    Check out;
    const std::string* authz = head.find("Authorization");
    if (!authz) return out;
    auto lookup = [this](std::string_view user) { return table_->password_for(user); };
    auto parsed = http::parse_auth_header(*authz);
    if (!parsed || parsed->size() != 1) {
        out.verdict = http::Verdict::bad;
        return out;
    }
    const auto& item = (*parsed)[0];
    if (item.scheme == "basic") {
        if (!options_.allow_basic) {
            out.verdict = http::Verdict::bad;
            return out;
        }
        out.verdict = http::verify_basic(*authz, lookup);
        if (out.verdict == http::Verdict::ok) {
            auto decoded = http::base64_decode(item.token68);
            out.username = decoded ? decoded->substr(0, decoded->find(':')) : std::string();
        }
        return out;
    }
    out.verdict = verifier_.verify(*authz, head.method, head.target, lookup, now_unix);
    if (out.verdict == http::Verdict::ok) {
        const std::string* user = item.param("username");
        out.username = user ? *user : std::string();
    }
    return out;
}

http::Response CpeAuthenticator::challenge(std::int64_t now_unix, bool stale) const {
    http::Response r;
    r.status = 401;
    r.headers.push_back({"WWW-Authenticate", verifier_.challenge_at(now_unix, stale)});
    if (options_.allow_basic && !stale)
        r.headers.push_back({"WWW-Authenticate", "Basic realm=" + http::quote(verifier_.realm())});
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = "authentication required\n";
    return r;
}

}  // namespace acs

namespace acs {
std::string authorization_username(const http::Request& request) {
    const std::string* authz = request.find("Authorization");
    if (!authz) return {};
    auto parsed = http::parse_auth_header(*authz);
    if (!parsed || parsed->size() != 1) return {};
    const auto& item = (*parsed)[0];
    if (item.scheme == "basic") {
        auto decoded = http::base64_decode(item.token68);
        return decoded ? decoded->substr(0, decoded->find(':')) : std::string();
    }
    const std::string* user = item.param("username");
    return user ? *user : std::string();
}
}  // namespace acs

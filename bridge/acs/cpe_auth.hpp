#pragma once
// Authentication in both directions between the ACS side and its CPEs.
//   CPE -> ACS: the first POST of every session (the Inform) carries Digest
//   (Basic only when the listener allows it, i.e. over TLS). A username's
//   credentials are either a CPE's own or the default pair; a CPE's own
//   username may only claim that CPE's id, and the default pair only ids that
//   have no credentials of their own, so one CPE cannot inform as another.
//   ACS -> CPE: the Connection Request credentials of each CPE (TR-069 3.2.2:
//   ManagementServer.ConnectionRequestUsername/Password), the default pair
//   for CPEs without their own.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/http/auth.hpp"

namespace acs {

struct CpeCredentials {
    http::Credentials cpe_to_acs;          // what the CPE authenticates its sessions with
    http::Credentials connection_request;  // what the ACS wakes the CPE with
};

class CredentialTable {
public:
    // Errors: acs.credentials when two entries share a username with
    // different passwords (the username would not say which CPE it is).
    core::Status set_default(CpeCredentials credentials);
    core::Status add(std::string cpe_id, CpeCredentials credentials);

    std::optional<std::string> password_for(std::string_view username) const;
    // Whether a session authenticated as `username` may inform as `cpe_id`.
    bool may_claim(std::string_view username, std::string_view cpe_id) const;
    // Connection Request credentials of a CPE; empty username = none known.
    http::Credentials connection_request(std::string_view cpe_id) const;
    std::size_t size() const { return per_cpe_.size(); }

private:
    core::Status remember_username(const http::Credentials& c);

    std::optional<CpeCredentials> default_;
    std::map<std::string, CpeCredentials, std::less<>> per_cpe_;
    std::map<std::string, std::string, std::less<>> passwords_;  // username -> password
};

class CpeAuthenticator {
public:
    struct Options {
        http::DigestVerifierOptions digest;
        bool allow_basic = false;
    };
    struct Check {
        http::Verdict verdict = http::Verdict::missing;
        std::string username;  // set when ok
    };

    CpeAuthenticator(std::shared_ptr<const CredentialTable> table, Options options);

    // Checks the Authorization header of a request (headers are enough).
    // Thread-safe (each nonce count is accepted once).
    Check check(const http::Request& head, std::int64_t now_unix);
    // The 401 that asks for credentials (stale: the nonce only expired).
    http::Response challenge(std::int64_t now_unix, bool stale = false) const;
    const CredentialTable& table() const { return *table_; }

private:
    std::shared_ptr<const CredentialTable> table_;
    Options options_;
    http::DigestVerifier verifier_;
};

}  // namespace acs

namespace acs {
// The username an Authorization header (Digest or Basic) names, without
// checking it: for a request whose header the authenticator already accepted.
std::string authorization_username(const http::Request& request);
}  // namespace acs

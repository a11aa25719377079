#pragma once
// Redaction of secrets before anything reaches a trace (docs/traces.md,
// "Secrets"). Rules, applied to each message as the recorder takes it:
//   - HTTP: only selected headers are kept; Authorization keeps its scheme,
//     Cookie and Set-Cookie keep cookie names and attributes, never values.
//   - CWMP bodies: the Value of every parameter whose name looks like a secret
//     (…Password, …Passphrase, …PreSharedKey, …WEPKey, …Secret, …PSK) and every
//     leaf element so named (Download/Upload <Password>).
//   - CMP bodies: fields the catalogue marks sensitive or that are so named.
//   - CPE state: map keys so named (connection_request.password, acs_password).
//   - Anywhere (bodies, kept headers, state): the password of a URL with
//     userinfo (http://user:password@host/).
// Values found that way are remembered for the session: at its end, every
// element whose whole text equals one of them is redacted too (a secret the
// gateway sent under an innocent field name and the ACS then saw under a
// secret one). Known secrets (configured passwords, CMP shared secrets, the
// CPE's Connection Request password) are searched for in the finished text;
// a trace that still holds one is not written at all.
//
// XML is redacted in place on the raw text, so every other byte of a message
// stays as the peer sent it.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/http/message.hpp"

namespace trace {

inline constexpr std::string_view kRedacted = "(redacted)";

// Parameter, field, element or key names that hold secrets (case-insensitive).
bool is_secret_name(std::string_view name);

class Redactor {
public:
    Redactor();

    // A secret known in advance. Values of 4 characters or more only: shorter
    // ones would match innocent text.
    void add_known_secret(std::string_view secret);

    http::Headers request_headers(const http::Headers& h);
    http::Headers response_headers(const http::Headers& h);
    // CWMP or CMP XML (the rules above cover both); non-XML text is kept
    // unless it mentions a secret-like name, then replaced whole.
    std::string body(std::string_view xml);
    // cpe::serialize() output.
    std::string state(std::string_view yaml);

    // The end-of-session pass: elements whose whole text is a secret seen so far.
    std::string scrub_seen(std::string_view xml) const;
    // Whether text contains a known secret (the last check before writing).
    bool contains_known_secret(std::string_view text) const;

private:
    std::string value_for_header(std::string_view value);
    void remember(std::string_view value);

    std::vector<std::string> known_;
    std::vector<std::string> known_escaped_;  // the XML-escaped forms that differ
    std::set<std::string, std::less<>> seen_;
    std::set<std::string, std::less<>> sensitive_fields_;  // from the CMP catalogue
};

}  // namespace trace

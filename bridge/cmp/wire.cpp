#include "bridge/cmp/wire.hpp"

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/seed_cipher.hpp"

namespace cmp {
namespace {

// The media type of a Content-Type value, lower case, without parameters.
std::string media_type(const std::string* value) {
    if (!value) return {};
    std::string_view v = *value;
    v = v.substr(0, v.find(';'));
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return http::to_lower(v);
}

}  // namespace

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

core::Result<OutgoingRequest> make_http_request(const Request& msg, std::string_view target, const PeerKeys& keys,
                                                std::int64_t now) {
    OutgoingRequest out;
    http::Request& h = out.http;
    h.method = "POST";
    h.target = std::string(target);
    h.headers.push_back({"SOAPAction", soap_action(msg.function)});
    std::string xml = encode(msg);
    if (keys.legacy_seed) {
        if (keys.secret.empty())
            return core::make_error("cmp.config", "legacy SEED mode for " + keys.rg_id + " needs a shared secret");
        auto sealed = seal_body(keys.secret, xml);
        if (!sealed) return sealed.error();
        h.body = std::move(*sealed);
        h.headers.push_back({"Content-Type", std::string(kLegacyContentType)});
        h.headers.push_back({std::string(kEncHeader), std::string(kEncSeed)});
    } else {
        h.body = std::move(xml);
        h.headers.push_back({"Content-Type", std::string(kContentType)});
    }
    if (!keys.secret.empty()) {
        out.nonce = make_nonce();
        h.headers.push_back({std::string(kAuthHeader), sign(keys.secret, keys.rg_id, "POST", target, h.body, now,
                                                            out.nonce)});
    }
    return out;
}

core::Result<Response> read_http_response(const http::Response& res, std::string_view target, const PeerKeys& keys,
                                          std::string_view nonce, std::int64_t now, std::string_view function,
                                          std::chrono::seconds window) {
    const std::string who = "gateway " + keys.rg_id;
    if (res.status == 401)
        return core::make_error("cmp.unauthorized", who + " refused our message authentication (HTTP 401) for " +
                                                        std::string(function));
    if (res.status != 200 && res.status != 500)
        return core::make_error("cmp.http", who + " answered HTTP " + std::to_string(res.status) + " to " +
                                                std::string(function));
    if (!keys.secret.empty()) {
        const std::string* h = res.find(kAuthHeader);
        Verdict v = verify_response(h ? std::string_view(*h) : std::string_view{}, res.status, target, res.body, now,
                                    window, keys.secret, keys.rg_id, nonce);
        if (v != Verdict::ok)
            return core::make_error("cmp.bad_signature", who + ": response to " + std::string(function) +
                                                             " failed authentication (" +
                                                             std::string(to_string(v)) + ")");
    }
    const std::string* enc = res.find(kEncHeader);
    std::string decrypted;
    std::string_view body = res.body;  // decoded in place: no copy of a plain body
    if (keys.legacy_seed) {
        if (!enc || !http::iequals(*enc, kEncSeed))
            return core::make_error("cmp.decrypt", who + " answered without SEED encryption in legacy mode");
        auto opened = open_body(keys.secret, res.body);
        if (!opened) return core::make_error("cmp.decrypt", who + ": cannot decrypt the response");
        decrypted = std::move(*opened);
        body = decrypted;
    } else if (enc) {
        return core::make_error("cmp.decrypt", who + " sent an encrypted response outside legacy mode");
    }
    auto decoded = decode_response(body, {}, &Catalogue::builtin(), function);
    if (!decoded)
        return core::make_error(decoded.error().code, who + " sent an undecodable " + std::string(function) +
                                                          " response: " + decoded.error().message);
    return decoded;
}

Incoming open_request(const http::Request& req, Verifier& verifier, bool require_auth, std::int64_t now,
                      const KeyLookup& lookup) {
    Incoming in;
    in.path = req.target;
    auto refuse = [&](int status, std::string reason) {
        in.refuse_status = status;
        in.reason = std::move(reason);
        return in;
    };
    if (req.method != "POST") return refuse(405, "method " + req.method);
    const std::string* enc = req.find(kEncHeader);
    const bool legacy = enc != nullptr;
    if (legacy && !http::iequals(*enc, kEncSeed)) return refuse(415, "unsupported X-CMP-Enc");
    const std::string media = media_type(req.find("Content-Type"));
    if (legacy ? media != kLegacyContentType : media != "text/xml")
        return refuse(415, "Content-Type '" + media + "'");

    const std::string* auth = req.find(kAuthHeader);
    if (!auth && !require_auth && !legacy) {
        in.xml = req.body;  // unsigned: laboratory deployments
        return in;
    }
    std::optional<PeerKeys> keys;
    auto secret_of = [&](std::string_view rg) -> std::optional<std::string> {
        keys = lookup ? lookup(rg) : std::nullopt;
        if (!keys || keys->secret.empty()) return std::nullopt;
        return keys->secret;
    };
    Verdict v = verifier.verify(auth ? std::string_view(*auth) : std::string_view{}, req.method, req.target, req.body,
                                now, secret_of, &in.rg_id);
    if (v != Verdict::ok) return refuse(401, std::string(to_string(v)));
    in.keys = *keys;
    in.nonce = parse_auth_header(*auth)->nonce;
    if (in.keys.legacy_seed != legacy)
        return refuse(415, legacy ? "encrypted message from a gateway not in legacy mode"
                                  : "plain message from a gateway in legacy SEED mode");
    if (legacy) {
        auto opened = open_body(in.keys.secret, req.body);
        if (!opened) return refuse(401, "decrypt");
        in.xml = std::move(*opened);
    } else {
        in.xml = req.body;
    }
    return in;
}

http::Response make_http_response(int status, std::string xml, const Incoming& in, std::int64_t now) {
    http::Response r;
    r.status = status;
    if (in.keys.legacy_seed && !in.keys.secret.empty()) {
        auto sealed = seal_body(in.keys.secret, xml);
        if (!sealed) return make_refusal(500);  // SEED vanished after decrypting the request: cannot happen
        r.body = std::move(*sealed);
        r.headers.push_back({"Content-Type", std::string(kLegacyContentType)});
        r.headers.push_back({std::string(kEncHeader), std::string(kEncSeed)});
    } else {
        r.body = std::move(xml);
        r.headers.push_back({"Content-Type", std::string(kContentType)});
    }
    if (!in.nonce.empty() && !in.keys.secret.empty())
        r.headers.push_back({std::string(kAuthHeader), sign(in.keys.secret, in.keys.rg_id, std::to_string(status),
                                                            in.path, r.body, now, in.nonce)});
    return r;
}

http::Response make_refusal(int status, std::string_view function) {
    http::Response r;
    r.status = status;
    if (status == 405) r.headers.push_back({"Allow", "POST"});
    if (status == 401) {
        Fault f;
        f.fault_string = "authentication failed";
        f.result_code = result_code::unauthorized;
        f.result_msg = "authentication failed";
        f.function = std::string(function);
        r.headers.push_back({"Content-Type", std::string(kContentType)});
        r.body = encode(f);
    }
    return r;
}

}  // namespace cmp

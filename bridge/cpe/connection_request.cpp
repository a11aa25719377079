#include "bridge/cpe/connection_request.hpp"

namespace cpe {
namespace {

http::Response text_response(int status, std::string body, http::Headers headers = {}) {
    http::Response r;
    r.status = status;
    r.headers = std::move(headers);
    if (!body.empty()) {
        r.headers.push_back({"Content-Type", "text/plain"});
        r.body = std::move(body) + "\n";
    }
    return r;
}

}  // namespace

std::string_view target_path(std::string_view target) {
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    return target;
}

ConnectionRequestGate::ConnectionRequestGate(http::DigestVerifierOptions options, unsigned max_per_minute)
    : verifier_(std::move(options)), max_per_minute_(max_per_minute) {}

ConnectionRequestGate::Decision ConnectionRequestGate::decide(const http::Request& req,
                                                              const std::optional<CrTarget>& target,
                                                              std::int64_t now_unix,
                                                              std::chrono::steady_clock::time_point now) {
    Decision d;
    const std::string* authz = req.find("Authorization");
    auto verdict = http::Verdict::missing;
    if (authz) {
        // The digest's uri must be this request's target, so a digest seen on
        // one CPE's path cannot be spent on another's.
        verdict = verifier_.verify(*authz, req.method, req.target,
                                   [&](std::string_view user) -> std::optional<std::string> {
                                       if (!target || user != target->username) return std::nullopt;
                                       return target->password;
                                   },
                                   now_unix);
    }
    if (verdict != http::Verdict::ok || !target) {
        d.response = text_response(401, "authentication required",
                                   {{"WWW-Authenticate", verifier_.challenge_at(now_unix, verdict == http::Verdict::stale)}});
        d.log = authz ? (verdict == http::Verdict::stale ? "stale nonce" : "authentication failed") : "challenge";
        return d;
    }
    if (req.method != "GET") {
        d.response = text_response(405, "connection requests use GET", {{"Allow", "GET"}});
        d.log = "method " + req.method;
        return d;
    }
    if (!target->online) {
        d.response = text_response(503, "the gateway is not reachable");
        d.log = "gateway offline";
        return d;
    }
    {
        std::lock_guard lock(mutex_);
        auto& hist = history_[target->id];
        while (!hist.empty() && now - hist.front() >= std::chrono::minutes(1)) hist.pop_front();
        if (hist.size() >= max_per_minute_) {
            auto wait = std::chrono::duration_cast<std::chrono::seconds>(hist.front() + std::chrono::minutes(1) - now);
            d.response = text_response(503, "too many connection requests",
                                       {{"Retry-After", std::to_string(std::max<long long>(1, wait.count()))}});
            d.log = "rate limited";
            return d;
        }
        hist.push_back(now);
    }
    d.response = text_response(200, "");
    d.start_session = true;
    d.log = "accepted";
    return d;
}

}  // namespace cpe

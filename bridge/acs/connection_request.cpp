#include "bridge/acs/connection_request.hpp"

namespace acs {

ConnectionRequestClient::ConnectionRequestClient(http::Url url, http::Credentials credentials, int max_auth_attempts)
    : url_(std::move(url)), credentials_(std::move(credentials)), max_auth_attempts_(max_auth_attempts) {}

ConnectionRequestClient::Step ConnectionRequestClient::failed(std::string why) {
    Step s;
    s.kind = Step::Kind::failed;
    s.error = std::move(why);
    return s;
}

ConnectionRequestClient::Step ConnectionRequestClient::send() {
    Step s;
    s.kind = Step::Kind::send;
    s.request.method = "GET";
    s.request.target = url_.target;
    if (auto authz = auth_.authorization("GET", url_.target)) s.request.set("Authorization", *authz);
    return s;
}

ConnectionRequestClient::Step ConnectionRequestClient::start() { return send(); }

ConnectionRequestClient::Step ConnectionRequestClient::on_response(const http::Response& r) {
    if (r.status == 200 || r.status == 204) {
        Step s;
        s.kind = Step::Kind::done;
        return s;
    }
    if (r.status == 401) {
        if (credentials_.username.empty())
            return failed("the CPE asks for Connection Request credentials and none are configured");
        if (++auth_attempts_ > max_auth_attempts_) return failed("the CPE rejected the Connection Request credentials");
        auto st = auth_.on_challenge(r, credentials_);
        if (!st) return failed("cannot answer the CPE's challenge: " + st.error().message);
        return send();
    }
    if (r.status == 503) {
        Step s = failed("the CPE is busy (503)");
        s.busy = true;
        if (const std::string* ra = r.find("Retry-After")) {
            try {
                const long v = std::stol(*ra);
                if (v >= 0 && v <= 3600) s.retry_after = std::chrono::seconds(v);
            } catch (...) {
            }
        }
        return s;
    }
    return failed("the CPE answered the Connection Request with HTTP " + std::to_string(r.status));
}

}  // namespace acs

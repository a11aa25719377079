#pragma once
// Both recorded peers of one trace, sans-I/O: the replay transports hand it
// what the bridge sends and return what it answers (docs/traces.md, "Replay").
//
// Checking (the default): every HTTP request the bridge sends and every CMP
// call it makes must match the next recorded one semantically; the answer is
// the recorded answer. CMP calls between two HTTP exchanges may come in any
// order (a step's calls are independent). The first divergence is kept and
// every later exchange fails, which ends the session quickly.
//
// Updating (--update): the k-th HTTP request gets the k-th recorded ACS
// answer whatever it says, a CMP call gets the next unused recorded answer
// of the same function, and what the bridge sends now is recorded instead.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"
#include "bridge/trace/canonical_xml.hpp"
#include "bridge/trace/redact.hpp"
#include "bridge/trace/trace.hpp"

namespace trace {

struct Divergence {
    std::size_t step = 0;  // 1-based exchange of the trace (count + 1 past its end)
    std::string what;      // one line
    std::string expected;  // first differing line, recorded
    std::string actual;    // first differing line, now
    std::string diff;      // unified diff of the canonical renderings
};

// The canonical lines of a bridge -> ACS request (docs/traces.md): method and
// target, the compared headers reduced to what is stable (Authorization: its
// scheme; Cookie: the cookie names; Content-Type: the media type; SOAPAction
// as is), then the body.
std::vector<Line> render_request(std::string_view method, std::string_view target, const http::Headers& headers,
                                 std::string_view body);

// Compares two cpe::serialize() texts: every value recorded must be there now
// and equal (clock readings — `due`, `accepted`, keys ending in _unix — need
// only be numbers on both sides); keys the bridge has added since the
// recording are ignored.
Comparison compare_states(const std::string& recorded, const std::string& actual);

class ReplayScript {
public:
    ReplayScript(const Trace& trace, bool update);

    core::Result<http::Response> on_acs(const http::Url& url, const http::Request& req);
    core::Result<cmp::Response> on_cmp(cmp::Request req);
    // The session is over (end_state: cpe::serialize() after it).
    void on_end(bool ok, const std::string& error, const std::string& end_state);

    const std::optional<Divergence>& divergence() const { return divergence_; }
    const std::vector<std::string>& warnings() const { return warnings_; }
    bool ended() const { return ended_; }
    std::size_t replayed() const { return replayed_; }
    // --update: the trace as the bridge behaves now.
    Trace updated() const;

private:
    void diverge(std::size_t step, std::string what, const Comparison& c);
    void diverge(std::size_t step, std::string what, std::string expected, std::string actual);
    std::size_t first_unused() const;
    core::Result<http::Response> answer(const AcsExchange& x) const;
    core::Result<cmp::Response> answer(const CmpExchange& x, const std::string& function) const;

    const Trace& trace_;
    bool update_;
    Redactor redactor_;
    std::vector<bool> used_;
    std::vector<Exchange> now_;  // --update: the new exchanges
    std::optional<Divergence> divergence_;
    std::vector<std::string> warnings_;
    std::uint64_t transaction_ = 0;
    std::size_t replayed_ = 0;
    bool ended_ = false;
    bool ok_ = false;
    std::string error_;
    std::string end_state_;
};

}  // namespace trace

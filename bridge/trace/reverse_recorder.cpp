#include "bridge/trace/reverse_recorder.hpp"

#include <map>
#include <mutex>
#include <optional>

#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/trace/recorder.hpp"

namespace trace {
namespace {

// A CMP message as replay renders it too: the header fields the agent's
// client fills (transactionId, timeStamp) compare by rule, not by value.
std::string cmp_xml(cmp::Request m, const std::string& rg_id) {
    m.header.rg_id = rg_id;
    if (m.header.transaction_id.empty()) m.header.transaction_id = "1";
    if (m.header.time_stamp.empty()) m.header.time_stamp = core::now_utc();
    return cmp::encode(m);
}

// The map of open windows has one lock, held only to find or add a window;
// each window has its own, under which its messages are redacted (the costly
// part), so that CPEs recorded at the same time do not wait for each other.
class ReverseRecorder final : public app::ReverseRecording {
public:
    explicit ReverseRecorder(Recorder& owner) : owner_(owner) {}

    void session_started(const acs::CpeRecord& before) override {
        with(before.id, &before, [&](Window& w) {
            ++w.sessions;
            w.session_open = true;
            w.session_start = w.t.steps.size();
        });
    }

    void cpe_post(const std::string& cpe_id, const http::Request& req, const http::Response& res) override {
        with(cpe_id, nullptr, [&](Window& w) {
            if (!w.session_open || !account(w, req.body.size() + res.body.size())) return;
            if (w.t.events.empty() && w.sessions == 1) take_events(w, req.body);
            CpePost p;
            p.session = w.sessions;
            p.method = req.method;
            p.request_headers = w.redactor->request_headers(req.headers);
            p.request_body = w.redactor->body(req.body);
            p.status = res.status;
            p.response_headers = w.redactor->response_headers(res.headers);
            p.response_body = w.redactor->body(res.body);
            // The Inform's answer is reported once it is on its way, after what the
            // Observer already did with it (queued RPCs, event messages): it goes first.
            const bool first = w.session_start && *w.session_start <= w.t.steps.size();
            if (first) w.t.steps.insert(w.t.steps.begin() + static_cast<std::ptrdiff_t>(*w.session_start), std::move(p));
            else w.t.steps.emplace_back(std::move(p));
            w.session_start.reset();
        });
    }

    void session_closed(const std::string& cpe_id, std::string_view why, bool ended_by_itself) override {
        with(cpe_id, nullptr, [&](Window& w) {
            if (!w.session_open) return;
            if (!ended_by_itself) w.t.steps.emplace_back(SessionClosed{w.sessions, std::string(why)});
            w.session_open = false;
        });
    }

    void inform_seen(const std::string& cpe_id, const std::string& rg_id, const mapping::Table& table,
                     const mapping::ReverseEventState& events) override {
        with(cpe_id, nullptr, [&](Window& w) { presented(w, rg_id, table, events); });
    }

    void call_started(const std::string& cpe_id, const std::string& rg_id, const mapping::Table& table,
                      const cmp::Request& request, const acs::CpeRecord* snapshot,
                      const mapping::ReverseEventState& events) override {
        acs::CpeRecord unknown;
        unknown.id = cpe_id;
        with(cpe_id, snapshot ? snapshot : &unknown, [&](Window& w) {
            if (w.call && !w.call_done) {
                // Two HOMS calls on one CPE at once: their RPCs mix in the same sessions,
                // and a replay of either alone would diverge. Neither is recorded.
                w.spoiled = "two HOMS calls overlapped";
                return;
            }
            // A call after the previous one was answered, while its last session goes on: the same trace.
            w.t.function += (w.call ? "+" : "") + request.function;
            w.call = true;
            w.call_done = false;
            presented(w, rg_id, table, events);
            std::string xml = cmp_xml(request, rg_id);
            if (account(w, xml.size())) w.t.steps.emplace_back(HomsRequest{w.redactor->body(xml)});
        });
    }

    void call_rpc_failed(const std::string& cpe_id, const core::Error& error) override {
        // A session that broke while the CPE owed the answer: the replayed session breaks the same way.
        if (error.code == "acs.session_ended" || error.code == "acs.bad_response") return;
        with(cpe_id, nullptr, [&](Window& w) {
            if (w.call) w.t.steps.emplace_back(RpcFailed{error.code, error.message});
        });
    }

    void call_answered(const std::string& cpe_id, const cmp::Response& response) override {
        with(cpe_id, nullptr, [&](Window& w) {
            if (!w.call) return;
            cmp::Response r = response;
            r.header.rg_id = w.t.rg_id;
            if (r.header.transaction_id.empty()) r.header.transaction_id = "1";
            if (r.header.time_stamp.empty()) r.header.time_stamp = core::now_utc();
            w.t.steps.emplace_back(HomsResponse{w.redactor->body(cmp::encode(r))});
            w.call_done = true;
        });
    }

    void queued(const std::string& cpe_id, std::string_view by, const cwmp::Body& rpc, cwmp::Version version) override {
        with(cpe_id, nullptr, [&](Window& w) {
            cwmp::Envelope env;
            env.version = version;
            env.id = "queued";
            env.body = rpc;
            w.t.steps.emplace_back(Queued{std::string(by), w.redactor->body(cwmp::encode(env))});
        });
    }

    void to_homs(const std::string& cpe_id, const std::vector<cmp::Request>& messages) override {
        with(cpe_id, nullptr, [&](Window& w) {
            for (const auto& m : messages) {
                std::string xml = cmp_xml(m, w.t.rg_id);
                if (!account(w, xml.size())) return;
                w.t.steps.emplace_back(ToHoms{m.function, w.redactor->body(xml)});
            }
        });
    }

private:
    struct Window {
        std::mutex mutex;
        bool finished = false;  // handed over (or dropped): a hook that still holds it looks again
        ReverseTrace t;
        std::unique_ptr<Redactor> redactor;
        bool presented = false;  // the reverse wiring serves this CPE (a table, an event state)
        bool call = false, call_done = false, session_open = false;
        std::uint32_t sessions = 0;
        std::optional<std::size_t> session_start;  // where the open session's first POST goes
        std::size_t bytes = 0;
        std::string spoiled;  // why this window cannot become a trace
    };
    using WindowPtr = std::shared_ptr<Window>;

    // Runs f on the CPE's open window — a new one starting from `start` when
    // there is none and start is given — then ends the window if it is complete.
    template <class F>
    void with(const std::string& cpe_id, const acs::CpeRecord* start, F f) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            WindowPtr w = window(cpe_id, start);
            if (!w) return;
            std::lock_guard lock(w->mutex);
            if (w->finished) continue;  // ended between the lookup and the lock
            f(*w);
            maybe_finish(cpe_id, w);
            return;
        }
    }

    WindowPtr window(const std::string& cpe_id, const acs::CpeRecord* start) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = windows_.find(cpe_id); it != windows_.end()) return it->second;
        }
        if (!start) return nullptr;
        // Built outside the map's lock: the record's copy (its discovered names) is the large part.
        auto w = std::make_shared<Window>();
        w->redactor = std::make_unique<Redactor>();
        for (auto& k : owner_.options().known_secrets) w->redactor->add_known_secret(k);
        w->t.recorded_at = core::now_utc();
        w->t.recorded_by = owner_.options().recorded_by;
        w->t.cpe_id = cpe_id;
        w->t.start_record = *start;
        // What the last Inform said is not state a replay starts from: its own Informs say it.
        w->t.start_record.inform_parameters.clear();
        w->t.start_record.last_events.clear();
        std::lock_guard lock(mutex_);
        return windows_.try_emplace(cpe_id, std::move(w)).first->second;
    }

    void presented(Window& w, const std::string& rg_id, const mapping::Table& table,
                   const mapping::ReverseEventState& events) {
        if (w.presented) return;
        w.presented = true;
        w.t.rg_id = rg_id;
        w.t.mapping_name = table.name();
        w.t.mapping_hash = table.hash();
        w.t.start_events = events;
        // Remembered values are the CPE's parameters as read: a secret one is redacted like in a body.
        for (auto& [name, value] : w.t.start_events.values)
            if (is_secret_name(name) && !value.empty()) {
                w.redactor->add_known_secret(value);
                value = std::string(kRedacted);
            }
        if (!owner_.options().registration_secret.empty())
            w.redactor->add_known_secret(cmp::derive_gateway_secret(owner_.options().registration_secret, rg_id));
    }

    bool account(Window& w, std::size_t n) {
        w.bytes += n;
        if (w.bytes > owner_.options().max_trace_bytes && w.spoiled.empty())
            w.spoiled = "it exceeded " + std::to_string(owner_.options().max_trace_bytes) + " bytes";
        return w.spoiled.empty();
    }

    void take_events(Window& w, const std::string& body) {
        auto env = cwmp::decode(body);
        if (auto* inform = env ? std::get_if<cwmp::Inform>(&env->body) : nullptr)
            for (auto& e : inform->events) w.t.events.push_back(e.event_code);
    }

    // Under w's lock. Complete: no session open and no call waiting for its answer.
    void maybe_finish(const std::string& cpe_id, const WindowPtr& w) {
        if (w->session_open || (w->call && !w->call_done) || (!w->call && w->sessions == 0)) return;
        w->finished = true;
        if (!w->spoiled.empty()) {
            core::log::warn(cpe_id, "reverse session not recorded: " + w->spoiled);
        } else if (w->presented) {
            owner_.submit(std::move(w->t), std::move(w->redactor));
        }
        // Not presented: a CPE without a table, which the bridge does not serve.
        std::lock_guard lock(mutex_);
        if (auto it = windows_.find(cpe_id); it != windows_.end() && it->second == w) windows_.erase(it);
    }

    Recorder& owner_;
    std::mutex mutex_;                        // windows_ only
    std::map<std::string, WindowPtr> windows_;  // by CPE id
};

}  // namespace

std::unique_ptr<app::ReverseRecording> make_reverse_recorder(Recorder& owner) {
    return std::make_unique<ReverseRecorder>(owner);
}

}  // namespace trace

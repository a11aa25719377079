// Replay of a reverse trace (docs/traces.md, "Reverse traces"): the
// production engines, sans-I/O, fed the recorded inputs in their order —
// acs::CpeSession gets the CPE's POSTs, mapping::ReverseCall the answers the
// session delivers, mapping::reverse_events/reverse_transfer_complete what
// the CPE reports — and what they produce now is compared with the recording.
// What AcsServer and ReverseBridge add around the engines (the queue per CPE,
// the Observer's event reads) is the same few steps here, without sockets,
// strands or timers: a replay takes milliseconds and never waits.
#include <chrono>

#include "bridge/acs/cpe_session.hpp"
#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/http/encoding.hpp"
#include "bridge/mapping/reverse_mapping.hpp"
#include "bridge/trace/replay.hpp"

namespace trace {
namespace {

using Slot = std::shared_ptr<std::optional<acs::RpcResult>>;

std::string lower(std::string_view s) { return http::to_lower(s); }

// The canonical lines of the ACS's answer to one CPE POST: the status, the
// kept headers (Content-Type as its media type; Set-Cookie redacted: names and
// attributes), the body as canonical XML.
std::vector<Line> render_answer(int status, const http::Headers& headers, std::string_view body) {
    std::vector<Line> out{{"status " + std::to_string(status), "status"}};
    std::vector<std::string> hs;
    for (const auto& h : headers) {
        std::string v = h.value;
        if (http::iequals(h.name, "Content-Type")) {
            v = v.substr(0, v.find(';'));
            while (!v.empty() && v.back() == ' ') v.pop_back();
            v = lower(v);
        }
        hs.push_back("header " + lower(h.name) + ": " + v);
    }
    std::sort(hs.begin(), hs.end());
    for (auto& h : hs) out.push_back({h, "headers"});
    for (auto& l : render_body(body)) out.push_back({"  " + l.text, "body/" + l.path});
    return out;
}

// The prefix of the cwmp:IDs the recorded ACS gave its RPCs in one session
// ("<prefix>.<n>"): the CPE's recorded answers carry those IDs, which the
// session checks, so the replayed session uses the same prefix.
std::string id_prefix(const ReverseTrace& t, std::uint32_t session) {
    for (const auto& s : t.steps) {
        auto* p = std::get_if<CpePost>(&s);
        if (!p || p->session != session || p->response_body.empty()) continue;
        auto env = cwmp::decode(p->response_body);
        if (!env || std::holds_alternative<cwmp::InformResponse>(env->body)) continue;
        if (auto dot = env->id.rfind('.'); dot != std::string::npos && dot > 0) return env->id.substr(0, dot);
    }
    return "acs";
}

std::string cmp_xml(cmp::Request m, const std::string& rg_id) {
    m.header.rg_id = rg_id;
    if (m.header.transaction_id.empty()) m.header.transaction_id = "1";
    if (m.header.time_stamp.empty()) m.header.time_stamp = core::now_utc();
    return cmp::encode(m);
}

class ReverseReplayer {
public:
    ReverseReplayer(const ReverseTrace& t, std::shared_ptr<const mapping::ReverseMapping> m, bool update)
        : t_(t), m_(std::move(m)), update_(update), record_(t.start_record), events_(t.start_events), now_(t) {
        now_.steps.clear();
    }

    void run() {
        for (std::size_t i = 0; i < t_.steps.size() && !stopped(); ++i) {
            step_ = i + 1;
            const auto& s = t_.steps[i];
            if (auto* p = std::get_if<CpePost>(&s)) post(*p);
            else if (auto* c = std::get_if<SessionClosed>(&s)) closed(*c);
            else if (auto* h = std::get_if<HomsRequest>(&s)) homs_request(*h);
            else if (auto* f = std::get_if<RpcFailed>(&s)) rpc_failed(*f);
            else if (auto* q = std::get_if<Queued>(&s)) queued(*q);
            else if (std::holds_alternative<ToHoms>(s) || std::holds_alternative<HomsResponse>(s)) recorded_output(s);
            pump();
        }
        if (!stopped()) finish();
    }

    const std::optional<Divergence>& divergence() const { return divergence_; }
    std::size_t replayed() const { return replayed_; }
    ReverseTrace updated() const { return now_; }

private:
    bool stopped() const { return divergence_ && !update_; }

    void diverge(std::size_t step, std::string what, std::string expected, std::string actual, std::string diff = {}) {
        if (divergence_) return;
        divergence_ = Divergence{step, std::move(what), std::move(expected), std::move(actual), std::move(diff)};
    }
    void diverge(std::size_t step, std::string what, const Comparison& c) {
        if (!c.first_path.empty()) what += " (at " + c.first_path + ")";
        diverge(step, std::move(what), c.expected, c.actual, c.diff);
    }

    void post(const CpePost& p) {
        http::Request req;
        req.method = p.method;
        req.target = "/";
        req.headers = p.request_headers;
        req.body = p.request_body;
        http::Response res;
        std::optional<cwmp::Inform> inform;
        if (p.session != session_no_) {
            // A new session: the one before it ended (its 204) or was closed by a step of its own.
            if (session_ && !session_->ended()) session_->abort("the CPE started a new session");
            session_.reset();
            session_no_ = p.session;
            auto first = acs::read_first_post(req);
            if (!first.inform) {
                res = std::move(first.refusal);
            } else {
                acs::SessionOptions so;
                so.id_prefix = id_prefix(t_, p.session);
                session_ = std::make_unique<acs::CpeSession>(record_, queue_, "replay", so);
                res = session_->start(*first.inform, std::chrono::system_clock::now());
                inform = std::get<cwmp::Inform>(first.inform->body);
            }
        } else if (!session_) {
            diverge(step_, "the CPE's POST belongs to no session any more: the bridge ended session " +
                               std::to_string(p.session) + " earlier than recorded",
                    "session " + std::to_string(p.session) + " open", "(session over)");
            return;
        } else {
            res = session_->on_post(req);
        }
        ++replayed_;
        res.headers = redactor_.response_headers(res.headers);
        res.body = redactor_.body(res.body);
        auto c = compare_lines(render_answer(p.status, p.response_headers, p.response_body),
                               render_answer(res.status, res.headers, res.body));
        // --update takes what the bridge answers now; only a broken sequence stops it.
        if (!c.equal && !update_) diverge(step_, "the bridge's answer to the CPE differs", c);
        CpePost now = p;
        now.status = res.status;
        now.response_headers = res.headers;
        now.response_body = res.body;
        now_.steps.emplace_back(std::move(now));
        if (inform) observe_inform(*inform);
        if (session_) {
            for (auto& tc : session_->take_transfer_completes())
                if (auto msg = mapping::reverse_transfer_complete(*m_, tc, events_)) produce({std::move(*msg)});
            if (session_->ended()) session_.reset();
        }
    }

    void closed(const SessionClosed& c) {
        if (session_ && session_no_ == c.session && !session_->ended()) session_->abort(c.why);
        if (session_no_ == c.session) session_.reset();
        now_.steps.emplace_back(c);
    }

    // ReverseBridge::on_inform: the Inform's event messages, after reading the
    // values they need that the Inform does not carry (a host that just joined).
    void observe_inform(const cwmp::Inform& inform) {
        auto reads = mapping::reverse_event_reads(*m_, inform, events_);
        if (reads.empty()) {
            produce(mapping::reverse_events(*m_, inform, events_));
            return;
        }
        auto slot = std::make_shared<std::optional<acs::RpcResult>>();
        cwmp::Body gpv = cwmp::GetParameterValues{std::move(reads)};
        if (!queue_.enqueue(std::move(gpv), [slot](acs::RpcResult r) { *slot = std::move(r); }))
            *slot = acs::RpcResult(core::make_error("acs.busy", "queue full"));
        reads_.push_back({inform, slot});
    }

    void homs_request(const HomsRequest& h) {
        now_.steps.emplace_back(h);
        if (call_ && !response_) {
            diverge(step_, "a HOMS request while the previous call still waits for the CPE", "one call at a time",
                    "two at once");
            return;
        }
        // The next call of a window whose session outlived the previous one.
        if (response_) responses_.push_back(std::move(*response_));
        response_.reset();
        call_.reset();
        auto req = cmp::decode_request(h.xml, {}, &cmp::Catalogue::builtin());
        if (!req) {
            diverge(step_, "the recorded HOMS request does not decode: " + req.error().message, "a CMP request",
                    req.error().message);
            return;
        }
        // What ReverseBridge::answer reads from the ACS's record when the call begins.
        call_names_ = record_.names;
        mapping::ReverseContext ctx;
        ctx.known_names = record_.discovered ? &call_names_ : nullptr;
        ctx.state = &events_;
        call_.emplace(m_, std::move(*req), ctx);
        advance_call();
    }

    void advance_call() {
        while (call_ && !response_ && !call_slot_) {
            auto step = call_->next();
            if (auto* res = std::get_if<cmp::Response>(&step)) {
                response_ = *res;
                produce(call_->follow_ups());
                return;
            }
            auto slot = std::make_shared<std::optional<acs::RpcResult>>();
            auto handle = queue_.enqueue(std::get<cwmp::Body>(std::move(step)),
                                         [slot](acs::RpcResult r) { *slot = std::move(r); });
            if (!handle) {
                call_->on_rpc_result(core::make_error("acs.busy", "queue full"));
                continue;
            }
            call_slot_ = slot;
            call_handle_ = *handle;
        }
    }

    void rpc_failed(const RpcFailed& f) {
        now_.steps.emplace_back(f);
        if (!call_slot_) {
            diverge(step_, "the recording has the call's RPC fail (" + f.code + ") but the bridge waits for no RPC now",
                    "an RPC of the call in flight", "none");
            return;
        }
        if (*call_slot_) {
            diverge(step_, "the recording has the call's RPC fail (" + f.code + ") but the CPE answered it now",
                    f.code, "answered");
            return;
        }
        const core::Error error{f.code, f.message};
        // As AcsServer: a CPE that cannot be woken fails everything the upper layer queued for it
        // (the Connection Request credentials too); a timeout withdraws only the late RPC.
        if (f.code == "acs.unreachable") queue_.fail_user_rpcs(error);
        else queue_.cancel(*call_handle_);
        if (!*call_slot_) *call_slot_ = acs::RpcResult(error);
    }

    void queued(const Queued& q) {
        now_.steps.emplace_back(q);
        auto env = cwmp::decode(q.rpc);
        if (!env) {
            diverge(step_, "the recorded queued RPC does not decode: " + env.error().message, "a CWMP RPC",
                    env.error().message);
            return;
        }
        queue_.enqueue(std::move(env->body), [](acs::RpcResult) {});
    }

    void recorded_output(const ReverseStep& s) {
        if (auto* t = std::get_if<ToHoms>(&s)) recorded_to_homs_.push_back({step_, t});
        else recorded_responses_.push_back({step_, &std::get<HomsResponse>(s)});
    }

    // Answers the session delivered since the last step go to whoever waits.
    void pump() {
        if (call_slot_ && *call_slot_) {
            acs::RpcResult r = std::move(**call_slot_);
            call_slot_.reset();
            call_handle_.reset();
            call_->on_rpc_result(std::move(r));
            advance_call();
        }
        for (auto it = reads_.begin(); it != reads_.end();) {
            if (!*it->result) {
                ++it;
                continue;
            }
            std::vector<cwmp::ParameterValue> values;
            if (**it->result && std::holds_alternative<cwmp::GetParameterValuesResponse>(***it->result))
                values = std::get<cwmp::GetParameterValuesResponse>(***it->result).parameters;
            produce(mapping::reverse_events(*m_, it->inform, events_, values));
            it = reads_.erase(it);
        }
    }

    void produce(const std::vector<cmp::Request>& messages) {
        for (const auto& m : messages) {
            ++replayed_;
            produced_.push_back({m.function, redactor_.body(cmp_xml(m, t_.rg_id))});
            now_.steps.emplace_back(produced_.back());
        }
    }

    void finish() {
        const std::size_t past = t_.steps.size() + 1;
        // Gateway -> HOMS messages: those of one function in order; different
        // functions may interleave differently (the call's follow-ups and an
        // Inform's events come from different threads in production).
        std::vector<bool> used(produced_.size(), false);
        for (const auto& [step, rec] : recorded_to_homs_) {
            std::size_t i = 0;
            while (i < produced_.size() && (used[i] || produced_[i].function != rec->function)) ++i;
            if (i == produced_.size()) {
                if (update_) continue;
                diverge(step, "the bridge no longer sends " + rec->function + " to the HOMS", "to homs " + rec->function,
                        "(not sent)");
                return;
            }
            used[i] = true;
            auto c = compare_xml(rec->xml, produced_[i].xml);
            if (!c.equal && !update_) {
                diverge(step, "the bridge's " + rec->function + " to the HOMS differs", c);
                return;
            }
        }
        for (std::size_t i = 0; i < produced_.size(); ++i)
            if (!used[i] && !update_) {
                diverge(past, "the bridge now sends " + produced_[i].function + " to the HOMS, which the recording does not have",
                        "(nothing)", "to homs " + produced_[i].function);
                return;
            }
        if (call_ && !response_) {
            diverge(past, "the HOMS call did not finish: the bridge waits for an RPC the recording does not answer",
                    recorded_responses_.size() > responses_.size() ? "a response" : "(none)", "still waiting");
            return;
        }
        if (response_) responses_.push_back(std::move(*response_));
        // The calls' responses, in the order the calls came.
        for (std::size_t i = 0; i < std::max(responses_.size(), recorded_responses_.size()); ++i) {
            if (i >= responses_.size()) {
                if (!update_)
                    diverge(recorded_responses_[i].first, "the recording answers a HOMS call the bridge never received",
                            "homs response", "(no call)");
                return;
            }
            cmp::Response r = responses_[i];
            r.header.rg_id = t_.rg_id;
            r.header.transaction_id = "1";
            r.header.time_stamp = core::now_utc();
            std::string xml = redactor_.body(cmp::encode(r));
            now_.steps.emplace_back(HomsResponse{xml});
            if (update_) continue;
            if (i >= recorded_responses_.size()) {
                diverge(past, "the bridge answered the HOMS but the recording has no answer", "(no response)",
                        r.function + " resultCode " + std::to_string(r.result_code));
                return;
            }
            auto c = compare_xml(recorded_responses_[i].second->xml, xml);
            if (!c.equal) {
                diverge(recorded_responses_[i].first, "the bridge's response to the HOMS differs", c);
                return;
            }
        }
    }

    const ReverseTrace& t_;
    std::shared_ptr<const mapping::ReverseMapping> m_;
    bool update_;
    Redactor redactor_;
    acs::CpeRecord record_;
    acs::RpcQueue queue_{64};
    mapping::ReverseEventState events_;
    std::unique_ptr<acs::CpeSession> session_;
    std::uint32_t session_no_ = 0;

    std::optional<mapping::ReverseCall> call_;
    std::map<std::string, bool, std::less<>> call_names_;
    Slot call_slot_;
    std::optional<acs::RpcQueue::Handle> call_handle_;
    std::optional<cmp::Response> response_;   // of the current call
    std::vector<cmp::Response> responses_;    // of the calls before it in this window

    struct EventRead {
        cwmp::Inform inform;
        Slot result;
    };
    std::vector<EventRead> reads_;
    std::vector<ToHoms> produced_;
    std::vector<std::pair<std::size_t, const ToHoms*>> recorded_to_homs_;
    std::vector<std::pair<std::size_t, const HomsResponse*>> recorded_responses_;

    std::size_t step_ = 0;
    std::size_t replayed_ = 0;
    std::optional<Divergence> divergence_;
    ReverseTrace now_;  // --update: the trace as the bridge behaves now
};

}  // namespace

core::Result<ReplayReport> replay_reverse(const ReverseTrace& t, const std::filesystem::path& trace_file,
                                          const ReplayOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    ReplayReport report;
    report.name = trace_file.string();
    report.exchanges = t.steps.size();
    report.unit = "steps";
    auto resolved = replay_table(t.mapping_name, t.mapping_hash, trace_file, options, report);
    if (!resolved) return resolved.error();
    std::shared_ptr<const mapping::Table> table = *resolved;
    auto reverse = mapping::ReverseMapping::make(table);
    ReverseReplayer replayer(t, reverse, options.update);
    replayer.run();
    report.divergence = replayer.divergence();
    report.replayed = replayer.replayed();
    if (options.update) {
        report.reverse_updated = replayer.updated();
        report.reverse_updated.mapping_name = table->name();
        report.reverse_updated.mapping_hash = table->hash();
    }
    report.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace trace

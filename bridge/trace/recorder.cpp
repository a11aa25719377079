#include "bridge/trace/recorder.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/trace/reverse_recorder.hpp"

namespace trace {
namespace {

// One session being recorded. Everything it stores is redacted already.
class SessionTrace final : public app::SessionRecorder {
public:
    SessionTrace(Recorder& owner, Trace header, std::unique_ptr<Redactor> redactor, std::size_t max_bytes)
        : owner_(owner), trace_(std::move(header)), redactor_(std::move(redactor)), max_bytes_(max_bytes) {}

    void on_call(const cmp::Request& req, const std::string& request_xml, const core::Result<cmp::Response>& res,
                 const std::string& response_xml, std::chrono::milliseconds) override {
        if (!account(request_xml.size() + response_xml.size())) return;
        CmpExchange x;
        x.function = req.function;
        x.request = redactor_->body(request_xml);
        x.response = redactor_->body(response_xml);
        if (!res) {
            x.error_code = res.error().code;
            x.error_message = res.error().message;
        }
        trace_.exchanges.emplace_back(std::move(x));
    }

    void on_acs_exchange(const http::Url& url, const http::Request& req,
                         const core::Result<http::Response>& res) override {
        if (!account(req.body.size() + (res ? res->body.size() : 0))) return;
        if (!inform_seen_) take_events(req.body);
        AcsExchange x;
        x.method = req.method;
        x.target = req.target.empty() ? url.target : req.target;
        x.request_headers = redactor_->request_headers(req.headers);
        x.request_body = redactor_->body(req.body);
        if (res) {
            x.status = res->status;
            x.response_headers = redactor_->response_headers(res->headers);
            x.response_body = redactor_->body(res->body);
        } else {
            x.error = res.error().message;
        }
        trace_.exchanges.emplace_back(std::move(x));
    }

    void on_end(bool ok, const std::string& error, const std::string& state) override {
        if (ended_) return;
        ended_ = true;
        if (overflow_) {
            core::log::warn(trace_.gateway_id, "session not recorded: it exceeded " + std::to_string(max_bytes_) + " bytes");
            return;
        }
        trace_.ok = ok;
        trace_.error = error;
        trace_.end_state = redactor_->state(state);
        owner_.submit(std::move(trace_), std::move(redactor_));
    }

private:
    bool account(std::size_t n) {
        bytes_ += n;
        if (bytes_ > max_bytes_) overflow_ = true;
        return !overflow_ && !ended_;
    }

    Recorder& owner_;
    Trace trace_;
    // The header's events are those of the Inform as sent: the CPE adds some
    // (7 TRANSFER COMPLETE for a finished transfer) that no pending list holds.
    void take_events(const std::string& body) {
        if (body.find("Inform") == std::string::npos) return;
        auto env = cwmp::decode(body);
        auto* inform = env ? std::get_if<cwmp::Inform>(&env->body) : nullptr;
        if (!inform) return;
        inform_seen_ = true;
        trace_.events.clear();
        for (auto& e : inform->events) trace_.events.push_back(e.event_code);
    }

    std::unique_ptr<Redactor> redactor_;
    bool inform_seen_ = false;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    bool overflow_ = false;
    bool ended_ = false;
};

std::string file_stamp(const std::string& utc) {
    std::string s;
    for (char c : utc)
        if (c != '-' && c != ':') s += c;
    return s;  // 20241125T102200Z
}

}  // namespace

std::vector<std::string> secrets_in_file(const std::filesystem::path& file) {
    std::vector<std::string> out;
    try {
        YAML::Node n = YAML::LoadFile(file.string());
        if (n.IsMap())
            for (auto it = n.begin(); it != n.end(); ++it)
                if (it->second.IsScalar()) out.push_back(it->second.as<std::string>());
    } catch (const YAML::Exception&) {
    }
    return out;
}

std::vector<std::string> secrets_in_yaml(const std::filesystem::path& file) {
    std::vector<std::string> out;
    auto walk = [&](auto& self, const YAML::Node& n) -> void {
        if (n.IsMap()) {
            for (auto it = n.begin(); it != n.end(); ++it) {
                if (it->second.IsScalar() && is_secret_name(it->first.as<std::string>("")))
                    out.push_back(it->second.as<std::string>());
                else
                    self(self, it->second);
            }
        } else if (n.IsSequence()) {
            for (auto x : n) self(self, x);
        }
    };
    try {
        walk(walk, YAML::LoadFile(file.string()));
    } catch (const YAML::Exception&) {
    }
    return out;
}

core::Result<std::unique_ptr<Recorder>> Recorder::open(RecorderOptions options) {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec || !std::filesystem::is_directory(options.dir))
        return core::make_error("trace.io", options.dir.string() + ": cannot create the trace folder");
    std::filesystem::permissions(options.dir, std::filesystem::perms::owner_all, ec);
    return std::make_unique<Recorder>(std::move(options));
}

Recorder::Recorder(RecorderOptions options) : options_(std::move(options)) {
    thread_ = std::thread([this] { writer(); });
}

Recorder::~Recorder() {
    reverse_.reset();  // windows still open are not traces: they cannot replay
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Recorder::set_mapping(const std::string& gateway_id, const std::string& name, const std::string& hash) {
    std::lock_guard lock(mutex_);
    mappings_[gateway_id] = {name, hash};
}

std::unique_ptr<app::SessionRecorder> Recorder::begin(app::SessionStart s) {
    auto redactor = std::make_unique<Redactor>();
    for (auto& k : options_.known_secrets) redactor->add_known_secret(k);
    if (!options_.registration_secret.empty())
        redactor->add_known_secret(cmp::derive_gateway_secret(options_.registration_secret, s.gateway_id));
    Trace t;
    t.recorded_at = core::now_utc();
    t.recorded_by = options_.recorded_by;
    t.gateway_id = s.gateway_id;
    t.gateway_url = s.gateway_url;
    {
        std::lock_guard lock(mutex_);
        if (auto it = mappings_.find(s.gateway_id); it != mappings_.end())
            std::tie(t.mapping_name, t.mapping_hash) = it->second;
    }
    t.cwmp_version = s.cwmp_version;
    t.acs_url = s.acs_url;
    t.acs_username = s.acs_username;
    t.cr_url_base = s.cr_url_base;
    t.periodic_enable = s.periodic_enable;
    t.periodic_interval = s.periodic_interval;
    t.retry_count = s.retry_count;
    t.reuse_answers_ms = s.reuse_answers_ms;
    t.events = s.events;
    t.changed = s.changed;
    for (auto& c : t.changed)
        if (is_secret_name(c.name) && !c.value.empty()) {
            redactor->add_known_secret(c.value);
            c.value = std::string(kRedacted);
        }
    t.start_state = redactor->state(s.state);
    return std::make_unique<SessionTrace>(*this, std::move(t), std::move(redactor), options_.max_trace_bytes);
}

void Recorder::submit(Trace trace, std::unique_ptr<Redactor> redactor) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(Job{std::move(trace), std::move(redactor), std::nullopt});
    }
    wake_.notify_one();
}

void Recorder::submit(ReverseTrace trace, std::unique_ptr<Redactor> redactor) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(Job{Trace{}, std::move(redactor), std::move(trace)});
    }
    wake_.notify_one();
}

app::ReverseRecording* Recorder::reverse() {
    std::lock_guard lock(mutex_);
    if (!reverse_) reverse_ = make_reverse_recorder(*this);
    return reverse_.get();
}

void Recorder::flush() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::size_t Recorder::written() const {
    std::lock_guard lock(mutex_);
    return written_;
}

std::size_t Recorder::withheld() const {
    std::lock_guard lock(mutex_);
    return withheld_;
}

void Recorder::writer() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            if (stopping_) return;
            continue;
        }
        Job job = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lock.unlock();
        write(job);
        lock.lock();
        busy_ = false;
        if (queue_.empty()) idle_.notify_all();
    }
}

void Recorder::write(Job& job) {
    if (job.reverse) return write_reverse(*job.reverse, *job.redactor);
    Trace& t = job.trace;
    // Secrets first seen later in the session (a value the gateway sent under
    // an innocent field name that the ACS saw under a secret one).
    for (auto& x : t.exchanges) {
        if (auto* a = std::get_if<AcsExchange>(&x)) {
            a->request_body = job.redactor->scrub_seen(a->request_body);
            a->response_body = job.redactor->scrub_seen(a->response_body);
        } else {
            auto& c = std::get<CmpExchange>(x);
            c.request = job.redactor->scrub_seen(c.request);
            c.response = job.redactor->scrub_seen(c.response);
        }
    }
    write_checked(to_yaml(t), t.gateway_id, t.gateway_id + "-" + file_stamp(t.recorded_at), *job.redactor);
}

void Recorder::write_reverse(ReverseTrace& t, Redactor& redactor) {
    for (auto& s : t.steps) {
        if (auto* p = std::get_if<CpePost>(&s)) {
            p->request_body = redactor.scrub_seen(p->request_body);
            p->response_body = redactor.scrub_seen(p->response_body);
        } else if (auto* h = std::get_if<HomsRequest>(&s)) {
            h->xml = redactor.scrub_seen(h->xml);
        } else if (auto* m = std::get_if<ToHoms>(&s)) {
            m->xml = redactor.scrub_seen(m->xml);
        } else if (auto* r = std::get_if<HomsResponse>(&s)) {
            r->xml = redactor.scrub_seen(r->xml);
        } else if (auto* q = std::get_if<Queued>(&s)) {
            q->rpc = redactor.scrub_seen(q->rpc);
        }
    }
    std::string stem = t.cpe_id + "-" + file_stamp(t.recorded_at) + "-" + (t.function.empty() ? "session" : t.function);
    write_checked(to_yaml(t), t.rg_id, stem, redactor);
}

void Recorder::write_checked(const std::string& text, const std::string& who, const std::string& stem,
                             Redactor& redactor) {
    std::size_t seq;
    {
        std::lock_guard lock(mutex_);
        seq = ++sequence_;
    }
    if (redactor.contains_known_secret(text)) {
        // A secret in a place no rule covers: better no trace than a leak.
        core::log::error(who, "session trace withheld: it would contain a configured secret");
        std::lock_guard lock(mutex_);
        ++withheld_;
        return;
    }
    char seqbuf[16];
    std::snprintf(seqbuf, sizeof seqbuf, "%04zu", seq);
    auto file = options_.dir / (stem + "-" + seqbuf + ".yaml");
    auto st = write_text_file(text, file, true);
    if (!st) {
        core::log::error(who, "cannot write session trace: " + st.error().message);
        return;
    }
    core::log::info(who, "session trace " + file.string());
    std::lock_guard lock(mutex_);
    ++written_;
}

}  // namespace trace

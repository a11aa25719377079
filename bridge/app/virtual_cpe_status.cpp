// VirtualCpe: what the admin listener sees of it (status(), metrics) and its
// retirement when an operator drops it. The status is a small struct updated
// on the strand at each change and copied under a mutex: a reader on another
// thread never waits for the strand, which may be busy with a session.
#include <boost/asio/post.hpp>

#include "bridge/app/bridge_metrics.hpp"
#include "bridge/app/virtual_cpe.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

namespace {

std::vector<std::string> codes(const std::vector<cwmp::EventStruct>& events) {
    std::vector<std::string> out;
    for (auto& e : events) out.push_back(e.command_key.empty() ? e.event_code : e.event_code + " (" + e.command_key + ")");
    return out;
}

const char* outcome_name(cpe::Agent::SessionEnd::Kind k) {
    switch (k) {
        case cpe::Agent::SessionEnd::Kind::done: return "done";
        case cpe::Agent::SessionEnd::Kind::failed: return "failed";
        case cpe::Agent::SessionEnd::Kind::no_inform: return "no_inform";
    }
    return "failed";
}

}  // namespace

CpeStatus VirtualCpe::status() const {
    std::lock_guard lock(status_mutex_);
    CpeStatus s = status_;
    s.id = gateway_.id;
    s.online = online_.load();
    return s;
}

void VirtualCpe::publish_status(cpe::TimePoint wake_at) {
    std::lock_guard lock(status_mutex_);
    status_.device_id = state_.device_id;
    status_.bootstrapped = state_.bootstrapped;
    status_.in_session = agent_.in_session();
    status_.pending_events = codes(agent_.events().pending());
    status_.retry_count = agent_.retry_count();
    if (stopped_ || wake_at == cpe::TimePoint::max() || wake_at == cpe::TimePoint{}) status_.next_wake.reset();
    else status_.next_wake = wake_at;
}

void VirtualCpe::note_session_start(std::uint32_t retry_count) {
    session_started_ = steady_clock::now();
    if (retry_count > 0) metrics().session_retries.with(std::vector<std::string>{}).inc();
    std::lock_guard lock(status_mutex_);
    status_.in_session = true;
}

void VirtualCpe::note_inform_acknowledged(const std::vector<cwmp::EventStruct>& events) {
    std::lock_guard lock(status_mutex_);
    status_.last_inform = now();
    status_.last_inform_events = codes(events);
    status_.pending_events = codes(agent_.events().pending());
    status_.bootstrapped = state_.bootstrapped;
    status_.device_id = state_.device_id;
}

void VirtualCpe::note_answer(const cwmp::Body& request, const cwmp::Body& answer) {
    const std::string rpc(cwmp::rpc_name(request));
    const auto* fault = std::get_if<cwmp::Fault>(&answer);
    metrics().acs_rpcs.with({rpc, fault ? std::to_string(fault->code) : std::string()}).inc();
    if (!fault) return;
    std::lock_guard lock(status_mutex_);
    status_.last_fault = std::to_string(fault->code) + " " + rpc + ": " + fault->string;
    status_.last_fault_at = now();
}

void VirtualCpe::note_session_end(const cpe::Agent::SessionEnd& end) {
    const char* outcome = outcome_name(end.kind);
    metrics().sessions.with({outcome}).inc();
    metrics().session_duration.with({outcome}).observe(duration<double>(steady_clock::now() - session_started_).count());
    std::lock_guard lock(status_mutex_);
    status_.last_outcome = outcome;
    status_.last_error = end.error;
    status_.last_session_end = now();
}

void VirtualCpe::retire(std::function<void()> done) {
    asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
        self->stopped_ = true;
        self->dropped_ = true;
        self->wake_.cancel();
        self->stop_waiting();
        // A session in progress runs to its end, its state writes refused
        // (persist_durable answers false, so the ACS hears 9002 for a change).
        if (!self->agent_.in_session()) self->acs_->close();
        done();
    });
}

}  // namespace app

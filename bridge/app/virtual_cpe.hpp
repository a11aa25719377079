#pragma once
// The Asio driver of one virtual CPE. The decisions are the sans-I/O engines':
// cpe::Agent says when a session runs and with which events, cwmp::CpeSession
// drives the ACS side, cpe::RpcHandler the gateway side. This class only
// executes their actions: it passes the time, stores the state, arms one
// timer, runs sessions and gateway calls. Everything runs on this CPE's
// strand; other code talks to it only through the thread-safe methods below,
// which post to the strand.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bridge/app/config.hpp"
#include "bridge/app/transport.hpp"
#include "bridge/app/virtual_cpe_slots.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cpe/agent.hpp"
#include "bridge/cpe/connection_request.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/cpe/management_server.hpp"
#include "bridge/cpe/session_answers.hpp"
#include "bridge/cwmp/event_queue.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/state/store.hpp"

namespace app {

// What the admin listener shows of one CPE (VirtualCpe::status()).
struct CpeStatus {
    std::string id;
    cwmp::DeviceId device_id;  // as the last Inform carried it
    bool online = true, bootstrapped = false, in_session = false;
    std::optional<cpe::TimePoint> last_inform;    // the last Inform the ACS acknowledged
    std::vector<std::string> last_inform_events;  // ... and its events
    std::vector<std::string> pending_events;      // waiting for the next Inform
    std::string last_fault;                       // the last fault answered to the ACS ("9005 GetParameterValues: ...")
    std::optional<cpe::TimePoint> last_fault_at;
    std::string last_outcome;                     // of the last session: done, failed, no_inform
    std::string last_error;                       // why it failed
    std::optional<cpe::TimePoint> last_session_end;
    std::uint32_t retry_count = 0;                // failed sessions in a row
    std::optional<cpe::TimePoint> next_wake;      // when the CPE looks at its schedule next
};

struct CpeEnvironment {
    const Config& config;
    state::Store& store;
    std::string cr_url_base;  // "http://127.0.0.1:7548"
    SessionRecorderFactory* recorders = nullptr;  // trace recording (--record); null = off
    // The bound on sessions at once (acs.max_concurrent_sessions); null: none (tests, replay).
    std::shared_ptr<SessionSlots> sessions;
};

class VirtualCpe : public std::enable_shared_from_this<VirtualCpe> {
public:
    // `transports` replace the CPE's own HTTP and CMP clients (trace replay);
    // null members mean production.
    VirtualCpe(boost::asio::io_context& ioc, CpeEnvironment& env, GatewayConfig gateway, http::Url gateway_url,
               std::unique_ptr<cpe::Device> device, cpe::CpeState state, Transports transports = {});
    ~VirtualCpe();

    // Starts the CPE: a BOOTSTRAP or BOOT session as soon as the gateway
    // answers, at a point within `spread` that is this CPE's (cpe::Agent::start).
    void start(std::chrono::milliseconds spread = {});
    void stop();
    // Trace replay (bridge/trace/replay.hpp): exactly one session with the events of the
    // persisted state — no restart semantics, no timers — on this CPE's strand.
    void replay_session(std::uint32_t retry_count, std::vector<cwmp::ParameterValue> changed,
                        std::function<void(bool ok)> done);

    // ---- thread-safe hooks for the gateway side (CMP) and the listeners ----
    // Queue an event and run a session soon.
    void request_session(std::string event_code, std::string command_key = {});
    // A validated gateway notification (notify*) from the CMP listener: the
    // CPE's mapping device translates it on the strand into value changes or
    // a transfer completion. (Defined in virtual_cpe_gateway.cpp.)
    void gateway_message(cmp::Request msg);
    // Gateway reachability (Annex J): false after a failure to connect or a
    // deregistration, true when the gateway answers or registers. While false,
    // Connection Requests get 503; becoming true starts a pending session.
    void set_online(bool online);
    bool online() const { return online_.load(); }
    // A session is running (a graceful stop waits for it).
    bool in_session() const { return in_session_.load(); }

    const std::string& id() const { return gateway_.id; }
    // A copy of the CPE's status, from any thread (virtual_cpe_status.cpp).
    CpeStatus status() const;
    // The admin listener drops the CPE: no session, timer or state write
    // after this; `done` runs on the strand once that holds, so the caller
    // may then remove the state (no write of this CPE can follow it).
    void retire(std::function<void()> done);
    // A reload replaces the CPE (new URL, secret or mapping table): nothing
    // new starts, a session in progress runs to its end, then the state is
    // made durable and `done(stored)` runs on the strand; the replacement is
    // created from what was stored.
    void hand_over(std::function<void(bool stored)> done);
    // Fixed for the CPE's lifetime (FactoryReset keeps it).
    const std::string& cr_path() const { return cr_path_; }
    std::string cr_url() const;
    // Snapshot for the Connection Request gate (credentials are settable by the ACS).
    cpe::CrTarget cr_target() const;

private:
    struct CallLog;  // logs every CMP exchange and feeds the session recorder

    // Executes what the agent decided (on the strand).
    void apply(cpe::Agent::Actions a);
    void arm_timer(cpe::TimePoint at);
    // A session the agent asked for: it starts once env_.sessions admits it
    // (at once without a bound), as launch_session().
    void begin_session();
    void launch_session();
    // Gives the slot back, if this CPE holds one.
    void release_slot();
    // Leaves the queue for a slot (stop, drop, hand-over).
    void stop_waiting();
    boost::asio::awaitable<cpe::Agent::SessionEnd> run_session();
    boost::asio::awaitable<bool> reboot_gateway(std::string command_key);
    // Closes the session's trace recording with the state as the agent left it.
    void end_recording(const cpe::Agent::SessionEnd& end);
    // The CPE state as a trace shows it: YAML, the device's state rendered as text.
    std::string readable_state() const;
    // Runs a step's CMP calls; a read the session made already is answered
    // from session_answers_ (when a session runs and cmp.reuse_answers_ms > 0).
    template <class T>
    boost::asio::awaitable<cpe::Outcome<T>> run_step(cpe::Step<T> step);
    // Hands the state to the store (its writer thread commits many CPEs'
    // changes together); a failure is logged. Nothing waits for it. A state
    // the store already holds is not written again (WriteLedger).
    void persist();
    // Whether persist_durable writes a state the store already holds: `always`
    // for the check that the store can write before an RPC that may change
    // the gateway (a skipped write would prove nothing).
    enum class Write { if_changed, always };
    // The same, and resumes once the state is durable: for what the ACS is
    // about to be told (an acknowledgement, an RPC's answer). False: not stored.
    boost::asio::awaitable<bool> persist_durable(Write write = Write::if_changed);
    std::string state_blob();
    // What the store holds of this CPE as far as the completions of its writes
    // tell (their store's thread updates it): see virtual_cpe.cpp.
    struct WriteLedger;
    void publish_credentials();
    // CMP calls are passed on to this recorder too (nullptr: none).
    void attach_recorder(cmp::CallObserver* recorder);
    cpe::LocalContext local_context() const;
    void note_change(const std::string& path, const std::string& value);
    static cpe::TimePoint now() { return std::chrono::system_clock::now(); }
    // Status and metrics (virtual_cpe_status.cpp), called on the strand.
    void publish_status(cpe::TimePoint wake_at);
    void note_session_start(std::uint32_t retry_count);
    void note_inform_acknowledged(const std::vector<cwmp::EventStruct>& events);
    void note_answer(const cwmp::Body& request, const cwmp::Body& answer);
    void note_session_end(const cpe::Agent::SessionEnd& end);

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    CpeEnvironment& env_;
    GatewayConfig gateway_;
    std::unique_ptr<cpe::Device> device_;
    cpe::CpeState state_;
    cpe::Agent agent_;
    const std::string cr_path_;
    mutable std::mutex cr_mutex_;
    std::pair<std::string, std::string> cr_creds_;
    std::atomic<bool> online_{true};  // the agent's view, readable from any thread
    std::atomic<bool> in_session_{false};
    net::HttpClient acs_client_;
    cmp::GatewayClient gateway_client_;
    std::unique_ptr<AcsTransport> acs_;
    std::unique_ptr<GatewayTransport> gateway_transport_;
    std::unique_ptr<CallLog> observer_;
    std::unique_ptr<SessionRecorder> recording_;  // the session being recorded (--record), if any
    const std::string gateway_url_;
    const std::string gateway_host_;  // host:port: the key of the rate-limited warnings about the gateway
    boost::asio::system_timer wake_;
    std::uint64_t wake_generation_ = 0;
    bool stopped_ = false;
    std::function<void()> on_idle_;  // hand_over(): run when the session in progress ends
    std::uint64_t session_count_ = 0;  // sessions of this process, for the log's session ids
    // The answers of the session in progress (owned by run_session's frame):
    // null between sessions, so an idle CPE holds none.
    cpe::SessionAnswers* session_answers_ = nullptr;
    bool dropped_ = false;  // retire(): the state is being removed, write nothing more
    std::shared_ptr<WriteLedger> writes_;  // shared with the completions of writes still in the store
    mutable std::mutex status_mutex_;
    CpeStatus status_;  // updated on the strand, copied by status()
    std::chrono::steady_clock::time_point session_started_{};
    SessionSlots::Id slot_id_ = 0;
    bool waiting_slot_ = false;  // asked env_.sessions for a slot, not yet granted
    bool holds_slot_ = false;
};

}  // namespace app

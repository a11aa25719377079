#pragma once
// The Asio driver of one virtual CPE: owns its persistent state, its event
// queue and its timers, and runs CWMP sessions by executing the actions of the
// sans-I/O engines (cwmp::CpeSession for the ACS side, cpe::RpcHandler for the
// gateway side). Everything runs on this CPE's strand; other code talks to it
// only through the thread-safe methods below, which post to the strand.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "bridge/app/config.hpp"
#include "bridge/app/transport.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cpe/connection_request.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/cpe/management_server.hpp"
#include "bridge/cwmp/event_queue.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/state/store.hpp"

namespace app {

struct CpeEnvironment {
    const Config& config;
    state::Store& store;
    std::string cr_url_base;  // "http://127.0.0.1:7548"
    SessionRecorderFactory* recorders = nullptr;  // trace recording (--record); null = off
};

class VirtualCpe : public std::enable_shared_from_this<VirtualCpe> {
public:
    // How long after a Reboot or FactoryReset the CPE waits for the gateway to
    // come back (set_online(true)) before it tries its BOOT session anyway.
    static constexpr std::chrono::seconds kRebootWait{300};
    // A transfer the gateway never reports on is closed with a failure
    // TransferComplete after this long, so the ACS is not left waiting forever.
    static constexpr std::chrono::hours kTransferTimeout{2};
    // A gateway back from the reboot that ends a firmware upgrade reports the
    // upgrade's result right after registering (docs/cmp-protocol.md): its
    // BOOT Inform waits this long for it, so that 1 BOOT, 7 TRANSFER COMPLETE
    // and M Download arrive in one Inform, as from a real CPE.
    static constexpr std::chrono::seconds kUpgradeResultWait{60};

    // `transports` replace the CPE's own HTTP and CMP clients (trace replay);
    // null members mean production.
    VirtualCpe(boost::asio::io_context& ioc, CpeEnvironment& env, GatewayConfig gateway, http::Url gateway_url,
               std::unique_ptr<cpe::Device> device, cpe::CpeState state, Transports transports = {});
    ~VirtualCpe();

    // Starts the CPE: a BOOTSTRAP or BOOT session as soon as the gateway answers.
    void start();
    void stop();
    // Trace replay (bridge/trace/replay.hpp): exactly one session with the events of the
    // persisted state — no restart semantics, no timers — on this CPE's strand.
    void replay_session(std::uint32_t retry_count, std::vector<cwmp::ParameterValue> changed,
                        std::function<void(bool ok)> done);

    // ---- thread-safe hooks for the gateway side (CMP) and the listeners ----
    // Queue an event and run a session soon.
    void request_session(std::string event_code, std::string command_key = {});
    // A gateway parameter changed (CMP event). Active notification: a
    // `4 VALUE CHANGE` session now; passive: the value rides the next Inform;
    // off: ignored. Changes the ACS made itself must not be reported here.
    void value_changed(std::string path, std::string value);
    // A Download/Upload finished on the gateway: queues its TransferComplete
    // (persisted until the ACS acknowledges it) and asks for a session.
    // fault.code 0 = success; times are xsd:dateTime (unknown time if not known).
    void transfer_complete(std::string command_key, cwmp::FaultStruct fault, std::string start_time,
                           std::string complete_time);
    // The same for the oldest transfer of `method` ("Download"/"Upload") still
    // in progress, for gateway results that carry no CommandKey
    // (CMP notifyRgUpgradeResult).
    void transfer_complete_oldest(std::string method, cwmp::FaultStruct fault, std::string start_time,
                                  std::string complete_time);
    // A validated gateway notification (notify*) from the CMP listener: the
    // CPE's mapping device translates it on the strand into value changes or
    // a transfer completion. (Issue 4; defined in virtual_cpe_gateway.cpp.)
    void gateway_message(cmp::Request msg);
    // Gateway reachability (Annex J): false after CMP transport failures or a
    // deregistration, true when the gateway answers or registers. While false,
    // Connection Requests get 503; becoming true starts a pending session.
    void set_online(bool online);
    bool online() const { return online_.load(); }

    const std::string& id() const { return gateway_.id; }
    // Fixed for the CPE's lifetime (FactoryReset keeps it).
    const std::string& cr_path() const { return cr_path_; }
    std::string cr_url() const;
    // Snapshot for the Connection Request gate (credentials are settable by the ACS).
    cpe::CrTarget cr_target() const;

private:
    struct CallLog;  // logs every CMP exchange and feeds the session recorder
    struct Changed {
        cwmp::ParameterValue value;
        std::uint64_t stamp = 0;
    };

    boost::asio::awaitable<void> run();
    boost::asio::awaitable<bool> run_session();
    template <class T>
    boost::asio::awaitable<cpe::Outcome<T>> run_step(cpe::Step<T> step);
    void restore();
    bool persist();
    void publish_credentials();
    // CMP calls are passed on to this recorder too (nullptr: none).
    void attach_recorder(cmp::CallObserver* recorder);
    void fire_timers(std::chrono::system_clock::time_point now);
    void schedule_periodic();
    bool has_work() const;
    void wake();
    cpe::LocalContext local_context() const;
    void note_change(const std::string& path, const std::string& value);
    void finish_transfer(cpe::Transfer& t, cwmp::FaultStruct fault, std::string start, std::string complete);
    // A Reboot deferred during a firmware upgrade that ended without a reboot.
    boost::asio::awaitable<void> carry_out_deferred_reboot();

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    CpeEnvironment& env_;
    GatewayConfig gateway_;
    std::unique_ptr<cpe::Device> device_;
    cpe::CpeState state_;
    const std::string cr_path_;
    mutable std::mutex cr_mutex_;
    std::pair<std::string, std::string> cr_creds_;
    std::atomic<bool> online_{true};
    cwmp::EventQueue events_;
    std::map<std::string, Changed> changed_;  // parameters under notification awaiting an Inform
    std::uint64_t change_stamp_ = 0;
    net::HttpClient acs_client_;
    cmp::GatewayClient gateway_client_;
    std::unique_ptr<AcsTransport> acs_;
    std::unique_ptr<GatewayTransport> gateway_transport_;
    std::unique_ptr<CallLog> observer_;
    const std::string gateway_url_;
    boost::asio::steady_timer wake_;
    std::optional<std::chrono::seconds> retry_after_;
    std::optional<std::chrono::system_clock::time_point> retry_at_;
    std::chrono::system_clock::time_point next_periodic_{};
    std::chrono::system_clock::time_point reboot_wait_until_{};
    std::chrono::system_clock::time_point boot_hold_until_{};  // BOOT waiting for an upgrade result
    std::chrono::system_clock::time_point deferred_reboot_at_{};  // next try of a deferred reboot
    std::uint32_t retry_count_ = 0;
    bool session_wanted_ = false;
    bool stopped_ = false;
    std::mt19937 rng_;
};

}  // namespace app

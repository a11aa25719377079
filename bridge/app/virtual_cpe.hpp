#pragma once
// The Asio driver of one virtual CPE: owns its persistent state, its event
// queue and its timers, and runs CWMP sessions by executing the actions of the
// sans-I/O engines (cwmp::CpeSession for the ACS side, cpe::RpcHandler for the
// gateway side). Everything runs on this CPE's strand; other code talks to it
// only through the thread-safe request_session().
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <random>
#include <string>

#include "bridge/app/config.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cwmp/event_queue.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/mapping/table.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/state/store.hpp"

namespace app {

struct CpeEnvironment {
    const Config& config;
    state::Store& store;
    std::string cr_url_base;  // "http://127.0.0.1:7548"
};

class VirtualCpe : public std::enable_shared_from_this<VirtualCpe> {
public:
    VirtualCpe(boost::asio::io_context& ioc, CpeEnvironment& env, GatewayConfig gateway, http::Url gateway_url,
               std::shared_ptr<const mapping::Table> table, cpe::CpeState state);
    ~VirtualCpe();

    // Starts the CPE: a BOOTSTRAP or BOOT session as soon as the gateway answers.
    void start();
    void stop();
    // Thread-safe: queue an event and run a session soon.
    void request_session(std::string event_code, std::string command_key = {});

    const std::string& id() const { return gateway_.id; }
    const std::string& cr_path() const { return state_.cr_path; }
    // Thread-safe snapshot of the CR credentials (they are settable by the ACS).
    std::pair<std::string, std::string> cr_credentials() const;
    std::string cr_url() const;

private:
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<bool> run_session();
    boost::asio::awaitable<core::Result<cwmp::Inform>> build_inform();
    // Runs the CMP calls a sans-I/O step asks for until it is done.
    template <class T>
    boost::asio::awaitable<cpe::Outcome<T>> run_step(cpe::Step<T> step);
    void persist();
    void schedule_periodic();
    std::string log_prefix() const { return gateway_.id; }

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    CpeEnvironment& env_;
    GatewayConfig gateway_;
    std::shared_ptr<const mapping::Table> table_;
    std::unique_ptr<cpe::Device> device_;
    cpe::CpeState state_;
    mutable std::mutex cr_mutex_;
    std::pair<std::string, std::string> cr_creds_;
    cwmp::EventQueue events_;
    net::HttpClient acs_client_;
    cmp::GatewayClient gateway_client_;
    std::unique_ptr<cmp::CallObserver> observer_;
    std::optional<std::chrono::seconds> retry_after_;
    boost::asio::steady_timer wake_;
    std::chrono::steady_clock::time_point next_periodic_;
    std::uint32_t retry_count_ = 0;
    bool session_wanted_ = false;
    bool stopped_ = false;
    std::mt19937 rng_;
};

}  // namespace app

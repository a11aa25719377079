#pragma once
// Reverse mode (docs/reverse.md): TR-069 CPEs managed by a CMP HOMS. The
// wiring of three parts that do not know each other:
//   app::AcsServer   the bridge as the CPEs' ACS (sessions, RPCs, Connection Requests)
//   app::CmpAgents   one CMP agent per CPE towards the HOMS (regRg/authRg, keep-alives, notify*)
//   app::CmpAgentServer  the HOMS -> gateway calls, answered through mapping::ReverseCall
// Each CPE becomes one gateway: rgId = its CWMP id (OUI-ProductClass-Serial),
// registered when it first informs, registered again when it boots, and
// deregistered when it stops informing. A HOMS call becomes the fewest CWMP
// RPCs on that CPE (at once through a Connection Request), bounded by
// reverse.call_wait; what the CPE reports (VALUE CHANGE, TransferComplete)
// becomes gateway -> HOMS notifications.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "bridge/acs/cpe_auth.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bridge/app/acs_server.hpp"
#include "bridge/app/cmp_agent_clients.hpp"
#include "bridge/app/cmp_agent_server.hpp"
#include "bridge/app/reverse_config.hpp"
#include "bridge/state/store.hpp"
#include "bridge/mapping/reverse_call.hpp"
#include "bridge/mapping/reverse_mapping.hpp"

namespace app {

struct ReverseRecording;

class ReverseBridge final : public AcsServer::Observer {
public:
    // state_dir: where reverse.db keeps what is known of each CPE across restarts.
    ReverseBridge(boost::asio::io_context& ioc, ReverseConfig config, std::string state_dir);
    ~ReverseBridge() override;

    // Loads the tables (refused with file:line:col when a table is invalid)
    // and the credentials, binds both listeners and starts the agents' clients.
    core::Status start();
    // `run --record`: HOMS calls, CPE sessions and events become traces (docs/traces.md). Before start().
    void record(ReverseRecording* recorder) { recorder_ = recorder; }
    // Deregisters every virtual gateway and closes the listeners.
    void stop();

    unsigned short acs_port() const;
    unsigned short agent_port() const;
    // CPE sessions open, plus, once stop() was called, the agents whose deregRg
    // is still on its way: a graceful stop waits for both.
    std::size_t open_sessions() const;

    // The rgId a CPE is presented under (its CWMP id; hashed when longer than the profile's 64).
    static std::string gateway_id(const std::string& cpe_id);

    // ---- AcsServer::Observer (on the CPE's strand) ----
    void on_inform(const acs::CpeRecord& cpe, const cwmp::Inform& inform) override;
    void on_transfer_complete(const acs::CpeRecord& cpe, const cwmp::TransferComplete& tc) override;
    void on_gone(const acs::CpeRecord& cpe) override;

private:
    // One CPE as a gateway. mutex guards events and the calls' sans-I/O steps
    // (the Observer runs on the CPE's strand, HOMS calls on their connections').
    struct Device {
        std::string cpe_id, rg_id;
        std::shared_ptr<const mapping::ReverseMapping> mapping;
        std::string mapping_key;  // reverse.mappings key
        std::mutex mutex;
        mapping::ReverseEventState events;
        cmp::AgentIdentity identity;
        acs::CpeRecord known;  // the persisted part of the ACS's record (reverse_state.hpp)
        std::string saved;     // the blob last handed to the store
    };

    boost::asio::awaitable<cmp::Response> answer(std::string rg_id, cmp::Request request);
    std::shared_ptr<Device> device(std::string_view rg_id) const;
    // The reverse.mappings key serving this CPE: "<root>:<major>" when configured, else "<root>"; "" when none.
    std::string mapping_key_for(const acs::CpeRecord& cpe) const;
    std::string secret_for(const std::string& rg_id) const;
    cmp::AgentIdentity identity_of(const acs::CpeRecord& cpe, const std::string& rg_id) const;
    void send(const Device& d, std::vector<cmp::Request> messages);
    void record_inform(const acs::CpeRecord& cpe, const std::string& rg, Device* d, const mapping::ReverseMapping& m);
    // Hands the device's state to the store when it changed (under d.mutex); `done`
    // once it is durable (or failed), on the store's thread. Ok at once when unchanged.
    void persist(Device& d, std::function<void(core::Status)> done = {});
    boost::asio::awaitable<core::Status> persist_durably(std::shared_ptr<Device> d);
    core::Status restore_devices();
    // Per Inform: the event messages, after reading what the Inform did not carry.
    boost::asio::awaitable<void> report_events(std::shared_ptr<Device> d, cwmp::Inform inform);
    // The ACS sets the CPE's Connection Request credentials (ManagementServer.
    // ConnectionRequestUsername/Password) to those of the credentials file, so
    // that it can wake the CPE for a HOMS call: at a bootstrap and at first contact.
    void provision_connection_request(const acs::CpeRecord& cpe);

    boost::asio::io_context& ioc_;
    ReverseConfig config_;
    std::string state_dir_;
    std::unique_ptr<state::Store> store_;
    std::map<std::string, std::shared_ptr<const mapping::ReverseMapping>> mappings_;  // by reverse.mappings key
    std::shared_ptr<const acs::CredentialTable> credentials_;
    std::unique_ptr<AcsServer> acs_;
    ReverseRecording* recorder_ = nullptr;
    std::unique_ptr<CmpAgents> agents_;
    std::unique_ptr<CmpAgentServer> agent_server_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;  // devices_
    std::map<std::string, std::shared_ptr<Device>, std::less<>> devices_;  // by rgId
};

}  // namespace app

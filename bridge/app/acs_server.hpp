#pragma once
// The bridge as an ACS towards TR-069 CPEs (reverse mode, docs/reverse.md):
// one listener for every CPE's sessions, one strand per CPE. The protocol is
// acs::CpeSession's; this class adds the socket, the session lookup (the
// session cookie, else the connection), CPE authentication before any body
// is read, the 30 s silence timeout, Connection Requests to wake a CPE, and
// the hand-off of what CPEs report to an Observer.
//
// Threading: run() may be awaited from any executor; it hops to the CPE's
// strand. The Observer is called on the CPE's strand, after the answer to
// the CPE was handed to the connection. find() returns a record that only
// the CPE's strand may read (the Observer's callbacks run there).
// Lifetime: like the other listeners, destroy it after the io_context stopped.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/acs/cpe_auth.hpp"
#include "bridge/acs/cpe_record.hpp"
#include "bridge/acs/cpe_session.hpp"
#include "bridge/acs/rpc_queue.hpp"
#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/net/http_server.hpp"

namespace app {

struct ReverseRecording;

struct AcsServerConfig {
    std::string listen = "127.0.0.1:7557";
    std::optional<net::TlsServerConfig> tls;
    // Required: every session is authenticated (docs/reverse.md, credentials file).
    std::shared_ptr<const acs::CredentialTable> credentials;
    std::string realm = "cmp-cwmp-bridge ACS";
    bool allow_basic = false;  // honoured only with tls: Basic sends the password itself
    // A CPE silent this long in an open session: the session ends, its queue stays.
    std::chrono::milliseconds session_timeout{30'000};
    // Each step of a Connection Request (connect, send, answer).
    std::chrono::milliseconds connection_request_timeout{5'000};
    net::TlsClientConfig connection_request_tls;
    // Gone: this many periodic intervals without an Inform, plus the grace.
    int missed_informs = 3;
    std::chrono::seconds gone_grace{60};
    std::chrono::milliseconds gone_check_every{30'000};
    // Paths every CPE keeps on active notification (acs::CpeRecord::watch).
    std::vector<std::string> watch;
    std::size_t max_queued_per_cpe = 64;
    // CPEs the ACS keeps records of; a new id beyond that is answered 503 (the
    // default pair lets any holder inform under any id: memory stays bounded).
    std::size_t max_cpes = 100'000;
    std::size_t body_limit = 4 * 1024 * 1024;
    std::size_t max_connections = 4096;
    std::size_t max_connections_per_source = 16;
    // The wall clock of CpeRecord times and gone checks; tests pass a fake one.
    std::function<acs::TimePoint()> now = [] { return std::chrono::system_clock::now(); };
};

class AcsServer {
public:
    struct Observer {
        virtual ~Observer() = default;
        virtual void on_inform(const acs::CpeRecord&, const cwmp::Inform&) = 0;
        virtual void on_transfer_complete(const acs::CpeRecord&, const cwmp::TransferComplete&) = 0;
        virtual void on_gone(const acs::CpeRecord&) = 0;
    };

    AcsServer(boost::asio::io_context& ioc, AcsServerConfig config, Observer* observer = nullptr);
    ~AcsServer();
    AcsServer(const AcsServer&) = delete;
    AcsServer& operator=(const AcsServer&) = delete;

    core::Status start();
    void stop();
    unsigned short port() const;
    net::ServerStats stats() const;
    // `run --record`: sessions and their POSTs are reported to it (docs/traces.md). Before start().
    void record(ReverseRecording* recorder) { recorder_ = recorder; }

    // Runs one RPC on the CPE: in its open session, or after waking it with a
    // Connection Request. Errors: acs.unknown_cpe (never informed), acs.busy
    // (its queue is full), acs.unreachable (no ConnectionRequestURL, or the
    // Connection Request failed), acs.timeout (not answered within `wait`; an
    // RPC not sent yet is withdrawn), acs.session_ended / acs.bad_response
    // (the session broke while the CPE owed the answer). A CPE's Fault is a
    // result, not an error.
    boost::asio::awaitable<core::Result<cwmp::Body>> run(std::string cpe_id, cwmp::Body rpc,
                                                         std::chrono::milliseconds wait);

    // A CPE known from before a restart (docs/reverse.md, "Restarts"): run()
    // can wake it before it informs again, and the gone check counts from the
    // stored last Inform. Its data model is discovered again at its next Inform.
    // Before start(); an id already known is left as it is.
    void restore(acs::CpeRecord record);

    // The CPE's record (see the threading note above), or nullptr.
    const acs::CpeRecord* find(std::string_view cpe_id) const;
    // A copy of the record, read on the CPE's strand.
    boost::asio::awaitable<std::optional<acs::CpeRecord>> snapshot(std::string cpe_id);
    std::vector<std::string> cpe_ids() const;
    std::size_t open_sessions() const;

    // Declares gone every CPE past its gone deadline (also run every
    // gone_check_every); the Observer hears each once.
    void check_gone();

private:
    struct Cpe;
    using CpePtr = std::shared_ptr<Cpe>;

    boost::asio::awaitable<http::Response> handle(http::Request req, net::PeerInfo peer);
    net::PreBodyDecision pre_body(const http::Request& head, const net::PeerInfo& peer);
    CpePtr session_cpe(const http::Request& req, const std::string& connection) const;
    CpePtr cpe_for(const std::string& id);  // nullptr: max_cpes reached
    boost::asio::awaitable<std::optional<http::Response>> on_session_post(CpePtr cpe, http::Request req,
                                                                          std::string connection);
    boost::asio::awaitable<http::Response> open_session(CpePtr cpe, cwmp::Envelope inform, std::string connection);
    void after_exchange(const CpePtr& cpe);
    void close_session(const CpePtr& cpe, std::string_view why);
    void arm_session_timer(const CpePtr& cpe);
    void wake(const CpePtr& cpe);
    boost::asio::awaitable<void> connection_request(CpePtr cpe);
    boost::asio::awaitable<std::optional<acs::RpcResult>> run_on_strand(CpePtr cpe, cwmp::Body rpc,
                                                                   std::chrono::milliseconds wait);
    void schedule_gone_check();

    boost::asio::io_context& ioc_;
    AcsServerConfig config_;
    Observer* observer_;
    ReverseRecording* recorder_ = nullptr;
    std::unique_ptr<acs::CpeAuthenticator> auth_;
    std::unique_ptr<net::HttpServer> server_;
    boost::asio::steady_timer gone_timer_;
    std::atomic<bool> stopped_{false};  // stop() may run on any thread

    mutable std::mutex mutex_;  // guards the three maps, touched once or twice per request
    std::map<std::string, CpePtr, std::less<>> cpes_;
    std::map<std::string, CpePtr, std::less<>> by_token_;
    std::map<std::string, CpePtr, std::less<>> by_connection_;
};

}  // namespace app

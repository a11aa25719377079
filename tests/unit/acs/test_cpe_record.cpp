// acs::CpeRecord, cpe ids, watch paths, the RPC queue: plain data and rules.
#include "tests/unit/acs/acs_helpers.hpp"

#include "bridge/acs/cpe_id.hpp"
#include "bridge/acs/discovery.hpp"

using namespace acs_test;

TEST_CASE("cpe ids are OUI-ProductClass-Serial, URL-safe, and a '-' inside a part cannot collide") {
    CHECK(acs::cpe_id({"M", "00D09E", "IGD", "SN1"}) == "00D09E-IGD-SN1");
    CHECK(acs::cpe_id({"M", "00D09E", "", "SN1"}) == "00D09E-SN1");
    CHECK(acs::cpe_id({"M", "48BF74", "FAP/pBS31010/CA", "12 0"}) == "48BF74-FAP%2FpBS31010%2FCA-12%200");
    CHECK(acs::cpe_id({"M", "A", "B-C", "D"}) != acs::cpe_id({"M", "A", "B", "C-D"}));
}

TEST_CASE("watch paths: {i} is one instance number, a trailing dot names the object itself") {
    CHECK(acs::matches_watch("IGD.Hosts.Host.1.Active", "IGD.Hosts.Host.{i}.Active"));
    CHECK(acs::matches_watch("IGD.Hosts.Host.12.Active", "IGD.Hosts.Host.{i}.Active"));
    CHECK_FALSE(acs::matches_watch("IGD.Hosts.Host.x.Active", "IGD.Hosts.Host.{i}.Active"));
    CHECK_FALSE(acs::matches_watch("IGD.Hosts.Host.1.ActiveX", "IGD.Hosts.Host.{i}.Active"));
    CHECK_FALSE(acs::matches_watch("IGD.Hosts.Host.1.Active.X", "IGD.Hosts.Host.{i}.Active"));
    CHECK_FALSE(acs::matches_watch("IGD.Hosts.Host.1.", "IGD.Hosts.Host.{i}.Active"));
    CHECK(acs::matches_watch("IGD.Hosts.Host.1.", "IGD.Hosts.Host.{i}."));
    CHECK_FALSE(acs::matches_watch("IGD.Hosts.Host.1.Active", "IGD.Hosts.Host.{i}."));
}

TEST_CASE("watch paths may be relative to the root or absolute") {
    acs::CpeRecord r;
    r.root = "InternetGatewayDevice.";
    r.on_names(igd_names(), kT0);
    r.watch = {"LANDevice.1.Hosts.Host.{i}.HostName", "InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active"};
    CHECK(r.unwatched_matches() == std::vector<std::string>{"InternetGatewayDevice.LANDevice.1.Hosts.Host.1.HostName",
                                                            "InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active"});
    r.notification_active.insert("InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active");
    CHECK(r.unwatched_matches().size() == 1);
    // A new discovery forgets notifications on instances that went away.
    r.notification_active.insert("InternetGatewayDevice.LANDevice.1.Hosts.Host.9.Active");
    r.on_names(igd_names(), kT0);
    CHECK(r.notification_active.size() == 1);
}

TEST_CASE("gone: missed periodic informs after the last one, known interval only") {
    acs::CpeRecord r;
    CHECK_FALSE(r.gone_deadline(3, std::chrono::seconds(30)));
    auto i = inform({{"2 PERIODIC", ""}});
    i.parameters.push_back({"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", "600", "xsd:unsignedInt"});
    r.on_inform(i, cwmp::Version::v1_0, kT0);
    CHECK(r.periodic_interval == std::chrono::seconds(600));
    CHECK(r.gone_deadline(3, std::chrono::seconds(30)) == kT0 + std::chrono::seconds(1830));
    CHECK_FALSE(r.came_back);
    r.gone = true;
    r.on_inform(i, cwmp::Version::v1_0, kT0 + std::chrono::hours(2));
    CHECK_FALSE(r.gone);
    CHECK(r.came_back);
    CHECK(r.gone_deadline(3, std::chrono::seconds(30)) == kT0 + std::chrono::hours(2) + std::chrono::seconds(1830));
    CHECK(r.informs == 2);
    r.on_inform(i, cwmp::Version::v1_0, kT0 + std::chrono::hours(3));
    CHECK_FALSE(r.came_back);
}

TEST_CASE("the queue: engine RPCs before the upper layer's, in their order; cancel; full; failing user RPCs") {
    acs::RpcQueue q(3);
    std::vector<std::string> calls;
    auto note = [&](std::string what) { return [&calls, what](acs::RpcResult r) { calls.push_back(what + (r ? ":ok" : ":" + r.error().code)); }; };
    auto u1 = q.enqueue(cwmp::Reboot{"u1"}, note("u1"));
    REQUIRE(u1);
    q.enqueue_internal(cwmp::GetParameterNames{"A.", false}, note("i1"));
    q.enqueue_internal(cwmp::GetParameterNames{"B.", false}, note("i2"));
    CHECK_FALSE(q.enqueue(cwmp::Reboot{"u2"}, note("u2")));  // full
    auto first = q.pop();
    REQUIRE(first);
    CHECK(std::get<cwmp::GetParameterNames>(first->rpc).parameter_path == "A.");
    CHECK(first->internal);
    CHECK(q.has_user_rpcs());
    auto u3 = q.enqueue(cwmp::Reboot{"u3"}, note("u3"));
    REQUIRE(u3);
    CHECK(q.cancel(*u1));
    CHECK_FALSE(q.cancel(*u1));
    q.fail_user_rpcs(core::make_error("acs.unreachable", "x"));
    CHECK(calls == std::vector<std::string>{"u3:acs.unreachable"});
    CHECK(q.size() == 1);  // the engine's GetParameterNames B. stays
    CHECK_FALSE(q.has_user_rpcs());
}

TEST_CASE("a refused notification request is remembered, not retried in a loop") {
    acs::CpeRecord r;
    acs::RpcQueue q;
    r.root = "InternetGatewayDevice.";
    r.on_names(igd_names(), kT0);
    r.watch = {"LANDevice.1.Hosts.Host.{i}.Active"};
    acs::queue_notifications(r, q);
    auto spa = q.pop();
    REQUIRE(spa);
    spa->done(cwmp::Body{cwmp::Fault{9009, "Notification request rejected", {}}});
    CHECK(r.notification_error == "9009 Notification request rejected");
    CHECK(r.notification_active.empty());
    CHECK(q.empty());
    CHECK(r.unwatched_matches().empty());
    acs::queue_notifications(r, q);
    CHECK(q.empty());
}

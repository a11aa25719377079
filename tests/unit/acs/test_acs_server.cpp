// app::AcsServer over real sockets on 127.0.0.1. The CPE is played by the
// project's own CPE engine (cwmp::CpeSession over net::HttpClient: Digest,
// the session cookie, empty POSTs) in front of a small fake device, and its
// Connection Request listener by net::HttpServer with a DigestVerifier
// (401, then 200). Times that the server reads come from a fake clock.
#include "tests/unit/acs/acs_server_fixture.hpp"

using namespace acs_server_test;
using namespace std::chrono_literals;

TEST_CASE("a CPE informs, is discovered, and a later RPC wakes it with a Digest Connection Request") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        CHECK(co_await play_session(env, "0 BOOTSTRAP,1 BOOT") == "done");
        CHECK(env.device.rpcs == std::vector<std::string>{"GetParameterNames", "SetParameterAttributes"});
        auto record = co_await env.acs->snapshot(env.cpe_id());
        REQUIRE(record);
        CHECK(record->discovered);
        CHECK(record->notification_active.size() == 2);
        CHECK(record->periodic_interval == 300s);
        CHECK(record->connection_request_url == env.device.cr_url);
        {
            auto cond = [&] { return env.observer.informs.size() == 1; };
            CHECK(co_await eventually(cond));
        }
        CHECK(env.acs->open_sessions() == 0);

        env.device.rpcs.clear();
        cwmp::Body gpv = cwmp::GetParameterValues{{"InternetGatewayDevice.DeviceInfo.SoftwareVersion"}};
        auto result = co_await env.acs->run(env.cpe_id(), gpv, 5000ms);
        REQUIRE_MESSAGE(result, (result ? "" : result.error().code + " " + result.error().message));
        REQUIRE(std::holds_alternative<cwmp::GetParameterValuesResponse>(*result));
        CHECK(std::get<cwmp::GetParameterValuesResponse>(*result).parameters.at(0).value == "1.2.3");
        CHECK(env.cr_challenged == 1);
        CHECK(env.cr_accepted == 1);
        CHECK(env.cr_rejected == 0);
        {
            auto cond = [&] { return env.woken_sessions.size() == 1; };
            CHECK(co_await eventually(cond));
        }
        CHECK(env.woken_sessions.at(0) == "done");
        CHECK(env.device.rpcs == std::vector<std::string>{"GetParameterValues"});
        {
            auto cond = [&] { return env.observer.informs.size() == 2; };
            CHECK(co_await eventually(cond));
        }
        CHECK(env.observer.informs.at(1) == env.cpe_id() + ": 6 CONNECTION REQUEST");

        // A CPE fault is a result, not an error.
        cwmp::Body bad = cwmp::GetParameterValues{{"InternetGatewayDevice.Nope"}};
        auto fault = co_await env.acs->run(env.cpe_id(), bad, 5000ms);
        REQUIRE(fault);
        REQUIRE(std::holds_alternative<cwmp::Fault>(*fault));
        CHECK(std::get<cwmp::Fault>(*fault).code == 9005);
    });
}

TEST_CASE("run() fails with acs.timeout when the CPE does not come, and withdraws the RPC") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        CHECK(co_await play_session(env, "1 BOOT") == "done");
        env.cr_mode = CrMode::answer_only;
        cwmp::Body reboot = cwmp::Reboot{"never"};
        auto r = co_await env.acs->run(env.cpe_id(), reboot, 300ms);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "acs.timeout");
        CHECK(env.cr_accepted == 1);
        // The next session does not run the withdrawn Reboot.
        env.device.rpcs.clear();
        CHECK(co_await play_session(env, "2 PERIODIC") == "done");
        CHECK(env.device.rpcs.empty());
    });
}

TEST_CASE("a busy CPE (503) is asked again while the RPC waits, and comes") {
    // Found in the round trip (e2e_reverse): a CPE answers 503 while it is in
    // a session or over its Connection Request rate; the HOMS call failed at
    // once although the CPE was free a moment later.
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        CHECK(co_await play_session(env, "1 BOOT") == "done");
        env.cr_busy = 2;
        cwmp::Body gpv = cwmp::GetParameterValues{{"InternetGatewayDevice.DeviceInfo.SoftwareVersion"}};
        auto r = co_await env.acs->run(env.cpe_id(), gpv, 5000ms);
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        CHECK(std::holds_alternative<cwmp::GetParameterValuesResponse>(*r));
        CHECK(env.cr_busy == 0);
        CHECK(env.cr_accepted == 1);

        // Busy for longer than anyone waits: acs.timeout, and the asking stops with the wait.
        env.cr_busy = 1000;
        auto late = co_await env.acs->run(env.cpe_id(), gpv, 800ms);
        REQUIRE_FALSE(late);
        CHECK(late.error().code == "acs.timeout");
        const int left = env.cr_busy;
        asio::steady_timer t(co_await asio::this_coro::executor, 1500ms);
        co_await t.async_wait(asio::use_awaitable);
        CHECK(env.cr_busy >= left - 1);
    });
}

TEST_CASE("run() fails with acs.unreachable when the Connection Request fails; unknown CPEs are refused") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        // A port nothing listens on (the CR listener's, closed).
        env.device.cr_url = "http://127.0.0.1:" + std::to_string(env.cr_server->port()) + "/cr";
        env.cr_server->stop();
        CHECK(co_await play_session(env, "1 BOOT") == "done");
        cwmp::Body gpv = cwmp::GetParameterValues{{"InternetGatewayDevice.DeviceInfo.SoftwareVersion"}};
        auto r = co_await env.acs->run(env.cpe_id(), gpv, 5000ms);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "acs.unreachable");

        auto unknown = co_await env.acs->run("nobody", gpv, 100ms);
        REQUIRE_FALSE(unknown);
        CHECK(unknown.error().code == "acs.unknown_cpe");
    });
}

TEST_CASE("CPE authentication: wrong password, another CPE's credentials, and a CPE's own pair") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        env.cpe_password = "wrong";
        auto outcome = co_await play_session(env, "1 BOOT");
        CHECK(outcome.find("failed") == 0);
        CHECK(env.acs->cpe_ids().empty());

        // "own" belongs to 00D09E-RG1-OWN only.
        env.cpe_user = "own";
        env.cpe_password = "own-secret";
        outcome = co_await play_session(env, "1 BOOT");
        CHECK(outcome.find("403") != std::string::npos);
        env.device.serial = "OWN";
        CHECK(co_await play_session(env, "1 BOOT") == "done");
        CHECK(env.acs->cpe_ids() == std::vector<std::string>{"00D09E-RG1-OWN"});
    });
}

TEST_CASE("TransferComplete reaches the observer; a silent CPE's session times out; gone after missed informs") {
    Env env(200ms);
    env.run([&]() -> asio::awaitable<void> {
        cwmp::TransferComplete tc{"dl-1", {}, "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"};
        std::vector<cwmp::Body> requests{tc};
        CHECK(co_await play_session(env, "7 TRANSFER COMPLETE,M Download", requests) == "done");
        {
            auto cond = [&] { return env.observer.transfers.size() == 1; };
            CHECK(co_await eventually(cond));
        }
        CHECK(env.observer.transfers.at(0).command_key == "dl-1");

        // Inform, then silence: the session ends after session_timeout.
        auto ex = co_await asio::this_coro::executor;
        net::HttpClient client(ex, {});
        cwmp::SessionConfig config;
        config.acs_url = *http::Url::parse(env.acs_url());
        config.username = env.cpe_user;
        config.password = env.cpe_password;
        cwmp::CpeSession silent(config, env.device.inform({{"2 PERIODIC", ""}}));
        cwmp::Action a = silent.start();
        while (a.kind == cwmp::Action::Kind::send && !silent.inform_acknowledged()) {
            auto r = co_await client.send(a.url, a.request);
            REQUIRE(r);
            a = silent.on_response(*r);
        }
        CHECK(silent.inform_acknowledged());
        CHECK(env.acs->open_sessions() == 1);
        {
            auto cond = [&] { return env.acs->open_sessions() == 0; };
            CHECK(co_await eventually(cond));
        }

        // Gone: three periodic intervals (300 s) and the grace (60 s) without an Inform.
        env.clock += 959s;
        env.acs->check_gone();
        co_await pause(20ms);
        CHECK(env.observer.gone.empty());
        env.clock += 2s;
        env.acs->check_gone();
        {
            auto cond = [&] { return env.observer.gone.size() == 1; };
            CHECK(co_await eventually(cond));
        }
        env.acs->check_gone();
        co_await pause(20ms);
        CHECK(env.observer.gone.size() == 1);
        // Back: the Observer can tell this Inform ended a gone period (to register the gateway again).
        CHECK(co_await play_session(env, "2 PERIODIC") == "done");
        {
            auto cond = [&] { return env.observer.came_back.size() == 3; };
            CHECK(co_await eventually(cond));
        }
        CHECK(env.observer.came_back == std::vector<bool>{false, false, true});
    });
}

TEST_CASE("the credentials file: errors at file:line:col, never a value") {
    auto bad = app::parse_acs_credentials("default:\n  username: cpe\n  pasword: topsecret\n", "creds.yaml");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("creds.yaml:") == 0);
    CHECK(bad.error().message.find("topsecret") == std::string::npos);
    auto clash = app::parse_acs_credentials(
        "cpes:\n  A-B-C: {username: u, password: p1}\n  A-B-D: {username: u, password: p2}\n", "c.yaml");
    REQUIRE_FALSE(clash);
    CHECK(clash.error().message.find("p2") == std::string::npos);
    auto ok = app::parse_acs_credentials(kCredentials, "c.yaml");
    REQUIRE(ok);
    CHECK((*ok)->connection_request("anything").username == "acs");
}

// app::AcsServer with CPEs played by hand (raw POSTs over net::HttpClient):
// the behaviours of real CPEs the forward engine does not imitate (no
// cookies, a cookie kept into the next session), and the queue limit.
#include "tests/unit/acs/acs_server_fixture.hpp"

using namespace acs_server_test;
using namespace std::chrono_literals;

namespace {

// A POST by hand, for CPEs the forward engine will not imitate.
http::Request raw_post(const cwmp::Body& body, std::string id = "raw-1") {
    http::Request r;
    r.method = "POST";
    r.target = "/acs";
    cwmp::Envelope env;
    env.id = std::move(id);
    env.body = body;
    r.body = cwmp::encode(env);
    r.headers.push_back({"Content-Type", "text/xml"});
    return r;
}

http::Request raw_empty() {
    http::Request r;
    r.method = "POST";
    r.target = "/acs";
    return r;
}

// Inform over `client` as a CPE does it by hand: a 401, then Digest.
asio::awaitable<core::Result<http::Response>> authorized_inform(net::HttpClient& client, const http::Url& url,
                                                                const cwmp::Body& inform) {
    http::Request bare = raw_post(inform);  // named: no temporary inside a co_await (GCC 12)
    auto challenge = co_await client.send(url, bare);
    REQUIRE(challenge);
    REQUIRE(challenge->status == 401);
    http::ClientAuth auth;
    REQUIRE(auth.on_challenge(*challenge, {"cpe", "cpe-secret"}));
    http::Request authorized = raw_post(inform);
    authorized.set("Authorization", *auth.authorization("POST", "/acs"));
    co_return co_await client.send(url, authorized);
}

}  // namespace

TEST_CASE("a CPE that drops cookies is followed by its connection; no session and no credentials is a 401") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        net::HttpClient client(ex, {});
        const auto url = *http::Url::parse(env.acs_url());
        cwmp::Body inform = env.device.inform({{"1 BOOT", ""}});
        auto informed = co_await authorized_inform(client, url, inform);
        REQUIRE(informed);
        REQUIRE(informed->status == 200);
        CHECK(informed->find("Set-Cookie"));

        // No Cookie header from here on: the connection carries the session.
        http::Request empty = raw_empty();
        auto gpn = co_await client.send(url, empty, false);
        REQUIRE(gpn);
        REQUIRE(gpn->status == 200);
        auto env_gpn = cwmp::decode(gpn->body);
        REQUIRE(env_gpn);
        CHECK(std::holds_alternative<cwmp::GetParameterNames>(env_gpn->body));

        // Another connection without cookie or credentials belongs to nothing.
        net::HttpClient stranger(ex, {});
        http::Request bare = raw_empty();
        auto refused = co_await stranger.send(url, bare);
        REQUIRE(refused);
        CHECK(refused->status == 401);
        http::Request forged = raw_empty();
        forged.set("Cookie", "cwmp_session=not-a-session");
        auto refused2 = co_await stranger.send(url, forged);
        REQUIRE(refused2);
        CHECK(refused2->status == 401);
        client.close();
        stranger.close();
    });
}

TEST_CASE("a CPE keeping its cookie into the next session starts a new one with its Inform") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        net::HttpClient client(ex, {});
        const auto url = *http::Url::parse(env.acs_url());
        cwmp::Body inform = env.device.inform({{"1 BOOT", ""}});
        auto first = co_await authorized_inform(client, url, inform);
        REQUIRE(first);
        const std::string* set_cookie = first->find("Set-Cookie");
        REQUIRE(set_cookie);
        const std::string cookie = set_cookie->substr(0, set_cookie->find(';'));

        // The CPE abandons the session and informs again, same cookie, no Authorization.
        cwmp::Body again = env.device.inform({{"2 PERIODIC", ""}});
        http::Request next = raw_post(again, "raw-2");
        next.set("Cookie", cookie);
        auto second = co_await client.send(url, next);
        REQUIRE(second);
        REQUIRE(second->status == 200);
        auto decoded = cwmp::decode(second->body);
        REQUIRE(decoded);
        CHECK(std::holds_alternative<cwmp::InformResponse>(decoded->body));
        CHECK(decoded->id == "raw-2");
        const std::string* new_cookie = second->find("Set-Cookie");
        REQUIRE(new_cookie);
        CHECK(new_cookie->substr(0, new_cookie->find(';')) != cookie);
        {
            auto cond = [&] { return env.observer.informs.size() == 2; };
            CHECK(co_await eventually(cond));
        }
        CHECK(env.acs->open_sessions() == 1);
        client.close();
    });
}

TEST_CASE("run() answers acs.busy when the CPE's queue is full") {
    Env env;
    env.run([&]() -> asio::awaitable<void> {
        CHECK(co_await play_session(env, "1 BOOT") == "done");
        env.cr_mode = CrMode::answer_only;
        int timeouts = 0;
        auto ex = co_await asio::this_coro::executor;
        auto waiter = [&]() -> asio::awaitable<void> {
            cwmp::Body r = cwmp::Reboot{"r"};
            auto result = co_await env.acs->run(env.cpe_id(), r, 1000ms);
            if (!result && result.error().code == "acs.timeout") ++timeouts;
        };
        for (int i = 0; i < 64; ++i) asio::co_spawn(ex, waiter, asio::detached);
        co_await pause(50ms);
        cwmp::Body one_more = cwmp::Reboot{"65th"};
        auto busy = co_await env.acs->run(env.cpe_id(), one_more, 1000ms);
        REQUIRE_FALSE(busy);
        CHECK(busy.error().code == "acs.busy");
        {
            auto cond = [&] { return timeouts == 64; };
            for (int i = 0; i < 10 && !cond(); ++i) co_await pause(200ms);
            CHECK(cond());
        }
        CHECK(env.cr_accepted == 1);  // one Connection Request for all of them
    });
}

TEST_CASE("beyond max_cpes a new CPE id is refused with 503; known CPEs go on") {
    Env env(30'000ms, 1);
    env.run([&]() -> asio::awaitable<void> {
        CHECK(co_await play_session(env, "1 BOOT") == "done");
        env.device.serial = "SN0002";
        auto refused = co_await play_session(env, "1 BOOT");
        CHECK(refused.find("503") != std::string::npos);
        CHECK(env.acs->cpe_ids().size() == 1);
        env.device.serial = "SN0001";
        CHECK(co_await play_session(env, "2 PERIODIC") == "done");
    });
}

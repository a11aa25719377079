// The CMP replay window shared through PostgreSQL (app::SharedReplayWindow,
// state::PgNonces): two "nodes" (a listener each, their own connections)
// on one database. A message accepted at node A is refused as a replay at
// node B once B took the gateway over; expired nonces are neither restored
// nor kept.
#include <doctest/doctest.h>

#include <atomic>
#include <future>

#include "bridge/app/cluster_replay.hpp"
#include "tests/pg_server.hpp"
#include "tests/unit/cmp/listener_test_util.hpp"

using namespace lt;

namespace {

const std::string kSecret = "replay-test-secret-9d1e";

template <class T>
T must(core::Result<T> r) {
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return std::move(*r);
}

// One bridge's listener with the shared window; `clock` is the window's notion of now.
struct Node {
    FakeHost host;
    cmp::Listener listener{host};
    std::unique_ptr<app::SharedReplayWindow> window;
    Node(test_pg::Server& pg, const std::string& rg, const std::atomic<std::int64_t>& clock) {
        host.add(rg, kSecret);
        state::PgNoncesOptions o{pg.dsn(), [&clock] { return clock.load(); }};
        window = std::make_unique<app::SharedReplayWindow>(must(state::PgNonces::open(std::move(o))), 300);
        window->attach(listener);
    }
    bool durable() {
        std::promise<bool> p;
        window->when_durable(window->last_appended(), [&p](bool ok) { p.set_value(ok); });
        return p.get_future().get();
    }
};

// A signed regRg of `rg` with `nonce`, as a gateway would send it (and an attacker capture it).
http::Request signed_request(cmp::Listener& l, const std::string& rg, const std::string& nonce, std::int64_t ts) {
    Gw gw{l, {rg, kSecret}};
    gw.now = ts;
    auto out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, cmp::PeerKeys{rg, ""}, ts);
    REQUIRE(out);
    http::Request req = out->http;
    req.set(cmp::kAuthHeader, cmp::sign(kSecret, rg, "POST", kPath, req.body, ts, nonce));
    return req;
}

}  // namespace

TEST_CASE("a nonce accepted at one node is refused at the node that takes the gateway over") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    std::atomic<std::int64_t> clock{kNow};
    // Ids of their own: doctest runs the case once per subcase on the same database.
    const std::string rg = "GW-REPLAY-" + cmp::make_nonce().substr(0, 8);
    const std::string rg2 = "GW-REPLAY-" + cmp::make_nonce().substr(0, 8);
    Node a(*pg, rg, clock);
    const std::string nonce = cmp::make_nonce();
    const http::Request captured = signed_request(a.listener, rg, nonce, kNow);
    REQUIRE(a.listener.handle(captured, "192.0.2.7", kNow).status == 200);
    REQUIRE(a.durable());  // what the answer waited for
    CHECK(a.listener.handle(captured, "192.0.2.7", kNow + 1).status == 401);  // the old owner knew already

    // Another gateway's nonce at A: restoring rg's window does not need it.
    Node other(*pg, rg2, clock);
    REQUIRE(other.listener.handle(signed_request(other.listener, rg2, cmp::make_nonce(), kNow), "x", kNow)
                .status == 200);
    REQUIRE(other.durable());

    SUBCASE("without the take-over restore the replay would pass (what the shared window prevents)") {
        Node b(*pg, rg, clock);
        CHECK(b.listener.handle(captured, "203.0.113.9", kNow + 5).status == 200);
    }
    SUBCASE("restored at take-over: 401 replay") {
        Node b(*pg, rg, clock);
        CHECK(must(b.window->restore(b.listener, rg)) == 1);
        StderrCapture log;
        CHECK(b.listener.handle(captured, "203.0.113.9", kNow + 5).status == 401);
        const std::string text = log.text();
        log.restore();
        CHECK(text.find("replay") != std::string::npos);
        // A fresh message of the gateway is served as usual.
        CHECK(b.listener.handle(signed_request(b.listener, rg, cmp::make_nonce(), kNow + 6), "192.0.2.7", kNow + 6)
                  .status == 200);
    }
}

TEST_CASE("PgNonces: group commit, expiry honoured, expired rows purged") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    std::atomic<std::int64_t> clock{kNow};
    auto n = must(state::PgNonces::open({pg->dsn(), [&clock] { return clock.load(); }}));
    const std::string rg = "GW-EXPIRY";
    std::uint64_t last = 0;
    for (int i = 0; i < 200; ++i)
        last = n->append({rg, "n" + std::to_string(i), kNow + i, kNow + i + 300});
    // The same nonce twice (two nodes, or a retried batch) is one row, not an error.
    last = n->append({rg, "n0", kNow, kNow + 300});
    std::promise<bool> p;
    n->when_durable(last, [&p](bool ok) { p.set_value(ok); });
    REQUIRE(p.get_future().get());
    CHECK(n->commits() < 201);  // batched, not one transaction per nonce
    CHECK(must(n->recent(rg)).size() == 200);

    clock = kNow + 400;  // n0..n99 expired (expires kNow+300..kNow+399)
    auto live = must(n->recent(rg));
    CHECK(live.size() == 100);
    CHECK(live.front().nonce == "n100");
    // Expired nonces are not restored into a listener either.
    FakeHost host;
    host.add(rg, kSecret);
    cmp::Listener l{host};
    app::SharedReplayWindow w(std::move(n), 300);
    CHECK(must(w.restore(l, rg)) == 100);
    // Purging is for every gateway: the other case's expired rows may go too.
    CHECK(must(w.store().purge()) >= 100);
    CHECK(must(w.store().recent(rg)).size() == 100);
    clock = kNow + 1000;
    CHECK(must(w.store().recent(rg)).empty());
    CHECK(must(w.store().purge()) >= 100);
    CHECK(must(w.store().purge()) == 0);
}

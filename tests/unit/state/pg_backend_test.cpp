// state: { backend: postgresql } from bridge.yaml to the store the bridge
// opens: a CPE's state stored in PostgreSQL is the state its virtual CPE
// starts with, and a wrong password stops the start with a clear error.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>

#include "tests/stderr_capture.hpp"
#include "bridge/app/bridge.hpp"
#include "bridge/app/config.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/state/migrate.hpp"
#include "bridge/state/pg_store.hpp"
#include "tests/pg_server.hpp"
#include "tests/unit/state/state_test_util.hpp"

using namespace state_test;

namespace {

core::Result<app::Config> load(const TempDir& tmp, const std::string& dsn, int lease_ttl_s = 30) {
    const fs::path file = tmp.path / "bridge.yaml";
    write_file(tmp.path / "state.dsn", dsn + "\n");
    write_file(file, "acs: { url: \"http://127.0.0.1:9/acs\", username: u, password: p }\n"
                     "connection_request: { listen: \"127.0.0.1:0\" }\n"
                     "cmp: { listen: \"127.0.0.1:0\", require_auth: false }\n"
                     "state_dir: state\n"
                     "state: { backend: postgresql, dsn_file: state.dsn, node_id: node-1, lease_ttl_s: " +
                         std::to_string(lease_ttl_s) + " }\n"
                     "defaults: { mapping: \"" BRIDGE_SOURCE_DIR "/mappings/tr098.yaml\" }\n"
                     "gateways:\n  - { id: GW-PG-1, url: \"http://127.0.0.1:9/cmp\" }\n");
    return app::load_config(file.string());
}


}  // namespace

TEST_CASE("state backend postgresql: the bridge's CPEs start from the state kept in PostgreSQL") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    cpe::CpeState stored;
    stored.gateway_id = "GW-PG-1";
    stored.cr_path = "path-from-postgres";
    stored.cr_username = "GW-PG-1";
    stored.cr_password = "cr-secret";
    stored.bootstrapped = true;
    stored.pending_events.push_back(cwmp::EventStruct{"1 BOOT", ""});
    {
        auto store = state::PgStore::open({pg->dsn()});
        REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
        REQUIRE((*store)->save("GW-PG-1", cpe::encode_state(stored)));
    }
    TempDir tmp;
    auto cfg = load(tmp, pg->dsn());
    REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
    CHECK(cfg->state_backend == app::StateBackend::postgresql);
    boost::asio::io_context ioc;
    app::Bridge bridge(ioc, *cfg);
    auto st = bridge.start();
    REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
    // What only the stored state says: bootstrapped, and an event still to report.
    // The CPE publishes its status once it runs.
    ioc.run_for(std::chrono::milliseconds(300));
    auto views = bridge.gateway_views();
    bridge.stop();
    ioc.run_for(std::chrono::milliseconds(100));
    REQUIRE(views.size() == 1);
    CHECK(views[0].status.id == "GW-PG-1");
    CHECK(views[0].status.bootstrapped);
    CHECK(views[0].status.pending_events == std::vector<std::string>{"1 BOOT"});
    // Nothing of the state went to state_dir.
    CHECK_FALSE(fs::exists(tmp.path / "state" / state::kStateDbName));
}

TEST_CASE("state backend postgresql: a wrong password stops the start, without the password in the error") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    TempDir tmp;
    auto cfg = load(tmp, pg->dsn("not-the-password-42"));
    REQUIRE(cfg.ok());
    boost::asio::io_context ioc;
    app::Bridge bridge(ioc, *cfg);
    auto st = bridge.start();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "state.auth");
    CHECK(st.error().message.find("password authentication failed") != std::string::npos);
    CHECK(st.error().message.find("not-the-password-42") == std::string::npos);
}

TEST_CASE("state backend postgresql: a reload that changes the state section says it waits for a restart") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    TempDir tmp;
    auto cfg = load(tmp, pg->dsn());
    REQUIRE(cfg.ok());
    test_util::StderrCapture log;
    {
        boost::asio::io_context ioc;
        app::Bridge bridge(ioc, *cfg);
        REQUIRE(bridge.start().ok());
        REQUIRE(load(tmp, pg->dsn(), 20).ok());
        bridge.reload();
        bridge.stop();
    }  // the reload's worker is joined here
    log.restore();
    const std::string text = log.text();
    CAPTURE(text);
    CHECK(text.find("reload: state changed: it takes effect at the next restart") != std::string::npos);
    CHECK(text.find(pg->password()) == std::string::npos);
}

TEST_CASE("state backend postgresql: a gateway a reload adds runs only once this node holds its lease (the keeper's round)") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    TempDir tmp;
    auto cfg = load(tmp, pg->dsn(), 6);
    REQUIRE(cfg.ok());
    auto db = state::pg::Connection::open(pg->dsn());
    REQUIRE(db);
    REQUIRE((*db)->exec("DELETE FROM bridge.leases WHERE key = 'GW-PG-NEW'"));
    auto leased_here = [&] {
        auto r = (*db)->exec("SELECT node FROM bridge.leases WHERE key = 'GW-PG-NEW' AND expires > now()");
        return r && r->size() == 1 && r->at(0, 0) == "node-1";
    };
    test_util::StderrCapture log;
    std::string text;
    bool ran_unleased = false, ran_leased = false;
    {
        boost::asio::io_context ioc;
        app::Bridge bridge(ioc, *cfg);
        REQUIRE(bridge.start().ok());
        auto running_new = [&] {
            for (const auto& v : bridge.gateway_views())
                if (v.status.id == "GW-PG-NEW") return true;
            return false;
        };
        write_file(tmp.path / "bridge.yaml", read_file(tmp.path / "bridge.yaml") +
                                                 "  - { id: GW-PG-NEW, url: \"http://127.0.0.1:9/cmp\" }\n");
        bridge.reload();
        // From the reload's end to the keeper's next round (a few seconds): never a CPE without its lease.
        for (int i = 0; i < 200 && !ran_leased; ++i) {
            ioc.run_for(std::chrono::milliseconds(50));
            if (log.text().find("reload done") == std::string::npos) continue;
            const bool running = running_new();
            if (running && !leased_here()) ran_unleased = true;
            if (running && leased_here()) ran_leased = true;
        }
        bridge.stop();
        ioc.run_for(std::chrono::milliseconds(100));
    }
    log.restore();
    text = log.text();
    CAPTURE(text);
    CHECK(text.find("GW-PG-NEW: reload: new gateway, served by the node that takes its lease") != std::string::npos);
    CHECK_FALSE(ran_unleased);
    CHECK(ran_leased);
}

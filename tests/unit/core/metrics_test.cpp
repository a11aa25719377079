// core::metrics: the text exposition format 0.0.4 as Prometheus parses it
// (names, HELP/TYPE, label escaping, cumulative histogram buckets, sum and
// count), and updates from many threads adding up.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bridge/core/metrics.hpp"

using namespace core::metrics;

TEST_CASE("a counter family: HELP, TYPE, one line per label set in label order") {
    Registry r;
    auto& calls = r.counter("bridge_cmp_calls_total", "CMP calls by function and result.", {"function", "result"});
    calls.with({"getRgInfo", "0"}).inc();
    calls.with({"getRgInfo", "0"}).inc(2);
    calls.with({"addRgObj", "net.connect"}).inc();
    CHECK(r.render() ==
          "# HELP bridge_cmp_calls_total CMP calls by function and result.\n"
          "# TYPE bridge_cmp_calls_total counter\n"
          "bridge_cmp_calls_total{function=\"addRgObj\",result=\"net.connect\"} 1\n"
          "bridge_cmp_calls_total{function=\"getRgInfo\",result=\"0\"} 3\n");
}

TEST_CASE("the same label values give the same child; a wrong label count is refused") {
    Registry r;
    auto& f = r.counter("x_total", "x", {"a"});
    CHECK(&f.with({"1"}) == &f.with({"1"}));
    CHECK(&f.with({"1"}) != &f.with({"2"}));
    CHECK_THROWS_AS(f.with({"1", "2"}), std::invalid_argument);
    CHECK_THROWS_AS(f.with(std::vector<std::string>{}), std::invalid_argument);
}

TEST_CASE("label values and HELP are escaped as the format requires") {
    Registry r;
    auto& g = r.gauge("bridge_pending_events", "Events waiting\nfor an Inform \\ by code.", {"event"});
    g.with({"a\"b\\c\nd"}).set(2);
    const std::string text = r.render();
    CHECK(text.find("# HELP bridge_pending_events Events waiting\\nfor an Inform \\\\ by code.\n") != std::string::npos);
    CHECK(text.find("bridge_pending_events{event=\"a\\\"b\\\\c\\nd\"} 2\n") != std::string::npos);
    CHECK(escape_label_value("plain") == "plain");
}

TEST_CASE("a metric without labels has no braces; gauge values in round-trip form") {
    Registry r;
    auto& g = r.gauge("up_ratio", "u");
    g.with(std::vector<std::string>{}).set(0.25);
    CHECK(r.render() == "# HELP up_ratio u\n# TYPE up_ratio gauge\nup_ratio 0.25\n");
    CHECK(format_value(1e-3) == "0.001");
    CHECK(format_value(3) == "3");
    CHECK(format_value(INFINITY) == "+Inf");
    CHECK(format_value(-INFINITY) == "-Inf");
    CHECK(format_value(NAN) == "NaN");
}

TEST_CASE("a histogram: cumulative le buckets, +Inf, _sum and _count") {
    Registry r;
    auto& h = r.histogram("bridge_cmp_call_duration_seconds", "Latency.", {"function"}, {0.01, 0.1, 1});
    auto& c = h.with({"getRgInfo"});
    c.observe(0.005);  // <= 0.01
    c.observe(0.01);   // le is inclusive
    c.observe(0.5);    // <= 1
    c.observe(7);      // only +Inf
    CHECK(r.render() ==
          "# HELP bridge_cmp_call_duration_seconds Latency.\n"
          "# TYPE bridge_cmp_call_duration_seconds histogram\n"
          "bridge_cmp_call_duration_seconds_bucket{function=\"getRgInfo\",le=\"0.01\"} 2\n"
          "bridge_cmp_call_duration_seconds_bucket{function=\"getRgInfo\",le=\"0.1\"} 2\n"
          "bridge_cmp_call_duration_seconds_bucket{function=\"getRgInfo\",le=\"1\"} 3\n"
          "bridge_cmp_call_duration_seconds_bucket{function=\"getRgInfo\",le=\"+Inf\"} 4\n"
          "bridge_cmp_call_duration_seconds_sum{function=\"getRgInfo\"} 7.515\n"
          "bridge_cmp_call_duration_seconds_count{function=\"getRgInfo\"} 4\n");
}

TEST_CASE("a histogram without labels puts le alone in braces") {
    Registry r;
    r.histogram("commit_seconds", "c", {}, {1}).with(std::vector<std::string>{}).observe(2);
    const std::string text = r.render();
    CHECK(text.find("commit_seconds_bucket{le=\"1\"} 0\n") != std::string::npos);
    CHECK(text.find("commit_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
    CHECK(text.find("commit_seconds_sum 2\n") != std::string::npos);
}

TEST_CASE("families are written in registration order, each name once") {
    Registry r;
    r.gauge("b_gauge", "b");
    r.counter("a_total", "a");
    const std::string text = r.render();
    CHECK(text.find("# TYPE b_gauge gauge") < text.find("# TYPE a_total counter"));
    CHECK_THROWS_AS(r.counter("a_total", "again"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("a_total", "again as a gauge"), std::invalid_argument);
}

TEST_CASE("invalid names, label names and buckets are refused at registration") {
    Registry r;
    CHECK_THROWS_AS(r.counter("1abc", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("a-b", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("ok_total", "x", {"has space"}), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("ok2_total", "x", {"__reserved"}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h1", "x", {"le"}, {1}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h2", "x", {}, {2, 1}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h3", "x", {}, {}), std::invalid_argument);
    CHECK_NOTHROW(r.counter("ns:ok_total", "colons are allowed in metric names"));
}

TEST_CASE("updates from several threads all count") {
    Registry r;
    auto& f = r.counter("n_total", "n", {"t"});
    auto& h = r.histogram("d_seconds", "d", {}, {0.5});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            Counter& c = f.with({t % 2 ? "odd" : "even"});
            Histogram& hh = h.with(std::vector<std::string>{});
            for (int i = 0; i < 10000; ++i) {
                c.inc();
                hh.observe(i % 2 ? 1.0 : 0.25);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(f.with({"even"}).value() == 20000);
    CHECK(f.with({"odd"}).value() == 20000);
    auto s = h.with(std::vector<std::string>{}).snapshot();
    CHECK(s.count == 40000);
    CHECK(s.cumulative[0] == 20000);
    CHECK(s.sum == doctest::Approx(20000 * 1.0 + 20000 * 0.25));
}

TEST_CASE("children resolved and created from several threads at once: one child per label set") {
    // Lookups take no lock: threads racing to create the same label sets must
    // still end with one child each, every increment on it, and a scrape
    // running meanwhile must see whole children only.
    Registry r;
    auto& f = r.counter("race_total", "r", {"function", "result"});
    constexpr int kThreads = 4, kSets = 64, kRounds = 200;
    std::atomic<bool> stop{false};
    std::thread scraper([&] {
        while (!stop) CHECK(r.render().find("race_total") != std::string::npos);
    });
    std::vector<std::thread> threads;
    std::vector<std::vector<Counter*>> seen(kThreads, std::vector<Counter*>(kSets));
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < kRounds; ++round)
                for (int i = 0; i < kSets; ++i) {
                    const std::string fn = "getFunctionNumber" + std::to_string(i);  // not in the SSO buffer
                    Counter& c = f.with({fn, std::to_string(i % 3)});
                    if (!seen[t][i]) seen[t][i] = &c;
                    CHECK(seen[t][i] == &c);
                    c.inc();
                }
        });
    for (auto& t : threads) t.join();
    stop = true;
    scraper.join();
    for (int i = 0; i < kSets; ++i) {
        for (int t = 1; t < kThreads; ++t) CHECK(seen[t][i] == seen[0][i]);
        CHECK(seen[0][i]->value() == kThreads * kRounds);
    }
    std::size_t lines = 0;
    f.for_each([&](const std::vector<std::string>&, Counter&) { ++lines; });
    CHECK(lines == kSets);
}

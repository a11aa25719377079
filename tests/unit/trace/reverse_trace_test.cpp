// Reverse traces (docs/traces.md, "Reverse traces"): the format reads back as
// written, a corpus trace replays through the production engines and fails
// when the mapping changes, and the recorder turns the hooks' reports into one
// redacted trace per window (a HOMS call with the sessions that served it).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bridge/cmp/codec.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/trace/recorder.hpp"
#include "bridge/trace/replay.hpp"
#include "bridge/trace/reverse_trace.hpp"

namespace fs = std::filesystem;

namespace {

const bool kQuiet = (core::log::set_level(core::log::Level::error), true);

// A HOMS getRgInfo that overlapped the CPE's bootstrap session: discovery, the
// Connection Request credentials, then the call's GetParameterValues.
const std::string kTrace = "tests/traces/reverse/get-rg-info.yaml";

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::shared_ptr<const mapping::Table> table(const std::string& from = {}, const std::string& to = {}) {
    std::string text = read("mappings/tr098.yaml");
    if (!from.empty()) {
        auto pos = text.find(from);
        REQUIRE(pos != std::string::npos);
        text.replace(pos, from.size(), to);
    }
    auto t = mapping::Table::load_string(text, "mappings/tr098.yaml");
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    return *t;
}

fs::path temp_dir(const std::string& name) {
    fs::path d = fs::temp_directory_path() / ("reverse-trace-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}

http::Request post(std::string body) {
    http::Request r;
    r.method = "POST";
    r.target = "/cwmp";
    r.headers.push_back({"Authorization", "Digest username=\"cpe\", response=\"0123456789abcdef\""});
    r.body = std::move(body);
    return r;
}

http::Response answer(int status, std::string body = {}) {
    http::Response r;
    r.status = status;
    if (!body.empty()) r.headers.push_back({"Content-Type", "text/xml"});
    r.body = std::move(body);
    return r;
}

std::string inform_xml() {
    cwmp::Envelope env;
    env.id = "1";
    cwmp::Inform inform;
    inform.device_id = {"Example", "00D09E", "IGD", "SN0001"};
    inform.events.push_back({"6 CONNECTION REQUEST", ""});
    inform.current_time = "2026-12-03T10:00:00Z";
    env.body = inform;
    return cwmp::encode(env);
}

cmp::Request homs_call(const std::string& function) {
    cmp::Request r;
    r.function = function;
    r.header.rg_id = "00D09E-IGD-SN0001";
    r.header.transaction_id = "7";
    return r;
}

}  // namespace

TEST_CASE("a reverse trace reads back as written, and says its direction") {
    const std::string text = read(kTrace);
    CHECK(trace::is_reverse_trace(text));
    CHECK_FALSE(trace::is_reverse_trace(read("tests/traces/boot-empty.yaml")));
    auto t = trace::parse_reverse(text, kTrace);
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    CHECK(t->function == "getRgInfo");
    CHECK(t->start_record.id == t->cpe_id);
    auto again = trace::parse_reverse(trace::to_yaml(*t), "again");
    REQUIRE(again);
    CHECK(trace::to_yaml(*again) == trace::to_yaml(*t));
    CHECK(again->steps.size() == t->steps.size());
    // The forward parser refuses it rather than replaying half of it.
    CHECK_FALSE(trace::parse(text, kTrace));
    CHECK_FALSE(trace::parse_reverse(read("tests/traces/boot-empty.yaml"), "forward"));
}

TEST_CASE("a reverse trace replays through the engines, and a changed mapping diverges") {
    auto t = trace::load_reverse_file(kTrace);
    REQUIRE(t);
    trace::ReplayOptions o;
    o.table = table();
    auto r = trace::replay_reverse(*t, kTrace, o);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    INFO(r->text());
    CHECK(r->passed());
    CHECK(r->text().find("PASS " + kTrace + " (10 steps, ") != std::string::npos);

    // getRgInfo.serialNumber now comes from another parameter: the call's
    // GetParameterValues asks for other names.
    o.table = table("SerialNumber: serialNumber", "SerialNumber: modelName");
    auto changed = trace::replay_reverse(*t, kTrace, o);
    REQUIRE(changed);
    INFO(changed->text());
    REQUIRE_FALSE(changed->passed());
    CHECK(changed->divergence->what.find("the bridge's answer to the CPE differs") == 0);
    CHECK(changed->divergence->step == 8);
    CHECK(changed->warnings.size() == 1);  // the mapping's hash differs from the recorded one
}

TEST_CASE("an RPC failure the bridge does not wait for is a divergence") {
    auto t = trace::load_reverse_file("tests/traces/reverse/cpe-timeout.yaml");
    REQUIRE(t);
    REQUIRE(std::holds_alternative<trace::HomsRequest>(t->steps.front()));
    t->steps.erase(t->steps.begin());  // no HOMS call: nothing asked the CPE anything
    trace::ReplayOptions o;
    o.table = table();
    auto r = trace::replay_reverse(*t, "cpe-timeout", o);
    REQUIRE(r);
    REQUIRE_FALSE(r->passed());
    CHECK(r->divergence->step == 1);
    CHECK(r->divergence->what.find("waits for no RPC") != std::string::npos);
}

TEST_CASE("the recorder makes one redacted trace of a HOMS call and the session that served it") {
    const fs::path dir = temp_dir("call");
    trace::RecorderOptions ro;
    ro.dir = dir;
    ro.known_secrets = {"cr-password-4821"};
    auto rec = trace::Recorder::open(ro);
    REQUIRE(rec);
    app::ReverseRecording* hooks = (*rec)->reverse();
    auto tab = table();
    acs::CpeRecord known;
    known.id = "00D09E-IGD-SN0001";
    known.root = "InternetGatewayDevice.";
    known.names["InternetGatewayDevice.DeviceInfo.SerialNumber"] = false;
    known.discovered = true;
    mapping::ReverseEventState events;
    events.remember("InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active", "true");
    events.remember("InternetGatewayDevice.ManagementServer.ConnectionRequestPassword", "old-cr-password-77");

    hooks->call_started(known.id, known.id, *tab, homs_call("getRgInfo"), &known, events);
    hooks->session_started(known);
    // The Observer queues before the Inform's answer is reported: the answer still goes first.
    cwmp::SetParameterValues spv;
    spv.parameters.push_back({"InternetGatewayDevice.ManagementServer.ConnectionRequestPassword", "cr-password-4821",
                              "xsd:string"});
    hooks->queued(known.id, "connection-request credentials", spv, cwmp::Version::v1_0);
    http::Response informed = answer(200, "<x/>");
    informed.headers.push_back({"Set-Cookie", "cwmp_session=secret-token-value; Path=/; HttpOnly"});
    hooks->cpe_post(known.id, post(inform_xml()), informed);
    hooks->cpe_post(known.id, post(""), answer(204));
    hooks->session_closed(known.id, "ended", true);
    CHECK((*rec)->written() == 0);  // the call has not been answered yet
    cmp::Response res = cmp::make_response(homs_call("getRgInfo"), 0, "");
    hooks->call_answered(known.id, res);
    (*rec)->flush();
    REQUIRE((*rec)->written() == 1);

    REQUIRE(fs::is_directory(dir));
    fs::path file = fs::directory_iterator(dir)->path();
    CHECK(file.filename().string().find("00D09E-IGD-SN0001-") == 0);
    CHECK(file.filename().string().find("-getRgInfo-") != std::string::npos);
    const std::string text = read(file.string());
    CHECK(text.find("cr-password-4821") == std::string::npos);
    CHECK(text.find("secret-token-value") == std::string::npos);
    CHECK(text.find("0123456789abcdef") == std::string::npos);
    CHECK(text.find("old-cr-password-77") == std::string::npos);
    auto t = trace::parse_reverse(text, file.string());
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    CHECK(t->function == "getRgInfo");
    CHECK(t->mapping_name == tab->name());
    CHECK(t->events == std::vector<std::string>{"6 CONNECTION REQUEST"});
    CHECK(t->start_record.knows("InternetGatewayDevice.DeviceInfo.SerialNumber"));
    CHECK(t->start_events.values.size() == events.values.size());
    CHECK(*t->start_events.value("InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active") == "true");
    REQUIRE(t->steps.size() == 5);
    CHECK(std::holds_alternative<trace::HomsRequest>(t->steps[0]));
    REQUIRE(std::holds_alternative<trace::CpePost>(t->steps[1]));
    CHECK(std::get<trace::CpePost>(t->steps[1]).request_body.find("Inform") != std::string::npos);
    REQUIRE(std::holds_alternative<trace::Queued>(t->steps[2]));
    CHECK(std::get<trace::Queued>(t->steps[2]).rpc.find("(redacted)") != std::string::npos);
    CHECK(std::holds_alternative<trace::CpePost>(t->steps[3]));
    CHECK(std::holds_alternative<trace::HomsResponse>(t->steps[4]));
    rec->reset();
    fs::remove_all(dir);
}

TEST_CASE("overlapping HOMS calls on one CPE and traces holding a known secret are not written") {
    const fs::path dir = temp_dir("withheld");
    trace::RecorderOptions ro;
    ro.dir = dir;
    ro.known_secrets = {"homs-secret-5512"};
    auto rec = trace::Recorder::open(ro);
    REQUIRE(rec);
    app::ReverseRecording* hooks = (*rec)->reverse();
    auto tab = table();
    acs::CpeRecord known;
    known.id = "00D09E-IGD-SN0002";
    mapping::ReverseEventState events;

    // Two calls at once: their RPCs would mix in the same sessions.
    hooks->call_started(known.id, known.id, *tab, homs_call("getRgInfo"), &known, events);
    hooks->call_started(known.id, known.id, *tab, homs_call("getRgTime"), &known, events);
    hooks->call_answered(known.id, cmp::make_response(homs_call("getRgInfo"), 0, ""));
    (*rec)->flush();
    CHECK((*rec)->written() == 0);

    // In a message the secret is redacted where it stands ...
    hooks->session_started(known);
    hooks->inform_seen(known.id, known.id, *tab, events);
    cmp::Request leave = homs_call("notifyHomeDevLeave");
    leave.args.set("devName", "homs-secret-5512");
    hooks->to_homs(known.id, {leave});
    hooks->cpe_post(known.id, post(inform_xml()), answer(200, "<x/>"));
    hooks->session_closed(known.id, "ended", true);
    (*rec)->flush();
    REQUIRE((*rec)->written() == 1);
    CHECK(read(fs::directory_iterator(dir)->path().string()).find("homs-secret-5512") == std::string::npos);
    fs::remove(fs::directory_iterator(dir)->path());
    // ... where no rule covers it (a remembered value under an innocent name), the trace is withheld.
    mapping::ReverseEventState leaky;
    leaky.remember("InternetGatewayDevice.LANDevice.1.Hosts.Host.1.HostName", "homs-secret-5512");
    hooks->session_started(known);
    hooks->inform_seen(known.id, known.id, *tab, leaky);
    hooks->cpe_post(known.id, post(inform_xml()), answer(200, "<x/>"));
    hooks->session_closed(known.id, "ended", true);
    (*rec)->flush();
    CHECK((*rec)->written() == 1);
    CHECK((*rec)->withheld() == 1);

    // The next session of that CPE is a trace again.
    hooks->session_started(known);
    hooks->inform_seen(known.id, known.id, *tab, events);
    hooks->cpe_post(known.id, post(inform_xml()), answer(200, "<x/>"));
    hooks->session_closed(known.id, "the CPE was silent for 30000 ms", false);
    (*rec)->flush();
    CHECK((*rec)->written() == 2);
    rec->reset();
    fs::remove_all(dir);
}

TEST_CASE("acs.unreachable fails what else the bridge queued, as AcsServer does") {
    auto timeout = trace::load_reverse_file("tests/traces/reverse/cpe-timeout.yaml");
    auto boot = trace::load_reverse_file("tests/traces/reverse/bootstrap.yaml");
    auto reboot = trace::load_reverse_file("tests/traces/reverse/reboot-rg.yaml");
    REQUIRE(timeout);
    REQUIRE(boot);
    REQUIRE(reboot);
    // The call fails unreachable while the Connection Request credentials wait in the queue;
    // when the CPE comes by itself later, nothing is left to send it.
    trace::ReverseTrace t = *timeout;
    const trace::Queued* credentials = nullptr;
    for (auto& s : boot->steps)
        if (auto* q = std::get_if<trace::Queued>(&s)) credentials = q;
    REQUIRE(credentials);
    REQUIRE(std::holds_alternative<trace::RpcFailed>(t.steps[1]));
    std::get<trace::RpcFailed>(t.steps[1]).code = "acs.unreachable";
    t.steps.insert(t.steps.begin() + 1, *credentials);
    trace::CpePost inform = std::get<trace::CpePost>(reboot->steps[1]);
    trace::CpePost empty = inform;
    empty.request_body.clear();
    empty.request_headers.clear();
    t.steps.insert(t.steps.end() - 1, inform);
    t.steps.insert(t.steps.end() - 1, empty);
    trace::ReplayOptions o;
    o.table = table();
    o.update = true;
    auto r = trace::replay_reverse(t, "unreachable", o);
    REQUIRE(r);
    INFO(r->text());
    REQUIRE(r->passed());
    const auto& now = r->reverse_updated.steps;
    auto last_post = std::find_if(now.rbegin(), now.rend(), [](const trace::ReverseStep& s) {
        return std::holds_alternative<trace::CpePost>(s);
    });
    REQUIRE(last_post != now.rend());
    CHECK(std::get<trace::CpePost>(*last_post).status == 204);
    // What --update wrote replays as it stands.
    o.update = false;
    auto again = trace::replay_reverse(r->reverse_updated, "unreachable", o);
    REQUIRE(again);
    INFO(again->text());
    CHECK(again->passed());
}

TEST_CASE("CPEs recorded from several threads at once each get their traces") {
    const fs::path dir = temp_dir("threads");
    trace::RecorderOptions ro;
    ro.dir = dir;
    auto rec = trace::Recorder::open(ro);
    REQUIRE(rec);
    app::ReverseRecording* hooks = (*rec)->reverse();
    auto tab = table();
    const mapping::ReverseEventState events;
    const std::string inform = inform_xml();
    constexpr int kThreads = 4, kSessions = 25;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] {
            acs::CpeRecord cpe;
            cpe.id = "00D09E-IGD-T" + std::to_string(i);
            for (int n = 0; n < kSessions; ++n) {
                hooks->session_started(cpe);
                hooks->inform_seen(cpe.id, cpe.id, *tab, events);
                hooks->cpe_post(cpe.id, post(inform), answer(200, "<x/>"));
                hooks->cpe_post(cpe.id, post(""), answer(204));
                hooks->session_closed(cpe.id, "ended", true);
            }
        });
    for (auto& t : threads) t.join();
    (*rec)->flush();
    CHECK((*rec)->written() == kThreads * kSessions);
    rec->reset();
    fs::remove_all(dir);
}

TEST_CASE("a window with two HOMS calls one after the other replays both, answers in order") {
    auto list = trace::load_reverse_file("tests/traces/reverse/get-home-dev-list.yaml");
    auto time = trace::load_reverse_file("tests/traces/reverse/set-rg-time.yaml");
    REQUIRE(list);
    REQUIRE(time);
    REQUIRE(list->steps.size() == 5);
    REQUIRE(time->steps.size() == 5);
    // getHomeDevList in session 1, then setRgTime in session 2 of the same trace.
    trace::ReverseTrace t = *list;
    t.steps.pop_back();  // its response goes after both calls
    for (std::size_t i = 0; i + 1 < time->steps.size(); ++i) {
        trace::ReverseStep s = time->steps[i];
        if (auto* p = std::get_if<trace::CpePost>(&s)) p->session = 2;
        t.steps.push_back(std::move(s));
    }
    t.steps.push_back(list->steps.back());
    t.steps.push_back(time->steps.back());
    trace::ReplayOptions o;
    o.table = table();
    auto r = trace::replay_reverse(t, "two-calls", o);
    REQUIRE(r);
    INFO(r->text());
    CHECK(r->passed());
    // Answers in the order of the calls: swapped, they diverge.
    std::swap(t.steps[t.steps.size() - 1], t.steps[t.steps.size() - 2]);
    auto swapped = trace::replay_reverse(t, "two-calls", o);
    REQUIRE(swapped);
    REQUIRE_FALSE(swapped->passed());
    CHECK(swapped->divergence->what.find("the bridge's response to the HOMS differs") == 0);
}

TEST_CASE("the recorder keeps a second call in the window whose session outlived the first") {
    const fs::path dir = temp_dir("two-calls");
    trace::RecorderOptions ro;
    ro.dir = dir;
    auto rec = trace::Recorder::open(ro);
    REQUIRE(rec);
    app::ReverseRecording* hooks = (*rec)->reverse();
    auto tab = table();
    acs::CpeRecord cpe;
    cpe.id = "00D09E-IGD-SN0003";
    const mapping::ReverseEventState events;
    hooks->session_started(cpe);
    hooks->inform_seen(cpe.id, cpe.id, *tab, events);
    hooks->cpe_post(cpe.id, post(inform_xml()), answer(200, "<x/>"));
    hooks->call_started(cpe.id, cpe.id, *tab, homs_call("getRgInfo"), &cpe, events);
    hooks->call_answered(cpe.id, cmp::make_response(homs_call("getRgInfo")));
    hooks->call_started(cpe.id, cpe.id, *tab, homs_call("getRgTime"), &cpe, events);
    hooks->call_answered(cpe.id, cmp::make_response(homs_call("getRgTime")));
    hooks->cpe_post(cpe.id, post(""), answer(204));
    hooks->session_closed(cpe.id, "ended", true);
    (*rec)->flush();
    REQUIRE((*rec)->written() == 1);
    auto t = trace::load_reverse_file(fs::directory_iterator(dir)->path());
    REQUIRE(t);
    CHECK(t->function == "getRgInfo+getRgTime");
    CHECK(std::count_if(t->steps.begin(), t->steps.end(), [](const trace::ReverseStep& s) {
              return std::holds_alternative<trace::HomsResponse>(s);
          }) == 2);
    rec->reset();
    fs::remove_all(dir);
}

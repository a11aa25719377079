// genieacs-to-trace: turns a GenieACS message capture (a folder of
// NN-acs-RPC.xml / NN-cpe-RPC.xml files, ../shared/traces/genieacs-*) into a
// replayable session trace (docs/traces.md, "GenieACS sessions").
//
// The ACS side is GenieACS's messages, verbatim: exchange NN answers the
// bridge's NN-th POST with NN-acs-*.xml (204 when there is none). The gateway
// side comes from traces recorded with cmp-gateway-sim (--gateway-from): their
// CMP answers, by function. The bridge side is what the bridge sends now: the
// skeleton is replayed with --update. Each bridge message is then checked
// against the capture's CPE message of the same exchange (RPC names): where
// they differ the bridge cannot do yet what the reference CPE did, and the
// trace gets a "pending:" note (ctest then skips it).
#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/trace/replay.hpp"

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// What a message is, for the comparison with the reference CPE.
std::string rpc_of(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return "(empty)";
    auto env = cwmp::decode(body);
    if (!env) return "(undecodable)";
    if (auto* f = std::get_if<cwmp::Fault>(&env->body)) return "Fault " + std::to_string(f->code) + " \"" + f->string + "\"";
    return std::string(cwmp::rpc_name(env->body));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"genieacs-to-trace: a GenieACS capture as a replayable session trace"};
    std::string capture, out, acs_url = "http://127.0.0.1:7547/", events = "0 BOOTSTRAP,1 BOOT";
    std::vector<std::string> gateway_from, mapping_dirs;
    bool bootstrapped = false;
    cli.add_option("--capture", capture, "folder of NN-acs-*.xml / NN-cpe-*.xml")->required();
    cli.add_option("--gateway-from", gateway_from, "traces whose CMP answers play the gateway")->required();
    cli.add_option("--out", out, "the trace to write")->required();
    cli.add_option("--acs-url", acs_url, "the ACS URL of the capture")->capture_default_str();
    cli.add_option("--events", events, "the session's events, comma-separated")->capture_default_str();
    cli.add_flag("--bootstrapped", bootstrapped, "the CPE has bootstrapped before (BOOT sessions)");
    cli.add_option("--mapping-dir", mapping_dirs, "where the mapping named by the traces is");
    CLI11_PARSE(cli, argc, argv);
    core::log::set_level(core::log::Level::warn);

    std::map<int, std::string> acs, reference;
    std::regex name_re(R"(^(\d+)-(acs|cpe)-([A-Za-z]+)\.xml$)");
    for (auto& e : fs::directory_iterator(capture)) {
        std::smatch m;
        std::string n = e.path().filename().string();
        if (!std::regex_match(n, m, name_re)) continue;
        int k = std::stoi(m[1]);
        if (m[2] == "acs") acs[k] = read(e.path());
        else reference[k] = m[3];
    }
    if (acs.empty()) {
        std::cerr << "error: no NN-acs-*.xml in " << capture << "\n";
        return 2;
    }
    // GenieACS ends every session with 204 No Content, which captures do not
    // show: after a last ACS message comes the CPE's empty POST and that 204.
    const int last = std::max(acs.rbegin()->first, reference.empty() ? 0 : reference.rbegin()->first);
    const int exchanges = acs.count(last) ? last + 1 : last;

    std::vector<trace::Trace> sources;
    for (auto& g : gateway_from) {
        auto t = trace::load_file(g);
        if (!t) {
            std::cerr << "error: " << t.error().message << "\n";
            return 2;
        }
        sources.push_back(std::move(*t));
    }
    trace::Trace t = sources.front();
    t.recorded_at = core::now_utc();
    t.recorded_by = "genieacs-to-trace";
    t.acs_url = acs_url;
    t.retry_count = 0;
    t.changed.clear();
    t.events.clear();
    YAML::Node state = YAML::Load(t.start_state);
    state["bootstrapped"] = bootstrapped;
    YAML::Node pending(YAML::NodeType::Sequence);
    std::stringstream ev(events);
    for (std::string code; std::getline(ev, code, ',');) {
        t.events.push_back(code);
        YAML::Node e;
        e["code"] = code;
        e["command_key"] = "";
        pending.push_back(e);
    }
    state["pending_events"] = pending;
    YAML::Emitter em;
    em << state;
    t.start_state = std::string(em.c_str()) + "\n";
    t.end_state.clear();
    t.exchanges.clear();
    auto url = http::Url::parse(acs_url);
    if (!url) {
        std::cerr << "error: --acs-url: " << url.error().message << "\n";
        return 2;
    }
    for (int k = 1; k <= exchanges; ++k) {
        trace::AcsExchange x;
        x.target = url->target;
        if (auto it = acs.find(k); it != acs.end()) {
            x.status = 200;
            x.response_headers = {{"Content-Type", "text/xml; charset=utf-8"}};
            x.response_body = it->second;
        } else {
            x.status = 204;  // GenieACS ends a session with 204 No Content
        }
        t.exchanges.emplace_back(std::move(x));
    }
    for (auto& s : sources)
        for (auto& x : s.exchanges)
            if (std::holds_alternative<trace::CmpExchange>(x)) t.exchanges.push_back(x);

    trace::ReplayOptions o;
    o.update = true;
    for (auto& d : mapping_dirs) o.mapping_dirs.emplace_back(d);
    auto r = trace::replay(t, out, o);
    if (!r) {
        std::cerr << "error: " << r.error().message << "\n";
        return 2;
    }
    if (!r->passed()) {
        std::cerr << r->text();
        return 1;
    }
    trace::Trace u = r->updated;
    u.notes = {"converted by genieacs-to-trace from " + fs::path(capture).filename().string() +
               ": the ACS side is GenieACS 1.2.16's messages verbatim, the gateway side cmp-gateway-sim's answers, "
               "the bridge side what the bridge sent when converted"};
    int k = 0;
    for (auto& x : u.exchanges) {
        auto* a = std::get_if<trace::AcsExchange>(&x);
        if (!a) continue;
        ++k;
        std::string now = rpc_of(a->request_body);
        std::string ref = reference.count(k) ? reference[k] : "(empty)";
        if (now.rfind(ref, 0) != 0 || (now.rfind("Fault", 0) == 0 && ref != "Fault"))
            u.notes.push_back("pending: exchange " + std::to_string(k) + ": the bridge sends " + now +
                              " where the reference CPE sent " + ref);
    }
    for (auto& w : r->warnings)
        if (w.rfind("no longer used: exchange", 0) == 0 && w.find("acs ") != std::string::npos)
            u.notes.push_back("pending: the bridge ended the session early, " + w);
    if (auto st = trace::save_file(u, out); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 2;
    }
    std::cout << out << ": " << u.exchanges.size() << " exchanges\n";
    for (auto& n : u.notes)
        if (n.rfind("pending:", 0) == 0) std::cout << "  " << n << "\n";
    return 0;
}

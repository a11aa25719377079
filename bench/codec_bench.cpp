// Hot paths of one virtual CPE session: encoding and decoding CWMP envelopes
// and CMP messages, and the CPE state written after every acknowledged
// change. Numbers per message; run from a Release build.
#include <benchmark/benchmark.h>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cwmp/codec.hpp"

namespace {

cwmp::Envelope gpv_response(int n) {
    cwmp::GetParameterValuesResponse r;
    for (int i = 0; i < n; ++i)
        r.parameters.push_back({"InternetGatewayDevice.LANDevice.1.Hosts.Host." + std::to_string(i + 1) + ".IPAddress",
                                "192.168.1." + std::to_string(i % 250 + 2), "xsd:string"});
    return cwmp::Envelope{cwmp::Version::v1_0, "acs-17", std::nullopt, false, cwmp::Body(std::move(r))};
}

void BM_CwmpEncodeGpvResponse(benchmark::State& state) {
    auto env = gpv_response(static_cast<int>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(cwmp::encode(env));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CwmpEncodeGpvResponse)->Arg(8)->Arg(100)->Arg(1000);

void BM_CwmpDecodeGpvResponse(benchmark::State& state) {
    auto xml = cwmp::encode(gpv_response(static_cast<int>(state.range(0))));
    for (auto _ : state) benchmark::DoNotOptimize(cwmp::decode(xml));
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(xml.size()));
}
BENCHMARK(BM_CwmpDecodeGpvResponse)->Arg(8)->Arg(100)->Arg(1000);

void BM_CwmpDecodeGpvRequest(benchmark::State& state) {
    cwmp::Envelope env{cwmp::Version::v1_0, "1a21217dbe60002", std::nullopt, false,
                       cwmp::Body(cwmp::GetParameterValues{{"InternetGatewayDevice.DeviceInfo."}})};
    auto xml = cwmp::encode(env);
    for (auto _ : state) benchmark::DoNotOptimize(cwmp::decode(xml));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CwmpDecodeGpvRequest);

void BM_CmpRoundTripGetRgInfo(benchmark::State& state) {
    cmp::Response res;
    res.header = {"GW-0001", "42", "2026-11-25T10:00:00Z"};
    res.function = "getRgInfo";
    res.result_msg = "OK";
    for (auto [k, v] : {std::pair{"manufacturer", "Huawei Technologies Co., Ltd."}, {"oui", "202BC1"},
                        {"modelName", "BM632w"}, {"productClass", "BM632w"}, {"serialNumber", "8KA8WA6660000001"},
                        {"hwVersion", "40501"}, {"swVersion", "V100R001IRQC56B017"}, {"upTime", "213138"}})
        res.fields.set(k, v);
    for (auto _ : state) {
        auto xml = cmp::encode(res);
        benchmark::DoNotOptimize(cmp::decode_response(xml, {}, &cmp::Catalogue::builtin(), "getRgInfo"));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CmpRoundTripGetRgInfo);

// A CPE's state as the store sees it: identity, credentials, a couple of
// events, `attrs` parameter attributes and as many instance-number entries.
cpe::CpeState sample_state(int attrs) {
    cpe::CpeState s;
    s.gateway_id = "GW-0001";
    s.bootstrapped = true;
    s.pending_events = {{"1 BOOT", ""}, {"M Reboot", "reboot-17"}};
    s.parameter_key = "pk-1767225600";
    s.device_id = {"Huawei Technologies Co., Ltd.", "202BC1", "BM632w", "8KA8WA6660000001"};
    s.cr_path = "q7Xz0aB3kLm9Pq2RsT4u";
    s.cr_username = "GW-0001";
    s.cr_password = "Vb8Nn1Mm2Ll3Kk4Jj5Hh";
    s.last_cr_url = "http://10.20.30.40:7548/q7Xz0aB3kLm9Pq2RsT4u";
    for (int i = 0; i < attrs; ++i) {
        const std::string n = std::to_string(i + 1);
        s.attributes["InternetGatewayDevice.LANDevice.1.Hosts.Host." + n + ".IPAddress"] = {2, std::nullopt};
        s.device_state["instances.InternetGatewayDevice.LANDevice.1.Hosts.Host." + n] = n + "," + n + "0";
    }
    return s;
}

void BM_StateSerializeYaml(benchmark::State& state) {
    auto s = sample_state(static_cast<int>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(cpe::serialize(s));
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(cpe::serialize(s).size());
}
BENCHMARK(BM_StateSerializeYaml)->Arg(4)->Arg(64);

void BM_StateEncodeBinary(benchmark::State& state) {
    auto s = sample_state(static_cast<int>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(cpe::encode_state(s));
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(cpe::encode_state(s).size());
}
BENCHMARK(BM_StateEncodeBinary)->Arg(4)->Arg(64);

void BM_StateParseYaml(benchmark::State& state) {
    auto text = cpe::serialize(sample_state(static_cast<int>(state.range(0))));
    for (auto _ : state) benchmark::DoNotOptimize(cpe::parse_state(text));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateParseYaml)->Arg(4)->Arg(64);

void BM_StateDecodeBinary(benchmark::State& state) {
    auto blob = cpe::encode_state(sample_state(static_cast<int>(state.range(0))));
    for (auto _ : state) benchmark::DoNotOptimize(cpe::parse_state(blob));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateDecodeBinary)->Arg(4)->Arg(64);

}  // namespace

BENCHMARK_MAIN();

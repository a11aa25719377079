// Secrets never reach a trace file: the recorder redacts as it takes each
// message, and the test greps every written byte for every secret.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/cmp/message_auth.hpp"
#include "bridge/http/encoding.hpp"
#include "bridge/trace/recorder.hpp"
#include "bridge/trace/redact.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kAcsPassword = "acs-Pa55word-XYZ";
const std::string kCmpSecret = "cmp-shared-secret-ghi";
const std::string kStateCrPassword = "state-cr-password-jkl";
const std::string kStateAcsPassword = "state-acs-password-qrs";
const std::string kCookie = "sess-cookie-value-123";
const std::string kSpvCrPassword = "cr-SPV-secret-456";
const std::string kSpvMsPassword = "ms-SPV-secret-789";
const std::string kDownloadPassword = "dl-secret-abc";
const std::string kCmpField = "cmp-field-secret-def";
const std::string kWifiKey = "wifi-psk-value-mno";
const std::string kDigestResponse = "6629fae49393a05397450978507c4ef1";

std::string envelope(const std::string& body) {
    return "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
           "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
           "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">7</cwmp:ID></soap-env:Header><soap-env:Body>" +
           body + "</soap-env:Body></soap-env:Envelope>";
}

std::string pvs(const std::string& name, const std::string& value) {
    return "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"xsd:string\">" + value +
           "</Value></ParameterValueStruct>";
}

std::string cmp_message(const std::string& body) {
    return "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
           "xmlns:cmp=\"urn:iso:std:iso-iec:29104:-1:cmp:1\"><SOAP-ENV:Header><cmp:rgId>GW-0001</cmp:rgId>"
           "<cmp:transactionId>1</cmp:transactionId><cmp:timeStamp>2024-01-01T00:00:00Z</cmp:timeStamp>"
           "</SOAP-ENV:Header><SOAP-ENV:Body>" +
           body + "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

std::string state_yaml() {
    return "format: 1\ngateway_id: GW-0001\nbootstrapped: true\nconnection_request:\n  path: abc\n  username: GW-0001\n"
           "  password: " + kStateCrPassword + "\nacs_password: " + kStateAcsPassword + "\n";
}

std::string read_all(const fs::path& dir) {
    std::string all;
    for (auto& f : fs::recursive_directory_iterator(dir)) {
        if (!f.is_regular_file()) continue;
        std::ifstream in(f.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        all += ss.str();
    }
    return all;
}

fs::path temp_dir(const std::string& tag) {
    auto d = fs::temp_directory_path() / ("trace-test-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}

std::unique_ptr<trace::Recorder> open_recorder(const fs::path& dir, std::vector<std::string> known_secrets) {
    trace::RecorderOptions o;
    o.dir = dir;
    o.known_secrets = std::move(known_secrets);
    auto rec = trace::Recorder::open(o);
    REQUIRE(rec);
    return std::move(*rec);
}

// A session of GW-0001 starting from state_yaml().
std::unique_ptr<app::SessionRecorder> begin_session(trace::Recorder& rec) {
    app::SessionStart start;
    start.gateway_id = "GW-0001";
    start.state = state_yaml();
    return rec.begin(start);
}

}  // namespace

TEST_CASE("secret-looking names") {
    CHECK(trace::is_secret_name("InternetGatewayDevice.ManagementServer.Password"));
    CHECK(trace::is_secret_name("InternetGatewayDevice.ManagementServer.ConnectionRequestPassword"));
    CHECK(trace::is_secret_name("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase"));
    CHECK(trace::is_secret_name("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.PreSharedKey.1.PreSharedKey"));
    CHECK(trace::is_secret_name("password"));
    CHECK_FALSE(trace::is_secret_name("InternetGatewayDevice.ManagementServer.Username"));
    CHECK_FALSE(trace::is_secret_name("InternetGatewayDevice.DeviceInfo.SerialNumber"));
    CHECK_FALSE(trace::is_secret_name("InternetGatewayDevice.X_Password."));  // an object, not a value
}

TEST_CASE("redaction changes only the secret values, byte for byte") {
    trace::Redactor r;
    const std::string spv = envelope("<cwmp:SetParameterValues><ParameterList>" +
                                     pvs("InternetGatewayDevice.ManagementServer.ConnectionRequestPassword", kSpvCrPassword) +
                                     pvs("InternetGatewayDevice.ManagementServer.PeriodicInformInterval", "300") +
                                     "</ParameterList><ParameterKey>k</ParameterKey></cwmp:SetParameterValues>");
    std::string expected = spv;
    expected.replace(expected.find(kSpvCrPassword), kSpvCrPassword.size(), "(redacted)");
    CHECK(r.body(spv) == expected);

    const std::string dl = envelope("<cwmp:Download><Username>u</Username><Password>" + kDownloadPassword +
                                    "</Password><URL>http://x/</URL></cwmp:Download>");
    CHECK(r.body(dl).find(kDownloadPassword) == std::string::npos);
    CHECK(r.body(dl).find("<Username>u</Username><Password>(redacted)</Password>") != std::string::npos);

    const std::string cmp = cmp_message("<cmp:upgradeRg><url>http://fw/</url><password>" + kCmpField +
                                        "</password></cmp:upgradeRg>");
    CHECK(r.body(cmp).find(kCmpField) == std::string::npos);
    CHECK(r.body(cmp).find("<url>http://fw/</url>") != std::string::npos);

    // Unparsable text that mentions a secret is dropped whole.
    CHECK(r.body("<broken><Password>x</broken") == "(redacted: unparsable body mentioning a secret)");
    CHECK(r.body("authentication required\n") == "authentication required\n");
}

TEST_CASE("headers keep what replay needs and nothing secret") {
    trace::Redactor r;
    auto req = r.request_headers({{"Host", "acs"},
                                  {"Authorization", "Digest username=\"bridge\", response=\"" + kDigestResponse + "\""},
                                  {"Cookie", "session=" + kCookie + "; other=1"},
                                  {"Content-Type", "text/xml"},
                                  {"SOAPAction", "\"\""},
                                  {"User-Agent", "x"}});
    REQUIRE(req.size() == 4);
    CHECK(req[0].value == "Digest (redacted)");
    CHECK(req[1].value == "session=(redacted); other=(redacted)");
    auto res = r.response_headers({{"Set-Cookie", "session=" + kCookie + "; Path=/; HttpOnly"},
                                   {"WWW-Authenticate", "Digest realm=\"acs\", nonce=\"n1\", qop=\"auth\""},
                                   {"Server", "x"}});
    REQUIRE(res.size() == 2);
    CHECK(res[0].value == "session=(redacted); Path=/; HttpOnly");
    CHECK(res[1].value == "Digest realm=\"acs\", nonce=\"n1\", qop=\"auth\"");
}

TEST_CASE("the state's secrets are redacted") {
    trace::Redactor r;
    auto s = r.state(state_yaml());
    CHECK(s.find(kStateCrPassword) == std::string::npos);
    CHECK(s.find(kStateAcsPassword) == std::string::npos);
    CHECK(s.find("username: GW-0001") != std::string::npos);
    CHECK(r.contains_known_secret("x" + kStateCrPassword + "y"));  // learnt from the state
}

TEST_CASE("no secret in any written byte of a recorded session") {
    auto dir = temp_dir("redact");
    {
        auto rec = open_recorder(dir, {kAcsPassword, kCmpSecret});
        rec->set_mapping("GW-0001", "tr098.yaml", "hash");
        auto s = begin_session(*rec);

        // The gateway sends a Wi-Fi key under a field name no rule knows...
        cmp::Request get;
        get.function = "getWlanInfo";
        cmp::Response ok;
        s->on_call(get, cmp_message("<cmp:getWlanInfo/>"), ok,
                   cmp_message("<cmp:getWlanInfoResponse><resultCode>0</resultCode><wlanKeyX>" + kWifiKey +
                               "</wlanKeyX><ssid>home</ssid></cmp:getWlanInfoResponse>"),
                   std::chrono::milliseconds(1));
        // ... which the ACS then reads under a secret name.
        http::Url url = *http::Url::parse("http://acs/acs");
        http::Request post;
        post.target = "/acs";
        post.headers = {{"Authorization", "Basic " + http::base64_encode("bridge:" + kAcsPassword)},
                        {"Cookie", "session=" + kCookie}};
        post.body = envelope("<cwmp:GetParameterValuesResponse><ParameterList>" +
                             pvs("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase", kWifiKey) +
                             pvs("InternetGatewayDevice.DeviceInfo.SerialNumber", "SN0001") +
                             "</ParameterList></cwmp:GetParameterValuesResponse>");
        http::Response spv;
        spv.status = 200;
        spv.headers = {{"Set-Cookie", "session=" + kCookie + "; Path=/"}};
        spv.body = envelope("<cwmp:SetParameterValues><ParameterList>" +
                            pvs("InternetGatewayDevice.ManagementServer.ConnectionRequestPassword", kSpvCrPassword) +
                            pvs("InternetGatewayDevice.ManagementServer.Password", kSpvMsPassword) +
                            "</ParameterList><ParameterKey/></cwmp:SetParameterValues>");
        s->on_acs_exchange(url, post, spv);
        http::Request digest;
        digest.target = "/acs";
        digest.headers = {{"Authorization", "Digest username=\"bridge\", response=\"" + kDigestResponse + "\""}};
        http::Response dl;
        dl.status = 200;
        dl.body = envelope("<cwmp:Download><CommandKey>c</CommandKey><Username>u</Username><Password>" +
                           kDownloadPassword + "</Password></cwmp:Download>");
        s->on_acs_exchange(url, digest, dl);
        cmp::Request up;
        up.function = "upgradeRg";
        s->on_call(up, cmp_message("<cmp:upgradeRg><password>" + kCmpField + "</password></cmp:upgradeRg>"), ok,
                   cmp_message("<cmp:upgradeRgResponse><resultCode>0</resultCode></cmp:upgradeRgResponse>"),
                   std::chrono::milliseconds(1));
        s->on_end(true, "", state_yaml());
        rec->flush();
        CHECK(rec->written() == 1);
    }
    std::string all = read_all(dir);
    REQUIRE_FALSE(all.empty());
    for (auto& secret : {kAcsPassword, kCmpSecret, kStateCrPassword, kStateAcsPassword, kCookie, kSpvCrPassword,
                         kSpvMsPassword, kDownloadPassword, kCmpField, kWifiKey, kDigestResponse,
                         http::base64_encode("bridge:" + kAcsPassword)}) {
        INFO("secret: " << secret);
        CHECK(all.find(secret) == std::string::npos);
    }
    // What is not secret is still there, and says where something was removed.
    CHECK(all.find("SN0001") != std::string::npos);
    CHECK(all.find("<ssid>home</ssid>") != std::string::npos);
    CHECK(all.find("Authorization: Digest (redacted)") != std::string::npos);
    CHECK(all.find("<wlanKeyX>(redacted)</wlanKeyX>") != std::string::npos);
    for (auto& f : fs::directory_iterator(dir)) {
        auto perms = fs::status(f.path()).permissions();
        CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
        CHECK(trace::load_file(f.path()));
    }
    fs::remove_all(dir);
}

TEST_CASE("a trace that would still hold a configured secret is withheld") {
    auto dir = temp_dir("withheld");
    {
        auto rec = open_recorder(dir, {kAcsPassword});
        auto s = begin_session(*rec);
        http::Request post;
        post.target = "/acs";
        // A transport error text is not a place any rule looks at.
        s->on_acs_exchange(*http::Url::parse("http://acs/acs"), post,
                           core::make_error("net.connect", "cannot reach http://acs/?pw=" + kAcsPassword));
        s->on_end(false, "transport", state_yaml());
        rec->flush();
        CHECK(rec->written() == 0);
        CHECK(rec->withheld() == 1);
    }
    CHECK(read_all(dir).find(kAcsPassword) == std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("HMACs and CMP authentication never reach a trace") {
    trace::Redactor r;
    const std::string digest = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    auto auth = r.body(cmp_message("<cmp:authRg><rgId>GW-0001</rgId><sessionId>s-1</sessionId><authDigest>" + digest +
                                   "</authDigest></cmp:authRg>"));
    CHECK(auth.find(digest) == std::string::npos);
    CHECK(auth.find("<authDigest>(redacted)</authDigest>") != std::string::npos);
    CHECK(auth.find("<sessionId>s-1</sessionId>") != std::string::npos);

    // X-CMP-Auth carries an HMAC over the message: never kept, on either side.
    const std::string mac = "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00ff\", mac=\"" + digest + "\"";
    auto req = r.request_headers({{"X-CMP-Auth", mac}, {"Content-Type", "text/xml"}});
    auto res = r.response_headers({{"X-CMP-Auth", mac}, {"Content-Type", "text/xml"}});
    REQUIRE(req.size() == 1);
    REQUIRE(res.size() == 1);
    CHECK(req[0].name == "Content-Type");
    CHECK(res[0].name == "Content-Type");
}

TEST_CASE("ConnectionRequestPassword values: read, informed and set by the ACS") {
    const std::string name = "InternetGatewayDevice.ManagementServer.ConnectionRequestPassword";
    trace::Redactor r;
    auto gpv = r.body(envelope("<cwmp:GetParameterValuesResponse><ParameterList>" + pvs(name, "read-cr-pw-1") +
                               "</ParameterList></cwmp:GetParameterValuesResponse>"));
    CHECK(gpv.find("read-cr-pw-1") == std::string::npos);
    auto inform = r.body(envelope("<cwmp:Inform><ParameterList>" + pvs(name, "inform-cr-pw-2") +
                                  "</ParameterList></cwmp:Inform>"));
    CHECK(inform.find("inform-cr-pw-2") == std::string::npos);

    // The ACS sets a new one: the SetParameterValues, the CPE state after the
    // session and any later message holding it are all clean.
    auto dir = temp_dir("cr-set");
    {
        auto rec = open_recorder(dir, {});
        auto s = begin_session(*rec);
        http::Response spv;
        spv.status = 200;
        spv.body = envelope("<cwmp:SetParameterValues><ParameterList>" + pvs(name, kSpvCrPassword) +
                            "</ParameterList><ParameterKey>k</ParameterKey></cwmp:SetParameterValues>");
        http::Request post;
        post.target = "/acs";
        s->on_acs_exchange(*http::Url::parse("http://acs/acs"), post, spv);
        // A gateway field no rule knows echoing it back.
        cmp::Request get;
        get.function = "getRgInfo";
        s->on_call(get, cmp_message("<cmp:getRgInfo/>"), cmp::Response{},
                   cmp_message("<cmp:getRgInfoResponse><note>" + kSpvCrPassword + "</note></cmp:getRgInfoResponse>"),
                   std::chrono::milliseconds(1));
        std::string after = state_yaml();
        after.replace(after.find(kStateCrPassword), kStateCrPassword.size(), kSpvCrPassword);
        s->on_end(true, "", after);
        rec->flush();
        CHECK(rec->written() == 1);
    }
    std::string all = read_all(dir);
    CHECK(all.find(kSpvCrPassword) == std::string::npos);
    CHECK(all.find("<note>(redacted)</note>") != std::string::npos);
    CHECK(all.find("ParameterKey>k</ParameterKey") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("the password of a URL with userinfo") {
    trace::Redactor r;
    auto dl = r.body(envelope("<cwmp:Download><CommandKey>c</CommandKey>"
                              "<URL>http://fwuser:url-pass-123@files.example:8080/fw.bin</URL></cwmp:Download>"));
    CHECK(dl.find("url-pass-123") == std::string::npos);
    CHECK(dl.find("<URL>http://fwuser:(redacted)@files.example:8080/fw.bin</URL>") != std::string::npos);
    // The same value elsewhere in the session goes at the end.
    CHECK(r.scrub_seen(cmp_message("<cmp:upgradeRg><pw>url-pass-123</pw></cmp:upgradeRg>")).find("url-pass-123") ==
          std::string::npos);
    auto h = r.response_headers({{"Location", "https://u:loc-pass-456@acs2.example/acs"}});
    REQUIRE(h.size() == 1);
    CHECK(h[0].value == "https://u:(redacted)@acs2.example/acs");
    // Not userinfo: left alone.
    const std::string plain = envelope("<URL>http://files.example/a@b?x=1:2</URL><URL>mailto:x@y</URL>");
    CHECK(r.body(plain) == plain);
    auto st = r.state("acs_url: http://bridge:state-url-pw@acs.example/\n");
    CHECK(st.find("state-url-pw") == std::string::npos);
    CHECK(r.contains_known_secret("state-url-pw"));
}

TEST_CASE("a known secret is found also when XML escaped it") {
    trace::Redactor r;
    r.add_known_secret("p&ss<word\"1");
    CHECK(r.contains_known_secret("<x a=\"p&amp;ss&lt;word&quot;1\"/>"));
    CHECK(r.contains_known_secret("p&ss<word\"1"));
    CHECK_FALSE(r.contains_known_secret("p&amp;ss"));
}

TEST_CASE("secrets of self-registering gateways: the derived one and a secrets file's") {
    const std::string master = "registration-master-secret-0123456789";
    const std::string derived = cmp::derive_gateway_secret(master, "GW-0001");
    auto dir = temp_dir("derived");
    {
        trace::RecorderOptions o;
        o.dir = dir;
        o.registration_secret = master;
        auto rec = trace::Recorder::open(o);
        REQUIRE(rec);
        auto s = begin_session(**rec);
        cmp::Request get;
        get.function = "getRgInfo";
        // A field no rule knows, holding the gateway's derived secret.
        s->on_call(get, cmp_message("<cmp:getRgInfo/>"), cmp::Response{},
                   cmp_message("<cmp:getRgInfoResponse><note>" + derived + "</note></cmp:getRgInfoResponse>"),
                   std::chrono::milliseconds(1));
        s->on_end(true, "", state_yaml());
        (*rec)->flush();
        CHECK((*rec)->written() == 1);
    }
    std::string all = read_all(dir);
    CHECK(all.find(derived) == std::string::npos);
    CHECK(all.find("<note>(redacted)</note>") != std::string::npos);
    fs::remove_all(dir);

    auto file = temp_dir("secrets-file");
    {
        std::ofstream out(file);
        out << "GW-0001: file-secret-one\nGW-0002: \"file-secret-two\"\n";
    }
    CHECK(trace::secrets_in_file(file) == std::vector<std::string>{"file-secret-one", "file-secret-two"});
    fs::remove(file);
    CHECK(trace::secrets_in_file(file).empty());
}

TEST_CASE("the trace's events are the Inform's, including those no pending list holds") {
    auto dir = temp_dir("events");
    {
        auto rec = open_recorder(dir, {});
        auto s = begin_session(*rec);  // no pending events: the transfer's come from the state
        http::Request inform;
        inform.target = "/acs";
        inform.body = envelope(
            "<cwmp:Inform><DeviceId><Manufacturer>M</Manufacturer><OUI>001122</OUI><ProductClass>P</ProductClass>"
            "<SerialNumber>SN1</SerialNumber></DeviceId><Event><EventStruct><EventCode>7 TRANSFER COMPLETE</EventCode><CommandKey/></EventStruct>"
            "<EventStruct><EventCode>M Download</EventCode><CommandKey>fw-1</CommandKey></EventStruct></Event>"
            "<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2024-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount>"
            "</cwmp:Inform>");
        http::Response ok;
        ok.status = 200;
        s->on_acs_exchange(*http::Url::parse("http://acs/acs"), inform, ok);
        s->on_end(true, "", state_yaml());
        rec->flush();
        REQUIRE(rec->written() == 1);
    }
    for (auto& f : fs::directory_iterator(dir)) {
        auto t = trace::load_file(f.path());
        REQUIRE(t);
        CHECK(t->events == std::vector<std::string>{"7 TRANSFER COMPLETE", "M Download"});
    }
    fs::remove_all(dir);
}

#include "bridge/trace/redact.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/soap/xml.hpp"
#include "bridge/trace/text.hpp"

namespace trace {
namespace {

std::string lower(std::string_view s) { return http::to_lower(s); }

using text::trim;

// Words that make a name a secret's (lower case): ...Password, ...Passphrase,
// ...PreSharedKey, ...WEPKey, ...Secret, ...PSK and the CMP authDigest HMAC.
bool mentions_secret_word(std::string_view lowered) {
    for (std::string_view w : {"password", "passwd", "passphrase", "presharedkey", "wepkey", "secret", "psk",
                               "authdigest"})
        if (lowered.find(w) != std::string_view::npos) return true;
    return false;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        auto semi = s.find(';', i);
        if (semi == std::string_view::npos) {
            out += s.substr(i);
            break;
        }
        std::string_view ent = s.substr(i + 1, semi - i - 1);
        if (ent == "amp") out += '&';
        else if (ent == "lt") out += '<';
        else if (ent == "gt") out += '>';
        else if (ent == "quot") out += '"';
        else if (ent == "apos") out += '\'';
        else out += s.substr(i, semi - i + 1);  // numeric references stay as written
        i = semi;
    }
    return out;
}

std::string_view local_of(std::string_view qname) {
    auto colon = qname.find(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

struct Leaf {
    std::string_view local;
    std::string_view sibling_name;  // text of the preceding <Name> sibling (ParameterValueStruct)
    std::string text;               // unescaped, trimmed
};

// Walks the raw XML and replaces the content of every leaf element for which
// decide() says so. Returns false when the text is not XML this scanner can
// follow (the caller then falls back to something coarser).
bool redact_leaves(std::string_view xml, const std::function<bool(const Leaf&)>& decide, std::string& out) {
    struct Frame {
        std::string local;
        std::size_t content_begin = 0;
        bool has_children = false;
        std::string name_child;
    };
    std::vector<Frame> stack;
    std::vector<std::pair<std::size_t, std::size_t>> cuts;  // content ranges to replace
    std::size_t i = 0;
    auto skip_to = [&](std::string_view end) {
        auto p = xml.find(end, i);
        if (p == std::string_view::npos) return false;
        i = p + end.size();
        return true;
    };
    while (i < xml.size()) {
        if (xml[i] != '<') {
            ++i;
            continue;
        }
        std::string_view rest = xml.substr(i);
        if (rest.starts_with("<!--")) {
            if (!skip_to("-->")) return false;
        } else if (rest.starts_with("<![CDATA[")) {
            if (!skip_to("]]>")) return false;
        } else if (rest.starts_with("<?")) {
            if (!skip_to("?>")) return false;
        } else if (rest.starts_with("<!")) {
            if (!skip_to(">")) return false;
        } else if (rest.starts_with("</")) {
            auto gt = xml.find('>', i);
            if (gt == std::string_view::npos || stack.empty()) return false;
            std::string_view name = trim(xml.substr(i + 2, gt - i - 2));
            Frame f = std::move(stack.back());
            stack.pop_back();
            if (local_of(name) != f.local) return false;
            if (!f.has_children) {
                std::string_view raw = xml.substr(f.content_begin, i - f.content_begin);
                Leaf leaf{f.local, stack.empty() ? std::string_view{} : std::string_view(stack.back().name_child),
                          unescape(trim(raw))};
                if (!leaf.text.empty() && decide(leaf)) cuts.emplace_back(f.content_begin, i);
                if (f.local == "Name" && !stack.empty()) stack.back().name_child = leaf.text;
            }
            i = gt + 1;
        } else {
            // A start tag; attribute values may hold '>'.
            std::size_t p = i + 1;
            char quote = 0;
            while (p < xml.size() && (quote || xml[p] != '>')) {
                if (quote && xml[p] == quote) quote = 0;
                else if (!quote && (xml[p] == '"' || xml[p] == '\'')) quote = xml[p];
                ++p;
            }
            if (p >= xml.size()) return false;
            bool self_closing = xml[p - 1] == '/';
            std::size_t name_end = i + 1;
            while (name_end < p && !std::isspace(static_cast<unsigned char>(xml[name_end])) && xml[name_end] != '/')
                ++name_end;
            std::string_view name = xml.substr(i + 1, name_end - i - 1);
            if (!stack.empty()) stack.back().has_children = true;
            if (!self_closing) stack.push_back({std::string(local_of(name)), p + 1, false, {}});
            i = p + 1;
        }
    }
    if (!stack.empty()) return false;
    out.clear();
    std::size_t pos = 0;
    for (auto [b, e] : cuts) {
        out.append(xml.substr(pos, b - pos));
        out.append(kRedacted);
        pos = e;
    }
    out.append(xml.substr(pos));
    return true;
}

// The password of every URL with userinfo (scheme://user:password@host):
// a Download URL, an ACS URL, a Location header may carry one. Only the
// password is replaced, so the URL stays readable and comparable.
std::string redact_url_passwords(std::string_view text, const std::function<void(std::string_view)>& seen) {
    std::string out;
    std::size_t pos = 0;
    for (auto scheme = text.find("://"); scheme != std::string_view::npos; scheme = text.find("://", scheme + 3)) {
        std::size_t begin = scheme + 3;
        std::size_t end = text.find_first_of("/?#<>\"' \t\r\n", begin);
        if (end == std::string_view::npos) end = text.size();
        std::string_view authority = text.substr(begin, end - begin);
        auto at = authority.rfind('@');
        if (at == std::string_view::npos) continue;
        auto colon = authority.find(':');
        if (colon == std::string_view::npos || colon > at) continue;
        std::size_t pw_begin = begin + colon + 1, pw_end = begin + at;
        if (pw_end == pw_begin || text.substr(pw_begin, pw_end - pw_begin) == kRedacted) continue;
        seen(text.substr(pw_begin, pw_end - pw_begin));
        out.append(text.substr(pos, pw_begin - pos));
        out.append(kRedacted);
        pos = pw_end;
    }
    out.append(text.substr(pos));
    return out;
}

// Secret-named keys of a YAML tree, recursively.
void redact_node(YAML::Node n, const std::function<void(const std::string&)>& seen) {
    if (n.IsMap()) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            std::string key = it->first.as<std::string>("");
            if (is_secret_name(key) && it->second.IsScalar()) {
                std::string v = it->second.as<std::string>("");
                if (!v.empty()) {
                    seen(v);
                    it->second = std::string(kRedacted);
                }
            } else {
                redact_node(it->second, seen);
            }
        }
    } else if (n.IsSequence()) {
        for (auto c : n) redact_node(c, seen);
    }
}

}  // namespace

bool is_secret_name(std::string_view name) {
    // Last path segment only: "...ManagementServer.Password" but not "...PasswordPolicy."
    auto dot = name.find_last_of('.');
    if (dot != std::string_view::npos) name = name.substr(dot + 1);
    std::string l = lower(name);
    return mentions_secret_word(l);
}

Redactor::Redactor() {
    std::function<void(const std::vector<cmp::FieldSpec>&)> collect = [&](const std::vector<cmp::FieldSpec>& fs) {
        for (auto& f : fs) {
            if (f.sensitive) sensitive_fields_.insert(f.name);
            collect(f.item_fields);
        }
    };
    for (auto& fn : cmp::Catalogue::builtin().functions()) {
        collect(fn.request);
        collect(fn.response);
    }
}

void Redactor::add_known_secret(std::string_view s) {
    if (s.size() >= 4 && std::find(known_.begin(), known_.end(), s) == known_.end()) {
        known_.emplace_back(s);
        for (bool attribute : {false, true}) {
            std::string escaped;
            soap::append_escaped(escaped, s, attribute);
            if (escaped != s) known_escaped_.push_back(std::move(escaped));
        }
    }
    remember(s);
}

void Redactor::remember(std::string_view v) {
    if (v.size() >= 4 && v != kRedacted) seen_.emplace(v);
}

std::string Redactor::value_for_header(std::string_view value) {
    std::string v = redact_url_passwords(value, [&](std::string_view pw) { remember(pw); });
    return contains_known_secret(v) ? std::string(kRedacted) : v;
}

http::Headers Redactor::request_headers(const http::Headers& in) {
    http::Headers out;
    for (auto& h : in) {
        if (http::iequals(h.name, "Authorization")) {
            auto sp = h.value.find(' ');
            out.push_back({"Authorization", (sp == std::string::npos ? std::string() : h.value.substr(0, sp + 1)) +
                                                std::string(kRedacted)});
        } else if (http::iequals(h.name, "Cookie")) {
            std::string v;
            std::string_view rest = h.value;
            while (!rest.empty()) {
                auto semi = rest.find(';');
                std::string_view pair = trim(rest.substr(0, semi));
                auto eq = pair.find('=');
                if (!pair.empty()) v += (v.empty() ? "" : "; ") + std::string(pair.substr(0, eq)) + "=" + std::string(kRedacted);
                rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            }
            out.push_back({"Cookie", v});
        } else if (http::iequals(h.name, "Content-Type") || http::iequals(h.name, "SOAPAction")) {
            out.push_back({h.name, value_for_header(h.value)});
        }
    }
    return out;
}

http::Headers Redactor::response_headers(const http::Headers& in) {
    http::Headers out;
    for (auto& h : in) {
        if (http::iequals(h.name, "Set-Cookie")) {
            std::string_view v = h.value;
            auto semi = v.find(';');
            std::string_view pair = trim(v.substr(0, semi));
            auto eq = pair.find('=');
            std::string attrs = semi == std::string_view::npos ? "" : std::string(v.substr(semi));
            out.push_back({"Set-Cookie", std::string(pair.substr(0, eq)) + "=" + std::string(kRedacted) + attrs});
        } else if (http::iequals(h.name, "Content-Type") || http::iequals(h.name, "WWW-Authenticate") ||
                   http::iequals(h.name, "Location") || http::iequals(h.name, "Retry-After")) {
            out.push_back({h.name, value_for_header(h.value)});
        }
    }
    return out;
}

std::string Redactor::body(std::string_view xml) {
    if (trim(xml).empty()) return std::string(xml);
    std::string out;
    bool ok = redact_leaves(
        xml,
        [&](const Leaf& leaf) {
            bool secret = is_secret_name(leaf.local) || sensitive_fields_.count(leaf.local) ||
                          (leaf.local == "Value" && is_secret_name(leaf.sibling_name)) ||
                          contains_known_secret(leaf.text);
            if (secret) remember(leaf.text);
            return secret;
        },
        out);
    if (ok) return redact_url_passwords(out, [&](std::string_view pw) { remember(pw); });
    // Not XML we can follow: keep it only when nothing in it looks secret.
    if (mentions_secret_word(lower(xml))) return "(redacted: unparsable body mentioning a secret)";
    if (contains_known_secret(xml)) return "(redacted: unparsable body holding a secret)";
    return std::string(xml);
}

std::string Redactor::state(std::string_view yaml) {
    try {
        YAML::Node n = YAML::Load(std::string(yaml));
        redact_node(n, [&](const std::string& v) { add_known_secret(v); });
        YAML::Emitter e;
        e << n;
        return redact_url_passwords(std::string(e.c_str()) + "\n", [&](std::string_view pw) { add_known_secret(pw); });
    } catch (const YAML::Exception&) {
        return "format: 0\n";  // unreadable: keep nothing rather than something secret
    }
}

std::string Redactor::scrub_seen(std::string_view xml) const {
    if (seen_.empty() || trim(xml).empty()) return std::string(xml);
    std::string out;
    if (!redact_leaves(xml, [&](const Leaf& leaf) { return seen_.count(leaf.text) > 0; }, out)) return std::string(xml);
    return out;
}

bool Redactor::contains_known_secret(std::string_view text) const {
    for (auto& k : known_)
        if (text.find(k) != std::string_view::npos) return true;
    // In a trace a secret may be written XML-escaped ("p&amp;ss" for "p&ss").
    for (auto& k : known_escaped_)
        if (text.find(k) != std::string_view::npos) return true;
    return false;
}

}  // namespace trace

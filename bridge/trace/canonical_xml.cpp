#include "bridge/trace/canonical_xml.hpp"

#include <algorithm>
#include <cstdint>

#include "bridge/soap/xml.hpp"
#include "bridge/trace/text.hpp"

namespace trace {
namespace {

using text::trim;

// "p:local" -> "{uri}local" when p is declared in scope; anything else unchanged.
std::string resolve_qname(const tinyxml2::XMLElement* scope, std::string_view value) {
    auto colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0 || value.find_first_of(" /", 0) != std::string_view::npos)
        return std::string(value);
    std::string_view uri = soap::resolve_prefix(scope, value.substr(0, colon));
    if (uri.empty()) return std::string(value);
    return "{" + std::string(uri) + "}" + std::string(value.substr(colon + 1));
}

XmlNode convert(const tinyxml2::XMLElement* e) {
    XmlNode n;
    n.ns = std::string(soap::namespace_of(e));
    n.name = std::string(soap::local_name(e));
    for (auto* a = e->FirstAttribute(); a; a = a->Next()) {
        std::string_view qn = a->Name();
        if (qn == "xmlns" || qn.rfind("xmlns:", 0) == 0) continue;
        std::string key;
        if (auto colon = qn.find(':'); colon != std::string_view::npos)
            key = "{" + std::string(soap::resolve_prefix(e, qn.substr(0, colon))) + "}" + std::string(qn.substr(colon + 1));
        else
            key = std::string(qn);  // unprefixed attributes have no namespace
        n.attributes.emplace_back(std::move(key), resolve_qname(e, trim(a->Value())));
    }
    std::sort(n.attributes.begin(), n.attributes.end());
    std::string text;
    for (auto* c = e->FirstChild(); c; c = c->NextSibling()) {
        if (auto* ce = c->ToElement()) n.children.push_back(convert(ce));
        else if (auto* t = c->ToText()) text += t->Value();
    }
    n.text = std::string(trim(text));
    // SOAP fault codes are QNames in text ("soap-env:Client").
    if (n.name == "faultcode") n.text = resolve_qname(e, n.text);
    return n;
}

bool ns_matches(std::string_view pattern, std::string_view ns) {
    if (!pattern.empty() && pattern.back() == '*') return ns.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
    return pattern == ns;
}

const VolatileRule* rule_for(const Rules& rules, const XmlNode& n, const XmlNode* parent) {
    for (auto& r : rules)
        if (r.name == n.name && ns_matches(r.ns, n.ns) && (r.parent.empty() || (parent && parent->name == r.parent)))
            return &r;
    return nullptr;
}

bool satisfies(Match m, std::string_view text) {
    switch (m) {
        case Match::any: return true;
        case Match::nonempty: return !text.empty();
        case Match::date_time: return is_date_time(text);
    }
    return false;
}

std::string_view placeholder(Match m) {
    switch (m) {
        case Match::any: return "<volatile>";
        case Match::nonempty: return "<volatile: non-empty>";
        case Match::date_time: return "<volatile: dateTime>";
    }
    return "<volatile>";
}

// Fixed aliases so the rendering does not depend on the document's prefixes.
std::string alias(std::string_view uri) {
    if (uri.empty()) return {};
    if (uri == soap::kEnvelopeNs) return "soap-env";
    if (uri == soap::kEncodingNs) return "soap-enc";
    if (uri == soap::kXsdNs) return "xsd";
    if (uri == soap::kXsiNs) return "xsi";
    constexpr std::string_view cwmp = "urn:dslforum-org:";
    if (uri.rfind(cwmp, 0) == 0) return std::string(uri.substr(cwmp.size()));  // "cwmp-1-0"
    if (uri == "urn:iso:std:iso-iec:29104:-1:cmp:1") return "cmp";
    return "{" + std::string(uri) + "}";
}

std::string display_name(std::string_view ns, std::string_view local) {
    std::string a = alias(ns);
    if (a.empty()) return std::string(local);
    return a.back() == '}' ? a + std::string(local) : a + ":" + std::string(local);
}

// "{uri}local" -> "alias:local"
std::string display_qname(std::string_view v) {
    if (v.empty() || v.front() != '{') return std::string(v);
    auto close = v.find('}');
    if (close == std::string_view::npos) return std::string(v);
    return display_name(v.substr(1, close - 1), v.substr(close + 1));
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

void render_into(const XmlNode& n, const XmlNode* parent, const Rules& rules, int depth, const std::string& parent_path,
                 std::size_t index, std::vector<Line>& out) {
    std::string path = parent_path.empty() ? n.name : parent_path + "/" + n.name;
    if (index > 0) path += "[" + std::to_string(index + 1) + "]";
    std::string line(static_cast<std::size_t>(depth) * 2, ' ');
    line += display_name(n.ns, n.name);
    for (auto& [k, v] : n.attributes) line += " " + display_qname(k) + "=" + quote(display_qname(v));
    const VolatileRule* r = rule_for(rules, n, parent);
    if (r && n.children.empty() && satisfies(r->match, n.text)) line += " = " + std::string(placeholder(r->match));
    else if (!n.text.empty()) line += " = " + quote(n.text);
    out.push_back({std::move(line), path});
    // Index same-named siblings so a path names one element.
    std::vector<std::pair<std::string, std::size_t>> seen;
    for (auto& c : n.children) {
        std::size_t i = 0;
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& p) { return p.first == c.name; });
        if (it == seen.end()) seen.emplace_back(c.name, 1);
        else i = it->second++;
        render_into(c, &n, rules, depth + 1, path, i, out);
    }
}

enum class Op : std::uint8_t { same, del, ins };

// Edit script between a and b: common prefix and suffix, LCS in between
// (bounded; past the bound the middle is shown as replaced wholesale).
std::vector<Op> edit_script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::size_t pre = 0;
    while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
    std::size_t suf = 0;
    while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
    const std::size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
    std::vector<Op> ops(pre, Op::same);
    if (n * m <= 4'000'000) {
        std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
        auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
        for (std::size_t i = n; i-- > 0;)
            for (std::size_t j = m; j-- > 0;)
                at(i, j) = a[pre + i] == b[pre + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
        std::size_t i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[pre + i] == b[pre + j]) {
                ops.push_back(Op::same);
                ++i, ++j;
            } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
                ops.push_back(Op::del);  // removals before additions, as diff(1) shows them
                ++i;
            } else {
                ops.push_back(Op::ins);
                ++j;
            }
        }
    } else {
        ops.insert(ops.end(), n, Op::del);
        ops.insert(ops.end(), m, Op::ins);
    }
    ops.insert(ops.end(), suf, Op::same);
    return ops;
}

}  // namespace

bool is_date_time(std::string_view s) {
    // YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm]
    auto digits = [&](std::size_t pos, std::size_t count) {
        if (pos + count > s.size()) return false;
        for (std::size_t i = pos; i < pos + count; ++i)
            if (s[i] < '0' || s[i] > '9') return false;
        return true;
    };
    if (!(digits(0, 4) && s.size() >= 19 && s[4] == '-' && digits(5, 2) && s[7] == '-' && digits(8, 2) && s[10] == 'T' &&
          digits(11, 2) && s[13] == ':' && digits(14, 2) && s[16] == ':' && digits(17, 2)))
        return false;
    std::size_t p = 19;
    if (p < s.size() && s[p] == '.') {
        ++p;
        std::size_t start = p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
        if (p == start) return false;
    }
    if (p == s.size()) return true;
    if (s[p] == 'Z') return p + 1 == s.size();
    return (s[p] == '+' || s[p] == '-') && p + 6 == s.size() && digits(p + 1, 2) && s[p + 3] == ':' && digits(p + 4, 2);
}

core::Result<XmlNode> canonicalize(std::string_view xml) {
    soap::Limits limits;
    limits.max_bytes = 64 * 1024 * 1024;
    limits.max_depth = 128;
    auto doc = soap::parse(xml, limits);
    if (!doc) return doc.error();
    return convert((*doc)->RootElement());
}

const Rules& default_rules() {
    static const Rules rules = {
        // The session engine numbers its own requests; the ACS picks its own ids.
        {"urn:dslforum-org:cwmp-*", "ID", "Header", Match::nonempty},
        {"", "CurrentTime", "Inform", Match::date_time},
        {"urn:iso:std:iso-iec:29104:-1:cmp:1", "transactionId", "Header", Match::nonempty},
        {"urn:iso:std:iso-iec:29104:-1:cmp:1", "timeStamp", "Header", Match::date_time},
    };
    return rules;
}

std::vector<Line> render(const XmlNode& root, const Rules& rules) {
    std::vector<Line> out;
    render_into(root, nullptr, rules, 0, "", 0, out);
    return out;
}

std::vector<Line> render_body(std::string_view body, const Rules& rules) {
    std::string_view t = trim(body);
    if (t.empty()) return {{"(empty)", "body"}};
    if (t.front() == '<') {
        if (auto n = canonicalize(t)) return render(*n, rules);
    }
    std::vector<Line> out{{"(not XML)", "body"}};
    std::size_t pos = 0;
    while (pos <= t.size()) {
        auto nl = t.find('\n', pos);
        std::string_view l = t.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        out.push_back({std::string(trim(l)), "body"});
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return out;
}

std::string unified_diff(const std::vector<std::string>& a, const std::vector<std::string>& b, std::string_view label_a,
                         std::string_view label_b, std::size_t context) {
    auto ops = edit_script(a, b);
    if (std::all_of(ops.begin(), ops.end(), [](Op o) { return o == Op::same; })) return {};
    std::string out = "--- " + std::string(label_a) + "\n+++ " + std::string(label_b) + "\n";
    // Positions in a and b before each op.
    std::vector<std::size_t> ia(ops.size() + 1), ib(ops.size() + 1);
    for (std::size_t k = 0; k < ops.size(); ++k) {
        ia[k + 1] = ia[k] + (ops[k] != Op::ins);
        ib[k + 1] = ib[k] + (ops[k] != Op::del);
    }
    std::size_t k = 0;
    while (k < ops.size()) {
        if (ops[k] == Op::same) {
            ++k;
            continue;
        }
        // A hunk: from `context` before this change to `context` after the last
        // change that is closer than 2*context to the previous one.
        std::size_t start = k >= context ? k - context : 0;
        std::size_t end = k;
        std::size_t same_run = 0;
        for (std::size_t j = k; j < ops.size(); ++j) {
            if (ops[j] == Op::same) {
                if (++same_run > 2 * context) break;
            } else {
                same_run = 0;
                end = j;
            }
        }
        std::size_t stop = std::min(ops.size(), end + 1 + context);
        out += "@@ -" + std::to_string(ia[start] + 1) + "," + std::to_string(ia[stop] - ia[start]) + " +" +
               std::to_string(ib[start] + 1) + "," + std::to_string(ib[stop] - ib[start]) + " @@\n";
        for (std::size_t j = start; j < stop; ++j) {
            switch (ops[j]) {
                case Op::same: out += " " + a[ia[j]] + "\n"; break;
                case Op::del: out += "-" + a[ia[j]] + "\n"; break;
                case Op::ins: out += "+" + b[ib[j]] + "\n"; break;
            }
        }
        k = stop;
    }
    return out;
}

Comparison compare_lines(const std::vector<Line>& expected, const std::vector<Line>& actual) {
    Comparison c;
    std::vector<std::string> a, b;
    for (auto& l : expected) a.push_back(l.text);
    for (auto& l : actual) b.push_back(l.text);
    if (a == b) return c;
    c.equal = false;
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    c.first_path = i < expected.size() ? expected[i].path : (i < actual.size() ? actual[i].path : "");
    c.expected = i < a.size() ? std::string(trim(a[i])) : "(nothing more)";
    c.actual = i < b.size() ? std::string(trim(b[i])) : "(nothing more)";
    c.diff = unified_diff(a, b, "expected (trace)", "actual (bridge)");
    return c;
}

Comparison compare_xml(std::string_view expected, std::string_view actual, const Rules& rules) {
    return compare_lines(render_body(expected, rules), render_body(actual, rules));
}

}  // namespace trace

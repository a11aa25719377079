#include "bridge/app/cli_report.hpp"

#include <cstdio>

#include "bridge/core/log.hpp"

namespace app::report {
namespace {

const char* status_name(Item::Status s) {
    switch (s) {
        case Item::Status::passed: return "passed";
        case Item::Status::failed: return "failed";
        case Item::Status::error: return "error";
    }
    return "error";
}

std::string quoted(std::string_view s) { return "\"" + core::log::json_escape(s) + "\""; }

// XML 1.0 text and attribute values: valid UTF-8, the five entities escaped,
// control characters (which XML 1.0 cannot carry) as '?'.
std::string xml(std::string_view raw) {
    std::string out;
    for (char c : core::log::valid_utf8(raw)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            case '\n': case '\t': out += c; break;
            default: out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
        }
    }
    return out;
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

}  // namespace

bool parse_format(std::string_view s, Format& out) {
    if (s == "text") out = Format::text;
    else if (s == "json") out = Format::json;
    else if (s == "junit") out = Format::junit;
    else return false;
    return true;
}

std::string json(std::string_view command, const std::vector<Item>& items) {
    bool ok = true;
    for (const auto& i : items) ok = ok && i.status == Item::Status::passed;
    std::string out = "{\"command\":" + quoted(command) + ",\"ok\":" + (ok ? "true" : "false") + ",\"files\":[";
    for (std::size_t n = 0; n < items.size(); ++n) {
        const Item& i = items[n];
        out += n ? ",\n" : "\n";
        out += "{\"file\":" + quoted(i.file) + ",\"status\":" + quoted(status_name(i.status)) +
               ",\"summary\":" + quoted(i.summary) + ",\"seconds\":" + seconds_text(i.seconds);
        if (i.updated) out += ",\"updated\":true";
        out += ",\"errors\":[";
        for (std::size_t k = 0; k < i.problems.size(); ++k) {
            const Problem& p = i.problems[k];
            out += k ? "," : "";
            out += "{\"file\":" + quoted(p.file);
            if (p.line > 0) out += ",\"line\":" + std::to_string(p.line) + ",\"column\":" + std::to_string(p.column);
            out += ",\"message\":" + quoted(p.message);
            if (!p.detail.empty()) out += ",\"detail\":" + quoted(p.detail);
            out += "}";
        }
        out += "]}";
    }
    out += "\n]}\n";
    return out;
}

std::string junit(std::string_view command, const std::vector<Item>& items) {
    std::size_t failures = 0, errors = 0;
    double total = 0;
    for (const auto& i : items) {
        failures += i.status == Item::Status::failed;
        errors += i.status == Item::Status::error;
        total += i.seconds;
    }
    const std::string suite = "cmp-cwmp-bridge " + std::string(command);
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"" + xml(suite) +
                      "\" tests=\"" + std::to_string(items.size()) + "\" failures=\"" + std::to_string(failures) +
                      "\" errors=\"" + std::to_string(errors) + "\" time=\"" + seconds_text(total) + "\">\n";
    for (const auto& i : items) {
        out += "<testcase classname=\"" + xml(suite) + "\" name=\"" + xml(i.file) + "\" time=\"" +
               seconds_text(i.seconds) + "\"";
        if (i.status == Item::Status::passed) {
            out += "/>\n";
            continue;
        }
        // The first problem is the message a CI summary shows; every one is in the body.
        std::string body, first = i.summary;
        for (const auto& p : i.problems) {
            std::string where = p.line > 0 ? p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": "
                                           : (p.file.empty() ? "" : p.file + ": ");
            body += where + p.message + "\n";
            if (!p.detail.empty()) body += p.detail + "\n";
            if (first.empty()) first = where + p.message;
        }
        const char* tag = i.status == Item::Status::error ? "error" : "failure";
        out += ">\n<" + std::string(tag) + " message=\"" + xml(first) + "\">" + xml(body) + "</" + tag + ">\n</testcase>\n";
    }
    out += "</testsuite>\n</testsuites>\n";
    return out;
}

}  // namespace app::report

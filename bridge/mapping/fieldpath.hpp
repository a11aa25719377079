#pragma once
// Text templates ("{DevId}") and CMP field paths ("wan[0].ipAddr",
// "var[name={Name}].value"): how a mapping rule addresses a value inside a
// generic cmp::Record, and builds one for a request.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"

namespace mapping {

// Looks up a template variable; nullopt when unknown.
using Vars = std::function<std::optional<std::string>(std::string_view)>;

// Text with {name} references. "{{" and "}}" stand for literal braces.
class Template {
public:
    struct Part {
        bool ref = false;
        std::string text;  // literal text or the variable name
    };
    static core::Result<Template> parse(std::string_view text);
    static Template literal(std::string text);

    // Unknown variables expand to "" and are reported through missing.
    std::string expand(const Vars& vars, std::string* missing = nullptr) const;
    bool is_literal() const;
    std::vector<std::string> refs() const;
    const std::string& source() const { return source_; }
    bool empty() const { return source_.empty(); }

private:
    std::vector<Part> parts_;
    std::string source_;
};

struct FieldStep {
    enum class Select { none, index, match };
    std::string name;
    Select select = Select::none;
    std::size_t index = 0;      // Select::index
    std::string match_field;    // Select::match: item field ...
    Template match_value;       // ... equal to this (may reference variables)
};

class FieldPath {
public:
    static core::Result<FieldPath> parse(std::string_view text);

    bool empty() const { return steps_.empty(); }
    const std::string& text() const { return text_; }
    const std::vector<FieldStep>& steps() const { return steps_; }
    // This path followed by rest ("lan[0]" + "dhcpMin").
    FieldPath join(const FieldPath& rest) const;
    // The last step's field name ("dhcpMin"); "" when empty.
    std::string leaf() const;
    // Variables referenced by selectors.
    std::vector<std::string> refs() const;

    // The field the path names; intermediate steps must select list items.
    const cmp::Field* find(const cmp::Record& root, const Vars& vars = {}) const;
    const std::string* scalar(const cmp::Record& root, const Vars& vars = {}) const;
    const std::vector<cmp::Record>* list(const cmp::Record& root, const Vars& vars = {}) const;
    // The record a path ending in a selector names ("lan[0]"); root when empty.
    const cmp::Record* record(const cmp::Record& root, const Vars& vars = {}) const;
    // Creates lists and items on the way (request building). Paths ending in
    // a selector give the item; a plain last step is created as a scalar.
    cmp::Record& make_record(cmp::Record& root, const Vars& vars = {}) const;
    void assign(cmp::Record& root, std::string value, const Vars& vars = {}) const;

    // Checks the path against catalogue field specs. Returns the spec of the
    // last step; for a path ending in a selector, the list's spec.
    core::Result<const cmp::FieldSpec*> check(const std::vector<cmp::FieldSpec>& specs) const;

private:
    std::vector<FieldStep> steps_;
    std::string text_;
};

}  // namespace mapping

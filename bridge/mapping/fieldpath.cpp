#include "bridge/mapping/fieldpath.hpp"

#include <charconv>

namespace mapping {
namespace {

core::Error bad(std::string msg) { return core::make_error("mapping.field", std::move(msg)); }

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '$';
}

}  // namespace

// ---- Template ----------------------------------------------------------------

core::Result<Template> Template::parse(std::string_view text) {
    Template t;
    t.source_ = std::string(text);
    std::string lit;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            lit += c;
            ++i;
            continue;
        }
        if (c == '}') return bad("unmatched '}' in '" + std::string(text) + "' (write '}}' for a brace)");
        if (c != '{') {
            lit += c;
            continue;
        }
        auto close = text.find('}', i);
        if (close == std::string_view::npos) return bad("unclosed '{' in '" + std::string(text) + "'");
        std::string name(text.substr(i + 1, close - i - 1));
        if (name.empty()) return bad("empty reference '{}' in '" + std::string(text) + "'");
        for (char n : name)
            if (!name_char(n) && n != '.' && n != '[' && n != ']' && n != '=')
                return bad("bad reference '{" + name + "}' in '" + std::string(text) + "'");
        if (!lit.empty()) t.parts_.push_back({false, std::move(lit)});
        lit.clear();
        t.parts_.push_back({true, std::move(name)});
        i = close;
    }
    if (!lit.empty()) t.parts_.push_back({false, std::move(lit)});
    return t;
}

Template Template::literal(std::string text) {
    Template t;
    t.source_ = text;
    if (!text.empty()) t.parts_.push_back({false, std::move(text)});
    return t;
}

std::string Template::expand(const Vars& vars, std::string* missing) const {
    std::string out;
    for (const auto& p : parts_) {
        if (!p.ref) {
            out += p.text;
            continue;
        }
        std::optional<std::string> v = vars ? vars(p.text) : std::nullopt;
        if (v) out += *v;
        else if (missing && missing->empty()) *missing = p.text;
    }
    return out;
}

bool Template::is_literal() const {
    for (const auto& p : parts_)
        if (p.ref) return false;
    return true;
}

std::vector<std::string> Template::refs() const {
    std::vector<std::string> out;
    for (const auto& p : parts_)
        if (p.ref) out.push_back(p.text);
    return out;
}

// ---- FieldPath ---------------------------------------------------------------

core::Result<FieldPath> FieldPath::parse(std::string_view text) {
    FieldPath fp;
    fp.text_ = std::string(text);
    if (text.empty()) return fp;
    std::size_t i = 0;
    while (i <= text.size()) {
        FieldStep step;
        std::size_t start = i;
        while (i < text.size() && name_char(text[i]) && text[i] != '$') ++i;
        step.name = std::string(text.substr(start, i - start));
        if (step.name.empty() || !cmp::is_valid_name(step.name))
            return bad("bad field path '" + std::string(text) + "': expected a field name at position " +
                       std::to_string(start + 1));
        if (i < text.size() && text[i] == '[') {
            auto close = text.find(']', i);
            // A selector value may itself hold "{Var}" (no nested brackets).
            if (close == std::string_view::npos) return bad("bad field path '" + std::string(text) + "': unclosed '['");
            std::string_view sel = text.substr(i + 1, close - i - 1);
            auto eq = sel.find('=');
            if (eq == std::string_view::npos) {
                std::size_t n = 0;
                auto [p, ec] = std::from_chars(sel.data(), sel.data() + sel.size(), n);
                if (sel.empty() || ec != std::errc() || p != sel.data() + sel.size() || n > 4096)
                    return bad("bad field path '" + std::string(text) + "': '[" + std::string(sel) +
                               "]' is neither an index nor field=value");
                step.select = FieldStep::Select::index;
                step.index = n;
            } else {
                step.select = FieldStep::Select::match;
                step.match_field = std::string(sel.substr(0, eq));
                if (!cmp::is_valid_name(step.match_field))
                    return bad("bad field path '" + std::string(text) + "': bad field '" + step.match_field + "'");
                auto tv = Template::parse(sel.substr(eq + 1));
                if (!tv) return bad("bad field path '" + std::string(text) + "': " + tv.error().message);
                step.match_value = std::move(*tv);
            }
            i = close + 1;
        }
        fp.steps_.push_back(std::move(step));
        if (i == text.size()) break;
        if (text[i] != '.') return bad("bad field path '" + std::string(text) + "': unexpected '" + text[i] + "'");
        ++i;
    }
    return fp;
}

FieldPath FieldPath::join(const FieldPath& rest) const {
    if (empty()) return rest;
    if (rest.empty()) return *this;
    FieldPath out = *this;
    out.text_ = text_ + "." + rest.text_;
    out.steps_.insert(out.steps_.end(), rest.steps_.begin(), rest.steps_.end());
    return out;
}

std::string FieldPath::leaf() const { return steps_.empty() ? std::string() : steps_.back().name; }

std::vector<std::string> FieldPath::refs() const {
    std::vector<std::string> out;
    for (const auto& s : steps_)
        for (auto& r : s.match_value.refs()) out.push_back(r);
    return out;
}

namespace {

const cmp::Record* select(const std::vector<cmp::Record>& items, const FieldStep& s, const Vars& vars) {
    if (s.select == FieldStep::Select::index) return s.index < items.size() ? &items[s.index] : nullptr;
    std::string want = s.match_value.expand(vars);
    for (const auto& r : items)
        if (const std::string* v = r.scalar(s.match_field); v && *v == want) return &r;
    return nullptr;
}

}  // namespace

const cmp::Field* FieldPath::find(const cmp::Record& root, const Vars& vars) const {
    const cmp::Record* rec = &root;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const FieldStep& s = steps_[i];
        const cmp::Field* f = rec->find(s.name);
        if (!f) return nullptr;
        if (s.select == FieldStep::Select::none) return i + 1 == steps_.size() ? f : nullptr;
        const auto* items = std::get_if<std::vector<cmp::Record>>(&f->value);
        if (!items) return nullptr;
        rec = select(*items, s, vars);
        if (!rec) return nullptr;
        if (i + 1 == steps_.size()) return nullptr;  // names a record, not a field
    }
    return nullptr;
}

const std::string* FieldPath::scalar(const cmp::Record& root, const Vars& vars) const {
    const cmp::Field* f = find(root, vars);
    return f ? std::get_if<std::string>(&f->value) : nullptr;
}

const std::vector<cmp::Record>* FieldPath::list(const cmp::Record& root, const Vars& vars) const {
    const cmp::Field* f = find(root, vars);
    return f ? std::get_if<std::vector<cmp::Record>>(&f->value) : nullptr;
}

const cmp::Record* FieldPath::record(const cmp::Record& root, const Vars& vars) const {
    const cmp::Record* rec = &root;
    for (const FieldStep& s : steps_) {
        const cmp::Field* f = rec->find(s.name);
        if (!f || s.select == FieldStep::Select::none) return nullptr;
        const auto* items = std::get_if<std::vector<cmp::Record>>(&f->value);
        if (!items) return nullptr;
        rec = select(*items, s, vars);
        if (!rec) return nullptr;
    }
    return rec;
}

cmp::Record& FieldPath::make_record(cmp::Record& root, const Vars& vars) const {
    cmp::Record* rec = &root;
    for (const FieldStep& s : steps_) {
        if (s.select == FieldStep::Select::none) break;
        std::vector<cmp::Record>* items = rec->list(s.name);
        if (!items) {
            rec->add_list(s.name, {});
            items = rec->list(s.name);
        }
        if (s.select == FieldStep::Select::index) {
            if (items->size() <= s.index) items->resize(s.index + 1);
            rec = &(*items)[s.index];
        } else {
            std::string want = s.match_value.expand(vars);
            cmp::Record* found = nullptr;
            for (auto& r : *items)
                if (const std::string* v = r.scalar(s.match_field); v && *v == want) found = &r;
            if (!found) {
                items->emplace_back();
                items->back().set(s.match_field, want);
                found = &items->back();
            }
            rec = found;
        }
    }
    return *rec;
}

void FieldPath::assign(cmp::Record& root, std::string value, const Vars& vars) const {
    if (steps_.empty() || steps_.back().select != FieldStep::Select::none) return;
    FieldPath parent = *this;
    parent.steps_.pop_back();
    parent.make_record(root, vars).set(steps_.back().name, std::move(value));
}

core::Result<const cmp::FieldSpec*> FieldPath::check(const std::vector<cmp::FieldSpec>& specs) const {
    const std::vector<cmp::FieldSpec>* level = &specs;
    const cmp::FieldSpec* spec = nullptr;
    std::string where;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const FieldStep& s = steps_[i];
        spec = cmp::find_field(*level, s.name);
        where += (where.empty() ? "" : ".") + s.name;
        if (i > 0 && steps_[i - 1].select == FieldStep::Select::index)
            where.insert(where.size() - s.name.size() - 1, "[" + std::to_string(steps_[i - 1].index) + "]");
        else if (i > 0 && steps_[i - 1].select == FieldStep::Select::match)
            where.insert(where.size() - s.name.size() - 1,
                         "[" + steps_[i - 1].match_field + "=" + steps_[i - 1].match_value.source() + "]");
        if (!spec) {
            std::string known;
            for (const auto& f : *level) known += (known.empty() ? "" : ", ") + f.name;
            return bad("unknown field '" + where + "'" + (known.empty() ? "" : " (known: " + known + ")"));
        }
        bool last = i + 1 == steps_.size();
        if (spec->type != cmp::Type::List) {
            if (s.select != FieldStep::Select::none) return bad("'" + where + "' is a scalar: it has no items to select");
            if (!last) return bad("'" + where + "' is a scalar: it has no fields");
            continue;
        }
        if (s.select == FieldStep::Select::match && !cmp::find_field(spec->item_fields, s.match_field))
            return bad("'" + where + "' items have no field '" + s.match_field + "'");
        if (!last && s.select == FieldStep::Select::none)
            return bad("'" + where + "' is a list: select an item, e.g. '" + where + "[0]'");
        level = &spec->item_fields;
    }
    return spec;
}

}  // namespace mapping

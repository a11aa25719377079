#pragma once
// Internal: turns a merged mapping document into a Table, checking it against
// the data model and the CMP catalogue. Every check reports and carries on, so
// one run lists all problems of a file (the validator's contract).
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/mapping/table.hpp"

namespace mapping {

// Names a template may use in one context, for "unknown variable" checks.
using VarSet = std::set<std::string, std::less<>>;

class Compiler {
public:
    Compiler(const LoadOptions& opt, Diagnostics& diags, std::string top_file);
    std::shared_ptr<Table> run(const YNode& doc, const std::vector<std::string>& texts);

private:
    // ---- compile_table.cpp
    void error(const SourcePos& p, std::string msg, std::string hint = {});
    const std::string* text(const YNode* n, std::string_view what);
    void check_keys(const YNode& map, std::initializer_list<std::string_view> known, std::string_view where);
    bool load_models(const YNode& doc);
    void load_catalogue(const YNode* n);
    void load_faults(const YNode* n);
    void build_tree();
    int tree_insert(const std::string& path, const SourcePos& pos);
    void add_counts();
    int model_order(const std::string& template_path) const;

    // ---- compile_objects.cpp
    void load_objects(const YNode* n);
    void load_object(const YNode& key, const YNode& val);
    void load_param(int obj, const YNode& key, const YNode& val);
    bool is_vendor_segment(std::string_view segment) const;
    bool check_vendor_path(const std::string& path, const SourcePos& pos, bool object);
    void check_compat(const cmp::FieldSpec& field, const std::string& field_name, const ParamRule& p,
                      const SourcePos& pos);
    std::optional<WriteSpec> parse_write(const YNode& n);
    void check_write(ParamRule& p, const ObjectRule& o, const FieldPath& rel_field, const SourcePos& pos);
    VarSet row_vars(const ObjectRule& o) const;

    // ---- compile_rules.cpp
  public:
    std::optional<CallSpec> parse_call(const YNode& fn, const YNode* args, const VarSet& vars, bool to_gateway);
    bool parse_transform(const YNode& spec, Transform& t, const cmp::FieldSpec* field);
    std::optional<ValueSpec> parse_value(const YNode& n, const std::vector<cmp::FieldSpec>& specs, const VarSet& vars);
    std::optional<FieldPath> parse_field(const YNode& n, const std::vector<cmp::FieldSpec>& specs,
                                         const FieldPath& prefix, const VarSet& vars, const cmp::FieldSpec** spec_out,
                                         std::string_view function);
    const cmp::FunctionSpec* function(const YNode& n, bool to_gateway);
    void parse_action(ParamRule& p, const ObjectRule& o, const YNode& n);
    void parse_notify(ParamRule& p, const ObjectRule& o, const YNode& n);
    void load_events(const YNode* n);
    void load_rpc(const YNode* n);
    void load_unmapped(const YNode* n);

  private:
    std::vector<ArgSpec> parse_args(const YNode& n, const std::vector<cmp::FieldSpec>& specs, const VarSet& vars,
                                    const std::string& where);
    void check_refs(const Template& t, const VarSet& vars, const SourcePos& pos);
    void load_transfer(const std::string& rpc, const std::string& file_type, const YNode& key, const YNode& n);

    LoadOptions opt_;
    Diagnostics& d_;
    std::string top_file_;
    std::shared_ptr<Table> t_;
    std::string model_name_;   // "InternetGatewayDevice"
    std::string model_file_;   // "InternetGatewayDevice-1.1.dm"
    std::map<std::string, int, std::less<>> model_index_;
    int vendor_seq_ = 0;
    std::map<int, int> node_seq_;  // tree node -> order key
    std::map<int, VarSet> object_vars_;  // template variables of each object's calls
    std::set<int> read_given_, write_given_;  // objects with a read/write key (parsed or not)
};

// Shared helpers of the compile_*.cpp files.
std::string xsd_of(const datamodel::ParamType& t);
bool is_number_segment(std::string_view s);
std::vector<std::string> split_path(std::string_view path);  // "A.B.{i}." -> A, B, {i}
// Levenshtein distance, for "did you mean" hints on misspelt names.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace mapping

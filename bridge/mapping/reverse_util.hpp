#pragma once
// Internal helpers shared by the reverse_*.cpp files (reverse_mapping.cpp
// implements them): how a rule's pieces read backwards.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/mapping/reverse_mapping.hpp"

namespace mapping {

// "{X}" -> "X": a template that is exactly one reference, so a request value
// can be written back to X; "" for literals and combinations.
std::string single_ref(const Template& t);
// The parameter of a row object by name; -1 when absent.
int row_param(const Table& t, int object, std::string_view name);
// Required fields of specs absent from rec, as "dev[].devId"; lists item by item.
void missing_required(const std::vector<cmp::FieldSpec>& specs, const cmp::Record& rec, const std::string& prefix,
                      std::vector<std::string>& out);
// A CPE value in the parameter's canonical form ("1" -> "true"), as it is when not valid for the type.
std::string canonical(const ParamRule& p, const std::string& value);
// A source's value among CPE values: a parameter through its inverse transform, a
// path as it is, or the constant. row: the instance path ("...Host.3.") for
// {i} paths and row-relative names.
std::optional<std::string> source_value(const Table& t, const ReverseSource& s,
                                        const std::map<std::string, std::string, std::less<>>& values,
                                        const std::string& row);

}  // namespace mapping

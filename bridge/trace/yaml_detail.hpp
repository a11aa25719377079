#pragma once
// The YAML forms trace.cpp writes bodies and headers in, shared with the
// reverse traces (internal to bridge/trace).
#include <yaml-cpp/yaml.h>

#include <string>

#include "bridge/http/message.hpp"

namespace trace::yaml_detail {

// A literal block, double-quoted, or key_base64 (docs/traces.md, "Format").
void emit_body(YAML::Emitter& out, const std::string& key, const std::string& value);
std::string read_body(const YAML::Node& n, const std::string& key);
// ["Name: value", ...]; nothing when empty.
void emit_header_list(YAML::Emitter& out, const char* key, const http::Headers& h);
http::Headers read_header_list(const YAML::Node& n);

}  // namespace trace::yaml_detail

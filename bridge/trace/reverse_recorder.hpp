#pragma once
// `run --record` in reverse mode (docs/traces.md, "Reverse traces"): turns
// what AcsServer and ReverseBridge report into ReverseTraces, one per window
// of one CPE: a HOMS call from its request to its answer together with every
// CWMP session that overlapped it, or a CPE session that no call overlapped.
// Messages are redacted as they are taken; a finished window goes to the
// Recorder's writer thread.
#include <memory>

#include "bridge/app/reverse_recording.hpp"

namespace trace {

class Recorder;

std::unique_ptr<app::ReverseRecording> make_reverse_recorder(Recorder& owner);

}  // namespace trace

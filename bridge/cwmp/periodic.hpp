#pragma once
// When the next periodic Inform is due (TR-069 3.7.1.5, PeriodicInformTime),
// as a pure function of wall-clock seconds so it is testable without clocks.
//
// With a PeriodicInformTime the Informs fall on reference + k*interval (the
// ACS chose the phase). Without one (the unknown time), each CPE gets a phase
// from a hash of its identity, so thousands of virtual CPEs started together
// spread over the interval instead of informing in the same second.
#include <cstdint>
#include <optional>
#include <string_view>

namespace cwmp {

// FNV-1a 64: stable across builds and platforms (std::hash is not), so a
// CPE's phase survives a restart or an upgrade of the bridge.
inline std::uint64_t stable_hash(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

// The first periodic instant strictly after now_unix.
inline std::int64_t next_periodic_inform(std::int64_t now_unix, std::uint32_t interval_s,
                                         std::optional<std::int64_t> reference_unix, std::uint64_t spread_seed) {
    const std::int64_t interval = interval_s ? interval_s : 1;
    // Floor modulo, correct for references in the future or before 1970.
    auto mod = [interval](std::int64_t a) { return ((a % interval) + interval) % interval; };
    const std::int64_t phase = reference_unix ? mod(*reference_unix) : static_cast<std::int64_t>(spread_seed % static_cast<std::uint64_t>(interval));
    std::int64_t next = now_unix - mod(now_unix) + phase;
    if (next <= now_unix) next += interval;
    return next;
}

}  // namespace cwmp

#pragma once
// The compact binary form persisted state uses (cpe::CpeState, the mapping
// tables' per-CPE state): integers as LEB128 varints (signed ones
// zigzagged), strings as a varint length and the bytes, bools as one byte
// 0/1, optionals as a presence byte then the value, sequences and maps as a
// varint count then the elements. Encoding and decoding are a handful of
// instructions per field, where the YAML form this replaced cost a parser
// and an emitter per change.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace core {

struct BinaryWriter {
    std::string out;
    void u(std::uint64_t v) {
        while (v >= 0x80) {
            out.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out.push_back(static_cast<char>(v));
    }
    void i(std::int64_t v) { u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
    void b(bool v) { out.push_back(v ? 1 : 0); }
    void str(std::string_view v) {
        u(v.size());
        out.append(v);
    }
    void opt(const std::optional<std::string>& v) {
        b(v.has_value());
        if (v) str(*v);
    }
};

// Every read checks the bounds; the first failure sticks and the caller
// reports it once at the end, so a decoder reads like its encoder.
struct BinaryReader {
    std::string_view in;
    bool ok = true;
    std::uint64_t u() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (in.empty()) return fail();
            auto byte = static_cast<unsigned char>(in.front());
            in.remove_prefix(1);
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return v;
        }
        return fail();
    }
    std::int64_t i() {
        std::uint64_t z = u();
        return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
    bool b() {
        if (in.empty()) return fail();
        auto byte = in.front();
        in.remove_prefix(1);
        if (byte != 0 && byte != 1) return fail();
        return byte == 1;
    }
    std::string str() {
        std::uint64_t n = u();
        if (!ok || n > in.size()) return fail(), std::string();
        std::string v(in.substr(0, n));
        in.remove_prefix(n);
        return v;
    }
    std::optional<std::string> opt() {
        if (!b()) return std::nullopt;
        return str();
    }
    // A count of elements of at least one byte each: a corrupt count cannot
    // make the decoder reserve or loop beyond the input.
    std::size_t count() {
        std::uint64_t n = u();
        if (n > in.size()) return fail(), 0;
        return static_cast<std::size_t>(n);
    }
    // A 32-bit unsigned field; a larger value is corrupt input.
    std::uint32_t u32() {
        std::uint64_t v = u();
        if (v > UINT32_MAX) return static_cast<std::uint32_t>(fail());
        return static_cast<std::uint32_t>(v);
    }
    std::uint64_t fail() {
        ok = false;
        in = {};
        return 0;
    }
};

}  // namespace core

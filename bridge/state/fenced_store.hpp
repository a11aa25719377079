#pragma once
// The store a node's CPEs write through when several bridges share
// PostgreSQL: every write carries the fencing token of the lease this node
// holds for the key (PgStore::save_async_fenced), so a node that was paused
// or cut off past its lease and taken over cannot overwrite its successor's
// state: its writes fail with state.fenced and are never acknowledged. A key
// this node holds no lease for is refused the same way, without asking the
// database. Tokens are set by app::LeaseKeeper as leases are granted and
// cleared as they are lost or released.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "bridge/state/store.hpp"

namespace state {

// What a fenced write goes through: PgStore in production, a fake in tests.
class FencedWriter {
public:
    virtual ~FencedWriter() = default;
    virtual void save_async_fenced(std::string key, std::string blob, std::int64_t token, Store::Done done) = 0;
};

class FencedStore : public Store {
public:
    // Reads, removals and listings go to `inner` as they are; writes through `writer` with the key's token.
    FencedStore(Store& inner, FencedWriter& writer) : inner_(inner), writer_(writer) {}

    void set_token(std::string_view key, std::int64_t token);
    void clear_token(std::string_view key);
    std::optional<std::int64_t> token(std::string_view key) const;

    core::Result<std::optional<std::string>> load(std::string_view key) override { return inner_.load(key); }
    // Waits for the fenced write (blocking: off the event loop).
    core::Status save(std::string_view key, std::string_view blob) override;
    void save_async(std::string key, std::string blob, Done done) override;
    core::Status remove(std::string_view key) override { return inner_.remove(key); }
    core::Result<std::vector<std::string>> keys() override { return inner_.keys(); }

private:
    Store& inner_;
    FencedWriter& writer_;
    mutable std::mutex mutex_;
    std::map<std::string, std::int64_t, std::less<>> tokens_;
};

}  // namespace state

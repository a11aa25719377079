#pragma once
// state::SecretDirectory: per-gateway CMP secrets kept where every bridge of
// a cluster reads them (PgSecrets: bridge.secrets in PostgreSQL). Nodes do
// not look a secret up per message: app::SharedSecrets keeps a snapshot and
// asks changes_since() on a thread of its own (docs/operations.md).
//
// Every write takes a new version; a reader that saw everything up to
// version V asks for the rows above V. Deletions leave no row behind, so a
// reader also gets the number of rows: when its snapshot, with the changes
// applied, holds more, something was deleted and it reads everything again.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"

namespace state {

// Who wrote a secret: an import of cmp.secrets_file (a later import of a file
// without it deletes it) or an operator (only an operator deletes it).
inline constexpr std::string_view kSecretFromFile = "file";
inline constexpr std::string_view kSecretFromOperator = "operator";

struct SecretEntry {
    std::string rg_id;
    std::string secret;  // never logged
    std::int64_t version = 0;
};

struct SecretChanges {
    std::vector<SecretEntry> changed;  // version > since, in version order
    std::int64_t version = 0;          // the highest version there is (0: none)
    std::int64_t count = 0;            // rows there are now
};

struct SecretImport {
    std::size_t written = 0;  // new or changed
    std::size_t deleted = 0;  // file-imported entries the file no longer has
};

// An entry as an operator lists it: never the secret.
struct SecretListing {
    std::string rg_id;
    std::string source;
    std::string updated_at;  // the database's clock
};

class SecretDirectory {
public:
    using Secrets = std::map<std::string, std::string, std::less<>>;
    virtual ~SecretDirectory() = default;
    // Everything written after `since` (0: everything), with the version and
    // row count of the same snapshot of the table.
    virtual core::Result<SecretChanges> changes_since(std::int64_t since) = 0;
    // An operator's secret for one gateway (source operator).
    virtual core::Status set(std::string_view rg_id, std::string_view secret) = 0;
    // False: there was none.
    virtual core::Result<bool> remove(std::string_view rg_id) = 0;
    // A secrets file as it now reads: its entries written (source file) where
    // new or different, the entries an earlier import wrote and the file no
    // longer has deleted; operator entries the file does not name stay.
    virtual core::Result<SecretImport> import_file(const Secrets& file) = 0;
    virtual core::Result<std::vector<SecretListing>> list() = 0;
};

// Gateway ids and secrets as the table takes them: an id is what the CMP
// listener admits (1-64 bytes, no control characters), a secret 1-1024
// bytes of valid text without control characters.
core::Status validate_secret_entry(std::string_view rg_id, std::string_view secret);

}  // namespace state

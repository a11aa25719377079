#pragma once
// The bridge's tables in PostgreSQL, created and migrated by the bridge
// itself (docs/operations.md): schema `bridge` with
//   schema_version (version)            one row per migration applied
//   state  (key, blob, node, token, updated)  a gateway's CPE state (bytea);
//          node/token: the lease holder that wrote it last (fenced writes)
//   leases (key, node, token, expires)  who owns a gateway until when; the
//          fencing token only grows (rows are never deleted; release
//          clears node and expiry and moves the token on)
//   nodes  (node, cmp_url, cr_url, seen) the bridges alive (seen by the
//          database's clock) and their internal listener URLs (v2)
//   cr_paths (path, gateway)            a Connection Request path's gateway (v2)
//   registry (key, blob)                self-registered gateways (v2)
//   nonces (rg_id, nonce, ts, expires)  the CMP replay window of every node (v3)
//   secrets (rg_id, secret, source, version, updated_at)  per-gateway CMP
//          secrets shared by every node; version from the sequence
//          secrets_version, writers serialized by a table lock (v4)
#include "bridge/state/pg_conn.hpp"

namespace state::pg {

// The newest schema this code knows.
constexpr int kSchemaVersion = 4;

// Brings the database to kSchemaVersion in one transaction, under an
// advisory lock (bridges starting together migrate once, in turn). A
// database at a newer version is refused: an older bridge would half
// understand it.
core::Status ensure_schema(Connection& c);

}  // namespace state::pg

#pragma once
// The engine's own RPCs after an Inform, queued before any upper-layer RPC:
//   1. GetParameterNames of the whole tree (root, NextLevel=false) when
//      CpeRecord::needs_discovery says so; its answer replaces the cached model;
//   2. then SetParameterAttributes(Notification=2) for the discovered names that
//      match the record's watch paths and are not active yet;
//   3. GetParameterValues of ManagementServer.PeriodicInformInterval when the
//      Inform did not say it (the gone-detection needs it).
#include "bridge/acs/cpe_record.hpp"
#include "bridge/acs/rpc_queue.hpp"

namespace acs {

// Queues what the Inform just taken by `record` calls for. `record` and
// `queue` must outlive the queued RPCs (they belong to one directory entry).
void queue_discovery(CpeRecord& record, RpcQueue& queue, const cwmp::Inform& inform);

// Queues SetParameterAttributes for CpeRecord::unwatched_matches(); nothing if none.
void queue_notifications(CpeRecord& record, RpcQueue& queue);

}  // namespace acs

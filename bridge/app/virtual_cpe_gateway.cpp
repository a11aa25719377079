// VirtualCpe::gateway_message: the CMP listener's way into a CPE (issue 4).
// Gateway notifications are translated by the CPE's own mapping device, on
// the CPE's strand, because the translation reads and records per-CPE state
// (row instance numbers, stored values) that the sessions use too.
#include <boost/asio/post.hpp>

#include "bridge/app/virtual_cpe.hpp"
#include "bridge/core/log.hpp"
#include "bridge/mapping/table_device.hpp"

namespace app {

void VirtualCpe::gateway_message(cmp::Request msg) {
    boost::asio::post(strand_, [self = shared_from_this(), msg = std::move(msg)] {
        // A value change or a finished transfer: what the session read may be stale.
        if (self->session_answers_) self->session_answers_->forget();
        auto* table = dynamic_cast<mapping::TableDevice*>(self->device_.get());
        if (!table) return;  // devices without a mapping table have no gateway events
        if (auto done = table->completion(msg)) {
            // Results carry no CommandKey: they close the oldest transfer of their kind.
            self->apply(self->agent_.transfer_finished(done->rpc, "", done->file_type, done->fault, done->start_time,
                                                       done->complete_time, now()));
            return;
        }
        auto changes = table->translate_event(msg);
        if (changes.empty()) core::log::debug(self->gateway_.id, msg.function + ": no mapped parameter changed");
        for (const auto& pv : changes) self->note_change(pv.name, pv.value);
        self->persist();  // the device may have learnt rows or values
    });
}

}  // namespace app

#pragma once
// The gateway answers one CWMP session has already read, so that the same
// read asked again a moment later in the same session is answered from here
// instead of another signed CMP round trip (docs/cwmp.md, "Answers read once
// per session"). ACSes read back right after the Inform what the Inform
// carried: a bootstrap made getRgInfo and getRgNetInfo twice each, on small
// gateways, a few milliseconds apart.
//
// Only reads are kept (functions the catalogue marks idempotent: the get*
// queries), only successful ones (resultCode 0), only for `window`, and only
// while nothing may have changed them: any other call (set*, add*, del*,
// reboot...) and any gateway-originated message forget everything. An answer
// to a read sent before such a forget is not kept either (it may predate the
// change), which is what the ticket of sending() is for.
//
// Sans-I/O: the caller passes the time (tests use a fake clock). One object
// lives per session (app::VirtualCpe::run_session), never on an idle CPE: per
// gateway memory is what a fleet of 100,000 pays for.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"

namespace cpe {

class SessionAnswers {
public:
    using Clock = std::chrono::steady_clock;
    // Enough for the reads of any session the shipped tables plan (a whole-tree
    // GetParameterValues is about 30 functions); beyond it the oldest goes.
    static constexpr std::size_t kMaxAnswers = 64;

    // `catalogue` says which functions are reads; it must outlive this object.
    SessionAnswers(const cmp::Catalogue& catalogue, std::chrono::milliseconds window)
        : catalogue_(catalogue), window_(window) {}

    // Whether `function` is a read (its answer may be reused).
    bool is_read(const cmp::Request& req) const;

    // The answer kept for the same read (function and body; the header is the
    // transport's) at most `window` old at `now`, or nullptr.
    const cmp::Response* find(const cmp::Request& req, Clock::time_point now) const;

    // `req` goes to the gateway now. A call that is not a read forgets
    // everything (it may change what reads return). The ticket goes to keep().
    using Ticket = std::uint64_t;
    Ticket sending(const cmp::Request& req);

    // The gateway answered `req` (sent with `ticket`). A successful read is kept
    // unless something was forgotten since it was sent; anything else forgets.
    void keep(const cmp::Request& req, const core::Result<cmp::Response>& result, Ticket ticket,
              Clock::time_point now);

    // Whatever was read may be stale now (a gateway message, the session's end).
    void forget();

    std::size_t size() const { return answers_.size(); }

private:
    struct Answer {
        std::string function;
        cmp::Record args;
        cmp::Response response;
        Clock::time_point at;
    };
    const cmp::Catalogue& catalogue_;
    std::chrono::milliseconds window_;
    std::vector<Answer> answers_;
    Ticket generation_ = 0;  // counts forget()s
};

}  // namespace cpe

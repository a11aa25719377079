#pragma once
// Composition of sans-I/O Steps: the RPC handler chains device operations
// (validate, then set, then store) without ever blocking, so each link is a
// continuation that runs when the driver hands back the CMP results.
#include <utility>

#include "bridge/cpe/device.hpp"

namespace cpe {

// Maps the value of a finished Step<T> to a Step<U>, following continuations;
// a fault passes through unchanged.
template <class U, class T, class F>
Step<U> then(Step<T> step, F f) {
    if (step.done) {
        if (auto* fault = std::get_if<cwmp::Fault>(&*step.done)) return Step<U>::ready(std::move(*fault));
        return f(std::move(std::get<0>(*step.done)));
    }
    auto resume = std::move(step.resume);
    return Step<U>::need(std::move(step.calls), [resume = std::move(resume), f](CallResults r) mutable {
        return then<U>(resume(std::move(r)), f);
    });
}

// As then(), but `f` also sees faults (to translate or wrap them).
template <class U, class T, class F>
Step<U> then_outcome(Step<T> step, F f) {
    if (step.done) return f(std::move(*step.done));
    auto resume = std::move(step.resume);
    return Step<U>::need(std::move(step.calls), [resume = std::move(resume), f](CallResults r) mutable {
        return then_outcome<U>(resume(std::move(r)), f);
    });
}

// Runs a Step to completion with a function that answers call batches
// synchronously (tests, replay).
template <class T, class Runner>
Outcome<T> run_sync(Step<T> step, Runner&& run_calls) {
    while (!step.done) step = step.resume(run_calls(step.calls));
    return std::move(*step.done);
}

}  // namespace cpe

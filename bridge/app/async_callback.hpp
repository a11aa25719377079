#pragma once
// Awaiting a result that another thread reports through a callback (the
// store's writer thread, the replay log's), without blocking the awaiting
// strand: the callback posts the result back to the awaiter's executor.
#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <utility>

namespace app {

// `start(callback)` must arrange for callback(T) to be called exactly once,
// from any thread.
template <class T, class Start, class Token>
auto async_from_callback(Start start, Token&& token) {
    return boost::asio::async_initiate<Token, void(T)>(
        [start = std::move(start)](auto handler) mutable {
            auto ex = boost::asio::get_associated_executor(handler);
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            start([h, ex](T value) {
                boost::asio::post(ex, [h, value = std::move(value)]() mutable { (*h)(std::move(value)); });
            });
        },
        token);
}

}  // namespace app

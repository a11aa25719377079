#pragma once
// Errors as values on every request path (exceptions only at start-up), after
// Boost.MySQL and Envoy: a failing decode or translation must produce a
// well-formed answer, never unwind through the event loop.
#include <string>
#include <utility>
#include <variant>

namespace core {

struct Error {
    // Stable machine code ("xml.too_deep", "cwmp.unknown_rpc", ...) for logs and tests.
    std::string code;
    // Human text; may quote input, never secrets.
    std::string message;
};

template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string code, std::string message) {
    return Error{std::move(code), std::move(message)};
}

}  // namespace core

#pragma once
// A small metrics registry with the Prometheus text exposition format 0.0.4
// (docs/operations.md, "Monitoring and the admin listener"; why not
// prometheus-cpp: docs/dependencies.md).
//
// Cheap on hot paths: a metric with labels is resolved once to its child
// (Family::with), which the caller may keep; updating a child is one atomic
// operation, no lock. Resolving walks the family's children without a lock
// and without allocating (a lock only the first time a label set is seen).
// Children live as long as the registry and never move, so references to
// them stay valid.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace core::metrics {

class Counter {
public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

class Histogram {
public:
    // `bounds`: the upper bounds of the buckets, increasing; +Inf is implied.
    explicit Histogram(const std::vector<double>& bounds);
    void observe(double v);

    struct Snapshot {
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& bounds() const { return bounds_; }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative; the last is +Inf
    std::atomic<double> sum_{0};
    std::atomic<std::uint64_t> count_{0};
};

enum class Type { counter, gauge, histogram };

// One metric name with its HELP, TYPE and label names; a child per label set.
template <class T>
class Family {
public:
    Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {})
        : name_(std::move(name)), help_(std::move(help)), labels_(std::move(label_names)), bounds_(std::move(bounds)) {}

    ~Family();
    Family(const Family&) = delete;
    Family& operator=(const Family&) = delete;

    // The child of these label values, in the order of the label names
    // (std::invalid_argument when the count differs: a programming error).
    T& with(const std::vector<std::string>& values);
    T& with(std::initializer_list<std::string_view> values) { return find_or_add(values.begin(), values.size()); }
    // Every child, in label order (for exposition and for resetting gauges).
    void for_each(const std::function<void(const std::vector<std::string>&, T&)>& f) const;

    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    const std::vector<std::string>& label_names() const { return labels_; }

private:
    std::string name_, help_;
    std::vector<std::string> labels_;
    std::vector<double> bounds_;  // histograms only

    template <class S>
    T& find_or_add(const S* values, std::size_t n);

    // Children are never removed, so they form a list that only grows at its
    // head: a lookup walks it without a lock. Every session resolves a dozen
    // children on two or more threads; a shared_mutex made each of them write
    // the same cache line, and a std::vector<std::string> key allocated.
    struct Child {
        std::vector<std::string> values;
        std::unique_ptr<T> metric;
        const Child* next = nullptr;
    };
    std::atomic<const Child*> head_{nullptr};
    mutable std::mutex add_mutex_;
};

class Registry {
public:
    // Names follow the Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*, labels
    // [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", no "le" on a
    // histogram) and are registered once; otherwise std::invalid_argument.
    Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels = {});
    Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
    Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                                 std::vector<double> bounds);

    // The text exposition format 0.0.4, families in registration order.
    std::string render() const;

private:
    void claim(const std::string& name, const std::vector<std::string>& labels, Type type);

    mutable std::mutex mutex_;
    struct Entry {
        Type type;
        void* family;  // Family<Counter|Gauge|Histogram>, owned below
    };
    std::vector<Entry> order_;
    std::vector<std::unique_ptr<Family<Counter>>> counters_;
    std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
    std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

// Exposition helpers, public for tests.
std::string escape_label_value(std::string_view v);  // backslash, double quote, newline
std::string escape_help(std::string_view v);         // backslash, newline
std::string format_value(double v);                  // shortest round-trip form, +Inf, -Inf, NaN

// Default latency buckets in seconds: 1 ms to 30 s.
std::vector<double> latency_buckets();

}  // namespace core::metrics

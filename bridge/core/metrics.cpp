#include "bridge/core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace core::metrics {

namespace {

bool valid_name(std::string_view n, bool colon) {
    if (n.empty()) return false;
    auto ok = [&](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
               (!first && c >= '0' && c <= '9');
    };
    for (std::size_t i = 0; i < n.size(); ++i)
        if (!ok(n[i], i == 0)) return false;
    return true;
}

// `{a="x",b="y"}` with an optional extra pair (a histogram's le), or nothing without labels.
std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       std::string_view extra_name = {}, std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) return {};
    std::string s = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) s += ',';
        s += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
    }
    if (!extra_name.empty()) {
        if (!names.empty()) s += ',';
        s += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
    }
    return s + "}";
}

template <class T>
void header(std::string& out, const Family<T>& f, std::string_view type) {
    out += "# HELP " + f.name() + " " + escape_help(f.help()) + "\n";
    out += "# TYPE " + f.name() + " " + std::string(type) + "\n";
}

}  // namespace

std::string escape_label_value(std::string_view v) {
    std::string s;
    s.reserve(v.size());
    for (char c : v) {
        if (c == '\\') s += "\\\\";
        else if (c == '"') s += "\\\"";
        else if (c == '\n') s += "\\n";
        else s += c;
    }
    return s;
}

std::string escape_help(std::string_view v) {
    std::string s;
    for (char c : v) {
        if (c == '\\') s += "\\\\";
        else if (c == '\n') s += "\\n";
        else s += c;
    }
    return s;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

std::vector<double> latency_buckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
    // The first bucket whose bound is >= v (Prometheus buckets are "le").
    const std::size_t i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    // The count is the +Inf bucket, so the two always agree in one scrape
    // even while observations run concurrently.
    s.count = running;
    return s;
}

template <class T>
Family<T>::~Family() {
    for (const Child* c = head_.load(std::memory_order_acquire); c;) delete std::exchange(c, c->next);
}

template <class T>
T& Family<T>::with(const std::vector<std::string>& values) {
    return find_or_add(values.data(), values.size());
}

template <class T>
template <class S>
T& Family<T>::find_or_add(const S* values, std::size_t n) {
    if (n != labels_.size())
        throw std::invalid_argument(name_ + ": " + std::to_string(labels_.size()) + " label values expected, got " +
                                    std::to_string(n));
    auto same = [&](const Child& c) { return std::equal(c.values.begin(), c.values.end(), values, values + n); };
    const Child* head = head_.load(std::memory_order_acquire);
    for (const Child* c = head; c; c = c->next)
        if (same(*c)) return *c->metric;
    std::lock_guard lock(add_mutex_);
    // Another thread may have added it meanwhile: only the children added since
    // the walk above need a look.
    const Child* now = head_.load(std::memory_order_acquire);
    for (const Child* c = now; c != head; c = c->next)
        if (same(*c)) return *c->metric;
    auto child = std::make_unique<Child>();
    child->values.assign(values, values + n);
    if constexpr (std::is_same_v<T, Histogram>) child->metric = std::make_unique<Histogram>(bounds_);
    else child->metric = std::make_unique<T>();
    child->next = now;
    T& metric = *child->metric;
    head_.store(child.release(), std::memory_order_release);
    return metric;
}

template <class T>
void Family<T>::for_each(const std::function<void(const std::vector<std::string>&, T&)>& f) const {
    // In label order, as the exposition format's readers expect.
    std::vector<const Child*> children;
    for (const Child* c = head_.load(std::memory_order_acquire); c; c = c->next) children.push_back(c);
    std::sort(children.begin(), children.end(), [](const Child* a, const Child* b) { return a->values < b->values; });
    for (const Child* c : children) f(c->values, *c->metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::claim(const std::string& name, const std::vector<std::string>& labels, Type type) {
    if (!valid_name(name, true)) throw std::invalid_argument("metric name '" + name + "' is not valid");
    for (auto& l : labels) {
        if (!valid_name(l, false) || l.rfind("__", 0) == 0)
            throw std::invalid_argument(name + ": label name '" + l + "' is not valid");
        if (type == Type::histogram && l == "le") throw std::invalid_argument(name + ": 'le' is the bucket label");
    }
    for (auto& e : order_) {
        const std::string& other = e.type == Type::counter ? static_cast<Family<Counter>*>(e.family)->name()
                                   : e.type == Type::gauge ? static_cast<Family<Gauge>*>(e.family)->name()
                                                           : static_cast<Family<Histogram>*>(e.family)->name();
        if (other == name) throw std::invalid_argument("metric '" + name + "' registered twice");
    }
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    claim(name, labels, Type::counter);
    counters_.push_back(std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels)));
    order_.push_back({Type::counter, counters_.back().get()});
    return *counters_.back();
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    claim(name, labels, Type::gauge);
    gauges_.push_back(std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels)));
    order_.push_back({Type::gauge, gauges_.back().get()});
    return *gauges_.back();
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                       std::vector<double> bounds) {
    std::lock_guard lock(mutex_);
    claim(name, labels, Type::histogram);
    if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
        std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end() || !std::isfinite(bounds.back()))
        throw std::invalid_argument(name + ": bucket bounds must be finite and strictly increasing");
    histograms_.push_back(
        std::make_unique<Family<Histogram>>(std::move(name), std::move(help), std::move(labels), std::move(bounds)));
    order_.push_back({Type::histogram, histograms_.back().get()});
    return *histograms_.back();
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& e : order_) {
        if (e.type == Type::counter) {
            auto& f = *static_cast<Family<Counter>*>(e.family);
            header(out, f, "counter");
            f.for_each([&](const std::vector<std::string>& l, Counter& c) {
                out += f.name() + label_text(f.label_names(), l) + " " + std::to_string(c.value()) + "\n";
            });
        } else if (e.type == Type::gauge) {
            auto& f = *static_cast<Family<Gauge>*>(e.family);
            header(out, f, "gauge");
            f.for_each([&](const std::vector<std::string>& l, Gauge& g) {
                out += f.name() + label_text(f.label_names(), l) + " " + format_value(g.value()) + "\n";
            });
        } else {
            auto& f = *static_cast<Family<Histogram>*>(e.family);
            header(out, f, "histogram");
            f.for_each([&](const std::vector<std::string>& l, Histogram& h) {
                const auto s = h.snapshot();
                for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
                    const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
                    out += f.name() + "_bucket" + label_text(f.label_names(), l, "le", le) + " " +
                           std::to_string(s.cumulative[i]) + "\n";
                }
                out += f.name() + "_sum" + label_text(f.label_names(), l) + " " + format_value(s.sum) + "\n";
                out += f.name() + "_count" + label_text(f.label_names(), l) + " " + std::to_string(s.count) + "\n";
            });
        }
    }
    return out;
}

}  // namespace core::metrics

#include "bridge/app/commands.hpp"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include "bridge/app/config.hpp"
#include "bridge/app/secrets_file.hpp"
#include "bridge/mapping/reverse_mapping.hpp"
#include "bridge/mapping/validator.hpp"
#include "bridge/state/pg_secrets.hpp"
#include "bridge/trace/replay.hpp"

namespace app::commands {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void print(report::Format format, const char* command, const std::vector<report::Item>& items) {
    if (format == report::Format::json) std::cout << report::json(command, items);
    if (format == report::Format::junit) std::cout << report::junit(command, items);
}

}  // namespace

int validate(const std::vector<std::string>& files, report::Format format) {
    if (format == report::Format::text) return mapping::run_validate(files, std::cout, std::cerr);
    int status = 0;
    std::vector<report::Item> items;
    for (const auto& f : files) {
        auto t0 = std::chrono::steady_clock::now();
        mapping::Validation v = mapping::validate_file(f);
        report::Item item{f};
        item.seconds = seconds_since(t0);
        if (v.table) {
            item.summary = v.table->model() + ", " + std::to_string(v.table->params().size()) + " parameters";
        } else {
            status = 1;
            item.status = report::Item::Status::failed;
            item.summary = std::to_string(v.diagnostics.size()) + (v.diagnostics.size() == 1 ? " error" : " errors");
            for (const auto& d : v.diagnostics)
                item.problems.push_back({d.pos.file.empty() ? f : d.pos.file, d.pos.line, d.pos.column, d.message, d.hint});
        }
        items.push_back(std::move(item));
    }
    print(format, "validate", items);
    return status;
}

int validate_reverse(const std::vector<std::string>& files) {
    return mapping::run_validate_reverse(files, std::cout, std::cerr);
}

int replay(const ReplayArgs& a) {
    const bool text = a.format == report::Format::text;
    // Machine formats: the document is the only thing on stdout.
    std::ostream& out = text ? std::cout : std::cerr;
    trace::ReplayOptions opt;
    for (auto& d : a.mapping_dirs) opt.mapping_dirs.emplace_back(d);
    if (!a.mapping_file.empty()) {
        auto t = mapping::Table::load_file(a.mapping_file);
        if (!t) {
            std::cerr << t.error().message << "\n";
            return 2;
        }
        opt.table = *t;
    }
    int status = 0;
    std::size_t passed = 0, diverged = 0, updated = 0;
    std::vector<report::Item> items;
    // A trace that cannot be replayed (or rewritten) at all.
    auto unusable = [&](report::Item& item, const std::string& f, const std::string& why) {
        if (text) std::cerr << "ERROR " << (why.rfind(f, 0) == 0 ? "" : f + ": ") << why << "\n";
        item.status = report::Item::Status::error;
        item.summary = why;
        item.problems.push_back({f, 0, 0, why, {}});
        status = 2;
    };
    std::size_t done = 0;
    for (auto& f : a.traces) {
        // Machine formats print only at the end: say on stderr how far a long run is.
        if (!text && a.traces.size() > 1) std::cerr << "replay " << ++done << "/" << a.traces.size() << ": " << f << "\n";
        auto t0 = std::chrono::steady_clock::now();
        report::Item item{f};
        // Both directions share the report and the update rules; a reverse trace says `direction: reverse`.
        const bool reverse = trace::is_reverse_trace_file(f);
        std::optional<trace::Trace> t;
        std::optional<trace::ReverseTrace> rt;
        core::Result<trace::ReplayReport> r = core::make_error("trace.io", f + ": cannot open");
        if (reverse) {
            auto loaded = trace::load_reverse_file(f);
            if (loaded) rt = std::move(*loaded);
            r = loaded ? trace::replay_reverse(*rt, f, opt) : core::Result<trace::ReplayReport>(loaded.error());
        } else {
            auto loaded = trace::load_file(f);
            if (loaded) t = std::move(*loaded);
            r = loaded ? trace::replay(*t, f, opt) : core::Result<trace::ReplayReport>(loaded.error());
        }
        const std::string recorded_hash = reverse ? (rt ? rt->mapping_hash : "") : (t ? t->mapping_hash : "");
        if (!r) {
            unusable(item, f, r.error().message);
        } else if (r->passed() || !a.update) {
            out << r->text();
            r->passed() ? ++passed : ++diverged;
            if (r->passed()) {
                item.summary = std::to_string(r->exchanges) + (reverse ? " steps" : " exchanges");
            } else {
                status = std::max(status, 1);
                const auto& d = *r->divergence;
                item.status = report::Item::Status::failed;
                item.summary = "step " + std::to_string(d.step) + ": " + d.what;
                item.problems.push_back({f, 0, 0, item.summary,
                                         "expected: " + d.expected + "\nactual:   " + d.actual + "\n" + d.diff});
            }
            // The mapping changed but not what the bridge does: only the hash is new.
            if (a.update && r->passed() && r->mapping_hash != recorded_hash) {
                core::Status st = core::Ok{};
                if (reverse) {
                    rt->mapping_hash = r->mapping_hash;
                    st = trace::save_file(*rt, f);
                } else {
                    t->mapping_hash = r->mapping_hash;
                    st = trace::save_file(*t, f);
                }
                if (!st) {
                    unusable(item, f, st.error().message);
                } else {
                    out << "UPDATED " << f << " (mapping hash only)\n";
                    item.updated = true;
                    ++updated;
                }
            }
        } else {
            // Only a trace that diverges is rewritten: the others keep their bytes.
            trace::ReplayOptions up = opt;
            up.update = true;
            auto u = reverse ? trace::replay_reverse(*rt, f, up) : trace::replay(*t, f, up);
            if (!u || !u->passed()) {
                unusable(item, f, "cannot update: " + (u ? u->divergence->what : u.error().message));
            } else {
                core::Status st = core::Ok{};
                if (reverse) {
                    u->reverse_updated.recorded_by = "cmp-cwmp-bridge replay --update";
                    st = trace::save_file(u->reverse_updated, f);
                } else {
                    u->updated.recorded_by = "cmp-cwmp-bridge replay --update";
                    st = trace::save_file(u->updated, f);
                }
                if (!st) {
                    unusable(item, f, st.error().message);
                } else {
                    for (auto& w : u->warnings) out << "warning: " << f << ": " << w << "\n";
                    out << "UPDATED " << f << " (was: step " << r->divergence->step << ": " << r->divergence->what
                        << ")\n";
                    item.summary = "updated (was: step " + std::to_string(r->divergence->step) + ": " +
                                   r->divergence->what + ")";
                    item.updated = true;
                    ++updated;
                }
            }
        }
        item.seconds = seconds_since(t0);
        items.push_back(std::move(item));
    }
    out << a.traces.size() << " traces: " << passed << " passed, " << diverged << " diverged";
    if (a.update) out << ", " << updated << " updated";
    out << "\n";
    print(a.format, "replay", items);
    return status;
}

int check(const std::string& config_path) {
    auto cfg = load_config(config_path);
    if (!cfg) {
        std::cerr << "error: " << cfg.error().message << "\n";
        return 1;
    }
    // Each table once, as the bridge loads it (the same validator as `validate`).
    std::set<std::string> tables;
    if (!cfg->default_mapping.empty()) tables.insert(cfg->default_mapping);
    for (const auto& g : cfg->gateways) tables.insert(g.mapping);
    int status = 0;
    for (const auto& t : tables) {
        mapping::Validation v = mapping::validate_file(t);
        if (v.table) continue;
        status = 1;
        for (const auto& d : v.diagnostics) std::cerr << "error: " << d.to_string() << "\n";
    }
    // `run` creates state_dir, or writes into it: as this user, it must be able to.
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path dir = cfg->state_dir;
    while (!dir.empty() && !fs::exists(dir, ec) && dir.has_parent_path() && dir.parent_path() != dir)
        dir = dir.parent_path();
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        std::cerr << "error: " << config_path << ": state_dir: " << cfg->state_dir << " cannot be "
                  << (dir == fs::path(cfg->state_dir) ? "written" : "created") << " by this user\n";
        status = 1;
    }
    if (status == 0)
        std::cout << config_path << ": ok (" << cfg->gateways.size() << " gateways, " << tables.size()
                  << " mapping tables" << (cfg->cmp.accept_registrations ? ", self-registration on" : "") << ")\n";
    return status;
}

int secrets(const std::string& config_path, const std::string& action, const std::string& argument, std::istream& in) {
    auto cfg = load_config(config_path);
    if (!cfg) {
        std::cerr << "error: " << cfg.error().message << "\n";
        return 1;
    }
    if (cfg->state_backend != StateBackend::postgresql) {
        std::cerr << "error: " << config_path << ": the shared secrets need state.backend: postgresql "
                  << "(a single bridge reads cmp.secrets_file)\n";
        return 1;
    }
    if (action != "list" && argument.empty()) {
        std::cerr << "error: secrets " << action << " needs " << (action == "import" ? "a file" : "a gateway id") << "\n";
        return 2;
    }
    auto dir = state::PgSecrets::open(cfg->state_postgres.dsn);
    if (!dir) {
        std::cerr << "error: " << dir.error().message << "\n";
        return 1;
    }
    if (action == "import") {
        // Read as the bridge reads cmp.secrets_file (no watcher left running).
        auto file = SecretsFile::open(argument, std::chrono::hours(24));
        if (!file) {
            std::cerr << "error: " << file.error().message << "\n";
            return 1;
        }
        (*file)->stop();
        auto done = (*dir)->import_file((*file)->all());
        if (!done) {
            std::cerr << "error: " << done.error().message << "\n";
            return 1;
        }
        std::cout << argument << ": " << done->written << " written, " << done->deleted
                  << " deleted (entries of an earlier import the file no longer has)\n";
        return 0;
    }
    if (action == "set") {
        // From stdin only: a command line is visible to every user (ps, /proc) and kept in shell history.
        std::string secret;
        termios saved{};
        const bool tty = &in == &std::cin && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
        if (tty) {
            // Typed at a terminal: not echoed.
            std::cerr << "secret for " << argument << " (one line, not shown): " << std::flush;
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        std::getline(in, secret);
        if (tty) {
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
            std::cerr << "\n";
        }
        if (!secret.empty() && secret.back() == '\r') secret.pop_back();
        if (auto st = (*dir)->set(argument, secret); !st) {
            std::cerr << "error: " << argument << ": " << st.error().message << "\n";
            return 1;
        }
        std::cout << argument << ": secret set (in force at every node within about 2 s)\n";
        return 0;
    }
    if (action == "delete") {
        auto removed = (*dir)->remove(argument);
        if (!removed) {
            std::cerr << "error: " << removed.error().message << "\n";
            return 1;
        }
        if (!*removed) {
            std::cerr << "error: no shared secret for " << argument << "\n";
            return 1;
        }
        std::cout << argument << ": secret deleted\n";
        return 0;
    }
    if (action == "list") {
        auto all = (*dir)->list();
        if (!all) {
            std::cerr << "error: " << all.error().message << "\n";
            return 1;
        }
        for (const auto& e : *all) std::cout << e.rg_id << " " << e.source << " " << e.updated_at << "\n";
        return 0;
    }
    std::cerr << "error: secrets " << action << ": expected import, set, delete or list\n";
    return 2;
}

}  // namespace app::commands

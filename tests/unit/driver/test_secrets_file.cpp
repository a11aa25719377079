// app::SecretsFile: read once at open (refused when missing or broken), then
// watched by its own thread; a rewrite is picked up, a broken rewrite keeps
// the previous secrets, and lookups never wait for the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "bridge/app/secrets_file.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Dir {
    fs::path path = fs::temp_directory_path() / ("secrets-" + std::to_string(std::random_device{}()));
    Dir() { fs::create_directories(path); }
    ~Dir() { fs::remove_all(path); }
};

// Replaces the file the way provisioning tools do (write aside, rename), with
// a modification time that differs from the previous one.
void publish(const fs::path& file, const std::string& text, int generation) {
    const fs::path tmp = file.string() + ".tmp";
    std::ofstream(tmp) << text;
    fs::last_write_time(tmp, fs::file_time_type::clock::now() + std::chrono::seconds(generation));
    fs::rename(tmp, file);
}

// Waits (bounded) until the watcher has read the file `n` times.
bool wait_reads(const app::SecretsFile& s, std::uint64_t n) {
    for (int i = 0; i < 200 && s.reads() < n; ++i) std::this_thread::sleep_for(10ms);
    return s.reads() >= n;
}

}  // namespace

TEST_CASE("a missing or broken secrets file is refused at open") {
    Dir d;
    CHECK_FALSE(app::SecretsFile::open(d.path / "absent.yaml"));
    std::ofstream(d.path / "broken.yaml") << "GW-1: [unclosed\n";
    auto broken = app::SecretsFile::open(d.path / "broken.yaml");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.find("broken.yaml:") != std::string::npos);
    CHECK(broken.error().message.find("unclosed") == std::string::npos);  // no value in the message
}

TEST_CASE("rewrites are picked up by the watcher; a broken one keeps the previous secrets") {
    Dir d;
    const fs::path f = d.path / "secrets.yaml";
    publish(f, "GW-0001: first-secret\n", 0);
    auto s = app::SecretsFile::open(f, 20ms);
    REQUIRE(s);
    auto& secrets = **s;
    CHECK(secrets.find("GW-0001") == "first-secret");
    CHECK_FALSE(secrets.find("GW-0002"));
    CHECK(secrets.reads() == 1);

    publish(f, "GW-0001: first-secret\nGW-0002: second-secret\n", 1);
    REQUIRE(wait_reads(secrets, 2));
    CHECK(secrets.find("GW-0002") == "second-secret");

    publish(f, "GW-0003: [broken\n", 2);
    std::this_thread::sleep_for(100ms);  // several watcher rounds
    CHECK(secrets.reads() == 2);
    CHECK(secrets.find("GW-0002") == "second-secret");
    CHECK_FALSE(secrets.find("GW-0003"));

    publish(f, "GW-0003: third-secret\n", 3);
    REQUIRE(wait_reads(secrets, 3));
    CHECK(secrets.find("GW-0003") == "third-secret");
    CHECK_FALSE(secrets.find("GW-0001"));  // removed from the file, gone
}

// Both stores through the same interface, then what only FileStore promises:
// atomic replacement, tolerance of crash leftovers, private permissions.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "bridge/state/sqlite_store.hpp"
#include "bridge/state/store.hpp"

namespace fs = std::filesystem;
using namespace state;

namespace {

// A fresh directory under the system temp dir, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("bridge-state-test-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(rd()));
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void write_file(const fs::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

void exercise_interface(Store& s) {
    auto missing = s.load("GW-0001");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());
    CHECK(s.keys()->empty());

    REQUIRE(s.save("GW-0001", "a: 1\n").ok());
    REQUIRE(s.save("gw.b_2", std::string("bin\0ary", 7)).ok());
    auto got = s.load("GW-0001");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK(**got == "a: 1\n");
    CHECK(**s.load("gw.b_2") == std::string("bin\0ary", 7));
    CHECK(*s.keys() == std::vector<std::string>{"GW-0001", "gw.b_2"});

    REQUIRE(s.save("GW-0001", "a: 2\n").ok());  // overwrite
    CHECK(**s.load("GW-0001") == "a: 2\n");
    REQUIRE(s.save("GW-0001", "").ok());  // empty blob is a value, not absence
    REQUIRE(s.load("GW-0001")->has_value());
    CHECK((*s.load("GW-0001"))->empty());

    REQUIRE(s.remove("GW-0001").ok());
    CHECK_FALSE(s.load("GW-0001")->has_value());
    CHECK(s.remove("GW-0001").ok());  // idempotent
    CHECK(*s.keys() == std::vector<std::string>{"gw.b_2"});

    const std::initializer_list<std::string_view> bad_keys = {
        "", "../etc/passwd", "a/b", "..", ".", "a b", "key\n", "GW:1", "ü", std::string_view("a\0b", 3)};
    for (std::string_view bad : bad_keys) {
        auto st = s.save(bad, "x");
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().code == "state.bad_key");
        CHECK_FALSE(s.load(bad).ok());
        CHECK_FALSE(s.remove(bad).ok());
    }
    CHECK_FALSE(s.save(std::string(129, 'a'), "x").ok());
    CHECK(s.save(std::string(128, 'a'), "x").ok());
    CHECK(s.remove(std::string(128, 'a')).ok());
}

}  // namespace

TEST_CASE("state: key validation") {
    CHECK(validate_key("GW-0001").ok());
    CHECK(validate_key("a.b_c-D9").ok());
    CHECK(validate_key("...").ok());
    CHECK_FALSE(validate_key("..").ok());
    CHECK_FALSE(validate_key("a/b").ok());
    CHECK_FALSE(validate_key("a\\b").ok());
    CHECK(validate_key("../x").error().message.find("invalid state key") != std::string::npos);
}

TEST_CASE("state: MemoryStore") {
    MemoryStore s;
    exercise_interface(s);
}

TEST_CASE("state: FileStore through the interface") {
    TempDir tmp;
    auto s = FileStore::open(tmp.path / "nested" / "state");
    REQUIRE(s.ok());
    exercise_interface(**s);
}

TEST_CASE("state: SqliteStore through the interface") {
    TempDir tmp;
    fs::create_directories(tmp.path);
    auto s = SqliteStore::open(tmp.path / "state.db");
    REQUIRE(s.ok());
    exercise_interface(**s);
}

TEST_CASE("state: FileStore creates its directory privately and files as 0600") {
    TempDir tmp;
    const fs::path dir = tmp.path / "a" / "b";
    auto s = FileStore::open(dir);
    REQUIRE(s.ok());
    CHECK(fs::is_directory(dir));
    CHECK(mode_of(dir) == 0700);

    const mode_t old = ::umask(0);  // even a permissive umask must not widen the file
    auto st = (*s)->save("GW-0001", "secret: x\n");
    ::umask(old);
    REQUIRE(st.ok());
    CHECK(mode_of(dir / "GW-0001.yaml") == 0600);
    // Nothing but the file itself is left behind.
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);

    // The lazy constructor creates the directory on first save.
    FileStore lazy(tmp.path / "lazy");
    CHECK_FALSE(fs::exists(tmp.path / "lazy"));
    CHECK(lazy.keys()->empty());
    CHECK_FALSE(lazy.load("GW-0001")->has_value());
    REQUIRE(lazy.save("GW-0001", "x").ok());
    CHECK(mode_of(tmp.path / "lazy") == 0700);
}

TEST_CASE("state: FileStore refuses a path that is not a directory") {
    TempDir tmp;
    fs::create_directories(tmp.path);
    write_file(tmp.path / "file", "x");
    auto s = FileStore::open(tmp.path / "file");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "state.io");
    CHECK(s.error().message.find("Not a directory") != std::string::npos);

    FileStore lazy(tmp.path / "file");
    auto st = lazy.save("GW-0001", "x");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "state.io");
}

TEST_CASE("state: a crash mid-write never corrupts the previous content") {
    TempDir tmp;
    const fs::path dir = tmp.path / "s";
    {
        auto s = FileStore::open(dir);
        REQUIRE(s.ok());
        REQUIRE((*s)->save("GW-0001", "version: 1\ncomplete: true\n").ok());
    }
    // What a crash between open and rename leaves: a half-written temporary.
    const fs::path torn = dir / "GW-0001.yaml.tmp.0123456789abcdef";
    write_file(torn, "version: 2\ncompl");
    // Temporaries of other keys and look-alike names that are not temporaries.
    const fs::path other_torn = dir / "GW-0002.yaml.tmp.fedcba9876543210";
    write_file(other_torn, "partial");
    const fs::path lookalike = dir / "GW-0001.yaml.tmp.x.yaml";  // the file of key "GW-0001.yaml.tmp.x"
    write_file(lookalike, "real: true\n");

    FileStore s(dir);
    auto got = s.load("GW-0001");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK(**got == "version: 1\ncomplete: true\n");
    CHECK_FALSE(fs::exists(torn));  // cleaned up by the first load
    CHECK_FALSE(fs::exists(other_torn));
    CHECK(fs::exists(lookalike));
    CHECK(*s.keys() == std::vector<std::string>{"GW-0001", "GW-0001.yaml.tmp.x"});
    CHECK_FALSE(s.load("GW-0002")->has_value());

    // A temporary alone is not a value, and keys() does not list it.
    FileStore fresh(dir);
    write_file(dir / "GW-0004.yaml.tmp.1111111111111111", "partial");
    CHECK(*fresh.keys() == std::vector<std::string>{"GW-0001", "GW-0001.yaml.tmp.x"});
    CHECK_FALSE(fresh.load("GW-0004")->has_value());

    // open() sweeps every leftover at start-up.
    write_file(dir / "GW-0003.yaml.tmp.00000000000000aa", "x");
    REQUIRE(FileStore::open(dir).ok());
    CHECK_FALSE(fs::exists(dir / "GW-0003.yaml.tmp.00000000000000aa"));
    CHECK(fs::exists(lookalike));

    // And saving after the crash replaces the content whole.
    REQUIRE(s.save("GW-0001", "version: 3\n").ok());
    CHECK(**s.load("GW-0001") == "version: 3\n");
}

TEST_CASE("state: a failed save leaves no temporary and reports errno text") {
    TempDir tmp;
    const fs::path dir = tmp.path / "s";
    auto s = FileStore::open(dir);
    REQUIRE(s.ok());
    fs::create_directories(dir / "GW-0001.yaml");  // rename cannot replace a directory
    auto st = (*s)->save("GW-0001", "x");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "state.io");
    CHECK(st.error().message.find("rename") != std::string::npos);
    CHECK(st.error().message.find("Is a directory") != std::string::npos);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);
    auto ld = (*s)->load("GW-0001");
    REQUIRE_FALSE(ld.ok());
    CHECK(ld.error().code == "state.io");
    CHECK((*s)->keys()->empty());  // a directory is not a stored key
}

TEST_CASE("state: FileStore reports permission errors as values") {
    if (::geteuid() == 0) return;  // root ignores permission bits
    TempDir tmp;
    const fs::path dir = tmp.path / "ro";
    auto s = FileStore::open(dir);
    REQUIRE(s.ok());
    REQUIRE((*s)->save("GW-0001", "x").ok());
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    auto st = (*s)->save("GW-0001", "y");
    fs::permissions(dir, fs::perms::owner_all);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "state.io");
    CHECK(st.error().message.find("Permission denied") != std::string::npos);
    CHECK(**(*s)->load("GW-0001") == "x");
}

TEST_CASE("state: large blobs round trip") {
    TempDir tmp;
    FileStore s(tmp.path);
    std::string big(3 * 1024 * 1024 + 17, '\0');
    std::mt19937 rng(42);
    for (auto& c : big) c = static_cast<char>(rng());
    REQUIRE(s.save("big", big).ok());
    CHECK(**s.load("big") == big);
}

// A deterministic mutation driver for the fuzz targets, for compilers without
// libFuzzer (the smoke run in ctest). Usage:
//   fuzz_<target> [--runs N] [--seed S] [--max-len L] CORPUS_FILE_OR_DIR...
// Runs every corpus input, then N mutated ones. On a crash the input being
// run is in ./fuzz-crash-<pid>.bin (written from the signal handler).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

namespace {

const std::string* g_current = nullptr;
char g_crash_path[64];

extern "C" void on_fatal(int sig) {
    if (g_current) {
        int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t ignored = ::write(fd, g_current->data(), g_current->size());
            (void)ignored;
            ::close(fd);
        }
        const char msg[] = "fuzz: crash; input saved to ";
        ssize_t ignored = ::write(2, msg, sizeof msg - 1);
        ignored = ::write(2, g_crash_path, std::strlen(g_crash_path));
        ignored = ::write(2, "\n", 1);
        (void)ignored;
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Tokens that matter to XML, SOAP, CWMP, CMP, YAML and HTTP parsers.
const std::vector<std::string> kDictionary = {
    "<", ">", "</", "/>", "=\"", "\"", "'", "&amp;", "&lt;", "&#1;", "&#x10FFFF;", "&undefined;", "<![CDATA[", "]]>",
    "<!--", "-->", "<?xml version=\"1.0\"?>", "<!DOCTYPE x [<!ENTITY e \"e\">]>", "xmlns=\"", "xmlns:cwmp=\"",
    "urn:dslforum-org:cwmp-1-0", "urn:dslforum-org:cwmp-1-2", "urn:iso:std:iso-iec:29104:-1:cmp:1",
    "http://schemas.xmlsoap.org/soap/envelope/", "soap-enc:arrayType=\"cwmp:ParameterValueStruct[",
    "xsi:type=\"xsd:", "4294967296", "-1", "18446744073709551616", "0x", "true", "2", "\xC3", "\xEF\xBF\xBF",
    "\x00", "\n", ": ", "- ", "{", "}", "[", "]", "*", "&anchor ", "*anchor", "!!binary ", "include:", "{i}",
    "Digest ", "Basic ", "realm=", "nonce=", "uri=", "response=", "qop=", "nc=", "cnonce=", ", ", "; ",
    "Expires=", "Max-Age=", "Domain=", "Path=/", "==", "%00", "..", "InternetGatewayDevice.", "Device."};

class Mutator {
public:
    explicit Mutator(unsigned seed) : rng_(seed) {}
    std::size_t below(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

    void mutate(std::string& s, const std::vector<std::string>& corpus, std::size_t max_len) {
        int rounds = 1 + static_cast<int>(below(4));
        for (int r = 0; r < rounds; ++r) {
            switch (below(8)) {
                case 0:  // flip a bit
                    if (!s.empty()) s[below(s.size())] ^= static_cast<char>(1u << below(8));
                    break;
                case 1:  // random byte
                    if (!s.empty()) s[below(s.size())] = static_cast<char>(below(256));
                    break;
                case 2:  // insert a random byte
                    s.insert(s.begin() + static_cast<std::ptrdiff_t>(below(s.size() + 1)), static_cast<char>(below(256)));
                    break;
                case 3: {  // erase a range
                    if (s.empty()) break;
                    std::size_t at = below(s.size());
                    s.erase(at, 1 + below(std::min<std::size_t>(64, s.size() - at)));
                    break;
                }
                case 4: {  // duplicate a range (deep nesting, long lists)
                    if (s.empty()) break;
                    std::size_t at = below(s.size());
                    std::string piece = s.substr(at, 1 + below(std::min<std::size_t>(256, s.size() - at)));
                    std::size_t times = 1 + below(8);
                    for (std::size_t k = 0; k < times; ++k) s.insert(at, piece);
                    break;
                }
                case 5:  // insert a dictionary token
                case 6: {
                    const auto& tok = kDictionary[below(kDictionary.size())];
                    s.insert(below(s.size() + 1), tok);
                    break;
                }
                default: {  // splice with another input
                    const auto& other = corpus[below(corpus.size())];
                    if (other.empty()) break;
                    std::size_t from = below(other.size());
                    s = s.substr(0, below(s.size() + 1)) + other.substr(from, below(other.size() - from) + 1);
                    break;
                }
            }
        }
        if (s.size() > max_len) s.resize(max_len);
    }

private:
    std::mt19937 rng_;
};

void add_file(const std::filesystem::path& p, std::vector<std::string>& out) {
    std::ifstream in(p, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void run(const std::string& input) {
    g_current = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t runs = 1000, max_len = 1 << 20;
    unsigned seed = 1;
    std::vector<std::string> corpus;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* name) {
            if (i + 1 >= argc) {
                std::cerr << name << " needs a value\n";
                std::exit(2);
            }
            return std::string(argv[++i]);
        };
        if (a == "--runs") runs = std::stoul(value("--runs"));
        else if (a == "--seed") seed = static_cast<unsigned>(std::stoul(value("--seed")));
        else if (a == "--max-len") max_len = std::stoul(value("--max-len"));
        else if (std::filesystem::is_directory(a)) {
            std::vector<std::filesystem::path> files;
            for (auto& e : std::filesystem::recursive_directory_iterator(a))
                if (e.is_regular_file()) files.push_back(e.path());
            std::sort(files.begin(), files.end());  // same order, same run, whatever the file system
            for (auto& f : files) add_file(f, corpus);
        } else if (std::filesystem::is_regular_file(a)) {
            add_file(a, corpus);
        } else {
            std::cerr << "no such corpus file or folder: " << a << "\n";
            return 2;
        }
    }
    if (corpus.empty()) {
        std::cerr << "usage: " << argv[0] << " [--runs N] [--seed S] [--max-len L] CORPUS...\n";
        return 2;
    }
    std::snprintf(g_crash_path, sizeof g_crash_path, "fuzz-crash-%d.bin", static_cast<int>(::getpid()));
    for (int sig : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL}) std::signal(sig, on_fatal);

    for (auto& c : corpus) run(c);
    Mutator m(seed);
    std::string input;
    for (std::size_t i = 0; i < runs; ++i) {
        input = corpus[m.below(corpus.size())];
        m.mutate(input, corpus, max_len);
        run(input);
    }
    std::cout << "fuzz: " << corpus.size() << " corpus inputs and " << runs << " mutations (seed " << seed
              << "), no crash, every property held\n";
    return 0;
}

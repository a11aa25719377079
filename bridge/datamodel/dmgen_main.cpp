// dmgen: Broadband Forum data model XML -> the compact form under datamodels/.
//   dmgen all --manifest datamodels/models.list --bbf ../shared/bbf [--bbf DIR...] --out-dir datamodels [--check]
//   dmgen one --model InternetGatewayDevice:1.14 --out x.dm ../shared/bbf/tr-098-1-8-0-full.xml
//   dmgen models ../shared/bbf/tr-157-1-0-0-full.xml
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bridge/datamodel/bbf_reader.hpp"

namespace {

namespace fs = std::filesystem;
using datamodel::bbf::ManifestEntry;

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool write_if_changed(const fs::path& p, const std::string& text) {
    if (fs::exists(p) && read_all(p) == text) return false;
    // Write beside and rename, so a reader never sees half a file.
    fs::path tmp = p;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, p);
    return true;
}

// The first folder that holds the entry's source: ../shared/bbf first, then
// folders of further BBF releases (IGD:1.4 comes from the BBF's published
// tr-098-1-2-0-full.xml, which ../shared/bbf lacks; docs/datamodels.md).
std::string folder_for(const ManifestEntry& e, const std::vector<std::string>& bbf) {
    for (const auto& dir : bbf)
        if (fs::exists(fs::path(dir) / e.source)) return dir;
    return {};
}

int run_all(const std::string& manifest, const std::vector<std::string>& bbf, const std::string& out_dir,
            bool check) {
    auto entries = datamodel::bbf::read_manifest(manifest);
    if (!entries) {
        std::cerr << "dmgen: " << entries.error().message << "\n";
        return 2;
    }
    int stale = 0;
    for (const ManifestEntry& e : *entries) {
        std::string dir = folder_for(e, bbf);
        if (dir.empty()) {
            std::cerr << "dmgen: " << e.output << ": " << e.source << " is in none of the --bbf folders";
            for (const auto& d : bbf) std::cerr << " " << d;
            std::cerr << " (docs/datamodels.md says where each source comes from)\n";
            return 2;
        }
        auto text = datamodel::bbf::generate(e, dir);
        if (!text) {
            std::cerr << "dmgen: " << e.output << ": " << text.error().message << "\n";
            return 2;
        }
        fs::path target = fs::path(out_dir) / e.output;
        if (check) {
            if (!fs::exists(target) || read_all(target) != *text) {
                std::cerr << "dmgen: " << target.string() << " is not current\n";
                ++stale;
            }
            continue;
        }
        std::cout << (write_if_changed(target, *text) ? "wrote     " : "unchanged ") << target.string() << "\n";
    }
    return stale ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dmgen: derive the compact data models of datamodels/ from Broadband Forum XML"};
    app.require_subcommand(1);

    std::string manifest = "datamodels/models.list", out_dir = "datamodels";
    std::vector<std::string> bbf{"../shared/bbf"};
    bool check = false;
    auto* all = app.add_subcommand("all", "generate every model listed in the manifest");
    all->add_option("--manifest", manifest, "list of models to generate")->capture_default_str();
    all->add_option("--bbf", bbf, "folders of BBF XML files, searched in order (repeatable)")->capture_default_str();
    all->add_option("--out-dir", out_dir, "where the .dm files go")->capture_default_str();
    all->add_flag("--check", check, "write nothing; exit 1 when a file differs from what would be generated");

    ManifestEntry one_entry;
    std::string source, out_file;
    auto* one = app.add_subcommand("one", "generate one model");
    one->add_option("--model", one_entry.model, "model name, e.g. InternetGatewayDevice:1.14")->required();
    one->add_option("--version", one_entry.version, "cut the model down to this version (needs version attributes)");
    one->add_option("--types", one_entry.types, "files with further named data types (tr-106-types.xml)");
    one->add_option("--out", out_file, "output file; - for stdout")->default_str("-");
    one->add_option("source", source, "BBF -full.xml file")->required()->check(CLI::ExistingFile);

    std::string list_source;
    auto* models = app.add_subcommand("models", "list the models a BBF XML file defines");
    models->add_option("source", list_source, "BBF XML file")->required()->check(CLI::ExistingFile);

    CLI11_PARSE(app, argc, argv);
    try {
        if (*all) return run_all(manifest, bbf, out_dir, check);
        if (*one) {
            fs::path src(source);
            one_entry.source = src.filename().string();
            auto text = datamodel::bbf::generate(one_entry, src.parent_path().string());
            if (!text) {
                std::cerr << "dmgen: " << text.error().message << "\n";
                return 2;
            }
            if (out_file.empty() || out_file == "-") std::cout << *text;
            else write_if_changed(out_file, *text);
            return 0;
        }
        auto names = datamodel::bbf::list_models(list_source);
        if (!names) {
            std::cerr << "dmgen: " << names.error().message << "\n";
            return 2;
        }
        for (const auto& n : *names) std::cout << n << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "dmgen: " << e.what() << "\n";
        return 2;
    }
}

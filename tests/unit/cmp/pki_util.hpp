#pragma once
// A throw-away PKI made at test time with the openssl command line, so TLS
// tests never depend on checked-in keys or on certificates that expire:
// a CA, a server certificate for 127.0.0.1 (IP SAN) and a client certificate,
// both signed by that CA.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace pki {

inline std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) throw std::runtime_error("cannot run: " + cmd);
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) throw std::runtime_error("failed: " + cmd + "\n" + out);
    return out;
}

inline std::filesystem::path temp_dir(const std::string& tag) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (tag + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

struct Pki {
    std::filesystem::path dir;
    std::string name;
    std::string file(const std::string& what) const { return (dir / (name + "-" + what)).string(); }
    std::string ca() const { return file("ca.pem"); }
    std::string server_cert() const { return file("server.pem"); }
    std::string server_key() const { return file("server.key"); }
    std::string client_cert() const { return file("client.pem"); }
    std::string client_key() const { return file("client.key"); }
};

// Writes <dir>/<name>-{ca,server,client}.{pem,key}.
inline Pki make(const std::filesystem::path& dir, const std::string& name) {
    Pki p{dir, name};
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::ofstream(p.file("server.cnf")) << "subjectAltName=IP:127.0.0.1\n";
    std::ofstream(p.file("client.cnf")) << "basicConstraints=CA:FALSE\n";
    run("openssl req -x509" + ec + " -keyout " + p.file("ca.key") + " -out " + p.ca() + " -days 2 -subj /CN=" + name +
        "-test-ca");
    for (const std::string role : {"server", "client"}) {
        const std::string cn = role == "server" ? "127.0.0.1" : "homs-bridge";
        run("openssl req" + ec + " -keyout " + p.file(role + ".key") + " -out " + p.file(role + ".csr") +
            " -subj /CN=" + cn);
        run("openssl x509 -req -in " + p.file(role + ".csr") + " -CA " + p.ca() + " -CAkey " + p.file("ca.key") +
            " -CAcreateserial -out " + p.file(role + ".pem") + " -days 2 -extfile " + p.file(role + ".cnf"));
    }
    return p;
}

}  // namespace pki

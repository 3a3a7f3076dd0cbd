// SPDX-License-Identifier: LGPL-2.1-or-later
// Runs a fuzz target over files without libFuzzer: every file named, and every file under every
// folder named, is given once to LLVMFuzzerTestOneInput. The test suite runs each target over its
// corpus this way in the ordinary sanitizer build, so the targets and the regression inputs are
// exercised without clang.

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <unistd.h>
#include <vector>

#include "fuzz_support.h"

// Targets that need no set-up leave it out.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

// The input being run, named when it makes the target abort.
const char* g_current = nullptr;

void onAbort(int sig)
{
    if (g_current != nullptr) {
        const char prefix[] = "\nfailing input: ";
        (void)!write(2, prefix, sizeof prefix - 1);
        (void)!write(2, g_current, std::strlen(g_current));
        (void)!write(2, "\n", 1);
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

} // namespace

int main(int argc, char** argv)
{
    if (LLVMFuzzerInitialize != nullptr) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
                if (entry.is_regular_file()) {
                    files.push_back(entry.path());
                }
            }
        } else {
            files.push_back(arg);
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::cerr << "usage: " << argv[0] << " FILE|FOLDER...: no input found\n";
        return 2;
    }
    std::signal(SIGABRT, onAbort);
    for (const auto& file : files) {
        g_current = file.c_str();
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::cerr << "cannot read " << file << "\n";
            return 2;
        }
        std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "ran " << files.size() << " inputs\n";
    return 0;
}

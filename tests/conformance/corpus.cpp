// SPDX-License-Identifier: LGPL-2.1-or-later
#include "corpus.h"

#include <cstdlib>
#include <string_view>

#include <catch2/catch.hpp>

#include "util/file.h"
#include "util/xml.h"

namespace fs = std::filesystem;

namespace dvs::test {

std::optional<fs::path> corpusDir()
{
    for (const char* var : {"DVS_LIBVIRT_CORPUS", "DVS_LIBVIRT_CORPUS_DEFAULT"}) {
        const char* value = std::getenv(var);
        if (value != nullptr && *value != '\0') {
            fs::path dir(value);
            if (fs::is_directory(dir)) {
                return dir;
            }
            if (std::string_view(var) == "DVS_LIBVIRT_CORPUS") {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

std::string readCorpusFile(const fs::path& path)
{
    fs::path current = path;
    for (int hops = 0; hops < 8; ++hops) {
        std::string text = dvs::util::readFile(current, dvs::util::kXmlMaxSize);
        std::string trimmed = text;
        while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) {
            trimmed.pop_back();
        }
        if (trimmed.empty() || trimmed.front() == '<' || trimmed.find('\n') != std::string::npos) {
            return text;
        }
        fs::path target = current.parent_path() / trimmed;
        if (!fs::is_regular_file(target)) {
            return text;
        }
        current = target;
    }
    FAIL("too many levels of links from " << path);
    return {};
}

} // namespace dvs::test

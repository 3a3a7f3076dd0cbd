// SPDX-License-Identifier: LGPL-2.1-or-later
// Conformance: libvirt's own <networkport> round-trip data must come out byte for byte. Skipped
// when the corpus is not there.
#include <algorithm>
#include <cstdlib>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_port.h"
#include "test_support.h"
#include "util/file.h"

using namespace dvs::conf;
namespace fs = std::filesystem;

TEST_CASE("networkport: libvirt's corpus round-trips byte for byte")
{
    const char* fromEnv = std::getenv("DVS_LIBVIRT_CORPUS");
    const char* fallback = std::getenv("DVS_LIBVIRT_CORPUS_DEFAULT");
    fs::path corpus = fromEnv != nullptr && *fromEnv != '\0'
                          ? fs::path(fromEnv)
                          : fs::path(fallback != nullptr ? fallback : "");
    auto dir = corpus / "virnetworkportxml2xmldata";
    if (corpus.empty() || !fs::is_directory(dir)) {
        dvs::test::skip("libvirt corpus not found at '" + dir.string() +
                        "' (set DVS_LIBVIRT_CORPUS)");
        return;
    }
    auto files = dvs::test::xmlFiles(dir);
    REQUIRE_FALSE(files.empty());
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto text = dvs::util::readFile(file);
            auto port = NetworkPort::parseString(text, NetworkPortParseFlags::Validate);
            CHECK(port.format() == text);
        }
    }
}

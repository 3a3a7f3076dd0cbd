// SPDX-License-Identifier: LGPL-2.1-or-later
// Conformance of our grammars: every network and port document of libvirt's own test corpus
// validates against them. Skipped when the corpus is not there.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "conf/schema.h"
#include "schema_files.h"
#include "test_support.h"
#include "util/error.h"

namespace fs = std::filesystem;

TEST_CASE("schema: libvirt's corpus validates against our grammars")
{
    const char* fromEnv = std::getenv("DVS_LIBVIRT_CORPUS");
    const char* fallback = std::getenv("DVS_LIBVIRT_CORPUS_DEFAULT");
    fs::path corpus = fromEnv != nullptr && *fromEnv != '\0'
                          ? fs::path(fromEnv)
                          : fs::path(fallback != nullptr ? fallback : "");
    if (corpus.empty() || !fs::is_directory(corpus / "networkxml2xmlin")) {
        dvs::test::skip("libvirt corpus not found at '" + corpus.string() +
                        "' (set DVS_LIBVIRT_CORPUS)");
        return;
    }
    std::size_t validated = 0;
    for (const char* dir :
         {"networkxml2xmlin", "networkxml2xmlout", "networkxml2xmlupdateout", "networkxml2confdata",
          "networkxml2firewalldata", "virnetworkportxml2xmldata"}) {
        for (const auto& file : dvs::test::validXmlFilesBelow(corpus / dir)) {
            INFO(std::string(dir) + "/" + file.filename().string());
            std::string problem;
            try {
                auto doc = dvs::util::XmlDocument::parse(dvs::test::readXmlFollowingLinks(file),
                                                         "(corpus)");
                auto schema = dvs::test::schemaForRoot(doc.root());
                REQUIRE(schema);
                dvs::conf::validateSchema(doc, *schema);
                ++validated;
            } catch (const dvs::Error& e) {
                problem = e.fullMessage();
            }
            CHECK(problem == "");
        }
    }
    CHECK(validated >= 100);
}

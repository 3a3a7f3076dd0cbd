// SPDX-License-Identifier: LGPL-2.1-or-later
// Our RelaxNG grammars: every document under tests/data/ and examples/ whose root we have a
// grammar for validates, and documents that are wrong in shape are refused.
#include <catch2/catch.hpp>

#include "conf/schema.h"
#include "schema_files.h"
#include "test_support.h"
#include "util/error.h"

namespace fs = std::filesystem;
using dvs::Error;
using dvs::util::XmlDocument;

namespace {

// Validates text against the grammar of its root; returns false when there is none.
bool validate(const std::string& text)
{
    auto doc = XmlDocument::parse(text, "(test)");
    auto schema = dvs::test::schemaForRoot(doc.root());
    if (!schema) {
        return false;
    }
    dvs::conf::validateSchema(doc, *schema);
    return true;
}

bool refused(const std::string& text)
{
    try {
        validate(text);
    } catch (const Error& e) {
        return e.code() == dvs::ErrorCode::XmlInvalidSchema;
    }
    return false;
}

const std::string kUuid = "<uuid>5d744f21-ba4a-4d6e-bdb2-30a35ff3207d</uuid>";
const std::string kOwner =
    "<owner><name>vm</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>";
const std::string kMac = "<mac address='52:54:00:aa:bb:cc'/>";
const std::string kDvs = "xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'";

} // namespace

TEST_CASE("schema: every test document and example validates")
{
    std::size_t validated = 0;
    for (const auto& top : {fs::path("tests") / "data", fs::path("examples")}) {
        for (const auto& file : dvs::test::validXmlFilesBelow(dvs::test::sourceRoot() / top)) {
            INFO(fs::relative(file, dvs::test::sourceRoot()).string());
            std::string problem;
            try {
                if (validate(dvs::test::readXmlFollowingLinks(file))) {
                    ++validated;
                }
            } catch (const Error& e) {
                problem = e.fullMessage();
            }
            CHECK(problem == "");
        }
    }
    // The port, dvs and example data alone are more than this.
    CHECK(validated >= 15);
}

TEST_CASE("schema: wrong documents are refused")
{
    // A port without a mac, with an unknown plug type, with a vlan tag out of range.
    CHECK(refused("<networkport>" + kUuid + kOwner + "</networkport>"));
    CHECK(refused("<networkport>" + kUuid + kOwner + kMac +
                  "<plug type='ethernet' dev='x'/></networkport>"));
    CHECK(refused("<networkport>" + kUuid + kOwner + kMac +
                  "<vlan><tag id='4096'/></vlan></networkport>"));
    CHECK(refused("<networkport>" + kUuid + kOwner + kMac +
                  "<virtualport type='802.1Qbh'><parameters interfaceid='" +
                  "5d744f21-ba4a-4d6e-bdb2-30a35ff3207d'/></virtualport></networkport>"));
    // A network without a name, with an unknown forward mode, with a bad dvs: extension.
    CHECK(refused("<network><bridge name='br0'/></network>"));
    CHECK(refused("<network><name>n</name><forward mode='tunnel'/></network>"));
    CHECK(refused("<network><name>n</name><metadata><dvs:network " + kDvs +
                  " role='web'/></metadata></network>"));
    CHECK(refused("<network><name>n</name><metadata><dvs:network " + kDvs +
                  "><dvs:uplink type='ovs-bond' name='b'/></dvs:network></metadata></network>"));
    CHECK(refused("<network><name>n</name><metadata><dvs:unknown " + kDvs +
                  "/></metadata></network>"));
    // Status without its network.
    CHECK(refused("<networkstatus><floor sum='0'/></networkstatus>"));

    // And their close relatives are accepted, so the refusals above are about the defect.
    CHECK(validate("<networkport>" + kUuid + kOwner + kMac + "</networkport>"));
    CHECK(validate("<network><name>n</name><forward mode='nat'/></network>"));
    CHECK(validate("<network><name>n</name><metadata><dvs:network " + kDvs +
                   " role='vm'/><other xmlns='urn:x' a='1'>t<z/></other></metadata></network>"));
    CHECK(validate("<networkstatus><floor sum='0'/><network><name>n</name></network>"
                   "</networkstatus>"));
}

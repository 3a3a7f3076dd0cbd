// SPDX-License-Identifier: LGPL-2.1-or-later
#include <catch2/catch.hpp>

#include "test_support.h"
#include "util/error.h"
#include "util/file.h"
#include "util/xml.h"

using namespace dvs::util;
using dvs::Error;
using dvs::ErrorCode;

namespace {

ErrorCode parseErrorCode(std::string_view text)
{
    try {
        XmlDocument::parse(text, "(test)");
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

} // namespace

TEST_CASE("xml nodes expose attributes, children and text")
{
    auto doc = XmlDocument::parse("<network a='1'><name>web</name><x:y xmlns:x='urn:x'/>"
                                  "<ip/><ip family='ipv6'/></network>",
                                  "(test)", "network");
    auto root = doc.root();
    CHECK(root.name() == "network");
    CHECK(root.attr("a") == "1");
    CHECK_FALSE(root.attr("b"));
    CHECK(root.child("name")->text() == "web");
    CHECK(root.children("ip").size() == 2);
    CHECK(root.countChildren("ip") == 2);
    CHECK(root.children().size() == 4);
    CHECK_FALSE(root.child("y"));
    CHECK(root.childNs("y", "urn:x"));
}

TEST_CASE("bad xml is refused with libvirt's codes")
{
    CHECK(parseErrorCode("<network><name>x</name>") == ErrorCode::XmlDetail);
    CHECK(parseErrorCode("<network></nope>") == ErrorCode::XmlDetail);
    CHECK(parseErrorCode("") == ErrorCode::XmlDetail);
    CHECK(parseErrorCode(std::string(kXmlMaxSize + 1, ' ')) == ErrorCode::XmlError);
    CHECK_THROWS_MATCHES(
        XmlDocument::parse("<domain/>", "(t)", "network"), Error,
        Catch::Matchers::Message("XML error: expecting root element of 'network', not 'domain'"));
}

TEST_CASE("external entities are never read")
{
    dvs::test::TempDir dir;
    auto secret = dir.path() / "secret";
    writeFileAtomic(secret, "TOPSECRET");
    std::string xxe = "<?xml version='1.0'?><!DOCTYPE network [<!ENTITY e SYSTEM 'file://" +
                      secret.string() + "'>]><network><name>&e;</name></network>";
    CHECK_THROWS_AS(XmlDocument::parse(xxe, "(t)"), Error);
    std::string laughs = "<?xml version='1.0'?><!DOCTYPE n [<!ENTITY a 'aaaaaaaaaa'>"
                         "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><n>&b;</n>";
    CHECK_THROWS_AS(XmlDocument::parse(laughs, "(t)"), Error);
}

TEST_CASE("the writer lays out xml as libvirt does")
{
    XmlWriter w;
    w.start("network");
    w.attr("connections", 2);
    w.element("name", "a<b>&'\"");
    w.start("forward");
    w.attr("mode", "bridge");
    w.end();
    w.start("ip");
    w.forceOpen();
    w.end();
    w.start("metadata");
    w.raw("<a:x xmlns:a=\"urn:a\">\n  <a:y/>\n</a:x>");
    w.end();
    w.end();
    CHECK(w.str() == "<network connections='2'>\n"
                     "  <name>a&lt;b&gt;&amp;&apos;&quot;</name>\n"
                     "  <forward mode='bridge'/>\n"
                     "  <ip>\n"
                     "  </ip>\n"
                     "  <metadata>\n"
                     "    <a:x xmlns:a=\"urn:a\">\n"
                     "      <a:y/>\n"
                     "    </a:x>\n"
                     "  </metadata>\n"
                     "</network>\n");
}

TEST_CASE("relaxng validation reports the first complaint")
{
    dvs::test::TempDir dir;
    auto rng = dir.path() / "t.rng";
    writeFileAtomic(rng, "<element name='a' xmlns='http://relaxng.org/ns/structure/1.0'>"
                         "<attribute name='b'><text/></attribute></element>");
    XmlDocument::parse("<a b='1'/>").validateRelaxNg(rng);
    CHECK_THROWS_MATCHES(XmlDocument::parse("<a/>").validateRelaxNg(rng), Error,
                         Catch::Matchers::Predicate<Error>([](const Error& e) {
                             return e.code() == ErrorCode::XmlInvalidSchema;
                         }));
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// What dvsd publishes into libvirtd in hook mode, and how it and the hook recognise it.
#include <catch2/catch.hpp>

#include "conf/published_network.h"
#include "util/error.h"
#include "util/xml.h"

using namespace dvs::conf;

namespace {

constexpr const char* kOvsNetwork = R"(<network>
  <name>web</name>
  <uuid>0e3e2c2a-5f0b-4e0c-9d2e-4a4c1f6f5a10</uuid>
  <metadata>
    <dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0' role='vm'/>
  </metadata>
  <forward mode='bridge'/>
  <bridge name='dvsbr0'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'>
    <vlan>
      <tag id='10'/>
    </vlan>
  </portgroup>
</network>
)";

} // namespace

TEST_CASE("an OVS network is published with its parts and the marker")
{
    auto published = makePublishedNetwork(kOvsNetwork, true);
    CHECK(published.name == "web");
    CHECK(published.active);
    auto doc = dvs::util::XmlDocument::parse(published.xml, "(test)", "network");
    auto root = doc.root();
    CHECK(root.child("uuid")->text() == "0e3e2c2a-5f0b-4e0c-9d2e-4a4c1f6f5a10");
    CHECK(root.child("bridge")->attr("name") == "dvsbr0");
    CHECK(root.child("virtualport")->attr("type") == "openvswitch");
    CHECK(root.child("portgroup")->child("vlan")->child("tag")->attr("id") == "10");
    // The dvs: extension stays beside the marker.
    CHECK(root.child("metadata")->childNs("network", "https://libvirt-dvs.org/xmlns/network/1.0"));
    CHECK(publishedDigest(root) == published.digest);
    CHECK(published.digest.size() == 16);
}

TEST_CASE("the digest follows the definition")
{
    auto a = makePublishedNetwork(kOvsNetwork, true);
    auto b = makePublishedNetwork(kOvsNetwork, false);
    CHECK(a.digest == b.digest);
    std::string changed = kOvsNetwork;
    changed.replace(changed.find("'10'"), 4, "'30'");
    CHECK(makePublishedNetwork(changed, true).digest != a.digest);
}

TEST_CASE("libvirt's virtual networks are not published")
{
    for (const char* xml : {"<network><name>n</name></network>",
                            "<network><name>n</name><forward mode='nat'/></network>",
                            "<network><name>n</name><forward/></network>"}) {
        try {
            makePublishedNetwork(xml, true);
            FAIL("published: " << xml);
        } catch (const dvs::Error& e) {
            CHECK(e.code() == dvs::ErrorCode::ConfigUnsupported);
            CHECK_THAT(e.message(), Catch::Contains("network 'n'"));
        }
    }
    CHECK(isPublishable("passthrough"));
    CHECK_FALSE(isPublishable("route"));
}

TEST_CASE("a direct pool is published as it is")
{
    auto published =
        makePublishedNetwork("<network><name>mv</name><forward mode='vepa'><interface dev='eth1'/>"
                             "<interface dev='eth2'/></forward></network>",
                             false);
    auto doc = dvs::util::XmlDocument::parse(published.xml, "(test)", "network");
    CHECK(doc.root().child("forward")->children("interface").size() == 2);
}

TEST_CASE("the hook recognises dvsd's networks from the hook data alone")
{
    auto published = makePublishedNetwork(kOvsNetwork, true);
    CHECK(hookDataIsPublished("<hookData>" + published.xml + "<networkport/></hookData>"));
    CHECK_FALSE(hookDataIsPublished(std::string("<hookData>") + kOvsNetwork + "</hookData>"));
    CHECK_FALSE(hookDataIsPublished("<hookData><network><name>x</name></network></hookData>"));
    CHECK_FALSE(hookDataIsPublished("not xml"));
    CHECK_FALSE(hookDataIsPublished(""));
}

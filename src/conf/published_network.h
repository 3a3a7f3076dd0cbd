// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/xml.h"

namespace dvs::conf {

// The namespace of the marker dvsd puts into the <metadata> of every network it publishes into
// libvirtd (hook mode): <dvs-hook:published digest='...'/>. libvirt keeps foreign metadata
// verbatim, so the marker tells dvsd, and hooks/network, which of libvirtd's networks are dvsd's.
inline constexpr std::string_view kPublishedNamespace = "https://libvirt-dvs.org/xmlns/hook/1.0";

// A network as dvsd publishes it into libvirtd.
struct PublishedNetwork
{
    std::string name;
    std::string xml;    // the libvirt network definition, marker included
    std::string digest; // of the definition without the marker: what the marker carries
    bool active = false;
    bool autostart = false; // mirrored, so that libvirtd starts it at boot before its guests

    bool operator==(const PublishedNetwork&) const = default;
};

// Whether dvsd can publish a network of this forward mode: bridge (an OVS or host bridge, or a
// macvtap pool), private, vepa, passthrough and hostdev. libvirt's virtual networks (none, nat,
// route, open) are not: libvirtd would start them itself.
bool isPublishable(std::string_view forwardMode);

// Turns dvsd's persistent definition of a network (its inactive XML) into the plain libvirt
// network libvirtd gets: the same name, UUID, forward mode, bridge, virtualport, VLAN, bandwidth
// and portgroups, and the marker in <metadata>. Throws Error(ConfigUnsupported) for a forward
// mode isPublishable() refuses, Error(XmlDetail) for XML that does not parse.
PublishedNetwork makePublishedNetwork(std::string_view dvsdXml, bool active,
                                      bool autostart = false);

// The digest in the marker of a libvirt <network> element; nullopt when dvsd did not publish it.
std::optional<std::string> publishedDigest(const util::XmlNode& network);

// Whether the network in a libvirt network hook's stdin (<hookData><network>...) is one dvsd
// published. False for text that does not parse.
bool hookDataIsPublished(std::string_view hookData) noexcept;

} // namespace dvs::conf

// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/published_network.h"

#include <array>
#include <cstdint>

#include <fmt/format.h>

#include "util/error.h"

namespace dvs::conf {

namespace {

constexpr std::array<std::string_view, 5> kPublishableModes = {
    "bridge", "private", "vepa", "passthrough", "hostdev",
};

// FNV-1a, 64 bits: stable across builds and hosts, which is all the digest needs.
std::string digestOf(std::string_view text)
{
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", hash);
}

// The definition with the marker (digest set) or without it.
std::string writeDefinition(const util::XmlNode& root, const std::string* digest)
{
    util::XmlWriter writer;
    writer.start("network");
    for (const auto& name : root.attrNames()) {
        // connections= belongs to live XML; the inactive XML has none, but be sure.
        if (name != "connections") {
            writer.attr(name, *root.attr(name.c_str()));
        }
    }
    std::optional<util::XmlNode> metadata;
    for (const auto& child : root.children()) {
        if (child.name() == "metadata" && child.namespaceUri().empty()) {
            metadata = child;
        }
    }
    bool wroteMetadata = false;
    auto writeMetadata = [&] {
        writer.start("metadata");
        if (digest != nullptr) {
            writer.raw(fmt::format("<dvs-hook:published xmlns:dvs-hook='{}' digest='{}'/>",
                                   kPublishedNamespace, *digest));
        }
        if (metadata) {
            for (const auto& child : metadata->children()) {
                writer.raw(child.dump());
            }
        }
        writer.end();
        wroteMetadata = true;
    };
    for (const auto& child : root.children()) {
        if (child.name() == "metadata" && child.namespaceUri().empty()) {
            continue;
        }
        writer.raw(child.dump());
        if (!wroteMetadata && child.name() == "uuid") {
            writeMetadata();
        }
    }
    if (!wroteMetadata) {
        writeMetadata();
    }
    writer.end();
    return std::move(writer).take();
}

} // namespace

bool isPublishable(std::string_view forwardMode)
{
    for (auto mode : kPublishableModes) {
        if (mode == forwardMode) {
            return true;
        }
    }
    return false;
}

PublishedNetwork makePublishedNetwork(std::string_view dvsdXml, bool active, bool autostart)
{
    auto doc = util::XmlDocument::parse(dvsdXml, "(network_definition)", "network");
    auto root = doc.root();
    auto nameNode = root.child("name");
    PublishedNetwork out;
    out.name = nameNode ? nameNode->text() : "";
    auto forward = root.child("forward");
    std::string mode = forward ? forward->attr("mode").value_or("nat") : "none";
    if (!isPublishable(mode)) {
        raise(ErrorCode::ConfigUnsupported,
              "network '{}' with forward mode '{}' cannot be published into libvirtd: only "
              "bridge, private, vepa, passthrough and hostdev networks can",
              out.name, mode);
    }
    out.digest = digestOf(writeDefinition(root, nullptr));
    out.xml = writeDefinition(root, &out.digest);
    out.active = active;
    out.autostart = autostart;
    return out;
}

std::optional<std::string> publishedDigest(const util::XmlNode& network)
{
    auto metadata = network.child("metadata");
    if (!metadata) {
        return std::nullopt;
    }
    auto marker = metadata->childNs("published", kPublishedNamespace);
    if (!marker) {
        return std::nullopt;
    }
    return marker->attr("digest").value_or("");
}

bool hookDataIsPublished(std::string_view hookData) noexcept
{
    try {
        auto doc = util::XmlDocument::parse(hookData, "(hook_data)", "hookData");
        auto network = doc.root().child("network");
        return network && publishedDigest(*network).has_value();
    } catch (...) {
        return false;
    }
}

} // namespace dvs::conf

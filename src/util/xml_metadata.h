// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xml.h"

namespace dvs::util {

// libvirt keeps a <metadata> element as a deep copy of the parsed node: namespace declarations
// made on ancestors move onto the copy (xmlCopyNode), then every child without a namespace, and
// every child repeating the namespace of an earlier one, is dropped
// (virXMLNodeSanitizeNamespaces). This does the same and returns the copy serialized as a
// standalone document, or nullopt when the element has no element child (libvirt then keeps
// nothing).
std::optional<std::string> copyMetadata(const XmlNode& metadata);

// virXMLFormatMetadata: the stored copy dumped by libxml2 at indentation level (the first line
// is not indented, no trailing newline). When replaceNs is not empty, the child element in that
// namespace is first replaced by the element parsed from replacement, its indentation dropped
// so that it is indented like the rest (appended when there is none), or removed when
// replacement is nullopt. Throws Error(InternalError) when stored or
// replacement is not a well-formed element.
std::string dumpMetadata(std::string_view stored, int level, std::string_view replaceNs = {},
                         const std::optional<std::string>& replacement = std::nullopt);

// Whether the stored copy has a child element in namespace nsUri.
bool metadataHasNamespace(std::string_view stored, std::string_view nsUri);

} // namespace dvs::util

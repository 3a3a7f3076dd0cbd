// SPDX-License-Identifier: LGPL-2.1-or-later
// Helpers of the schema tests: which grammar a document belongs to, and libvirt's test-data
// links (files that hold only a relative path to another file).
#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "conf/dvs_extension.h"
#include "util/file.h"
#include "util/xml.h"

namespace dvs::test {

// The grammar file for a document's root element, nullopt when we have none for it.
inline std::optional<std::string> schemaForRoot(const util::XmlNode& root)
{
    if (root.namespaceUri() == conf::kDvsNamespace && root.name() == "network") {
        return "dvs.rng";
    }
    if (!root.namespaceUri().empty()) {
        return std::nullopt;
    }
    if (root.name() == "network" || root.name() == "networkport" ||
        root.name() == "networkstatus" || root.name() == "snapshot") {
        return std::string(root.name()) + ".rng";
    }
    return std::nullopt;
}

// Reads an XML file; a file whose whole content is a relative path (how libvirt's test data
// stores symbolic links) is followed, also when it leads to another link.
inline std::string readXmlFollowingLinks(std::filesystem::path file)
{
    // Links may point at links; a few hops are plenty.
    for (int hop = 0; hop < 8; ++hop) {
        auto text = util::readFile(file);
        auto first = text.find_first_not_of(" \t\r\n");
        if (first == std::string::npos || text[first] == '<') {
            return text;
        }
        auto target = text.substr(first);
        target.erase(target.find_last_not_of(" \t\r\n") + 1);
        file = file.parent_path() / target;
    }
    return util::readFile(file);
}

// Every *.xml below dir, sorted, skipping folders of documents that are wrong on purpose
// (names containing "error", "invalid" or "fail") and parser inputs (folders named "in"): like
// libvirt's, our parsers accept more than the grammar (e.g. "YES" for yes), and what must
// validate is what we print, in the matching "out" folder.
inline std::vector<std::filesystem::path> validXmlFilesBelow(const std::filesystem::path& dir)
{
    std::vector<std::filesystem::path> files;
    if (!std::filesystem::is_directory(dir)) {
        return files;
    }
    for (auto it = std::filesystem::recursive_directory_iterator(dir);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
        auto name = it->path().filename().string();
        if (it->is_directory() &&
            (name == "in" || name.find("error") != std::string::npos ||
             name.find("invalid") != std::string::npos || name.find("fail") != std::string::npos)) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file() && it->path().extension() == ".xml") {
            files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace dvs::test

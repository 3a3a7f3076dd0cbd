// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string_view>

namespace dvs::util {
class XmlDocument;
}

namespace dvs::conf {

// Where the RelaxNG schema file (e.g. "network.rng") is read from: the folder named by the
// environment variable DVS_SCHEMA_DIR when it is set and not empty, else the installed schema
// folder when it exists, else the source tree's xml-schemas/. Does no other I/O and never throws.
std::filesystem::path schemaPath(std::string_view file);

// Validates doc against the schema file found by schemaPath(file). Throws
// Error(XmlInvalidSchema) with libxml2's first complaint when the document does not match, and
// Error(InternalError) when the schema cannot be loaded.
void validateSchema(const util::XmlDocument& doc, std::string_view file);

} // namespace dvs::conf

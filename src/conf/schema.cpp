// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/schema.h"

#include <cstdlib>
#include <system_error>

#include "dvs_config.h"
#include "util/xml.h"

namespace dvs::conf {

std::filesystem::path schemaPath(std::string_view file)
{
    const char* fromEnv = std::getenv("DVS_SCHEMA_DIR");
    if (fromEnv != nullptr && *fromEnv != '\0') {
        return std::filesystem::path(fromEnv) / file;
    }
    std::error_code ec;
    std::filesystem::path installed(DVS_SCHEMA_DIR);
    if (std::filesystem::is_directory(installed, ec)) {
        return installed / file;
    }
    return std::filesystem::path(DVS_SOURCE_SCHEMA_DIR) / file;
}

void validateSchema(const util::XmlDocument& doc, std::string_view file)
{
    doc.validateRelaxNg(schemaPath(file));
}

} // namespace dvs::conf

// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver_fixture.h"

#include "util/file.h"

namespace dvs::test {

void DriverFixture::writeHook(const std::string& relative, const std::string& body)
{
    auto path = paths().hookDir / relative;
    std::filesystem::create_directories(path.parent_path());
    util::writeFileAtomic(path, "#!/bin/sh\n" + body, 0755);
    drv->reloadHooks();
}

std::string portXml(const std::string& uuid, const std::string& group, const std::string& extra,
                    const std::string& mac)
{
    std::string xml = "<networkport><uuid>" + uuid +
                      "</uuid><owner><name>vm1</name>"
                      "<uuid>b1681f2a-d3a6-4a2a-8f59-4e6a6b0e3c11</uuid></owner>";
    if (!group.empty()) {
        xml += "<group>" + group + "</group>";
    }
    xml += "<mac address='" + mac + "'/>" + extra + "</networkport>";
    return xml;
}

} // namespace dvs::test

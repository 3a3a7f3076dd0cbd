// SPDX-License-Identifier: LGPL-2.1-or-later
#include "virtnet/dnsmasq_files.h"

#include <algorithm>
#include <system_error>

#include "util/error.h"
#include "util/file.h"

namespace dvs::virtnet {

namespace {

void makeDir(const std::filesystem::path& dir)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        raise(ErrorCode::WriteFailed, "cannot create config directory '{}': {}", dir.string(),
              ec.message());
    }
}

bool servesDhcp(const conf::NetworkDef& def)
{
    return std::any_of(def.ips.begin(), def.ips.end(),
                       [](const conf::NetworkIp& ip) { return ip.hasDhcp(); });
}

// Writes the hosts files of contents (the folder made first); returns their names.
DnsmasqFileNames writeHostsFiles(const conf::NetworkDef& def, const DnsmasqPaths& paths,
                                 const DnsmasqContents& contents)
{
    auto names = DnsmasqFileNames::of(def.name, paths.dir);
    makeDir(paths.dir);
    util::writeFileAtomic(names.hostsFile, contents.hostsFile, 0644);
    util::writeFileAtomic(names.addnHosts, contents.addnHosts, 0644);
    return names;
}

} // namespace

DnsmasqContents writeDnsmasqFiles(const conf::NetworkDef& def, const DnsmasqPaths& paths)
{
    DnsmasqContents contents = dnsmasqContents(def, paths);
    // The hosts files first: the configuration names them.
    auto names = writeHostsFiles(def, paths, contents);
    util::writeFileAtomic(names.config, contents.config, 0600);
    return contents;
}

void writeDnsmasqHosts(const conf::NetworkDef& def, const DnsmasqPaths& paths)
{
    writeHostsFiles(def, paths, dnsmasqContents(def, paths));
}

void removeDnsmasqFiles(std::string_view name, const std::filesystem::path& dir)
{
    auto names = DnsmasqFileNames::of(name, dir);
    for (const auto& path : {names.config, names.hostsFile, names.addnHosts}) {
        util::removeFileDurable(path);
    }
}

DnsmasqReload dnsmasqReloadFor(conf::UpdateSection section, const conf::NetworkDef& before,
                               const conf::NetworkDef& after)
{
    using conf::UpdateSection;
    switch (section) {
    case UpdateSection::Ip:
    case UpdateSection::IpDhcpRange:
    case UpdateSection::DnsTxt:
    case UpdateSection::DnsSrv:
        return DnsmasqReload::Restart;
    case UpdateSection::IpDhcpHost:
        return servesDhcp(before) != servesDhcp(after) ? DnsmasqReload::Restart
                                                       : DnsmasqReload::Signal;
    case UpdateSection::DnsHost:
        return DnsmasqReload::Signal;
    default:
        return DnsmasqReload::None;
    }
}

} // namespace dvs::virtnet

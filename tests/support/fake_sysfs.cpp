// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fake_sysfs.h"

namespace fs = std::filesystem;

namespace dvs::test {

FakeSysfs::FakeSysfs(fs::path root) : root_(std::move(root))
{
    fs::create_directories(root_ / "class" / "net");
    fs::create_directories(root_ / "bus" / "pci" / "devices");
    fs::create_directories(root_ / "devices" / "pci0000:00");
}

fs::path FakeSysfs::pciDir(const std::string& address) const
{
    return root_ / "devices" / "pci0000:00" / address;
}

void FakeSysfs::addPhysicalFunction(const std::string& address, const std::string& name)
{
    auto device = pciDir(address);
    fs::create_directories(device / "net" / name);
    fs::create_directory_symlink(device / "net" / name, root_ / "class" / "net" / name);
    fs::create_directory_symlink("../../../" + address, device / "net" / name / "device");
    fs::create_directory_symlink(device, root_ / "bus" / "pci" / "devices" / address);
}

void FakeSysfs::addVirtualFunction(const std::string& pfName, unsigned index,
                                   const std::string& address, const std::string& netdev)
{
    auto pf = fs::canonical(root_ / "class" / "net" / pfName / "device");
    auto vf = pciDir(address);
    fs::create_directories(vf);
    if (!netdev.empty()) {
        fs::create_directories(vf / "net" / netdev);
    }
    fs::create_directory_symlink("../" + address, pf / ("virtfn" + std::to_string(index)));
    fs::create_directory_symlink("../" + pf.filename().string(), vf / "physfn");
    fs::create_directory_symlink(vf, root_ / "bus" / "pci" / "devices" / address);
}

} // namespace dvs::test

// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string>

namespace dvs::test {

// Builds a sysfs tree shaped like the kernel's under root: class/net/NAME links to the device's
// net folder, a PCI device folder under devices/pci0000:00 with virtfnN links to its VFs, and
// bus/pci/devices/ADDRESS links to every PCI device (VFs have a physfn link back).
class FakeSysfs
{
public:
    explicit FakeSysfs(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }

    // A PCI network device (a physical function) named name at address.
    void addPhysicalFunction(const std::string& address, const std::string& name);
    // VF number index of the physical function pfName, at address; netdev may be empty.
    void addVirtualFunction(const std::string& pfName, unsigned index, const std::string& address,
                            const std::string& netdev);

private:
    std::filesystem::path pciDir(const std::string& address) const;
    std::filesystem::path root_;
};

} // namespace dvs::test

// SPDX-License-Identifier: LGPL-2.1-or-later
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "netlink/sriov.h"
#include "netns.h"
#include "test_support.h"

using dvs::ErrorCode;
using dvs::netlink::PciAddress;
using dvs::test::thrownError;

namespace fs = std::filesystem;

namespace {

// A sysfs tree shaped like the kernel's: class/net/NAME links to the device's net folder, and
// the PCI device folder has virtfnN links to sibling VF folders, each with net/VFNAME when the
// VF has a netdev.
struct FakeSysfs
{
    dvs::test::TempDir dir;
    fs::path pciBus = dir.path() / "devices" / "pci0000:00";

    fs::path addPciNetdev(const std::string& address, const std::string& name)
    {
        fs::path device = pciBus / address;
        fs::create_directories(device / "net" / name);
        fs::create_directories(dir.path() / "class" / "net");
        fs::create_directory_symlink(device / "net" / name, dir.path() / "class" / "net" / name);
        fs::create_directory_symlink("../../../" + address, device / "net" / name / "device");
        return device;
    }

    void addVf(const fs::path& pf, unsigned index, const std::string& address,
               const std::string& netdev)
    {
        fs::path vf = pciBus / address;
        fs::create_directories(vf);
        if (!netdev.empty()) {
            fs::create_directories(vf / "net" / netdev);
        }
        fs::create_directory_symlink("../" + address, pf / ("virtfn" + std::to_string(index)));
    }
};

} // namespace

TEST_CASE("PCI addresses parse and format as sysfs names them")
{
    auto a = PciAddress::parse("0000:03:10.1");
    REQUIRE(a);
    CHECK(a->domain == 0);
    CHECK(a->bus == 3);
    CHECK(a->slot == 0x10);
    CHECK(a->function == 1);
    CHECK(a->toString() == "0000:03:10.1");

    auto b = PciAddress::parse("ab:1f.7");
    REQUIRE(b);
    CHECK(b->toString() == "0000:ab:1f.7");
    auto c = PciAddress::parse("10000:00:00.0");
    REQUIRE(c);
    CHECK(c->toString() == "10000:00:00.0");
    CHECK(*a < *b);

    for (const char* bad : {"", "0000:03:20.0", "0000:03:10.8", "0000:103:10.0", "03:10",
                            "x:03:10.1", "0000:03:10.1 ", "0000:03:-1.0"}) {
        INFO(bad);
        CHECK_FALSE(PciAddress::parse(bad).has_value());
    }
}

TEST_CASE("a PF's virtual functions are read from sysfs in index order")
{
    FakeSysfs sys;
    fs::path pf = sys.addPciNetdev("0000:03:00.0", "enp3s0f0");
    sys.addVf(pf, 0, "0000:03:10.0", "enp3s0f0v0");
    sys.addVf(pf, 1, "0000:03:10.2", "");
    sys.addVf(pf, 10, "0000:03:11.4", "enp3s0f0v10");
    sys.addVf(pf, 2, "0000:03:10.4", "enp3s0f0v2");
    // Other entries of the device folder are not VFs.
    std::ofstream(pf / "virtfn_extra") << "x";
    std::ofstream(pf / "sriov_numvfs") << "4\n";

    auto vfs = dvs::netlink::listVirtualFunctions("enp3s0f0", sys.dir.path());
    REQUIRE(vfs.size() == 4);
    CHECK(vfs[0].index == 0);
    CHECK(vfs[0].address.toString() == "0000:03:10.0");
    CHECK(vfs[0].netdev == "enp3s0f0v0");
    CHECK(vfs[1].index == 1);
    CHECK(vfs[1].address.toString() == "0000:03:10.2");
    CHECK(vfs[1].netdev.empty()); // e.g. bound to vfio-pci
    CHECK(vfs[2].index == 2);
    CHECK(vfs[2].netdev == "enp3s0f0v2");
    CHECK(vfs[3].index == 10);
    CHECK(vfs[3].address.toString() == "0000:03:11.4");

    CHECK(dvs::netlink::expandPhysicalFunction("enp3s0f0", sys.dir.path()) == vfs);
}

TEST_CASE("a device without VFs, a missing PF and bad entries are errors")
{
    FakeSysfs sys;
    sys.addPciNetdev("0000:04:00.0", "eno1");
    CHECK(dvs::netlink::listVirtualFunctions("eno1", sys.dir.path()).empty());
    auto e = thrownError([&] { dvs::netlink::expandPhysicalFunction("eno1", sys.dir.path()); });
    CHECK(e.code() == ErrorCode::InternalError);
    CHECK(e.message() == "No Vf's present on SRIOV PF 'eno1'");

    // A virtual device has no device folder at all.
    fs::create_directories(sys.dir.path() / "class" / "net" / "br0");
    CHECK(dvs::netlink::listVirtualFunctions("br0", sys.dir.path()).empty());

    e = thrownError([&] { dvs::netlink::listVirtualFunctions("eth9", sys.dir.path()); });
    CHECK(e.code() == ErrorCode::DeviceMissing);
    CHECK(e.message() == "interface 'eth9' does not exist");

    e = thrownError([&] { dvs::netlink::listVirtualFunctions("../x", sys.dir.path()); });
    CHECK(e.code() == ErrorCode::InvalidArg);

    fs::path pf = sys.addPciNetdev("0000:05:00.0", "eno2");
    fs::create_directory_symlink("../not-a-pci-address", pf / "virtfn0");
    e = thrownError([&] { dvs::netlink::listVirtualFunctions("eno2", sys.dir.path()); });
    CHECK(e.code() == ErrorCode::InternalError);
    CHECK(e.message() == "Unable to parse PCI address 'not-a-pci-address' of virtual function "
                         "'virtfn0' of SRIOV PF 'eno2'");
}

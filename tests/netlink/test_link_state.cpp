// SPDX-License-Identifier: LGPL-2.1-or-later
#include <catch2/catch.hpp>

#include "netlink/link.h"

using dvs::netlink::LinkInfo;
using dvs::netlink::OperState;
using dvs::netlink::UplinkState;

namespace {

LinkInfo device(bool up, bool carrier, OperState oper)
{
    LinkInfo info;
    info.name = "eth0";
    info.up = up;
    info.carrier = carrier;
    info.operState = oper;
    return info;
}

const LinkInfo kReady = device(true, true, OperState::Up);
const LinkInfo kNoCarrier = device(true, false, OperState::LowerLayerDown);

template <typename E>
void checkTable()
{
    for (int i = 0; i < static_cast<int>(E::Last); ++i) {
        auto value = static_cast<E>(i);
        auto name = dvs::util::toString(value);
        CHECK_FALSE(name.empty());
        CHECK(dvs::util::fromString<E>(name) == value);
    }
}

} // namespace

TEST_CASE("a device is ready when up, with carrier, and operationally up or unknown")
{
    CHECK(kReady.ready());
    CHECK(device(true, true, OperState::Unknown).ready()); // drivers without operstate
    CHECK_FALSE(kNoCarrier.ready());
    CHECK_FALSE(device(false, false, OperState::Down).ready());
    CHECK_FALSE(device(true, true, OperState::Dormant).ready());
}

TEST_CASE("uplink state summarises its devices")
{
    using dvs::netlink::uplinkState;
    CHECK(uplinkState({kReady, kReady}) == UplinkState::Up);
    CHECK(uplinkState({kReady, kNoCarrier}) == UplinkState::Degraded);
    CHECK(uplinkState({kReady, std::nullopt}) == UplinkState::Degraded); // one missing
    CHECK(uplinkState({kNoCarrier, std::nullopt}) == UplinkState::Down);
    CHECK(uplinkState({}) == UplinkState::Down);

    using dvs::netlink::bondUplinkState;
    CHECK(bondUplinkState(kReady, {kReady, kReady}) == UplinkState::Up);
    CHECK(bondUplinkState(kReady, {kReady, kNoCarrier}) == UplinkState::Degraded);
    CHECK(bondUplinkState(kNoCarrier, {kReady, kReady}) == UplinkState::Down);
    CHECK(bondUplinkState(kReady, {}) == UplinkState::Down);
}

TEST_CASE("every enum of the netlink library has a complete spelling table")
{
    checkTable<dvs::netlink::OperState>();
    checkTable<dvs::netlink::BondMode>();
    checkTable<dvs::netlink::LacpRate>();
    checkTable<dvs::netlink::MacvtapMode>();
    checkTable<UplinkState>();
    CHECK(dvs::util::toString(dvs::netlink::BondMode::Ieee8023ad) == "802.3ad");
    CHECK(dvs::util::toString(OperState::LowerLayerDown) == "lowerlayerdown");
    CHECK(dvs::util::toString(dvs::netlink::MacvtapMode::Passthrough) == "passthrough");
}

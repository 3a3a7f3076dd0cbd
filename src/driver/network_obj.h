// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "conf/network_status.h"
#include "driver/network_driver.h"
#include "util/uuid.h"

namespace dvs::driver {

// One network: libvirt's virNetworkObj.
struct NetworkObj
{
    // The current definition: the live one while active.
    std::unique_ptr<conf::NetworkDef> def;
    // The persistent definition while active (libvirt's newDef), null otherwise.
    std::unique_ptr<conf::NetworkDef> newDef;
    bool active = false;
    bool persistent = false;
    bool autostart = false;
    // What libvirt's <networkstatus> keeps beside the live definition.
    std::set<unsigned> classIds{0, 1, 2};
    unsigned long long floorSum = 0;
    std::set<conf::NetworkTaint> taints;
    std::map<util::Uuid, conf::NetworkPort> ports;
    // Devices dvsd created for ports it plugged itself.
    std::map<util::Uuid, std::string> plugs;

    const conf::NetworkDef& persistentDef() const { return newDef ? *newDef : *def; }
    NetworkRef ref() const { return {def->name, def->uuid}; }

    // Error(OperationInvalid) unless the network is active.
    void checkActive() const;
    // The port of uuid, in libvirt's order of checks: Error(NoNetworkPort) when the port does
    // not exist, then Error(OperationInvalid) when the network is not active.
    conf::NetworkPort& activePort(const util::Uuid& uuid);
    const conf::NetworkPort& activePort(const util::Uuid& uuid) const;

    // libvirt's virNetworkObjSetDefTransient: while active, the live definition is a copy and
    // the persistent one waits in newDef.
    void setDefTransient();
    // libvirt's virNetworkObjUnsetDefTransient: back to the persistent definition, no
    // connections counted.
    void unsetDefTransient();
    // Its <networkstatus>: the live definition and what libvirt keeps beside it.
    conf::NetworkStatus status() const;
};

// Every network and its indexes by name and uuid: libvirt's virNetworkObjList. Names sort the
// listings.
class NetworkObjList
{
public:
    NetworkObj* findByName(std::string_view name) const;
    NetworkObj* findByUuid(const util::Uuid& uuid) const;
    // The network a client names; Error(NoNetwork) when there is none with its uuid.
    NetworkObj& get(const NetworkRef& ref) const;
    // Every network, by name.
    std::vector<NetworkObj*> sorted() const;
    // virConnectListAllNetworks: the networks that pass the ListFlags filters, by name.
    std::vector<NetworkRef> list(unsigned flags) const;
    // virConnectListNetworks / ListDefinedNetworks: the names of the active (or inactive)
    // networks, at most maxNames.
    std::vector<std::string> names(bool active, int maxNames) const;
    // virConnectNumOfNetworks / NumOfDefinedNetworks.
    int count(bool active) const;

    // Adds a network under its definition's name and uuid (the caller checked neither is taken).
    NetworkObj& add(std::unique_ptr<conf::NetworkDef> def);
    void remove(NetworkObj& obj);

    // libvirt's virNetworkObjAssignDef: a new live (create) or persistent (define) definition
    // for the network of its uuid, or a new network. Error(OperationFailed) when the name or
    // uuid belongs to another network, Error(OperationInvalid) when a live one is active.
    NetworkObj& assignDef(std::unique_ptr<conf::NetworkDef> def, bool live);

    // Whether a network other than `except` has bridge in its live or persistent definition.
    bool bridgeInUse(std::string_view bridge, std::string_view except) const;

private:
    std::vector<std::unique_ptr<NetworkObj>> objects_;
    std::map<std::string, NetworkObj*, std::less<>> byName_;
    std::map<util::Uuid, NetworkObj*> byUuid_;
};

} // namespace dvs::driver

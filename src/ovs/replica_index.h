// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ovs/flat_map.h"
#include "ovsdb/replica.h"

namespace dvs::ovs {

// The replica of the vswitch database (the columns of monitoredColumns()), indexed the ways the
// planner looks things up, with the columns a pass compares found once per row as it is
// indexed. Rows are held by address and strings by view: the replica must not change while the
// index lives (one planning pass). Indexes only some passes need are built on first use.
class ReplicaIndex
{
public:
    // An Interface row with an external_ids:iface-id.
    struct Iface
    {
        const ovsdb::Row* row = nullptr;
        const ovsdb::Json* externalIds = nullptr;
        const ovsdb::Json* policingBurst = nullptr;
        const ovsdb::Json* policingRate = nullptr;
        const ovsdb::Json* name = nullptr;
    };
    // A QoS row (or a uuid a Port references that is not in the replica), with its queue 0.
    struct Qos
    {
        const ovsdb::Row* row = nullptr; // nullptr: referenced, but not in the replica
        unsigned users = 0;              // Ports referencing it
        const ovsdb::Json* externalIds = nullptr;
        const ovsdb::Json* otherConfig = nullptr;
        const ovsdb::Json* type = nullptr;
        // Its queues[0] as QoS::View::queues() maps it, and that Queue's row (or nullptr).
        std::optional<util::Uuid> queue;
        const ovsdb::Row* queueRow = nullptr;
        const ovsdb::Json* queueExternalIds = nullptr;
        const ovsdb::Json* queueOtherConfig = nullptr;
    };
    // A Port row, with the QoS it references (kNoQos: none).
    struct Port
    {
        static constexpr std::uint32_t kNoQos = UINT32_MAX;
        const ovsdb::Row* row = nullptr;
        std::uint32_t qos = kNoQos;
        const ovsdb::Json* externalIds = nullptr;
        const ovsdb::Json* tag = nullptr;
        const ovsdb::Json* trunks = nullptr;
        const ovsdb::Json* vlanMode = nullptr;
    };

    // Indexes the bridges, ports, interfaces, QoS and queues. Throws what the datum readers
    // (replica_reading.h) throw for a row that does not fit the schema.
    explicit ReplicaIndex(const ovsdb::Replica& replica);

    // The first row of Open_vSwitch.
    std::optional<util::Uuid> root;

    // The row of the Bridge, Port or Interface of that name, or nullptr.
    const ovsdb::Row* bridgeNamed(std::string_view name) const
    {
        auto it = bridgeByName_.find(name);
        return it != bridgeByName_.end() ? it->second : nullptr;
    }
    const ovsdb::Row* portNamed(std::string_view name);
    const ovsdb::Row* ifaceNamed(std::string_view name);

    // Calls fn with each Interface whose external_ids:iface-id is id, in uuid order; returns
    // whether there was one.
    template <typename Fn>
    bool forEachIfaceWithId(std::string_view id, Fn&& fn) const
    {
        const IfaceList* list = ifacesById_.find(id);
        if (list == nullptr) {
            return false;
        }
        for (std::uint32_t i = list->first; i != kEnd; i = ifaces_[i].next) {
            fn(ifaces_[i].iface);
        }
        return true;
    }

    // The Port holding the Interface, or nullptr.
    const Port* portOfIface(const util::Uuid& iface) const
    {
        const std::uint32_t* port = portOfIface_.find(iface);
        return port != nullptr ? &ports_[*port] : nullptr;
    }

    // The QoS a Port references, or nullptr.
    const Qos* qosOf(const Port& port) const
    {
        return port.qos != Port::kNoQos ? &qos_[port.qos] : nullptr;
    }
    // The QoS row of that uuid and how many Ports reference it; nullptr when there is neither.
    const Qos* qos(const util::Uuid& uuid) const
    {
        const std::uint32_t* entry = qosByUuid_.find(uuid);
        return entry != nullptr ? &qos_[*entry - 1] : nullptr;
    }

    // An unreferenced QoS row libvirt made for the port of that domain and device (external_ids
    // vm-id and ifname, no dvs-port), or nullptr.
    const Qos* libvirtQos(std::string_view vmId, std::string_view ifname) const;

    // Whether a QoS row references the Queue row.
    bool queueUsed(const util::Uuid& queue) const
    {
        const Queue* entry = queues_.find(queue);
        return entry != nullptr && entry->used;
    }

    // Whether a Port tagged dvs-uplink=network has a name other than name.
    bool otherUplink(std::string_view network, std::string_view name) const;

    // The Ports tagged dvs-plugged=port, in uuid order.
    const std::vector<util::Uuid>& pluggedFor(std::string_view port);

    // The Bridge a Port is on.
    std::optional<util::Uuid> bridgeOfPort(const util::Uuid& port);

private:
    using ByName = FlatMap<std::string_view, const ovsdb::Row*>;
    static constexpr std::uint32_t kEnd = UINT32_MAX;

    // The Interfaces of one iface-id, chained through ifaces_ in uuid order.
    struct IfaceList
    {
        std::uint32_t first = kEnd;
        std::uint32_t last = kEnd;
    };
    struct ChainedIface
    {
        Iface iface;
        std::uint32_t next = kEnd;
    };
    struct Queue
    {
        const ovsdb::Row* row = nullptr;
        bool used = false; // a QoS row references it
        const ovsdb::Json* externalIds = nullptr;
        const ovsdb::Json* otherConfig = nullptr;
    };

    void indexPorts();
    void indexIfaces();
    void indexQos();
    // The index in qos_ of the entry of a QoS uuid, added when new.
    std::uint32_t qosEntry(const util::Uuid& uuid);
    const ovsdb::Row* named(std::optional<ByName>& index, std::string_view table,
                            std::string_view column, std::string_view name);

    const ovsdb::Replica& replica_;
    std::unordered_map<std::string_view, const ovsdb::Row*> bridgeByName_;
    std::optional<ByName> portByName_;
    std::optional<ByName> ifaceByName_;
    // Interfaces with an iface-id, and where each iface-id's chain starts and ends.
    std::vector<ChainedIface> ifaces_;
    FlatMap<std::string_view, IfaceList> ifacesById_;
    // Every Port, and the one of each Interface (by index in ports_).
    std::vector<Port> ports_;
    FlatMap<util::Uuid, std::uint32_t, UuidHash> portOfIface_;
    // Every QoS row and referenced uuid, and 1 + the index in qos_ of each uuid's entry.
    std::vector<Qos> qos_;
    FlatMap<util::Uuid, std::uint32_t, UuidHash> qosByUuid_;
    FlatMap<util::Uuid, Queue, UuidHash> queues_;
    std::map<std::pair<std::string_view, std::string_view>, std::uint32_t> libvirtQos_;
    // (dvs-uplink value, name) of each Port tagged dvs-uplink.
    std::vector<std::pair<std::string_view, std::string_view>> uplinks_;
    std::optional<std::unordered_map<std::string_view, std::vector<util::Uuid>>> plugged_;
    std::optional<FlatMap<util::Uuid, util::Uuid, UuidHash>> bridgeOfPort_;
};

} // namespace dvs::ovs

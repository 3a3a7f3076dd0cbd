// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/replica_index.h"

#include <algorithm>

#include "ovs/external_ids.h"
#include "ovs/replica_reading.h"
#include "ovsdb/vswitch.h"

namespace dvs::ovs {

namespace vs = ovsdb::vswitch;
using ovsdb::Json;
using ovsdb::Row;

ReplicaIndex::ReplicaIndex(const ovsdb::Replica& replica) : replica_(replica)
{
    const auto& roots = replica.rows(vs::OpenVSwitch::kTable);
    if (!roots.empty()) {
        root = roots.begin()->first;
    }
    for (const auto& [uuid, row] : replica.rows(vs::Bridge::kTable)) {
        bridgeByName_[stringColumn(row, vs::Bridge::Col::kName)] = &row;
    }
    indexPorts();
    indexIfaces();
    indexQos();
}

const Row* ReplicaIndex::portNamed(std::string_view name)
{
    return named(portByName_, vs::Port::kTable, vs::Port::Col::kName, name);
}

const Row* ReplicaIndex::ifaceNamed(std::string_view name)
{
    return named(ifaceByName_, vs::Interface::kTable, vs::Interface::Col::kName, name);
}

const ReplicaIndex::Qos* ReplicaIndex::libvirtQos(std::string_view vmId,
                                                  std::string_view ifname) const
{
    if (libvirtQos_.empty()) {
        return nullptr;
    }
    auto it = libvirtQos_.find({vmId, ifname});
    return it != libvirtQos_.end() ? &qos_[it->second] : nullptr;
}

bool ReplicaIndex::otherUplink(std::string_view network, std::string_view name) const
{
    return std::any_of(uplinks_.begin(), uplinks_.end(), [&](const auto& uplink) {
        return uplink.first == network && uplink.second != name;
    });
}

const std::vector<util::Uuid>& ReplicaIndex::pluggedFor(std::string_view port)
{
    if (!plugged_) {
        plugged_.emplace();
        for (const auto& entry : ports_) {
            if (const auto* value = StringMap(*entry.externalIds).find(keys::kPlugged)) {
                (*plugged_)[*value].push_back(entry.row->uuid());
            }
        }
    }
    static const std::vector<util::Uuid> kNone;
    auto it = plugged_->find(port);
    return it != plugged_->end() ? it->second : kNone;
}

std::optional<util::Uuid> ReplicaIndex::bridgeOfPort(const util::Uuid& port)
{
    if (!bridgeOfPort_) {
        bridgeOfPort_.emplace();
        for (const auto& [uuid, row] : replica_.rows(vs::Bridge::kTable)) {
            forEachUuid(row.at(vs::Bridge::Col::kPorts),
                        [&](const util::Uuid& p) { (*bridgeOfPort_)[p] = uuid; });
        }
    }
    const util::Uuid* bridge = bridgeOfPort_->find(port);
    return bridge != nullptr ? std::optional<util::Uuid>(*bridge) : std::nullopt;
}

// Each row's columns are found in the order it sorts them (ColumnCursor).
void ReplicaIndex::indexPorts()
{
    const auto& ports = replica_.rows(vs::Port::kTable);
    ports_.reserve(ports.size());
    portOfIface_.reserve(ports.size());
    for (const auto& [uuid, row] : ports) {
        ColumnCursor columns(row);
        Port port;
        port.row = &row;
        port.externalIds = &columns[vs::Port::Col::kExternalIds];
        const Json& interfaces = columns[vs::Port::Col::kInterfaces];
        if (auto qos = optionalUuid(columns[vs::Port::Col::kQos])) {
            port.qos = qosEntry(*qos);
            ++qos_[port.qos].users;
        }
        port.tag = columns.find(vs::Port::Col::kTag);
        port.trunks = columns.find(vs::Port::Col::kTrunks);
        port.vlanMode = columns.find(vs::Port::Col::kVlanMode);
        auto index = static_cast<std::uint32_t>(ports_.size());
        ports_.push_back(port);
        forEachUuid(interfaces, [&](const util::Uuid& iface) { portOfIface_[iface] = index; });
        if (const auto* network = StringMap(*port.externalIds).find(keys::kUplink)) {
            uplinks_.emplace_back(*network, stringColumn(row, vs::Port::Col::kName));
        }
    }
}

void ReplicaIndex::indexIfaces()
{
    const auto& ifaces = replica_.rows(vs::Interface::kTable);
    ifaces_.reserve(ifaces.size());
    ifacesById_.reserve(ifaces.size());
    for (const auto& [uuid, row] : ifaces) {
        ColumnCursor columns(row);
        const Json& externalIds = columns[vs::Interface::Col::kExternalIds];
        const auto* id = StringMap(externalIds).find(keys::kIfaceId);
        if (id == nullptr) {
            continue;
        }
        ChainedIface entry;
        entry.iface.row = &row;
        entry.iface.externalIds = &externalIds;
        entry.iface.policingBurst = columns.find(vs::Interface::Col::kIngressPolicingBurst);
        entry.iface.policingRate = columns.find(vs::Interface::Col::kIngressPolicingRate);
        entry.iface.name = columns.find(vs::Interface::Col::kName);
        auto index = static_cast<std::uint32_t>(ifaces_.size());
        ifaces_.push_back(entry);
        IfaceList& list = ifacesById_[*id];
        if (list.first == kEnd) {
            list.first = index;
        } else {
            ifaces_[list.last].next = index;
        }
        list.last = index;
    }
}

void ReplicaIndex::indexQos()
{
    const auto& queueRows = replica_.rows(vs::Queue::kTable);
    queues_.reserve(queueRows.size());
    for (const auto& [uuid, row] : queueRows) {
        ColumnCursor columns(row);
        Queue& queue = queues_[uuid];
        queue.row = &row;
        queue.externalIds = columns.find(vs::Queue::Col::kExternalIds);
        queue.otherConfig = columns.find(vs::Queue::Col::kOtherConfig);
    }
    for (const auto& [uuid, row] : replica_.rows(vs::QoS::kTable)) {
        std::uint32_t entry = qosEntry(uuid);
        Qos& qos = qos_[entry];
        qos.row = &row;
        ColumnCursor columns(row);
        qos.externalIds = &columns[vs::QoS::Col::kExternalIds];
        qos.otherConfig = columns.find(vs::QoS::Col::kOtherConfig);
        const Json& queues = columns[vs::QoS::Col::kQueues];
        qos.type = columns.find(vs::QoS::Col::kType);
        forEachQueue(queues, [&](std::int64_t key, const util::Uuid& uuid) {
            Queue* queue = queues_.find(uuid);
            if (queue != nullptr) {
                queue->used = true;
            }
            if (key == 0) {
                qos.queue = uuid;
                qos.queueRow = queue != nullptr ? queue->row : nullptr;
                qos.queueExternalIds = queue != nullptr ? queue->externalIds : nullptr;
                qos.queueOtherConfig = queue != nullptr ? queue->otherConfig : nullptr;
            }
        });
        // libvirt's own rows for a port (vm-id and ifname, not yet ours) that no Port
        // references: libvirt set them on the port after dvsd had given it a QoS.
        if (qos.users != 0) {
            continue;
        }
        StringMap ids(*qos.externalIds);
        const auto* vmId = ids.find(keys::kVmId);
        const auto* ifname = ids.find(keys::kIfname);
        if (ids.find(keys::kPort) == nullptr && vmId != nullptr && ifname != nullptr) {
            libvirtQos_.emplace(std::make_pair(std::string_view(*vmId), std::string_view(*ifname)),
                                entry);
        }
    }
}

std::uint32_t ReplicaIndex::qosEntry(const util::Uuid& uuid)
{
    std::uint32_t& entry = qosByUuid_[uuid];
    if (entry == 0) {
        qos_.emplace_back();
        entry = static_cast<std::uint32_t>(qos_.size());
    }
    return entry - 1;
}

const Row* ReplicaIndex::named(std::optional<ByName>& index, std::string_view table,
                               std::string_view column, std::string_view name)
{
    if (!index) {
        index.emplace();
        const auto& rows = replica_.rows(table);
        index->reserve(rows.size());
        for (const auto& [uuid, row] : rows) {
            (*index)[stringColumn(row, column)] = &row;
        }
    }
    const Row* const* row = index->find(name);
    return row != nullptr ? *row : nullptr;
}

} // namespace dvs::ovs

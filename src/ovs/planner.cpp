// SPDX-License-Identifier: LGPL-2.1-or-later
// The planning policy: what dvsd's bridges, uplinks and ports must look like in the vswitch
// database, and which rows it may create, change or delete. Reading the replica in place
// (replica_reading.h), indexing it (replica_index.h) and writing only what differs
// (column_diff.h) are their own files.
#include "ovs/planner.h"

#include <utility>

#include "ovs/column_diff.h"
#include "ovs/external_ids.h"
#include "ovs/flat_map.h"
#include "ovs/replica_index.h"
#include "ovs/replica_reading.h"
#include "ovsdb/vswitch.h"
#include "util/error.h"

namespace dvs::ovs {

namespace {

namespace vs = ovsdb::vswitch;
using ovsdb::Json;
using ovsdb::Mutation;
using ovsdb::Ref;
using ovsdb::Row;
using Strings = std::map<std::string, std::string>;

std::string uplinkPortName(const conf::Uplink& uplink)
{
    if (uplink.type == conf::UplinkType::OvsBond || !uplink.name.empty()) {
        return uplink.name;
    }
    return uplink.interfaces.empty() ? std::string() : uplink.interfaces.front();
}

std::vector<std::string> uplinkMembers(const conf::Uplink& uplink)
{
    if (uplink.type == conf::UplinkType::OvsBond) {
        return uplink.interfaces;
    }
    return {uplinkPortName(uplink)};
}

std::optional<std::int64_t> mtuRequest(unsigned mtu)
{
    return mtu != 0 ? std::optional<std::int64_t>(mtu) : std::nullopt;
}

// The text of a port's uuids and MAC, formatted once per pass for the keys that carry them.
struct PortText
{
    explicit PortText(const PortSpec& spec)
        : port(spec.port.toString()), interfaceId(spec.interfaceId.toString()),
          owner(spec.owner.isNull() ? std::string() : spec.owner.toString()),
          mac(spec.mac.toString())
    {}

    std::string port;
    std::string interfaceId;
    // Empty when the owner is unknown.
    std::string owner;
    std::string mac;
};

// Port.tag, trunks and vlan_mode for a VLAN.
struct VlanColumns
{
    std::optional<std::int64_t> tag;
    std::vector<std::int64_t> trunks;
    std::optional<std::string> mode;
};

// QoS and Queue other_config for the domain's inbound.
class RateConfig
{
public:
    explicit RateConfig(const conf::BandwidthRate& in) : minRate_(std::to_string(qosMinRate(in)))
    {
        if (in.burst != 0) {
            burst_ = std::to_string(qosBurst(in));
        }
        if (in.peak != 0) {
            maxRate_ = std::to_string(qosMaxRate(in));
        }
    }

    KeyValues pairs() const
    {
        KeyValues config{{"min-rate", minRate_}};
        if (burst_) {
            config.set("burst", *burst_);
        }
        if (maxRate_) {
            config.set("max-rate", *maxRate_);
        }
        return config;
    }

private:
    std::string minRate_;
    std::optional<std::string> burst_;
    std::optional<std::string> maxRate_;
};

// Builds the operations of one pass.
class Planner
{
public:
    Planner(const DesiredState& desired, ovsdb::Transaction& txn, PlanReport& report)
        : desired_(desired), txn_(txn), replica_(txn.replica()), report_(report), index_(replica_)
    {}

    void run()
    {
        for (const auto& [network, generation] : desired_.teardowns) {
            if (desired_.bridges.count(network) == 0) {
                teardown(network);
            }
        }
        for (const auto& [uuid, generation] : desired_.unplugs) {
            for (const auto& portUuid : index_.pluggedFor(uuid.toString())) {
                removePort(portUuid);
            }
        }
        for (const auto& [network, spec] : desired_.bridges) {
            bridge(spec);
        }
        for (const auto& [uuid, spec] : desired_.ports) {
            if (desired_.unplugs.count(uuid) == 0) {
                port(spec);
            }
        }
        collectGarbage();
        finish();
    }

private:
    // The bridge of a network: created when missing, its own columns corrected when dvsd made it.
    void bridge(const BridgeSpec& spec)
    {
        const Row* existing = index_.bridgeNamed(spec.name);
        if (existing == nullptr) {
            NewBridge created;
            created.values.setName(spec.name)
                .setDatapathType(spec.datapathType)
                .setExternalIds({{std::string(keys::kNetwork), spec.network}});
            Ref local = txn_.insert(vs::Interface::Values()
                                        .setName(spec.name)
                                        .setType("internal")
                                        .setMtuRequest(mtuRequest(spec.mtu)));
            created.ports.push_back(
                txn_.insert(vs::Port::Values().setName(spec.name).setInterfaces({local})));
            if (spec.uplink) {
                if (auto uplink = newUplink(spec)) {
                    created.ports.push_back(*uplink);
                }
            }
            newBridges_.emplace(spec.name, std::move(created));
            report_.bridgesPresent.insert(spec.network); // once this transaction commits
            return;
        }
        report_.bridgesPresent.insert(spec.network);
        const Row& row = *existing;
        bool ours =
            valueOf(stringMap(row, vs::Bridge::Col::kExternalIds), keys::kNetwork) == spec.network;
        if (ours) {
            update(row, vs::Bridge::Values().setDatapathType(spec.datapathType).json());
            if (const Row* local = index_.ifaceNamed(spec.name)) {
                update(*local, vs::Interface::Values().setMtuRequest(mtuRequest(spec.mtu)).json());
            }
        }
        // Uplink ports of this network: the desired one is created or corrected, others go
        // (the bridge's ports are only walked when the database has such another one).
        std::string wanted = spec.uplink ? uplinkPortName(*spec.uplink) : std::string();
        if (spec.network.empty() || index_.otherUplink(spec.network, wanted)) {
            for (const auto& portUuid : vs::Bridge::View(row).ports()) {
                const Row* port = replica_.find(vs::Port::kTable, portUuid);
                if (port == nullptr) {
                    continue;
                }
                auto ids = stringMap(*port, vs::Port::Col::kExternalIds);
                if (valueOf(ids, keys::kUplink) == spec.network &&
                    vs::Port::View(*port).name() != wanted) {
                    removePort(portUuid);
                }
            }
        }
        if (!spec.uplink || wanted.empty()) {
            return;
        }
        const Row* port = index_.portNamed(wanted);
        if (port == nullptr) {
            if (auto uplink = newUplink(spec)) {
                bridgeAdds_[row.uuid()].push_back(*uplink);
            }
            return;
        }
        if (valueOf(stringMap(*port, vs::Port::Col::kExternalIds), keys::kUplink) != spec.network) {
            return; // somebody else's port of that name
        }
        fixUplink(spec, *port);
    }

    vs::Port::Values uplinkValues(const conf::Uplink& uplink)
    {
        vs::Port::Values values;
        bool bond = uplink.type == conf::UplinkType::OvsBond;
        std::optional<std::string> mode;
        std::optional<std::string> lacp;
        if (bond) {
            mode = std::string(util::toString(uplink.mode.value_or(conf::BondMode::ActiveBackup)));
            if (uplink.lacp) {
                lacp = std::string(util::toString(uplink.lacp->mode));
            }
        }
        values.setBondMode(mode)
            .setLacp(lacp)
            .setBondUpdelay(bond ? uplink.updelay.value_or(0) : 0)
            .setBondDowndelay(bond ? uplink.downdelay.value_or(0) : 0);
        return values;
    }

    static Strings lacpTime(const conf::Uplink& uplink)
    {
        if (uplink.type == conf::UplinkType::OvsBond && uplink.lacp && uplink.lacp->rate) {
            return {{"lacp-time", std::string(util::toString(*uplink.lacp->rate))}};
        }
        return {};
    }

    std::optional<Ref> newUplink(const BridgeSpec& spec)
    {
        const auto& uplink = *spec.uplink;
        std::string name = uplinkPortName(uplink);
        if (name.empty() || uplink.type == conf::UplinkType::LinuxBond) {
            return std::nullopt;
        }
        std::vector<Ref> members;
        for (const auto& member : uplinkMembers(uplink)) {
            members.push_back(txn_.insert(
                vs::Interface::Values().setName(member).setMtuRequest(mtuRequest(spec.mtu))));
        }
        auto values = uplinkValues(uplink);
        values.setName(name)
            .setInterfaces(members)
            .setOtherConfig(lacpTime(uplink))
            .setExternalIds({{std::string(keys::kUplink), spec.network}});
        return txn_.insert(values);
    }

    void fixUplink(const BridgeSpec& spec, const Row& portRow)
    {
        const auto& uplink = *spec.uplink;
        update(portRow, uplinkValues(uplink).json());
        std::vector<Mutation> mutations;
        Strings lacp = lacpTime(uplink);
        fixKeys(mutations, vs::Port::kTable, vs::Port::Col::kOtherConfig,
                stringMap(portRow, vs::Port::Col::kOtherConfig), KeyValues(lacp), {"lacp-time"});
        mutate(portRow.uuid(), std::move(mutations));

        std::map<std::string, util::Uuid> current;
        for (const auto& ifaceUuid : vs::Port::View(portRow).interfaces()) {
            if (const Row* iface = replica_.find(vs::Interface::kTable, ifaceUuid)) {
                current[vs::Interface::View(*iface).name()] = ifaceUuid;
                update(*iface, vs::Interface::Values().setMtuRequest(mtuRequest(spec.mtu)).json());
            }
        }
        auto members = uplinkMembers(uplink);
        std::set<std::string> wanted(members.begin(), members.end());
        std::set<std::string> have;
        for (const auto& [name, uuid] : current) {
            have.insert(name);
        }
        if (wanted == have) {
            return;
        }
        std::vector<Ref> refs;
        for (const auto& member : members) {
            if (auto it = current.find(member); it != current.end()) {
                refs.emplace_back(it->second);
            } else {
                refs.push_back(txn_.insert(
                    vs::Interface::Values().setName(member).setMtuRequest(mtuRequest(spec.mtu))));
            }
        }
        txn_.verify(vs::Port::kTable, portRow.uuid(), {vs::Port::Col::kInterfaces});
        txn_.update(portRow.uuid(), vs::Port::Values().setInterfaces(refs));
    }

    // One port of a network: the rows of its Interface(s), found by iface-id.
    void port(const PortSpec& spec)
    {
        PortText text(spec);
        bool wrote = false;
        bool found = false;
        bool any =
            index_.forEachIfaceWithId(text.interfaceId, [&](const ReplicaIndex::Iface& iface) {
                const ReplicaIndex::Port* port = index_.portOfIface(iface.row->uuid());
                if (port == nullptr) {
                    return;
                }
                found = true;
                wrote = programPort(spec, text, iface, *port) || wrote;
            });
        if (!any) {
            if (!spec.plugIfname.empty() && plugPort(spec, text)) {
                ++report_.programmed[spec.network];
                ++report_.portsWritten;
            } else {
                ++report_.pending[spec.network];
            }
            return;
        }
        if (found) {
            ++report_.programmed[spec.network];
            report_.portsWritten += wrote ? 1 : 0;
        } else {
            ++report_.pending[spec.network];
        }
    }

    static bool hasInbound(const PortSpec& spec)
    {
        return spec.bandwidth.in && spec.bandwidth.in->average != 0;
    }

    static VlanColumns vlanColumns(const conf::Vlan& vlan)
    {
        VlanColumns columns;
        if (!vlan.tags.empty()) {
            if (vlan.nativeMode != conf::VlanNativeMode::Default) {
                columns.mode = vlan.nativeMode == conf::VlanNativeMode::Tagged ? "native-tagged"
                                                                               : "native-untagged";
                columns.tag = vlan.nativeTag;
            }
            if (vlan.trunk) {
                for (unsigned t : vlan.tags) {
                    columns.trunks.push_back(t);
                }
            } else {
                columns.tag = vlan.tags.front();
            }
        }
        return columns;
    }

    static vs::Port::Values vlanValues(const conf::Vlan& vlan)
    {
        auto columns = vlanColumns(vlan);
        vs::Port::Values values;
        values.setTag(columns.tag).setTrunks(columns.trunks).setVlanMode(columns.mode);
        return values;
    }

    // The domain's outbound, or no limit.
    static const conf::BandwidthRate& outbound(const PortSpec& spec)
    {
        static const conf::BandwidthRate kNone;
        return spec.bandwidth.out && spec.bandwidth.out->average != 0 ? *spec.bandwidth.out : kNone;
    }

    static vs::Interface::Values policingValues(const PortSpec& spec)
    {
        const auto& out = outbound(spec);
        vs::Interface::Values values;
        values.setIngressPolicingRate(policingRate(out))
            .setIngressPolicingBurst(policingBurst(out));
        return values;
    }

    static KeyValues ifaceIds(const PortSpec& spec, const PortText& text)
    {
        KeyValues ids{{keys::kIfaceId, text.interfaceId},
                      {keys::kAttachedMac, text.mac},
                      {keys::kIfaceStatus, "active"}};
        if (!spec.owner.isNull()) {
            ids.set(keys::kVmId, text.owner);
        }
        return ids;
    }

    // vm-id and ifname, as libvirt tags its QoS rows, plus our own key.
    static KeyValues qosIds(const PortSpec& spec, const PortText& text, std::string_view ifname)
    {
        KeyValues ids{{keys::kIfname, ifname}, {keys::kPort, text.port}};
        if (!spec.owner.isNull()) {
            ids.set(keys::kVmId, text.owner);
        }
        return ids;
    }

    static KeyValues portIds(const PortSpec& spec, const PortText& text, std::string_view ifname)
    {
        KeyValues ids{{keys::kPort, text.port}};
        if (hasInbound(spec)) {
            ids.set(keys::kIfname, ifname);
            if (!spec.owner.isNull()) {
                ids.set(keys::kVmId, text.owner);
            }
        }
        return ids;
    }

    Ref newQos(const PortSpec& spec, const PortText& text, std::string_view ifname)
    {
        auto config = RateConfig(*spec.bandwidth.in).pairs().strings();
        auto ids = qosIds(spec, text, ifname).strings();
        Ref queue = txn_.insert(vs::Queue::Values().setOtherConfig(config).setExternalIds(ids));
        return txn_.insert(vs::QoS::Values()
                               .setType("linux-htb")
                               .setOtherConfig(config)
                               .setQueues({{0, queue}})
                               .setExternalIds(ids));
    }

    // Adds the Port and Interface of a port dvsd plugs itself; false when it cannot yet.
    bool plugPort(const PortSpec& spec, const PortText& text)
    {
        if (index_.ifaceNamed(spec.plugIfname) != nullptr ||
            index_.portNamed(spec.plugIfname) != nullptr) {
            report_.conflicts[spec.port] =
                fmt::format("device '{}' is already a port of Open vSwitch", spec.plugIfname);
            return false;
        }
        std::vector<Ref>* ports = nullptr;
        if (auto it = newBridges_.find(spec.bridge); it != newBridges_.end()) {
            ports = &it->second.ports;
        } else if (const Row* existing = index_.bridgeNamed(spec.bridge)) {
            ports = &bridgeAdds_[existing->uuid()];
        } else {
            return false;
        }
        auto ifaceValues = policingValues(spec);
        ifaceValues.setName(spec.plugIfname).setExternalIds(ifaceIds(spec, text).strings());
        Ref iface = txn_.insert(ifaceValues);
        auto portValues = vlanValues(spec.vlan);
        auto ids = portIds(spec, text, spec.plugIfname);
        ids.set(keys::kPlugged, text.port);
        ids.set(keys::kNetwork, spec.network);
        portValues.setName(spec.plugIfname).setInterfaces({iface}).setExternalIds(ids.strings());
        if (hasInbound(spec)) {
            portValues.setQos(newQos(spec, text, spec.plugIfname));
        }
        ports->push_back(txn_.insert(portValues));
        return true;
    }

    // Makes a plugged Port/Interface match the port; returns whether anything is written.
    bool programPort(const PortSpec& spec, const PortText& text, const ReplicaIndex::Iface& iface,
                     const ReplicaIndex::Port& port)
    {
        using I = vs::Interface;
        using P = vs::Port;
        const Row& ifaceRow = *iface.row;
        const Row& portRow = *port.row;
        std::size_t before = txn_.operations().size();
        const std::string& ifname = stringDatum(Column{I::Col::kName, iface.name}.in(ifaceRow));

        const auto& out = outbound(spec);
        ColumnDiff(ifaceRow, types_)
            .integer({I::Col::kIngressPolicingRate, iface.policingRate}, policingRate(out))
            .integer({I::Col::kIngressPolicingBurst, iface.policingBurst}, policingBurst(out))
            .write(txn_);
        std::vector<Mutation> ifaceMutations;
        fixKeys(ifaceMutations, I::kTable, I::Col::kExternalIds, StringMap(*iface.externalIds),
                ifaceIds(spec, text));
        mutate(ifaceRow.uuid(), std::move(ifaceMutations));

        auto vlan = vlanColumns(spec.vlan);
        ColumnDiff(portRow, types_)
            .optionalInteger({P::Col::kTag, port.tag}, vlan.tag)
            .integers({P::Col::kTrunks, port.trunks}, vlan.trunks)
            .optionalString({P::Col::kVlanMode, port.vlanMode}, vlan.mode)
            .write(txn_);
        std::vector<Mutation> portMutations;
        fixKeys(portMutations, P::kTable, P::Col::kExternalIds, StringMap(*port.externalIds),
                portIds(spec, text, ifname));
        mutate(portRow.uuid(), std::move(portMutations));

        const ReplicaIndex::Qos* qos = index_.qosOf(port);
        const Row* qosRow = qos != nullptr ? qos->row : nullptr;
        if (hasInbound(spec)) {
            // libvirt's own QoS row for the port (or ours) is adopted unless another port
            // shares it. libvirt plugs the port and sets its QoS in two steps: when dvsd gave
            // the port a QoS in between and libvirt's row lost the race, libvirt's row wins
            // (dvsd's, now unreferenced, is collected).
            const ReplicaIndex::Qos* orphan = nullptr;
            if (!spec.owner.isNull()) {
                orphan = index_.libvirtQos(text.owner, ifname);
                if (orphan != nullptr && qosRow != nullptr &&
                    valueOf(StringMap(*qos->externalIds), keys::kPort).empty()) {
                    orphan = nullptr;
                }
            }
            if (orphan != nullptr) {
                txn_.update(portRow.uuid(), vs::Port::Values().setQos(
                                                std::optional<Ref>(Ref(orphan->row->uuid()))));
                adoptQos(spec, text, ifname, *orphan);
            } else if (qosRow != nullptr && qos->users == 1) {
                adoptQos(spec, text, ifname, *qos);
            } else {
                txn_.update(portRow.uuid(), vs::Port::Values().setQos(newQos(spec, text, ifname)));
            }
        } else if (qosRow != nullptr && isPortsQos(spec, text, ifname, *qos)) {
            txn_.update(portRow.uuid(), vs::Port::Values().setQos(std::nullopt));
            removeQos(*qosRow, true);
        }
        return txn_.operations().size() != before;
    }

    // Whether a QoS row was made for this port, by dvsd or by libvirt.
    static bool isPortsQos(const PortSpec& spec, const PortText& text, std::string_view ifname,
                           const ReplicaIndex::Qos& qos)
    {
        StringMap ids(*qos.externalIds);
        if (valueOf(ids, keys::kPort) == text.port) {
            return true;
        }
        return !spec.owner.isNull() && valueOf(ids, keys::kVmId) == text.owner &&
               valueOf(ids, keys::kIfname) == ifname;
    }

    // Makes a QoS row (and its queue 0) the port's.
    void adoptQos(const PortSpec& spec, const PortText& text, std::string_view ifname,
                  const ReplicaIndex::Qos& qos)
    {
        using Q = vs::Queue;
        const Row& qosRow = *qos.row;
        RateConfig rates(*spec.bandwidth.in);
        auto config = rates.pairs();
        auto ids = qosIds(spec, text, ifname);
        ColumnDiff(qosRow, types_).string({vs::QoS::Col::kType, qos.type}, "linux-htb").write(txn_);
        std::vector<Mutation> mutations;
        fixKeys(mutations, vs::QoS::kTable, vs::QoS::Col::kOtherConfig,
                StringMap(Column{vs::QoS::Col::kOtherConfig, qos.otherConfig}.in(qosRow)), config,
                {"min-rate", "burst", "max-rate"});
        fixKeys(mutations, vs::QoS::kTable, vs::QoS::Col::kExternalIds, StringMap(*qos.externalIds),
                ids);
        if (qos.queueRow == nullptr) {
            Ref created = txn_.insert(
                Q::Values().setOtherConfig(config.strings()).setExternalIds(ids.strings()));
            if (qos.queue) {
                mutations.push_back(vs::QoS::deleteQueuesKeys({0}));
            }
            mutations.push_back(vs::QoS::insertQueues({{0, created}}));
        } else {
            const Row& queueRow = *qos.queueRow;
            std::vector<Mutation> queueMutations;
            fixKeys(queueMutations, Q::kTable, Q::Col::kOtherConfig,
                    StringMap(Column{Q::Col::kOtherConfig, qos.queueOtherConfig}.in(queueRow)),
                    config, {"min-rate", "burst", "max-rate"});
            fixKeys(queueMutations, Q::kTable, Q::Col::kExternalIds,
                    StringMap(Column{Q::Col::kExternalIds, qos.queueExternalIds}.in(queueRow)),
                    ids);
            mutate(queueRow.uuid(), std::move(queueMutations));
        }
        mutate(qosRow.uuid(), std::move(mutations));
    }

    // Deletes a QoS row and those of its queues nobody else uses.
    void removeQos(const Row& qosRow, bool queuesToo)
    {
        if (!deleted_.insert(qosRow.uuid()).second) {
            return;
        }
        txn_.remove(vs::QoS::kTable, qosRow.uuid());
        if (!queuesToo) {
            return;
        }
        for (const auto& [key, queue] : vs::QoS::View(qosRow).queues()) {
            if (replica_.find(vs::Queue::kTable, queue) != nullptr &&
                deleted_.insert(queue).second) {
                txn_.remove(vs::Queue::kTable, queue);
            }
        }
    }

    // Removes a Port (and its Interfaces) from its bridge, with the QoS rows dvsd owns.
    void removePort(const util::Uuid& portUuid)
    {
        const Row* port = replica_.find(vs::Port::kTable, portUuid);
        if (port == nullptr || !deleted_.insert(portUuid).second) {
            return;
        }
        if (auto bridge = index_.bridgeOfPort(portUuid); bridge && deleted_.count(*bridge) == 0) {
            bridgeRemoves_[*bridge].emplace_back(portUuid);
        }
        txn_.remove(vs::Port::kTable, portUuid);
        vs::Port::View view(*port);
        for (const auto& iface : view.interfaces()) {
            if (deleted_.insert(iface).second) {
                txn_.remove(vs::Interface::kTable, iface);
            }
        }
        if (auto qos = view.qos()) {
            const ReplicaIndex::Qos* current = index_.qos(*qos);
            if (current != nullptr && current->row != nullptr && current->users == 1 &&
                !valueOf(stringMap(*current->row, vs::QoS::Col::kExternalIds), keys::kPort)
                     .empty()) {
                removeQos(*current->row, true);
            }
        }
    }

    // What dvsd created for a stopped network: its bridge (when dvsd created it) with every
    // port on it, or else its uplink and plugged ports on the bridge it used.
    void teardown(const std::string& network)
    {
        for (const auto& [uuid, row] : replica_.rows(vs::Bridge::kTable)) {
            vs::Bridge::View bridge(row);
            if (valueOf(stringMap(row, vs::Bridge::Col::kExternalIds), keys::kNetwork) == network) {
                deleted_.insert(uuid);
                txn_.remove(vs::Bridge::kTable, uuid);
                rootRemoves_.emplace_back(uuid);
                for (const auto& port : bridge.ports()) {
                    removePort(port);
                }
                continue;
            }
            for (const auto& port : bridge.ports()) {
                const Row* portRow = replica_.find(vs::Port::kTable, port);
                if (portRow == nullptr) {
                    continue;
                }
                auto ids = stringMap(*portRow, vs::Port::Col::kExternalIds);
                if (valueOf(ids, keys::kUplink) == network ||
                    (!valueOf(ids, keys::kPlugged).empty() &&
                     valueOf(ids, keys::kNetwork) == network)) {
                    removePort(port);
                }
            }
        }
    }

    // QoS and Queue rows dvsd tagged that nothing references any more.
    void collectGarbage()
    {
        for (const auto& [uuid, row] : replica_.rows(vs::QoS::kTable)) {
            if (index_.qos(uuid)->users == 0 && deleted_.count(uuid) == 0 &&
                !valueOf(stringMap(row, vs::QoS::Col::kExternalIds), keys::kPort).empty()) {
                removeQos(row, false);
            }
        }
        for (const auto& [uuid, row] : replica_.rows(vs::Queue::kTable)) {
            if (!index_.queueUsed(uuid) && deleted_.count(uuid) == 0 &&
                !valueOf(stringMap(row, vs::Queue::Col::kExternalIds), keys::kPort).empty()) {
                deleted_.insert(uuid);
                txn_.remove(vs::Queue::kTable, uuid);
            }
        }
    }

    // The set mutations of bridges and of the root row, and the new bridges.
    void finish()
    {
        std::set<util::Uuid> bridges;
        for (const auto& [uuid, refs] : bridgeAdds_) {
            bridges.insert(uuid);
        }
        for (const auto& [uuid, refs] : bridgeRemoves_) {
            bridges.insert(uuid);
        }
        for (const auto& uuid : bridges) {
            std::vector<Mutation> mutations;
            if (auto it = bridgeRemoves_.find(uuid); it != bridgeRemoves_.end()) {
                mutations.push_back(vs::Bridge::deletePorts(it->second));
            }
            if (auto it = bridgeAdds_.find(uuid); it != bridgeAdds_.end()) {
                mutations.push_back(vs::Bridge::insertPorts(it->second));
            }
            txn_.mutate(uuid, std::move(mutations));
        }
        std::vector<Ref> added;
        for (auto& [name, created] : newBridges_) {
            created.values.setPorts(created.ports);
            added.push_back(txn_.insert(created.values));
        }
        if (added.empty() && rootRemoves_.empty()) {
            return;
        }
        std::optional<Ref> root;
        if (index_.root) {
            root = Ref(*index_.root);
        }
        std::vector<Mutation> mutations;
        if (!rootRemoves_.empty() && root) {
            mutations.push_back(vs::OpenVSwitch::deleteBridges(rootRemoves_));
        }
        if (!added.empty()) {
            if (!root) {
                txn_.insert(vs::OpenVSwitch::Values().setBridges(added));
            } else {
                mutations.push_back(vs::OpenVSwitch::insertBridges(added));
            }
        }
        if (!mutations.empty()) {
            mutations.push_back(vs::OpenVSwitch::addNextCfg(1));
            txn_.mutate(root->uuid(), std::move(mutations));
        }
    }

    void update(const Row& row, const Json& values)
    {
        Json changed = changedColumns(row, values);
        if (!changed.empty()) {
            txn_.update(row.table().name, row.uuid(), std::move(changed));
        }
    }

    void mutate(const util::Uuid& uuid, std::vector<Mutation> mutations)
    {
        if (!mutations.empty()) {
            txn_.mutate(uuid, std::move(mutations));
        }
    }

    struct NewBridge
    {
        vs::Bridge::Values values;
        std::vector<Ref> ports;
    };

    const DesiredState& desired_;
    ovsdb::Transaction& txn_;
    const ovsdb::Replica& replica_;
    PlanReport& report_;
    ReplicaIndex index_;
    ColumnTypes types_;
    UuidSet deleted_;
    std::map<util::Uuid, std::vector<Ref>> bridgeAdds_;
    std::map<util::Uuid, std::vector<Ref>> bridgeRemoves_;
    std::map<std::string, NewBridge> newBridges_;
    std::vector<Ref> rootRemoves_;
};

} // namespace

void plan(const DesiredState& desired, ovsdb::Transaction& txn, PlanReport& report)
{
    Planner(desired, txn, report).run();
}

std::map<std::string, std::vector<std::string>> monitoredColumns()
{
    auto cols = [](std::initializer_list<std::string_view> names) {
        return std::vector<std::string>(names.begin(), names.end());
    };
    using B = vs::Bridge::Col;
    using P = vs::Port::Col;
    using I = vs::Interface::Col;
    return {
        {std::string(vs::OpenVSwitch::kTable),
         cols({vs::OpenVSwitch::Col::kBridges, vs::OpenVSwitch::Col::kNextCfg})},
        {std::string(vs::Bridge::kTable),
         cols({B::kName, B::kPorts, B::kDatapathType, B::kExternalIds})},
        {std::string(vs::Port::kTable),
         cols({P::kName, P::kInterfaces, P::kTag, P::kTrunks, P::kVlanMode, P::kQos, P::kBondMode,
               P::kLacp, P::kBondUpdelay, P::kBondDowndelay, P::kOtherConfig, P::kExternalIds})},
        {std::string(vs::Interface::kTable),
         cols({I::kName, I::kType, I::kExternalIds, I::kIngressPolicingRate,
               I::kIngressPolicingBurst, I::kMtuRequest})},
        {std::string(vs::QoS::kTable), cols({vs::QoS::Col::kType, vs::QoS::Col::kOtherConfig,
                                             vs::QoS::Col::kQueues, vs::QoS::Col::kExternalIds})},
        {std::string(vs::Queue::kTable),
         cols({vs::Queue::Col::kOtherConfig, vs::Queue::Col::kExternalIds})},
    };
}

} // namespace dvs::ovs

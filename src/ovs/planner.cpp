// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/planner.h"

#include <algorithm>

#include "ovs/external_ids.h"
#include "ovsdb/vswitch.h"
#include "util/error.h"

namespace dvs::ovs {

namespace {

namespace vs = ovsdb::vswitch;
namespace datum = ovsdb::datum;
using ovsdb::Json;
using ovsdb::Mutation;
using ovsdb::Ref;
using ovsdb::Row;
using Strings = std::map<std::string, std::string>;

const ovsdb::ColumnType& columnType(const Row& row, std::string_view column)
{
    const auto* c = row.table().column(column);
    if (c == nullptr) {
        raise(ErrorCode::InternalError, "table '{}' has no column '{}'", row.table().name, column);
    }
    return c->type;
}

// Whether a canonical datum of the replica equals a value as the generated Values encode it
// (a bare atom for a single value, ["set", atoms] otherwise), without building its canonical
// form: the planner compares every column of every port on every pass.
bool sameDatum(const ovsdb::ColumnType& type, const Json& current, const Json& wanted)
{
    if (type.isMap()) {
        return datum::canonical(type, wanted) == current;
    }
    bool wantedIsSet = wanted.is_array() && wanted.size() == 2 && wanted[0] == "set";
    if (type.isScalar()) {
        return !wantedIsSet && current == wanted;
    }
    if (!current.is_array() || current.size() != 2 || !current[1].is_array()) {
        return false;
    }
    const Json& have = current[1];
    if (!wantedIsSet) {
        return have.size() == 1 && have[0] == wanted;
    }
    const Json& want = wanted[1];
    if (want.size() != have.size()) {
        return false;
    }
    for (const auto& atom : want) {
        if (std::find(have.begin(), have.end(), atom) == have.end()) {
            return false;
        }
    }
    return true;
}

// The columns of values that differ from the row, as the row of an update (empty: none).
Json changedColumns(const Row& row, const Json& values)
{
    Json changed = Json::object();
    for (auto it = values.begin(); it != values.end(); ++it) {
        if (!sameDatum(columnType(row, it.key()), row.at(it.key()), it.value())) {
            changed[it.key()] = it.value();
        }
    }
    return changed;
}

// A string-to-string map column of a replica row, read in place.
class StringMap
{
public:
    explicit StringMap(const Json& datum) : datum_(&datum) {}

    // The value of key, or nullptr.
    const std::string* find(std::string_view key) const
    {
        const Json& d = *datum_;
        if (!d.is_array() || d.size() != 2 || !d[1].is_array()) {
            return nullptr;
        }
        for (const auto& pair : d[1]) {
            if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string() &&
                pair[0].get_ref<const std::string&>() == key) {
                return &pair[1].get_ref<const std::string&>();
            }
        }
        return nullptr;
    }

private:
    const Json* datum_;
};

StringMap stringMap(const Row& row, std::string_view column)
{
    return StringMap(row.at(column));
}

std::string_view valueOf(const StringMap& map, std::string_view key)
{
    const std::string* value = map.find(key);
    return value != nullptr ? std::string_view(*value) : std::string_view();
}

// Mutations that make the keys of want hold their values and remove the keys of drop that want
// lacks; every other key of the column is left alone.
void fixKeys(std::vector<Mutation>& out, std::string_view table, std::string_view column,
             const StringMap& current, const Strings& want,
             const std::vector<std::string>& drop = {})
{
    std::vector<std::string> remove;
    Strings add;
    for (const auto& [key, value] : want) {
        const std::string* have = current.find(key);
        if (have == nullptr) {
            add[key] = value;
        } else if (*have != value) {
            remove.push_back(key);
            add[key] = value;
        }
    }
    for (const auto& key : drop) {
        if (current.find(key) != nullptr && want.count(key) == 0) {
            remove.push_back(key);
        }
    }
    if (!remove.empty()) {
        out.push_back({table, std::string(column), "delete", datum::encodeSet(remove)});
    }
    if (!add.empty()) {
        out.push_back({table, std::string(column), "insert", datum::encodeMap(add)});
    }
}

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

// The replica, indexed the ways the planner looks things up.
struct Index
{
    std::optional<util::Uuid> root;
    std::map<std::string, util::Uuid> bridgeByName;
    std::map<std::string, util::Uuid> portByName;
    std::map<std::string, util::Uuid> ifaceByName;
    std::multimap<std::string, util::Uuid> ifacesByIfaceId;
    std::map<util::Uuid, util::Uuid> portOfIface;
    std::map<util::Uuid, util::Uuid> bridgeOfPort;
    std::map<util::Uuid, unsigned> qosUsers;
    std::set<util::Uuid> queuesUsed;
    // Unreferenced QoS rows libvirt made, by (vm-id, ifname).
    std::map<std::pair<std::string, std::string>, util::Uuid> libvirtQos;

    explicit Index(const ovsdb::Replica& replica)
    {
        for (const auto& row : vs::OpenVSwitch::all(replica)) {
            root = row.uuid();
            break;
        }
        for (const auto& [uuid, row] : replica.rows(vs::Bridge::kTable)) {
            vs::Bridge::View bridge(row);
            bridgeByName[bridge.name()] = uuid;
            for (const auto& port : bridge.ports()) {
                bridgeOfPort[port] = uuid;
            }
        }
        for (const auto& [uuid, row] : replica.rows(vs::Port::kTable)) {
            vs::Port::View port(row);
            portByName[port.name()] = uuid;
            for (const auto& iface : port.interfaces()) {
                portOfIface[iface] = uuid;
            }
            if (auto qos = port.qos()) {
                ++qosUsers[*qos];
            }
        }
        for (const auto& [uuid, row] : replica.rows(vs::Interface::kTable)) {
            ifaceByName[row.at(vs::Interface::Col::kName).get<std::string>()] = uuid;
            if (const auto* id =
                    stringMap(row, vs::Interface::Col::kExternalIds).find(keys::kIfaceId)) {
                ifacesByIfaceId.emplace(*id, uuid);
            }
        }
        for (const auto& [uuid, row] : replica.rows(vs::QoS::kTable)) {
            vs::QoS::View qos(row);
            for (const auto& [key, queue] : qos.queues()) {
                queuesUsed.insert(queue);
            }
            // libvirt's own rows for a port (vm-id and ifname, not yet ours) that no Port
            // references: libvirt set them on the port after dvsd had given it a QoS.
            auto ids = stringMap(row, vs::QoS::Col::kExternalIds);
            const auto* vmId = ids.find(keys::kVmId);
            const auto* ifname = ids.find(keys::kIfname);
            if (qosUsers.count(uuid) == 0 && ids.find(keys::kPort) == nullptr && vmId != nullptr &&
                ifname != nullptr) {
                libvirtQos.emplace(std::make_pair(*vmId, *ifname), uuid);
            }
        }
    }
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
            for (const auto& [portUuid, row] : replica_.rows(vs::Port::kTable)) {
                if (valueOf(stringMap(row, vs::Port::Col::kExternalIds), keys::kPlugged) ==
                    uuid.toString()) {
                    removePort(portUuid);
                }
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
        auto existing = index_.bridgeByName.find(spec.name);
        if (existing == index_.bridgeByName.end()) {
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
        const Row& row = *replica_.find(vs::Bridge::kTable, existing->second);
        vs::Bridge::View view(row);
        bool ours =
            valueOf(stringMap(row, vs::Bridge::Col::kExternalIds), keys::kNetwork) == spec.network;
        if (ours) {
            update(row, vs::Bridge::Values().setDatapathType(spec.datapathType).json());
            if (auto local = index_.ifaceByName.find(spec.name);
                local != index_.ifaceByName.end()) {
                update(*replica_.find(vs::Interface::kTable, local->second),
                       vs::Interface::Values().setMtuRequest(mtuRequest(spec.mtu)).json());
            }
        }
        // Uplink ports of this network: the desired one is created or corrected, others go.
        std::string wanted = spec.uplink ? uplinkPortName(*spec.uplink) : std::string();
        for (const auto& portUuid : view.ports()) {
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
        if (!spec.uplink || wanted.empty()) {
            return;
        }
        auto port = index_.portByName.find(wanted);
        if (port == index_.portByName.end()) {
            if (auto uplink = newUplink(spec)) {
                bridgeAdds_[existing->second].push_back(*uplink);
            }
            return;
        }
        const Row& portRow = *replica_.find(vs::Port::kTable, port->second);
        if (valueOf(stringMap(portRow, vs::Port::Col::kExternalIds), keys::kUplink) !=
            spec.network) {
            return; // somebody else's port of that name
        }
        fixUplink(spec, portRow);
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
        fixKeys(mutations, vs::Port::kTable, vs::Port::Col::kOtherConfig,
                stringMap(portRow, vs::Port::Col::kOtherConfig), lacpTime(uplink), {"lacp-time"});
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
        auto [begin, end] = index_.ifacesByIfaceId.equal_range(spec.interfaceId.toString());
        if (begin == end) {
            if (!spec.plugIfname.empty() && plugPort(spec)) {
                ++report_.programmed[spec.network];
                ++report_.portsWritten;
            } else {
                ++report_.pending[spec.network];
            }
            return;
        }
        bool wrote = false;
        bool found = false;
        for (auto it = begin; it != end; ++it) {
            auto portUuid = index_.portOfIface.find(it->second);
            if (portUuid == index_.portOfIface.end()) {
                continue;
            }
            found = true;
            wrote = programPort(spec, *replica_.find(vs::Interface::kTable, it->second),
                                *replica_.find(vs::Port::kTable, portUuid->second)) ||
                    wrote;
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

    static vs::Port::Values vlanValues(const conf::Vlan& vlan)
    {
        std::optional<std::int64_t> tag;
        std::vector<std::int64_t> trunks;
        std::optional<std::string> mode;
        if (!vlan.tags.empty()) {
            if (vlan.nativeMode != conf::VlanNativeMode::Default) {
                mode = vlan.nativeMode == conf::VlanNativeMode::Tagged ? "native-tagged"
                                                                       : "native-untagged";
                tag = vlan.nativeTag;
            }
            if (vlan.trunk) {
                for (unsigned t : vlan.tags) {
                    trunks.push_back(t);
                }
            } else {
                tag = vlan.tags.front();
            }
        }
        vs::Port::Values values;
        values.setTag(tag).setTrunks(trunks).setVlanMode(mode);
        return values;
    }

    static vs::Interface::Values policingValues(const PortSpec& spec)
    {
        conf::BandwidthRate none;
        const auto& out =
            spec.bandwidth.out && spec.bandwidth.out->average != 0 ? *spec.bandwidth.out : none;
        vs::Interface::Values values;
        values.setIngressPolicingRate(policingRate(out))
            .setIngressPolicingBurst(policingBurst(out));
        return values;
    }

    static Strings ifaceIds(const PortSpec& spec)
    {
        Strings ids{{std::string(keys::kIfaceId), spec.interfaceId.toString()},
                    {std::string(keys::kAttachedMac), spec.mac.toString()},
                    {std::string(keys::kIfaceStatus), "active"}};
        if (!spec.owner.isNull()) {
            ids[std::string(keys::kVmId)] = spec.owner.toString();
        }
        return ids;
    }

    // vm-id and ifname, as libvirt tags its QoS rows, plus our own key.
    static Strings qosIds(const PortSpec& spec, const std::string& ifname)
    {
        Strings ids{{std::string(keys::kIfname), ifname},
                    {std::string(keys::kPort), spec.port.toString()}};
        if (!spec.owner.isNull()) {
            ids[std::string(keys::kVmId)] = spec.owner.toString();
        }
        return ids;
    }

    static Strings rateConfig(const conf::BandwidthRate& in)
    {
        Strings config{{"min-rate", std::to_string(qosMinRate(in))}};
        if (in.burst != 0) {
            config["burst"] = std::to_string(qosBurst(in));
        }
        if (in.peak != 0) {
            config["max-rate"] = std::to_string(qosMaxRate(in));
        }
        return config;
    }

    static const std::vector<std::string>& rateKeys()
    {
        static const std::vector<std::string> kKeys{"min-rate", "burst", "max-rate"};
        return kKeys;
    }

    Ref newQos(const PortSpec& spec, const std::string& ifname)
    {
        auto config = rateConfig(*spec.bandwidth.in);
        auto ids = qosIds(spec, ifname);
        Ref queue = txn_.insert(vs::Queue::Values().setOtherConfig(config).setExternalIds(ids));
        return txn_.insert(vs::QoS::Values()
                               .setType("linux-htb")
                               .setOtherConfig(config)
                               .setQueues({{0, queue}})
                               .setExternalIds(ids));
    }

    Strings portIds(const PortSpec& spec, const std::string& ifname)
    {
        Strings ids{{std::string(keys::kPort), spec.port.toString()}};
        if (hasInbound(spec)) {
            ids[std::string(keys::kIfname)] = ifname;
            if (!spec.owner.isNull()) {
                ids[std::string(keys::kVmId)] = spec.owner.toString();
            }
        }
        return ids;
    }

    // Adds the Port and Interface of a port dvsd plugs itself; false when it cannot yet.
    bool plugPort(const PortSpec& spec)
    {
        if (index_.ifaceByName.count(spec.plugIfname) != 0 ||
            index_.portByName.count(spec.plugIfname) != 0) {
            report_.conflicts[spec.port] =
                fmt::format("device '{}' is already a port of Open vSwitch", spec.plugIfname);
            return false;
        }
        std::vector<Ref>* ports = nullptr;
        if (auto it = newBridges_.find(spec.bridge); it != newBridges_.end()) {
            ports = &it->second.ports;
        } else if (auto existing = index_.bridgeByName.find(spec.bridge);
                   existing != index_.bridgeByName.end()) {
            ports = &bridgeAdds_[existing->second];
        } else {
            return false;
        }
        auto ifaceValues = policingValues(spec);
        ifaceValues.setName(spec.plugIfname).setExternalIds(ifaceIds(spec));
        Ref iface = txn_.insert(ifaceValues);
        auto portValues = vlanValues(spec.vlan);
        auto ids = portIds(spec, spec.plugIfname);
        ids[std::string(keys::kPlugged)] = spec.port.toString();
        ids[std::string(keys::kNetwork)] = spec.network;
        portValues.setName(spec.plugIfname).setInterfaces({iface}).setExternalIds(ids);
        if (hasInbound(spec)) {
            portValues.setQos(newQos(spec, spec.plugIfname));
        }
        ports->push_back(txn_.insert(portValues));
        return true;
    }

    // Makes a plugged Port/Interface match the port; returns whether anything is written.
    bool programPort(const PortSpec& spec, const Row& ifaceRow, const Row& portRow)
    {
        std::size_t before = txn_.operations().size();
        std::string ifname = vs::Interface::View(ifaceRow).name();

        update(ifaceRow, policingValues(spec).json());
        std::vector<Mutation> ifaceMutations;
        fixKeys(ifaceMutations, vs::Interface::kTable, vs::Interface::Col::kExternalIds,
                stringMap(ifaceRow, vs::Interface::Col::kExternalIds), ifaceIds(spec));
        mutate(ifaceRow.uuid(), std::move(ifaceMutations));

        update(portRow, vlanValues(spec.vlan).json());
        std::vector<Mutation> portMutations;
        fixKeys(portMutations, vs::Port::kTable, vs::Port::Col::kExternalIds,
                stringMap(portRow, vs::Port::Col::kExternalIds), portIds(spec, ifname));
        mutate(portRow.uuid(), std::move(portMutations));

        auto qos = vs::Port::View(portRow).qos();
        const Row* qosRow = qos ? replica_.find(vs::QoS::kTable, *qos) : nullptr;
        if (hasInbound(spec)) {
            // libvirt's own QoS row for the port (or ours) is adopted unless another port
            // shares it. libvirt plugs the port and sets its QoS in two steps: when dvsd gave
            // the port a QoS in between and libvirt's row lost the race, libvirt's row wins
            // (dvsd's, now unreferenced, is collected).
            const Row* orphan = nullptr;
            if (auto it = index_.libvirtQos.find({spec.owner.toString(), ifname});
                !spec.owner.isNull() && it != index_.libvirtQos.end() &&
                (qosRow == nullptr ||
                 !valueOf(stringMap(*qosRow, vs::QoS::Col::kExternalIds), keys::kPort).empty())) {
                orphan = replica_.find(vs::QoS::kTable, it->second);
            }
            if (orphan != nullptr) {
                txn_.update(portRow.uuid(),
                            vs::Port::Values().setQos(std::optional<Ref>(Ref(orphan->uuid()))));
                adoptQos(spec, ifname, *orphan);
            } else if (qosRow != nullptr && index_.qosUsers[*qos] == 1) {
                adoptQos(spec, ifname, *qosRow);
            } else {
                txn_.update(portRow.uuid(), vs::Port::Values().setQos(newQos(spec, ifname)));
            }
        } else if (qosRow != nullptr && isPortsQos(spec, ifname, *qosRow)) {
            txn_.update(portRow.uuid(), vs::Port::Values().setQos(std::nullopt));
            removeQos(*qosRow, true);
        }
        return txn_.operations().size() != before;
    }

    // Whether a QoS row was made for this port, by dvsd or by libvirt.
    static bool isPortsQos(const PortSpec& spec, const std::string& ifname, const Row& qosRow)
    {
        auto ids = stringMap(qosRow, vs::QoS::Col::kExternalIds);
        if (valueOf(ids, keys::kPort) == spec.port.toString()) {
            return true;
        }
        return !spec.owner.isNull() && valueOf(ids, keys::kVmId) == spec.owner.toString() &&
               valueOf(ids, keys::kIfname) == ifname;
    }

    void adoptQos(const PortSpec& spec, const std::string& ifname, const Row& qosRow)
    {
        auto config = rateConfig(*spec.bandwidth.in);
        auto ids = qosIds(spec, ifname);
        update(qosRow, vs::QoS::Values().setType("linux-htb").json());
        std::vector<Mutation> mutations;
        fixKeys(mutations, vs::QoS::kTable, vs::QoS::Col::kOtherConfig,
                stringMap(qosRow, vs::QoS::Col::kOtherConfig), config, rateKeys());
        fixKeys(mutations, vs::QoS::kTable, vs::QoS::Col::kExternalIds,
                stringMap(qosRow, vs::QoS::Col::kExternalIds), ids);
        auto queues = vs::QoS::View(qosRow).queues();
        const Row* queueRow = nullptr;
        if (auto it = queues.find(0); it != queues.end()) {
            queueRow = replica_.find(vs::Queue::kTable, it->second);
        }
        if (queueRow == nullptr) {
            Ref queue = txn_.insert(vs::Queue::Values().setOtherConfig(config).setExternalIds(ids));
            if (queues.count(0) != 0) {
                mutations.push_back(vs::QoS::deleteQueuesKeys({0}));
            }
            mutations.push_back(vs::QoS::insertQueues({{0, queue}}));
        } else {
            std::vector<Mutation> queueMutations;
            fixKeys(queueMutations, vs::Queue::kTable, vs::Queue::Col::kOtherConfig,
                    stringMap(*queueRow, vs::Queue::Col::kOtherConfig), config, rateKeys());
            fixKeys(queueMutations, vs::Queue::kTable, vs::Queue::Col::kExternalIds,
                    stringMap(*queueRow, vs::Queue::Col::kExternalIds), ids);
            mutate(queueRow->uuid(), std::move(queueMutations));
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
        if (auto bridge = index_.bridgeOfPort.find(portUuid);
            bridge != index_.bridgeOfPort.end() && deleted_.count(bridge->second) == 0) {
            bridgeRemoves_[bridge->second].emplace_back(portUuid);
        }
        txn_.remove(vs::Port::kTable, portUuid);
        vs::Port::View view(*port);
        for (const auto& iface : view.interfaces()) {
            if (deleted_.insert(iface).second) {
                txn_.remove(vs::Interface::kTable, iface);
            }
        }
        if (auto qos = view.qos()) {
            const Row* qosRow = replica_.find(vs::QoS::kTable, *qos);
            if (qosRow != nullptr && index_.qosUsers[*qos] == 1 &&
                !valueOf(stringMap(*qosRow, vs::QoS::Col::kExternalIds), keys::kPort).empty()) {
                removeQos(*qosRow, true);
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
            if (index_.qosUsers.count(uuid) == 0 && deleted_.count(uuid) == 0 &&
                !valueOf(stringMap(row, vs::QoS::Col::kExternalIds), keys::kPort).empty()) {
                removeQos(row, false);
            }
        }
        for (const auto& [uuid, row] : replica_.rows(vs::Queue::kTable)) {
            if (index_.queuesUsed.count(uuid) == 0 && deleted_.count(uuid) == 0 &&
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
    Index index_;
    std::set<util::Uuid> deleted_;
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

// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/planner.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "ovs/external_ids.h"
#include "ovsdb/vswitch.h"
#include "util/error.h"
#include "util/number.h"

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

// Whether two strings are equal, telling most different ones apart without calling memcmp.
bool sameText(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           (a.empty() || (a.front() == b.front() && a.back() == b.back() && a == b));
}

// Finds columns of one row in the order the row sorts them (byte order of their names): each
// one walks on from the previous one and compares names for equality only, cheaper than a
// lookup from the root. A column asked for out of order is looked up.
class ColumnCursor
{
public:
    explicit ColumnCursor(const Row& row) : row_(row), next_(row.columns().begin()) {}

    // The column's value, or nullptr when it is not replicated.
    const Json* find(std::string_view column)
    {
        for (auto it = next_; it != row_.columns().end(); ++it) {
            if (sameText(it->first, column)) {
                next_ = std::next(it);
                return &it->second;
            }
        }
        return row_.find(column);
    }
    // The column's value; throws like Row::at() when it is not replicated.
    const Json& operator[](std::string_view column)
    {
        const Json* value = find(column);
        return value != nullptr ? *value : row_.at(column);
    }

private:
    const Row& row_;
    std::map<std::string, Json, std::less<>>::const_iterator next_;
};

// The types of the columns the planner compares, looked up once per pass. Columns are told
// apart by the address of their name: the planner passes the generated constants.
class ColumnTypes
{
public:
    const ovsdb::ColumnType& of(const Row& row, std::string_view column)
    {
        for (const auto& entry : entries_) {
            if (entry.table == &row.table() && entry.name == column.data() &&
                entry.size == column.size()) {
                return *entry.type;
            }
        }
        const auto& type = columnType(row, column);
        entries_.push_back({&row.table(), column.data(), column.size(), &type});
        return type;
    }

private:
    struct Entry
    {
        const ovsdb::TableSchema* table;
        const char* name;
        std::size_t size;
        const ovsdb::ColumnType* type;
    };
    std::vector<Entry> entries_;
};

// A column of a replica row as an index found it: its name and its value (nullptr when the
// column is not replicated).
struct Column
{
    std::string_view name;
    const Json* value = nullptr;

    // The value; throws like Row::at() when the column is not replicated.
    const Json& in(const Row& row) const { return value != nullptr ? *value : row.at(name); }
};

// The columns of one row that differ from wanted values, collected as the row of an update.
// Each value is compared as sameDatum() compares its encoding by the generated Values, but in
// place: a pass over unchanged ports builds no JSON at all.
class ColumnDiff
{
public:
    ColumnDiff(const Row& row, ColumnTypes& types) : row_(row), types_(types) {}

    // An integer column (Values: a bare atom).
    ColumnDiff& integer(const Column& column, std::int64_t value)
    {
        return generic(column, Json(value));
    }
    // An optional integer column (Values: a bare atom, or the empty set).
    ColumnDiff& optionalInteger(const Column& column, std::optional<std::int64_t> value)
    {
        if (value) {
            return integer(column, *value);
        }
        return emptySet(column);
    }
    // A set of integers (Values: always a set).
    ColumnDiff& integers(const Column& column, const std::vector<std::int64_t>& values)
    {
        if (values.empty()) {
            return emptySet(column);
        }
        return generic(column, datum::encodeSet(values));
    }
    // A string column (Values: a bare atom).
    ColumnDiff& string(const Column& column, std::string_view value)
    {
        const auto& type = types_.of(row_, column.name);
        const Json& current = column.in(row_);
        if (!type.isScalar() || type.isMap()) {
            return compare(column, type, current, datum::encode(std::string(value)));
        }
        const auto* have = current.get_ptr<const std::string*>();
        if (have == nullptr || *have != value) {
            changed_[std::string(column.name)] = datum::encode(std::string(value));
        }
        return *this;
    }
    // An optional string column (Values: a bare atom, or the empty set).
    ColumnDiff& optionalString(const Column& column, const std::optional<std::string>& value)
    {
        if (value) {
            return generic(column, datum::encode(*value));
        }
        return emptySet(column);
    }

    // Adds the update of the changed columns to txn, when there are any.
    void write(ovsdb::Transaction& txn)
    {
        if (!changed_.empty()) {
            txn.update(row_.table().name, row_.uuid(), std::move(changed_));
        }
    }

private:
    ColumnDiff& generic(const Column& column, Json wanted)
    {
        const auto& type = types_.of(row_, column.name);
        return compare(column, type, column.in(row_), std::move(wanted));
    }
    ColumnDiff& compare(const Column& column, const ovsdb::ColumnType& type, const Json& current,
                        Json wanted)
    {
        if (!sameDatum(type, current, wanted)) {
            changed_[std::string(column.name)] = std::move(wanted);
        }
        return *this;
    }
    // The empty set, as encodeOptional(nullopt) and encodeSet({}) write it.
    ColumnDiff& emptySet(const Column& column)
    {
        const auto& type = types_.of(row_, column.name);
        const Json& current = column.in(row_);
        if (type.isMap()) {
            return compare(column, type, current, datum::encodeSet(std::vector<std::int64_t>()));
        }
        const auto* pair = current.get_ptr<const Json::array_t*>();
        bool same = !type.isScalar() && pair != nullptr && pair->size() == 2 &&
                    (*pair)[1].is_array() && (*pair)[1].empty();
        if (!same) {
            changed_[std::string(column.name)] = datum::encodeSet(std::vector<std::int64_t>());
        }
        return *this;
    }

    const Row& row_;
    ColumnTypes& types_;
    // Null until a column differs (operator[] makes it an object): no allocation otherwise.
    Json changed_;
};

// The atoms of a set datum of the replica, read in place as datum::setElements() reads them
// (["set", atoms], or a bare atom for a set of one); throws as it does for anything else.
class Atoms
{
public:
    explicit Atoms(const Json& datum)
    {
        if (datum.is_array() && datum.size() == 2 && datum[0].is_string() &&
            datum[0].get_ref<const std::string&>() == "set" && datum[1].is_array()) {
            const auto& atoms = datum[1].get_ref<const Json::array_t&>();
            begin_ = atoms.data();
            end_ = begin_ + atoms.size();
            return;
        }
        bool atom = datum.is_primitive() ||
                    (datum.is_array() && datum.size() == 2 && datum[0].is_string() &&
                     (datum[0].get_ref<const std::string&>() == "uuid" ||
                      datum[0].get_ref<const std::string&>() == "named-uuid"));
        if (!atom) {
            datum::setElements(datum); // throws
        }
        begin_ = &datum;
        end_ = begin_ + 1;
    }

    const Json* begin() const noexcept { return begin_; }
    const Json* end() const noexcept { return end_; }
    std::size_t size() const noexcept { return static_cast<std::size_t>(end_ - begin_); }
    bool empty() const noexcept { return begin_ == end_; }

private:
    const Json* begin_ = nullptr;
    const Json* end_ = nullptr;
};

// A string column of a replica row, in place (View::name() and the like copy it).
const std::string& stringDatum(const Json& value)
{
    Atoms atoms(value);
    if (atoms.size() != 1) {
        datum::decodeAtom<std::string>(value); // throws
    }
    const Json& atom = *atoms.begin();
    if (!atom.is_string()) {
        datum::decodeAtom<std::string>(atom); // throws
    }
    return atom.get_ref<const std::string&>();
}

const std::string& stringColumn(const Row& row, std::string_view column)
{
    return stringDatum(row.at(column));
}

// A uuid atom (["uuid", "8-4-4-4-12 hex digits"]), as datum::decodeAtom() reads it; the text
// the server writes is converted here directly, anything else goes through decodeAtom().
util::Uuid uuidAtom(const Json& atom)
{
    const auto* pair = atom.get_ptr<const Json::array_t*>();
    const std::string* text = nullptr;
    if (pair != nullptr && pair->size() == 2 && (*pair)[0] == "uuid") {
        text = (*pair)[1].get_ptr<const std::string*>();
    }
    if (text == nullptr || text->size() != 36) {
        return datum::decodeAtom<util::Uuid>(atom);
    }
    std::array<std::uint8_t, 16> bytes{};
    std::size_t pos = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if ((*text)[pos] != '-') {
                return datum::decodeAtom<util::Uuid>(atom);
            }
            ++pos;
        }
        int hi = util::hexDigitValue((*text)[pos]);
        int lo = util::hexDigitValue((*text)[pos + 1]);
        if (hi < 0 || lo < 0) {
            return datum::decodeAtom<util::Uuid>(atom);
        }
        bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
        pos += 2;
    }
    return util::Uuid(bytes);
}

// An optional uuid column (Port.qos) without copying the datum.
std::optional<util::Uuid> optionalUuid(const Json& value)
{
    Atoms atoms(value);
    if (atoms.empty()) {
        return std::nullopt;
    }
    return uuidAtom(*atoms.begin());
}

// Calls fn with each uuid of a set-of-uuids datum (Port.interfaces, Bridge.ports).
template <typename Fn>
void forEachUuid(const Json& value, Fn&& fn)
{
    for (const Json& atom : Atoms(value)) {
        fn(uuidAtom(atom));
    }
}

// Calls fn(key, uuid) with each pair of an integer-to-uuid map datum (QoS.queues), in place.
template <typename Fn>
void forEachQueue(const Json& value, Fn&& fn)
{
    if (!value.is_array() || value.size() != 2 || value[0] != "map" || !value[1].is_array()) {
        datum::mapPairs(value); // throws
    }
    for (const Json& pair : value[1]) {
        if (!pair.is_array() || pair.size() != 2) {
            datum::mapPairs(value); // throws
        }
        fn(datum::decodeAtom<std::int64_t>(pair[0]), uuidAtom(pair[1]));
    }
}

struct UuidHash
{
    std::size_t operator()(const util::Uuid& uuid) const noexcept
    {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        std::memcpy(&a, uuid.bytes().data(), sizeof a);
        std::memcpy(&b, uuid.bytes().data() + sizeof a, sizeof b);
        std::uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL);
        h ^= h >> 32;
        h *= 0xd6e8feb86659fd93ULL;
        h ^= h >> 32;
        return static_cast<std::size_t>(h);
    }
};

using UuidSet = std::unordered_set<util::Uuid, UuidHash>;

// An open-addressing hash table for the indexes of one pass: one allocation for all its entries
// where std::unordered_map makes one per entry. An insert may move every value.
template <typename Key, typename Value, typename Hash = std::hash<Key>>
class FlatMap
{
public:
    void reserve(std::size_t count)
    {
        std::size_t capacity = 16;
        while (capacity < count * 2) {
            capacity *= 2;
        }
        if (capacity > slots_.size()) {
            rehash(capacity);
        }
    }

    // The value of key, value-initialised when the key is new.
    Value& operator[](const Key& key)
    {
        if ((size_ + 1) * 2 > slots_.size()) {
            rehash(std::max<std::size_t>(16, slots_.size() * 2));
        }
        Slot& slot = slots_[position(key)];
        if (!slot.used) {
            slot.used = true;
            slot.key = key;
            ++size_;
        }
        return slot.value;
    }

    // The value of key, or nullptr.
    const Value* find(const Key& key) const
    {
        if (slots_.empty()) {
            return nullptr;
        }
        const Slot& slot = slots_[position(key)];
        return slot.used ? &slot.value : nullptr;
    }
    Value* find(const Key& key) { return const_cast<Value*>(std::as_const(*this).find(key)); }

private:
    struct Slot
    {
        Key key{};
        Value value{};
        bool used = false;
    };

    // The slot holding key, or the free one where it goes.
    std::size_t position(const Key& key) const
    {
        std::size_t mask = slots_.size() - 1;
        std::size_t hash = Hash{}(key);
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            const Slot& slot = slots_[i];
            if (!slot.used || slot.key == key) {
                return i;
            }
        }
    }

    void rehash(std::size_t capacity)
    {
        std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
        for (auto& slot : old) {
            if (slot.used) {
                slots_[position(slot.key)] = std::move(slot);
            }
        }
    }

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

class KeyValues;

// A string-to-string map column of a replica row, read in place.
class StringMap
{
public:
    explicit StringMap(const Json& datum)
    {
        const auto* d = datum.get_ptr<const Json::array_t*>();
        if (d != nullptr && d->size() == 2) {
            pairs_ = (*d)[1].get_ptr<const Json::array_t*>();
        }
    }

    // The value of key, or nullptr.
    const std::string* find(std::string_view key) const
    {
        if (pairs_ != nullptr) {
            for (const auto& pair : *pairs_) {
                auto [k, v] = entry(pair);
                if (k != nullptr && sameText(*k, key)) {
                    return v;
                }
            }
        }
        return nullptr;
    }

    // Whether find() sees every key of want with its value and none of drop that want lacks;
    // in one walk over the pairs.
    bool holds(const KeyValues& want, std::initializer_list<std::string_view> drop) const;

private:
    // A pair's key and value, or nullptrs when it is not a pair of strings.
    static std::pair<const std::string*, const std::string*> entry(const Json& pair)
    {
        const auto* p = pair.get_ptr<const Json::array_t*>();
        if (p == nullptr || p->size() != 2) {
            return {nullptr, nullptr};
        }
        const auto* k = (*p)[0].get_ptr<const std::string*>();
        const auto* v = (*p)[1].get_ptr<const std::string*>();
        if (k == nullptr || v == nullptr) {
            return {nullptr, nullptr};
        }
        return {k, v};
    }

    const Json::array_t* pairs_ = nullptr;
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

// The pairs a map column should hold, sorted by key as a std::map<std::string, std::string>
// would hold them, viewing strings that outlive it: no allocation per port.
class KeyValues
{
public:
    using Pair = std::pair<std::string_view, std::string_view>;
    // The most keys dvsd writes in one column.
    static constexpr std::size_t kCapacity = 8;

    KeyValues() = default;
    KeyValues(std::initializer_list<Pair> pairs)
    {
        for (const auto& [key, value] : pairs) {
            set(key, value);
        }
    }
    explicit KeyValues(const Strings& strings)
    {
        for (const auto& [key, value] : strings) {
            set(key, value);
        }
    }

    // Sets key to value, replacing the value it had.
    KeyValues& set(std::string_view key, std::string_view value)
    {
        Pair* end = pairs_.data() + size_;
        Pair* it =
            std::lower_bound(pairs_.data(), end, key,
                             [](const Pair& pair, std::string_view k) { return pair.first < k; });
        if (it != end && it->first == key) {
            it->second = value;
            return *this;
        }
        if (size_ == pairs_.size()) {
            raise(ErrorCode::InternalError, "too many keys for column pairs");
        }
        std::move_backward(it, end, end + 1);
        *it = {key, value};
        ++size_;
        return *this;
    }
    bool contains(std::string_view key) const { return indexOf(key) != size_; }
    // The position of key, or size() when absent.
    std::size_t indexOf(std::string_view key) const
    {
        for (std::size_t i = 0; i < size_; ++i) {
            if (sameText(pairs_[i].first, key)) {
                return i;
            }
        }
        return size_;
    }
    std::size_t size() const noexcept { return size_; }
    const Pair* begin() const noexcept { return pairs_.data(); }
    const Pair* end() const noexcept { return pairs_.data() + size_; }
    // A copy, for the generated Values.
    Strings strings() const
    {
        Strings out;
        for (const auto& [key, value] : *this) {
            out.emplace(key, value);
        }
        return out;
    }

private:
    std::array<Pair, kCapacity> pairs_{};
    std::size_t size_ = 0;
};

bool StringMap::holds(const KeyValues& want, std::initializer_list<std::string_view> drop) const
{
    std::array<bool, KeyValues::kCapacity> seen{};
    std::size_t matched = 0;
    if (pairs_ != nullptr) {
        for (const auto& pair : *pairs_) {
            auto [key, value] = entry(pair);
            if (key == nullptr) {
                continue;
            }
            std::size_t i = want.indexOf(*key);
            if (i != want.size()) {
                // find() returns the first pair of a key.
                if (!seen[i]) {
                    seen[i] = true;
                    if (*value != want.begin()[i].second) {
                        return false;
                    }
                    ++matched;
                }
                continue;
            }
            for (const auto& dropped : drop) {
                if (sameText(*key, dropped)) {
                    return false;
                }
            }
        }
    }
    return matched == want.size();
}

// Mutations that make the keys of want hold their values and remove the keys of drop that want
// lacks; every other key of the column is left alone.
void fixKeys(std::vector<Mutation>& out, std::string_view table, std::string_view column,
             const StringMap& current, const KeyValues& want,
             std::initializer_list<std::string_view> drop = {})
{
    // Most passes change nothing: look before building anything.
    if (current.holds(want, drop)) {
        return;
    }
    std::vector<std::string> remove;
    Strings add;
    for (const auto& [key, value] : want) {
        const std::string* have = current.find(key);
        if (have == nullptr) {
            add.emplace(key, value);
        } else if (*have != value) {
            remove.emplace_back(key);
            add.emplace(key, value);
        }
    }
    for (const auto& key : drop) {
        if (current.find(key) != nullptr && !want.contains(key)) {
            remove.emplace_back(key);
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

// The replica, indexed the ways the planner looks things up, with the columns a pass compares
// found once per row as it is indexed. Rows are held by address and strings by view: the
// replica does not change while a pass runs. Indexes only some passes need are built on first
// use.
class Index
{
public:
    // An Interface row.
    struct Iface
    {
        const Row* row = nullptr;
        const Json* externalIds = nullptr;
        const Json* policingBurst = nullptr;
        const Json* policingRate = nullptr;
        const Json* name = nullptr;
    };
    // A QoS row (or a uuid a Port references that is not in the replica), with its queue 0.
    struct Qos
    {
        const Row* row = nullptr; // nullptr: referenced, but not in the replica
        unsigned users = 0;       // Ports referencing it
        const Json* externalIds = nullptr;
        const Json* otherConfig = nullptr;
        const Json* type = nullptr;
        // Its queues[0] as QoS::View::queues() maps it, and that Queue's row (or nullptr).
        std::optional<util::Uuid> queue;
        const Row* queueRow = nullptr;
        const Json* queueExternalIds = nullptr;
        const Json* queueOtherConfig = nullptr;
    };
    // A Port row, with the QoS it references (kNoQos: none).
    struct Port
    {
        static constexpr std::uint32_t kNoQos = UINT32_MAX;
        const Row* row = nullptr;
        std::uint32_t qos = kNoQos;
        const Json* externalIds = nullptr;
        const Json* tag = nullptr;
        const Json* trunks = nullptr;
        const Json* vlanMode = nullptr;
    };

    explicit Index(const ovsdb::Replica& replica) : replica_(replica)
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

    // The first row of Open_vSwitch.
    std::optional<util::Uuid> root;

    // The row of the Bridge, Port or Interface of that name, or nullptr.
    const Row* bridgeNamed(std::string_view name) const
    {
        auto it = bridgeByName_.find(name);
        return it != bridgeByName_.end() ? it->second : nullptr;
    }
    const Row* portNamed(std::string_view name)
    {
        return named(portByName_, vs::Port::kTable, vs::Port::Col::kName, name);
    }
    const Row* ifaceNamed(std::string_view name)
    {
        return named(ifaceByName_, vs::Interface::kTable, vs::Interface::Col::kName, name);
    }

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

    // An unreferenced QoS row libvirt made for the port of that domain and device, or nullptr.
    const Qos* libvirtQos(std::string_view vmId, std::string_view ifname) const
    {
        if (libvirtQos_.empty()) {
            return nullptr;
        }
        auto it = libvirtQos_.find({vmId, ifname});
        return it != libvirtQos_.end() ? &qos_[it->second] : nullptr;
    }

    // Whether a QoS row references the Queue row.
    bool queueUsed(const util::Uuid& queue) const
    {
        const Queue* entry = queues_.find(queue);
        return entry != nullptr && entry->used;
    }

    // Whether a Port tagged dvs-uplink=network has a name other than name.
    bool otherUplink(std::string_view network, std::string_view name) const
    {
        return std::any_of(uplinks_.begin(), uplinks_.end(), [&](const auto& uplink) {
            return uplink.first == network && uplink.second != name;
        });
    }

    // The Ports tagged dvs-plugged=port, in uuid order.
    const std::vector<util::Uuid>& pluggedFor(std::string_view port)
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

    // The Bridge a Port is on.
    std::optional<util::Uuid> bridgeOfPort(const util::Uuid& port)
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

private:
    using ByName = FlatMap<std::string_view, const Row*>;
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
        const Row* row = nullptr;
        bool used = false; // a QoS row references it
        const Json* externalIds = nullptr;
        const Json* otherConfig = nullptr;
    };

    // Each row's columns are found in the order it sorts them (ColumnCursor).
    void indexPorts()
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

    void indexIfaces()
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

    void indexQos()
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
                libvirtQos_.emplace(
                    std::make_pair(std::string_view(*vmId), std::string_view(*ifname)), entry);
            }
        }
    }

    // The index in qos_ of the entry of a QoS uuid, added when new.
    std::uint32_t qosEntry(const util::Uuid& uuid)
    {
        std::uint32_t& entry = qosByUuid_[uuid];
        if (entry == 0) {
            qos_.emplace_back();
            entry = static_cast<std::uint32_t>(qos_.size());
        }
        return entry - 1;
    }

    const Row* named(std::optional<ByName>& index, std::string_view table, std::string_view column,
                     std::string_view name)
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

    const ovsdb::Replica& replica_;
    std::unordered_map<std::string_view, const Row*> bridgeByName_;
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
        bool any = index_.forEachIfaceWithId(text.interfaceId, [&](const Index::Iface& iface) {
            const Index::Port* port = index_.portOfIface(iface.row->uuid());
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
    bool programPort(const PortSpec& spec, const PortText& text, const Index::Iface& iface,
                     const Index::Port& port)
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

        const Index::Qos* qos = index_.qosOf(port);
        const Row* qosRow = qos != nullptr ? qos->row : nullptr;
        if (hasInbound(spec)) {
            // libvirt's own QoS row for the port (or ours) is adopted unless another port
            // shares it. libvirt plugs the port and sets its QoS in two steps: when dvsd gave
            // the port a QoS in between and libvirt's row lost the race, libvirt's row wins
            // (dvsd's, now unreferenced, is collected).
            const Index::Qos* orphan = nullptr;
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
                           const Index::Qos& qos)
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
                  const Index::Qos& qos)
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
            const Index::Qos* current = index_.qos(*qos);
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
    Index index_;
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

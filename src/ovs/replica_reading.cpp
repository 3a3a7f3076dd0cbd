// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/replica_reading.h"

#include <array>
#include <cstdint>

#include "util/error.h"
#include "util/number.h"

namespace dvs::ovs {

namespace datum = ovsdb::datum;
using ovsdb::Json;

const ovsdb::ColumnType& columnType(const ovsdb::Row& row, std::string_view column)
{
    const auto* c = row.table().column(column);
    if (c == nullptr) {
        raise(ErrorCode::InternalError, "table '{}' has no column '{}'", row.table().name, column);
    }
    return c->type;
}

bool Atoms::isAtom(const Json& datum)
{
    return datum.is_primitive() || (datum.is_array() && datum.size() == 2 && datum[0].is_string() &&
                                    (datum[0].get_ref<const std::string&>() == "uuid" ||
                                     datum[0].get_ref<const std::string&>() == "named-uuid"));
}

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

const std::string& stringColumn(const ovsdb::Row& row, std::string_view column)
{
    return stringDatum(row.at(column));
}

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

std::optional<util::Uuid> optionalUuid(const Json& value)
{
    Atoms atoms(value);
    if (atoms.empty()) {
        return std::nullopt;
    }
    return uuidAtom(*atoms.begin());
}

void checkMapDatum(const Json& value)
{
    if (!value.is_array() || value.size() != 2 || value[0] != "map" || !value[1].is_array()) {
        datum::mapPairs(value); // throws
    }
}

} // namespace dvs::ovs

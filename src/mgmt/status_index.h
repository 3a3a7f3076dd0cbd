// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mgmt/database.h"

namespace dvs::mgmt {

// The status rows of a switch's hosts, read once for all its members (looking them up member by
// member reads N rows N times: seconds for a fleet of a thousand hosts, on every update).
class StatusIndex
{
public:
    StatusIndex(const ovsdb::Replica& replica, std::string_view sw)
    {
        for (const auto& row : db::MemberStatus::all(replica)) {
            if (row.switchColumn() == sw) {
                members_.emplace(row.host(), row);
            }
        }
        for (const auto& row : db::HostStatus::all(replica)) {
            hosts_.emplace(row.name(), row);
        }
    }

    std::optional<db::MemberStatus::View> member(const std::string& host) const
    {
        auto it = members_.find(host);
        return it == members_.end() ? std::nullopt : std::optional(it->second);
    }
    std::optional<db::HostStatus::View> host(const std::string& host) const
    {
        auto it = hosts_.find(host);
        return it == hosts_.end() ? std::nullopt : std::optional(it->second);
    }

private:
    std::map<std::string, db::MemberStatus::View> members_;
    std::map<std::string, db::HostStatus::View> hosts_;
};

} // namespace dvs::mgmt

// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/transaction.h"

namespace dvs::ovsdb {

namespace {

Json whereUuid(const util::Uuid& uuid)
{
    return Json::array({Json::array({"_uuid", "==", datum::encode(uuid)})});
}

std::string describe(const Json& result)
{
    std::string text = result.value("error", std::string("unknown error"));
    if (auto it = result.find("details"); it != result.end() && it->is_string()) {
        text += ": " + it->get<std::string>();
    }
    return text;
}

} // namespace

std::optional<util::Uuid> TxnResult::uuidOf(const Ref& ref) const
{
    if (!ref.isNamed()) {
        return ref.uuid();
    }
    auto it = inserted.find(ref.name());
    return it == inserted.end() ? std::nullopt : std::optional<util::Uuid>(it->second);
}

Transaction::Transaction(const Replica& replica, std::string comment)
    : replica_(&replica), comment_(std::move(comment))
{}

void Transaction::add(Json op, bool write)
{
    ops_.push_back(std::move(op));
    writes_ = writes_ || write;
}

Ref Transaction::insert(std::string_view table, Json row)
{
    std::string name = fmt::format("row{}", nextName_++);
    namedInserts_.emplace(ops_.size(), name);
    add(Json{{"op", "insert"}, {"table", table}, {"row", std::move(row)}, {"uuid-name", name}},
        true);
    return Ref::named(std::move(name));
}

void Transaction::update(std::string_view table, const util::Uuid& uuid, Json row)
{
    add(Json{{"op", "update"},
             {"table", table},
             {"where", whereUuid(uuid)},
             {"row", std::move(row)}},
        true);
}

void Transaction::mutate(const util::Uuid& uuid, std::vector<Mutation> mutations)
{
    if (mutations.empty()) {
        return;
    }
    Json list = Json::array();
    for (auto& m : mutations) {
        if (m.table != mutations.front().table) {
            raise(ErrorCode::InternalError,
                  "Mutations of tables '{}' and '{}' cannot be one operation.",
                  mutations.front().table, m.table);
        }
        list.push_back(Json::array({m.column, m.mutator, std::move(m.value)}));
    }
    add(Json{{"op", "mutate"},
             {"table", mutations.front().table},
             {"where", whereUuid(uuid)},
             {"mutations", std::move(list)}},
        true);
}

void Transaction::remove(std::string_view table, const util::Uuid& uuid)
{
    add(Json{{"op", "delete"}, {"table", table}, {"where", whereUuid(uuid)}}, true);
}

void Transaction::verify(std::string_view table, const util::Uuid& uuid,
                         std::initializer_list<std::string_view> columns)
{
    const Row* row = replica_->find(table, uuid);
    if (row == nullptr) {
        raise(ErrorCode::OperationInvalid, "Row '{}' of table '{}' is not in the replica.",
              uuid.toString(), table);
    }
    Json names = Json::array();
    Json values = Json::object();
    for (auto column : columns) {
        names.push_back(column);
        values[std::string(column)] = row->at(column);
    }
    prerequisites_.insert(ops_.size());
    add(Json{{"op", "wait"},
             {"table", table},
             {"where", whereUuid(uuid)},
             {"columns", std::move(names)},
             {"until", "=="},
             {"rows", Json::array({std::move(values)})},
             {"timeout", 0}},
        false);
}

void Transaction::verifyChildren(std::string_view table, std::string_view parentColumn,
                                 const util::Uuid& parent,
                                 std::initializer_list<std::string_view> columns)
{
    const Json ref = datum::encode(parent);
    Json names = Json::array();
    for (auto column : columns) {
        names.push_back(column);
    }
    Json rows = Json::array();
    for (const auto& [uuid, row] : replica_->rows(table)) {
        const Json* value = row.find(parentColumn);
        if (value == nullptr) {
            raise(ErrorCode::OperationInvalid, "Column '{}' of table '{}' is not in the replica.",
                  parentColumn, table);
        }
        if (*value != ref) {
            continue;
        }
        Json values = Json::object();
        for (auto column : columns) {
            const Json* v = row.find(column);
            if (v == nullptr) {
                raise(ErrorCode::OperationInvalid,
                      "Column '{}' of table '{}' is not in the replica.", column, table);
            }
            values[std::string(column)] = *v;
        }
        rows.push_back(std::move(values));
    }
    prerequisites_.insert(ops_.size());
    add(Json{{"op", "wait"},
             {"table", table},
             {"where", Json::array({Json::array({parentColumn, "==", ref})})},
             {"columns", std::move(names)},
             {"until", "=="},
             {"rows", std::move(rows)},
             {"timeout", 0}},
        false);
}

void Transaction::verifyAbsent(std::string_view table, std::string_view column, Json value)
{
    prerequisites_.insert(ops_.size());
    add(Json{{"op", "wait"},
             {"table", table},
             {"where", Json::array({Json::array({column, "==", std::move(value)})})},
             {"columns", Json::array({column})},
             {"until", "=="},
             {"rows", Json::array()},
             {"timeout", 0}},
        false);
}

void Transaction::assertLock(std::string_view lock)
{
    add(Json{{"op", "assert"}, {"lock", lock}}, false);
}

Json Transaction::params(std::string_view database) const
{
    Json params = Json::array({database});
    for (const auto& op : ops_) {
        params.push_back(op);
    }
    if (!comment_.empty()) {
        params.push_back(Json{{"op", "comment"}, {"comment", comment_}});
    }
    return params;
}

Transaction::Outcome Transaction::interpret(const Json& reply, TxnResult& result)
{
    error_.reset();
    std::string name = comment_.empty() ? std::string("transaction") : comment_;
    if (!reply.is_array()) {
        error_ = Error(ErrorCode::Rpc,
                       fmt::format("The OVSDB server's reply to '{}' is not an array.", name));
        return Outcome::Failed;
    }
    for (std::size_t i = 0; i < reply.size(); ++i) {
        const Json& r = reply[i];
        if (!r.is_object() || !r.contains("error") || r["error"].is_null()) {
            continue;
        }
        if (prerequisites_.contains(i) && r["error"] == "timed out") {
            return Outcome::TryAgain;
        }
        error_ = Error(ErrorCode::OperationFailed,
                       fmt::format("OVSDB transaction '{}' failed: {}", name, describe(r)));
        return Outcome::Failed;
    }
    if (reply.size() < ops_.size()) {
        error_ = Error(ErrorCode::Rpc,
                       fmt::format("The OVSDB server answered {} of the {} operations of '{}'.",
                                   reply.size(), ops_.size(), name));
        return Outcome::Failed;
    }
    result.results = reply;
    result.inserted.clear();
    for (const auto& [index, uuidName] : namedInserts_) {
        const Json& r = reply[index];
        if (!r.is_object() || !r.contains("uuid")) {
            continue;
        }
        try {
            result.inserted.insert_or_assign(uuidName, datum::decodeAtom<util::Uuid>(r["uuid"]));
        } catch (const Error& e) {
            // Found by the ovsdb-json fuzz target: a malformed uuid is the server's fault, and
            // the outcome must say so rather than throw past its caller.
            error_ = Error(ErrorCode::Rpc,
                           fmt::format("The OVSDB server's reply to '{}' is malformed: {}", name,
                                       e.message()));
            result.inserted.clear();
            return Outcome::Failed;
        }
    }
    return Outcome::Committed;
}

} // namespace dvs::ovsdb

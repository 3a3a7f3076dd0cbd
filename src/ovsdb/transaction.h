// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb/datum.h"
#include "ovsdb/replica.h"
#include "util/error.h"

namespace dvs::ovsdb {

// One mutation of a column (RFC 7047 §5.1 "mutation"): the generated accessors build these,
// e.g. vswitch::Bridge::insertPorts({ref}) or vswitch::Interface::deleteExternalIdsKeys({"k"}).
struct Mutation
{
    std::string_view table;
    std::string column;
    std::string mutator;
    Json value;
};

// What a committed transaction reports.
struct TxnResult
{
    enum class Status
    {
        Success,   // committed
        Unchanged, // the builder asked for no write: nothing was sent
    };
    Status status = Status::Success;
    // How many times the transaction was built (more than one after TRY_AGAIN retries).
    unsigned attempts = 0;
    // The server's result array, one entry per operation.
    Json results;
    // Uuids the server gave to the rows inserted with a uuid-name.
    std::map<std::string, util::Uuid> inserted;

    // The uuid of a row: its own for an existing row, the new one for an inserted row.
    std::optional<util::Uuid> uuidOf(const Ref& ref) const;
};

// The operations of one OVSDB transaction, built against the replica as it is now. Writes go
// through the generated Values and Mutation builders; verify() adds the prerequisites that make
// the client redo the transaction (TRY_AGAIN) when another writer changed what it read.
class Transaction
{
public:
    // How the server's answer to a transaction reads.
    enum class Outcome
    {
        Committed,
        TryAgain,
        Failed
    };

    Transaction(const Replica& replica, std::string comment);

    const Replica& replica() const noexcept { return *replica_; }
    const std::string& comment() const noexcept { return comment_; }

    // Inserts a row; the returned reference can be stored in other rows of this transaction
    // (a non-root row must be, or the server drops it at commit).
    template <typename V>
    Ref insert(const V& values)
    {
        return insert(V::kTable, values.json());
    }
    Ref insert(std::string_view table, Json row);

    // Sets the given columns of an existing row.
    template <typename V>
    void update(const util::Uuid& uuid, const V& values)
    {
        update(V::kTable, uuid, values.json());
    }
    void update(std::string_view table, const util::Uuid& uuid, Json row);

    // Mutates columns of an existing row; all mutations must be of one table. Map inserts and
    // key deletes leave other keys alone, so keys owned by other programs survive.
    void mutate(const util::Uuid& uuid, std::vector<Mutation> mutations);

    // Deletes an existing row.
    void remove(std::string_view table, const util::Uuid& uuid);

    // Requires the row's columns to still hold the values the replica has (a "wait" operation
    // with timeout 0). Throws Error(OperationInvalid) when the row or a column is not
    // replicated.
    void verify(std::string_view table, const util::Uuid& uuid,
                std::initializer_list<std::string_view> columns);
    // Requires that no row of table has column == value (e.g. no bridge of that name yet).
    void verifyAbsent(std::string_view table, std::string_view column, Json value);
    // Requires the rows of table whose parentColumn references parent to be, in the given
    // columns, exactly those the replica has (none added, removed or changed): a change that
    // depends on a parent's children, such as a definition checked against every member.
    // Throws Error(OperationInvalid) when a column is not replicated.
    void verifyChildren(std::string_view table, std::string_view parentColumn,
                        const util::Uuid& parent, std::initializer_list<std::string_view> columns);

    // Makes the transaction fail ("not owner") unless this session holds the lock (RFC 7047
    // §5.2.10 "assert"): a writer that must be the only one loses no race after losing its lock.
    void assertLock(std::string_view lock);

    // Whether any operation writes (inserts, updates, mutates or deletes).
    bool writes() const noexcept { return writes_; }
    const Json& operations() const noexcept { return ops_; }

    // The params of the "transact" request: the database, the operations and a comment.
    Json params(std::string_view database) const;

    // Reads the server's reply. On Failed, error() says why.
    Outcome interpret(const Json& reply, TxnResult& result);
    const std::optional<Error>& error() const noexcept { return error_; }

private:
    void add(Json op, bool write);

    const Replica* replica_;
    std::string comment_;
    Json ops_ = Json::array();
    std::set<std::size_t> prerequisites_;
    std::map<std::size_t, std::string> namedInserts_;
    unsigned nextName_ = 1;
    bool writes_ = false;
    std::optional<Error> error_;
};

} // namespace dvs::ovsdb

// SPDX-License-Identifier: LGPL-2.1-or-later
// OVSDB JSON from the server into our parser and replica. The first byte picks what the rest is:
//   0  one JSON text: our parser must accept exactly what nlohmann::json accepts and build the
//      same value (the contract in ovsdb/json_parser.h);
//   1  a byte stream of JSON-RPC messages: JsonStream must cut the same texts whether the bytes
//      come at once or in pieces (the second byte sets the piece size);
//   2  lines of monitor replies and updates for the vswitch schema ('s' snapshot or 'u' update,
//      '1' update or '2' update2 format, then the JSON), applied to one replica;
//   3  a transaction reply, read against a transaction that inserts, updates and verifies;
//   4  a database schema.

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "ovsdb/json_parser.h"
#include "ovsdb/json_stream.h"
#include "ovsdb/replica.h"
#include "ovsdb/schema.h"
#include "ovsdb/transaction.h"
#include "util/error.h"

using namespace dvs::ovsdb;

namespace {

const Schema& vswitchSchema()
{
    static const Schema schema = [] {
        std::ifstream in(DVS_FUZZ_VSWITCH_SCHEMA);
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        return Schema::parse(Json::parse(text));
    }();
    return schema;
}

std::map<std::string, std::vector<std::string>> allColumns(const Schema& schema)
{
    std::map<std::string, std::vector<std::string>> columns;
    for (const auto& [name, table] : schema.tables()) {
        auto& list = columns[name];
        for (const auto& [column, type] : table.columns) {
            list.push_back(column);
        }
    }
    return columns;
}

std::optional<Json> ours(std::string_view text)
{
    try {
        return parseJson(text);
    } catch (const dvs::Error&) {
        return std::nullopt;
    }
}

void differential(std::string_view text)
{
    // nlohmann skips a byte order mark, stops at a NUL byte and has no depth limit.
    if (text.find('\0') != std::string_view::npos || text.starts_with("\xEF\xBB\xBF")) {
        return;
    }
    std::optional<Json> mine;
    bool tooDeep = false;
    try {
        mine = parseJson(text);
    } catch (const dvs::Error& e) {
        tooDeep = std::string_view(e.what()).find("deep") != std::string_view::npos;
    }
    Json theirs = Json::parse(text.begin(), text.end(), nullptr, false);
    if (tooDeep) {
        return;
    }
    if (mine.has_value() == theirs.is_discarded()) {
        dvs::fuzz::fail(mine ? "our parser accepts what nlohmann refuses"
                             : "our parser refuses what nlohmann accepts",
                        text);
    }
    if (mine && *mine != theirs) {
        dvs::fuzz::fail("our parser builds a different value", mine->dump(), theirs.dump());
    }
}

std::vector<std::string> cut(std::string_view bytes, std::size_t piece)
{
    JsonStream stream(1 << 20);
    std::vector<std::string> texts;
    try {
        for (std::size_t at = 0; at < bytes.size(); at += piece) {
            stream.feed(bytes.substr(at, piece));
            while (auto message = stream.next()) {
                texts.push_back(message->dump());
            }
        }
    } catch (const dvs::Error& e) {
        texts.push_back(std::string("error: ") + e.what());
    }
    return texts;
}

void streams(dvs::fuzz::Input& in)
{
    std::size_t piece = in.byte() % 16 + 1;
    auto bytes = in.remaining();
    auto whole = cut(bytes, bytes.size() + 1);
    auto pieces = cut(bytes, piece);
    if (whole != pieces) {
        std::string a, b;
        for (const auto& t : whole) {
            a += t + "\n";
        }
        for (const auto& t : pieces) {
            b += t + "\n";
        }
        dvs::fuzz::fail("the stream cuts differently when the bytes come in pieces", a, b);
    }
}

void replicaUpdates(std::string_view rest)
{
    Replica replica;
    replica.setSchema(vswitchSchema(), allColumns(vswitchSchema()));
    std::size_t changes = 0;
    replica.addListener([&](const std::vector<RowChange>& batch) { changes += batch.size(); });
    while (!rest.empty()) {
        auto eol = rest.find('\n');
        auto line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (line.size() < 2) {
            continue;
        }
        auto format = line[1] == '1' ? UpdateFormat::Update : UpdateFormat::Update2;
        auto json = ours(line.substr(2));
        if (!json) {
            continue;
        }
        auto before = replica.seqno();
        try {
            if (line[0] == 's') {
                replica.applySnapshot(format, std::move(*json));
            } else {
                replica.applyUpdates(format, std::move(*json));
            }
        } catch (const dvs::Error&) {
            if (replica.seqno() != before) {
                dvs::fuzz::fail("a refused update changed the replica", line);
            }
        }
        for (const auto& [name, table] : vswitchSchema().tables()) {
            for (const auto& [uuid, row] : replica.rows(name)) {
                if (replica.find(name, uuid) != &row || row.uuid() != uuid) {
                    dvs::fuzz::fail("replica index out of step", line);
                }
                for (const auto& [column, value] : row.columns()) {
                    if (table.column(column) == nullptr) {
                        dvs::fuzz::fail("replica row holds a column the schema lacks", line);
                    }
                }
            }
        }
        (void)replica.trackedChanges();
        replica.clearTrackedChanges();
    }
}

void transactionReply(std::string_view text)
{
    auto reply = ours(text);
    if (!reply) {
        return;
    }
    Replica replica;
    replica.setSchema(vswitchSchema(), allColumns(vswitchSchema()));
    auto bridge = *dvs::util::Uuid::parse("3f1c0c67-8e4b-4d6a-9d0c-7a2b7d9f0a11");
    replica.applySnapshot(
        UpdateFormat::Update2,
        Json::parse(
            R"({"Bridge":{"3f1c0c67-8e4b-4d6a-9d0c-7a2b7d9f0a11":{"initial":{"name":"br0"}}}})"));
    Transaction txn(replica, "fuzz");
    auto port = txn.insert("Port", Json{{"name", "p0"}});
    (void)port;
    txn.update("Bridge", bridge, Json{{"name", "br1"}});
    txn.verify("Bridge", bridge, {"name"});
    txn.verifyAbsent("Bridge", "name", "br2");
    TxnResult result;
    auto outcome = txn.interpret(*reply, result);
    if (outcome == Transaction::Outcome::Failed && !txn.error()) {
        dvs::fuzz::fail("a failed transaction without an error", text);
    }
    if (outcome == Transaction::Outcome::Committed) {
        (void)result.uuidOf(port);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::fuzz::Input in(data, size);
    switch (in.byte() % 5) {
    case 0:
        differential(in.remaining());
        break;
    case 1:
        streams(in);
        break;
    case 2:
        replicaUpdates(in.remaining());
        break;
    case 3:
        transactionReply(in.remaining());
        break;
    case 4:
        if (auto json = ours(in.remaining())) {
            try {
                (void)Schema::parse(*json);
            } catch (const dvs::Error&) {
            }
        }
        break;
    }
    return 0;
}

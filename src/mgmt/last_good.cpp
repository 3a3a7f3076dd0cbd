// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/last_good.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"

namespace dvs::mgmt {

namespace {

constexpr std::string_view kSuffix = ".lkg";
constexpr std::size_t kMaxRecord = 8 << 20;

using Json = nlohmann::json;

std::optional<std::int64_t> optionalInt(const Json& json, const char* key)
{
    auto it = json.find(key);
    if (it == json.end() || it->is_null()) {
        return std::nullopt;
    }
    return it->get<std::int64_t>();
}

} // namespace

std::map<std::string, LastGood> loadLastGood(const std::filesystem::path& folder,
                                             std::map<std::string, std::string>& damaged)
{
    std::map<std::string, LastGood> out;
    std::error_code ec;
    if (folder.empty() || !std::filesystem::is_directory(folder, ec)) {
        return out;
    }
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
        auto file = entry.path().filename().string();
        if (!file.ends_with(kSuffix) || file.size() == kSuffix.size()) {
            continue;
        }
        auto name = file.substr(0, file.size() - kSuffix.size());
        if (!util::isSafeFileName(name)) {
            continue;
        }
        try {
            auto json = Json::parse(util::readFile(entry.path(), kMaxRecord));
            LastGood record;
            record.generation = optionalInt(json, "generation");
            record.xml = json.value("xml", "");
            record.pending = optionalInt(json, "pending");
            record.pendingRetry = json.value("pending-retry", std::int64_t{0});
            record.reverted = optionalInt(json, "reverted");
            record.revertedReason = json.value("reverted-reason", "");
            record.revertedAt = json.value("reverted-at", std::int64_t{0});
            record.revertedRetry = json.value("reverted-retry", std::int64_t{0});
            out.emplace(name, std::move(record));
        } catch (const std::exception& e) {
            damaged.emplace(name, e.what());
        }
    }
    return out;
}

void saveLastGood(const std::filesystem::path& folder, const std::string& switchName,
                  const LastGood& record)
{
    if (folder.empty() || !util::isSafeFileName(switchName)) {
        return;
    }
    auto path = folder / (switchName + std::string(kSuffix));
    if (record.empty()) {
        util::removeFileDurable(path);
        return;
    }
    Json json = Json::object();
    json["generation"] = record.generation ? Json(*record.generation) : Json(nullptr);
    json["xml"] = record.xml;
    json["pending"] = record.pending ? Json(*record.pending) : Json(nullptr);
    json["pending-retry"] = record.pendingRetry;
    json["reverted"] = record.reverted ? Json(*record.reverted) : Json(nullptr);
    json["reverted-reason"] = record.revertedReason;
    json["reverted-at"] = record.revertedAt;
    json["reverted-retry"] = record.revertedRetry;
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
        raise(ErrorCode::WriteFailed, "cannot create '{}': {}", folder.native(), ec.message());
    }
    util::writeFileAtomic(path, json.dump(1) + "\n", 0600);
}

} // namespace dvs::mgmt

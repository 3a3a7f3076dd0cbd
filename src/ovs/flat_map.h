// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "util/uuid.h"

// The hash tables of one planning pass (docs/architecture.md, "Layers": ovs): the planner indexes
// the whole replica on every pass, so its tables make one allocation where the standard ones
// make one per entry.
namespace dvs::ovs {

// Mixes both halves of a uuid: the server's uuids are random, but a test's may differ only in
// their last bytes.
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

// An open-addressing hash table (linear probing, at most half full): one allocation for all its
// entries. Entries are never removed. An insert may move every value, so pointers from find()
// and operator[] hold only until the next insert.
template <typename Key, typename Value, typename Hash = std::hash<Key>>
class FlatMap
{
public:
    // Makes room for count entries without moving them again.
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

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

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

} // namespace dvs::ovs

// SPDX-License-Identifier: LGPL-2.1-or-later
// A switch snapshot document (dvsctl snapshot-restore reads it from a file, possibly a host's
// copy): parse, validate, format and parse again: the same document, no difference between the
// two, and a valid snapshot stays valid.

#include <string>

#include "fuzz_support.h"
#include "mgmt/snapshot.h"
#include "util/error.h"

using dvs::mgmt::Snapshot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::fuzz::Input in(data, size);
    Snapshot snap;
    try {
        snap = Snapshot::parse(in.remaining());
    } catch (const dvs::Error&) {
        return 0;
    }
    bool valid = true;
    try {
        snap.validate();
    } catch (const dvs::Error&) {
        valid = false;
    }
    std::string first = snap.format();
    Snapshot again;
    try {
        again = Snapshot::parse(first);
        if (valid) {
            again.validate();
        }
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("formatted snapshot refused: ") + e.what(), first);
    }
    std::string second = again.format();
    if (second != first) {
        dvs::fuzz::fail("snapshot formats differently after a round trip", first, second);
    }
    if (!dvs::mgmt::diffSnapshots(snap, again).empty()) {
        dvs::fuzz::fail("snapshot differs from its own round trip",
                        dvs::mgmt::formatSnapshotDiff(dvs::mgmt::diffSnapshots(snap, again)));
    }
    return 0;
}

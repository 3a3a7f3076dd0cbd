# SPDX-License-Identifier: LGPL-2.1-or-later
"""The layer order of src/ (docs/architecture.md, "Layers"): every #include of a header of
another folder of src/ must point down. Fails naming the file, the line and the include that
breaks the order, and on a folder of src/ the table does not list.

usage: test_layers.py [SOURCE_ROOT]
"""
import os
import re
import sys
import tempfile

# What each folder of src/ uses directly; a folder may include from these and from everything
# they may include from. A new folder is one line here (and a paragraph in
# docs/architecture.md).
USES = {
    "daemon": ["config", "hook", "mgmt", "rpc"],
    "cli": ["config", "mgmt", "rpc"],
    "controller": ["config", "mgmt"],
    "hook": ["driver"],
    "mgmt": ["driver", "ovsdb"],
    "rpc": ["driver"],
    "driver": ["state", "ovs", "netlink", "virtnet", "firewall"],
    "state": ["conf"],
    "ovs": ["ovsdb", "conf"],
    "netlink": ["conf"],
    "virtnet": ["conf"],
    "firewall": ["conf"],
    "ovsdb": ["util"],
    "conf": ["util"],
    "config": ["util"],
    "util": [],
}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([a-z_0-9]+)/[^"]+"')


def allowed_folders(uses):
    """Each folder's transitive uses."""
    closure = {}

    def visit(folder, path):
        if folder in closure:
            return closure[folder]
        if folder in path:
            raise ValueError("the table has a cycle: " + " -> ".join(path + [folder]))
        reach = set()
        for used in uses.get(folder, []):
            reach.add(used)
            reach |= visit(used, path + [folder])
        closure[folder] = reach
        return reach

    for folder in uses:
        visit(folder, [])
    return closure


def violations(src_root, uses=USES):
    """Lines 'file:line: message' for every include that breaks the order."""
    allowed = allowed_folders(uses)
    found = []
    folders = sorted(d for d in os.listdir(src_root) if os.path.isdir(os.path.join(src_root, d)))
    for folder in folders:
        if folder not in uses:
            found.append(f"src/{folder}: not in the layer table of {os.path.basename(__file__)}"
                         " (add its line there and its paragraph to docs/architecture.md)")
            continue
        for dirpath, _, files in os.walk(os.path.join(src_root, folder)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp", ".c", ".hpp")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, os.path.dirname(src_root))
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(1)
                        if target == folder or target not in uses:
                            continue  # its own folder, or not a folder of src/
                        if target not in allowed[folder]:
                            found.append(f"{rel}:{number}: {folder} may not include "
                                         f"{target}/ ({line.strip()})")
    return found


def case_tree_keeps_the_order(source_root):
    found = violations(os.path.join(source_root, "src"))
    for line in found:
        print(line)
    return not found


def case_check_finds_an_upward_include(_source_root):
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("conf", "driver", "util", "extra"):
            os.makedirs(os.path.join(tmp, folder))
        with open(os.path.join(tmp, "conf", "a.h"), "w") as f:
            f.write('#include "util/error.h"\n#include "driver/backend.h"\n')
        with open(os.path.join(tmp, "driver", "b.cpp"), "w") as f:
            f.write('#include "conf/a.h"\n#include "util/file.h"\n#include "dvs_config.h"\n')
        found = violations(tmp, {"driver": ["conf"], "conf": ["util"], "util": []})
        expected = [
            "src/extra: not in the layer table",
            "conf/a.h:2: conf may not include driver/",
        ]
        ok = len(found) == len(expected) and all(
            any(e in line for line in found) for e in expected)
        if not ok:
            print("unexpected result of the check on a synthetic tree:", found)
        return ok


def case_table_has_no_cycle(_source_root):
    try:
        allowed_folders(USES)
    except ValueError as error:
        print(error)
        return False
    return True


def main():
    source_root = (sys.argv[1] if len(sys.argv) > 1
                   else os.environ.get("DVS_SOURCE_ROOT",
                                       os.path.join(os.path.dirname(__file__), "..", "..")))
    failed = 0
    for name, case in sorted((n, c) for n, c in globals().items() if n.startswith("case_")):
        ok = case(source_root)
        print(("ok" if ok else "FAIL"), name[len("case_"):])
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Regression test for a bug this suite found: `inferd inspect --tree` on a small file whose
tuples share one another through the memo ("billion laughs") expands the sharing while
dumping — a 16 KB file made it allocate > 2 GB and run until killed. pickle::DumpValue
(src/pickle/dump.cc) prints a shared node again at every reference and builds the whole text
in memory, so the output is fan-out^depth lines (1000^6 at the default --depth 6).

The loader itself is not affected (it refuses or loads these files in milliseconds; see
test_hostile_generated.py); only the debugging dump is. Expected fix (src/pickle is owned by
another component): bound the dump by a node/byte budget and print "... (truncated)", or
print a shared node once and refer back to it. Fixed: the dump stops at 4 MiB and says so.
"""
import os
import struct

import pytest

import hostile_generated as h
from test_hostile_generated import Launcher

TIMEOUT_OK = 5.0
MAX_RSS_KB = 256 * 1024


def wide_shared_tuples(fanout=1000, levels=8):
    t = b"(" + h.i32(1) + b"t" + b"q\x00"
    for lvl in range(1, levels + 1):
        t += b"0(" + (b"h" + bytes([lvl - 1])) * fanout + b"t" + b"q" + bytes([lvl])
    return h.proto(2) + t + b"."


def test_inspect_tree_is_bounded_on_shared_nodes(inferd_bin, tmp_path):
    path = tmp_path / "wide.pkl"
    path.write_bytes(wide_shared_tuples())
    assert os.path.getsize(path) < 20000
    launcher = Launcher()
    try:
        rc, out, err, rss, secs, left = launcher.run([inferd_bin, "inspect", "--tree", str(path)], tmp_path,
                                                     timeout=TIMEOUT_OK)
    finally:
        launcher.close()
    assert left == []
    assert secs < TIMEOUT_OK and rss < MAX_RSS_KB, (rc, secs, rss)
    assert rc in (0, 2) and len(out) < 10 << 20

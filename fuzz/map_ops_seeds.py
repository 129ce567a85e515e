#!/usr/bin/env python3
"""Writes the seed corpus of the `map_ops` fuzz target (fuzz/corpus/map_ops/seed-*).

Encodes `Input { hasher, ops }` as the `arbitrary` crate (1.x) decodes it:
integers little-endian, a bool is a byte's low bit, an `Option` a bool then
the value, an enum variant a u32 `v` with `(v * variants) >> 32 == index`,
and the trailing `Vec<Op>` a `true` byte before each element. Check a seed
with `cargo +nightly fuzz fmt map_ops corpus/map_ops/seed-01`. The op list
below must follow `enum Op` in fuzz_targets/map_ops.rs.
"""
import os
import struct

OPS = [
    ("Insert", "HH"), ("InsertRange", "HHBH"), ("Remove", "H"), ("RemoveRange", "HHB"),
    ("RemoveEntry", "H"), ("Get", "H"), ("GetMut", "HH"), ("EntryOrInsert", "HH"),
    ("EntryAndModify", "HHH"), ("EntryOccupied", "Ho"), ("Retain", "QHo"),
    ("IterMut", "Hob"), ("Clear", ""), ("Snapshot", ""), ("DropSnapshot", "B"),
    ("WriteSnapshot", "BHH"), ("CheckSnapshots", ""), ("IntoIter", "bHb"),
    ("SetInsert", "H"), ("SetInsertRange", "HHB"), ("SetRemove", "H"), ("SetTake", "H"),
    ("SetRetain", "Q"), ("SetClear", ""), ("SetSnapshot", ""), ("SetDropSnapshot", "B"),
    ("SetCompare", "B"), ("SetIntoIter", ""), ("ArmPanic", "B"),
]
INDEX = {name: (i, fields) for i, (name, fields) in enumerate(OPS)}


def op(name, *args):
    i, fields = INDEX[name]
    n = len(OPS)
    out = b"\x01" + struct.pack("<I", (i * 2**32 + n - 1) // n)
    assert len(fields) == len(args), name
    for f, a in zip(fields, args):
        if f == "b":
            out += bytes([1 if a else 0])
        elif f == "o":  # Option<u16>
            out += b"\x00" if a is None else b"\x01" + struct.pack("<H", a)
        else:
            out += struct.pack("<" + f, a)
    return out


def seed(hasher, *ops):
    return bytes([hasher]) + b"".join(ops)


FULL, TOP2, TOP12, LOW16, CONST, TOP1LOW7, TAGS = range(7)
SEEDS = [
    # Pages split under a good hash; writes after a snapshot copy pages.
    seed(FULL, op("InsertRange", 0, 600, 1, 7), op("Snapshot"), op("GetMut", 5, 99),
         op("Insert", 17, 3), op("Remove", 400), op("Insert", 3000, 1), op("CheckSnapshots"),
         op("DropSnapshot", 0), op("GetMut", 6, 1)),
    # Two hash bits: four pages that grow past their nominal size.
    seed(TOP2, op("InsertRange", 1, 2048, 1, 0), op("Snapshot"),
         op("Retain", 0x5555_5555_5555_5555, 1, None), op("WriteSnapshot", 0, 2, 9),
         op("DropSnapshot", 0), op("RemoveRange", 0, 1000, 3)),
    # Every key the same hash: one page, linear probing, growth.
    seed(CONST, op("InsertRange", 10, 300, 7, 1), op("RemoveRange", 10, 100, 7),
         op("EntryOrInsert", 10, 5), op("Snapshot"), op("EntryAndModify", 17, 8, 9),
         op("IterMut", 3, 50, False), op("CheckSnapshots")),
    # Top bits all zero: pages narrow down a chain of nodes.
    seed(LOW16, op("InsertRange", 0, 1000, 3, 2), op("Snapshot"),
         op("IntoIter", True, 10, True), op("IntoIter", False, 20, True),
         op("Get", 3), op("DropSnapshot", 0), op("IntoIter", False, 5, False)),
    # Panicking clones while shared.
    seed(FULL, op("InsertRange", 0, 500, 1, 0), op("Snapshot"), op("ArmPanic", 3),
         op("Insert", 1, 1), op("GetMut", 2, 2), op("ArmPanic", 5), op("Retain", 0xF0F0, 2, None),
         op("ArmPanic", 40), op("IterMut", 1, None, True), op("ArmPanic", 2),
         op("IntoIter", True, 100, True), op("CheckSnapshots")),
    # The set, its snapshots and set algebra.
    seed(FULL, op("SetInsertRange", 0, 1000, 1), op("SetSnapshot"), op("SetRemove", 5),
         op("SetInsertRange", 900, 400, 1), op("SetCompare", 0), op("SetTake", 7),
         op("SetRetain", 0x1234_5678_9ABC_DEF0), op("SetCompare", 0), op("SetIntoIter"),
         op("SetDropSnapshot", 0)),
    # Twelve hash bits: splits down to depth 12, then growth; clear and refill.
    seed(TOP12, op("InsertRange", 0, 2048, 1, 0), op("Snapshot"), op("Clear"),
         op("InsertRange", 2048, 2048, 1, 5), op("CheckSnapshots"), op("Retain", 0, 0, 100)),
    # The entry API on a small map with few hash bits.
    seed(TOP1LOW7, op("InsertRange", 0, 40, 1, 0), op("Snapshot"), op("EntryOccupied", 3, None),
         op("EntryOccupied", 4, 44), op("EntryOccupied", 3, None), op("EntryAndModify", 3, 1, 2),
         op("RemoveEntry", 4), op("Get", 4)),
    # Several snapshots, each written to, checked and dropped.
    seed(TAGS, op("InsertRange", 0, 300, 5, 0), op("Snapshot"), op("Insert", 5, 1),
         op("Snapshot"), op("Remove", 10), op("Snapshot"), op("WriteSnapshot", 1, 15, 2),
         op("Snapshot"), op("Snapshot"), op("CheckSnapshots"), op("DropSnapshot", 2)),
    # A few single-key operations on a tiny map.
    seed(FULL, op("Insert", 1, 1), op("Insert", 2, 2), op("Get", 1), op("Remove", 1),
         op("EntryOrInsert", 3, 3), op("Snapshot"), op("Insert", 2, 5), op("Clear")),
]

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "map_ops")
    os.makedirs(out, exist_ok=True)
    for i, s in enumerate(SEEDS, 1):
        with open(os.path.join(out, f"seed-{i:02}"), "wb") as f:
            f.write(s)

#!/usr/bin/env python3
"""Writes the seed corpus of the `str_ops` fuzz target (fuzz/corpus/str_ops/seed-*).

Encodes `Vec<Op>` as the `arbitrary` crate (1.x) decodes it, as
map_ops_seeds.py does: integers little-endian, a bool is a byte's low bit, a
char a u32, an enum variant a u32 `v` with `(v * variants) >> 32 == index`,
a struct its fields in order, and the trailing `Vec<Op>` a `true` byte before
each element. Check a seed with
`cargo +nightly fuzz fmt str_ops corpus/str_ops/seed-01`. The op list below
must follow `enum Op` in fuzz_targets/str_ops.rs, and `UNITS` its `UNITS`.

Field codes: I = u32 (or char), H = u16, B = u8, b = bool, P = Piece.
"""
import os
import struct

OPS = [
    ("Push", "I"), ("PushStr", "P"), ("Pop", ""), ("Truncate", "H"), ("Insert", "HI"),
    ("InsertStr", "HP"), ("Clear", ""), ("MakeMut", "b"), ("Snapshot", ""),
    ("DropSnapshot", "B"), ("Restore", "B"), ("WriteSnapshot", "BP"), ("ShrinkSnapshot", "BH"),
    ("IntoStringOfClone", ""), ("IntoStringAndBack", ""), ("Rebuild", ""), ("FromPiece", "PB"),
    ("Extend", "Pb"), ("FmtWrite", "I"), ("CloneMany", "B"),
]
INDEX = {name: (i, fields) for i, (name, fields) in enumerate(OPS)}

# The target's UNITS, by the char each stands for.
UNITS = ["a", "Z", "é", "ß", "€", "中", "😀", "\0"]


def piece(start, step, count):
    """`count` units, unit i being UNITS[(start + i * step) % 8]."""
    return (start, step, count)


def rep(unit, count):
    """`count` copies of one unit."""
    return piece(UNITS.index(unit), 0, count)


# "aZéß€中😀\0": 1, 1, 2, 2, 3, 3, 4, 1 bytes, 17 in all.
ALL_WIDTHS = piece(0, 1, 8)


def op(name, *args):
    i, fields = INDEX[name]
    n = len(OPS)
    out = b"\x01" + struct.pack("<I", (i * 2**32 + n - 1) // n)
    assert len(fields) == len(args), name
    for f, a in zip(fields, args):
        if f == "P":
            out += bytes(a)
        elif f == "b":
            out += bytes([1 if a else 0])
        elif f == "I":
            out += struct.pack("<I", ord(a) if isinstance(a, str) else a)
        else:
            out += struct.pack("<" + f, a)
    return out


def seed(*ops):
    return b"".join(ops)


SEEDS = [
    # 14 ASCII + 'é' crosses 15/16 with a 2-byte char; back under and up again.
    seed(op("FromPiece", rep("a", 14), 0), op("Push", "é"), op("Snapshot"), op("Pop"),
         op("Push", "é"), op("Truncate", 15), op("Truncate", 14), op("Push", "😀"),
         op("Rebuild"), op("Pop"), op("Rebuild")),
    # 13 ASCII + '€': inserts and truncates inside the 3-byte char (panics).
    seed(op("FromPiece", rep("a", 13), 1), op("Insert", 13, "€"), op("Insert", 14, "x"),
         op("Truncate", 15), op("Truncate", 14), op("Insert", 0, "€"), op("Truncate", 17),
         op("InsertStr", 1, rep("€", 1)), op("InsertStr", 16, rep("€", 1)), op("Truncate", 13)),
    # 12 ASCII + '😀', shared, then each index of the 4-byte char.
    seed(op("FromPiece", rep("a", 12), 2), op("Push", "😀"), op("Snapshot"), op("Truncate", 13),
         op("Truncate", 14), op("Truncate", 15), op("Insert", 13, "é"), op("Insert", 16, "é"),
         op("Truncate", 12), op("Restore", 0), op("Pop")),
    # Every width of char, in a long string: edits at many indices.
    seed(op("FromPiece", ALL_WIDTHS, 0), op("Snapshot"), op("Truncate", 3), op("Truncate", 4),
         op("Insert", 5, "Z"), op("Insert", 6, "Z"), op("InsertStr", 9, ALL_WIDTHS),
         op("InsertStr", 10, rep("😀", 2)), op("Truncate", 11), op("Truncate", 10),
         op("Insert", 20, "\0"), op("Truncate", 19)),
    # Snapshots: written, restored, shrunk, dropped; make_mut on a shared string.
    seed(op("PushStr", piece(2, 3, 20)), op("Snapshot"), op("Snapshot"), op("WriteSnapshot", 0, rep("a", 5)),
         op("MakeMut", True), op("Snapshot"), op("ShrinkSnapshot", 1, 7), op("Restore", 1),
         op("MakeMut", False), op("DropSnapshot", 0), op("Push", "x"), op("Restore", 1)),
    # into_string round trips on short, long and shrunk-long strings.
    seed(op("PushStr", rep("ß", 10)), op("IntoStringOfClone"), op("Snapshot"), op("IntoStringAndBack"),
         op("Truncate", 6), op("IntoStringAndBack"), op("PushStr", rep("中", 4)),
         op("Truncate", 9), op("IntoStringOfClone"), op("Rebuild")),
    # Extend by chars and by strings, and fmt::Write, across the boundary.
    seed(op("Extend", rep("Z", 10), True), op("Extend", ALL_WIDTHS, False), op("FmtWrite", 1234567),
         op("Snapshot"), op("Extend", rep("€", 3), True), op("FmtWrite", 0), op("Clear"),
         op("Extend", rep("é", 7), False), op("FmtWrite", 4294967295)),
    # Many clones of a long string, then writes to it: one copy.
    seed(op("FromPiece", rep("€", 9), 3), op("CloneMany", 15), op("Snapshot"), op("CloneMany", 7),
         op("MakeMut", True), op("Clear"), op("Restore", 0), op("Clear"), op("Push", "a"),
         op("DropSnapshot", 0), op("CloneMany", 3)),
    # insert_str of short and long pieces at the front, middle and end.
    seed(op("FromPiece", rep("a", 5), 4), op("InsertStr", 0, rep("Z", 10)),
         op("InsertStr", 3, ALL_WIDTHS), op("InsertStr", 65535, rep("a", 1)), op("Snapshot"),
         op("InsertStr", 30, piece(6, 5, 40)), op("InsertStr", 2, piece(0, 0, 0))),
    # Short strings only: edits that stay within 15 bytes, and any char.
    seed(op("Push", "a"), op("Push", 0x10FFFF), op("Push", "\0"), op("Snapshot"), op("Insert", 1, "é"),
         op("Pop"), op("Truncate", 2), op("Truncate", 1), op("InsertStr", 1, rep("ß", 3)),
         op("MakeMut", True), op("Clear"), op("Restore", 0)),
]

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "str_ops")
    os.makedirs(out, exist_ok=True)
    for i, s in enumerate(SEEDS, 1):
        with open(os.path.join(out, f"seed-{i:02}"), "wb") as f:
            f.write(s)

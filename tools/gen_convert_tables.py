#!/usr/bin/env python3
"""gen_convert_tables.py — HL7 V2-to-FHIR IG tables (data/convert/) -> C tables.

Usage: gen_convert_tables.py DATA_DIR OUT.c

Reads the CSVs tools/vendor_convert.py copies from the IG and writes one C
file of const arrays in the layout src/convert/tables.h describes:
  - vocab:   v2 table value -> FHIR code/display/system, per concept map
             (codesystems/NAME.csv, and hxe's own hxe/vocab/NAME.csv as the
             map `hxe-NAME`), sorted by (map, v2 code);
  - fields:  segment fields and data-type components the IG maps, with the
             FHIR attribute, data-type map and vocabulary map of the first
             row that names one (segments/, datatypes/), sorted by (map, id);
  - msgsegs: the segment maps each message structure applies (messages/),
             in the IG's order;
  - codesys: table 0396 coding-system names -> URIs (hxe/coding_systems.csv).
Python 3 stdlib only; the output depends only on the input.
"""

import csv
import os
import sys


def die(msg):
    sys.stderr.write("gen_convert_tables: %s\n" % msg)
    sys.exit(1)


def clean(s):
    return " ".join((s or "").replace("\xa0", " ").split())


def cstr(s):
    out = ['"']
    for ch in s.encode("utf-8"):
        if ch == 0x5C:
            out.append("\\\\")
        elif ch == 0x22:
            out.append('\\"')
        elif ch == 0x3F:
            out.append("\\?")
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        else:
            out.append("\\%03o" % ch)
    out.append('"')
    return "".join(out)


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def csvs(d):
    if not os.path.isdir(d):
        die("%s: not a folder" % d)
    return [f for f in sorted(os.listdir(d)) if f.endswith(".csv")]


def header(rs, path):
    for i, r in enumerate(rs[:4]):
        cells = [clean(c) for c in r]
        if (len(r) > 1 and cells[1] == "Identifier") or any(
                c.startswith("FHIR Attribute") for c in cells):
            return i, cells
    die("%s: no header row (Identifier / FHIR Attribute)" % path)


def col(hdr, prefix):
    for i, c in enumerate(hdr):
        if c.startswith(prefix):
            return i
    return -1


def cell(r, i):
    return clean(r[i]) if 0 <= i < len(r) else ""


def read_vocab(d):
    out = []
    for f in csvs(d):
        name = f[:-4]
        seen = set()
        for r in rows(os.path.join(d, f))[2:]:
            code = cell(r, 0)
            if not code or code in seen:
                continue
            fcode = cell(r, 6)
            if not fcode:
                continue
            seen.add(code)
            disp = cell(r, 8) or cell(r, 7)
            out.append((name, code, fcode, disp, cell(r, 9)))
    return sorted(out)


def read_hxe_vocab(d):
    """hxe/vocab/NAME.csv: header v2,code,display,system; one row per code"""
    out = []
    if not os.path.isdir(d):
        return out
    for f in csvs(d):
        path = os.path.join(d, f)
        rs = rows(path)
        if not rs or [clean(c) for c in rs[0]] != ["v2", "code", "display", "system"]:
            die("%s: header must be v2,code,display,system" % path)
        seen = set()
        for i, r in enumerate(rs[1:], 2):
            if not any(clean(c) for c in r):
                continue
            if len(r) != 4 or not clean(r[0]) or not clean(r[1]):
                die("%s:%d: four columns, v2 and code not empty" % (path, i))
            if clean(r[0]) in seen:
                die("%s:%d: %s twice" % (path, i, clean(r[0])))
            seen.add(clean(r[0]))
            out.append(("hxe-" + f[:-4],) + tuple(clean(c) for c in r))
    return out


def read_fields(d):
    out = []
    for f in csvs(d):
        name = f[:-4]
        path = os.path.join(d, f)
        rs = rows(path)
        h, hdr = header(rs, path)
        c_attr = col(hdr, "FHIR Attribute")
        c_dt = col(hdr, "Data Type Mapping")
        c_voc = col(hdr, "Vocabulary Mapping")
        best = {}
        for r in rs[h + 1:]:
            ident = cell(r, 1)
            if not ident:
                continue
            # mapped: anything on the FHIR side (columns shift in some sheets)
            mapped = any(cell(r, i) for i in range(max(c_attr, 6), len(r) - 1))
            rec = (cell(r, c_attr), cell(r, c_dt), cell(r, c_voc))
            if ident not in best:
                best[ident] = [mapped, rec]
            else:
                b = best[ident]
                b[0] = b[0] or mapped
                if not b[1][0] and rec[0]:
                    b[1] = rec
        for ident, (mapped, rec) in best.items():
            out.append((name, ident, 1 if mapped else 0) + rec)
    return sorted(out)


def read_msgsegs(d):
    out = []
    for f in csvs(d):
        name = f[:-4]
        path = os.path.join(d, f)
        rs = rows(path)
        h, hdr = header(rs, path)
        c_map = col(hdr, "Segment Map")
        c_tgt = col(hdr, "Primary Target")
        for r in rs[h + 1:]:
            ident = cell(r, 1)
            if not ident or ident.startswith("/"):
                continue
            seg = ident.split(".")[-1]
            if len(seg) != 3:
                continue
            out.append((name, seg, cell(r, c_map), cell(r, c_tgt)))
    return out


def read_codesys(path):
    out = []
    for r in rows(path)[1:]:
        if len(r) >= 2 and clean(r[0]):
            out.append((clean(r[0]), clean(r[1])))
    return sorted(out)


def main():
    if len(sys.argv) != 3:
        die("usage: gen_convert_tables.py DATA_DIR OUT.c")
    d = sys.argv[1]
    vocab = read_vocab(os.path.join(d, "codesystems"))
    vocab = sorted(vocab + read_hxe_vocab(os.path.join(d, "hxe", "vocab")))
    fields = read_fields(os.path.join(d, "segments")) + read_fields(os.path.join(d, "datatypes"))
    fields.sort()
    msgs = read_msgsegs(os.path.join(d, "messages"))
    codesys = read_codesys(os.path.join(d, "hxe", "coding_systems.csv"))
    o = ["/* generated by tools/gen_convert_tables.py from data/convert/ — do not edit */",
         '#include "convert/tables.h"', ""]
    o.append("const hxe_conv_vocab_row hxe_conv_vocab_rows[] = {")
    o += ["    {%s, %s, %s, %s, %s}," % tuple(cstr(x) for x in v) for v in vocab]
    o.append("};")
    o.append("const size_t hxe_conv_vocab_count = %d;" % len(vocab))
    o.append("")
    o.append("const hxe_conv_field hxe_conv_field_rows[] = {")
    o += ["    {%s, %s, %d, %s, %s, %s}," % (cstr(a), cstr(b), m, cstr(c), cstr(e), cstr(g))
          for (a, b, m, c, e, g) in fields]
    o.append("};")
    o.append("const size_t hxe_conv_field_count = %d;" % len(fields))
    o.append("")
    o.append("const hxe_conv_msgseg hxe_conv_msgseg_rows[] = {")
    o += ["    {%s, %s, %s, %s}," % tuple(cstr(x) for x in m) for m in msgs]
    o.append("};")
    o.append("const size_t hxe_conv_msgseg_count = %d;" % len(msgs))
    o.append("")
    o.append("const hxe_conv_codesys hxe_conv_codesys_rows[] = {")
    o += ["    {%s, %s}," % (cstr(a), cstr(b)) for a, b in codesys]
    o.append("};")
    o.append("const size_t hxe_conv_codesys_count = %d;" % len(codesys))
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(o) + "\n")
    os.replace(tmp, sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())

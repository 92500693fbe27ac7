#!/usr/bin/env python3
"""gen_x12_tables.py — X12 definitions (data/x12/) -> compact C tables.

Usage: gen_x12_tables.py DATA_DIR OUT.c

Reads data/x12/segments.dict (the X12 segment dictionary) and every
data/x12/*.tr3 (one transaction set of an implementation guide each) and
writes the const arrays src/x12/schema.h describes. Python 3 stdlib only;
the output depends only on the input, so rebuilds are reproducible.

segments.dict:
    comp C003 Composite Medical Procedure Identifier
      235  ID 2/2  M  Product/Service ID Qualifier
      ...
    seg NM1 Individual or Organizational Name
      98   ID 2/3  M  Entity Identifier Code
      C003 -  -    M  Composite Medical Procedure Identifier     (a composite)
      1321 ID 3/3  O*12 Condition Indicator                     (repeats 12 times)
      rules P0809 C1110
A line is: reference number (or composite id), type, min/max length,
requirement (M mandatory, O optional, X relational) with an optional *N
repeat count, then the name.

NAME.tr3:
    set 837 005010X222A1 HC Health Care Claim: Professional
    SEG USAGE MAX [EE=CODE,CODE] [EE-C=CODE] [req=EE,EE] [nu=EE,EE] [# name]
    loop ID USAGE MAX Name
      (indented two more spaces: the loop's segments and loops; its
       first segment and that segment's qualifiers recognise it)
    use ID          (the loop ID defined earlier, again at this place)
USAGE is R (required), S (situational) or N (not used); MAX a number or
>1 (unbounded). EE=... lists the codes element EE may hold; on a loop's
first segment they are what tells the loop apart from its siblings.
"""

import os
import re
import sys

TYPES = {"AN": 0, "ID": 1, "N0": 2, "N2": 3, "R": 4, "DT": 5, "TM": 6, "B": 7,
         "N": 2, "N1": 2, "N4": 2, "-": 8}
REQ = {"M": 1, "O": 2, "X": 3}
USAGE = {"R": 1, "S": 2, "N": 3}


def die(where, msg):
    sys.stderr.write("gen_x12_tables: %s: %s\n" % (where, msg))
    sys.exit(1)


class Pool:
    def __init__(self):
        self.off = {}
        self.parts = []
        self.by_off = {}
        self.size = 0
        self.add("")

    def parts_of(self, off):
        """The bytes of the string at pool offset off."""
        return self.by_off[off]

    def add(self, s):
        s = s or ""
        if s in self.off:
            return self.off[s]
        o = self.size
        self.off[s] = o
        b = s.encode("utf-8")
        self.by_off[o] = b
        self.parts.append(b)
        self.size += len(b) + 1
        return o


def c_str(b):
    out = []
    for ch in b:
        if ch in (0x5C, 0x22):
            out.append("\\" + chr(ch))
        elif ch == 0x3F:
            out.append("\\?")
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        else:
            out.append("\\%03o" % ch)
    return "".join(out)


def lines_of(path):
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield no, line


class Gen:
    def __init__(self):
        self.pool = Pool()
        self.elems = []
        self.comps = []      # (id, first, n)
        self.comp_index = {}
        self.rules = []
        self.segs = {}       # id -> (name, first, n, rule_first, nrules, elems list)
        self.quals = []
        self.codes = []
        self.uses = []
        self.nodes = []
        self.sets = []
        self.max_depth = 0

    # ---- dictionary ----
    def elem_line(self, where, line):
        t = line.split(None, 4)
        if len(t) < 4:
            die(where, "element line needs REF TYPE MIN/MAX REQ NAME")
        ref, typ, mm, req = t[0], t[1], t[2], t[3]
        name = t[4] if len(t) > 4 else ""
        rep = 1
        if "*" in req:
            req, r = req.split("*", 1)
            rep = 255 if r == ">1" else int(r)
        if req not in REQ:
            die(where, "requirement must be M, O or X")
        if typ == "-":
            if ref not in self.comp_index:
                die(where, "composite %s used before it is defined" % ref)
            return (self.pool.add(name), 0, self.comp_index[ref] + 1, 0, 0, 8, REQ[req], rep)
        if typ not in TYPES:
            die(where, "unknown type " + typ)
        lo, hi = mm.split("/")
        num = int(ref) if ref.isdigit() else 0   # interchange elements (I01...) have no number
        return (self.pool.add(name), num, 0, int(lo), int(hi), TYPES[typ], REQ[req], rep)

    def read_dict(self, path):
        cur = None
        kind = None
        for no, line in lines_of(path):
            where = "%s:%d" % (os.path.basename(path), no)
            if not line.startswith(" "):
                t = line.split(None, 2)
                kind = t[0]
                if kind not in ("seg", "comp") or len(t) < 2:
                    die(where, "expected 'seg ID name' or 'comp ID name'")
                cur = {"id": t[1], "name": t[2] if len(t) > 2 else "", "elems": [], "rules": []}
                if kind == "seg":
                    if t[1] in self.segs:
                        die(where, "segment %s defined twice" % t[1])
                    self.segs[t[1]] = cur
                else:
                    self.comp_index[t[1]] = len(self.comps)
                    self.comps.append(cur)
                continue
            s = line.strip()
            if s.startswith("rules"):
                for r in s.split()[1:]:
                    k = r[0]
                    if k not in "PRCEL" or (len(r) - 1) % 2:
                        die(where, "bad syntax rule " + r)
                    es = [int(r[i:i + 2]) for i in range(1, len(r), 2)]
                    if min(es) < 1:
                        die(where, "syntax rule %s names element 00" % r)
                    cur["rules"].append((k, es))
                continue
            e = self.elem_line(where, s)
            if kind == "comp" and e[5] == 8:
                die(where, "a composite inside a composite")
            cur["elems"].append(e)
        # lay out
        for c in self.comps:
            c["first"] = len(self.elems)
            self.elems.extend(c["elems"])
        for sid in sorted(self.segs):
            s = self.segs[sid]
            s["first"] = len(self.elems)
            self.elems.extend(s["elems"])
            s["rule_first"] = len(self.rules)
            self.rules.extend((k, es, len(s["elems"])) for k, es in s["rules"])
        self.seg_order = sorted(self.segs)

    # ---- transaction sets ----
    def seg_line(self, where, toks, comment):
        sid, usage, mx = toks[0], toks[1], toks[2]
        if sid not in self.segs:
            die(where, "segment %s is not in segments.dict" % sid)
        if usage not in USAGE:
            die(where, "usage must be R, S or N")
        quals, req, nu = [], set(), set()
        for t in toks[3:]:
            if t.startswith("req="):
                req |= {int(x) for x in t[4:].split(",")}
            elif t.startswith("nu="):
                nu |= {int(x) for x in t[3:].split(",")}
            elif "=" in t:
                k, v = t.split("=", 1)
                if "-" in k:
                    e, c = k.split("-")
                else:
                    e, c = k, "0"
                codes = sorted(set(v.split(",")), key=lambda x: x.encode())
                if int(e) < 1:
                    die(where, "a code list names element 00")
                quals.append((int(e), int(c), codes))
            else:
                die(where, "unknown token " + t)
        nel = len(self.segs[sid]["elems"])
        uses = []
        if req or nu:
            for i in range(1, nel + 1):
                uses.append(1 if i in req else 3 if i in nu else 0)
            if max(req | nu) > nel:
                die(where, "element beyond the %d of %s" % (nel, sid))
        return {"kind": 0, "seg": sid, "usage": USAGE[usage], "max": parse_max(where, mx),
                "quals": quals, "uses": uses, "name": comment}

    def read_set(self, path):
        loops = {}
        header = None
        stack = []   # (indent, node)
        root = None
        for no, line in lines_of(path):
            where = "%s:%d" % (os.path.basename(path), no)
            comment = ""
            if "#" in line:
                line, comment = line.split("#", 1)
                comment = comment.strip()
                if not line.strip():
                    continue
            ind = len(line) - len(line.lstrip(" "))
            toks = line.split()
            if toks[0] == "set":
                if header:
                    die(where, "two set lines")
                header = (toks[1], toks[2], toks[3], " ".join(toks[4:]))
                root = {"kind": 1, "id": "", "name": header[3], "usage": 1, "max": 1,
                        "children": []}
                stack = [(-2, root)]
                continue
            if not header:
                die(where, "the file must start with a set line")
            while stack and stack[-1][0] >= ind:
                stack.pop()
            if not stack:
                die(where, "indentation")
            parent = stack[-1][1]
            if toks[0] == "loop":
                if len(toks) < 4:
                    die(where, "loop ID USAGE MAX name")
                node = {"kind": 1, "id": toks[1], "usage": USAGE[toks[2]],
                        "max": parse_max(where, toks[3]), "name": " ".join(toks[4:]),
                        "children": []}
                loops[toks[1]] = node
                parent["children"].append(node)
                stack.append((ind, node))
            elif toks[0] == "use":
                if toks[1] not in loops:
                    die(where, "use of undefined loop " + toks[1])
                parent["children"].append(loops[toks[1]])
            else:
                if parent["kind"] != 1:
                    die(where, "segments belong in loops")
                parent["children"].append(self.seg_line(where, toks, comment))
        if not header:
            die(path, "empty")
        for lid, l in loops.items():
            if not l["children"] or l["children"][0]["kind"] != 0:
                die(path, "loop %s must start with a segment" % lid)
        idx = self.emit_node(root, 0, path)
        self.sets.append((header, idx))

    def emit_node(self, n, depth, where):
        """Appends n and its subtree; returns its index. Children of a loop
        are stored contiguously."""
        self.max_depth = max(self.max_depth, depth + 1)
        if depth >= 12:
            die(where, "loops nested deeper than 12")
        i = len(self.nodes)
        self.nodes.append(None)
        self.fill(i, n, depth, where)
        return i

    def fill(self, i, n, depth, where):
        if n["kind"] == 0:
            sid = n["seg"]
            qf = len(self.quals)
            for e, c, codes in n["quals"]:
                cf = len(self.codes)
                self.codes.extend(self.pool.add(x) for x in codes)
                self.quals.append((e, c, len(codes), cf))
            uf = len(self.uses)
            self.uses.extend(n["uses"])
            last_r = max([j + 1 for j, u in enumerate(n["uses"]) if u == USAGE["R"]] or [0])
            self.nodes[i] = (0, n["usage"], n["max"], sid, self.seg_order.index(sid), 0,
                             self.pool.add(n["name"]), 0, 0, qf, len(n["quals"]), uf,
                             len(n["uses"]), last_r)
            return
        kids = n["children"]
        first = len(self.nodes)
        self.nodes.extend([None] * len(kids))
        for k, c in enumerate(kids):
            self.fill(first + k, c, depth + 1, where)
        seg = kids[0]["seg"] if kids and kids[0]["kind"] == 0 else ""
        self.max_depth = max(self.max_depth, depth + 1)
        if depth >= 12:
            die(where, "loops nested deeper than 12")
        self.nodes[i] = (1, n["usage"], n["max"], seg, -1, self.pool.add(n["id"]),
                         self.pool.add(n["name"]), first, len(kids), 0, 0, 0, 0, 0)

    def write(self, out):
        w = []
        w.append("/* generated by tools/gen_x12_tables.py from data/x12: do not edit */")
        w.append('#include "x12/schema.h"\n')
        w.append("const x12t_elem x12t_elems[] = {")
        for e in self.elems:
            w.append("    {%d, %d, %d, %d, %d, %d, %d, %d}," % (e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]))
        w.append("    {0, 0, 0, 0, 0, 0, 0, 0}\n};")
        w.append("const x12t_comp x12t_comps[] = {")
        for c in self.comps:
            last_m = max([i + 1 for i, e in enumerate(c["elems"]) if e[6] == REQ["M"]] or [0])
            w.append('    {"%s", %d, %d, %d},' % (c["id"], c["first"], len(c["elems"]), last_m))
        w.append('    {"", 0, 0, 0}\n};')
        w.append("const x12t_rule x12t_rules[] = {")
        for k, es, nel in self.rules:
            # bit e for each element: 0 when a position repeats (MEA
            # L060406), is past the segment's last (LIN) or past 63: the
            # bits of the elements checked cannot say
            mask = sum(1 << x for x in es) if len(set(es)) == len(es) and max(es) <= min(nel, 63) else 0
            w.append("    {'%s', %d, {%s}, 0x%xULL}," % (k, len(es), ", ".join(str(x) for x in es), mask))
        w.append("    {0, 0, {0}, 0}\n};")
        w.append("const x12t_seg x12t_segs[] = {")
        for sid in self.seg_order:
            s = self.segs[sid]
            last_m = max([i + 1 for i, e in enumerate(s["elems"]) if e[6] == REQ["M"]] or [0])
            # elements 1..64 that are composites, as bits (e - 1)
            comps = sum(1 << i for i, e in enumerate(s["elems"]) if e[5] == TYPES["-"] and i < 64)
            w.append('    {"%s", %d, %d, %d, %d, %d, %d, 0x%xULL},' % (sid, self.pool.add(s["name"]), s["first"],
                                                                      len(s["elems"]), s["rule_first"],
                                                                      len(s["rules"]), last_m, comps))
        w.append("};")
        w.append("const size_t x12t_nsegs = %d;" % len(self.seg_order))
        w.append("const x12t_qual x12t_quals[] = {")
        for q in self.quals:
            w.append("    {%d, %d, %d, %d}," % q)
        w.append("    {0, 0, 0, 0}\n};")
        w.append("const uint32_t x12t_codes[] = {")
        for i in range(0, len(self.codes), 12):
            w.append("    " + ", ".join(str(x) for x in self.codes[i:i + 12]) + ",")
        w.append("    0\n};")
        # Each code list again as 64-bit keys (code_key), sorted, for a
        # look-up without string compares; codes over 8 bytes get key 0,
        # which no value of 1..8 bytes packs to (x12t_code_in).
        keys = []
        for e, c, n, first in self.quals:
            keys.extend(sorted(code_key(self.pool.parts_of(x)) for x in self.codes[first:first + n]))
        w.append("const uint64_t x12t_code_keys[] = {")
        for i in range(0, len(keys), 6):
            w.append("    " + ", ".join("0x%016xULL" % x for x in keys[i:i + 6]) + ",")
        w.append("    0\n};")
        w.append("const uint8_t x12t_uses[] = {")
        for i in range(0, len(self.uses), 24):
            w.append("    " + ", ".join(str(x) for x in self.uses[i:i + 24]) + ",")
        w.append("    0\n};")
        w.append("const x12t_node x12t_nodes[] = {")
        for n in self.nodes:
            w.append('    {%d, %d, %d, "%s", %d, %d, %d, %d, %d, %d, %d, %d, %d, %d},' % n)
        w.append("};")
        w.append("const x12t_set x12t_sets[] = {")
        for (sid, guide, fid, name), idx in self.sets:
            w.append('    {"%s", %d, %d, %d, %d},' % (sid, self.pool.add(guide), self.pool.add(fid),
                                                     self.pool.add(name), idx))
        w.append("};")
        w.append("const size_t x12t_nsets = %d;" % len(self.sets))
        pool = b"".join(p + b"\0" for p in self.pool.parts)
        w.append("const char x12t_pool[] =")
        for i in range(0, len(pool), 60):
            w.append('    "%s"' % c_str(pool[i:i + 60]))
        w.append("    ;")
        tmp = out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(w) + "\n")
        os.replace(tmp, out)


def code_key(b):
    """A code of at most 8 bytes as a number: its bytes big-endian, padded
    with zeros (x12t_code_key in schema.h packs a value the same way);
    0 for longer codes."""
    if len(b) > 8:
        return 0
    return int.from_bytes(b.ljust(8, b"\0"), "big")


def parse_max(where, s):
    if s == ">1":
        return 0
    try:
        v = int(s)
    except ValueError:
        die(where, "repeat must be a number or >1")
    if v < 1:
        die(where, "repeat must be at least 1")
    return v


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen_x12_tables.py DATA_DIR OUT.c\n")
        sys.exit(2)
    d, out = sys.argv[1], sys.argv[2]
    g = Gen()
    g.read_dict(os.path.join(d, "segments.dict"))
    for name in sorted(os.listdir(d)):
        if name.endswith(".tr3"):
            g.read_set(os.path.join(d, name))
    g.write(out)


if __name__ == "__main__":
    main()

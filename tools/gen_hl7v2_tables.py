#!/usr/bin/env python3
"""gen_hl7v2_tables.py — HL7 v2 definitions (data/hl7v2/) -> compact C tables.

Usage: gen_hl7v2_tables.py DATA_DIR OUT.c

Reads the hl7-dictionary version files (v2.3.json ... v2.7.1.json) and the
HL7 terminology tables (tables.json) and writes one C file of const arrays
in the layout src/hl7v2/dict.h describes: one string pool, shared element
and node arrays with identical ranges stored once, per-version sorted
segment and structure indexes, the few HL7 tables validation needs, and
table 0354 turned around (type_event -> structure). Python 3 stdlib only;
the output depends only on the input (stable order), so rebuilds are
reproducible.
"""

import json
import os
import re
import sys

VERSIONS = ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7.1"]

# Tables the validator and the ACK builder use.
TABLES = ["0001", "0003", "0008", "0076", "0103", "0104", "0155", "0211",
          "0354", "0357", "0516"]

CHECKS = {"DT": 1, "DTM": 2, "TS": 3, "NM": 4, "SI": 5, "VARIES": 6}

OPT_OK = {1, 2, 3, 4}
SEG_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
EVENT = re.compile(r"^[A-Z][A-Z0-9]{2}$")


def die(msg):
    sys.stderr.write("gen_hl7v2_tables: %s\n" % msg)
    sys.exit(1)


class Pool:
    """One char array of NUL-terminated strings, each stored once."""

    def __init__(self):
        self.off = {}
        self.parts = []
        self.size = 0

    def add(self, s):
        if s is None:
            s = ""
        s = str(s)
        if s in self.off:
            return self.off[s]
        o = self.size
        self.off[s] = o
        b = s.encode("utf-8")
        self.parts.append(b)
        self.size += len(b) + 1
        return o


def c_bytes(b):
    """A C string literal body for bytes b (octal escapes: no hex run-on,
    no trigraphs)."""
    out = []
    for ch in b:
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
    return "".join(out)


class Node:
    """One element of a message structure: kind 0 segment, 1 group (kids),
    2 choice of segments (alts)."""

    def __init__(self, name, kind, mn, mx, kids=None, alts=None):
        self.name, self.kind, self.min, self.max = name, kind, mn, mx
        self.kids = kids or []
        self.alts = alts or []
        self.ambig = 0


def first_places(nd, memo):
    """The (node, segment id) pairs a walk entering nd can place first,
    passing only optional elements: what starts() in validate_struct.c
    accepts."""
    key = id(nd)
    if key in memo:
        return memo[key]
    if nd.kind == 0:
        out = frozenset([(key, nd.name)])
    elif nd.kind == 2:
        out = frozenset((key, a) for a in nd.alts)
    else:
        out = set()
        for k in nd.kids:
            out |= first_places(k, memo)
            if k.min:
                break
        out = frozenset(out)
    memo[key] = out
    return out


def mark_ambig(tree, ctx, memo):
    """Sets .ambig on the segments and choices of tree: 1 when a segment
    placed there could instead have been placed at another node further on
    (in this list before a required element, in a new instance of an
    enclosing group, or after it: ctx holds what lies beyond this list).
    The matcher follows one reading where the bit is 0 and all of them
    where it is 1 (validate_struct.c). An over-approximation: required
    elements already seen and closing rules are ignored, so a 1 may be
    needless, a 0 never wrong."""
    for p, nd in enumerate(tree):
        reach = set(ctx)
        for k in tree[p + 1:]:
            reach |= first_places(k, memo)
            if k.min:
                break
        if nd.kind == 1:
            if nd.max != 1:
                reach |= first_places(nd, memo)
            mark_ambig(nd.kids, frozenset(reach), memo)
            continue
        ids = set(nd.alts) if nd.kind == 2 else {nd.name}
        nd.ambig = int(any(q != id(nd) and x in ids for q, x in reach))


class Gen:
    def __init__(self):
        self.pool = Pool()
        self.pool.add("")
        self.elems = []          # tuples (desc, type, len, table, opt, rep)
        self.elem_ranges = {}    # tuple of elems -> first index
        self.types = []          # names
        self.type_index = {}
        self.nodes = []          # (name, first, n, kind, min, max, ambig)
        self.node_ranges = {}
        self.max_depth = 0
        self.max_list = 0

    def type_id(self, name):
        if name not in self.type_index:
            self.type_index[name] = len(self.types)
            self.types.append(name)
        return self.type_index[name]

    def elem(self, d, where):
        dt = d.get("datatype") or "ST"
        opt = d.get("opt", 1)
        if opt not in OPT_OK:
            opt = 1
        rep = d.get("rep", 1)
        table = d.get("table", 0) or 0
        if not isinstance(rep, int) or rep < 0:
            rep = 1
        # data bug: 2.5.1 OBX-2 has rep 125, its table number
        if rep > 1 and rep == table:
            rep = 1
        if rep > 255:
            rep = 0
        ln = d.get("len", 0) or 0
        if not isinstance(ln, int) or ln < 0 or ln > 65535:
            ln = 0
        if not isinstance(table, int) or table < 0 or table > 65535:
            table = 0
        return (self.pool.add(d.get("desc", "")), self.type_id(dt), ln, table,
                opt, rep)

    def elem_range(self, items):
        key = tuple(items)
        if key in self.elem_ranges:
            return self.elem_ranges[key]
        # a list that is a prefix of the tail already stored also works,
        # but exact sharing is enough to keep the output small
        first = len(self.elems)
        self.elems.extend(items)
        self.elem_ranges[key] = first
        return first

    def node_list(self, entries, depth, where):
        """A structure's element list -> (first, n) in the node array."""
        tree = self.node_tree(entries, depth, where)
        mark_ambig(tree, frozenset(), {})
        return self.node_emit(tree)

    def node_tree(self, entries, depth, where):
        """The elements the validator knows, as Node objects."""
        if depth >= 16:
            die("%s: groups nested deeper than 16" % where)
        self.max_depth = max(self.max_depth, depth + 1)
        items = []
        for e in entries:
            mn = 1 if e.get("min", 0) else 0
            mx = e.get("max", 0)
            if not isinstance(mx, int) or mx < 0 or mx > 255:
                mx = 0
            name = e.get("name")
            if "children" in e:
                kids = self.node_tree(e["children"], depth + 1,
                                      where + "/" + str(name))
                if not kids:
                    continue
                items.append(Node(name, 1, mn, mx, kids=kids))
            elif "compounds" in e:
                alts = [c["name"] for c in e["compounds"]
                        if c.get("name") and SEG_ID.match(c["name"])]
                if not alts:
                    continue  # 2.7.1 CCM_I21: choices without names
                items.append(Node(name, 2, mn, mx, alts=alts))
            elif name == "GenericSegment":
                continue  # 2.3 MFN_M01: "any segment" placeholder; dropped
            else:
                if not name or not SEG_ID.match(name):
                    die("%s: bad segment name %r" % (where, name))
                items.append(Node(name, 0, mn, mx))
        if len(items) > 255:
            die("%s: more than 255 children" % where)
        self.max_list = max(self.max_list, len(items))
        return items

    def node_emit(self, tree):
        items = []
        for nd in tree:
            if nd.kind == 1:
                first, n = self.node_emit(nd.kids)
                items.append((self.pool.add(nd.name), first, n, 1, nd.min,
                              nd.max, 0))
            elif nd.kind == 2:
                subs = [(self.pool.add(a), 0, 0, 0, 0, 0, 0)
                        for a in nd.alts]
                first = self.node_range(subs)
                items.append((self.pool.add(nd.name), first, len(subs), 2,
                              nd.min, nd.max, nd.ambig))
            else:
                items.append((self.pool.add(nd.name), 0, 0, 0, nd.min,
                              nd.max, nd.ambig))
        return self.node_range(items), len(items)

    def node_range(self, items):
        key = tuple(items)
        if not items:
            return 0
        if key in self.node_ranges:
            return self.node_ranges[key]
        first = len(self.nodes)
        self.nodes.extend(items)
        self.node_ranges[key] = first
        return first


def main():
    if len(sys.argv) != 3:
        die("usage: gen_hl7v2_tables.py DATA_DIR OUT.c")
    data_dir, out_path = sys.argv[1], sys.argv[2]
    g = Gen()
    # fixed type ids first, so the C side can rely on nothing but names
    for name in sorted(CHECKS):
        g.type_id(name)

    # 2.3 marks conditional fields required (ORC-7, NK1-7, OBR-27, OBX-2
    # are C in the standard): there a field counts as required only when
    # 2.3.1 or 2.4 requires it too; otherwise it becomes conditional.
    required_later = set()
    for later in ("2.3.1", "2.4"):
        with open(os.path.join(data_dir, "v%s.json" % later),
                  encoding="utf-8") as f:
            ld = json.load(f)
        for sid, sd in ld["segments"].items():
            for i, fd in enumerate(sd.get("fields") or []):
                if fd.get("opt") == 2:
                    required_later.add((sid, i + 1))

    versions = []
    msg_types = set()
    msg_events = set()
    for v in VERSIONS:
        path = os.path.join(data_dir, "v%s.json" % v)
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        # data types: components
        vtypes = {}
        for tname in sorted(d["fields"]):
            subs = d["fields"][tname].get("subfields") or []
            if len(subs) > 255:
                die("%s %s: too many components" % (v, tname))
            items = [g.elem(s, "%s %s.%d" % (v, tname, i + 1))
                     for i, s in enumerate(subs)]
            first = g.elem_range(items) if items else 0
            vtypes[g.type_id(tname)] = (first, len(items))
        # segments
        segs = []
        for sid in sorted(d["segments"]):
            if not SEG_ID.match(sid):
                continue  # 2.6 "ED"
            sd = d["segments"][sid]
            items = [g.elem(fd, "%s %s-%d" % (v, sid, i + 1))
                     for i, fd in enumerate(sd.get("fields") or [])]
            if v == "2.3":
                items = [it[:4] + (3,) + it[5:]
                         if it[4] == 2 and (sid, k + 1) not in required_later
                         else it for k, it in enumerate(items)]
            if sid == "OBX" and len(items) >= 2 and 0 < items[1][2] < 3:
                # 2.3, 2.4, 2.5, 2.5.1 give OBX-2 length 2, but table
                # 0125 holds three-letter types (CWE, DTM): use 3
                items[1] = items[1][:2] + (3,) + items[1][3:]
            first = g.elem_range(items) if items else 0
            segs.append((sid, g.pool.add(sd.get("desc", "")), first,
                         len(items)))
        # message structures
        msgs = []
        for mid in sorted(d["messages"]):
            md = d["messages"][mid]
            entries = md["segments"]["segments"]
            first, n = g.node_list(entries, 0, "%s %s" % (v, mid))
            msgs.append((g.pool.add(mid), first, n, mid))
            parts = mid.split("_")
            if re.match(r"^[A-Z][A-Z0-9]{2}$", parts[0]):
                msg_types.add(parts[0])
            if len(parts) == 2 and EVENT.match(parts[1]):
                msg_events.add(parts[1])
        versions.append((v, vtypes, segs, msgs))

    # every type referenced: make sure type ids exist before emitting
    with open(os.path.join(data_dir, "tables.json"), encoding="utf-8") as f:
        tables = json.load(f)

    tabs = []
    codes = []
    for num in TABLES:
        t = tables.get(num)
        if t is None:
            die("tables.json: no table %s" % num)
        vals = set(k for k in t.get("codes", {}) if k)
        if num == "0076":
            vals |= msg_types
        if num == "0003":
            vals |= msg_events
            vals.discard("Varies")
        vals = sorted(vals)
        first = len(codes)
        codes.extend(g.pool.add(c) for c in vals)
        tabs.append((int(num), g.pool.add(t.get("name", "")), first,
                     len(vals)))

    # table 0354 turned around: TYPE_EVENT -> structure(s)
    events = {}
    for st, evs in sorted(tables["0354"]["codes"].items()):
        if "_" not in st:
            continue
        prefix = st.split("_")[0]
        for ev in re.split(r"[,\s]+", evs or ""):
            if EVENT.match(ev):
                events.setdefault(prefix + "_" + ev, []).append(st)
    ev_rows = []
    for key in sorted(events):
        cands = events[key]
        # the shared structure first, the type_event one last
        cands = sorted(set(cands), key=lambda s: (s == key, s))
        for s in cands:
            ev_rows.append((g.pool.add(key), g.pool.add(s)))

    type_names = g.types
    for name in type_names:
        g.pool.add(name)

    # ---- emit ----
    o = []
    w = o.append
    w("/* Generated by tools/gen_hl7v2_tables.py from data/hl7v2/ - do not "
      "edit. */")
    w('#include "hl7v2/dict.h"')
    w("")
    w("const char hxe_hl7d_pool[] =")
    line = ""
    for b in g.pool.parts:
        piece = c_bytes(b) + "\\0"
        if len(line) + len(piece) > 100:
            w('    "%s"' % line)
            line = ""
        elif line and piece[:1] in "01234567":
            line += '" "'  # "\0" then a digit would read as one octal escape
        line += piece
    w('    "%s";' % line)
    w("")
    w("const hxe_hl7d_elem hxe_hl7d_elems[] = {")
    for e in g.elems or [(0, 0, 0, 0, 1, 1)]:
        w("{%d,%d,%d,%d,%d,%d}," % e)
    w("};")
    w("")
    w("const hxe_hl7d_type hxe_hl7d_types[] = {")
    for name in type_names:
        w("{%d,%d}, /* %s */" % (g.pool.add(name), CHECKS.get(name, 0), name))
    w("};")
    w("const size_t hxe_hl7d_ntypes = %d;" % len(type_names))
    w("")
    w("const hxe_hl7d_node hxe_hl7d_nodes[] = {")
    for nd in g.nodes or [(0, 0, 0, 0, 0, 0, 0)]:
        w("{%d,%d,%d,%d,%d,%d,%d}," % nd)
    w("};")
    w("")
    for i, (v, vtypes, segs, msgs) in enumerate(versions):
        w("static const hxe_hl7d_vtype types_%d[] = {" % i)
        row = []
        for t in range(len(type_names)):
            first, n = vtypes.get(t, (0, 0))
            row.append("{%d,%d}" % (first, n))
        for k in range(0, len(row), 8):
            w(",".join(row[k:k + 8]) + ",")
        w("};")
        w("static const hxe_hl7d_seg segs_%d[] = {" % i)
        for sid, desc, first, n in segs:
            w('{"%s",%d,%d,%d},' % (sid, desc, first, n))
        w("};")
        w("static const hxe_hl7d_msg msgs_%d[] = {" % i)
        for name, first, n, mid in msgs:
            w("{%d,%d,%d}, /* %s */" % (name, first, n, mid))
        w("};")
    w("")
    w("const hxe_hl7d_version hxe_hl7d_versions[] = {")
    for i, (v, vtypes, segs, msgs) in enumerate(versions):
        w('{"%s", segs_%d, %d, msgs_%d, %d, types_%d},' %
          (v, i, len(segs), i, len(msgs), i))
    w("};")
    w("const size_t hxe_hl7d_nversions = %d;" % len(versions))
    w("")
    w("const uint32_t hxe_hl7d_codes[] = {")
    for k in range(0, len(codes), 12):
        w(",".join(str(c) for c in codes[k:k + 12]) + ",")
    w("};")
    w("const hxe_hl7d_table hxe_hl7d_tables[] = {")
    for num, name, first, n in sorted(tabs):
        w("{%d,%d,%d,%d}," % (num, name, first, n))
    w("};")
    w("const size_t hxe_hl7d_ntables = %d;" % len(tabs))
    w("")
    w("const hxe_hl7d_event hxe_hl7d_events[] = {")
    for k in range(0, len(ev_rows), 6):
        w("".join("{%d,%d}," % r for r in ev_rows[k:k + 6]))
    w("};")
    w("const size_t hxe_hl7d_nevents = %d;" % len(ev_rows))
    w("")
    if g.max_depth > 16:
        die("structures nest deeper than HXE_HL7D_MAX_DEPTH")
    text = "\n".join(o) + "\n"
    tmp = out_path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, out_path)


if __name__ == "__main__":
    main()

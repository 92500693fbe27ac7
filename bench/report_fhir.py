#!/usr/bin/env python3
"""report_fhir.py — turns the JSON lines of one `make bench` FHIR run into
the two tables bench/run.sh prints and writes into docs/performance.md:
HL7 v2 ORU^R01 -> FHIR Bundle conversion, and FHIR validation.

Input: the lines bench/fhir_bench.sh collected, each with "bench"
("convert" or "validate"): hxe's convert_bench and fhir_validate_bench
lines, one per validation peer, or {"tool", "bench", "error"} for a tool
that could not run. hxe's validation line carries two measures (R4 base;
base and the US Core profiles the resources declare) and becomes two
rows; the peers check the base definitions. The speed-up is hxe's base
resources/s over the tool's.

The run is refused (exit 1, docs untouched) when a peer validated a
different number of resources or bytes than hxe wrote into the set: then
the tools did not judge the same thing.

Usage: report_fhir.py --results FILE --corpus-info FILE --build DIR
                      [--doc docs/performance.md] [--command "make bench"]
                      [--busy BEFORE AFTER]
"""
import argparse
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (machine(), hxe_version(), number formats)

BEGIN = "<!-- fhir-bench:begin -->"
END = "<!-- fhir-bench:end -->"
AIM_CONV_PER_S = 20000.0
AIM_RATIO = 10.0

CHEAD = ["tool", "version", "runtime", "messages", "MB in", "conversions/s", "best conv/s",
         "in MB/s", "out MB/s", "entries/msg", "peak RSS MB"]
VHEAD = ["tool", "version", "runtime", "checked against", "resources", "resources/s",
         "best res/s", "with errors", "errors", "peak RSS MB", "hxe speed-up"]


def text_table(head, rows, left):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def line(cells):
        return "  ".join((str(c).ljust(w[i]) if i < left else str(c).rjust(w[i]))
                         for i, c in enumerate(cells)).rstrip()
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in rows])


def md_table(head, rows, left):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join(["---"] * left + ["---:"] * (len(head) - left)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def conv_rows(conv):
    rows = []
    for r in conv:
        if "error" in r:
            rows.append([r["tool"], r.get("version", ""), r.get("runtime", "")] + ["-"] * 7 +
                        ["failed (below)"])
            continue
        rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""),
                     report.fmt_int(r["messages"]), "%.1f" % (r["bytes"] / 1e6),
                     report.fmt_int(r["conv_per_s"]), report.fmt_int(r["best_conv_per_s"]),
                     report.fmt_num(r["in_mb_per_s"]), report.fmt_num(r["out_mb_per_s"]),
                     "%.1f" % (r["entries"] / r["messages"]), "%.0f" % (r["peak_rss_kb"] / 1024.0)])
    return rows


def val_rows(hxe, peers):
    """hxe's two measures, then the peers (fastest first, failed last)"""
    rows = []
    base = hxe.get("resources_per_s") if hxe and "error" not in hxe else None
    if hxe and "error" in hxe:
        rows.append(["hxe", hxe.get("version", ""), "C", "-", "-", "-", "-", "-", "-", "-",
                     "failed (below)"])
    elif hxe:
        rss = "%.0f" % (hxe["peak_rss_kb"] / 1024.0)
        rows.append(["hxe", hxe["version"], "C", "R4 base", report.fmt_int(hxe["resources"]),
                     report.fmt_int(hxe["resources_per_s"]),
                     report.fmt_int(hxe["best_resources_per_s"]), report.fmt_int(hxe["with_errors"]),
                     report.fmt_int(hxe["errors"]), rss, "1.0x"])
        rows.append(["hxe", hxe["version"], "C", "R4 base + US Core (meta.profile)",
                     report.fmt_int(hxe["resources"]), report.fmt_int(hxe["uscore_resources_per_s"]),
                     report.fmt_int(hxe["uscore_best_resources_per_s"]),
                     report.fmt_int(hxe["uscore_with_errors"]), report.fmt_int(hxe["uscore_errors"]),
                     rss, "-"])
    for r in peers:
        if "error" in r:
            rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""), "-", "-", "-", "-",
                         "-", "-", "-", "failed (below)"])
            continue
        ratio = report.fmt_ratio(base / r["resources_per_s"]) if base and r["resources_per_s"] else "-"
        rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""), "R4 base",
                     report.fmt_int(r["resources"]), report.fmt_int(r["resources_per_s"]),
                     report.fmt_int(r["best_resources_per_s"]), report.fmt_int(r["with_errors"]),
                     report.fmt_int(r["errors"]), "%.0f" % (r["peak_rss_kb"] / 1024.0), ratio])
    return rows


def check_same_work(hxe, peers):
    if not hxe or "error" in hxe:
        return []
    bad = []
    for r in peers:
        if "error" in r:
            continue
        for k in ("resources", "bytes"):
            if r.get(k) != hxe.get(k):
                bad.append("%s: %s is %s, hxe's set has %s" % (r["tool"], k, r.get(k), hxe.get(k)))
    return bad


def pct(x):
    return "under 1%" if x < 0.01 else "%.0f%%" % (100 * x)


def conv_verdict(conv):
    ok = [r for r in conv if "error" not in r]
    if not ok:
        return "hxe's conversion did not run: no verdict on the aim."
    c = ok[0]
    s = "Aim, at least %s ORU^R01 conversions/s on one core: %s (%s/s)." % (
        report.fmt_int(AIM_CONV_PER_S), "met" if c["conv_per_s"] >= AIM_CONV_PER_S else "NOT met",
        report.fmt_int(c["conv_per_s"]))
    if c.get("parse_s") and c.get("convert_s"):
        t = c["seconds"]
        parse, conv_only = c["parse_s"], c["convert_s"]
        s += (" Where the time of a pass goes (the same pipeline stopped early, median passes):"
              " parse %s, conversion to a jansson tree (and freeing it) %s, writing the"
              " JSON %s." % (pct(parse / t), pct(max(conv_only - parse, 0) / t),
                             pct(max(t - conv_only, 0) / t)))
    return s


def val_verdict(hxe, peers):
    if not hxe or "error" in hxe:
        return "hxe's validation did not run: no verdict on the aim."
    ok = [r for r in peers if "error" not in r]
    if not ok:
        return "Aim, validation at least %.0fx the fastest peer: no peer ran." % AIM_RATIO
    top = max(ok, key=lambda r: r["resources_per_s"])
    ratio = hxe["resources_per_s"] / top["resources_per_s"]
    return "Aim, validation at least %.0fx the fastest peer (%s, %s resources/s): %s (%s)." % (
        AIM_RATIO, top["tool"], report.fmt_int(top["resources_per_s"]),
        "met" if ratio >= AIM_RATIO else "NOT met", report.fmt_ratio(ratio))


def judged(hxe, peers):
    """What each validator found, as text lines (the peers' most frequent
    errors, with indexes and quoted values cut out by the harness)."""
    lines = []
    if hxe and "error" not in hxe:
        lines.append("The set: %s resources (%s MB of JSON): %s entries of the Bundles hxe made from "
                     "the first %s ORU^R01 messages, then %s US Core 6.1.0 examples (%s left out "
                     "because hxe reports errors in them); %s declare a profile in meta.profile."
                     % (report.fmt_int(hxe["resources"]), "%.1f" % (hxe["bytes"] / 1e6),
                        report.fmt_int(hxe["from_bundles"]), report.fmt_int(hxe.get("messages", 0)),
                        report.fmt_int(hxe["examples"]),
                        hxe["examples_left_out"], report.fmt_int(hxe["with_profile"])))
    for r in peers:
        if "error" in r:
            continue
        if not r.get("with_errors"):
            lines.append("%s found no error in any resource." % r["tool"])
            continue
        top = "; ".join("%s x %s" % (report.fmt_int(t["count"]), t["text"])
                        for t in r.get("top_errors", []))
        lines.append("%s found errors in %s resources; most frequent: %s." % (
            r["tool"], report.fmt_int(r["with_errors"]), top))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--corpus-info", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--doc", default="")
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--busy", nargs=2, default=["", ""], metavar=("BEFORE", "AFTER"))
    a = ap.parse_args()

    results = report.read_results(a.results)
    version = report.hxe_version()
    for r in results:
        if r.get("tool") == "hxe":
            r.setdefault("version", version)
    conv = [r for r in results if r.get("bench") == "convert"]
    vals = [r for r in results if r.get("bench") == "validate"]
    hxe = next((r for r in vals if r.get("tool") == "hxe"), None)
    peers = sorted((r for r in vals if r.get("tool") != "hxe"),
                   key=lambda r: -r.get("resources_per_s", -1.0))
    others = [r for r in results if r.get("bench") not in ("convert", "validate")]
    with open(a.corpus_info) as f:
        corpus = re.sub(r"^gen_oru: ", "", f.read().strip())

    crows = conv_rows(conv)
    vrows = val_rows(hxe, peers)
    bad = check_same_work(hxe, peers)
    cverdict = conv_verdict(conv)
    vverdict = val_verdict(hxe, peers) if not bad else \
        "No verdict on the aim: the tools did not validate the same resources."
    notes = judged(hxe, peers)
    if bad:
        notes = ["THE TOOLS DID NOT VALIDATE THE SAME RESOURCES:"] + ["  " + b for b in bad]
    failed = ["%s (%s) failed: %s" % (r["tool"], r.get("bench", "-"), r["error"])
              for r in results if "error" in r]

    m = report.machine(a.build)
    load_note = report.busy_note(a.busy, m["cores"], "FHIR runs", "the tools")
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print("FHIR: ORU^R01 (10 OBX) -> transaction Bundle as JSON; median pass, MB = 10^6 bytes")
    print("messages: " + corpus)
    print()
    print(text_table(CHEAD, crows, 3))
    print()
    print(cverdict)
    print()
    print("FHIR validation, resources/s of the median pass")
    print()
    print(text_table(VHEAD, vrows, 4))
    print()
    for n in notes + failed + ["%s: unknown record" % r.get("tool") for r in others]:
        print(n)
    print(vverdict)
    print("machine: %s, %d cores, %s RAM, %s, %s; %s" % (m["cpu"], m["cores"], m["ram"], m["os"],
                                                        m["kernel"], m["cc"]))
    if load_note:
        print(load_note)
    if bad:
        print("\nreport_fhir.py: the results are not comparable%s"
              % (", %s left as it was" % a.doc if a.doc else ""), file=sys.stderr)
        return 1
    if not a.doc:
        return 0

    section = report.section_head(BEGIN, "report_fhir.py", when, a.command, m, load_note) + [
        "- Messages: %s." % corpus,
        "",
        "**Conversion**: parse, convert to a transaction Bundle, write it as compact JSON;"
        " figures of the median pass.",
        "",
        md_table(CHEAD, crows, 3),
        "",
        cverdict,
        "",
        "**Validation**: every resource of the set, one at a time; figures of the median pass.",
        "",
        md_table(VHEAD, vrows, 4),
        "",
    ] + ["- " + n.strip() for n in notes + failed] + ["", vverdict, END]
    text = "\n".join(section)
    report.write_section(a.doc, BEGIN, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

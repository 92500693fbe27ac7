#!/usr/bin/env python3
"""report_x12.py — turns the JSON lines of one `make bench` X12 run into the
table bench/run.sh prints and writes into docs/performance.md.

Input: the lines bench/x12_bench.sh collected: hxe's three (tokenize,
loops, validate, from x12_bench), one per peer, or {"tool", "error"} for a
tool that could not run. Each peer runs at one depth ("tokenize", "loops",
or "envelopes" for a tool that only finds envelopes); its speed-up is
hxe's MB/s at that depth (tokenize for envelopes, which does more) over
the tool's.

The run is refused (exit 1, docs untouched) when a peer reported a count
(interchanges, groups, sets, segments, elements, claims) different from
hxe's: then the tools did not read the same thing.

Usage: report_x12.py --results FILE --corpus-info FILE --build DIR
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

BEGIN = "<!-- x12-bench:begin -->"
END = "<!-- x12-bench:end -->"
AIM_LOOPS = 500.0
AIM_VALIDATE = 200.0
COUNTS = ["interchanges", "groups", "sets", "segments", "elements", "claims"]
DEPTH_NAME = {"tokenize": "tokenize", "loops": "loop parse", "validate": "validate (SNIP 1-5)",
              "envelopes": "envelopes only"}
# the hxe row a peer is compared with
AGAINST = {"tokenize": "tokenize", "loops": "loops", "envelopes": "tokenize"}
HEAD = ["tool", "version", "runtime", "work", "MB", "MB/s", "best MB/s", "segments/s",
        "peak RSS MB", "hxe speed-up"]


def hxe_rows(results):
    return {r["depth"]: r for r in results if r.get("tool") == "hxe" and "depth" in r}


def build_rows(results):
    hxe = hxe_rows(results)
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""), "-", "-", "-",
                         "-", "-", "-", "failed (below)"])
            continue
        is_hxe = r["tool"] == "hxe"
        ref = hxe.get(AGAINST.get(r["depth"], ""))
        if is_hxe:
            ratio = "-"
            rss = r["stream_rss_kb"] / 1024.0
        else:
            ratio = report.fmt_ratio(ref["mb_per_s"] / r["mb_per_s"]) if ref and r["mb_per_s"] else "-"
            rss = r["peak_rss_kb"] / 1024.0
        seg_s = report.fmt_int(r["segments"] / r["seconds"]) if r.get("segments") else "-"
        rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""),
                     DEPTH_NAME.get(r["depth"], r["depth"]), "%.1f" % (r["bytes"] / 1e6),
                     report.fmt_num(r["mb_per_s"]), report.fmt_num(r["best_mb_per_s"]), seg_s,
                     "%.0f" % rss, ratio])
    return rows


def text_table(rows):
    w = [max(len(str(x)) for x in col) for col in zip(HEAD, *rows)]
    right = set(range(4, len(HEAD)))

    def line(cells):
        return "  ".join((str(c).rjust(w[i]) if i in right else str(c).ljust(w[i]))
                         for i, c in enumerate(cells)).rstrip()
    return "\n".join([line(HEAD), line(["-" * x for x in w])] + [line(r) for r in rows])


def md_table(rows):
    out = ["| " + " | ".join(HEAD) + " |",
           "|" + "|".join(["---"] * 4 + ["---:"] * (len(HEAD) - 4)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def check_same_work(results):
    """Counts a peer reported that differ from hxe's, as text lines."""
    hxe = hxe_rows(results)
    ref = hxe.get("tokenize")
    if not ref:
        return []
    bad = []
    for r in results:
        if "error" in r:
            continue
        for k in COUNTS + ["bytes"]:
            if k in r and r[k] != ref.get(k):
                bad.append("%s (%s): %s is %s, hxe's is %s" % (r["tool"], r["depth"], k, r[k],
                                                               ref.get(k)))
    return bad


def aims(results):
    hxe = hxe_rows(results)
    if not all(d in hxe for d in ("tokenize", "loops", "validate")):
        return "hxe did not run: no verdict on the aims."
    lp, va = hxe["loops"]["mb_per_s"], hxe["validate"]["mb_per_s"]
    rss_mb = hxe["validate"]["stream_rss_kb"] / 1024.0
    file_mb = hxe["validate"]["bytes"] / 1e6
    # one file cannot show "however large"; what can be seen is that the
    # streaming peak is a small fraction of the file (the arena holds one set)
    flat = hxe["validate"]["stream_rss_kb"] * 1024 < 0.1 * hxe["validate"]["bytes"]
    s = ("Aim 1, loop parse at least %d MB/s on one core: %s (%s MB/s). "
         "Aim 2, validation through SNIP 5 at least %d MB/s: %s (%s MB/s). "
         "Aim 3, memory flat however large the file: %s (peak RSS %.0f MB streaming a %.0f MB "
         "file; the largest transaction set took %s KB of arena)." % (
             AIM_LOOPS, "met" if lp >= AIM_LOOPS else "NOT met", report.fmt_num(lp),
             AIM_VALIDATE, "met" if va >= AIM_VALIDATE else "NOT met", report.fmt_num(va),
             "met" if flat else "NOT met", rss_mb, file_mb,
             report.fmt_int(hxe["validate"]["arena_peak_bytes"] / 1024.0)))
    peers = [r for r in results if r.get("tool") != "hxe" and "error" not in r]
    if peers:
        top = max(peers, key=lambda r: r["mb_per_s"])
        s += " The fastest peer: %s, %s MB/s (%s)." % (top["tool"], report.fmt_num(top["mb_per_s"]),
                                                      DEPTH_NAME.get(top["depth"], top["depth"]))
    return s


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
    order = {"tokenize": 0, "loops": 1, "validate": 2}
    mine = sorted((r for r in results if r.get("tool") == "hxe" and "error" not in r),
                  key=lambda r: order.get(r["depth"], 9))
    failed_hxe = [r for r in results if r.get("tool") == "hxe" and "error" in r]
    peers = sorted((r for r in results if r.get("tool") != "hxe"),
                   key=lambda r: -r.get("mb_per_s", -1.0))
    results = mine + failed_hxe + peers
    for r in mine:
        r.setdefault("version", report.hxe_version())
    with open(a.corpus_info) as f:
        corpus = re.sub(r"^gen_x12_corpus: ", "", f.read().strip())

    rows = build_rows(results)
    bad = check_same_work(results)
    hxe = hxe_rows(results)
    if "tokenize" in hxe:
        t = hxe["tokenize"]
        ok = [r for r in results if "error" not in r and r["tool"] != "hxe"]
        work = ("Read by hxe: %s interchanges, %s groups, %s sets, %s segments, %s elements, "
                "%s claims; every peer's counts (%s) equal hxe's." % (
                    report.fmt_int(t["interchanges"]), report.fmt_int(t["groups"]),
                    report.fmt_int(t["sets"]), report.fmt_int(t["segments"]),
                    report.fmt_int(t["elements"]), report.fmt_int(t["claims"]),
                    "; ".join("%s: %s" % (r["tool"], ", ".join(k for k in COUNTS if k in r))
                              for r in ok) or "no peer ran"))
    else:
        work = "hxe did not run, so the peers' counts are not checked against it."
    if bad:
        work = "THE TOOLS DID NOT READ THE SAME THING:\n  " + "\n  ".join(bad)
    failed = ["%s failed: %s" % (r["tool"], r["error"]) for r in results if "error" in r]
    if failed:
        work += "\n\n" + "\n\n".join(failed)
    mem = ""
    if "validate" in hxe:
        v = hxe["validate"]
        mem = ("hxe's peak RSS in the table is that of a validating pass that hands the pages it "
               "has read back to the kernel, as a streaming reader of a large file holds only a "
               "window: %.1f MB. With the whole %.0f MB file mapped and resident (the timed "
               "passes) it is %.0f MB." % (v["stream_rss_kb"] / 1024.0, v["bytes"] / 1e6,
                                           v["peak_rss_kb"] / 1024.0))

    m = report.machine(a.build)
    load_note = report.busy_note(a.busy, m["cores"], "X12 runs", "the tools")
    verdict = aims(results) if not bad else "No verdict on the aims: the tools read different things."
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print("X12 5010 837P/835: tokenize, loop parse, validate; MB/s of the median pass, "
          "MB = 10^6 bytes")
    print("corpus: " + corpus)
    print()
    print(text_table(rows))
    print()
    print(work)
    if mem:
        print(mem)
    print(verdict)
    print("machine: %s, %d cores, %s RAM, %s, %s; %s" % (m["cpu"], m["cores"], m["ram"], m["os"],
                                                        m["kernel"], m["cc"]))
    if load_note:
        print(load_note)
    if bad:
        print("\nreport_x12.py: the results are not comparable%s"
              % (", %s left as it was" % a.doc if a.doc else ""), file=sys.stderr)
        return 1
    if not a.doc:
        return 0

    section = report.section_head(BEGIN, "report_x12.py", when, a.command, m, load_note) + [
        "- Corpus: %s." % corpus,
        "- MB/s and segments/s are of the median pass, best MB/s of the fastest; MB = 10^6 bytes."
        " The speed-up is hxe's MB/s at the tool's depth over the tool's.",
        "",
        md_table(rows),
        "",
        work,
    ] + (["", mem] if mem else []) + ["", verdict, END]
    text = "\n".join(section)
    report.write_section(a.doc, BEGIN, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

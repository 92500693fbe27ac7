#!/usr/bin/env python3
"""report_engine.py — turns the JSON lines of one engine benchmark run
(bench/engine_bench.sh, one line per server and mode, as bench/mllp_load
prints them plus what the script adds) into the table bench/run.sh prints
and writes into docs/performance.md, between the engine-bench markers.

Rows: hxe first, then the peers, each at the fixed offered load and at
saturation. The ratio is hxe's msgs/s at saturation over the tool's.
The verdict on the aims set in issue 4: at least 20,000 messages/s durable
(hxe at saturation) and ACK p99 under 10 ms at 5,000 messages/s offered
(hxe's fixed run, which must also have kept up with the offered load).

Usage: report_engine.py --results FILE --build DIR [--doc docs/performance.md]
                        [--command "make bench"] [--busy BEFORE AFTER]
"""
import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (machine(), hxe_version(), number formats)

BEGIN = "<!-- engine-bench:begin -->"
END = "<!-- engine-bench:end -->"
AIM_RATE = 20000.0
AIM_P99_MS = 10.0
AIM_P99_AT = 5000.0

HEAD = ["tool", "version", "mode", "offered msgs/s", "achieved msgs/s", "p50 ms", "p99 ms",
        "max ms", "errors", "server CPU", "peak RSS MB", "durable", "hxe ratio (saturation)"]


def ms(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def n_errors(r):
    e = r.get("errors", {})
    bad = sum(v for k, v in r.get("codes", {}).items() if k not in ("AA", "CA"))
    return sum(e.get(k, 0) for k in ("mismatched", "connection", "unanswered", "write",
                                      "unexpected")) + bad


def order(results):
    tools = []
    for r in results:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    if "hxe" in tools:
        tools.remove("hxe")
        tools.insert(0, "hxe")
    modes = {"fixed": 0, "saturation": 1}
    return sorted(results, key=lambda r: (tools.index(r["tool"]), modes.get(r.get("mode"), 2)))


def find(results, tool, mode):
    for r in results:
        if r["tool"] == tool and r.get("mode") == mode and "error" not in r:
            return r
    return None


def build_rows(results):
    hxe_sat = find(results, "hxe", "saturation")
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["tool"], r.get("version", ""), r.get("mode", ""), "-", "-", "-", "-",
                         "-", "-", "-", "-", "-", "failed (below)"])
            continue
        ratio = "-"
        if r["mode"] == "saturation":
            if r["tool"] == "hxe":
                ratio = "1.0x"
            elif hxe_sat and r["msgs_per_s"] > 0:
                ratio = report.fmt_ratio(hxe_sat["msgs_per_s"] / r["msgs_per_s"])
        lat = r["latency_ms"]
        cores = r.get("cpu_s", 0) / r["elapsed_s"] if r.get("elapsed_s") else 0
        mode = r["mode"]
        if r.get("reconnect"):
            mode += " (new conn. per msg)"
        rows.append([r["tool"], r.get("version", ""), mode,
                     report.fmt_int(r["offered"]) if r["offered"] else "max",
                     report.fmt_int(r["msgs_per_s"]), ms(lat["p50"]), ms(lat["p99"]),
                     ms(lat["max"]), report.fmt_int(n_errors(r)),
                     "%.0f%%" % (100 * cores), "%.0f" % (r.get("peak_rss_kb", 0) / 1024.0),
                     "yes" if r.get("durable") else "no", ratio])
    return rows


def text_table(rows):
    w = [max(len(str(x)) for x in col) for col in zip(HEAD, *rows)]
    right = set(range(3, len(HEAD)))

    def line(cells):
        return "  ".join((str(c).rjust(w[i]) if i in right else str(c).ljust(w[i]))
                         for i, c in enumerate(cells)).rstrip()
    return "\n".join([line(HEAD), line(["-" * x for x in w])] + [line(r) for r in rows])


def md_table(rows):
    out = ["| " + " | ".join(HEAD) + " |",
           "|" + "|".join(["---"] * 3 + ["---:"] * (len(HEAD) - 4) + ["---:"]) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def aims(results):
    fixed = find(results, "hxe", "fixed")
    sat = find(results, "hxe", "saturation")
    out = []
    if sat:
        out.append("Aim 1, at least {:,.0f} messages/s durable: {} ({} msgs/s at saturation)."
                   .format(AIM_RATE, "met" if sat["msgs_per_s"] >= AIM_RATE else "NOT met",
                           report.fmt_int(sat["msgs_per_s"])))
    else:
        out.append("Aim 1 (20,000 messages/s durable): hxe's saturation run failed, no verdict.")
    if fixed:
        kept = fixed["msgs_per_s"] >= 0.98 * fixed["offered"]
        p99 = fixed["latency_ms"]["p99"]
        met = kept and p99 < AIM_P99_MS and fixed["offered"] >= AIM_P99_AT
        why = "p99 %s ms" % ms(p99)
        if not kept:
            why += ", and it answered %s of the %s msgs/s offered" % (
                report.fmt_int(fixed["msgs_per_s"]), report.fmt_int(fixed["offered"]))
        out.append("Aim 2, ACK p99 under {:.0f} ms at {:,.0f} messages/s: {} ({}).".format(
            AIM_P99_MS, AIM_P99_AT, "met" if met else "NOT met", why))
    else:
        out.append("Aim 2 (ACK p99 under 10 ms at 5,000 messages/s): hxe's fixed run failed,"
                   " no verdict.")
    return " ".join(out)


def hxe_notes(results):
    notes = []
    for r in results:
        if r["tool"] != "hxe" or "error" in r:
            continue
        sink = r.get("sink") or {}
        st = r.get("hxe_stats") or {}
        stored = st.get("stored")
        s = "hxe %s run: %s messages sent, %s ACKed AA" % (
            r["mode"], report.fmt_int(r["sent"]), report.fmt_int(r["codes"].get("AA", 0)))
        if stored is not None:
            s += ", %s stored" % report.fmt_int(stored)
        if sink:
            s += "; %s delivered to the sink before hxe was stopped (%s msgs/s over %.1f s)" % (
                report.fmt_int(sink.get("received", 0)), report.fmt_int(sink.get("msgs_per_s", 0)),
                sink.get("span_s", 0))
        if r.get("db_bytes"):
            s += "; store %.0f MB on disk" % (r["db_bytes"] / 1e6)
        notes.append(s + ".")
    return notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--doc", default="")
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--busy", nargs=2, default=["", ""], metavar=("BEFORE", "AFTER"))
    a = ap.parse_args()

    results = report.read_results(a.results)
    if not results:
        sys.exit("report_engine.py: no results")
    for r in results:
        if r["tool"] == "hxe" and not r.get("version"):
            r["version"] = report.hxe_version()
    results = order(results)
    rows = build_rows(results)
    ok = [r for r in results if "error" not in r]
    m = report.machine(a.build)
    # the time of the runs: when the results file was last written
    when = datetime.datetime.fromtimestamp(os.path.getmtime(a.results), datetime.timezone.utc
                                           ).strftime("%Y-%m-%d %H:%M UTC")
    load_note = report.busy_note(a.busy, m["cores"], "engine runs", "the servers and the loader")
    first = ok[0] if ok else {}
    settings = ("%s connections, one message at a time on each (the next is sent when the"
                " ACK of the last has come); fixed load %s msgs/s offered; %s s of warm-up,"
                " then %s s measured per run; each server started afresh for each run." % (
                    first.get("connections", "?"),
                    report.fmt_int(next((r["offered"] for r in ok if r["offered"]), 0)),
                    ("%g" % first["warmup_s"]) if first else "?",
                    ("%g" % first["duration_s"]) if first else "?"))
    failed = ["%s (%s) failed: %s" % (r["tool"], r.get("mode", ""), r["error"])
              for r in results if "error" in r]
    verdict = aims(results)
    notes = hxe_notes(results)

    print()
    print("Engine end to end over loopback (MLLP in, ACK after the durable commit for hxe);"
          " latency from the scheduled send (fixed) or the send (saturation) to the ACK")
    print("settings: " + settings)
    print()
    print(text_table(rows))
    print()
    for n in notes:
        print(n)
    for f_ in failed:
        print(f_)
    print(verdict)
    print("machine: %s, %d cores, %s RAM, %s, %s; %s" % (m["cpu"], m["cores"], m["ram"], m["os"],
                                                        m["kernel"], m["cc"]))
    if load_note:
        print(load_note)
    if not a.doc:
        return 0

    section = report.section_head(BEGIN, "report_engine.py", when, a.command, m, load_note) + [
        "- Load: " + settings,
        "",
        md_table(rows),
        "",
    ] + ["- " + n for n in notes] + ["- " + f_ for f_ in failed] + [
        "",
        verdict,
        END,
    ]
    text = "\n".join(section)
    report.write_section(a.doc, BEGIN, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

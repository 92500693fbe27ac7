#!/usr/bin/env python3
"""report.py — turns the JSON lines of one `make bench` HL7 parse run into
the table bench/run.sh prints and writes into docs/performance.md.

Input: a file with one JSON object per tool, as hl7_parse_bench and the
peers print them, or {"tool": ..., "error": ...} for a tool that could not
run. The first line must be hxe's. Ratios are hxe's MB/s over the tool's.

The run is refused (exit 1, docs untouched) when a tool read a different
number of messages, PID-5 / OBX-5 values or bytes of values than hxe:
then the tools did not do the same work and a ratio would mean nothing.

Usage: report.py --results FILE --corpus-info FILE --build DIR
                 [--doc docs/performance.md] [--command "make bench"]
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

BEGIN = "<!-- hl7-parse-bench:begin -->"
END = "<!-- hl7-parse-bench:end -->"
AIM_MB_S = 1000.0
AIM_RATIO = 10.0


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
        return out.strip().splitlines()[0] if out.strip() else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(build):
    cpu, mhz = "", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not cpu and line.startswith(("model name", "Hardware", "cpu model")):
                    cpu = line.split(":", 1)[1].strip()
                elif not mhz and line.startswith("cpu MHz"):
                    mhz = line.split(":", 1)[1].strip()
    except OSError:
        pass
    if cpu and mhz and "Hz" not in cpu:
        try:
            cpu += " (%.1f GHz)" % (float(mhz) / 1000)
        except ValueError:
            pass
    ram = ""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    ram = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
                    break
    except OSError:
        pass
    osname = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    cc, build_type = "cc", ""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_C_COMPILER:"):
                    cc = line.split("=", 1)[1].strip()
                elif line.startswith("CMAKE_BUILD_TYPE:"):
                    build_type = line.split("=", 1)[1].strip()
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count() or 0,
        "ram": ram,
        "os": osname,
        "kernel": "%s %s" % (platform.system(), platform.release()),
        "cc": first_line([cc, "--version"]),
        "build_type": build_type,
    }


def hxe_version():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    v = first_line(["git", "-C", root, "describe", "--always", "--dirty"])
    return ("git " + v) if v else "working tree"


def fmt_int(x):
    return "{:,}".format(int(round(x)))


def fmt_num(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_ratio(x):
    return ("{:,.0f}x".format(x)) if x >= 100 else "%.1fx" % x


def build_rows(results):
    hxe = results[0]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""),
                         "-", "-", "-", "-", "-", "-", "failed (below)"])
            continue
        ratio = "1.0x" if r is hxe else (
            fmt_ratio(hxe["mb_per_s"] / r["mb_per_s"]) if "error" not in hxe and r["mb_per_s"] else "-")
        rows.append([r["tool"], r.get("version", ""), r.get("runtime", ""),
                     fmt_int(r["messages"]), "%.1f" % (r["bytes"] / 1e6),
                     fmt_int(r["msgs_per_s"]), fmt_num(r["mb_per_s"]),
                     fmt_num(r.get("best_mb_per_s", r["mb_per_s"])),
                     "%.0f" % (r["peak_rss_kb"] / 1024.0), ratio])
    return rows


HEAD = ["tool", "version", "runtime", "messages", "MB", "msgs/s", "MB/s", "best MB/s",
        "peak RSS MB", "hxe speed-up"]


def text_table(rows):
    w = [max(len(str(x)) for x in col) for col in zip(HEAD, *rows)]
    right = set(range(3, len(HEAD)))
    def line(cells):
        return "  ".join((str(c).rjust(w[i]) if i in right else str(c).ljust(w[i]))
                         for i, c in enumerate(cells)).rstrip()
    out = [line(HEAD), line(["-" * x for x in w])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def md_table(rows):
    out = ["| " + " | ".join(HEAD) + " |",
           "|" + "|".join(["---", "---", "---"] + ["---:"] * (len(HEAD) - 3)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def check_same_work(results):
    """Problems that make the comparison meaningless, as text lines."""
    hxe = results[0]
    if "error" in hxe:
        return []
    bad = []
    for r in results[1:]:
        if "error" in r:
            continue
        for k in ("messages", "bytes", "values", "obx5", "checksum"):
            if r.get(k) != hxe.get(k):
                bad.append("%s: %s is %s, hxe's is %s" % (r["tool"], k, r.get(k), hxe.get(k)))
    return bad


def aims(results):
    hxe = results[0]
    if "error" in hxe:
        return "hxe did not run: no verdict on the aims."
    peers = [r for r in results[1:] if "error" not in r]
    s = "Aim 1, at least %d MB/s on one core: %s (%s MB/s)." % (
        AIM_MB_S, "met" if hxe["mb_per_s"] >= AIM_MB_S else "NOT met", fmt_num(hxe["mb_per_s"]))
    if peers:
        top = max(peers, key=lambda r: r["mb_per_s"])
        ratio = hxe["mb_per_s"] / top["mb_per_s"]
        s += " Aim 2, at least %.0fx the fastest peer (%s, %s MB/s): %s (%s)." % (
            AIM_RATIO, top["tool"], fmt_num(top["mb_per_s"]),
            "met" if ratio >= AIM_RATIO else "NOT met", fmt_ratio(ratio))
    else:
        s += " Aim 2 (10x the fastest peer): no peer ran."
    return s


def read_results(path):
    """The JSON lines of a results file, in order."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def busy_note(busy, cores, what="runs", who="the tools"):
    """The sentence on other work on the machine ("" when not measured)."""
    try:
        before, after = int(busy[0]), int(busy[1])
    except (ValueError, IndexError):
        return ""
    note = ("Other work on the machine: its CPUs were %d%% busy in the 3 s before the %s and "
            "%d%% in the 3 s after" % (before, what, after))
    if max(before, after) >= 10:
        note += (" (%s shared the %d cores with other work, so the figures may be low and vary "
                 "between runs)" % (who, cores))
    return note + "."


def section_head(begin, script, when, command, m, note):
    """The first lines of a marked section: markers, date, machine, build."""
    return [
        begin,
        "<!-- written by bench/run.sh (bench/%s); edits here are overwritten -->" % script,
        "",
        "Run on %s with `%s`." % (when, command),
        "",
        "- Machine: %s, %d cores, %s RAM; %s, %s." % (m["cpu"], m["cores"], m["ram"], m["os"],
                                                     m["kernel"]),
        "- hxe built with %s (%s)." % (m["cc"] or "the C compiler CMake found",
                                       m["build_type"] or "CMake default build type"),
    ] + (["- " + note] if note else [])


def write_section(path, begin, end, text):
    """Replaces the section between the markers in path (or appends it)."""
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = "# Performance\n\n"
    if begin in doc and end in doc:
        pre, rest = doc.split(begin, 1)
        doc = pre + text + rest.split(end, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(doc)
    print("\nwrote the results into %s" % path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--corpus-info", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--doc", default="")
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--busy", nargs=2, default=["", ""], metavar=("BEFORE", "AFTER"),
                    help="percent of the CPUs busy with other work before and after the runs")
    a = ap.parse_args()

    results = read_results(a.results)
    if not results or results[0].get("tool") != "hxe":
        sys.exit("report.py: the first result must be hxe's")
    # hxe first, then the peers fastest first, the failed ones last
    results[1:] = sorted(results[1:], key=lambda r: -r.get("mb_per_s", -1.0))
    results[0].setdefault("version", hxe_version())
    with open(a.corpus_info) as f:
        corpus = f.read().strip()
    corpus = re.sub(r"^gen_hl7_corpus: ", "", corpus)

    rows = build_rows(results)
    bad = check_same_work(results)
    hxe = results[0]
    ok = [r for r in results if "error" not in r]
    if "error" not in hxe:
        counts = ", ".join("%s %s" % (r["tool"], fmt_int(r["obx5"])) for r in ok)
        work = ("OBX-5 values read per pass: %s; with PID-5: %s values, %s bytes of values "
                "(checksum) for every tool that ran." % (counts, fmt_int(hxe["values"]),
                                                fmt_int(hxe["checksum"])))
    else:
        work = "hxe did not run, so the work of the peers is not checked against it."
    if bad:
        work = "THE TOOLS DID NOT DO THE SAME WORK:\n  " + "\n  ".join(bad)
    failed = ["%s failed: %s" % (r["tool"], r["error"]) for r in results if "error" in r]
    if failed:
        work += "\n\n" + "\n\n".join(failed)

    m = machine(a.build)
    load_note = busy_note(a.busy, m["cores"], "runs", "the tools")
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print("HL7 v2 parse + PID-5 + every OBX-5; msgs/s, MB/s and speed-up of the median pass,"
          " MB = 10^6 bytes")
    print("corpus: " + corpus)
    print()
    print(text_table(rows))
    print()
    verdict = aims(results) if not bad else "No verdict on the aims: the tools did different work."
    print(work)
    print(verdict)
    if "error" not in hxe and "split_mb_per_s" in hxe:
        print("hxe_hl7_reader, cutting the stream into messages (not in the table): %s MB/s."
              % fmt_num(hxe["split_mb_per_s"]))
    print("machine: %s, %d cores, %s RAM, %s, %s; %s" % (m["cpu"], m["cores"], m["ram"], m["os"],
                                                        m["kernel"], m["cc"]))
    if load_note:
        print(load_note)
    if bad:
        print("\nreport.py: the results are not comparable%s"
              % (", %s left as it was" % a.doc if a.doc else ""), file=sys.stderr)
        return 1
    if not a.doc:
        return 0

    section = section_head(BEGIN, "report.py", when, a.command, m, load_note) + [
        "- Corpus: %s." % corpus,
        "- Work per message: parse, then PID-5 and field 5 of every OBX as text"
        " as written. msgs/s, MB/s and the speed-up are of the median pass, best MB/s"
        " of the fastest; MB = 10^6 bytes.",
        "",
        md_table(rows),
        "",
        work,
        "",
        verdict,
    ]
    if "error" not in hxe and "split_mb_per_s" in hxe:
        section += ["", "Cutting the stream into messages with `hxe_hl7_reader`, outside the "
                    "timed loop as the peers' splitting is: %s MB/s." % fmt_num(hxe["split_mb_per_s"])]
    section.append(END)
    text = "\n".join(section)

    write_section(a.doc, BEGIN, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

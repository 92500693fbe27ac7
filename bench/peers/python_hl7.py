"""python_hl7.py — the python-hl7 peer of bench/hl7_parse_bench.c.

Runs under Debian's /usr/bin/python3 with the python3-hl7 package (the
`hl7` module). Does what the hxe driver does, the way a python-hl7 user
writes it: hl7.parse each message, then str() of PID-5 and of field 5 of
every OBX segment (str() gives the value as written, so the checksum — the
bytes of those values — must equal hxe's).

The corpus is split into messages at each "MSH|" that starts a segment
before the clock starts; only parse and reads are timed. One warm-up pass,
then timed passes until BENCH_MIN_SECONDS (2) and BENCH_MIN_PASSES (3) are
both reached, or BENCH_MAX_SECONDS (20) of timed passes have run; the
median pass is reported. Prints one JSON line.

Usage: /usr/bin/python3 python_hl7.py CORPUS
"""
import json
import os
import resource
import sys
import time

import hl7


def split_messages(data):
    """Messages start at offset 0 and after every segment end followed by MSH|."""
    msgs = []
    start = 0
    while True:
        i = data.find("\rMSH|", start)
        if i < 0:
            msgs.append(data[start:])
            return msgs
        msgs.append(data[start:i + 1])
        start = i + 1


def one_pass(msgs):
    values = obx5 = checksum = 0
    for text in msgs:
        m = hl7.parse(text)
        checksum += len(str(m.segment("PID")[5]))
        values += 1
        try:
            obxs = m.segments("OBX")
        except KeyError:        # python-hl7 raises when there is none
            obxs = ()
        for seg in obxs:
            checksum += len(str(seg[5]))
            obx5 += 1
    return values + obx5, obx5, checksum


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python_hl7.py CORPUS")
    with open(sys.argv[1], "rb") as f:
        data = f.read().decode("utf-8")   # bytes, so \r is kept as written
    msgs = split_messages(data)
    nbytes = sum(len(m.encode("utf-8")) for m in msgs)
    load_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    min_s = float(os.environ.get("BENCH_MIN_SECONDS", "2"))
    min_passes = int(os.environ.get("BENCH_MIN_PASSES", "3"))
    max_s = float(os.environ.get("BENCH_MAX_SECONDS", "20"))
    expect = one_pass(msgs)                 # warm-up, and the reference result
    times = []
    while not times or ((len(times) < min_passes or sum(times) < min_s)
                        and sum(times) < max_s):
        t0 = time.perf_counter()
        got = one_pass(msgs)
        times.append(time.perf_counter() - t0)
        if got != expect:
            sys.exit("python_hl7: passes disagree")
    times.sort()
    half = len(times) // 2
    med = times[half] if len(times) % 2 else (times[half - 1] + times[half]) / 2
    best = times[0]
    print(json.dumps({
        "tool": "python-hl7",
        "version": getattr(hl7, "__version__", "?"),
        "runtime": "CPython %d.%d.%d" % sys.version_info[:3],
        "messages": len(msgs), "bytes": nbytes, "passes": len(times),
        "seconds": round(med, 6), "best_seconds": round(best, 6),
        "msgs_per_s": round(len(msgs) / med, 1),
        "mb_per_s": round(nbytes / med / 1e6, 3),
        "best_mb_per_s": round(nbytes / best / 1e6, 3),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "load_rss_kb": load_rss,
        "values": expect[0], "obx5": expect[1], "checksum": expect[2],
    }))


if __name__ == "__main__":
    main()

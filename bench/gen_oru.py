#!/usr/bin/env python3
"""gen_oru.py — writes the ORU^R01 messages the FHIR benchmark converts.

Every message is one lab result as a laboratory information system sends
it: MSH, PID, PV1 (most of them), ORC, OBR for the panel, exactly 10 OBX,
and a specimen (SPM) for some. The OBX are the results a chemistry or
haematology analyser reports: NM values with their LOINC code, UCUM unit,
reference range and abnormal flag (H, L or N), plus now and then a coded
(CWE, SNOMED CT) answer; some carry an NTE comment.

Names, identifiers, dates and values come from the seeded generator of
bench/gen_hl7_corpus.py (its word lists and segment builders are reused):
there is no patient data here, and the same seed and count give the same
bytes on every machine and Python 3 version.

Output: one file, segments ended by \\r, messages concatenated. A summary
line goes to stderr.

Usage: gen_oru.py [--count N] [--seed S] [--out PATH]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_hl7_corpus import CODED, LABS, NUMERIC, PANELS, TEXTS, Gen  # noqa: E402

OBX_PER_MESSAGE = 10


def oru(g):
    r = g.r
    segs = [g.msh("ORU", "R01", "ORU_R01"), g.pid()]
    if r.random() < 0.8:
        segs.append(g.pv1())
    placer, filler = g.digits(9), g.digits(10)
    segs.append(g.orc("RE", placer, filler))
    segs.append(g.order(1, placer, filler, g.pick(PANELS[:4])))
    # ten distinct tests, most numeric; a coded answer in about one in ten
    tests = r.sample(range(len(NUMERIC)), OBX_PER_MESSAGE)
    for i, k in enumerate(tests):
        if r.random() < 0.1:
            code, name, answers = g.pick(CODED)
            a = g.pick(answers)
            segs.append(g.obx(i + 1, "CWE", "%s^%s^LN" % (code, name),
                              "%s^%s^SCT^^^^20230301" % a, flag=g.pick(["A", "N"])))
        else:
            code, name, unit, lo, hi, dec = NUMERIC[k]
            v = r.uniform(lo * 0.7, hi * 1.3)
            flag = "H" if v > hi else ("L" if v < lo else "N")
            segs.append(g.obx(i + 1, "NM", "%s^%s^LN" % (code, name), "%.*f" % (dec, v),
                              "%s^%s^UCUM" % (unit, unit), "%s-%s" % (lo, hi), flag))
        if r.random() < 0.05:
            segs.append(g.nte(1, g.pick(TEXTS)))
    if r.random() < 0.3:
        segs.append("SPM|1|%s&%s||%s^%s^SCT|||||||||||||%s|%s"
                    % (g.digits(8), g.pick(LABS)[0], "119297000", "Blood specimen",
                       g.ts(), g.ts()))
    return segs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=5000, help="messages (default 5000)")
    ap.add_argument("--seed", type=int, default=6106, help="random seed (default 6106)")
    ap.add_argument("--out", default="-", help="output file (default stdout)")
    a = ap.parse_args()
    if a.count < 1:
        ap.error("--count must be at least 1")
    g = Gen(a.seed)
    out = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    total = obx = 0
    for _ in range(a.count):
        segs = oru(g)
        obx += sum(1 for s in segs if s.startswith("OBX|"))
        data = ("\r".join(segs) + "\r").encode("ascii")
        total += len(data)
        out.write(data)
    if out is not sys.stdout.buffer:
        out.close()
    print("gen_oru: %d ORU^R01 messages, %d OBX, %d bytes, seed %d"
          % (a.count, obx, total, a.seed), file=sys.stderr)


if __name__ == "__main__":
    main()

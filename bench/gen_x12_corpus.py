#!/usr/bin/env python3
"""gen_x12_corpus.py — writes the synthetic X12 5010 corpus `make bench` reads.

A file like a clearinghouse moves in a day: many interchanges one after
the other, each with one to three functional groups of one to four
transaction sets. Most interchanges carry 837 Professional claims
(005010X222A1, GS01 HC) from billing providers; the others carry 835
payments (005010X221A1, GS01 HP) from payers.

- 837P sets: one billing provider (2000A, taxonomy, NPI, address, EIN),
  then subscribers (2000B) with their payer; about a third of the claims
  are for a dependant (2000C with PAT and the patient's name). Each claim
  (2300) has 1 to 6 service lines (2400, CPT/HCPCS with modifiers and
  diagnosis pointers), up to 8 ICD-10-CM diagnoses, and some have an
  onset date, a prior authorization, a note, a rendering provider
  (2310B), a service facility (2310C) or an auto accident (CLM11 with
  DTP*439).
- 835 sets: a check or an ACH payment (BPR), payer and payee, claims
  (2100) with patient, sometimes insured and rendering provider, and
  service lines (2110) whose charge, payment and adjustments (CAS CO, PR
  and OA) balance, remark codes, and sometimes provider-level
  adjustments (PLB).

Every amount balances the way hxe checks it (CLM02 = the lines' SV102;
BPR02 = the CLP04s less PLB; CLP03 - CLP04 and SVC02 - SVC03 = the CAS
amounts), every NPI has its Luhn check digit, every code has the shape
of its code set, so the whole file validates clean through SNIP type 5.

Every name, identifier, address and amount is invented by a seeded
random generator: there is no patient data here. The same seed and size
give the same bytes on every machine and Python 3 version.

Output: one file, delimiters * ^ : and ~, each segment on its own line
(~ then \\n). A summary line goes to stderr.

Usage: gen_x12_corpus.py [--mb N] [--seed S] [--out PATH]
"""
import argparse
import random
import sys

FAMILY = ["ABARA", "BELLWETHER", "CASTELLAN", "DRUMMOND", "ESTERHAUS", "FAIRWEATHER",
          "GALLOWAY", "HALVORSEN", "IBARRA", "JANDREAU", "KOWALCZYK", "LINDQVIST",
          "MBEKI", "NAKASHIMA", "OYELARAN", "PEMBERTON", "QUINTERO", "RASMUSSEN",
          "SZABO", "THIBODEAUX", "UNDERHILL", "VALDERRAMA", "WHITCOMBE", "XIONG",
          "YILMAZ", "ZOGRAFOS", "O'DOWD", "VAN DER BERG", "ST CROIX", "NG"]
GIVEN = ["AVERY", "BRIELLE", "CASPIAN", "DELPHINE", "EMRYS", "FENNA", "GIDEON",
         "HARLOW", "ILSE", "JORY", "KESTREL", "LINNEA", "MAREK", "NOOR", "ORRIN",
         "PRIYA", "QUILL", "ROSALIND", "SOREN", "TAMSIN", "ULRIC", "VESNA",
         "WREN", "XANTHE", "YUSUF", "ZELDA"]
STREETS = ["LARKSPUR LN", "QUARRY RD", "OLD MILL WAY", "HARBOR VIEW DR", "BIRCHWOOD CT",
           "FOUNDRY ST", "MEADOWLARK AVE", "SIGNAL HILL RD", "TANAGER PL", "WICKHAM BLVD"]
CITIES = [("FERNHOLLOW", "OR", "97"), ("BRACKENRIDGE", "PA", "15"), ("LOWMOOR", "WI", "53"),
          ("SALTMARSH", "SC", "29"), ("KETTLE FALLS", "WA", "99"), ("ASHDOWN", "AR", "71"),
          ("MILLBROOK", "NY", "12"), ("COPPERTON", "UT", "84"), ("DUNMORE", "TX", "75"),
          ("HOLLIS BAY", "FL", "33")]
PRACTICES = ["NORTHVALE FAMILY MEDICINE", "ST MARGARET PHYSICIANS GROUP",
             "LAKESIDE ORTHOPEDIC ASSOCIATES", "PINECREST PEDIATRICS",
             "RIVERBEND INTERNAL MEDICINE", "COPPERTON DERMATOLOGY PLLC",
             "HARBOR VIEW CARDIOLOGY", "MILLBROOK PHYSICAL THERAPY"]
FACILITIES = ["NORTHVALE SURGERY CENTER", "LAKESIDE IMAGING", "FOUNDRY STREET CLINIC",
              "SALTMARSH URGENT CARE"]
PAYERS = [("ACME HEALTH PLAN", "60054"), ("BLUE HERON MUTUAL", "87726"),
          ("GRANITE STATE HEALTH", "39026"), ("MERIDIAN CARE INSURANCE", "13551"),
          ("TRILLIUM BENEFITS", "94107")]
TAXONOMY = ["207Q00000X", "207R00000X", "208000000X", "207X00000X", "207N00000X",
            "207RC0000X", "225100000X", "363LF0000X"]
# (code, usual charge in cents): CPT and HCPCS level II shapes
PROCEDURES = [("99213", 12500), ("99214", 18500), ("99203", 16000), ("99395", 21000),
              ("36415", 1500), ("80053", 4500), ("85025", 3000), ("93000", 6000),
              ("71046", 9500), ("97110", 5500), ("97140", 5000), ("20610", 14000),
              ("G0439", 17500), ("J1100", 2500), ("90686", 3500), ("0001U", 25000),
              ("1036F", 100), ("11102", 11000), ("17110", 13000), ("99406", 3000)]
MODIFIERS = ["25", "59", "GT", "LT", "RT", "95", "76"]
ICD10 = ["E119", "I10", "J189", "N390", "R079", "M545", "K219", "F419", "J069", "Z0000",
         "E785", "M1711", "R51", "L300", "S93401A", "Z23", "G4733", "H6693", "R197", "B349"]
REMARKS = ["N130", "M15", "N381", "MA01", "N4", "M80"]


def amt(cents):
    """An R amount the way X12 writers put it: no trailing zeros."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    d, c = divmod(cents, 100)
    if c == 0:
        return "%s%d" % (sign, d)
    if c % 10 == 0:
        return "%s%d.%d" % (sign, d, c // 10)
    return "%s%d.%02d" % (sign, d, c)


def npi(rng):
    """Ten digits whose last is the Luhn check digit over 80840 + the first nine."""
    body = [rng.randrange(1, 3)] + [rng.randrange(10) for _ in range(8)]
    digits = [8, 0, 8, 4, 0] + body
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return "".join(map(str, body)) + str((10 - total % 10) % 10)


def date8(rng, year=2025):
    return "%04d%02d%02d" % (year, rng.randrange(1, 13), rng.randrange(1, 29))


class Writer:
    """Collects segments; counts them, per set and in all."""

    def __init__(self, out):
        self.out = out
        self.parts = []
        self.size = 0
        self.segments = 0
        self.set_segs = 0

    def seg(self, *elements):
        s = "*".join(elements) + "~\n"
        self.parts.append(s)
        self.size += len(s)
        self.segments += 1
        self.set_segs += 1

    def flush(self):
        self.out.write("".join(self.parts))
        self.parts = []


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.isa_ctl = 100000000 + seed % 1000
        self.gs_ctl = 1000
        self.pcn = 0
        self.stats = {"interchanges": 0, "groups": 0, "sets837": 0, "sets835": 0,
                      "claims837": 0, "claims835": 0, "lines": 0}

    # ---- pieces ----
    def person(self):
        r = self.rng
        return r.choice(FAMILY), r.choice(GIVEN)

    def address(self, w):
        r = self.rng
        city, st, z = r.choice(CITIES)
        w.seg("N3", "%d %s" % (r.randrange(1, 9999), r.choice(STREETS)))
        zip5 = z + "%03d" % r.randrange(1000)
        w.seg("N4", city, st, zip5 + ("%04d" % r.randrange(10000) if r.random() < 0.6 else ""))

    # ---- 837P ----
    def claim_837(self, w):
        r = self.rng
        self.pcn += 1
        nlines = r.choice((1, 1, 2, 2, 3, 3, 4, 5, 6))
        lines = []
        for _ in range(nlines):
            code, base = r.choice(PROCEDURES)
            units = r.choice((1, 1, 1, 2, 3))
            cents = (base + r.randrange(0, 4000)) * units
            lines.append((code, units, cents))
        total = sum(c for _, _, c in lines)
        auto = r.random() < 0.04
        clm = ["CLM", "PCN%09d" % self.pcn, amt(total), "", "", "11:B:1", "Y", "A", "Y", "Y"]
        if auto:
            clm += ["P", "AA:::" + r.choice(CITIES)[1]]
        w.seg(*clm)
        if auto:
            w.seg("DTP", "439", "D8", date8(r))
        if r.random() < 0.3:
            w.seg("DTP", "431", "D8", date8(r))
        if r.random() < 0.2:
            w.seg("REF", "G1", "PA%07d" % r.randrange(10**7))
        w.seg("REF", "D9", "CH%012d" % r.randrange(10**12))
        if r.random() < 0.08:
            w.seg("NTE", "ADD", "PATIENT SEEN FOR FOLLOW UP OF CHRONIC CONDITION")
        diags = r.sample(ICD10, r.randrange(1, 9))
        w.seg("HI", *(("ABK:" if i == 0 else "ABF:") + d for i, d in enumerate(diags)))
        if r.random() < 0.35:
            fam, giv = self.person()
            w.seg("NM1", "82", "1", fam, giv, "", "", "", "XX", npi(r))
            w.seg("PRV", "PE", "PXC", r.choice(TAXONOMY))
        if r.random() < 0.2:
            w.seg("NM1", "77", "2", r.choice(FACILITIES), "", "", "", "", "XX", npi(r))
            self.address(w)
        for i, (code, units, cents) in enumerate(lines, 1):
            w.seg("LX", str(i))
            proc = "HC:" + code
            if r.random() < 0.2:
                proc += ":" + r.choice(MODIFIERS)
            ptr = ":".join(str(p) for p in range(1, min(len(diags), r.randrange(1, 5)) + 1))
            w.seg("SV1", proc, amt(cents), "UN", str(units), "", "", ptr)
            d = date8(r)
            if r.random() < 0.1:
                w.seg("DTP", "472", "RD8", d + "-" + d)
            else:
                w.seg("DTP", "472", "D8", d)
            if r.random() < 0.5:
                w.seg("REF", "6R", "L%09d" % r.randrange(10**9))
            self.stats["lines"] += 1
        self.stats["claims837"] += 1

    def set_837(self, w, ctl, nclaims):
        r = self.rng
        w.set_segs = 0
        w.seg("ST", "837", ctl, "005010X222A1")
        w.seg("BHT", "0019", "00", "B%09d" % r.randrange(10**9), date8(r), "%02d%02d" % (
            r.randrange(24), r.randrange(60)), "CH")
        w.seg("NM1", "41", "2", "HXE DEMO CLEARINGHOUSE", "", "", "", "", "46", "CLRHOUSE01")
        w.seg("PER", "IC", "EDI SUPPORT", "TE", "555%07d" % r.randrange(10**7), "FX",
              "555%07d" % r.randrange(10**7))
        payer, payer_id = r.choice(PAYERS)
        w.seg("NM1", "40", "2", payer, "", "", "", "", "46", payer_id)
        w.seg("HL", "1", "", "20", "1")
        w.seg("PRV", "BI", "PXC", r.choice(TAXONOMY))
        w.seg("NM1", "85", "2", r.choice(PRACTICES), "", "", "", "", "XX", npi(r))
        self.address(w)
        w.seg("REF", "EI", "%09d" % r.randrange(10**8, 10**9))
        if r.random() < 0.3:
            w.seg("PER", "IC", "BILLING OFFICE", "TE", "555%07d" % r.randrange(10**7))
        hl = 1
        done = 0
        while done < nclaims:
            n = min(nclaims - done, r.choice((1, 1, 1, 2, 2, 3)))
            dependant = r.random() < 0.33
            hl += 1
            sub_hl = hl
            w.seg("HL", str(sub_hl), "1", "22", "1" if dependant else "0")
            w.seg("SBR", "P", "" if dependant else "18", "GRP%06d" % r.randrange(10**6),
                  "", "", "", "", "", "CI")
            fam, giv = self.person()
            w.seg("NM1", "IL", "1", fam, giv, r.choice(("", "A", "J")), "", "", "MI",
                  "M%09d" % r.randrange(10**9))
            if not dependant:
                self.address(w)
                w.seg("DMG", "D8", date8(r, r.randrange(1940, 2020)), r.choice("FMU"))
            w.seg("NM1", "PR", "2", payer, "", "", "", "", "PI", payer_id)
            if dependant:
                hl += 1
                w.seg("HL", str(hl), str(sub_hl), "23", "0")
                w.seg("PAT", r.choice(("19", "01")))
                w.seg("NM1", "QC", "1", fam, r.choice(GIVEN))
                self.address(w)
                w.seg("DMG", "D8", date8(r, r.randrange(2005, 2024)), r.choice("FM"))
            for _ in range(n):
                self.claim_837(w)
            done += n
        w.seg("SE", str(w.set_segs + 1), ctl)
        self.stats["sets837"] += 1

    # ---- 835 ----
    def claim_835(self, w):
        """Writes one 2100 claim; returns its payment in cents."""
        r = self.rng
        self.pcn += 1
        denied = r.random() < 0.05
        nlines = r.choice((1, 1, 2, 2, 3, 4, 5))
        lines = []
        for _ in range(nlines):
            code, base = r.choice(PROCEDURES)
            units = r.choice((1, 1, 1, 2))
            charge = (base + r.randrange(0, 4000)) * units
            if denied:
                adj = [("CO", "50", charge)]
                paid = 0
            else:
                allowed = charge * r.randrange(55, 95) // 100
                pr = allowed * r.choice((0, 0, 10, 20)) // 100
                ded = min(allowed - pr, r.choice((0, 0, 0, 2000, 5000)))
                paid = allowed - pr - ded
                adj = [("CO", "45", charge - allowed)]
                if ded:
                    adj.append(("PR", "1", ded))
                if pr:
                    adj.append(("PR", "2", pr))
                if r.random() < 0.05 and paid >= 100:
                    adj.append(("OA", "23", 100))
                    paid -= 100
            lines.append((code, units, charge, paid, adj))
        charge = sum(l[2] for l in lines)
        paid = sum(l[3] for l in lines)
        patient = sum(a for l in lines for g, _, a in l[4] if g == "PR")
        status = "4" if denied else r.choice(("1", "1", "1", "2"))
        w.seg("CLP", "PCN%09d" % self.pcn, status, amt(charge), amt(paid),
              amt(patient) if patient else "", r.choice(("12", "MC", "HM", "MB")),
              "%014d" % r.randrange(10**14), "11", "1")
        fam, giv = self.person()
        w.seg("NM1", "QC", "1", fam, giv, "", "", "", "MI", "M%09d" % r.randrange(10**9))
        if r.random() < 0.3:
            w.seg("NM1", "IL", "1", fam, r.choice(GIVEN), "", "", "", "MI",
                  "M%09d" % r.randrange(10**9))
        if r.random() < 0.4:
            f2, g2 = self.person()
            w.seg("NM1", "82", "1", f2, g2, "", "", "", "XX", npi(r))
        d = date8(r)
        if r.random() < 0.5:
            w.seg("DTM", "232", d)
            w.seg("DTM", "233", d)
        w.seg("DTM", "050", date8(r))
        if not denied and r.random() < 0.5:
            w.seg("AMT", "AU", amt(paid + patient))
        for code, units, lcharge, lpaid, adj in lines:
            proc = "HC:" + code
            if r.random() < 0.15:
                proc += ":" + r.choice(MODIFIERS)
            w.seg("SVC", proc, amt(lcharge), amt(lpaid), "", str(units))
            w.seg("DTM", "472", d)
            # one CAS per group code, up to six reason/amount triplets each
            groups = {}
            for g, reason, a in adj:
                groups.setdefault(g, []).append((reason, a))
            for g in sorted(groups):
                cas = ["CAS", g]
                for reason, a in groups[g]:
                    cas += [reason, amt(a), ""]
                while cas and cas[-1] == "":
                    cas.pop()
                w.seg(*cas)
            w.seg("REF", "6R", "L%09d" % r.randrange(10**9))
            if lpaid:
                w.seg("AMT", "B6", amt(lcharge - sum(a for g, _, a in adj if g == "CO")))
            if r.random() < 0.15:
                w.seg("LQ", "HE", r.choice(REMARKS))
            self.stats["lines"] += 1
        self.stats["claims835"] += 1
        return paid

    def set_835(self, w, ctl, nclaims):
        r = self.rng
        w.set_segs = 0
        w.seg("ST", "835", ctl)
        # the claims first (BPR02 is their total), into a writer of their own
        body = Writer(None)
        paid = 0
        done = 0
        lx = 0
        while done < nclaims:
            lx += 1
            body.seg("LX", str(lx))
            n = min(nclaims - done, r.randrange(1, 40))
            for _ in range(n):
                paid += self.claim_835(body)
            done += n
        plb = 0
        provider_npi = npi(r)
        if r.random() < 0.25 and paid > 10000:
            plb = r.randrange(500, min(paid // 4, 50000))
            body.seg("PLB", provider_npi, "20251231", "WO:%010d" % r.randrange(10**10), amt(plb))
        total = paid - plb
        payer, payer_id = r.choice(PAYERS)
        d = date8(r)
        trace = "%010d" % r.randrange(10**10)
        if r.random() < 0.5:
            w.seg("BPR", "I", amt(total), "C", "CHK", "", "", "", "", "", "", "", "", "", "", "", d)
        else:
            w.seg("BPR", "I", amt(total), "C", "ACH", "CCP", "01", "%09d" % r.randrange(10**9),
                  "DA", "%010d" % r.randrange(10**10), "1" + payer_id.rjust(9, "0"), "", "01",
                  "%09d" % r.randrange(10**9), "DA", "%010d" % r.randrange(10**10), d)
        w.seg("TRN", "1", trace, "1" + payer_id.rjust(9, "0"))
        if r.random() < 0.5:
            w.seg("REF", "EV", "HXE DEMO CLEARINGHOUSE")
        w.seg("DTM", "405", d)
        w.seg("N1", "PR", payer)
        self.address(w)
        w.seg("REF", "2U", payer_id)
        w.seg("PER", "BL", "PROVIDER SERVICES", "TE", "800%07d" % r.randrange(10**7))
        w.seg("N1", "PE", r.choice(PRACTICES), "XX", provider_npi)
        self.address(w)
        w.seg("REF", "TJ", "%09d" % r.randrange(10**8, 10**9))
        w.parts += body.parts
        w.size += body.size
        w.segments += body.segments
        w.set_segs += body.set_segs
        w.seg("SE", str(w.set_segs + 1), ctl)
        self.stats["sets835"] += 1

    # ---- envelopes ----
    def interchange(self, w):
        r = self.rng
        kind = "835" if r.random() < 0.3 else "837"
        self.isa_ctl += 1
        self.stats["interchanges"] += 1
        sender = ("PAYER%05d" % r.randrange(10**5)) if kind == "835" else "HXEDEMOCH"
        receiver = "HXEDEMOCH" if kind == "835" else ("PAYER%05d" % r.randrange(10**5))
        yymmdd = date8(r)[2:]
        hhmm = "%02d%02d" % (r.randrange(24), r.randrange(60))
        w.seg("ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ",
              receiver.ljust(15), yymmdd, hhmm, "^", "00501", "%09d" % self.isa_ctl, "0",
              "P", ":")
        ngroups = r.choice((1, 1, 2, 3))
        for _ in range(ngroups):
            self.gs_ctl += 1
            self.stats["groups"] += 1
            w.seg("GS", "HP" if kind == "835" else "HC", sender, receiver, "20" + yymmdd, hhmm,
                  str(self.gs_ctl), "X", "005010X221A1" if kind == "835" else "005010X222A1")
            nsets = r.choice((1, 1, 2, 3, 4))
            for i in range(nsets):
                ctl = "%04d" % (i + 1)
                nclaims = r.randrange(20, 300)
                if kind == "835":
                    self.set_835(w, ctl, nclaims)
                else:
                    self.set_837(w, ctl, nclaims)
            w.seg("GE", str(nsets), str(self.gs_ctl))
        w.seg("IEA", str(ngroups), "%09d" % self.isa_ctl)
        w.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=100.0,
                    help="size to reach, in 10^6 bytes (whole interchanges; default 100)")
    ap.add_argument("--seed", type=int, default=5010)
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    out = sys.stdout if a.out == "-" else open(a.out, "w", newline="")
    g = Gen(a.seed)
    w = Writer(out)
    target = int(a.mb * 1e6)
    while w.size < target:
        g.interchange(w)
    if out is not sys.stdout:
        out.close()
    s = g.stats
    sys.stderr.write(
        "gen_x12_corpus: %d interchanges, %d groups, %d sets (837P %d, 835 %d), "
        "%d claims (837P %d, 835 %d), %d service lines, %d segments, %d bytes, seed %d\n" % (
            s["interchanges"], s["groups"], s["sets837"] + s["sets835"], s["sets837"],
            s["sets835"], s["claims837"] + s["claims835"], s["claims837"], s["claims835"],
            s["lines"], w.segments, w.size, a.seed))


if __name__ == "__main__":
    main()

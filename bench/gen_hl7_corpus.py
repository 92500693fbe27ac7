#!/usr/bin/env python3
"""gen_hl7_corpus.py — writes the synthetic HL7 v2.5.1 corpus `make bench` parses.

A mixed stream like an interface engine sees on a hospital feed: ADT^A01,
A04 and A08 (EVN, PID, PD1, NK1, PV1, PV2, OBX, AL1, DG1, GT1, IN1, IN2),
ORU^R01 lab results (ORC, OBR, 1-30 OBX of types NM, ST, TX, CWE, SN, DT with
NTE notes) and ORM^O01 orders (ORC, OBR, DG1, NTE, ask-at-order-entry OBX).
Values use the escapes real feeds carry (\\T\\ \\F\\ \\S\\ \\E\\ \\.br\\), some
names have a second repetition, some OBX-5 are empty.

Every name, identifier, address and number is invented by a seeded random
generator: there is no patient data here. The same seed and count give the
same bytes on every machine and Python 3 version, so runs are comparable.

Output: one file, each segment ended by \\r, messages simply concatenated
(no MLLP framing, no batch envelope) — the way interface logs and file
drops store them. A summary line goes to stderr.

Usage: gen_hl7_corpus.py [--count N] [--seed S] [--out PATH]
"""
import argparse
import random
import sys

FAMILY = ["Abara", "Bellwether", "Castellan", "Drummond", "Esterhaus", "Fairweather",
          "Galloway", "Halvorsen", "Ibarra", "Jandreau", "Kowalczyk", "Lindqvist",
          "Mbeki", "Nakashima", "Oyelaran", "Pemberton", "Quintero", "Rasmussen",
          "Szabo", "Thibodeaux", "Underhill", "Valderrama", "Whitcombe", "Xiong",
          "Yilmaz", "Zografos", "O'Dowd", "Van der Berg", "St. Croix", "Ng"]
GIVEN = ["Avery", "Brielle", "Caspian", "Delphine", "Emrys", "Fenna", "Gideon",
         "Harlow", "Ilse", "Jory", "Kestrel", "Linnea", "Marek", "Noor", "Orrin",
         "Priya", "Quill", "Rosalind", "Soren", "Tamsin", "Ulric", "Vesna",
         "Wren", "Xanthe", "Yusuf", "Zelda"]
STREETS = ["Larkspur Ln", "Quarry Rd", "Old Mill Way", "Harbor View Dr", "Birchwood Ct",
           "Foundry St", "Meadowlark Ave", "Signal Hill Rd", "Tanager Pl", "Wickham Blvd"]
CITIES = [("Fernhollow", "OR", "97"), ("Brackenridge", "PA", "15"), ("Lowmoor", "WI", "53"),
          ("Saltmarsh", "SC", "29"), ("Kettle Falls", "WA", "99"), ("Ashdown", "AR", "71"),
          ("Millbrook", "NY", "12"), ("Copperton", "UT", "84")]
FACILITIES = [("NORTHVALE", "Northvale General Hospital"), ("STMARGARET", "St Margaret Medical Center"),
              ("LAKESIDE", "Lakeside Community Clinic"), ("PINECREST", "Pinecrest Regional")]
LABS = [("LABCORE", "Labcore Reference Lab"), ("RIVERLAB", "Riverbend Clinical Laboratory")]
SENDERS = ["EPICADT", "CERNERLAB", "MEDITECH", "ATHENA", "ALLSCRIPTS"]
RECEIVERS = ["HXE", "INTEGRATION", "LIS", "RIS", "HIE"]
DOCTORS = [("1003%06d" % (i * 7919 % 1000000), f, g) for i, (f, g) in enumerate(
    [("Marlowe", "Eliot"), ("Okonkwo", "Adaeze"), ("Petrakis", "Yannis"), ("Lindgren", "Saga"),
     ("Faraday", "Imogen"), ("Baptiste", "Remy"), ("Chandrasekar", "Vikram"),
     ("Holloway", "June"), ("Ferreira", "Tiago"), ("Vasquez", "Lucia")])]
RACES = [("2106-3", "White"), ("2054-5", "Black or African American"), ("2028-9", "Asian"),
         ("1002-5", "American Indian or Alaska Native"), ("2131-1", "Other Race")]
ETHNIC = [("2186-5", "Not Hispanic or Latino"), ("2135-2", "Hispanic or Latino")]
LANGS = [("en", "English"), ("es", "Spanish"), ("vi", "Vietnamese"), ("zh", "Chinese")]
ALLERGENS = [("70618", "Penicillin", "RXNORM"), ("1191", "Aspirin", "RXNORM"),
             ("2670", "Codeine", "RXNORM"), ("256349002", "Peanut protein", "SCT"),
             ("300916003", "Latex allergy", "SCT"), ("387406002", "Sulfonamide", "SCT")]
REACTIONS = ["Hives", "Anaphylaxis", "Rash", "Nausea", "Swelling of lips", "Wheezing"]
DIAGNOSES = [("E11.9", "Type 2 diabetes mellitus without complications"),
             ("I10", "Essential (primary) hypertension"),
             ("J18.9", "Pneumonia, unspecified organism"),
             ("N39.0", "Urinary tract infection, site not specified"),
             ("R07.9", "Chest pain, unspecified"),
             ("K35.80", "Unspecified acute appendicitis"),
             ("S72.001A", "Fracture of unspecified part of neck of right femur, initial encounter"),
             ("Z34.90", "Encounter for supervision of normal pregnancy, unspecified"),
             ("F32.A", "Depression, unspecified"),
             ("U07.1", "COVID-19")]
PAYERS = [("BCBS01", "Blue Lakes Health Plan"), ("AETNA7", "Meridian Mutual Insurance"),
          ("MCR", "Medicare Part A"), ("MCD", "State Medicaid Program"),
          ("UHC22", "Unity Health Cooperative")]
RELS = [("SPO", "Spouse"), ("MTH", "Mother"), ("FTH", "Father"), ("CHD", "Child"),
        ("SIB", "Sibling"), ("FND", "Friend")]

# Numeric lab tests: LOINC code, name, unit, low, high, decimals
NUMERIC = [("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99, 0),
           ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 2),
           ("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7, 20, 0),
           ("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 135, 145, 0),
           ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 1),
           ("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 98, 107, 0),
           ("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 22, 29, 0),
           ("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.6, 10.3, 1),
           ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11.0, 1),
           ("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 4.2, 5.9, 2),
           ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.5, 1),
           ("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 36, 52, 1),
           ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 400, 0),
           ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 7, 56, 0),
           ("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 10, 40, 0),
           ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, 1),
           ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 125, 200, 0),
           ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 0.4, 4.0, 2)]
CODED = [("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection",
          [("260373001", "Detected"), ("260415000", "Not detected")]),
         ("5778-6", "Color of Urine", [("371244009", "Yellow"), ("371251000", "Amber")]),
         ("600-7", "Bacteria identified in Blood by Culture",
          [("3092008", "Staphylococcus aureus"), ("112283007", "Escherichia coli"),
           ("264868006", "No growth")]),
         ("882-1", "ABO and Rh group [Type] in Blood", [("278149003", "A Rh(D) positive"),
                                                        ("278152006", "O Rh(D) positive")])]
TEXTS = ["Specimen received hemolyzed; potassium may be falsely elevated.",
         "Result verified by repeat analysis.",
         "Critical value called to and read back by the ordering unit.",
         "Reference range applies to fasting specimens only.",
         "Performed at Riverbend Clinical Laboratory, Suite 200.",
         "Sample quality: acceptable.",
         "Interpretation: see comment.",
         "Values confirmed on second instrument."]
NARRATIVE = ["FINDINGS: The lungs are clear without focal consolidation, effusion or pneumothorax.",
             "The cardiomediastinal silhouette is within normal limits for size.",
             "No acute osseous abnormality is identified.",
             "IMPRESSION: No acute cardiopulmonary process.",
             "Comparison is made to the prior study, with no interval change.",
             "Clinical correlation is recommended; follow-up imaging in 6 months if symptoms persist.",
             "Degenerative changes of the thoracic spine are noted \\T\\ unchanged.",
             "Method: enzymatic colorimetric assay \\F\\ photometric endpoint.",
             "Dictated by the reading physician; transcribed and verified electronically."]
RAD = [("36643-5", "XR Chest 2 Views"), ("24627-2", "CT Chest"), ("30746-2", "XR Knee 3 Views"),
       ("24558-9", "CT Abdomen and Pelvis W contrast")]
PANELS = [("24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma"),
          ("58410-2", "CBC panel - Blood by Automated count"),
          ("57021-8", "CBC W Auto Differential panel - Blood"),
          ("24331-1", "Lipid 1996 panel - Serum or Plasma"),
          ("24356-8", "Urinalysis complete panel - Urine")]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.ctrl = 0

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def ts(self, year=2024):
        r = self.r
        return "%04d%02d%02d%02d%02d%02d" % (year, r.randint(1, 12), r.randint(1, 28),
                                             r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))

    def dob(self):
        r = self.r
        return "%04d%02d%02d" % (r.randint(1931, 2023), r.randint(1, 12), r.randint(1, 28))

    def digits(self, n):
        return "".join(str(self.r.randrange(10)) for _ in range(n))

    def phone(self, use="PRN", equip="PH"):
        return "^%s^%s^^^%s^%s" % (use, equip, self.digits(3), self.digits(7))

    def address(self, kind="H"):
        city, st, zip2 = self.pick(CITIES)
        line2 = ("Apt %d" % self.r.randint(1, 900)) if self.r.random() < 0.3 else ""
        return "%d %s^%s^%s^%s^%s%s^USA^%s" % (self.r.randint(10, 9999), self.pick(STREETS), line2,
                                               city, st, zip2, self.digits(3), kind)

    def person_name(self, with_alias):
        family = self.pick(FAMILY)
        if self.r.random() < 0.08:
            family += "-" + self.pick(FAMILY)
        given = self.pick(GIVEN)
        middle = self.pick(GIVEN)[0] if self.r.random() < 0.6 else ""
        suffix = self.pick(["", "", "", "", "Jr", "III"])
        name = "%s^%s^%s^%s^^^L" % (family, given, middle, suffix)
        if with_alias and self.r.random() < 0.15:
            name += "~%s^%s^^^^^M" % (self.pick(FAMILY), given)
        return name

    def doctor(self):
        npi, f, g = self.pick(DOCTORS)
        return "%s^%s^%s^^^Dr^^^NPI&2.16.840.1.113883.4.6&ISO^L^^^NPI" % (npi, f, g)

    def msh(self, mtype, event, structure):
        self.ctrl += 1
        fac = self.pick(FACILITIES)[0]
        return ("MSH|^~\\&|%s|%s|%s|%s|%s-0500||%s^%s^%s|MSG%08d|P|2.5.1|||AL|NE|USA||||PH_LRI^HL7^2.16.840.1.113883.9.7^ISO"
                % (self.pick(SENDERS), fac, self.pick(RECEIVERS), "HXE", self.ts(), mtype, event,
                   structure, self.ctrl))

    def pid(self):
        r = self.r
        mrn = self.digits(8)
        race = self.pick(RACES)
        eth = self.pick(ETHNIC)
        lang = self.pick(LANGS)
        ids = "%s^^^%s^MR" % (mrn, self.pick(FACILITIES)[0])
        if r.random() < 0.5:
            ids += "~%s^^^SSA^SS" % ("9" + self.digits(8))   # 9xx: never issued
        if r.random() < 0.3:
            ids += "~%s^^^ACME^PI" % self.digits(10)
        return ("PID|1||%s||%s|%s^^^^^^M|%s|%s||%s^%s^CDCREC|%s||%s|%s|%s^%s^ISO639|%s|%s|%s|||%s^%s^CDCREC||%s|%d"
                % (ids, self.person_name(True), self.pick(FAMILY), self.dob(), self.pick("MFUF"),
                   race[0], race[1], self.address(), self.phone(), self.phone("WPN"),
                   lang[0], lang[1], self.pick("SMDWU"), self.pick(["CHR", "CAT", "JEW", "NON", ""]),
                   "V" + self.digits(9), eth[0], eth[1], self.pick("NNNY"), 1 if r.random() < 0.9 else 2))

    def pv1(self):
        cls = self.pick(["I", "O", "E"])
        unit = self.pick(["4W", "ICU", "MED", "SURG", "ED", "ONC", "PEDS"])
        return ("PV1|1|%s|%s^%d^%s^%s^^^^^%s||||%s|%s|%s|%s|||%s|||||%s^^^%s^VN|||||||||||||||||||||%s||||%s"
                % (cls, unit, self.r.randint(100, 499), self.pick("ABCD"), self.pick(FACILITIES)[0],
                   unit, self.doctor(), self.doctor(), self.pick(["", self.doctor()]),
                   self.pick(["MED", "SUR", "CAR", "OBS", "PED"]), self.pick(["1", "2", "7", ""]),
                   self.digits(10), self.pick(FACILITIES)[0], self.pick(["", "01", "02"]), self.ts()))

    def obx(self, i, vtype, code, value, units="", rng="", flag="", status="F", sub=""):
        return ("OBX|%d|%s|%s|%s|%s|%s|%s|%s|||%s|||%s||%s||%s||||%s^^^^^^XX^^^%s"
                % (i, vtype, code, sub, value, units, rng, flag, status, self.ts(),
                   self.pick(["", self.doctor()]), self.ts(), self.pick(LABS)[1],
                   self.pick(LABS)[0]))

    def nte(self, i, text):
        return "NTE|%d|L|%s" % (i, text)

    # ---- message types ----

    def adt(self):
        r = self.r
        event = self.pick(["A01", "A04", "A08"])
        segs = [self.msh("ADT", event, "ADT_A01"),
                "EVN|%s|%s|||%s^%s^%s|%s" % (event, self.ts(), self.digits(5), self.pick(FAMILY),
                                             self.pick(GIVEN), self.ts()),
                self.pid(),
                "PD1|||%s^^%s|%s" % (self.pick(FACILITIES)[1], self.digits(5), self.doctor())]
        for i in range(r.randint(1, 2)):
            rel = self.pick(RELS)
            segs.append("NK1|%d|%s|%s^%s^HL70063|%s|%s||EC^Emergency Contact^HL70131"
                        % (i + 1, self.person_name(False), rel[0], rel[1], self.address(),
                           self.phone()))
        segs.append(self.pv1())
        segs.append("PV2|||%s^%s^I10||||||%s|%d" % (*self.pick(DIAGNOSES), self.ts(), r.randint(1, 9)))
        if r.random() < 0.6:   # height and weight at admission
            segs.append(self.obx(1, "NM", "8302-2^Body height^LN", "%d" % r.randint(50, 200),
                                 "cm^centimeter^UCUM"))
            segs.append(self.obx(2, "NM", "29463-7^Body weight^LN", "%.1f" % r.uniform(3, 150),
                                 "kg^kilogram^UCUM"))
        for i in range(r.randint(0, 4)):
            a = self.pick(ALLERGENS)
            segs.append("AL1|%d|DA^Drug allergy^HL70127|%s^%s^%s|%s|%s|%s"
                        % (i + 1, a[0], a[1], a[2], self.pick(["SV", "MO", "MI"]),
                           self.pick(REACTIONS), self.dob()))
        for i in range(r.randint(1, 3)):
            d = self.pick(DIAGNOSES)
            segs.append("DG1|%d||%s^%s^I10|%s|%s|%s" % (i + 1, d[0], d[1], d[1], self.ts(),
                                                        self.pick(["A", "W", "F"])))
        if r.random() < 0.5:
            segs.append("GT1|1|%s|%s||%s|%s" % (self.digits(7), self.person_name(False), self.address(),
                                               self.phone()))
        for i in range(1 if r.random() < 0.75 else 2):
            p = self.pick(PAYERS)
            segs.append("IN1|%d|%s^%s|%s|%s|%s||%s|%s|%s|||%s|%s||||%s|SEL^Self^HL70063|%s|%s|||||||||||||||||%s"
                        % (i + 1, p[0], p[1], self.digits(6), p[1], self.address("B"),
                           self.phone("WPN"), "G" + self.digits(6),
                           self.pick(["Northvale Employees", "Copperton Unified Schools", ""]),
                           self.dob(), self.dob(), self.person_name(False), self.dob(),
                           self.address(), "M" + self.digits(9)))
            if r.random() < 0.25:
                segs.append("IN2|1|%s|||||||||||||||||||||||||||||||||||||||||||||||||||||||||||%s"
                            % ("9" + self.digits(8), self.pick(["Employed", "Retired"])))
        return segs

    def order(self, i, placer, filler, svc):
        return ("OBR|%d|%s^%s|%s^%s|%s^%s^LN|%s|%s|%s||||%s||%s|||%s|%s|||||%s||%s|%s||1^^^%s^^%s"
                % (i, placer, self.pick(SENDERS), filler, self.pick(LABS)[0], svc[0], svc[1],
                   self.pick(["R", "S", "A"]), self.ts(), self.ts(), self.pick(["", "L", "O"]),
                   self.pick(["", "Fasting"]), self.doctor(), self.phone("WPN"), self.ts(),
                   self.pick(["CH", "HM", "RAD", "MB"]), self.pick(["F", "F", "F", "P", "C"]),
                   self.ts(), self.pick(["R", "S"])))

    def orc(self, ctl, placer, filler):
        return ("ORC|%s|%s^%s|%s^%s||%s||||%s|||%s|||||||%s^^^^^^^^^XX|%s|%s"
                % (ctl, placer, self.pick(SENDERS), filler, self.pick(LABS)[0],
                   self.pick(["CM", "IP", "SC"]), self.ts(), self.doctor(),
                   self.pick(FACILITIES)[1], self.address("B"), self.phone("WPN")))

    def oru(self):
        r = self.r
        segs = [self.msh("ORU", "R01", "ORU_R01"), self.pid()]
        if r.random() < 0.7:
            segs.append(self.pv1())
        placer, filler = self.digits(9), self.digits(10)
        segs.append(self.orc("RE", placer, filler))
        kind = r.random()
        if kind < 0.12:     # a radiology report: few, long TX values
            svc = self.pick(RAD)
            segs.append(self.order(1, placer, filler, svc))
            for i in range(r.randint(3, 12)):
                text = self.pick(NARRATIVE)
                if r.random() < 0.6:
                    text += "\\.br\\" + self.pick(NARRATIVE)
                if r.random() < 0.3:
                    text += "\\.br\\\\.br\\" + self.pick(NARRATIVE)
                segs.append(self.obx(i + 1, "TX", "%s^%s^LN" % svc, text, sub="%d" % (i + 1)))
            return segs
        svc = self.pick(PANELS)
        segs.append(self.order(1, placer, filler, svc))
        if r.random() < 0.3:
            segs.append(self.nte(1, self.pick(TEXTS)))
        n = min(30, max(1, int(r.expovariate(1 / 10.0)) + 1))
        for i in range(n):
            t = r.random()
            if t < 0.62:
                code, name, unit, lo, hi, dec = self.pick(NUMERIC)
                v = r.uniform(lo * 0.7, hi * 1.3)
                val = "%.*f" % (dec, v)
                flag = "H" if v > hi else ("L" if v < lo else "N")
                segs.append(self.obx(i + 1, "NM", "%s^%s^LN" % (code, name), val,
                                     "%s^%s^UCUM" % (unit, unit), "%s-%s" % (lo, hi), flag))
            elif t < 0.80:
                code, name, answers = self.pick(CODED)
                a = self.pick(answers)
                segs.append(self.obx(i + 1, "CWE", "%s^%s^LN" % (code, name),
                                     "%s^%s^SCT^^^^20230301" % a, flag=self.pick(["A", "N", ""])))
            elif t < 0.88:
                segs.append(self.obx(i + 1, "ST", "8251-1^Service comment^LN", self.pick(TEXTS)))
            elif t < 0.92:
                segs.append(self.obx(i + 1, "SN", "5048-4^Nuclear Ab [Titer] in Serum^LN",
                                     "%s^1^:^%d" % (self.pick(["", ">", "<"]), 2 ** r.randint(4, 10))))
            elif t < 0.95:
                segs.append(self.obx(i + 1, "DT", "11778-8^Delivery date Estimated^LN", self.dob()))
            elif t < 0.97:   # a result not yet available: OBX-5 empty
                code, name, unit, lo, hi, dec = self.pick(NUMERIC)
                segs.append(self.obx(i + 1, "NM", "%s^%s^LN" % (code, name), "",
                                     "%s^%s^UCUM" % (unit, unit), status="I"))
            else:
                segs.append(self.obx(i + 1, "TX", "48767-8^Annotation comment^LN",
                                     self.pick(NARRATIVE) + "\\.br\\" + self.pick(TEXTS)))
            if r.random() < 0.06:
                segs.append(self.nte(1, self.pick(TEXTS) + " Ref \\S\\ lot " + self.digits(6)))
        if r.random() < 0.25:
            segs.append("SPM|1|%s&%s||%s^%s^SCT|||||||||||||%s|%s"
                        % (self.digits(8), self.pick(LABS)[0],
                           self.pick(["119297000", "122575003", "258500001"]),
                           self.pick(["Blood specimen", "Urine specimen", "Nasopharyngeal swab"]),
                           self.ts(), self.ts()))
        return segs

    def orm(self):
        r = self.r
        segs = [self.msh("ORM", "O01", "ORM_O01"), self.pid(), self.pv1()]
        if r.random() < 0.5:
            p = self.pick(PAYERS)
            segs.append("IN1|1|%s^%s|%s|%s" % (p[0], p[1], self.digits(6), p[1]))
        for k in range(r.randint(1, 3)):
            placer, filler = self.digits(9), ""
            segs.append(self.orc(self.pick(["NW", "NW", "CA", "XO"]), placer, filler))
            svc = self.pick(PANELS + RAD)
            segs.append(self.order(k + 1, placer, filler, svc))
            if r.random() < 0.4:
                segs.append(self.nte(1, "Patient request \\T\\ provider note: " + self.pick(TEXTS)))
            d = self.pick(DIAGNOSES)
            segs.append("DG1|1||%s^%s^I10||%s|W" % (d[0], d[1], self.ts()))
            for i in range(r.randint(0, 3)):   # ask-at-order-entry answers
                segs.append(self.obx(i + 1, "ST", "%s^%s^LN" % self.pick(
                    [("11368-8", "Illness or injury onset date"), ("8661-1", "Chief complaint"),
                     ("3141-9", "Body weight Measured")]), self.pick(TEXTS), status="O"))
        return segs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=20000, help="messages (default 20000)")
    ap.add_argument("--seed", type=int, default=2511, help="random seed (default 2511)")
    ap.add_argument("--out", default="-", help="output file (default stdout)")
    a = ap.parse_args()
    if a.count < 1:
        ap.error("--count must be at least 1")
    g = Gen(a.seed)
    kinds = {"ADT": 0, "ORU": 0, "ORM": 0}
    out = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    total = obx = 0
    for _ in range(a.count):
        x = g.r.random()
        kind = "ADT" if x < 0.40 else ("ORU" if x < 0.85 else "ORM")
        segs = {"ADT": g.adt, "ORU": g.oru, "ORM": g.orm}[kind]()
        kinds[kind] += 1
        obx += sum(1 for s in segs if s.startswith("OBX|"))
        data = ("\r".join(segs) + "\r").encode("ascii")
        total += len(data)
        out.write(data)
    if out is not sys.stdout.buffer:
        out.close()
    print("gen_hl7_corpus: %d messages (ADT %d, ORU %d, ORM %d), %d OBX, %d bytes, seed %d"
          % (a.count, kinds["ADT"], kinds["ORU"], kinds["ORM"], obx, total, a.seed), file=sys.stderr)


if __name__ == "__main__":
    main()

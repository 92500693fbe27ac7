/*
 * x12_fixtures.h — X12 test data shared by the X12 tests.
 */
#ifndef HXE_X12_FIXTURES_H
#define HXE_X12_FIXTURES_H

/* A clean 837P claim (subscriber = patient, CLM02 100 = 60 + 40) that
 * validates clean through SNIP 5, without its ST/SE segments. */
#define X12_CLEAN_837P_BODY \
    "BHT*0019*00*REF1*20240102*1230*CH~\n" \
    "NM1*41*2*SUBMITTER*****46*S1~\n" \
    "PER*IC*CONTACT*TE*5555551212~\n" \
    "NM1*40*2*RECEIVER*****46*R1~\n" \
    "HL*1**20*1~\n" \
    "PRV*BI*PXC*207Q00000X~\n" \
    "NM1*85*2*BILLING*****XX*1234567893~\n" \
    "N3*1 MAIN ST~\n" \
    "N4*TOWN*MD*20705~\n" \
    "REF*EI*123456789~\n" \
    "HL*2*1*22*0~\n" \
    "SBR*P*18*GROUP******CI~\n" \
    "NM1*IL*1*DOE*JOHN****MI*M1~\n" \
    "N3*2 MAIN ST~\n" \
    "N4*TOWN*MD*207051234~\n" \
    "DMG*D8*19800101*M~\n" \
    "NM1*PR*2*PAYER*****PI*P1~\n" \
    "CLM*C1*100***11:B:1*Y*A*Y*Y~\n" \
    "HI*ABK:J020~\n" \
    "LX*1~\n" \
    "SV1*HC:99213*60*UN*1***1~\n" \
    "DTP*472*D8*20240101~\n" \
    "LX*2~\n" \
    "SV1*HC:99214*40*UN*1***1~\n" \
    "DTP*472*RD8*20240101-20240102~\n"

#endif

#!/usr/bin/env python3
"""vendor_convert.py — copy the HL7 V2-to-FHIR IG mapping tables hxe uses.

Usage: vendor_convert.py [SHARED_DIR] [OUT_DIR]
       (defaults: ../shared and data/convert, relative to the repository)

Reads SHARED_DIR/reference/v2-to-fhir/mappings/ (the IG's CSVs, HL7/v2-to-fhir
commit 8c9b414, Apache-2.0) and writes the ones src/convert/ maps into
OUT_DIR/{messages,segments,datatypes,codesystems}/ under short names
(`PID[Patient].csv`, `CX[Identifier].csv`, `AdministrativeSex.csv`,
`ADT_A01.csv`), byte for byte. Re-runnable: the four folders are rewritten;
OUT_DIR/README.md and OUT_DIR/hxe/ (hxe's own tables) are left alone.
tools/gen_convert_tables.py turns the result into C at build time.
Python 3 stdlib only.
"""

import os
import re
import shutil
import sys

MESSAGES = ["ADT_A01", "ADT_A02", "ADT_A05", "ADT_A06", "ADT_A09", "ADT_A11",
            "ADT_A17", "OML_O21", "ORM_O01", "ORU_R01", "VXU_V04", "SIU_S12",
            "MDM_T02"]
SEGMENTS = ["MSH[MessageHeader]", "MSH[Provenance-Transformation]",
            "MSH[Provenance-Source]", "PID[Patient]", "PD1[Patient]",
            "NK1[RelatedPerson]", "PV1[Encounter]", "PV2[Encounter]",
            "ORC[ServiceRequest]", "ORC[DiagnosticReport]", "ORC[Immunization]",
            "OBR[ServiceRequest]", "OBR[DiagnosticReport]", "OBX[Observation]",
            "NTE[ServiceRequest]", "NTE[Observation]", "SPM[Specimen]",
            "AL1[AllergyIntolerance]", "DG1[Condition]", "IN1[Coverage]",
            "RXA[Immunization]", "RXR[Immunization]", "EVN[Provenance]",
            "SCH[Appointment]", "AIS[Appointment]", "AIG[Appointment]",
            "AIL[Appointment]", "AIP[Appointment]", "NTE[Appointment-Comment]",
            "TXA[DocumentReference]", "OBX[DocumentReference]",
            "NTE[DocumentReference]", "OBR[Specimen]", "PR1[Procedure]"]
DATATYPES = ["CX[Identifier]", "XPN[HumanName]", "XAD[Address]",
             "XTN[ContactPoint]", "CWE[CodeableConcept]", "CE[CodeableConcept]",
             "CNE[CodeableConcept]", "CWE[Coding]", "DTM[dateTime]", "TS[dateTime]",
             "XCN[Practitioner]", "XON[Organization]", "HD[Organization]",
             "HD[MessageHeader.source-endpoint]", "HD[MessageHeader.source-name]",
             "HD[MessageHeader.destination-name]",
             "HD[MessageHeader.destination-endpoint]",
             "EI[Identifier-Extension]", "EI[Identifier-System]",
             "EIP[Identifier-PlacerAssignedIdentifier]",
             "EIP[Identifier-FillerAssignedIdentifier]",
             "SN[Quantity]", "SN[Range]", "SN[Ratio]", "NM[Quantity]",
             "CWE[Quantity]", "ED[Attachment]", "MSG[Coding]", "PL[Location]",
             "FT[Annotation-Comment]", "CQ[Quantity]", "XCN[PractitionerRole]",
             "SPS[Specimen-Source]", "TQ[Appointment]", "ED[DocumentReference]"]
CODESYSTEMS = ["AdministrativeSex", "MaritalStatus", "NameType",
               "AddressType[Use]", "AddressType[Type]", "TelecommunicationUseCode",
               "TelecommunicationEquipmentType", "IdentifierType",
               "InterpretationCodes", "ObservationResultStatusCodesInterpretation",
               "ResultStatus[Non-Queries]", "OrderControlCode[ServiceRequest.status]",
               "OrderStatus", "PatientClass[EncounterClass]",
               "PatientClass[EncounterStatus]", "Relationship", "ContactRole",
               "AllergenType[AllergyIntoleranceCategory]",
               "AllergySeverity[AllergyIntolerance.criticality]",
               "AllergySeverity[AllergyIntolerance.reaction.severity]",
               "DiagnosisType", "CompletionStatus", "ProcessingID",
               "Religion", "AdmissionType", "DischargeDisposition", "HospitalService",
               "YesNoIndicator", "FillerStatusCodes[Appointment]",
               "AppointmentReasonCodes", "AppointmentTypeCodes",
               "DocumentConfidentialityStatus"]

KINDS = [
    ("messages", "HL7 Message - FHIR R4_ ", MESSAGES),
    ("segments", "HL7 Segment - FHIR R4_ ", SEGMENTS),
    ("datatypes", "HL7 Data Type - FHIR R4_ ", DATATYPES),
    ("codesystems", "HL7 Concept Map_ ", CODESYSTEMS),
]


def short_name(prefix, fname):
    """'HL7 Segment - FHIR R4_ PID[Patient] - PID.csv' -> 'PID[Patient]'"""
    if not fname.startswith(prefix) or not fname.endswith(".csv"):
        return None
    rest = fname[len(prefix):-4]
    return re.sub(r" - [^-]*$", "", rest).strip()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "data", "convert")
    src = os.path.join(shared, "reference", "v2-to-fhir", "mappings")
    if not os.path.isdir(src):
        sys.stderr.write("vendor_convert: %s: not found\n" % src)
        return 1
    for kind, prefix, wanted in KINDS:
        found = {}
        for f in sorted(os.listdir(os.path.join(src, kind))):
            n = short_name(prefix, f)
            if n is not None:
                found[n] = f
        dst = os.path.join(out, kind)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        os.makedirs(dst)
        for n in wanted:
            if n not in found:
                sys.stderr.write("vendor_convert: %s/%s: not in the IG tables\n" % (kind, n))
                return 1
            shutil.copyfile(os.path.join(src, kind, found[n]), os.path.join(dst, n + ".csv"))
        print("vendor_convert: %d %s" % (len(wanted), kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())

/*
 * tables.h — the layout of the C tables tools/gen_convert_tables.py writes
 * from the HL7 V2-to-FHIR IG's CSVs in data/convert/ (private to convert/).
 */
#ifndef HXE_CONVERT_TABLES_H
#define HXE_CONVERT_TABLES_H

#include <stddef.h>

/* one value of a concept map (codesystems/NAME.csv), sorted by (map, v2) */
typedef struct hxe_conv_vocab {
    const char *map, *v2, *code, *display, *system;
} hxe_conv_vocab_row;

/* one field or component the IG lists (segments/, datatypes/), sorted by
 * (map, id); mapped is 1 when the IG puts it somewhere in FHIR */
typedef struct hxe_conv_field {
    const char *map, *id;
    int mapped;
    const char *attr, *dtmap, *vocab;
} hxe_conv_field;

/* a segment map a message structure applies (messages/), in IG order */
typedef struct hxe_conv_msgseg {
    const char *msg, *seg, *segmap, *target;
} hxe_conv_msgseg;

/* HL7 table 0396 name -> code system URI (hxe/coding_systems.csv), sorted */
typedef struct hxe_conv_codesys {
    const char *name, *uri;
} hxe_conv_codesys;

extern const hxe_conv_vocab_row hxe_conv_vocab_rows[];
extern const size_t hxe_conv_vocab_count;
extern const hxe_conv_field hxe_conv_field_rows[];
extern const size_t hxe_conv_field_count;
extern const hxe_conv_msgseg hxe_conv_msgseg_rows[];
extern const size_t hxe_conv_msgseg_count;
extern const hxe_conv_codesys hxe_conv_codesys_rows[];
extern const size_t hxe_conv_codesys_count;

#endif

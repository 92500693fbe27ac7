/*
 * tables.h — the layout of the FHIR R4 definitions that
 * tools/gen_fhir_tables.py generates from data/fhir/ (private to fhir/).
 *
 * Every string is an offset into hxe__fhir_pool (0 is ""). A type's
 * top-level elements, and the children of any element, are a contiguous
 * run [child_first, child_first + child_n) of hxe__fhir_elems, so walking
 * a resource never searches more than one level of siblings.
 */
#ifndef HXE_FHIR_TABLES_H
#define HXE_FHIR_TABLES_H

#include <stddef.h>
#include <stdint.h>

enum { HXE__FHIR_PRIMITIVE = 0, HXE__FHIR_COMPLEX = 1, HXE__FHIR_RESOURCE = 2 };

typedef struct hxe__fhir_type {
    uint32_t name;
    uint8_t kind;          /* HXE__FHIR_* */
    uint8_t abstract;
    int16_t base;          /* index of the base type, -1 none */
    uint32_t child_first, child_n;
} hxe__fhir_type;

typedef struct hxe__fhir_elem {
    uint32_t name;         /* last path step: "family", "deceased[x]" */
    uint32_t path;         /* relative to the type: "contact.name" */
    int32_t min, max;      /* max -1 = * */
    uint32_t types_first;  /* into hxe__fhir_elem_types */
    uint32_t types_n;
    int32_t vs;            /* required binding: index into hxe__fhir_vsets, -1 none */
    uint32_t choice;       /* 1 when the name ends in [x] */
    uint32_t child_first, child_n;
} hxe__fhir_elem;

typedef struct hxe__fhir_vs {
    uint32_t url;
    uint32_t first, n;     /* into hxe__fhir_codes, sorted by (code, system) */
    uint32_t complete;     /* 0: could not be expanded, not checked */
} hxe__fhir_vs;

typedef struct hxe__fhir_code {
    uint32_t system, code;
} hxe__fhir_code;

typedef struct hxe__fhir_profile {
    uint32_t url, name;
    int32_t type;          /* the resource type constrained */
    int32_t parent;        /* the profile it derives from, -1 = the base type */
    uint32_t rule_first, rule_n;
} hxe__fhir_profile;

/* A profile rule on the nodes at `path` (dotted, relative to the resource,
 * a step may end in [x]). With `slice` set, it counts the items of the
 * array at path that match the JSON pattern `value`. */
typedef struct hxe__fhir_rule {
    uint32_t path;
    uint32_t slice;
    int32_t min, max;      /* -2 = not constrained here; max -1 = * */
    uint32_t value;        /* JSON text of the fixed or pattern value, 0 none */
    uint32_t fixed;        /* 1 fixed (exact), 0 pattern (subset) */
    int32_t vs;            /* required binding, -1 none */
    uint32_t types;        /* "Quantity|string": allowed choice types, 0 any */
} hxe__fhir_rule;

extern const char hxe__fhir_pool[];
extern const hxe__fhir_type hxe__fhir_types[];
extern const size_t hxe__fhir_ntypes;
extern const uint16_t hxe__fhir_elem_types[];
extern const hxe__fhir_elem hxe__fhir_elems[];
extern const size_t hxe__fhir_nelems;
extern const hxe__fhir_vs hxe__fhir_vsets[];
extern const size_t hxe__fhir_nvsets;
extern const hxe__fhir_code hxe__fhir_codes[];
extern const hxe__fhir_profile hxe__fhir_profiles[];
extern const size_t hxe__fhir_nprofiles;
extern const hxe__fhir_rule hxe__fhir_rules[];
extern const size_t hxe__fhir_nrules;

#define HXE__FS(off) (hxe__fhir_pool + (off))

#endif

/*
 * fhir.h — the FHIR R4 codec: resources as JSON (jansson) read with
 * limits, written canonically, navigated and edited by simple paths, and
 * validated against the R4 base definitions and the US Core 6.1 profiles
 * (tables generated at build time from data/fhir/).
 *
 * A resource is a jansson json_t the caller owns (json_decref frees it).
 * Validation problems go to the shared hxe_issues list: each issue's code
 * is a FHIR issue-type (enum hxe_fhir_issue_type) and its text is
 * "EXPRESSION: diagnostics", where EXPRESSION is a FHIRPath expression
 * naming the place (Patient.name[0].family); diagnostics never hold
 * values from the resource. hxe_fhir_outcome turns the list into an
 * OperationOutcome.
 */
#ifndef HXE_FHIR_H
#define HXE_FHIR_H

#include <jansson.h>

#include "base/base.h"

/* FHIR issue-type codes (http://hl7.org/fhir/issue-type) used in issues */
enum hxe_fhir_issue_type {
    HXE_FHIR_IT_INVALID = 1,
    HXE_FHIR_IT_STRUCTURE = 2,
    HXE_FHIR_IT_REQUIRED = 3,
    HXE_FHIR_IT_VALUE = 4,
    HXE_FHIR_IT_INVARIANT = 5,
    HXE_FHIR_IT_CODE_INVALID = 6,
    HXE_FHIR_IT_NOT_FOUND = 7,
    HXE_FHIR_IT_NOT_SUPPORTED = 8,
    HXE_FHIR_IT_TOO_COSTLY = 9,
    HXE_FHIR_IT_PROCESSING = 10,
    HXE_FHIR_IT_INFORMATIONAL = 11
};

/* The issue-type code as FHIR spells it ("code-invalid"); "processing"
 * for codes outside the enum. */
const char *hxe_fhir_issue_type_name(int code);

/* ---- reading and writing ---- */
typedef struct hxe_fhir_opts {
    size_t max_bytes;   /* one document; default 64 MiB */
    size_t max_depth;   /* nesting of objects and arrays; default 64 */
} hxe_fhir_opts;

#define HXE_FHIR_MAX_BYTES_DEFAULT ((size_t)64 << 20)
#define HXE_FHIR_MAX_DEPTH_DEFAULT 64

/*
 * Reads one JSON document holding a resource (an object with a string
 * resourceType). Duplicate keys, NUL characters, invalid UTF-8 and input
 * over a limit are rejected. Returns 0 and sets *out (caller owns it), or
 * HXE_EPARSE / HXE_ETOOBIG with err naming the line and column or limit.
 */
int hxe_fhir_read(json_t **out, const char *buf, size_t len, const hxe_fhir_opts *opts,
                  hxe_err *err);

enum { HXE_FHIR_WRITE_PRETTY = 1 };
/*
 * Appends the resource as JSON to out: keys in the order they were read
 * (or added), compact unless HXE_FHIR_WRITE_PRETTY (two-space indent and
 * a final newline), non-ASCII as UTF-8, decimals with up to 15
 * significant digits. The same resource always gives the same bytes.
 */
int hxe_fhir_write(const json_t *res, int flags, hxe_buf *out) HXE_WARN_UNUSED;

/* ---- paths: Patient.name[0].family, Bundle.entry[2].resource ----
 * The first step is the resource type (it must match resourceType) or
 * may be left out. A step is an element name with an optional [n]
 * (0-based, as in FHIRPath). Without [n], an array step takes its first
 * item, except the last step, which gives the node as it stands. A
 * choice element may be named without its type: Observation.value finds
 * valueQuantity. */
#define HXE_FHIR_PATH_MAX 512

/* Sets *out to the node at path (borrowed: owned by root). Returns 0,
 * HXE_ENOTFOUND when absent, or HXE_EINVAL for a malformed path. */
int hxe_fhir_get(json_t *root, const char *path, json_t **out, hxe_err *err);
/* The string at path, or NULL when absent or not a string (borrowed). */
const char *hxe_fhir_get_str(json_t *root, const char *path);

/* Sets the node at path to value, creating the objects and arrays on the
 * way (an index equal to an array's length appends). Takes the reference
 * to value in every case, also on failure. Returns 0, HXE_EINVAL (bad
 * path, a step through a non-object, an index past the end). */
int hxe_fhir_set(json_t *root, const char *path, json_t *value, hxe_err *err);
int hxe_fhir_set_str(json_t *root, const char *path, const char *s, hxe_err *err);
/* Removes the node at path; HXE_ENOTFOUND when absent. */
int hxe_fhir_remove(json_t *root, const char *path, hxe_err *err);

/* ---- validation ---- */
typedef struct hxe_fhir_vopts {
    /* Profiles to check the resource against, besides those its
     * meta.profile declares (for a Bundle: its entries of the profile's
     * type). Unknown URLs: hxe_fhir_validate fails with HXE_ENOTFOUND. */
    const char *const *profiles;
    size_t nprofiles;
    int ignore_meta_profiles;   /* 1: base definitions and `profiles` only */
    size_t max_issues;          /* 0 = the issue list's own max */
} hxe_fhir_vopts;

/*
 * Validates a resource (a Bundle with its entries, contained resources
 * included) against the R4 base definitions: unknown elements,
 * cardinality, JSON shapes, data types and primitive formats, choice
 * types, required bindings, references (format; contained "#id" and
 * Bundle-internal urn:uuid / fullUrl targets resolvable), then against
 * the profiles declared in meta.profile and those in opts. Issues are
 * appended to issues. Returns 0 when validation ran (check
 * issues->errors), HXE_ENOTFOUND for an unknown profile in opts,
 * HXE_EINVAL when res is not an object.
 */
int hxe_fhir_validate(const json_t *res, const hxe_fhir_vopts *opts, hxe_issues *issues,
                      hxe_err *err);

/* 1 when the profile URL (optionally |version) is known. */
int hxe_fhir_profile_known(const char *url);
/* The i-th known profile URL in sorted order, NULL past the end. */
const char *hxe_fhir_profile_url(size_t i);
/* 1 when name is an R4 resource type (concrete, not abstract). */
int hxe_fhir_is_resource_type(const char *name);

/* ---- OperationOutcome ----
 * Builds an OperationOutcome from issues: severity (fatal/error/warning/
 * information), code (the FHIR issue type), expression (the issue text up
 * to ": ") and diagnostics (the rest). With no issue at all it holds one
 * "informational" issue saying so, as FHIR asks. *out is owned by the
 * caller. */
int hxe_fhir_outcome(json_t **out, const hxe_issues *issues);

#endif

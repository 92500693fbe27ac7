/*
 * conv_testutil.h — helpers shared by the FHIR -> HL7 v2 tests
 * (test_convert_fhir_v2*.c): a conversion whose output is parsed back and
 * validated, the US Core examples as Bundles, and small look-ups in
 * Bundles. Tests using them need HXE_SHARED_DIR for the examples.
 */
#ifndef HXE_CONV_TESTUTIL_H
#define HXE_CONV_TESTUTIL_H

#include "testutil.h"

#include <jansson.h>

#include "convert/convert.h"

/* one conversion: the message written, parsed back, and the issues */
typedef struct ct_v2 {
    tu t;           /* the message as parsed back */
    hxe_buf b;      /* the message as written */
    hxe_issues is;  /* what the conversion said */
    hxe_err err;
    int rc;
    size_t verrors;  /* validation errors of the message (announced ones when not strict) */
} ct_v2;

/* MSH-3..6 and a time_default, so that outputs validate */
extern const hxe_conv_v2_opts ct_opts;
/* OML_O21 messages with two orders the validator cannot read: after an
 * SPM it takes the next ORC for the PRIOR_RESULT group's ORDER_PRIOR
 * (which then lacks its OBX) rather than for the next ORDER, with no way
 * back; counted by ct_conv2, not hidden */
extern size_t ct_prior_ambiguity;

/* Converts in (opts NULL: ct_opts); on success parses the message back
 * into o->t and validates it. strict > 0: zero errors; 0: only errors a
 * conversion warning announced at that field; < 0: that, and an OML with
 * several orders (see ct_prior_ambiguity). Returns the conversion's code. */
int ct_conv2(ct_v2 *o, const json_t *in, const char *type, const hxe_conv_v2_opts *opts,
             int strict);
int ct_conv(ct_v2 *o, const json_t *in, const char *type, const hxe_conv_v2_opts *opts);
void ct_done(ct_v2 *o);
/* the validation errors no conversion warning announced (printed when show) */
size_t ct_unannounced(const hxe_issues *vi, const hxe_issues *conv, int show, int oml_orders);

#define RAW(o, path) tu_raw((o)->t.m, path)
#define TXT(o, path) tu_get((o)->t.m, path)

/* JSON text that must parse */
json_t *ct_json(const char *s);
/* 1 when an issue's text contains s */
int ct_said(const hxe_issues *is, const char *s);
/* a US Core example (NULL when absent); a collection Bundle of several
 * with server-style fullUrls (the test is skipped when one is absent) */
json_t *ct_usc(const char *name);
json_t *ct_usc_bundle(const char *const *names);
/* the first (n-th) resource of a type, with this id when id is not NULL */
json_t *ct_res(const json_t *b, const char *type, const char *id);
json_t *ct_res_nth(const json_t *b, const char *type, size_t n);
/* the entry a reference's fullUrl names */
json_t *ct_by_url(const json_t *b, const json_t *ref);
/* json_equal, two absent values equal */
int ct_same(const json_t *a, const json_t *b);
int ct_has_ident(const json_t *res, const json_t *id);
int ct_has_coding(const json_t *cc, const json_t *cd);
/* v2 -> FHIR of o's message (offset +00:00 for times without one) */
json_t *ct_back(ct_v2 *o);

#endif

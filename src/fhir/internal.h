/*
 * internal.h — what the files of fhir/ share: table lookups, primitive
 * format checks, FHIRPath expressions under construction, and the
 * validation context (private to fhir/).
 */
#ifndef HXE_FHIR_INTERNAL_H
#define HXE_FHIR_INTERNAL_H

#include "fhir/fhir.h"
#include "fhir/tables.h"

/* ---- definitions (defs.c) ---- */
/* Index of the type named s[0..n), -1 when unknown. */
int hxe__fhir_type_find(const char *s, size_t n);
static inline const char *hxe__fhir_type_name(int t) { return HXE__FS(hxe__fhir_types[t].name); }
/* The element named key among the children [first, first+n); for a
 * choice element the type the key's suffix names goes to *type (else the
 * element's single type, or -1 for backbone elements). NULL when none. */
const hxe__fhir_elem *hxe__fhir_child(uint32_t first, uint32_t n, const char *key, int *type);
/* 1: (system, code) is in the value set (system NULL = any), 0: it is
 * not, -1: the value set could not be expanded (nothing is checked). */
int hxe__fhir_vs_has(int vs, const char *system, const char *code);
static inline const char *hxe__fhir_vs_url(int vs) { return HXE__FS(hxe__fhir_vsets[vs].url); }
/* Index of a profile by canonical URL (a |version suffix is ignored). */
int hxe__fhir_profile_find(const char *url);
/* 1 when key is base[x]'s name followed by a type name that starts with
 * an uppercase letter (valueQuantity for value[x]); *suffix set. */
int hxe__fhir_choice_match(const char *choice, const char *key, const char **suffix);

/* ---- primitive formats (primitive.c) ---- */
/* NULL when v is a valid JSON value of the primitive type named type,
 * else a short reason without the value. */
const char *hxe__fhir_prim_check(const char *type, const json_t *v);
/* The same for the text s[0..n) of a string-valued primitive type
 * (s NUL-terminated at n, as JSON strings are). */
const char *hxe__fhir_prim_check_text(const char *type, const char *s, size_t n);

/* ---- FHIRPath expressions under construction ---- */
typedef struct hxe__fhir_expr {
    char p[HXE_FHIR_PATH_MAX];
    size_t n;
} hxe__fhir_expr;

/* Each returns the previous length, for hxe__fhir_expr_pop. */
size_t hxe__fhir_expr_key(hxe__fhir_expr *e, const char *key);
size_t hxe__fhir_expr_idx(hxe__fhir_expr *e, size_t i);
static inline void hxe__fhir_expr_pop(hxe__fhir_expr *e, size_t mark)
{
    e->n = mark;
    e->p[mark] = '\0';
}

/* ---- validation context (validate.c, refs.c, profile.c) ---- */
typedef struct hxe__fhir_vctx {
    hxe_issues *issues;
    const hxe_fhir_vopts *opts;
    size_t depth;
    const json_t *container;     /* the resource whose contained[] "#id" names */
    const json_t *bundle;        /* innermost Bundle being validated, or NULL */
    int in_contained;
} hxe__fhir_vctx;

#define HXE__FHIR_MAX_WALK_DEPTH 128

void hxe__fhir_issue(hxe__fhir_vctx *c, int sev, int code, const hxe__fhir_expr *at,
                     const char *fmt, ...) HXE_PRINTF(5, 6);
/* A resource (top level, Bundle entry or contained): base rules,
 * references, then its profiles. */
void hxe__fhir_validate_resource(hxe__fhir_vctx *c, const json_t *res, hxe__fhir_expr *at);
/* A Reference's reference string: form, and resolution where hxe can. */
void hxe__fhir_check_reference(hxe__fhir_vctx *c, const char *ref, hxe__fhir_expr *at);
/* The rules of profile p (and of the profiles it derives from). */
void hxe__fhir_apply_profile(hxe__fhir_vctx *c, int p, const json_t *res, hxe__fhir_expr *at);
/* Required binding on a code string, Coding or CodeableConcept. */
void hxe__fhir_check_binding(hxe__fhir_vctx *c, int vs, const json_t *v, hxe__fhir_expr *at,
                             const char *who);

#endif

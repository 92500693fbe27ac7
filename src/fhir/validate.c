/*
 * validate.c — a resource against the FHIR R4 base definitions: every
 * member a known element (choice types [x] included), arrays exactly
 * where an element repeats, cardinality, primitive formats, complex types
 * and backbone elements recursively, required bindings, then references
 * (refs.c) and profiles (profile.c).
 *
 * The walk follows the JSON and looks each member up among the siblings
 * the generated tables list for the current element, so its cost is the
 * size of the resource times the width of one element.
 */
#include "fhir/internal.h"

#include <stdio.h>
#include <string.h>

void hxe__fhir_issue(hxe__fhir_vctx *c, int sev, int code, const hxe__fhir_expr *at,
                     const char *fmt, ...)
{
    char diag[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag, sizeof diag, fmt, ap);
    va_end(ap);
    /* keep the expression within the text and leave room for diagnostics */
    int room = HXE_ISSUE_TEXT_MAX / 2;
    const char *ex = at && at->n ? at->p : "Resource";
    int en = (int)strlen(ex);
    if (en > room)
        ex += en - room, en = room;
    hxe_issues_add(c->issues, sev, code, NULL, "%.*s: %s", en, ex, diag);
}

static void children(hxe__fhir_vctx *c, const json_t *obj, uint32_t first, uint32_t n,
                     hxe__fhir_expr *at, int resource_root);

static const char *vs_name(int vs) { return hxe__fhir_vs_url(vs); }

static int coding_in(int vs, const json_t *coding)
{
    const char *code = json_string_value(json_object_get(coding, "code"));
    const char *sys = json_string_value(json_object_get(coding, "system"));
    if (!code || !sys)
        return 0;
    return hxe__fhir_vs_has(vs, sys, code);
}

void hxe__fhir_check_binding(hxe__fhir_vctx *c, int vs, const json_t *v, hxe__fhir_expr *at,
                             const char *who)
{
    if (vs < 0 || !hxe__fhir_vsets[vs].complete)
        return;
    if (json_is_string(v)) {
        if (hxe__fhir_vs_has(vs, NULL, json_string_value(v)) == 0)
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_CODE_INVALID, at,
                            "code not in the required value set %s%s", vs_name(vs), who);
        return;
    }
    if (!json_is_object(v))
        return;
    const json_t *codings = json_object_get(v, "coding");
    if (!codings && json_object_get(v, "code")) { /* a Coding */
        if (coding_in(vs, v) == 0)
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_CODE_INVALID, at,
                            "system and code not in the required value set %s%s", vs_name(vs), who);
        return;
    }
    size_t i;
    const json_t *x;
    json_array_foreach(codings, i, x) {
        if (coding_in(vs, x) != 0)
            return;
    }
    hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_CODE_INVALID, at,
                    "no coding from the required value set %s%s", vs_name(vs), who);
}

/* One value of an element of type t (-1: a backbone element) */
static void value(hxe__fhir_vctx *c, const hxe__fhir_elem *e, int t, const json_t *v,
                  hxe__fhir_expr *at)
{
    if (t >= 0 && hxe__fhir_types[t].kind == HXE__FHIR_PRIMITIVE) {
        const char *why = hxe__fhir_prim_check(hxe__fhir_type_name(t), v);
        if (why) {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_VALUE, at, "%s: %s",
                            hxe__fhir_type_name(t), why);
            return;
        }
        if (e->vs >= 0)
            hxe__fhir_check_binding(c, e->vs, v, at, "");
        return;
    }
    if (!json_is_object(v)) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "must be a JSON object (%s)",
                        t >= 0 ? hxe__fhir_type_name(t) : "BackboneElement");
        return;
    }
    if (json_object_size(v) == 0) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                        "empty object (leave the element out instead)");
        return;
    }
    if (e->child_n) {   /* backbone element or contentReference */
        children(c, v, e->child_first, e->child_n, at, 0);
        return;
    }
    if (t < 0)
        return;
    /* the few types with more to check, known by name (first letter
     * first: this runs for every complex value) */
    const char *tn = hxe__fhir_type_name(t);
    if (tn[0] == 'R' && strcmp(tn, "Resource") == 0) {
        int was = c->in_contained;
        c->in_contained = strcmp(HXE__FS(e->name), "contained") == 0;
        hxe__fhir_validate_resource(c, v, at);
        c->in_contained = was;
        return;
    }
    const hxe__fhir_type *ty = &hxe__fhir_types[t];
    children(c, v, ty->child_first, ty->child_n, at, 0);
    if (tn[0] == 'R' && strcmp(tn, "Reference") == 0) {
        const char *ref = json_string_value(json_object_get(v, "reference"));
        if (ref) {
            size_t mark = hxe__fhir_expr_key(at, "reference");
            hxe__fhir_check_reference(c, ref, at);
            hxe__fhir_expr_pop(at, mark);
        }
    } else if (e->vs >= 0 && tn[0] == 'C' &&
               (strcmp(tn, "Coding") == 0 || strcmp(tn, "CodeableConcept") == 0)) {
        hxe__fhir_check_binding(c, e->vs, v, at, "");
    }
}

/* The "_name" companion of a primitive: an Element (id, extension) or an
 * array of them (null where the value has none). */
static void primitive_ext(hxe__fhir_vctx *c, const json_t *v, hxe__fhir_expr *at)
{
    int el = hxe__fhir_type_find("Element", 7);
    if (el < 0)
        return;
    const hxe__fhir_type *ty = &hxe__fhir_types[el];
    if (json_is_object(v)) {
        children(c, v, ty->child_first, ty->child_n, at, 0);
        return;
    }
    if (!json_is_array(v)) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                        "a primitive's extensions must be an object or an array");
        return;
    }
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) {
        if (json_is_null(x))
            continue;
        size_t mark = hxe__fhir_expr_idx(at, i);
        if (json_is_object(x))
            children(c, x, ty->child_first, ty->child_n, at, 0);
        else
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "must be an object or null");
        hxe__fhir_expr_pop(at, mark);
    }
}

static int is_primitive(const hxe__fhir_elem *e)
{
    for (uint32_t k = 0; k < e->types_n; k++)
        if (hxe__fhir_types[hxe__fhir_elem_types[e->types_first + k]].kind != HXE__FHIR_PRIMITIVE)
            return 0;
    return e->types_n > 0;
}

/* The "_name" member beside "name" in obj, or NULL */
static const json_t *companion(const json_t *obj, const char *name)
{
    char alt[HXE_FHIR_PATH_MAX];
    size_t n = strlen(name);
    if (n + 2 > sizeof alt)
        return NULL;
    alt[0] = '_';
    memcpy(alt + 1, name, n + 1);
    return json_object_get(obj, alt);
}

/* Is element e present in obj (any of its choice keys; a primitive's
 * "_name" counts)? Returns the number of values. */
static size_t present(const json_t *obj, const hxe__fhir_elem *e)
{
    const char *name = HXE__FS(e->name);
    if (e->choice) {
        const char *k, *suffix;
        json_t *x;
        size_t n = 0;
        json_object_foreach((json_t *)obj, k, x) {
            if (hxe__fhir_choice_match(name, k[0] == '_' ? k + 1 : k, &suffix))
                n = 1;
        }
        return n;
    }
    const json_t *v = json_object_get(obj, name);
    size_t n = json_is_array(v) ? json_array_size(v) : v ? 1 : 0;
    if (n >= (size_t)e->min)
        return n; /* enough already: the "_name" form cannot lower it */
    const json_t *x = companion(obj, name);
    size_t m = json_is_array(x) ? json_array_size(x) : x ? 1 : 0;
    return n > m ? n : m;
}

static void children(hxe__fhir_vctx *c, const json_t *obj, uint32_t first, uint32_t n,
                     hxe__fhir_expr *at, int resource_root)
{
    if (++c->depth > HXE__FHIR_MAX_WALK_DEPTH) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_TOO_COSTLY, at, "nested too deep to validate");
        c->depth--;
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (resource_root && strcmp(key, "resourceType") == 0)
            continue;
        size_t mark = hxe__fhir_expr_key(at, key[0] == '_' ? key + 1 : key);
        int t = -1;
        const hxe__fhir_elem *e = hxe__fhir_child(first, n, key[0] == '_' ? key + 1 : key, &t);
        if (!e) {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "unknown element");
        } else if (key[0] == '_') {
            if (t >= 0 ? hxe__fhir_types[t].kind != HXE__FHIR_PRIMITIVE : !is_primitive(e))
                hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                                "'_' form is only for primitive elements");
            else
                primitive_ext(c, v, at);
        } else if (e->max == 0) {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "element not allowed");
        } else if (e->max == 1) {
            if (json_is_array(v))
                hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                                "must not be an array (max cardinality 1)");
            else if (json_is_null(v))
                hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "null value");
            else
                value(c, e, t, v, at);
        } else if (!json_is_array(v)) {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                            "must be an array (the element repeats)");
        } else if (json_array_size(v) == 0) {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                            "empty array (leave the element out instead)");
        } else {
            if (e->max > 0 && json_array_size(v) > (size_t)e->max)
                hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                                "%zu values, maximum %d", json_array_size(v), (int)e->max);
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x) {
                size_t m2 = hxe__fhir_expr_idx(at, i);
                if (json_is_null(x)) {
                    /* a null item is allowed when "_name" extends it */
                    const json_t *xe = json_array_get(companion(obj, key), i);
                    if (!xe || json_is_null(xe))
                        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "null value");
                } else {
                    value(c, e, t, x, at);
                }
                hxe__fhir_expr_pop(at, m2);
            }
        }
        hxe__fhir_expr_pop(at, mark);
    }
    /* minimum cardinality */
    for (uint32_t i = first; i < first + n; i++) {
        const hxe__fhir_elem *e = &hxe__fhir_elems[i];
        if (e->min <= 0)
            continue;
        size_t have = present(obj, e);
        if (have < (size_t)e->min) {
            size_t mark = hxe__fhir_expr_key(at, HXE__FS(e->name));
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_REQUIRED, at,
                            "%zu values, minimum %d", have, (int)e->min);
            hxe__fhir_expr_pop(at, mark);
        }
    }
    c->depth--;
}

static void meta_profiles(hxe__fhir_vctx *c, const json_t *res, hxe__fhir_expr *at)
{
    if (c->opts && c->opts->ignore_meta_profiles)
        return;
    const json_t *list = json_object_get(json_object_get(res, "meta"), "profile");
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x) {
        const char *url = json_string_value(x);
        if (!url)
            continue;
        int p = hxe__fhir_profile_find(url);
        if (p < 0) {
            size_t mark = hxe__fhir_expr_key(at, "meta.profile");
            size_t m2 = hxe__fhir_expr_idx(at, i);
            hxe__fhir_issue(c, HXE_SEV_WARNING, HXE_FHIR_IT_NOT_SUPPORTED, at,
                            "profile not known to hxe: checked against the base definition only");
            (void)m2;
            hxe__fhir_expr_pop(at, mark);
            continue;
        }
        hxe__fhir_apply_profile(c, p, res, at);
    }
}

static void explicit_profiles(hxe__fhir_vctx *c, const json_t *res, hxe__fhir_expr *at, int top)
{
    if (!c->opts)
        return;
    const char *rt = json_string_value(json_object_get(res, "resourceType"));
    for (size_t i = 0; i < c->opts->nprofiles; i++) {
        int p = hxe__fhir_profile_find(c->opts->profiles[i]);
        if (p < 0)
            continue;
        const char *pt = hxe__fhir_type_name(hxe__fhir_profiles[p].type);
        if (rt && strcmp(rt, pt) == 0)
            hxe__fhir_apply_profile(c, p, res, at);
        else if (top && !(rt && strcmp(rt, "Bundle") == 0))
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_INVALID, at,
                            "resource type does not match the profile's type %s", pt);
    }
}

void hxe__fhir_validate_resource(hxe__fhir_vctx *c, const json_t *res, hxe__fhir_expr *at)
{
    const char *rt = json_string_value(json_object_get(res, "resourceType"));
    int t = rt ? hxe__fhir_type_find(rt, strlen(rt)) : -1;
    if (!rt) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at, "resourceType missing");
        return;
    }
    if (t < 0 || hxe__fhir_types[t].kind != HXE__FHIR_RESOURCE || hxe__fhir_types[t].abstract) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_NOT_SUPPORTED, at,
                        "resourceType is not an R4 resource type");
        return;
    }
    /* the expression of a resource starts with its type at the top, and
     * stays the path from the top inside Bundles and contained[] */
    int top = at->n == 0;
    if (top)
        hxe__fhir_expr_key(at, rt);
    const json_t *was_container = c->container, *was_bundle = c->bundle;
    if (!c->in_contained)
        c->container = res;
    if (strcmp(rt, "Bundle") == 0)
        c->bundle = res;
    if (c->in_contained && json_object_get(res, "contained"))
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                        "a contained resource must not contain resources");
    const hxe__fhir_type *ty = &hxe__fhir_types[t];
    int was_in = c->in_contained;
    c->in_contained = 0;
    children(c, res, ty->child_first, ty->child_n, at, 1);
    c->in_contained = was_in;
    meta_profiles(c, res, at);
    explicit_profiles(c, res, at, top);
    c->container = was_container;
    c->bundle = was_bundle;
    if (top)
        hxe__fhir_expr_pop(at, 0);
}

int hxe_fhir_validate(const json_t *res, const hxe_fhir_vopts *opts, hxe_issues *issues,
                      hxe_err *err)
{
    if (!json_is_object(res))
        return hxe_err_set(err, HXE_EINVAL, "FHIR validate: not a JSON object");
    if (opts)
        for (size_t i = 0; i < opts->nprofiles; i++)
            if (hxe__fhir_profile_find(opts->profiles[i]) < 0)
                return hxe_err_set(err, HXE_ENOTFOUND, "FHIR validate: profile %zu not known", i + 1);
    size_t was_max = issues->max;
    if (opts && opts->max_issues)
        issues->max = opts->max_issues;
    hxe__fhir_vctx c = {issues, opts, 0, NULL, NULL, 0};
    hxe__fhir_expr at = {{0}, 0};
    hxe__fhir_validate_resource(&c, res, &at);
    issues->max = was_max;
    return 0;
}

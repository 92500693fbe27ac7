/*
 * defs.c — lookups in the generated FHIR tables (tables.h): types by
 * name, an element among its siblings (choice types included), value set
 * membership and profiles by URL; and FHIRPath expression building.
 */
#include "fhir/internal.h"

#include <ctype.h>
#include <string.h>

int hxe__fhir_type_find(const char *s, size_t n)
{
    size_t lo = 0, hi = hxe__fhir_ntypes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *name = HXE__FS(hxe__fhir_types[mid].name);
        int c = strncmp(name, s, n);
        if (c == 0 && name[n] != '\0')
            c = 1;
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int hxe_fhir_is_resource_type(const char *name)
{
    int t = name ? hxe__fhir_type_find(name, strlen(name)) : -1;
    return t >= 0 && hxe__fhir_types[t].kind == HXE__FHIR_RESOURCE && !hxe__fhir_types[t].abstract;
}

int hxe__fhir_choice_match(const char *choice, const char *key, const char **suffix)
{
    size_t n = strlen(choice);
    if (n < 3 || strcmp(choice + n - 3, "[x]") != 0)
        return 0;
    n -= 3;
    if (strncmp(choice, key, n) != 0 || !isupper((unsigned char)key[n]))
        return 0;
    *suffix = key + n;
    return 1;
}

/* Does a choice suffix ("DateTime") name type t ("dateTime")? */
static int suffix_is(const char *suffix, int t)
{
    const char *name = hxe__fhir_type_name(t);
    return toupper((unsigned char)name[0]) == suffix[0] && strcmp(name + 1, suffix + 1) == 0;
}

const hxe__fhir_elem *hxe__fhir_child(uint32_t first, uint32_t n, const char *key, int *type)
{
    for (uint32_t i = first; i < first + n; i++) {
        const hxe__fhir_elem *e = &hxe__fhir_elems[i];
        const char *name = HXE__FS(e->name);
        /* most siblings differ in the first letter (a choice's key starts
         * with its base name too): skip them without a call */
        if (name[0] != key[0])
            continue;
        if (!e->choice) {
            if (strcmp(name, key) != 0)
                continue;
            *type = e->types_n == 1 ? hxe__fhir_elem_types[e->types_first] : -1;
            return e;
        }
        const char *suffix;
        if (!hxe__fhir_choice_match(name, key, &suffix))
            continue;
        for (uint32_t k = 0; k < e->types_n; k++) {
            int t = hxe__fhir_elem_types[e->types_first + k];
            if (suffix_is(suffix, t)) {
                *type = t;
                return e;
            }
        }
    }
    return NULL;
}

int hxe__fhir_vs_has(int vs, const char *system, const char *code)
{
    const hxe__fhir_vs *v = &hxe__fhir_vsets[vs];
    if (!v->complete)
        return -1;
    size_t lo = v->first, hi = v->first + v->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(HXE__FS(hxe__fhir_codes[mid].code), code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < v->first + v->n; i++) {
        const hxe__fhir_code *c = &hxe__fhir_codes[i];
        if (strcmp(HXE__FS(c->code), code) != 0)
            break;
        if (!system || strcmp(HXE__FS(c->system), system) == 0)
            return 1;
    }
    return 0;
}

int hxe__fhir_profile_find(const char *url)
{
    if (!url)
        return -1;
    size_t n = strcspn(url, "|");
    size_t lo = 0, hi = hxe__fhir_nprofiles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *u = HXE__FS(hxe__fhir_profiles[mid].url);
        int c = strncmp(u, url, n);
        if (c == 0 && u[n] != '\0')
            c = 1;
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int hxe_fhir_profile_known(const char *url) { return hxe__fhir_profile_find(url) >= 0; }

const char *hxe_fhir_profile_url(size_t i)
{
    return i < hxe__fhir_nprofiles ? HXE__FS(hxe__fhir_profiles[i].url) : NULL;
}

/* ---- expressions: appending never overflows; a cut one ends in "..." ---- */
static void expr_cat(hxe__fhir_expr *e, const char *s, size_t n)
{
    size_t room = sizeof e->p - 4 - e->n;
    if (n > room) {
        n = room;
        memcpy(e->p + e->n, s, n);
        e->n += n;
        memcpy(e->p + e->n, "...", 4);
        e->n += 3;
        return;
    }
    memcpy(e->p + e->n, s, n);
    e->n += n;
    e->p[e->n] = '\0';
}

size_t hxe__fhir_expr_key(hxe__fhir_expr *e, const char *key)
{
    size_t mark = e->n;
    if (e->n)
        expr_cat(e, ".", 1);
    expr_cat(e, key, strlen(key));
    return mark;
}

size_t hxe__fhir_expr_idx(hxe__fhir_expr *e, size_t i)
{
    /* digits by hand: this runs for every array item validated, where
     * snprintf stood out in profiles of the walk */
    size_t mark = e->n;
    char b[32];
    size_t k = sizeof b;
    b[--k] = ']';
    do {
        b[--k] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    b[--k] = '[';
    expr_cat(e, b + k, sizeof b - k);
    return mark;
}

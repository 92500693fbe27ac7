/*
 * profile.c — a resource against a profile's rules (US Core 6.1 and the
 * core profiles it builds on), after the base definition has been
 * checked: cardinality tightened, choice types restricted, fixed and
 * pattern values, required bindings, and slices counted by the pattern
 * that tells them apart (category, coding.system, extension url).
 * mustSupport is not a validation rule and is ignored.
 *
 * A rule names a path; it applies to every node at the path's parent
 * that exists, the way FHIR constraints do (a profile requiring
 * Patient.name.family says nothing when there is no name).
 */
#include "fhir/internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULE_STEPS 16

struct rule_run {
    hxe__fhir_vctx *c;
    const hxe__fhir_rule *r;
    const hxe__fhir_profile *p;
    json_t *pattern;      /* parsed r->value, lazily */
    int pattern_bad;
    int pattern_owned;    /* parsed for this run only (no shared copy) */
};

/* Every rule's fixed or pattern value, parsed once for the process under
 * pthread_once (validation runs on several threads at once): parsing it
 * for each resource was half the cost of a US Core profile. Read-only
 * once built, kept until exit. NULL when memory ran out: then each run
 * parses its own. */
static json_t **patterns;
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void parse_patterns(void)
{
    json_t **v = calloc(hxe__fhir_nrules ? hxe__fhir_nrules : 1, sizeof *v);
    if (!v)
        return;
    for (size_t i = 0; i < hxe__fhir_nrules; i++)
        if (hxe__fhir_rules[i].value)
            v[i] = json_loads(HXE__FS(hxe__fhir_rules[i].value), 0, NULL);
    patterns = v;
}

/* pattern semantics: every part of the pattern is in the value; an
 * object pattern against an array matches when one item matches */
static int matches(const json_t *pat, const json_t *v)
{
    if (json_is_object(pat)) {
        if (json_is_array(v)) {
            size_t i;
            const json_t *x;
            json_array_foreach(v, i, x) {
                if (matches(pat, x))
                    return 1;
            }
            return 0;
        }
        if (!json_is_object(v))
            return 0;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)pat, k, x) {
            const json_t *y = json_object_get(v, k);
            if (!y || !matches(x, y))
                return 0;
        }
        return 1;
    }
    if (json_is_array(pat)) {
        size_t i;
        const json_t *x;
        json_array_foreach(pat, i, x) {
            if (!matches(x, v))
                return 0;
        }
        return 1;
    }
    if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) {
            if (json_equal((json_t *)pat, (json_t *)x))
                return 1;
        }
        return 0;
    }
    if (json_is_number(pat) && json_is_number(v))
        return json_number_value(pat) == json_number_value(v);
    return json_equal((json_t *)pat, (json_t *)v);
}

static json_t *pattern_of(struct rule_run *rr)
{
    if (!rr->pattern && !rr->pattern_bad) {
        pthread_once(&patterns_once, parse_patterns);
        if (patterns) {
            rr->pattern = patterns[rr->r - hxe__fhir_rules];
        } else {
            rr->pattern = json_loads(HXE__FS(rr->r->value), 0, NULL);
            rr->pattern_owned = 1;
        }
        rr->pattern_bad = rr->pattern == NULL;
    }
    return rr->pattern;
}

static int type_allowed(const char *types, const char *suffix)
{
    size_t n = strlen(suffix);
    const char *p = types;
    while (*p) {
        size_t len = strcspn(p, "|");
        if (len == n && toupper((unsigned char)p[0]) == suffix[0] && memcmp(p + 1, suffix + 1, n - 1) == 0)
            return 1;
        p += len;
        if (*p == '|')
            p++;
    }
    return 0;
}

static void check_item(struct rule_run *rr, const json_t *v, hxe__fhir_expr *at)
{
    const hxe__fhir_rule *r = rr->r;
    const char *pname = HXE__FS(rr->p->name);
    if (r->value) {
        json_t *pat = pattern_of(rr);
        if (pat) {
            int ok = r->fixed ? json_equal(pat, (json_t *)v) : matches(pat, v);
            if (!ok)
                hxe__fhir_issue(rr->c, HXE_SEV_ERROR, HXE_FHIR_IT_VALUE, at,
                                "does not match the %s value profile %s requires",
                                r->fixed ? "fixed" : "pattern", pname);
        }
    }
    if (r->vs >= 0) {
        char who[96];
        snprintf(who, sizeof who, " (profile %s)", pname);
        hxe__fhir_check_binding(rr->c, r->vs, v, at, who);
    }
}

/* The rule's last step on one parent object */
static void at_parent(struct rule_run *rr, const json_t *obj, const char *last, hxe__fhir_expr *at)
{
    const hxe__fhir_rule *r = rr->r;
    const char *pname = HXE__FS(rr->p->name);
    size_t count = 0;
    const char *k, *suffix;
    json_t *v;
    size_t mark = hxe__fhir_expr_key(at, last);
    if (r->slice) {
        const json_t *arr = json_object_get(obj, last);
        json_t *pat = pattern_of(rr);
        if (!pat)
            goto out;
        if (json_is_array(arr)) {
            size_t i;
            const json_t *x;
            json_array_foreach(arr, i, x) {
                if (matches(pat, x))
                    count++;
            }
        } else if (arr && matches(pat, arr)) {
            count = 1;
        }
        if (r->min > 0 && count < (size_t)r->min)
            hxe__fhir_issue(rr->c, HXE_SEV_ERROR, HXE_FHIR_IT_REQUIRED, at,
                            "slice %s: %zu values, profile %s requires at least %d",
                            HXE__FS(r->slice), count, pname, (int)r->min);
        if (r->max >= 0 && count > (size_t)r->max)
            hxe__fhir_issue(rr->c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                            "slice %s: %zu values, profile %s allows at most %d",
                            HXE__FS(r->slice), count, pname, (int)r->max);
        goto out;
    }
    if (strstr(last, "[x]")) {
        json_object_foreach((json_t *)obj, k, v) {
            if (!hxe__fhir_choice_match(last, k, &suffix))
                continue;
            count++;
            hxe__fhir_expr_pop(at, mark);
            size_t m2 = hxe__fhir_expr_key(at, k);
            if (r->types && !type_allowed(HXE__FS(r->types), suffix))
                hxe__fhir_issue(rr->c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                                "type %s not allowed by profile %s", suffix, pname);
            check_item(rr, v, at);
            hxe__fhir_expr_pop(at, m2);
            mark = hxe__fhir_expr_key(at, last);
        }
    } else {
        v = json_object_get(obj, last);
        if (json_is_array(v)) {
            size_t i;
            json_t *x;
            count = json_array_size(v);
            json_array_foreach(v, i, x) {
                size_t m2 = hxe__fhir_expr_idx(at, i);
                check_item(rr, x, at);
                hxe__fhir_expr_pop(at, m2);
            }
        } else if (v) {
            count = 1;
            check_item(rr, v, at);
        } else {
            char alt[HXE_FHIR_PATH_MAX];
            snprintf(alt, sizeof alt, "_%s", last);
            if (json_object_get(obj, alt))
                count = 1;
        }
    }
    if (r->min > 0 && count < (size_t)r->min)
        hxe__fhir_issue(rr->c, HXE_SEV_ERROR, HXE_FHIR_IT_REQUIRED, at,
                        "%zu values, profile %s requires at least %d", count, pname, (int)r->min);
    if (r->max >= 0 && count > (size_t)r->max)
        hxe__fhir_issue(rr->c, HXE_SEV_ERROR, HXE_FHIR_IT_STRUCTURE, at,
                        "%zu values, profile %s allows at most %d", count, pname, (int)r->max);
out:
    hxe__fhir_expr_pop(at, mark);
}

/* Walks the steps before the last to every parent node */
static void walk(struct rule_run *rr, const json_t *obj, char steps[][64], size_t i, size_t n,
                 hxe__fhir_expr *at)
{
    if (!json_is_object(obj))
        return;
    if (i + 1 == n) {
        at_parent(rr, obj, steps[i], at);
        return;
    }
    const char *k, *suffix;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int hit = strstr(steps[i], "[x]") ? hxe__fhir_choice_match(steps[i], k, &suffix)
                                           : strcmp(k, steps[i]) == 0;
        if (!hit)
            continue;
        size_t mark = hxe__fhir_expr_key(at, k);
        if (json_is_array(v)) {
            size_t j;
            json_t *x;
            json_array_foreach(v, j, x) {
                size_t m2 = hxe__fhir_expr_idx(at, j);
                walk(rr, x, steps, i + 1, n, at);
                hxe__fhir_expr_pop(at, m2);
            }
        } else {
            walk(rr, v, steps, i + 1, n, at);
        }
        hxe__fhir_expr_pop(at, mark);
    }
}

void hxe__fhir_apply_profile(hxe__fhir_vctx *c, int p, const json_t *res, hxe__fhir_expr *at)
{
    const hxe__fhir_profile *pr = &hxe__fhir_profiles[p];
    if (pr->parent >= 0 && pr->parent != p)
        hxe__fhir_apply_profile(c, pr->parent, res, at);
    const char *rt = json_string_value(json_object_get(res, "resourceType"));
    if (!rt || strcmp(rt, hxe__fhir_type_name(pr->type)) != 0) {
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_INVALID, at,
                        "resource type does not match profile %s", HXE__FS(pr->name));
        return;
    }
    for (uint32_t i = pr->rule_first; i < pr->rule_first + pr->rule_n; i++) {
        struct rule_run rr = {c, &hxe__fhir_rules[i], pr, NULL, 0, 0};
        char steps[MAX_RULE_STEPS][64];
        size_t n = 0;
        const char *s = HXE__FS(rr.r->path);
        while (*s && n < MAX_RULE_STEPS) {
            size_t len = strcspn(s, ".");
            if (len >= sizeof steps[0])
                break;
            memcpy(steps[n], s, len);
            steps[n][len] = '\0';
            n++;
            s += len;
            if (*s == '.')
                s++;
        }
        if (n && !*s)
            walk(&rr, res, steps, 0, n, at);
        if (rr.pattern_owned)
            json_decref(rr.pattern);
    }
}

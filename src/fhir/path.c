/*
 * path.c — simple FHIRPath-like paths over a resource: get, set (building
 * the objects and arrays on the way) and remove.
 *
 * A path is STEP(.STEP)*, a step NAME or NAME[n] (0-based). The first
 * step may be the resource type. This is the navigation subset of
 * FHIRPath that converters and channel scripts need, not an evaluator.
 */
#include "fhir/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 64

struct step {
    const char *name;
    size_t n;
    long idx;   /* -1 when no [n] */
};

static int parse_path(json_t *root, const char *path, struct step *st, size_t *nst, hxe_err *err)
{
    size_t k = 0;
    const char *p = path;
    if (!path || !*path)
        return hxe_err_set(err, HXE_EINVAL, "FHIR path: empty");
    while (*p) {
        if (k == MAX_STEPS)
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: more than %d steps", MAX_STEPS);
        const char *s = p;
        while (*p && *p != '.' && *p != '[')
            p++;
        if (p == s)
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: empty step at offset %zu",
                               (size_t)(s - path));
        for (const char *q = s; q < p; q++)
            if (!isalnum((unsigned char)*q) && *q != '_')
                return hxe_err_set(err, HXE_EINVAL, "FHIR path: bad character at offset %zu",
                                   (size_t)(q - path));
        st[k].name = s;
        st[k].n = (size_t)(p - s);
        st[k].idx = -1;
        if (*p == '[') {
            char *end;
            p++;
            if (!isdigit((unsigned char)*p))
                return hxe_err_set(err, HXE_EINVAL, "FHIR path: bad index at offset %zu",
                                   (size_t)(p - path));
            long v = strtol(p, &end, 10);
            if (*end != ']' || v < 0 || v > 1000000)
                return hxe_err_set(err, HXE_EINVAL, "FHIR path: bad index at offset %zu",
                                   (size_t)(p - path));
            st[k].idx = v;
            p = end + 1;
        }
        k++;
        if (*p == '.') {
            p++;
            if (!*p)
                return hxe_err_set(err, HXE_EINVAL, "FHIR path: ends with '.'");
        } else if (*p) {
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: bad character at offset %zu",
                               (size_t)(p - path));
        }
    }
    /* a leading resource type (element names start in lower case) */
    if (k && isupper((unsigned char)st[0].name[0])) {
        const char *rt = json_string_value(json_object_get(root, "resourceType"));
        if (st[0].idx >= 0 || !rt || strlen(rt) != st[0].n || memcmp(rt, st[0].name, st[0].n))
            return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: first step is not the resource type");
        memmove(st, st + 1, (k - 1) * sizeof *st);
        k--;
    }
    *nst = k;
    return 0;
}

/* The member named by a step; a choice element may be named without its
 * type (value -> valueQuantity). */
static json_t *member(json_t *obj, const struct step *s, char *key, size_t keycap)
{
    if (s->n >= keycap)
        return NULL;
    memcpy(key, s->name, s->n);
    key[s->n] = '\0';
    json_t *v = json_object_get(obj, key);
    if (v)
        return v;
    const char *k;
    json_object_foreach(obj, k, v) {
        if (strncmp(k, key, s->n) == 0 && isupper((unsigned char)k[s->n]))
            return v;
    }
    return NULL;
}

int hxe_fhir_get(json_t *root, const char *path, json_t **out, hxe_err *err)
{
    struct step st[MAX_STEPS];
    size_t n = 0;
    char key[HXE_FHIR_PATH_MAX];
    *out = NULL;
    int rc = parse_path(root, path, st, &n, err);
    if (rc)
        return rc;
    json_t *cur = root;
    for (size_t i = 0; i < n; i++) {
        if (json_is_array(cur))
            cur = json_array_get(cur, 0);
        if (!json_is_object(cur))
            return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: step %zu is not an element", i + 1);
        cur = member(cur, &st[i], key, sizeof key);
        if (!cur)
            return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: step %zu not found", i + 1);
        if (st[i].idx >= 0) {
            if (!json_is_array(cur)) {
                if (st[i].idx != 0)
                    return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: step %zu not found", i + 1);
            } else {
                cur = json_array_get(cur, (size_t)st[i].idx);
                if (!cur)
                    return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: index at step %zu out of range",
                                       i + 1);
            }
        }
    }
    *out = cur;
    return 0;
}

const char *hxe_fhir_get_str(json_t *root, const char *path)
{
    json_t *v;
    if (hxe_fhir_get(root, path, &v, NULL))
        return NULL;
    if (json_is_array(v))
        v = json_array_get(v, 0);
    return json_string_value(v);
}

int hxe_fhir_set(json_t *root, const char *path, json_t *value, hxe_err *err)
{
    struct step st[MAX_STEPS];
    size_t n = 0;
    char key[HXE_FHIR_PATH_MAX];
    int rc = value ? parse_path(root, path, st, &n, err)
                   : hxe_err_set(err, HXE_EINVAL, "FHIR path: no value to set");
    if (rc == 0 && n == 0)
        rc = hxe_err_set(err, HXE_EINVAL, "FHIR path: names the resource itself");
    if (rc) {
        json_decref(value);
        return rc;
    }
    json_t *cur = root;
    for (size_t i = 0; i < n; i++) {
        int last = i + 1 == n;
        if (json_is_array(cur))
            cur = json_array_get(cur, 0);
        if (!json_is_object(cur)) {
            json_decref(value);
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: step %zu goes through a value", i + 1);
        }
        json_t *next = member(cur, &st[i], key, sizeof key);
        if (st[i].n >= sizeof key) {
            json_decref(value);
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: step %zu too long", i + 1);
        }
        if (st[i].idx < 0) {
            if (last)
                return json_object_set_new(cur, key, value) ? HXE_ENOMEM : 0;
            if (!next) {
                next = json_object();
                if (!next || json_object_set_new(cur, key, next)) {
                    json_decref(value);
                    return HXE_ENOMEM;
                }
            }
            cur = next;
            continue;
        }
        if (!next) {
            next = json_array();
            if (!next || json_object_set_new(cur, key, next)) {
                json_decref(value);
                return HXE_ENOMEM;
            }
        }
        if (!json_is_array(next)) {
            json_decref(value);
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: step %zu is not an array", i + 1);
        }
        size_t idx = (size_t)st[i].idx, len = json_array_size(next);
        if (idx > len) {
            json_decref(value);
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: index at step %zu past the end", i + 1);
        }
        if (last) {
            int bad = idx == len ? json_array_append_new(next, value)
                                 : json_array_set_new(next, idx, value);
            return bad ? HXE_ENOMEM : 0;
        }
        if (idx == len) {
            json_t *o = json_object();
            if (!o || json_array_append_new(next, o)) {
                json_decref(value);
                return HXE_ENOMEM;
            }
        }
        cur = json_array_get(next, idx);
    }
    json_decref(value);
    return HXE_EINVAL; /* not reached: the last step returns */
}

int hxe_fhir_set_str(json_t *root, const char *path, const char *s, hxe_err *err)
{
    json_t *v = s ? json_string(s) : NULL;
    if (!v)
        return hxe_err_set(err, s ? HXE_ENOMEM : HXE_EINVAL, "FHIR path: %s",
                           s ? "out of memory" : "value is not valid UTF-8 text");
    return hxe_fhir_set(root, path, v, err);
}

int hxe_fhir_remove(json_t *root, const char *path, hxe_err *err)
{
    struct step st[MAX_STEPS];
    size_t n = 0;
    char key[HXE_FHIR_PATH_MAX];
    int rc = parse_path(root, path, st, &n, err);
    if (rc)
        return rc;
    if (n == 0)
        return hxe_err_set(err, HXE_EINVAL, "FHIR path: names the resource itself");
    /* the parent of the last step */
    json_t *parent = root;
    if (n > 1) {
        char buf[HXE_FHIR_PATH_MAX];
        const char *cut = strrchr(path, '.');
        size_t len = (size_t)(cut - path);
        if (len >= sizeof buf)
            return hxe_err_set(err, HXE_EINVAL, "FHIR path: too long");
        memcpy(buf, path, len);
        buf[len] = '\0';
        rc = hxe_fhir_get(root, buf, &parent, err);
        if (rc)
            return rc;
        if (json_is_array(parent))
            parent = json_array_get(parent, 0);
    }
    const struct step *s = &st[n - 1];
    json_t *v = json_is_object(parent) ? member(parent, s, key, sizeof key) : NULL;
    if (!v)
        return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: step %zu not found", n);
    if (s->idx < 0 || !json_is_array(v)) {
        if (s->idx > 0)
            return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: step %zu not found", n);
        /* the member's real key (a choice may have been named short) */
        const char *k;
        json_t *x;
        json_object_foreach(parent, k, x) {
            if (x == v)
                return json_object_del(parent, k) ? HXE_ENOTFOUND : 0;
        }
        return HXE_ENOTFOUND;
    }
    if (json_array_remove(v, (size_t)s->idx))
        return hxe_err_set(err, HXE_ENOTFOUND, "FHIR path: index at step %zu out of range", n);
    return 0;
}

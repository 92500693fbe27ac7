/*
 * schema.c — look-ups in the generated X12 tables (schema.h): segment
 * definitions by id, a set's schema by ST01 and guide, code lists.
 */
#include "x12/internal.h"
#include "x12/schema.h"

#include <pthread.h>

const x12t_seg *x12t_find_seg(const char *id)
{
    size_t lo = 0, hi = x12t_nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strncmp(id, x12t_segs[mid].id, 4);
        if (r == 0)
            return &x12t_segs[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* The guide's version without its addenda letters: "005010X222A1" and
 * "005010X222" name the same structure for loop parsing. */
static size_t guide_base(const char *g)
{
    size_t n = strlen(g);
    if (n > 10 && g[n - 2] == 'A' && g[n - 1] >= '0' && g[n - 1] <= '9')
        n -= 2;
    return n;
}

const x12t_set *x12t_find_set(const char *st01, const char *guide)
{
    const x12t_set *same_id = NULL;
    int n_same = 0;
    for (size_t i = 0; i < x12t_nsets; i++) {
        const x12t_set *s = &x12t_sets[i];
        if (strcmp(s->id, st01) != 0)
            continue;
        const char *g = X12T_STR(s->guide);
        if (strcmp(g, guide) == 0)
            return s;
        size_t n = guide_base(g);
        if (guide_base(guide) == n && strncmp(g, guide, n) == 0)
            return s;
        same_id = s;
        n_same++;
    }
    /* a set with one schema and no guide named: that one */
    return (n_same == 1 && guide[0] == '\0') ? same_id : NULL;
}

/* bytes compare of s[0..n) with a NUL-terminated pool string */
static int cmp_code(const char *s, size_t n, const char *c)
{
    size_t cn = strlen(c);
    int r = memcmp(s, c, n < cn ? n : cn);
    if (r)
        return r;
    return n < cn ? -1 : n > cn ? 1 : 0;
}

int x12t_qual_ok(const x12t_qual *q, const char *s, size_t n)
{
    size_t lo = 0, hi = q->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_code(s, n, X12T_STR(x12t_codes[q->first + mid]));
        if (r == 0)
            return 1;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* The list is built once, under pthread_once: callers on several threads
 * may ask for it at the same time. */
static const char *schema_list[64];
static char schema_names[64][48];
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static void build_schema_list(void)
{
    size_t k = 0;
    for (size_t i = 0; i < x12t_nsets && k < 63; i++, k++) {
        const x12t_set *s = &x12t_sets[i];
        size_t n = strlen(s->id);
        memcpy(schema_names[k], s->id, n);
        schema_names[k][n] = ' ';
        const char *g = X12T_STR(s->guide);
        size_t gn = strlen(g);
        if (gn > sizeof schema_names[k] - n - 2)
            gn = sizeof schema_names[k] - n - 2;
        memcpy(schema_names[k] + n + 1, g, gn);
        schema_names[k][n + 1 + gn] = '\0';
        schema_list[k] = schema_names[k];
    }
    schema_list[k] = NULL;
}

const char *const *hxe_x12_schemas(void)
{
    pthread_once(&schema_once, build_schema_list);
    return schema_list;
}

const char *hxe_x12_element_name(const char *seg, unsigned e)
{
    const x12t_seg *d = x12t_find_seg(seg);
    if (!d || e < 1 || e > d->n)
        return NULL;
    return X12T_STR(x12t_elems[d->first + e - 1].name);
}

/*
 * rule_eval.c — evaluates compiled rules against a parsed message and
 * applies transformer actions to it.
 *
 * Values are read as decoded text (hxe_hl7_get_text) so a rule compares
 * what a person reads, not escape sequences. An absent segment or field
 * is the empty string, as HL7 has it. Copies (set A = B) move the raw
 * value, so components, repetitions and escapes survive the copy.
 */
#include "internal.h"
#include "rule_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The decoded value at path into b (cleared first). Absent is "". */
static int value(const hxe_hl7_msg *m, const hxe_hl7_path *path, hxe_buf *b)
{
    hxe_buf_truncate(b, 0);
    int rc = hxe_hl7_get_text(m, path, b);
    if (rc == HXE_ENOTFOUND || rc == HXE_EINVAL || rc == HXE_ECHARSET) {
        hxe_buf_truncate(b, 0);
        rc = 0;
    }
    if (rc == 0 && !b->p)
        rc = hxe_buf_reserve(b, 1); /* make b->p a valid C string */
    return rc;
}

static int number(const char *s, size_t n, double *out)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 64)
        return 0;
    char tmp[65];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (*end || errno || !isfinite(d))
        return 0;
    /* HL7 NM has no hex, exponents or inf: keep to digits, sign and point */
    for (size_t i = 0; i < n; i++)
        if (!((tmp[i] >= '0' && tmp[i] <= '9') || tmp[i] == '.' || tmp[i] == '-' || tmp[i] == '+'))
            return 0;
    *out = d;
    return 1;
}

static int compare(int op, const char *a, size_t an, const char *b, size_t bn)
{
    if (op == ROP_EQ)
        return an == bn && memcmp(a, b, an) == 0;
    if (op == ROP_NE)
        return !(an == bn && memcmp(a, b, an) == 0);
    double x, y;
    if (!number(a, an, &x) || !number(b, bn, &y))
        return 0;
    switch (op) {
    case ROP_LT: return x < y;
    case ROP_LE: return x <= y;
    case ROP_GT: return x > y;
    case ROP_GE: return x >= y;
    default: return 0;
    }
}

typedef struct evalctx {
    const hxe_hl7_msg *m;
    hxe_buf a, b;
} evalctx;

static int eval(evalctx *e, const rnode *n, int *out)
{
    int rc, x;
    switch (n->kind) {
    case RK_OR:
    case RK_AND:
        if ((rc = eval(e, n->a, &x)))
            return rc;
        if (x == (n->kind == RK_OR)) {
            *out = x;
            return 0;
        }
        return eval(e, n->b, out);
    case RK_NOT:
        if ((rc = eval(e, n->a, &x)))
            return rc;
        *out = !x;
        return 0;
    case RK_EXISTS:
        if (n->path.field == 0) {
            *out = hxe_hl7_find(e->m, n->path.seg, n->path.seg_seq ? n->path.seg_seq : 1) >= 0;
            return 0;
        }
        if ((rc = value(e->m, &n->path, &e->a)))
            return rc;
        *out = e->a.len > 0;
        return 0;
    case RK_CMP:
        if ((rc = value(e->m, &n->path, &e->a)))
            return rc;
        if (n->rhs_is_path) {
            if ((rc = value(e->m, &n->path2, &e->b)))
                return rc;
            *out = compare(n->op, e->a.p, e->a.len, e->b.p, e->b.len);
        } else {
            *out = compare(n->op, e->a.p, e->a.len, n->lit.s, n->lit.n);
        }
        return 0;
    case RK_IN:
        if ((rc = value(e->m, &n->path, &e->a)))
            return rc;
        *out = 0;
        for (size_t i = 0; i < n->nlist && !*out; i++)
            *out = n->list[i].n == e->a.len && memcmp(n->list[i].s, e->a.p, e->a.len) == 0;
        return 0;
    case RK_MATCH:
        if ((rc = value(e->m, &n->path, &e->a)))
            return rc;
        /* a NUL inside the value would cut the match short: no match */
        *out = !memchr(e->a.p, '\0', e->a.len) && regexec(&n->re, e->a.p, 0, NULL, 0) == 0;
        return 0;
    default:
        *out = 0;
        return HXE_EINVAL;
    }
}

int hxe_rule_eval(const hxe_rule *r, const hxe_hl7_msg *m, int *out, hxe_err *err)
{
    if (!r || !m || !out)
        return hxe_err_set(err, HXE_EINVAL, "rule evaluation: missing argument");
    evalctx e;
    e.m = m;
    hxe_buf_init(&e.a, 0);
    hxe_buf_init(&e.b, 0);
    int rc = eval(&e, r->root, out);
    hxe_buf_free(&e.a);
    hxe_buf_free(&e.b);
    if (rc)
        return hxe_err_set(err, rc, "rule evaluation: %s", hxe_strerror(rc));
    return 0;
}

/* ---- transformer actions ---- */
int hxe_xform_new(hxe_xform **out)
{
    hxe_xform *x = hxe_calloc(1, sizeof *x);
    if (!x)
        return HXE_ENOMEM;
    hxe_arena_init(&x->arena, 1024, 0);
    *out = x;
    return 0;
}

int hxe_xform_add(hxe_xform *x, const char *text, size_t n, const hxe_rule_limits *lim,
                  hxe_err *err)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 8;
        if (cap > 100000)
            return hxe_err_set(err, HXE_ETOOBIG, "too many actions");
        raction *v = hxe_realloc(x->v, cap * sizeof *v);
        if (!v)
            return hxe_err_set(err, HXE_ENOMEM, "out of memory");
        x->v = v;
        x->cap = cap;
    }
    int rc = hxe__action_parse(&x->v[x->n], &x->arena, text, n, lim, err);
    if (rc) {
        hxe_rule_free(x->v[x->n].when);
        return rc;
    }
    x->n++;
    return 0;
}

size_t hxe_xform_count(const hxe_xform *x) { return x ? x->n : 0; }

/* `set ZXT-1 = ...` on a message without ZXT appends the segment, as
 * does setting the next occurrence (OBX[n+1] when there are n). */
int hxe__ensure_segment(hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_err *e)
{
    uint32_t seq = p->seg_seq ? p->seg_seq : 1;
    if (hxe_hl7_find(m, p->seg, seq) >= 0)
        return 0;
    if (seq > 1 && hxe_hl7_find(m, p->seg, seq - 1) < 0)
        return hxe_err_set(e, HXE_ENOTFOUND, "earlier occurrences are missing");
    return hxe_hl7_insert_segment(m, m->nseg, p->seg, strlen(p->seg), e);
}

static int apply_one(const raction *a, hxe_hl7_msg *m, size_t idx, hxe_err *err)
{
    char where[64];
    hxe_hl7_path_format(&a->path, where, sizeof where);
    if (a->when) {
        int hold = 0;
        int rc = hxe_rule_eval(a->when, m, &hold, err);
        if (rc)
            return rc;
        if (!hold)
            return 0;
    }
    hxe_err e = {0};
    int rc = 0;
    switch (a->kind) {
    case AK_SET:
        if ((rc = hxe__ensure_segment(m, &a->path, &e)) == 0)
            rc = hxe_hl7_set(m, &a->path, a->value.s, a->value.n, HXE_HL7_SET_TEXT, &e);
        break;
    case AK_COPY: {
        hxe_slice v = HXE_SLICE_EMPTY;
        rc = hxe_hl7_get(m, &a->src, &v);
        if (rc == HXE_ENOTFOUND || rc == HXE_EINVAL) {
            v = HXE_SLICE_EMPTY;
            rc = 0;
        }
        /* the slice stays valid: edits never free what a message points into */
        if (rc == 0 && (rc = hxe__ensure_segment(m, &a->path, &e)) == 0)
            rc = hxe_hl7_set(m, &a->path, v.p, v.n, HXE_HL7_SET_RAW, &e);
        break;
    }
    case AK_DELETE:
        rc = hxe_hl7_delete(m, &a->path, &e);
        if (rc == HXE_ENOTFOUND)
            rc = 0; /* deleting what is not there leaves the message as wanted */
        break;
    default:
        rc = HXE_EINVAL;
        break;
    }
    if (rc)
        return hxe_err_set(err, rc, "action %zu (%s %s): %s", idx + 1,
                           a->kind == AK_DELETE ? "delete" : "set", where,
                           e.msg[0] ? e.msg : hxe_strerror(rc));
    return 0;
}

int hxe_xform_apply(const hxe_xform *x, hxe_hl7_msg *m, hxe_err *err)
{
    if (!x || !m)
        return hxe_err_set(err, HXE_EINVAL, "transformer: missing argument");
    for (size_t i = 0; i < x->n; i++) {
        int rc = apply_one(&x->v[i], m, i, err);
        if (rc)
            return rc;
    }
    return 0;
}

void hxe_xform_free(hxe_xform *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        hxe_rule_free(x->v[i].when);
    hxe_free(x->v);
    hxe_arena_free(&x->arena);
    hxe_free(x);
}

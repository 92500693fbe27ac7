/*
 * ack_file.c — acknowledging a whole buffer: read every interchange,
 * validate every set, and write per interchange its TA1 (when due) and a
 * 999 per functional group (ack.c writes them).
 *
 * The reader reports envelope problems in one list for the whole input;
 * which interchange or group each belongs to is found by byte offset.
 * The envelopes themselves are seen through the reader's sink (every
 * segment in file order), so groups without sets and GE01 are known too.
 * Only the envelope records and each group's 999 body are kept: the sets
 * are validated one at a time in an arena reset after each.
 */
#include "x12/internal.h"

#include <stdio.h>

typedef struct ix {
    hxe_x12_interchange isa;
    size_t end;              /* past its IEA; (size_t)-1 while open */
    size_t first_group, ngroups;
} ix;

typedef struct grp {
    size_t offset;
    hxe_x12_ack ack;
} grp;

typedef struct actx {
    const hxe_x12_ack_opts *o;
    ix *ixs;
    size_t nix, ixcap;
    grp *grps;
    size_t ngrp, grpcap;
    int failed;
} actx;

static void field(char *dst, size_t size, const hxe_x12_seg *s, const hxe_x12_delims *d, unsigned e)
{
    x12__copy(dst, size, hxe_x12_element(s, d, e));
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = hxe_realloc(*v, nc * size);
    if (!p)
        return -1;
    *v = p;
    *cap = nc;
    return 0;
}

static int sink(void *data, const hxe_x12_seg *s, const hxe_x12_delims *d)
{
    actx *c = data;
    if (!d || c->failed)
        return 0;
    if (!strcmp(s->id, "ISA")) {
        if (grow((void **)&c->ixs, &c->ixcap, c->nix, sizeof *c->ixs))
            return c->failed = -1;
        ix *x = &c->ixs[c->nix++];
        memset(x, 0, sizeof *x);
        x->isa.d = *d;
        x->isa.offset = s->offset;
        x->end = (size_t)-1;
        x->first_group = c->ngrp;
        field(x->isa.control, sizeof x->isa.control, s, d, 13);
        field(x->isa.version, sizeof x->isa.version, s, d, 12);
        field(x->isa.date, sizeof x->isa.date, s, d, 9);
        field(x->isa.time, sizeof x->isa.time, s, d, 10);
        field(x->isa.sender_qual, sizeof x->isa.sender_qual, s, d, 5);
        field(x->isa.sender, sizeof x->isa.sender, s, d, 6);
        field(x->isa.receiver_qual, sizeof x->isa.receiver_qual, s, d, 7);
        field(x->isa.receiver, sizeof x->isa.receiver, s, d, 8);
        hxe_slice a = hxe_x12_element(s, d, 14), u = hxe_x12_element(s, d, 15);
        x->isa.ack_requested = a.n ? a.p[0] : 0;
        x->isa.usage = u.n ? u.p[0] : 0;
    } else if (!c->nix || c->ixs[c->nix - 1].end != (size_t)-1) {
        return 0;   /* outside an interchange */
    } else if (!strcmp(s->id, "GS")) {
        if (grow((void **)&c->grps, &c->grpcap, c->ngrp, sizeof *c->grps))
            return c->failed = -1;
        ix *x = &c->ixs[c->nix - 1];
        hxe_x12_group g;
        memset(&g, 0, sizeof g);
        g.offset = s->offset;
        field(g.functional_id, sizeof g.functional_id, s, d, 1);
        field(g.sender, sizeof g.sender, s, d, 2);
        field(g.receiver, sizeof g.receiver, s, d, 3);
        field(g.control, sizeof g.control, s, d, 6);
        field(g.version, sizeof g.version, s, d, 8);
        grp *gr = &c->grps[c->ngrp++];
        gr->offset = s->offset;
        hxe_x12_ack_init(&gr->ack, &x->isa, &g, c->o);
        x->ngroups++;
    } else if (!strcmp(s->id, "GE")) {
        ix *x = &c->ixs[c->nix - 1];
        if (x->ngroups) {
            long long n = x12__num(hxe_x12_element(s, d, 1));
            if (n >= 0)
                hxe_x12_ack_included(&c->grps[c->ngrp - 1].ack, n);
        }
    } else if (!strcmp(s->id, "IEA")) {
        c->ixs[c->nix - 1].end = s->offset + s->n + s->tail;
    }
    return 0;
}

/* The interchange an envelope issue at offset off belongs to */
static ix *ix_at(actx *c, size_t off)
{
    for (size_t i = c->nix; i-- > 0;) {
        ix *x = &c->ixs[i];
        if (off >= x->isa.offset)
            return off < x->end ? x : NULL;
    }
    return NULL;
}

static grp *grp_at(actx *c, const ix *x, size_t off)
{
    grp *best = NULL;
    for (size_t g = x->first_group; g < x->first_group + x->ngroups; g++)
        if (c->grps[g].offset <= off)
            best = &c->grps[g];
    return best;
}

int hxe_x12_acknowledge(const char *buf, size_t len, const hxe_x12_ack_opts *opts,
                        hxe_x12_ack_seq *seq, hxe_buf *out, hxe_x12_ack_summary *sum,
                        hxe_err *err)
{
    hxe_x12_ack_opts o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    /* one date and time for every answer of this run */
    hxe_x12_ack tmp;
    hxe_x12_ack_init(&tmp, NULL, NULL, &o);
    o = tmp.o;
    hxe_x12_ack_free(&tmp);

    hxe_x12_ack_summary dummy;
    if (!sum)
        sum = &dummy;
    memset(sum, 0, sizeof *sum);
    actx c;
    memset(&c, 0, sizeof c);
    c.o = &o;
    hxe_issues env = HXE_ISSUES_INIT, is = HXE_ISSUES_INIT;
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, buf, len, &o.read, &env);
    r.sink = sink;
    r.sink_data = &c;
    hxe_arena a;
    hxe_arena_init(&a, 64 * 1024, 0);
    int rc = 0;
    for (;;) {
        hxe_x12_set *s = NULL;
        hxe_issues_clear(&is);
        int k = hxe_x12_reader_next(&r, &a, &s, &is, err);
        if (c.failed) {
            rc = hxe_err_set(err, HXE_ENOMEM, "out of memory keeping the envelopes");
            break;
        }
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == HXE_X12_UNIT_END)
            break;
        if (k == HXE_X12_UNIT_SET && s->gs.functional_id[0] && c.ngrp &&
            c.grps[c.ngrp - 1].offset == s->gs.offset) {
            (void)hxe_x12_parse_loops(s, &a, &o.read, &is);
            hxe_x12_validate_opts vo = {o.snip, 0};
            rc = hxe_x12_validate(s, &vo, &is);
            int st = rc ? rc : hxe_x12_ack_set(&c.grps[c.ngrp - 1].ack, s, &is);
            if (st < 0) {
                rc = hxe_err_set(err, st, "set %zu of group %zu: %s", s->index, c.ngrp,
                                 hxe_strerror(st));
                break;
            }
            sum->sets++;
            if (st != 'R')
                sum->sets_accepted++;
        }
        hxe_arena_reset(&a);
    }
    if (!rc && !r.interchanges)
        rc = hxe_err_set(err, HXE_EPARSE, "no interchange (ISA) found");
    if (!rc) {
        /* group problems to their groups */
        for (size_t i = 0; i < env.n; i++) {
            const hxe_issue *it = &env.v[i];
            if (hxe_x12_code_level(it->code) != HXE_X12_GRP || it->severity < HXE_SEV_ERROR)
                continue;
            ix *x = ix_at(&c, it->loc.offset);
            grp *g = x ? grp_at(&c, x, it->loc.offset) : NULL;
            if (g)
                hxe_x12_ack_group_code(&g->ack, it->code);
        }
        sum->interchanges = c.nix;
        sum->groups = c.ngrp;
        hxe_issue *mine = env.n ? hxe_malloc(env.n * sizeof *mine) : NULL;
        if (env.n && !mine)
            rc = hxe_err_set(err, HXE_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < c.nix; i++) {
            ix *x = &c.ixs[i];
            size_t n = 0;
            for (size_t j = 0; j < env.n; j++)
                if (hxe_x12_code_level(env.v[j].code) == HXE_X12_TA1 &&
                    ix_at(&c, env.v[j].loc.offset) == x)
                    mine[n++] = env.v[j];
            char ack;
            int code;
            if (hxe_x12_ta1_status(&x->isa, mine, n, &ack, &code)) {
                rc = hxe_x12_ta1_write(&x->isa, ack, code, &o, seq, out);
                sum->ta1++;
                if (ack == 'R')
                    sum->ta1_rejected++;
                if (ack == 'R')
                    continue;   /* a rejected interchange's groups are not answered */
            }
            for (size_t g = x->first_group; !rc && g < x->first_group + x->ngroups; g++)
                rc = hxe_x12_ack_finish(&c.grps[g].ack, seq, out);
            if (rc)
                rc = hxe_err_set(err, rc, "writing the answer to interchange %zu", i + 1);
        }
        hxe_free(mine);
    }
    for (size_t g = 0; g < c.ngrp; g++)
        hxe_x12_ack_free(&c.grps[g].ack);
    hxe_free(c.grps);
    hxe_free(c.ixs);
    hxe_arena_free(&a);
    hxe_issues_free(&env);
    hxe_issues_free(&is);
    return rc;
}

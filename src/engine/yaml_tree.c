/*
 * yaml_tree.c — turns configuration text into a small tree of scalars,
 * mappings and sequences, each node with its line and column, using
 * libyaml's event parser.
 *
 * Why a tree and not libyaml's document API: we need the marks of every
 * node for error messages, hard limits on depth and node count checked
 * while reading (not after), and a refusal of anchors and aliases (the
 * "billion laughs" of YAML) before they expand. Everything lives in the
 * caller's arena, so the tree goes away with it.
 */
#include "internal.h"

#include <string.h>
#include <yaml.h>

typedef struct kid {
    ynode *n;
    struct kid *next;
} kid;

typedef struct frame {
    ynode *node;
    kid *first, *last;
    size_t count;
} frame;

typedef struct tree_ctx {
    hxe_arena *a;
    const char *name;
    hxe_err *err;
    frame *stack;
    unsigned depth, max_depth;
    size_t nodes, max_nodes;
    ynode *root;
} tree_ctx;

static int fail_at(tree_ctx *t, yaml_mark_t m, int code, const char *what)
{
    return hxe_err_set(t->err, code, "%s:%lu:%lu: %s", t->name, (unsigned long)m.line + 1,
                       (unsigned long)m.column + 1, what);
}

static int attach(tree_ctx *t, ynode *n, yaml_mark_t m)
{
    if (++t->nodes > t->max_nodes)
        return fail_at(t, m, HXE_ETOOBIG, "too many YAML nodes (limit max_nodes)");
    if (t->depth == 0) {
        if (t->root)
            return fail_at(t, m, HXE_EPARSE, "more than one YAML document");
        t->root = n;
        return 0;
    }
    frame *f = &t->stack[t->depth - 1];
    kid *k = hxe_arena_alloc(t->a, sizeof *k);
    if (!k)
        return hxe_err_set(t->err, HXE_ENOMEM, "%s: out of memory", t->name);
    k->n = n;
    k->next = NULL;
    if (f->last)
        f->last->next = k;
    else
        f->first = k;
    f->last = k;
    f->count++;
    return 0;
}

static ynode *new_node(tree_ctx *t, int type, yaml_mark_t m)
{
    ynode *n = hxe_arena_calloc(t->a, sizeof *n);
    if (n) {
        n->type = type;
        n->line = (unsigned)m.line + 1;
        n->col = (unsigned)m.column + 1;
    }
    return n;
}

static int open_container(tree_ctx *t, int type, yaml_mark_t m, const yaml_char_t *anchor)
{
    if (anchor)
        return fail_at(t, m, HXE_EPARSE, "YAML anchors are not supported");
    if (t->depth >= t->max_depth)
        return fail_at(t, m, HXE_ETOOBIG, "nesting too deep (limit max_depth)");
    ynode *n = new_node(t, type, m);
    if (!n)
        return hxe_err_set(t->err, HXE_ENOMEM, "%s: out of memory", t->name);
    int rc = attach(t, n, m);
    if (rc)
        return rc;
    frame *f = &t->stack[t->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    return 0;
}

static int close_container(tree_ctx *t)
{
    frame *f = &t->stack[--t->depth];
    ynode *n = f->node;
    if (f->count) {
        n->kids = hxe_arena_alloc(t->a, f->count * sizeof *n->kids);
        if (!n->kids)
            return hxe_err_set(t->err, HXE_ENOMEM, "%s: out of memory", t->name);
        size_t i = 0;
        for (kid *k = f->first; k; k = k->next)
            n->kids[i++] = k->n;
    }
    n->nkids = f->count;
    return 0;
}

static int on_event(tree_ctx *t, yaml_event_t *e)
{
    switch (e->type) {
    case YAML_ALIAS_EVENT:
        return fail_at(t, e->start_mark, HXE_EPARSE, "YAML aliases are not supported");
    case YAML_SCALAR_EVENT: {
        if (e->data.scalar.anchor)
            return fail_at(t, e->start_mark, HXE_EPARSE, "YAML anchors are not supported");
        ynode *n = new_node(t, YN_SCALAR, e->start_mark);
        if (!n)
            return hxe_err_set(t->err, HXE_ENOMEM, "%s: out of memory", t->name);
        n->n = e->data.scalar.length;
        n->s = hxe_arena_strndup(t->a, (const char *)e->data.scalar.value, n->n);
        if (!n->s)
            return hxe_err_set(t->err, HXE_ENOMEM, "%s: out of memory", t->name);
        n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return attach(t, n, e->start_mark);
    }
    case YAML_SEQUENCE_START_EVENT:
        return open_container(t, YN_SEQ, e->start_mark, e->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        return open_container(t, YN_MAP, e->start_mark, e->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return close_container(t);
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return 0;
    }
    return 0;
}

int hxe__yaml_tree(ynode **out, hxe_arena *a, const char *buf, size_t len,
                   const hxe_config_opts *o, const char *name, hxe_err *err)
{
    tree_ctx t;
    memset(&t, 0, sizeof t);
    t.a = a;
    t.name = name;
    t.err = err;
    t.max_depth = o && o->max_depth ? o->max_depth : HXE_CONFIG_MAX_DEPTH_DEFAULT;
    t.max_nodes = o && o->max_nodes ? o->max_nodes : HXE_CONFIG_MAX_NODES_DEFAULT;
    t.stack = hxe_calloc(t.max_depth, sizeof *t.stack);
    if (!t.stack)
        return hxe_err_set(err, HXE_ENOMEM, "%s: out of memory", name);

    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        hxe_free(t.stack);
        return hxe_err_set(err, HXE_ENOMEM, "%s: out of memory", name);
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int rc = 0, done = 0;
    while (!done && rc == 0) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            /* libyaml's problem texts are fixed strings, never input */
            rc = hxe_err_set(err, HXE_EPARSE, "%s:%lu:%lu: YAML: %s%s%s", name,
                             (unsigned long)p.problem_mark.line + 1,
                             (unsigned long)p.problem_mark.column + 1,
                             p.problem ? p.problem : "syntax error",
                             p.context ? " " : "", p.context ? p.context : "");
            break;
        }
        done = e.type == YAML_STREAM_END_EVENT;
        rc = on_event(&t, &e);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    hxe_free(t.stack);
    if (rc)
        return rc;
    *out = t.root;
    return 0;
}

/*
 * rule_parse.c — compiles rule text into a tree, once, at configuration
 * load: a hand-written lexer and a recursive-descent parser for
 *
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' expr ')' | 'exists' PATH | PATH test
 *   test    := ('=='|'!='|'<'|'<='|'>'|'>=') (STRING | PATH)
 *            | 'in' '[' STRING (',' STRING)* ']'
 *            | 'matches' STRING
 *   action  := 'set' PATH '=' (STRING | PATH) ['when' expr]
 *            | 'delete' PATH ['when' expr]
 *
 * Length, nesting depth, node count and list size are bounded (the rule
 * text comes from a configuration file, but a fuzzer feeds it too).
 * Errors give the 1-based column and never quote the text.
 */
#include "rule_int.h"

#include <ctype.h>
#include <string.h>

enum tok {
    T_END = 0, T_PATH, T_STRING, T_WORD, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_ASSIGN, T_BAD
};

typedef struct parser {
    const char *s;
    size_t n, pos;
    size_t col0;             /* column offset of s in the text the user wrote */
    int tok;
    size_t tstart, tlen;     /* current token */
    hxe_rule_limits lim;
    unsigned depth;
    size_t nodes;
    hxe_arena *a;
    hxe_rule *r;             /* regexes are chained here */
    hxe_err *err;
} parser;

/* Patterns glibc's regcomp would take seconds or gigabytes to compile:
 * it copies a subexpression once per repetition, so stacked repetition
 * operators (`a++++`, `(x*)*{9}`) and large bounds multiply. Refused by
 * their shape, before regcomp sees them: at most HXE_RULE_RE_MAX bytes, no
 * repetition operator right after another, and the bounds of all {m,n}
 * adding up to at most 255. Returns the reason or NULL. */
#define HXE_RULE_RE_MAX 1024

static const char *re_too_costly(const char *s, size_t n)
{
    if (n > HXE_RULE_RE_MAX)
        return "a regular expression is limited to 1024 bytes";
    int after_rep = 0;
    unsigned long bounds = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            i++;
            after_rep = 0;
        } else if (c == '[') {
            /* a bracket expression: ']' first is literal, then to ']' */
            size_t j = i + 1;
            if (j < n && s[j] == '^')
                j++;
            if (j < n && s[j] == ']')
                j++;
            while (j < n && s[j] != ']')
                j++;
            i = j;
            after_rep = 0;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (after_rep)
                return "a repetition operator right after another one";
            if (c == '{') {
                size_t j = i + 1;
                unsigned long v = 0, most = 0;
                for (; j < n && s[j] != '}'; j++) {
                    if (s[j] >= '0' && s[j] <= '9')
                        v = v > 255 ? v : v * 10 + (unsigned long)(s[j] - '0');
                    else if (s[j] == ',')
                        v = 0;
                    most = v > most ? v : most;
                }
                if ((bounds += most) > 255)
                    return "repetition bounds {m,n} may add up to 255 at most";
                i = j;
            }
            after_rep = 1;
        } else {
            after_rep = 0;
        }
    }
    return NULL;
}

static int fail(parser *p, size_t at, const char *what)
{
    return hxe_err_set(p->err, HXE_EPARSE, "col %zu: %s", p->col0 + at + 1, what);
}

static void lex(parser *p)
{
    while (p->pos < p->n && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
    p->tstart = p->pos;
    if (p->pos >= p->n) {
        p->tok = T_END;
        p->tlen = 0;
        return;
    }
    const char *s = p->s;
    char c = s[p->pos];
    size_t i = p->pos;
    if (c == '"') {
        i++;
        while (i < p->n && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < p->n)
                i++;
            i++;
        }
        p->tok = i < p->n ? T_STRING : T_BAD;
        if (i < p->n)
            i++;
    } else if (isupper((unsigned char)c) || isdigit((unsigned char)c)) {
        /* a path: letters, digits, '-', '.', and [n] right after */
        while (i < p->n) {
            char d = s[i];
            if (isalnum((unsigned char)d) || d == '-' || d == '.') {
                i++;
            } else if (d == '[') {
                size_t j = i + 1;
                while (j < p->n && isdigit((unsigned char)s[j]))
                    j++;
                if (j < p->n && s[j] == ']' && j > i + 1)
                    i = j + 1;
                else
                    break;
            } else {
                break;
            }
        }
        p->tok = T_PATH;
    } else if (islower((unsigned char)c)) {
        while (i < p->n && (islower((unsigned char)s[i]) || s[i] == '_'))
            i++;
        p->tok = T_WORD;
    } else {
        i++;
        char d = i < p->n ? s[i] : 0;
        switch (c) {
        case '(': p->tok = T_LPAREN; break;
        case ')': p->tok = T_RPAREN; break;
        case '[': p->tok = T_LBRACK; break;
        case ']': p->tok = T_RBRACK; break;
        case ',': p->tok = T_COMMA; break;
        case '=':
            if (d == '=') {
                p->tok = T_EQ;
                i++;
            } else {
                p->tok = T_ASSIGN;
            }
            break;
        case '!':
            p->tok = d == '=' ? T_NE : T_BAD;
            i += d == '=';
            break;
        case '<':
            p->tok = d == '=' ? T_LE : T_LT;
            i += d == '=';
            break;
        case '>':
            p->tok = d == '=' ? T_GE : T_GT;
            i += d == '=';
            break;
        default: p->tok = T_BAD; break;
        }
    }
    p->tlen = i - p->pos;
    p->pos = i;
}

static int is_word(const parser *p, const char *w)
{
    return p->tok == T_WORD && strlen(w) == p->tlen && memcmp(p->s + p->tstart, w, p->tlen) == 0;
}

static rnode *new_node(parser *p, int kind)
{
    if (++p->nodes > p->lim.max_nodes) {
        hxe_err_set(p->err, HXE_ETOOBIG, "col %zu: rule has too many terms (limit %zu)",
                    p->col0 + p->tstart + 1, p->lim.max_nodes);
        return NULL;
    }
    rnode *n = hxe_arena_calloc(p->a, sizeof *n);
    if (!n)
        hxe_err_set(p->err, HXE_ENOMEM, "out of memory");
    else
        n->kind = kind;
    return n;
}

static int take_path(parser *p, hxe_hl7_path *out)
{
    if (p->tok != T_PATH)
        return fail(p, p->tstart, "expected an HL7 path such as PID-3.1");
    hxe_err e = {0};
    if (hxe_hl7_path_parse(out, p->s + p->tstart, p->tlen, &e))
        return fail(p, p->tstart, "not a valid HL7 path (write SEG-F[.C[.S]], SEG[n]-F, F[r])");
    lex(p);
    return 0;
}

static int take_string(parser *p, rlit *out)
{
    if (p->tok == T_BAD && p->tstart < p->n && p->s[p->tstart] == '"')
        return fail(p, p->tstart, "unterminated string");
    if (p->tok != T_STRING)
        return fail(p, p->tstart, "expected a \"string\"");
    const char *s = p->s + p->tstart + 1;
    size_t n = p->tlen - 2;
    char *o = hxe_arena_alloc(p->a, n + 1);
    if (!o)
        return hxe_err_set(p->err, HXE_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char d = s[++i];
            c = d == 'n' ? '\n' : d == 't' ? '\t' : d == 'r' ? '\r' : d;
        }
        o[k++] = c;
    }
    o[k] = '\0';
    out->s = o;
    out->n = k;
    lex(p);
    return 0;
}

static int parse_expr(parser *p, rnode **out);

static int parse_test(parser *p, rnode **out)
{
    hxe_hl7_path path;
    size_t pat = p->tstart;
    int rc = take_path(p, &path);
    if (rc)
        return rc;
    if (path.field == 0)
        return fail(p, pat, "compare a field path (SEG-F...), not a whole segment");
    rnode *n;
    size_t at = p->tstart;
    if (p->tok >= T_EQ && p->tok <= T_GE) {
        static const int ops[] = {ROP_EQ, ROP_NE, ROP_LT, ROP_LE, ROP_GT, ROP_GE};
        if (!(n = new_node(p, RK_CMP)))
            return p->err ? p->err->code : HXE_ENOMEM;
        n->op = ops[p->tok - T_EQ];
        lex(p);
        if (p->tok == T_PATH) {
            size_t rat = p->tstart;
            n->rhs_is_path = 1;
            if ((rc = take_path(p, &n->path2)) == 0 && n->path2.field == 0)
                rc = fail(p, rat, "expected a \"string\" or a field path (quote literal values)");
        } else {
            rc = take_string(p, &n->lit);
        }
    } else if (is_word(p, "in")) {
        if (!(n = new_node(p, RK_IN)))
            return p->err ? p->err->code : HXE_ENOMEM;
        lex(p);
        if (p->tok != T_LBRACK)
            return fail(p, p->tstart, "expected '[' after 'in'");
        lex(p);
        size_t cap = 8;
        n->list = hxe_arena_alloc(p->a, cap * sizeof *n->list);
        if (!n->list)
            return hxe_err_set(p->err, HXE_ENOMEM, "out of memory");
        for (;;) {
            if (n->nlist == p->lim.max_list)
                return hxe_err_set(p->err, HXE_ETOOBIG, "col %zu: list too long (limit %zu)",
                                   p->col0 + p->tstart + 1, p->lim.max_list);
            if (n->nlist == cap) {
                rlit *bigger = hxe_arena_alloc(p->a, 2 * cap * sizeof *bigger);
                if (!bigger)
                    return hxe_err_set(p->err, HXE_ENOMEM, "out of memory");
                memcpy(bigger, n->list, cap * sizeof *bigger);
                n->list = bigger;
                cap *= 2;
            }
            if ((rc = take_string(p, &n->list[n->nlist++])))
                return rc;
            if (p->tok == T_RBRACK)
                break;
            if (p->tok != T_COMMA)
                return fail(p, p->tstart, "expected ',' or ']' in the list");
            lex(p);
        }
        lex(p);
    } else if (is_word(p, "matches")) {
        if (!(n = new_node(p, RK_MATCH)))
            return p->err ? p->err->code : HXE_ENOMEM;
        lex(p);
        size_t sat = p->tstart;
        if ((rc = take_string(p, &n->lit)))
            return rc;
        /* back-references make POSIX matching exponential: refused */
        for (size_t i = 0; i + 1 < n->lit.n; i++)
            if (n->lit.s[i] == '\\' && n->lit.s[i + 1] >= '1' && n->lit.s[i + 1] <= '9')
                return fail(p, sat, "back-references are not supported in regular expressions");
        const char *why = re_too_costly(n->lit.s, n->lit.n);
        if (why)
            return fail(p, sat, why);
        if (memchr(n->lit.s, '\0', n->lit.n) || regcomp(&n->re, n->lit.s, REG_EXTENDED | REG_NOSUB))
            return fail(p, sat, "not a valid POSIX extended regular expression");
        n->next_re = p->r->regexes;
        p->r->regexes = n;
    } else {
        return fail(p, at, "expected ==, !=, <, <=, >, >=, in or matches after the path");
    }
    if (rc)
        return rc;
    n->path = path;
    *out = n;
    return 0;
}

static int parse_unary(parser *p, rnode **out)
{
    if (++p->depth > p->lim.max_depth)
        return hxe_err_set(p->err, HXE_ETOOBIG, "col %zu: rule nested too deeply (limit %u)",
                           p->col0 + p->tstart + 1, p->lim.max_depth);
    int rc;
    if (is_word(p, "not")) {
        rnode *n = new_node(p, RK_NOT);
        if (!n)
            return p->err ? p->err->code : HXE_ENOMEM;
        lex(p);
        rc = parse_unary(p, &n->a);
        *out = n;
    } else if (p->tok == T_LPAREN) {
        lex(p);
        if ((rc = parse_expr(p, out)) == 0) {
            if (p->tok != T_RPAREN)
                rc = fail(p, p->tstart, "expected ')'");
            else
                lex(p);
        }
    } else if (is_word(p, "exists")) {
        rnode *n = new_node(p, RK_EXISTS);
        if (!n)
            return p->err ? p->err->code : HXE_ENOMEM;
        lex(p);
        rc = take_path(p, &n->path);
        *out = n;
    } else if (p->tok == T_PATH) {
        rc = parse_test(p, out);
    } else if (p->tok == T_END) {
        rc = fail(p, p->tstart, "the condition ends too early");
    } else {
        rc = fail(p, p->tstart, "expected a path, 'exists', 'not' or '('");
    }
    p->depth--;
    return rc;
}

static int parse_chain(parser *p, rnode **out, const char *word, int kind,
                       int (*sub)(parser *, rnode **))
{
    int rc = sub(p, out);
    while (rc == 0 && is_word(p, word)) {
        rnode *n = new_node(p, kind);
        if (!n)
            return p->err ? p->err->code : HXE_ENOMEM;
        lex(p);
        n->a = *out;
        rc = sub(p, &n->b);
        *out = n;
    }
    return rc;
}

static int parse_and(parser *p, rnode **out)
{
    return parse_chain(p, out, "and", RK_AND, parse_unary);
}

static int parse_expr(parser *p, rnode **out)
{
    if (++p->depth > p->lim.max_depth)
        return hxe_err_set(p->err, HXE_ETOOBIG, "col %zu: rule nested too deeply (limit %u)",
                           p->col0 + p->tstart + 1, p->lim.max_depth);
    int rc = parse_chain(p, out, "or", RK_OR, parse_and);
    p->depth--;
    return rc;
}

static void limits(hxe_rule_limits *o, const hxe_rule_limits *lim)
{
    o->max_length = lim && lim->max_length ? lim->max_length : HXE_RULE_MAX_LENGTH_DEFAULT;
    o->max_depth = lim && lim->max_depth ? lim->max_depth : HXE_RULE_MAX_DEPTH_DEFAULT;
    o->max_nodes = lim && lim->max_nodes ? lim->max_nodes : HXE_RULE_MAX_NODES_DEFAULT;
    o->max_list = lim && lim->max_list ? lim->max_list : HXE_RULE_MAX_LIST_DEFAULT;
}

static int compile_at(hxe_rule **out, const char *text, size_t n, size_t col0,
                      const hxe_rule_limits *lim, hxe_err *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    limits(&p.lim, lim);
    if (n > p.lim.max_length)
        return hxe_err_set(err, HXE_ETOOBIG, "rule longer than %zu bytes", p.lim.max_length);
    hxe_rule *r = hxe_calloc(1, sizeof *r);
    if (!r)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    hxe_arena_init(&r->arena, 1024, 0);
    p.s = text ? text : "";
    p.n = text ? n : 0;
    p.col0 = col0;
    p.a = &r->arena;
    p.r = r;
    p.err = err;
    hxe_err local = {0};
    if (!p.err)
        p.err = &local;
    lex(&p);
    int rc = parse_expr(&p, &r->root);
    if (rc == 0 && p.tok != T_END)
        rc = fail(&p, p.tstart, is_word(&p, "when") ? "'when' belongs after an action"
                                                    : "expected 'and', 'or' or the end of the rule");
    if (rc) {
        hxe_rule_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int hxe_rule_compile(hxe_rule **out, const char *text, size_t n, const hxe_rule_limits *lim,
                     hxe_err *err)
{
    return compile_at(out, text, n, 0, lim, err);
}

void hxe_rule_free(hxe_rule *r)
{
    if (!r)
        return;
    for (rnode *n = r->regexes; n; n = n->next_re)
        regfree(&n->re);
    hxe_arena_free(&r->arena);
    hxe_free(r);
}

int hxe__action_parse(raction *a, hxe_arena *ar, const char *text, size_t n,
                      const hxe_rule_limits *lim, hxe_err *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    limits(&p.lim, lim);
    if (n > p.lim.max_length)
        return hxe_err_set(err, HXE_ETOOBIG, "action longer than %zu bytes", p.lim.max_length);
    hxe_err local = {0};
    p.s = text ? text : "";
    p.n = text ? n : 0;
    p.a = ar;
    p.err = err ? err : &local;
    memset(a, 0, sizeof *a);
    lex(&p);
    int rc;
    size_t pat = 0;
    if (is_word(&p, "set")) {
        lex(&p);
        pat = p.tstart;
        if ((rc = take_path(&p, &a->path)))
            return rc;
        if (p.tok != T_ASSIGN)
            return fail(&p, p.tstart, "expected '=' after the path");
        lex(&p);
        if (p.tok == T_PATH) {
            size_t rat = p.tstart;
            a->kind = AK_COPY;
            if ((rc = take_path(&p, &a->src)) == 0 && a->src.field == 0)
                rc = fail(&p, rat, "expected a \"string\" or a field path to copy");
        } else {
            a->kind = AK_SET;
            rc = take_string(&p, &a->value);
        }
        if (rc)
            return rc;
    } else if (is_word(&p, "delete")) {
        lex(&p);
        a->kind = AK_DELETE;
        pat = p.tstart;
        if ((rc = take_path(&p, &a->path)))
            return rc;
        if (a->path.seg_seq <= 1 && a->path.field == 0 && strcmp(a->path.seg, "MSH") == 0)
            return fail(&p, pat, "MSH cannot be deleted");
    } else {
        return fail(&p, p.tstart, "an action starts with 'set' or 'delete'");
    }
    if (a->path.field == 0 && a->kind != AK_DELETE)
        return fail(&p, pat, "set needs a field path (SEG-F)");
    if (strcmp(a->path.seg, "MSH") == 0 && (a->path.field == 1 || a->path.field == 2))
        return fail(&p, pat, "MSH-1 and MSH-2 cannot be changed");
    if (p.tok == T_END)
        return 0;
    if (!is_word(&p, "when"))
        return fail(&p, p.tstart, "expected 'when' or the end of the action");
    return compile_at(&a->when, p.s + p.pos, p.n - p.pos, p.pos, lim, p.err);
}

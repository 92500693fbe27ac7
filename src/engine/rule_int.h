/*
 * rule_int.h — the compiled form of rules and transformer actions,
 * shared by rule_parse.c (text -> tree) and rule_eval.c (tree x message
 * -> verdict or edits). Private to the engine.
 */
#ifndef HXE_ENGINE_RULE_INT_H
#define HXE_ENGINE_RULE_INT_H

#include "engine.h"

#include <regex.h>

enum rkind { RK_OR = 1, RK_AND, RK_NOT, RK_EXISTS, RK_CMP, RK_IN, RK_MATCH };
enum rop { ROP_EQ = 1, ROP_NE, ROP_LT, ROP_LE, ROP_GT, ROP_GE };

typedef struct rlit {
    char *s;                 /* NUL-terminated, escapes resolved */
    size_t n;
} rlit;

typedef struct rnode {
    int kind;                /* enum rkind */
    int op;                  /* enum rop for RK_CMP */
    struct rnode *a, *b;     /* operands of and/or/not */
    hxe_hl7_path path;       /* left side */
    int rhs_is_path;         /* RK_CMP: compare with path2, not lit */
    hxe_hl7_path path2;
    rlit lit;
    rlit *list;              /* RK_IN */
    size_t nlist;
    regex_t re;              /* RK_MATCH */
    struct rnode *next_re;   /* chain of nodes holding a regex, for regfree */
} rnode;

struct hxe_rule {
    hxe_arena arena;         /* nodes and literals */
    rnode *root;
    rnode *regexes;
};

enum akind { AK_SET = 1, AK_COPY, AK_DELETE };

typedef struct raction {
    int kind;                /* enum akind */
    hxe_hl7_path path;
    hxe_hl7_path src;        /* AK_COPY */
    rlit value;              /* AK_SET */
    hxe_rule *when;          /* NULL: always */
} raction;

struct hxe_xform {
    raction *v;
    size_t n, cap;
    hxe_arena arena;
};

/* Parses an action ("set P = ...", "delete P", "... when COND") into a. */
int hxe__action_parse(raction *a, hxe_arena *ar, const char *text, size_t n,
                      const hxe_rule_limits *lim, hxe_err *err);

#endif

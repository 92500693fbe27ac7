/*
 * internal.h — what the engine's files share and nobody else sees: the
 * YAML node tree the configuration is read from, and the reading context
 * (key path, error formatting, ${ENV} interpolation, typed readers).
 */
#ifndef HXE_ENGINE_INTERNAL_H
#define HXE_ENGINE_INTERNAL_H

#include "engine.h"

/* ---- YAML as a tree (yaml_tree.c) ---- */
enum ynode_type { YN_SCALAR = 1, YN_MAP = 2, YN_SEQ = 3 };

typedef struct ynode {
    int type;
    unsigned line, col;      /* 1-based */
    char *s;                 /* scalar text, NUL-terminated (raw, not interpolated) */
    size_t n;
    int plain;               /* scalar was unquoted (so "null"/"~" mean nothing) */
    struct ynode **kids;     /* map: key, value, key, value...; seq: items */
    size_t nkids;
} ynode;

/* Builds the tree in arena a. Anchors and aliases are refused (they are
 * how YAML bombs are made and a configuration never needs them). */
int hxe__yaml_tree(ynode **out, hxe_arena *a, const char *buf, size_t len,
                   const hxe_config_opts *o, const char *name, hxe_err *err);

/* ---- the reading context (config_read.c) ---- */
typedef struct cfg_ctx {
    hxe_config *cfg;
    hxe_arena *a;
    const hxe_config_opts *o;
    const char *name;        /* file name for messages */
    const char *base_dir;
    char path[256];          /* key path being read: channels[2].source.port */
    size_t plen;
    hxe_err *err;
} cfg_ctx;

/* Key path bookkeeping: push returns the previous length to pop to. */
size_t hxe__cfg_push(cfg_ctx *c, const char *key);
size_t hxe__cfg_push_index(cfg_ctx *c, size_t i);
void hxe__cfg_pop(cfg_ctx *c, size_t mark);

/* Sets err to "NAME:LINE:COL: PATH: msg" and returns HXE_EPARSE. */
int hxe__cfg_fail(cfg_ctx *c, const ynode *at, const char *fmt, ...) HXE_PRINTF(3, 4);

/* Checks that n is a mapping whose keys are all in `allowed` (NULL
 * ended) and none repeats. */
int hxe__cfg_map(cfg_ctx *c, const ynode *n, const char *const *allowed);
/* The value of key in map n, or NULL. */
const ynode *hxe__cfg_get(const ynode *n, const char *key);
/* 1 when n is an explicit YAML null (~, null, empty plain scalar). */
int hxe__cfg_is_null(const ynode *n);

/* Typed readers: read key of map `map` into out. When the key is absent
 * they leave *out as it is (the default) and return 0; `required` makes
 * absence an error. Scalars are interpolated (${ENV}) first. */
int hxe__cfg_str(cfg_ctx *c, const ynode *map, const char *key, int required, char **out);
int hxe__cfg_uint(cfg_ctx *c, const ynode *map, const char *key, int required, uint64_t min,
                  uint64_t max, uint64_t *out);
int hxe__cfg_u32(cfg_ctx *c, const ynode *map, const char *key, uint32_t min, uint32_t max,
                 uint32_t *out);
int hxe__cfg_port(cfg_ctx *c, const ynode *map, const char *key, int required, uint16_t *out);
int hxe__cfg_bool(cfg_ctx *c, const ynode *map, const char *key, int *out);
int hxe__cfg_double(cfg_ctx *c, const ynode *map, const char *key, double min, double max,
                    double *out);
int hxe__cfg_duration(cfg_ctx *c, const ynode *map, const char *key, uint64_t *out_ms);
int hxe__cfg_size(cfg_ctx *c, const ynode *map, const char *key, uint64_t *out);
/* names is a NULL-ended list; *out is the index. */
int hxe__cfg_enum(cfg_ctx *c, const ynode *map, const char *key, const char *const *names,
                  int *out);
/* Interpolates a scalar node into the arena (value never in errors). */
int hxe__cfg_scalar(cfg_ctx *c, const ynode *n, char **out, size_t *len);
/* Names: [A-Za-z0-9_.-]{1,64}. */
int hxe__cfg_name(cfg_ctx *c, const ynode *map, const char *key, char **out);

/* Appends segment p->seg when the path's occurrence is the next one
 * (rule_eval.c); 0 when it exists or was added. */
int hxe__ensure_segment(hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_err *e);

/* ---- sections (config.c, config_dest.c, config_check.c) ---- */
int hxe__cfg_channel(cfg_ctx *c, const ynode *n, hxe_channel_conf *ch);
int hxe__cfg_dest(cfg_ctx *c, const ynode *n, const hxe_channel_conf *ch, hxe_dest_conf *d);
int hxe__cfg_step(cfg_ctx *c, const ynode *n, const hxe_channel_conf *ch, int transformer,
                  hxe_step_conf *st);
int hxe__cfg_tls(cfg_ctx *c, const ynode *map, int listener, hxe_tls_conf *t);
/* store_level: the store's pruning (also takes `interval`), else a channel's. */
int hxe__cfg_pruning(cfg_ctx *c, const ynode *map, hxe_pruning_conf *p, int store_level);
int hxe__cfg_check(cfg_ctx *c, const ynode *root);
/* Frees what the arena does not own (compiled rules). */
void hxe__cfg_release(hxe_config *cfg);

#endif

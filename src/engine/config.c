/*
 * config.c — the configuration's entry points and its top-level schema:
 * store, log, tenants, and each channel with its source and accept list.
 * Destinations, filters and transformers are read in config_dest.c; cross
 * references are checked in config_check.c.
 *
 * Everything the configuration holds lives in one arena owned by the
 * hxe_config, except compiled rules (regexes), which
 * hxe__cfg_release frees. Defaults are set before a section is read, so
 * an absent key keeps its documented default.
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const top_keys[] = {"version", "store", "log", "tenants", "channels", NULL};
static const char *const store_keys[] = {"backend", "path", "group_commit", "pruning", NULL};
static const char *const gc_keys[] = {"batch", "wait", NULL};
static const char *const log_keys[] = {"level", NULL};
static const char *const tenant_keys[] = {"name", "description", NULL};
static const char *const channel_keys[] = {
    "name",        "tenant",     "enabled",          "description", "source",
    "accept",      "validation", "validation_version", "duplicate_window", "filter",
    "transformer", "destinations", "pruning",        NULL};
static const char *const mllp_src_keys[] = {"type", "host", "port", "tls", "max_message",
                                            "idle_timeout", "max_connections", NULL};
static const char *const http_src_keys[] = {"type", "host", "port", "path", "tls", "max_message",
                                            "idle_timeout", "max_connections", NULL};
static const char *const dir_src_keys[] = {"type",     "path",      "pattern",     "poll_interval",
                                           "min_age",  "done_dir",  "error_dir",   "max_message",
                                           NULL};
static const char *const source_types[] = {"mllp", "directory", "http", NULL};
static const char *const validation_names[] = {"off", "warn", "error", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", "off", NULL};
static const char *const backends[] = {"sqlite", NULL};

static char *arena_join(hxe_arena *a, const char *dir, const char *leaf)
{
    size_t dn = strlen(dir), ln = strlen(leaf);
    char *s = hxe_arena_alloc(a, dn + ln + 2);
    if (s) {
        memcpy(s, dir, dn);
        s[dn] = '/';
        memcpy(s + dn + 1, leaf, ln + 1);
    }
    return s;
}

static int read_source(cfg_ctx *c, const ynode *n, hxe_source_conf *s)
{
    if (!n || n->type != YN_MAP)
        return hxe__cfg_fail(c, n, "expected a mapping with a type (mllp, directory, http)");
    int rc = 0;
    if (!hxe__cfg_get(n, "type"))
        return hxe__cfg_fail(c, n, "missing required key 'type' (mllp, directory, http)");
    if ((rc = hxe__cfg_enum(c, n, "type", source_types, &s->type)))
        return rc;
    const char *const *keys = s->type == HXE_SOURCE_MLLP   ? mllp_src_keys
                              : s->type == HXE_SOURCE_HTTP ? http_src_keys
                                                           : dir_src_keys;
    if ((rc = hxe__cfg_map(c, n, keys)))
        return rc;
    s->max_message = HXE_DEFAULT_MAX_MESSAGE;
    if ((rc = hxe__cfg_size(c, n, "max_message", &s->max_message)))
        return rc;
    if (s->max_message == 0 || s->max_message > ((uint64_t)1 << 30))
        return hxe__cfg_fail(c, hxe__cfg_get(n, "max_message"), "max_message must be 1 B to 1 GiB");
    if (s->type == HXE_SOURCE_DIRECTORY) {
        s->pattern = "*";
        s->poll_interval_ms = HXE_DEFAULT_POLL_INTERVAL_MS;
        if ((rc = hxe__cfg_str(c, n, "path", 1, &s->dir)) ||
            (rc = hxe__cfg_str(c, n, "pattern", 0, &s->pattern)) ||
            (rc = hxe__cfg_duration(c, n, "poll_interval", &s->poll_interval_ms)) ||
            (rc = hxe__cfg_duration(c, n, "min_age", &s->min_age_ms)) ||
            (rc = hxe__cfg_str(c, n, "done_dir", 0, &s->done_dir)) ||
            (rc = hxe__cfg_str(c, n, "error_dir", 0, &s->error_dir)))
            return rc;
        if (s->poll_interval_ms < 10)
            return hxe__cfg_fail(c, hxe__cfg_get(n, "poll_interval"), "poll_interval must be at least 10ms");
        if (!s->done_dir && !(s->done_dir = arena_join(c->a, s->dir, "done")))
            return HXE_ENOMEM;
        if (!s->error_dir && !(s->error_dir = arena_join(c->a, s->dir, "error")))
            return HXE_ENOMEM;
        return 0;
    }
    s->host = "127.0.0.1";
    s->idle_timeout_ms = HXE_DEFAULT_IDLE_TIMEOUT_MS;
    s->max_connections = HXE_DEFAULT_MAX_CONNECTIONS;
    s->http_path = "/";
    if ((rc = hxe__cfg_str(c, n, "host", 0, &s->host)) ||
        (rc = hxe__cfg_port(c, n, "port", 1, &s->port)) ||
        (rc = hxe__cfg_duration(c, n, "idle_timeout", &s->idle_timeout_ms)) ||
        (rc = hxe__cfg_u32(c, n, "max_connections", 1, 1000000, &s->max_connections)) ||
        (rc = hxe__cfg_tls(c, n, 1, &s->tls)))
        return rc;
    if (s->type == HXE_SOURCE_HTTP) {
        if ((rc = hxe__cfg_str(c, n, "path", 0, &s->http_path)))
            return rc;
        if (s->http_path[0] != '/')
            return hxe__cfg_fail(c, hxe__cfg_get(n, "path"), "an HTTP path starts with '/'");
    }
    return 0;
}

/* "ADT^A01", "ADT^*", "ADT" (= "ADT^*"), "*" */
static int accept_ok(const char *s)
{
    if (strcmp(s, "*") == 0)
        return 1;
    size_t n = strlen(s), parts = 1, run = 0;
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '^') {
            if (run == 0 || ++parts > 2)
                return 0;
            run = 0;
        } else if (isalnum((unsigned char)s[i]) || s[i] == '_' || (s[i] == '*' && parts == 2)) {
            run++;
        } else {
            return 0;
        }
    }
    return run > 0;
}

static int read_accept(cfg_ctx *c, const ynode *n, hxe_channel_conf *ch)
{
    if (!n)
        return 0;
    size_t mark = hxe__cfg_push(c, "accept");
    int rc = 0;
    size_t count = n->type == YN_SEQ ? n->nkids : 1;
    if (n->type == YN_MAP || count == 0) {
        rc = hxe__cfg_fail(c, n, "expected a message type or a list of them");
        goto out;
    }
    ch->accept = hxe_arena_calloc(c->a, count * sizeof *ch->accept);
    if (!ch->accept) {
        rc = HXE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const ynode *item = n->type == YN_SEQ ? n->kids[i] : n;
        size_t m2 = hxe__cfg_push_index(c, i);
        if ((rc = hxe__cfg_scalar(c, item, &ch->accept[i], NULL)) == 0 && !accept_ok(ch->accept[i]))
            rc = hxe__cfg_fail(c, item, "expected a type such as ADT^A01, ADT^* or *");
        hxe__cfg_pop(c, m2);
        if (rc)
            goto out;
    }
    ch->naccept = count;
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_channel(cfg_ctx *c, const ynode *n, hxe_channel_conf *ch)
{
    int rc = hxe__cfg_map(c, n, channel_keys);
    if (rc)
        return rc;
    ch->line = n->line;
    ch->enabled = 1;
    ch->validation = HXE_VALIDATION_WARN;
    ch->duplicate_window_ms = HXE_DEFAULT_DUPLICATE_WINDOW_MS;
    ch->pruning = c->cfg->store.pruning;
    if ((rc = hxe__cfg_name(c, n, "name", &ch->name)) ||
        (rc = hxe__cfg_name(c, n, "tenant", &ch->tenant)) ||
        (rc = hxe__cfg_bool(c, n, "enabled", &ch->enabled)) ||
        (rc = hxe__cfg_enum(c, n, "validation", validation_names, &ch->validation)) ||
        (rc = hxe__cfg_str(c, n, "validation_version", 0, &ch->validation_version)) ||
        (rc = hxe__cfg_duration(c, n, "duplicate_window", &ch->duplicate_window_ms)) ||
        (rc = read_accept(c, hxe__cfg_get(n, "accept"), ch)))
        return rc;
    const ynode *src = hxe__cfg_get(n, "source");
    if (!src)
        return hxe__cfg_fail(c, n, "missing required key 'source'");
    size_t mark = hxe__cfg_push(c, "source");
    rc = read_source(c, src, &ch->source);
    hxe__cfg_pop(c, mark);
    if (rc)
        return rc;
    const ynode *p = hxe__cfg_get(n, "pruning");
    if (p) {
        mark = hxe__cfg_push(c, "pruning");
        rc = hxe__cfg_pruning(c, p, &ch->pruning, 0);
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    static const char *const step_names[] = {"filter", "transformer"};
    hxe_step_conf *steps[] = {&ch->filter, &ch->transformer};
    for (int i = 0; i < 2; i++) {
        const ynode *sn = hxe__cfg_get(n, step_names[i]);
        if (!sn || hxe__cfg_is_null(sn))
            continue;
        mark = hxe__cfg_push(c, step_names[i]);
        rc = hxe__cfg_step(c, sn, ch, i, steps[i]);
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    const ynode *ds = hxe__cfg_get(n, "destinations");
    if (!ds)
        return hxe__cfg_fail(c, n, "missing required key 'destinations'");
    mark = hxe__cfg_push(c, "destinations");
    if (ds->type != YN_SEQ || ds->nkids == 0) {
        rc = hxe__cfg_fail(c, ds, "expected a list of one or more destinations");
        goto out;
    }
    ch->dests = hxe_arena_calloc(c->a, ds->nkids * sizeof *ch->dests);
    if (!ch->dests) {
        rc = HXE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < ds->nkids; i++) {
        size_t m2 = hxe__cfg_push_index(c, i);
        rc = hxe__cfg_dest(c, ds->kids[i], ch, &ch->dests[i]);
        ch->ndests = i + 1; /* counted even when failed: release frees what was compiled */
        hxe__cfg_pop(c, m2);
        if (rc)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ch->dests[j].name, ch->dests[i].name) == 0) {
                m2 = hxe__cfg_push_index(c, i);
                rc = hxe__cfg_fail(c, ds->kids[i], "destination name used twice in this channel");
                hxe__cfg_pop(c, m2);
                goto out;
            }
    }
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_pruning(cfg_ctx *c, const ynode *map, hxe_pruning_conf *p, int store_level)
{
    static const char *const keys[] = {"content_days", "metadata_days", NULL};
    static const char *const store_keys_[] = {"content_days", "metadata_days", "interval", NULL};
    int rc = hxe__cfg_map(c, map, store_level ? store_keys_ : keys);
    if (rc || (rc = hxe__cfg_u32(c, map, "content_days", 0, 36500, &p->content_days)) ||
        (rc = hxe__cfg_u32(c, map, "metadata_days", 0, 36500, &p->metadata_days)))
        return rc;
    if (p->metadata_days && (p->content_days == 0 || p->metadata_days < p->content_days))
        return hxe__cfg_fail(c, map, "metadata_days must be 0 (forever) or at least content_days");
    const ynode *iv = hxe__cfg_get(map, "interval");
    if (store_level && iv) {
        if ((rc = hxe__cfg_duration(c, map, "interval", &p->interval_ms)))
            return rc;
        if (p->interval_ms < 1000) {
            size_t mark = hxe__cfg_push(c, "interval");
            rc = hxe__cfg_fail(c, iv, "at least 1s");
            hxe__cfg_pop(c, mark);
            return rc;
        }
    }
    return 0;
}

static int read_store(cfg_ctx *c, const ynode *n, hxe_store_conf *s)
{
    int rc;
    if (!n)
        return 0;
    size_t mark = hxe__cfg_push(c, "store");
    if ((rc = hxe__cfg_map(c, n, store_keys)))
        goto out;
    int backend = 0;
    if ((rc = hxe__cfg_enum(c, n, "backend", backends, &backend)) ||
        (rc = hxe__cfg_str(c, n, "path", 0, &s->path)))
        goto out;
    const ynode *gc = hxe__cfg_get(n, "group_commit");
    if (gc) {
        size_t m2 = hxe__cfg_push(c, "group_commit");
        if ((rc = hxe__cfg_map(c, gc, gc_keys)) == 0 &&
            (rc = hxe__cfg_u32(c, gc, "batch", 1, 100000, &s->group_commit_batch)) == 0 &&
            (rc = hxe__cfg_duration(c, gc, "wait", &s->group_commit_wait_ms)) == 0 &&
            s->group_commit_wait_ms > 10000)
            rc = hxe__cfg_fail(c, hxe__cfg_get(gc, "wait"), "wait must be at most 10s");
        hxe__cfg_pop(c, m2);
        if (rc)
            goto out;
    }
    const ynode *p = hxe__cfg_get(n, "pruning");
    if (p) {
        size_t m2 = hxe__cfg_push(c, "pruning");
        rc = hxe__cfg_pruning(c, p, &s->pruning, 1);
        hxe__cfg_pop(c, m2);
    }
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

static int read_tenants(cfg_ctx *c, const ynode *n)
{
    if (!n)
        return hxe__cfg_fail(c, NULL, "missing required key 'tenants'");
    size_t mark = hxe__cfg_push(c, "tenants");
    int rc = 0;
    if (n->type != YN_SEQ || n->nkids == 0) {
        rc = hxe__cfg_fail(c, n, "expected a list of one or more tenants");
        goto out;
    }
    hxe_config *cfg = c->cfg;
    cfg->tenants = hxe_arena_calloc(c->a, n->nkids * sizeof *cfg->tenants);
    if (!cfg->tenants) {
        rc = HXE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        const ynode *t = n->kids[i];
        hxe_tenant_conf *tc = &cfg->tenants[i];
        size_t m2 = hxe__cfg_push_index(c, i);
        if (t->type == YN_SCALAR) {
            /* "- demo" is short for "- name: demo" */
            rc = hxe__cfg_fail(c, t, "write a tenant as '- name: NAME'");
        } else if ((rc = hxe__cfg_map(c, t, tenant_keys)) == 0 &&
                   (rc = hxe__cfg_name(c, t, "name", &tc->name)) == 0 &&
                   (rc = hxe__cfg_str(c, t, "description", 0, &tc->description)) == 0) {
            for (size_t j = 0; j < i; j++)
                if (strcmp(cfg->tenants[j].name, tc->name) == 0)
                    rc = hxe__cfg_fail(c, t, "tenant name used twice");
        }
        hxe__cfg_pop(c, m2);
        cfg->ntenants = i + 1;
    }
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

static int read_channels(cfg_ctx *c, const ynode *n)
{
    if (!n)
        return hxe__cfg_fail(c, NULL, "missing required key 'channels'");
    size_t mark = hxe__cfg_push(c, "channels");
    int rc = 0;
    hxe_config *cfg = c->cfg;
    if (n->type != YN_SEQ) {
        rc = hxe__cfg_fail(c, n, "expected a list of channels");
        goto out;
    }
    if (n->nkids) {
        cfg->channels = hxe_arena_calloc(c->a, n->nkids * sizeof *cfg->channels);
        if (!cfg->channels) {
            rc = HXE_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n->nkids && rc == 0; i++) {
        size_t m2 = hxe__cfg_push_index(c, i);
        cfg->nchannels = i + 1;
        rc = hxe__cfg_channel(c, n->kids[i], &cfg->channels[i]);
        hxe__cfg_pop(c, m2);
    }
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

static int parse_root(cfg_ctx *c, const ynode *root)
{
    hxe_config *cfg = c->cfg;
    if (!root || hxe__cfg_is_null(root))
        return hxe__cfg_fail(c, root, "the configuration is empty");
    int rc = hxe__cfg_map(c, root, top_keys);
    if (rc)
        return rc;
    uint64_t version = 1;
    if ((rc = hxe__cfg_uint(c, root, "version", 0, 1, 1, &version)))
        return rc;
    cfg->store.backend = "sqlite";
    cfg->store.path = "./var/hxe.db";
    cfg->store.group_commit_batch = HXE_DEFAULT_GROUP_COMMIT_BATCH;
    cfg->store.group_commit_wait_ms = HXE_DEFAULT_GROUP_COMMIT_WAIT_MS;
    cfg->store.pruning.content_days = HXE_DEFAULT_CONTENT_DAYS;
    cfg->store.pruning.metadata_days = HXE_DEFAULT_METADATA_DAYS;
    cfg->store.pruning.interval_ms = HXE_DEFAULT_PRUNE_INTERVAL_MS;
    cfg->log_level = HXE_LOG_INFO;
    if ((rc = read_store(c, hxe__cfg_get(root, "store"), &cfg->store)))
        return rc;
    const ynode *lg = hxe__cfg_get(root, "log");
    if (lg) {
        size_t mark = hxe__cfg_push(c, "log");
        if ((rc = hxe__cfg_map(c, lg, log_keys)) == 0)
            rc = hxe__cfg_enum(c, lg, "level", log_levels, &cfg->log_level);
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    if ((rc = read_tenants(c, hxe__cfg_get(root, "tenants"))) ||
        (rc = read_channels(c, hxe__cfg_get(root, "channels"))))
        return rc;
    return hxe__cfg_check(c, root);
}

void hxe_config_free(hxe_config *c)
{
    if (!c)
        return;
    hxe__cfg_release(c);
    hxe_arena_free(&c->arena);
    hxe_free(c);
}

static int parse_named(hxe_config **out, const char *buf, size_t len, const hxe_config_opts *o,
                       const char *name, const char *base_dir, hxe_err *err)
{
    size_t max = o && o->max_bytes ? o->max_bytes : HXE_CONFIG_MAX_BYTES_DEFAULT;
    if (len > max)
        return hxe_err_set(err, HXE_ETOOBIG, "%s: configuration larger than %zu bytes", name, max);
    if (!buf)
        buf = "";
    hxe_config *cfg = hxe_calloc(1, sizeof *cfg);
    if (!cfg)
        return hxe_err_set(err, HXE_ENOMEM, "%s: out of memory", name);
    hxe_arena_init(&cfg->arena, 16384, 0);
    cfg_ctx c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.a = &cfg->arena;
    c.o = o;
    c.err = err;
    c.name = cfg->source_name = hxe_arena_strndup(c.a, name, strlen(name));
    c.base_dir = hxe_arena_strndup(c.a, base_dir, strlen(base_dir));
    if (!c.name || !c.base_dir) {
        hxe_config_free(cfg);
        return hxe_err_set(err, HXE_ENOMEM, "%s: out of memory", name);
    }
    ynode *root = NULL;
    int rc = hxe__yaml_tree(&root, c.a, buf, len, o, c.name, err);
    if (rc == 0)
        rc = parse_root(&c, root);
    if (rc) {
        hxe_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int hxe_config_parse(hxe_config **out, const char *buf, size_t len, const hxe_config_opts *opts,
                     hxe_err *err)
{
    const char *name = opts && opts->name ? opts->name : "<config>";
    const char *base = opts && opts->base_dir ? opts->base_dir : ".";
    return parse_named(out, buf, len, opts, name, base, err);
}

int hxe_config_load(hxe_config **out, const char *path, const hxe_config_opts *opts, hxe_err *err)
{
    size_t max = opts && opts->max_bytes ? opts->max_bytes : HXE_CONFIG_MAX_BYTES_DEFAULT;
    hxe_buf b = HXE_BUF_INIT;
    int rc = hxe_read_file(path, max, &b, err);
    if (rc) {
        hxe_buf_free(&b);
        return rc;
    }
    char dir[4096];
    const char *base = opts && opts->base_dir ? opts->base_dir : NULL;
    if (!base) {
        const char *slash = strrchr(path, '/');
        if (!slash)
            base = ".";
        else if (slash == path)
            base = "/";
        else {
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
            base = dir;
        }
    }
    rc = parse_named(out, b.p, b.len, opts, path, base, err);
    hxe_buf_free(&b);
    return rc;
}

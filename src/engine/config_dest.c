/*
 * config_dest.c — the parts of a channel that say what happens after a
 * message is stored: filter and transformer steps (rules compiled and Lua
 * syntax-checked here, at load, so a bad rule never reaches a message),
 * destinations with their queue, retry, circuit breaker and rate limit,
 * and TLS settings shared by sources and destinations.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const dest_types[] = {"mllp", "http", "file", "channel", NULL};
static const char *const common_keys[] = {"name", "type", "queue", "retry", "circuit_breaker",
                                          "rate_limit", NULL};
static const char *const mllp_keys[] = {"host", "port", "tls", "ack_timeout", "connect_timeout",
                                        NULL};
static const char *const http_keys[] = {"url", "method", "headers", "timeout", "connect_timeout",
                                        "tls", NULL};
static const char *const methods[] = {"POST", "PUT", NULL};
static const char *const file_keys[] = {"path", "filename", NULL};
static const char *const chan_keys[] = {"channel", NULL};
static const char *const jitters[] = {"none", "full", "equal", NULL};
static const char *const orders[] = {"fifo", NULL};

int hxe__cfg_tls(cfg_ctx *c, const ynode *map, int listener, hxe_tls_conf *t)
{
    static const char *const lkeys[] = {"cert", "key", "ca", "require_client_cert", NULL};
    static const char *const ckeys[] = {"cert", "key", "ca", NULL};
    const ynode *n = hxe__cfg_get(map, "tls");
    if (!n || hxe__cfg_is_null(n))
        return 0;
    size_t mark = hxe__cfg_push(c, "tls");
    int rc;
    if (n->type == YN_MAP && n->nkids == 0) {
        rc = listener ? hxe__cfg_fail(c, n, "a listener needs cert and key") : 0;
        t->enabled = 1;
        goto out;
    }
    if ((rc = hxe__cfg_map(c, n, listener ? lkeys : ckeys)) ||
        (rc = hxe__cfg_str(c, n, "cert", listener, &t->cert)) ||
        (rc = hxe__cfg_str(c, n, "key", listener, &t->key)) ||
        (rc = hxe__cfg_str(c, n, "ca", 0, &t->ca)) ||
        (rc = hxe__cfg_bool(c, n, "require_client_cert", &t->require_client_cert)))
        goto out;
    if (!t->cert != !t->key)
        rc = hxe__cfg_fail(c, n, "cert and key go together");
    else if (t->require_client_cert && !t->ca)
        rc = hxe__cfg_fail(c, n, "require_client_cert needs a ca to check client certificates");
    t->enabled = 1;
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

static int read_policies(cfg_ctx *c, const ynode *n, hxe_dest_conf *d)
{
    static const char *const rkeys[] = {"max_attempts", "initial_interval", "max_interval",
                                        "multiplier", "jitter", NULL};
    static const char *const bkeys[] = {"failures", "open_for", NULL};
    static const char *const lkeys[] = {"per_second", "burst", NULL};
    static const char *const qkeys[] = {"order", "batch", NULL};
    int rc = 0;
    size_t mark;
    const ynode *q = hxe__cfg_get(n, "queue");
    if (q) {
        mark = hxe__cfg_push(c, "queue");
        if ((rc = hxe__cfg_map(c, q, qkeys)) == 0)
            rc = hxe__cfg_enum(c, q, "order", orders, &d->queue_order);
        if (!rc)
            rc = hxe__cfg_u32(c, q, "batch", 1, 64, &d->queue_batch);
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    const ynode *r = hxe__cfg_get(n, "retry");
    if (r) {
        mark = hxe__cfg_push(c, "retry");
        if ((rc = hxe__cfg_map(c, r, rkeys)) == 0 &&
            (rc = hxe__cfg_u32(c, r, "max_attempts", 0, 1000000, &d->retry.max_attempts)) == 0 &&
            (rc = hxe__cfg_duration(c, r, "initial_interval", &d->retry.initial_ms)) == 0 &&
            (rc = hxe__cfg_duration(c, r, "max_interval", &d->retry.max_ms)) == 0 &&
            (rc = hxe__cfg_double(c, r, "multiplier", 1.0, 100.0, &d->retry.multiplier)) == 0 &&
            (rc = hxe__cfg_enum(c, r, "jitter", jitters, &d->retry.jitter)) == 0) {
            if (d->retry.initial_ms == 0)
                rc = hxe__cfg_fail(c, r, "initial_interval must be more than 0");
            else if (d->retry.max_ms < d->retry.initial_ms)
                rc = hxe__cfg_fail(c, r, "max_interval must be at least initial_interval");
        }
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    const ynode *b = hxe__cfg_get(n, "circuit_breaker");
    if (b) {
        mark = hxe__cfg_push(c, "circuit_breaker");
        if ((rc = hxe__cfg_map(c, b, bkeys)) == 0 &&
            (rc = hxe__cfg_u32(c, b, "failures", 0, 1000000, &d->breaker.failures)) == 0 &&
            (rc = hxe__cfg_duration(c, b, "open_for", &d->breaker.open_for_ms)) == 0 &&
            d->breaker.failures && d->breaker.open_for_ms == 0)
            rc = hxe__cfg_fail(c, b, "open_for must be more than 0");
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    const ynode *l = hxe__cfg_get(n, "rate_limit");
    if (l) {
        mark = hxe__cfg_push(c, "rate_limit");
        if ((rc = hxe__cfg_map(c, l, lkeys)) == 0 &&
            (rc = hxe__cfg_double(c, l, "per_second", 0.0, 1e6, &d->rate_limit.per_second)) == 0)
            rc = hxe__cfg_u32(c, l, "burst", 0, 1000000, &d->rate_limit.burst);
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
    }
    if (d->rate_limit.burst == 0 && d->rate_limit.per_second > 0)
        d->rate_limit.burst = (uint32_t)fmax(1.0, ceil(d->rate_limit.per_second));
    return 0;
}

static int read_headers(cfg_ctx *c, const ynode *h, hxe_dest_conf *d)
{
    if (!h)
        return 0;
    size_t mark = hxe__cfg_push(c, "headers");
    int rc = 0;
    if (h->type != YN_MAP) {
        rc = hxe__cfg_fail(c, h, "expected a mapping of header names to values");
        goto out;
    }
    size_t count = h->nkids / 2;
    d->headers = count ? hxe_arena_calloc(c->a, count * sizeof *d->headers) : NULL;
    if (count && !d->headers) {
        rc = HXE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < count && rc == 0; i++) {
        const ynode *k = h->kids[2 * i], *v = h->kids[2 * i + 1];
        int ok = k->type == YN_SCALAR && k->n > 0 && k->n <= 64;
        for (size_t j = 0; ok && j < k->n; j++) {
            char ch = k->s[j];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_';
        }
        if (!ok) {
            rc = hxe__cfg_fail(c, k, "a header name is letters, digits, '-' or '_'");
            break;
        }
        d->headers[i].name = k->s;
        size_t vn = 0;
        if ((rc = hxe__cfg_scalar(c, v, &d->headers[i].value, &vn)))
            break;
        for (size_t j = 0; j < vn; j++)
            if (d->headers[i].value[j] == '\r' || d->headers[i].value[j] == '\n' ||
                d->headers[i].value[j] == '\0') {
                rc = hxe__cfg_fail(c, v, "a header value cannot hold line breaks");
                break;
            }
        d->nheaders = i + 1;
    }
out:
    hxe__cfg_pop(c, mark);
    return rc;
}

/* Placeholders a file name pattern may hold. */
static int filename_ok(const char *p)
{
    static const char *const vars[] = {"channel", "id", "control_id", "type", "timestamp", "seq",
                                       NULL};
    if (!*p || strchr(p, '/'))
        return 0;
    for (const char *s = p; *s; s++) {
        if (*s == '}')
            return 0;
        if (*s != '{')
            continue;
        const char *e = strchr(s, '}');
        if (!e)
            return 0;
        int known = 0;
        for (int i = 0; vars[i]; i++)
            if (strlen(vars[i]) == (size_t)(e - s - 1) && memcmp(vars[i], s + 1, (size_t)(e - s - 1)) == 0)
                known = 1;
        if (!known)
            return 0;
        s = e;
    }
    return 1;
}

int hxe__cfg_dest(cfg_ctx *c, const ynode *n, const hxe_channel_conf *ch, hxe_dest_conf *d)
{
    (void)ch;
    if (!n || n->type != YN_MAP)
        return hxe__cfg_fail(c, n, "expected a mapping with a name and a type");
    if (!hxe__cfg_get(n, "type"))
        return hxe__cfg_fail(c, n, "missing required key 'type' (mllp, http, file, channel)");
    int rc = hxe__cfg_enum(c, n, "type", dest_types, &d->type);
    if (rc)
        return rc;
    const char *const *extra = d->type == HXE_DEST_MLLP   ? mllp_keys
                               : d->type == HXE_DEST_HTTP ? http_keys
                               : d->type == HXE_DEST_FILE ? file_keys
                                                          : chan_keys;
    const char *keys[24];
    size_t k = 0;
    for (size_t i = 0; common_keys[i]; i++)
        keys[k++] = common_keys[i];
    for (size_t i = 0; extra[i]; i++)
        keys[k++] = extra[i];
    keys[k] = NULL;
    if ((rc = hxe__cfg_map(c, n, keys)) || (rc = hxe__cfg_name(c, n, "name", &d->name)))
        return rc;
    hxe_retry_conf_default(&d->retry);
    d->breaker.failures = HXE_BREAKER_DEFAULT_FAILURES;
    d->breaker.open_for_ms = HXE_BREAKER_DEFAULT_OPEN_MS;
    d->ack_timeout_ms = HXE_DEFAULT_ACK_TIMEOUT_MS;
    d->connect_timeout_ms = HXE_DEFAULT_CONNECT_TIMEOUT_MS;
    d->timeout_ms = HXE_DEFAULT_HTTP_TIMEOUT_MS;
    d->filename = HXE_DEFAULT_FILENAME;
    switch (d->type) {
    case HXE_DEST_MLLP:
        if ((rc = hxe__cfg_str(c, n, "host", 1, &d->host)) ||
            (rc = hxe__cfg_port(c, n, "port", 1, &d->port)) ||
            (rc = hxe__cfg_duration(c, n, "ack_timeout", &d->ack_timeout_ms)) ||
            (rc = hxe__cfg_duration(c, n, "connect_timeout", &d->connect_timeout_ms)) ||
            (rc = hxe__cfg_tls(c, n, 0, &d->tls)))
            return rc;
        if (d->ack_timeout_ms == 0)
            return hxe__cfg_fail(c, hxe__cfg_get(n, "ack_timeout"), "ack_timeout must be more than 0");
        break;
    case HXE_DEST_HTTP:
        if ((rc = hxe__cfg_str(c, n, "url", 1, &d->url)) ||
            (rc = hxe__cfg_enum(c, n, "method", methods, &d->method)) ||
            (rc = hxe__cfg_duration(c, n, "timeout", &d->timeout_ms)) ||
            (rc = hxe__cfg_duration(c, n, "connect_timeout", &d->connect_timeout_ms)) ||
            (rc = hxe__cfg_tls(c, n, 0, &d->tls)) ||
            (rc = read_headers(c, hxe__cfg_get(n, "headers"), d)))
            return rc;
        if (strncmp(d->url, "http://", 7) != 0 && strncmp(d->url, "https://", 8) != 0) {
            size_t mark = hxe__cfg_push(c, "url");
            rc = hxe__cfg_fail(c, hxe__cfg_get(n, "url"), "a URL starts with http:// or https://");
            hxe__cfg_pop(c, mark);
            return rc;
        }
        break;
    case HXE_DEST_FILE:
        if ((rc = hxe__cfg_str(c, n, "path", 1, &d->dir)) ||
            (rc = hxe__cfg_str(c, n, "filename", 0, &d->filename)))
            return rc;
        if (!filename_ok(d->filename)) {
            size_t mark = hxe__cfg_push(c, "filename");
            rc = hxe__cfg_fail(c, hxe__cfg_get(n, "filename"),
                               "a file name without '/' whose {placeholders} are channel, id, "
                               "control_id, type, timestamp or seq");
            hxe__cfg_pop(c, mark);
            return rc;
        }
        break;
    case HXE_DEST_CHANNEL:
        if ((rc = hxe__cfg_name(c, n, "channel", &d->channel)))
            return rc;
        break;
    default:
        break;
    }
    return read_policies(c, n, d);
}

/* ---- filter and transformer ---- */
static int compile_rule(cfg_ctx *c, const ynode *v, int action, hxe_step_conf *st)
{
    char *text;
    size_t n;
    int rc = hxe__cfg_scalar(c, v, &text, &n);
    if (rc)
        return rc;
    hxe_err e = {0};
    if (action)
        rc = hxe_xform_add(st->xform, text, n, NULL, &e);
    else
        rc = hxe_rule_compile(&st->rule, text, n, NULL, &e);
    if (rc == HXE_ENOMEM)
        return hxe_err_set(c->err, rc, "%s: out of memory", c->name);
    if (rc)
        return hxe__cfg_fail(c, v, "%s", e.msg);
    return 0;
}

static int read_script(cfg_ctx *c, const ynode *n, const hxe_channel_conf *ch, int transformer,
                       hxe_step_conf *st)
{
    int rc;
    hxe_script_conf *s = &st->lua;
    s->limits.instructions = HXE_SCRIPT_INSTRUCTIONS_DEFAULT;
    s->limits.memory = HXE_SCRIPT_MEMORY_DEFAULT;
    uint64_t mem = s->limits.memory;
    if ((rc = hxe__cfg_uint(c, n, "instructions", 0, 1000, 10000000000ULL, &s->limits.instructions)) ||
        (rc = hxe__cfg_size(c, n, "memory", &mem)) ||
        (rc = hxe__cfg_bool(c, n, "log", &s->limits.log)) ||
        (rc = hxe__cfg_bool(c, n, "verbose_errors", &s->limits.verbose_errors)))
        return rc;
    if (mem < (256u << 10) || mem > ((uint64_t)1 << 30))
        return hxe__cfg_fail(c, hxe__cfg_get(n, "memory"), "memory must be 256KiB to 1GiB");
    s->limits.memory = (size_t)mem;
    const ynode *file = hxe__cfg_get(n, "lua_file");
    size_t mark;
    if (file) {
        char *path;
        mark = hxe__cfg_push(c, "lua_file");
        rc = hxe__cfg_scalar(c, file, &path, NULL);
        if (rc == 0 && (c->o && c->o->no_files))
            rc = hxe__cfg_fail(c, file, "script files are not allowed here");
        if (rc == 0 && !*path)
            rc = hxe__cfg_fail(c, file, "must not be empty");
        if (rc) {
            hxe__cfg_pop(c, mark);
            return rc;
        }
        char full[4096];
        if (path[0] == '/')
            snprintf(full, sizeof full, "%s", path);
        else
            snprintf(full, sizeof full, "%s/%s", c->base_dir, path);
        hxe_buf b = HXE_BUF_INIT;
        size_t max = c->o && c->o->max_bytes ? c->o->max_bytes : HXE_CONFIG_MAX_BYTES_DEFAULT;
        hxe_err e = {0};
        if (hxe_read_file(full, max, &b, &e)) {
            hxe_buf_free(&b);
            rc = hxe__cfg_fail(c, file, "cannot read the script file (%s)", hxe_strerror(e.code));
            hxe__cfg_pop(c, mark);
            return rc;
        }
        s->src = hxe_arena_strndup(c->a, b.p ? b.p : "", b.len);
        s->len = b.len;
        hxe_buf_free(&b);
        s->name = path;
        hxe__cfg_pop(c, mark);
        if (!s->src)
            return HXE_ENOMEM;
    } else {
        const ynode *inl = hxe__cfg_get(n, "lua");
        mark = hxe__cfg_push(c, "lua");
        rc = hxe__cfg_scalar(c, inl, &s->src, &s->len);
        hxe__cfg_pop(c, mark);
        if (rc)
            return rc;
        char name[160];
        snprintf(name, sizeof name, "%s.%s", ch->name, transformer ? "transformer" : "filter");
        if (!(s->name = hxe_arena_strndup(c->a, name, strlen(name))))
            return HXE_ENOMEM;
    }
    if (c->o && c->o->no_script_check)
        return 0;
    hxe_err e = {0};
    if (hxe_script_check(s->name, s->src, s->len, &e)) {
        mark = hxe__cfg_push(c, file ? "lua_file" : "lua");
        rc = hxe__cfg_fail(c, file ? file : hxe__cfg_get(n, "lua"), "%s", e.msg);
        hxe__cfg_pop(c, mark);
        return rc;
    }
    return 0;
}

int hxe__cfg_step(cfg_ctx *c, const ynode *n, const hxe_channel_conf *ch, int transformer,
                  hxe_step_conf *st)
{
    static const char *const fkeys[] = {"rule", "lua", "lua_file", "instructions", "memory",
                                        "log", "verbose_errors", NULL};
    static const char *const tkeys[] = {"rules", "lua", "lua_file", "instructions", "memory",
                                        "log", "verbose_errors", NULL};
    int rc = hxe__cfg_map(c, n, transformer ? tkeys : fkeys);
    if (rc)
        return rc;
    const char *rkey = transformer ? "rules" : "rule";
    const ynode *r = hxe__cfg_get(n, rkey);
    int kinds = !!r + !!hxe__cfg_get(n, "lua") + !!hxe__cfg_get(n, "lua_file");
    if (kinds != 1)
        return hxe__cfg_fail(c, n, "give exactly one of %s, lua, lua_file", rkey);
    if (!r) {
        st->kind = HXE_STEP_LUA;
        return read_script(c, n, ch, transformer, st);
    }
    for (size_t i = 0; fkeys[i]; i++)
        if (i >= 3 && hxe__cfg_get(n, fkeys[i]))
            return hxe__cfg_fail(c, hxe__cfg_get(n, fkeys[i]), "'%s' applies to Lua scripts only",
                                 fkeys[i]);
    st->kind = HXE_STEP_RULES;
    size_t mark = hxe__cfg_push(c, rkey);
    if (!transformer) {
        rc = compile_rule(c, r, 0, st);
        hxe__cfg_pop(c, mark);
        return rc;
    }
    if (r->type != YN_SEQ || r->nkids == 0) {
        rc = hxe__cfg_fail(c, r, "expected a list of actions (set PATH = \"value\", delete PATH)");
        hxe__cfg_pop(c, mark);
        return rc;
    }
    if ((rc = hxe_xform_new(&st->xform))) {
        hxe__cfg_pop(c, mark);
        return rc;
    }
    for (size_t i = 0; i < r->nkids && rc == 0; i++) {
        size_t m2 = hxe__cfg_push_index(c, i);
        rc = compile_rule(c, r->kids[i], 1, st);
        hxe__cfg_pop(c, m2);
    }
    hxe__cfg_pop(c, mark);
    return rc;
}

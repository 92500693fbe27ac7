/*
 * config_check.c — what can only be checked once every channel is read:
 * tenants exist, channel names are unique per tenant, no two listeners
 * share a port, channel destinations point at an existing channel of the
 * same tenant and never form a loop. Also the lookups the runtime uses on
 * a loaded configuration (channel by name, accepted message types, file
 * names of file destinations).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const ynode *channel_node(const ynode *root, size_t i, const char *key, const char *sub)
{
    const ynode *chs = hxe__cfg_get(root, "channels");
    if (!chs || chs->type != YN_SEQ || i >= chs->nkids)
        return NULL;
    const ynode *n = chs->kids[i];
    const ynode *k = key ? hxe__cfg_get(n, key) : n;
    const ynode *s = sub ? hxe__cfg_get(k, sub) : NULL;
    return s ? s : k ? k : n;
}

static int fail_channel(cfg_ctx *c, const ynode *root, size_t i, const char *key,
                        const char *sub, const char *fmt, const char *arg)
{
    hxe__cfg_pop(c, 0);
    hxe__cfg_push(c, "channels");
    hxe__cfg_push_index(c, i);
    if (key)
        hxe__cfg_push(c, key);
    if (sub)
        hxe__cfg_push(c, sub);
    return hxe__cfg_fail(c, channel_node(root, i, key, sub), fmt, arg);
}

static int wildcard_host(const char *h)
{
    return strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0 || strcmp(h, "*") == 0 || !*h;
}

/* Depth-first walk over channel -> channel destinations; 1 on a loop. */
static int has_loop(const hxe_config *cfg, size_t i, unsigned char *mark)
{
    if (mark[i] == 1)
        return 1;
    if (mark[i] == 2)
        return 0;
    mark[i] = 1;
    const hxe_channel_conf *ch = &cfg->channels[i];
    for (size_t d = 0; d < ch->ndests; d++)
        if (ch->dests[d].type == HXE_DEST_CHANNEL && has_loop(cfg, ch->dests[d].channel_index, mark))
            return 1;
    mark[i] = 2;
    return 0;
}

int hxe__cfg_check(cfg_ctx *c, const ynode *root)
{
    hxe_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->nchannels; i++) {
        hxe_channel_conf *ch = &cfg->channels[i];
        size_t t;
        for (t = 0; t < cfg->ntenants; t++)
            if (strcmp(cfg->tenants[t].name, ch->tenant) == 0)
                break;
        if (t == cfg->ntenants)
            return fail_channel(c, root, i, "tenant", NULL, "%s", "no tenant of this name is declared under tenants");
        ch->tenant_index = t;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->channels[j].name, ch->name) == 0 &&
                strcmp(cfg->channels[j].tenant, ch->tenant) == 0) {
                char what[96];
                snprintf(what, sizeof what, "channel name already used by channels[%zu] of this tenant", j);
                return fail_channel(c, root, i, "name", NULL, "%s", what);
            }
        const hxe_source_conf *s = &ch->source;
        if (!ch->enabled || s->type == HXE_SOURCE_DIRECTORY)
            continue;
        for (size_t j = 0; j < i; j++) {
            const hxe_channel_conf *o = &cfg->channels[j];
            if (!o->enabled || o->source.type == HXE_SOURCE_DIRECTORY || o->source.port != s->port)
                continue;
            if (strcmp(o->source.host, s->host) == 0 || wildcard_host(o->source.host) ||
                wildcard_host(s->host)) {
                char what[96];
                snprintf(what, sizeof what, "port already used by the source of channels[%zu]", j);
                return fail_channel(c, root, i, "source", "port", "%s", what);
            }
        }
    }
    for (size_t i = 0; i < cfg->nchannels; i++) {
        hxe_channel_conf *ch = &cfg->channels[i];
        for (size_t d = 0; d < ch->ndests; d++) {
            hxe_dest_conf *dc = &ch->dests[d];
            if (dc->type != HXE_DEST_CHANNEL)
                continue;
            size_t j;
            for (j = 0; j < cfg->nchannels; j++)
                if (strcmp(cfg->channels[j].name, dc->channel) == 0 &&
                    strcmp(cfg->channels[j].tenant, ch->tenant) == 0)
                    break;
            if (j == cfg->nchannels || j == i) {
                hxe__cfg_pop(c, 0);
                hxe__cfg_push(c, "channels");
                hxe__cfg_push_index(c, i);
                hxe__cfg_push(c, "destinations");
                hxe__cfg_push_index(c, d);
                hxe__cfg_push(c, "channel");
                const ynode *ds = hxe__cfg_get(channel_node(root, i, NULL, NULL), "destinations");
                const ynode *at = ds && ds->type == YN_SEQ && d < ds->nkids
                                      ? hxe__cfg_get(ds->kids[d], "channel")
                                      : NULL;
                return hxe__cfg_fail(c, at, j == i ? "a channel cannot deliver to itself"
                                                   : "no channel of this name in the same tenant");
            }
            dc->channel_index = j;
        }
    }
    if (cfg->nchannels) {
        unsigned char *mark = hxe_calloc(cfg->nchannels, 1);
        if (!mark)
            return hxe_err_set(c->err, HXE_ENOMEM, "%s: out of memory", c->name);
        for (size_t i = 0; i < cfg->nchannels; i++) {
            if (has_loop(cfg, i, mark)) {
                hxe_free(mark);
                return fail_channel(c, root, i, "destinations", NULL, "%s",
                                    "channel destinations form a loop back to this channel");
            }
        }
        hxe_free(mark);
    }
    return 0;
}

void hxe__cfg_release(hxe_config *cfg)
{
    for (size_t i = 0; i < cfg->nchannels; i++) {
        hxe_channel_conf *ch = &cfg->channels[i];
        hxe_rule_free(ch->filter.rule);
        hxe_xform_free(ch->filter.xform);
        hxe_rule_free(ch->transformer.rule);
        hxe_xform_free(ch->transformer.xform);
    }
}

const hxe_channel_conf *hxe_config_channel(const hxe_config *c, const char *tenant, const char *name)
{
    if (!c || !tenant || !name)
        return NULL;
    for (size_t i = 0; i < c->nchannels; i++)
        if (strcmp(c->channels[i].name, name) == 0 && strcmp(c->channels[i].tenant, tenant) == 0)
            return &c->channels[i];
    return NULL;
}

static int accept_match(const char *pat, const char *type, size_t n)
{
    if (strcmp(pat, "*") == 0)
        return 1;
    const char *caret = strchr(pat, '^');
    size_t pn = caret ? (size_t)(caret - pat) : strlen(pat);
    const char *evt_pat = caret ? caret + 1 : "*";
    const char *tc = memchr(type, '^', n);
    size_t tn = tc ? (size_t)(tc - type) : n;
    const char *evt = tc ? tc + 1 : "";
    size_t en = tc ? n - tn - 1 : 0;
    if (pn != tn || memcmp(pat, type, tn) != 0)
        return 0;
    if (strcmp(evt_pat, "*") == 0)
        return 1;
    return strlen(evt_pat) == en && memcmp(evt_pat, evt, en) == 0;
}

int hxe_config_accepts(const hxe_channel_conf *ch, const char *type, size_t n)
{
    if (!ch)
        return 0;
    if (ch->naccept == 0)
        return 1;
    for (size_t i = 0; i < ch->naccept; i++)
        if (accept_match(ch->accept[i], type, n))
            return 1;
    return 0;
}

size_t hxe_config_msg_type(const hxe_hl7_msg *m, char *buf, size_t size)
{
    if (!size)
        return 0;
    buf[0] = '\0';
    hxe_slice a = HXE_SLICE_EMPTY, b = HXE_SLICE_EMPTY;
    if (hxe_hl7_get_str(m, "MSH-9.1", &a) != 0)
        return 0;
    (void)hxe_hl7_get_str(m, "MSH-9.2", &b);
    int w = b.n ? snprintf(buf, size, "%.*s^%.*s", (int)a.n, a.p, (int)b.n, b.p)
                : snprintf(buf, size, "%.*s", (int)a.n, a.p);
    if (w < 0)
        return 0;
    return (size_t)w < size ? (size_t)w : size - 1;
}

static int put_clean(hxe_buf *out, const char *s)
{
    if (!s || !*s)
        return hxe_buf_putc(out, '_');
    for (; *s; s++) {
        char ch = *s;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-' || ch == '^';
        int rc = hxe_buf_putc(out, ok ? ch : '_');
        if (rc)
            return rc;
    }
    return 0;
}

int hxe_config_filename(const char *pattern, const hxe_filename_vars *v, hxe_buf *out)
{
    size_t start = out->len;
    int rc = 0;
    for (const char *s = pattern; *s && rc == 0; s++) {
        if (*s != '{') {
            rc = hxe_buf_putc(out, *s == '/' ? '_' : *s);
            continue;
        }
        const char *e = strchr(s, '}');
        if (!e)
            return HXE_EINVAL;
        size_t n = (size_t)(e - s - 1);
        char num[32];
        const char *val = NULL;
        if (n == 7 && memcmp(s + 1, "channel", 7) == 0)
            val = v->channel;
        else if (n == 2 && memcmp(s + 1, "id", 2) == 0)
            val = v->id;
        else if (n == 10 && memcmp(s + 1, "control_id", 10) == 0)
            val = v->control_id;
        else if (n == 4 && memcmp(s + 1, "type", 4) == 0)
            val = v->type;
        else if (n == 9 && memcmp(s + 1, "timestamp", 9) == 0)
            val = v->timestamp;
        else if (n == 3 && memcmp(s + 1, "seq", 3) == 0) {
            snprintf(num, sizeof num, "%llu", (unsigned long long)v->seq);
            val = num;
        } else
            return HXE_EINVAL;
        rc = put_clean(out, val);
        s = e;
    }
    /* never "." or ".." as a whole name */
    if (rc == 0 && (out->len - start == 0 || strcmp(out->p + start, ".") == 0 ||
                    strcmp(out->p + start, "..") == 0))
        rc = hxe_buf_putc(out, '_');
    return rc;
}

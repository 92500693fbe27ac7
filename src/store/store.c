/*
 * store.c — the store's front door: options, names of states and kinds,
 * argument checks, and the hxe_store_* calls that dispatch to a backend's
 * ops. Everything a backend may assume about its arguments is checked
 * here, once, so each backend stays about storage only.
 */
#include "store/internal.h"

#include <openssl/rand.h>
#include <string.h>
#include <time.h>

void hxe_store_opts_init(hxe_store_opts *o)
{
    memset(o, 0, sizeof *o);
    o->create = 1;
    o->recover = 1;
    o->synchronous_full = 1;
    o->busy_timeout_ms = 5000;
    o->wal_autocheckpoint = 1000;
    o->max_name = 256;
    o->max_text = 1024;
    o->max_content = (size_t)64 << 20;
    o->max_destinations = 64;
    o->prune_batch = 1000;
}

static const char *const state_names[HXE_STORE_NSTATES] = {
    "?", "queued", "sending", "sent", "error", "dead", "discarded"};

const char *hxe_store_state_name(int state)
{
    return state > 0 && state < HXE_STORE_NSTATES ? state_names[state] : "?";
}

int hxe_store_state_parse(const char *name)
{
    for (int i = 1; name && i < HXE_STORE_NSTATES; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return 0;
}

const char *hxe_store_kind_name(int kind)
{
    switch (kind) {
    case HXE_STORE_RAW: return "raw";
    case HXE_STORE_TRANSFORMED: return "transformed";
    case HXE_STORE_SENT_BYTES: return "sent";
    case HXE_STORE_RESPONSE: return "response";
    default: return "?";
    }
}

int64_t hxe_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hxe__store_now(int64_t now)
{
    return now ? now : hxe_store_now_ms();
}

int hxe_store_uuid(char out[HXE_STORE_UUID_LEN + 1], hxe_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return hxe_err_set(err, HXE_EIO, "correlation id: the random generator failed");
    /* Version 7 (RFC 9562): the first 48 bits are the time in ms, so ids
     * made one after another sort together. The store indexes them: with
     * random (version 4) ids every insert touched a random page of that
     * index, which was most of what a batch commit wrote. */
    uint64_t ms = (uint64_t)hxe_store_now_ms();
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x70); /* version 7 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
    return 0;
}

/* ---- argument checks ---- */

int hxe__store_check_name(const hxe_store *s, const char *what, const char *v, hxe_err *err)
{
    if (!v || !*v)
        return hxe_err_set(err, HXE_EINVAL, "%s: missing", what);
    size_t n = strlen(v);
    if (n > s->opts.max_name)
        return hxe_err_set(err, HXE_EINVAL, "%s: %zu bytes, more than the limit of %zu",
                           what, n, s->opts.max_name);
    if (hxe_utf8_check(v, n) != n)
        return hxe_err_set(err, HXE_EINVAL, "%s: not valid UTF-8", what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return hxe_err_set(err, HXE_EINVAL, "%s: control character at byte %zu", what, i);
    return 0;
}

int hxe__store_check_opt(const hxe_store *s, const char *what, const char *v, hxe_err *err)
{
    size_t n = v ? strlen(v) : 0;
    if (n > s->opts.max_name)
        return hxe_err_set(err, HXE_EINVAL, "%s: %zu bytes, more than the limit of %zu",
                           what, n, s->opts.max_name);
    return 0;
}

size_t hxe__store_text_len(const hxe_store *s, const char *text)
{
    if (!text)
        return 0;
    size_t n = strnlen(text, s->opts.max_text + 1);
    if (n <= s->opts.max_text)
        return n;
    n = s->opts.max_text;
    /* back off UTF-8 continuation bytes so the cut falls between characters */
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;
    return n;
}

static int check_corr(const char *v, hxe_err *err)
{
    size_t n = strlen(v);
    if (n == 0 || n > HXE_STORE_CORR_MAX)
        return hxe_err_set(err, HXE_EINVAL, "correlation id: %zu bytes, want 1 to %d",
                           n, HXE_STORE_CORR_MAX);
    for (size_t i = 0; i < n; i++)
        if (v[i] <= 0x20 || v[i] >= 0x7f)
            return hxe_err_set(err, HXE_EINVAL,
                               "correlation id: byte %zu is not printable ASCII", i);
    return 0;
}

static int check_id(int64_t id, const char *what, hxe_err *err)
{
    return id > 0 ? 0 : hxe_err_set(err, HXE_EINVAL, "%s: id %lld is not valid", what, (long long)id);
}

static int check_kind(int kind, int raw_ok, hxe_err *err)
{
    if ((kind == HXE_STORE_RAW && raw_ok) || kind == HXE_STORE_TRANSFORMED ||
        kind == HXE_STORE_SENT_BYTES || kind == HXE_STORE_RESPONSE)
        return 0;
    return hxe_err_set(err, HXE_EINVAL, "content kind %d is not valid here", kind);
}

static int check_filter(const hxe_store *s, const hxe_store_filter *f, hxe_err *err)
{
    int rc;
    if (!f)
        return hxe_err_set(err, HXE_EINVAL, "filter: missing");
    if ((rc = hxe__store_check_name(s, "tenant", f->tenant, err)))
        return rc;
    if (f->channel && (rc = hxe__store_check_name(s, "channel", f->channel, err)))
        return rc;
    if (f->destination && (rc = hxe__store_check_name(s, "destination", f->destination, err)))
        return rc;
    return 0;
}

int hxe__store_check_msg(const hxe_store *s, const hxe_store_msg_in *in, hxe_err *err)
{
    int rc;
    if (!in)
        return hxe_err_set(err, HXE_EINVAL, "message: missing");
    if ((rc = hxe__store_check_name(s, "tenant", in->tenant, err)) ||
        (rc = hxe__store_check_name(s, "channel", in->channel, err)) ||
        (rc = hxe__store_check_opt(s, "control id", in->control_id, err)) ||
        (rc = hxe__store_check_opt(s, "sender", in->sender, err)) ||
        (rc = hxe__store_check_opt(s, "message type", in->msg_type, err)))
        return rc;
    if (in->correlation_id && (rc = check_corr(in->correlation_id, err)))
        return rc;
    if (in->event_kind && (rc = hxe__store_check_name(s, "event kind", in->event_kind, err)))
        return rc;
    if (in->content_len && !in->content)
        return hxe_err_set(err, HXE_EINVAL, "content: NULL with a length");
    if (in->content_len > s->opts.max_content)
        return hxe_err_set(err, HXE_ETOOBIG, "content: %zu bytes, more than the limit of %zu",
                           in->content_len, s->opts.max_content);
    if (in->ndestinations > s->opts.max_destinations)
        return hxe_err_set(err, HXE_ETOOBIG, "destinations: %zu, more than the limit of %zu",
                           in->ndestinations, s->opts.max_destinations);
    if (in->ndestinations && !in->destinations)
        return hxe_err_set(err, HXE_EINVAL, "destinations: NULL with a count");
    for (size_t i = 0; i < in->ndestinations; i++) {
        if ((rc = hxe__store_check_name(s, "destination", in->destinations[i], err)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->destinations[i], in->destinations[j]) == 0)
                return hxe_err_set(err, HXE_EINVAL, "destination %zu: named twice", i + 1);
    }
    return 0;
}

/* ---- opening ---- */

static const char *sqlite_path(const char *where)
{
    if (strncmp(where, "sqlite:", 7) == 0)
        return where + 7;
    if (strstr(where, "://"))
        return NULL;
    return where;
}

int hxe_store_open(hxe_store **out, const char *where, const hxe_store_opts *opts,
                   hxe_err *err)
{
    *out = NULL;
    hxe_store_opts o;
    if (opts)
        o = *opts;
    else
        hxe_store_opts_init(&o);
    if (!where || !*where)
        return hxe_err_set(err, HXE_EINVAL, "store: no database named");
    if (o.max_name == 0 || o.max_text == 0 || o.max_content == 0 || o.prune_batch == 0 ||
        o.busy_timeout_ms < 0 || o.wal_autocheckpoint < 0)
        return hxe_err_set(err, HXE_EINVAL, "store: an option is zero or negative");
    const char *path = sqlite_path(where);
    if (!path)
        return hxe_err_set(err, HXE_EINVAL,
                           "store: unknown backend (only sqlite is built; postgres is planned)");
    if (!*path)
        return hxe_err_set(err, HXE_EINVAL, "store: empty file name");
    return hxe__sq_open(out, path, &o, err);
}

int hxe_store_schema_version(const char *where, int *version, hxe_err *err)
{
    const char *path = where ? sqlite_path(where) : NULL;
    if (!path || !*path)
        return hxe_err_set(err, HXE_EINVAL, "store: not a SQLite database name");
    return hxe__sq_schema_version(path, version, err);
}

int hxe_store_connect(hxe_store *s, hxe_store **out, hxe_err *err)
{
    return s->ops->connect(s, out, err);
}

void hxe_store_close(hxe_store *s)
{
    if (s)
        s->ops->close(s);
}

int hxe_store_begin(hxe_store *s, hxe_err *err) { return s->ops->begin(s, err); }
int hxe_store_commit(hxe_store *s, hxe_err *err) { return s->ops->commit(s, err); }
void hxe_store_rollback(hxe_store *s) { s->ops->rollback(s); }

int hxe_store_recover(hxe_store *s, int64_t now, uint64_t *n, hxe_err *err)
{
    uint64_t dummy;
    return s->ops->recover(s, hxe__store_now(now), n ? n : &dummy, err);
}

/* ---- messages ---- */

int hxe_store_msg_add(hxe_store *s, const hxe_store_msg_in *in, hxe_store_msg_ref *out,
                      hxe_err *err)
{
    int rc = hxe__store_check_msg(s, in, err);
    if (rc)
        return rc;
    char uuid[HXE_STORE_UUID_LEN + 1];
    const char *corr = in->correlation_id;
    if (!corr) {
        if ((rc = hxe_store_uuid(uuid, err)))
            return rc;
        corr = uuid;
    }
    memset(out, 0, sizeof *out);
    return s->ops->msg_add(s, in, hxe__store_now(in->received_at), corr, out, err);
}

int hxe_store_msg_get(hxe_store *s, const char *tenant, int64_t id, hxe_arena *a,
                      hxe_store_msg *out, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(id, "message", err)))
        return rc;
    memset(out, 0, sizeof *out);
    return s->ops->msg_get(s, tenant, id, a, out, err);
}

int hxe_store_msg_find(hxe_store *s, const char *tenant, const char *correlation_id,
                       int64_t *id, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_corr(correlation_id ? correlation_id : "", err)))
        return rc;
    return s->ops->msg_find(s, tenant, correlation_id, id, err);
}

int hxe_store_find_duplicate(hxe_store *s, const char *tenant, const char *channel,
                             const char *sender, const char *control_id,
                             int64_t received_at, uint32_t window_s,
                             hxe_store_msg_ref *out, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = hxe__store_check_name(s, "channel", channel, err)) ||
        (rc = hxe__store_check_opt(s, "sender", sender, err)) ||
        (rc = hxe__store_check_opt(s, "control id", control_id, err)))
        return rc;
    memset(out, 0, sizeof *out);
    /* a message without a control id cannot be recognised again */
    if (!control_id || !*control_id)
        return HXE_ENOTFOUND;
    int64_t since = hxe__store_now(received_at) - (int64_t)window_s * 1000;
    return s->ops->find_duplicate(s, tenant, channel, sender ? sender : "", control_id,
                                  since, out, err);
}

int hxe_store_content_add(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                          const char *destination, int64_t now, const void *data,
                          size_t len, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(msg_id, "message", err)) || (rc = check_kind(kind, 0, err)))
        return rc;
    if (destination && (rc = hxe__store_check_name(s, "destination", destination, err)))
        return rc;
    if (len && !data)
        return hxe_err_set(err, HXE_EINVAL, "content: NULL with a length");
    if (len > s->opts.max_content)
        return hxe_err_set(err, HXE_ETOOBIG, "content: %zu bytes, more than the limit of %zu",
                           len, s->opts.max_content);
    return s->ops->content_add(s, tenant, msg_id, kind, destination, hxe__store_now(now),
                               data, len, err);
}

int hxe_store_content_get(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                          const char *destination, hxe_arena *a, const char **data,
                          size_t *len, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(msg_id, "message", err)) || (rc = check_kind(kind, 1, err)))
        return rc;
    if (destination && (rc = hxe__store_check_name(s, "destination", destination, err)))
        return rc;
    *data = NULL;
    *len = 0;
    return s->ops->content_get(s, tenant, msg_id, kind, destination, a, data, len, err);
}

int hxe_store_event_add(hxe_store *s, const char *tenant, int64_t msg_id, int64_t now,
                        const char *kind, const char *destination, const char *detail,
                        hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(msg_id, "message", err)) ||
        (rc = hxe__store_check_name(s, "event kind", kind, err)))
        return rc;
    if (destination && (rc = hxe__store_check_name(s, "destination", destination, err)))
        return rc;
    return s->ops->event_add(s, tenant, msg_id, hxe__store_now(now), kind, destination,
                             detail, err);
}

int hxe_store_events(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                     hxe_store_event **out, size_t *n, hxe_err *err)
{
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(msg_id, "message", err)))
        return rc;
    return s->ops->events(s, tenant, msg_id, a, out, n, err);
}

/* ---- deliveries ---- */

int hxe_store_deliveries_add(hxe_store *s, const char *tenant, int64_t msg_id,
                             const char *const *destinations, size_t n, int64_t now,
                             hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(msg_id, "message", err)))
        return rc;
    if (n > s->opts.max_destinations)
        return hxe_err_set(err, HXE_ETOOBIG, "destinations: %zu, more than the limit of %zu",
                           n, s->opts.max_destinations);
    for (size_t i = 0; i < n; i++)
        if ((rc = hxe__store_check_name(s, "destination", destinations[i], err)))
            return rc;
    return s->ops->deliveries_add(s, tenant, msg_id, destinations, n, hxe__store_now(now), err);
}

int hxe_store_deliveries(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                         hxe_store_delivery **out, size_t *n, hxe_err *err)
{
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(msg_id, "message", err)))
        return rc;
    return s->ops->deliveries(s, tenant, msg_id, a, out, n, err);
}

int hxe_store_claim(hxe_store *s, const hxe_store_queue *q, int64_t now, size_t max,
                    hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err)
{
    int rc;
    *out = NULL;
    *n = 0;
    if (!q)
        return hxe_err_set(err, HXE_EINVAL, "queue: missing");
    if ((rc = hxe__store_check_name(s, "tenant", q->tenant, err)) ||
        (rc = hxe__store_check_name(s, "channel", q->channel, err)) ||
        (rc = hxe__store_check_name(s, "destination", q->destination, err)))
        return rc;
    if (max == 0)
        return hxe_err_set(err, HXE_EINVAL, "claim: max is 0");
    return s->ops->claim(s, q, hxe__store_now(now), max, a, out, n, err);
}

int hxe_store_mark_sent(hxe_store *s, const char *tenant, int64_t delivery_id,
                        int64_t now, const void *sent, size_t sent_len,
                        const void *response, size_t response_len, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(delivery_id, "delivery", err)))
        return rc;
    if ((sent_len && !sent) || (response_len && !response))
        return hxe_err_set(err, HXE_EINVAL, "delivery %lld: content NULL with a length",
                           (long long)delivery_id);
    if (sent_len > s->opts.max_content || response_len > s->opts.max_content)
        return hxe_err_set(err, HXE_ETOOBIG, "delivery %lld: content over the limit of %zu",
                           (long long)delivery_id, s->opts.max_content);
    return s->ops->mark_sent(s, tenant, delivery_id, hxe__store_now(now), sent, sent_len,
                             response, response_len, err);
}

int hxe_store_mark_failed(hxe_store *s, const char *tenant, int64_t delivery_id,
                          int64_t now, int64_t next_at, const char *error, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(delivery_id, "delivery", err)))
        return rc;
    return s->ops->mark_failed(s, tenant, delivery_id, hxe__store_now(now), next_at, 0,
                               error, err);
}

int hxe_store_release(hxe_store *s, const char *tenant, const int64_t *ids, size_t n,
                      int64_t now, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)))
        return rc;
    if (n && !ids)
        return hxe_err_set(err, HXE_EINVAL, "release: no ids");
    for (size_t i = 0; i < n; i++)
        if ((rc = check_id(ids[i], "delivery", err)))
            return rc;
    return n ? s->ops->release(s, tenant, ids, n, hxe__store_now(now), err) : 0;
}

int hxe_store_mark_dead(hxe_store *s, const char *tenant, int64_t delivery_id,
                        int64_t now, const char *error, hxe_err *err)
{
    int rc;
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)) ||
        (rc = check_id(delivery_id, "delivery", err)))
        return rc;
    return s->ops->mark_failed(s, tenant, delivery_id, hxe__store_now(now), 0, 1, error, err);
}

/* ---- pruning, dead letters, statistics ---- */

int hxe_store_prune(hxe_store *s, const hxe_store_prune_rule *rule, int64_t now,
                    hxe_store_prune_result *out, hxe_err *err)
{
    int rc;
    hxe_store_prune_result dummy;
    if (!out)
        out = &dummy;
    memset(out, 0, sizeof *out);
    if (!rule)
        return hxe_err_set(err, HXE_EINVAL, "prune: no rule");
    if ((rc = hxe__store_check_name(s, "tenant", rule->tenant, err)))
        return rc;
    if (rule->channel && (rc = hxe__store_check_name(s, "channel", rule->channel, err)))
        return rc;
    if (rule->content_age_ms < 0 || rule->meta_age_ms < 0)
        return hxe_err_set(err, HXE_EINVAL, "prune: negative age");
    return s->ops->prune(s, rule, hxe__store_now(now), out, err);
}

int hxe_store_dlq_list(hxe_store *s, const hxe_store_filter *f, int64_t after_id,
                       size_t limit, hxe_arena *a, hxe_store_delivery **out, size_t *n,
                       hxe_err *err)
{
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = check_filter(s, f, err)))
        return rc;
    return s->ops->dlq_list(s, f, after_id < 0 ? 0 : after_id, limit ? limit : 1000, a,
                            out, n, err);
}

static int dlq_act(hxe_store *s, int to, const hxe_store_filter *f, const int64_t *ids,
                   size_t nids, int64_t now, uint64_t *changed, hxe_err *err)
{
    int rc;
    uint64_t dummy;
    if (!changed)
        changed = &dummy;
    *changed = 0;
    if ((rc = check_filter(s, f, err)))
        return rc;
    if (ids && nids == 0)
        return 0;
    for (size_t i = 0; ids && i < nids; i++)
        if ((rc = check_id(ids[i], "delivery", err)))
            return rc;
    return s->ops->dlq_act(s, to, f, ids, nids, hxe__store_now(now), changed, err);
}

int hxe_store_dlq_retry(hxe_store *s, const hxe_store_filter *f, const int64_t *ids,
                        size_t nids, int64_t now, uint64_t *changed, hxe_err *err)
{
    return dlq_act(s, HXE_STORE_QUEUED, f, ids, nids, now, changed, err);
}

int hxe_store_dlq_discard(hxe_store *s, const hxe_store_filter *f, const int64_t *ids,
                          size_t nids, int64_t now, uint64_t *changed, hxe_err *err)
{
    return dlq_act(s, HXE_STORE_DISCARDED, f, ids, nids, now, changed, err);
}

int hxe_store_stats_get(hxe_store *s, const char *tenant, hxe_arena *a, hxe_store_stats *out,
                    hxe_err *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = hxe__store_check_name(s, "tenant", tenant, err)))
        return rc;
    return s->ops->stats(s, tenant, a, out, err);
}

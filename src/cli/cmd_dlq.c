/*
 * cmd_dlq.c — `hxe dlq list|retry|discard`: the dead-letter queue of a
 * store, for operators.
 *
 * Works beside a running engine: the store is opened without creating it
 * and without recovery (recovery would requeue the engine's in-flight
 * deliveries), and SQLite's WAL lets this process read and write while the
 * engine does, waiting out the engine's short write locks. Output names
 * ids, channels, destinations, counts, times and the recorded error text;
 * never message content.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char hxe_cmd_dlq_desc[] = "dead letters: list, retry, discard";

static const char usage_text[] =
    "usage: hxe dlq list    --db FILE --tenant T [--channel C] [--destination D] [--limit N]\n"
    "       hxe dlq retry   --db FILE --tenant T [--channel C] [--destination D] ID...|--all\n"
    "       hxe dlq discard --db FILE --tenant T [--channel C] [--destination D] ID...|--all\n"
    "\n"
    "Dead letters are deliveries that gave up after their last attempt. list\n"
    "prints one line per dead delivery: its id, message id, correlation id,\n"
    "channel, destination, attempts, times and last error. retry queues them\n"
    "again (attempts start over); discard closes them for good (kept for the\n"
    "record, then pruned like any finished message). ID is a delivery id from\n"
    "list; --all takes every dead letter the filters select. With IDs, either\n"
    "all of them change or none does.\n"
    "\n"
    "Safe while the engine runs. Exit 0 on success, 1 when an ID is not a dead\n"
    "letter or the store fails, 2 on usage errors or a missing store.\n";

enum verb { LIST, RETRY, DISCARD };

struct opts {
    enum verb verb;
    const char *db;
    hxe_store_filter f;
    size_t limit;
    int all;
    int64_t *ids;
    size_t nids;
};

static int usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "hxe dlq: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return HXE_EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_args(struct opts *o, int argc, char **argv)
{
    o->ids = calloc((size_t)argc, sizeof *o->ids);
    if (!o->ids)
        return HXE_EXIT_USAGE;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (strcmp(a, "--all") == 0) {
            o->all = 1;
            continue;
        }
        const char **dst = strcmp(a, "--db") == 0            ? &o->db
                           : strcmp(a, "--tenant") == 0      ? &o->f.tenant
                           : strcmp(a, "--channel") == 0     ? &o->f.channel
                           : strcmp(a, "--destination") == 0 ? &o->f.destination
                                                             : NULL;
        if (dst || strcmp(a, "--limit") == 0) {
            if (i + 1 >= argc)
                return usage_err("%s needs a value", a);
            const char *v = argv[++i];
            if (dst) {
                *dst = v;
            } else {
                uint64_t n;
                if (parse_u64(v, &n) || n == 0 || n > 100000000)
                    return usage_err("--limit: '%s' is not a count", v);
                o->limit = (size_t)n;
            }
            continue;
        }
        if (a[0] == '-')
            return usage_err("unknown option %s", a);
        uint64_t id;
        if (parse_u64(a, &id) || id == 0 || id > INT64_MAX)
            return usage_err("'%s' is not a delivery id", a);
        o->ids[o->nids++] = (int64_t)id;
    }
    if (!o->db)
        return usage_err("%s", "missing --db FILE");
    if (!o->f.tenant)
        return usage_err("%s", "missing --tenant T");
    if (o->verb == LIST && (o->all || o->nids))
        return usage_err("%s", "list takes no IDs and no --all (use the filters)");
    if (o->verb != LIST && !o->all && !o->nids)
        return usage_err("%s", "give delivery IDs or --all");
    if (o->verb != LIST && o->all && o->nids)
        return usage_err("%s", "give either IDs or --all, not both");
    if (o->verb != LIST && o->limit)
        return usage_err("%s", "--limit is for list");
    return 0;
}

static void put_time(hxe_buf *b, const char *key, int64_t ms, int *rc)
{
    char t[32] = "-";
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    if (ms > 0 && gmtime_r(&sec, &tm))
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!*rc)
        *rc = hxe_buf_printf(b, " %s=%s", key, t);
}

static int print_delivery(const hxe_store_delivery *d)
{
    hxe_buf b = HXE_BUF_INIT;
    int rc = hxe_buf_printf(&b, "delivery=%lld message=%lld correlation=%s", (long long)d->id,
                            (long long)d->message_id, d->correlation_id);
    if (!rc)
        rc = hxe_buf_puts(&b, " channel=");
    if (!rc)
        rc = hxe_json_str(&b, d->channel, strlen(d->channel));
    if (!rc)
        rc = hxe_buf_puts(&b, " destination=");
    if (!rc)
        rc = hxe_json_str(&b, d->destination, strlen(d->destination));
    if (!rc)
        rc = hxe_buf_printf(&b, " attempts=%u", d->attempts);
    put_time(&b, "received", d->received_at, &rc);
    put_time(&b, "dead_since", d->updated_at, &rc);
    if (!rc)
        rc = hxe_buf_puts(&b, " error=");
    if (!rc)
        rc = hxe_json_str(&b, d->last_error, strlen(d->last_error));
    if (!rc)
        rc = hxe_buf_putc(&b, '\n');
    if (!rc)
        fwrite(b.p, 1, b.len, stdout);
    hxe_buf_free(&b);
    return rc;
}

static int do_list(hxe_store *s, const struct opts *o)
{
    hxe_arena a;
    hxe_arena_init(&a, 64 << 10, 0);
    hxe_err err = {0};
    int64_t after = 0;
    size_t shown = 0, limit = o->limit ? o->limit : (size_t)-1;
    int rc = 0;
    while (shown < limit) {
        hxe_store_delivery *v;
        size_t n, page = limit - shown < 500 ? limit - shown : 500;
        hxe_arena_reset(&a);
        if ((rc = hxe_store_dlq_list(s, &o->f, after, page, &a, &v, &n, &err)))
            break;
        for (size_t i = 0; i < n && !rc; i++)
            rc = print_delivery(&v[i]);
        if (rc) {
            hxe_err_set(&err, rc, "cannot format a line");
            break;
        }
        shown += n;
        if (n < page)
            break;
        after = v[n - 1].id;
    }
    hxe_arena_free(&a);
    if (rc) {
        fprintf(stderr, "hxe dlq list: %s\n", err.msg);
        return HXE_EXIT_INVALID;
    }
    fprintf(stderr, "%zu dead letter%s\n", shown, shown == 1 ? "" : "s");
    return HXE_EXIT_OK;
}

int hxe_cmd_dlq(int argc, char **argv)
{
    static const char *const verbs[] = {"list", "retry", "discard"};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? HXE_EXIT_USAGE : HXE_EXIT_OK;
    }
    struct opts o = {0};
    int found = 0;
    for (int v = LIST; v <= DISCARD; v++)
        if (strcmp(argv[1], verbs[v]) == 0) {
            o.verb = (enum verb)v;
            found = 1;
        }
    if (!found)
        return usage_err("unknown verb '%s' (list, retry, discard)", argv[1]);
    int rc = parse_args(&o, argc, argv);
    if (rc) {
        free(o.ids);
        return rc < 0 ? HXE_EXIT_OK : rc;
    }
    hxe_store_opts so;
    hxe_store_opts_init(&so);
    so.create = 0;
    so.recover = 0;
    hxe_err err = {0};
    hxe_store *s;
    if ((rc = hxe_store_open(&s, o.db, &so, &err))) {
        fprintf(stderr, "hxe dlq: %s\n", err.msg);
        free(o.ids);
        return HXE_EXIT_USAGE;
    }
    if (o.verb == LIST) {
        rc = do_list(s, &o);
    } else {
        uint64_t changed = 0;
        const int64_t *ids = o.all ? NULL : o.ids;
        int r = o.verb == RETRY
                    ? hxe_store_dlq_retry(s, &o.f, ids, o.nids, 0, &changed, &err)
                    : hxe_store_dlq_discard(s, &o.f, ids, o.nids, 0, &changed, &err);
        if (r) {
            fprintf(stderr, "hxe dlq %s: %s%s\n", verbs[o.verb], err.msg,
                    ids ? " (nothing was changed)" : "");
            rc = HXE_EXIT_INVALID;
        } else {
            printf("%s %llu dead letter%s\n", o.verb == RETRY ? "retried" : "discarded",
                   (unsigned long long)changed, changed == 1 ? "" : "s");
            rc = HXE_EXIT_OK;
        }
    }
    hxe_store_close(s);
    free(o.ids);
    return rc;
}

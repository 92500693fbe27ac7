/*
 * test_engine_config.c — the channel configuration: a full file read into
 * the struct with its defaults, examples/demo.yaml, ${ENV} interpolation,
 * and every class of error with the line and column it names (unknown
 * key, bad value, missing env, bad reference, duplicate names, port
 * clash, loops, YAML aliases, rule and script errors). Secrets never
 * appear in error text.
 */
#include "helpers/testutil.h"

#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixed environment for interpolation. */
static const char *fake_env(void *data, const char *name)
{
    (void)data;
    static const char *const kv[][2] = {{"MLLP_PORT", "2600"},
                                        {"API_TOKEN", "s3cr3t-T0KEN"},
                                        {"EMPTY", ""},
                                        {"BAD_PORT", "s3cr3t-T0KEN"},
                                        {"OUT", "/data/out"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (strcmp(kv[i][0], name) == 0)
            return kv[i][1];
    return NULL;
}

static hxe_config_opts opts(void)
{
    hxe_config_opts o;
    memset(&o, 0, sizeof o);
    o.getenv_fn = fake_env;
    o.name = "test.yaml";
    return o;
}

static int parse(const char *text, hxe_config **out, hxe_err *err)
{
    hxe_config_opts o = opts();
    *out = NULL;
    return hxe_config_parse(out, text, strlen(text), &o, err);
}

/* Parses text that must fail; returns the error message. */
static const char *parse_fail(const char *text)
{
    static hxe_err err;
    hxe_config *c = NULL;
    memset(&err, 0, sizeof err);
    int rc = parse(text, &c, &err);
    if (rc == 0) {
        hxe_config_free(c);
        fail_msg("configuration was accepted:\n%s", text);
    }
    assert_null(c);
    return err.msg;
}

#define HEAD                 \
    "tenants:\n"             \
    "  - name: acme\n"       \
    "  - name: other\n"      \
    "channels:\n"

#define MIN_CHANNEL(name, port)                         \
    "  - name: " name "\n"                              \
    "    tenant: acme\n"                                \
    "    source: {type: mllp, port: " #port "}\n"        \
    "    destinations:\n"                               \
    "      - {name: out, type: file, path: /tmp/out}\n"

static const char FULL[] =
    "version: 1\n"
    "store:\n"
    "  backend: sqlite\n"
    "  path: /var/lib/hxe/hxe.db\n"
    "  group_commit: {batch: 64, wait: 5ms}\n"
    "  pruning: {content_days: 10, metadata_days: 100}\n"
    "log: {level: debug}\n"
    "tenants:\n"
    "  - name: acme\n"
    "    description: Acme Health\n"
    "channels:\n"
    "  - name: adt-in\n"
    "    tenant: acme\n"
    "    source:\n"
    "      type: mllp\n"
    "      host: 0.0.0.0\n"
    "      port: ${MLLP_PORT}\n"
    "      tls: {cert: /etc/hxe/cert.pem, key: /etc/hxe/key.pem, ca: /etc/hxe/ca.pem,\n"
    "            require_client_cert: true}\n"
    "      max_message: 4MiB\n"
    "      idle_timeout: 90s\n"
    "      max_connections: 10\n"
    "    accept: [\"ADT^A01\", \"ADT^A04\", \"ORU^*\"]\n"
    "    validation: error\n"
    "    duplicate_window: 1h30m\n"
    "    filter:\n"
    "      rule: 'MSH-9.1 in [\"ADT\", \"ORU\"] and exists PID-3'\n"
    "    transformer:\n"
    "      rules:\n"
    "        - set PID-8 = \"U\" when not exists PID-8\n"
    "        - delete NTE\n"
    "    destinations:\n"
    "      - name: emr\n"
    "        type: mllp\n"
    "        host: emr.example.org\n"
    "        port: 6661\n"
    "        ack_timeout: 10s\n"
    "        tls: {}\n"
    "        retry: {max_attempts: 7, initial_interval: 500ms, max_interval: 2m,\n"
    "                multiplier: 3, jitter: equal}\n"
    "        circuit_breaker: {failures: 3, open_for: 1m}\n"
    "        rate_limit: {per_second: 2.5}\n"
    "        queue: {order: fifo, batch: 1}\n"
    "      - name: api\n"
    "        type: http\n"
    "        url: https://api.example.org/hl7\n"
    "        method: PUT\n"
    "        headers: {Authorization: \"Bearer ${API_TOKEN}\", X-Tenant: acme}\n"
    "        timeout: 15s\n"
    "      - name: archive\n"
    "        type: file\n"
    "        path: ${OUT}\n"
    "        filename: \"{type}-{control_id}.hl7\"\n"
    "      - name: next\n"
    "        type: channel\n"
    "        channel: lab-out\n"
    "    pruning: {content_days: 3, metadata_days: 30}\n"
    "  - name: lab-out\n"
    "    tenant: acme\n"
    "    enabled: false\n"
    "    source: {type: directory, path: /srv/drop, pattern: \"*.hl7\", poll_interval: 2s}\n"
    "    filter:\n"
    "      lua: |\n"
    "        return msg:type() == \"ORU^R01\"\n"
    "      instructions: 5000\n"
    "      memory: 1MiB\n"
    "    destinations:\n"
    "      - {name: lab, type: http, url: \"http://lab.example.org/in\"}\n"
    "  - name: web\n"
    "    tenant: acme\n"
    "    source: {type: http, port: 8080, path: /hl7}\n"
    "    destinations:\n"
    "      - {name: out, type: file, path: /tmp/web}\n";

static void full_config(void **state)
{
    (void)state;
    hxe_config *c;
    hxe_err err = {0};
    int rc = parse(FULL, &c, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_string_equal(c->store.path, "/var/lib/hxe/hxe.db");
    assert_int_equal(c->store.group_commit_batch, 64);
    assert_int_equal(c->store.group_commit_wait_ms, 5);
    assert_int_equal(c->store.pruning.content_days, 10);
    assert_int_equal(c->log_level, HXE_LOG_DEBUG);
    assert_int_equal(c->ntenants, 1);
    assert_string_equal(c->tenants[0].description, "Acme Health");
    assert_int_equal(c->nchannels, 3);

    const hxe_channel_conf *ch = hxe_config_channel(c, "acme", "adt-in");
    assert_non_null(ch);
    assert_true(ch->enabled);
    assert_int_equal(ch->source.type, HXE_SOURCE_MLLP);
    assert_string_equal(ch->source.host, "0.0.0.0");
    assert_int_equal(ch->source.port, 2600); /* from ${MLLP_PORT} */
    assert_true(ch->source.tls.enabled);
    assert_true(ch->source.tls.require_client_cert);
    assert_string_equal(ch->source.tls.ca, "/etc/hxe/ca.pem");
    assert_int_equal(ch->source.max_message, 4u << 20);
    assert_int_equal(ch->source.idle_timeout_ms, 90000);
    assert_int_equal(ch->source.max_connections, 10);
    assert_int_equal(ch->naccept, 3);
    assert_int_equal(ch->validation, HXE_VALIDATION_ERROR);
    assert_int_equal(ch->duplicate_window_ms, 90 * 60 * 1000);
    assert_int_equal(ch->filter.kind, HXE_STEP_RULES);
    assert_non_null(ch->filter.rule);
    assert_int_equal(ch->transformer.kind, HXE_STEP_RULES);
    assert_int_equal(hxe_xform_count(ch->transformer.xform), 2);
    assert_int_equal(ch->pruning.content_days, 3);
    assert_int_equal(ch->ndests, 4);

    const hxe_dest_conf *d = &ch->dests[0];
    assert_int_equal(d->type, HXE_DEST_MLLP);
    assert_string_equal(d->host, "emr.example.org");
    assert_int_equal(d->port, 6661);
    assert_int_equal(d->ack_timeout_ms, 10000);
    assert_true(d->tls.enabled);
    assert_null(d->tls.cert);
    assert_int_equal(d->retry.max_attempts, 7);
    assert_int_equal(d->retry.initial_ms, 500);
    assert_int_equal(d->retry.max_ms, 120000);
    assert_true(d->retry.multiplier == 3.0);
    assert_int_equal(d->retry.jitter, HXE_JITTER_EQUAL);
    assert_int_equal(d->breaker.failures, 3);
    assert_int_equal(d->breaker.open_for_ms, 60000);
    assert_true(d->rate_limit.per_second == 2.5);
    assert_int_equal(d->rate_limit.burst, 3); /* ceil(per_second) by default */
    assert_int_equal(d->queue_batch, 1);

    d = &ch->dests[1];
    assert_int_equal(d->type, HXE_DEST_HTTP);
    assert_int_equal(d->nheaders, 2);
    assert_string_equal(d->headers[0].name, "Authorization");
    assert_string_equal(d->headers[0].value, "Bearer s3cr3t-T0KEN");
    assert_int_equal(d->timeout_ms, 15000);
    assert_int_equal(d->method, 1); /* PUT */
    /* defaults where nothing was said */
    assert_int_equal(d->retry.max_attempts, HXE_RETRY_DEFAULT_ATTEMPTS);
    assert_int_equal(d->retry.jitter, HXE_JITTER_FULL);
    assert_int_equal(d->breaker.failures, HXE_BREAKER_DEFAULT_FAILURES);
    assert_true(d->rate_limit.per_second == 0);
    assert_int_equal(d->queue_batch, 0); /* the runtime's default */

    d = &ch->dests[2];
    assert_string_equal(d->dir, "/data/out");
    assert_string_equal(d->filename, "{type}-{control_id}.hl7");
    d = &ch->dests[3];
    assert_int_equal(d->type, HXE_DEST_CHANNEL);
    assert_string_equal(c->channels[d->channel_index].name, "lab-out");

    ch = hxe_config_channel(c, "acme", "lab-out");
    assert_non_null(ch);
    assert_false(ch->enabled);
    assert_int_equal(ch->source.type, HXE_SOURCE_DIRECTORY);
    assert_string_equal(ch->source.done_dir, "/srv/drop/done");
    assert_string_equal(ch->source.error_dir, "/srv/drop/error");
    assert_int_equal(ch->source.poll_interval_ms, 2000);
    assert_int_equal(ch->filter.kind, HXE_STEP_LUA);
    assert_string_equal(ch->filter.lua.name, "lab-out.filter");
    assert_non_null(strstr(ch->filter.lua.src, "ORU^R01"));
    assert_int_equal(ch->filter.lua.limits.instructions, 5000);
    assert_int_equal(ch->filter.lua.limits.memory, 1u << 20);
    /* channel pruning inherits the store's */
    assert_int_equal(ch->pruning.content_days, 10);
    assert_int_equal(ch->validation, HXE_VALIDATION_WARN);

    ch = hxe_config_channel(c, "acme", "web");
    assert_int_equal(ch->source.type, HXE_SOURCE_HTTP);
    assert_string_equal(ch->source.http_path, "/hl7");
    assert_string_equal(ch->source.host, "127.0.0.1");
    assert_int_equal(ch->source.max_message, HXE_DEFAULT_MAX_MESSAGE);
    assert_null(hxe_config_channel(c, "other", "web"));
    hxe_config_free(c);
}

static void accept_patterns(void **state)
{
    (void)state;
    hxe_config *c;
    hxe_err err = {0};
    assert_int_equal(parse(FULL, &c, &err), 0);
    const hxe_channel_conf *ch = hxe_config_channel(c, "acme", "adt-in");
    assert_true(hxe_config_accepts(ch, "ADT^A01", 7));
    assert_true(hxe_config_accepts(ch, "ORU^R01", 7));
    assert_true(hxe_config_accepts(ch, "ORU^R30", 7));
    assert_false(hxe_config_accepts(ch, "ADT^A08", 7));
    assert_false(hxe_config_accepts(ch, "ADT^A0", 6));
    assert_false(hxe_config_accepts(ch, "ORM^O01", 7));
    assert_false(hxe_config_accepts(ch, "", 0));
    /* no accept list: everything */
    assert_true(hxe_config_accepts(hxe_config_channel(c, "acme", "web"), "ZZZ^Z99", 7));
    hxe_config_free(c);
}

static void demo_yaml_loads(void **state)
{
    (void)state;
    const char *src = getenv("HXE_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/demo.yaml", src ? src : ".");
    hxe_config *c = NULL;
    hxe_err err = {0};
    hxe_config_opts o;
    memset(&o, 0, sizeof o);
    o.getenv_fn = fake_env; /* none of the HXE_* variables are set: defaults apply */
    int rc = hxe_config_load(&c, path, &o, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_string_equal(c->store.path, "./var/hxe.db");
    assert_int_equal(c->ntenants, 1);
    assert_string_equal(c->tenants[0].name, "demo");
    assert_int_equal(c->nchannels, 1);
    const hxe_channel_conf *ch = &c->channels[0];
    assert_string_equal(ch->tenant, "demo");
    assert_int_equal(ch->source.type, HXE_SOURCE_MLLP);
    assert_string_equal(ch->source.host, "127.0.0.1");
    assert_int_equal(ch->source.port, 2575);
    assert_int_equal(ch->filter.kind, HXE_STEP_LUA);
    assert_non_null(strstr(ch->filter.lua.src, "msg:type()"));
    assert_int_equal(ch->ndests, 1);
    assert_int_equal(ch->dests[0].type, HXE_DEST_FILE);
    assert_string_equal(ch->dests[0].dir, "./var/out");

    /* the demo filter, run on the bundled example, keeps it; made an
     * A08 it drops it */
    hxe_script *s;
    assert_int_equal(hxe_script_new(&s, ch->filter.lua.name, ch->filter.lua.src, ch->filter.lua.len,
                                    HXE_SCRIPT_FILTER, &ch->filter.lua.limits, &err), 0);
    snprintf(path, sizeof path, "%s/examples/adt_a01.hl7", src ? src : ".");
    size_t n;
    char *text = tu_read(path, &n);
    assert_non_null(text);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse_n(&t, text, n), 0);
    int keep = -1;
    assert_int_equal(hxe_script_run(s, t.m, &keep, &err), 0);
    assert_int_equal(keep, 1);
    hxe_hl7_path p;
    hxe_hl7_path_parse(&p, "MSH-9.2", 7, NULL);
    assert_int_equal(hxe_hl7_set(t.m, &p, "A08", 3, HXE_HL7_SET_TEXT, NULL), 0);
    assert_int_equal(hxe_script_run(s, t.m, &keep, &err), 0);
    assert_int_equal(keep, 0);
    tu_done(&t);
    hxe_free(text);
    hxe_script_free(s);
    hxe_config_free(c);
}

static void env_interpolation(void **state)
{
    (void)state;
    hxe_config *c;
    hxe_err err = {0};
    const char *text = HEAD
        "  - name: a\n"
        "    tenant: acme\n"
        "    source: {type: mllp, port: \"${NOPE:-2700}\"}\n"
        "    destinations:\n"
        "      - name: x\n"
        "        type: file\n"
        "        path: \"$${OUT}/${OUT}/${EMPTY:-fallback}/${EMPTY}/end$\"\n"
        "        filename: pre-${NOPE:-}-{id}\n";
    int rc = parse(text, &c, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(c->channels[0].source.port, 2700);
    assert_string_equal(c->channels[0].dests[0].dir, "${OUT}//data/out/fallback//end$");
    assert_string_equal(c->channels[0].dests[0].filename, "pre--{id}");
    hxe_config_free(c);

    /* a variable without default that is not set: an error naming the key
     * and the variable */
    const char *msg = parse_fail(HEAD
                                 "  - name: a\n"
                                 "    tenant: acme\n"
                                 "    source: {type: mllp, port: 1}\n"
                                 "    destinations:\n"
                                 "      - name: x\n"
                                 "        type: http\n"
                                 "        url: \"https://h/${UNSET_VAR}\"\n");
    assert_non_null(strstr(msg, "test.yaml:11:14:"));
    assert_non_null(strstr(msg, "channels[0].destinations[0].url"));
    assert_non_null(strstr(msg, "UNSET_VAR is not set"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    duplicate_window: ${BROKEN\n");
    assert_non_null(strstr(msg, "bad ${...}"));
}

static void secrets_not_echoed(void **state)
{
    (void)state;
    /* a secret that lands where a number belongs is not quoted back */
    const char *msg = parse_fail(HEAD
                                 "  - name: a\n"
                                 "    tenant: acme\n"
                                 "    source: {type: mllp, port: \"${BAD_PORT}\"}\n"
                                 "    destinations:\n"
                                 "      - {name: out, type: file, path: /tmp}\n");
    assert_non_null(strstr(msg, "test.yaml:7:32: channels[0].source.port: expected a whole number"));
    assert_null(strstr(msg, "s3cr3t"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: out, type: http, url: \"${API_TOKEN}\"}\n");
    assert_non_null(strstr(msg, "destinations[0].url: a URL starts with http"));
    assert_null(strstr(msg, "s3cr3t"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    duplicate_window: \"${API_TOKEN}\"\n");
    assert_null(strstr(msg, "s3cr3t"));
    assert_non_null(strstr(msg, "expected a duration"));
}

static void unknown_keys(void **state)
{
    (void)state;
    const char *msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    retries: 3\n");
    assert_string_equal(msg, "test.yaml:10:5: channels[0]: unknown key 'retries'");
    msg = parse_fail("tenants: [{name: a}]\nchannels: []\nlogging: {}\n");
    assert_string_equal(msg, "test.yaml:3:1: unknown key 'logging'");
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1, path: /x}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n");
    assert_string_equal(msg, "test.yaml:7:35: channels[0].source: unknown key 'path'");
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - name: out\n"
                     "        type: file\n"
                     "        path: /tmp\n"
                     "        retry: {max_attempts: 3, backoff: 2}\n");
    assert_string_equal(msg, "test.yaml:12:34: channels[0].destinations[0].retry: unknown key 'backoff'");
    /* keys that belong to another destination type */
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp, url: \"http://x\"}\n");
    assert_non_null(strstr(msg, "unknown key 'url'"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    enabled: true\n    enabled: false\n");
    assert_non_null(strstr(msg, "given twice"));
}

static void bad_values(void **state)
{
    (void)state;
    const char *msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    duplicate_window: 10 minutes\n");
    assert_string_equal(msg, "test.yaml:10:23: channels[0].duplicate_window: expected a duration "
                             "such as 500ms, 30s, 5m, 1h or 7d");
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    duplicate_window: 30\n");
    assert_non_null(strstr(msg, "expected a duration"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 70000}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n");
    assert_string_equal(msg, "test.yaml:7:32: channels[0].source.port: expected a whole number from 1 to 65535");
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1, max_message: 16MB!}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n");
    assert_non_null(strstr(msg, "source.max_message: expected a size"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp, queue: {batch: 65}}\n");
    assert_non_null(strstr(msg, "destinations[0].queue.batch: expected a whole number from 1 to 64"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    validation: strict\n");
    assert_string_equal(msg, "test.yaml:10:17: channels[0].validation: expected one of: off, warn, error");
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    enabled: maybe\n");
    assert_non_null(strstr(msg, "expected true or false"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    accept: [\"ADT A01\"]\n");
    assert_non_null(strstr(msg, "channels[0].accept[0]: expected a type"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: ftp, port: 1}\n"
                     "    destinations: []\n");
    assert_non_null(strstr(msg, "source.type: expected one of: mllp, directory, http"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations: []\n");
    assert_non_null(strstr(msg, "destinations: expected a list of one or more"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1, tls: {cert: /c.pem}}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n");
    assert_non_null(strstr(msg, "source.tls: missing required key 'key'"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1, tls: {cert: /c, key: /k, require_client_cert: true}}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n");
    assert_non_null(strstr(msg, "require_client_cert needs a ca"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp, filename: \"{patient}.hl7\"}\n");
    assert_non_null(strstr(msg, "destinations[0].filename: a file name without '/'"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - name: out\n"
                     "        type: file\n"
                     "        path: /tmp\n"
                     "        retry: {initial_interval: 10s, max_interval: 1s}\n");
    assert_non_null(strstr(msg, "max_interval must be at least initial_interval"));
    msg = parse_fail(HEAD "  - name: \"bad name/../x\"\n    tenant: acme\n");
    assert_non_null(strstr(msg, "channels[0].name: a name is 1 to 64"));
    msg = parse_fail(HEAD "  - name: a\n    tenant: acme\n    destinations: []\n");
    assert_string_equal(msg, "test.yaml:5:5: channels[0]: missing required key 'source'");
    msg = parse_fail("store: {pruning: {content_days: 30, metadata_days: 7}}\n"
                     "tenants: [{name: a}]\nchannels: []\n");
    assert_non_null(strstr(msg, "store.pruning: metadata_days must be 0"));
}

static void references(void **state)
{
    (void)state;
    const char *msg = parse_fail(HEAD
                                 "  - name: a\n"
                                 "    tenant: nobody\n"
                                 "    source: {type: mllp, port: 1}\n"
                                 "    destinations:\n"
                                 "      - {name: out, type: file, path: /tmp}\n");
    assert_string_equal(msg, "test.yaml:6:13: channels[0].tenant: no tenant of this name is "
                             "declared under tenants");
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1)
                     "  - name: b\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 2}\n"
                     "    destinations:\n"
                     "      - {name: fwd, type: channel, channel: c}\n");
    assert_string_equal(msg, "test.yaml:14:45: channels[1].destinations[0].channel: no channel of "
                             "this name in the same tenant");
    /* a channel of the same name in another tenant is out of reach */
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: other\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n"
                     "  - name: b\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 2}\n"
                     "    destinations:\n"
                     "      - {name: fwd, type: channel, channel: a}\n");
    assert_non_null(strstr(msg, "channels[1].destinations[0].channel: no channel of this name"));
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: self, type: channel, channel: a}\n");
    assert_non_null(strstr(msg, "cannot deliver to itself"));
    /* a -> b -> a */
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: fwd, type: channel, channel: b}\n"
                     "  - name: b\n"
                     "    tenant: acme\n"
                     "    source: {type: directory, path: /x}\n"
                     "    destinations:\n"
                     "      - {name: back, type: channel, channel: a}\n");
    assert_non_null(strstr(msg, "form a loop"));
}

static void duplicates_and_ports(void **state)
{
    (void)state;
    const char *msg = parse_fail(HEAD MIN_CHANNEL("a", 1) MIN_CHANNEL("a", 2));
    assert_string_equal(msg, "test.yaml:10:11: channels[1].name: channel name already used by "
                             "channels[0] of this tenant");
    /* the same name in another tenant is fine */
    hxe_config *c;
    hxe_err err = {0};
    assert_int_equal(parse(HEAD MIN_CHANNEL("a", 1)
                               "  - name: a\n"
                               "    tenant: other\n"
                               "    source: {type: mllp, port: 2}\n"
                               "    destinations:\n"
                               "      - {name: out, type: file, path: /tmp/out}\n",
                           &c, &err),
                     0);
    assert_non_null(hxe_config_channel(c, "other", "a"));
    hxe_config_free(c);
    msg = parse_fail("tenants:\n  - name: t\n  - name: t\nchannels: []\n");
    assert_string_equal(msg, "test.yaml:3:5: tenants[1]: tenant name used twice");
    msg = parse_fail(HEAD MIN_CHANNEL("a", 2575) MIN_CHANNEL("b", 2575));
    assert_string_equal(msg, "test.yaml:12:32: channels[1].source.port: port already used by the "
                             "source of channels[0]");
    msg = parse_fail(HEAD
                     "  - name: a\n"
                     "    tenant: acme\n"
                     "    source: {type: mllp, port: 1}\n"
                     "    destinations:\n"
                     "      - {name: out, type: file, path: /tmp}\n"
                     "      - {name: out, type: file, path: /tmp2}\n");
    assert_non_null(strstr(msg, "channels[0].destinations[1]: destination name used twice"));
    /* a disabled channel does not hold its port */
    assert_int_equal(parse(HEAD MIN_CHANNEL("a", 2575) MIN_CHANNEL("b", 2575) "    enabled: false\n",
                           &c, &err),
                     0);
    hxe_config_free(c);
}

static void yaml_problems(void **state)
{
    (void)state;
    const char *msg = parse_fail("tenants: &t [{name: a}]\nchannels: *t\n");
    assert_non_null(strstr(msg, "anchors are not supported"));
    msg = parse_fail("tenants: [{name: a}\nchannels: []\n");
    assert_non_null(strstr(msg, "test.yaml:2:"));
    assert_non_null(strstr(msg, "YAML:"));
    msg = parse_fail("");
    assert_non_null(strstr(msg, "empty"));
    msg = parse_fail("- just\n- a list\n");
    assert_non_null(strstr(msg, "expected a mapping"));
    msg = parse_fail("tenants: [{name: a}]\nchannels: []\n---\ntenants: []\n");
    assert_non_null(strstr(msg, "more than one YAML document"));
    /* depth limit */
    char deep[2048] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    msg = parse_fail(deep);
    assert_non_null(strstr(msg, "nesting too deep"));
    /* size limit */
    hxe_config_opts o = opts();
    o.max_bytes = 16;
    hxe_config *c = NULL;
    hxe_err err = {0};
    assert_int_equal(hxe_config_parse(&c, FULL, strlen(FULL), &o, &err), HXE_ETOOBIG);
}

static void rule_and_script_errors(void **state)
{
    (void)state;
    const char *msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    filter: {rule: 'MSH-9.1 = \"ORU\"'}\n");
    assert_string_equal(msg, "test.yaml:10:20: channels[0].filter.rule: col 9: expected ==, !=, <, "
                             "<=, >, >=, in or matches after the path");
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1)
                     "    transformer:\n"
                     "      rules:\n"
                     "        - delete NTE\n"
                     "        - set PID-8 \"U\"\n");
    assert_string_equal(msg, "test.yaml:13:11: channels[0].transformer.rules[1]: col 11: expected "
                             "'=' after the path");
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    filter: {lua: \"return (\"}\n");
    assert_non_null(strstr(msg, "channels[0].filter.lua: script a.filter:1:"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    filter: {lua: \"return true\", rule: 'exists PID'}\n");
    assert_non_null(strstr(msg, "give exactly one of rule, lua, lua_file"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    filter: {rule: 'exists PID', memory: 1MiB}\n");
    assert_non_null(strstr(msg, "'memory' applies to Lua scripts only"));
    msg = parse_fail(HEAD MIN_CHANNEL("a", 1) "    filter: {lua_file: does-not-exist.lua}\n");
    assert_non_null(strstr(msg, "channels[0].filter.lua_file: cannot read the script file"));
    hxe_config_opts o = opts();
    o.no_files = 1;
    hxe_config *c = NULL;
    hxe_err err = {0};
    const char *t = HEAD MIN_CHANNEL("a", 1) "    filter: {lua_file: x.lua}\n";
    assert_int_equal(hxe_config_parse(&c, t, strlen(t), &o, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "not allowed"));
}

static void units(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(hxe_config_parse_duration("500ms", 5, &v), 0);
    assert_int_equal(v, 500);
    assert_int_equal(hxe_config_parse_duration("30s", 3, &v), 0);
    assert_int_equal(v, 30000);
    assert_int_equal(hxe_config_parse_duration("5m", 2, &v), 0);
    assert_int_equal(v, 300000);
    assert_int_equal(hxe_config_parse_duration("1h", 2, &v), 0);
    assert_int_equal(v, 3600000);
    assert_int_equal(hxe_config_parse_duration("7d", 2, &v), 0);
    assert_int_equal(v, 7ULL * 86400000);
    assert_int_equal(hxe_config_parse_duration("1h30m15s", 8, &v), 0);
    assert_int_equal(v, 5415000);
    assert_int_equal(hxe_config_parse_duration("0", 1, &v), 0);
    assert_int_equal(v, 0);
    const char *bad[] = {"", "5", "ms", "5x", "-5s", "5 s", "1.5s", "s5", "5mss"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hxe_config_parse_duration(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("duration '%s' was accepted", bad[i]);
    assert_int_equal(hxe_config_parse_duration("99999999999999999d", 18, &v), HXE_ERANGE);
    assert_int_equal(hxe_config_parse_size("16MiB", 5, &v), 0);
    assert_int_equal(v, 16u << 20);
    assert_int_equal(hxe_config_parse_size("512", 3, &v), 0);
    assert_int_equal(v, 512);
    assert_int_equal(hxe_config_parse_size("10KB", 4, &v), 0);
    assert_int_equal(v, 10000);
    assert_int_equal(hxe_config_parse_size("2GiB", 4, &v), 0);
    assert_int_equal(v, 2ULL << 30);
    const char *bads[] = {"", "MiB", "16 MiB", "16mib", "1.5MiB", "-1"};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
        if (hxe_config_parse_size(bads[i], strlen(bads[i]), &v) == 0)
            fail_msg("size '%s' was accepted", bads[i]);
    assert_int_equal(hxe_config_parse_size("99999999GiB", 11, &v), HXE_ERANGE);
}

static void file_names(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    hxe_filename_vars v = {"adt-in", "42", "../../etc/passwd", "ADT^A01", "20240101T000000Z", 7};
    assert_int_equal(hxe_config_filename("{channel}-{id}-{seq}.hl7", &v, &b), 0);
    assert_string_equal(b.p, "adt-in-42-7.hl7");
    hxe_buf_truncate(&b, 0);
    assert_int_equal(hxe_config_filename("{type}_{control_id}", &v, &b), 0);
    assert_string_equal(b.p, "ADT^A01_.._.._etc_passwd"); /* no way out of the folder */
    hxe_buf_truncate(&b, 0);
    v.control_id = "..";
    assert_int_equal(hxe_config_filename("{control_id}", &v, &b), 0);
    assert_string_not_equal(b.p, "..");
    hxe_buf_truncate(&b, 0);
    assert_int_equal(hxe_config_filename("{nope}", &v, &b), HXE_EINVAL);
    hxe_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_config),       cmocka_unit_test(accept_patterns),
        cmocka_unit_test(demo_yaml_loads),   cmocka_unit_test(env_interpolation),
        cmocka_unit_test(secrets_not_echoed), cmocka_unit_test(unknown_keys),
        cmocka_unit_test(bad_values),        cmocka_unit_test(references),
        cmocka_unit_test(duplicates_and_ports), cmocka_unit_test(yaml_problems),
        cmocka_unit_test(rule_and_script_errors), cmocka_unit_test(units),
        cmocka_unit_test(file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

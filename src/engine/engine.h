/*
 * engine.h — the loop-independent parts of the channel engine: the
 * configuration (YAML with ${ENV} interpolation, checked against a schema,
 * cross references resolved), declarative rules on HL7 paths (filters and
 * transformer actions), sandboxed Lua 5.4 scripts, and the delivery
 * policies (retry schedule, circuit breaker, token-bucket rate limit) as
 * pure functions of an injected "now".
 *
 * Nothing here touches a socket, a store or an event loop: the channel
 * runtime (which joins net/ and store/) builds on these pieces.
 *
 * Sub-prefixes: hxe_config_* (configuration), hxe_rule_* and hxe_xform_*
 * (rules), hxe_script_* (Lua), hxe_retry_*, hxe_breaker_*, hxe_ratelimit_*
 * and hxe_rng_* (policies). Times are milliseconds in uint64_t throughout.
 *
 * Errors name places (file:line:col, key paths, HL7 paths, script line
 * numbers), never values: a value may be a secret from the environment
 * or content of a message.
 */
#ifndef HXE_ENGINE_H
#define HXE_ENGINE_H

#include "base/base.h"
#include "hl7v2/hl7v2.h"

/* ======================================================================
 * Units: "500ms", "30s", "5m", "1h", "7d" (and sums such as "1h30m");
 * "0" alone is zero. Sizes: "512", "100B", "64KiB", "16MiB", "1GiB",
 * "10KB", "5MB", "1GB". Both return 0 or HXE_EINVAL / HXE_ERANGE.
 * ====================================================================== */
int hxe_config_parse_duration(const char *s, size_t n, uint64_t *out_ms);
int hxe_config_parse_size(const char *s, size_t n, uint64_t *out_bytes);

/* ======================================================================
 * Delivery policies
 * ====================================================================== */

/* A small seeded PRNG (splitmix64) the caller owns, so schedules are
 * reproducible in tests and independent between destinations. */
typedef struct hxe_rng {
    uint64_t s;
} hxe_rng;

void hxe_rng_seed(hxe_rng *r, uint64_t seed);
uint64_t hxe_rng_next(hxe_rng *r);
/* Uniform in [0, bound] (inclusive). */
uint64_t hxe_rng_upto(hxe_rng *r, uint64_t bound);

enum hxe_jitter {
    HXE_JITTER_NONE = 0,  /* exactly the exponential delay */
    HXE_JITTER_FULL = 1,  /* uniform in [0, delay] */
    HXE_JITTER_EQUAL = 2  /* delay/2 + uniform in [0, delay/2] */
};

typedef struct hxe_retry_conf {
    uint32_t max_attempts;   /* total attempts, the first included; 0 = never dead */
    uint64_t initial_ms;     /* delay after the first failure (before jitter) */
    uint64_t max_ms;         /* cap on any delay */
    double multiplier;       /* growth per failure, >= 1 */
    int jitter;              /* enum hxe_jitter */
} hxe_retry_conf;

#define HXE_RETRY_DEFAULT_ATTEMPTS 10
#define HXE_RETRY_DEFAULT_INITIAL_MS 1000
#define HXE_RETRY_DEFAULT_MAX_MS (5 * 60 * 1000)
#define HXE_RETRY_DEFAULT_MULTIPLIER 2.0
void hxe_retry_conf_default(hxe_retry_conf *c);

/*
 * After `failures` failed attempts (1 after the first failure), decides
 * what happens next: returns 0 and sets *delay_ms to the wait before the
 * next attempt, or returns 1 when the message is dead (max_attempts
 * reached; *delay_ms is 0). The delay before jitter is
 * min(max_ms, initial_ms * multiplier^(failures-1)).
 */
int hxe_retry_next(const hxe_retry_conf *c, uint32_t failures, hxe_rng *rng,
                   uint64_t *delay_ms);

enum hxe_breaker_state {
    HXE_BREAKER_CLOSED = 0,
    HXE_BREAKER_OPEN = 1,
    HXE_BREAKER_HALF_OPEN = 2
};

typedef struct hxe_breaker_conf {
    uint32_t failures;       /* consecutive failures that open it; 0 = no breaker */
    uint64_t open_for_ms;    /* time open before one probe is let through */
} hxe_breaker_conf;

#define HXE_BREAKER_DEFAULT_FAILURES 5
#define HXE_BREAKER_DEFAULT_OPEN_MS 30000

typedef struct hxe_breaker {
    hxe_breaker_conf conf;
    int state;               /* enum hxe_breaker_state (read-only) */
    uint32_t consecutive;    /* consecutive failures seen while closed */
    uint64_t opened_at;      /* when it last opened */
    int probing;             /* half-open: a probe is out */
} hxe_breaker;

void hxe_breaker_init(hxe_breaker *b, const hxe_breaker_conf *c);
/* May an attempt start at `now`? Returns 1 (go; in half-open this is the
 * one probe) or 0 (wait; *wait_ms says how long, 0 when a probe is out
 * and the answer depends on its outcome). */
int hxe_breaker_allow(hxe_breaker *b, uint64_t now, uint64_t *wait_ms);
void hxe_breaker_success(hxe_breaker *b, uint64_t now);
void hxe_breaker_failure(hxe_breaker *b, uint64_t now);
const char *hxe_breaker_state_name(int state);

typedef struct hxe_ratelimit_conf {
    double per_second;       /* refill rate; 0 = unlimited */
    uint32_t burst;          /* bucket size; 0 = max(1, ceil(per_second)) */
} hxe_ratelimit_conf;

typedef struct hxe_ratelimit {
    hxe_ratelimit_conf conf;
    double tokens;
    uint64_t last;           /* time of the last refill */
} hxe_ratelimit;

/* The bucket starts full. */
void hxe_ratelimit_init(hxe_ratelimit *r, const hxe_ratelimit_conf *c, uint64_t now);
/* Takes one token when there is one and returns 0; otherwise takes
 * nothing and returns the wait in ms (>= 1) until a token will be there.
 * A clock that goes backwards is treated as standing still. */
uint64_t hxe_ratelimit_take(hxe_ratelimit *r, uint64_t now);

/* ======================================================================
 * Rules: conditions and transformer actions on HL7 paths
 *
 *   MSH-9.1 == "ORU"            PID-8 != "U"          MSH-9.2 in ["A01","A04"]
 *   exists PID-3                PID-3.1 matches "^[0-9]+$"
 *   OBX-5 > "10" (numeric when both sides are numbers)
 *   PID-5.1 == NK1-2.1 (path on the right: compare two values)
 *   (a or b) and not c
 *
 * Values compared are decoded text (escapes resolved, UTF-8). An absent
 * value is the empty string, as in HL7. Regexes are POSIX extended.
 *
 * Actions (transformer):
 *   set PID-8 = "U"             set ZPI-1 = PID-3.1 (copy a value)
 *   delete NTE                  delete PID-5[2]
 *   ... when CONDITION          (apply only when the condition holds)
 * ====================================================================== */
typedef struct hxe_rule_limits {
    size_t max_length;       /* rule text; default 4096 bytes */
    unsigned max_depth;      /* nesting of not/and/or/parentheses; default 32 */
    size_t max_nodes;        /* terms in one rule; default 256 */
    size_t max_list;         /* strings in one `in [...]`; default 256 */
} hxe_rule_limits;

#define HXE_RULE_MAX_LENGTH_DEFAULT 4096
#define HXE_RULE_MAX_DEPTH_DEFAULT 32
#define HXE_RULE_MAX_NODES_DEFAULT 256
#define HXE_RULE_MAX_LIST_DEFAULT 256

typedef struct hxe_rule hxe_rule;

/* Compiles a condition. On error returns HXE_EPARSE (or HXE_ETOOBIG)
 * with err naming the column ("col 14: expected a string after '=='"). */
int hxe_rule_compile(hxe_rule **out, const char *text, size_t n,
                     const hxe_rule_limits *lim, hxe_err *err);
/* Evaluates against a message: *out is 1 (holds) or 0. Returns 0 or a
 * negative code (out of memory). */
int hxe_rule_eval(const hxe_rule *r, const hxe_hl7_msg *m, int *out, hxe_err *err);
void hxe_rule_free(hxe_rule *r);

/* A list of actions, applied in order. */
typedef struct hxe_xform hxe_xform;

int hxe_xform_new(hxe_xform **out);
/* Compiles one action and appends it. */
int hxe_xform_add(hxe_xform *x, const char *text, size_t n, const hxe_rule_limits *lim,
                  hxe_err *err);
size_t hxe_xform_count(const hxe_xform *x);
/* Applies every action. On failure the message may be half edited: the
 * caller discards it. err names the action (1-based) and the HL7 path. */
int hxe_xform_apply(const hxe_xform *x, hxe_hl7_msg *m, hxe_err *err);
void hxe_xform_free(hxe_xform *x);

/* ======================================================================
 * Lua scripts (sandboxed Lua 5.4)
 *
 * A script is a chunk run once per message with the global `msg` bound to
 * it. Each run gets fresh globals (a new environment table whose misses
 * fall through to the sandbox's libraries), so nothing a script sets as a
 * global survives to the next message. The lua_State, the compiled chunk
 * and the library tables are reused for the life of the script.
 *
 * Available: assert error ipairs next pairs pcall xpcall rawequal rawget
 * rawlen rawset select setmetatable getmetatable tonumber tostring type
 * unpack load (text only, sandboxed), collectgarbage("count"), the string
 * (without dump), table, math and utf8 libraries, os.time, os.clock,
 * os.date, log(...) (a no-op unless enabled). Not available: io, os (the
 * rest), require, package, debug, dofile, loadfile, coroutine, print,
 * string.dump, bytecode.
 *
 * msg:get(path)  decoded text ("" when empty, nil when the segment is absent)
 * msg:raw(path)  the value as written
 * msg:set(path, value)  value is text (escaped for you); nil clears
 * msg:delete(path)
 * msg:count(path)  segments / repetitions / components / subcomponents
 * msg:type()  "ADT^A01" (MSH-9.1^MSH-9.2)
 * ====================================================================== */
enum hxe_script_kind {
    HXE_SCRIPT_FILTER = 0,       /* returns true (keep) or false (drop) */
    HXE_SCRIPT_TRANSFORMER = 1   /* edits msg in place; return value ignored */
};

typedef struct hxe_script_limits {
    uint64_t instructions;   /* per message; default 1,000,000 */
    size_t memory;           /* whole state, libraries included; default 8 MiB */
    int log;                 /* 1: log(...) writes (content may reach logs!) */
    int verbose_errors;      /* 1: include Lua's error text (it may quote content) */
} hxe_script_limits;

#define HXE_SCRIPT_INSTRUCTIONS_DEFAULT 1000000
#define HXE_SCRIPT_MEMORY_DEFAULT ((size_t)8 << 20)

/* How a run ended, for the runtime's counters and the message's history. */
enum hxe_script_status {
    HXE_SCRIPT_OK = 0,
    HXE_SCRIPT_ERROR = 1,        /* runtime error (or a filter returned a non-boolean) */
    HXE_SCRIPT_BUDGET = 2,       /* instruction budget exceeded */
    HXE_SCRIPT_MEMORY = 3        /* memory cap reached */
};

typedef struct hxe_script hxe_script;

/* Where log(...) goes when enabled: a callback (text is what the script
 * passed, joined by tabs). NULL: hxe_log at debug level. */
typedef void (*hxe_script_log_fn)(void *data, const char *script, const char *text, size_t n);

/* Creates the state and compiles the chunk (name is used in errors:
 * "demo_filter.lua line 3: ..."). A syntax error is HXE_EPARSE. */
int hxe_script_new(hxe_script **out, const char *name, const char *src, size_t n, int kind,
                   const hxe_script_limits *lim, hxe_err *err);
/* Only compiles (for configuration checks); no state is kept. */
int hxe_script_check(const char *name, const char *src, size_t n, hxe_err *err);
void hxe_script_set_log(hxe_script *s, hxe_script_log_fn fn, void *data);
/* Runs a filter: *keep is 1 or 0. Runs a transformer: *keep is 1.
 * Returns 0, or HXE_EERROR with err saying which status and the script
 * line; hxe_script_last_status tells the kind. The state stays usable. */
int hxe_script_run(hxe_script *s, hxe_hl7_msg *m, int *keep, hxe_err *err);
int hxe_script_last_status(const hxe_script *s);
/* Bytes the state holds now (for metrics). */
size_t hxe_script_memory(const hxe_script *s);
void hxe_script_free(hxe_script *s);

/* ======================================================================
 * Configuration
 * ====================================================================== */
enum hxe_source_type { HXE_SOURCE_MLLP = 0, HXE_SOURCE_DIRECTORY = 1, HXE_SOURCE_HTTP = 2 };
enum hxe_dest_type {
    HXE_DEST_MLLP = 0,
    HXE_DEST_HTTP = 1,
    HXE_DEST_FILE = 2,
    HXE_DEST_CHANNEL = 3
};
enum hxe_validation { HXE_VALIDATION_OFF = 0, HXE_VALIDATION_WARN = 1, HXE_VALIDATION_ERROR = 2 };
enum hxe_step_kind { HXE_STEP_NONE = 0, HXE_STEP_RULES = 1, HXE_STEP_LUA = 2 };
enum hxe_queue_order { HXE_QUEUE_FIFO = 0 };

/* Defaults (docs/channels.md lists them all) */
#define HXE_CONFIG_MAX_BYTES_DEFAULT ((size_t)1 << 20)
#define HXE_CONFIG_MAX_DEPTH_DEFAULT 32
#define HXE_CONFIG_MAX_NODES_DEFAULT 100000
#define HXE_DEFAULT_MAX_MESSAGE ((uint64_t)16 << 20)
#define HXE_DEFAULT_IDLE_TIMEOUT_MS (5 * 60 * 1000)
#define HXE_DEFAULT_MAX_CONNECTIONS 256
#define HXE_DEFAULT_POLL_INTERVAL_MS 5000
#define HXE_DEFAULT_ACK_TIMEOUT_MS 30000
#define HXE_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define HXE_DEFAULT_HTTP_TIMEOUT_MS 30000
#define HXE_DEFAULT_DUPLICATE_WINDOW_MS (24ULL * 3600 * 1000)
#define HXE_DEFAULT_GROUP_COMMIT_BATCH 256
#define HXE_DEFAULT_GROUP_COMMIT_WAIT_MS 2
#define HXE_DEFAULT_CONTENT_DAYS 30
#define HXE_DEFAULT_PRUNE_INTERVAL_MS 3600000ULL
#define HXE_DEFAULT_METADATA_DAYS 365
#define HXE_DEFAULT_FILENAME "{channel}-{id}.hl7"

typedef struct hxe_tls_conf {
    int enabled;             /* 1 when a tls: section was given */
    char *cert;              /* PEM file paths; NULL when not given */
    char *key;
    char *ca;
    int require_client_cert; /* listeners: mutual TLS */
} hxe_tls_conf;

typedef struct hxe_pruning_conf {
    uint32_t content_days;   /* 0 = keep forever */
    uint32_t metadata_days;  /* 0 = keep forever; never less than content_days */
    uint64_t interval_ms;    /* store level only: how often `hxe serve` prunes;
                                default 1 h */
} hxe_pruning_conf;

typedef struct hxe_source_conf {
    int type;                /* enum hxe_source_type */
    /* mllp, http */
    char *host;              /* default 127.0.0.1 */
    uint16_t port;
    hxe_tls_conf tls;
    uint64_t max_message;    /* bytes; default 16 MiB (every type) */
    uint64_t idle_timeout_ms;
    uint32_t max_connections;
    char *http_path;         /* http: default "/" */
    /* directory */
    char *dir;
    char *pattern;           /* fnmatch(3) pattern; default "*" */
    uint64_t poll_interval_ms;
    uint64_t min_age_ms;     /* directory: files modified more recently wait; 0 */
    char *done_dir;          /* default DIR/done */
    char *error_dir;         /* default DIR/error */
} hxe_source_conf;

typedef struct hxe_header_conf {
    char *name;
    char *value;             /* may hold a secret: never log it */
} hxe_header_conf;

typedef struct hxe_dest_conf {
    char *name;
    int type;                /* enum hxe_dest_type */
    /* mllp */
    char *host;
    uint16_t port;
    hxe_tls_conf tls;        /* mllp and http (client certificate, CA) */
    uint64_t ack_timeout_ms;
    uint64_t connect_timeout_ms;
    /* http */
    char *url;               /* http:// or https:// */
    int method;              /* 0 POST (default), 1 PUT */
    hxe_header_conf *headers;
    size_t nheaders;
    uint64_t timeout_ms;
    /* file */
    char *dir;
    char *filename;          /* pattern with {channel} {id} {control_id} {type} {timestamp} {seq} */
    /* channel */
    char *channel;           /* target channel, same tenant */
    size_t channel_index;    /* resolved index into hxe_config.channels */
    /* every type */
    int queue_order;         /* enum hxe_queue_order */
    uint32_t queue_batch;    /* deliveries claimed at once, sent in order;
                                1..64, 0 = the runtime's delivery_batch */
    hxe_retry_conf retry;
    hxe_breaker_conf breaker;
    hxe_ratelimit_conf rate_limit;
} hxe_dest_conf;

typedef struct hxe_script_conf {
    char *name;              /* file name, or "CHANNEL.filter" for inline code */
    char *src;
    size_t len;
    hxe_script_limits limits;
} hxe_script_conf;

typedef struct hxe_step_conf {
    int kind;                /* enum hxe_step_kind */
    hxe_rule *rule;          /* filter with kind RULES */
    hxe_xform *xform;        /* transformer with kind RULES */
    hxe_script_conf lua;     /* kind LUA */
} hxe_step_conf;

typedef struct hxe_channel_conf {
    char *name;
    char *tenant;
    size_t tenant_index;
    int enabled;
    hxe_source_conf source;
    char **accept;           /* "ADT^A01", "ADT^*", "*"; naccept 0 = all */
    size_t naccept;
    int validation;          /* enum hxe_validation; default warn */
    char *validation_version;/* NULL: the message's MSH-12 */
    uint64_t duplicate_window_ms; /* 0 = no duplicate detection */
    hxe_step_conf filter;
    hxe_step_conf transformer;
    hxe_dest_conf *dests;
    size_t ndests;
    hxe_pruning_conf pruning;
    unsigned line;           /* where the channel is defined */
} hxe_channel_conf;

typedef struct hxe_tenant_conf {
    char *name;
    char *description;
} hxe_tenant_conf;

typedef struct hxe_store_conf {
    char *backend;           /* "sqlite" */
    char *path;              /* default ./var/hxe.db */
    uint32_t group_commit_batch;
    uint64_t group_commit_wait_ms;
    hxe_pruning_conf pruning;
} hxe_store_conf;

typedef struct hxe_config {
    char *source_name;       /* file name or "<config>" */
    hxe_store_conf store;
    int log_level;           /* enum hxe_log_level; default info */
    hxe_tenant_conf *tenants;
    size_t ntenants;
    hxe_channel_conf *channels;
    size_t nchannels;
    /* private */
    hxe_arena arena;
} hxe_config;

/* Where ${NAME} values come from; NULL means getenv(3). */
typedef const char *(*hxe_config_getenv_fn)(void *data, const char *name);

typedef struct hxe_config_opts {
    size_t max_bytes;        /* config text; default 1 MiB */
    unsigned max_depth;      /* YAML nesting; default 32 */
    size_t max_nodes;        /* YAML nodes; default 100,000 */
    hxe_config_getenv_fn getenv_fn;
    void *getenv_data;
    const char *base_dir;    /* where lua_file paths resolve; NULL: the config
                                file's folder (load) or "." (parse) */
    const char *name;        /* name in messages for parse; default "<config>" */
    int no_files;            /* 1: refuse lua_file (fuzzing, untrusted text) */
    int no_script_check;     /* 1: do not compile Lua at load */
} hxe_config_opts;

/*
 * Parses and checks a configuration. On success *out owns everything
 * (free with hxe_config_free). On failure returns HXE_EPARSE (or
 * HXE_ETOOBIG, HXE_EIO, HXE_ENOMEM) with err set to
 * "FILE:LINE:COL: KEY.PATH: what is wrong" — the first problem found.
 * Values are never quoted in errors.
 */
int hxe_config_parse(hxe_config **out, const char *buf, size_t len, const hxe_config_opts *opts,
                     hxe_err *err);
int hxe_config_load(hxe_config **out, const char *path, const hxe_config_opts *opts,
                    hxe_err *err);
void hxe_config_free(hxe_config *c);

/* The channel named `name` of `tenant`, or NULL. */
const hxe_channel_conf *hxe_config_channel(const hxe_config *c, const char *tenant,
                                           const char *name);
/* 1 when the channel accepts messages of this type ("ADT^A01": MSH-9.1
 * ^MSH-9.2; a pattern "ADT^*" matches every ADT, "*" everything). */
int hxe_config_accepts(const hxe_channel_conf *ch, const char *type, size_t n);
/* The "MSG^EVT" type of a message (MSH-9.1^MSH-9.2) into buf; returns
 * the length (0 when MSH-9 is empty), truncated to size-1. */
size_t hxe_config_msg_type(const hxe_hl7_msg *m, char *buf, size_t size);

/* Builds a file name from a destination's pattern. Values are reduced to
 * [A-Za-z0-9._^-] (anything else becomes '_'), so a control id can never
 * make a path. Unknown placeholders were refused at load. */
typedef struct hxe_filename_vars {
    const char *channel;
    const char *id;          /* the store's message id */
    const char *control_id;  /* MSH-10 */
    const char *type;        /* "ADT^A01" */
    const char *timestamp;   /* e.g. 20240101T120000Z */
    uint64_t seq;
} hxe_filename_vars;

int hxe_config_filename(const char *pattern, const hxe_filename_vars *v, hxe_buf *out);

/* ======================================================================
 * The channel runtime (src/engine/run_*.c; docs/engine.md)
 *
 * Runs the channels of a configuration: MLLP sources, durable commit
 * through the store's group-commit writer, ACK after commit, filter and
 * transformer, one queue worker per destination (retry, circuit breaker,
 * rate limit, dead letters). One libuv loop on the thread that calls
 * hxe_run_loop: hxe_run_new and hxe_run_loop must be called from that same
 * thread, hxe_run_free once hxe_run_loop has returned (or, when the loop
 * never ran, from the thread of hxe_run_new); hxe_run_stop and the
 * counters from any thread, hxe_run_stop from a signal handler too.
 * ====================================================================== */
typedef struct hxe_run hxe_run;

typedef struct hxe_run_opts {
    uint64_t shutdown_ms;    /* graceful stop: longest wait for answers in
                                flight and sends in progress; default 10 s */
    uint64_t poll_ms;        /* an idle queue looks for due work this often
                                (retries after a restart, `hxe dlq retry`);
                                default 1000 ms */
    size_t process_batch;    /* messages filtered/transformed per store
                                transaction; default 64 */
    size_t delivery_batch;   /* deliveries a destination claims at once, sent
                                one after another in order (the next claim
                                shares one store transaction with the
                                outcomes of these); 1..64, default 32 */
    int store_sync_full;     /* queue bookkeeping (claims, marks) with fsync
                                on every commit; default 0 (WAL NORMAL: a power
                                loss may redo a delivery, never lose one).
                                Receipts are always fsynced. */
} hxe_run_opts;

void hxe_run_opts_init(hxe_run_opts *o);

/* Opens the store (recovering deliveries left in flight), starts the
 * writer, binds every enabled channel's listener. cfg must outlive the
 * runtime. HXE_EIO when a port or the store cannot be used, HXE_EINVAL for
 * a configuration the runtime cannot run (an HTTP source or destination:
 * planned). */
int hxe_run_new(hxe_run **out, const hxe_config *cfg, const hxe_run_opts *opts, hxe_err *err);
/* Runs until hxe_run_stop and the graceful shutdown are done: listeners
 * stopped, answers sent, current sends finished, writer drained. */
int hxe_run_loop(hxe_run *r, hxe_err *err);
/* Asks for a graceful stop. Async-signal-safe; any thread; idempotent. */
void hxe_run_stop(hxe_run *r);
/* Closes the store. After hxe_run_loop has returned (or never ran). */
void hxe_run_free(hxe_run *r);

/* Counters of one channel since start. Safe to read from any thread. */
enum hxe_run_ack { HXE_RUN_AA = 0, HXE_RUN_AE, HXE_RUN_AR, HXE_RUN_CA, HXE_RUN_CE, HXE_RUN_CR,
                   HXE_RUN_NACKS };

typedef struct hxe_run_channel_stats {
    const char *tenant, *channel;   /* valid while the runtime lives */
    int running;                    /* 0 for a disabled channel */
    int port;                       /* the bound port (MLLP), 0 when none */
    uint64_t received;              /* messages taken in (sources and handoffs) */
    uint64_t acked[HXE_RUN_NACKS];  /* ACKs sent, by code */
    uint64_t rejected;              /* unreadable, type not accepted, or invalid
                                       under validation: error (not stored) */
    uint64_t store_failures;        /* could not be stored: negative ACK */
    uint64_t duplicates;            /* acknowledged, not processed again */
    uint64_t stored;                /* committed */
    uint64_t filtered;              /* dropped by the filter */
    uint64_t process_failed;        /* filter/transformer failed: dead letter */
    uint64_t delivered;             /* deliveries sent */
    uint64_t failed;                /* failed attempts (retried later) */
    uint64_t dead;                  /* deliveries that became dead letters */
    uint64_t breaker_opens;         /* times a destination's breaker opened */
} hxe_run_channel_stats;

size_t hxe_run_channel_count(const hxe_run *r);
/* Channel i in configuration order. HXE_ERANGE when i is too large. */
int hxe_run_channel_stats_get(const hxe_run *r, size_t i, hxe_run_channel_stats *out);
/* Logs one "channel_stats" line per channel (at info). */
void hxe_run_log_stats(const hxe_run *r);

#endif

/*
 * base.h — what every hxe module needs: error codes and the error value,
 * an arena for per-message work, byte slices, bounded growable buffers,
 * the issue list every codec reports problems in, a JSON writer, UTF-8
 * helpers, file reading, and the structured logger.
 *
 * Rules that hold across this header:
 * - Fallible functions return int: 0 on success, a negative HXE_E* code on
 *   failure, and fill a caller-owned hxe_err (may be NULL) with a one-line
 *   message naming the place. Nothing here aborts or prints on bad input.
 * - Free functions accept NULL and return void.
 * - Nothing here ever writes message content into logs: the logger takes
 *   ids, counts and places, and callers must keep it that way.
 */
#ifndef HXE_BASE_H
#define HXE_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define HXE_WARN_UNUSED __attribute__((warn_unused_result))
#define HXE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HXE_WARN_UNUSED
#define HXE_PRINTF(a, b)
#endif

/* ---- error codes (numbers are stable: never renumber, only append) ---- */
#define HXE_ERRNO_MAP(XX)                                             \
    XX(ERROR, -1, "error")                                            \
    XX(NOMEM, -2, "out of memory")                                    \
    XX(INVAL, -3, "invalid argument")                                 \
    XX(PARSE, -4, "cannot parse input")                               \
    XX(NOTFOUND, -5, "not found")                                     \
    XX(TOOBIG, -6, "limit exceeded")                                  \
    XX(IO, -7, "input/output error")                                  \
    XX(RANGE, -8, "out of range")                                     \
    XX(CHARSET, -9, "unsupported or invalid character set")

enum hxe_errno {
    HXE_OK = 0,
#define HXE_ERRNO_ENUM(name, val, text) HXE_E##name = (val),
    HXE_ERRNO_MAP(HXE_ERRNO_ENUM)
#undef HXE_ERRNO_ENUM
};

/* The static text of an error code ("unknown error" for foreign codes). */
const char *hxe_strerror(int code);

#define HXE_ERR_MSG_MAX 256
typedef struct hxe_err {
    int code;                    /* last HXE_E* code, 0 when none */
    char msg[HXE_ERR_MSG_MAX];   /* one line, names the place, no PHI */
} hxe_err;

/* Sets err (if not NULL) and returns code, so callers can write
 * `return hxe_err_set(err, HXE_EPARSE, "MSH-2: ...");`. */
int hxe_err_set(hxe_err *err, int code, const char *fmt, ...) HXE_PRINTF(3, 4);
void hxe_err_clear(hxe_err *err);

/* ---- allocation: every allocation in hxe goes through these ---- */
void *hxe_malloc(size_t n);
void *hxe_calloc(size_t count, size_t n);
void *hxe_realloc(void *p, size_t n);
void hxe_free(void *p);
char *hxe_strndup(const char *s, size_t n);
/* Replace the allocator (tests inject failures with it). All three must be
 * set; passing NULLs restores the C library's. */
void hxe_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t),
                       void (*f)(void *));

/* ---- arena: bump allocation for one unit of work, freed all at once ---- */
typedef struct hxe_arena_block hxe_arena_block;
typedef struct hxe_arena {
    hxe_arena_block *head;   /* current block (private) */
    size_t block_size;       /* size of new blocks */
    size_t used;             /* bytes handed out since init/reset */
    size_t max;              /* hard cap on `used`; 0 = unlimited */
} hxe_arena;

void hxe_arena_init(hxe_arena *a, size_t block_size, size_t max);
/* Returns 8-byte aligned memory, or NULL when out of memory or over max. */
void *hxe_arena_alloc(hxe_arena *a, size_t n);
void *hxe_arena_calloc(hxe_arena *a, size_t n);
char *hxe_arena_strndup(hxe_arena *a, const char *s, size_t n);
/* Keeps the first block for reuse, frees the rest. */
void hxe_arena_reset(hxe_arena *a);
void hxe_arena_free(hxe_arena *a);

/* ---- slices: a view of bytes owned by someone else ---- */
typedef struct hxe_slice {
    const char *p;
    size_t n;
} hxe_slice;

#define HXE_SLICE_EMPTY ((hxe_slice){"", 0})
static inline hxe_slice hxe_slice_of(const char *p, size_t n) { return (hxe_slice){p, n}; }
hxe_slice hxe_slice_cstr(const char *s);
int hxe_slice_eq(hxe_slice a, hxe_slice b);
int hxe_slice_eq_cstr(hxe_slice a, const char *s);
/* The n-th (1-based) piece of s split on sep; empty when absent.
 * Returns 1 when the piece exists, 0 when s has fewer pieces. */
int hxe_slice_piece(hxe_slice s, char sep, unsigned n, hxe_slice *out);
/* Number of pieces (1 for an empty slice). */
size_t hxe_slice_count(hxe_slice s, char sep);

/* ---- buffers: growable, NUL-terminated, with a hard cap ---- */
typedef struct hxe_buf {
    char *p;        /* NUL-terminated when cap > 0; owned */
    size_t len;
    size_t cap;
    size_t max;     /* appends past max fail with HXE_ETOOBIG; 0 = 1 GiB */
} hxe_buf;

#define HXE_BUF_INIT {NULL, 0, 0, 0}
void hxe_buf_init(hxe_buf *b, size_t max);
/* On failure the buffer keeps what it had and the call returns
 * HXE_ENOMEM or HXE_ETOOBIG. */
int hxe_buf_append(hxe_buf *b, const void *p, size_t n) HXE_WARN_UNUSED;
int hxe_buf_putc(hxe_buf *b, char c) HXE_WARN_UNUSED;
int hxe_buf_puts(hxe_buf *b, const char *s) HXE_WARN_UNUSED;
int hxe_buf_printf(hxe_buf *b, const char *fmt, ...) HXE_PRINTF(2, 3) HXE_WARN_UNUSED;
int hxe_buf_reserve(hxe_buf *b, size_t extra) HXE_WARN_UNUSED;
void hxe_buf_truncate(hxe_buf *b, size_t len);
/* Hands the bytes to the caller (free with hxe_free); the buffer is empty. */
char *hxe_buf_take(hxe_buf *b, size_t *len_out);
void hxe_buf_free(hxe_buf *b);
static inline hxe_slice hxe_buf_slice(const hxe_buf *b) { return (hxe_slice){b->p ? b->p : "", b->len}; }

/* ---- files ---- */
/* Reads a whole file ("-" = stdin) into b; fails with HXE_ETOOBIG past max. */
int hxe_read_file(const char *path, size_t max, hxe_buf *b, hxe_err *err);

/* ---- issues: the one problem type of every codec ----
 * A codec's validator appends issues; the HL7 ACK turns them into ERR
 * segments, the X12 999 into IK3/IK4, the FHIR layer into an
 * OperationOutcome. Text names places, never values from the message. */
enum hxe_severity {
    HXE_SEV_INFO = 0,
    HXE_SEV_WARNING = 1,
    HXE_SEV_ERROR = 2,
    HXE_SEV_FATAL = 3
};

typedef struct hxe_loc {
    char seg[4];        /* segment id, "" when the issue is about the whole input */
    uint32_t seg_pos;   /* 1-based position of the segment in its message, 0 = none */
    uint32_t seg_seq;   /* 1-based occurrence of that segment id, 0 = none */
    uint16_t field;     /* 1-based; 0 = whole segment */
    uint16_t rep;       /* 1-based; 0 = not specific */
    uint16_t comp;
    uint16_t sub;
    size_t offset;      /* byte offset in the input, (size_t)-1 = unknown */
} hxe_loc;

#define HXE_ISSUE_TEXT_MAX 160
typedef struct hxe_issue {
    uint8_t severity;   /* enum hxe_severity */
    uint8_t reject;     /* 1: the problem makes the whole message unreadable
                           or unacceptable (AR rather than AE) */
    uint16_t code;      /* the standard's code: HL7 table 0357, X12 IK4 ... */
    hxe_loc loc;
    char text[HXE_ISSUE_TEXT_MAX];
} hxe_issue;

typedef struct hxe_issues {
    hxe_issue *v;
    size_t n, cap;
    size_t max;         /* further issues are counted in `dropped`; 0 = 1000 */
    size_t dropped;
    size_t errors;      /* count of ERROR and FATAL issues, dropped included */
} hxe_issues;

#define HXE_ISSUES_INIT {NULL, 0, 0, 0, 0, 0}
hxe_issue *hxe_issues_add(hxe_issues *l, int severity, int code,
                          const hxe_loc *loc, const char *fmt, ...) HXE_PRINTF(5, 6);
void hxe_issues_clear(hxe_issues *l);
void hxe_issues_free(hxe_issues *l);
const char *hxe_severity_name(int severity);
hxe_loc hxe_loc_none(void);

/* ---- JSON writer (output only; escapes per RFC 8259) ---- */
int hxe_json_str(hxe_buf *b, const char *s, size_t n) HXE_WARN_UNUSED;

/* ---- UTF-8 ---- */
/* Returns the offset of the first invalid byte, or n when all is valid. */
size_t hxe_utf8_check(const char *s, size_t n);
int hxe_utf8_put(hxe_buf *b, uint32_t cp) HXE_WARN_UNUSED;

/* ---- logging: JSON lines on stderr (or a chosen stream) ----
 * Fields carry ids, counts, places and codes. Never message content. */
enum hxe_log_level {
    HXE_LOG_DEBUG = 0,
    HXE_LOG_INFO = 1,
    HXE_LOG_WARN = 2,
    HXE_LOG_ERROR = 3,
    HXE_LOG_OFF = 4
};

typedef struct hxe_log_field {
    const char *key;
    int type;           /* 1 string, 2 integer */
    const char *s;
    long long i;
} hxe_log_field;

#define HXE_LF_STR(k, v) ((hxe_log_field){(k), 1, (v), 0})
#define HXE_LF_INT(k, v) ((hxe_log_field){(k), 2, NULL, (long long)(v)})
#define HXE_LF_END ((hxe_log_field){NULL, 0, NULL, 0})

void hxe_log_set_level(int level);
int hxe_log_level(void);
void hxe_log_set_stream(FILE *f);
/* fields ends with HXE_LF_END */
void hxe_log_emit(int level, const char *event, const hxe_log_field *fields);
#define hxe_log(level, event, ...) \
    hxe_log_emit((level), (event), (const hxe_log_field[]){__VA_ARGS__, HXE_LF_END})

#endif

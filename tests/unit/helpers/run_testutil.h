/*
 * run_testutil.h — helpers for the channel runtime tests (test_run_*.c):
 * starting `hxe serve` as a child process, a blocking MLLP client, an MLLP
 * sink on its own thread and loop that records the control ids it
 * receives, test certificates, and small file helpers.
 */
#ifndef HXE_RUN_TESTUTIL_H
#define HXE_RUN_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A port that was free a moment ago on 127.0.0.1. */
int rt_free_port(void);
uint64_t rt_now_ms(void);
void rt_sleep_ms(unsigned ms);

/* ---- files ---- */
int rt_write_file(const char *path, const char *text);
/* Removes dir and everything under it. */
void rt_rmtree(const char *dir);
/* Number of regular files in dir whose name does not start with '.'. */
size_t rt_count_files(const char *dir);
/* 1 when the file holds the string. */
int rt_file_has(const char *path, const char *needle);
/* Occurrences of needle in the file. */
size_t rt_file_count(const char *path, const char *needle);

/* ---- hxe serve ---- */
/* Starts `$HXE_BIN serve CONFIG` in cwd with stderr appended to logfile.
 * Returns the pid, or -1. */
pid_t rt_serve_start(const char *cfg, const char *cwd, const char *logfile);
/* Waits until something accepts on the port. 0 or -1 on timeout. */
int rt_wait_port(int port, int timeout_ms);
/* Sends sig, waits up to timeout_ms; returns the exit status (0..255),
 * 128+signal when killed by one, or -1 on timeout (then SIGKILLs). */
int rt_serve_stop(pid_t pid, int sig, int timeout_ms);

/* ---- a blocking MLLP client ---- */
int rt_connect(int port, int timeout_ms);
int rt_send_raw(int fd, const void *p, size_t n);
int rt_send_frame(int fd, const char *msg, size_t n);
/* Reads one frame's content into buf (NUL-terminated); its length, or -1
 * on timeout/close. */
long rt_recv_frame(int fd, char *buf, size_t cap, int timeout_ms);
/* MSA-1 of an ACK into code ("" when none). */
void rt_ack_code(const char *ack, char code[3]);
/* Sends n messages on fd keeping up to window unanswered (MLLP answers
 * in order) and puts each ACK's code in codes[i]. Returns how many were
 * answered (n when all). */
size_t rt_pipeline(int fd, char *const *msgs, const size_t *lens, size_t n, char (*codes)[3],
                   size_t window);
/* Connects, sends, reads the ACK code; 0 or -1 (connection problem). */
int rt_exchange(int port, const char *msg, char code[3]);

/* ---- an MLLP sink ---- */
typedef struct rt_sink rt_sink;
/* Listens on port (0 = any) and answers every message with an AA (or,
 * while rt_sink_set_answer says so, with that code). */
rt_sink *rt_sink_start(int port);
int rt_sink_port(const rt_sink *s);
void rt_sink_set_answer(rt_sink *s, const char *code);
/* Copies the MSH-10 values received so far, in order of arrival (free
 * each and the array with free()). */
size_t rt_sink_ids(rt_sink *s, char ***out);
size_t rt_sink_count(rt_sink *s);
/* Waits until the sink holds at least n messages; 0 or -1 on timeout. */
int rt_sink_wait(rt_sink *s, size_t n, int timeout_ms);
void rt_sink_stop(rt_sink *s);

/* ---- messages ---- */
/* A copy of msg (HL7, \r-separated) with MSH-10 replaced by control_id
 * (malloc'd), or NULL when it cannot be parsed. */
char *rt_with_control_id(const char *msg, size_t n, const char *control_id, size_t *out_len);

/* ---- certificates ---- */
/* Writes ca.pem, server.pem/key (127.0.0.1), client.pem/key (signed by
 * ca), stranger.pem/key (signed by another CA) into dir. 0 or -1. */
int rt_make_certs(const char *dir);

/* ---- HTTP (added for test_run_http.c, test_run_dir.c) ---- */
/* rt_serve_start with one more option, e.g. "--shutdown-ms", "1000". */
pid_t rt_serve_start_opt(const char *cfg, const char *cwd, const char *logfile, const char *opt,
                         const char *value);

/* A blocking POST over a raw socket (Connection: close). ctype NULL: no
 * Content-Type header. The response body goes into resp (NUL-terminated,
 * cut at cap-1). Returns the status, or -1 on a connection problem. */
int rt_http_post(int port, const char *path, const char *ctype, const char *body, size_t n,
                 char *resp, size_t cap, int timeout_ms);

/* An HTTP sink: a net.h HTTP server on its own thread and loop that
 * answers 200 "OK" to every request, except that rt_hsink_script makes
 * the next requests get the given statuses (with Retry-After when given;
 * status 0: no answer at all, the request is held until the sink stops),
 * and records each request. */
typedef struct rt_hsink rt_hsink;
typedef struct rt_hreq {
    int status;                  /* what the sink answered */
    char method[8];
    char key[160];               /* Idempotency-Key ("" when absent) */
    char ctype[80];              /* Content-Type */
    char control_id[64];         /* MSH-10 of the body */
    char header[80];             /* the value of rt_hsink_start's header_name */
    uint64_t at_ms;              /* rt_now_ms() when it came */
} rt_hreq;
rt_hsink *rt_hsink_start(const char *header_name);
int rt_hsink_port(const rt_hsink *s);
void rt_hsink_script(rt_hsink *s, const int *statuses, size_t n, const char *retry_after);
size_t rt_hsink_count(rt_hsink *s);
/* Copies request i; 0, or -1 when there is none. */
int rt_hsink_get(rt_hsink *s, size_t i, rt_hreq *out);
int rt_hsink_wait(rt_hsink *s, size_t n, int timeout_ms);
void rt_hsink_stop(rt_hsink *s);

#endif

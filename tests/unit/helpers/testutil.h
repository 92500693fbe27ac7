/*
 * testutil.h — small helpers shared by the unit tests.
 */
#ifndef HXE_TESTUTIL_H
#define HXE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hl7v2/hl7v2.h"

/* One arena + issue list per test; freed by tu_done. */
typedef struct tu {
    hxe_arena arena;
    hxe_issues issues;
    hxe_err err;
    hxe_hl7_msg *m;
    int rc;
} tu;

void tu_init(tu *t);
void tu_done(tu *t);
/* Parses s (a C string; \r etc. as written); returns the parse result. */
int tu_parse(tu *t, const char *s);
int tu_parse_n(tu *t, const char *s, size_t n);
/* Number of issues with this code (and severity >= min_sev) at seg/field
 * (seg NULL or field 0 = any). */
size_t tu_count(const hxe_issues *is, int code, int min_sev, const char *seg, unsigned field);
/* The decoded value at path, as a static buffer (for assertions). */
const char *tu_get(const hxe_hl7_msg *m, const char *path);
/* The raw value at path. */
const char *tu_raw(const hxe_hl7_msg *m, const char *path);
/* Reads a file under the source tree or the shared corpus; NULL when absent. */
char *tu_read(const char *path, size_t *len);
/* A fresh directory under /tmp (dir must hold 64 bytes); 0 or -1. */
int tu_tmpdir(char *dir);
/* Removes dir and the files in it (one level). */
void tu_rmtree(const char *dir);
/* $HXE_SHARED_DIR/corpus/<sub>, or NULL when that folder is absent. */
const char *tu_shared(const char *sub);

#endif

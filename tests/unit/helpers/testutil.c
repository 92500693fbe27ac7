/*
 * testutil.c — helpers for the unit tests (see testutil.h).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

void tu_init(tu *t)
{
    memset(t, 0, sizeof *t);
    hxe_arena_init(&t->arena, 4096, 0);
}

void tu_done(tu *t)
{
    hxe_arena_free(&t->arena);
    hxe_issues_free(&t->issues);
}

int tu_parse_n(tu *t, const char *s, size_t n)
{
    hxe_issues_clear(&t->issues);
    t->m = NULL;
    t->rc = hxe_hl7_parse(&t->m, &t->arena, s, n, NULL, &t->issues, &t->err);
    return t->rc;
}

int tu_parse(tu *t, const char *s) { return tu_parse_n(t, s, strlen(s)); }

size_t tu_count(const hxe_issues *is, int code, int min_sev, const char *seg, unsigned field)
{
    size_t c = 0;
    for (size_t i = 0; i < is->n; i++) {
        const hxe_issue *it = &is->v[i];
        if (it->code != code || it->severity < min_sev)
            continue;
        if (seg && strcmp(it->loc.seg, seg) != 0)
            continue;
        if (field && it->loc.field != field)
            continue;
        c++;
    }
    return c;
}

const char *tu_get(const hxe_hl7_msg *m, const char *path)
{
    static char out[4096];
    hxe_hl7_path p;
    hxe_buf b = HXE_BUF_INIT;
    out[0] = '\0';
    if (hxe_hl7_path_parse(&p, path, strlen(path), NULL) == 0 && hxe_hl7_get_text(m, &p, &b) == 0)
        snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    else
        snprintf(out, sizeof out, "<none>");
    hxe_buf_free(&b);
    return out;
}

const char *tu_raw(const hxe_hl7_msg *m, const char *path)
{
    static char out[4096];
    hxe_slice v;
    if (hxe_hl7_get_str(m, path, &v) != 0)
        return "<none>";
    snprintf(out, sizeof out, "%.*s", (int)v.n, v.p);
    return out;
}

char *tu_read(const char *path, size_t *len)
{
    hxe_buf b = HXE_BUF_INIT;
    if (hxe_read_file(path, (size_t)256 << 20, &b, NULL)) {
        hxe_buf_free(&b);
        return NULL;
    }
    return hxe_buf_take(&b, len);
}

const char *tu_shared(const char *sub)
{
    static char path[4096];
    const char *dir = getenv("HXE_SHARED_DIR");
    if (!dir)
        dir = "../shared";
    snprintf(path, sizeof path, "%s/corpus/%s", dir, sub);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return path;
}

int tu_tmpdir(char *dir)
{
    snprintf(dir, 64, "/tmp/hxe-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

void tu_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

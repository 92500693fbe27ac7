/*
 * replay_main.c — runs a fuzz target over files and folders of inputs
 * without libFuzzer, so `make test` replays the corpus and every past
 * crash (fuzz/regressions/) in the normal and the sanitizer build.
 */
#include "base/base.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, size_t *count)
{
    hxe_buf b = HXE_BUF_INIT;
    hxe_err err = {0};
    if (hxe_read_file(path, (size_t)64 << 20, &b, &err)) {
        fprintf(stderr, "replay: %s\n", err.msg);
        hxe_buf_free(&b);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)(b.p ? b.p : ""), b.len);
    hxe_buf_free(&b);
    (*count)++;
    return 0;
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0; /* an absent folder is an empty one */
    if (!S_ISDIR(st.st_mode))
        return run_file(path, count);
    DIR *d = opendir(path);
    if (!d)
        return 1;
    int bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        bad |= run_path(sub, count);
    }
    closedir(d);
    return bad;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++)
        bad |= run_path(argv[i], &count);
    printf("replayed %zu inputs\n", count);
    return bad;
}

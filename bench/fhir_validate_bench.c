/*
 * fhir_validate_bench.c — how fast hxe validates FHIR R4 resources, and
 * what it judges them, on a fixed set the peers in bench/peers/ validate
 * too (fhir_validate_*.js).
 *
 * The set, in this order: the entries of the Bundles hxe makes from the
 * first MESSAGES ORU^R01 messages of ORU_FILE (bench/gen_oru.py; Patient,
 * Encounter, ServiceRequest, DiagnosticReport, the Observations, the
 * actors they name, MessageHeader, Provenance ...),
 * then the US Core 6.1.0 examples of EXAMPLES_DIR (file name order; "-"
 * for none) that hxe validates without errors against the base and the
 * profiles they declare (a file hxe finds fault with is left out, so the
 * set is one every validator should pass). It is written to SET_OUT as one compact
 * JSON resource per line, which the peers read.
 *
 * Two measures, each a pass over every resource of the set with a cleared
 * issue list: "base", hxe_fhir_validate against the R4 base definitions
 * only (ignore_meta_profiles, what the peers check), and "us-core", the
 * same plus the profiles each resource declares in meta.profile (the
 * US Core profiles hxe knows). Validation only: the resources are read
 * into jansson before the clock starts, as the peers JSON.parse theirs
 * outside it. Passes as in bench_util.h; the median is reported, with
 * the number of resources found with errors.
 *
 * Prints one JSON line on stdout, with counts and times only.
 *
 * Usage: fhir_validate_bench ORU_FILE MESSAGES EXAMPLES_DIR SET_OUT
 */
#include "bench_util.h"
#include "convert/convert.h"
#include "fhir/fhir.h"

#include <dirent.h>
#include <string.h>

typedef struct rset {
    json_t **v;
    size_t n, cap;
    size_t messages;        /* converted into Bundles */
    size_t from_hxe;        /* the first from_hxe came from the Bundles */
    size_t examples_left_out;
} rset;

static int rset_add(rset *s, json_t *r)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        json_t **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = r;
    return 0;
}

static int add_bundles(rset *s, const char *path, size_t max_msgs)
{
    hxe_buf file = HXE_BUF_INIT;
    hxe_err err;
    if (hxe_read_file(path, (size_t)1 << 30, &file, &err) != 0) {
        fprintf(stderr, "fhir_validate_bench: %s\n", err.msg);
        return -1;
    }
    hxe_slice *msgs = NULL;
    size_t bytes, n = bench_split_hl7(&file, &msgs, &bytes);
    if (n > max_msgs)
        n = max_msgs;
    hxe_arena arena;
    hxe_arena_init(&arena, 64 * 1024, 0);
    hxe_issues issues = HXE_ISSUES_INIT;
    hxe_conv_opts opts = {"-05:00", 0};
    int rc = n ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        hxe_arena_reset(&arena);
        hxe_issues_clear(&issues);
        hxe_hl7_msg *m;
        json_t *b = NULL;
        if (hxe_hl7_parse(&m, &arena, msgs[i].p, msgs[i].n, NULL, &issues, &err) != 0 ||
            hxe_conv_v2_to_fhir(m, &opts, &b, &issues, &err) != 0) {
            fprintf(stderr, "fhir_validate_bench: message %zu: %s\n", i + 1, err.msg);
            rc = -1;
            break;
        }
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(b, "entry"), k, e) {
            json_t *r = json_object_get(e, "resource");
            if (r && rset_add(s, json_incref(r)) != 0) {
                json_decref(r);
                rc = -1;
                break;
            }
        }
        json_decref(b);
    }
    if (n == 0)
        fprintf(stderr, "fhir_validate_bench: %s holds no message\n", path);
    s->from_hxe = s->n;
    s->messages = n;
    free(msgs);
    hxe_issues_free(&issues);
    hxe_arena_free(&arena);
    hxe_buf_free(&file);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_examples(rset *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fhir_validate_bench: cannot open the examples folder\n");
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **v = realloc(names, cap * sizeof *v);
            if (!v)
                break;
            names = v;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        hxe_buf data = HXE_BUF_INIT;
        hxe_err err;
        json_t *r = NULL;
        hxe_issues is = HXE_ISSUES_INIT;
        if (rc == 0 && names[i] && hxe_read_file(path, (size_t)64 << 20, &data, &err) == 0 &&
            hxe_fhir_read(&r, data.p, data.len, NULL, &err) == 0 &&
            hxe_fhir_validate(r, NULL, &is, &err) == 0 && is.errors == 0) {
            if (rset_add(s, r) != 0)
                rc = -1;
            else
                r = NULL;
        } else {
            s->examples_left_out++;
        }
        json_decref(r);
        hxe_issues_free(&is);
        hxe_buf_free(&data);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* the set, one resource per line, for the peers */
static int write_set(const rset *s, const char *path, size_t *bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "fhir_validate_bench: cannot write the resource set\n");
        return -1;
    }
    hxe_buf b = HXE_BUF_INIT;
    int rc = 0;
    *bytes = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        hxe_buf_truncate(&b, 0);
        if (hxe_fhir_write(s->v[i], 0, &b) != 0 || hxe_buf_putc(&b, '\n') != 0 ||
            fwrite(b.p, 1, b.len, f) != b.len)
            rc = -1;
        *bytes += b.len;
    }
    if (fclose(f) != 0)
        rc = -1;
    hxe_buf_free(&b);
    if (rc)
        fprintf(stderr, "fhir_validate_bench: writing the resource set failed\n");
    return rc;
}

typedef struct vctx {
    const rset *set;
    hxe_fhir_vopts opts;
    hxe_issues issues;
    /* per pass */
    size_t with_errors, errors;
    int counted;
} vctx;

static int vpass(void *p)
{
    vctx *c = p;
    size_t with_errors = 0, errors = 0;
    for (size_t i = 0; i < c->set->n; i++) {
        hxe_issues_clear(&c->issues);
        hxe_err err;
        if (hxe_fhir_validate(c->set->v[i], &c->opts, &c->issues, &err) != 0) {
            fprintf(stderr, "fhir_validate_bench: resource %zu: %s\n", i + 1, err.msg);
            return -1;
        }
        errors += c->issues.errors;
        with_errors += c->issues.errors > 0;
    }
    if (c->counted && (with_errors != c->with_errors || errors != c->errors)) {
        fprintf(stderr, "fhir_validate_bench: passes disagree\n");
        return -1;
    }
    c->with_errors = with_errors;
    c->errors = errors;
    c->counted = 1;
    return 0;
}

static int measure(const rset *set, int meta_profiles, bench_timing *t, size_t *with_errors,
                   size_t *errors)
{
    vctx c;
    memset(&c, 0, sizeof c);
    c.set = set;
    c.opts.ignore_meta_profiles = !meta_profiles;
    c.issues = (hxe_issues)HXE_ISSUES_INIT;
    int rc = bench_run(vpass, &c, t);
    *with_errors = c.with_errors;
    *errors = c.errors;
    hxe_issues_free(&c.issues);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s ORU_FILE MESSAGES EXAMPLES_DIR SET_OUT\n", argv[0]);
        return 2;
    }
    char *end;
    unsigned long max_msgs = strtoul(argv[2], &end, 10);
    if (*end || max_msgs == 0) {
        fprintf(stderr, "fhir_validate_bench: MESSAGES must be a positive number\n");
        return 2;
    }
    rset set = {NULL, 0, 0, 0, 0, 0};
    size_t set_bytes = 0;
    if (add_bundles(&set, argv[1], max_msgs) != 0 ||
        (strcmp(argv[3], "-") != 0 && add_examples(&set, argv[3]) != 0) ||
        write_set(&set, argv[4], &set_bytes) != 0)
        return 1;
    size_t with_profile = 0;
    for (size_t i = 0; i < set.n; i++)
        if (json_object_get(json_object_get(set.v[i], "meta"), "profile"))
            with_profile++;
    long load_rss = bench_peak_rss_kb();

    bench_timing base, us;
    size_t base_bad, base_errors, us_bad, us_errors;
    if (measure(&set, 0, &base, &base_bad, &base_errors) != 0 ||
        measure(&set, 1, &us, &us_bad, &us_errors) != 0)
        return 1;

    printf("{\"tool\":\"hxe\",\"bench\":\"validate\",\"runtime\":\"C\",\"resources\":%zu,\"messages\":%zu,\"from_bundles\":%zu,"
           "\"examples\":%zu,\"examples_left_out\":%zu,\"bytes\":%zu,\"passes\":%zu,"
           "\"seconds\":%.6f,\"best_seconds\":%.6f,\"resources_per_s\":%.1f,"
           "\"best_resources_per_s\":%.1f,\"with_errors\":%zu,\"errors\":%zu,"
           "\"with_profile\":%zu,\"uscore_passes\":%zu,\"uscore_seconds\":%.6f,"
           "\"uscore_resources_per_s\":%.1f,\"uscore_best_resources_per_s\":%.1f,"
           "\"uscore_with_errors\":%zu,\"uscore_errors\":%zu,"
           "\"peak_rss_kb\":%ld,\"load_rss_kb\":%ld}\n",
           set.n, set.messages, set.from_hxe, set.n - set.from_hxe, set.examples_left_out, set_bytes,
           base.passes, base.median, base.best, (double)set.n / base.median,
           (double)set.n / base.best, base_bad, base_errors, with_profile, us.passes, us.median,
           (double)set.n / us.median, (double)set.n / us.best, us_bad, us_errors,
           bench_peak_rss_kb(), load_rss);

    for (size_t i = 0; i < set.n; i++)
        json_decref(set.v[i]);
    free(set.v);
    return 0;
}

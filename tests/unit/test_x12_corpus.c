/*
 * test_x12_corpus.c — the shared public X12 corpus through the codec.
 *
 * ../shared/corpus/x12/: every file parses (or, for the two files that
 * have no ISA, is refused with a clear error), writes back byte for byte,
 * builds its loop tree; the stupidedi files (implementation-guide clean)
 * validate without errors through SNIP type 4 (situational rules); each broken imsweb file yields the issues its
 * difference from x12_valid.txt deserves.
 * Skipped with a message when the shared folder is absent.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
    hxe_arena a;
    hxe_issues env;      /* envelope issues */
    hxe_issues sets;     /* every set's issues */
    hxe_x12_file *f;
    char *data;
    size_t n;
    int rc;
    size_t loops_ok, loops_missing;
};

static void run_file(struct run *r, const char *dir, const char *name, int snip)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    memset(r, 0, sizeof *r);
    r->sets.max = 100000;
    r->data = tu_read(path, &r->n);
    assert_non_null(r->data);
    hxe_arena_init(&r->a, 16384, 0);
    r->rc = hxe_x12_parse(&r->f, &r->a, r->data, r->n, NULL, &r->env, NULL);
    if (r->rc)
        return;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_write(r->f, NULL, 0, &b, NULL), 0);
    if (b.len != r->n || memcmp(b.p, r->data, b.len) != 0)
        fail_msg("%s: does not write back byte for byte", name);
    hxe_buf_free(&b);
    for (size_t i = 0; i < r->f->nsets; i++) {
        hxe_x12_set *s = r->f->sets[i];
        if (strcmp(s->id, "TA1") == 0)
            continue;
        if (hxe_x12_parse_loops(s, &r->a, NULL, &r->sets) == 0)
            r->loops_ok++;
        else
            r->loops_missing++;
        if (snip) {
            hxe_x12_validate_opts vo = {snip, 0};
            assert_int_equal(hxe_x12_validate(s, &vo, &r->sets), 0);
        }
        hxe_buf j = HXE_BUF_INIT;
        assert_int_equal(hxe_x12_set_to_json(s, &j), 0);
        assert_true(j.len > 2 && j.p[0] == '{' && j.p[j.len - 1] == '}');
        hxe_buf_free(&j);
    }
}

static void run_done(struct run *r)
{
    hxe_arena_free(&r->a);
    hxe_issues_free(&r->env);
    hxe_issues_free(&r->sets);
    free(r->data);
}

static size_t count(const hxe_issues *is, int code, const char *seg)
{
    size_t n = 0;
    for (size_t i = 0; i < is->n; i++)
        if (is->v[i].code == code && (!seg || strcmp(is->v[i].loc.seg, seg) == 0))
            n++;
    return n;
}

static void dump(const char *name, const hxe_issues *is)
{
    char c[8];
    for (size_t i = 0; i < is->n && i < 20; i++)
        fprintf(stderr, "  %s: %s #%u-%u code %s: %s\n", name, is->v[i].loc.seg,
                is->v[i].loc.seg_pos, is->v[i].loc.field,
                hxe_x12_code_str(is->v[i].code, c, sizeof c), is->v[i].text);
}

/* Files of the clean set that are not clean after all: each with the
 * one defect hxe must find in it (checked by hand). */
static const struct {
    const char *name;
    int code;
    size_t n;   /* issues with that code */
} known[] = {
    /* SE01 says 19, the set has 20 segments (ST..SE) */
    {"request-for-home-health-care.edi", HXE_X12_SET_COUNT, 1},
    /* SE01 says 25, the set has 26 */
    {"pass__admission-request-for-review.edi", HXE_X12_SET_COUNT, 1},
    /* IEA02 is not ISA13 */
    {"Information_Status_Notification__pass__1.era", HXE_X12_TA1_CONTROL_MISMATCH, 1},
    /* service levels HL*6*5*SS and HL*7*6*SS nest under other service
     * levels (the response to the same request puts them under the
     * patient event HL 4): two HL02 and two HL04 of 0 with a child */
    {"pass__request-for-non-emergency-transportation.edi", HXE_X12_ELE_PATTERN, 4},
};

static int known_defect(const char *name, const struct run *r)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strstr(name, known[i].name)) {
            if (count(&r->sets, known[i].code, NULL) + count(&r->env, known[i].code, NULL) != known[i].n)
                fail_msg("%s: its known defect (code %d) was not found", name, known[i].code);
            return (int)known[i].n;
        }
    return 0;
}

static void test_every_file(void **state)
{
    (void)state;
    const char *dir = tu_shared("x12");
    if (!dir) {
        skip();
        return;
    }
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    struct dirent *de;
    size_t files = 0, parsed = 0, clean = 0, bad_clean = 0;
    while ((de = readdir(dd)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        files++;
        struct run r;
        int is_clean = strncmp(de->d_name, "stupidedi__", 11) == 0;
        run_file(&r, dir, de->d_name, is_clean ? 4 : 0);
        if (r.rc == 0) {
            parsed++;
        } else if (!strstr(de->d_name, "no_isa_line")) {
            fail_msg("%s: not readable", de->d_name);
        }
        if (is_clean) {
            clean++;
            size_t unsupported = count(&r.sets, HXE_X12_SET_GUIDE_NOT_SUPPORTED, NULL);
            unsupported += (size_t)known_defect(de->d_name, &r);
            if (r.env.errors + r.sets.errors != unsupported) {
                dump(de->d_name, &r.env);
                dump(de->d_name, &r.sets);
                bad_clean++;
            }
            /* every guide of the clean set has a schema: 837P/I/D, 835,
             * 270/271, 276/277, 278, 999 */
            if (r.loops_missing || !r.loops_ok)
                fail_msg("%s: a set without a schema", de->d_name);
        }
        run_done(&r);
    }
    closedir(dd);
    assert_int_equal(bad_clean, 0);
    assert_true(files >= 90);
    assert_true(clean >= 50);
    assert_int_equal(parsed, files - 1);
}

/* The broken imsweb files against x12_valid.txt */
static void test_broken(void **state)
{
    (void)state;
    const char *dir = tu_shared("x12");
    if (!dir) {
        skip();
        return;
    }
    struct run r;
    run_file(&r, dir, "imsweb__837_5010__x12_valid.txt", 2);
    assert_int_equal(r.rc, 0);
    size_t base_errors = r.sets.errors;   /* the "valid" file's own (the SV1-07 of the others is fine) */
    run_done(&r);

    /* ISA06 one character short */
    run_file(&r, dir, "imsweb__837_5010__x12_bad_first_line.txt", 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(count(&r.env, HXE_X12_TA1_AUTH_QUAL + 1, "ISA"), 1); /* ISA02 width, TA1 011 */
    run_done(&r);

    /* no ISA at all */
    run_file(&r, dir, "imsweb__837_5010__x12_no_isa_line.txt", 0);
    assert_int_equal(r.rc, HXE_EPARSE);
    assert_true(count(&r.env, HXE_X12_TA1_STRUCTURE, NULL) >= 1);
    run_done(&r);

    /* malformed segment ids: "*IC..." (no id), "Nd4", "NM31" */
    run_file(&r, dir, "imsweb__837_5010__x12_bad_segment_identifier.txt", 2);
    assert_int_equal(r.rc, 0);
    assert_int_equal(count(&r.sets, HXE_X12_SEG_UNRECOGNIZED, NULL), 3);
    run_done(&r);

    /* each broken file: exactly the issues its difference deserves, on
     * top of what the "valid" file already has */
    struct {
        const char *file;
        int code;
        const char *seg;
        unsigned pos, field;
    } diffs[] = {
        {"bad_valid_code", HXE_X12_ELE_BAD_CODE, "NM1", 7, 1},             /* NM101 117 in 2010AA */
        {"missing_elements", HXE_X12_ELE_REQUIRED_MISSING, "NM1", 5, 2},   /* NM102 gone */
        {"missing_elements", HXE_X12_ELE_DEPENDENT_MISSING, "CLM", 29, 5}, /* CLM05 gone */
        {"segments_out_of_order", HXE_X12_SEG_SEQUENCE, "N4", 10, 0},
        {"segments_out_of_order", HXE_X12_SEG_SEQUENCE, "N3", 15, 0},
        {"loop_errors1_exceeds_max_1_parent", HXE_X12_SEG_LOOP_OVER_MAX, "NM1", 13, 0},
        {"loop_errors3_missing_loops", HXE_X12_SEG_REQUIRED_MISSING, "NM1", 19, 0},
    };
    for (size_t i = 0; i < sizeof diffs / sizeof diffs[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "imsweb__837_5010__x12_%s.txt", diffs[i].file);
        run_file(&r, dir, name, 2);
        assert_int_equal(r.rc, 0);
        size_t hits = 0;
        for (size_t k = 0; k < r.sets.n; k++) {
            const hxe_issue *it = &r.sets.v[k];
            if (it->code == diffs[i].code && strcmp(it->loc.seg, diffs[i].seg) == 0 &&
                it->loc.seg_pos == diffs[i].pos && it->loc.field == diffs[i].field)
                hits++;
        }
        if (hits != 1) {
            dump(name, &r.sets);
            fail_msg("%s: issue %d at %s #%u-%u found %zu times", name, diffs[i].code,
                     diffs[i].seg, diffs[i].pos, diffs[i].field, hits);
        }
        /* and nothing structural beyond what the valid file has */
        if (diffs[i].code / 1000 * 1000 == HXE_X12_ELE && strcmp(diffs[i].file, "missing_elements"))
            assert_int_equal(r.sets.errors, base_errors + 1);
        run_done(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_file),
        cmocka_unit_test(test_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

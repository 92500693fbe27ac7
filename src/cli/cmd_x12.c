/*
 * cmd_x12.c — `hxe x12 parse|validate|to-json|from-json|ack FILE|-`.
 *
 * Every verb streams: the file is mapped (or standard input read), the
 * reader hands out one transaction set at a time, each in an arena that
 * is reset after it, so memory stays flat however large the file.
 */
#include "cli/cli.h"
#include "x12/x12.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char hxe_cmd_x12_desc[] = "ASC X12 5010: parse, validate, to-json, from-json, ack";

enum verb { V_PARSE, V_VALIDATE, V_JSON, V_ACK, V_FROM_JSON };

static const char *const help[] = {
    [V_PARSE] =
        "usage: hxe x12 parse FILE|-\n"
        "Reads every interchange, group and transaction set and prints one line\n"
        "per set: its place (interchange, group and set control numbers), set id,\n"
        "guide, segment and loop counts. Envelope problems (ISA, IEA, GS, GE,\n"
        "ST/SE counts and control numbers) are listed as they are found.\n"
        "Exit 0 when every set was read without envelope errors, 1 otherwise.\n",
    [V_VALIDATE] =
        "usage: hxe x12 validate [--snip N] [--json] FILE|-\n"
        "Checks every transaction set: envelopes, loop structure against the\n"
        "implementation guide's schema, and elements (SNIP type 1: dictionary\n"
        "types, lengths, syntax rules; type 2: the guide's usage and codes, HL\n"
        "hierarchy; 3: balancing; 4: situational rules; 5: NPI, ICD-10,\n"
        "CPT/HCPCS, taxonomy, state, ZIP and date shapes).\n"
        "--snip N stops at type N (1-5; default all). Each problem is\n"
        "printed with its place and its 999/TA1 code, never with values.\n"
        "--json prints one JSON object per set instead.\n"
        "Exit 0 when no errors were found, 1 otherwise, 2 on usage errors.\n",
    [V_JSON] =
        "usage: hxe x12 to-json FILE|-\n"
        "Prints the input as JSON lines in file order: envelope segments\n"
        "({\"segment\":...}; the ISA line with its delimiters), each transaction set\n"
        "as one object (envelope facts and the loop tree: loop ids such as 2000A\n"
        "and 2300 with their TR3 names, segments with their position and TR3\n"
        "name, elements keyed NM109 with their dictionary names; composites as\n"
        "arrays, repetitions as {\"repeat\":[...]}), and bytes outside\n"
        "interchanges ({\"raw\":...}). from-json turns it back into the same bytes.\n"
        "Exit 0 when the input was read, 1 otherwise.\n",
    [V_ACK] =
        "usage: hxe x12 ack [--control-start N] [--snip N] [--copy-bad-data] FILE|-\n"
        "Validates every set and prints the acknowledgments: per interchange a\n"
        "TA1 when ISA14 asks for one or the envelope is in error, then (unless\n"
        "the TA1 rejects the interchange) one 999 (005010X231A1) interchange per\n"
        "functional group: AK2 per set, IK3/IK4 per problem, IK5, AK9.\n"
        "--control-start N: the first ISA13, GS06 and ST02 written (default 1);\n"
        "each answer takes the next. --snip N: validation depth (1-5, default\n"
        "all). --copy-bad-data: write IK404 (a copy of the bad value; left out\n"
        "by default because it may be patient data).\n"
        "Exit 0 when every set is accepted, 1 when any is rejected or an\n"
        "interchange is, 2 on usage errors.\n",
    [V_FROM_JSON] =
        "usage: hxe x12 from-json FILE|-\n"
        "Reads the JSON lines to-json writes and prints the X12 they describe:\n"
        "byte for byte the file to-json read. Elements may be edited; a value\n"
        "holding a delimiter is refused (X12 has no escape).\n"
        "Exit 0 when written, 1 when the JSON cannot be turned into X12, 2 on\n"
        "usage errors.\n",
};

struct input {
    const char *p;
    size_t n;
    void *map;
    hxe_buf buf;
};

static int open_input(struct input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    if (strcmp(path, "-") != 0) {
        int fd = open(path, O_RDONLY);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            close(fd);
            if (m != MAP_FAILED) {
                in->map = m;
                in->p = m;
                in->n = (size_t)st.st_size;
                return 0;
            }
        } else if (fd >= 0) {
            close(fd);
        }
    }
    hxe_err err = {0};
    if (hxe_read_file(path, (size_t)4 << 30, &in->buf, &err)) {
        fprintf(stderr, "hxe x12: %s\n", err.msg);
        return -1;
    }
    in->p = in->buf.p ? in->buf.p : "";
    in->n = in->buf.len;
    return 0;
}

static void close_input(struct input *in)
{
    if (in->map)
        munmap(in->map, in->n);
    hxe_buf_free(&in->buf);
}

static int run_ack(const char *file, unsigned long long start, int snip, unsigned flags)
{
    struct input in;
    if (open_input(&in, file))
        return HXE_EXIT_USAGE;
    hxe_x12_ack_opts o;
    memset(&o, 0, sizeof o);
    o.newline = 1;
    o.snip = snip;
    o.flags = flags;
    hxe_x12_ack_seq seq = {start, start, start};
    hxe_buf out = HXE_BUF_INIT;
    hxe_x12_ack_summary sum;
    hxe_err err = {0};
    int rc = hxe_x12_acknowledge(in.p, in.n, &o, &seq, &out, &sum, &err);
    fwrite(out.p ? out.p : "", 1, out.len, stdout);
    hxe_buf_free(&out);
    close_input(&in);
    if (rc) {
        fprintf(stderr, "hxe x12 ack: %s\n", err.msg);
        return HXE_EXIT_INVALID;
    }
    fprintf(stderr, "%zu set(s) in %zu group(s): %zu accepted; %zu TA1 (%zu rejecting)\n",
            sum.sets, sum.groups, sum.sets_accepted, sum.ta1, sum.ta1_rejected);
    return (sum.sets_accepted < sum.sets || sum.ta1_rejected) ? HXE_EXIT_INVALID : HXE_EXIT_OK;
}

static int write_stdout(void *data, const char *p, size_t n)
{
    (void)data;
    return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

static int run_json(const char *file, int from)
{
    struct input in;
    if (open_input(&in, file))
        return HXE_EXIT_USAGE;
    hxe_err err = {0};
    int rc;
    if (from) {
        hxe_buf out = HXE_BUF_INIT;
        rc = hxe_x12_from_json(in.p, in.n, &out, &err);
        if (!rc)
            fwrite(out.p ? out.p : "", 1, out.len, stdout);
        hxe_buf_free(&out);
    } else {
        rc = hxe_x12_to_json_lines(in.p, in.n, NULL, write_stdout, NULL, &err);
    }
    close_input(&in);
    if (rc) {
        fprintf(stderr, "hxe x12 %s: %s\n", from ? "from-json" : "to-json", err.msg);
        return HXE_EXIT_INVALID;
    }
    return HXE_EXIT_OK;
}

static void print_issues(FILE *f, const char *where, const hxe_issues *is, size_t from)
{
    for (size_t i = from; i < is->n; i++) {
        const hxe_issue *it = &is->v[i];
        char code[8];
        hxe_x12_code_str(it->code, code, sizeof code);
        const char *kind = "";
        switch (hxe_x12_code_level(it->code)) {
        case HXE_X12_TA1: kind = "TA105"; break;
        case HXE_X12_GRP: kind = "AK905"; break;
        case HXE_X12_SET: kind = "IK502"; break;
        case HXE_X12_SEG: kind = "IK304"; break;
        case HXE_X12_ELE: kind = "IK403"; break;
        default: kind = "code"; break;
        }
        fprintf(f, "%s %s", where, hxe_severity_name(it->severity));
        if (it->loc.seg_pos)
            fprintf(f, " segment %u", (unsigned)it->loc.seg_pos);
        fprintf(f, " %s=%s: %s\n", kind, code, it->text);
    }
}

static int issues_json(hxe_buf *b, const hxe_issues *is)
{
    int rc = hxe_buf_puts(b, "[");
    for (size_t i = 0; i < is->n && !rc; i++) {
        const hxe_issue *it = &is->v[i];
        char code[8];
        hxe_x12_code_str(it->code, code, sizeof code);
        rc = hxe_buf_printf(b, "%s{\"severity\":\"%s\",\"code\":\"%s\",\"level\":%d,\"segment\":",
                            i ? "," : "", hxe_severity_name(it->severity), code,
                            hxe_x12_code_level(it->code));
        rc = rc ? rc : hxe_json_str(b, it->loc.seg, strlen(it->loc.seg));
        rc = rc ? rc : hxe_buf_printf(b, ",\"position\":%u,\"element\":%u,\"component\":%u,\"text\":",
                                      (unsigned)it->loc.seg_pos, (unsigned)it->loc.field,
                                      (unsigned)it->loc.comp);
        rc = rc ? rc : hxe_json_str(b, it->text, strlen(it->text));
        rc = rc ? rc : hxe_buf_putc(b, '}');
    }
    return rc ? rc : hxe_buf_putc(b, ']');
}

int hxe_cmd_x12(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: hxe x12 parse|validate|to-json|from-json|ack [OPTIONS] FILE|-\n\n");
        for (size_t i = 0; i < sizeof help / sizeof help[0]; i++)
            fprintf(f, "%s\n", help[i]);
        return argc < 2 ? HXE_EXIT_USAGE : HXE_EXIT_OK;
    }
    enum verb verb;
    if (!strcmp(argv[1], "parse"))
        verb = V_PARSE;
    else if (!strcmp(argv[1], "validate"))
        verb = V_VALIDATE;
    else if (!strcmp(argv[1], "to-json"))
        verb = V_JSON;
    else if (!strcmp(argv[1], "ack"))
        verb = V_ACK;
    else if (!strcmp(argv[1], "from-json"))
        verb = V_FROM_JSON;
    else {
        fprintf(stderr, "hxe x12: unknown verb '%s' (parse, validate, to-json, from-json, ack)\n",
                argv[1]);
        return HXE_EXIT_USAGE;
    }
    int snip = 0, json = 0;
    unsigned long long start = 1;
    unsigned flags = 0;
    const char *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help[verb], stdout);
            return HXE_EXIT_OK;
        } else if (verb == V_ACK && !strcmp(argv[i], "--control-start") && i + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || v < 1 || v > 999999999ULL || argv[i][0] == '-') {
                fprintf(stderr, "hxe x12: --control-start takes 1 to 999999999\n");
                return HXE_EXIT_USAGE;
            }
            start = v;
        } else if (verb == V_ACK && !strcmp(argv[i], "--copy-bad-data")) {
            flags |= HXE_X12_ACK_COPY_BAD_DATA;
        } else if ((verb == V_VALIDATE || verb == V_ACK) && !strcmp(argv[i], "--snip") &&
                   i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 5) {
                fprintf(stderr, "hxe x12: --snip takes 1 to 5\n");
                return HXE_EXIT_USAGE;
            }
            snip = (int)v;
        } else if (verb == V_VALIDATE && !strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "hxe x12 %s: unknown option '%s'\n%s", argv[1], argv[i], help[verb]);
            return HXE_EXIT_USAGE;
        } else if (file) {
            fprintf(stderr, "hxe x12 %s: one FILE only\n", argv[1]);
            return HXE_EXIT_USAGE;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        fputs(help[verb], stderr);
        return HXE_EXIT_USAGE;
    }
    if (verb == V_ACK)
        return run_ack(file, start, snip, flags);
    if (verb == V_JSON || verb == V_FROM_JSON)
        return run_json(file, verb == V_FROM_JSON);
    struct input in;
    if (open_input(&in, file))
        return HXE_EXIT_USAGE;

    hxe_issues env = HXE_ISSUES_INIT, is = HXE_ISSUES_INIT;
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, in.p, in.n, NULL, &env);
    hxe_arena a;
    hxe_arena_init(&a, 64 * 1024, 0);
    hxe_buf out = HXE_BUF_INIT;
    int bad = 0;
    size_t env_printed = 0, n = 0;
    hxe_err err = {0};
    for (;;) {
        hxe_x12_set *s = NULL;
        hxe_issues_clear(&is);
        int k = hxe_x12_reader_next(&r, &a, &s, &is, &err);
        if (env.n > env_printed) {
            print_issues(stderr, "interchange", &env, env_printed);
            env_printed = env.n;
        }
        if (k < 0) {
            fprintf(stderr, "hxe x12: %s\n", err.msg);
            bad = 1;
            break;
        }
        if (k == HXE_X12_UNIT_END)
            break;
        n++;
        char where[64];
        snprintf(where, sizeof where, "%s/%s/%s", s->isa.control, s->gs.control,
                 k == HXE_X12_UNIT_TA1 ? "TA1" : s->control);
        if (k == HXE_X12_UNIT_SET)
            (void)hxe_x12_parse_loops(s, &a, NULL, verb == V_VALIDATE ? &is : NULL);
        hxe_buf_truncate(&out, 0);
        int rc = 0;
        if (verb == V_VALIDATE) {
            hxe_x12_validate_opts vo = {snip, 0};
            if (k == HXE_X12_UNIT_SET)
                hxe_x12_validate(s, &vo, &is);
            if (json) {
                rc = hxe_buf_printf(&out, "{\"set\":\"%s\",\"where\":\"%s\",\"issues\":", s->id, where);
                rc = rc ? rc : issues_json(&out, &is);
                rc = rc ? rc : hxe_buf_puts(&out, "}\n");
            } else {
                print_issues(stdout, where, &is, 0);
            }
        } else {
            print_issues(stderr, where, &is, 0);
            rc = hxe_buf_printf(&out, "%s set %s guide %s segments %zu loops %zu\n", where, s->id,
                                s->guide[0] ? s->guide : "-", s->nseg, s->nloops);
        }
        if (rc) {
            fprintf(stderr, "hxe x12: %s\n", hxe_strerror(rc));
            bad = 1;
        }
        fwrite(out.p ? out.p : "", 1, out.len, stdout);
        if (is.errors)
            bad = 1;
        hxe_arena_reset(&a);
    }
    if (env.errors || !r.interchanges)
        bad = 1;
    if (!r.interchanges)
        fprintf(stderr, "hxe x12: no interchange (ISA) found\n");
    if (verb == V_VALIDATE && !json)
        printf("%zu transaction set(s), %zu interchange(s): %s\n", n, r.interchanges,
               bad ? "errors found" : "valid");
    hxe_buf_free(&out);
    hxe_arena_free(&a);
    hxe_issues_free(&env);
    hxe_issues_free(&is);
    close_input(&in);
    return bad ? HXE_EXIT_INVALID : HXE_EXIT_OK;
}

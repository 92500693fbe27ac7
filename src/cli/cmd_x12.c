/*
 * cmd_x12.c — `hxe x12 parse|validate|to-json|from-json|ack FILE|-` and
 * `hxe x12 match SENT RESPONSE...`.
 *
 * Every verb streams: the file is mapped (or standard input read), the
 * reader hands out one transaction set at a time, each in an arena that
 * is reset after it, so memory stays flat however large the file. match
 * keeps a small index of what was sent (control numbers and claim ids)
 * and the answers found in the responses.
 */
#include "cli/cli.h"
#include "x12/x12.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char hxe_cmd_x12_desc[] = "ASC X12 5010: parse, validate, to-json, from-json, ack, match";

enum verb { V_PARSE, V_VALIDATE, V_JSON, V_ACK, V_FROM_JSON, V_MATCH };

#define MAX_RESPONSE_FILES 256

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
    [V_MATCH] =
        "usage: hxe x12 match [--json] SENT_FILE RESPONSE_FILE...\n"
        "Matches the answers received (999, TA1 and 277CA, in any of the response\n"
        "files) to the transaction sets of SENT_FILE: a TA1 by ISA13, a 999 by\n"
        "GS06 and ST02, a 277CA by the claims' CLM01. Prints one line per set\n"
        "sent, its ISA13/GS06/ST02 and ST01 and its outcome, then its answers\n"
        "(kind, the response's own control numbers and file, the status: IK501\n"
        "and IK5 codes, AK9 codes, TA104 and TA105, each claim's STC) and their\n"
        "IK3/IK4 places and codes (never values):\n"
        "  accepted    a 999 accepted it (IK501 A or E) or a 277CA accepted its\n"
        "              claims, and no answer rejects it\n"
        "  rejected    a 999 (IK501 R, M, W, X, or AK9 R), a TA1 (TA104 R) or a\n"
        "              277CA claim status rejects it\n"
        "  unanswered  no 999 or 277CA answers it\n"
        "Answers that match nothing sent are listed after the sets.\n"
        "--json prints one JSON object per set (and per unmatched answer) instead.\n"
        "Exit 0 when every set sent was accepted, 1 when any was rejected or is\n"
        "unanswered, 2 on usage errors or a file that cannot be read.\n",
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

/* issues[from .. to) as a JSON array */
static int issues_json(hxe_buf *b, const hxe_issues *is, size_t from, size_t to)
{
    int rc = hxe_buf_puts(b, "[");
    for (size_t i = from; i < to && i < is->n && !rc; i++) {
        const hxe_issue *it = &is->v[i];
        char code[8];
        hxe_x12_code_str(it->code, code, sizeof code);
        rc = hxe_buf_printf(b, "%s{\"severity\":\"%s\",\"code\":\"%s\",\"level\":%d,\"segment\":",
                            i > from ? "," : "", hxe_severity_name(it->severity), code,
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

/* ---- match ---- */

static const char *kind_name(int kind)
{
    return kind == HXE_X12_ANSWER_TA1 ? "TA1" : kind == HXE_X12_ANSWER_999 ? "999" : "277CA";
}

/* 1: the answer rejects its set, -1: accepts it, 0: neither (a TA1 that
 * accepts the interchange, a 277CA status that is not final, a 999
 * without its IK5) */
static int verdict(const hxe_x12_answer *a)
{
    char st = a->status;
    switch (a->kind) {
    case HXE_X12_ANSWER_TA1:
        return st == 'R';
    case HXE_X12_ANSWER_999:
        return (st == 'A' || st == 'E') ? -1 : (st == 'R' || st == 'M' || st == 'W' || st == 'X');
    default:
        return st == 'A' ? -1 : st == 'R';
    }
}

static const char *level_name(int code)
{
    switch (hxe_x12_code_level(code)) {
    case HXE_X12_TA1: return "TA105";
    case HXE_X12_GRP: return "AK905";
    case HXE_X12_SET: return "IK502";
    case HXE_X12_SEG: return "IK304";
    case HXE_X12_ELE: return "IK403";
    default: return NULL;
    }
}

static void print_answer(const hxe_x12_answer *a, const char *file, const hxe_issues *is)
{
    printf("  %s %s/%s/%s in %s:", kind_name(a->kind), a->by_interchange,
           a->by_group[0] ? a->by_group : "-", a->by_control[0] ? a->by_control : "-", file);
    if (a->kind == HXE_X12_ANSWER_277CA)
        printf(" claim %s", a->claim);
    printf(" %c", a->status ? a->status : '?');
    /* the codes of the set, group or interchange: on the same line */
    for (size_t i = a->first; i < a->first + a->n; i++) {
        int l = hxe_x12_code_level(is->v[i].code);
        char code[8];
        if (l == HXE_X12_TA1 || l == HXE_X12_GRP || l == HXE_X12_SET)
            printf(", %s %s", level_name(is->v[i].code), hxe_x12_code_str(is->v[i].code, code, sizeof code));
    }
    putchar('\n');
    /* segment and element notes, claim statuses: one line each */
    for (size_t i = a->first; i < a->first + a->n; i++) {
        const hxe_issue *it = &is->v[i];
        int l = hxe_x12_code_level(it->code);
        if (l == HXE_X12_TA1 || l == HXE_X12_GRP || l == HXE_X12_SET)
            continue;
        char code[8];
        printf("    ");
        if (it->loc.seg_pos)
            printf("segment %u ", (unsigned)it->loc.seg_pos);
        if (level_name(it->code))
            printf("%s=%s: ", level_name(it->code), hxe_x12_code_str(it->code, code, sizeof code));
        printf("%s\n", it->text);
    }
}

static int json_answer(hxe_buf *b, const hxe_x12_answer *a, const char *file, const hxe_issues *is)
{
    char st[2] = {a->status ? a->status : '?', 0};
    int rc = hxe_buf_printf(b, "{\"kind\":\"%s\",\"file\":", kind_name(a->kind));
    rc = rc ? rc : hxe_json_str(b, file, strlen(file));
    rc = rc ? rc : hxe_buf_puts(b, ",\"interchange\":");
    rc = rc ? rc : hxe_json_str(b, a->by_interchange, strlen(a->by_interchange));
    rc = rc ? rc : hxe_buf_puts(b, ",\"group\":");
    rc = rc ? rc : hxe_json_str(b, a->by_group, strlen(a->by_group));
    rc = rc ? rc : hxe_buf_puts(b, ",\"control\":");
    rc = rc ? rc : hxe_json_str(b, a->by_control, strlen(a->by_control));
    rc = rc ? rc : hxe_buf_puts(b, ",\"status\":");
    rc = rc ? rc : hxe_json_str(b, st, 1);
    if (a->kind == HXE_X12_ANSWER_277CA) {
        rc = rc ? rc : hxe_buf_puts(b, ",\"claim\":");
        rc = rc ? rc : hxe_json_str(b, a->claim, strlen(a->claim));
    }
    if (a->sent == (size_t)-1) {
        /* what it answers, as the response names it */
        rc = rc ? rc : hxe_buf_puts(b, ",\"answers\":{\"interchange\":");
        rc = rc ? rc : hxe_json_str(b, a->interchange, strlen(a->interchange));
        rc = rc ? rc : hxe_buf_puts(b, ",\"group\":");
        rc = rc ? rc : hxe_json_str(b, a->group, strlen(a->group));
        rc = rc ? rc : hxe_buf_puts(b, ",\"control\":");
        rc = rc ? rc : hxe_json_str(b, a->control, strlen(a->control));
        rc = rc ? rc : hxe_buf_putc(b, '}');
    }
    rc = rc ? rc : hxe_buf_puts(b, ",\"issues\":");
    rc = rc ? rc : issues_json(b, is, a->first, a->first + a->n);
    return rc ? rc : hxe_buf_putc(b, '}');
}

static int run_match(const char *const *files, size_t nfiles, int json)
{
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    size_t bounds[MAX_RESPONSE_FILES + 1];   /* answers of response file f: [bounds[f-1], bounds[f]) */
    size_t *count = NULL, *order = NULL;
    hxe_buf out = HXE_BUF_INIT;
    hxe_err err = {0};
    int exit_code = HXE_EXIT_USAGE;
    struct input in;
    if (open_input(&in, files[0]))
        return HXE_EXIT_USAGE;
    int rc = hxe_x12_sent_add_x12(&st, in.p, in.n, &err);
    close_input(&in);
    if (rc) {
        fprintf(stderr, "hxe x12 match: %s: %s\n", files[0], err.msg);
        goto done;
    }
    if (!st.nsets) {
        fprintf(stderr, "hxe x12 match: %s: no transaction set found\n", files[0]);
        goto done;
    }
    bounds[0] = 0;
    for (size_t f = 1; f < nfiles; f++) {
        if (open_input(&in, files[f]))
            goto done;
        rc = hxe_x12_match(&st, in.p, in.n, &an, &err);
        close_input(&in);
        if (rc) {
            fprintf(stderr, "hxe x12 match: %s: %s\n", files[f], err.msg);
            goto done;
        }
        bounds[f] = an.n;
    }
    /* the answers of each set sent, in the order they were read */
    count = hxe_calloc(st.nsets + 1, sizeof *count);
    order = hxe_malloc((an.n ? an.n : 1) * sizeof *order);
    if (!count || !order) {
        fprintf(stderr, "hxe x12 match: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < an.n; i++)
        if (an.v[i].sent < st.nsets)
            count[an.v[i].sent + 1]++;
    for (size_t i = 0; i < st.nsets; i++)
        count[i + 1] += count[i];
    for (size_t i = 0; i < an.n; i++)
        if (an.v[i].sent < st.nsets)
            order[count[an.v[i].sent]++] = i;
    /* count[i] is now where set i's answers end; they start at count[i - 1] */
    size_t accepted = 0, rejected = 0, unanswered = 0, unmatched = 0, f = 1;
    for (size_t i = 0; i < st.nsets; i++) {
        size_t from = i ? count[i - 1] : 0, to = count[i];
        int rej = 0, acc = 0;
        for (size_t j = from; j < to; j++) {
            int v = verdict(&an.v[order[j]]);
            rej |= v > 0;
            acc |= v < 0;
        }
        const char *outcome = rej ? "rejected" : acc ? "accepted" : "unanswered";
        accepted += !rej && acc;
        rejected += rej;
        unanswered += !rej && !acc;
        const hxe_x12_sent_set *ss = &st.sets[i];
        hxe_buf_truncate(&out, 0);
        if (json) {
            rc = hxe_buf_puts(&out, "{\"interchange\":");
            rc = rc ? rc : hxe_json_str(&out, ss->interchange, strlen(ss->interchange));
            rc = rc ? rc : hxe_buf_puts(&out, ",\"group\":");
            rc = rc ? rc : hxe_json_str(&out, ss->group, strlen(ss->group));
            rc = rc ? rc : hxe_buf_puts(&out, ",\"control\":");
            rc = rc ? rc : hxe_json_str(&out, ss->control, strlen(ss->control));
            rc = rc ? rc : hxe_buf_puts(&out, ",\"set\":");
            rc = rc ? rc : hxe_json_str(&out, ss->id, strlen(ss->id));
            rc = rc ? rc : hxe_buf_printf(&out, ",\"outcome\":\"%s\",\"answers\":[", outcome);
            for (size_t j = from; j < to && !rc; j++) {
                size_t a = order[j];
                for (f = 1; f + 1 < nfiles && bounds[f] <= a; f++)
                    ;
                rc = j > from ? hxe_buf_putc(&out, ',') : 0;
                rc = rc ? rc : json_answer(&out, &an.v[a], files[f], &an.issues);
            }
            rc = rc ? rc : hxe_buf_puts(&out, "]}\n");
            if (rc) {
                fprintf(stderr, "hxe x12 match: %s\n", hxe_strerror(rc));
                goto done;
            }
            fwrite(out.p, 1, out.len, stdout);
        } else {
            printf("%s/%s/%s %s %s\n", ss->interchange, ss->group[0] ? ss->group : "-", ss->control,
                   ss->id, outcome);
            for (size_t j = from; j < to; j++) {
                size_t a = order[j];
                for (f = 1; f + 1 < nfiles && bounds[f] <= a; f++)
                    ;
                print_answer(&an.v[a], files[f], &an.issues);
            }
        }
    }
    for (size_t a = 0; a < an.n; a++) {
        if (an.v[a].sent < st.nsets)
            continue;
        unmatched++;
        for (f = 1; f + 1 < nfiles && bounds[f] <= a; f++)
            ;
        if (json) {
            hxe_buf_truncate(&out, 0);
            rc = hxe_buf_puts(&out, "{\"unmatched\":");
            rc = rc ? rc : json_answer(&out, &an.v[a], files[f], &an.issues);
            rc = rc ? rc : hxe_buf_puts(&out, "}\n");
            if (rc) {
                fprintf(stderr, "hxe x12 match: %s\n", hxe_strerror(rc));
                goto done;
            }
            fwrite(out.p, 1, out.len, stdout);
        } else {
            printf("unmatched (answers %s/%s/%s, sent nothing matching):\n", an.v[a].interchange,
                   an.v[a].group[0] ? an.v[a].group : "-", an.v[a].control[0] ? an.v[a].control : "-");
            print_answer(&an.v[a], files[f], &an.issues);
        }
    }
    if (!json)
        printf("%zu set(s) sent: %zu accepted, %zu rejected, %zu unanswered; %zu answer(s) match "
               "nothing sent\n", st.nsets, accepted, rejected, unanswered, unmatched);
    exit_code = accepted == st.nsets ? HXE_EXIT_OK : HXE_EXIT_INVALID;
done:
    hxe_free(count);
    hxe_free(order);
    hxe_buf_free(&out);
    hxe_x12_answers_free(&an);
    hxe_x12_sent_free(&st);
    return exit_code;
}

int hxe_cmd_x12(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: hxe x12 parse|validate|to-json|from-json|ack [OPTIONS] FILE|-\n"
                   "       hxe x12 match [--json] SENT_FILE RESPONSE_FILE...\n\n");
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
    else if (!strcmp(argv[1], "match"))
        verb = V_MATCH;
    else {
        fprintf(stderr, "hxe x12: unknown verb '%s' (parse, validate, to-json, from-json, ack, match)\n",
                argv[1]);
        return HXE_EXIT_USAGE;
    }
    int snip = 0, json = 0;
    unsigned long long start = 1;
    unsigned flags = 0;
    const char *file = NULL;
    const char *files[MAX_RESPONSE_FILES + 1];   /* match: SENT_FILE then the responses */
    size_t nfiles = 0;
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
        } else if ((verb == V_VALIDATE || verb == V_MATCH) && !strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "hxe x12 %s: unknown option '%s'\n%s", argv[1], argv[i], help[verb]);
            return HXE_EXIT_USAGE;
        } else if (verb == V_MATCH) {
            if (nfiles == MAX_RESPONSE_FILES + 1) {
                fprintf(stderr, "hxe x12 match: at most %d response files\n", MAX_RESPONSE_FILES);
                return HXE_EXIT_USAGE;
            }
            files[nfiles++] = argv[i];
        } else if (file) {
            fprintf(stderr, "hxe x12 %s: one FILE only\n", argv[1]);
            return HXE_EXIT_USAGE;
        } else {
            file = argv[i];
        }
    }
    if (verb == V_MATCH) {
        if (nfiles < 2) {
            fputs(help[verb], stderr);
            return HXE_EXIT_USAGE;
        }
        return run_match(files, nfiles, json);
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
                rc = rc ? rc : issues_json(&out, &is, 0, is.n);
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

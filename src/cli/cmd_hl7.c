/*
 * cmd_hl7.c — `hxe hl7 parse|get|set|validate|ack FILE|-`.
 *
 * Every verb reads a file or standard input that may hold many messages
 * (a stream, an interface log with MLLP framing bytes, FHS/BHS batches)
 * and works message by message, each in its own arena.
 */
#include "cli/cli.h"
#include "hl7v2/hl7v2.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char hxe_cmd_hl7_desc[] = "HL7 v2: parse, get, set, validate, ack";

enum verb { V_PARSE, V_GET, V_SET, V_VALIDATE, V_ACK };

struct edit {
    int op;            /* 's' set, 'i' insert, 'd' delete */
    hxe_hl7_path path;
    const char *val;
};

struct opts {
    enum verb verb;
    const char *file;
    int raw, json, accept, cr, quiet;
    const char *version, *control_id;
    size_t max_bytes;
    const char **paths;
    size_t npaths;
    struct edit *edits;
    size_t nedits;
};

static const char *const help[] = {
    [V_PARSE] =
        "usage: hxe hl7 parse [--raw] FILE|-\n"
        "Prints each message as one line of JSON: segments, and fields keyed the\n"
        "HL7 way (PID-5, PID-5.1, PID-3.4.1). Values are decoded to UTF-8 text;\n"
        "--raw keeps them as written (escape sequences, original character set).\n"
        "Exit 0 when every message could be read, 1 otherwise.\n",
    [V_GET] =
        "usage: hxe hl7 get [--raw] FILE|- PATH...\n"
        "Prints, for each message, the value at each PATH, tab-separated, one line\n"
        "per message. Paths: PID-5, PID-5.1, PID-3[2].1 (2nd repetition),\n"
        "OBX[3]-5 (3rd OBX), PID-5.1.2 (subcomponent). Values are decoded text\n"
        "with line breaks shown as \\n; --raw prints them as written.\n",
    [V_SET] =
        "usage: hxe hl7 set [--raw] FILE|- PATH=VALUE... [--insert PATH=VALUE] [--delete PATH]\n"
        "Writes each message back with the edits applied, in order. PATH=VALUE sets\n"
        "(VALUE is text and gets escaped; with --raw it is already encoded and its\n"
        "separators make structure). --insert puts a new field, repetition,\n"
        "component or segment before the addressed one; --delete removes it.\n"
        "Unedited messages are written back byte for byte.\n",
    [V_VALIDATE] =
        "usage: hxe hl7 validate [--json] [--version V] [--quiet] FILE|-\n"
        "Checks each message against the HL7 definitions of its version (or V):\n"
        "structure, required fields, data types, lengths and key tables, and\n"
        "checks batch counts. Prints the issues with their places and HL7 error\n"
        "codes (table 0357). Exit 0 when no message has errors, 1 otherwise.\n",
    [V_ACK] =
        "usage: hxe hl7 ack [--accept] [--control-id ID] [--cr] FILE|-\n"
        "Prints the acknowledgment each message deserves: AA/AE/AR in original\n"
        "mode; in enhanced mode (MSH-15/16) the application ack, or with --accept\n"
        "the accept ack (CA/CE/CR). Segments end with a newline for reading;\n"
        "--cr ends them with \\r as on the wire. Exit 0 when every ACK is AA/CA.\n",
};

static const char *const verb_names[] = {"parse", "get", "set", "validate", "ack"};

static int usage_err(enum verb v, const char *fmt, const char *arg)
{
    fprintf(stderr, "hxe hl7 %s: ", verb_names[v]);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", help[v]);
    return HXE_EXIT_USAGE;
}

static int parse_edit(struct opts *o, int op, const char *arg)
{
    struct edit *e = &o->edits[o->nedits];
    const char *eq = op == 'd' ? NULL : strchr(arg, '=');
    if (op != 'd' && !eq)
        return usage_err(o->verb, "expected PATH=VALUE, got '%s'", arg);
    size_t plen = eq ? (size_t)(eq - arg) : strlen(arg);
    hxe_err err = {0};
    if (hxe_hl7_path_parse(&e->path, arg, plen, &err))
        return usage_err(o->verb, "%s", err.msg);
    e->op = op;
    e->val = eq ? eq + 1 : NULL;
    o->nedits++;
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    o->paths = calloc((size_t)argc, sizeof *o->paths);
    o->edits = calloc((size_t)argc, sizeof *o->edits);
    if (!o->paths || !o->edits)
        return HXE_EXIT_USAGE;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && a[0] == '-' && a[1] == '-') {
            if (strcmp(a, "--") == 0)
                only_pos = 1;
            else if (strcmp(a, "--help") == 0) {
                fputs(help[o->verb], stdout);
                return -1;
            } else if (strcmp(a, "--raw") == 0)
                o->raw = 1;
            else if (strcmp(a, "--json") == 0)
                o->json = 1;
            else if (strcmp(a, "--accept") == 0)
                o->accept = 1;
            else if (strcmp(a, "--cr") == 0)
                o->cr = 1;
            else if (strcmp(a, "--quiet") == 0)
                o->quiet = 1;
            else if ((strcmp(a, "--version") == 0 || strcmp(a, "--control-id") == 0 ||
                      strcmp(a, "--insert") == 0 || strcmp(a, "--delete") == 0 ||
                      strcmp(a, "--max-bytes") == 0)) {
                if (i + 1 >= argc)
                    return usage_err(o->verb, "%s needs a value", a);
                const char *v = argv[++i];
                if (strcmp(a, "--version") == 0)
                    o->version = v;
                else if (strcmp(a, "--control-id") == 0)
                    o->control_id = v;
                else if (strcmp(a, "--max-bytes") == 0)
                    o->max_bytes = strtoull(v, NULL, 10);
                else {
                    int rc = parse_edit(o, a[2] == 'i' ? 'i' : 'd', v);
                    if (rc)
                        return rc;
                }
            } else
                return usage_err(o->verb, "unknown option %s", a);
        } else if (!o->file) {
            o->file = a;
        } else if (o->verb == V_GET) {
            o->paths[o->npaths++] = a;
        } else if (o->verb == V_SET) {
            int rc = parse_edit(o, 's', a);
            if (rc)
                return rc;
        } else
            return usage_err(o->verb, "unexpected argument '%s'", a);
    }
    if (!o->file)
        return usage_err(o->verb, "%s", "missing FILE (use - for standard input)");
    if (o->verb == V_GET && !o->npaths)
        return usage_err(o->verb, "%s", "missing PATH");
    for (size_t i = 0; i < o->npaths; i++) {
        hxe_hl7_path p;
        hxe_err err = {0};
        if (hxe_hl7_path_parse(&p, o->paths[i], strlen(o->paths[i]), &err))
            return usage_err(o->verb, "%s", err.msg);
    }
    return 0;
}

static void loc_str(const hxe_loc *l, char *buf, size_t size)
{
    if (!l->seg[0]) {
        if (l->seg_pos)
            snprintf(buf, size, "segment %u", l->seg_pos);
        else
            snprintf(buf, size, "-");
        return;
    }
    hxe_hl7_path p = {{0}, l->seg_seq, l->field, l->rep, l->comp, l->sub};
    memcpy(p.seg, l->seg, 4);
    hxe_hl7_path_format(&p, buf, size);
}

static void print_issues_text(const hxe_issues *is, const char *indent)
{
    for (size_t i = 0; i < is->n; i++) {
        const hxe_issue *it = &is->v[i];
        char loc[64];
        loc_str(&it->loc, loc, sizeof loc);
        printf("%s%-11s %-14s %3u  %s\n", indent, hxe_severity_name(it->severity), loc, it->code,
               it->text);
    }
    if (is->dropped)
        printf("%s(%zu more issues not shown)\n", indent, is->dropped);
}

static int print_issues_json(const hxe_issues *is, hxe_buf *b)
{
    int rc = hxe_buf_puts(b, "[");
    for (size_t i = 0; i < is->n && !rc; i++) {
        const hxe_issue *it = &is->v[i];
        char loc[64];
        loc_str(&it->loc, loc, sizeof loc);
        rc = hxe_buf_printf(b, "%s{\"severity\":\"%s\",\"code\":%u,\"location\":", i ? "," : "",
                            hxe_severity_name(it->severity), it->code);
        if (!rc)
            rc = hxe_json_str(b, loc, strlen(loc));
        if (!rc && it->loc.offset != (size_t)-1)
            rc = hxe_buf_printf(b, ",\"offset\":%zu", it->loc.offset);
        if (!rc)
            rc = hxe_buf_puts(b, ",\"text\":");
        if (!rc)
            rc = hxe_json_str(b, it->text, strlen(it->text));
        if (!rc)
            rc = hxe_buf_putc(b, '}');
    }
    return rc ? rc : hxe_buf_putc(b, ']');
}

static void print_value(hxe_slice v)
{
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else
            putchar(c);
    }
}

static void print_ack(const hxe_buf *ack, int cr)
{
    for (size_t i = 0; i < ack->len; i++)
        putchar(ack->p[i] == '\r' && !cr ? '\n' : ack->p[i]);
    if (!cr)
        putchar('\n');
}

/* One message: returns 1 when it counts as invalid for the exit code. */
static int do_message(const struct opts *o, hxe_arena *a, hxe_slice raw, size_t index,
                      size_t offset)
{
    hxe_issues issues = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    hxe_err err = {0};
    hxe_hl7_opts po = {o->max_bytes, 0, 0};
    int rc = hxe_hl7_parse(&m, a, raw.p, raw.n, &po, &issues, &err);
    int bad = rc != 0;
    hxe_buf out = HXE_BUF_INIT;

    switch (o->verb) {
    case V_PARSE:
        if (rc) {
            printf("{\"message\":%zu,\"offset\":%zu,\"error\":", index, offset);
            if (hxe_json_str(&out, err.msg, strlen(err.msg)) == 0)
                printf("%s}\n", out.p);
        } else if (hxe_hl7_to_json(m, o->raw ? HXE_HL7_JSON_RAW : HXE_HL7_JSON_TEXT, &out) == 0) {
            printf("%s\n", out.p);
        }
        break;
    case V_GET:
        if (rc) {
            fprintf(stderr, "message %zu at byte %zu: %s\n", index, offset, err.msg);
            putchar('\n');
            break;
        }
        for (size_t i = 0; i < o->npaths; i++) {
            hxe_hl7_path p;
            hxe_hl7_path_parse(&p, o->paths[i], strlen(o->paths[i]), NULL);
            if (i)
                putchar('\t');
            hxe_buf_truncate(&out, 0);
            if (o->raw) {
                hxe_slice v;
                if (hxe_hl7_get(m, &p, &v) == 0)
                    print_value(v);
            } else if (hxe_hl7_get_text(m, &p, &out) == 0) {
                print_value(hxe_buf_slice(&out));
            }
        }
        putchar('\n');
        break;
    case V_SET:
        if (rc) {
            fprintf(stderr, "message %zu at byte %zu: %s (written unchanged)\n", index, offset,
                    err.msg);
            fwrite(raw.p, 1, raw.n, stdout);
            break;
        }
        for (size_t i = 0; i < o->nedits; i++) {
            const struct edit *e = &o->edits[i];
            unsigned fl = o->raw ? HXE_HL7_SET_RAW : HXE_HL7_SET_TEXT;
            int r = e->op == 's'   ? hxe_hl7_set(m, &e->path, e->val, strlen(e->val), fl, &err)
                    : e->op == 'i' ? hxe_hl7_insert(m, &e->path, e->val, strlen(e->val), fl, &err)
                                   : hxe_hl7_delete(m, &e->path, &err);
            if (r) {
                char ps[64];
                hxe_hl7_path_format(&e->path, ps, sizeof ps);
                fprintf(stderr, "message %zu: %s: %s\n", index, ps, err.msg);
                bad = 1;
            }
        }
        if (hxe_hl7_write(m, &out) == 0)
            fwrite(out.p, 1, out.len, stdout);
        break;
    case V_VALIDATE:
    case V_ACK: {
        if (!rc) {
            hxe_hl7_validate_opts vo = {o->version, 0};
            hxe_hl7_validate(m, &vo, &issues);
        }
        bad = bad || issues.errors > 0;
        if (o->verb == V_ACK) {
            hxe_hl7_ack_opts ao = {o->accept ? HXE_HL7_ACK_ACCEPT : HXE_HL7_ACK_APPLICATION,
                                   o->control_id, NULL, NULL, 0};
            int r = hxe_hl7_ack(m, raw.p, raw.n, &issues, &ao, &out);
            const char *code = hxe_hl7_ack_code(m, &issues, ao.kind);
            if (r == 1)
                fprintf(stderr, "message %zu: no acknowledgment wanted (MSH-15/16)\n", index);
            else if (r == 0)
                print_ack(&out, o->cr);
            bad = code && strcmp(code, "AA") != 0 && strcmp(code, "CA") != 0;
            break;
        }
        if (o->json) {
            hxe_slice t = m ? hxe_hl7_field(m, 0, 9) : HXE_SLICE_EMPTY;
            int r = hxe_buf_printf(&out, "{\"message\":%zu,\"offset\":%zu,\"type\":", index, offset);
            if (!r)
                r = hxe_json_str(&out, t.p, t.n);
            if (!r)
                r = hxe_buf_printf(&out, ",\"valid\":%s,\"ack\":\"%s\",\"issues\":",
                                   bad ? "false" : "true",
                                   hxe_hl7_ack_code(m, &issues, HXE_HL7_ACK_APPLICATION));
            if (!r)
                r = print_issues_json(&issues, &out);
            if (!r)
                printf("%s}\n", out.p);
        } else if (!o->quiet || bad) {
            hxe_slice t = m ? hxe_hl7_field(m, 0, 9) : HXE_SLICE_EMPTY;
            size_t warn = issues.n - (issues.errors < issues.n ? issues.errors : issues.n);
            printf("message %zu at byte %zu (%.*s): %s, %zu error%s, %zu other issue%s\n", index,
                   offset, (int)(t.n > 40 ? 40 : t.n), t.p, bad ? "INVALID" : "valid",
                   issues.errors, issues.errors == 1 ? "" : "s", warn, warn == 1 ? "" : "s");
            print_issues_text(&issues, "  ");
        }
        break;
    }
    }
    hxe_buf_free(&out);
    hxe_issues_free(&issues);
    return bad;
}

static int do_junk(const struct opts *o, hxe_slice raw, size_t index, size_t offset)
{
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_loc l = hxe_loc_none();
    l.offset = offset;
    hxe_issue *it = hxe_issues_add(&is, HXE_SEV_FATAL, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l,
                                   "%zu bytes that belong to no message (no MSH before them)",
                                   raw.n);
    if (it)
        it->reject = 1;
    hxe_buf out = HXE_BUF_INIT;
    switch (o->verb) {
    case V_ACK:
        if (hxe_hl7_ack(NULL, raw.p, raw.n, &is, NULL, &out) == 0)
            print_ack(&out, o->cr);
        break;
    case V_PARSE:
        printf("{\"message\":%zu,\"offset\":%zu,\"error\":\"bytes that belong to no message\"}\n",
               index, offset);
        break;
    case V_SET:
        fwrite(raw.p, 1, raw.n, stdout);
        break;
    default:
        if (o->json) {
            if (print_issues_json(&is, &out) == 0)
                printf("{\"junk\":%zu,\"offset\":%zu,\"valid\":false,\"ack\":\"AR\",\"issues\":%s}\n",
                       index, offset, out.p);
        } else {
            printf("input at byte %zu: INVALID\n", offset);
            print_issues_text(&is, "  ");
        }
        break;
    }
    fprintf(stderr, "hxe hl7 %s: %zu bytes at byte %zu belong to no message\n",
            verb_names[o->verb], raw.n, offset);
    hxe_buf_free(&out);
    hxe_issues_free(&is);
    return 1;
}

static int run(struct opts *o)
{
    hxe_buf in = HXE_BUF_INIT;
    hxe_err err = {0};
    if (hxe_read_file(o->file, o->max_bytes ? o->max_bytes : ((size_t)1 << 32), &in, &err)) {
        fprintf(stderr, "hxe hl7 %s: %s\n", verb_names[o->verb], err.msg);
        hxe_buf_free(&in);
        return HXE_EXIT_USAGE;
    }
    hxe_issues batch = HXE_ISSUES_INIT;
    hxe_hl7_reader r;
    hxe_hl7_reader_init(&r, in.p ? in.p : "", in.len, &batch);
    hxe_arena a;
    hxe_arena_init(&a, 64 * 1024, 0);
    int bad = 0;
    size_t n = 0, offset;
    hxe_slice unit;
    int kind;
    while ((kind = hxe_hl7_reader_next(&r, &unit, &offset)) != HXE_HL7_UNIT_END) {
        n++;
        if (kind == HXE_HL7_UNIT_JUNK)
            bad |= do_junk(o, unit, n, offset);
        else
            bad |= do_message(o, &a, unit, n, offset);
        hxe_arena_reset(&a);
    }
    if (n == 0 && batch.n == 0) {
        fprintf(stderr, "hxe hl7 %s: %s: no message in the input\n", verb_names[o->verb], o->file);
        bad = 1;
        if (o->verb == V_ACK || o->verb == V_VALIDATE)
            bad |= do_junk(o, hxe_buf_slice(&in), 1, 0);
    }
    if (batch.n) {
        bad = 1;
        if (o->verb == V_VALIDATE && !o->json) {
            printf("batch: INVALID\n");
            print_issues_text(&batch, "  ");
        } else if (o->verb == V_VALIDATE) {
            hxe_buf out = HXE_BUF_INIT;
            if (print_issues_json(&batch, &out) == 0)
                printf("{\"batch\":true,\"valid\":false,\"issues\":%s}\n", out.p);
            hxe_buf_free(&out);
        } else if (o->verb == V_ACK) {
            /* the batch itself is rejected */
            hxe_buf out = HXE_BUF_INIT;
            const hxe_slice h = r.batch_header;
            if (hxe_hl7_ack(NULL, h.p, h.n, &batch, NULL, &out) == 0)
                print_ack(&out, o->cr);
            hxe_buf_free(&out);
        } else {
            for (size_t i = 0; i < batch.n; i++)
                fprintf(stderr, "hxe hl7 %s: batch: %s\n", verb_names[o->verb], batch.v[i].text);
        }
    }
    hxe_arena_free(&a);
    hxe_issues_free(&batch);
    hxe_buf_free(&in);
    return bad ? HXE_EXIT_INVALID : HXE_EXIT_OK;
}

int hxe_cmd_hl7(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: hxe hl7 VERB [OPTIONS] FILE|-\n\nverbs:\n"
                   "  parse     print each message as JSON\n"
                   "  get       print values at paths (PID-5.1, OBX[2]-5, PID-3[2].1)\n"
                   "  set       set, insert or delete values and write the messages back\n"
                   "  validate  check messages against the HL7 definitions\n"
                   "  ack       build the acknowledgment each message deserves\n"
                   "\nFILE may hold many messages: a stream, an interface log or batches.\n"
                   "Run 'hxe hl7 VERB --help' for details.\n");
        return argc < 2 ? HXE_EXIT_USAGE : 0;
    }
    struct opts o;
    memset(&o, 0, sizeof o);
    size_t v;
    for (v = 0; v < sizeof verb_names / sizeof verb_names[0]; v++)
        if (strcmp(argv[1], verb_names[v]) == 0)
            break;
    if (v == sizeof verb_names / sizeof verb_names[0]) {
        fprintf(stderr, "hxe hl7: unknown verb '%s' (parse, get, set, validate, ack)\n", argv[1]);
        return HXE_EXIT_USAGE;
    }
    o.verb = (enum verb)v;
    int rc = parse_args(&o, argc - 1, argv + 1);
    if (rc == 0)
        rc = run(&o);
    else if (rc < 0)
        rc = 0;
    free(o.paths);
    free(o.edits);
    return rc;
}

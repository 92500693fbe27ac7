/*
 * cmd_convert.c — `hxe convert --from hl7v2 --to fhir FILE|-`.
 *
 * Reads one or many HL7 v2 messages (a stream, an MLLP log or FHS/BHS
 * batches), converts each supported message to a FHIR transaction Bundle
 * and prints it as JSON: one compact Bundle per line, or pretty with
 * --pretty. What the conversion could not carry is printed on stderr, one
 * line per issue, naming places only. Exit 0 when every message
 * converted, 1 when one could not be read or converted (or, with
 * --validate, when a Bundle has validation errors), 2 on usage errors.
 */
#include "cli/cli.h"
#include "convert/convert.h"
#include "fhir/fhir.h"
#include "hl7v2/hl7v2.h"

#include <string.h>

const char hxe_cmd_convert_desc[] = "convert HL7 v2 messages to FHIR R4 transaction Bundles";

static const char usage_text[] =
    "usage: hxe convert --from hl7v2 --to fhir [--pretty] [--tz +HH:MM] [--validate]\n"
    "                   [--quiet] FILE|-\n"
    "\n"
    "Converts each message of FILE (ADT A01-A13/A28/A31, ORU R01, ORM O01,\n"
    "OML O21, VXU V04) to a FHIR R4 transaction Bundle following the HL7\n"
    "V2-to-FHIR IG, one JSON Bundle per message on stdout (one per line, or\n"
    "indented with --pretty). Notes about what was not mapped go to stderr\n"
    "(--quiet: none).\n"
    "  --tz +HH:MM   offset for v2 times without one (else they keep only the date)\n"
    "  --validate    validate each Bundle (R4 + US Core); errors make the exit 1\n"
    "Exit 0 all converted, 1 a message could not be converted, 2 usage.\n";

static int usage(const char *msg, const char *arg)
{
    if (msg) {
        fprintf(stderr, "hxe convert: ");
        fprintf(stderr, msg, arg);
        fprintf(stderr, "\n");
    }
    fputs(usage_text, stderr);
    return HXE_EXIT_USAGE;
}

static void print_issues(const hxe_issues *is, size_t from, size_t msgno)
{
    for (size_t i = from; i < is->n; i++)
        fprintf(stderr, "message %zu: %s %s\n", msgno, hxe_severity_name(is->v[i].severity),
                is->v[i].text);
}

static int valid_tz(const char *s)
{
    return strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' && s[1] >= '0' &&
           s[1] <= '1' && s[2] >= '0' && s[2] <= '9' && s[4] >= '0' && s[4] <= '5' && s[5] >= '0' &&
           s[5] <= '9';
}

static int convert_one(const char *p, size_t n, size_t msgno, const hxe_conv_opts *co, int pretty,
                       int validate, int quiet)
{
    hxe_arena a;
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_err err = {0, ""};
    hxe_hl7_msg *m = NULL;
    json_t *b = NULL;
    int code = HXE_EXIT_OK;
    hxe_arena_init(&a, 64 * 1024, 0);
    if (hxe_hl7_parse(&m, &a, p, n, NULL, &is, &err) != 0) {
        fprintf(stderr, "message %zu: %s\n", msgno, err.msg);
        code = HXE_EXIT_INVALID;
        goto done;
    }
    hxe_issues_clear(&is);
    if (hxe_conv_v2_to_fhir(m, co, &b, &is, &err) != 0) {
        fprintf(stderr, "message %zu: %s\n", msgno, err.msg);
        code = HXE_EXIT_INVALID;
        goto done;
    }
    if (!quiet)
        print_issues(&is, 0, msgno);
    if (validate) {
        hxe_issues vi = HXE_ISSUES_INIT;
        if (hxe_fhir_validate(b, NULL, &vi, &err) != 0 || vi.errors > 0)
            code = HXE_EXIT_INVALID;
        for (size_t i = 0; i < vi.n; i++)
            if (vi.v[i].severity >= HXE_SEV_ERROR || !quiet)
                fprintf(stderr, "message %zu: fhir %s %s\n", msgno,
                        hxe_severity_name(vi.v[i].severity), vi.v[i].text);
        hxe_issues_free(&vi);
    }
    hxe_buf out = HXE_BUF_INIT;
    if (hxe_fhir_write(b, pretty ? HXE_FHIR_WRITE_PRETTY : 0, &out) == 0) {
        fwrite(out.p, 1, out.len, stdout);
        if (!pretty)
            fputc('\n', stdout);
    } else {
        code = HXE_EXIT_INVALID;
    }
    hxe_buf_free(&out);
done:
    json_decref(b);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
    return code;
}

int hxe_cmd_convert(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *file = NULL, *tz = NULL;
    int pretty = 0, validate = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return HXE_EXIT_OK;
        } else if (strcmp(a, "--pretty") == 0) {
            pretty = 1;
        } else if (strcmp(a, "--validate") == 0) {
            validate = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 || strcmp(a, "--tz") == 0) {
            if (i + 1 >= argc)
                return usage("%s needs a value", a);
            if (a[2] == 'f')
                from = argv[++i];
            else if (a[3] == 'o')
                to = argv[++i];
            else
                tz = argv[++i];
        } else if (a[0] == '-' && a[1] != 0) {
            return usage("unknown option %s", a);
        } else if (file) {
            return usage("one input only (%s)", a);
        } else {
            file = a;
        }
    }
    if (!from || !to || !file)
        return usage(!file ? "no input file%s" : "--from and --to are needed%s", "");
    if (strcmp(from, "hl7v2") != 0 || strcmp(to, "fhir") != 0)
        return usage("only --from hl7v2 --to fhir is supported (asked %s)", from);
    if (tz && !valid_tz(tz))
        return usage("--tz wants +HH:MM or -HH:MM (got %s)", tz);
    hxe_conv_opts co = {tz, 0};
    hxe_buf in = HXE_BUF_INIT;
    hxe_err err = {0, ""};
    if (hxe_read_file(file, HXE_HL7_MAX_BYTES_DEFAULT, &in, &err) != 0) {
        fprintf(stderr, "hxe convert: %s\n", err.msg);
        hxe_buf_free(&in);
        return HXE_EXIT_USAGE;
    }
    hxe_hl7_reader r;
    hxe_issues batch = HXE_ISSUES_INIT;
    hxe_hl7_reader_init(&r, in.p ? in.p : "", in.len, &batch);
    hxe_slice unit;
    size_t offset, msgno = 0;
    int kind, code = HXE_EXIT_OK;
    while ((kind = hxe_hl7_reader_next(&r, &unit, &offset)) != HXE_HL7_UNIT_END) {
        if (kind != HXE_HL7_UNIT_MESSAGE)
            continue;
        msgno++;
        int rc = convert_one(unit.p, unit.n, msgno, &co, pretty, validate, quiet);
        if (rc != HXE_EXIT_OK)
            code = rc;
    }
    if (msgno == 0) {
        fprintf(stderr, "hxe convert: no HL7 v2 message in the input\n");
        code = HXE_EXIT_INVALID;
    }
    hxe_issues_free(&batch);
    hxe_buf_free(&in);
    fflush(stdout);
    return code;
}

/*
 * cmd_convert.c — `hxe convert --from hl7v2 --to fhir FILE|-` and
 * `hxe convert --from fhir --to hl7v2 [--type T] FILE|-`.
 *
 * v2 -> FHIR reads one or many HL7 v2 messages (a stream, an MLLP log or
 * FHS/BHS batches), converts each supported message to a FHIR transaction
 * Bundle and prints it as JSON: one compact Bundle per line, or pretty
 * with --pretty. FHIR -> v2 reads one resource or Bundle and prints one
 * message (segments ended by \n, or \r with --cr). What a conversion
 * could not carry is printed on stderr, one line per issue, naming places
 * only. Exit 0 when everything converted, 1 when an input could not be
 * read or converted (or, with --validate, when the output has validation
 * errors), 2 on usage errors.
 */
#include "cli/cli.h"
#include "convert/convert.h"
#include "fhir/fhir.h"
#include "hl7v2/hl7v2.h"

#include <string.h>
#include <time.h>

const char hxe_cmd_convert_desc[] = "convert HL7 v2 messages to FHIR R4 Bundles, and FHIR R4 to HL7 v2";

static const char usage_text[] =
    "usage: hxe convert --from hl7v2 --to fhir [--pretty] [--tz +HH:MM] [--validate]\n"
    "                   [--unmapped report|extension|drop] [--critical]\n"
    "                   [--critical-limits FILE] [--quiet] FILE|-\n"
    "       hxe convert --from fhir --to hl7v2 [--type TYPE] [--sending-app HD]\n"
    "                   [--sending-facility HD] [--receiving-app HD]\n"
    "                   [--receiving-facility HD] [--time DTM|now] [--control-id ID]\n"
    "                   [--processing-id P] [--version V] [--cr] [--validate] [--quiet]\n"
    "                   FILE|-\n"
    "\n"
    "hl7v2 -> fhir: converts each message of FILE (ADT A01-A13/A28/A31/A40, ORU R01,\n"
    "ORM O01, OML O21, VXU V04, SIU S12-S15, MDM T02, DFT P03) to a FHIR R4\n"
    "transaction Bundle following the HL7 V2-to-FHIR IG, one JSON Bundle per\n"
    "message on stdout (one per line, or indented with --pretty).\n"
    "  --tz +HH:MM   offset for v2 times without one (else they keep only the date)\n"
    "  --validate    validate each Bundle (R4 + US Core); errors make the exit 1\n"
    "  --unmapped    fields and segments the IG does not map: report them (the\n"
    "                default, notes on stderr), keep them as extensions, or drop\n"
    "                them (one note with the count)\n"
    "  --critical    print a critical-result event (places and identifiers, never\n"
    "                names or values) on stderr for each OBX flagged critical\n"
    "  --critical-limits FILE   also by numeric limits per LOINC code, one a line:\n"
    "                CODE LOW HIGH [UNIT], - for no limit (implies --critical)\n"
    "\n"
    "fhir -> hl7v2: converts FILE (a Bundle of any type, or one resource) to one\n"
    "HL7 v2 message on stdout, segments ended by newlines (--cr: by \\r, as on the\n"
    "wire).\n"
    "  --type TYPE   ORM^O01, OML^O21, ORU^R01, ADT^A28 or ADT^A31; without it a\n"
    "                DiagnosticReport makes ORU^R01, else a ServiceRequest ORM^O01,\n"
    "                else a Patient ADT^A31 (an ambiguous input asks for --type)\n"
    "  --sending-app, --sending-facility, --receiving-app, --receiving-facility\n"
    "                MSH-3..6 as written in v2 (LIS^1.2.3^ISO)\n"
    "  --time        MSH-7 (v2 DTM or FHIR instant, or now); without it\n"
    "                Bundle.timestamp or meta.lastUpdated, else now\n"
    "  --control-id  MSH-10; without it Bundle.identifier or an id, else a hash\n"
    "  --processing-id, --version   MSH-11 (P), MSH-12 (2.5.1)\n"
    "  --validate    validate the message (HL7 v2 definitions); errors make the exit 1\n"
    "\n"
    "Notes about what was not carried go to stderr (--quiet: none).\n"
    "Exit 0 all converted, 1 an input could not be converted, 2 usage.\n";

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

/* Critical-result events of a message on stderr; limits NULL: flags only. */
static void print_criticals(const hxe_hl7_msg *m, const hxe_conv_limits *limits, size_t msgno)
{
    hxe_conv_criticals cs = HXE_CONV_CRITICALS_INIT;
    hxe_err err = {0, ""};
    if (hxe_conv_critical_scan(m, limits, &cs, &err) != 0)
        fprintf(stderr, "message %zu: critical results: %s\n", msgno, err.msg);
    for (size_t i = 0; i < cs.n; i++) {
        hxe_buf t = HXE_BUF_INIT;
        if (hxe_conv_critical_text(&cs.v[i], &t) == 0)
            fprintf(stderr, "message %zu: %.*s\n", msgno, (int)t.len, t.p);
        hxe_buf_free(&t);
    }
    hxe_conv_criticals_free(&cs);
}

static int convert_one(const char *p, size_t n, size_t msgno, const hxe_conv_opts *co, int pretty,
                       int validate, int quiet, const hxe_conv_limits *limits, int critical)
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
    if (critical)
        print_criticals(m, limits, msgno);
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

/* the current time as a v2 DTM in UTC: the clock is read here, never in
 * the map */
static void now_dtm(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y%m%d%H%M%S+0000", &tm);
}

static void print_message(const hxe_buf *b, int cr)
{
    for (size_t i = 0; i < b->len; i++)
        putchar(b->p[i] == '\r' && !cr ? '\n' : b->p[i]);
}

static int fhir_to_v2(const char *file, const char *type, hxe_conv_v2_opts *o, int cr,
                      int validate, int quiet)
{
    hxe_buf in = HXE_BUF_INIT, out = HXE_BUF_INIT;
    hxe_err err = {0, ""};
    hxe_issues is = HXE_ISSUES_INIT;
    json_t *res = NULL;
    char now[32];
    int code = HXE_EXIT_OK;
    if (!(o->time && strcmp(o->time, "now") == 0) && hxe_conv_v2_check(type, o, &err) != 0)
        return usage("%s", err.msg);
    if (hxe_read_file(file, HXE_FHIR_MAX_BYTES_DEFAULT, &in, &err) != 0) {
        fprintf(stderr, "hxe convert: %s\n", err.msg);
        hxe_buf_free(&in);
        return HXE_EXIT_USAGE;
    }
    now_dtm(now, sizeof now);
    if (o->time && strcmp(o->time, "now") == 0)
        o->time = now;
    else
        o->time_default = now;
    if (hxe_conv_v2_check(type, o, &err) != 0) {
        hxe_buf_free(&in);
        return usage("%s", err.msg);
    }
    if (hxe_fhir_read(&res, in.p ? in.p : "", in.len, NULL, &err) != 0 ||
        hxe_conv_fhir_to_v2(res, type, o, &out, &is, &err) != 0) {
        fprintf(stderr, "hxe convert: %s\n", err.msg);
        code = HXE_EXIT_INVALID;
        goto done;
    }
    if (!quiet)
        for (size_t i = 0; i < is.n; i++)
            fprintf(stderr, "%s %s\n", hxe_severity_name(is.v[i].severity), is.v[i].text);
    if (validate) {
        hxe_arena a;
        hxe_hl7_msg *m = NULL;
        hxe_issues vi = HXE_ISSUES_INIT;
        hxe_arena_init(&a, 64 * 1024, 0);
        if (hxe_hl7_parse(&m, &a, out.p, out.len, NULL, &vi, &err) != 0 ||
            hxe_hl7_validate(m, NULL, &vi) != 0 || vi.errors > 0)
            code = HXE_EXIT_INVALID;
        for (size_t i = 0; i < vi.n; i++)
            if (vi.v[i].severity >= HXE_SEV_ERROR || !quiet)
                fprintf(stderr, "hl7v2 %s %s\n", hxe_severity_name(vi.v[i].severity),
                        vi.v[i].text);
        hxe_issues_free(&vi);
        hxe_arena_free(&a);
    }
    print_message(&out, cr);
done:
    json_decref(res);
    hxe_issues_free(&is);
    hxe_buf_free(&in);
    hxe_buf_free(&out);
    fflush(stdout);
    return code;
}

static int v2_to_fhir(const char *file, const hxe_conv_opts *co, int pretty, int validate,
                      int quiet, const char *limits_file, int critical)
{
    hxe_buf in = HXE_BUF_INIT;
    hxe_err err = {0, ""};
    hxe_conv_limits limits = HXE_CONV_LIMITS_INIT;
    if (limits_file) {
        hxe_buf lt = HXE_BUF_INIT;
        int rc = hxe_read_file(limits_file, (size_t)1 << 24, &lt, &err);
        if (rc == 0)
            rc = hxe_conv_limits_parse(&limits, lt.p ? lt.p : "", lt.len, &err);
        hxe_buf_free(&lt);
        if (rc != 0) {
            fprintf(stderr, "hxe convert: %s: %s\n", limits_file, err.msg);
            hxe_conv_limits_free(&limits);
            return HXE_EXIT_USAGE;
        }
    }
    if (hxe_read_file(file, HXE_HL7_MAX_BYTES_DEFAULT, &in, &err) != 0) {
        fprintf(stderr, "hxe convert: %s\n", err.msg);
        hxe_buf_free(&in);
        hxe_conv_limits_free(&limits);
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
        int rc = convert_one(unit.p, unit.n, msgno, co, pretty, validate, quiet,
                             limits_file ? &limits : NULL, critical);
        if (rc != HXE_EXIT_OK)
            code = rc;
    }
    if (msgno == 0) {
        fprintf(stderr, "hxe convert: no HL7 v2 message in the input\n");
        code = HXE_EXIT_INVALID;
    }
    hxe_issues_free(&batch);
    hxe_buf_free(&in);
    hxe_conv_limits_free(&limits);
    fflush(stdout);
    return code;
}

/* options that take a value, and where it goes */
struct valopt {
    const char *name;
    const char **dst;
};

int hxe_cmd_convert(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *file = NULL, *tz = NULL, *type = NULL;
    const char *unmapped = NULL, *limits = NULL;
    int pretty = 0, validate = 0, quiet = 0, cr = 0, critical = 0;
    hxe_conv_v2_opts o;
    memset(&o, 0, sizeof o);
    const struct valopt vals[] = {
        {"--from", &from},
        {"--to", &to},
        {"--tz", &tz},
        {"--unmapped", &unmapped},
        {"--critical-limits", &limits},
        {"--type", &type},
        {"--sending-app", &o.sending_app},
        {"--sending-facility", &o.sending_facility},
        {"--receiving-app", &o.receiving_app},
        {"--receiving-facility", &o.receiving_facility},
        {"--time", &o.time},
        {"--control-id", &o.control_id},
        {"--processing-id", &o.processing_id},
        {"--version", &o.version},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t k;
        for (k = 0; k < sizeof vals / sizeof vals[0]; k++)
            if (strcmp(a, vals[k].name) == 0)
                break;
        if (k < sizeof vals / sizeof vals[0]) {
            if (i + 1 >= argc)
                return usage("%s needs a value", a);
            *vals[k].dst = argv[++i];
        } else if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return HXE_EXIT_OK;
        } else if (strcmp(a, "--pretty") == 0) {
            pretty = 1;
        } else if (strcmp(a, "--validate") == 0) {
            validate = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--cr") == 0) {
            cr = 1;
        } else if (strcmp(a, "--critical") == 0) {
            critical = 1;
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
    int v2fhir = strcmp(from, "hl7v2") == 0 && strcmp(to, "fhir") == 0;
    int fhirv2 = strcmp(from, "fhir") == 0 && strcmp(to, "hl7v2") == 0;
    if (!v2fhir && !fhirv2)
        return usage("--from hl7v2 --to fhir or --from fhir --to hl7v2 (asked from %s)", from);
    if (v2fhir) {
        if (type || cr || o.sending_app || o.sending_facility || o.receiving_app ||
            o.receiving_facility || o.time || o.control_id || o.processing_id || o.version)
            return usage("%s", "--type, --cr and the MSH options are for --from fhir --to hl7v2");
        if (tz && !valid_tz(tz))
            return usage("--tz wants +HH:MM or -HH:MM (got %s)", tz);
        hxe_conv_opts co = {tz, 0};
        if (unmapped && (co.unmapped = hxe_conv_unmapped_parse(unmapped)) < 0)
            return usage("--unmapped wants report, extension or drop (got %s)", unmapped);
        return v2_to_fhir(file, &co, pretty, validate, quiet, limits, critical || limits);
    }
    if (tz || pretty || unmapped || limits || critical)
        return usage("%s", "--tz, --pretty, --unmapped and --critical are for --from hl7v2 --to fhir");
    return fhir_to_v2(file, type, &o, cr, validate, quiet);
}

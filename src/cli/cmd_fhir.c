/*
 * cmd_fhir.c — `hxe fhir validate|get|profiles`.
 *
 * validate reads one FHIR JSON resource (or a Bundle) from a file or
 * standard input, checks it against the R4 base definitions and its
 * profiles, and prints the problems as readable lines or, with --json,
 * as an OperationOutcome. Exit 0 valid, 1 errors, 2 usage.
 */
#include "cli/cli.h"
#include "fhir/fhir.h"

#include <stdlib.h>
#include <string.h>

const char hxe_cmd_fhir_desc[] = "FHIR R4: validate (base + US Core), get, profiles";

static const char usage_text[] =
    "usage: hxe fhir validate [--profile URL]... [--json] [--quiet] [--max-bytes N] FILE|-\n"
    "       hxe fhir get FILE|- PATH...\n"
    "       hxe fhir profiles\n"
    "\n"
    "validate  checks a resource or a Bundle against the FHIR R4 base definitions\n"
    "          (elements, cardinality, types and formats, required bindings,\n"
    "          references) and the profiles its meta.profile declares, plus each\n"
    "          --profile (for a Bundle: its entries of the profile's type).\n"
    "          Prints one line per issue (severity, issue type, FHIRPath\n"
    "          expression, diagnostics) or, with --json, an OperationOutcome.\n"
    "          Exit 0 when there is no error, 1 when there is, 2 on usage errors.\n"
    "get       prints the value at each PATH (Patient.name[0].family), one per\n"
    "          line: strings as they are, other values as JSON.\n"
    "profiles  lists the profile URLs hxe knows.\n";

static int usage(const char *msg, const char *arg)
{
    if (msg) {
        fprintf(stderr, "hxe fhir: ");
        fprintf(stderr, msg, arg);
        fprintf(stderr, "\n");
    }
    fputs(usage_text, stderr);
    return HXE_EXIT_USAGE;
}

static int load(const char *file, size_t max_bytes, json_t **out, int *exit_code)
{
    hxe_buf in = HXE_BUF_INIT;
    hxe_err err = {0, ""};
    hxe_fhir_opts fo = {max_bytes, 0};
    if (hxe_read_file(file, max_bytes ? max_bytes : HXE_FHIR_MAX_BYTES_DEFAULT, &in, &err)) {
        fprintf(stderr, "hxe fhir: %s\n", err.msg);
        hxe_buf_free(&in);
        *exit_code = HXE_EXIT_USAGE;
        return -1;
    }
    int rc = hxe_fhir_read(out, in.p ? in.p : "", in.len, &fo, &err);
    hxe_buf_free(&in);
    if (rc) {
        *exit_code = HXE_EXIT_INVALID;
        return rc;
    }
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    const char *file = NULL;
    const char **profiles = calloc((size_t)argc + 1, sizeof *profiles);
    size_t np = 0, max_bytes = 0;
    int json = 0, quiet = 0, code = HXE_EXIT_OK;
    if (!profiles)
        return HXE_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--help") == 0) {
            free(profiles);
            fputs(usage_text, stdout);
            return HXE_EXIT_OK;
        } else if (strcmp(a, "--profile") == 0 || strcmp(a, "--max-bytes") == 0) {
            if (i + 1 >= argc) {
                free(profiles);
                return usage("%s needs a value", a);
            }
            if (a[2] == 'p') {
                if (!hxe_fhir_profile_known(argv[i + 1])) {
                    free(profiles);
                    return usage("unknown profile %s (see 'hxe fhir profiles')", argv[i + 1]);
                }
                profiles[np++] = argv[++i];
            } else {
                char *end;
                max_bytes = strtoull(argv[++i], &end, 10);
                if (*end || max_bytes == 0) {
                    free(profiles);
                    return usage("bad --max-bytes %s", argv[i]);
                }
            }
        } else if (a[0] == '-' && a[1]) {
            free(profiles);
            return usage("unknown option %s", a);
        } else if (!file) {
            file = a;
        } else {
            free(profiles);
            return usage("more than one FILE (%s)", a);
        }
    }
    if (!file) {
        free(profiles);
        return usage("validate needs a FILE or -", NULL);
    }
    json_t *res = NULL;
    hxe_issues issues = HXE_ISSUES_INIT;
    hxe_err err = {0, ""};
    hxe_buf in = HXE_BUF_INIT;
    hxe_fhir_opts fo = {max_bytes, 0};
    if (hxe_read_file(file, max_bytes ? max_bytes : HXE_FHIR_MAX_BYTES_DEFAULT, &in, &err)) {
        fprintf(stderr, "hxe fhir: %s\n", err.msg);
        hxe_buf_free(&in);
        free(profiles);
        return HXE_EXIT_USAGE;
    }
    if (hxe_fhir_read(&res, in.p ? in.p : "", in.len, &fo, &err)) {
        /* unreadable input is the input's error: report it the same way */
        hxe_issues_add(&issues, HXE_SEV_FATAL, HXE_FHIR_IT_STRUCTURE, NULL, "%s", err.msg);
    } else {
        hxe_fhir_vopts vo = {profiles, np, 0, 0};
        if (hxe_fhir_validate(res, &vo, &issues, &err)) {
            fprintf(stderr, "hxe fhir: %s\n", err.msg);
            code = HXE_EXIT_USAGE;
        }
    }
    hxe_buf_free(&in);
    if (code == HXE_EXIT_OK && issues.errors)
        code = HXE_EXIT_INVALID;
    if (code != HXE_EXIT_USAGE) {
        if (json) {
            json_t *oo = NULL;
            hxe_buf out = HXE_BUF_INIT;
            if (hxe_fhir_outcome(&oo, &issues) == 0 &&
                hxe_fhir_write(oo, HXE_FHIR_WRITE_PRETTY, &out) == 0)
                fwrite(out.p, 1, out.len, stdout);
            json_decref(oo);
            hxe_buf_free(&out);
        } else if (!quiet) {
            size_t warnings = 0;
            for (size_t i = 0; i < issues.n; i++) {
                const hxe_issue *is = &issues.v[i];
                warnings += is->severity == HXE_SEV_WARNING;
                printf("%s %s %s\n", hxe_severity_name(is->severity),
                       hxe_fhir_issue_type_name(is->code), is->text);
            }
            printf("%s: %s (%zu errors, %zu warnings%s)\n", strcmp(file, "-") ? file : "stdin",
                   issues.errors ? "invalid" : "valid", issues.errors, warnings,
                   issues.dropped ? ", some not listed" : "");
        }
    }
    json_decref(res);
    hxe_issues_free(&issues);
    free(profiles);
    return code;
}

static int cmd_get(int argc, char **argv)
{
    if (argc < 3)
        return usage("get needs FILE|- and at least one PATH", NULL);
    json_t *res = NULL;
    int code = HXE_EXIT_OK;
    hxe_err err = {0, ""};
    if (load(argv[1], 0, &res, &code)) {
        if (code == HXE_EXIT_INVALID)
            fprintf(stderr, "hxe fhir: the input is not a FHIR JSON resource\n");
        return code;
    }
    for (int i = 2; i < argc; i++) {
        json_t *v = NULL;
        int rc = hxe_fhir_get(res, argv[i], &v, &err);
        if (rc == HXE_EINVAL) {
            fprintf(stderr, "hxe fhir: %s\n", err.msg);
            code = HXE_EXIT_USAGE;
            break;
        }
        if (rc) {
            printf("\n");
            code = HXE_EXIT_INVALID;
            continue;
        }
        if (json_is_string(v)) {
            printf("%s\n", json_string_value(v));
        } else {
            hxe_buf out = HXE_BUF_INIT;
            if (hxe_fhir_write(v, 0, &out) == 0)
                printf("%s\n", out.p ? out.p : "");
            else
                printf("%s\n", json_is_null(v) ? "null" : (json_is_true(v) ? "true" : "false"));
            hxe_buf_free(&out);
        }
    }
    json_decref(res);
    return code;
}

int hxe_cmd_fhir(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc >= 2) {
            fputs(usage_text, stdout);
            return HXE_EXIT_OK;
        }
        return usage(NULL, NULL);
    }
    if (strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(argv[1], "get") == 0)
        return cmd_get(argc - 1, argv + 1);
    if (strcmp(argv[1], "profiles") == 0) {
        for (size_t i = 0; hxe_fhir_profile_url(i); i++)
            printf("%s\n", hxe_fhir_profile_url(i));
        return HXE_EXIT_OK;
    }
    return usage("unknown verb %s", argv[1]);
}

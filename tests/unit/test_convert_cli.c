/*
 * test_convert_cli.c — `hxe convert --from hl7v2 --to fhir`: one Bundle
 * per message on stdout, notes on stderr, exit codes 0/1/2; and
 * `hxe convert --from fhir --to hl7v2`: one message, the type chosen or
 * given, MSH from the options, segments on lines or ended by \r.
 * Needs $HXE_BIN (set by CMake); skipped without it.
 */
#include "helpers/testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char tmp[64];
static char out[1 << 20];

/* runs `hxe convert ARGS`, keeps stdout in `out`, returns the exit code */
static int run(const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s convert %s 2>/dev/null", getenv("HXE_BIN"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put(const char *name, const char *content, char *path)
{
    snprintf(path, 256, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* runs `hxe convert ARGS` keeping stderr (not stdout) in `out` */
static int run_err(const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s convert %s 2>&1 >/dev/null", getenv("HXE_BIN"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* --unmapped and --critical / --critical-limits */
static void test_cli_unmapped_and_critical(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("HXE_BIN not set: skipped\n");
        skip();
    }
    assert_int_equal(tu_tmpdir(tmp), 0);
    char oru[256], lim[256], badlim[256], args[1024];
    put("oru.hl7",
        "MSH|^~\\&|A|B|C|D|20240101120000+0000||ORU^R01|CR-7|P|2.5.1\r"
        "PID|1||555^^^&1.2.3&ISO^MR||Zzyzx^Quinby||20000101|M\r"
        "PV1|1|O|||||||||||||||||V-9^^^&1.2.3&ISO^VN\r"
        "OBR|1||F1^L^1.2.4^ISO|1-1^Test^LN|||20240101110000+0000||||||||||||||||||F\r"
        "OBX|1|NM|2823-3^Potassium^LN||7.9|mmol/L^^UCUM|3.5-5.1|HH|||F\r"
        "OBX|2|NM|2345-7^Glucose^LN||31|mg/dL^^UCUM|70-99|L|||F\r"
        "ZXY|1|local data\r",
        oru);
    /* unmapped content: reported by default, kept as an extension on request */
    snprintf(args, sizeof args, "--from hl7v2 --to fhir %s", oru);
    assert_int_equal(run(args), 0);
    assert_null(strstr(out, "local data"));
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --unmapped extension --validate %s", oru);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "http://hxe.dev/fhir/StructureDefinition/v2-segment"));
    assert_non_null(strstr(out, "local data"));
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --unmapped keep %s", oru);
    assert_int_equal(run(args), 2);
    /* critical results: the HH flag, then the glucose limit as well */
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --critical %s", oru);
    assert_int_equal(run_err(args), 0);
    assert_non_null(strstr(out, "2823-3"));
    assert_null(strstr(out, "2345-7"));
    assert_null(strstr(out, "Zzyzx"));   /* never a name */
    assert_null(strstr(out, "7.9"));     /* never a value */
    put("lim.txt", "# glucose: a low limit only\n2345-7 40 -\n", lim);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --critical-limits %s %s", lim, oru);
    assert_int_equal(run_err(args), 0);
    assert_non_null(strstr(out, "2823-3"));
    assert_non_null(strstr(out, "2345-7"));
    assert_null(strstr(out, "Zzyzx"));
    put("badlim.txt", "2345-7 high low\n", badlim);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --critical-limits %s %s", badlim, oru);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "--from fhir --to hl7v2 --critical %s", oru);
    assert_int_equal(run(args), 2);
    tu_rmtree(tmp);
}

static void test_cli(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("HXE_BIN not set: skipped\n");
        skip();
    }
    assert_int_equal(tu_tmpdir(tmp), 0);
    char two[256], bad[256], siu[256], args[1024];
    put("two.hl7",
        "MSH|^~\\&|A|B|C|D|20240101120000+0000||ADT^A04|1|P|2.5.1\r"
        "PID|1||1^^^&1.2.3&ISO^MR||Doe^Jo||20000101|M\r"
        "MSH|^~\\&|A|B|C|D|20240101120000+0000||ORU^R01|2|P|2.5.1\r"
        "PID|1||1^^^&1.2.3&ISO^MR||Doe^Jo||20000101|M\r"
        "OBR|1||F1^L^1.2.4^ISO|1-1^Test^LN|||20240101110000+0000||||||||||||||||||F\r"
        "OBX|1|NM|2345-7^Glucose^LN||90|mg/dL^^UCUM|||||F\r",
        two);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --validate %s", two);
    assert_int_equal(run(args), 0);
    assert_int_equal(lines(out), 2);
    assert_non_null(strstr(out, "\"resourceType\":\"Bundle\""));
    assert_non_null(strstr(out, "\"type\":\"transaction\""));
    assert_non_null(strstr(out, "\"valueQuantity\""));
    /* the same input twice: the same bytes */
    char *first = strdup(out);
    assert_non_null(first);
    assert_int_equal(run(args), 0);
    assert_string_equal(out, first);
    free(first);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --pretty - < %s", two);
    assert_int_equal(run(args), 0);
    assert_true(lines(out) > 50);
    /* a message type hxe does not convert, and no message at all: 1 */
    put("siu.hl7", "MSH|^~\\&|A|B|C|D|20240101||RDE^O11|1|P|2.5.1\rPID|1\r", siu);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir %s", siu);
    assert_int_equal(run(args), 1);
    assert_string_equal(out, "");
    put("bad.hl7", "not a message\n", bad);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir %s", bad);
    assert_int_equal(run(args), 1);
    /* usage: 2 */
    assert_int_equal(run("--from hl7v2 --to fhir"), 2);
    assert_int_equal(run("--from x12 --to fhir x"), 2);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --tz 5 %s", two);
    assert_int_equal(run(args), 2);
    assert_int_equal(run("--from hl7v2 --to fhir /nonexistent/file"), 2);
    assert_int_equal(run("--help"), 0);
    tu_rmtree(tmp);
}

static const char report_json[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
    "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"identifier\":[{\"system\":"
    "\"urn:oid:1.2.3\",\"value\":\"MRN1\"}],\"name\":[{\"family\":\"Doe\",\"given\":[\"Jo\"]}],"
    "\"gender\":\"female\",\"birthDate\":\"2000-01-01\"}},"
    "{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"d\",\"status\":\"final\","
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"24323-8\"}]},"
    "\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"2024-03-01T10:30:00-05:00\","
    "\"result\":[{\"reference\":\"Observation/o\"}]}},"
    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\","
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2345-7\"}]},"
    "\"subject\":{\"reference\":\"Patient/p\"},\"valueQuantity\":{\"value\":182,\"unit\":\"mg/dL\","
    "\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg/dL\"},"
    "\"interpretation\":[{\"coding\":[{\"system\":"
    "\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\",\"code\":\"H\"}]}]}},"
    "{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"s\",\"status\":\"active\","
    "\"intent\":\"order\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\"}]},"
    "\"subject\":{\"reference\":\"Patient/p\"}}}]}";

static void test_cli_fhir_to_v2(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("HXE_BIN not set: skipped\n");
        skip();
    }
    assert_int_equal(tu_tmpdir(tmp), 0);
    char rep[256], pat[256], bad[256], args[1024];
    put("report.json", report_json, rep);
    put("patient.json",
        "{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"7\"}],\"name\":[{\"family\":\"Roe\"}]}",
        pat);
    put("bad.json", "{\"resourceType\":", bad);
    /* a report and an order it is not based on: the type must be given */
    snprintf(args, sizeof args, "--from fhir --to hl7v2 %s", rep);
    assert_int_equal(run(args), 1);
    assert_string_equal(out, "");
    snprintf(args, sizeof args,
             "--from fhir --to hl7v2 --type ORU^R01 --validate --sending-app LIS^1.2.3^ISO "
             "--receiving-facility EHR --time 2024-03-01T12:00:00Z --control-id C1 %s",
             rep);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "MSH|^~\\&|LIS^1.2.3^ISO|||EHR|20240301120000+0000||ORU^R01^ORU_R01|C1|P|2.5.1\n"));
    assert_non_null(strstr(out, "\nOBX|1|NM|2345-7^^LN||182|mg/dL^mg/dL^UCUM||H|||F"));
    assert_null(strchr(out, '\r'));
    assert_int_equal(lines(out), 5);   /* MSH PID ORC OBR OBX */
    /* the same input and options: the same message; --cr as on the wire */
    char *first = strdup(out);
    assert_non_null(first);
    assert_int_equal(run(args), 0);
    assert_string_equal(out, first);
    free(first);
    snprintf(args, sizeof args, "--from fhir --to hl7v2 --type OML^O21 --cr --time now - < %s", rep);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "OML^O21^OML_O21"));
    assert_non_null(strstr(out, "\rORC|NW\rOBR|1|"));
    assert_null(strchr(out, '\n'));
    /* a lone Patient: ADT^A31; no time in the input or options: now */
    snprintf(args, sizeof args, "--from fhir --to hl7v2 --validate %s", pat);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "ADT^A31^ADT_A05"));
    assert_null(strstr(out, "MSH|^~\\&|||||||"));
    /* unreadable JSON 1; a type hxe does not write, options of the other
     * direction, a missing file: usage, 2 */
    snprintf(args, sizeof args, "--from fhir --to hl7v2 %s", bad);
    assert_int_equal(run(args), 1);
    snprintf(args, sizeof args, "--from fhir --to hl7v2 --type SIU^S12 %s", rep);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "--from fhir --to hl7v2 --tz +01:00 %s", rep);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --type ORU^R01 %s", rep);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "--from fhir --to hl7v2 --processing-id X %s", rep);
    assert_int_equal(run(args), 2);
    assert_int_equal(run("--from fhir --to hl7v2 /nonexistent/file"), 2);
    assert_int_equal(run("--from fhir --to x12 -"), 2);
    assert_int_equal(run("--help"), 0);
    assert_non_null(strstr(out, "--from fhir --to hl7v2"));
    tu_rmtree(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_cli_fhir_to_v2),
        cmocka_unit_test(test_cli_unmapped_and_critical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

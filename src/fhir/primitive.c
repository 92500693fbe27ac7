/*
 * primitive.c — the formats of the FHIR R4 primitive types in JSON
 * (https://hl7.org/fhir/R4/datatypes.html): the JSON shape each takes
 * (boolean, number, string) and the lexical rules of the string ones,
 * dates and times with their precisions and zones included.
 *
 * The reasons returned name the rule broken, never the value.
 */
#include "fhir/internal.h"

#include <string.h>

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* YYYY, YYYY-MM or YYYY-MM-DD; returns the length read, 0 when bad. */
static size_t date_part(const char *s, size_t n, int need_day)
{
    if (n < 4 || !digits(s, 4))
        return 0;
    int y = num(s, 4);
    if (n == 4 || s[4] != '-')
        return need_day ? 0 : 4;
    if (n < 7 || !digits(s + 5, 2))
        return 0;
    int m = num(s + 5, 2);
    if (m < 1 || m > 12)
        return 0;
    if (n == 7 || s[7] != '-')
        return need_day ? 0 : 7;
    if (n < 10 || !digits(s + 8, 2))
        return 0;
    int d = num(s + 8, 2);
    if (d < 1 || d > days_in(y, m))
        return 0;
    return 10;
}

/* hh:mm:ss(.fff)?; returns the length read, 0 when bad. */
static size_t time_part(const char *s, size_t n)
{
    if (n < 8 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2) || s[5] != ':' ||
        !digits(s + 6, 2))
        return 0;
    if (num(s, 2) > 23 || num(s + 3, 2) > 59 || num(s + 6, 2) > 60)
        return 0;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t j = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j)
            return 0;
    }
    return i;
}

/* Z or +hh:mm / -hh:mm exactly to the end */
static int zone(const char *s, size_t n)
{
    if (n == 1 && s[0] == 'Z')
        return 1;
    if (n != 6 || (s[0] != '+' && s[0] != '-') || !digits(s + 1, 2) || s[3] != ':' ||
        !digits(s + 4, 2))
        return 0;
    return num(s + 1, 2) <= 14 && num(s + 4, 2) <= 59;
}

static const char *datetime(const char *s, size_t n, int instant)
{
    size_t d = date_part(s, n, instant);
    if (!d)
        return instant ? "not a valid instant (YYYY-MM-DDThh:mm:ss with zone)"
                       : "not a valid dateTime (bad date part)";
    if (d == n)
        return instant ? "instant needs time and zone" : NULL;
    if (d != 10 || s[d] != 'T')
        return "not a valid dateTime (time needs a full date and 'T')";
    size_t t = time_part(s + d + 1, n - d - 1);
    if (!t)
        return "not a valid dateTime (time must be hh:mm:ss)";
    if (!zone(s + d + 1 + t, n - d - 1 - t))
        return "not a valid dateTime (a time needs a zone: Z or +hh:mm)";
    return NULL;
}

static int has_space_edges(const char *s, size_t n)
{
    return n && (s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t' || s[n - 1] == '\t');
}

/* s is NUL-terminated at n; strcspn scans by table, faster than a
 * loop of four compares on the long URIs of codings and profiles (a NUL
 * inside the value only restarts the scan) */
static int any_ws(const char *s, size_t n)
{
    size_t i = 0;
    while ((i += strcspn(s + i, " \t\r\n")) < n) {
        if (s[i] != '\0')
            return 1;
        i++;
    }
    return 0;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *uuid_check(const char *s, size_t n)
{
    if (n != 45 || memcmp(s, "urn:uuid:", 9) != 0)
        return "not a valid uuid (urn:uuid:8-4-4-4-12 hex)";
    s += 9;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return "not a valid uuid (urn:uuid:8-4-4-4-12 hex)";
        } else if (!is_hex(s[i])) {
            return "not a valid uuid (urn:uuid:8-4-4-4-12 hex)";
        }
    }
    return NULL;
}

static const char *oid_check(const char *s, size_t n)
{
    if (n < 10 || memcmp(s, "urn:oid:", 8) != 0 || s[8] < '0' || s[8] > '2')
        return "not a valid oid (urn:oid:0-2 then .numbers)";
    size_t i = 9;
    if (i >= n)
        return "not a valid oid (urn:oid:0-2 then .numbers)";
    while (i < n) {
        if (s[i] != '.' || i + 1 >= n || s[i + 1] < '0' || s[i + 1] > '9')
            return "not a valid oid (urn:oid:0-2 then .numbers)";
        i++;
        if (s[i] == '0' && i + 1 < n && s[i + 1] != '.')
            return "not a valid oid (leading zero)";
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return NULL;
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* s is NUL-terminated at n (JSON strings and C strings are) */
static const char *base64_check(const char *s, size_t n)
{
    size_t k = 0, pad = 0, i = 0;
    while (i < n) {
        if (!pad) {
            /* attachments run to megabytes: strspn skips the runs of
             * the alphabet by table, the loop below sees only the rest */
            size_t run = strspn(s + i, b64_alphabet);
            if (run > n - i)
                run = n - i;
            k += run;
            i += run;
            if (i == n)
                break;
        }
        char c = s[i++];
        if (c == ' ' || c == '\r' || c == '\n' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
        } else if (pad || c == '\0' || !strchr(b64_alphabet, c)) {
            return "not valid base64";
        }
        k++;
    }
    if (k % 4 != 0 || pad > 2)
        return "not valid base64 (length)";
    return NULL;
}

static const char *int_check(const char *type, const json_t *v)
{
    if (!json_is_integer(v))
        return "an integer must be a JSON number without a fraction";
    json_int_t x = json_integer_value(v);
    if (x > 2147483647 || x < -2147483647 - 1)
        return "integer out of the 32-bit range";
    if (type[0] == 'p' && x < 1)
        return "positiveInt must be 1 or more";
    if (type[0] == 'u' && x < 0)
        return "unsignedInt must be 0 or more";
    return NULL;
}

const char *hxe__fhir_prim_check(const char *type, const json_t *v)
{
    /* the types that are not JSON strings, told apart by their first
     * letter before any strcmp: this runs for every primitive value */
    switch (type[0]) {
    case 'b':
        if (strcmp(type, "boolean") == 0)
            return json_is_boolean(v) ? NULL : "a boolean must be JSON true or false";
        break;
    case 'd':
        if (strcmp(type, "decimal") == 0)
            return json_is_number(v) ? NULL : "a decimal must be a JSON number";
        break;
    case 'i':
    case 'p':
    case 'u':
        if (strcmp(type, "integer") == 0 || strcmp(type, "positiveInt") == 0 ||
            strcmp(type, "unsignedInt") == 0)
            return int_check(type, v);
        break;
    default:
        break;
    }
    if (!json_is_string(v))
        return "must be a JSON string";
    return hxe__fhir_prim_check_text(type, json_string_value(v), json_string_length(v));
}

const char *hxe__fhir_prim_check_text(const char *type, const char *s, size_t n)
{
    if (n == 0)
        return "empty string (leave the element out instead)";
    switch (type[0]) {
    case 'b':
        if (strcmp(type, "base64Binary") == 0)
            return base64_check(s, n);
        break;
    case 'c':
        if (strcmp(type, "code") == 0) {
            if (has_space_edges(s, n) || strstr(s, "  ") || strchr(s, '\n') || strchr(s, '\t'))
                return "not a valid code (no leading, trailing or double whitespace)";
            return NULL;
        }
        if (strcmp(type, "canonical") == 0)
            return any_ws(s, n) ? "not a valid canonical (whitespace)" : NULL;
        break;
    case 'd':
        if (strcmp(type, "date") == 0)
            return date_part(s, n, 0) == n ? NULL : "not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)";
        if (strcmp(type, "dateTime") == 0)
            return datetime(s, n, 0);
        break;
    case 'i':
        if (strcmp(type, "id") == 0) {
            if (n > 64)
                return "id longer than 64 characters";
            for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.'))
                    return "not a valid id (A-Z a-z 0-9 - . only)";
            }
            return NULL;
        }
        if (strcmp(type, "instant") == 0)
            return datetime(s, n, 1);
        break;
    case 'o':
        if (strcmp(type, "oid") == 0)
            return oid_check(s, n);
        break;
    case 't':
        if (strcmp(type, "time") == 0)
            return time_part(s, n) == n ? NULL : "not a valid time (hh:mm:ss)";
        break;
    case 'u':
        if (strcmp(type, "uri") == 0 || strcmp(type, "url") == 0)
            return any_ws(s, n) ? "not a valid uri (whitespace)" : NULL;
        if (strcmp(type, "uuid") == 0)
            return uuid_check(s, n);
        break;
    case 's':
    case 'm':
        if (strcmp(type, "string") == 0 || strcmp(type, "markdown") == 0) {
            /* all-whitespace strings carry no value */
            size_t i = 0;
            while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
                i++;
            return i == n ? "string of whitespace only" : NULL;
        }
        break;
    case 'x':
        if (strcmp(type, "xhtml") == 0)
            return strncmp(s, "<div", 4) == 0 ? NULL : "narrative must be an xhtml <div>";
        break;
    default:
        break;
    }
    return NULL;
}

/*
 * config_read.c — reading typed values out of the YAML tree: the key
 * path kept for messages, ${ENV} interpolation, integers, booleans,
 * durations, sizes, enums and names, and the unit parsers behind them.
 *
 * The one rule of this file: a value is never copied into an error. A
 * scalar may hold a secret from the environment, so messages say where
 * (file:line:col and the key path) and what was expected, never what was
 * found.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- key path ---- */
size_t hxe__cfg_push(cfg_ctx *c, const char *key)
{
    size_t mark = c->plen;
    int w = snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s", c->plen ? "." : "", key);
    if (w > 0)
        c->plen += (size_t)w < sizeof c->path - c->plen ? (size_t)w : sizeof c->path - c->plen - 1;
    return mark;
}

size_t hxe__cfg_push_index(cfg_ctx *c, size_t i)
{
    size_t mark = c->plen;
    int w = snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
    if (w > 0)
        c->plen += (size_t)w < sizeof c->path - c->plen ? (size_t)w : sizeof c->path - c->plen - 1;
    return mark;
}

void hxe__cfg_pop(cfg_ctx *c, size_t mark)
{
    c->plen = mark;
    c->path[mark] = '\0';
}

int hxe__cfg_fail(cfg_ctx *c, const ynode *at, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return hxe_err_set(c->err, HXE_EPARSE, "%s:%u:%u: %s%s%s", c->name, at ? at->line : 1,
                       at ? at->col : 1, c->path, c->plen ? ": " : "", what);
}

/* ---- maps ---- */
const ynode *hxe__cfg_get(const ynode *n, const char *key)
{
    if (!n || n->type != YN_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < n->nkids; i += 2)
        if (n->kids[i]->type == YN_SCALAR && strcmp(n->kids[i]->s, key) == 0)
            return n->kids[i + 1];
    return NULL;
}

int hxe__cfg_is_null(const ynode *n)
{
    if (!n || n->type != YN_SCALAR || !n->plain)
        return 0;
    return n->n == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
           strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

int hxe__cfg_map(cfg_ctx *c, const ynode *n, const char *const *allowed)
{
    if (!n || n->type != YN_MAP)
        return hxe__cfg_fail(c, n, "expected a mapping (key: value lines)");
    for (size_t i = 0; i + 1 < n->nkids; i += 2) {
        const ynode *k = n->kids[i];
        if (k->type != YN_SCALAR)
            return hxe__cfg_fail(c, k, "keys must be plain words");
        int known = 0;
        for (size_t j = 0; allowed[j]; j++)
            if (strcmp(allowed[j], k->s) == 0)
                known = 1;
        /* key names are the schema's words, not values: safe to echo,
         * but only when short and printable */
        int printable = k->n <= 40;
        for (size_t j = 0; j < k->n && printable; j++)
            printable = isalnum((unsigned char)k->s[j]) || k->s[j] == '_' || k->s[j] == '-';
        if (!known)
            return hxe__cfg_fail(c, k, "unknown key '%s'", printable ? k->s : "?");
        for (size_t j = 0; j < i; j += 2)
            if (strcmp(n->kids[j]->s, k->s) == 0)
                return hxe__cfg_fail(c, k, "key '%s' given twice", k->s);
    }
    return 0;
}

/* ---- ${ENV} interpolation ----
 * ${NAME} is replaced by the variable's value, ${NAME:-default} by the
 * default when the variable is unset or empty, $$ by a single $. Any
 * other $ stays as written (regexes end in $). */
static const char *env_get(cfg_ctx *c, const char *name)
{
    if (c->o && c->o->getenv_fn)
        return c->o->getenv_fn(c->o->getenv_data, name);
    return getenv(name);
}

int hxe__cfg_scalar(cfg_ctx *c, const ynode *n, char **out, size_t *len)
{
    if (!n || n->type != YN_SCALAR)
        return hxe__cfg_fail(c, n, "expected a single value");
    if (!memchr(n->s, '$', n->n)) {
        *out = n->s;
        if (len)
            *len = n->n;
        return 0;
    }
    hxe_buf b;
    hxe_buf_init(&b, c->o && c->o->max_bytes ? c->o->max_bytes : HXE_CONFIG_MAX_BYTES_DEFAULT);
    int rc = 0;
    size_t i = 0;
    while (i < n->n && rc == 0) {
        char ch = n->s[i];
        if (ch == '$' && i + 1 < n->n && n->s[i + 1] == '$') {
            rc = hxe_buf_putc(&b, '$');
            i += 2;
            continue;
        }
        if (ch != '$' || i + 1 >= n->n || n->s[i + 1] != '{') {
            rc = hxe_buf_putc(&b, ch);
            i++;
            continue;
        }
        size_t start = i + 2, j = start;
        while (j < n->n && (isalnum((unsigned char)n->s[j]) || n->s[j] == '_'))
            j++;
        size_t name_end = j;
        const char *def = NULL;
        size_t def_n = 0;
        if (j + 1 < n->n && n->s[j] == ':' && n->s[j + 1] == '-') {
            def = n->s + j + 2;
            const char *close = memchr(def, '}', n->n - (j + 2));
            if (!close) {
                j = n->n;
            } else {
                def_n = (size_t)(close - def);
                j = (size_t)(close - n->s);
            }
        }
        if (j >= n->n || n->s[j] != '}' || name_end == start || isdigit((unsigned char)n->s[start])) {
            hxe_buf_free(&b);
            return hxe__cfg_fail(c, n, "bad ${...}: write ${NAME} or ${NAME:-default}");
        }
        char var[128];
        size_t vn = name_end - start;
        if (vn >= sizeof var) {
            hxe_buf_free(&b);
            return hxe__cfg_fail(c, n, "environment variable name too long");
        }
        memcpy(var, n->s + start, vn);
        var[vn] = '\0';
        const char *v = env_get(c, var);
        if (v && *v)
            rc = hxe_buf_puts(&b, v);
        else if (def)
            rc = hxe_buf_append(&b, def, def_n);
        else if (v)
            rc = 0; /* set but empty, no default: empty */
        else {
            hxe_buf_free(&b);
            return hxe__cfg_fail(c, n, "environment variable %s is not set (and no ${%s:-default})",
                                 var, var);
        }
        i = j + 1;
    }
    if (rc) {
        hxe_buf_free(&b);
        return hxe__cfg_fail(c, n, "value too long after ${...} interpolation");
    }
    *out = hxe_arena_strndup(c->a, b.p ? b.p : "", b.len);
    if (len)
        *len = b.len;
    hxe_buf_free(&b);
    if (!*out)
        return hxe_err_set(c->err, HXE_ENOMEM, "%s: out of memory", c->name);
    return 0;
}

/* Finds key; returns 1 with *v set when present, 0 when absent, <0 on a
 * missing required key. */
static int lookup(cfg_ctx *c, const ynode *map, const char *key, int required, const ynode **v)
{
    *v = hxe__cfg_get(map, key);
    if (*v)
        return 1;
    if (required)
        return hxe__cfg_fail(c, map, "missing required key '%s'", key);
    return 0;
}

#define READ_PROLOGUE(required)                     \
    const ynode *v;                                 \
    int found = lookup(c, map, key, (required), &v); \
    if (found <= 0)                                 \
        return found;                               \
    size_t mark = hxe__cfg_push(c, key);            \
    char *s;                                        \
    size_t sn;                                      \
    int rc = hxe__cfg_scalar(c, v, &s, &sn);        \
    if (rc) {                                       \
        hxe__cfg_pop(c, mark);                      \
        return rc;                                  \
    }

int hxe__cfg_str(cfg_ctx *c, const ynode *map, const char *key, int required, char **out)
{
    READ_PROLOGUE(required)
    if (memchr(s, '\0', sn))
        rc = hxe__cfg_fail(c, v, "NUL byte in value");
    else if (required && sn == 0)
        rc = hxe__cfg_fail(c, v, "must not be empty");
    else
        *out = s;
    hxe__cfg_pop(c, mark);
    return rc;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int hxe__cfg_uint(cfg_ctx *c, const ynode *map, const char *key, int required, uint64_t min,
                  uint64_t max, uint64_t *out)
{
    READ_PROLOGUE(required)
    uint64_t x;
    if (parse_u64(s, sn, &x) || x < min || x > max)
        rc = hxe__cfg_fail(c, v, "expected a whole number from %llu to %llu",
                           (unsigned long long)min, (unsigned long long)max);
    else
        *out = x;
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_u32(cfg_ctx *c, const ynode *map, const char *key, uint32_t min, uint32_t max,
                 uint32_t *out)
{
    uint64_t x = *out;
    int rc = hxe__cfg_uint(c, map, key, 0, min, max, &x);
    if (rc == 0)
        *out = (uint32_t)x;
    return rc;
}

int hxe__cfg_port(cfg_ctx *c, const ynode *map, const char *key, int required, uint16_t *out)
{
    uint64_t x = *out;
    int rc = hxe__cfg_uint(c, map, key, required, 1, 65535, &x);
    if (rc == 0)
        *out = (uint16_t)x;
    return rc;
}

int hxe__cfg_bool(cfg_ctx *c, const ynode *map, const char *key, int *out)
{
    READ_PROLOGUE(0)
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0)
        *out = 0;
    else
        rc = hxe__cfg_fail(c, v, "expected true or false");
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_double(cfg_ctx *c, const ynode *map, const char *key, double min, double max,
                    double *out)
{
    READ_PROLOGUE(0)
    char *end = NULL;
    errno = 0;
    double x = sn && sn < 64 && !isspace((unsigned char)s[0]) ? strtod(s, &end) : NAN;
    if (!end || *end || errno || !isfinite(x) || x < min || x > max)
        rc = hxe__cfg_fail(c, v, "expected a number from %g to %g", min, max);
    else
        *out = x;
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_duration(cfg_ctx *c, const ynode *map, const char *key, uint64_t *out_ms)
{
    READ_PROLOGUE(0)
    int e = hxe_config_parse_duration(s, sn, out_ms);
    if (e == HXE_ERANGE)
        rc = hxe__cfg_fail(c, v, "duration too long");
    else if (e)
        rc = hxe__cfg_fail(c, v, "expected a duration such as 500ms, 30s, 5m, 1h or 7d");
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_size(cfg_ctx *c, const ynode *map, const char *key, uint64_t *out)
{
    READ_PROLOGUE(0)
    int e = hxe_config_parse_size(s, sn, out);
    if (e == HXE_ERANGE)
        rc = hxe__cfg_fail(c, v, "size too large");
    else if (e)
        rc = hxe__cfg_fail(c, v, "expected a size such as 512KiB, 16MiB or 1GiB");
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_enum(cfg_ctx *c, const ynode *map, const char *key, const char *const *names,
                  int *out)
{
    READ_PROLOGUE(0)
    int found_i = -1;
    char list[160] = "";
    size_t ln = 0;
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0)
            found_i = i;
        int w = snprintf(list + ln, sizeof list - ln, "%s%s", i ? ", " : "", names[i]);
        if (w > 0 && (size_t)w < sizeof list - ln)
            ln += (size_t)w;
    }
    if (found_i < 0)
        rc = hxe__cfg_fail(c, v, "expected one of: %s", list);
    else
        *out = found_i;
    hxe__cfg_pop(c, mark);
    return rc;
}

int hxe__cfg_name(cfg_ctx *c, const ynode *map, const char *key, char **out)
{
    char *s = NULL;
    int rc = hxe__cfg_str(c, map, key, 1, &s);
    if (rc)
        return rc;
    size_t n = strlen(s);
    int ok = n >= 1 && n <= 64;
    for (size_t i = 0; i < n && ok; i++)
        ok = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.';
    if (!ok) {
        size_t mark = hxe__cfg_push(c, key);
        rc = hxe__cfg_fail(c, hxe__cfg_get(map, key),
                           "a name is 1 to 64 letters, digits, '_', '-' or '.'");
        hxe__cfg_pop(c, mark);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- units ---- */
int hxe_config_parse_duration(const char *s, size_t n, uint64_t *out_ms)
{
    if (!s || n == 0)
        return HXE_EINVAL;
    if (n == 1 && s[0] == '0') {
        *out_ms = 0;
        return 0;
    }
    uint64_t total = 0;
    size_t i = 0;
    while (i < n) {
        uint64_t v = 0;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > 1000000000000ULL)
                return HXE_ERANGE;
            v = v * 10 + (uint64_t)(s[i] - '0');
            i++;
        }
        if (i == d)
            return HXE_EINVAL;
        uint64_t mult;
        if (i + 1 < n && s[i] == 'm' && s[i + 1] == 's') {
            mult = 1;
            i += 2;
        } else if (i < n && s[i] == 's') {
            mult = 1000;
            i++;
        } else if (i < n && s[i] == 'm') {
            mult = 60000;
            i++;
        } else if (i < n && s[i] == 'h') {
            mult = 3600000;
            i++;
        } else if (i < n && s[i] == 'd') {
            mult = 86400000;
            i++;
        } else {
            return HXE_EINVAL;
        }
        /* a bound far past any sane setting (about 31 years) */
        if (v > (UINT64_MAX / mult))
            return HXE_ERANGE;
        total += v * mult;
        if (total > 1000000000000ULL)
            return HXE_ERANGE;
    }
    *out_ms = total;
    return 0;
}

int hxe_config_parse_size(const char *s, size_t n, uint64_t *out_bytes)
{
    if (!s || n == 0)
        return HXE_EINVAL;
    size_t i = 0;
    uint64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (v > 1000000000000ULL)
            return HXE_ERANGE;
        v = v * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == 0)
        return HXE_EINVAL;
    static const struct {
        const char *u;
        uint64_t m;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"KiB", 1024},
                 {"MiB", 1024 * 1024},
                 {"GiB", 1024ULL * 1024 * 1024},
                 {"KB", 1000},
                 {"MB", 1000000},
                 {"GB", 1000000000}};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        size_t ul = strlen(units[k].u);
        if (n - i == ul && memcmp(s + i, units[k].u, ul) == 0) {
            if (v > ((uint64_t)1 << 50) / units[k].m)
                return HXE_ERANGE;
            *out_bytes = v * units[k].m;
            return 0;
        }
    }
    return HXE_EINVAL;
}

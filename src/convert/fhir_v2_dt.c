/*
 * fhir_v2_dt.c — FHIR data types -> HL7 v2 data types: the IG's data-type
 * maps (dt.c) read backwards. Identifier -> CX / EI, HumanName -> XPN,
 * Address -> XAD, ContactPoint -> XTN, CodeableConcept / Coding -> CWE or
 * CE (code system URI -> HL7 table 0396 name), date/dateTime/instant ->
 * DTM, Practitioner -> XCN, Organization -> XON; and the backwards look-ups
 * in the generated IG tables they use. Each writer puts what v2 can hold
 * and says (as an issue) what it cannot.
 */
#include "convert/internal.h"

#include <string.h>
#include <strings.h>

#define SID "http://hl7.org/fhir/sid/"

/* ---- look-ups in the IG tables, backwards ---- */

const char *hxe_conv_vocab_v2(const char *map, const char *code, const char *system)
{
    size_t lo = 0, hi = hxe_conv_vocab_count;
    if (!map || !code || !*code)
        return NULL;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(hxe_conv_vocab_rows[mid].map, map) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *best = NULL;
    int bq = 0;
    for (size_t i = lo; i < hxe_conv_vocab_count && strcmp(hxe_conv_vocab_rows[i].map, map) == 0;
         i++) {
        const hxe_conv_vocab_row *r = &hxe_conv_vocab_rows[i];
        if (strcmp(r->code, code) != 0 || (system && r->system[0] && strcmp(r->system, system) != 0))
            continue;
        /* several v2 codes for one FHIR code (other <- A, N, O): the one
         * spelled like the FHIR code, then its initial, then v2 order */
        int q = strcasecmp(r->v2, code) == 0                    ? 3
                : strncasecmp(code, r->v2, strlen(r->v2)) == 0 ? 2
                                                                : 1;
        if (q > bq) {
            bq = q;
            best = r->v2;
        }
    }
    return best;
}

const char *hxe_conv_system_name(const char *uri, char *buf, size_t size)
{
    static const char v2cs[] = V2_CS;
    if (!uri || !buf || size < 8)
        return NULL;
    size_t n = strlen(v2cs);
    if (strncmp(uri, v2cs, n) == 0 && strlen(uri + n) == 4 && strspn(uri + n, "0123456789") == 4) {
        snprintf(buf, size, "HL7%s", uri + n);
        return buf;
    }
    /* rows are sorted by name: the first of synonyms (SCT before SNM,
     * I10 before ICD10CM) is the name written */
    for (size_t i = 0; i < hxe_conv_codesys_count; i++)
        if (strcmp(hxe_conv_codesys_rows[i].uri, uri) == 0) {
            snprintf(buf, size, "%s", hxe_conv_codesys_rows[i].name);
            return buf;
        }
    return NULL;
}

/* ---- times ---- */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int hxe_conv_v2_datetime(const char *s, char *out, size_t size)
{
    size_t n, p = 4, o = 4;
    if (!s || !out || size < 32)
        return HXE_EPARSE;
    n = strlen(s);
    if (n < 4 || n > 40 || !digits(s, 4))
        return HXE_EPARSE;
    memcpy(out, s, 4);
    /* -MM, -DD */
    for (int part = 0; part < 2 && p < n && s[p] == '-'; part++) {
        if (p + 3 > n || !digits(s + p + 1, 2))
            return HXE_EPARSE;
        int v = num2(s + p + 1);
        if (v < 1 || v > (part == 0 ? 12 : 31))
            return HXE_EPARSE;
        memcpy(out + o, s + p + 1, 2);
        o += 2;
        p += 3;
    }
    if (p < n && s[p] == 'T') {
        if (o != 8 || p + 6 > n || !digits(s + p + 1, 2) || s[p + 3] != ':' ||
            !digits(s + p + 4, 2) || num2(s + p + 1) > 23 || num2(s + p + 4) > 59)
            return HXE_EPARSE;
        memcpy(out + o, s + p + 1, 2);
        memcpy(out + o + 2, s + p + 4, 2);
        o += 4;
        p += 6;
        if (p < n && s[p] == ':') {
            if (p + 3 > n || !digits(s + p + 1, 2) || num2(s + p + 1) > 59)
                return HXE_EPARSE;
            memcpy(out + o, s + p + 1, 2);
            o += 2;
            p += 3;
            if (p < n && s[p] == '.') {
                size_t f = p + 1, k = f;
                while (k < n && s[k] >= '0' && s[k] <= '9')
                    k++;
                if (k == f)
                    return HXE_EPARSE;
                size_t nf = k - f > 4 ? 4 : k - f;   /* DTM keeps 4 digits */
                out[o++] = '.';
                memcpy(out + o, s + f, nf);
                o += nf;
                p = k;
            }
        }
        if (p < n && s[p] == 'Z') {
            memcpy(out + o, "+0000", 5);
            o += 5;
            p++;
        } else if (p < n && (s[p] == '+' || s[p] == '-')) {
            if (p + 6 != n || !digits(s + p + 1, 2) || s[p + 3] != ':' || !digits(s + p + 4, 2) ||
                num2(s + p + 1) > 14 || num2(s + p + 4) > 59)
                return HXE_EPARSE;
            out[o++] = s[p];
            memcpy(out + o, s + p + 1, 2);
            memcpy(out + o + 2, s + p + 4, 2);
            o += 4;
            p += 6;
        }
    }
    if (p != n)
        return HXE_EPARSE;
    out[o] = 0;
    return 0;
}

int fv_ts(fv *c, fv_at at, const char *fhir, int date_only, const char *where)
{
    char v[40];
    if (!fhir)
        return 0;
    if (hxe_conv_v2_datetime(fhir, v, sizeof v) != 0) {
        fv_issue(c, HXE_SEV_WARNING, at.f, "%s: not a FHIR date/time; %s-%u not written", where,
                 c->seg, at.f);
        return 0;
    }
    if (date_only && strlen(v) > 8)
        v[8] = 0;
    fv_part(c, at, 1, 0, v);
    return 1;
}

/* ---- identifiers ---- */

/* an identifier system as HD parts: namespace, universal id, its type */
static void hd_of(const char *system, const char *assigner, const char **ns, const char **uid,
                  const char **type)
{
    *ns = assigner;
    *uid = *type = NULL;
    if (!system)
        return;
    if (strcmp(system, SID "us-npi") == 0) {
        *ns = "NPI";
    } else if (strcmp(system, SID "us-ssn") == 0) {
        *ns = "SSA";
    } else if (strncmp(system, "urn:oid:", 8) == 0) {
        *uid = system + 8;
        *type = "ISO";
    } else if (strncmp(system, "urn:uuid:", 9) == 0) {
        *uid = system + 9;
        *type = "UUID";
    } else if (strncmp(system, "urn:dns:", 8) == 0) {
        *uid = system + 8;
        *type = "DNS";
    } else {
        *uid = system;
        *type = "URI";
    }
}

static const char *type_code(const json_t *ident)
{
    const json_t *cd = fv_coding_of(json_object_get(ident, "type"), V2_CS "0203");
    return fv_str(cd, "code");
}

const json_t *fv_coding_of(const json_t *cc, const char *system)
{
    size_t i;
    json_t *cd;
    json_array_foreach(json_object_get(cc, "coding"), i, cd) {
        const char *s = fv_str(cd, "system");
        if (s && strcmp(s, system) == 0 && fv_str(cd, "code"))
            return cd;
    }
    return NULL;
}

const json_t *fv_ident_typed(const json_t *res, const char *type)
{
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(res, "identifier"), i, id) {
        const char *t = type_code(id);
        if (t && strcmp(t, type) == 0 && fv_str(id, "value"))
            return id;
    }
    return NULL;
}

int fv_cx(fv *c, fv_at at, const json_t *ident)
{
    const char *v = fv_str(ident, "value"), *ns, *uid, *ty;
    if (!v)
        return 0;
    fv_part(c, at, 1, 0, v);
    hd_of(fv_str(ident, "system"), fv_str(json_object_get(ident, "assigner"), "display"), &ns, &uid,
          &ty);
    fv_part(c, at, 4, 1, ns);
    fv_part(c, at, 4, 2, uid);
    fv_part(c, at, 4, 3, ty);
    fv_part(c, at, 5, 0, type_code(ident));
    json_t *per = json_object_get(ident, "period");
    if (per) {
        fv_ts(c, (fv_at){at.f, at.r, 7}, fv_str(per, "start"), 1, "Identifier.period.start");
        fv_ts(c, (fv_at){at.f, at.r, 8}, fv_str(per, "end"), 1, "Identifier.period.end");
    }
    return 1;
}

int fv_ei(fv *c, fv_at at, const json_t *ident)
{
    const char *v = fv_str(ident, "value"), *ns, *uid, *ty;
    if (!v)
        return 0;
    hd_of(fv_str(ident, "system"), fv_str(json_object_get(ident, "assigner"), "display"), &ns, &uid,
          &ty);
    fv_part(c, at, 1, 0, v);
    fv_part(c, at, 2, 0, ns);
    fv_part(c, at, 3, 0, uid);
    fv_part(c, at, 4, 0, ty);
    return 1;
}

/* ---- names, addresses, telecom ---- */

/* items from index `from` of a string array, joined by spaces */
static void joined(const json_t *a, size_t from, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = from; i < json_array_size(a) && o + 1 < size; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s && *s)
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "", s);
    }
}

int fv_xpn(fv *c, fv_at at, const json_t *name)
{
    const json_t *given = json_object_get(name, "given"), *suf = json_object_get(name, "suffix");
    const json_t *pre = json_object_get(name, "prefix");
    const char *family = fv_str(name, "family");
    char more[256];
    if (!family && json_array_size(given) == 0) {
        if (fv_str(name, "text"))
            fv_issue(c, HXE_SEV_WARNING, at.f,
                     "HumanName.text: a name without parts; %s-%u not written", c->seg, at.f);
        return 0;
    }
    fv_part(c, at, 1, 1, family);
    fv_part(c, at, 2, 0, json_string_value(json_array_get(given, 0)));
    joined(given, 1, more, sizeof more);
    fv_part(c, at, 3, 0, more);
    /* suffixes as the IG reads them back: XPN.4, .6 (degree), .14 */
    fv_part(c, at, 4, 0, json_string_value(json_array_get(suf, 0)));
    fv_part(c, at, 6, 0, json_string_value(json_array_get(suf, 1)));
    fv_part(c, at, 14, 0, json_string_value(json_array_get(suf, 2)));
    joined(pre, 0, more, sizeof more);
    fv_part(c, at, 5, 0, more);
    fv_part(c, at, 7, 0, hxe_conv_vocab_v2("NameType", fv_str(name, "use"), NULL));
    if (json_array_size(suf) > 3)
        fv_issue(c, HXE_SEV_INFO, at.f, "HumanName.suffix: after the third not carried (%s-%u)",
                 c->seg, at.f);
    if (json_object_get(name, "period"))
        fv_issue(c, HXE_SEV_INFO, at.f, "HumanName.period: not carried (%s-%u)", c->seg, at.f);
    return 1;
}

int fv_xad(fv *c, fv_at at, const json_t *a)
{
    const json_t *lines = json_object_get(a, "line");
    char rest[256];
    const char *fields[] = {"city", "state", "postalCode", "country", "district"};
    int any = json_array_size(lines) > 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        any |= fv_str(a, fields[i]) != NULL;
    if (!any)
        return 0;
    fv_part(c, at, 1, 1, json_string_value(json_array_get(lines, 0)));
    joined(lines, 1, rest, sizeof rest);
    fv_part(c, at, 2, 0, rest);
    fv_part(c, at, 3, 0, fv_str(a, "city"));
    fv_part(c, at, 4, 0, fv_str(a, "state"));
    fv_part(c, at, 5, 0, fv_str(a, "postalCode"));
    fv_part(c, at, 6, 0, fv_str(a, "country"));
    const char *t = hxe_conv_vocab_v2("AddressType[Use]", fv_str(a, "use"), NULL);
    if (!t)
        t = hxe_conv_vocab_v2("AddressType[Type]", fv_str(a, "type"), NULL);
    fv_part(c, at, 7, 0, t);
    fv_part(c, at, 9, 0, fv_str(a, "district"));
    return 1;
}

/* digits at *p into out (at most size-1), advancing p; the count */
static size_t take_digits(const char **p, char *out, size_t size)
{
    size_t n = 0;
    while (**p >= '0' && **p <= '9') {
        if (n + 1 >= size)
            return 0;
        out[n++] = *(*p)++;
    }
    out[n] = 0;
    return n;
}

/* the number as v2 -> FHIR writes one from XTN.5-.8, "+1 (217) 5550142
 * ext. 12": back into country, area, local number and extension (NM
 * each); 0 for any other form, which goes to XTN.1 whole */
static int phone_parts(const char *v, char parts[4][16])
{
    const char *p = v;
    int framed = 0;
    memset(parts, 0, 4 * sizeof parts[0]);
    if (*p == '+') {
        p++;
        if (!take_digits(&p, parts[0], sizeof parts[0]) || *p++ != ' ')
            return 0;
        framed = 1;
    }
    if (*p == '(') {
        p++;
        if (!take_digits(&p, parts[1], sizeof parts[1]) || p[0] != ')' || p[1] != ' ')
            return 0;
        p += 2;
        framed = 1;
    }
    if (!framed || !take_digits(&p, parts[2], sizeof parts[2]))
        return 0;
    if (strncmp(p, " ext. ", 6) == 0) {
        p += 6;
        if (!take_digits(&p, parts[3], sizeof parts[3]))
            return 0;
    }
    return *p == 0;
}

int fv_xtn(fv *c, fv_at at, const json_t *cp)
{
    const char *sys = fv_str(cp, "system"), *v = fv_str(cp, "value"), *use = fv_str(cp, "use");
    if (!v)
        return 0;
    if (sys && strcmp(sys, "email") == 0) {
        fv_part(c, at, 2, 0, "NET");
        fv_part(c, at, 3, 0, "Internet");
        fv_part(c, at, 4, 0, v);
        return 1;
    }
    const char *eq = "PH";
    if (sys && strcmp(sys, "fax") == 0)
        eq = "FX";
    else if (sys && strcmp(sys, "pager") == 0)
        eq = "BP";
    else if ((use && strcmp(use, "mobile") == 0) || (sys && strcmp(sys, "sms") == 0))
        eq = "CP";
    else if (sys && strcmp(sys, "phone") != 0) {
        fv_issue(c, HXE_SEV_INFO, at.f, "ContactPoint.system: no v2 equipment type for it; not "
                                        "carried (%s-%u)", c->seg, at.f);
        return 0;
    }
    char parts[4][16];
    if (phone_parts(v, parts)) {
        for (unsigned k = 0; k < 4; k++)
            fv_part(c, at, 5 + k, 0, parts[k]);
    } else {
        fv_part(c, at, 1, 0, v);
    }
    fv_part(c, at, 2, 0, hxe_conv_vocab_v2("TelecommunicationUseCode", use, NULL));
    fv_part(c, at, 3, 0, eq);
    return 1;
}

/* ---- coded values ---- */

int fv_coding(fv *c, fv_at at, unsigned first, const json_t *cd, int ce, const char *where)
{
    static const unsigned version_part[] = {7, 8, 13};
    const char *code = fv_str(cd, "code"), *sys = fv_str(cd, "system");
    char name[48];
    if (!code)
        return 0;
    fv_part(c, at, first, 0, code);
    fv_part(c, at, first + 1, 0, fv_str(cd, "display"));
    const char *nm = sys ? hxe_conv_system_name(sys, name, sizeof name) : NULL;
    if (sys && !nm)
        fv_issue(c, HXE_SEV_INFO, at.f,
                 "%s: code system without an HL7 table 0396 name; the code goes without it (%s-%u)",
                 where, c->seg, at.f);
    fv_part(c, at, first + 2, 0, nm);
    if (!ce && nm && fv_str(cd, "version"))
        fv_part(c, at, version_part[first == 1 ? 0 : first == 4 ? 1 : 2], 0, fv_str(cd, "version"));
    return 1;
}

int fv_cwe(fv *c, fv_at at, const json_t *cc, int ce, const char *where)
{
    static const unsigned first[] = {1, 4, 10};
    const json_t *codings = json_object_get(cc, "coding");
    size_t i, w = 0, max = ce ? 2 : 3, n = json_array_size(codings);
    for (i = 0; i < n && w < max; i++)
        w += (size_t)fv_coding(c, at, first[w], json_array_get(codings, i), ce, where);
    size_t coded = 0;
    for (i = 0; i < n; i++)
        coded += fv_str(json_array_get(codings, i), "code") != NULL;
    if (coded > w)
        fv_issue(c, HXE_SEV_INFO, at.f, "%s: %zu codings, %s-%u carries %zu", where, coded, c->seg,
                 at.f, w);
    const char *text = fv_str(cc, "text");
    if (text && !ce) {
        fv_part(c, at, 9, 0, text);
    } else if (text && w == 0) {
        fv_part(c, at, 2, 0, text);
    } else if (text) {
        const char *d = fv_str(json_array_get(codings, 0), "display");
        if (!d || strcmp(d, text) != 0)
            fv_issue(c, HXE_SEV_INFO, at.f, "%s.text: a CE has no original text; not carried "
                                            "(%s-%u)", where, c->seg, at.f);
    }
    return w > 0 || text;
}

/* ---- actors ---- */

static const json_t *best_name(const json_t *res)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(res, "name"), i, n) {
        const char *u = fv_str(n, "use");
        if (u && strcmp(u, "official") == 0)
            return n;
    }
    return json_array_get(json_object_get(res, "name"), 0);
}

/* the identifier an XCN / XON takes: an NPI first, else the first */
static const json_t *best_id(const json_t *res)
{
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(res, "identifier"), i, id) {
        const char *s = fv_str(id, "system");
        if (s && strcmp(s, SID "us-npi") == 0 && fv_str(id, "value"))
            return id;
    }
    json_array_foreach(json_object_get(res, "identifier"), i, id) if (fv_str(id, "value")) return id;
    return NULL;
}

/* identifier value, assigning authority and type into parts v, hd, ty */
static void id_parts(fv *c, fv_at at, const json_t *id, unsigned v, unsigned hd, unsigned ty)
{
    const char *ns, *uid, *t;
    if (!id)
        return;
    hd_of(fv_str(id, "system"), fv_str(json_object_get(id, "assigner"), "display"), &ns, &uid, &t);
    fv_part(c, at, v, 0, fv_str(id, "value"));
    fv_part(c, at, hd, 1, ns);
    fv_part(c, at, hd, 2, uid);
    fv_part(c, at, hd, 3, t);
    fv_part(c, at, ty, 0, type_code(id));
}

int fv_xcn(fv *c, fv_at at, const json_t *p)
{
    const json_t *id = best_id(p), *n = best_name(p);
    const json_t *given = json_object_get(n, "given");
    char more[256];
    if (!id && !n)
        return 0;
    id_parts(c, at, id, 1, 9, 13);
    fv_part(c, at, 2, 1, fv_str(n, "family"));
    fv_part(c, at, 3, 0, json_string_value(json_array_get(given, 0)));
    joined(given, 1, more, sizeof more);
    fv_part(c, at, 4, 0, more);
    fv_part(c, at, 5, 0, json_string_value(json_array_get(json_object_get(n, "suffix"), 0)));
    fv_part(c, at, 6, 0, json_string_value(json_array_get(json_object_get(n, "prefix"), 0)));
    return 1;
}

int fv_xon(fv *c, fv_at at, const json_t *o)
{
    const json_t *id = best_id(o);
    const char *name = fv_str(o, "name");
    if (!id && !name)
        return 0;
    fv_part(c, at, 1, 0, name);
    id_parts(c, at, id, 10, 6, 7);
    return 1;
}

int fv_actor(fv *c, const json_t *from, const json_t *ref, fv_at xcn, const fv_at *xon,
             const char *where)
{
    if (!ref)
        return 0;
    const json_t *r = fv_resolve(c, from, ref);
    const char *t = fv_str(r, "resourceType");
    if (t && strcmp(t, "PractitionerRole") == 0) {
        const json_t *p = fv_resolve(c, r, json_object_get(r, "practitioner"));
        if (p) {
            r = p;
            t = fv_str(r, "resourceType");
        } else {
            r = NULL;
            t = NULL;
        }
    }
    if (t && strcmp(t, "Practitioner") == 0)
        return fv_xcn(c, xcn, r);
    if (t && strcmp(t, "Organization") == 0 && xon)
        return fv_xon(c, *xon, r) ? 2 : 0;
    const json_t *id = json_object_get(ref, "identifier");
    if (!r && fv_str(id, "value")) {
        /* a logical reference: the identifier is all there is */
        fv_issue(c, HXE_SEV_INFO, xcn.f, "%s: not in the input; only its identifier goes (%s-%u)",
                 where, c->seg, xcn.f);
        id_parts(c, xcn, id, 1, 9, 13);
        return 1;
    }
    fv_issue(c, HXE_SEV_INFO, xcn.f, "%s: %s; not carried (%s-%u)", where,
             r ? "not a Practitioner or Organization v2 can name here" : "not in the input",
             c->seg, xcn.f);
    return 0;
}

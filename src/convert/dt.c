/*
 * dt.c — the IG's data-type maps: CX/EI -> Identifier, HD -> system URI,
 * XPN -> HumanName, XAD -> Address, XTN -> ContactPoint, CWE/CE/CNE ->
 * CodeableConcept, XCN -> Practitioner, XON/HD -> Organization
 * (data/convert/datatypes/ names each component's target; the test
 * test_convert_types checks these against it).
 */
#include "convert/internal.h"

#include <string.h>

/* assigning authorities named by the identifier system everyone means */
static const struct {
    const char *name, *uri;
} known_auth[] = {
    {"NPI", "http://hl7.org/fhir/sid/us-npi"},
    {"SSN", "http://hl7.org/fhir/sid/us-ssn"},
    {"SSA", "http://hl7.org/fhir/sid/us-ssn"},
};

/* HD (namespace, universal id, universal id type) -> system URI, or NULL */
static json_t *hd_system(const hxe_hl7_msg *m, hxe_slice ns, hxe_slice uid, hxe_slice type)
{
    char u[160], t[16], out[200];
    cv_cpy(m, type, t, sizeof t);
    if (!t[0]) {
        char nm[16];
        if (!cv_cpy(m, uid, nm, sizeof nm))
            cv_cpy(m, ns, nm, sizeof nm);
        for (size_t i = 0; i < sizeof known_auth / sizeof known_auth[0]; i++)
            if (strcmp(nm, known_auth[i].name) == 0)
                return json_string(known_auth[i].uri);
    }
    if (!cv_cpy(m, uid, u, sizeof u))
        return NULL;
    if (strcmp(t, "ISO") == 0)
        snprintf(out, sizeof out, "urn:oid:%s", u);
    else if (strcmp(t, "UUID") == 0)
        snprintf(out, sizeof out, "urn:uuid:%s", u);
    else if ((strcmp(t, "URI") == 0 || strcmp(t, "URL") == 0 || !t[0]) && strstr(u, "://"))
        snprintf(out, sizeof out, "%s", u);
    else if (strcmp(t, "DNS") == 0)
        snprintf(out, sizeof out, "urn:dns:%s", u);
    else if (!t[0] && strspn(u, "0123456789.") == strlen(u) && strchr(u, '.'))
        snprintf(out, sizeof out, "urn:oid:%s", u);
    else
        return NULL;
    /* a URI has no whitespace (tab and line breaks included) */
    if (strpbrk(out, " \t\r\n"))
        return NULL;
    return json_string(out);
}

static json_t *id_type(const hxe_hl7_msg *m, hxe_slice code)
{
    char c[32];
    if (!cv_cpy(m, code, c, sizeof c))
        return NULL;
    return cv_cc1(V2_CS "0203", c, NULL);
}

/* value, HD parts (namespace, uid, type), type code -> Identifier */
static json_t *ident(const hxe_hl7_msg *m, hxe_slice value, hxe_slice ns, hxe_slice uid,
                     hxe_slice type, hxe_slice code)
{
    json_t *v = cv_jstr(m, value);
    if (!v)
        return NULL;
    json_t *id = json_object();
    cv_set(id, "type", id_type(m, code));
    json_t *sys = hd_system(m, ns, uid, type);
    cv_set(id, "system", sys);
    json_object_set_new(id, "value", v);
    if (!sys) {
        json_t *nm = cv_jstr(m, ns);
        if (nm)
            json_object_set_new(id, "assigner", json_pack("{s:o}", "display", nm));
    }
    return id;
}

json_t *hxe_conv_identifier(const hxe_hl7_msg *m, hxe_slice cx)
{
    hxe_slice hd = cv_comp(m, cx, 4);
    json_t *id = ident(m, cv_comp(m, cx, 1), cv_sub(m, hd, 1), cv_sub(m, hd, 2),
                       cv_sub(m, hd, 3), cv_comp(m, cx, 5));
    if (!id)
        return NULL;
    json_t *s = cv_jdate(m, cv_comp(m, cx, 7), NULL, 1), *e = cv_jdate(m, cv_comp(m, cx, 8), NULL, 1);
    if (s || e) {
        json_t *p = json_object();
        cv_set(p, "start", s);
        cv_set(p, "end", e);
        json_object_set_new(id, "period", p);
    }
    return id;
}

json_t *hxe_conv_ei(const hxe_hl7_msg *m, hxe_slice ei)
{
    return ident(m, cv_comp(m, ei, 1), cv_comp(m, ei, 2), cv_comp(m, ei, 3),
                 cv_comp(m, ei, 4), HXE_SLICE_EMPTY);
}

static void vocab_code(const hxe_hl7_msg *m, json_t *o, const char *key, const char *map,
                       hxe_slice v)
{
    char c[32];
    const char *fc;
    size_t n = cv_cpy(m, v, c, sizeof c);
    if (n && hxe_conv_vocab(map, c, n, &fc, NULL, NULL) == 0)
        json_object_set_new(o, key, json_string(fc));
}

json_t *hxe_conv_human_name(const hxe_hl7_msg *m, hxe_slice xpn)
{
    json_t *n = json_object();
    cv_set(n, "family", cv_jstr(m, cv_sub(m, cv_comp(m, xpn, 1), 1)));
    cv_push(n, "given", cv_jstr(m, cv_comp(m, xpn, 2)));
    cv_push(n, "given", cv_jstr(m, cv_comp(m, xpn, 3)));
    cv_push(n, "prefix", cv_jstr(m, cv_comp(m, xpn, 5)));
    cv_push(n, "suffix", cv_jstr(m, cv_comp(m, xpn, 4)));
    cv_push(n, "suffix", cv_jstr(m, cv_comp(m, xpn, 6)));
    cv_push(n, "suffix", cv_jstr(m, cv_comp(m, xpn, 14)));
    if (json_object_size(n) == 0) {
        json_decref(n);
        return NULL;
    }
    vocab_code(m, n, "use", "NameType", cv_comp(m, xpn, 7));
    return n;
}

json_t *hxe_conv_address(const hxe_hl7_msg *m, hxe_slice xad)
{
    json_t *a = json_object();
    cv_push(a, "line", cv_jstr(m, cv_sub(m, cv_comp(m, xad, 1), 1)));
    cv_push(a, "line", cv_jstr(m, cv_comp(m, xad, 2)));
    cv_set(a, "city", cv_jstr(m, cv_comp(m, xad, 3)));
    cv_set(a, "district", cv_jstr(m, cv_comp(m, xad, 9)));
    cv_set(a, "state", cv_jstr(m, cv_comp(m, xad, 4)));
    cv_set(a, "postalCode", cv_jstr(m, cv_comp(m, xad, 5)));
    cv_set(a, "country", cv_jstr(m, cv_comp(m, xad, 6)));
    if (json_object_size(a) == 0) {
        json_decref(a);
        return NULL;
    }
    vocab_code(m, a, "use", "AddressType[Use]", cv_comp(m, xad, 7));
    vocab_code(m, a, "type", "AddressType[Type]", cv_comp(m, xad, 7));
    return a;
}

json_t *hxe_conv_contact_point(const hxe_hl7_msg *m, hxe_slice xtn)
{
    char eq[16], use[16], buf[200], cc[8], area[16], local[64], ext[16];
    cv_cpy(m, cv_comp(m, xtn, 3), eq, sizeof eq);
    cv_cpy(m, cv_comp(m, xtn, 2), use, sizeof use);
    json_t *cp = json_object();
    const char *sys = NULL;
    if (strcmp(eq, "Internet") == 0 || strcmp(eq, "X.400") == 0 || use[0] == 'N')
        sys = "email";
    else if (strcmp(eq, "FX") == 0)
        sys = "fax";
    else if (strcmp(eq, "BP") == 0)
        sys = "pager";
    else if (strcmp(eq, "PH") == 0 || strcmp(eq, "CP") == 0 || strcmp(eq, "MD") == 0 ||
             strcmp(eq, "TDD") == 0 || strcmp(eq, "TTY") == 0 || strcmp(eq, "SAT") == 0)
        sys = "phone";
    json_t *v = NULL;
    if (sys && strcmp(sys, "email") == 0) {
        v = cv_jstr(m, cv_comp(m, xtn, 4));
    } else if (cv_cpy(m, cv_comp(m, xtn, 12), buf, sizeof buf)) {
        v = json_string(buf);
    } else if (cv_cpy(m, cv_comp(m, xtn, 7), local, sizeof local)) {
        cv_cpy(m, cv_comp(m, xtn, 5), cc, sizeof cc);
        cv_cpy(m, cv_comp(m, xtn, 6), area, sizeof area);
        cv_cpy(m, cv_comp(m, xtn, 8), ext, sizeof ext);
        snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s%s", cc[0] ? "+" : "", cc, cc[0] ? " " : "",
                 area[0] ? "(" : "", area, area[0] ? ") " : "", local, "");
        if (ext[0])
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " ext. %s", ext);
        v = json_string(buf);
    }
    if (!v)
        v = cv_jstr(m, cv_comp(m, xtn, 1));
    if (!v)
        v = cv_jstr(m, cv_comp(m, xtn, 4));
    if (!v) {
        json_decref(cp);
        return NULL;
    }
    if (!sys && strchr(json_string_value(v), '@'))
        sys = "email";
    if (!sys)
        sys = "phone";
    json_object_set_new(cp, "system", json_string(sys));
    json_object_set_new(cp, "value", v);
    if (strcmp(eq, "CP") == 0)
        json_object_set_new(cp, "use", json_string("mobile"));
    else
        vocab_code(m, cp, "use", "TelecommunicationUseCode", cv_comp(m, xtn, 2));
    return cp;
}

static json_t *coding3(const hxe_hl7_msg *m, hxe_slice code, hxe_slice disp, hxe_slice sysname,
                       hxe_slice version)
{
    char c[256], d[512], s[32], uri[200], v[64];
    size_t nc = cv_cpy(m, code, c, sizeof c), nd = cv_cpy(m, disp, d, sizeof d);
    if (!nc && !nd)
        return NULL;
    size_t ns = cv_cpy(m, sysname, s, sizeof s);
    const char *u = ns ? hxe_conv_system_uri(s, ns, uri, sizeof uri) : NULL;
    if (!nc)
        return NULL;   /* a display without a code goes to text */
    json_t *cd = cv_coding(u, c, nd ? d : NULL);
    if (cv_cpy(m, version, v, sizeof v) && u)
        json_object_set_new(cd, "version", json_string(v));
    return cd;
}

json_t *hxe_conv_codeable(const hxe_hl7_msg *m, hxe_slice cwe)
{
    json_t *cc = json_object();
    cv_push(cc, "coding", coding3(m, cv_comp(m, cwe, 1), cv_comp(m, cwe, 2), cv_comp(m, cwe, 3),
                                  cv_comp(m, cwe, 7)));
    cv_push(cc, "coding", coding3(m, cv_comp(m, cwe, 4), cv_comp(m, cwe, 5), cv_comp(m, cwe, 6),
                                  cv_comp(m, cwe, 8)));
    cv_push(cc, "coding", coding3(m, cv_comp(m, cwe, 10), cv_comp(m, cwe, 11),
                                  cv_comp(m, cwe, 12), cv_comp(m, cwe, 13)));
    json_t *t = cv_jstr(m, cv_comp(m, cwe, 9));
    if (!t && !json_object_get(cc, "coding"))
        t = cv_jstr(m, cv_comp(m, cwe, 2));
    cv_set(cc, "text", t);
    if (json_object_size(cc) == 0) {
        json_decref(cc);
        return NULL;
    }
    return cc;
}

json_t *hxe_conv_practitioner(const hxe_hl7_msg *m, hxe_slice xcn)
{
    if (cv_empty(xcn))   /* the common case (OBX-16 ...): no object to make */
        return NULL;
    json_t *p = cv_obj("resourceType", json_string("Practitioner"));
    hxe_slice hd = cv_comp(m, xcn, 9);
    cv_push(p, "identifier", ident(m, cv_comp(m, xcn, 1), cv_sub(m, hd, 1), cv_sub(m, hd, 2),
                                   cv_sub(m, hd, 3), cv_comp(m, xcn, 13)));
    json_t *n = json_object();
    cv_set(n, "family", cv_jstr(m, cv_sub(m, cv_comp(m, xcn, 2), 1)));
    cv_push(n, "given", cv_jstr(m, cv_comp(m, xcn, 3)));
    cv_push(n, "given", cv_jstr(m, cv_comp(m, xcn, 4)));
    cv_push(n, "prefix", cv_jstr(m, cv_comp(m, xcn, 6)));
    cv_push(n, "suffix", cv_jstr(m, cv_comp(m, xcn, 5)));
    cv_push(n, "suffix", cv_jstr(m, cv_comp(m, xcn, 7)));
    if (json_object_size(n))
        cv_push(p, "name", n);
    else
        json_decref(n);
    if (json_object_size(p) == 1) {
        json_decref(p);
        return NULL;
    }
    return p;
}

json_t *hxe_conv_organization(const hxe_hl7_msg *m, hxe_slice v, int is_hd)
{
    if (cv_empty(v))
        return NULL;
    json_t *o = cv_obj("resourceType", json_string("Organization"));
    json_t *idn;
    if (is_hd) {
        json_t *sys = hd_system(m, HXE_SLICE_EMPTY, cv_comp(m, v, 2), cv_comp(m, v, 3));
        idn = NULL;
        if (sys) {
            idn = json_pack("{s:s,s:o}", "system", "urn:ietf:rfc:3986", "value", sys);
        } else {
            json_t *uid = cv_jstr(m, cv_comp(m, v, 2));
            if (uid)
                idn = json_pack("{s:o}", "value", uid);
        }
        cv_push(o, "identifier", idn);
        cv_set(o, "name", cv_jstr(m, cv_comp(m, v, 1)));
    } else {
        hxe_slice hd = cv_comp(m, v, 6);
        hxe_slice val = cv_comp(m, v, 10);
        if (cv_empty(val))
            val = cv_comp(m, v, 3);
        idn = ident(m, val, cv_sub(m, hd, 1), cv_sub(m, hd, 2), cv_sub(m, hd, 3),
                    cv_comp(m, v, 7));
        cv_push(o, "identifier", idn);
        cv_set(o, "name", cv_jstr(m, cv_comp(m, v, 1)));
    }
    if (json_object_size(o) == 1) {
        json_decref(o);
        return NULL;
    }
    return o;
}

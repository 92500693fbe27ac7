/*
 * conv_testutil.c — helpers the FHIR -> v2 tests share (conv_testutil.h):
 * convert, parse the message back and validate it; read the US Core
 * examples; find resources and compare identifiers and codings.
 */
#include "conv_testutil.h"

#include "fhir/fhir.h"

#include <stdlib.h>
#include <string.h>

const hxe_conv_v2_opts ct_opts = {"HXE", "MERCY", "LIS", "LAB", NULL, "20240301120000+0000",
                                  NULL, NULL, NULL};

size_t ct_prior_ambiguity;

static int prior_error(const hxe_issue *e)
{
    return strstr(e->text, "OBSERVATION_PRIOR") || strstr(e->text, "required segment ORC missing") ||
           strstr(e->text, "required segment OBR missing");
}

/* a required field FHIR lacked is announced by a warning at that field */
size_t ct_unannounced(const hxe_issues *vi, const hxe_issues *conv, int show, int oml_orders)
{
    size_t n = 0;
    for (size_t i = 0; i < vi->n; i++) {
        const hxe_issue *e = &vi->v[i];
        if (e->severity < HXE_SEV_ERROR)
            continue;
        if (oml_orders && prior_error(e)) {
            ct_prior_ambiguity++;
            continue;
        }
        int said = 0;
        for (size_t k = 0; k < conv->n && !said; k++)
            said = conv->v[k].severity == HXE_SEV_WARNING &&
                   strcmp(conv->v[k].loc.seg, e->loc.seg) == 0 &&
                   conv->v[k].loc.field == e->loc.field;
        if (!said) {
            if (show)
                print_message("  validation: %s\n", e->text);
            n++;
        }
    }
    return n;
}

int ct_conv2(ct_v2 *o, const json_t *in, const char *type, const hxe_conv_v2_opts *opts,
             int strict)
{
    tu_init(&o->t);
    hxe_buf_init(&o->b, 0);
    memset(&o->is, 0, sizeof o->is);
    memset(&o->err, 0, sizeof o->err);
    o->verrors = 0;
    o->rc = hxe_conv_fhir_to_v2(in, type, opts ? opts : &ct_opts, &o->b, &o->is, &o->err);
    if (o->rc)
        return o->rc;
    assert_int_equal(tu_parse_n(&o->t, o->b.p, o->b.len), 0);
    hxe_issues vi = HXE_ISSUES_INIT;
    assert_int_equal(hxe_hl7_validate(o->t.m, NULL, &vi), 0);
    o->verrors = vi.errors;
    if (strict > 0) {
        for (size_t i = 0; i < vi.n; i++)
            if (vi.v[i].severity >= HXE_SEV_ERROR)
                print_message("  validation: %s\n", vi.v[i].text);
        assert_int_equal(vi.errors, 0);
    } else {
        assert_int_equal(ct_unannounced(&vi, &o->is, 1, strict < 0), 0);
    }
    hxe_issues_free(&vi);
    return 0;
}

int ct_conv(ct_v2 *o, const json_t *in, const char *type, const hxe_conv_v2_opts *opts)
{
    return ct_conv2(o, in, type, opts, 1);
}

void ct_done(ct_v2 *o)
{
    tu_done(&o->t);
    hxe_buf_free(&o->b);
    hxe_issues_free(&o->is);
}

json_t *ct_json(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        print_message("bad test JSON: %s (line %d)\n", e.text, e.line);
    assert_non_null(j);
    return j;
}

/* an issue whose text contains s */
int ct_said(const hxe_issues *is, const char *s)
{
    for (size_t i = 0; i < is->n; i++)
        if (strstr(is->v[i].text, s))
            return 1;
    return 0;
}

/* ---- the US Core examples ---- */

json_t *ct_usc(const char *name)
{
    char path[1024];
    const char *shared = getenv("HXE_SHARED_DIR");
    snprintf(path, sizeof path, "%s/reference/us-core-6.1.0/examples/%s",
             shared ? shared : "../shared", name);
    size_t len = 0;
    char *buf = tu_read(path, &len);
    if (!buf)
        return NULL;
    json_t *r = NULL;
    hxe_err err = {0, ""};
    if (hxe_fhir_read(&r, buf, len, NULL, &err) != 0)
        r = NULL;
    hxe_free(buf);
    return r;
}

/* a collection Bundle of the examples named, fullUrls as a server gives
 * them; NULL (test skipped) when the examples are absent */
json_t *ct_usc_bundle(const char *const *names)
{
    json_t *b = ct_json("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[]}");
    for (; *names; names++) {
        json_t *r = ct_usc(*names);
        if (!r) {
            json_decref(b);
            print_message("US Core example %s absent: skipped\n", *names);
            skip();
            return NULL;
        }
        char url[256];
        snprintf(url, sizeof url, "http://example.org/fhir/%s/%s",
                 json_string_value(json_object_get(r, "resourceType")),
                 json_string_value(json_object_get(r, "id")));
        json_array_append_new(json_object_get(b, "entry"),
                              json_pack("{s:s,s:o}", "fullUrl", url, "resource", r));
    }
    return b;
}

json_t *ct_res(const json_t *b, const char *type, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(b, "entry"), i, e) {
        json_t *r = json_object_get(e, "resource");
        const char *rid = json_string_value(json_object_get(r, "id"));
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), type) == 0 &&
            (!id || (rid && strcmp(rid, id) == 0)))
            return r;
    }
    return NULL;
}

json_t *ct_res_nth(const json_t *b, const char *type, size_t n)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(b, "entry"), i, e) {
        json_t *r = json_object_get(e, "resource");
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), type) == 0 && n-- == 0)
            return r;
    }
    return NULL;
}

/* the resource a urn:uuid reference names in a transaction Bundle */
json_t *ct_by_url(const json_t *b, const json_t *ref)
{
    const char *u = json_string_value(json_object_get(ref, "reference"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(b, "entry"), i, e) {
        const char *fu = json_string_value(json_object_get(e, "fullUrl"));
        if (u && fu && strcmp(u, fu) == 0)
            return json_object_get(e, "resource");
    }
    return NULL;
}

int ct_has_ident(const json_t *res, const json_t *id)
{
    size_t i;
    json_t *x;
    const char *s = json_string_value(json_object_get(id, "system"));
    const char *v = json_string_value(json_object_get(id, "value"));
    json_array_foreach(json_object_get(res, "identifier"), i, x) {
        const char *xs = json_string_value(json_object_get(x, "system"));
        const char *xv = json_string_value(json_object_get(x, "value"));
        if (xv && v && strcmp(xv, v) == 0 && ((!s && !xs) || (s && xs && strcmp(s, xs) == 0)))
            return 1;
    }
    return 0;
}

/* json_equal, with two absent values equal */
int ct_same(const json_t *a, const json_t *b)
{
    return (!a && !b) || json_equal((json_t *)a, (json_t *)b);
}

int ct_has_coding(const json_t *cc, const json_t *cd)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(cc, "coding"), i, x) if (
        ct_same(json_object_get(x, "system"), json_object_get(cd, "system")) &&
        ct_same(json_object_get(x, "code"), json_object_get(cd, "code"))) return 1;
    return 0;
}

/* v2 -> FHIR of the message just written (the way back) */
json_t *ct_back(ct_v2 *o)
{
    json_t *b = NULL;
    hxe_conv_opts co = {"+00:00", 0};
    assert_int_equal(hxe_conv_v2_to_fhir(o->t.m, &co, &b, NULL, &o->t.err), 0);
    return b;
}


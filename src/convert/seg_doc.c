/*
 * seg_doc.c — the IG's segment maps for documents (MDM T02): TXA ->
 * DocumentReference (TXA[DocumentReference]), the OBX that follow ->
 * its content (OBX[DocumentReference]): an ED is an attachment of its
 * own, the lines of TX/FT/ST/... results are one text/plain attachment
 * (escapes and formatting decoded, so not the IG's text/hl7v2), an RP
 * with a URL is an attachment url. NTE adds a text content (seg_order.c).
 * cv_doc_finish settles the content and the US Core claim at the end.
 */
#include "convert/internal.h"

#include <string.h>

#define DOC_CAT "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"

int cv_txa(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    if (c->doc_res) {
        cv_issue(c, HXE_SEV_WARNING, 0, "TXA[%u]: a second document, not mapped", c->seq);
        return 0;
    }
    json_t *d = json_pack("{s:s}", "resourceType", "DocumentReference");
    cv_set(d, "masterIdentifier", hxe_conv_ei(m, cv_f(c, 12)));
    json_t *fname = cv_jstr(m, cv_f(c, 16));
    if (fname)
        cv_push(d, "identifier", json_pack("{s:o}", "value", fname));
    /* status TXA-19 (AV current, OB superseded, CA entered-in-error; the
     * v2 code also as the IG's alternate-codes extension when not AV) */
    char av[8];
    const char *fc = "current";
    size_t n = cv_cpy(m, cv_comp(m, cv_f(c, 19), 1), av, sizeof av);
    if (n && hxe_conv_vocab("hxe-DocumentAvailabilityStatus", av, n, &fc, NULL, NULL) != 0) {
        fc = "current";
        cv_issue(c, HXE_SEV_INFO, 19, "TXA[%u]-19: not a table 0273 code; status current",
                 c->seq);
    }
    json_object_set_new(d, "status", json_string(fc));
    if (n && strcmp(av, "AV") != 0)
        json_object_set_new(
            d, "_status",
            json_pack("{s:[{s:s,s:o}]}", "extension", "url",
                      "http://hl7.org/fhir/StructureDefinition/alternate-codes",
                      "valueCodeableConcept", cv_cc1(V2_CS "0273", av, NULL)));
    char cs[8];
    n = cv_cpy(m, cv_comp(m, cv_f(c, 17), 1), cs, sizeof cs);
    if (n && hxe_conv_vocab("hxe-DocumentCompletionStatus", cs, n, &fc, NULL, NULL) == 0)
        json_object_set_new(d, "docStatus", json_string(fc));
    json_t *ty = hxe_conv_codeable(m, cv_f(c, 2));
    cv_default_system(ty, V2_CS "0270");
    json_object_set_new(d, "type", ty ? ty : json_pack("{s:s}", "text", "unknown"));
    json_object_set_new(d, "category",
                        json_pack("[o]", cv_cc1(DOC_CAT, "clinical-note", "Clinical Note")));
    json_object_set_new(d, "subject", cv_ref(c->patient));
    cv_set(d, "date", cv_when(c, 6, 2));
    hxe_slice au = cv_f(c, 9);
    for (unsigned r = 1; r <= cv_nrep(m, au); r++) {
        char salt[16];
        snprintf(salt, sizeof salt, "txa9-%u", r);
        cv_push(d, "author", cv_practitioner_ref(c, cv_rep(m, au, r), salt));
    }
    cv_set(d, "authenticator", cv_practitioner_ref(c, cv_rep(m, cv_f(c, 10), 1), "txa10"));
    cv_set(d, "description", cv_jstr(m, cv_f(c, 25)));
    hxe_slice sl = cv_f(c, 18);
    for (unsigned r = 1; r <= cv_nrep(m, sl); r++) {
        json_t *l = cv_vocab_cc(m, "DocumentConfidentialityStatus", cv_rep(m, sl, r));
        cv_default_system(l, V2_CS "0272");
        cv_push(d, "securityLabel", l);
    }
    json_t *ctx = json_object();
    if (c->encounter[0])
        cv_push(ctx, "encounter", cv_ref(c->encounter));
    if (c->sr[0])
        cv_push(ctx, "related", cv_ref(c->sr));
    cv_set(d, "context", ctx);
    cv_mark(c, 1);
    cv_mark(c, 3);   /* content presentation: each OBX-2 says it again */
    char q[512];
    json_t *mi = json_object_get(d, "masterIdentifier");
    int hq = mi && cv_ident_query(mi, q, sizeof q) == 0;
    c->doc_res = cv_add(c, d, "document", hq ? q : NULL, 1, c->doc);
    c->notes_target = c->doc_res;
    snprintf(c->doc_text_type, sizeof c->doc_text_type, "text/plain");
    return 0;
}

int cv_obx_doc(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    char vt[8];
    cv_cpy(m, cv_f(c, 2), vt, sizeof vt);
    cv_mark(c, 1);
    hxe_slice v = cv_f(c, 5);
    c->seg_res = c->doc_res;
    c->notes_target = c->doc_res;
    for (unsigned r = 1; r <= cv_nrep(m, v); r++) {
        hxe_slice one = cv_rep(m, v, r);
        if (strcmp(vt, "ED") == 0) {
            json_t *a = cv_attachment(m, one);
            if (a)
                cv_push(c->doc_res, "content", json_pack("{s:o}", "attachment", a));
            else
                cv_issue(c, HXE_SEV_WARNING, 5, "OBX[%u]-5: ED without data (or not valid base64), not mapped", c->seq);
            continue;
        }
        if (strcmp(vt, "RP") == 0) {
            json_t *u = cv_jstr(m, cv_comp(m, one, 1));
            const char *us = json_string_value(u);
            if (us && strstr(us, "://") && !strpbrk(us, " \t\r\n"))
                cv_push(c->doc_res, "content", json_pack("{s:{s:o}}", "attachment", "url", u));
            else {
                json_decref(u);
                cv_issue(c, HXE_SEV_WARNING, 5, "OBX[%u]-5: RP pointer is not a URL, not mapped",
                         c->seq);
            }
            continue;
        }
        /* text: one line per OBX and repetition, empty lines kept (they
         * lay the document out) */
        hxe_buf b = HXE_BUF_INIT;
        int rc = 0;
        if (!cv_empty(one) && (rc = hxe_hl7_unescape(m, one, &b, NULL)) != 0) {
            hxe_buf_free(&b);
            return rc;
        }
        rc = hxe_buf_append(&c->doc_text, b.p ? b.p : "", b.len);
        if (rc == 0)
            rc = hxe_buf_putc(&c->doc_text, '\n');
        hxe_buf_free(&b);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void cv_doc_finish(cv *c)
{
    json_t *d = c->doc_res;
    if (!d)
        return;
    /* the text, first: what the document says */
    size_t n = c->doc_text.len;
    while (n > 0 && (c->doc_text.p[n - 1] == '\n' || c->doc_text.p[n - 1] == ' '))
        n--;
    json_t *data = n ? cv_base64(c->doc_text.p, n) : NULL;
    if (data) {
        json_t *ct = json_object_get(d, "content");
        if (!ct) {
            ct = json_array();
            json_object_set_new(d, "content", ct);
        }
        json_array_insert_new(ct, 0,
                              json_pack("{s:{s:s,s:o}}", "attachment", "contentType",
                                        c->doc_text_type, "data", data));
    }
    if (!json_object_get(d, "content")) {
        /* content is 1..1 in R4: say that it is not known */
        json_object_set_new(d, "content",
                            json_pack("[{s:{s:[{s:s,s:s}]}}]", "attachment", "extension", "url",
                                      "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                      "valueCode", "unknown"));
        size_t seg = c->seg;
        unsigned seq = c->seq;
        c->seg = (size_t)hxe_hl7_find(c->m, "TXA", 1);
        c->seq = 1;
        cv_issue(c, HXE_SEV_WARNING, 0, "TXA[1]: no OBX with content; the document is empty");
        c->seg = seg;
        c->seq = seq;
    }
    /* US Core: a LOINC document type, and data or a url in every content */
    int us = 0;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(d, "type"), "coding"), i, x) {
        const char *s = json_string_value(json_object_get(x, "system"));
        if (s && strcmp(s, "http://loinc.org") == 0)
            us = 1;
    }
    json_array_foreach(json_object_get(d, "content"), i, x) {
        json_t *a = json_object_get(x, "attachment");
        if (!json_object_get(a, "data") && !json_object_get(a, "url"))
            us = 0;
    }
    if (us)
        cv_profile(d, US_CORE "us-core-documentreference");
}

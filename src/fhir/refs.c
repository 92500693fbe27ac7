/*
 * refs.c — Reference.reference: its form (#id, urn:uuid, urn:oid,
 * Type/id[/_history/v], an absolute URL, or Type?search in a Bundle),
 * and resolution where the answer is in hand: "#id" against the
 * container's contained[], urn:uuid / urn:oid against the enclosing
 * Bundle's fullUrls. Relative references may point at a server, so they
 * are checked for form only unless the Bundle holds them.
 */
#include "fhir/internal.h"

#include <string.h>

static int contained_has(const json_t *container, const char *id)
{
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(container, "contained"), i, x) {
        const char *cid = json_string_value(json_object_get(x, "id"));
        if (cid && strcmp(cid, id) == 0)
            return 1;
    }
    return 0;
}

static int bundle_has(const json_t *bundle, const char *full)
{
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(bundle, "entry"), i, x) {
        const char *u = json_string_value(json_object_get(x, "fullUrl"));
        if (u && strcmp(u, full) == 0)
            return 1;
    }
    return 0;
}

static int id_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.';
}

/* Type/id or Type/id/_history/vid starting at s; 1 when well formed */
static int relative_ok(const char *s, int in_bundle)
{
    const char *slash = strchr(s, '/');
    const char *q = strchr(s, '?');
    if (q && (!slash || q < slash)) {
        /* a conditional reference (Type?search) only means something in a
         * transaction Bundle */
        char type[72];
        size_t tn = (size_t)(q - s);
        if (!in_bundle || tn == 0 || tn >= sizeof type || !q[1])
            return 0;
        memcpy(type, s, tn);
        type[tn] = '\0';
        return hxe_fhir_is_resource_type(type);
    }
    if (!slash)
        return 0;
    char type[72];
    size_t tn = (size_t)(slash - s);
    if (tn == 0 || tn >= sizeof type)
        return 0;
    memcpy(type, s, tn);
    type[tn] = '\0';
    if (!hxe_fhir_is_resource_type(type))
        return 0;
    const char *id = slash + 1;
    size_t n = 0;
    while (id_char(id[n]))
        n++;
    if (n == 0 || n > 64)
        return 0;
    if (id[n] == '\0')
        return 1;
    if (strncmp(id + n, "/_history/", 10) != 0)
        return 0;
    const char *v = id + n + 10;
    size_t m = 0;
    while (id_char(v[m]))
        m++;
    return m > 0 && m <= 64 && v[m] == '\0';
}

void hxe__fhir_check_reference(hxe__fhir_vctx *c, const char *ref, hxe__fhir_expr *at)
{
    if (ref[0] == '#') {
        if (ref[1] == '\0')
            return; /* the container itself */
        if (!c->container || !contained_has(c->container, ref + 1))
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_NOT_FOUND, at,
                            "no contained resource has the id this reference names");
        return;
    }
    for (const char *p = ref; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_INVALID, at, "reference contains whitespace");
            return;
        }
    if (strncmp(ref, "urn:uuid:", 9) == 0 || strncmp(ref, "urn:oid:", 8) == 0) {
        const char *why = hxe__fhir_prim_check_text(ref[4] == 'u' ? "uuid" : "oid", ref, strlen(ref));
        if (why) {
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_INVALID, at, "reference %s", why);
            return;
        }
        if (c->bundle && !bundle_has(c->bundle, ref))
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_NOT_FOUND, at,
                            "no Bundle entry has this fullUrl");
        return;
    }
    const char *colon = strchr(ref, ':');
    const char *slash = strchr(ref, '/');
    const char *q = strchr(ref, '?');
    if (q && colon && q < colon)
        colon = NULL; /* Type?identifier=system|value */
    if (colon && (!slash || colon < slash)) {
        /* an absolute URL: scheme://host/... */
        if (strncmp(colon, "://", 3) != 0 || colon == ref || !colon[3])
            hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_INVALID, at,
                            "malformed reference (absolute URL expected)");
        return;
    }
    if (!relative_ok(ref, c->bundle != NULL))
        hxe__fhir_issue(c, HXE_SEV_ERROR, HXE_FHIR_IT_INVALID, at,
                        "malformed reference (Type/id, #id, urn:uuid: or an absolute URL)");
}

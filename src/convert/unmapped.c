/*
 * unmapped.c — what no map reads: the valued fields of a segment its map
 * left, and whole segments hxe does not map (Z-segments, and standard
 * ones such as EVN or TQ1). Issue 6 asks that they are never dropped
 * silently, and that the choice is the channel's (hxe_conv_opts.unmapped):
 *   report     an issue each, naming the place (PID[1]-40), never the value;
 *   extension  kept in the Bundle, the v2 text as written: a field on the
 *              resource its segment maps to (HXE_CONV_EXT_FIELD), a segment
 *              on the MessageHeader (HXE_CONV_EXT_SEGMENT);
 *   drop       left out, and one note says how many.
 * Extensions keep the Bundle valid: complex extensions of strings and a
 * positiveInt, on DomainResources, which every profile leaves open.
 */
#include "convert/internal.h"

#include <string.h>

static const char *const names[] = {"report", "extension", "drop"};

int hxe_conv_unmapped_parse(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return HXE_EINVAL;
}

const char *hxe_conv_unmapped_name(int mode)
{
    return mode >= 0 && mode < 3 ? names[mode] : NULL;
}

/* the resource the current segment maps to, else the MessageHeader */
static json_t *target(cv *c)
{
    return c->seg_res ? c->seg_res : c->header_res;
}

static int keep_field(cv *c, unsigned f)
{
    json_t *t = target(c);
    json_t *v = t ? cv_jraw(c->m, c->fld[f]) : NULL;
    if (!v)
        return -1;
    char place[24];
    snprintf(place, sizeof place, "%s[%u]-%u", c->m->segs[c->seg].id, c->seq, f);
    cv_push(t, "extension",
            json_pack("{s:s,s:[{s:s,s:s},{s:s,s:o}]}", "url", HXE_CONV_EXT_FIELD, "extension", "url",
                      "place", "valueString", place, "url", "value", "valueString", v));
    return 0;
}

void cv_unmapped(cv *c, const char *segmap)
{
    const char *id = c->m->segs[c->seg].id;
    for (unsigned f = 1; f < c->nfld; f++) {
        if (c->used[f] || (strcmp(id, "MSH") == 0 && f <= 2))
            continue;
        if (cv_empty(c->fld[f]))
            continue;
        if (c->unmapped == HXE_CONV_UNMAPPED_DROP ||
            (c->unmapped == HXE_CONV_UNMAPPED_EXTENSION && keep_field(c, f) == 0)) {
            c->n_fields++;
            continue;
        }
        if (!c->is)
            continue;
        /* "PID[1]-40: valued, ...": joined, not formatted, as a message
         * has dozens of these */
        char fid[16], seq[CV_UINT], fn[CV_UINT];
        const char *fs = cv_utoa(fn, f);
        cv_join(fid, sizeof fid, (const char *[]){id, "-", fs}, 3);
        int ig = segmap ? hxe_conv_ig_maps(segmap, fid) : -1;
        cv_issue_text(c, HXE_SEV_INFO, f,
                      (const char *[]){id, "[", cv_utoa(seq, c->seq), "]-", fs,
                                       ": valued, not mapped by hxe",
                                       ig == 1 ? " (the IG maps it)"
                                               : " (the IG does not map it either)"},
                      7);
    }
}

void cv_unmapped_segment(cv *c, int z, int ig_maps)
{
    const hxe_hl7_seg *s = &c->m->segs[c->seg];
    if (c->unmapped == HXE_CONV_UNMAPPED_DROP) {
        c->n_segs++;
        return;
    }
    if (c->unmapped == HXE_CONV_UNMAPPED_EXTENSION && c->header_res) {
        json_t *v = cv_jraw(c->m, hxe_slice_of(s->p, s->n));
        if (v) {
            cv_push(c->header_res, "extension",
                    json_pack("{s:s,s:[{s:s,s:s},{s:s,s:I},{s:s,s:o}]}", "url",
                              HXE_CONV_EXT_SEGMENT, "extension", "url", "segment", "valueString",
                              s->id, "url", "position", "valuePositiveInt",
                              (json_int_t)(c->seg + 1), "url", "value", "valueString", v));
            c->n_segs++;
            return;
        }
    }
    if (z)
        cv_issue(c, HXE_SEV_WARNING, 0, "%s[%u]: Z-segment, not mapped", s->id, c->seq);
    else
        cv_issue(c, HXE_SEV_WARNING, 0, "%s[%u]: segment not mapped by hxe%s", s->id, c->seq,
                 ig_maps ? " (the IG maps it)" : "");
}

void cv_unmapped_done(cv *c)
{
    if (c->unmapped == HXE_CONV_UNMAPPED_REPORT || (!c->n_fields && !c->n_segs))
        return;
    c->seg = 0;
    c->seq = 1;
    if (c->unmapped == HXE_CONV_UNMAPPED_DROP)
        cv_issue(c, HXE_SEV_INFO, 0,
                 "unmapped content dropped as configured: %u fields, %u segments", c->n_fields,
                 c->n_segs);
    else
        cv_issue(c, HXE_SEV_INFO, 0, "unmapped content kept as extensions: %u fields, %u segments",
                 c->n_fields, c->n_segs);
}

/*
 * internal.h — what the files of hl7v2/ share and nobody else sees.
 */
#ifndef HXE_HL7V2_INTERNAL_H
#define HXE_HL7V2_INTERNAL_H

#include "hl7v2/hl7v2.h"

#include <string.h>

/* Piece index of field f in the segment text split on the field
 * separator: MSH-f is piece f-1 (MSH-1 is the separator itself, not a
 * piece); any other SEG-f is piece f. */
static inline unsigned hl7__piece_of(const hxe_hl7_seg *s, unsigned f)
{
    return (s->id[0] == 'M' && s->id[1] == 'S' && s->id[2] == 'H') ? f - 1 : f;
}

static inline int hl7__is_header(const hxe_hl7_seg *s)
{
    /* MSH, FHS and BHS carry MSH-1/MSH-2 style encoding fields; the ids
     * are NUL-terminated 4-byte arrays, so whole-array compares suffice */
    const char *d = s->id;
    if (d[3] != '\0')
        return 0;
    if (d[0] == 'M')
        return d[1] == 'S' && d[2] == 'H';
    return (d[0] == 'F' || d[0] == 'B') && d[1] == 'H' && d[2] == 'S';
}

/* First byte < 0x20 in [p, end), or end; *high gets bit 7 set when a
 * byte >= 0x80 was passed (SSE2 when available). */
const char *hl7__next_ctl(const char *p, const char *end, unsigned *high);

/* [*b, *e) = the n-th (0-based) piece of [p, end) split on sep.
 * Returns 1 when it exists; when it does not, *b = *e = end. */
static inline int hl7__piece(const char *p, const char *end, char sep, unsigned n,
                             const char **b, const char **e)
{
    for (unsigned i = 0; i < n; i++) {
        const char *q = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
        if (!q) {
            *b = *e = end;
            return 0;
        }
        p = q + 1;
    }
    const char *q = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
    *b = p;
    *e = q ? q : end;
    return 1;
}

/* Raw field range of segment s; MSH-1 and MSH-2 handled. */
int hl7__field_range(const hxe_hl7_seg *s, const hxe_hl7_enc *enc, unsigned f,
                     const char **b, const char **e);

/* Character set from an MSH-18 value; fills name for iconv when needed. */
int hl7__charset_of(hxe_slice v, char *iconv_name, size_t size);
const char *hl7__iconv_name(const hxe_hl7_msg *m);

/* Delimiter sanity: printable, not alphanumeric, not space. */
static inline int hl7__delim_ok(char c)
{
    unsigned char u = (unsigned char)c;
    if (u <= 0x20 || u >= 0x7f)
        return 0;
    if ((u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z'))
        return 0;
    return 1;
}

static inline int hl7__seg_id_ok(const char *p, size_t n, char fs)
{
    if (n < 3)
        return 0;
    if (!(p[0] >= 'A' && p[0] <= 'Z'))
        return 0;
    for (int i = 1; i < 3; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
            return 0;
    return n == 3 || p[3] == fs;
}

/* Makes room for one more segment pointer. */
int hl7__grow_segs(hxe_hl7_msg *m, size_t need);

hxe_loc hl7__loc(const hxe_hl7_msg *m, size_t seg_index);

/* UTF-8 text -> bytes in the message character set (edits). */
int hl7__utf8_to_msg(const hxe_hl7_msg *m, const char *s, size_t n, hxe_buf *out);

#endif

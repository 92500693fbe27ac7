/*
 * stream.c — walking a buffer of many messages: streams, interface logs
 * and FHS/BHS/BTS/FTS batches.
 *
 * A message runs from its MSH to the next line that starts another unit
 * (MSH, FHS, BHS, BTS, FTS) or to MLLP framing bytes (0x0B, 0x1C), so the
 * slice handed out holds the message's own terminators and round-trips
 * byte for byte. Batch trailers are checked against what was counted.
 */
#include "hl7v2/internal.h"

#include <stdlib.h>

void hxe_hl7_reader_init(hxe_hl7_reader *r, const char *buf, size_t len,
                         hxe_issues *batch_issues)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    r->issues = batch_issues;
    if (len >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb &&
        (unsigned char)buf[2] == 0xbf)
        r->pos = 3;
}

static int is_tag(const char *p, const char *end, const char *tag)
{
    if (end - p < 3 || memcmp(p, tag, 3) != 0)
        return 0;
    return end - p == 3 || hl7__delim_ok(p[3]) || p[3] == '\r' || p[3] == '\n';
}

/* Does a new unit start at p (p at the start of a line)? */
static int unit_start(const char *p, const char *end)
{
    if (p >= end)
        return 1;
    if (*p == 0x0b || *p == 0x1c)
        return 1;
    return is_tag(p, end, "MSH") || is_tag(p, end, "FHS") || is_tag(p, end, "BHS") ||
           is_tag(p, end, "BTS") || is_tag(p, end, "FTS");
}

/* End of the line starting at p, and the start of the next line. */
static const char *line_end(const char *p, const char *end, const char **next)
{
    const char *q = p;
    unsigned high = 0;
    while ((q = hl7__next_ctl(q, end, &high)) < end && *q != '\r' && *q != '\n')
        q++;
    const char *n = q;
    if (n < end && *n == '\r')
        n++;
    if (n < end && *n == '\n')
        n++;
    *next = n;
    return q;
}

static void batch_issue(hxe_hl7_reader *r, size_t off, const char *seg, const char *text)
{
    if (!r->issues)
        return;
    hxe_loc l = hxe_loc_none();
    snprintf(l.seg, sizeof l.seg, "%s", seg);
    l.offset = off;
    hxe_issue *it = hxe_issues_add(r->issues, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l,
                                   "%s", text);
    if (it)
        it->reject = 1;
}

/* Value of field 1 of a trailer line as a count; -1 when empty or bad. */
static long trailer_count(const char *p, const char *e, char fs)
{
    const char *b, *fe;
    if (!hl7__piece(p, e, fs, 1, &b, &fe) || b == fe)
        return -1;
    long v = 0;
    for (; b < fe; b++) {
        if (*b < '0' || *b > '9' || v > 100000000)
            return -2;
        v = v * 10 + (*b - '0');
    }
    return v;
}

static void finish(hxe_hl7_reader *r)
{
    if (r->in_batch)
        batch_issue(r, r->len, "BTS", "batch has no BTS trailer");
    if (r->in_file)
        batch_issue(r, r->len, "FTS", "file has no FTS trailer");
    r->in_batch = r->in_file = 0;
}

int hxe_hl7_reader_next(hxe_hl7_reader *r, hxe_slice *out, size_t *offset)
{
    const char *end = r->buf + r->len;
    for (;;) {
        const char *p = r->buf + r->pos;
        while (p < end && (*p == '\r' || *p == '\n' || *p == 0x0b || *p == 0x1c || *p == ' ' ||
                           *p == '\t'))
            p++;
        r->pos = (size_t)(p - r->buf);
        if (p >= end) {
            finish(r);
            *out = HXE_SLICE_EMPTY;
            if (offset)
                *offset = r->len;
            return HXE_HL7_UNIT_END;
        }
        const char *next;
        const char *le = line_end(p, end, &next);
        char fs = (le - p > 3) ? p[3] : '|';
        size_t off = (size_t)(p - r->buf);

        if (is_tag(p, end, "FHS")) {
            if (r->in_file)
                finish(r);
            r->in_file = 1;
            r->files++;
            r->file_batches = 0;
            r->pos = (size_t)(next - r->buf);
            continue;
        }
        if (is_tag(p, end, "BHS")) {
            if (r->in_batch)
                batch_issue(r, off, "BHS", "BHS before the previous batch's BTS");
            r->in_batch = 1;
            r->batches++;
            r->file_batches++;
            r->batch_msgs = 0;
            r->batch_header = hxe_slice_of(p, (size_t)(le - p));
            r->have_batch_enc = hxe_hl7_read_enc(&r->batch_enc, p, (size_t)(le - p), NULL) == 0;
            if (!r->have_batch_enc)
                batch_issue(r, off, "BHS", "BHS-1/BHS-2: bad encoding characters");
            r->pos = (size_t)(next - r->buf);
            continue;
        }
        if (is_tag(p, end, "BTS")) {
            long c = trailer_count(p, le, fs);
            if (!r->in_batch)
                batch_issue(r, off, "BTS", "BTS without a BHS");
            else if (c == -2)
                batch_issue(r, off, "BTS", "BTS-1: batch message count is not a number");
            else if (c >= 0 && (size_t)c != r->batch_msgs) {
                char t[96];
                snprintf(t, sizeof t, "BTS-1: batch message count %ld, but the batch holds %zu",
                         c, r->batch_msgs);
                batch_issue(r, off, "BTS", t);
            }
            r->in_batch = 0;
            r->pos = (size_t)(next - r->buf);
            continue;
        }
        if (is_tag(p, end, "FTS")) {
            long c = trailer_count(p, le, fs);
            if (r->in_batch) {
                batch_issue(r, off, "BTS", "batch has no BTS trailer");
                r->in_batch = 0;
            }
            if (!r->in_file)
                batch_issue(r, off, "FTS", "FTS without an FHS");
            else if (c == -2)
                batch_issue(r, off, "FTS", "FTS-1: file batch count is not a number");
            else if (c >= 0 && (size_t)c != r->file_batches) {
                char t[96];
                snprintf(t, sizeof t, "FTS-1: file batch count %ld, but the file holds %zu", c,
                         r->file_batches);
                batch_issue(r, off, "FTS", t);
            }
            r->in_file = 0;
            r->pos = (size_t)(next - r->buf);
            continue;
        }

        int msg = is_tag(p, end, "MSH");
        /* extend to the next unit start */
        const char *q = next;
        while (!unit_start(q, end))
            line_end(q, end, &q);
        /* stop at framing bytes inside the last line */
        const char *stop = q;
        const char *fb = memchr(p, 0x1c, (size_t)(q - p));
        const char *vt = memchr(p, 0x0b, (size_t)(q - p));
        if (fb && fb < stop)
            stop = fb;
        if (vt && vt < stop)
            stop = vt;
        *out = hxe_slice_of(p, (size_t)(stop - p));
        if (offset)
            *offset = off;
        r->pos = (size_t)(stop - r->buf);
        if (!msg)
            return HXE_HL7_UNIT_JUNK;
        r->messages++;
        if (r->in_batch) {
            r->batch_msgs++;
            hxe_hl7_enc e;
            if (r->have_batch_enc && hxe_hl7_read_enc(&e, p, (size_t)(le - p), NULL) == 0 &&
                memcmp(&e, &r->batch_enc, sizeof e) != 0) {
                char t[96];
                snprintf(t, sizeof t,
                         "message %zu of the batch: MSH-1/MSH-2 differ from the batch header's BHS-1/BHS-2",
                         r->batch_msgs);
                batch_issue(r, off, "MSH", t);
            }
        }
        return HXE_HL7_UNIT_MESSAGE;
    }
}

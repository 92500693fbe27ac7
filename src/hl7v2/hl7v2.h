/*
 * hl7v2.h — the HL7 v2 codec: parse, path access, edit, write, escapes,
 * character sets, streams and batches, validation and acknowledgments.
 *
 * The parse is an index into the caller's buffer: the message keeps
 * pointers into it, so the buffer must outlive the message. Everything the
 * codec allocates comes from the arena passed to hxe_hl7_parse; freeing
 * (or resetting) that arena frees the message.
 *
 * Numbering is the HL7 one and 1-based throughout: MSH-1 is the field
 * separator, MSH-2 the encoding characters, MSH-3 the first field after
 * them. Repetitions, components and subcomponents count from 1.
 *
 * Values come in two forms: raw (the bytes as they stand in the message,
 * escape sequences and the message's character set untouched) and text
 * (escapes decoded, converted to UTF-8). hxe_hl7_get returns raw slices
 * without copying; hxe_hl7_get_text decodes into a buffer.
 */
#ifndef HXE_HL7V2_H
#define HXE_HL7V2_H

#include "base/base.h"

/* HL7 table 0357 (message error condition codes) used in issues and ERR-3 */
enum hxe_hl7_error_code {
    HXE_HL7_ERR_SEGMENT_SEQUENCE = 100,
    HXE_HL7_ERR_REQUIRED_MISSING = 101,
    HXE_HL7_ERR_DATA_TYPE = 102,
    HXE_HL7_ERR_TABLE_VALUE = 103,
    HXE_HL7_ERR_VALUE_TOO_LONG = 104, /* 2.7+; older versions report 102 */
    HXE_HL7_ERR_UNSUPPORTED_TYPE = 200,
    HXE_HL7_ERR_UNSUPPORTED_EVENT = 201,
    HXE_HL7_ERR_UNSUPPORTED_PROCESSING_ID = 202,
    HXE_HL7_ERR_UNSUPPORTED_VERSION = 203,
    HXE_HL7_ERR_INTERNAL = 207
};

/* ---- limits ---- */
typedef struct hxe_hl7_opts {
    size_t max_bytes;      /* one message; default 64 MiB */
    size_t max_segments;   /* default 100,000 */
    size_t max_fields;     /* fields a segment may have; default 10,000 */
} hxe_hl7_opts;

#define HXE_HL7_MAX_BYTES_DEFAULT ((size_t)64 << 20)
#define HXE_HL7_MAX_SEGMENTS_DEFAULT 100000
#define HXE_HL7_MAX_FIELDS_DEFAULT 10000

/* ---- the parsed message ---- */
typedef struct hxe_hl7_enc {
    char fs;   /* field separator (MSH-1) */
    char cs;   /* component separator */
    char rs;   /* repetition separator; 0 when MSH-2 declares none */
    char es;   /* escape character; 0 when none */
    char ss;   /* subcomponent separator; 0 when none */
    char tc;   /* truncation character (2.7+); 0 when none */
} hxe_hl7_enc;

enum hxe_hl7_charset {
    HXE_HL7_CS_DEFAULT = 0,  /* MSH-18 empty: ASCII by the standard; UTF-8 accepted */
    HXE_HL7_CS_ASCII,
    HXE_HL7_CS_LATIN1,       /* 8859/1 */
    HXE_HL7_CS_UTF8,         /* UNICODE UTF-8 */
    HXE_HL7_CS_ICONV         /* other MSH-18 values converted through iconv */
};

typedef struct hxe_hl7_seg {
    const char *p;     /* segment text without its terminator */
    size_t n;
    size_t offset;     /* byte offset in the parsed input; (size_t)-1 when added by an edit */
    char id[4];        /* NUL-terminated segment id; "" when the id is malformed */
    uint8_t bad;       /* 1: malformed segment id (issue reported at parse) */
} hxe_hl7_seg;

typedef struct hxe_hl7_msg {
    /* read-only for callers */
    const char *raw;           /* the bytes parsed (BOM excluded) */
    size_t raw_len;
    hxe_hl7_enc enc;
    hxe_hl7_seg *segs;         /* segment 0 is MSH */
    size_t nseg;
    int charset;               /* enum hxe_hl7_charset */
    char charset_name[24];     /* MSH-18 first repetition as written */
    char version[16];          /* MSH-12.1 as written ("" when empty) */
    int modified;              /* 1 after any edit: hxe_hl7_write rebuilds */
    /* private */
    hxe_arena *arena;
    size_t seg_cap;
    hxe_hl7_opts opts;
} hxe_hl7_msg;

/*
 * Parses one message. Returns 0 when the message can be read (issues may
 * still hold errors and warnings found while reading: malformed segment
 * ids, bad characters in the character set, ...), or HXE_EPARSE when it
 * cannot be read at all (no MSH, bad MSH-1/MSH-2, over a limit); then
 * err says why and a FATAL issue is added. *out is set only on success.
 * Segment terminators may be \r, \n or \r\n, mixed; blank lines are
 * skipped; a UTF-8 byte-order mark before MSH is tolerated.
 */
int hxe_hl7_parse(hxe_hl7_msg **out, hxe_arena *a, const char *buf, size_t len,
                  const hxe_hl7_opts *opts, hxe_issues *issues, hxe_err *err);

/* Reads encoding characters from MSH-1/MSH-2 of a message starting with
 * "MSH" (or a FHS/BHS header). Returns 0, or 1 when MSH-2 repeats a
 * character and was read without the repeat (err says which; parse
 * reports it as a rejecting error), or HXE_EPARSE with err set. */
int hxe_hl7_read_enc(hxe_hl7_enc *out, const char *seg, size_t n, hxe_err *err);

/* ---- streams and batches ----
 * A reader walks a buffer holding many messages: a plain stream of
 * messages, an interface log (MLLP framing bytes 0x0B/0x1C tolerated and
 * skipped), or FHS/BHS ... BTS/FTS batches. Batch problems (a BTS-1 or
 * FTS-1 count that does not match, a missing trailer, headers out of
 * place) are added to the reader's issues. */
enum hxe_hl7_unit {
    HXE_HL7_UNIT_END = 0,
    HXE_HL7_UNIT_MESSAGE = 1,  /* *out is one message, MSH first */
    HXE_HL7_UNIT_JUNK = 2      /* *out holds bytes that belong to no message */
};

typedef struct hxe_hl7_reader {
    const char *buf;
    size_t len;
    size_t pos;
    hxe_issues *issues;        /* batch-level issues (may be NULL) */
    /* read-only batch bookkeeping */
    int in_file, in_batch;
    size_t files, batches, messages;  /* totals seen */
    size_t batch_msgs;                /* messages in the current batch */
    size_t file_batches;              /* batches in the current file */
    hxe_slice batch_header;           /* the current BHS (or FHS) segment */
    hxe_hl7_enc batch_enc;
    int have_batch_enc;
} hxe_hl7_reader;

void hxe_hl7_reader_init(hxe_hl7_reader *r, const char *buf, size_t len,
                         hxe_issues *batch_issues);
/* Returns the kind of unit (END when done); *offset is where it starts. */
int hxe_hl7_reader_next(hxe_hl7_reader *r, hxe_slice *out, size_t *offset);

/* ---- paths: PID-5.1, PID-3[2].1, OBX[3]-5, PID-5.1.2, MSH-9 ---- */
typedef struct hxe_hl7_path {
    char seg[4];
    uint32_t seg_seq;    /* 1-based occurrence of the segment; 0 = first */
    uint16_t field;      /* 0 = the whole segment */
    uint16_t rep;        /* 0 = not given (first repetition for get) */
    uint16_t comp;       /* 0 = the whole repetition */
    uint16_t sub;        /* 0 = the whole component */
} hxe_hl7_path;

/* Accepts SEG[-.]F, SEG[n], F[r], .C, .S; also "PID.5.1" as Mirth users
 * write it. Returns 0 or HXE_EINVAL with err naming the bad character. */
int hxe_hl7_path_parse(hxe_hl7_path *out, const char *s, size_t n, hxe_err *err);
/* Formats a path back ("PID-3[2].1"); returns the length written. */
size_t hxe_hl7_path_format(const hxe_hl7_path *p, char *buf, size_t size);

/* Index of the seq-th (1-based) segment with this id, or -1. */
long hxe_hl7_find(const hxe_hl7_msg *m, const char *seg_id, uint32_t seq);

/* The raw value at the path. 0 when the segment exists (the value may be
 * empty: absent and empty are the same in HL7); HXE_ENOTFOUND when the
 * segment does not; HXE_EINVAL for a path the message cannot have.
 * A field path without [r] gives the whole field, all repetitions. */
int hxe_hl7_get(const hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_slice *out);
/* Same with a path string. */
int hxe_hl7_get_str(const hxe_hl7_msg *m, const char *path, hxe_slice *out);
/* Decoded value (escapes resolved, UTF-8) appended to out. */
int hxe_hl7_get_text(const hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_buf *out);

/* Field f (HL7 numbering) of segment index i, raw; empty when absent. */
hxe_slice hxe_hl7_field(const hxe_hl7_msg *m, size_t i, unsigned f);
/* Number of fields segment i has (MSH counts MSH-1 and MSH-2). */
size_t hxe_hl7_field_count(const hxe_hl7_msg *m, size_t i);
/* How many of the addressed thing there are: segments with that id for a
 * segment path, repetitions for a field path, components for a
 * repetition path, subcomponents for a component path. */
size_t hxe_hl7_count(const hxe_hl7_msg *m, const hxe_hl7_path *p);

/* ---- escapes and character sets ---- */
/* Decodes escape sequences in a raw value and converts it to UTF-8:
 * \F\ \S\ \T\ \R\ \E\ \P\ \Xhh..\ and \.br\ (a newline); other
 * formatting commands (\.sp\ \.in\ \H\ \N\ ...) become newlines or are
 * dropped; an unterminated or unknown escape is kept as written and
 * reported as a warning when issues is not NULL. */
int hxe_hl7_unescape(const hxe_hl7_msg *m, hxe_slice raw, hxe_buf *out,
                     hxe_issues *issues);
/* Encodes UTF-8 text for the given delimiters: separators and the escape
 * character become escape sequences, CR/LF become \X0D\ / \X0A\. */
int hxe_hl7_escape(const hxe_hl7_enc *enc, const char *text, size_t n, hxe_buf *out);
/* Converts raw bytes in the message's character set to UTF-8 (no escape
 * processing). HXE_ECHARSET when the bytes are invalid for the set. */
int hxe_hl7_to_utf8(const hxe_hl7_msg *m, const char *s, size_t n, hxe_buf *out);

/* ---- edits ----
 * Edits rebuild only the touched segment (in the arena); untouched
 * segments keep pointing into the input. Missing fields, repetitions and
 * components are created with separators. MSH-1 and MSH-2 cannot be set. */
enum hxe_hl7_set_flags {
    HXE_HL7_SET_TEXT = 0,  /* the value is UTF-8 text: escape it */
    HXE_HL7_SET_RAW = 1    /* the value is already encoded: separators are structure */
};
int hxe_hl7_set(hxe_hl7_msg *m, const hxe_hl7_path *p, const char *val, size_t n,
                unsigned flags, hxe_err *err);
/* Inserts before the addressed field, repetition, component or
 * subcomponent, shifting the later ones. For a segment path, inserts the
 * raw segment text val before the addressed occurrence (or appends when
 * it does not exist). */
int hxe_hl7_insert(hxe_hl7_msg *m, const hxe_hl7_path *p, const char *val, size_t n,
                   unsigned flags, hxe_err *err);
/* Inserts raw segment text at position index (nseg appends). */
int hxe_hl7_insert_segment(hxe_hl7_msg *m, size_t index, const char *text, size_t n,
                           hxe_err *err);
/* Removes the addressed segment, field, repetition, component or
 * subcomponent, shifting the later ones. MSH and MSH-1/2 cannot go. */
int hxe_hl7_delete(hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_err *err);

/* Writes the message: the original bytes when unmodified (byte for
 * byte), else every segment followed by \r. */
int hxe_hl7_write(const hxe_hl7_msg *m, hxe_buf *out);

/* ---- the tree as JSON ---- */
enum hxe_hl7_json_flags {
    HXE_HL7_JSON_TEXT = 0, /* values decoded to UTF-8 text */
    HXE_HL7_JSON_RAW = 1   /* values as written */
};
int hxe_hl7_to_json(const hxe_hl7_msg *m, unsigned flags, hxe_buf *out);

/* ---- validation ----
 * Checks the message against the HL7 definitions of its version (MSH-12;
 * 2.5.1 when asked, see opts): MSH content and the key tables (0076,
 * 0003, 0103, 0104, 0001), the message structure (segment order, groups,
 * cardinality), required fields, data types (DT, DTM/TS, NM, SI, ID, IS)
 * and lengths. Each problem becomes an issue with its place and its
 * table-0357 code. Returns 0 (the issues carry the verdict) or a negative
 * code on internal failure. */
typedef struct hxe_hl7_validate_opts {
    const char *version;   /* NULL: the message's MSH-12 (nearest known) */
    unsigned flags;        /* reserved, 0 */
} hxe_hl7_validate_opts;

int hxe_hl7_validate(const hxe_hl7_msg *m, const hxe_hl7_validate_opts *opts,
                     hxe_issues *issues);

/* Name of a field from the definitions ("Patient Name" for PID-5), or
 * NULL. version NULL means 2.5.1. */
const char *hxe_hl7_field_name(const char *version, const char *seg, unsigned field);

/* ---- acknowledgments ----
 * The ACK's MSH swaps sender and receiver, keeps version and processing
 * id, and answers with MSA (code, control id) and one ERR per issue
 * (ERR-2 location, ERR-3 0357 code, ERR-4 severity; ERR-1 as well for
 * versions before 2.5).
 *
 * Original mode (MSH-15 and MSH-16 empty): AA, AE (errors in content) or
 * AR (unreadable, MSH problems, unsupported type/event/version/processing
 * id). Enhanced mode: the accept ack (CA/CE/CR) follows MSH-15 and the
 * application ack (AA/AE/AR) follows MSH-16 (AL, NE, ER, SU). */
enum hxe_hl7_ack_kind {
    HXE_HL7_ACK_APPLICATION = 0,  /* AA/AE/AR: original mode, or MSH-16 */
    HXE_HL7_ACK_ACCEPT = 1        /* CA/CE/CR: enhanced mode, MSH-15 */
};

typedef struct hxe_hl7_ack_opts {
    int kind;                  /* enum hxe_hl7_ack_kind */
    const char *control_id;    /* the ACK's MSH-10; NULL: generated */
    const char *timestamp;     /* MSH-7; NULL: now (UTC, YYYYMMDDHHMMSS) */
    const char *text;          /* MSA-3 text; NULL: none */
    int force_code;            /* 0, or one of 'A','E','R' to override */
} hxe_hl7_ack_opts;

/* What the message deserves, whatever the acknowledgment mode: 'A'
 * (accept), 'E' (errors in content) or 'R' (reject: unreadable, MSH
 * problems, unsupported type/event/version/processing id, or an issue
 * flagged reject). m may be NULL for an unreadable message. */
int hxe_hl7_verdict(const hxe_hl7_msg *m, const hxe_issues *issues);

/* The two-letter code the message deserves ("AA".."CR"), or NULL when
 * MSH-15/16 say no acknowledgment of that kind is wanted. m may be NULL
 * (unreadable message: "AR" / "CR"). */
const char *hxe_hl7_ack_code(const hxe_hl7_msg *m, const hxe_issues *issues, int kind);

/* Builds the ACK into out (segments ended by \r). m may be NULL: then
 * raw/raw_len (the unreadable input) is searched for whatever MSH fields
 * can be salvaged, and an AR is built. Returns 0, or 1 when no ACK is
 * wanted (enhanced mode NE/ER/SU conditions), or a negative code. */
int hxe_hl7_ack(const hxe_hl7_msg *m, const char *raw, size_t raw_len,
                const hxe_issues *issues, const hxe_hl7_ack_opts *opts, hxe_buf *out);

#endif

/*
 * x12.h — the ASC X12 5010 codec: delimiters from the ISA, envelopes
 * (ISA/IEA, GS/GE, ST/SE) checked, a reader that hands out one
 * transaction set at a time, schema-driven loop parsing, validation by
 * WEDI SNIP type, writing with any delimiters, JSON both ways, the 999
 * and TA1 we send, and matching the 999, TA1 and 277CA we receive to
 * what we sent.
 *
 * The parse is an index into the caller's buffer: segments point into it,
 * so the buffer must outlive everything built from it. What the codec
 * allocates comes from the arena the caller passes; resetting the arena
 * between transaction sets keeps memory flat however large the input.
 *
 * Numbering is the X12 one, 1-based: NM1-03 is the third element after
 * the segment id (NM103), SV1-01-2 its second component; a segment's
 * position counts from ST = 1 inside its transaction set (the 999's
 * IK302).
 *
 * Problems become hxe_issues. issue.code holds the X12 acknowledgment
 * code of the level the problem is at (see HXE_X12_CODE below): a TA1
 * note code (TA105), a functional-group code (AK905), a transaction-set
 * code (IK502), a segment code (IK304) or an element code (IK403). Issue
 * texts name places (loop, segment position, element), never values.
 */
#ifndef HXE_X12_H
#define HXE_X12_H

#include "base/base.h"

/* ---- acknowledgment codes in issues ----
 * code = level + n for a numeric code, level + 500 + n for "In"
 * (IK304 "I4" = HXE_X12_SEG + 504). hxe_x12_code_str prints them back. */
enum hxe_x12_level {
    HXE_X12_TA1 = 1000,   /* TA105 interchange note code */
    HXE_X12_GRP = 2000,   /* AK905 functional group syntax error code */
    HXE_X12_SEG = 3000,   /* IK304 segment syntax error code */
    HXE_X12_ELE = 4000,   /* IK403 element syntax error code */
    HXE_X12_SET = 5000    /* IK502 transaction set syntax error code */
};
#define HXE_X12_I(n) (500 + (n))

/* The codes hxe reports (names after the X12 code lists). */
enum hxe_x12_code {
    /* TA105 */
    HXE_X12_TA1_CONTROL_MISMATCH = HXE_X12_TA1 + 1,     /* ISA13 != IEA02 */
    HXE_X12_TA1_STANDARD = HXE_X12_TA1 + 2,             /* standard not supported */
    HXE_X12_TA1_VERSION = HXE_X12_TA1 + 3,              /* ISA12 */
    HXE_X12_TA1_TERMINATOR = HXE_X12_TA1 + 4,           /* segment terminator */
    HXE_X12_TA1_SENDER_QUAL = HXE_X12_TA1 + 5,
    HXE_X12_TA1_SENDER_ID = HXE_X12_TA1 + 6,
    HXE_X12_TA1_RECEIVER_QUAL = HXE_X12_TA1 + 7,
    HXE_X12_TA1_RECEIVER_ID = HXE_X12_TA1 + 8,
    HXE_X12_TA1_AUTH_QUAL = HXE_X12_TA1 + 10,
    HXE_X12_TA1_SECURITY_QUAL = HXE_X12_TA1 + 12,
    HXE_X12_TA1_DATE = HXE_X12_TA1 + 14,
    HXE_X12_TA1_TIME = HXE_X12_TA1 + 15,
    HXE_X12_TA1_STANDARDS_ID = HXE_X12_TA1 + 16,        /* ISA11 */
    HXE_X12_TA1_VERSION_ID = HXE_X12_TA1 + 17,          /* ISA12 */
    HXE_X12_TA1_CONTROL = HXE_X12_TA1 + 18,             /* ISA13 syntax */
    HXE_X12_TA1_ACK_REQUESTED = HXE_X12_TA1 + 19,       /* ISA14 */
    HXE_X12_TA1_TEST_INDICATOR = HXE_X12_TA1 + 20,      /* ISA15 */
    HXE_X12_TA1_GROUP_COUNT = HXE_X12_TA1 + 21,         /* IEA01 */
    HXE_X12_TA1_STRUCTURE = HXE_X12_TA1 + 22,           /* invalid control structure */
    HXE_X12_TA1_EOF = HXE_X12_TA1 + 23,                 /* premature end of file */
    HXE_X12_TA1_CONTENT = HXE_X12_TA1 + 24,             /* invalid interchange content */
    HXE_X12_TA1_DUPLICATE = HXE_X12_TA1 + 25,           /* duplicate ISA13 */
    HXE_X12_TA1_ELEMENT_SEP = HXE_X12_TA1 + 26,
    HXE_X12_TA1_COMPONENT_SEP = HXE_X12_TA1 + 27,
    /* AK905 */
    HXE_X12_GRP_NOT_SUPPORTED = HXE_X12_GRP + 1,
    HXE_X12_GRP_VERSION = HXE_X12_GRP + 2,
    HXE_X12_GRP_TRAILER_MISSING = HXE_X12_GRP + 3,
    HXE_X12_GRP_CONTROL_MISMATCH = HXE_X12_GRP + 4,
    HXE_X12_GRP_COUNT = HXE_X12_GRP + 5,
    HXE_X12_GRP_CONTROL_SYNTAX = HXE_X12_GRP + 6,
    /* IK304 */
    HXE_X12_SEG_UNRECOGNIZED = HXE_X12_SEG + 1,
    HXE_X12_SEG_UNEXPECTED = HXE_X12_SEG + 2,
    HXE_X12_SEG_REQUIRED_MISSING = HXE_X12_SEG + 3,
    HXE_X12_SEG_LOOP_OVER_MAX = HXE_X12_SEG + 4,
    HXE_X12_SEG_OVER_MAX = HXE_X12_SEG + 5,
    HXE_X12_SEG_NOT_IN_SET = HXE_X12_SEG + 6,
    HXE_X12_SEG_SEQUENCE = HXE_X12_SEG + 7,
    HXE_X12_SEG_ELEMENT_ERRORS = HXE_X12_SEG + 8,
    HXE_X12_SEG_NOT_USED = HXE_X12_SEG + HXE_X12_I(4),
    HXE_X12_SEG_DEPENDENT_MISSING = HXE_X12_SEG + HXE_X12_I(6),
    HXE_X12_SEG_LOOP_UNDER_MIN = HXE_X12_SEG + HXE_X12_I(7),
    HXE_X12_SEG_UNDER_MIN = HXE_X12_SEG + HXE_X12_I(8),
    HXE_X12_SEG_DEPENDENT_NOT_USED = HXE_X12_SEG + HXE_X12_I(9),
    /* IK403 */
    HXE_X12_ELE_REQUIRED_MISSING = HXE_X12_ELE + 1,
    HXE_X12_ELE_CONDITIONAL_MISSING = HXE_X12_ELE + 2,
    HXE_X12_ELE_TOO_MANY = HXE_X12_ELE + 3,
    HXE_X12_ELE_TOO_SHORT = HXE_X12_ELE + 4,
    HXE_X12_ELE_TOO_LONG = HXE_X12_ELE + 5,
    HXE_X12_ELE_BAD_CHAR = HXE_X12_ELE + 6,
    HXE_X12_ELE_BAD_CODE = HXE_X12_ELE + 7,
    HXE_X12_ELE_BAD_DATE = HXE_X12_ELE + 8,
    HXE_X12_ELE_BAD_TIME = HXE_X12_ELE + 9,
    HXE_X12_ELE_EXCLUSION = HXE_X12_ELE + 10,
    HXE_X12_ELE_TOO_MANY_REPS = HXE_X12_ELE + 12,
    HXE_X12_ELE_TOO_MANY_COMPS = HXE_X12_ELE + 13,
    HXE_X12_ELE_CODE_NOT_USED = HXE_X12_ELE + HXE_X12_I(6),
    HXE_X12_ELE_DEPENDENT_MISSING = HXE_X12_ELE + HXE_X12_I(9),
    HXE_X12_ELE_NOT_USED = HXE_X12_ELE + HXE_X12_I(10),
    HXE_X12_ELE_PATTERN = HXE_X12_ELE + HXE_X12_I(12),
    HXE_X12_ELE_DEPENDENT_NOT_USED = HXE_X12_ELE + HXE_X12_I(13),
    /* IK502 */
    HXE_X12_SET_NOT_SUPPORTED = HXE_X12_SET + 1,
    HXE_X12_SET_TRAILER_MISSING = HXE_X12_SET + 2,
    HXE_X12_SET_CONTROL_MISMATCH = HXE_X12_SET + 3,
    HXE_X12_SET_COUNT = HXE_X12_SET + 4,
    HXE_X12_SET_SEGMENTS_IN_ERROR = HXE_X12_SET + 5,
    HXE_X12_SET_ID = HXE_X12_SET + 6,
    HXE_X12_SET_CONTROL = HXE_X12_SET + 7,
    HXE_X12_SET_NOT_IN_GROUP = HXE_X12_SET + 18,
    HXE_X12_SET_GUIDE = HXE_X12_SET + 19,
    HXE_X12_SET_CONTROL_DUPLICATE = HXE_X12_SET + 23,
    HXE_X12_SET_GUIDE_NOT_SUPPORTED = HXE_X12_SET + HXE_X12_I(6)
};

/* The level of a code (enum hxe_x12_level), 0 when it is none. */
int hxe_x12_code_level(int code);
/* The code as the acknowledgment writes it ("5", "I4", "024" for TA105);
 * returns buf. */
const char *hxe_x12_code_str(int code, char *buf, size_t size);

/* ---- limits ---- */
typedef struct hxe_x12_opts {
    size_t max_segment;     /* bytes in one segment; default 1 MiB */
    size_t max_set_segs;    /* segments in one transaction set; default 10,000,000 */
    unsigned max_elements;  /* elements a segment may have; default 1,000 */
    size_t max_loop_depth;  /* nesting of loops; default 32 */
} hxe_x12_opts;

#define HXE_X12_MAX_SEGMENT_DEFAULT ((size_t)1 << 20)
#define HXE_X12_MAX_SET_SEGS_DEFAULT 10000000
#define HXE_X12_MAX_ELEMENTS_DEFAULT 1000

/* ---- delimiters ---- */
typedef struct hxe_x12_delims {
    char es;   /* element separator: ISA byte 4 */
    char rs;   /* repetition separator: ISA11 (5010); 0 when none */
    char cs;   /* component separator: ISA16 */
    char st;   /* segment terminator: the byte after ISA16 */
} hxe_x12_delims;

/* Reads the delimiters of an ISA segment at p (n bytes available).
 * Returns 0, or HXE_EPARSE with err set when p holds no readable ISA. */
int hxe_x12_read_delims(hxe_x12_delims *out, const char *p, size_t n, hxe_err *err);

/* ---- segments ---- */
typedef struct hxe_x12_seg {
    const char *p;      /* segment text, id first, without its terminator */
    uint32_t n;
    uint32_t tail;      /* bytes after the text up to the next segment:
                           terminator plus CR/LF (round trip) */
    uint32_t loop;      /* index of the loop instance it belongs to (loop
                           parse), 0 = the set's header */
    size_t offset;      /* byte offset in the input; (size_t)-1 when built */
    char id[4];         /* segment id, NUL-terminated; "" when malformed */
} hxe_x12_seg;

/* Element e (1-based) of segment s, raw; empty when absent. e = 0 gives
 * the id. */
hxe_slice hxe_x12_element(const hxe_x12_seg *s, const hxe_x12_delims *d, unsigned e);
/* Number of elements after the id (trailing empty ones included). */
unsigned hxe_x12_element_count(const hxe_x12_seg *s, const hxe_x12_delims *d);
/* Component c (1-based) of repetition r (1-based; 0 = the first) of
 * element e; c = 0 gives the whole repetition. Empty when absent. */
hxe_slice hxe_x12_component(const hxe_x12_seg *s, const hxe_x12_delims *d, unsigned e,
                            unsigned r, unsigned c);

/* ---- envelopes ---- */
typedef struct hxe_x12_interchange {
    hxe_x12_delims d;
    const char *isa;           /* the ISA segment text (106 bytes when well formed) */
    size_t isa_len;
    size_t offset;             /* of the ISA in the input */
    char control[10];          /* ISA13 */
    char version[6];           /* ISA12 */
    char date[7], time[5];     /* ISA09, ISA10 */
    char sender_qual[3], sender[16];      /* ISA05, ISA06 (blanks kept) */
    char receiver_qual[3], receiver[16];  /* ISA07, ISA08 */
    char ack_requested;        /* ISA14 '0'/'1' */
    char usage;                /* ISA15 'P'/'T' */
    size_t groups;             /* GS seen so far */
    int bad;                   /* 1: the ISA itself is in error (TA1 R) */
} hxe_x12_interchange;

typedef struct hxe_x12_group {
    size_t offset;             /* of the GS */
    char functional_id[3];     /* GS01 */
    char sender[16], receiver[16];  /* GS02, GS03 */
    char date[9], time[9];     /* GS04, GS05 */
    char control[10];          /* GS06 */
    char version[13];          /* GS08 */
    size_t sets;               /* ST seen so far */
    size_t sets_accepted;      /* bookkeeping for the caller (999 AK9) */
} hxe_x12_group;

/* ---- a transaction set ---- */
typedef struct hxe_x12_loop hxe_x12_loop;

typedef struct hxe_x12_set {
    /* read-only for callers */
    hxe_x12_delims d;
    hxe_x12_interchange isa;   /* the envelope at the time the set was read */
    hxe_x12_group gs;          /* empty (functional_id "") outside a group */
    hxe_x12_seg *segs;         /* ST .. SE; a TA1 unit holds only the TA1 */
    size_t nseg;
    char id[4];                /* ST01 ("837"), or "TA1" */
    char control[10];          /* ST02 */
    char guide[36];            /* ST03, or GS08 when ST03 is empty */
    size_t index;              /* 1-based number of this set in its group */
    int has_trailer;           /* 1 when SE ended it */
    /* loop tree (hxe_x12_parse_loops); loops[0] is the whole set */
    hxe_x12_loop *loops;
    size_t nloops;
    const void *schema;        /* private: the schema matched */
    uint32_t *seg_node;        /* private: per segment, its schema node + 1
                                  (0 none; top bit: matched by id only) */
} hxe_x12_set;

/* ---- the reader: a buffer of interchanges, one set at a time ----
 * Envelope problems (ISA, IEA, GS, GE, ST/SE counts and control numbers)
 * are added to the reader's issues for interchange and group levels and
 * to the set's own issues for ST/SE. The reader holds only the envelope
 * state; each set's segments live in the arena passed to next(), so a
 * caller that resets the arena after each set reads any input in
 * constant memory (beyond the input buffer itself, which may be an mmap). */
typedef struct hxe_x12_reader {
    const char *buf;
    size_t len, pos;
    hxe_x12_opts opts;
    hxe_issues *issues;          /* interchange- and group-level issues */
    /* read-only bookkeeping */
    int in_isa, in_gs;
    hxe_x12_interchange isa;
    hxe_x12_group gs;
    size_t interchanges, groups, sets, junk;  /* totals seen */
    uint32_t last_ta1_count;
    /* private */
    char seen_isa[8][10];        /* recent ISA13s, for duplicates */
    unsigned nseen;
    /* every segment read, envelopes and junk included, in file order
     * (hxe_x12_parse uses it to write the file back) */
    int (*sink)(void *data, const hxe_x12_seg *s, const hxe_x12_delims *d);
    void *sink_data;
    int sink_failed;
} hxe_x12_reader;

enum hxe_x12_unit {
    HXE_X12_UNIT_END = 0,
    HXE_X12_UNIT_SET = 1,     /* a transaction set ST .. SE */
    HXE_X12_UNIT_TA1 = 2      /* an interchange acknowledgment segment */
};

void hxe_x12_reader_init(hxe_x12_reader *r, const char *buf, size_t len,
                         const hxe_x12_opts *opts, hxe_issues *env_issues);
/* Reads the next unit into *out (allocated in a). set_issues (may be
 * NULL) gets the set's own envelope issues (SE count, control numbers).
 * Returns the unit kind (END when done), or HXE_ENOMEM / HXE_ETOOBIG. */
int hxe_x12_reader_next(hxe_x12_reader *r, hxe_arena *a, hxe_x12_set **out,
                        hxe_issues *set_issues, hxe_err *err);

/* ---- a whole file ---- */
typedef struct hxe_x12_file {
    const char *raw;           /* the bytes parsed */
    size_t raw_len;
    hxe_x12_set **sets;        /* every set (and TA1) in order */
    size_t nsets;
    size_t interchanges, groups;
    hxe_slice lead;            /* bytes before the first ISA (BOM, blanks) */
    /* segments in file order, envelopes included (round trip) */
    hxe_x12_seg *segs;
    size_t nseg;
    hxe_x12_delims d;          /* of the first interchange */
    /* private: the delimiters in force for each segment */
    hxe_x12_delims *seg_delims;
    size_t seg_cap;
} hxe_x12_file;

/* Parses a whole buffer (for small files; large ones go through the
 * reader). Returns 0 when at least one interchange could be read (issues
 * may hold errors), or HXE_EPARSE when none could (err says why). */
int hxe_x12_parse(hxe_x12_file **out, hxe_arena *a, const char *buf, size_t len,
                  const hxe_x12_opts *opts, hxe_issues *issues, hxe_err *err);

/* ---- writing ----
 * d NULL: the file's own delimiters, and an unmodified file comes back
 * byte for byte. Other delimiters: every segment is rewritten with them
 * (the ISA keeps its fixed width; ISA11 and ISA16 change); a value that
 * holds one of the new delimiters cannot be written (X12 has no escape)
 * and the call fails with HXE_EINVAL naming the place. newline 1 puts a
 * \n after every terminator when rewriting. */
int hxe_x12_write(const hxe_x12_file *f, const hxe_x12_delims *d, int newline,
                  hxe_buf *out, hxe_err *err);
/* One set's segments with its delimiters (ST .. SE, terminators and
 * whatever followed them as read). */
int hxe_x12_write_set(const hxe_x12_set *s, hxe_buf *out);

/* ---- loops (schema-driven) ---- */
struct hxe_x12_loop {
    const char *id;            /* "2300", "2010AA"; "" for the set itself */
    const char *name;          /* TR3 name, "Claim Information" */
    uint32_t parent;           /* index of the parent loop; 0 for top level */
    uint32_t first_seg;        /* index in set->segs of its first segment */
    uint32_t nseg;             /* segments up to its last descendant */
    uint16_t depth;
    uint16_t schema_node;      /* private */
};

/* Finds the schema for the set (ST01 and ST03/GS08) and builds the loop
 * tree: set->loops, and every segment's loop. Structure problems (SNIP
 * 1-2: unexpected segments, order, usage, repeats, loop counts) are added
 * to issues. Returns 0, or HXE_ENOTFOUND when no schema fits (the set
 * stays usable as flat segments; an issue says so). */
int hxe_x12_parse_loops(hxe_x12_set *s, hxe_arena *a, const hxe_x12_opts *opts,
                        hxe_issues *issues);

/* Schemas the codec knows: "837" + "005010X222A1" ... NULL-terminated
 * list of "ST01 guide" strings, for help texts. */
const char *const *hxe_x12_schemas(void);
/* The TR3 name of element e of a segment in the set's loop, or NULL. */
const char *hxe_x12_element_name(const char *seg, unsigned e);

/* ---- validation ----
 * snip: the deepest WEDI SNIP type to check (1-5; 0 = all hxe has).
 * Type 1: segment ids, element counts, types, lengths, repeats,
 *         components, the X12 syntax rules of each segment;
 * type 2: loop structure and usage (done by parse_loops), element usage
 *         and code values of the implementation guide, the HL hierarchy
 *         (HL01 unique, HL02 the parent level, HL04);
 * type 3: balancing (837 claim totals, 835 payment, claims and lines);
 * type 4: situational rules of the guides (a representative set);
 * type 5: shapes of external codes (NPI, ICD-10, CPT/HCPCS, taxonomy,
 *         state, ZIP, dates). docs/x12.md lists every rule.
 * Returns 0, or HXE_ENOMEM when a pass could not finish. */
typedef struct hxe_x12_validate_opts {
    int snip;
    unsigned flags;            /* reserved, 0 */
} hxe_x12_validate_opts;

int hxe_x12_validate(const hxe_x12_set *s, const hxe_x12_validate_opts *opts,
                     hxe_issues *issues);

/* A situational issue (SNIP 4: a segment or element required or not
 * used because of what another one holds) also names its trigger, the
 * place whose content made the rule apply; the 999 writes it as the
 * SITUATIONAL TRIGGER CTX. It is kept in loc.seg_seq (the trigger's
 * segment position in the set) and loc.sub (its element << 8 | its
 * component), which X12 issues use for nothing else. Returns 1 and
 * fills pos, e, c when the issue has a trigger, else 0. */
int hxe_x12_trigger(const hxe_issue *it, uint32_t *pos, unsigned *e, unsigned *c);

/* ---- JSON ----
 * {"interchange":{...},"group":{...},"set":"837","control":"...",
 *  "guide":"...","content":[{"loop":"2000A","name":"...","content":[
 *  {"id":"HL","pos":3,"name":"...","elements":{"HL01":"1",...},
 *   "names":{"HL01":"Hierarchical ID Number",...}}, ...]}]}
 * (a set without a loop tree: "segments":[...] instead of "content").
 * Elements are strings; composites arrays of components; repeated
 * elements {"repeat":[...]}. Empty elements are left out; "count" gives
 * the element count when trailing ones are empty, "tail" the bytes
 * after the segment text when they are not just the terminator. */
int hxe_x12_set_to_json(const hxe_x12_set *s, hxe_buf *out);

/* A whole input as JSON lines in file order, each handed to write (one
 * line per call; a non-zero return stops with HXE_EIO): envelope and
 * other segments outside sets as {"segment":{...}} (an ISA line also has
 * "delimiters":{"element","repetition","component","segment"}), each set
 * as hxe_x12_set_to_json writes it, bytes outside interchanges (a BOM,
 * blank lines, junk) as {"raw":"..."}. Returns 0, an HXE_E* code, or
 * HXE_EPARSE when there is no interchange. */
int hxe_x12_to_json_lines(const char *buf, size_t len, const hxe_x12_opts *opts,
                          int (*write)(void *data, const char *p, size_t n), void *data,
                          hxe_err *err);
/* JSON lines as hxe_x12_to_json_lines writes them back to X12: byte for
 * byte the input they came from when it was valid UTF-8. Elements are
 * written with the delimiters of the last ISA line (* ^ : ~ before any);
 * a value holding one of them is refused with HXE_EINVAL naming the
 * line and element. Returns 0, or HXE_EPARSE / HXE_EINVAL / HXE_ETOOBIG
 * with err naming the line. */
int hxe_x12_from_json(const char *json, size_t len, hxe_buf *out, hxe_err *err);

/* ---- acknowledgments: the 999 and TA1 we send (ack.c, ack_file.c) ----
 * A hxe_x12_ack gathers the answer to one functional group: one AK2 ..
 * IK5 per set from the set's issues (IK3 per segment problem, IK4 per
 * element problem, the 2100 CTX naming the claim (CLM01, 835 CLP01) a
 * problem sits in, and for situational problems the SITUATIONAL TRIGGER
 * CTX after the IK3 or IK4, see hxe_x12_trigger), then AK9 from the
 * counts. Control numbers come from
 * the caller's sequence and advance as they are used. The 999's ISA and
 * GS swap sender and receiver of the group answered.
 *
 * IK404 (copy of the bad data) is left out unless
 * HXE_X12_ACK_COPY_BAD_DATA is set: a value in error may be patient data.
 * With the flag it is written for codes that name a present value, at
 * most 99 characters, and never when it holds a delimiter of the 999. */
typedef struct hxe_x12_ack_seq {
    uint64_t isa13;   /* next ISA13; 0 is taken as 1; wraps after 999999999 */
    uint64_t gs06;    /* next GS06 */
    uint64_t st02;    /* next ST02 (written with at least 4 digits) */
} hxe_x12_ack_seq;

#define HXE_X12_ACK_COPY_BAD_DATA 1u

typedef struct hxe_x12_ack_opts {
    hxe_x12_delims d;     /* of the acknowledgment; all zero: * ^ : ~ */
    int newline;          /* 1: \n after every terminator */
    unsigned flags;       /* HXE_X12_ACK_* */
    char date[9];         /* CCYYMMDD of the acknowledgment; "" = today (UTC) */
    char time[5];         /* HHMM; "" = now (UTC) */
    int snip;             /* hxe_x12_acknowledge: validation depth (0 = all) */
    hxe_x12_opts read;    /* hxe_x12_acknowledge: reader limits */
} hxe_x12_ack_opts;

typedef struct hxe_x12_ack {
    /* private: use the functions */
    hxe_x12_ack_opts o;
    hxe_x12_interchange isa;   /* of the group answered */
    hxe_x12_group gs;
    hxe_buf body;              /* AK2 .. IK5 of every set so far */
    size_t nseg;               /* segments in body */
    size_t received, accepted, noted;  /* noted: accepted with errors (IK5 E) */
    long long included;        /* GE01; -1 = the count received */
    uint16_t codes[5];         /* AK905 codes (HXE_X12_GRP + n) */
    unsigned ncodes;
    int failed;                /* an append failed: finish reports it */
} hxe_x12_ack;

/* Starts the answer to the group gs of interchange isa (opts may be NULL). */
void hxe_x12_ack_init(hxe_x12_ack *k, const hxe_x12_interchange *isa,
                      const hxe_x12_group *gs, const hxe_x12_ack_opts *opts);
/* Adds the answer to one set from its issues (envelope, loops and
 * validation issues together). Returns the IK501 written ('A', 'E' or
 * 'R'), or HXE_ENOMEM / HXE_ETOOBIG. */
int hxe_x12_ack_set(hxe_x12_ack *k, const hxe_x12_set *s, const hxe_issues *issues);
/* A group-level problem (an AK905 code, HXE_X12_GRP + n): the group is
 * rejected (AK901 R). GE01 as read, when there was a GE. */
void hxe_x12_ack_group_code(hxe_x12_ack *k, int code);
void hxe_x12_ack_included(hxe_x12_ack *k, long long ge01);
/* AK901 as it stands: 'A', 'E', 'P' or 'R'. */
char hxe_x12_ack_status(const hxe_x12_ack *k);
/* Appends the 999 as a whole interchange (ISA GS ST .. SE GE IEA). */
int hxe_x12_ack_finish(hxe_x12_ack *k, hxe_x12_ack_seq *seq, hxe_buf *out);
void hxe_x12_ack_free(hxe_x12_ack *k);

/* The TA1 an interchange's own issues (TA105 level, the n issues at v)
 * call for: *ack 'A', 'E' or 'R', *code the TA105 (HXE_X12_TA1 + n; just
 * HXE_X12_TA1 for 000). Returns 1 when a TA1 is due: always when there
 * are interchange errors, else when ISA14 asks for one. E is used for a
 * repeated ISA13 and a wrong IEA01 count (the content is readable), R
 * for the rest. */
int hxe_x12_ta1_status(const hxe_x12_interchange *isa, const hxe_issue *v, size_t n,
                       char *ack, int *code);
/* Appends ISA TA1 IEA answering isa (sender and receiver swapped). */
int hxe_x12_ta1_write(const hxe_x12_interchange *isa, char ack, int code,
                      const hxe_x12_ack_opts *opts, hxe_x12_ack_seq *seq, hxe_buf *out);

typedef struct hxe_x12_ack_summary {
    size_t interchanges, groups, sets;
    size_t sets_accepted;      /* IK501 A or E */
    size_t ta1, ta1_rejected;  /* TA1s written, with TA104 R */
} hxe_x12_ack_summary;

/* Reads a whole buffer, validates every set (opts->snip) and appends the
 * answers in order: per interchange, the TA1 when one is due, then (unless
 * the TA1 rejects the interchange) one 999 interchange per group. Sets
 * outside a group and interchanges whose ISA cannot be read at all get
 * no answer. sum may be NULL. Returns 0, or HXE_ENOMEM / HXE_ETOOBIG
 * (err says where), or HXE_EPARSE when the input holds no interchange. */
int hxe_x12_acknowledge(const char *buf, size_t len, const hxe_x12_ack_opts *opts,
                        hxe_x12_ack_seq *seq, hxe_buf *out, hxe_x12_ack_summary *sum,
                        hxe_err *err);

/* ---- answers we receive: 999, TA1 and 277CA matched to what we sent
 * (match.c) ----
 * The caller indexes the sets it sent (interchange, group and set control
 * numbers, and for claims their CLM01s); hxe_x12_match reads a buffer of
 * responses and lists one answer per set or claim answered. */
typedef struct hxe_x12_sent_set {
    char interchange[10];      /* ISA13 */
    char group[10];            /* GS06 */
    char control[10];          /* ST02 */
    char id[4];                /* ST01 */
    void *data;                /* the caller's */
} hxe_x12_sent_set;

typedef struct hxe_x12_sent_claim {
    char id[39];               /* CLM01, the patient control number */
    size_t set;                /* index in sets */
} hxe_x12_sent_claim;

typedef struct hxe_x12_sent {
    hxe_x12_sent_set *sets;
    size_t nsets, cap;
    hxe_x12_sent_claim *claims;
    size_t nclaims, claim_cap;
    size_t max;                /* sets + claims at most; 0 = 10,000,000 */
} hxe_x12_sent;

#define HXE_X12_SENT_INIT {NULL, 0, 0, NULL, 0, 0, 0}
/* Adds a set; returns its index (>= 0) or HXE_ENOMEM / HXE_ETOOBIG /
 * HXE_EINVAL (a control number longer than 9). */
int hxe_x12_sent_add(hxe_x12_sent *st, const char *interchange, const char *group,
                     const char *control, const char *id, void *data);
/* Adds a claim id of set index set. */
int hxe_x12_sent_add_claim(hxe_x12_sent *st, size_t set, const char *clm01);
/* Indexes every set of an X12 buffer we sent (and each 837's CLM01s). */
int hxe_x12_sent_add_x12(hxe_x12_sent *st, const char *buf, size_t len, hxe_err *err);
void hxe_x12_sent_free(hxe_x12_sent *st);

enum hxe_x12_answer_kind {
    HXE_X12_ANSWER_TA1 = 1,    /* an interchange acknowledgment */
    HXE_X12_ANSWER_999 = 2,    /* an AK2 .. IK5 (or the group's AK9) */
    HXE_X12_ANSWER_277CA = 3   /* a claim's status in a 277CA (2200D) */
};

typedef struct hxe_x12_answer {
    int kind;                  /* enum hxe_x12_answer_kind */
    size_t sent;               /* the set answered, (size_t)-1 when none matches */
    char status;               /* TA104, IK501 (AK901 when the group is rejected
                                  without AK2s); 277CA: 'A' accepted, 'R' rejected,
                                  'E' other categories */
    char interchange[10];      /* TA101 */
    char group[10];            /* AK102 */
    char control[10];          /* AK202 */
    char claim[39];            /* 277CA: TRN02 of 2200D */
    char by_interchange[10];   /* the response that carried the answer: its */
    char by_group[10];         /* ISA13, GS06 and ST02 ("" for a TA1's) */
    char by_control[10];
    size_t first, n;           /* its problems: issues[first .. first+n) */
} hxe_x12_answer;

/* Problems are hxe_issues: IK3 -> code HXE_X12_SEG + n at loc.seg and
 * seg_pos (text names the loop), IK4 -> HXE_X12_ELE + n at field, comp,
 * rep, IK502 / AK905 / TA105 codes at their levels; a 277CA status is
 * code 0 with STC01 (category:status codes, no values) in the text.
 * IK404 and CTX values are never copied. */
typedef struct hxe_x12_answers {
    hxe_x12_answer *v;
    size_t n, cap;
    hxe_issues issues;
} hxe_x12_answers;

#define HXE_X12_ANSWERS_INIT {NULL, 0, 0, HXE_ISSUES_INIT}
int hxe_x12_match(const hxe_x12_sent *st, const char *buf, size_t len, hxe_x12_answers *out,
                  hxe_err *err);
void hxe_x12_answers_free(hxe_x12_answers *a);

#endif

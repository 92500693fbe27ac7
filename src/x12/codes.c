/*
 * codes.c — SNIP type 5: the shape of values from external code sets.
 * hxe carries no licensed code lists; it checks what can be checked
 * without them:
 *
 *   - NPI (NM109 when NM108 = XX, N104 when N103 = XX): ten digits whose
 *     last is the Luhn check digit over "80840" + the first nine;
 *   - ICD-10-CM (HI qualifiers ABK ABF ABJ ABN APR): a letter, a digit,
 *     then one to five letters or digits (no decimal point in X12);
 *   - ICD-10-PCS (BBR BBQ): seven characters, digits and letters but
 *     I and O;
 *   - CPT/HCPCS (a C003 procedure composite qualified HC): four digits
 *     then a digit or F, T, U (CPT), or a letter A-V and four digits
 *     (HCPCS level II); CDT (AD): D and four digits;
 *   - NUCC provider taxonomy (PRV03 when PRV02 = PXC): nine letters or
 *     digits then X;
 *   - US state codes and ZIP codes (N402 and N403 when N404, the
 *     country, is absent or US; CLM11-4);
 *   - dates in DTP03 and DMG02 by their format qualifier (D8
 *     CCYYMMDD, RD8 a range whose end is not before its start).
 *
 * validate.c calls x12__check_codes_seg for each segment that may need
 * it during its one walk over the set, with the segment already split.
 * Problems are IK403 7 (invalid code value) or 8 (invalid date) at the
 * element and component; texts name the element, never the value.
 */
#include "x12/internal.h"
#include "x12/schema.h"

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

int x12__npi_ok(hxe_slice v)
{
    if (v.n != 10 || !x12__digits(v))
        return 0;
    /* Luhn over 80840 + the first nine digits: the prefix adds 24 */
    int sum = 24;
    for (int i = 8; i >= 0; i--) {
        int d = v.p[i] - '0';
        if ((8 - i) % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10 == v.p[9] - '0';
}

static int icd10cm_ok(hxe_slice v)
{
    if (v.n < 3 || v.n > 7 || !is_upper(v.p[0]) || !is_digit(v.p[1]))
        return 0;
    for (size_t i = 2; i < v.n; i++)
        if (!is_upper(v.p[i]) && !is_digit(v.p[i]))
            return 0;
    return 1;
}

static int icd10pcs_ok(hxe_slice v)
{
    if (v.n != 7)
        return 0;
    for (size_t i = 0; i < v.n; i++)
        if ((!is_upper(v.p[i]) && !is_digit(v.p[i])) || v.p[i] == 'I' || v.p[i] == 'O')
            return 0;
    return 1;
}

static int cpt_hcpcs_ok(hxe_slice v)
{
    if (v.n != 5)
        return 0;
    if (is_digit(v.p[0])) {
        for (int i = 1; i < 4; i++)
            if (!is_digit(v.p[i]))
                return 0;
        return is_digit(v.p[4]) || v.p[4] == 'F' || v.p[4] == 'T' || v.p[4] == 'U';
    }
    if (v.p[0] < 'A' || v.p[0] > 'V')
        return 0;
    for (int i = 1; i < 5; i++)
        if (!is_digit(v.p[i]))
            return 0;
    return 1;
}

static int cdt_ok(hxe_slice v)
{
    return v.n == 5 && v.p[0] == 'D' && x12__digits(hxe_slice_of(v.p + 1, 4));
}

static int taxonomy_ok(hxe_slice v)
{
    if (v.n != 10 || v.p[9] != 'X')
        return 0;
    for (int i = 0; i < 9; i++)
        if (!is_upper(v.p[i]) && !is_digit(v.p[i]))
            return 0;
    return 1;
}

/* USPS codes: states, DC, territories, military */
static int state_ok(hxe_slice v)
{
    static const char codes[] =
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT "
        "NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
        "AS GU MP PR VI FM MH PW AA AE AP";
    if (v.n != 2)
        return 0;
    for (size_t i = 0; i + 1 < sizeof codes; i += 3)
        if (codes[i] == v.p[0] && codes[i + 1] == v.p[1])
            return 1;
    return 0;
}

static int zip_ok(hxe_slice v)
{
    return (v.n == 5 || v.n == 9) && x12__digits(v);
}

static int date8_ok(hxe_slice v)
{
    return v.n == 8 && x12__is_date(v);
}

/* a date by its format qualifier: D8, RD8; other formats pass */
static int date_ok(hxe_slice fmt, hxe_slice v)
{
    if (x12__eq(fmt, "D8"))
        return date8_ok(v);
    if (x12__eq(fmt, "RD8")) {
        if (v.n != 17 || v.p[8] != '-')
            return 0;
        hxe_slice a = hxe_slice_of(v.p, 8), b = hxe_slice_of(v.p + 9, 8);
        return date8_ok(a) && date8_ok(b) && memcmp(a.p, b.p, 8) <= 0;
    }
    return 1;
}

static void bad(const hxe_x12_set *s, hxe_issues *is, size_t k, int code, unsigned e, unsigned c,
                const char *what)
{
    if (c)
        x12__issue(is, s, k, code, e, c, "%s%02u-%u: %s", s->segs[k].id, e, c, what);
    else
        x12__issue(is, s, k, code, e, 0, "%s%02u: %s", s->segs[k].id, e, what);
}

static void check_hi(const hxe_x12_set *s, hxe_issues *is, size_t k, const x12__elems *ev)
{
    for (unsigned e = 1; e <= ev->n && e <= 12; e++) {
        hxe_slice q, v;
        x12__el2(ev, e, &q, &v);
        if (!v.n)
            continue;
        if ((x12__eq(q, "ABK") || x12__eq(q, "ABF") || x12__eq(q, "ABJ") || x12__eq(q, "ABN") ||
             x12__eq(q, "APR")) && !icd10cm_ok(v))
            bad(s, is, k, HXE_X12_ELE_BAD_CODE, e, 2, "not an ICD-10-CM code");
        else if ((x12__eq(q, "BBR") || x12__eq(q, "BBQ")) && !icd10pcs_ok(v))
            bad(s, is, k, HXE_X12_ELE_BAD_CODE, e, 2, "not an ICD-10-PCS code");
    }
}

/* element e of the segment, when it is a C003 procedure composite */
static void procedure(const hxe_x12_set *s, hxe_issues *is, size_t k, const x12t_seg *sd,
                      const x12__elems *ev, unsigned e)
{
    const x12t_elem *d = &x12t_elems[sd->first + e - 1];
    if (d->type != X12T_COMP || memcmp(x12t_comps[d->comp - 1].id, "C003", 5) != 0)
        return;
    hxe_slice q, v;
    x12__el2(ev, e, &q, &v);
    if (!v.n)
        return;
    if (x12__eq(q, "HC") && !cpt_hcpcs_ok(v))
        bad(s, is, k, HXE_X12_ELE_BAD_CODE, e, 2, "not a CPT or HCPCS code");
    else if (x12__eq(q, "AD") && !cdt_ok(v))
        bad(s, is, k, HXE_X12_ELE_BAD_CODE, e, 2, "not a CDT code");
}

/* the lowest bit set in m (m != 0) */
static unsigned low_bit(uint64_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(m);
#else
    unsigned b = 0;
    for (; !(m & 1); m >>= 1)
        b++;
    return b;
#endif
}

/* every C003 procedure composite of the segment (the composites among
 * its first 64 elements are the bits of sd->comps) */
static void check_procedures(const hxe_x12_set *s, hxe_issues *is, size_t k, const x12t_seg *sd,
                             const x12__elems *ev)
{
    unsigned n = sd->n < ev->n ? sd->n : ev->n;
    for (uint64_t m = sd->comps; m; m &= m - 1) {
        unsigned e = low_bit(m) + 1;
        if (e > n)
            return;
        procedure(s, is, k, sd, ev, e);
    }
    for (unsigned e = 65; e <= n; e++)
        procedure(s, is, k, sd, ev, e);
}

void x12__check_codes_seg(const hxe_x12_set *s, hxe_issues *is, size_t k, const x12t_seg *sd,
                          const x12__elems *ev)
{
    const char *id = s->segs[k].id;
    switch (id[0]) {
    case 'N':
        if (x12__id_is(id, "NM1") && x12__eq(x12__el(ev, 8, 0), "XX") && x12__el(ev, 9, 0).n &&
            !x12__npi_ok(x12__el(ev, 9, 0)))
            bad(s, is, k, HXE_X12_ELE_BAD_CODE, 9, 0, "not a valid NPI (check digit)");
        else if (x12__id_is(id, "N1") && x12__eq(x12__el(ev, 3, 0), "XX") && x12__el(ev, 4, 0).n &&
                 !x12__npi_ok(x12__el(ev, 4, 0)))
            bad(s, is, k, HXE_X12_ELE_BAD_CODE, 4, 0, "not a valid NPI (check digit)");
        else if (x12__id_is(id, "N4")) {
            hxe_slice country = x12__el(ev, 4, 0);
            if (!country.n || x12__eq(country, "US")) {
                if (x12__el(ev, 2, 0).n && !state_ok(x12__el(ev, 2, 0)))
                    bad(s, is, k, HXE_X12_ELE_BAD_CODE, 2, 0, "not a US state code");
                if (x12__el(ev, 3, 0).n && !zip_ok(x12__el(ev, 3, 0)))
                    bad(s, is, k, HXE_X12_ELE_BAD_CODE, 3, 0, "not a ZIP code");
            }
        }
        break;
    case 'H':
        if (x12__id_is(id, "HI"))
            check_hi(s, is, k, ev);
        break;
    case 'P':
        if (x12__id_is(id, "PRV") && x12__eq(x12__el(ev, 2, 0), "PXC") && x12__el(ev, 3, 0).n &&
            !taxonomy_ok(x12__el(ev, 3, 0)))
            bad(s, is, k, HXE_X12_ELE_BAD_CODE, 3, 0, "not a provider taxonomy code");
        break;
    case 'C':
        if (x12__id_is(id, "CLM") && x12__el(ev, 11, 4).n && !state_ok(x12__el(ev, 11, 4)))
            bad(s, is, k, HXE_X12_ELE_BAD_CODE, 11, 4, "not a US state code");
        break;
    case 'D':
        if (x12__id_is(id, "DTP") && !date_ok(x12__el(ev, 2, 0), x12__el(ev, 3, 0)))
            bad(s, is, k, HXE_X12_ELE_BAD_DATE, 3, 0, "not a valid date for its format");
        else if (x12__id_is(id, "DMG") && x12__el(ev, 2, 0).n &&
                 !date_ok(x12__el(ev, 1, 0), x12__el(ev, 2, 0)))
            bad(s, is, k, HXE_X12_ELE_BAD_DATE, 2, 0, "not a valid date for its format");
        break;
    default:
        break;
    }
    if (sd->comps || sd->n > 64)
        check_procedures(s, is, k, sd, ev);
}

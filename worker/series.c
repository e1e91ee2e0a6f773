/*
 * series.c — see series.h for the contracts.
 *
 * Contents (sections in file order):
 *   calendar               civil dates <-> days, years
 *   numbers                the fast decimal parser (strtod's bits)
 *   timestamps             the accepted date / time forms
 *   line reader            buffered lines over zlib (plain files pass)
 *   columns                one file: RFC 4180 fields, header and layout
 *                          detection, rows checked, drop_bad
 *   series assembly        files of one instrument ordered and joined;
 *                          bar size, gaps, breaks
 *   alignment, resampling  instruments on common timestamps, coarser bars
 */
#include "worker/series.h"

#include <ctype.h>
#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- calendar ----------------------------------------------------------
 * Howard Hinnant's civil <-> days algorithms: exact for every proleptic
 * Gregorian date, no tables, no mktime (whose answer depends on TZ). */

int64_t series_days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void series_civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int series_year(int64_t t) {
    int y, m, d;
    series_civil_from_days(floor_div(t, 86400), &y, &m, &d);
    return y;
}

int64_t series_time(int y, int mo, int d, int h, int mi, int s) {
    return series_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

char *series_format_time(int64_t t, char *buf) {
    int64_t days = floor_div(t, 86400), sod = t - days * 86400;
    int y, m, d;
    series_civil_from_days(days, &y, &m, &d);
    /* By hand: snprintf cannot prove the fields fit and warns. */
    int v[6] = { y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60) };
    static const char sep[6] = { '-', '-', ' ', ':', ':', '\0' };
    char *p = buf;
    for (int k = 0; k < 6; k++) {
        unsigned x = (unsigned)(v[k] < 0 ? 0 : v[k]);
        if (k == 0) { x %= 10000; *p++ = (char)('0' + x / 1000); *p++ = (char)('0' + x / 100 % 10); }
        *p++ = (char)('0' + x / 10 % 10);
        *p++ = (char)('0' + x % 10);
        *p++ = sep[k];
    }
    return buf;
}

/* ---- numbers -------------------------------------------------------------
 * Clinger's fast path: when the decimal mantissa m fits in 53 bits and the
 * power of ten p is at most 22, both m and 10^p are exact doubles and one
 * IEEE multiply or divide rounds correctly, so the result equals strtod's.
 * Every other spelling goes to strtod (rare in price files). */

static const double POW10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

static void trim(const char **s, size_t *len) {
    const char *p = *s, *q = *s + *len;
    if (p == q || (*p > ' ' && *p != '"' && q[-1] > ' ' && q[-1] != '"')) return;   /* the common case */
    while (p < q && (*p == ' ' || *p == '"' || *p == '\t' || *p == '\r')) p++;
    while (q > p && (q[-1] == ' ' || q[-1] == '"' || q[-1] == '\t' || q[-1] == '\r')) q--;
    *s = p;
    *len = (size_t)(q - p);
}

int series_parse_number(const char *s, size_t len, double *out) {
    trim(&s, &len);
    const char *p = s, *end = s + len;
    if (p == end) return -1;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    uint64_t m = 0;
    int nd = 0, exp10 = 0, any = 0, inexact = 0;
    for (; p < end && (unsigned)(*p - '0') < 10; p++, any = 1) {
        if (nd < 19) { m = m * 10 + (uint64_t)(*p - '0'); nd += m > 0; }
        else { exp10++; inexact = 1; }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && (unsigned)(*p - '0') < 10; p++, any = 1) {
            if (nd < 19) { m = m * 10 + (uint64_t)(*p - '0'); nd += m > 0; exp10--; }
            else inexact = 1;
        }
    }
    if (!any) return -1;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, ev = 0, edig = 0;
        if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        for (; p < end && (unsigned)(*p - '0') < 10; p++, edig++)
            if (ev < 100000) ev = ev * 10 + (*p - '0');
        if (!edig) return -1;
        exp10 += eneg ? -ev : ev;
    }
    if (p != end) return -1;
    if (!inexact && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / POW10[-exp10] : v * POW10[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    char buf[128];
    if (len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *ep;
    double v = strtod(buf, &ep);
    if (ep != buf + len || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* ---- timestamps ---------------------------------------------------------- */

static int digits(const char *p, int n) {          /* n digits as int, or -1 */
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned)(p[i] - '0');
        if (c > 9) return -1;
        v = v * 10 + (int)c;
    }
    return v;
}

static int valid_date(int y, int m, int d) {
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Time of day: HH:MM, HH:MM:SS (optionally .000 and/or Z), HHMM, HHMMSS. */
static int parse_tod(const char *s, size_t len, int64_t *out) {
    int h, mi, sec = 0;
    trim(&s, &len);
    if (len > 0 && s[len - 1] == 'Z') len--;
    if (len >= 5 && s[2] == ':') {
        h = digits(s, 2); mi = digits(s + 3, 2);
        size_t k = 5;
        if (len >= 8 && s[5] == ':') { sec = digits(s + 6, 2); k = 8; }
        if (k < len && s[k] == '.') {           /* accept only a zero fraction */
            for (k++; k < len && s[k] == '0'; k++) {}
        }
        if (k != len) return -1;
    } else if (len == 4 || len == 6) {
        h = digits(s, 2); mi = digits(s + 2, 2);
        if (len == 6) sec = digits(s + 4, 2);
    } else return -1;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return -1;
    *out = h * 3600 + mi * 60 + sec;
    return 0;
}

int series_parse_time(const char *s, size_t len, int64_t *out) {
    trim(&s, &len);
    size_t nd = 0;
    while (nd < len && (unsigned)(s[nd] - '0') < 10) nd++;
    int y, m, d;
    size_t rest;                                   /* where a time part starts */
    if (nd == len) {
        if (len == 8) { rest = 8; }
        else if (len >= 9 && len <= 12) {          /* unix seconds */
            int64_t v = 0;
            for (size_t i = 0; i < len; i++) v = v * 10 + (s[i] - '0');
            *out = v;
            return 0;
        } else return -1;
        y = digits(s, 4); m = digits(s + 4, 2); d = digits(s + 6, 2);
    } else if (nd == 8) {
        y = digits(s, 4); m = digits(s + 4, 2); d = digits(s + 6, 2);
        rest = 8;
    } else if (nd == 4 && len >= 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.')
               && s[7] == s[4]) {
        y = digits(s, 4); m = digits(s + 5, 2); d = digits(s + 8, 2);
        rest = 10;
    } else return -1;
    if (!valid_date(y, m, d)) return -1;
    int64_t t = series_days_from_civil(y, m, d) * 86400;
    if (rest < len) {
        if (s[rest] != ' ' && s[rest] != 'T') return -1;
        int64_t tod;
        if (parse_tod(s + rest + 1, len - rest - 1, &tod)) return -1;
        t += tod;
    }
    *out = t;
    return 0;
}

/* ---- buffered line reader over zlib (plain files pass through) ---------- */

typedef struct {
    gzFile gz;
    char  *buf;
    size_t cap, beg, end;
    int    eof;
} reader;

static int reader_open(reader *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->gz = gzopen(path, "rb");
    if (!r->gz) return -1;
    gzbuffer(r->gz, 1u << 18);
    r->cap = (size_t)1 << 22;
    r->buf = malloc(r->cap + 1);               /* + 1: see reader_line */
    return r->buf ? 0 : -2;
}

static void reader_close(reader *r) {
    if (r->gz) gzclose(r->gz);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* 1 and a line (without '\n'), 0 at the end, -1 on a read error, -2 OOM.
 * (*line)[*len] is writable (the '\n', or the spare byte after the data), so
 * the caller may end the line with a '\0' for the str* functions. */
static int reader_line(reader *r, char **line, size_t *len) {
    for (;;) {
        char *nl = memchr(r->buf + r->beg, '\n', r->end - r->beg);
        if (nl) {
            *line = r->buf + r->beg;
            *len = (size_t)(nl - *line);
            r->beg = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        if (r->eof) {
            if (r->beg == r->end) return 0;
            *line = r->buf + r->beg;
            *len = r->end - r->beg;
            r->beg = r->end;
            return 1;
        }
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
        if (r->end == r->cap) {                    /* a line longer than the buffer */
            char *nb = realloc(r->buf, r->cap * 2 + 1);
            if (!nb) return -2;
            r->buf = nb;
            r->cap *= 2;
        }
        size_t want = r->cap - r->end;
        if (want > (1u << 30)) want = 1u << 30;
        int got = gzread(r->gz, r->buf + r->end, (unsigned)want);
        if (got < 0) return -1;
        if (got == 0) {
            int errnum;
            gzerror(r->gz, &errnum);
            if (errnum != Z_OK && errnum != Z_STREAM_END) return -1;
            r->eof = 1;
        }
        r->end += (size_t)got;
    }
}

/* ---- columns ------------------------------------------------------------- */

enum { C_DATE, C_TIME, C_DATETIME, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_ADJ, C_VOL, C_N,
       C_SKIP = -2, C_UNKNOWN = -1 };
static const char *const ROLE_NAME[C_N] = {
    "date", "time", "datetime", "open", "high", "low", "close", "adjclose", "volume" };

/* Role of a header name or layout token: lower-cased, quotes, spaces,
 * underscores and MetaTrader's <> removed, so "Adj Close", "adj_close" and
 * "<CLOSE>" all match. */
static int column_role(const char *s, size_t len) {
    char k[32];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        if (c == ' ' || c == '_' || c == '"' || c == '<' || c == '>' || c == '\r' || c == '\t') continue;
        if (n + 1 >= sizeof k) return C_UNKNOWN;
        k[n++] = c;
    }
    k[n] = '\0';
    if (!strcmp(k, "-")) return C_SKIP;
    if (!strcmp(k, "datetime") || !strcmp(k, "timestamp")) return C_DATETIME;
    if (!strcmp(k, "tickvolume")) return C_VOL;
    for (int r = 0; r < C_N; r++)
        if (!strcmp(k, ROLE_NAME[r])) return r;
    return C_UNKNOWN;
}

#define MAXF 256

typedef struct { const char *p; size_t n; } field;

/* Why a line could not be split (split's return value; 0 = fine), and where. */
enum { SPLIT_OK = 0, SPLIT_NUL, SPLIT_UNCLOSED, SPLIT_AFTER_QUOTE, SPLIT_STRAY_QUOTE };
typedef struct {
    int         col;         /* 0-based field                                  */
    const char *at;          /* the offending byte (AFTER_QUOTE)               */
    field       raw;         /* the field as written in the line (STRAY_QUOTE) */
} split_fault;

/* Split a line (line[len] == '\0') at delim into f[0..*nf-1] (fields beyond
 * MAXF are counted but not stored), RFC 4180 style: a field may be enclosed in double quotes
 * (spaces or tabs around them are allowed), inside which the delimiter is
 * data and "" is one quote.  Quoted fields are unescaped into `scratch` (at
 * least len bytes) and f points there; unquoted ones point into the line.
 * A NUL byte anywhere, a quote left open at the end of the line (we read
 * line by line: a field spanning lines is refused, not supported), text
 * after a closing quote, or a quote inside an unquoted field returns
 * SPLIT_* and fills *why.
 *
 * Price files almost never quote: the common line costs one strchrnul()
 * scan (a quote or a NUL before the terminating one?) on top of the plain
 * split, which keeps the loader at its speed (bench_load). */
static int split(const char *line, size_t len, char delim, field *f, int *nf, char *scratch,
                 split_fault *why) {
    const char *end = line + len, *p = line;
    int k = 0;
    if (strchrnul(line, '"') == end) {
        for (;;) {
            const char *q = memchr(p, delim, (size_t)(end - p));
            if (!q) q = end;
            if (k < MAXF) { f[k].p = p; f[k].n = (size_t)(q - p); }
            k++;
            if (q == end) break;
            p = q + 1;
        }
        *nf = k;
        return SPLIT_OK;
    }
    char *w = scratch;
    for (;; k++) {
        why->col = k;
        const char *b = p, *q;
        while (b < end && (*b == ' ' || *b == '\t') && *b != delim) b++;
        if (b < end && *b == '"') {
            char *w0 = w;
            const char *r = b + 1;
            for (;;) {                              /* copy up to the closing quote */
                const char *c = r;
                while (c < end && *c != '"' && *c) c++;
                memcpy(w, r, (size_t)(c - r));
                w += c - r;
                if (c == end) return SPLIT_UNCLOSED;
                if (!*c) return SPLIT_NUL;
                r = c + 1;
                if (r < end && *r == '"') { *w++ = '"'; r++; continue; }
                break;
            }
            while (r < end && (*r == ' ' || *r == '\t') && *r != delim) r++;
            if (r < end && !*r) return SPLIT_NUL;
            if (r < end && *r != delim) { why->at = r; return SPLIT_AFTER_QUOTE; }
            if (k < MAXF) { f[k].p = w0; f[k].n = (size_t)(w - w0); }
            q = r;
        } else {
            q = p < end ? memchr(p, delim, (size_t)(end - p)) : NULL;   /* p <= end: for GCC */
            if (!q) q = end;
            for (const char *c = p; c < q; c++) {
                if (!*c) return SPLIT_NUL;
                if (*c == '"') { why->raw.p = p; why->raw.n = (size_t)(q - p); return SPLIT_STRAY_QUOTE; }
            }
            if (k < MAXF) { f[k].p = p; f[k].n = (size_t)(q - p); }
        }
        if (q == end) break;
        p = q + 1;
    }
    *nf = k + 1;
    return SPLIT_OK;
}

/* The delimiter of a file from its first line: ';' if one occurs outside
 * quotes, else a tab, else ','. */
static char detect_delim(const char *line, size_t len) {
    int inq = 0, semi = 0, tab = 0;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (c == '"') inq = !inq;
        else if (!inq) { semi |= c == ';'; tab |= c == '\t'; }
    }
    return semi ? ';' : tab ? '\t' : ',';
}

/* The message of a split fault: "file:line: column N: ...". */
static int split_error(rs_err *e, const char *path, int64_t lineno, int code, const split_fault *w,
                       char delim) {
    long long ln = (long long)lineno;
    int col = w->col + 1;
    switch (code) {
    case SPLIT_NUL:
        return rs_err_set(e, RS_EINPUT, "%s:%lld: column %d: a NUL byte (a binary or UTF-16 file?); "
                          "expected text", path, ln, col);
    case SPLIT_UNCLOSED:
        return rs_err_set(e, RS_EINPUT, "%s:%lld: column %d: the quoted field does not end on its "
                          "line (fields spanning lines are not supported)", path, ln, col);
    case SPLIT_AFTER_QUOTE:
        return rs_err_set(e, RS_EINPUT, "%s:%lld: column %d: expected the delimiter '%s' or the end "
                          "of the line after a closing quote, got '%c'", path, ln, col,
                          delim == '\t' ? "\\t" : (char[2]){ delim, 0 }, *w->at);
    default: {
        char esc[80];                 /* the field as it should have been written */
        size_t m = 0;
        size_t i = 0;
        for (; i < w->raw.n && m + 6 < sizeof esc; i++) {
            if (w->raw.p[i] == '"') esc[m++] = '"';
            esc[m++] = w->raw.p[i];
        }
        if (i < w->raw.n) m += (size_t)snprintf(esc + m, sizeof esc - m, "...");
        esc[m] = '\0';
        return rs_err_set(e, RS_EINPUT, "%s:%lld: column %d: a double quote inside an unquoted field "
                          "(quote the whole field and double the quote: \"%s\")", path, ln, col, esc);
    }
    }
}

/* One parsed file. */
typedef struct {
    int64_t  n, cap;
    int64_t *t;
    double  *v[5 + SERIES_COLS_MAX]; /* open high low close volume, kept columns */
    int      nv;                     /* 5 + kept columns                          */
    int64_t  first_line;     /* line number of the first data row */
    int64_t  dropped;        /* rows skipped by drop_bad */
    int      has_ohlc, has_volume;
} chunk;

static void chunk_free(chunk *c) {
    free(c->t);
    for (int i = 0; i < 5 + SERIES_COLS_MAX; i++) free(c->v[i]);
    memset(c, 0, sizeof *c);
}

static int chunk_grow(chunk *c) {
    int64_t cap = c->cap ? c->cap * 2 : 65536;
    int64_t *t = realloc(c->t, (size_t)cap * sizeof *t);
    if (!t) return -1;
    c->t = t;
    for (int i = 0; i < c->nv; i++) {
        double *v = realloc(c->v[i], (size_t)cap * sizeof *v);
        if (!v) return -1;
        c->v[i] = v;
    }
    c->cap = cap;
    return 0;
}

static void quote(char *dst, size_t cap, const char *s, size_t n) {
    trim(&s, &n);
    if (n > cap - 4) { n = cap - 4; snprintf(dst, cap, "%.*s...", (int)n, s); }
    else snprintf(dst, cap, "%.*s", (int)n, s);
}

/* "file:line: column N (name): expected a number, got '...'", with a hint
 * when the text looks like a number with thousands separators: those are
 * refused rather than guessed at (1,234 is 1234 in one locale and 1.234 in
 * another). */
static int number_error(rs_err *e, const char *path, int64_t lineno, int ci, const char *name,
                        const field *f, const char *hint) {
    char got[48];
    quote(got, sizeof got, f->p, f->n);
    int thousands = 0;
    for (size_t i = 1; i + 1 < f->n; i++)
        if ((f->p[i] == ',' || f->p[i] == '\'') && isdigit((unsigned char)f->p[i - 1]) &&
            isdigit((unsigned char)f->p[i + 1])) thousands = 1;
    return rs_err_set(e, RS_EINPUT, "%s:%lld: column %d (%s): expected a number, got '%s'%s%s", path,
                      (long long)lineno, ci + 1, name, got,
                      thousands ? " (thousands separators are not supported)" : "", hint);
}

/* Does header field f name the kept column `name`?  Case-insensitive,
 * surrounding spaces ignored. */
static int header_is(const field *f, const char *name) {
    const char *p = f->p;
    size_t n = f->n, m = strlen(name);
    trim(&p, &n);
    return n == m && !strncasecmp(p, name, n);
}

/* "missing column 'x' (the header has: a, b, c)". */
static int missing_keep(rs_err *e, const char *path, int64_t lineno, const char *name,
                        const field *f, int nf) {
    char have[320];
    size_t k = 0;
    have[0] = '\0';
    for (int i = 0; i < nf && i < MAXF; i++) {
        const char *p = f[i].p;
        size_t n = f[i].n;
        trim(&p, &n);
        if (k + n + 8 >= sizeof have) { snprintf(have + k, sizeof have - k, "%s...", i ? ", " : ""); break; }
        k += (size_t)snprintf(have + k, sizeof have - k, "%s%.*s", i ? ", " : "", (int)n, p);
    }
    return rs_err_set(e, RS_EINPUT, "%s:%lld: missing column '%s' (the header has: %s)", path,
                      (long long)lineno, name, have);
}

/* Parse one file into *c.  col[role] = field index or -1. */
static int parse_file(const char *path, const series_opts *o, chunk *c, rs_err *e) {
    memset(c, 0, sizeof *c);
    reader r;
    int rc = reader_open(&r, path);
    if (rc == -1) return rs_err_set(e, RS_EINPUT, "%s: cannot open the file", path);
    if (rc) { reader_close(&r); return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path); }

    int col[C_N], keep_col[SERIES_COLS_MAX];
    for (int i = 0; i < C_N; i++) col[i] = -1;
    c->nv = 5 + o->n_keep;
    char delim = o->delim;
    int have_layout = 0, maxcol = 0, tod_col = -1, ts_col = -1;
    double div = (o->price_div > 0 && o->price_div != 1) ? o->price_div : 1;
    char *line;
    size_t len;
    int64_t lineno = 0, prev_line = 0, layout_line = 0;
    field f[MAXF];
    char got[48], tb1[20], tb2[20];
    int status = 0, want_nf = 0, layout_is_header = 0, why_code;
    split_fault why = { 0, NULL, { NULL, 0 } };
    char *scratch = NULL;                 /* unescaped quoted fields of one line */
    size_t scratch_cap = 0;

    while ((rc = reader_line(&r, &line, &len)) == 1) {
        lineno++;
        if (lineno == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) { line += 3; len -= 3; }
        if (len && line[len - 1] == '\r') len--;
        line[len] = '\0';                       /* for split's strchrnul */
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue;                                  /* blank line */
        if (len > scratch_cap) {
            size_t cap = len > 4096 ? len : 4096;
            char *ns = realloc(scratch, cap);
            if (!ns) { status = rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path); goto done; }
            scratch = ns;
            scratch_cap = cap;
        }
        if (!delim) delim = detect_delim(line, len);
        int nf;
        if ((why_code = split(line, len, delim, f, &nf, scratch, &why))) {
            status = split_error(e, path, lineno, why_code, &why, delim);
            goto done;
        }

        if (!have_layout) {
            int64_t tt;
            int is_header = o->header == SERIES_HDR_YES ||
                (o->header == SERIES_HDR_AUTO && series_parse_time(f[0].p, f[0].n, &tt) != 0);
            if (is_header) {
                for (int i = 0; i < nf && i < MAXF; i++) {
                    int role = column_role(f[i].p, f[i].n);
                    if (role >= 0 && col[role] < 0) col[role] = i;
                }
            } else if (o->columns) {
                const char *p = o->columns;
                for (int i = 0; *p && i < MAXF; i++) {
                    const char *q = strchr(p, ',');
                    size_t n = q ? (size_t)(q - p) : strlen(p);
                    int role = column_role(p, n);
                    if (role == C_UNKNOWN) {
                        status = rs_err_set(e, RS_EINPUT, "%s: layout column %d '%.*s' is not one of "
                                            "date, time, datetime, open, high, low, close, adjclose, "
                                            "volume, -", path, i + 1, (int)n, p);
                        goto done;
                    }
                    if (role >= 0 && col[role] < 0) col[role] = i;
                    p = q ? q + 1 : p + n;
                }
            } else {
                /* Default layout: timestamp [, time of day], O, H, L, C [, V]. */
                int i = 0;
                col[C_DATETIME] = i++;
                int64_t tod;
                if (nf > 1 && memchr(f[1].p, ':', f[1].n) && parse_tod(f[1].p, f[1].n, &tod) == 0) {
                    col[C_DATETIME] = -1; col[C_DATE] = 0; col[C_TIME] = i++;
                }
                int left = (nf < MAXF ? nf : MAXF) - i;
                if (left == 1) col[C_CLOSE] = i;
                else if (left >= 4) {
                    col[C_OPEN] = i; col[C_HIGH] = i + 1; col[C_LOW] = i + 2; col[C_CLOSE] = i + 3;
                    if (left >= 5) col[C_VOL] = i + 4;
                } else {
                    status = rs_err_set(e, RS_EINPUT, "%s:%lld: %d fields do not fit the default "
                                        "layout time,open,high,low,close[,volume]; give the columns",
                                        path, (long long)lineno, nf);
                    goto done;
                }
            }
            /* Resolve the time column(s). */
            if (col[C_DATETIME] >= 0) ts_col = col[C_DATETIME];
            else if (col[C_DATE] >= 0) { ts_col = col[C_DATE]; tod_col = col[C_TIME]; }
            else ts_col = col[C_TIME];
            if (ts_col < 0) {
                status = rs_err_set(e, RS_EINPUT, "%s:%lld: missing column: no date, time, datetime "
                                    "or timestamp column", path, (long long)lineno);
                goto done;
            }
            if (col[C_CLOSE] < 0) {
                status = rs_err_set(e, RS_EINPUT, "%s:%lld: missing column: no close column",
                                    path, (long long)lineno);
                goto done;
            }
            if (o->adjust && col[C_ADJ] < 0) {
                status = rs_err_set(e, RS_EINPUT, "%s:%lld: missing column: no adjclose column "
                                    "(needed to adjust prices)", path, (long long)lineno);
                goto done;
            }
            /* Kept columns are found by name: a headerless file has none. */
            for (int j = 0; j < o->n_keep; j++) {
                if (!is_header) {
                    status = rs_err_set(e, RS_EINPUT, "%s:%lld: column '%s' requested, but the file has "
                                        "no header to find it by name", path, (long long)lineno,
                                        o->keep[j]);
                    goto done;
                }
                keep_col[j] = -1;
                for (int i = 0; i < nf && i < MAXF && keep_col[j] < 0; i++)
                    if (header_is(&f[i], o->keep[j])) keep_col[j] = i;
                if (keep_col[j] < 0) {
                    status = missing_keep(e, path, lineno, o->keep[j], f, nf);
                    goto done;
                }
                if (keep_col[j] > maxcol) maxcol = keep_col[j];
            }
            for (int i = 0; i < C_N; i++) if (col[i] > maxcol) maxcol = col[i];
            c->has_ohlc = col[C_OPEN] >= 0 && col[C_HIGH] >= 0 && col[C_LOW] >= 0;
            c->has_volume = col[C_VOL] >= 0;
            have_layout = 1;
            want_nf = nf;
            layout_line = lineno;
            layout_is_header = is_header;
            if (is_header) continue;
        }

        /* Every row has the header's field count (the first row's when there
         * is none): a row with one field more or less is shifted or cut, and
         * reading it by position would misread it, e.g. an unquoted
         * thousands separator "1,234.5" as two prices. */
        if (nf != want_nf) {
            if (layout_is_header)
                status = rs_err_set(e, RS_EINPUT, "%s:%lld: %d fields, the header has %d",
                                    path, (long long)lineno, nf, want_nf);
            else
                status = rs_err_set(e, RS_EINPUT, "%s:%lld: %d fields, the first row (line %lld) has %d",
                                    path, (long long)lineno, nf, (long long)layout_line, want_nf);
            goto done;
        }
        if (nf <= maxcol) {
            status = rs_err_set(e, RS_EINPUT, "%s:%lld: expected at least %d fields, found %d",
                                path, (long long)lineno, maxcol + 1, nf);
            goto done;
        }
        int64_t t;
        if (series_parse_time(f[ts_col].p, f[ts_col].n, &t)) {
            quote(got, sizeof got, f[ts_col].p, f[ts_col].n);
            status = rs_err_set(e, RS_EINPUT, "%s:%lld: column %d (time): expected a timestamp "
                                "(YYYY-MM-DD[ HH:MM[:SS]], YYYYMMDD[ HHMMSS] or unix seconds), got '%s'",
                                path, (long long)lineno, ts_col + 1, got);
            goto done;
        }
        if (tod_col >= 0) {
            int64_t tod;
            if (t % 86400 != 0 || parse_tod(f[tod_col].p, f[tod_col].n, &tod)) {
                quote(got, sizeof got, f[tod_col].p, f[tod_col].n);
                status = rs_err_set(e, RS_EINPUT, "%s:%lld: column %d (time): expected a time of day "
                                    "HH:MM[:SS], got '%s'", path, (long long)lineno, tod_col + 1, got);
                goto done;
            }
            t += tod;
        }
        if (c->n > 0 && t <= c->t[c->n - 1]) {
            status = rs_err_set(e, RS_EINPUT, "%s:%lld: column %d (time): timestamp %s is %s the "
                                "previous row's %s (line %lld); rows must be in strictly increasing time",
                                path, (long long)lineno, ts_col + 1, series_format_time(t, tb1),
                                t == c->t[c->n - 1] ? "a duplicate of" : "before",
                                series_format_time(c->t[c->n - 1], tb2), (long long)prev_line);
            goto done;
        }
        double v[C_N];
        static const int NUMERIC[6] = { C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_ADJ, C_VOL };
        for (int j = 0; j < 6; j++) {
            int role = NUMERIC[j], ci = col[role];
            if (ci < 0) continue;
            if (series_parse_number(f[ci].p, f[ci].n, &v[role])) {
                status = number_error(e, path, lineno, ci, ROLE_NAME[role], &f[ci], "");
                goto done;
            }
        }
        /* Kept columns: a number in every row, of any sign. */
        double kv[SERIES_COLS_MAX];
        int bad_keep = -1;
        for (int j = 0; j < o->n_keep && bad_keep < 0; j++)
            if (series_parse_number(f[keep_col[j]].p, f[keep_col[j]].n, &kv[j])) bad_keep = j;
        if (bad_keep >= 0) {
            if (o->drop_bad) { c->dropped++; continue; }
            char hint[96];
            snprintf(hint, sizeof hint, " (%s skips such rows)", o->drop_hint ? o->drop_hint : "drop_bad");
            status = number_error(e, path, lineno, keep_col[bad_keep], o->keep[bad_keep],
                                  &f[keep_col[bad_keep]], hint);
            goto done;
        }
        /* Prices must be positive (every feature and return is a log). */
        int nonpos = -1;
        for (int j = 0; j < 5; j++) {
            int role = NUMERIC[j];
            if (col[role] >= 0 && !(v[role] > 0)) { nonpos = role; break; }
        }
        if (nonpos >= 0) {
            if (o->drop_bad) { c->dropped++; continue; }
            quote(got, sizeof got, f[col[nonpos]].p, f[col[nonpos]].n);
            status = rs_err_set(e, RS_EINPUT, "%s:%lld: column %d (%s): expected a positive price, "
                                "got '%s' (%s skips such rows)", path, (long long)lineno, col[nonpos] + 1,
                                ROLE_NAME[nonpos], got, o->drop_hint ? o->drop_hint : "drop_bad");
            goto done;
        }
        if (c->has_ohlc && v[C_HIGH] < v[C_LOW]) {
            status = rs_err_set(e, RS_EINPUT, "%s:%lld: column %d (high): high %.10g is below "
                                "column %d (low) %.10g", path, (long long)lineno,
                                col[C_HIGH] + 1, v[C_HIGH], col[C_LOW] + 1, v[C_LOW]);
            goto done;
        }
        if (c->n == c->cap && chunk_grow(c)) {
            status = rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
            goto done;
        }
        if (c->n == 0) c->first_line = lineno;
        double cl = v[C_CLOSE];
        double op = col[C_OPEN] >= 0 ? v[C_OPEN] : cl;
        double hi = col[C_HIGH] >= 0 ? v[C_HIGH] : cl;
        double lo = col[C_LOW] >= 0 ? v[C_LOW] : cl;
        if (o->adjust && cl != 0) {
            double a = v[C_ADJ] / cl;
            op *= a; hi *= a; lo *= a; cl = v[C_ADJ];
        }
        int64_t i = c->n++;
        c->t[i] = t;
        c->v[0][i] = op / div;
        c->v[1][i] = hi / div;
        c->v[2][i] = lo / div;
        c->v[3][i] = cl / div;
        c->v[4][i] = c->has_volume ? v[C_VOL] : 0.0;
        for (int j = 0; j < o->n_keep; j++) c->v[5 + j][i] = kv[j];
        prev_line = lineno;
    }
    if (rc == -1) status = rs_err_set(e, RS_EINPUT, "%s:%lld: read error (corrupt or truncated "
                                      "gzip data?)", path, (long long)lineno + 1);
    else if (rc == -2) status = rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
    else if (c->n == 0) status = rs_err_set(e, RS_EINPUT, "%s:%lld: no data rows", path,
                                            (long long)lineno);
done:
    reader_close(&r);
    free(scratch);
    if (status) chunk_free(c);
    return status;
}

/* ---- series assembly ------------------------------------------------------ */

static void set_views(series *s) {
    s->open = s->px;
    s->high = s->px + s->n;
    s->low = s->px + 2 * s->n;
    s->close = s->px + 3 * s->n;
    s->volume = s->px + 4 * s->n;
    s->col = s->px + 5 * s->n;
}

int series_alloc_cols(series *s, int64_t n, int n_cols, rs_err *e) {
    memset(s, 0, sizeof *s);
    if (n_cols < 0 || n_cols > SERIES_COLS_MAX)
        return rs_err_set(e, RS_EINPUT, "series: %d extra columns, at most %d", n_cols, SERIES_COLS_MAX);
    s->n = n;
    s->n_cols = n_cols;
    s->t = malloc((size_t)(n > 0 ? n : 1) * sizeof *s->t);
    s->px = malloc((size_t)(n > 0 ? (5 + n_cols) * n : 1) * sizeof *s->px);
    if (!s->t || !s->px) {
        series_free(s);
        return rs_err_set(e, RS_EINTERNAL, "out of memory for a series of %lld bars", (long long)n);
    }
    s->has_ohlc = s->has_volume = 1;
    set_views(s);
    return 0;
}

int series_alloc(series *s, int64_t n, rs_err *e) { return series_alloc_cols(s, n, 0, e); }

void series_free(series *s) {
    if (!s) return;
    free(s->t);
    free(s->px);
    memset(s, 0, sizeof *s);
}

void series_count_gaps(series *s) {
    s->bar = s->gaps = s->missing = s->breaks = 0;
    if (s->n < 2) return;
    /* Modal spacing through a small open-addressing count table: a bar size
     * is the spacing most rows have, robust to holes that make the minimum
     * or the mean misleading.  Spacings that find no slot are ignored. */
    enum { HS = 256 };
    int64_t key[HS], cnt[HS];
    memset(cnt, 0, sizeof cnt);
    for (int64_t i = 1; i < s->n; i++) {
        int64_t d = s->t[i] - s->t[i - 1];
        unsigned h = (unsigned)(((uint64_t)d * 0x9E3779B97F4A7C15ULL) >> 56);
        for (int k = 0; k < 8; k++, h = (h + 1) % HS) {
            if (cnt[h] == 0) { key[h] = d; cnt[h] = 1; break; }
            if (key[h] == d) { cnt[h]++; break; }
        }
    }
    int64_t best = 0, bc = 0;
    for (int h = 0; h < HS; h++)
        if (cnt[h] > bc || (cnt[h] == bc && cnt[h] > 0 && key[h] < best)) { best = key[h]; bc = cnt[h]; }
    s->bar = best;
    for (int64_t i = 1; i < s->n; i++) {
        int64_t d = s->t[i] - s->t[i - 1];
        if (d <= best) continue;
        if (d >= 86400) s->breaks++;      /* a weekend or a holiday */
        else { s->gaps++; s->missing += d / best - 1; }
    }
}

static void name_from_path(const char *path, char *name) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char tmp[SERIES_NAME_MAX];
    snprintf(tmp, sizeof tmp, "%s", b);
    static const char *const EXT[] = { ".gz", ".csv", ".txt", ".tsv" };
    for (int k = 0; k < 4; k++) {
        size_t n = strlen(tmp), m = strlen(EXT[k]);
        if (n > m && !strcasecmp(tmp + n - m, EXT[k])) tmp[n - m] = '\0';
    }
    /* HistData: DAT_ASCII_<PAIR>_M1_<YYYY> -> <PAIR>. */
    if (!strncmp(tmp, "DAT_ASCII_", 10)) {
        char *p = tmp + 10, *q = strchr(p, '_');
        if (q) *q = '\0';
        memmove(tmp, p, strlen(p) + 1);
    }
    snprintf(name, SERIES_NAME_MAX, "%s", tmp);
}

typedef struct { int64_t t0; int idx; } order_key;

static int cmp_order(const void *a, const void *b) {
    const order_key *x = a, *y = b;
    return (x->t0 > y->t0) - (x->t0 < y->t0);
}

int series_load_files(const char *const *paths, int n_paths, const series_opts *o,
                      series *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    series_opts def;
    if (!o) { memset(&def, 0, sizeof def); o = &def; }
    if (n_paths <= 0) return rs_err_set(e, RS_EINPUT, "no input files");
    if (o->n_keep < 0 || o->n_keep > SERIES_COLS_MAX)
        return rs_err_set(e, RS_EINPUT, "%s: %d extra columns requested, at most %d", paths[0],
                          o->n_keep, SERIES_COLS_MAX);
    for (int j = 0; j < o->n_keep; j++) {
        size_t l = o->keep && o->keep[j] ? strlen(o->keep[j]) : 0;
        if (l == 0 || l >= SERIES_NAME_MAX)
            return rs_err_set(e, RS_EINPUT, "%s: extra column %d: a name of 1 to %d characters expected",
                              paths[0], j + 1, SERIES_NAME_MAX - 1);
    }
    chunk *c = calloc((size_t)n_paths, sizeof *c);
    rs_err *errs = calloc((size_t)n_paths, sizeof *errs);
    order_key *ord = calloc((size_t)n_paths, sizeof *ord);
    int status = 0;
    if (!c || !errs || !ord) { status = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }

    /* Files are independent: one per thread. */
    #pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n_paths; i++) parse_file(paths[i], o, &c[i], &errs[i]);
    for (int i = 0; i < n_paths; i++)
        if (errs[i].status) { status = errs[i].status; if (e) *e = errs[i]; goto done; }

    int64_t n = 0;
    for (int i = 0; i < n_paths; i++) { ord[i].t0 = c[i].t[0]; ord[i].idx = i; n += c[i].n; }
    qsort(ord, (size_t)n_paths, sizeof *ord, cmp_order);
    for (int k = 1; k < n_paths; k++) {
        const chunk *a = &c[ord[k - 1].idx], *b = &c[ord[k].idx];
        if (b->t[0] <= a->t[a->n - 1]) {
            char t1[20], t2[20];
            status = rs_err_set(e, RS_EINPUT, "%s:%lld: first timestamp %s is not after the last "
                                "timestamp %s of %s: the files of one instrument overlap",
                                paths[ord[k].idx], (long long)b->first_line,
                                series_format_time(b->t[0], t1), series_format_time(a->t[a->n - 1], t2),
                                paths[ord[k - 1].idx]);
            goto done;
        }
    }
    if ((status = series_alloc_cols(out, n, o->n_keep, e))) goto done;
    for (int j = 0; j < o->n_keep; j++) snprintf(out->col_name[j], SERIES_NAME_MAX, "%s", o->keep[j]);
    out->has_ohlc = out->has_volume = 1;
    int64_t at = 0;
    for (int k = 0; k < n_paths; k++) {
        const chunk *a = &c[ord[k].idx];
        memcpy(out->t + at, a->t, (size_t)a->n * sizeof *a->t);
        for (int j = 0; j < 5 + o->n_keep; j++)
            memcpy(out->px + j * n + at, a->v[j], (size_t)a->n * sizeof(double));
        out->has_ohlc &= a->has_ohlc;
        out->has_volume &= a->has_volume;
        out->dropped += a->dropped;
        at += a->n;
    }
    out->n_files = n_paths;
    if (o->name) snprintf(out->name, sizeof out->name, "%s", o->name);
    else name_from_path(paths[ord[0].idx], out->name);
    series_count_gaps(out);
done:
    if (c) for (int i = 0; i < n_paths; i++) chunk_free(&c[i]);
    free(c);
    free(errs);
    free(ord);
    return status;
}

int series_load(const char *pattern, const series_opts *o, series *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    if (!strpbrk(pattern, "*?[{")) return series_load_files(&pattern, 1, o, out, e);
    glob_t g;
    int rc = glob(pattern, GLOB_BRACE, NULL, &g);
    if (rc == GLOB_NOMATCH) { globfree(&g); return rs_err_set(e, RS_EINPUT, "%s: no file matches", pattern); }
    if (rc) { globfree(&g); return rs_err_set(e, RS_EINTERNAL, "%s: glob failed", pattern); }
    rc = series_load_files((const char *const *)g.gl_pathv, (int)g.gl_pathc, o, out, e);
    globfree(&g);
    return rc;
}

/* ---- alignment and resampling -------------------------------------------- */

int series_align(const series *in, int k, int mode, series *out, rs_err *e) {
    for (int i = 0; i < k; i++) memset(&out[i], 0, sizeof out[i]);
    if (k <= 0) return rs_err_set(e, RS_EINPUT, "series_align: no series");
    int64_t *p = calloc((size_t)k, sizeof *p);
    if (!p) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    for (int i = 0; i < k; i++) {
        if (in[i].n == 0) { free(p); return rs_err_set(e, RS_EINPUT, "series_align: %s is empty", in[i].name); }
        if (in[i].t[0] > lo) lo = in[i].t[0];
        if (in[i].t[in[i].n - 1] < hi) hi = in[i].t[in[i].n - 1];
    }
    int status = 0;
    /* Pass 0 counts, pass 1 fills: the px block layout needs n up front. */
    int64_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < k; i++) {
            p[i] = 0;
            while (p[i] < in[i].n && in[i].t[p[i]] < lo) p[i]++;
        }
        int64_t m = 0;
        for (;;) {
            int64_t ts = INT64_MAX, tmax = INT64_MIN;
            int done = 0;
            for (int i = 0; i < k; i++) {
                if (p[i] >= in[i].n) { done = 1; break; }
                int64_t v = in[i].t[p[i]];
                if (v < ts) ts = v;
                if (v > tmax) tmax = v;
            }
            if (done && mode == SERIES_INNER) break;
            if (mode == SERIES_INNER) {
                if (ts != tmax) {                      /* advance the laggards */
                    for (int i = 0; i < k; i++)
                        while (p[i] < in[i].n && in[i].t[p[i]] < tmax) p[i]++;
                    continue;
                }
            } else {
                ts = INT64_MAX;
                for (int i = 0; i < k; i++)
                    if (p[i] < in[i].n && in[i].t[p[i]] < ts) ts = in[i].t[p[i]];
                if (ts > hi) break;
            }
            if (pass == 1) {
                for (int i = 0; i < k; i++) {
                    series *s = &out[i];
                    s->t[m] = ts;
                    int64_t j = p[i];
                    if (p[i] < in[i].n && in[i].t[p[i]] == ts) {
                        s->open[m] = in[i].open[j]; s->high[m] = in[i].high[j];
                        s->low[m] = in[i].low[j];   s->close[m] = in[i].close[j];
                        s->volume[m] = in[i].volume[j];
                    } else {                           /* flat bar at the previous close */
                        double c = in[i].close[--j];
                        s->open[m] = s->high[m] = s->low[m] = s->close[m] = c;
                        s->volume[m] = 0;
                        s->filled++;
                    }
                    /* Extra columns: this bar's value, or the previous one's. */
                    for (int q = 0; q < s->n_cols; q++) s->col[q * n + m] = in[i].col[q * in[i].n + j];
                }
            }
            for (int i = 0; i < k; i++)
                if (p[i] < in[i].n && in[i].t[p[i]] == ts) p[i]++;
            m++;
        }
        if (pass == 0) {
            n = m;
            if (n == 0) {
                status = rs_err_set(e, RS_EINPUT, "series_align: %s and the other series have no "
                                    "common timestamps", in[0].name);
                break;
            }
            for (int i = 0; i < k; i++) {
                if ((status = series_alloc_cols(&out[i], n, in[i].n_cols, e))) break;
                memcpy(out[i].name, in[i].name, sizeof out[i].name);
                memcpy(out[i].col_name, in[i].col_name, sizeof out[i].col_name);
                out[i].has_ohlc = in[i].has_ohlc;
                out[i].has_volume = in[i].has_volume;
                out[i].n_files = in[i].n_files;
                out[i].dropped = in[i].dropped;
            }
            if (status) break;
        }
    }
    free(p);
    if (status) { for (int i = 0; i < k; i++) series_free(&out[i]); return status; }
    for (int i = 0; i < k; i++) series_count_gaps(&out[i]);
    return 0;
}

int series_resample(const series *in, int64_t bar, int64_t offset, series *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    if (bar <= 0) return rs_err_set(e, RS_EINPUT, "resample: bar of %lld seconds must be positive",
                                    (long long)bar);
    int64_t n = 0, prev = 0;
    for (int64_t i = 0; i < in->n; i++) {
        int64_t b = offset + floor_div(in->t[i] - offset, bar) * bar;
        if (i == 0 || b != prev) n++;
        prev = b;
    }
    int rc = series_alloc_cols(out, n, in->n_cols, e);
    if (rc) return rc;
    int64_t m = -1;
    for (int64_t i = 0; i < in->n; i++) {
        int64_t b = offset + floor_div(in->t[i] - offset, bar) * bar;
        if (m < 0 || b != out->t[m]) {
            m++;
            out->t[m] = b;
            out->open[m] = in->open[i];
            out->high[m] = in->high[i];
            out->low[m] = in->low[i];
            out->volume[m] = 0;
        }
        if (in->high[i] > out->high[m]) out->high[m] = in->high[i];
        if (in->low[i] < out->low[m]) out->low[m] = in->low[i];
        out->close[m] = in->close[i];
        out->volume[m] += in->volume[i];
        for (int q = 0; q < in->n_cols; q++) out->col[q * n + m] = in->col[q * in->n + i];   /* the last */
    }
    memcpy(out->name, in->name, sizeof out->name);
    memcpy(out->col_name, in->col_name, sizeof out->col_name);
    out->has_ohlc = in->has_ohlc;
    out->has_volume = in->has_volume;
    out->n_files = in->n_files;
    out->dropped = in->dropped;
    series_count_gaps(out);
    return 0;
}

void series_describe(const series *s, FILE *f) {
    char a[20], b[20];
    if (s->n == 0) { fprintf(f, "%s: empty\n", s->name); return; }
    fprintf(f, "%s: %lld bars from %d file(s), %s .. %s, bar %llds, %lld gaps (%lld bars missing), "
            "%lld breaks >= 1 day, %lld bad rows dropped, %lld bars forward-filled\n",
            s->name, (long long)s->n, s->n_files,
            series_format_time(s->t[0], a), series_format_time(s->t[s->n - 1], b),
            (long long)s->bar, (long long)s->gaps, (long long)s->missing, (long long)s->breaks,
            (long long)s->dropped, (long long)s->filled);
}

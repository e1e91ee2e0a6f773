/*
 * series.h — price series: loading CSV / gzip'd CSV files, timestamps,
 * multi-file instruments, alignment of several instruments, resampling,
 * validation and gap counting.
 *
 * A series is one instrument's bars in time order, held in two flat arrays
 * (`t` and `px`) so rank 0 can MPI_Bcast them as they are: see series_alloc.
 * Besides OHLCV a series may carry extra numeric columns of its file (e.g. a
 * daily sentiment score): those series_opts.keep names, stored after the
 * volume in the same `px` block.
 *
 * Files.  CSV, plain or gzip'd (zlib reads both transparently), delimiter
 * ',' ';' or tab (detected from the first line unless given: ';' if one
 * occurs outside quotes, else tab, else ','), with or without a header
 * (detected: a first line whose first field is not a timestamp is a header).
 * Quoting follows RFC 4180 within a line: a field may be enclosed in double
 * quotes (spaces around them allowed), inside which the delimiter is data
 * and "" is one quote; the quotes are removed before the field is read.  A
 * quoted field spanning lines is refused (file:line), not supported.  Every
 * data row must have as many fields as the header, or for a headerless file
 * as the first row.  Numbers are plain decimals: "1,234.5" (quoted or not)
 * is refused, never read as 1234.5 or as two fields.  Fields past the 256th
 * are counted but cannot be columns.
 * With a header, columns are found by name, case-insensitively,
 * ignoring surrounding spaces and quotes:
 *     time   : date, time, datetime, timestamp  (a "date" plus a "time"
 *              column are combined into one timestamp)
 *     prices : open, high, low, close, adjclose | "adj close" | adj_close
 *     volume : volume | tick_volume
 *     extra  : any other column named in series_opts.keep (case-insensitive,
 *              surrounding spaces ignored), kept as series.col
 * Other columns are ignored.  Without a header the layout is positional:
 * `series_opts.columns` when given (e.g. "date,time,open,high,low,close,-",
 * where "-" skips a field), otherwise timestamp, [time-of-day,] open, high,
 * low, close [, volume] — which is HistData's M1 layout.
 * A time column and a close column are required; missing open/high/low are
 * set to the close (has_ohlc = 0) and a missing volume to 0 (has_volume = 0).
 * A kept column is a value known at its own bar's close (a feature may use
 * it at that bar); every row needs a number there.
 *
 * Timestamps are int64 seconds since 1970-01-01 taken at face value in the
 * file's own clock (no time-zone conversion).  Accepted per field:
 *     YYYY-MM-DD              ('-', '/' or '.' between the parts)
 *     YYYY-MM-DD HH:MM[:SS]   (' ' or 'T' before the time, optional 'Z')
 *     YYYYMMDD[ HHMMSS]       (HistData M1: "20170102 020000")
 *     unix seconds            (9 to 12 digits)
 * and for a separate time-of-day column HH:MM[:SS] or HHMM[SS] (a headerless
 * file's second field is taken as a time of day only when it has a ':').
 *
 * Validation (status RS_EINPUT = 2, message "file:line: ..." naming the
 * column where there is one): an unreadable or missing file, a glob with no
 * match, a file without data rows, a missing time/close column, a row whose
 * field count differs ("file:line: 7 fields, the header has 6" / "..., the
 * first row (line 1) has 6"), a NUL byte anywhere ("file:line: column N: a
 * NUL byte ..."), a quote left open at the end of a line, text after a
 * closing quote, a quote inside an unquoted field, an unparsable timestamp
 * or number ("file:line: column N (open): expected a number, got '1,234.5'
 * (thousands separators are not supported)"), a price <= 0 (unless
 * drop_bad), a kept column the header lacks ("file:1: missing column
 * 'sentiment' (the header has: date, close, volume)"), a kept column
 * requested from a headerless file, an empty or non-numeric value in a kept
 * column ("file:line: column 3 (sentiment): expected a number, got 'n/a'";
 * drop_bad skips and counts such rows), more than SERIES_COLS_MAX kept
 * columns, high < low, timestamps not strictly increasing (unsorted or
 * duplicate) within a file or across the files of one instrument (overlap),
 * corrupt gzip data.  Gaps are counted (series.gaps/missing/breaks), not
 * fatal.
 *
 * Memory: every function filling a `series *out` allocates its arrays; the
 * caller releases them with series_free.  On error *out is left empty
 * (all zero, safe to series_free).
 */
#ifndef RS_SERIES_H
#define RS_SERIES_H

#include <stdint.h>
#include <stdio.h>

#include "worker/util.h"

#define SERIES_NAME_MAX 64
#define SERIES_COLS_MAX 16      /* extra columns one series can keep */

typedef struct {
    char     name[SERIES_NAME_MAX]; /* instrument name: opts.name or from the file name */
    int64_t  n;                     /* number of bars                                   */
    int64_t *t;                     /* [n] seconds since 1970, strictly increasing       */
    double  *px;                    /* [(5+n_cols)*n] one block: open | high | low |     */
                                    /* close | volume | extra column 0 | 1 | ...        */
    double  *open, *high, *low, *close, *volume; /* views into px, n each            */
    int      n_cols;                /* extra columns kept (series_opts.keep), 0..16      */
    char     col_name[SERIES_COLS_MAX][SERIES_NAME_MAX]; /* their names, as requested  */
    double  *col;                   /* view into px: column j is col[j*n .. j*n+n-1]     */
    int      has_ohlc;              /* 0: the source had no open/high/low (= close)      */
    int      has_volume;            /* 0: the source had no volume (= 0)                 */
    int      n_files;               /* files concatenated into this series               */
    int64_t  bar;                   /* modal spacing of t in seconds (0 when n < 2)      */
    int64_t  gaps;                  /* spacings > bar but < 1 day: holes in a session    */
    int64_t  missing;               /* bars missing inside those gaps                    */
    int64_t  breaks;                /* spacings >= 1 day: weekends, holidays            */
    int64_t  filled;                /* bars forward-filled by series_align (else 0)      */
    int64_t  dropped;               /* rows skipped by drop_bad: a non-positive price or */
                                    /* a kept column without a number                  */
} series;

enum { SERIES_HDR_AUTO = 0, SERIES_HDR_YES = 1, SERIES_HDR_NO = 2 };

/* Loading options.  A zero-initialised struct means "detect everything,
 * prices as stored, name from the file". */
typedef struct {
    char        delim;      /* ',' ';' '\t', or 0 = detect from the first line          */
    int         header;     /* SERIES_HDR_AUTO / _YES / _NO                              */
    double      price_div;  /* prices are divided by this (100000: 129613 -> 1.29613);  */
                            /* 0 or 1 = as stored.  Volume is never divided.             */
    int         adjust;     /* 1: multiply open/high/low/close by adjclose/close         */
                            /* (an adjclose column is then required)                     */
    const char *columns;    /* headerless layout, comma-separated: date, time, datetime, */
                            /* open, high, low, close, adjclose, volume, "-" (skip);    */
                            /* NULL = the default layout described above                 */
    const char *name;       /* instrument name; NULL = derived from the first file name  */
    int         drop_bad;   /* 1: skip rows with a price <= 0 (vendor bad ticks, e.g.    */
                            /* HistData EURUSD 2001-09-11 20:12 at -0.0001) or an empty  */
                            /* or non-numeric value in a kept column, and count them in */
                            /* series.dropped; 0: such a row is an error                 */
    const char *const *keep; /* extra columns to keep, by header name (case-insensitive, */
                            /* at most SERIES_COLS_MAX, each < SERIES_NAME_MAX chars);   */
                            /* series.col_name[j] = keep[j].  Every file of the         */
                            /* instrument must have them.  Not owned.                    */
    int         n_keep;     /* entries of keep; 0 = keep none                            */
    const char *drop_hint;  /* how the CALLER's user turns drop_bad on, named in the     */
                            /* error for a row it would skip: "[data] drop_bad = 1",    */
                            /* "--drop-bad"; NULL = "drop_bad"                          */
} series_opts;

/* Load one instrument from `pattern`: a path or a glob(3) pattern (brace
 * expansion allowed), e.g. ".../DAT_ASCII_EURUSD_M1_*.csv.gz".  All matching
 * files are parsed (in parallel with OpenMP) and concatenated in time order —
 * ordered by their first timestamp, not their names; files that overlap in
 * time are an error.  `o` may be NULL (all defaults).
 * Returns 0, or RS_EINPUT / RS_EINTERNAL with *e filled and *out empty. */
int series_load(const char *pattern, const series_opts *o, series *out, rs_err *e);

/* The same for an explicit list of files (no globbing). */
int series_load_files(const char *const *paths, int n_paths, const series_opts *o,
                      series *out, rs_err *e);

/* Allocate an empty series of n bars without extra columns (t and px
 * uninitialised, views set, stats zero).  Returns 0 or RS_EINTERNAL. */
int series_alloc(series *s, int64_t n, rs_err *e);

/* The same with n_cols (0..SERIES_COLS_MAX) extra columns: px holds
 * (5 + n_cols) * n doubles, col_name is left empty for the caller.  For
 * receivers of a broadcast: series_alloc_cols then MPI_Bcast t (n int64)
 * and px ((5 + n_cols) * n double).  Returns 0, RS_EINPUT (n_cols out of
 * range) or RS_EINTERNAL. */
int series_alloc_cols(series *s, int64_t n, int n_cols, rs_err *e);

/* Release a series' arrays and zero it.  NULL and empty series are fine. */
void series_free(series *s);

/* Recompute bar, gaps, missing and breaks from s->t. */
void series_count_gaps(series *s);

enum { SERIES_INNER = 0, SERIES_FFILL = 1 };

/* Align k series on common timestamps.
 *   SERIES_INNER: keep the timestamps present in every series.
 *   SERIES_FFILL: keep every timestamp of any series between the latest
 *                 first timestamp and the earliest last one (so no series is
 *                 filled before it starts or after it ends); a series missing
 *                 a bar gets a flat bar at its previous close (volume 0) —
 *                 past data only, never future.  out[i].filled counts them.
 * Extra columns go along: the value of the bar, or under SERIES_FFILL the
 * previous bar's value for a filled bar.
 * out[0..k-1] receive new series sharing identical t arrays' contents.
 * Returns 0, or RS_EINPUT when the result would be empty. */
int series_align(const series *in, int k, int mode, series *out, rs_err *e);

/* Resample to bars of `bar_seconds` (e.g. 3600 for 1-minute -> 1-hour).
 * A bar covers [b, b + bar_seconds) with b = offset + k * bar_seconds and is
 * stamped b; open = first open, high = max, low = min, close = last close,
 * volume = sum, each extra column = its last value (the one known at the
 * resampled bar's close).  Empty buckets produce no bar.  Returns 0 or RS_EINPUT for
 * bar_seconds <= 0. */
int series_resample(const series *in, int64_t bar_seconds, int64_t offset,
                    series *out, rs_err *e);

/* ---- calendar (proleptic Gregorian, no time zones) ------------------- */

/* Days since 1970-01-01 of a civil date (any year, month 1-12, day 1-31). */
int64_t series_days_from_civil(int y, int m, int d);

/* Civil date of a day number. */
void series_civil_from_days(int64_t z, int *y, int *m, int *d);

/* Calendar year of a timestamp. */
int series_year(int64_t t);

/* Seconds since 1970 of a civil date-time. */
int64_t series_time(int y, int mo, int d, int h, int mi, int s);

/* Format t as "YYYY-MM-DD HH:MM:SS" into buf (at least 20 bytes); returns buf. */
char *series_format_time(int64_t t, char *buf);

/* Parse one timestamp field (formats above) of length len.
 * Returns 0 and *out, or -1 when the text is not a timestamp. */
int series_parse_time(const char *s, size_t len, int64_t *out);

/* Parse a decimal number (optional sign, digits, '.', exponent; surrounding
 * spaces and double quotes ignored) exactly: Clinger's fast path when the
 * mantissa is < 2^53 and the power of ten <= 22, strtod otherwise.
 * Returns 0 and *out (always finite), or -1. */
int series_parse_number(const char *s, size_t len, double *out);

/* One line describing a series: name, rows, span, bar, gaps. */
void series_describe(const series *s, FILE *f);

#endif /* RS_SERIES_H */

/* test_series.c — loading, timestamps, validation, alignment, resampling,
 * and the real files in ../shared/data when present. */
#include "tests/cu.h"
#include "worker/series.h"

#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- temporary files ------------------------------------------------------ */

static char tmpdir[256];
static char tmpfiles[32][320];
static int n_tmp;

static void tmp_end(void) {
    if (!tmpdir[0]) return;
    for (int i = 0; i < n_tmp; i++) unlink(tmpfiles[i]);
    rmdir(tmpdir);
    tmpdir[0] = '\0';
    n_tmp = 0;
}

/* A failed _FATAL assertion leaves its test early: the next tmp_begin, or
 * exit, still removes what it wrote. */
static void tmp_begin(void) {
    static int registered;
    if (!registered) { atexit(tmp_end); registered = 1; }
    tmp_end();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rs_series_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); exit(1); }
}

/* Write `text` to tmpdir/name (gzip'd when the name ends in .gz); returns the path. */
static const char *put(const char *name, const char *text) {
    char *p = tmpfiles[n_tmp++];
    snprintf(p, 320, "%s/%s", tmpdir, name);
    size_t n = strlen(text);
    if (n > 3 && !strcmp(name + strlen(name) - 3, ".gz")) {
        gzFile g = gzopen(p, "wb");
        gzwrite(g, text, (unsigned)n);
        gzclose(g);
    } else {
        FILE *f = fopen(p, "wb");
        fwrite(text, 1, n, f);
        fclose(f);
    }
    return p;
}

/* Load text written to a file of the given name; returns the status. */
static int load_text(const char *name, const char *text, const series_opts *o, series *s, rs_err *e) {
    rs_err_clear(e);
    return series_load(put(name, text), o, s, e);
}

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

/* ---- numbers and timestamps ---------------------------------------------- */

static void test_parse_number(void) {
    /* The fast path must give strtod's bits; random decimals of every length. */
    rs_rng r;
    rs_rng_seed(&r, 11);
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        int digits = 1 + (int)rs_rng_below(&r, 19), point = (int)rs_rng_below(&r, (uint32_t)digits + 1);
        int k = 0;
        if (rs_rng_below(&r, 4) == 0) buf[k++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0) buf[k++] = '.';
            buf[k++] = (char)('0' + rs_rng_below(&r, 10));
        }
        if (rs_rng_below(&r, 8) == 0) k += sprintf(buf + k, "e%d", (int)rs_rng_below(&r, 61) - 30);
        buf[k] = '\0';
        double a = 0, b = strtod(buf, NULL);
        CU_ASSERT_EQUAL_FATAL(series_parse_number(buf, (size_t)k, &a), 0);
        if (memcmp(&a, &b, sizeof a)) { printf("\n  %s: %.17g vs strtod %.17g\n", buf, a, b); CU_FAIL("bits"); }
    }
    double v;
    CU_ASSERT_EQUAL(series_parse_number(" \"1.051550\" ", 12, &v), 0);
    CU_ASSERT_EQUAL(v, 1.05155);
    CU_ASSERT_EQUAL(series_parse_number("129613.0", 8, &v), 0);
    CU_ASSERT_EQUAL(v / 100000, 1.29613);
    CU_ASSERT_EQUAL(series_parse_number("12345678901234567890123", 23, &v), 0);  /* > 19 digits */
    CU_ASSERT_EQUAL(v, 12345678901234567890123.0);
    const char *bad[] = { "", " ", "abc", "1.2.3", "1e", "nan", "inf", "--1", "1,5", ".", "-", "1 2", "0x10" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_EQUAL(series_parse_number(bad[i], strlen(bad[i]), &v), -1);
}

static void test_parse_time(void) {
    struct { const char *s; int64_t t; } ok[] = {
        { "2017-01-02", 1483315200 },
        { "2017-01-02 02:00", 1483322400 },
        { "2017-01-02 02:00:30", 1483322430 },
        { "2017-01-02T02:00:30Z", 1483322430 },
        { "2017/01/02", 1483315200 },
        { "2017.01.02 02:00:30.000", 1483322430 },
        { "20170102 020000", 1483322400 },
        { "20170102", 1483315200 },
        { "1483322400", 1483322400 },
        { "2000-02-29", 951782400 },
        { "1969-12-31 23:59:59", -1 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t t = 0;
        CU_ASSERT_EQUAL(series_parse_time(ok[i].s, strlen(ok[i].s), &t), 0);
        CU_ASSERT_EQUAL(t, ok[i].t);
    }
    const char *bad[] = { "", "abc", "2017-02-30", "2017-13-01", "20171301", "2019-02-29",
                          "2017-01-02 24:00", "2017-01-02 10:61", "2017-01-02 02:00:30.5",
                          "20170102 0200000", "2017-1-2", "12345" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t t;
        CU_ASSERT_EQUAL(series_parse_time(bad[i], strlen(bad[i]), &t), -1);
    }
    /* Civil <-> days round trip, and year boundaries by the second. */
    for (int64_t z = -800000; z <= 800000; z += 37) {
        int y, m, d;
        series_civil_from_days(z, &y, &m, &d);
        CU_ASSERT_EQUAL_FATAL(series_days_from_civil(y, m, d), z);
    }
    CU_ASSERT_EQUAL(series_year(series_time(2017, 1, 1, 0, 0, 0)), 2017);
    CU_ASSERT_EQUAL(series_year(series_time(2017, 1, 1, 0, 0, 0) - 1), 2016);
    CU_ASSERT_EQUAL(series_year(-1), 1969);
    char b[20];
    CU_ASSERT_STRING_EQUAL(series_format_time(1483322430, b), "2017-01-02 02:00:30");
}

/* ---- formats ---------------------------------------------------------------- */

static void test_format_header_comma(void) {
    tmp_begin();
    series s;
    rs_err e;
    const char *csv =
        "date,open,high,low,close,adjclose,volume\n"
        "2000-01-03,1469.25,1478.0,1438.36,1455.22,727.61,931800000\n"
        "2000-01-04,1455.22,1455.22,1397.43,1399.42,699.71,1009000000\n"
        "2000-01-05,1399.42,1413.27,1377.68,1402.11,701.055,1085500000\n";
    CU_ASSERT_EQUAL_FATAL(load_text("sp.csv", csv, NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 3);
    CU_ASSERT_STRING_EQUAL(s.name, "sp");
    CU_ASSERT(s.has_ohlc && s.has_volume);
    CU_ASSERT_EQUAL(s.t[1], series_time(2000, 1, 4, 0, 0, 0));
    CU_ASSERT_EQUAL(s.open[0], 1469.25);
    CU_ASSERT_EQUAL(s.high[2], 1413.27);
    CU_ASSERT_EQUAL(s.low[1], 1397.43);
    CU_ASSERT_EQUAL(s.close[2], 1402.11);
    CU_ASSERT_EQUAL(s.volume[1], 1009000000.0);
    CU_ASSERT_EQUAL(s.bar, 86400);
    series_free(&s);
    /* adjust: OHLC scaled by adjclose/close (here exactly one half). */
    series_opts o = { .adjust = 1 };
    CU_ASSERT_EQUAL_FATAL(series_load(tmpfiles[0], &o, &s, &e), 0);
    CU_ASSERT_CLOSE(s.close[0], 727.61, 1e-12);
    CU_ASSERT_CLOSE(s.open[0], 1469.25 * 727.61 / 1455.22, 1e-9);
    series_free(&s);
    tmp_end();
}

static void test_format_histdata_gz(void) {
    tmp_begin();
    series s;
    rs_err e;
    const char *txt =
        "20170102 020000;1.051550;1.051970;1.051550;1.051900;0\n"
        "20170102 020100;1.052090;1.052090;1.051770;1.051790;0\n"
        "20170102 020200;1.051770;1.051980;1.051770;1.051780;0";    /* no final newline */
    CU_ASSERT_EQUAL_FATAL(load_text("DAT_ASCII_EURUSD_M1_2017.csv.gz", txt, NULL, &s, &e), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "EURUSD");
    CU_ASSERT_EQUAL(s.n, 3);
    CU_ASSERT_EQUAL(s.t[0], series_time(2017, 1, 2, 2, 0, 0));
    CU_ASSERT_EQUAL(s.t[2] - s.t[0], 120);
    CU_ASSERT_EQUAL(s.open[1], 1.05209);
    CU_ASSERT_EQUAL(s.close[2], 1.05178);
    CU_ASSERT_EQUAL(s.bar, 60);
    CU_ASSERT_EQUAL(s.gaps, 0);
    series_free(&s);
    tmp_end();
}

static void test_format_tab_unix_tickvol(void) {
    tmp_begin();
    series s;
    rs_err e;
    const char *txt =
        "Timestamp\tOpen\tHigh\tLow\tClose\ttick_volume\tspread\n"
        "1483322400\t1.5\t1.6\t1.4\t1.55\t12\t3\n"
        "1483326000\t1.55\t1.7\t1.5\t1.65\t20\t3\n";
    CU_ASSERT_EQUAL_FATAL(load_text("x.tsv", txt, NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(s.t[1], 1483326000);
    CU_ASSERT_EQUAL(s.volume[1], 20.0);
    CU_ASSERT_EQUAL(s.high[1], 1.7);
    CU_ASSERT_EQUAL(s.bar, 3600);
    series_free(&s);
    tmp_end();
}

static void test_format_date_time_crlf_bom(void) {
    tmp_begin();
    series s;
    rs_err e;
    const char *txt =
        "\xEF\xBB\xBF\"Date\",\"Time\",\"OPEN\",\"High\",\"Low\",\"Adj Close\",\"Close\"\r\n"
        "\"2017.01.02\",\"02:00\",\"1.1\",\"1.2\",\"1.0\",\"9\",\"1.15\"\r\n"
        "\r\n"
        "\"2017.01.02\",\"02:05:30\",\"1.15\",\"1.25\",\"1.1\",\"9\",\"1.2\"\r\n";
    CU_ASSERT_EQUAL_FATAL(load_text("dt.csv", txt, NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(s.t[0], series_time(2017, 1, 2, 2, 0, 0));
    CU_ASSERT_EQUAL(s.t[1], series_time(2017, 1, 2, 2, 5, 30));
    CU_ASSERT_EQUAL(s.close[1], 1.2);           /* "Close", not "Adj Close" */
    CU_ASSERT_EQUAL(s.open[0], 1.1);
    CU_ASSERT(!s.has_volume);
    CU_ASSERT_EQUAL(s.volume[0], 0.0);
    series_free(&s);
    /* Headerless date + time columns (MetaTrader export), default layout. */
    CU_ASSERT_EQUAL_FATAL(load_text("mt.csv", "2017.01.02,02:00,1.1,1.2,1.0,1.15,7\n"
                                    "2017.01.02,02:01,1.15,1.25,1.1,1.2,8\n", NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.t[1], series_time(2017, 1, 2, 2, 1, 0));
    CU_ASSERT_EQUAL(s.volume[1], 8.0);
    series_free(&s);
    tmp_end();
}

static void test_format_columns_and_scale(void) {
    tmp_begin();
    series s;
    rs_err e;
    /* Broker file with prices stored x100000 (ejtrader layout). */
    series_opts o = { .price_div = 100000, .name = "GBPUSD" };
    const char *txt = "Date,open,high,low,close,tick_volume\n"
                      "2012-11-16 05:00:00,158611.0,158618.0,158572.0,158599.0,1032\n"
                      "2012-11-16 06:00:00,158597.0,158628.0,158573.0,129613.0,1220\n";
    CU_ASSERT_EQUAL_FATAL(load_text("GBPUSDh1.csv", txt, &o, &s, &e), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "GBPUSD");
    CU_ASSERT_EQUAL(s.close[1], 1.29613);       /* correctly rounded, not 129613 * 1e-5 */
    CU_ASSERT_EQUAL(s.open[0], 1.58611);
    CU_ASSERT_EQUAL(s.volume[0], 1032.0);       /* volume is not divided */
    series_free(&s);
    /* Headerless, explicit layout with a skipped column, close only. */
    series_opts o2 = { .columns = "-,datetime,close", .header = SERIES_HDR_NO };
    CU_ASSERT_EQUAL_FATAL(load_text("c.csv", "a,2020-01-01,5\nb,2020-01-02,6\n", &o2, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT(!s.has_ohlc);
    CU_ASSERT_EQUAL(s.high[1], 6.0);
    CU_ASSERT_EQUAL(s.close[1], 6.0);
    series_free(&s);
    /* Headerless date + close, default layout. */
    CU_ASSERT_EQUAL_FATAL(load_text("d.csv", "2020-01-01;5\n2020-01-03;7.5\n", NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.close[1], 7.5);
    series_free(&s);
    tmp_end();
}

static void test_multifile_glob(void) {
    tmp_begin();
    series s;
    rs_err e;
    /* Names sort against time: order must come from the timestamps. */
    put("b_2019.csv", "date,close\n2019-12-30,1\n2019-12-31,2\n");
    put("a_2020.csv", "date,close\n2020-01-02,3\n2020-01-03,4\n");
    put("c_2018.csv.gz", "date,close\n2018-06-01,0.5\n");
    char pat[300];
    snprintf(pat, sizeof pat, "%s/*.csv*", tmpdir);
    rs_err_clear(&e);
    CU_ASSERT_EQUAL_FATAL(series_load(pat, NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 5);
    CU_ASSERT_EQUAL(s.n_files, 3);
    double want[5] = { 0.5, 1, 2, 3, 4 };
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(s.close[i], want[i]);
    for (int i = 1; i < 5; i++) CU_ASSERT(s.t[i] > s.t[i - 1]);
    series_free(&s);
    /* Overlapping files are an error naming both. */
    const char *ov = put("d_overlap.csv", "date,close\n2019-12-31,9\n2020-01-01,9\n");
    CU_ASSERT_EQUAL(series_load(pat, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "overlap");
    ASSERT_MSG_HAS(e, ov);
    ASSERT_MSG_HAS(e, "b_2019.csv");
    CU_ASSERT_EQUAL(s.n, 0);
    tmp_end();
}

/* ---- validation -------------------------------------------------------------- */

static void test_errors(void) {
    tmp_begin();
    series s;
    rs_err e;
    struct { const char *name, *text, *msg; } cases[] = {
        { "unsorted.csv", "date,close\n2020-01-02,1\n2020-01-01,2\n",
          "unsorted.csv:3: column 1 (time): timestamp 2020-01-01 00:00:00 is before the previous row's 2020-01-02 00:00:00 (line 2)" },
        { "dup.csv", "date,close\n2020-01-01,1\n\n2020-01-01,2\n",
          "dup.csv:4: column 1 (time): timestamp 2020-01-01 00:00:00 is a duplicate of the previous row's 2020-01-01 00:00:00 (line 2)" },
        { "num.csv", "date,open,high,low,close\n2020-01-01,1,2,1,2\n2020-01-02,1,abc,1,1\n",
          "num.csv:3: column 3 (high): expected a number, got 'abc'" },
        { "empty_field.csv", "date,open,high,low,close\n2020-01-01,1,2,1,\n",
          "empty_field.csv:2: column 5 (close): expected a number, got ''" },
        { "noclose.csv", "date,open,high,low\n2020-01-01,1,2,1\n",
          "noclose.csv:1: missing column: no close column" },
        { "notime.csv", "when,close\n2020-01-01,1\n",
          "notime.csv:1: missing column: no date, time, datetime or timestamp column" },
        { "hilo.csv", "date,open,high,low,close\n2020-01-01,1,2,1,2\n2020-01-02,1,1.5,1.6,1.55\n",
          "hilo.csv:3: column 3 (high): high 1.5 is below column 4 (low) 1.6" },
        { "badtime.csv", "date,close\n2020-01-01,1\n2020-02-30,2\n",
          "badtime.csv:3: column 1 (time): expected a timestamp" },
        { "short.csv", "20170102 020000;1.0;1.1;0.9;1.05;0\n20170102 020100;1.0;1.1\n",
          "short.csv:2: 3 fields, the first row (line 1) has 6" },
        { "hdronly.csv", "date,close\n", "hdronly.csv:1: no data rows" },
        { "neg.csv", "date,open,high,low,close\n2020-01-01,1,2,1,2\n2020-01-02,1,1,-.0001,1\n",
          "neg.csv:3: column 4 (low): expected a positive price, got '-.0001'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int st = load_text(cases[i].name, cases[i].text, NULL, &s, &e);
        CU_ASSERT_EQUAL(st, RS_EINPUT);
        CU_ASSERT_EQUAL(e.status, 2);
        ASSERT_MSG_HAS(e, cases[i].msg);
        CU_ASSERT_EQUAL(s.n, 0);
        CU_ASSERT_PTR_NULL(s.t);
    }
    /* drop_bad skips (and counts) rows with a non-positive price instead. */
    series_opts od = { .drop_bad = 1 };
    CU_ASSERT_EQUAL_FATAL(load_text("neg2.csv", "date,open,high,low,close\n2020-01-01,1,2,1,2\n"
                                    "2020-01-02,0,0,0,0\n2020-01-03,1,2,1,1.5\n", &od, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(s.dropped, 1);
    CU_ASSERT_EQUAL(s.close[1], 1.5);
    series_free(&s);
    /* The adjust option needs its column. */
    series_opts o = { .adjust = 1 };
    CU_ASSERT_EQUAL(load_text("noadj.csv", "date,close\n2020-01-01,1\n", &o, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "noadj.csv:1: missing column: no adjclose column");
    /* Missing file, glob without match, truncated gzip. */
    char p[300];
    snprintf(p, sizeof p, "%s/nope.csv", tmpdir);
    CU_ASSERT_EQUAL(series_load(p, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "nope.csv: cannot open");
    snprintf(p, sizeof p, "%s/*.none", tmpdir);
    CU_ASSERT_EQUAL(series_load(p, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "no file matches");
    {
        const char *gz = put("trunc.csv.gz", "date,close\n2020-01-01,1\n2020-01-02,1\n2020-01-03,1\n");
        FILE *f = fopen(gz, "rb");
        char buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        f = fopen(gz, "wb");
        fwrite(buf, 1, n - 12, f);                  /* cut the trailer and some data */
        fclose(f);
        CU_ASSERT_EQUAL(series_load(gz, NULL, &s, &e), RS_EINPUT);
        ASSERT_MSG_HAS(e, "trunc.csv.gz:");
    }
    tmp_end();
}

/* Load `n` bytes (may hold NUL) written to tmpdir/name. */
static int load_bytes(const char *name, const char *bytes, size_t n, const series_opts *o,
                      series *s, rs_err *e) {
    char *p = tmpfiles[n_tmp++];
    snprintf(p, 320, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
    rs_err_clear(e);
    return series_load(p, o, s, e);
}

/* RFC 4180 quoting: the delimiter inside quotes is data, "" is one quote,
 * and quotes never reach the number parser half-stripped. */
static void test_quoting(void) {
    tmp_begin();
    series s;
    rs_err e;
    /* The measured defect: thousands separators inside quotes used to load
     * as open 1, high 234.5, low 1, close 240 with status 0. */
    CU_ASSERT_EQUAL(load_text("thou.csv", "date,open,high,low,close\n"
                              "\"2020-01-02\",\"1,234.5\",\"1,240.0\",\"1,230.0\",\"1,235.0\"\n",
                              NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "thou.csv:2: column 2 (open): expected a number, got '1,234.5' "
                      "(thousands separators are not supported)");
    CU_ASSERT_EQUAL(s.n, 0);
    /* Headerless, the same row: the first field is still a timestamp. */
    CU_ASSERT_EQUAL(load_text("thou2.csv", "\"2020-01-02\",\"1,234.5\",\"1,240.0\",\"1,230.0\",\"1,235.0\"\n",
                              NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "thou2.csv:1: column 2 (open): expected a number, got '1,234.5'");
    /* Unquoted, the separator splits the field: a field-count error. */
    CU_ASSERT_EQUAL(load_text("thou3.csv", "date,open,high,low,close\n2020-01-02,1,234.5,1,240.0,1,230.0,1,235.0\n",
                              NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "thou3.csv:2: 9 fields, the header has 5");
    /* A quoted text column holding the delimiter and an escaped quote is
     * skipped as one field; quoted numbers and a quoted header load. */
    CU_ASSERT_EQUAL_FATAL(load_text("text.csv", "\"date\",\"note\",close\n"
                                    "2020-01-02,\"Smith, \"\"J\"\", ok\",5\n"
                                    "2020-01-03,  \"a;b\"  ,\"6.5\"\n", NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(s.close[0], 5.0);
    CU_ASSERT_EQUAL(s.close[1], 6.5);
    series_free(&s);
    /* Delimiter detection ignores a ';' inside quotes. */
    CU_ASSERT_EQUAL_FATAL(load_text("det.csv", "date,\"a;b\",close\n2020-01-02,x,5\n", NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.close[0], 5.0);
    series_free(&s);
    /* A quoted field spanning lines is refused, not half-read. */
    CU_ASSERT_EQUAL(load_text("open.csv", "date,note,close\n2020-01-02,\"two\nlines\",5\n", NULL, &s, &e),
                    RS_EINPUT);
    ASSERT_MSG_HAS(e, "open.csv:2: column 2: the quoted field does not end on its line "
                      "(fields spanning lines are not supported)");
    /* Text after a closing quote, and a quote inside an unquoted field. */
    CU_ASSERT_EQUAL(load_text("after.csv", "date,close\n2020-01-02,\"5\"5\n", NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "after.csv:2: column 2: expected the delimiter ',' or the end of the line "
                      "after a closing quote, got '5'");
    CU_ASSERT_EQUAL(load_text("stray.csv", "date,note,close\n2020-01-02,6\" pipe,5\n", NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "stray.csv:2: column 2: a double quote inside an unquoted field "
                      "(quote the whole field and double the quote: \"6\"\" pipe\")");
    tmp_end();
}

/* Every data row has the header's field count (the first row's when headerless). */
static void test_field_count(void) {
    tmp_begin();
    series s;
    rs_err e;
    CU_ASSERT_EQUAL(load_text("more.csv", "date,close\n2020-01-01,1\n2020-01-02,2,3\n", NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "more.csv:3: 3 fields, the header has 2");
    CU_ASSERT_EQUAL(load_text("less.csv", "date,open,high,low,close,volume\n2020-01-01,1,2,1,2,5\n"
                              "2020-01-02,1,2,1,2\n", NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "less.csv:3: 5 fields, the header has 6");
    /* Headerless (HistData layout): against the first row. */
    CU_ASSERT_EQUAL(load_text("hd.csv", "20170102 020000;1.0;1.1;0.9;1.05;0\n\n"
                              "20170102 020100;1.0;1.1;0.9;1.05;0;7\n", NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "hd.csv:3: 7 fields, the first row (line 1) has 6");
    /* A trailing delimiter on every line is consistent, hence fine. */
    CU_ASSERT_EQUAL_FATAL(load_text("trail.csv", "date,close,\n2020-01-01,1,\n2020-01-02,2,\n", NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    series_free(&s);
    tmp_end();
}

/* A NUL byte is never text: an error naming file:line:column wherever it is. */
static void test_nul_byte(void) {
    tmp_begin();
    series s;
    rs_err e;
    static const char ign[] = "date,close,note\n2020-01-01,1,a\0b\n2020-01-02,2,c\n";
    CU_ASSERT_EQUAL(load_bytes("nul1.csv", ign, sizeof ign - 1, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "nul1.csv:2: column 3: a NUL byte (a binary or UTF-16 file?)");
    static const char num[] = "date,close\n2020-01-01,1\n2020-01-02,2\0\n";
    CU_ASSERT_EQUAL(load_bytes("nul2.csv", num, sizeof num - 1, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "nul2.csv:3: column 2: a NUL byte");
    static const char quo[] = "date,note,close\n2020-01-01,\"x\0\",1\n";
    CU_ASSERT_EQUAL(load_bytes("nul3.csv", quo, sizeof quo - 1, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "nul3.csv:2: column 2: a NUL byte");
    static const char hdr[] = "date,close\0\n2020-01-01,1\n";
    CU_ASSERT_EQUAL(load_bytes("nul4.csv", hdr, sizeof hdr - 1, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "nul4.csv:1: column 2: a NUL byte");
    CU_ASSERT_EQUAL(s.n, 0);
    tmp_end();
}

/* Extra columns named in series_opts.keep: kept by header name, numbers of
 * any sign, errors naming file:line:column, drop_bad skips and counts. */
static void test_keep_columns(void) {
    tmp_begin();
    series s;
    rs_err e;
    const char *keep[2] = { "sentiment", "flow" };
    series_opts o = { .keep = keep, .n_keep = 2 };
    CU_ASSERT_EQUAL_FATAL(load_text("k.csv", "Date,Close,SENTIMENT, Flow ,note\n"
                                    "2020-01-01,10,0.5,-3,a\n2020-01-02,11,-0.25,0,b\n"
                                    "2020-01-03,12,\"1e-3\",7,c\n", &o, &s, &e), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL_FATAL(s.n_cols, 2);
    CU_ASSERT_STRING_EQUAL(s.col_name[0], "sentiment");
    CU_ASSERT_STRING_EQUAL(s.col_name[1], "flow");
    const double sen[3] = { 0.5, -0.25, 1e-3 }, flo[3] = { -3, 0, 7 };
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(s.col[i], sen[i]);
        CU_ASSERT_EQUAL(s.col[3 + i], flo[i]);
        CU_ASSERT_EQUAL(s.close[i], 10.0 + i);
    }
    CU_ASSERT_PTR_EQUAL(s.col, s.px + 5 * s.n);             /* one block with the prices */
    series_free(&s);
    /* Not kept unless asked for: the same file loads without columns. */
    CU_ASSERT_EQUAL_FATAL(series_load(tmpfiles[n_tmp - 1], NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n_cols, 0);
    series_free(&s);
    /* A requested column the header lacks: file, column, and what it has. */
    const char *mood[1] = { "mood" };
    series_opts om = { .keep = mood, .n_keep = 1 };
    CU_ASSERT_EQUAL(load_text("m.csv", "date,close,sentiment\n2020-01-01,1,2\n", &om, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "m.csv:1: missing column 'mood' (the header has: date, close, sentiment)");
    CU_ASSERT_PTR_NULL(s.t);
    /* A headerless file has no names. */
    CU_ASSERT_EQUAL(load_text("nh.csv", "2020-01-01,1\n", &om, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "nh.csv:1: column 'mood' requested, but the file has no header");
    /* Empty or non-numeric: an error with file:line:column ... */
    const char *bad = "date,close,sentiment\n2020-01-01,1,0.5\n2020-01-02,2,n/a\n"
                      "2020-01-03,3,\n2020-01-04,4,-1\n";
    series_opts o1 = { .keep = keep, .n_keep = 1 };
    CU_ASSERT_EQUAL(load_text("bad.csv", bad, &o1, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "bad.csv:3: column 3 (sentiment): expected a number, got 'n/a' "
                      "(drop_bad skips such rows)");
    /* the caller names its own switch: the INI key, not a C field */
    series_opts oh = { .keep = keep, .n_keep = 1, .drop_hint = "[data] drop_bad = 1" };
    CU_ASSERT_EQUAL(load_text("bad.csv", bad, &oh, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "got 'n/a' ([data] drop_bad = 1 skips such rows)");
    CU_ASSERT_EQUAL(load_text("bad2.csv", "date,close,sentiment\n2020-01-01,1,\n", &o1, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "bad2.csv:2: column 3 (sentiment): expected a number, got ''");
    /* ... or, with drop_bad, a skipped row counted with the bad prices. */
    series_opts od = { .keep = keep, .n_keep = 1, .drop_bad = 1 };
    CU_ASSERT_EQUAL_FATAL(load_text("bad3.csv", bad, &od, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(s.dropped, 2);
    CU_ASSERT_EQUAL(s.close[1], 4.0);
    CU_ASSERT_EQUAL(s.col[1], -1.0);
    series_free(&s);
    /* At most SERIES_COLS_MAX. */
    const char *many[SERIES_COLS_MAX + 1];
    for (int i = 0; i <= SERIES_COLS_MAX; i++) many[i] = "x";
    series_opts ox = { .keep = many, .n_keep = SERIES_COLS_MAX + 1 };
    CU_ASSERT_EQUAL(load_text("x.csv", "date,close,x\n2020-01-01,1,2\n", &ox, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "17 extra columns requested, at most 16");
    tmp_end();
}

/* Several files of one instrument carry the kept columns in time order; a
 * file without the column is an error naming that file. */
static void test_keep_columns_multifile(void) {
    tmp_begin();
    series s;
    rs_err e;
    put("b.csv", "date,close,sentiment\n2020-01-02,3,0.3\n2020-01-03,4,0.4\n");
    put("a.csv.gz", "date,sentiment,close\n2019-12-30,0.1,1\n2019-12-31,0.2,2\n");
    char pat[300];
    snprintf(pat, sizeof pat, "%s/*.csv*", tmpdir);
    const char *keep[1] = { "Sentiment" };
    series_opts o = { .keep = keep, .n_keep = 1 };
    CU_ASSERT_EQUAL_FATAL(series_load(pat, &o, &s, &e), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_STRING_EQUAL(s.col_name[0], "Sentiment");
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(s.close[i], i + 1.0);
        CU_ASSERT_CLOSE(s.col[i], 0.1 * (i + 1), 1e-15);
    }
    series_free(&s);
    const char *c = put("c.csv", "date,close\n2020-01-06,5\n");
    CU_ASSERT_EQUAL(series_load(pat, &o, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, c);
    ASSERT_MSG_HAS(e, ":1: missing column 'Sentiment' (the header has: date, close)");
    tmp_end();
}

static void test_gaps(void) {
    tmp_begin();
    series s;
    rs_err e;
    /* 1-minute bars, a 5-minute hole (4 missing bars), then a weekend. */
    const char *txt =
        "datetime,close\n"
        "2017-01-06 16:55,1\n2017-01-06 16:56,1\n2017-01-06 16:57,1\n2017-01-06 16:58,1\n"
        "2017-01-06 17:03,1\n2017-01-06 17:04,1\n"
        "2017-01-08 17:00,1\n2017-01-08 17:01,1\n";
    CU_ASSERT_EQUAL_FATAL(load_text("g.csv", txt, NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.bar, 60);
    CU_ASSERT_EQUAL(s.gaps, 1);
    CU_ASSERT_EQUAL(s.missing, 4);
    CU_ASSERT_EQUAL(s.breaks, 1);
    series_free(&s);
    tmp_end();
}

/* ---- alignment and resampling ----------------------------------------------- */

static series mk(const char *name, const int64_t *t, const double *c, int n) {
    series s;
    series_alloc(&s, n, NULL);
    snprintf(s.name, sizeof s.name, "%s", name);
    for (int i = 0; i < n; i++) {
        s.t[i] = t[i];
        s.open[i] = s.high[i] = s.low[i] = s.close[i] = c[i];
        s.volume[i] = 1;
    }
    series_count_gaps(&s);
    return s;
}

static void test_align(void) {
    int64_t ta[] = { 1, 2, 3, 5, 6, 8 }, tb[] = { 0, 2, 3, 4, 6, 7, 9 };
    double ca[] = { 10, 20, 30, 50, 60, 80 }, cb[] = { 1, 2, 3, 4, 6, 7, 9 };
    series in[2] = { mk("A", ta, ca, 6), mk("B", tb, cb, 7) }, out[2];
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(series_align(in, 2, SERIES_INNER, out, &e), 0);
    int64_t want[] = { 2, 3, 6 };
    CU_ASSERT_EQUAL_FATAL(out[0].n, 3);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(out[0].t[i], want[i]);
        CU_ASSERT_EQUAL(out[1].t[i], want[i]);
        CU_ASSERT_EQUAL(out[0].close[i], want[i] * 10.0);
        CU_ASSERT_EQUAL(out[1].close[i], (double)want[i]);
    }
    series_free(&out[0]); series_free(&out[1]);
    /* Forward fill: the union from max(first) = 1 to min(last) = 8; a missing
     * bar repeats the previous close (never a later one). */
    CU_ASSERT_EQUAL_FATAL(series_align(in, 2, SERIES_FFILL, out, &e), 0);
    int64_t wt[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    double wa[] = { 10, 20, 30, 30, 50, 60, 60, 80 }, wb[] = { 1, 2, 3, 4, 4, 6, 7, 7 };
    CU_ASSERT_EQUAL_FATAL(out[0].n, 8);
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(out[0].t[i], wt[i]);
        CU_ASSERT_EQUAL(out[0].close[i], wa[i]);
        CU_ASSERT_EQUAL(out[1].close[i], wb[i]);
    }
    CU_ASSERT_EQUAL(out[0].filled, 2);
    CU_ASSERT_EQUAL(out[1].filled, 3);
    CU_ASSERT_EQUAL(out[1].volume[4], 0.0);
    series_free(&out[0]); series_free(&out[1]);
    /* No common timestamp: an input error. */
    int64_t tc[] = { 100, 200 };
    double cc[] = { 1, 2 };
    series c = mk("C", tc, cc, 2);
    series pair[2] = { in[0], c };
    CU_ASSERT_EQUAL(series_align(pair, 2, SERIES_INNER, out, &e), RS_EINPUT);
    series_free(&c); series_free(&in[0]); series_free(&in[1]);
}

static void test_resample(void) {
    /* Minutes 09:58 .. 11:01 with a hole; to hours. */
    series s;
    series_alloc(&s, 6, NULL);
    strcpy(s.name, "X");
    int64_t base = series_time(2017, 3, 1, 0, 0, 0);
    int mins[6] = { 9 * 60 + 58, 9 * 60 + 59, 10 * 60, 10 * 60 + 30, 10 * 60 + 59, 11 * 60 + 1 };
    double o[6] = { 1, 2, 3, 4, 5, 6 }, h[6] = { 1.5, 2.5, 9, 4.5, 5.5, 6.5 },
           l[6] = { 0.5, 0.2, 2.5, 3.5, 4.5, 5.5 }, c[6] = { 1.2, 2.2, 3.2, 4.2, 5.2, 6.2 };
    for (int i = 0; i < 6; i++) {
        s.t[i] = base + mins[i] * 60;
        s.open[i] = o[i]; s.high[i] = h[i]; s.low[i] = l[i]; s.close[i] = c[i]; s.volume[i] = i + 1;
    }
    series r;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(series_resample(&s, 3600, 0, &r, &e), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 3);
    CU_ASSERT_EQUAL(r.t[0], base + 9 * 3600);
    CU_ASSERT_EQUAL(r.t[1], base + 10 * 3600);
    CU_ASSERT_EQUAL(r.t[2], base + 11 * 3600);
    CU_ASSERT_EQUAL(r.open[0], 1);   CU_ASSERT_EQUAL(r.high[0], 2.5); CU_ASSERT_EQUAL(r.low[0], 0.2);
    CU_ASSERT_EQUAL(r.close[0], 2.2); CU_ASSERT_EQUAL(r.volume[0], 3);
    CU_ASSERT_EQUAL(r.open[1], 3);   CU_ASSERT_EQUAL(r.high[1], 9);   CU_ASSERT_EQUAL(r.low[1], 2.5);
    CU_ASSERT_EQUAL(r.close[1], 5.2); CU_ASSERT_EQUAL(r.volume[1], 3 + 4 + 5);
    CU_ASSERT_EQUAL(r.open[2], 6);   CU_ASSERT_EQUAL(r.close[2], 6.2); CU_ASSERT_EQUAL(r.volume[2], 6);
    series_free(&r);
    /* An offset shifts the bucket edges: 30-minute offset. */
    CU_ASSERT_EQUAL_FATAL(series_resample(&s, 3600, 1800, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_EQUAL(r.t[0], base + 9 * 3600 + 1800);
    CU_ASSERT_EQUAL(r.close[0], 3.2);
    series_free(&r);
    CU_ASSERT_EQUAL(series_resample(&s, 0, 0, &r, &e), RS_EINPUT);
    series_free(&s);
}

/* Alignment and resampling carry the kept columns: inner = the bar's value,
 * ffill = the previous bar's (past only), resample = the bucket's last. */
static void test_align_resample_columns(void) {
    int64_t ta[] = { 1, 2, 3, 5 }, tb[] = { 1, 2, 4, 5 };
    double ca[] = { 10, 20, 30, 50 }, cb[] = { 1, 2, 4, 5 };
    series a0 = mk("A", ta, ca, 4), b0 = mk("B", tb, cb, 4), in[2];
    /* Give A one column (= 100 + t), B two (= -t, 1000 + t). */
    series_alloc_cols(&in[0], 4, 1, NULL);
    series_alloc_cols(&in[1], 4, 2, NULL);
    const series *src[2] = { &a0, &b0 };
    for (int k = 0; k < 2; k++) {
        memcpy(in[k].name, src[k]->name, sizeof in[k].name);
        memcpy(in[k].t, src[k]->t, 4 * sizeof(int64_t));
        memcpy(in[k].px, src[k]->px, 5 * 4 * sizeof(double));
    }
    strcpy(in[0].col_name[0], "x");
    strcpy(in[1].col_name[0], "y");
    strcpy(in[1].col_name[1], "z");
    for (int i = 0; i < 4; i++) {
        in[0].col[i] = 100.0 + (double)ta[i];
        in[1].col[i] = -(double)tb[i];
        in[1].col[4 + i] = 1000.0 + (double)tb[i];
    }
    series out[2];
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(series_align(in, 2, SERIES_INNER, out, &e), 0);
    CU_ASSERT_EQUAL_FATAL(out[0].n, 3);                          /* t = 1, 2, 5 */
    CU_ASSERT_EQUAL(out[0].n_cols, 1);
    CU_ASSERT_EQUAL(out[1].n_cols, 2);
    CU_ASSERT_STRING_EQUAL(out[1].col_name[1], "z");
    const double ix[3] = { 101, 102, 105 }, iy[3] = { -1, -2, -5 }, iz[3] = { 1001, 1002, 1005 };
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(out[0].col[i], ix[i]);
        CU_ASSERT_EQUAL(out[1].col[i], iy[i]);
        CU_ASSERT_EQUAL(out[1].col[3 + i], iz[i]);
    }
    series_free(&out[0]); series_free(&out[1]);
    CU_ASSERT_EQUAL_FATAL(series_align(in, 2, SERIES_FFILL, out, &e), 0);
    CU_ASSERT_EQUAL_FATAL(out[0].n, 5);                          /* t = 1 .. 5 */
    const double fx[5] = { 101, 102, 103, 103, 105 }, fy[5] = { -1, -2, -2, -4, -5 },
                 fz[5] = { 1001, 1002, 1002, 1004, 1005 };
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(out[0].col[i], fx[i]);
        CU_ASSERT_EQUAL(out[1].col[i], fy[i]);
        CU_ASSERT_EQUAL(out[1].col[5 + i], fz[i]);
    }
    CU_ASSERT_EQUAL(out[0].filled, 1);
    CU_ASSERT_EQUAL(out[1].filled, 1);
    series_free(&out[0]); series_free(&out[1]);
    /* Resample B to 2-second bars [0,2) [2,4) [4,6): the last value of each. */
    series r;
    CU_ASSERT_EQUAL_FATAL(series_resample(&in[1], 2, 0, &r, &e), 0);
    CU_ASSERT_EQUAL_FATAL(r.n, 3);
    CU_ASSERT_EQUAL(r.n_cols, 2);
    CU_ASSERT_STRING_EQUAL(r.col_name[0], "y");
    const double ry[3] = { -1, -2, -5 }, rz[3] = { 1001, 1002, 1005 };
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(r.col[i], ry[i]);
        CU_ASSERT_EQUAL(r.col[3 + i], rz[i]);
    }
    series_free(&r);
    for (int k = 0; k < 2; k++) series_free(&in[k]);
    series_free(&a0); series_free(&b0);
}

/* ---- real data --------------------------------------------------------------- */

static int skip(const char *what) {
    if (cu_shared_data()) return 0;
    printf("\n  SKIP %s: ../shared/data absent ", what);
    return 1;
}

static void test_real_histdata_2017(void) {
    if (skip("histdata 2017")) return;
    const char *pairs[3] = { "EURUSD", "GBPUSD", "EURGBP" };
    const int64_t rows[3] = { 0, 371204, 370253 };       /* README; EURUSD's 2017 count unpublished */
    series s[3], a[3];
    rs_err e;
    for (int i = 0; i < 3; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/fx/histdata-m1/DAT_ASCII_%s_M1_2017.csv.gz", cu_shared_data(), pairs[i]);
        CU_ASSERT_EQUAL_FATAL(series_load(p, NULL, &s[i], &e), 0);
        CU_ASSERT_STRING_EQUAL(s[i].name, pairs[i]);
        if (rows[i]) CU_ASSERT_EQUAL(s[i].n, rows[i]);
        CU_ASSERT_EQUAL(s[i].bar, 60);
        CU_ASSERT_EQUAL(series_year(s[i].t[0]), 2017);
        CU_ASSERT_EQUAL(series_year(s[i].t[s[i].n - 1]), 2017);
    }
    CU_ASSERT_EQUAL_FATAL(series_align(s, 3, SERIES_INNER, a, &e), 0);
    CU_ASSERT_EQUAL(a[0].n, 368633);
    for (int i = 0; i < 3; i++) { series_free(&s[i]); series_free(&a[i]); }
}

static void test_real_histdata_all_eurusd(void) {
    if (skip("histdata EURUSD all")) return;
    char p[512];
    snprintf(p, sizeof p, "%s/fx/histdata-m1/DAT_ASCII_EURUSD_M1_*.csv.gz", cu_shared_data());
    series s;
    rs_err e;
    /* The vendor's one bad tick (2001-09-11 20:12, all prices -0.0001) is an
     * error naming file:line:column by default... */
    CU_ASSERT_EQUAL(series_load(p, NULL, &s, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "DAT_ASCII_EURUSD_M1_2001.csv.gz:180757: column 2 (open): expected a positive "
                      "price, got '-.000100'");
    /* ...and dropped and counted on request. */
    series_opts o = { .drop_bad = 1 };
    double t0 = rs_now();
    CU_ASSERT_EQUAL_FATAL(series_load(p, &o, &s, &e), 0);
    double dt = rs_now() - t0;
    printf("\n  EURUSD M1: %lld rows from %d files in %.2f s (%.2f M rows/s) ",
           (long long)(s.n + s.dropped), s.n_files, dt, (s.n + s.dropped) / dt / 1e6);
    CU_ASSERT_EQUAL(s.n + s.dropped, 5950483);
    CU_ASSERT_EQUAL(s.dropped, 1);
    CU_ASSERT_EQUAL(s.n_files, 24);
    CU_ASSERT_EQUAL(s.t[0], series_time(2000, 5, 30, 17, 27, 0));
    CU_ASSERT_EQUAL(series_year(s.t[s.n - 1]), 2018);
    CU_ASSERT(s.gaps > 0);                        /* holes are counted, not fatal */
    series_free(&s);
}

static void test_real_scaled_vendor(void) {
    if (skip("ejtrader")) return;
    const char *files[4] = { "GBPUSDh1", "EURUSDd1", "EURUSDh4", "EURGBPh1" };
    const double lo[4] = { 1.1, 0.95, 0.95, 0.65 }, hi[4] = { 1.8, 1.45, 1.45, 0.95 };
    for (int i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/fx/ejtrader/%s.csv.gz", cu_shared_data(), files[i]);
        series_opts o = { .price_div = 100000 };
        series s;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(series_load(p, &o, &s, &e), 0);
        CU_ASSERT(s.n > 2000);
        CU_ASSERT(s.has_volume);
        int out = 0;
        double sum = 0;
        for (int64_t k = 0; k < s.n; k++) {
            out += !(s.low[k] >= lo[i] && s.high[k] <= hi[i]);
            sum += s.close[k];
        }
        CU_ASSERT_EQUAL(out, 0);
        if (i == 0) CU_ASSERT_CLOSE(sum / s.n, 1.35, 0.1);   /* GBPUSD 2012-2022: near 1.3 */
        series_free(&s);
    }
}

static void test_real_sp500(void) {
    const char *p = "data/sp500-2000.csv";
    if (access(p, R_OK)) { printf("\n  SKIP sp500: %s absent (make data) ", p); return; }
    series s;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(series_load(p, NULL, &s, &e), 0);
    CU_ASSERT_EQUAL(s.n, 5105);
    CU_ASSERT_EQUAL(s.close[0], 1455.219971);
    CU_ASSERT_EQUAL(s.bar, 86400);
    series_free(&s);
}

static CU_TestInfo tests[] = {
    { "numbers: fast path equals strtod, junk rejected", test_parse_number },
    { "timestamps: every format, invalid dates rejected", test_parse_time },
    { "format: header, comma, adjclose/adjust", test_format_header_comma },
    { "format: HistData M1 gz, semicolon, no header", test_format_histdata_gz },
    { "format: tab, unix seconds, tick_volume", test_format_tab_unix_tickvol },
    { "format: date+time columns, CRLF, BOM, quotes", test_format_date_time_crlf_bom },
    { "format: price scale, explicit columns, close only", test_format_columns_and_scale },
    { "multi-file glob in time order, overlap rejected", test_multifile_glob },
    { "errors: file:line:column message, status 2", test_errors },
    { "quoting: RFC 4180, thousands separators refused", test_quoting },
    { "field count: every row as many as the header", test_field_count },
    { "NUL byte anywhere: file:line:column", test_nul_byte },
    { "kept columns: by name, errors, drop_bad", test_keep_columns },
    { "kept columns across the files of one instrument", test_keep_columns_multifile },
    { "gaps counted, weekend is a break", test_gaps },
    { "align: inner join and forward fill", test_align },
    { "resample: OHLCV aggregation", test_resample },
    { "align and resample carry kept columns", test_align_resample_columns },
    { "real: 2017 HistData triangle, inner join 368633", test_real_histdata_2017 },
    { "real: all EURUSD M1 files (glob)", test_real_histdata_all_eurusd },
    { "real: vendor prices x100000 scale to ~1.3", test_real_scaled_vendor },
    { "real: data/sp500-2000.csv", test_real_sp500 },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("series", tests); }

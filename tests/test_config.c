/* test_config.c — INI configs: value syntax, validation messages, shipped configs. */
#include "tests/cu.h"
#include "coordinator/config.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

/* Write `text` to <tmpdir>/<name> and return its path (static buffer per call slot). */
static const char *write_ini(const char *name, const char *text) {
    static char path[4][512];
    static int slot;
    char *p = path[slot++ & 3];
    snprintf(p, 512, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return p;
}

#define BASE_DATA "[data]\ninstruments = SPX\nSPX.path = data/none.csv\n"

/* Load a config made of BASE_DATA + extra; expect success. */
static int load_ok(const char *extra, sweep_config *c) {
    char text[4096];
    snprintf(text, sizeof text, BASE_DATA "%s", extra);
    rs_err e;
    int r = config_load(write_ini("ok.ini", text), c, &e);
    if (r) fprintf(stderr, "\n  unexpected error: %s\n", e.msg);
    CU_ASSERT_EQUAL(r, 0);
    return r;
}

/* Load `text` (complete INI); expect status 2 and a single-line message
 * containing `want`.  Returns the message for further checks. */
static const char *load_bad(const char *text, const char *want) {
    static rs_err e;
    sweep_config c;
    int r = config_load(write_ini("bad.ini", text), &c, &e);
    CU_ASSERT_EQUAL(r, RS_EINPUT);
    CU_ASSERT_EQUAL(e.status, RS_EINPUT);
    CU_ASSERT_PTR_NULL(strchr(e.msg, '\n'));
    if (!strstr(e.msg, want)) fprintf(stderr, "\n  message '%s'\n  lacks   '%s'\n", e.msg, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
    CU_ASSERT_EQUAL(c.ini_text, NULL);       /* zeroed on error */
    config_free(&c);
    return e.msg;
}

static void assert_dim(const cfg_dim *d, int n, ...) {
    CU_ASSERT_EQUAL_FATAL(d->n, n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) CU_ASSERT_EQUAL(d->v[i], va_arg(ap, double));
    va_end(ap);
}

static void test_value_forms(void) {
    sweep_config c;
    if (load_ok("[model]\ncell = LSTM, gru, rnn\nlookback = 10:50:10\nhidden = 32, 64x32, 128x64X32\n"
                "dropout = 0.1:0.3:0.1\n"
                "[training]\nlr = 0.001, 1e-2\nbatch = 16:18\nepochs = 1e2\n"
                "[strategy]\nspacing = 0.5\nlong_only = yes, off\n"
                "[data]\nresample = 1h\nresample_offset = 30m\n", &c)) return;
    assert_dim(&c.model.cell, 3, (double)RNN_LSTM, (double)RNN_GRU, (double)RNN_TANH);
    assert_dim(&c.model.lookback, 5, 10.0, 20.0, 30.0, 40.0, 50.0);
    assert_dim(&c.model.dropout, 3, 0.1, 0.2, 0.3);      /* exactly the typed doubles */
    assert_dim(&c.training.lr, 2, 0.001, 0.01);
    assert_dim(&c.training.batch, 3, 16.0, 17.0, 18.0);
    assert_dim(&c.training.epochs, 1, 100.0);
    assert_dim(&c.strategy.dim[BT_F_SPACING], 1, 0.5);
    assert_dim(&c.strategy.dim[BT_F_LONG_ONLY], 2, 1.0, 0.0);
    CU_ASSERT_EQUAL(c.strategy.dim[BT_F_SPREAD].n, 0);     /* absent: market default */
    CU_ASSERT_EQUAL_FATAL(c.model.n_hidden, 3);
    CU_ASSERT_EQUAL(c.model.hidden[0].n, 1);
    CU_ASSERT_EQUAL(c.model.hidden[0].h[0], 32);
    CU_ASSERT_EQUAL(c.model.hidden[1].n, 2);
    CU_ASSERT_EQUAL(c.model.hidden[1].h[1], 32);
    CU_ASSERT_EQUAL(c.model.hidden[2].n, 3);
    CU_ASSERT_EQUAL(c.model.hidden[2].h[0], 128);
    CU_ASSERT_EQUAL(c.model.hidden[2].h[2], 32);
    CU_ASSERT_EQUAL(c.data.resample, 3600);
    CU_ASSERT_EQUAL(c.data.resample_offset, 1800);
    config_free(&c);

    /* defaults, and a range of single-layer hidden sizes */
    if (load_ok("[model]\nhidden = 16:48:16\n", &c)) return;
    CU_ASSERT_EQUAL_FATAL(c.model.n_hidden, 3);
    CU_ASSERT_EQUAL(c.model.hidden[2].h[0], 48);
    assert_dim(&c.model.lookback, 1, 20.0);
    assert_dim(&c.training.lr, 1, 0.001);
    CU_ASSERT_EQUAL(c.target.kind, TARGET_RETURN);
    CU_ASSERT_EQUAL(c.target.horizon, 1);
    CU_ASSERT_EQUAL(c.strategy.market, BT_FX);
    CU_ASSERT_STRING_EQUAL(c.data.inst[0].features, "close,logret");
    CU_ASSERT_EQUAL(c.features.n_feat, 2);
    CU_ASSERT_STRING_EQUAL(c.run.name, "ok");
    CU_ASSERT_STRING_EQUAL(c.run.output, "results/ok.h5");
    CU_ASSERT_PTR_NOT_NULL(strstr(c.ini_text, "SPX.path"));
    CU_ASSERT_NOT_EQUAL(c.data_hash, 0);
    config_free(&c);
    config_free(&c);                          /* twice is fine */
}

static void test_range_errors(void) {
    load_bad(BASE_DATA "[model]\nlookback = 10:50:0\n", "range step must be > 0, got '10:50:0'");
    load_bad(BASE_DATA "[model]\nlookback = 10:50:-5\n", "range step must be > 0");
    load_bad(BASE_DATA "[model]\nlookback = 50:10:10\n", "empty grid");
    load_bad(BASE_DATA "[training]\nbatch = 1:20000:1\n", "gives 20000 values, more than 10000");
    load_bad(BASE_DATA "[model]\ndropout = 0.1:0.3\n", "a float range needs a step");
    load_bad(BASE_DATA "[model]\nlookback = 10:20:2.5\n", "expected an integer range");
    load_bad(BASE_DATA "[model]\nlookback = 5000:20000:5000\n", "got 15000 from the range");
    load_bad(BASE_DATA "[model]\nhidden = 64x\n", "got '64x'");
    load_bad(BASE_DATA "[model]\nhidden = 1x2x3x4x5x6x7x8x9\n", "at most 8 layers");
}

static void test_unknown_section(void) {
    const char *m = load_bad(BASE_DATA "\n[modle]\ncell = gru\n", "[modle]: unknown section; did you mean [model]?");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.ini:5: "));
    load_bad(BASE_DATA "[zzzzzz]\nx = 1\n", "unknown section (known: data");
    load_bad(BASE_DATA "[trainig]\n", "bad.ini:4: [trainig]: unknown section; did you mean [training]?");
}

static void test_unknown_key(void) {
    const char *m = load_bad(BASE_DATA "[model]\ncell = gru\nlookbak = 20\n",
                             "[model] lookbak: unknown key; did you mean 'lookback'?");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.ini:6: "));
    load_bad(BASE_DATA "[model]\nlr = 0.01\n", "[model] lr: unknown key; 'lr' belongs in [training]");
    load_bad(BASE_DATA "SPX.pth = x\n", "[data] spx.pth: unknown key; did you mean 'spx.path'?");
    load_bad(BASE_DATA "QQQ.path = x\n", "[data] qqq.path: unknown key");
    load_bad(BASE_DATA "[features]\nspy = close\n", "did you mean 'spx'?");
    load_bad(BASE_DATA "[training]\nfrobnicate = 1\n", "unknown key (known: lr, batch");
}

static void test_wrong_type(void) {
    const char *m = load_bad(BASE_DATA "[model]\nlookback = 20, abc\n",
                             "[model] lookback: expected an integer in [1, 10000], got 'abc'");
    CU_ASSERT_STRING_EQUAL(strstr(m, "bad.ini"), "bad.ini:5: [model] lookback: expected an integer in [1, 10000], got 'abc'");
    load_bad(BASE_DATA "[model]\ncell = lstm, transformer\n",
             "[model] cell: expected one of lstm, gru, gru_classic, rnn_tanh, rnn_relu, got 'transformer'");
    load_bad(BASE_DATA "[training]\nbatch = 2.5\n", "got '2.5'");
    load_bad(BASE_DATA "[data]\ndrop_bad = maybe\n", "expected 0 or 1");
    load_bad(BASE_DATA "[target]\nhorizon = 1, 2\n", "expected one value (not a grid dimension)");
    load_bad(BASE_DATA "[data]\nresample = 1w\n", "expected a duration");
}

static void test_out_of_range(void) {
    load_bad(BASE_DATA "[model]\ndropout = 1.5\n", "[model] dropout: expected a number in [0, 1), got '1.5'");
    load_bad(BASE_DATA "[model]\ndropout = 1\n", "got '1'");
    load_bad(BASE_DATA "[target]\nhorizon = 0\n", "[target] horizon: expected an integer in [1, 10000], got '0'");
    load_bad(BASE_DATA "[training]\nlr = 0\n", "expected a number in (0, 10]");
    load_bad(BASE_DATA "[strategy]\nmax_levels = 300\n", "[strategy] max_levels");
    load_bad(BASE_DATA "[walkforward]\nfirst_year = 2019\nlast_year = 2016\n", "[walkforward] first_year");
    load_bad(BASE_DATA "[model]\nlookback = 40\n[walkforward]\nembargo = 10\n",
             "[walkforward] embargo: expected 0 (automatic) or at least the largest lookback + horizon = 41");
}

static void test_empty_grid(void) {
    load_bad(BASE_DATA "[model]\ncell =\n", "[model] cell: empty grid");
    load_bad(BASE_DATA "[model]\nhidden =  \n", "[model] hidden: empty grid");
    load_bad(BASE_DATA "[training]\nlr = 0.1, , 0.2\n", "empty list item");
}

static void test_search_section(void) {
    sweep_config c;
    if (!load_ok("[search]\nmethod = random\nsamples = 20\nseed = 3\n", &c)) {
        CU_ASSERT_EQUAL(c.search.method, SEARCH_RANDOM);
        CU_ASSERT_EQUAL(c.search.samples, 20);
        CU_ASSERT_EQUAL(c.search.seed, 3);
        config_free(&c);
    }
    if (!load_ok("", &c)) {
        CU_ASSERT_EQUAL(c.search.method, SEARCH_GRID);
        CU_ASSERT_EQUAL(c.search.seed, 1);
        config_free(&c);
    }
    load_bad(BASE_DATA "[search]\nmethod = random\n",
             "bad.ini:5: [search] method: method = random needs samples = N");
    load_bad(BASE_DATA "[search]\nmethod = random\nsamples = 0\n", "bad.ini:6: [search] samples: method = random needs");
    load_bad(BASE_DATA "[search]\nsamples = 5\n", "bad.ini:5: [search] samples: used by method = random only");
    load_bad(BASE_DATA "[search]\nmethod = grid\nseed = 5\n", "bad.ini:6: [search] seed: used by method = random only");
    load_bad(BASE_DATA "[search]\nmethod = hyperband\n",
             "bad.ini:5: [search] method: expected one of grid, random, halving, got 'hyperband'");
    if (!load_ok("[search]\nmethod = halving\neta = 2\nmin_folds = 3\nmetric = sortino\n", &c)) {
        CU_ASSERT_EQUAL(c.search.method, SEARCH_HALVING);
        CU_ASSERT_EQUAL(c.search.eta, 2);
        CU_ASSERT_EQUAL(c.search.min_folds, 3);
        CU_ASSERT_STRING_EQUAL(c.search.metric, "sortino");
        config_free(&c);
    }
    if (!load_ok("[search]\nmethod = halving\n", &c)) {
        CU_ASSERT(c.search.eta == 3 && c.search.min_folds == 1 && !strcmp(c.search.metric, "sharpe"));
        config_free(&c);
    }
    load_bad(BASE_DATA "[search]\nmethod = halving\neta = 1\n", "bad.ini:6: [search] eta:");
    load_bad(BASE_DATA "[search]\nmethod = random\nsamples = 3\neta = 2\n",
             "bad.ini:7: [search] eta: used by method = halving only");
    load_bad(BASE_DATA "[search]\nmin_folds = 2\n", "bad.ini:5: [search] min_folds: used by method = halving only");
    load_bad(BASE_DATA "[search]\nmethod = random\nsamples = -1\n", "bad.ini:6: [search] samples:");
    load_bad(BASE_DATA "[serch]\nmethod = random\n", "did you mean [search]?");
}

static void test_structure_errors(void) {
    load_bad(BASE_DATA "[model]\nlookback = 20\nlookback = 30\n", "bad.ini:6: [model] lookback: duplicate key (first set at line 5)");
    load_bad(BASE_DATA "[model]\nlookback = 20, 20\n", "value 20 appears twice");
    load_bad(BASE_DATA "[training]\nlr = 0.001, 1e-3\n", "appears twice");
    load_bad(BASE_DATA "[model]\nhidden = 64x32, 64x32\n", "repeats a layer list");
    load_bad(BASE_DATA "[model]\njust some words\n", "bad.ini:5: expected 'key = value' or '[section]'");
    load_bad("lookback = 20\n" BASE_DATA, "bad.ini:1: key 'lookback' outside any [section]");
    load_bad("[model]\ncell = gru\n", "[data] instruments: required key missing");
    load_bad("[data]\ninstruments = SPX\n", "[data] spx.path: required");
    load_bad("[data]\ninstruments = SPX, spx\nSPX.path = x\n", "appears twice");
    load_bad("[data]\ninstruments = all\nall.path = x\n", "reserved");
    load_bad(BASE_DATA "[features]\nSPX = close, rsi:x\n", "[features] spx: 'rsi:x'");
    load_bad(BASE_DATA "[features]\ncross = triangle:0:1:2\n", "triangle uses instrument index 1");
    load_bad(BASE_DATA "[target]\nkind = trend3\n[strategy]\nthreshold = 0, 0.001\n",
             "[strategy] threshold: a grid of 2 values, but target kind = trend3 ignores it");
    load_bad(BASE_DATA "[strategy]\nspacing = 10, 20\n", "no strategy has kind = grid");
    load_bad(BASE_DATA "[target]\nkind = trend3\ntrend3_fit = fixed\n", "[target] trend3_theta");

    rs_err e;
    sweep_config c;
    CU_ASSERT_EQUAL(config_load("/nonexistent/x.ini", &c, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/x.ini: cannot read the config"));
}

static void test_missing_data_file(void) {
    sweep_config c;
    rs_err e;
    char text[1024];
    snprintf(text, sizeof text, "[data]\ninstruments = A, B\n; comment\nA.path = %s/a.csv\nB.path = %s/nope.csv\n",
             g_dir, g_dir);
    write_ini("a.csv", "date,close\n2020-01-01,1\n");
    const char *path = write_ini("paths.ini", text);
    CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &e), 0);          /* parsing does not look at data */
    CU_ASSERT_EQUAL(config_check_paths(&c, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "paths.ini:5: [data] b.path: no such file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "nope.csv"));
    config_free(&c);
    snprintf(text, sizeof text, "[data]\ninstruments = A\nA.path = %s/*.zzz\n", g_dir);
    CU_ASSERT_EQUAL_FATAL(config_load(write_ini("glob.ini", text), &c, &e), 0);
    CU_ASSERT_EQUAL(config_check_paths(&c, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no file matches"));
    config_free(&c);
    snprintf(text, sizeof text, "[data]\ninstruments = A\nA.path = %s/a.c*\n", g_dir);
    CU_ASSERT_EQUAL_FATAL(config_load(write_ini("glob.ini", text), &c, &e), 0);
    CU_ASSERT_EQUAL(config_check_paths(&c, &e), 0);
    config_free(&c);
}

static void test_shipped_configs(void) {
    sweep_config c;
    rs_err e;
    int r = config_load("configs/quick.ini", &c, &e);
    if (r) fprintf(stderr, "\n  %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(c.data.n_inst, 1);
    CU_ASSERT_STRING_EQUAL(c.data.inst[0].path, "data/sp500-2000.csv");
    CU_ASSERT_EQUAL(c.features.n_feat, 5);
    CU_ASSERT_EQUAL(c.model.cell.n * c.model.lookback.n * c.model.n_hidden, 8);
    CU_ASSERT_EQUAL(c.strategy.market, BT_EQUITY);
    if (access("data/sp500-2000.csv", F_OK) == 0) { CU_ASSERT_EQUAL(config_check_paths(&c, &e), 0); }
    else printf("SKIP path check: data/sp500-2000.csv absent (make data) ");
    config_free(&c);

    r = config_load("configs/fx_grid.ini", &c, &e);
    if (r) fprintf(stderr, "\n  %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(c.data.n_inst, 3);
    CU_ASSERT_EQUAL(c.data.resample, 3600);
    CU_ASSERT_EQUAL(c.target.kind, TARGET_TREND3);
    CU_ASSERT_EQUAL(c.features.n_feat, 3 * 4 + 1);
    CU_ASSERT_EQUAL(c.strategy.dim[BT_F_SPACING].n, 4);
    if (cu_shared_data()) {
        r = config_check_paths(&c, &e);
        if (r) fprintf(stderr, "\n  %s\n", e.msg);
        CU_ASSERT_EQUAL(r, 0);
    } else {
        printf("SKIP path check: ../shared/data absent ");
    }
    config_free(&c);
}

/* The data hash keys every finished task of a journal: a change in how items
 * are spelt would silently invalidate (or worse, collide) existing results.
 * The values are those of the code before features_item_canon existed. */
static void test_data_hash_pinned(void) {
    struct { const char *path; unsigned long long hash; } pin[] = {
        { "configs/quick.ini", 0xff8a7967d04f4579ULL },
        { "configs/fx_grid.ini", 0xd2aed5d19f68645aULL },
    };
    for (size_t i = 0; i < sizeof pin / sizeof *pin; i++) {
        sweep_config c;
        rs_err e;
        int r = config_load(pin[i].path, &c, &e);
        if (r) fprintf(stderr, "\n  %s\n", e.msg);
        CU_ASSERT_EQUAL_FATAL(r, 0);
        if ((unsigned long long)c.data_hash != pin[i].hash)
            fprintf(stderr, "\n  %s: data hash %016llx, pinned %016llx\n", pin[i].path,
                    (unsigned long long)c.data_hash, pin[i].hash);
        CU_ASSERT_EQUAL(c.data_hash, pin[i].hash);
        config_free(&c);
    }
    /* Every item kind of today, spelt out, and its hash. */
    sweep_config c;
    if (load_ok("[features]\nSPX = close,logret,range,vol,sma:10,rsi,macd,boll:20:2.5,volratio:5\n", &c))
        return;
    static char canon[8192];
    config_data_canon(&c, canon, sizeof canon);
    const char *want[] = { "features.item000=close@SPX\n", "features.item001=logret@SPX\n",
                           "features.item002=range@SPX\n", "features.item003=vol:20@SPX\n",
                           "features.item004=sma:10@SPX\n", "features.item005=rsi:14@SPX\n",
                           "features.item006=macd:12:26:9@SPX\n", "features.item007=boll:20:2.5@SPX\n",
                           "features.item008=volratio:5@SPX\n" };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!strstr(canon, want[i])) fprintf(stderr, "\n  canonical text lacks %s", want[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(canon, want[i]));
    }
    CU_ASSERT_EQUAL(c.data_hash, 0x20eac17a5f26c6c5ULL);
    config_free(&c);
}

/* Raw bar values and extra columns in a config: accepted, spelt in the data
 * hash, and a bad column: token is an error at the key's file:line. */
static void test_feature_columns(void) {
    sweep_config c;
    if (load_ok("[features]\nall = close,volume,column:sentiment\n", &c)) return;
    CU_ASSERT_EQUAL(c.features.n_feat, 3);
    CU_ASSERT_EQUAL(c.features.spec.item[2].kind, FEAT_COLUMN);
    CU_ASSERT_STRING_EQUAL(c.features.spec.item[2].col, "sentiment");
    static char canon[8192];
    config_data_canon(&c, canon, sizeof canon);
    CU_ASSERT_PTR_NOT_NULL(strstr(canon, "features.item001=volume@SPX\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(canon, "features.item002=column:sentiment@SPX\n"));
    uint64_t h = c.data_hash;
    config_free(&c);
    /* The name is matched case-insensitively, so its case is not data. */
    if (load_ok("[features]\nall = close,volume,column:Sentiment\n", &c)) return;
    CU_ASSERT_EQUAL(c.data_hash, h);
    config_free(&c);
    const char *m = load_bad(BASE_DATA "[features]\nall = close, column:bad name\n",
                             "[features] all: 'column:bad name': a column name has only letters, digits");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.ini:5:"));
    load_bad(BASE_DATA "[features]\nSPX = open, column:\n", "bad.ini:5: [features] spx: 'column:': column needs a name");
    char text[2048];
    int k = snprintf(text, sizeof text, BASE_DATA "[features]\nSPX = close");
    for (int i = 0; i <= SERIES_COLS_MAX; i++) k += snprintf(text + k, sizeof text - (size_t)k, ",column:c%d", i);
    snprintf(text + k, sizeof text - (size_t)k, ",column:c0\n");
    load_bad(text, "bad.ini:5: [features] spx: SPX uses 17 different column:NAME items, at most 16");
}

static void test_readme_documents_every_key(void) {
    FILE *f = fopen("configs/README.md", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    for (int i = 0; i < config_key_count(); i++) {
        char name[128], want[140];
        config_key_name(i, name, sizeof name);
        snprintf(want, sizeof want, "`%s`", strchr(name, '.') + 1);
        if (!strstr(text, want)) fprintf(stderr, "\n  README lacks %s (%s)\n", want, name);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
    }
    CU_ASSERT_PTR_NULL(config_key_name(config_key_count(), (char[8]){0}, 8));

    /* the [strategy] table is the generated one, byte for byte */
    char *gen = NULL;
    size_t gn = 0;
    FILE *g = open_memstream(&gen, &gn);
    config_describe_strategy_markdown(g);
    fclose(g);
    const char *a = strstr(text, "<!-- strategy-keys -->\n"), *b = strstr(text, "<!-- /strategy-keys -->");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    a += strlen("<!-- strategy-keys -->\n");
    int same = (size_t)(b - a) == gn && !memcmp(a, gen, gn);
    if (!same) fprintf(stderr, "\n  configs/README.md's [strategy] table differs from "
                               "`rnnsweep check --keys-markdown`: paste its output between the markers\n");
    CU_ASSERT(same);
    free(gen);
}

static void test_text_and_compat(void) {
    sweep_config a, b, t;
    rs_err e;
    if (load_ok("[features]\nSPX = close, rsi:14\n", &a)) return;
    CU_ASSERT_EQUAL_FATAL(config_load_text(a.ini_text, "stored.ini", &t, &e), 0);
    CU_ASSERT_EQUAL(t.data_hash, a.data_hash);
    CU_ASSERT_STRING_EQUAL(t.file, "stored.ini");
    CU_ASSERT_EQUAL(config_check_compatible(&a, &t, &e), 0);
    config_free(&t);
    if (load_ok("[features]\nSPX = close, rsi:10\n", &b)) { config_free(&a); return; }
    CU_ASSERT_EQUAL(config_check_compatible(&a, &b, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "[features] item001: was 'rsi:14@SPX', now 'rsi:10@SPX'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "write to a new output file"));
    config_free(&b);
    /* a syntax error in stored text names the given name */
    CU_ASSERT_EQUAL(config_load_text("[data]\nnonsense\n", "stored.ini", &t, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "stored.ini:2:"));
    config_free(&a);
}

/* The INI syntax config.c parses itself (iniparser's): comments, quotes,
 * continuation lines, a byte-order mark; and no temporary file, so loading
 * from text works where no file can be written. */
static void test_ini_syntax(void) {
    sweep_config c;
    rs_err e;
    const char *text =
        "\xEF\xBB\xBF"                                    /* a UTF-8 BOM: skipped */
        "# a comment\n; another\n"
        BASE_DATA
        "[MODEL]\nHidden = 4, \\\n   8   ; inline comment\n"     /* continued, case-insensitive */
        "cell = \"gru\"   # quoted\n"
        "[run]\nname = 'x;y#z'\n";
    /* TMPDIR where nothing can be created: loading from text needs no file */
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", "/nonexistent/rnnsweep", 1);
    int r = config_load_text(text, "bom.ini", &c, &e);
    if (saved) { setenv("TMPDIR", saved, 1); free(saved); } else unsetenv("TMPDIR");
    if (r) printf("\n  %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(c.model.n_hidden, 2);
    CU_ASSERT_EQUAL(c.model.hidden[1].h[0], 8);
    CU_ASSERT_EQUAL(c.model.cell.n, 1);
    CU_ASSERT_EQUAL((int)c.model.cell.v[0], RNN_GRU);
    CU_ASSERT_STRING_EQUAL(c.run.name, "x;y#z");
    CU_ASSERT_EQUAL((int)c.ini_len, (int)strlen(text));   /* the text is kept as written */
    config_free(&c);
    /* the same from a file, BOM included: accepted like the CSV reader does */
    CU_ASSERT_EQUAL(config_load(write_ini("bom.ini", text), &c, &e), 0);
    config_free(&c);
    /* a key on the line after the BOM'd first line keeps its line number */
    load_bad("\xEF\xBB\xBF[data]\ninstruments = SPX\nSPX.path = x.csv\n[model]\nlookbak = 3\n",
             "bad.ini:5: [model] lookbak: unknown key; did you mean 'lookback'?");
    load_bad(BASE_DATA "[run]\nname = \"open\n", "bad.ini:5: [run] name: unterminated double quote");
}

/* A FIFO (or a directory) as the config: refused at once with status 2;
 * opening a FIFO for reading used to block until a writer came. */
static void test_not_a_regular_file(void) {
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/pipe.ini", g_dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    sweep_config c;
    rs_err e;
    CU_ASSERT_EQUAL(config_load(fifo, &c, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not a regular file (a FIFO)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, fifo));
    CU_ASSERT_EQUAL(config_load(g_dir, &c, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not a regular file (a directory)"));
    unlink(fifo);
}

static void test_edit_distance(void) {
    CU_ASSERT_EQUAL(config_edit_distance("lookback", "lookback"), 0);
    CU_ASSERT_EQUAL(config_edit_distance("lookbak", "lookback"), 1);
    CU_ASSERT_EQUAL(config_edit_distance("kitten", "sitting"), 3);
    CU_ASSERT_EQUAL(config_edit_distance("", "abc"), 3);
}

static void test_describe_keys(void) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    config_describe_keys(f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "[strategy]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "fx 400, equity 1"));      /* leverage defaults */
    free(buf);
}

static int setup(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_config_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}


/* issue 10's keys: folds by period, holdout, stride, the corrections */
static void test_new_keys(void) {
    sweep_config c;
    /* accepted: a quarterly sweep with ids; a holdout with val_frac derived */
    if (!load_ok("[walkforward]\nperiod = quarter\nfirst_period = 2017Q2\nlast_period = 2017Q4\n"
                     "rolling_periods = 2\n[training]\nstride = 5, 10\nmax_windows = 1000\n", &c)) {
        CU_ASSERT_EQUAL(c.walkforward.period, FOLD_QUARTER);
        CU_ASSERT_EQUAL(c.walkforward.first_id, 20172);
        CU_ASSERT_EQUAL(c.walkforward.last_id, 20174);
        assert_dim(&c.training.stride, 2, 5.0, 10.0);
        config_free(&c);
    }
    if (!load_ok("[walkforward]\nperiod = month\nfirst_year = 2016\nlast_year = 2017\n", &c)) {
        CU_ASSERT_EQUAL(c.walkforward.first_id, 201601);
        CU_ASSERT_EQUAL(c.walkforward.last_id, 201712);
        config_free(&c);
    }
    if (!load_ok("[walkforward]\nscheme = holdout\ntrain_frac = 0.7\ntest_frac = 0.15\n", &c)) {
        CU_ASSERT_DOUBLE_EQUAL(c.walkforward.val_frac, 0.15, 1e-12);
        config_free(&c);
    }
    if (!load_ok("[target]\nkind = trend3\n[strategy]\ncorrection = none, motormap_online\nmm_size = 10, 20\n"
                     "mm_beta = 0.1\nmm_sigma0 = 0\nmm_epochs = 2\n", &c)) {
        assert_dim(&c.strategy.dim[BT_F_CORRECTION], 2, (double)MM_NONE, (double)MM_ONLINE);
        config_free(&c);
    }
    /* refused, each naming its key */
    load_bad(BASE_DATA "[walkforward]\nperiod = week\n", "[walkforward] period: expected one of year, quarter, month");
    load_bad(BASE_DATA "[walkforward]\nperiod = quarter\nfirst_period = 2017-08\n",
             "[walkforward] first_period: expected a quarter like 2017Q3 (period = quarter), got '2017-08'");
    load_bad(BASE_DATA "[walkforward]\nfirst_period = 2017\nfirst_year = 2017\n",
             "first_period: set first_period or first_year, not both");
    load_bad(BASE_DATA "[walkforward]\nperiod = month\nfirst_period = 2017-09\nlast_period = 2017-02\n",
             "the first test period is after the last");
    load_bad(BASE_DATA "[walkforward]\nrolling_years = 1\nrolling_periods = 4\n",
             "[walkforward] rolling_periods: set rolling_years or rolling_periods, not both");
    load_bad(BASE_DATA "[walkforward]\nscheme = holdout\ntest_frac = 0.2\n",
             "[walkforward] train_frac: scheme = holdout needs a fraction in (0, 1)");
    load_bad(BASE_DATA "[walkforward]\nscheme = holdout\ntrain_frac = 0.7\ntest_frac = 0.2\nval_frac = 0.2\n",
             "[walkforward] val_frac: train_frac + val_frac + test_frac must be 1");
    load_bad(BASE_DATA "[walkforward]\nscheme = holdout\ntrain_frac = 0.7\ntest_frac = 0.3\nfirst_year = 2017\n",
             "[walkforward] first_year: has no effect with scheme = holdout");
    load_bad(BASE_DATA "[walkforward]\ntrain_frac = 0.7\n", "[walkforward] train_frac: is used by scheme = holdout only");
    load_bad(BASE_DATA "[walkforward]\nscheme = holdout\ntrain_frac = 1.5\ntest_frac = 0.1\n",
             "[walkforward] train_frac: expected a number in [0, 1]");
    load_bad(BASE_DATA "[training]\nstride = 0\n", "[training] stride: expected an integer in [1, 1000000]");
    load_bad(BASE_DATA "[training]\nmax_windows = -1\n", "[training] max_windows: expected an integer in [0, 1000000000]");
    load_bad(BASE_DATA "[strategy]\ncorrection = motormap\n",
             "[strategy] correction: a correction re-labels trend3 classes; this sweep's target kind = return has none");
    load_bad(BASE_DATA "[strategy]\ncorrection = mapmotor\n", "[strategy] correction: expected one of none, motormap");
#define T3 BASE_DATA "[target]\nkind = trend3\n"
    load_bad(T3 "[strategy]\ncorrection = motormap\nmm_size = 1\n", "[strategy] mm_size: expected an integer in [2, 256]");
    load_bad(T3 "[strategy]\ncorrection = motormap\nmm_beta = 0\n", "[strategy] mm_beta: expected a number in (0, 1]");
    load_bad(T3 "[strategy]\ncorrection = motormap\nmm_beta = 1.5\n", "[strategy] mm_beta: expected a number in (0, 1]");
    load_bad(T3 "[strategy]\ncorrection = motormap\nmm_sigma0 = -1\n", "[strategy] mm_sigma0: expected a number in [0, 256]");
    load_bad(T3 "[strategy]\ncorrection = motormap\nmm_epochs = 0\n", "[strategy] mm_epochs: expected an integer in [1, 10000]");
    load_bad(T3 "[strategy]\nmm_size = 10, 20\n", "[strategy] mm_size: a grid of 2 values, but no strategy has a correction");
    /* a map too large for a worker: 256 x 256 neurons over 10000-bar windows */
    const char *m = load_bad(T3 "[model]\nlookback = 10000\n[strategy]\ncorrection = motormap\nmm_size = 256\n",
                             "[strategy] mm_size: 256 x 256 neurons over windows of 1 instruments x 10000 bars");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.ini:"));
#undef T3
}

static CU_TestInfo tests[] = {
    {"folds by period, holdout, stride, corrections: accepted and refused", test_new_keys},
    {"value forms: list, range, layer list, enum, bool, duration", test_value_forms},
    {"range errors: step <= 0, lo > hi, too many values", test_range_errors},
    {"unknown section: did you mean, line", test_unknown_section},
    {"unknown key: did you mean, other section", test_unknown_key},
    {"wrong type: FILE:LINE: [section] key: expected, got", test_wrong_type},
    {"out of range", test_out_of_range},
    {"empty grid", test_empty_grid},
    {"syntax, duplicates, required keys, cross checks", test_structure_errors},
    {"[search]: method, samples, seed, eta, min_folds, metric", test_search_section},
    {"missing data file: config_check_paths", test_missing_data_file},
    {"configs/quick.ini and fx_grid.ini parse", test_shipped_configs},
    {"data hash of shipped configs and every item kind pinned", test_data_hash_pinned},
    {"features: volume, column:NAME; bad column token at file:line", test_feature_columns},
    {"configs/README.md documents every key", test_readme_documents_every_key},
    {"config_load_text, config_check_compatible", test_text_and_compat},
    {"INI syntax: BOM, comments, quotes, continuations; no temporary file", test_ini_syntax},
    {"a FIFO or a directory as the config: refused at once", test_not_a_regular_file},
    {"edit distance", test_edit_distance},
    {"config_describe_keys", test_describe_keys},
    CU_TEST_INFO_NULL
};

int main(void) {
    if (setup()) return 2;
    int r = cu_run("config", tests);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}

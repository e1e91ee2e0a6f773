/*
 * config.c — INI sweep configs: scan, parse, validate (see config.h).
 *
 * Every key lives in one table (KEYS) that says where it is stored, its type,
 * range and default, and whether it is a grid dimension.  Parsing, the
 * "did you mean" suggestions, the canonical data text and the key listing
 * all walk that table, so a key added there is parsed, hashed and documented
 * in one go.  The per-instrument keys of [data] and [features] are the only
 * keys outside it: their names depend on [data] instruments.
 *
 * Contents (sections in file order):
 *   the key table          KEYS: every key, its type, bounds, default, store
 *   small helpers          edit distance, trim, lower
 *   the file scan          the one INI parse: lines, syntax, duplicates,
 *                          iniparser's dictionary
 *   values                 scalars, lists, ranges, layer lists, enums, bools
 *   names                  unknown sections and keys, "did you mean"
 *   sections with structure  instruments, per-instrument keys, features,
 *                          cross checks
 *   load                   reading the file (regular files only), load_text
 *   paths                  config_check_paths
 *   canonical data text    config_data_canon / _hash, config_check_compatible
 *   listing                config_describe_keys, the [strategy] markdown
 */
#include "coordinator/config.h"
#include "worker/task.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <iniparser.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the key table ------------------------------------------------------ */

enum { T_INT, T_FLOAT, T_BOOL, T_ENUM, T_STR, T_NAMES, T_LAYERS, T_DURATION };
enum { ST_INT, ST_I64, ST_DBL, ST_STR, ST_DIM, ST_NONE };

#define F_LIST    0x01u   /* a grid dimension: list / range allowed          */
#define F_NOHASH  0x02u   /* not part of the data hash                       */
#define F_GRID    0x04u   /* strategy: used by kind = grid only              */
#define F_REG     0x08u   /* strategy: used with return / price targets only */
#define F_CLS     0x10u   /* strategy: used with the trend3 target only      */
#define F_LO_OPEN 0x20u   /* lower bound excluded                            */
#define F_HI_OPEN 0x40u   /* upper bound excluded                            */

static const rs_enum E_CELL[]   = { {"lstm", RNN_LSTM}, {"gru", RNN_GRU}, {"gru_classic", RNN_GRU_CLASSIC},
                                     {"rnn_tanh", RNN_TANH}, {"rnn_relu", RNN_RELU}, {"rnn", RNN_TANH}, {0, 0} };
static const rs_enum E_ALIGN[]  = { {"inner", SERIES_INNER}, {"ffill", SERIES_FFILL}, {0, 0} };
static const rs_enum E_SCALE[]  = { {"none", SCALE_NONE}, {"minmax", SCALE_MINMAX}, {"zscore", SCALE_ZSCORE}, {0, 0} };
static const rs_enum E_TARGET[] = { {"return", TARGET_RETURN}, {"price", TARGET_PRICE}, {"trend3", TARGET_TREND3}, {0, 0} };
/* [run] series: task.h's resolutions, and auto (config_series) */
static const rs_enum E_SERIES[] = { {"auto", CFG_SERIES_AUTO}, {"bar", TASK_SERIES_BAR}, {"day", TASK_SERIES_DAY},
                                    {"none", TASK_SERIES_NONE}, {0, 0} };
static const rs_enum E_FIT[]    = { {"quantiles", 1}, {"fixed", 0}, {0, 0} };
const rs_enum CFG_E_SEARCH[]    = { {"grid", SEARCH_GRID}, {"random", SEARCH_RANDOM}, {"halving", SEARCH_HALVING},
                                    {0, 0} };

typedef struct {
    const char     *sec, *name;
    int             type;
    int             store;     /* ST_*: how the value sits in sweep_config   */
    unsigned        flags;
    double          lo, hi;    /* numeric bounds (T_INT, T_FLOAT)            */
    const rs_enum *en;        /* T_ENUM names                               */
    const char     *def;       /* default as INI text; NULL: see doc         */
    size_t          off;       /* offset in sweep_config                     */
    size_t          size;      /* ST_STR capacity                            */
    int             slot;      /* [strategy]: BT_F_* field, else -1          */
    const char     *doc;
} cfg_key;

#define OFF(f)  offsetof(sweep_config, f)
#define SZ(f)   sizeof(((sweep_config *)0)->f)
#define BIG     1e15

#define K_SCALAR(sec, name, type, st, lo, hi, en, def, field, doc) \
    { sec, name, type, st, 0, lo, hi, en, def, OFF(field), SZ(field), -1, doc }
#define K_DIM(sec, name, type, fl, lo, hi, en, def, field, doc) \
    { sec, name, type, ST_DIM, F_LIST | (fl), lo, hi, en, def, OFF(field), 0, -1, doc }
/* [strategy] keys come from worker/strategy.h's table: one generated entry
 * per field, no default text (absent = the market's default). */
#define K_USE(use) (((use) & BT_U_GRID ? F_GRID : 0) | ((use) & BT_U_REG ? F_REG : 0) | \
                    ((use) & BT_U_CLS ? F_CLS : 0))
#define K_TYPE_INT  T_INT
#define K_TYPE_REAL T_FLOAT
#define K_TYPE_BOOL T_BOOL
#define K_TYPE_ENUM T_ENUM
#define K_STRAT(ID, key, field, type, names, use, bounds, lo, hi, fx, eq, label, doc)                   \
    { "strategy", key, K_TYPE_##type, ST_DIM,                                                          \
      F_LIST | K_USE(use) | ((bounds) == BT_B_LO_OPEN ? F_LO_OPEN : 0), lo, hi, names, NULL,            \
      OFF(strategy.dim) + (size_t)BT_F_##ID * sizeof(cfg_dim), 0, BT_F_##ID, doc },

static const cfg_key KEYS[] = {
    /* [data] */
    { "data", "instruments", T_NAMES, ST_NONE, F_NOHASH, 0, 0, NULL, NULL, 0, 0, -1,
      "instrument names, comma-separated (required); each needs <name>.path" },
    { "data", "drop_bad", T_BOOL, ST_INT, 0, 0, 1, NULL, "0", OFF(data.drop_bad), 0, -1,
      "skip rows with a price <= 0 instead of failing" },
    K_SCALAR("data", "align", T_ENUM, ST_INT, 0, 0, E_ALIGN, "inner", data.align,
             "several instruments: keep common bars (inner) or forward-fill (ffill)"),
    K_SCALAR("data", "resample", T_DURATION, ST_I64, 0, 366.0 * 86400, NULL, "0", data.resample,
             "resample to bars of this length (3600, 60m, 1h, 1d); 0 = as loaded"),
    K_SCALAR("data", "resample_offset", T_DURATION, ST_I64, 0, 366.0 * 86400, NULL, "0",
             data.resample_offset, "offset of the resampled bar boundaries"),
    { "data", "price_div", T_FLOAT, ST_DBL, F_NOHASH, 0, BIG, NULL, "0", OFF(data.price_div), 0, -1,
      "divide prices by this (100000 for broker files); 0 or 1 = as stored" },
    { "data", "columns", T_STR, ST_STR, F_NOHASH, 0, 0, NULL, "", OFF(data.columns), SZ(data.columns), -1,
      "headerless column layout (series.h), e.g. date,time,open,high,low,close,-; empty = detect" },
    /* [features] */
    { "features", "all", T_STR, ST_STR, F_NOHASH, 0, 0, NULL, "close,logret", OFF(features.all),
      SZ(features.all), -1, "feature spec for every instrument without its own <name> key" },
    { "features", "cross", T_STR, ST_STR, F_NOHASH, 0, 0, NULL, "", OFF(features.cross),
      SZ(features.cross), -1, "cross-instrument items, e.g. triangle:0:2:1 (instrument indices)" },
    K_SCALAR("features", "scaler", T_ENUM, ST_INT, 0, 0, E_SCALE, "zscore", features.scaler,
             "feature scaling fit on each fold's training rows"),
    /* [target] */
    K_SCALAR("target", "kind", T_ENUM, ST_INT, 0, 0, E_TARGET, "return", target.kind,
             "return (log return, regression), price (regression), trend3 (3 classes)"),
    K_SCALAR("target", "horizon", T_INT, ST_INT, 1, 10000, NULL, "1", target.horizon,
             "bars ahead the target looks"),
    K_SCALAR("target", "trend3_fit", T_ENUM, ST_INT, 0, 0, E_FIT, "quantiles", target.trend3_fit,
             "trend3 thresholds: training 1/3 and 2/3 quantiles, or fixed +-trend3_theta"),
    K_SCALAR("target", "trend3_theta", T_FLOAT, ST_DBL, 0, 1, NULL, "0", target.trend3_theta,
             "trend3_fit = fixed: RANGE when |forward return| <= theta"),
    K_SCALAR("target", "scaler", T_ENUM, ST_INT, 0, 0, E_SCALE, "zscore", target.scaler,
             "kind = price: label scaling fit on training labels"),
    /* [walkforward] */
    K_SCALAR("walkforward", "scheme", T_ENUM, ST_INT, 0, 0, FOLD_E_SCHEME, "walkforward", walkforward.scheme,
             "walkforward (one fold per test period) or holdout (one chronological train / validation / "
             "test split by fractions)"),
    K_SCALAR("walkforward", "period", T_ENUM, ST_INT, 0, 0, FOLD_E_PERIOD, "year", walkforward.period,
             "walkforward test period: year, quarter or month; fold ids 2017, 2017Q3, 2017-08"),
    { "walkforward", "first_year", T_INT, ST_INT, F_NOHASH, 0, 9999, NULL, "0",
      OFF(walkforward.first_year), 0, -1, "first test year (every period of it); 0 = the period after the first window's" },
    { "walkforward", "last_year", T_INT, ST_INT, F_NOHASH, 0, 9999, NULL, "0",
      OFF(walkforward.last_year), 0, -1, "last test year (every period of it); 0 = the last window's period" },
    { "walkforward", "first_period", T_STR, ST_STR, F_NOHASH, 0, 0, NULL, "", OFF(walkforward.first_period),
      SZ(walkforward.first_period), -1, "first test period by id (2017, 2017Q3, 2017-08), instead of first_year" },
    { "walkforward", "last_period", T_STR, ST_STR, F_NOHASH, 0, 0, NULL, "", OFF(walkforward.last_period),
      SZ(walkforward.last_period), -1, "last test period by id, instead of last_year" },
    K_SCALAR("walkforward", "rolling_years", T_INT, ST_INT, 0, 100, NULL, "0", walkforward.rolling_years,
             "0 = expanding training from the first window; K = the K years before the test period"),
    K_SCALAR("walkforward", "rolling_periods", T_INT, ST_INT, 0, 10000, NULL, "0", walkforward.rolling_periods,
             "or K = the K test periods (quarters, months) before the test period; 0 = off"),
    { "walkforward", "val_frac", T_FLOAT, ST_DBL, F_HI_OPEN, 0, 1, NULL, "0.2", OFF(walkforward.val_frac),
      0, -1, "validation = the last fraction of the training span (early stopping); holdout: the fraction of "
      "all windows after training (default 1 - train_frac - test_frac)" },
    K_SCALAR("walkforward", "train_frac", T_FLOAT, ST_DBL, 0, 1, NULL, "0", walkforward.train_frac,
             "holdout: the first fraction of the windows trains"),
    K_SCALAR("walkforward", "test_frac", T_FLOAT, ST_DBL, 0, 1, NULL, "0", walkforward.test_frac,
             "holdout: the last fraction of the windows tests"),
    K_SCALAR("walkforward", "val_months", T_INT, ST_INT, 0, 120, NULL, "0", walkforward.val_months,
             "validation = the last N months before the test year (wins over val_frac when > 0)"),
    K_SCALAR("walkforward", "embargo", T_INT, ST_INT, 0, 1e8, NULL, "0", walkforward.embargo,
             "bars between sets; 0 = lookback + horizon; else at least that"),
    K_SCALAR("walkforward", "min_train", T_INT, ST_INT, 0, 1e9, NULL, "0", walkforward.min_train,
             "a fold with fewer training windows is recorded as empty (0 = 1)"),
    /* [model] */
    K_DIM("model", "cell", T_ENUM, 0, 0, 0, E_CELL, "lstm", model.cell,
          "lstm, gru, gru_classic, rnn_tanh (alias rnn), rnn_relu"),
    { "model", "hidden", T_LAYERS, ST_NONE, F_LIST, 1, 4096, NULL, "32", 0, 0, -1,
      "hidden sizes; 64x32 = two stacked layers, bottom first" },
    K_DIM("model", "lookback", T_INT, 0, 1, 10000, NULL, "20", model.lookback, "time steps per window"),
    K_DIM("model", "dropout", T_FLOAT, F_HI_OPEN, 0, 1, NULL, "0", model.dropout,
          "dropout between layers (training only)"),
    K_DIM("model", "seed", T_INT, 0, 0, 9007199254740991.0, NULL, "1", model.seed,
          "replicate seed; each task's stream derives from its key, which includes it"),
    K_DIM("model", "forget_bias_one", T_BOOL, 0, 0, 1, NULL, "0", model.forget_bias_one,
          "LSTM: initialise the forget-gate bias to 1 (ignored by other cells)"),
    /* [training] */
    K_DIM("training", "lr", T_FLOAT, F_LO_OPEN, 0, 10, NULL, "0.001", training.lr, "Adam learning rate"),
    K_DIM("training", "batch", T_INT, 0, 1, 65536, NULL, "32", training.batch, "mini-batch size"),
    K_DIM("training", "epochs", T_INT, 0, 1, 100000, NULL, "20", training.epochs, "maximum epochs"),
    K_DIM("training", "weight_decay", T_FLOAT, 0, 0, 10, NULL, "0", training.weight_decay,
          "decoupled (AdamW) weight decay of the weight matrices"),
    K_DIM("training", "clip_norm", T_FLOAT, 0, 0, 1e6, NULL, "1", training.clip_norm,
          "clip the global gradient norm; 0 = off"),
    K_DIM("training", "patience", T_INT, 0, 0, 100000, NULL, "5", training.patience,
          "early stopping: epochs without validation improvement; 0 = off"),
    K_DIM("training", "min_delta", T_FLOAT, 0, 0, 1e6, NULL, "0", training.min_delta,
          "improvement that resets patience"),
    K_DIM("training", "stride", T_INT, 0, 1, 1e6, NULL, "1", training.stride,
          "train on every N-th training (and validation) window; test windows are all evaluated"),
    K_DIM("training", "max_windows", T_INT, 0, 0, 1e9, NULL, "0", training.max_windows,
          "at most this many training windows, the most recent (after stride); 0 = all"),
    /* [strategy] */
    K_SCALAR("strategy", "market", T_ENUM, ST_INT, 0, 0, BT_E_MARKET, "fx", strategy.market,
             "fx or equity: chooses the defaults of every other [strategy] key (worker/strategy.h)"),
    BT_FIELDS(K_STRAT)
    /* [search] */
    K_SCALAR("search", "method", T_ENUM, ST_INT, 0, 0, CFG_E_SEARCH, "grid", search.method,
             "grid (every model point), random (a seeded sample of the configurations, coordinator/plan.h) or "
             "halving (successive halving over the walk-forward periods, coordinator/halving.h)"),
    K_SCALAR("search", "samples", T_INT, ST_INT, 0, CFG_MAX_MODELS, NULL, "0", search.samples,
             "random: configurations drawn without replacement (the seeds of one are kept together)"),
    K_SCALAR("search", "seed", T_INT, ST_I64, 0, 9007199254740991.0, NULL, "1", search.seed,
             "random: the draw's seed (the same sample for any rank count)"),
    K_SCALAR("search", "eta", T_INT, ST_INT, 2, 100, NULL, "3", search.eta,
             "halving: the best 1/eta of each rung move on; each rung has eta times the periods of the last"),
    K_SCALAR("search", "min_folds", T_INT, ST_INT, 1, 10000, NULL, "1", search.min_folds,
             "halving: walk-forward periods of the first rung (every configuration runs them)"),
    K_SCALAR("search", "metric", T_STR, ST_STR, 0, 0, NULL, "sharpe", search.metric,
             "halving: the ranking metric a rung promotes by (a metric of rnnsweep show)"),
    /* [run] */
    K_SCALAR("run", "name", T_STR, ST_STR, 0, 0, NULL, "", run.name, "sweep name; empty = the INI file's stem"),
    K_SCALAR("run", "output", T_STR, ST_STR, 0, 0, NULL, "", run.output,
             "results file; empty = results/<name>.h5"),
    K_SCALAR("run", "threads", T_INT, ST_INT, 0, 1024, NULL, "0", run.threads,
             "OpenMP threads per rank; 0 = OMP_NUM_THREADS"),
    K_SCALAR("run", "save_weights", T_BOOL, ST_INT, 0, 1, NULL, "0", run.save_weights,
             "store each task's trained weights in the results file (/weights; rnn.h blob format)"),
    K_SCALAR("run", "series", T_ENUM, ST_INT, 0, 0, E_SERIES, "auto", run.series,
             "per-strategy series stored: bar | day | none; auto = day for bars shorter than a day, else bar "
             "(metrics always from every bar)"),
};
#define N_KEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

static const char *SECTIONS[] = { "data", "features", "target", "walkforward", "model", "training",
                                  "strategy", "search", "run" };
#define N_SECTIONS ((int)(sizeof SECTIONS / sizeof SECTIONS[0]))

/* Per-instrument keys: [data] <name>.<sub> and [features] <name>. */
static const char *INST_SUBKEYS[] = { "path", "price_div", "adjust", "columns" };
#define N_SUBKEYS 4

/* ---- small helpers ---------------------------------------------------- */

int config_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    int d[65], prev;
    for (size_t j = 0; j <= lb; j++) d[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        prev = d[0];
        d[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int t = d[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = d[j] + 1, ins = d[j - 1] + 1;
            d[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = t;
        }
    }
    return d[lb];
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static void lower(char *s) { for (; *s; s++) *s = (char)tolower((unsigned char)*s); }

/* ---- the file scan: lines, syntax, duplicates ------------------------- */

typedef struct {
    char sec[64];
    char key[128];
    int  line;
} scan_entry;

typedef struct {
    const char *file;          /* for messages                             */
    scan_entry *ent;
    int         n_ent;
    dictionary *ini;
    sweep_config *c;
    rs_err     *e;
} loadctx;

static int scan_line_of(const loadctx *L, const char *sec, const char *key) {
    for (int i = 0; i < L->n_ent; i++)
        if (!strcmp(L->ent[i].sec, sec) && !strcmp(L->ent[i].key, key)) return L->ent[i].line;
    return 0;
}

/* "FILE:LINE: [sec] key: <msg>" (no LINE when the key is not in the file). */
__attribute__((format(printf, 4, 5)))
static int key_err(const loadctx *L, const char *sec, const char *key, const char *fmt, ...) {
    char msg[RS_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = scan_line_of(L, sec, key);
    if (line)
        return rs_err_set(L->e, RS_EINPUT, "%s:%d: [%s] %s: %s", L->file, line, sec, key, msg);
    return rs_err_set(L->e, RS_EINPUT, "%s: [%s] %s: %s", L->file, sec, key, msg);
}

/* Make room for n bytes in a growable buffer. */
static int grow(char **b, size_t *cap, size_t n) {
    if (n <= *cap) return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < n) nc *= 2;
    char *nb = realloc(*b, nc);
    if (!nb) return -1;
    *b = nb;
    *cap = nc;
    return 0;
}

static int add_entry(loadctx *L, int *cap, const scan_entry *en) {
    if (L->n_ent == *cap) {
        scan_entry *ne = realloc(L->ent, (size_t)(*cap *= 2) * sizeof *ne);
        if (!ne) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
        L->ent = ne;
    }
    L->ent[L->n_ent++] = *en;
    return 0;
}

/* The one parse of the INI text, with iniparser's syntax: sections
 * "[name]", "key = value", ';' and '#' comment lines, a trailing '\'
 * joining the next line, section and key names case-insensitive.  A value
 * is the text after '=' up to a ';' or '#', trimmed, or the text between
 * double or single quotes (which may hold ';' and '#'); "" and '' are
 * empty.  A UTF-8 byte-order mark at the start (what some Windows editors
 * write) is skipped, as the CSV reader does.  Records each key's line and,
 * when d is not NULL, fills iniparser's dictionary ("sec:key" -> value) —
 * so iniparser's accessors serve the values and no file is read twice.
 * Rejects what iniparser would accept silently or report without a useful
 * message: lines that are neither, keys outside a section, duplicate keys,
 * an unterminated quote. */
static int scan_text(loadctx *L, const char *text, dictionary *d) {
    int cap = 64, line = 0, rc = 0;
    char sec[64] = "";
    const char *p = text;
    if (!strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    char *buf = NULL;
    size_t bcap = 0;
    L->ent = malloc((size_t)cap * sizeof *L->ent);
    if (!L->ent) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
    while (*p && !rc) {
        int first = ++line;
        /* one logical line: physical lines joined at a trailing '\' */
        size_t blen = 0;
        for (;;) {
            const char *q = strchr(p, '\n');
            size_t n = q ? (size_t)(q - p) : strlen(p), m = n;
            while (m && isspace((unsigned char)p[m - 1])) m--;
            int cont = m && p[m - 1] == '\\';
            if (cont) m--;
            if (grow(&buf, &bcap, blen + m + 1)) { free(buf); return rs_err_set(L->e, RS_EINTERNAL, "out of memory"); }
            memcpy(buf + blen, p, m);
            blen += m;
            p = q ? q + 1 : p + n;
            if (!cont || !*p) break;
            line++;
        }
        buf[blen] = 0;
        char *s = trim(buf);
        if (!*s || *s == ';' || *s == '#') continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end) { rc = rs_err_set(L->e, RS_EINPUT, "%s:%d: expected '[section]', got '%s'", L->file, first, s); break; }
            *end = 0;
            char *name = trim(s + 1);
            snprintf(sec, sizeof sec, "%s", name);
            lower(sec);
            /* an entry with an empty key: an unknown section is reported
             * at its header even when it holds no key */
            scan_entry en = { .line = first };
            snprintf(en.sec, sizeof en.sec, "%s", sec);
            if ((rc = add_entry(L, &cap, &en))) break;
            if (d && dictionary_set(d, sec, NULL)) { rc = rs_err_set(L->e, RS_EINTERNAL, "out of memory"); break; }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = rs_err_set(L->e, RS_EINPUT, "%s:%d: expected 'key = value' or '[section]', got '%s'", L->file,
                            first, s);
            break;
        }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        if (!*key) { rc = rs_err_set(L->e, RS_EINPUT, "%s:%d: a value without a key", L->file, first); break; }
        if (!*sec) {
            rc = rs_err_set(L->e, RS_EINPUT, "%s:%d: key '%s' outside any [section]", L->file, first, key);
            break;
        }
        scan_entry en;
        snprintf(en.sec, sizeof en.sec, "%s", sec);
        snprintf(en.key, sizeof en.key, "%s", key);
        lower(en.key);
        en.line = first;
        int dup = scan_line_of(L, en.sec, en.key);
        if (dup) {
            rc = rs_err_set(L->e, RS_EINPUT, "%s:%d: [%s] %s: duplicate key (first set at line %d)", L->file,
                            first, en.sec, en.key, dup);
            break;
        }
        if (*val == '"' || *val == '\'') {
            char *close = strchr(val + 1, *val);
            if (!close) {
                rc = rs_err_set(L->e, RS_EINPUT, "%s:%d: [%s] %s: unterminated %s quote", L->file, first, en.sec,
                                en.key, *val == '"' ? "double" : "single");
                break;
            }
            *close = 0;
            val++;
        } else {
            val[strcspn(val, ";#")] = 0;
            val = trim(val);
        }
        if ((rc = add_entry(L, &cap, &en))) break;
        if (d) {
            char full[256];
            snprintf(full, sizeof full, "%s:%s", en.sec, en.key);
            if (dictionary_set(d, full, val)) rc = rs_err_set(L->e, RS_EINTERNAL, "out of memory");
        }
    }
    free(buf);
    return rc;
}

/* ---- values ------------------------------------------------------------- */

static void expect_text(const cfg_key *k, char *buf, size_t n) {
    char en[256];
    switch (k->type) {
    case T_INT:
        snprintf(buf, n, "an integer in [%.15g, %.15g]", k->lo, k->hi); break;
    case T_FLOAT:
        snprintf(buf, n, "a number in %c%.15g, %.15g%c", k->flags & F_LO_OPEN ? '(' : '[', k->lo, k->hi,
                 k->flags & F_HI_OPEN ? ')' : ']');
        break;
    case T_BOOL: snprintf(buf, n, "0 or 1 (true/false, yes/no, on/off)"); break;
    case T_ENUM: rs_enum_list(k->en, en, sizeof en); snprintf(buf, n, "one of %s", en); break;
    case T_DURATION: snprintf(buf, n, "a duration (3600, 60m, 1h, 1d) up to 366d"); break;
    case T_LAYERS: snprintf(buf, n, "layer sizes in [1, 4096] like 64 or 64x32, at most %d layers",
                            RNN_MAX_LAYERS); break;
    default: snprintf(buf, n, "text"); break;
    }
}

static int in_bounds(const cfg_key *k, double v) {
    if (!isfinite(v)) return 0;
    if (k->flags & F_LO_OPEN ? v <= k->lo : v < k->lo) return 0;
    if (k->flags & F_HI_OPEN ? v >= k->hi : v > k->hi) return 0;
    return 1;
}

/* A whole-token number; -1 when there is anything else. */
static int parse_num(const char *s, size_t n, double *out) {
    char buf[128];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* One token (no commas) of a scalar type into *v; -1 when malformed.
 * Integers must be whole (1e3 is fine, 2.5 is not). */
static int parse_token(const cfg_key *k, const char *s, size_t n, double *v) {
    int code;
    switch (k->type) {
    case T_INT:
        if (parse_num(s, n, v) || *v != floor(*v)) return -1;
        return 0;
    case T_FLOAT:
        return parse_num(s, n, v);
    case T_BOOL: {
        static const rs_enum B[] = { {"0", 0}, {"1", 1}, {"false", 0}, {"true", 1}, {"no", 0},
                                      {"yes", 1}, {"off", 0}, {"on", 1}, {0, 0} };
        if (rs_enum_code(B, s, n, &code)) return -1;
        *v = code;
        return 0;
    }
    case T_ENUM:
        if (rs_enum_code(k->en, s, n, &code)) return -1;
        *v = code;
        return 0;
    case T_DURATION: {
        size_t m = n;
        double mult = 1;
        if (m && strchr("smhd", tolower((unsigned char)s[m - 1]))) {
            char u = (char)tolower((unsigned char)s[m - 1]);
            mult = u == 's' ? 1 : u == 'm' ? 60 : u == 'h' ? 3600 : 86400;
            m--;
        } else if (m > 3 && !strncasecmp(s + m - 3, "min", 3)) {
            mult = 60;
            m -= 3;
        }
        if (parse_num(s, m, v) || *v != floor(*v)) return -1;
        *v *= mult;
        return 0;
    }
    }
    return -1;
}

typedef struct { int n, cap; double *v; } dbuf;

static int dbuf_push(dbuf *b, double v) {
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        double *nv = realloc(b->v, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        b->v = nv;
        b->cap = cap;
    }
    b->v[b->n++] = v;
    return 0;
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* lo:hi[:step] -> values appended to *b.  Returns 0 or an error message in msg. */
static int parse_range(const cfg_key *k, const char *s, size_t n, dbuf *b, char *msg, size_t msz) {
    const char *c1 = memchr(s, ':', n);
    const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(s + n - c1 - 1)) : NULL;
    double lo, hi, step = 1;
    int integer = k->type == T_INT;
    if (k->type != T_INT && k->type != T_FLOAT) {
        snprintf(msg, msz, "a range needs a numeric key");
        return -1;
    }
    if (parse_num(s, (size_t)(c1 - s), &lo) ||
        parse_num(c1 + 1, (size_t)((c2 ? c2 : s + n) - c1 - 1), &hi) ||
        (c2 && parse_num(c2 + 1, (size_t)(s + n - c2 - 1), &step)) ||
        (c2 && memchr(c2 + 1, ':', (size_t)(s + n - c2 - 1)))) {
        snprintf(msg, msz, "expected a range lo:hi:step of numbers");
        return -1;
    }
    if (!c2 && !integer) {
        snprintf(msg, msz, "a float range needs a step (lo:hi:step)");
        return -1;
    }
    if (integer && (lo != floor(lo) || hi != floor(hi) || step != floor(step))) {
        snprintf(msg, msz, "expected an integer range lo:hi:step");
        return -1;
    }
    if (!(step > 0)) {
        snprintf(msg, msz, "range step must be > 0");
        return -1;
    }
    if (lo > hi) {
        snprintf(msg, msz, "empty grid: the range has no values (lo > hi)");
        return -1;
    }
    /* The tolerance lets 0.1:0.3:0.1 include 0.3 despite binary rounding. */
    double count = floor((hi - lo) / step * (1 + 1e-12) + 1e-9) + 1;
    if (count > CFG_RANGE_MAX) {
        snprintf(msg, msz, "the range gives %.0f values, more than %d", count, CFG_RANGE_MAX);
        return -1;
    }
    for (int i = 0; i < (int)count; i++) {
        double v = lo + i * step;
        if (!integer) {   /* 12 significant digits: the value a person typed */
            char t[64];
            snprintf(t, sizeof t, "%.12g", v);
            v = strtod(t, NULL);
        }
        if (dbuf_push(b, v)) {
            snprintf(msg, msz, "out of memory");
            return -2;
        }
    }
    return 0;
}

/* Parse a grid dimension (or, without F_LIST, a single value) of key k. */
static int parse_values(const loadctx *L, const cfg_key *k, const char *sec, const char *name,
                        const char *text, dbuf *b) {
    char expect[300], msg[200];
    expect_text(k, expect, sizeof expect);
    const char *p = text;
    int only_space = 1;
    for (const char *t = text; *t; t++) only_space &= isspace((unsigned char)*t) != 0;
    if (only_space)
        return key_err(L, sec, name, (k->flags & F_LIST) ? "empty grid: expected at least one value, %s"
                                                          : "expected %s, got ''", expect);
    if (!(k->flags & F_LIST) && strchr(text, ','))
        return key_err(L, sec, name, "expected one value (not a grid dimension): %s, got '%s'", expect, text);
    for (;;) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        while (n && isspace((unsigned char)*p)) { p++; n--; }
        while (n && isspace((unsigned char)p[n - 1])) n--;
        if (!n) return key_err(L, sec, name, "empty list item in '%s'", text);
        if (memchr(p, ':', n) && (k->flags & F_LIST) && k->type != T_ENUM) {
            int before = b->n, r = parse_range(k, p, n, b, msg, sizeof msg);
            if (r == -2) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
            if (r) return key_err(L, sec, name, "%s, got '%.*s'", msg, (int)n, p);
            for (int i = before; i < b->n; i++)
                if (!in_bounds(k, b->v[i]))
                    return key_err(L, sec, name, "expected %s, got %.15g from the range '%.*s'", expect,
                                   b->v[i], (int)n, p);
        } else {
            double v;
            if (parse_token(k, p, n, &v) || ((k->type == T_INT || k->type == T_FLOAT ||
                                              k->type == T_DURATION) && !in_bounds(k, v)))
                return key_err(L, sec, name, "expected %s, got '%.*s'", expect, (int)n, p);
            if (dbuf_push(b, v)) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
        }
        if (b->n > CFG_LIST_MAX)
            return key_err(L, sec, name, "more than %d values", CFG_LIST_MAX);
        if (!q) break;
        p = q + 1;
    }
    /* Duplicates would give two points with one key: refuse them. */
    double *s = malloc((size_t)b->n * sizeof *s);
    if (!s) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
    memcpy(s, b->v, (size_t)b->n * sizeof *s);
    qsort(s, (size_t)b->n, sizeof *s, cmp_dbl);
    for (int i = 1; i < b->n; i++)
        if (s[i] == s[i - 1]) {
            double d = s[i];
            free(s);
            if (k->type == T_ENUM)
                return key_err(L, sec, name, "'%s' appears twice in '%s'", rs_enum_name(k->en, (int)d), text);
            return key_err(L, sec, name, "value %.17g appears twice in '%s'", d, text);
        }
    free(s);
    return 0;
}

/* hidden = 32, 64x32, 16:64:16 */
static int parse_layers(const loadctx *L, const cfg_key *k, const char *text, sweep_config *c) {
    char expect[200];
    expect_text(k, expect, sizeof expect);
    int cap = 8, n = 0;
    cfg_layers *out = malloc((size_t)cap * sizeof *out);
    if (!out) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
    c->model.hidden = out;
    c->model.n_hidden = 0;
    const char *p = text;
    int only_space = 1;
    for (const char *t = text; *t; t++) only_space &= isspace((unsigned char)*t) != 0;
    if (only_space) return key_err(L, "model", "hidden", "empty grid: expected at least one value, %s", expect);
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        while (len && isspace((unsigned char)*p)) { p++; len--; }
        while (len && isspace((unsigned char)p[len - 1])) len--;
        if (!len) return key_err(L, "model", "hidden", "empty list item in '%s'", text);
        dbuf one = {0};
        cfg_layers ls = {0};
        if (memchr(p, ':', len)) {    /* a range of single-layer sizes */
            char msg[200];
            cfg_key ik = *k;
            ik.type = T_INT;
            int r = parse_range(&ik, p, len, &one, msg, sizeof msg);
            if (r) {
                free(one.v);
                if (r == -2) return rs_err_set(L->e, RS_EINTERNAL, "out of memory");
                return key_err(L, "model", "hidden", "%s, got '%.*s'", msg, (int)len, p);
            }
        } else {
            ls.n = 0;
            const char *a = p, *end = p + len;
            while (a < end) {
                const char *x = a;
                while (x < end && *x != 'x' && *x != 'X') x++;
                double v;
                if (ls.n == RNN_MAX_LAYERS || parse_num(a, (size_t)(x - a), &v) || v != floor(v) ||
                    !in_bounds(k, v) || (x < end && x + 1 == end))
                    return key_err(L, "model", "hidden", "expected %s, got '%.*s'", expect, (int)len, p);
                ls.h[ls.n++] = (int)v;
                a = x + 1;
            }
        }
        int m = one.n ? one.n : 1;
        for (int i = 0; i < m; i++) {
            cfg_layers cur = ls;
            if (one.n) {
                if (!in_bounds(k, one.v[i])) {
                    free(one.v);
                    return key_err(L, "model", "hidden", "expected %s, got '%.*s'", expect, (int)len, p);
                }
                cur.n = 1;
                cur.h[0] = (int)one.v[i];
            }
            for (int j = 0; j < n; j++)
                if (out[j].n == cur.n && !memcmp(out[j].h, cur.h, (size_t)cur.n * sizeof(int))) {
                    free(one.v);
                    return key_err(L, "model", "hidden", "'%.*s' repeats a layer list already in '%s'",
                                   (int)len, p, text);
                }
            if (n == CFG_LIST_MAX) {
                free(one.v);
                return key_err(L, "model", "hidden", "more than %d values", CFG_LIST_MAX);
            }
            if (n == cap) {
                cfg_layers *no = realloc(out, (size_t)(cap *= 2) * sizeof *no);
                if (!no) { free(one.v); return rs_err_set(L->e, RS_EINTERNAL, "out of memory"); }
                c->model.hidden = out = no;
            }
            out[n++] = cur;
            c->model.n_hidden = n;
        }
        free(one.v);
        if (!q) break;
        p = q + 1;
    }
    return 0;
}

/* Store one key's value (from the file or its default) in the config. */
static int load_key(loadctx *L, const cfg_key *k, const char *text) {
    sweep_config *c = L->c;
    char *base = (char *)c + k->off;
    if (k->type == T_NAMES) return 0;          /* instruments: handled by load_data */
    if (k->type == T_LAYERS) return parse_layers(L, k, text, c);
    if (k->store == ST_STR) {
        if (strlen(text) >= k->size)
            return key_err(L, k->sec, k->name, "longer than %zu characters", k->size - 1);
        snprintf(base, k->size, "%s", text);
        return 0;
    }
    dbuf b = {0};
    int r = parse_values(L, k, k->sec, k->name, text, &b);
    if (r) { free(b.v); return r; }
    switch (k->store) {
    case ST_INT: *(int *)base = (int)b.v[0]; free(b.v); break;
    case ST_I64: *(int64_t *)base = (int64_t)b.v[0]; free(b.v); break;
    case ST_DBL: *(double *)base = b.v[0]; free(b.v); break;
    case ST_DIM: ((cfg_dim *)base)->n = b.n; ((cfg_dim *)base)->v = b.v; break;
    default: free(b.v); break;
    }
    return 0;
}

/* ---- names: sections, keys, suggestions ------------------------------- */

static const cfg_key *find_key(const char *sec, const char *name) {
    for (int i = 0; i < N_KEYS; i++)
        if (!strcmp(KEYS[i].sec, sec) && !strcmp(KEYS[i].name, name)) return &KEYS[i];
    return NULL;
}

static int find_inst(const sweep_config *c, const char *name, size_t n) {
    for (int i = 0; i < c->data.n_inst; i++)
        if (strlen(c->data.inst[i].name) == n && !strncasecmp(c->data.inst[i].name, name, n)) return i;
    return -1;
}

/* The closest candidate within edit distance 2, or NULL. */
static const char *closest(const char *word, const char *const *cand, int n) {
    const char *best = NULL;
    int bd = 3;
    for (int i = 0; i < n; i++) {
        int d = config_edit_distance(word, cand[i]);
        if (d < bd) { bd = d; best = cand[i]; }
    }
    return best;
}

/* Unknown key `key` in `sec`: suggest a near name in the section or the
 * section the key belongs to. */
static int unknown_key(const loadctx *L, const char *sec, const char *key) {
    const char *cand[N_KEYS + 2 * CFG_MAX_INST * (N_SUBKEYS + 1)];
    char names[CFG_MAX_INST * (N_SUBKEYS + 1)][SERIES_NAME_MAX + 16];
    int n = 0, nn = 0;
    for (int i = 0; i < N_KEYS; i++)
        if (!strcmp(KEYS[i].sec, sec)) cand[n++] = KEYS[i].name;
    for (int i = 0; i < L->c->data.n_inst; i++) {
        char low[SERIES_NAME_MAX];
        snprintf(low, sizeof low, "%s", L->c->data.inst[i].name);
        lower(low);
        if (!strcmp(sec, "features")) {
            snprintf(names[nn], sizeof names[nn], "%s", low);
            cand[n++] = names[nn++];
        } else if (!strcmp(sec, "data")) {
            for (int j = 0; j < N_SUBKEYS; j++) {
                snprintf(names[nn], sizeof names[nn], "%s.%s", low, INST_SUBKEYS[j]);
                cand[n++] = names[nn++];
            }
        }
    }
    const char *near = closest(key, cand, n);
    if (near) return key_err(L, sec, key, "unknown key; did you mean '%s'?", near);
    for (int i = 0; i < N_KEYS; i++)
        if (!strcmp(KEYS[i].name, key) && KEYS[i].type != T_NAMES)
            return key_err(L, sec, key, "unknown key; '%s' belongs in [%s]", key, KEYS[i].sec);
    if (!strcmp(sec, "data") && strchr(key, '.'))
        return key_err(L, sec, key, "unknown key; per-instrument keys are <instrument>.path, .price_div, "
                       ".adjust, .columns for an instrument listed in [data] instruments");
    char list[600];
    size_t k = 0;
    list[0] = 0;
    for (int i = 0; i < N_KEYS && k < sizeof list; i++)
        if (!strcmp(KEYS[i].sec, sec)) k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", k ? ", " : "", KEYS[i].name);
    return key_err(L, sec, key, "unknown key (known: %s)", list);
}

static int check_names(loadctx *L) {
    for (int i = 0; i < L->n_ent; i++) {
        const scan_entry *s = &L->ent[i];
        int known = 0;
        for (int j = 0; j < N_SECTIONS; j++) known |= !strcmp(s->sec, SECTIONS[j]);
        if (!known) {
            const char *near = closest(s->sec, SECTIONS, N_SECTIONS);
            if (near)
                return rs_err_set(L->e, RS_EINPUT, "%s:%d: [%s]: unknown section; did you mean [%s]?",
                                  L->file, s->line, s->sec, near);
            return rs_err_set(L->e, RS_EINPUT, "%s:%d: [%s]: unknown section (known: data, features, target, "
                              "walkforward, model, training, strategy, search, run)", L->file, s->line, s->sec);
        }
        if (!s->key[0] || find_key(s->sec, s->key)) continue;
        if (!strcmp(s->sec, "features") && find_inst(L->c, s->key, strlen(s->key)) >= 0) continue;
        if (!strcmp(s->sec, "data")) {
            const char *dot = strrchr(s->key, '.');
            if (dot && find_inst(L->c, s->key, (size_t)(dot - s->key)) >= 0) {
                int ok = 0;
                for (int j = 0; j < N_SUBKEYS; j++) ok |= !strcmp(dot + 1, INST_SUBKEYS[j]);
                if (ok) continue;
                const char *near = closest(dot + 1, INST_SUBKEYS, N_SUBKEYS);
                if (near)
                    return key_err(L, s->sec, s->key, "unknown key; did you mean '%.*s.%s'?",
                                   (int)(dot - s->key), s->key, near);
                return key_err(L, s->sec, s->key, "unknown per-instrument key (known: path, price_div, "
                               "adjust, columns)");
            }
        }
        return unknown_key(L, s->sec, s->key);
    }
    return 0;
}

/* ---- sections with structure ------------------------------------------- */

static const char *ini_get(const loadctx *L, const char *sec, const char *key) {
    char full[256];
    snprintf(full, sizeof full, "%s:%s", sec, key);
    return iniparser_getstring(L->ini, full, NULL);
}

static int load_instruments(loadctx *L) {
    sweep_config *c = L->c;
    const char *text = ini_get(L, "data", "instruments");
    if (!text) return key_err(L, "data", "instruments", "required key missing (e.g. instruments = SPX)");
    char buf[CFG_TEXT_MAX];
    if (strlen(text) >= sizeof buf) return key_err(L, "data", "instruments", "too long");
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    int only_space = 1;
    for (const char *t = text; *t; t++) only_space &= isspace((unsigned char)*t) != 0;
    if (only_space) return key_err(L, "data", "instruments", "expected at least one instrument name, got ''");
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *name = trim(tok);
        size_t n = strlen(name);
        int ok = n > 0 && n < SERIES_NAME_MAX;
        for (size_t i = 0; i < n; i++)
            ok &= isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '-';
        if (!ok)
            return key_err(L, "data", "instruments", "expected names of letters, digits, '_' or '-' "
                           "(at most %d characters), got '%s'", SERIES_NAME_MAX - 1, name);
        if (!strcasecmp(name, "all") || !strcasecmp(name, "cross") || !strcasecmp(name, "scaler"))
            return key_err(L, "data", "instruments", "'%s' is reserved ([features] %s is a key)", name, name);
        if (find_inst(c, name, n) >= 0)
            return key_err(L, "data", "instruments", "'%s' appears twice (names are case-insensitive)", name);
        if (c->data.n_inst == CFG_MAX_INST)
            return key_err(L, "data", "instruments", "more than %d instruments", CFG_MAX_INST);
        snprintf(c->data.inst[c->data.n_inst++].name, SERIES_NAME_MAX, "%s", name);
    }
    return 0;
}

static int load_per_instrument(loadctx *L) {
    sweep_config *c = L->c;
    for (int i = 0; i < c->data.n_inst; i++) {
        cfg_instrument *in = &c->data.inst[i];
        char low[SERIES_NAME_MAX], key[SERIES_NAME_MAX + 16];
        snprintf(low, sizeof low, "%s", in->name);
        lower(low);
        snprintf(key, sizeof key, "%s.path", low);
        const char *v = ini_get(L, "data", key);
        if (!v || !*v) return key_err(L, "data", key, "required: the file or glob of instrument %s", in->name);
        if (strlen(v) >= sizeof in->path) return key_err(L, "data", key, "longer than %d characters", CFG_PATH_MAX - 1);
        snprintf(in->path, sizeof in->path, "%s", v);

        cfg_key k = *find_key("data", "price_div");
        dbuf b = {0};
        snprintf(key, sizeof key, "%s.price_div", low);
        in->price_div = c->data.price_div;
        if ((v = ini_get(L, "data", key))) {
            int r = parse_values(L, &k, "data", key, v, &b);
            if (r) { free(b.v); return r; }
            in->price_div = b.v[0];
            free(b.v);
            b = (dbuf){0};
        }
        k = *find_key("data", "drop_bad");   /* a boolean, like adjust */
        snprintf(key, sizeof key, "%s.adjust", low);
        if ((v = ini_get(L, "data", key))) {
            int r = parse_values(L, &k, "data", key, v, &b);
            if (r) { free(b.v); return r; }
            in->adjust = (int)b.v[0];
            free(b.v);
        }
        snprintf(key, sizeof key, "%s.columns", low);
        v = ini_get(L, "data", key);
        if (!v) v = c->data.columns;
        if (strlen(v) >= sizeof in->columns) return key_err(L, "data", key, "too long");
        snprintf(in->columns, sizeof in->columns, "%s", v);

        v = ini_get(L, "features", low);
        if (!v) v = c->features.all;
        if (strlen(v) >= sizeof in->features) return key_err(L, "features", low, "too long");
        snprintf(in->features, sizeof in->features, "%s", v);
    }
    return 0;
}

static int load_features(loadctx *L) {
    sweep_config *c = L->c;
    memset(&c->features.spec, 0, sizeof c->features.spec);
    rs_err fe;
    for (int i = 0; i <= c->data.n_inst; i++) {
        const char *text = i < c->data.n_inst ? c->data.inst[i].features : c->features.cross;
        char low[SERIES_NAME_MAX];
        snprintf(low, sizeof low, "%s", i < c->data.n_inst ? c->data.inst[i].name : "cross");
        lower(low);
        const char *key = scan_line_of(L, "features", low) || i == c->data.n_inst ? low : "all";
        const char *p = text;
        while (isspace((unsigned char)*p)) p++;
        if (!*p) continue;                         /* an instrument with no own columns */
        int before = c->features.spec.n_items;
        if (features_parse(text, i < c->data.n_inst ? i : 0, &c->features.spec, &fe)) {
            const char *m = fe.msg;
            if (!strncmp(m, "features: ", 10)) m += 10;
            return key_err(L, "features", key, "%s", m);
        }
        for (int j = before; j < c->features.spec.n_items; j++) {
            const feat_item *it = &c->features.spec.item[j];
            if (it->kind == FEAT_TRIANGLE)
                for (int t = 0; t < 3; t++)
                    if (it->inst[t] >= c->data.n_inst)
                        return key_err(L, "features", key, "triangle uses instrument index %d but [data] "
                                       "instruments lists %d (indices start at 0)", it->inst[t], c->data.n_inst);
        }
    }
    /* The loader keeps at most SERIES_COLS_MAX extra columns per instrument. */
    for (int i = 0; i < c->data.n_inst; i++) {
        const char *seen[FEAT_ITEMS_MAX];
        int ns = 0;
        for (int j = 0; j < c->features.spec.n_items; j++) {
            const feat_item *it = &c->features.spec.item[j];
            if (it->kind != FEAT_COLUMN || it->inst[0] != i) continue;
            int dup = 0;
            for (int q = 0; q < ns && !dup; q++) dup = !strcmp(seen[q], it->col);
            if (!dup) seen[ns++] = it->col;
        }
        if (ns > SERIES_COLS_MAX) {
            char low[SERIES_NAME_MAX];
            snprintf(low, sizeof low, "%s", c->data.inst[i].name);
            lower(low);
            return key_err(L, "features", scan_line_of(L, "features", low) ? low : "all",
                           "%s uses %d different column:NAME items, at most %d", c->data.inst[i].name,
                           ns, SERIES_COLS_MAX);
        }
    }
    int cols = 0;
    for (int j = 0; j < c->features.spec.n_items; j++) cols += features_item_cols(&c->features.spec.item[j]);
    if (cols == 0) return key_err(L, "features", "all", "no feature columns: every instrument's spec is empty");
    if (cols > FEAT_MAX) return key_err(L, "features", "all", "%d columns, at most %d", cols, FEAT_MAX);
    c->features.n_feat = cols;
    return 0;
}

static int max_dim(const cfg_dim *d) {
    double m = 0;
    for (int i = 0; i < d->n; i++) m = d->v[i] > m ? d->v[i] : m;
    return (int)m;
}

/* [walkforward]: the scheme's keys, fold ids, and the holdout fractions. */
static int check_walkforward(loadctx *L) {
    sweep_config *c = L->c;
    struct cfg_walkforward *w = &c->walkforward;
    w->val_frac_set = scan_line_of(L, "walkforward", "val_frac") > 0;
    if (w->scheme == FOLD_HOLDOUT) {
        /* the walk-forward keys mean nothing to one chronological split */
        static const char *const wf_only[] = { "period", "first_year", "last_year", "first_period",
                                               "last_period", "rolling_years", "rolling_periods", "val_months" };
        for (size_t i = 0; i < sizeof wf_only / sizeof *wf_only; i++)
            if (scan_line_of(L, "walkforward", wf_only[i]))
                return key_err(L, "walkforward", wf_only[i], "has no effect with scheme = holdout (one "
                               "split by train_frac, val_frac, test_frac); remove it");
        if (!(w->train_frac > 0 && w->train_frac < 1))
            return key_err(L, "walkforward", "train_frac", "scheme = holdout needs a fraction in (0, 1), got "
                           "'%.17g'", w->train_frac);
        if (!(w->test_frac > 0 && w->test_frac < 1))
            return key_err(L, "walkforward", "test_frac", "scheme = holdout needs a fraction in (0, 1), got "
                           "'%.17g'", w->test_frac);
        if (!w->val_frac_set) w->val_frac = 1 - w->train_frac - w->test_frac;
        double sum = w->train_frac + w->val_frac + w->test_frac;
        if (w->val_frac < -1e-12 || fabs(sum - 1) > 1e-9)
            return key_err(L, "walkforward", w->val_frac_set ? "val_frac" : "test_frac",
                           "train_frac + val_frac + test_frac must be 1, got %.17g + %.17g + %.17g",
                           w->train_frac, w->val_frac, w->test_frac);
        if (w->val_frac < 0) w->val_frac = 0;
        return 0;
    }
    static const char *const ho_only[] = { "train_frac", "test_frac" };
    for (size_t i = 0; i < sizeof ho_only / sizeof *ho_only; i++)
        if (scan_line_of(L, "walkforward", ho_only[i]))
            return key_err(L, "walkforward", ho_only[i], "is used by scheme = holdout only");
    if (w->rolling_years && w->rolling_periods)
        return key_err(L, "walkforward", "rolling_periods", "set rolling_years or rolling_periods, not both");
    const char *pname = rs_enum_name(FOLD_E_PERIOD, w->period);
    static const char *const example[] = { "2017", "2017Q3", "2017-08" };
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "last_period" : "first_period";
        const char *text = k ? w->last_period : w->first_period;
        int *id = k ? &w->last_id : &w->first_id;
        int year = k ? w->last_year : w->first_year;
        if (text[0]) {
            if (year)
                return key_err(L, "walkforward", key, "set %s or %s, not both", key, k ? "last_year" : "first_year");
            if (fold_id_parse(text, id) || fold_id_period(*id) != w->period)
                return key_err(L, "walkforward", key, "expected a %s like %s (period = %s), got '%s'", pname,
                               example[w->period], pname, text);
        } else if (year) {
            int lo, hi;
            fold_id_year_span(w->period, year, &lo, &hi);
            *id = k ? hi : lo;
        }
    }
    if (w->first_id && w->last_id && w->first_id > w->last_id)
        return key_err(L, "walkforward", w->first_period[0] ? "first_period" : "first_year",
                       "the first test period is after the last");
    return 0;
}

/* Checks that need more than one key. */
/* [search]: each method's keys only with it (halving.h checks the metric
 * name: config knows no metrics). */
static int check_search(loadctx *L) {
    const sweep_config *c = L->c;
    static const char *const random_only[] = { "samples", "seed" }, *const halving_only[] = { "eta", "min_folds",
                                                                                              "metric" };
    for (int i = 0; i < 2; i++)
        if (c->search.method != SEARCH_RANDOM && scan_line_of(L, "search", random_only[i]))
            return key_err(L, "search", random_only[i], "used by method = random only");
    for (int i = 0; i < 3; i++)
        if (c->search.method != SEARCH_HALVING && scan_line_of(L, "search", halving_only[i]))
            return key_err(L, "search", halving_only[i], "used by method = halving only");
    if (c->search.method == SEARCH_RANDOM && c->search.samples < 1)
        return key_err(L, "search", scan_line_of(L, "search", "samples") ? "samples" : "method",
                       "method = random needs samples = N (N >= 1 configurations to draw)");
    return 0;
}

static int check_cross(loadctx *L) {
    sweep_config *c = L->c;
    const int cls = c->target.kind == TARGET_TREND3;
    if (c->walkforward.first_year && c->walkforward.last_year &&
        c->walkforward.first_year > c->walkforward.last_year)
        return key_err(L, "walkforward", "first_year", "expected at most last_year (%d), got '%d'",
                       c->walkforward.last_year, c->walkforward.first_year);
    int r = check_walkforward(L);
    if (r) return r;
    int need = max_dim(&c->model.lookback) + c->target.horizon;
    if (c->walkforward.embargo && c->walkforward.embargo < need)
        return key_err(L, "walkforward", "embargo", "expected 0 (automatic) or at least the largest lookback + "
                       "horizon = %d, got '%d'", need, c->walkforward.embargo);
    if (cls && c->target.trend3_fit == 0 && !(c->target.trend3_theta > 0))
        return key_err(L, "target", "trend3_theta", "expected a number > 0 with trend3_fit = fixed, got '%.17g'",
                       c->target.trend3_theta);
    int has_grid = 0, has_mm = 0;
    const cfg_dim *kd = &c->strategy.dim[BT_F_KIND], *cd = &c->strategy.dim[BT_F_CORRECTION];
    for (int i = 0; i < kd->n; i++) has_grid |= (int)kd->v[i] == BT_GRID;
    for (int i = 0; i < cd->n; i++) has_mm |= (int)cd->v[i] != MM_NONE;
    if (has_mm && !cls)
        return key_err(L, "strategy", "correction", "a correction re-labels trend3 classes; this sweep's target "
                       "kind = %s has none (use correction = none or target kind = trend3)",
                       c->target.kind == TARGET_PRICE ? "price" : "return");
    if (has_mm) {
        /* the map's input is every instrument's closes over the window: the
         * largest lookback gives the largest map */
        int dim = c->data.n_inst * max_dim(&c->model.lookback);
        const cfg_dim *sz = &c->strategy.dim[BT_F_MM_SIZE];
        for (int i = 0; i < (sz->n ? sz->n : 1); i++) {
            mm_opts o = { sz->n ? (int)sz->v[i] : (int)bt_fields[BT_F_MM_SIZE].def[0], 0.5, 1, 1 };
            rs_err me;
            if (mm_check(&o, dim, &me))
                return key_err(L, "strategy", "mm_size", "%d x %d neurons over windows of %d instruments x "
                               "%d bars: %s", o.size, o.size, c->data.n_inst, max_dim(&c->model.lookback),
                               me.msg);
        }
    }
    for (int i = 0; i < N_KEYS; i++) {
        const cfg_key *k = &KEYS[i];
        if (k->slot < 0) continue;
        int n = c->strategy.dim[k->slot].n;
        if ((bt_fields[k->slot].use & BT_U_MM) && n > 1 && !has_mm)
            return key_err(L, "strategy", k->name, "a grid of %d values, but no strategy has a correction "
                           "other than none, the only ones that use it", n);
        if (n <= 1) continue;
        if ((k->flags & F_GRID) && !has_grid)
            return key_err(L, "strategy", k->name, "a grid of %d values, but no strategy has kind = grid, "
                           "which is the only kind that uses it", n);
        if ((k->flags & F_REG) && cls)
            return key_err(L, "strategy", k->name, "a grid of %d values, but target kind = trend3 ignores it "
                           "(use min_prob)", n);
        if ((k->flags & F_CLS) && !cls)
            return key_err(L, "strategy", k->name, "a grid of %d values, but only target kind = trend3 uses "
                           "it (use threshold)", n);
    }
    if ((r = check_search(L))) return r;
    if (!c->run.name[0]) {   /* the INI's stem */
        const char *b = strrchr(c->file, '/');
        b = b ? b + 1 : c->file;
        size_t n = strcspn(b, ".");
        if (n >= sizeof c->run.name) n = sizeof c->run.name - 1;
        memcpy(c->run.name, b, n);
        c->run.name[n] = 0;
        if (!n) snprintf(c->run.name, sizeof c->run.name, "sweep");
    }
    if (!c->run.output[0]) snprintf(c->run.output, sizeof c->run.output, "results/%s.h5", c->run.name);
    return 0;
}

/* ---- load --------------------------------------------------------------- */

/* Read a config file whole.  A FIFO, a device or a directory is refused
 * before reading: opening a FIFO for reading would block until a writer
 * came (a config path mistyped as a named pipe hung the run forever). */
int config_read_file(const char *path, char **text, size_t *len, rs_err *e) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return rs_err_set(e, RS_EINPUT, "%s: cannot read the config: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return rs_err_set(e, RS_EINPUT, "%s: cannot read the config: %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        int isdir = S_ISDIR(st.st_mode), fifo = S_ISFIFO(st.st_mode);
        close(fd);
        return rs_err_set(e, RS_EINPUT, "%s: not a regular file (%s): expected an INI file", path,
                          fifo ? "a FIFO" : isdir ? "a directory" : "a device or socket");
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *b = malloc(cap);
    if (!b) { close(fd); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    for (;;) {
        if (n + 1 >= cap) {                /* it grew while we read */
            char *nb = realloc(b, cap *= 2);
            if (!nb) { free(b); close(fd); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
            b = nb;
        }
        ssize_t r = read(fd, b + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            free(b);
            close(fd);
            return rs_err_set(e, RS_EINPUT, "%s: read error: %s", path, strerror(err));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (memchr(b, 0, n)) { free(b); return rs_err_set(e, RS_EINPUT, "%s: not a text file (NUL byte)", path); }
    b[n] = 0;
    *text = b;
    *len = n;
    return 0;
}

/* Parse and validate c->ini_text (set, owned by c); name: what messages
 * call it. */
static int load_text(const char *name, sweep_config *c, rs_err *e) {
    loadctx L = { .file = c->file, .c = c, .e = e };
    int r;
    L.ini = dictionary_new(0);
    if (!L.ini) { r = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }
    if ((r = scan_text(&L, c->ini_text, L.ini))) goto done;
    /* instruments first: they name the per-instrument keys */
    if ((r = load_instruments(&L)) || (r = check_names(&L))) goto done;
    for (int i = 0; i < N_KEYS; i++) {
        const cfg_key *k = &KEYS[i];
        const char *v = ini_get(&L, k->sec, k->name);
        if (!v) v = k->def;
        if (!v) continue;                     /* strategy: market default */
        if ((r = load_key(&L, k, v))) goto done;
    }
    if ((r = load_per_instrument(&L)) || (r = load_features(&L)) || (r = check_cross(&L))) goto done;
    c->data_hash = config_data_hash(c);
done:
    if (L.ini) iniparser_freedict(L.ini);
    free(L.ent);
    if (r) {
        if (e && e->status == RS_OK) rs_err_set(e, r, "%s: invalid config", name);
        config_free(c);
    }
    return r;
}

static int start(const char *name, sweep_config *c, rs_err *e) {
    memset(c, 0, sizeof *c);
    rs_err_clear(e);
    if (strlen(name) >= sizeof c->file) return rs_err_set(e, RS_EINPUT, "%s: path too long", name);
    snprintf(c->file, sizeof c->file, "%s", name);
    return 0;
}

int config_load(const char *path, sweep_config *c, rs_err *e) {
    int r;
    if ((r = start(path, c, e))) return r;
    if ((r = config_read_file(path, &c->ini_text, &c->ini_len, e))) { config_free(c); return r; }
    return load_text(path, c, e);
}

int config_load_text(const char *text, const char *name, sweep_config *c, rs_err *e) {
    int r;
    if ((r = start(name, c, e))) return r;
    c->ini_len = strlen(text);
    c->ini_text = malloc(c->ini_len + 1);
    if (!c->ini_text) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    memcpy(c->ini_text, text, c->ini_len + 1);
    return load_text(name, c, e);
}

int config_key_line(const char *text, const char *sec, const char *key) {
    rs_err e;
    loadctx L = { .file = "", .e = &e };
    int line = 0;
    if (!scan_text(&L, text, NULL)) line = scan_line_of(&L, sec, key);
    free(L.ent);
    return line;
}

int config_section_known(const char *name) {
    for (int j = 0; j < N_SECTIONS; j++)
        if (!strcasecmp(name, SECTIONS[j])) return 1;
    return 0;
}

void config_free(sweep_config *c) {
    if (!c) return;
    for (int i = 0; i < N_KEYS; i++)
        if (KEYS[i].store == ST_DIM) free(((cfg_dim *)((char *)c + KEYS[i].off))->v);
    free(c->model.hidden);
    free(c->ini_text);
    memset(c, 0, sizeof *c);
}

/* ---- paths -------------------------------------------------------------- */

int config_check_paths(const sweep_config *c, rs_err *e) {
    for (int i = 0; i < c->data.n_inst; i++) {
        const char *p = c->data.inst[i].path;
        char key[SERIES_NAME_MAX + 16];
        snprintf(key, sizeof key, "%s.path", c->data.inst[i].name);
        lower(key);
        loadctx L = { .file = c->file, .c = (sweep_config *)c, .e = e };
        /* line numbers come from the kept INI text */
        if (c->ini_text && scan_text(&L, c->ini_text, NULL)) { free(L.ent); L.ent = NULL; L.n_ent = 0; }
        int r = 0;
        if (strpbrk(p, "*?[{")) {
            glob_t g;
            int gr = glob(p, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
            if (gr == GLOB_NOMATCH || (gr == 0 && g.gl_pathc == 0))
                r = key_err(&L, "data", key, "no file matches '%s'", p);
            else if (gr)
                r = key_err(&L, "data", key, "cannot expand '%s'", p);
            if (gr == 0 || gr == GLOB_NOMATCH) globfree(&g);
        } else {
            struct stat st;
            if (stat(p, &st))
                r = key_err(&L, "data", key, "no such file '%s'%s", p,
                            !strcmp(p, "data/sp500-2000.csv") ? " (run `make data`)" : "");
            else if (!S_ISREG(st.st_mode))
                r = key_err(&L, "data", key, "'%s' is not a regular file", p);
            else if (access(p, R_OK))
                r = key_err(&L, "data", key, "cannot read '%s': %s", p, strerror(errno));
        }
        free(L.ent);
        if (r) return r;
    }
    return 0;
}

/* ---- canonical data text ---------------------------------------------- */

typedef struct { char **line; int n, cap; int oom; } lines;

__attribute__((format(printf, 2, 3)))
static void add_line(lines *ls, const char *fmt, ...) {
    char buf[CFG_PATH_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ls->n == ls->cap) {
        int cap = ls->cap ? 2 * ls->cap : 32;
        char **nl = realloc(ls->line, (size_t)cap * sizeof *nl);
        if (!nl) { ls->oom = 1; return; }
        ls->line = nl;
        ls->cap = cap;
    }
    if (!(ls->line[ls->n] = strdup(buf))) { ls->oom = 1; return; }
    ls->n++;
}

static void free_lines(lines *ls) {
    for (int i = 0; i < ls->n; i++) free(ls->line[i]);
    free(ls->line);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A key that only matters under some other setting is left out when it does
 * not, so changing it then cannot invalidate finished tasks. */
static int data_key_relevant(const sweep_config *c, const cfg_key *k) {
    if (!strcmp(k->sec, "target")) {
        if (!strncmp(k->name, "trend3_", 7)) {
            if (c->target.kind != TARGET_TREND3) return 0;
            if (!strcmp(k->name, "trend3_theta") && c->target.trend3_fit) return 0;
        }
        if (!strcmp(k->name, "scaler")) return c->target.kind == TARGET_PRICE;
    }
    if (!strcmp(k->sec, "walkforward")) {
        /* Keys added after the first release are hashed only when they are
         * not at their neutral value, so every earlier sweep keeps its data
         * hash (and its task keys).  A holdout split ignores the walk-forward
         * keys, and a walk-forward the holdout fractions. */
        const struct cfg_walkforward *w = &c->walkforward;
        const int ho = w->scheme == FOLD_HOLDOUT;
        if (!strcmp(k->name, "scheme")) return ho;
        if (!strcmp(k->name, "train_frac") || !strcmp(k->name, "test_frac")) return ho;
        if (!strcmp(k->name, "period")) return !ho && w->period != FOLD_YEAR;
        if (!strcmp(k->name, "rolling_periods")) return !ho && w->rolling_periods != 0;
        if (!strcmp(k->name, "rolling_years") || !strcmp(k->name, "val_months")) return !ho;
    }
    if (!strcmp(k->sec, "data") && !strcmp(k->name, "resample_offset")) return c->data.resample != 0;
    if (!strcmp(k->sec, "data") && !strcmp(k->name, "align")) return c->data.n_inst > 1;
    return 1;
}

static void data_lines(const sweep_config *c, lines *ls) {
    add_line(ls, "version=rnnsweep-data-1");
    for (int i = 0; i < N_KEYS; i++) {
        const cfg_key *k = &KEYS[i];
        if (k->flags & F_NOHASH || k->store == ST_DIM || k->store == ST_NONE) continue;
        if (strcmp(k->sec, "data") && strcmp(k->sec, "features") && strcmp(k->sec, "target") &&
            strcmp(k->sec, "walkforward"))
            continue;
        if (!data_key_relevant(c, k)) continue;
        const char *base = (const char *)c + k->off;
        switch (k->store) {
        case ST_INT:
            if (k->type == T_ENUM) add_line(ls, "%s.%s=%s", k->sec, k->name, rs_enum_name(k->en, *(const int *)base));
            else add_line(ls, "%s.%s=%d", k->sec, k->name, *(const int *)base);
            break;
        case ST_I64: add_line(ls, "%s.%s=%lld", k->sec, k->name, (long long)*(const int64_t *)base); break;
        case ST_DBL: add_line(ls, "%s.%s=%.17g", k->sec, k->name, *(const double *)base); break;
        case ST_STR: add_line(ls, "%s.%s=%s", k->sec, k->name, base); break;
        }
    }
    for (int i = 0; i < c->data.n_inst; i++) {
        const cfg_instrument *in = &c->data.inst[i];
        add_line(ls, "data.inst%d.name=%s", i, in->name);
        add_line(ls, "data.inst%d.path=%s", i, in->path);
        add_line(ls, "data.inst%d.price_div=%.17g", i, in->price_div == 0 ? 1.0 : in->price_div);
        add_line(ls, "data.inst%d.adjust=%d", i, in->adjust);
        add_line(ls, "data.inst%d.columns=%s", i, in->columns);
    }
    const char *names[CFG_MAX_INST];
    for (int i = 0; i < c->data.n_inst && i < CFG_MAX_INST; i++) names[i] = c->data.inst[i].name;
    for (int j = 0; j < c->features.spec.n_items; j++) {
        char t[256];
        features_item_canon(&c->features.spec.item[j], names, c->data.n_inst, t, sizeof t);
        add_line(ls, "features.item%03d=%s", j, t);
    }
    qsort(ls->line, (size_t)ls->n, sizeof *ls->line, cmp_str);
}

size_t config_data_canon(const sweep_config *c, char *buf, size_t n) {
    lines ls = {0};
    data_lines(c, &ls);
    size_t k = 0;
    for (int i = 0; i < ls.n; i++) {
        size_t l = strlen(ls.line[i]);
        for (size_t j = 0; j <= l; j++)           /* the line and its '\n' */
            if (buf && k + j + 1 < n) buf[k + j] = j < l ? ls.line[i][j] : '\n';
        k += l + 1;
    }
    if (buf && n) buf[k < n ? k : n - 1] = 0;
    free_lines(&ls);
    return k;
}

uint64_t config_data_hash(const sweep_config *c) {
    size_t n = config_data_canon(c, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf) return 0;
    config_data_canon(c, buf, n + 1);
    uint64_t h = rs_hash_bytes(buf, n, 0x646174612d31ULL /* "data-1" */);
    free(buf);
    return h;
}

/* "sec.key=value" -> "[sec] key" and value. */
static void split_line(const char *l, char *where, size_t wn, const char **value) {
    const char *eq = strchr(l, '=');
    const char *dot = strchr(l, '.');
    size_t kl = eq ? (size_t)(eq - l) : strlen(l);
    if (dot && dot < l + kl)
        snprintf(where, wn, "[%.*s] %.*s", (int)(dot - l), l, (int)(kl - (size_t)(dot - l) - 1), dot + 1);
    else
        snprintf(where, wn, "%.*s", (int)kl, l);
    *value = eq ? eq + 1 : "";
}

int config_check_compatible(const sweep_config *old, const sweep_config *now, rs_err *e) {
    if (old->data_hash == now->data_hash) return 0;
    lines a = {0}, b = {0};
    data_lines(old, &a);
    data_lines(now, &b);
    char where[256] = "data", what[RS_ERRLEN] = "";
    int i = 0, j = 0;
    while (i < a.n || j < b.n) {
        const char *va, *vb;
        char wa[256], wb[256];
        if (i < a.n) split_line(a.line[i], wa, sizeof wa, &va);
        if (j < b.n) split_line(b.line[j], wb, sizeof wb, &vb);
        if (i < a.n && j < b.n && !strcmp(wa, wb)) {
            if (strcmp(va, vb)) {
                snprintf(where, sizeof where, "%s", wa);
                snprintf(what, sizeof what, "was '%.150s', now '%.150s'", va, vb);
                break;
            }
            i++, j++;
        } else if (j >= b.n || (i < a.n && strcmp(a.line[i], b.line[j]) < 0)) {
            snprintf(where, sizeof where, "%s", wa);
            snprintf(what, sizeof what, "was '%.150s', now absent", va);
            break;
        } else {
            snprintf(where, sizeof where, "%s", wb);
            snprintf(what, sizeof what, "was absent, now '%.150s'", vb);
            break;
        }
    }
    free_lines(&a);
    free_lines(&b);
    return rs_err_set(e, RS_EINPUT, "%s: %s: %s: a change to data, features, target or walk-forward "
                      "invalidates every finished task; write to a new output file", now->file, where,
                      what[0] ? what : "differs");
}

/* ---- listing ------------------------------------------------------------- */

int config_key_count(void) { return N_KEYS; }

const char *config_key_name(int i, char *buf, size_t n) {
    if (i < 0 || i >= N_KEYS) return NULL;
    snprintf(buf, n, "%s.%s", KEYS[i].sec, KEYS[i].name);
    return buf;
}

/* The market's default of [strategy] field f as INI text. */
static void strategy_default_text(int f, int market, char *buf, size_t n) {
    bt_strategy s;
    strategy_defaults(&s, market);
    double v = strategy_get(&s, f);
    if (f == BT_F_BARS_PER_YEAR || (bt_fields[f].bounds == BT_B_AUTO0 && v == 0)) snprintf(buf, n, "0 (auto)");
    else if (bt_fields[f].type == BT_T_ENUM) snprintf(buf, n, "%s", rs_enum_name(bt_fields[f].names, (int)v));
    else snprintf(buf, n, "%.10g", v);
}

void config_describe_keys(FILE *f) {
    const char *sec = "";
    for (int i = 0; i < N_KEYS; i++) {
        const cfg_key *k = &KEYS[i];
        if (strcmp(sec, k->sec)) fprintf(f, "[%s]\n", sec = k->sec);
        char def[160], expect[300];
        if (k->slot >= 0) {
            char fx[48], eq[48];
            strategy_default_text(k->slot, BT_FX, fx, sizeof fx);
            strategy_default_text(k->slot, BT_EQUITY, eq, sizeof eq);
            if (strcmp(fx, eq)) snprintf(def, sizeof def, "fx %s, equity %s", fx, eq);
            else snprintf(def, sizeof def, "%s", fx);
        } else {
            snprintf(def, sizeof def, "%s", k->def ? (*k->def ? k->def : "(empty)") : "(required)");
        }
        expect_text(k, expect, sizeof expect);
        fprintf(f, "  %-16s %-5s default %-22s %s; %s\n", k->name, k->flags & F_LIST ? "GRID" : "",
                def, expect, k->doc);
    }
}

void config_describe_strategy_markdown(FILE *f) {
    fprintf(f, "| key | default fx | default equity | accepts | meaning |\n|---|---|---|---|---|\n");
    fprintf(f, "| `market` | `fx` | | one value: `fx`, `equity` | which defaults apply |\n");
    for (int i = 0; i < N_KEYS; i++) {
        const cfg_key *k = &KEYS[i];
        if (k->slot < 0) continue;
        char fx[48], eq[48], expect[300];
        strategy_default_text(k->slot, BT_FX, fx, sizeof fx);
        strategy_default_text(k->slot, BT_EQUITY, eq, sizeof eq);
        expect_text(k, expect, sizeof expect);
        const unsigned u = bt_fields[k->slot].use;
        const char *who = u & BT_U_GRID ? "grid only: " : u & BT_U_REG ? "return / price targets: "
                        : u & BT_U_MM ? "trend3, with a correction: " : u & BT_U_NOMM ? "trend3, without a correction: "
                        : u & BT_U_CLS ? "trend3 only: " : "";
        /* '|' inside a cell would end it */
        char doc[300];
        size_t o = 0;
        for (const char *c = k->doc; *c && o + 3 < sizeof doc; c++) {
            if (*c == '|') doc[o++] = '\\';
            doc[o++] = *c;
        }
        doc[o] = 0;
        fprintf(f, "| `%s` | `%s` | `%s` | %s | %s%s |\n", k->name, fx, eq, expect, who, doc);
    }
}

int config_series(const sweep_config *c, double bar_seconds) {
    if (c->run.series != CFG_SERIES_AUTO) return c->run.series;
    return bar_seconds > 0 && bar_seconds < TASK_DAY_SECONDS ? TASK_SERIES_DAY : TASK_SERIES_BAR;
}

/*
 * config.h — sweep configs: an INI file (read with iniparser) validated into
 * a sweep_config, before anything runs.
 *
 * Sections (configs/README.md documents every key with its default):
 *   [data]         instruments and their files, alignment, resampling
 *   [features]     feature spec strings (features.h), the feature scaler
 *   [target]       return | price | trend3, horizon, trend3 thresholds
 *   [walkforward]  folds by year, quarter or month, or a holdout split (folds.h)
 *   [model]        GRID: cell, hidden layer lists, lookback, dropout, seed
 *   [training]     GRID: lr, batch, epochs, weight decay, clipping, patience
 *   [strategy]     GRID: signal / grid strategies, costs, account: one key
 *                  per field of worker/strategy.h's table
 *   [search]       method = grid | random | halving and their keys: which
 *                  model points run on which periods (plan.h draws the
 *                  random sample, halving.h promotes)
 *   [run]          output file, sweep name, threads, save_weights: never
 *                  changes a result or a key
 *
 * Value syntax.  Keys of [model], [training] and [strategy] (except
 * strategy.market) are grid dimensions and take a list of values:
 *     scalar       64
 *     list         32, 64, 128            (no duplicates: 0.001, 1e-3 clash)
 *     range        10:50:10  = 10,20,30,40,50  lo:hi:step, inclusive;
 *                  lo:hi means step 1.  Integer and float; step > 0,
 *                  lo <= hi, at most CFG_RANGE_MAX values.  Float range
 *                  values are rounded to 12 significant digits, so
 *                  0.1:0.3:0.1 yields exactly the doubles of "0.1, 0.2, 0.3".
 *     layer list   hidden = 32, 64x32, 128x64x32   (one entry per model;
 *                  NxM is a stacked model, bottom layer first)
 *     enums        cell = lstm, gru  (case-insensitive)
 *     booleans     0/1, true/false, yes/no, on/off
 *     durations    [data] resample = 3600 | 60m | 1h | 1d
 * Every other key takes one value.
 *
 * Paths in [data] are taken relative to the working directory (the
 * repository root for `make run` and the job scripts), not to the INI file.
 *
 * Errors (status RS_EINPUT, nothing else touched): one line
 *     FILE:LINE: [section] key: what was expected, got 'value'
 * (LINE is absent when the key was not in the file, e.g. a missing required
 * key).  Unknown sections and keys are errors with a suggestion: "did you
 * mean 'lookback'?" (Levenshtein distance <= 2), or "'lr' belongs in
 * [training]".  The text is parsed once, by config.c, with iniparser's
 * syntax (a value runs to a ';' or '#' unless quoted, a trailing '\' joins
 * lines; a UTF-8 byte-order mark is skipped), recording each key's line,
 * refusing syntax errors and duplicate keys (which iniparser would accept,
 * the later value winning), and filling iniparser's dictionary, whose
 * accessors then serve the values: no temporary file, nothing read twice.
 * A config path that is not a regular file (a FIFO, a directory) is bad
 * input, refused before it is read.
 *
 * Memory: config_load fills a caller-owned sweep_config whose grid arrays and
 * INI text are malloc'd; config_free releases them.  On error the config is
 * left zeroed (safe to config_free).  No function keeps a pointer to its
 * arguments.  No global state: loading is reentrant.
 */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "worker/backtest.h"
#include "worker/features.h"
#include "worker/folds.h"
#include "worker/rnn.h"
#include "worker/series.h"
#include "worker/util.h"

#define CFG_MAX_INST   8        /* instruments in [data]                   */
#define CFG_PATH_MAX   1024     /* a path or glob                          */
#define CFG_TEXT_MAX   512      /* a feature spec, a column layout         */
#define CFG_NAME_MAX   64       /* [run] name                              */
#define CFG_RANGE_MAX  10000    /* values one range may produce            */
#define CFG_LIST_MAX   100000   /* values one grid dimension may hold      */
#define CFG_MAX_MODELS 1000000   /* model points one sweep may expand to    */

/* [search] method: every model point, a seeded random sample of the
 * configurations (plan.h, "Random search"), or successive halving over
 * the walk-forward periods (halving.h). */
enum { SEARCH_GRID = 0, SEARCH_RANDOM = 1, SEARCH_HALVING = 2 };
extern const rs_enum CFG_E_SEARCH[];   /* grid, random, halving */

/* One grid dimension: n >= 1 values once loaded.  Integers, booleans and
 * enum codes (rnn_cell, BT_*) are stored exactly as doubles.  n == 0 only
 * for a [strategy] key absent from the file: the market default applies. */
typedef struct {
    int     n;
    double *v;                 /* [n], malloc'd                            */
} cfg_dim;

/* One entry of the hidden-size dimension: a stacked model's layer sizes. */
typedef struct {
    int n;                     /* layers, 1..RNN_MAX_LAYERS                */
    int h[RNN_MAX_LAYERS];     /* hidden size of each layer, bottom first  */
} cfg_layers;

typedef struct {
    char   name[SERIES_NAME_MAX];  /* as written in [data] instruments     */
    char   path[CFG_PATH_MAX];     /* <name>.path: a file or a glob         */
    double price_div;              /* <name>.price_div, else [data]'s       */
    int    adjust;                 /* <name>.adjust: scale OHLC by adjclose */
    char   columns[CFG_TEXT_MAX];  /* <name>.columns, else [data]'s ("" auto) */
    char   features[CFG_TEXT_MAX]; /* [features] <name>, else [features] all */
} cfg_instrument;

typedef struct {
    char   file[CFG_PATH_MAX];     /* the INI's path as given (messages)     */
    char  *ini_text;               /* the whole file, NUL-terminated (HDF5)  */
    size_t ini_len;

    struct {
        int            n_inst;
        cfg_instrument inst[CFG_MAX_INST];
        int            drop_bad;         /* skip rows with a price <= 0       */
        int            align;            /* SERIES_INNER | SERIES_FFILL       */
        int64_t        resample;         /* bar seconds; 0 = as loaded        */
        int64_t        resample_offset;  /* seconds                           */
        double         price_div;        /* default for every instrument      */
        char           columns[CFG_TEXT_MAX];
    } data;

    struct {
        char      all[CFG_TEXT_MAX];     /* spec for instruments without one  */
        char      cross[CFG_TEXT_MAX];   /* cross-instrument items (triangle) */
        int       scaler;                /* SCALE_*                           */
        feat_spec spec;                  /* parsed: every instrument, then cross */
        int       n_feat;                /* columns the spec produces         */
    } features;

    struct {
        int    kind;                     /* TARGET_*                          */
        int    horizon;                  /* h >= 1                            */
        int    trend3_fit;               /* 1: quantiles on training, 0: ±theta */
        double trend3_theta;
        int    scaler;                   /* SCALE_*, TARGET_PRICE only        */
    } target;

    struct cfg_walkforward {
        int     scheme;                  /* FOLD_WALKFORWARD | FOLD_HOLDOUT   */
        int     period;                  /* FOLD_YEAR | _QUARTER | _MONTH     */
        int     first_year, last_year;   /* 0 = from the data                 */
        char    first_period[16], last_period[16];  /* fold ids as written    */
        int     first_id, last_id;       /* resolved from the four above; 0 = from the data */
        int     rolling_years;           /* 0 = expanding                     */
        int     rolling_periods;         /* 0 = off                           */
        double  val_frac;
        int     val_frac_set;            /* val_frac was written in the file  */
        double  train_frac, test_frac;   /* holdout                           */
        int     val_months;
        int     embargo;                 /* bars; 0 = lookback + horizon      */
        int     min_train;               /* windows; 0 = 1                    */
    } walkforward;

    struct {
        cfg_dim     cell;                /* rnn_cell codes                    */
        int         n_hidden;
        cfg_layers *hidden;              /* [n_hidden], malloc'd              */
        cfg_dim     lookback, dropout, seed, forget_bias_one;
    } model;

    struct {
        cfg_dim lr, batch, epochs, weight_decay, clip_norm, patience, min_delta, stride, max_windows;
    } training;

    struct {
        int     market;                  /* BT_FX | BT_EQUITY (scalar)        */
        cfg_dim dim[BT_F_N];             /* by BT_F_* field (worker/strategy.h);
                                            n == 0: the market's default      */
    } strategy;

    struct {
        int      method;                 /* SEARCH_GRID | SEARCH_RANDOM       */
        int      samples;                /* random: configurations drawn      */
        int64_t  seed;                   /* random: the draw's seed           */
        int      eta;                    /* halving: keep 1/eta per rung      */
        int      min_folds;              /* halving: periods of the first rung */
        char     metric[32];             /* halving: the ranking metric       */
    } search;

    struct {
        char name[CFG_NAME_MAX];         /* default: the INI file's stem      */
        char output[CFG_PATH_MAX];       /* default: results/<name>.h5        */
        int  threads;                    /* OMP threads per rank hint; 0 = env */
        int  save_weights;               /* 1: records carry the weights      */
        int  series;                     /* CFG_SERIES_AUTO or TASK_SERIES_*  */
    } run;

    uint64_t data_hash;                  /* config_data_hash(), set by load   */
} sweep_config;

/* [run] series = auto (the default): config_series resolves it. */
#define CFG_SERIES_AUTO (-1)

/* The per-strategy series resolution of a sweep (task.h, "Series
 * resolution") on data of bar_seconds bars: [run] series, or for auto
 * TASK_SERIES_DAY when bars are shorter than a day (0 < bar_seconds <
 * 86400), else TASK_SERIES_BAR (daily and longer bars: one point per bar,
 * the version-4 layout). */
int config_series(const sweep_config *c, double bar_seconds);

/* Parse and validate `path`.  Returns 0, or RS_EINPUT (any config error, a
 * missing or unreadable file) / RS_EINTERNAL (out of memory) with *e filled
 * and *c zeroed.  Data paths are NOT checked: see config_check_paths. */
int config_load(const char *path, sweep_config *c, rs_err *e);

/* The same from INI text in memory (e.g. the text stored in a results
 * file, or broadcast to every rank); `name` stands for the file name in
 * messages and the default [run] name. */
int config_load_text(const char *text, const char *name, sweep_config *c, rs_err *e);

/* Read a config file whole, as config_load does (regular files only: a
 * FIFO or a directory is refused before it is read; no NUL byte): *text
 * malloc'd and NUL-terminated, *len its length.  Returns 0 or RS_EINPUT /
 * RS_EINTERNAL. */
int config_read_file(const char *path, char **text, size_t *len, rs_err *e);

/* The line of `text` where [sec] key (lower case) is set — the first
 * physical line of its entry — or 0 when it is not (or the text does not
 * scan).  The loader's own scan: override.h places overrides with it. */
int config_key_line(const char *text, const char *sec, const char *key);

/* 1 when name (any case) is one of the config's sections. */
int config_section_known(const char *name);

/* Release everything config_load allocated and zero *c (NULL is fine). */
void config_free(sweep_config *c);

/* Check that every instrument's path names an existing file or, for a
 * glob, matches at least one.  Returns 0 or RS_EINPUT:
 *   "FILE:LINE: [data] spx.path: no such file 'data/sp500-2000.csv'". */
int config_check_paths(const sweep_config *c, rs_err *e);

/* The canonical text of everything that defines the data a model sees:
 * [data], [features] (as parsed items, so "rsi" == "rsi:14"), [target] and
 * [walkforward] except first_year/last_year (which only choose which folds
 * exist; each task key carries its own year, so a sweep can be extended by
 * years).  One "section.key=value" line per item, sorted, floats "%.17g".
 * Writes at most n bytes (NUL-terminated when n > 0); returns the length
 * the full text needs (snprintf-style). */
size_t config_data_canon(const sweep_config *c, char *buf, size_t n);

/* rs_hash_bytes of config_data_canon: equal for configs that describe the
 * same data, however the INI is ordered or numbers are written. */
uint64_t config_data_hash(const sweep_config *c);

/* Can results computed under `old` be reused under `now`?  Returns 0 when
 * their data hashes are equal, else RS_EINPUT explaining the first
 * difference: "[features] item 3: was 'rsi:14@SPX', now 'rsi:10@SPX': a
 * change to data, features, target or walk-forward invalidates every
 * finished task; write to a new output file". */
int config_check_compatible(const sweep_config *old, const sweep_config *now, rs_err *e);

/* Print every known key: section, name, whether it is a grid dimension,
 * its type and default (configs/README.md is written from this). */
void config_describe_keys(FILE *f);

/* The [strategy] keys as a markdown table (configs/README.md carries it
 * between "<!-- strategy-keys -->" markers; a test keeps the two equal:
 * `rnnsweep check --keys-markdown` prints it). */
void config_describe_strategy_markdown(FILE *f);

/* Number of known keys and the i-th one's "section.name" (for tests that
 * check the README documents every key).  NULL outside 0..n-1. */
int         config_key_count(void);
const char *config_key_name(int i, char *buf, size_t n);

/* Levenshtein edit distance of two strings (ASCII, case-sensitive). */
int config_edit_distance(const char *a, const char *b);

#endif /* RS_CONFIG_H */

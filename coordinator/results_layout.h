/*
 * results_layout.h — the results file's rows and HDF5 compound types, one
 * definition shared by the writer (results_write.c) and the reader
 * (results_read.c); results.h documents the layout they implement.
 * Private to the results module.
 *
 * Type choices (what a reader other than results_read must know):
 *   - compound datasets use the native C struct layouts below (padding
 *     included, padding bytes written as zero so the datasets are
 *     deterministic to the bit); their members carry the struct field names;
 *   - string fields inside datasets are fixed-length, NUL-padded ASCII
 *     (h5py: bytes); root string attributes are scalar variable-length UTF-8
 *     strings (h5py: str), because the INI text and the host list have no
 *     useful bound and a variable-length attribute never hits the 64 KiB
 *     object-header limit;
 *   - integer attributes are 32-bit signed; hashes are 16-digit hex strings.
 */
#ifndef RS_RESULTS_LAYOUT_H
#define RS_RESULTS_LAYOUT_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/h5io.h"
#include "coordinator/plan.h"
#include "worker/task.h"

/* One row of /plan/models. */
typedef struct {
    int32_t  index;
    uint64_t key;
    char     cell[16];
    int32_t  layers;
    char     hidden[64];             /* "64x32", bottom layer first            */
    int32_t  lookback;
    double   dropout;
    uint64_t seed;
    int32_t  forget_bias_one;
    double   lr;
    int32_t  batch;
    int32_t  epochs;
    double   weight_decay;
    double   clip_norm;
    int32_t  patience;
    double   min_delta;
    int32_t  stride;                 /* [training] stride, max_windows         */
    int32_t  max_windows;
    int64_t  params;                 /* rnn_param_count of the task spec       */
    char     label[96];
} model_rec;

/* One row of /plan/strategies is generated from the strategy table
 * (worker/strategy.h): index, key, label, bars_per_year_auto, market, then
 * one column per field under its key, enum fields as their names.  The
 * row is a byte buffer laid out by strat_layout, not a C struct, so adding
 * a field to the table adds its column with no code here. */
#define STRAT_NAME_LEN  16           /* an enum name column                    */
#define STRAT_LABEL_LEN 96

typedef struct {
    size_t size;                     /* bytes per row                          */
    size_t index, key, label, bpy_auto, market, corr_index, lookahead;
    size_t field[BT_F_N];            /* offset of each table field's column    */
} strat_layout;

/* Fill *L for the current strategy table. */
void layout_strat_make(strat_layout *L);

/* One row of /plan/corrections: a distinct correction point, in the order
 * of /series/corrected's columns (strategy_corrections order). */
typedef struct {
    int32_t index;
    char    correction[STRAT_NAME_LEN];   /* "none", "motormap", ...          */
    int32_t lookahead;               /* 1: motormap_peek, a diagnostic         */
    int32_t mm_size;
    double  mm_beta, mm_sigma0;
    int32_t mm_epochs;
    int32_t first_strategy;          /* the first /plan/strategies row using it */
    char    label[STRAT_LABEL_LEN];
} corr_rec;

/* One row of /plan/folds. */
typedef struct {
    int32_t lookback;
    int32_t fold_id;                 /* folds.h id: 2017, 20173, 201708, 0     */
    char    fold[FOLD_ID_MAX];       /* its text: "2017", "2017Q3", "holdout"  */
    char    status[8];               /* "ok" | "empty"                         */
    int64_t n_train, n_val, n_test;
    char    train_first[24], train_last[24];   /* ISO 8601, "" for time 0      */
    char    test_first[24], test_last[24];
} fold_rec;

/* One row of /tasks: the head of a record, minus what other datasets say. */
typedef struct {
    uint64_t task_key;
    uint64_t model_key;
    int32_t  model;
    int32_t  fold_id;
    char     fold[FOLD_ID_MAX];      /* the fold id's text                     */
    int32_t  status;
    char     status_name[12];
    int32_t  epochs_run;
    int32_t  best_epoch;
    int64_t  steps;
    int32_t  rank;
    char     host[TASK_HOST_MAX];
    char     blas[TASK_BLAS_MAX];
    double   sec_train, sec_predict, sec_backtest, sec_total;
    char     message[TASK_MSG_MAX];
    int32_t  reevaluated;            /* 1: re-evaluated from stored predictions
                                        (schema 4; absent from schema 3)       */
} tasks_rec;

/* One row of /series/index, and of /curves/index, /train_classes/index
 * and /weights/index: a task's rows in the datasets of that group. */
typedef struct {
    uint64_t task_key;
    int32_t  model;
    int32_t  fold_id;
    int64_t  offset;                 /* first row in /series/t, y, pred, ...
                                        (/curves/loss, /train_classes/net and
                                        label, /weights/blob)                  */
    int64_t  n;                      /* rows                                   */
} index_rec;

/* One row of /series/points (schema 5): a task's per-strategy series
 * points, one row per /series/index row, same order. */
typedef struct {
    uint64_t task_key;
    int32_t  model;
    int32_t  fold_id;
    int64_t  offset;                 /* first row in /series/returns, bh
                                        (and point_end, trades when written)  */
    int64_t  n;                      /* points (0: resolution none)           */
    int32_t  series;                 /* TASK_SERIES_* (task.h)                */
    int32_t  pad_;
} points_rec;

/* Every type the file uses, built once per read or write. */
typedef struct { hid_t row, model, strat, corr, fold, tasks, tasks_v3, index, points; } layout_types;

/* Build them all (0), or record the failure in x and return -1 with every
 * type closed. */
int  layout_types_open(h5io_ctx *x, layout_types *T);
void layout_types_close(layout_types *T);       /* closes what is open */

/* Which bytes of compound type t (at offset base) are members: sets
 * cover[...] = 1 for them; the rest is padding. */
void layout_cover_members(hid_t t, size_t base, unsigned char *cover);

/* Zero every padding byte (cover[k] == 0) of n result rows, so a dataset's
 * bytes depend only on its values. */
void layout_zero_padding(task_row *rows, size_t n, const unsigned char *cover);

/* Fold timestamps as ISO strings: "" for 0 (an empty set), and back
 * (0, or -1 when s is not ISO 8601 "YYYY-MM-DDTHH:MM:SSZ"). */
void layout_iso_or_empty(int64_t s, char *buf);
int  layout_iso_parse(const char *s, int64_t *out);

#endif /* RS_RESULTS_LAYOUT_H */

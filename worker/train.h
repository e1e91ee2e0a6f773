/*
 * train.h — training an rnn_model on index windows of a feature matrix:
 * mini-batches shuffled per epoch from the seed, Adam with optional
 * decoupled weight decay, gradient clipping by global norm, early stopping
 * on a validation set (restoring the best weights), divergence detection.
 *
 * Data is never copied into windows.  The caller owns a row-major feature
 * matrix x [n_rows][n_feat] (float) and targets y [n_rows]; a window is named
 * by its END row e: its inputs are rows e-T+1 .. e and its target is y[e].
 * Batches are gathered into the model's arena, time-major [T][b][D].
 *
 * Determinism: the batch order of epoch k is a shuffle seeded by
 * rs_hash2(seed, k) and the dropout masks of optimiser step s by
 * rs_hash2(seed ^ TRAIN_DROPOUT_SALT, s) — salted so that the mask stream
 * of step s and the shuffle of epoch s are never the same hash; with the
 * same model seed and data, two runs produce bitwise-identical weights,
 * whatever OMP_NUM_THREADS is.
 */
#ifndef RS_TRAIN_H
#define RS_TRAIN_H

#include "worker/rnn.h"

/* Mixed into the seed of the dropout masks (see above): MurmurHash2's
 * multiplier, an arbitrary odd constant.  Changing it changes every
 * trained weight with dropout, hence every such result. */
#define TRAIN_DROPOUT_SALT 0x5bd1e995ULL

typedef struct {
    const float *x;        /* [n_rows][n_feat] features, row-major          */
    const float *y;        /* [n_rows] target value or class id             */
    int          n_rows;
    int          n_feat;   /* must equal the model's n_in                   */
} rnn_data;

/* Where a long training is, for a progress line (never changes a result). */
typedef struct {
    int    epoch, epochs;      /* the epoch in progress (1-based) / maximum       */
    int    done, n_train;      /* its windows trained so far / in all            */
    double loss;               /* mean training loss of the epoch so far         */
    double seconds;            /* since rnn_train started                        */
} rnn_progress;

typedef void (*rnn_progress_fn)(void *ctx, const rnn_progress *p);

typedef struct {
    int    epochs;         /* maximum epochs (default 20)                    */
    double lr;             /* Adam learning rate (1e-3)                      */
    double beta1, beta2;   /* (0.9, 0.999)                                   */
    double eps;            /* (1e-8)                                         */
    double weight_decay;   /* decoupled (AdamW), weight matrices only (0)    */
    double clip_norm;      /* clip the global gradient norm; 0 = off (1.0)   */
    int    patience;       /* epochs without val improvement; 0 = off (5)    */
    double min_delta;      /* improvement needed to reset patience (0)       */
    double explode;        /* diverged when an epoch's train loss exceeds
                              explode x the first epoch's; 0 = off (1e3)     */
    uint64_t seed;         /* shuffles and dropout                            */
    int    shuffle;        /* shuffle batches each epoch (1)                  */
    int    verbose;        /* print one line per epoch to stderr (0)          */
    rnn_progress_fn progress;   /* called at most every progress_every seconds
                                   during training (NULL = never); only reads   */
    void  *progress_ctx;
    double progress_every;      /* seconds                                     */
    /* Asked before every mini-batch (NULL: never): non-zero stops training
     * at once with status RNN_TRAIN_STOPPED — a drain abandoning a task in
     * flight.  Never part of a task's key. */
    int  (*stop)(void *ctx);
    void  *stop_ctx;
} rnn_train_opts;

typedef enum {
    RNN_TRAIN_OK = 0,
    RNN_TRAIN_DIVERGED = 1,    /* NaN/inf loss or gradient, or exploding loss */
    RNN_TRAIN_NODATA = 2,      /* no training windows                         */
    RNN_TRAIN_STOPPED = 3      /* opts.stop asked to stop: no usable result   */
} rnn_train_status;

typedef struct {
    rnn_train_status status;
    int    epochs_run;         /* epochs completed                            */
    int    best_epoch;         /* 1-based epoch whose weights were kept: the
                                  best validation epoch; without validation
                                  the last epoch (its weights are kept), or
                                  after a divergence the lowest-loss epoch
                                  (0: the initial weights)                    */
    double best_val_loss;      /* NAN without a validation set                */
    double last_train_loss;    /* mean loss of the last completed epoch       */
    long   steps;              /* optimiser steps taken                       */
    double seconds;            /* wall time of rnn_train                      */
} rnn_train_result;

/* Defaults listed beside each field above. */
rnn_train_opts rnn_train_defaults(void);

/* Check options; RS_EINPUT with the offending field named. */
int rnn_train_opts_check(const rnn_train_opts *o, rs_err *e);

/* Check that every window end e satisfies T-1 <= e < n_rows and that its
 * target is finite (and a valid class id for a classifier); RS_EINPUT with
 * the first bad index otherwise. */
int rnn_windows_check(const rnn_model *m, const rnn_data *d, const int *ends, int n, rs_err *e);

/* Gather windows ends[0..b) into m->xbatch [T][b][D] and m->ybatch [b]. */
void rnn_gather(rnn_model *m, const rnn_data *d, const int *ends, int b);

/* Train.  train/val: window end rows (val may be NULL/0: no early stopping,
 * the final weights are kept, unless training diverges: then the weights
 * of the lowest-training-loss epoch).  curve, when not NULL, receives
 * [epochs][2] = {train loss, val loss (NAN without val)} per completed epoch.
 * Returns 0 and fills *r, or RS_EINPUT / RS_EINTERNAL with *e filled for
 * bad arguments.  Divergence is NOT an error: r->status says it, and the
 * weights are the best seen before it (or the initial ones).  Allocates
 * only the shuffled index array (once, before the loop). */
int rnn_train(rnn_model *m, const rnn_data *d, const int *train, int n_train,
              const int *val, int n_val, const rnn_train_opts *o,
              rnn_train_result *r, double *curve, rs_err *e);

/* Mean loss over windows (forward only, no dropout); NAN if n == 0. */
double rnn_evaluate(rnn_model *m, const rnn_data *d, const int *ends, int n);

/* Predictions for windows: out [n][K] (REG: the value; CLS: probabilities). */
void rnn_predict(rnn_model *m, const rnn_data *d, const int *ends, int n, double *out);

/* One Adam(W) step over all parameters with the model's gradients:
 *   p <- p - lr*wd*p   (weight matrices only, decoupled, as torch AdamW)
 *   m <- b1 m + (1-b1) g;   v <- b2 v + (1-b2) g^2
 *   p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)            */
void rnn_adam_step(rnn_model *m, const rnn_train_opts *o);

/* Global L2 norm of the gradients (double); scales them to max_norm when
 * larger and max_norm > 0.  Returns the norm before clipping. */
double rnn_clip_grads(rnn_model *m, double max_norm);

#endif /* RS_TRAIN_H */

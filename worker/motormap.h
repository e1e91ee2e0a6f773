/*
 * motormap.h — the "RL correction block": a self-organising motor map that
 * corrects a trend classifier's class, after Rundo, "Deep LSTM with
 * Reinforcement Learning Layer for Financial Trend Prediction in FX High
 * Frequency Trading Systems", Appl. Sci. 2019, 9, 4460, §2.3 (eqs. 2–17).
 *
 * We do not have the paper's text.  What follows is the project's reading of
 * §2.3; every choice is stated next to the equation it interprets, so a
 * reader holding the paper can check each one.
 *
 * ---- The map ---------------------------------------------------------------
 * A lattice of size × size neurons; neuron j sits at lattice position
 * (r, c) = (j / size, j % size).  Each has input weights w_j ∈ R^dim and one
 * output o_j ∈ {SHORT, RANGE, LONG} (metrics.h class ids 0, 1, 2).  Both are
 * drawn at creation from the map's rs_rng: w uniform in [0,1) (24-bit floats,
 * so never 1.0), o uniform over the three classes.  The stream is seeded with
 * rs_hash2(seed, MM_SEED_TAG), not `seed` itself, so a caller that hands the
 * same task seed to the network and to the map gets unrelated streams.
 *
 * Input, eq. 1 region (our choice).  The window ending at row e is, for each
 * instrument i, its T closes c_i[e-T+1 .. e] min-max normalised within the
 * window, (c − min)/(max − min), or 0.5 for every bar when max == min;
 * concatenated instrument by instrument: x[i*T + k], dim = n_inst × T.
 * Normalising per window makes the map see the window's SHAPE, not its level,
 * and puts x in the same [0,1] box as the initial weights.
 *
 * Winner, eq. 2.  The neuron at the least Euclidean distance from x; a tie
 * goes to the lowest index.  Squared distances are compared (same order).
 *
 * Policy, eqs. 13–15, one learning step with the network's class `net`, the
 * window's true class `truth` and the winner's current output m = o_win:
 *   eq. 13  map right (m == truth; "both right" included): o_win unchanged;
 *   eq. 14  only the network right (m != truth, net == truth): o_win := net;
 *   eq. 15  both wrong: o_win := a class drawn uniformly among those different
 *           from BOTH m and net — the one class left when m != net (no draw,
 *           so no random number is consumed), one of two when m == net
 *           (one rs_rng_below(2) draw from the map's stream).
 *   When both are wrong and m != net the third class must be the truth, so
 *   eq. 15 then corrects the map outright; only m == net leaves it a coin.
 *
 * Weight update, eqs. 16–17, ONLY on a step where the map was right (eq. 13):
 *   w_j += β · σ_j · (x − w_j),  σ_j = exp(−d²(j, win) / (2 s²)),
 * d the Euclidean lattice distance in (r, c).  So the winner (σ = 1 exactly)
 * moves by exactly β·(x − w_win) (in float: w + (float)β·(x − w), each
 * operation rounded, never fused) and its neighbours by less.  We read eqs.
 * 16 and 17 together as this update and its neighbourhood.  Choices:
 *   - σ is computed as the separable product g(|Δr|)·g(|Δc|) with
 *     g(d) = exp(−d²/(2s²)): the same number up to the last bits, and it
 *     costs `size` exponentials per step instead of size².
 *   - Neurons with σ_j < MM_SIGMA_CUT are not updated: their move is below
 *     β·1e-7 on weights in [0,1].  The skip is decided on the same double σ
 *     on every machine, so it is deterministic.
 *   - The width s shrinks over the learning steps (the schedule is ours):
 *       s(step) = sigma0 · (MM_SIGMA_END / sigma0)^(step / (total − 1))
 *     for `total` planned steps: s(0) = sigma0, s(total−1) = MM_SIGMA_END
 *     exactly.  If sigma0 <= MM_SIGMA_END, or total <= 1, s stays sigma0.
 *     Steps past total − 1 keep s(total − 1): that is how the online variant
 *     "keeps the final training width" through the test period.
 * A map is therefore a pure function of its seed, options, `total` and the
 * sequence of (x, net, truth) it has learned.
 *
 * ---- Determinism -------------------------------------------------------------
 * The same seed and inputs give bit-identical maps and outputs on any machine
 * and thread count (nothing here is threaded):
 *   - distances are float sums with MM_LANES = 16 explicit partial sums
 *     combined in a fixed tree order, written with GCC's lane-wise vector
 *     type so the compiler has nothing to reassociate; motormap.c turns FMA
 *     contraction off for itself (whatever -std/-march the build uses) and
 *     refuses to compile unless FLT_EVAL_METHOD == 0;
 *   - weight rows are padded with zeros to whole 16-float blocks (ld), which
 *     adds exactly +0 to a lane: the padding changes no distance;
 *   - exp and log come from motormap.c's own routines written in + − × ÷,
 *     frexp, ldexp and floor only (all exact or correctly rounded in IEEE
 *     754), because libm's may differ in the last bit between libraries and
 *     between the FMA and non-FMA paths glibc picks at run time — and σ and
 *     s feed back into the weights.
 *
 * ---- The three correction variants (mm_correct) -------------------------------
 * The network is trained once per fold.  The map learns from the network's
 * classes on the fold's TRAINING windows and their true labels, in time
 * order, `epochs` passes (total planned steps = epochs × n_train, which drives
 * s).  It then gives a corrected class for every TEST window: consecutive end
 * rows lo, lo+1, ..., lo+n−1 (index k ↔ row lo+k).  With horizon h the label
 * of test window k is known at the close of row lo+k+h, i.e. at index k+h.
 *   MM_NONE   "none"             out[k] = test.net[k]; no map.  Reads nothing
 *                                but test.net (o, s, train, seed unused).
 *   MM_FROZEN "motormap"         the map frozen after training; out[k] = the
 *                                winner's output for window k.
 *   MM_ONLINE "motormap_online"  keeps learning in the test period, but learns
 *                                window j only at index j + h, when its label
 *                                is known: at index k FIRST the learning step
 *                                for window k−h (k−h >= 0), THEN the prediction
 *                                of window k.  s stays at its final training
 *                                value.
 *   MM_PEEK   "motormap_peek"    !!! LOOK-AHEAD BY CONSTRUCTION — NEVER A
 *                                RESULT. !!!  At index k the map learns window
 *                                k with its OWN future label test.truth[k],
 *                                then predicts window k.  This is the literal
 *                                reading of checking the map against "the
 *                                current trend"; it exists only to measure how
 *                                much of the published gain look-ahead would
 *                                explain.  mm_kind_lookahead() is 1 for it so
 *                                reports can flag (or refuse) its rows.
 *
 * CAUSALITY CONTRACT.  out[k] depends only on: close rows <= lo+k (within the
 * windows read, for every instrument); the training windows (closes, net,
 * truth — the caller guarantees their labels end by row lo, and mm_correct
 * checks train.end[i] + h <= lo); test.net[0..k]; and test.truth[j] for
 * j <= k−h (ONLINE) or for no j at all (FROZEN, NONE: test.truth may be
 * NULL).  PEEK also uses test.truth[k], which depends on rows up to lo+k+h.
 *
 * ---- Memory and errors -------------------------------------------------------
 * An mm_map owns one malloc'd block holding its Gaussian table, weights and
 * outputs; mm_free releases it.  mm_correct allocates once at its start (the
 * map and one input vector) and frees both before returning; nothing is
 * allocated per learning step.  No files, no MPI, no threads, no globals.
 * Functions that can fail return 0, RS_EINPUT (bad options or arguments, the
 * message naming the field and what was expected) or RS_EINTERNAL (out of
 * memory), and fill the rs_err (which may be NULL).
 */
#ifndef RS_MOTORMAP_H
#define RS_MOTORMAP_H

#include <stddef.h>
#include <stdint.h>

#include "worker/util.h"

#define MM_MAX_SIZE   256                  /* lattice side limit: 65536 neurons          */
#define MM_MAX_BYTES  ((size_t)1 << 30)    /* a map block above 1 GiB is refused: a
                                              window too large for a worker's memory  */
#define MM_SIGMA_END  0.5                  /* final width (lattice units): at 0.5 the
                                              nearest lattice neighbour gets σ = e^-2 */
#define MM_SIGMA_CUT  1e-7                 /* σ below this: the neuron is not updated  */
#define MM_LANES      16                   /* partial sums in a distance               */
#define MM_SEED_TAG   0x6d6f746f726d6170ULL /* "motormap": the map's sub-stream         */

/* The variants, in ONE place: id, config name. */
#define MM_KINDS(X)                       \
    X(MM_NONE,   "none")                  \
    X(MM_FROZEN, "motormap")              \
    X(MM_ONLINE, "motormap_online")       \
    X(MM_PEEK,   "motormap_peek")

#define MM_KIND_ENUM_(id, name) id,
enum { MM_KINDS(MM_KIND_ENUM_) MM_NKIND };
#undef MM_KIND_ENUM_

/* The config name of a kind ("none", "motormap", ...), or "?" when kind is
 * out of range.  Static storage. */
const char *mm_kind_name(int kind);

/* The kind with that config name, or -1 (name may be NULL). */
int mm_kind_from_name(const char *name);

/* 1 when the kind reads a window's own future label (MM_PEEK only), else 0. */
int mm_kind_lookahead(int kind);

typedef struct {
    int    size;     /* lattice side, 2 .. MM_MAX_SIZE (paper: 30)                 */
    double beta;     /* learning rate, in (0, 1]                                    */
    double sigma0;   /* initial neighbourhood width, lattice units, > 0 (config
                        default size/2)                                             */
    int    epochs;   /* passes over the training windows, >= 1                      */
} mm_opts;

/* Tallies of learning steps, by the policy row they took (eqs. 13–15). */
typedef struct {
    int64_t steps;       /* learning steps                                   */
    int64_t map_right;   /* eq. 13: m == truth; weights moved                */
    int64_t net_right;   /* eq. 14: m != truth, net == truth; o_win := net   */
    int64_t both_wrong;  /* eq. 15: o_win := another class                   */
    int64_t moved;       /* neuron weight vectors moved (σ >= MM_SIGMA_CUT), summed */
} mm_counts;

typedef struct {
    int       size;       /* lattice side                                         */
    int       n;          /* size * size neurons                                  */
    int       dim;        /* input length n_inst × T                              */
    int       ld;         /* row stride of w: dim rounded up to MM_LANES          */
    double   *g;          /* [size] scratch: g(d) = exp(−d²/(2s²)) of this step    */
    float    *w;          /* [n][ld] input weights: row j = neuron j, w[j*ld + d]
                             for d < dim, zeros in the padding                    */
    uint8_t  *out;        /* [n] output classes                                   */
    void     *block;      /* the one malloc'd block g, w and out live in          */
    double    beta;
    double    sigma0;
    double    log_ratio;  /* log(MM_SIGMA_END / sigma0) when sigma0 > MM_SIGMA_END */
    int64_t   step;       /* learning steps taken so far                          */
    int64_t   total;      /* planned steps: drives the width                      */
    rs_rng    rng;        /* initial draws, then the eq. 15 draws                 */
    mm_counts counts;     /* running tallies of mm_learn                          */
} mm_map;

/* Validate options for windows of length dim: 0, or RS_EINPUT naming the
 * field (size, beta, sigma0, epochs, dim) and the expected range; a map whose
 * block would exceed MM_MAX_BYTES is refused with a message giving size, dim,
 * the bytes needed and the limit. */
int mm_check(const mm_opts *o, int dim, rs_err *e);

/* Bytes of the block mm_create would allocate, padding included: 0 when o
 * is NULL, size is outside 1..MM_MAX_SIZE or dim < 1; SIZE_MAX when dim is
 * too large to pad.  No other validation. */
size_t mm_bytes(const mm_opts *o, int dim);

/* Create a map with random weights and outputs from `seed`, planned to learn
 * `total` (>= 0) steps.  Returns 0, RS_EINPUT (mm_check, total < 0) or
 * RS_EINTERNAL; on failure *m is zeroed, so mm_free(m) is always safe.
 * The caller owns the map and frees it with mm_free. */
int mm_create(mm_map *m, const mm_opts *o, int dim, int64_t total, uint64_t seed, rs_err *e);

/* Free the map's block and zero *m (m may be zeroed or NULL). */
void mm_free(mm_map *m);

/* Fill x[n_inst*T] with the normalised window ending at row `end` (see the
 * header comment): close[i][end-T+1 .. end] must be readable.  Returns 0, or
 * 1 + i for the first instrument i whose window holds a non-finite close
 * (x is then incomplete).  Allocates nothing. */
int mm_input(const double *const *close, int n_inst, int64_t end, int T, float *x);

/* Index of the winning neuron for x[dim] (eq. 2). */
int mm_winner(const mm_map *m, const float *x);

/* The neighbourhood width s at the map's current step (the schedule above). */
double mm_width(const mm_map *m);

/* The schedule itself: s at `step` of `total` planned steps from sigma0. */
double mm_width_at(double sigma0, int64_t step, int64_t total);

/* One learning step (eqs. 2, 13–17) on x[dim] with the network's class and
 * the true class (each 0..2, asserted): updates the winner's output and, when the map
 * was right, the weights; advances the step; adds to m->counts.  Returns the
 * map's class for x BEFORE the step (m = o_win). */
int mm_learn(mm_map *m, const float *x, int net, int truth);

/* The map's class for x[dim]: the winner's output. */
int mm_predict(const mm_map *m, const float *x);

/* The price data: close[i] points to instrument i's closes indexed by data
 * row 0 .. n_rows−1 (the full aligned arrays; all finite where read). */
typedef struct {
    const double *const *close;   /* [n_inst] -> [n_rows]                     */
    int                  n_inst;  /* >= 1                                      */
    int64_t              n_rows;
    int                  lookback;/* T >= 1                                    */
    int                  horizon; /* h >= 1: a label needs rows e+1 .. e+h     */
} mm_series;

/* The fold's training windows, in time order. */
typedef struct {
    const int64_t *end;    /* [n] end rows, strictly increasing, end−T+1 >= 0 and
                              end + h <= test.lo (labels known before testing) */
    const uint8_t *net;    /* [n] the network's class (argmax, by the caller)  */
    const uint8_t *truth;  /* [n] the true class                                */
    int64_t        n;      /* >= 0; 0 leaves the map random (FROZEN then gives
                              the random map's classes)                         */
} mm_train;

/* The fold's test windows: end rows lo .. lo+n−1, lo−T+1 >= 0, lo+n−1 < n_rows. */
typedef struct {
    int64_t        lo;
    int64_t        n;      /* >= 0                                              */
    const uint8_t *net;    /* [n] the network's class                           */
    const uint8_t *truth;  /* [n] the true class: read by ONLINE (j <= k−h) and
                              PEEK (j = k) only; may be NULL for NONE, FROZEN  */
} mm_test;

typedef struct {
    mm_counts train;   /* the training passes                              */
    mm_counts test;    /* learning during the test period (ONLINE, PEEK)   */
} mm_stats;

/* Train a map on `train` and write the corrected class of every test window
 * into out[test->n] under variant `kind` (see the header comment).  Arrays
 * may be NULL when their n is 0; st may be NULL.  Returns 0, RS_EINPUT (bad
 * options, kind, arguments, a class > 2, a training window out of order or
 * whose label reaches past test.lo, a window outside the rows, a non-finite
 * close — naming which), or RS_EINTERNAL (out of memory).  On error out is
 * unspecified. */
int mm_correct(const mm_opts *o, int kind, const mm_series *s, uint64_t seed,
               const mm_train *train, const mm_test *test,
               uint8_t *out, mm_stats *st, rs_err *e);

#endif /* RS_MOTORMAP_H */

/* motormap.c — see motormap.h for the contracts and the equations.
 *
 * Determinism rests on three things this file does not take for granted:
 *   1. FLT_EVAL_METHOD 0 (float arithmetic in float, as on x86-64 SSE): the
 *      build refuses anything else below.
 *   2. No FMA contraction.  GCC's default under -std=c11 (the project's flag)
 *      is already -ffp-contract=off, but -std=gnu11 or -ffp-contract=fast
 *      with an FMA-capable -march would fuse w + a*(x − w) and d*d + acc and
 *      change the last bits (tests/test_motormap.c's golden hash caught
 *      exactly that), so this file turns contraction off itself below.
 *   3. Our own exp/log (det_exp, det_log), in operations IEEE 754 defines
 *      exactly, instead of libm's. */
#include "worker/motormap.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "worker/metrics.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "motormap.c: bit-identical maps need FLT_EVAL_METHOD == 0 (SSE float arithmetic)"
#endif

/* After the includes, so only this file's functions are affected. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ---- kinds ------------------------------------------------------------------ */

#define MM_KIND_NAME_(id, name) [id] = name,
static const char *const kind_names[MM_NKIND] = { MM_KINDS(MM_KIND_NAME_) };
#undef MM_KIND_NAME_

const char *mm_kind_name(int kind) {
    return kind >= 0 && kind < MM_NKIND ? kind_names[kind] : "?";
}

int mm_kind_from_name(const char *name) {
    if (!name) return -1;
    for (int k = 0; k < MM_NKIND; k++)
        if (strcmp(name, kind_names[k]) == 0) return k;
    return -1;
}

int mm_kind_lookahead(int kind) { return kind == MM_PEEK; }

/* ---- deterministic exp and log ---------------------------------------------
 * Accurate to a few ulps, which is all σ and s need; what matters is that they
 * are the same bits everywhere.  Cody–Waite reduction with fdlibm's split of
 * ln 2 (LN2_HI has 21 trailing zero bits, so k·LN2_HI is exact for |k| < 2^21). */

static const double LN2_HI  = 6.93147180369123816490e-01;
static const double LN2_LO  = 1.90821492927058770002e-10;
static const double INV_LN2 = 1.44269504088896338700e+00;

/* exp(x) for x <= 0 (σ and s only need that side); 0 below the subnormals. */
static double det_exp(double x) {
    assert(!(x > 0));
    if (!(x > -745.2)) return 0.0;                 /* also −inf and NaN: σ → skipped */
    double k = floor(x * INV_LN2 + 0.5);
    double r = (x - k * LN2_HI) - k * LN2_LO;      /* |r| <= ln2/2 + tiny */
    /* Taylor to r^13: the first omitted term is < 4e-18 relative. */
    static const double c[14] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
        1.0 / 479001600, 1.0 / 6227020800.0,
    };
    double p = c[13];
    for (int i = 12; i >= 0; i--) p = p * r + c[i];
    return ldexp(p, (int)k);
}

/* log(y) for finite y > 0: y = m·2^q with m in [√½, √2), log m = 2·atanh(t),
 * t = (m−1)/(m+1), |t| <= 0.1716; the series to t^21 leaves < 1e-18. */
static double det_log(double y) {
    assert(y > 0 && isfinite(y));
    int q;
    double m = frexp(y, &q);
    if (m < 0.70710678118654752440) { m *= 2; q -= 1; }
    double t = (m - 1) / (m + 1), t2 = t * t;
    double p = 1.0 / 21;
    for (int i = 9; i >= 0; i--) p = p * t2 + 1.0 / (2 * i + 1);
    return (double)q * LN2_HI + ((double)q * LN2_LO + 2 * t * p);
}

/* ---- options and the block --------------------------------------------------- */

/* Rows of w are padded with zeros to whole MM_LANES blocks (ld floats) so
 * the distance loop has no scalar tail; zeros add exactly +0 to a lane, so
 * the padding changes no bit of any distance.  Block layout: g[size] doubles
 * first (8-byte alignment from malloc), then w[n][ld] floats, then out[n]. */
static int row_ld(int dim) { return (dim + MM_LANES - 1) / MM_LANES * MM_LANES; }

static size_t block_bytes(int size, int dim) {
    size_t n = (size_t)size * (size_t)size;
    return (size_t)size * sizeof(double) + n * (size_t)row_ld(dim) * sizeof(float) + n;
}

size_t mm_bytes(const mm_opts *o, int dim) {
    if (!o || o->size <= 0 || dim <= 0 || o->size > MM_MAX_SIZE) return 0;
    if (dim > INT32_MAX - MM_LANES) return SIZE_MAX;
    return block_bytes(o->size, dim);      /* <= 2^8·8 + 2^16·2^31·4 + 2^16: fits */
}

int mm_check(const mm_opts *o, int dim, rs_err *e) {
    if (!o) return rs_err_set(e, RS_EINPUT, "motormap: no options given");
    if (o->size < 2 || o->size > MM_MAX_SIZE)
        return rs_err_set(e, RS_EINPUT, "motormap: size %d must be in 2..%d", o->size, MM_MAX_SIZE);
    if (!(o->beta > 0 && o->beta <= 1))
        return rs_err_set(e, RS_EINPUT, "motormap: beta %g must be in (0, 1]", o->beta);
    if (!(o->sigma0 > 0 && isfinite(o->sigma0)))
        return rs_err_set(e, RS_EINPUT, "motormap: sigma0 %g must be finite and > 0 "
                          "(lattice units; default size/2)", o->sigma0);
    if (o->epochs < 1)
        return rs_err_set(e, RS_EINPUT, "motormap: epochs %d must be >= 1", o->epochs);
    if (dim < 1)
        return rs_err_set(e, RS_EINPUT, "motormap: window dim %d (instruments × lookback) must be >= 1", dim);
    size_t b = mm_bytes(o, dim);
    if (b > MM_MAX_BYTES)
        return rs_err_set(e, RS_EINPUT, "motormap: a %dx%d map over windows of dim %d needs %zu bytes, "
                          "over the MM_MAX_BYTES limit of %zu: a window too large for memory",
                          o->size, o->size, dim, b, (size_t)MM_MAX_BYTES);
    return 0;
}

int mm_create(mm_map *m, const mm_opts *o, int dim, int64_t total, uint64_t seed, rs_err *e) {
    memset(m, 0, sizeof *m);
    int rc = mm_check(o, dim, e);
    if (rc) return rc;
    if (total < 0)
        return rs_err_set(e, RS_EINPUT, "motormap: planned steps %lld must be >= 0", (long long)total);
    const int size = o->size, n = size * size, ld = row_ld(dim);
    unsigned char *b = malloc(block_bytes(size, dim));
    if (!b) return rs_err_set(e, RS_EINTERNAL, "motormap: out of memory for a %dx%d map of dim %d",
                              size, size, dim);
    m->block = b;
    m->g     = (double *)(void *)b;
    m->w     = (float *)(void *)(b + (size_t)size * sizeof(double));
    m->out   = (uint8_t *)(m->w + (size_t)n * (size_t)ld);
    m->size = size; m->n = n; m->dim = dim; m->ld = ld;
    m->beta = o->beta; m->sigma0 = o->sigma0; m->total = total;
    m->log_ratio = o->sigma0 > MM_SIGMA_END ? det_log(MM_SIGMA_END / o->sigma0) : 0.0;
    rs_rng_seed(&m->rng, rs_hash2(seed, MM_SEED_TAG));
    /* 24 random bits per weight: exactly representable, so w < 1 always
     * (rounding a 53-bit double to float could give 1.0f). */
    for (int j = 0; j < n; j++) {
        float *wj = m->w + (size_t)j * (size_t)ld;
        for (int d = 0; d < dim; d++) wj[d] = (float)(rs_rng_next(&m->rng) >> 40) * 0x1.0p-24f;
        for (int d = dim; d < ld; d++) wj[d] = 0.0f;
    }
    for (int j = 0; j < n; j++) m->out[j] = (uint8_t)rs_rng_below(&m->rng, MT_NCLASS);
    memset(m->g, 0, (size_t)size * sizeof(double));
    return 0;
}

void mm_free(mm_map *m) {
    if (!m) return;
    free(m->block);
    memset(m, 0, sizeof *m);
}

/* ---- input ------------------------------------------------------------------ */

int mm_input(const double *const *close, int n_inst, int64_t end, int T, float *x) {
    assert(n_inst >= 1 && T >= 1 && end - T + 1 >= 0);
    for (int i = 0; i < n_inst; i++) {
        const double *c = close[i] + (end - T + 1);
        double lo = c[0], hi = c[0];
        for (int k = 0; k < T; k++) {
            if (!isfinite(c[k])) return 1 + i;
            if (c[k] < lo) lo = c[k];
            if (c[k] > hi) hi = c[k];
        }
        float *xi = x + (size_t)i * (size_t)T;
        if (hi == lo) {                       /* a flat window has no shape: centre it */
            for (int k = 0; k < T; k++) xi[k] = 0.5f;
        } else {
            const double range = hi - lo;
            for (int k = 0; k < T; k++) xi[k] = (float)((c[k] - lo) / range);
        }
    }
    return 0;
}

/* ---- winner (eq. 2) ---------------------------------------------------------- */

/* The window's last partial block, zero-padded to MM_LANES floats: with it
 * and the padded rows of w, every distance and update is whole blocks. */
typedef struct { float v[MM_LANES]; int full; int blocks; } tail_block;

static void tail_of(const float *x, int dim, tail_block *t) {
    t->full = dim / MM_LANES;
    t->blocks = row_ld(dim) / MM_LANES;
    memset(t->v, 0, sizeof t->v);
    memcpy(t->v, x + (size_t)t->full * MM_LANES, (size_t)(dim - t->full * MM_LANES) * sizeof(float));
}

/* Four float lanes.  GCC's vector extension applies each operator lane by
 * lane with ordinary IEEE float arithmetic: writing the 16 partial sums as
 * four of these leaves the compiler nothing to reorder, and keeps them in
 * registers (a float[16] accumulator spilled to the stack between blocks). */
typedef float v4f __attribute__((vector_size(16)));
static inline v4f ld4(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }
static inline void st4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

/* Squared distance in float with MM_LANES = 16 partial sums in a fixed
 * order: lane l (vector l/4, element l%4) holds elements l, l+16, l+32, ...
 * of (w − x)², then the lanes are added as the fixed binary tree
 *   acc[l] += acc[l+8] (l < 8); acc[l] += acc[l+4] (l < 4); [0]+[2], [1]+[3]; [0]+[1].
 * Defined this way, the result is the same bits vectorised or not. */
static inline float dist2(const float *restrict w, const float *restrict x, const tail_block *t) {
    v4f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
    for (int b = 0; b < t->blocks; b++) {
        const float *wb = w + b * MM_LANES;
        const float *xb = b < t->full ? x + b * MM_LANES : t->v;
        v4f d0 = ld4(wb) - ld4(xb), d1 = ld4(wb + 4) - ld4(xb + 4);
        v4f d2 = ld4(wb + 8) - ld4(xb + 8), d3 = ld4(wb + 12) - ld4(xb + 12);
        a0 += d0 * d0; a1 += d1 * d1; a2 += d2 * d2; a3 += d3 * d3;
    }
    v4f s = (a0 + a2) + (a1 + a3);
    return (s[0] + s[2]) + (s[1] + s[3]);
}

/* (Computing two rows per pass, eight add chains, measured no faster: at
 * 30×30 × 300 the 1.1 MB of weights stream from L3, not the adder.) */
static int winner(const mm_map *m, const float *x, const tail_block *t) {
    assert(m->block && m->n >= 1);
    int best = 0;
    float bd = dist2(m->w, x, t);
    for (int j = 1; j < m->n; j++) {
        float d = dist2(m->w + (size_t)j * (size_t)m->ld, x, t);
        if (d < bd) { bd = d; best = j; }     /* strict: a tie keeps the lower index */
    }
    return best;
}

int mm_winner(const mm_map *m, const float *x) {
    tail_block t;
    tail_of(x, m->dim, &t);
    return winner(m, x, &t);
}

int mm_predict(const mm_map *m, const float *x) { return m->out[mm_winner(m, x)]; }

/* ---- the width schedule (eqs. 16–17's s; the schedule is ours) ----------------- */

/* s(step) with log(MM_SIGMA_END / sigma0) passed in, so the map can cache it. */
static double width(double sigma0, double log_ratio, int64_t step, int64_t total) {
    if (!(sigma0 > MM_SIGMA_END) || total <= 1) return sigma0;
    if (step >= total - 1) return MM_SIGMA_END;      /* exactly, not via exp */
    if (step <= 0) return sigma0;
    double frac = (double)step / (double)(total - 1);
    return sigma0 * det_exp(frac * log_ratio);
}

double mm_width_at(double sigma0, int64_t step, int64_t total) {
    double lr = sigma0 > MM_SIGMA_END && isfinite(sigma0) ? det_log(MM_SIGMA_END / sigma0) : 0.0;
    return width(sigma0, lr, step, total);
}

double mm_width(const mm_map *m) { return width(m->sigma0, m->log_ratio, m->step, m->total); }

/* ---- learning (eqs. 13–17) ----------------------------------------------------- */

/* One neuron's row += a·(x − row), element by element (eq. 16), in whole
 * blocks with the vector type (GCC's -O2 cost model would not vectorise the
 * plain loop: it needs a runtime alias check).  The padding stays 0. */
static void move_toward(float *restrict w, const float *restrict x, const tail_block *t, float a) {
    const v4f va = { a, a, a, a };
    for (int b = 0; b < t->blocks; b++) {
        float *wb = w + b * MM_LANES;
        const float *xb = b < t->full ? x + b * MM_LANES : t->v;
        for (int q = 0; q < MM_LANES; q += 4) {
            v4f wv = ld4(wb + q);
            st4(wb + q, wv + va * (ld4(xb + q) - wv));
        }
    }
}

/* Move every neuron with σ >= MM_SIGMA_CUT toward x (eq. 16); returns how
 * many moved.  g(d) decreases in d, so the neurons to visit are a rectangle
 * of half-side R around the winner (the corners inside it are still tested). */
static int64_t update_weights(mm_map *m, const float *x, const tail_block *t, int win) {
    const int size = m->size;
    const double s = mm_width(m);
    const double inv = 1.0 / (2.0 * s * s);   /* inf when s² underflows: g(d>0) = 0 */
    double *g = m->g;
    g[0] = 1.0;                               /* σ_win = 1 exactly, whatever s */
    int R = 0;
    for (int d = 1; d < size; d++) {
        g[d] = det_exp(-(double)d * (double)d * inv);
        if (g[d] < MM_SIGMA_CUT) break;
        R = d;
    }
    const int wr = win / size, wc = win % size;
    const int r0 = wr - R < 0 ? 0 : wr - R, r1 = wr + R > size - 1 ? size - 1 : wr + R;
    const int c0 = wc - R < 0 ? 0 : wc - R, c1 = wc + R > size - 1 ? size - 1 : wc + R;
    int64_t moved = 0;
    for (int r = r0; r <= r1; r++) {
        const double gr = g[abs(r - wr)];
        for (int c = c0; c <= c1; c++) {
            const double sigma = gr * g[abs(c - wc)];
            if (sigma < MM_SIGMA_CUT) continue;
            const float a = (float)(m->beta * sigma);
            move_toward(m->w + ((size_t)r * (size_t)size + (size_t)c) * (size_t)m->ld, x, t, a);
            moved++;
        }
    }
    return moved;
}

int mm_learn(mm_map *m, const float *x, int net, int truth) {
    assert(net >= 0 && net < MT_NCLASS && truth >= 0 && truth < MT_NCLASS);
    tail_block t;
    tail_of(x, m->dim, &t);
    const int win = winner(m, x, &t);
    const int mc = m->out[win];
    if (mc == truth) {                                   /* eq. 13 (+ 16–17) */
        m->counts.map_right++;
        m->counts.moved += update_weights(m, x, &t, win);
    } else if (net == truth) {                           /* eq. 14 */
        m->counts.net_right++;
        m->out[win] = (uint8_t)net;
    } else {                                             /* eq. 15 */
        m->counts.both_wrong++;
        int nc;
        if (mc != net) nc = 3 - mc - net;                /* the one class left: no draw */
        else nc = (mc + 1 + (int)rs_rng_below(&m->rng, 2)) % MT_NCLASS;
        assert(nc != mc && nc != net);
        m->out[win] = (uint8_t)nc;
    }
    m->counts.steps++;
    m->step++;
    return mc;
}

/* ---- the driver ---------------------------------------------------------------- */

/* First index of a class array holding a value > 2, or -1. */
static int64_t bad_class(const uint8_t *a, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (a[i] >= MT_NCLASS) return i;
    return -1;
}

static int check_classes(const uint8_t *a, int64_t n, const char *what, rs_err *e) {
    int64_t i = bad_class(a, n);
    if (i >= 0)
        return rs_err_set(e, RS_EINPUT, "motormap: %s[%lld] = %d is not a class (0 SHORT, 1 RANGE, 2 LONG)",
                          what, (long long)i, a[i]);
    return 0;
}

static int check_args(const mm_opts *o, int kind, const mm_series *s,
                      const mm_train *tr, const mm_test *te, int *dim, rs_err *e) {
    if (!s || !s->close)
        return rs_err_set(e, RS_EINPUT, "motormap: no series (close) given");
    if (s->n_inst < 1 || s->lookback < 1 || s->horizon < 1 || s->n_rows < 0)
        return rs_err_set(e, RS_EINPUT, "motormap: instruments (%d), lookback (%d) and horizon (%d) "
                          "must be >= 1, rows (%lld) >= 0", s->n_inst, s->lookback, s->horizon,
                          (long long)s->n_rows);
    for (int i = 0; i < s->n_inst; i++)
        if (!s->close[i]) return rs_err_set(e, RS_EINPUT, "motormap: close[%d] is NULL", i);
    if (s->lookback > INT32_MAX / s->n_inst)
        return rs_err_set(e, RS_EINPUT, "motormap: %d instruments × lookback %d overflow the window dim",
                          s->n_inst, s->lookback);
    *dim = s->n_inst * s->lookback;
    int rc = mm_check(o, *dim, e);
    if (rc) return rc;
    const int64_t T = s->lookback, h = s->horizon;

    if (!tr || tr->n < 0) return rs_err_set(e, RS_EINPUT, "motormap: no training windows given (n >= 0)");
    if (tr->n > 0 && (!tr->end || !tr->net || !tr->truth))
        return rs_err_set(e, RS_EINPUT, "motormap: training end/net/truth arrays must not be NULL "
                          "with %lld windows", (long long)tr->n);
    if (tr->n > INT64_MAX / o->epochs)
        return rs_err_set(e, RS_EINPUT, "motormap: %lld training windows × %d epochs overflow",
                          (long long)tr->n, o->epochs);
    for (int64_t i = 0; i < tr->n; i++) {
        int64_t r = tr->end[i];
        if (r - T + 1 < 0 || r > s->n_rows - 1)
            return rs_err_set(e, RS_EINPUT, "motormap: training window %lld ends at row %lld; with "
                              "lookback %lld it needs rows %lld..%lld inside 0..%lld", (long long)i,
                              (long long)r, (long long)T, (long long)(r - T + 1), (long long)r,
                              (long long)(s->n_rows - 1));
        if (i > 0 && r <= tr->end[i - 1])
            return rs_err_set(e, RS_EINPUT, "motormap: training end rows must increase: end[%lld] = %lld "
                              "after %lld", (long long)i, (long long)r, (long long)tr->end[i - 1]);
        if (r + h > te->lo)
            return rs_err_set(e, RS_EINPUT, "motormap: training window ending at row %lld has a label "
                              "reaching row %lld, past the first test row %lld", (long long)r,
                              (long long)(r + h), (long long)te->lo);
    }
    if ((rc = check_classes(tr->net, tr->n, "train.net", e))) return rc;
    if ((rc = check_classes(tr->truth, tr->n, "train.truth", e))) return rc;

    if (te->n > 0) {
        if (te->lo - T + 1 < 0 || te->lo + te->n - 1 > s->n_rows - 1)
            return rs_err_set(e, RS_EINPUT, "motormap: test windows end at rows %lld..%lld; with lookback "
                              "%lld they need rows %lld..%lld inside 0..%lld", (long long)te->lo,
                              (long long)(te->lo + te->n - 1), (long long)T, (long long)(te->lo - T + 1),
                              (long long)(te->lo + te->n - 1), (long long)(s->n_rows - 1));
        if ((kind == MM_ONLINE || kind == MM_PEEK) && !te->truth)
            return rs_err_set(e, RS_EINPUT, "motormap: %s needs test.truth", mm_kind_name(kind));
        if ((kind == MM_ONLINE || kind == MM_PEEK) &&
            (rc = check_classes(te->truth, te->n, "test.truth", e))) return rc;
    }
    return 0;
}

static int input_or_fail(const mm_series *s, int64_t end, float *x, rs_err *e) {
    int bad = mm_input(s->close, s->n_inst, end, s->lookback, x);
    if (bad)
        return rs_err_set(e, RS_EINPUT, "motormap: instrument %d has a non-finite close in the window "
                          "ending at row %lld", bad - 1, (long long)end);
    return 0;
}

static mm_counts counts_minus(mm_counts a, mm_counts b) {
    return (mm_counts){ a.steps - b.steps, a.map_right - b.map_right, a.net_right - b.net_right,
                        a.both_wrong - b.both_wrong, a.moved - b.moved };
}

int mm_correct(const mm_opts *o, int kind, const mm_series *s, uint64_t seed,
               const mm_train *train, const mm_test *test,
               uint8_t *out, mm_stats *st, rs_err *e) {
    if (st) memset(st, 0, sizeof *st);
    if (kind < 0 || kind >= MM_NKIND)
        return rs_err_set(e, RS_EINPUT, "motormap: kind %d is not one of none, motormap, "
                          "motormap_online, motormap_peek", kind);
    if (!test || test->n < 0)
        return rs_err_set(e, RS_EINPUT, "motormap: no test windows given (n >= 0)");
    if (test->n > 0 && (!test->net || !out))
        return rs_err_set(e, RS_EINPUT, "motormap: test.net and out must not be NULL with %lld test windows",
                          (long long)test->n);
    int rc = check_classes(test->net, test->n, "test.net", e);
    if (rc) return rc;
    if (kind == MM_NONE) {                    /* no map: reads test.net only */
        if (test->n > 0) memcpy(out, test->net, (size_t)test->n);
        return 0;
    }
    int dim = 0;
    if ((rc = check_args(o, kind, s, train, test, &dim, e))) return rc;

    mm_map m;
    if ((rc = mm_create(&m, o, dim, (int64_t)o->epochs * train->n, seed, e))) return rc;
    float *x = malloc((size_t)dim * sizeof *x);
    if (!x) { mm_free(&m); return rs_err_set(e, RS_EINTERNAL, "motormap: out of memory"); }

    for (int ep = 0; ep < o->epochs && rc == 0; ep++)
        for (int64_t i = 0; i < train->n; i++) {
            if ((rc = input_or_fail(s, train->end[i], x, e))) break;
            mm_learn(&m, x, train->net[i], train->truth[i]);
        }
    const mm_counts after_train = m.counts;
    const int64_t h = s->horizon;
    for (int64_t k = 0; k < test->n && rc == 0; k++) {
        const int64_t row = test->lo + k;
        if (kind == MM_ONLINE && k - h >= 0) {       /* window k−h's label is known now */
            if ((rc = input_or_fail(s, row - h, x, e))) break;
            mm_learn(&m, x, test->net[k - h], test->truth[k - h]);
        }
        if ((rc = input_or_fail(s, row, x, e))) break;
        if (kind == MM_PEEK) mm_learn(&m, x, test->net[k], test->truth[k]);   /* look-ahead */
        out[k] = (uint8_t)mm_predict(&m, x);
    }
    if (st) { st->train = after_train; st->test = counts_minus(m.counts, after_train); }
    free(x);
    mm_free(&m);
    return rc;
}

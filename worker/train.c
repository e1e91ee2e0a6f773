/* train.c — see train.h for the contracts. */
#include "worker/train.h"
#include "worker/kern.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Below these sizes an OpenMP region costs more than it saves: the batch
 * gather copies T x b x D floats (65536 ~ 256 KiB, a few microseconds of
 * memcpy); the Adam step touches ~6 arrays of n_params (262144 ~ 1 MiB
 * each, about L2 size).  Both loops are elementwise, so the split never
 * changes a result. */
#define GATHER_PARALLEL_MIN 65536L
#define ADAM_PARALLEL_MIN   262144L

rnn_train_opts rnn_train_defaults(void) {
    rnn_train_opts o = {
        .epochs = 20, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
        .weight_decay = 0, .clip_norm = 1.0, .patience = 5, .min_delta = 0,
        .explode = 1e3, .seed = 1, .shuffle = 1, .verbose = 0,
    };
    return o;
}

int rnn_train_opts_check(const rnn_train_opts *o, rs_err *e) {
    if (o->epochs < 1) return rs_err_set(e, RS_EINPUT, "training: epochs = %d: expected >= 1", o->epochs);
    if (!(o->lr > 0 && o->lr < 10)) return rs_err_set(e, RS_EINPUT, "training: lr = %g: expected (0, 10)", o->lr);
    if (!(o->beta1 >= 0 && o->beta1 < 1)) return rs_err_set(e, RS_EINPUT, "training: beta1 = %g: expected [0, 1)", o->beta1);
    if (!(o->beta2 >= 0 && o->beta2 < 1)) return rs_err_set(e, RS_EINPUT, "training: beta2 = %g: expected [0, 1)", o->beta2);
    if (!(o->eps > 0)) return rs_err_set(e, RS_EINPUT, "training: eps = %g: expected > 0", o->eps);
    if (!(o->weight_decay >= 0)) return rs_err_set(e, RS_EINPUT, "training: weight_decay = %g: expected >= 0", o->weight_decay);
    if (!(o->clip_norm >= 0)) return rs_err_set(e, RS_EINPUT, "training: clip_norm = %g: expected >= 0 (0 = off)", o->clip_norm);
    if (o->patience < 0) return rs_err_set(e, RS_EINPUT, "training: patience = %d: expected >= 0 (0 = off)", o->patience);
    if (!(o->explode >= 0)) return rs_err_set(e, RS_EINPUT, "training: explode = %g: expected >= 0 (0 = off)", o->explode);
    return RS_OK;
}

int rnn_windows_check(const rnn_model *m, const rnn_data *d, const int *ends, int n, rs_err *e) {
    const int T = m->spec.seq_len, K = m->spec.n_out, cls = m->spec.head == RNN_HEAD_CLS;
    for (int i = 0; i < n; i++) {
        int r = ends[i];
        if (r < T - 1 || r >= d->n_rows)
            return rs_err_set(e, RS_EINPUT, "window %d ends at row %d: expected %d..%d (lookback %d, %d rows)",
                              i, r, T - 1, d->n_rows - 1, T, d->n_rows);
        float y = d->y[r];
        if (!isfinite(y))
            return rs_err_set(e, RS_EINPUT, "window %d (row %d): target is not finite", i, r);
        if (cls && (y < 0 || y >= K || y != floorf(y)))
            return rs_err_set(e, RS_EINPUT, "window %d (row %d): class %g: expected an integer in 0..%d", i, r, y, K - 1);
    }
    return RS_OK;
}

void rnn_gather(rnn_model *m, const rnn_data *d, const int *ends, int b) {
    const int T = m->spec.seq_len, D = d->n_feat;
    real *xb = m->xbatch;
    #pragma omp parallel for schedule(static) if ((long)T * b * D >= GATHER_PARALLEL_MIN)
    for (int t = 0; t < T; t++)
        for (int bi = 0; bi < b; bi++) {
            const float *src = d->x + (size_t)(ends[bi] - T + 1 + t) * D;
            real *dst = xb + ((size_t)t * b + bi) * D;
            for (int k = 0; k < D; k++) dst[k] = (real)src[k];
        }
    for (int bi = 0; bi < b; bi++) m->ybatch[bi] = (real)d->y[ends[bi]];
}

double rnn_clip_grads(rnn_model *m, double max_norm) {
    /* Serial double sum: the order is fixed, so the norm is thread-independent. */
    double s = 0;
    const real *g = m->grads;
    for (size_t i = 0; i < m->n_params; i++) s += (double)g[i] * g[i];
    double norm = sqrt(s);
    if (max_norm > 0 && norm > max_norm) {
        real k = (real)(max_norm / norm);
        for (size_t i = 0; i < m->n_params; i++) m->grads[i] *= k;
    }
    return norm;
}

/* The Adam update of elements [0, n), one body cloned per instruction set.
 * Why clones: the update divides twice and takes a square root in double
 * (the promotions of the expression below, kept from the first version so
 * every trained byte stays the same); scalar, that is ~19 cycles an
 * element, 4 % of an LSTM 2x64 T20 training step.  Vectorised it is the
 * same IEEE operations lane by lane (sqrt and division are correctly
 * rounded at any width, -std=c11 contracts nothing into an FMA and
 * -fno-math-errno lets sqrt vectorise), so every clone gives the bytes of
 * the scalar loop.  kern_isa() picks the clone, as for rnn.c's gate
 * passes, so a forced kernel path forces this loop too. */
typedef struct {
    real b1, b2, omb1, omb2, step, sbc2, eps, decay;
    unsigned char wd;                 /* 1: decay the weight matrices      */
} adam_k;

static inline __attribute__((always_inline)) void
adam_body(long n, real *restrict p, real *restrict mm, real *restrict vv, const real *restrict g,
          const unsigned char *restrict dec, adam_k k) {
    #pragma omp simd
    for (long i = 0; i < n; i++) {
        real pi = p[i];
        pi = (dec[i] & k.wd) ? pi * k.decay : pi;     /* a select: no branch */
        real mi = k.b1 * mm[i] + k.omb1 * g[i];
        real vi = k.b2 * vv[i] + k.omb2 * g[i] * g[i];
        mm[i] = mi; vv[i] = vi;
        p[i] = pi - k.step * mi / (sqrt(vi) / k.sbc2 + k.eps);
    }
}

#define ADAM_ARGS long n, real *restrict p, real *restrict mm, real *restrict vv, const real *restrict g, \
                  const unsigned char *restrict dec, adam_k k
#if defined(__x86_64__)
KERN_TARGET_AVX512 static void adam_v4(ADAM_ARGS) { adam_body(n, p, mm, vv, g, dec, k); }
KERN_TARGET_AVX2 static void adam_v3(ADAM_ARGS) { adam_body(n, p, mm, vv, g, dec, k); }
#endif
static void adam_v1(ADAM_ARGS) { adam_body(n, p, mm, vv, g, dec, k); }
static void adam_range(ADAM_ARGS) {
#if defined(__x86_64__)
    switch (kern_isa()) {
    case KERN_AVX512: adam_v4(n, p, mm, vv, g, dec, k); return;
    case KERN_AVX2: adam_v3(n, p, mm, vv, g, dec, k); return;
    default: break;
    }
#endif
    adam_v1(n, p, mm, vv, g, dec, k);
}
#undef ADAM_ARGS

/* Elements per chunk of the threaded update: whole cache lines, and the
 * split never changes a value (elementwise). */
#define ADAM_CHUNK 16384L

void rnn_adam_step(rnn_model *m, const rnn_train_opts *o) {
    m->adam_t++;
    const double bc1 = 1.0 - pow(o->beta1, (double)m->adam_t);
    const double bc2 = 1.0 - pow(o->beta2, (double)m->adam_t);
    /* torch: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) — same algebra,
     * written in the same order so fixtures compare closely. */
    /* 1-beta computed in double: (1 - 0.999f) in float is off by 1.3e-5. */
    const adam_k k = {
        .b1 = (real)o->beta1, .b2 = (real)o->beta2, .eps = (real)o->eps,
        .omb1 = (real)(1.0 - o->beta1), .omb2 = (real)(1.0 - o->beta2),
        .step = (real)(o->lr / bc1), .sbc2 = (real)sqrt(bc2),
        .decay = (real)(1.0 - o->lr * o->weight_decay), .wd = (unsigned char)(o->weight_decay > 0),
    };
    const long n = (long)m->n_params, nch = (n + ADAM_CHUNK - 1) / ADAM_CHUNK;
    #pragma omp parallel for schedule(static) if (n >= ADAM_PARALLEL_MIN)
    for (long c = 0; c < nch; c++) {
        const long lo = c * ADAM_CHUNK, len = n - lo < ADAM_CHUNK ? n - lo : ADAM_CHUNK;
        adam_range(len, m->params + lo, m->adam_m + lo, m->adam_v + lo, m->grads + lo, m->decay + lo, k);
    }
}

double rnn_evaluate(rnn_model *m, const rnn_data *d, const int *ends, int n) {
    if (n <= 0) return NAN;
    const int B = m->spec.batch;
    double sum = 0;
    rnn_pack(m);                     /* weights fixed over the loop: pack once */
    for (int i = 0; i < n; i += B) {
        int b = n - i < B ? n - i : B;
        rnn_gather(m, d, ends + i, b);
        rnn_forward_packed(m, m->xbatch, b, 0, 0);
        sum += rnn_loss(m, m->ybatch) * b;
    }
    return sum / n;
}

void rnn_predict(rnn_model *m, const rnn_data *d, const int *ends, int n, double *out) {
    const int B = m->spec.batch, K = m->spec.n_out;
    rnn_pack(m);
    for (int i = 0; i < n; i += B) {
        int b = n - i < B ? n - i : B;
        rnn_gather(m, d, ends + i, b);
        rnn_forward_packed(m, m->xbatch, b, 0, 0);
        rnn_outputs(m, out + (size_t)i * K);
    }
}

int rnn_train(rnn_model *m, const rnn_data *d, const int *train, int n_train,
              const int *val, int n_val, const rnn_train_opts *o,
              rnn_train_result *r, double *curve, rs_err *e) {
    double t0 = rs_now();
    memset(r, 0, sizeof *r);
    r->best_val_loss = NAN;
    r->last_train_loss = NAN;
    if (rnn_train_opts_check(o, e)) return e ? e->status : RS_EINPUT;
    if (d->n_feat != m->spec.n_in)
        return rs_err_set(e, RS_EINPUT, "data has %d features, the model expects %d", d->n_feat, m->spec.n_in);
    if (n_train <= 0) { r->status = RNN_TRAIN_NODATA; r->seconds = rs_now() - t0; return RS_OK; }
    if (rnn_windows_check(m, d, train, n_train, e)) return RS_EINPUT;
    if (n_val > 0 && rnn_windows_check(m, d, val, n_val, e)) return RS_EINPUT;

    int *order = malloc(sizeof(int) * (size_t)n_train);
    if (!order) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    const int B = m->spec.batch;
    const int use_val = n_val > 0;
    double first_loss = NAN, best = INFINITY;
    int bad = 0;
    memcpy(m->best, m->params, m->n_params * sizeof(real));
    r->best_epoch = 0;
    double t_prog = t0;              /* the last progress call */

    for (int ep = 1; ep <= o->epochs; ep++) {
        memcpy(order, train, sizeof(int) * (size_t)n_train);
        if (o->shuffle) {
            rs_rng rng;
            rs_rng_seed(&rng, rs_hash2(o->seed, (uint64_t)ep));
            rs_shuffle_int(&rng, order, n_train);
        }
        double sum = 0;
        int diverged = 0;
        int stopped = 0;
        for (int i = 0; i < n_train; i += B) {
            if (o->stop && o->stop(o->stop_ctx)) { stopped = 1; break; }
            int b = n_train - i < B ? n_train - i : B;
            rnn_gather(m, d, order + i, b);
            rnn_zero_grad(m);
            rnn_forward(m, m->xbatch, b, 1, rs_hash2(o->seed ^ TRAIN_DROPOUT_SALT, (uint64_t)r->steps));
            double loss = rnn_loss(m, m->ybatch);
            if (!isfinite(loss)) { diverged = 1; break; }
            rnn_backward(m);
            double norm = rnn_clip_grads(m, o->clip_norm);
            if (!isfinite(norm)) { diverged = 1; break; }
            rnn_adam_step(m, o);
            r->steps++;
            sum += loss * b;
            if (o->progress && rs_now() - t_prog >= o->progress_every) {
                t_prog = rs_now();
                const rnn_progress pr = { ep, o->epochs, i + b, n_train, sum / (i + b), t_prog - t0 };
                o->progress(o->progress_ctx, &pr);
            }
        }
        if (stopped) { r->status = RNN_TRAIN_STOPPED; break; }
        double tl = sum / n_train;
        double vl = use_val && !diverged ? rnn_evaluate(m, d, val, n_val) : NAN;
        if (ep == 1) first_loss = tl;
        if (!diverged && (!isfinite(tl) || (use_val && !isfinite(vl)) ||
                          (ep > 1 && o->explode > 0 && tl > o->explode * first_loss && first_loss > 0)))
            diverged = 1;
        if (diverged) { r->status = RNN_TRAIN_DIVERGED; break; }
        r->epochs_run = ep;
        r->last_train_loss = tl;
        if (curve) { curve[2 * (ep - 1)] = tl; curve[2 * (ep - 1) + 1] = vl; }
        if (o->verbose)
            fprintf(stderr, "epoch %3d  train %.6g  val %.6g  %.1fs\n", ep, tl, vl, rs_now() - t0);
        /* Early stopping: keep the weights of the best validation epoch. */
        double crit = use_val ? vl : tl;
        if (crit < best - o->min_delta) {
            best = crit; bad = 0; r->best_epoch = ep;
            memcpy(m->best, m->params, m->n_params * sizeof(real));
        } else if (use_val && o->patience > 0 && ++bad >= o->patience) {
            break;
        }
    }
    /* With validation the best epoch's weights are restored; after a
     * divergence too (the initial weights when no epoch completed).
     * Otherwise the final weights stay, and best_epoch must say so: it is
     * the epoch whose weights the task's predictions come from. */
    if (use_val || r->status == RNN_TRAIN_DIVERGED)
        memcpy(m->params, m->best, m->n_params * sizeof(real));
    else if (r->status == RNN_TRAIN_OK)
        r->best_epoch = r->epochs_run;
    r->best_val_loss = use_val && r->best_epoch > 0 ? best : NAN;
    free(order);
    r->seconds = rs_now() - t0;
    return RS_OK;
}

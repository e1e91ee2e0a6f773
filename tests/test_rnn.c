/*
 * test_rnn.c — the float32 engine against PyTorch, plus its own contracts.
 *
 * Parity: tests/fixtures/torch_parity.txt (written by make_fixtures.py with
 * torch.nn.LSTM/GRU/RNN + nn.Linear, computed in float64 from
 * float32-representable weights and inputs).  We load the same weights and
 * inputs into the float32 engine and compare head outputs, loss and every
 * gradient, then one AdamW step fed with torch's gradients.
 *
 * Tolerance: float32 has unit roundoff u = 6e-8.  A forward step is a dot
 * product of at most in+H <= 17 terms and a few activations (our exp/tanh are
 * within 2 ulp), and T <= 7 steps compound it; backward doubles the chain.
 * Measured errors are <= 2.6e-7 (about 4 ulp at magnitude 1); the worst-case
 * forward/backward rounding bound for these sizes is ~30 ulp.  We require
 *     max |ours - torch| <= 2e-6 * max(1, max |torch|)      (~34 ulp)
 * which a wrong gate order, a missing bias or a transposed weight misses by
 * orders of magnitude (each is O(max |torch|)).
 */
#include "tests/cu.h"
#include "worker/kern.h"
#include "worker/rnn.h"
#include "worker/train.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE "tests/fixtures/torch_parity.txt"
#define TOL 2e-6

typedef struct {
    char    name[64];
    rnn_spec s;
    double *t[7];          /* params x y out loss grads adam_params */
    int     n[7];
} fixture;

static const char *TNAMES[7] = { "params", "x", "y", "out", "loss", "grads", "adam_params" };

static void fixture_free(fixture *f) { for (int i = 0; i < 7; i++) free(f->t[i]); }

/* Read the next case; returns 1 on success, 0 at end of file. */
static int fixture_read(FILE *fp, fixture *f) {
    memset(f, 0, sizeof *f);
    char key[64], val[256];
    int got = 0;
    while (fscanf(fp, "%63s", key) == 1) {
        if (key[0] == '#') { int c; while ((c = fgetc(fp)) != '\n' && c != EOF) {} continue; }
        if (!strcmp(key, "end")) return got;
        got = 1;
        if (!strcmp(key, "case")) { if (fscanf(fp, "%63s", f->name) != 1) return 0; }
        else if (!strcmp(key, "cell")) { if (fscanf(fp, "%255s", val) != 1 || rnn_cell_parse(val, &f->s.cell)) return 0; }
        else if (!strcmp(key, "layers")) { if (fscanf(fp, "%d", &f->s.n_layers) != 1) return 0; }
        else if (!strcmp(key, "hidden")) { for (int l = 0; l < f->s.n_layers; l++) if (fscanf(fp, "%d", &f->s.hidden[l]) != 1) return 0; }
        else if (!strcmp(key, "n_in")) { if (fscanf(fp, "%d", &f->s.n_in) != 1) return 0; }
        else if (!strcmp(key, "seq_len")) { if (fscanf(fp, "%d", &f->s.seq_len) != 1) return 0; }
        else if (!strcmp(key, "batch")) { if (fscanf(fp, "%d", &f->s.batch) != 1) return 0; }
        else if (!strcmp(key, "head")) { if (fscanf(fp, "%255s", val) != 1) return 0; f->s.head = strcmp(val, "cls") ? RNN_HEAD_REG : RNN_HEAD_CLS; }
        else if (!strcmp(key, "n_out")) { if (fscanf(fp, "%d", &f->s.n_out) != 1) return 0; }
        else if (!strcmp(key, "tensor")) {
            int n, k = -1;
            if (fscanf(fp, "%63s %d", val, &n) != 2) return 0;
            for (int i = 0; i < 7; i++) if (!strcmp(val, TNAMES[i])) k = i;
            if (k < 0) return 0;
            f->t[k] = malloc(sizeof(double) * (size_t)n);
            f->n[k] = n;
            for (int i = 0; i < n; i++) if (fscanf(fp, "%lf", &f->t[k][i]) != 1) return 0;
        }
    }
    return 0;
}

static double max_err(const real *a, const double *ref, int n, double *refmax) {
    double e = 0, m = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - ref[i]);
        if (d > e || isnan(d)) e = isnan(d) ? INFINITY : d;
        if (fabs(ref[i]) > m) m = fabs(ref[i]);
    }
    *refmax = m;
    return e;
}

static int check(const char *cs, const char *what, const real *a, const double *ref, int n) {
    double m, e = max_err(a, ref, n, &m);
    int ok = e <= TOL * fmax(1.0, m);
    printf("\n    %-16s %-11s max|err| %.2e  max|ref| %.2e %s", cs, what, e, m, ok ? "" : "  <-- FAIL");
    return ok;
}

static void test_torch_parity(void) {
    FILE *fp = fopen(FIXTURE, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fixture f;
    int cases = 0;
    while (fixture_read(fp, &f)) {
        cases++;
        f.s.seed = 1;
        rnn_model *m = rnn_create(&f.s, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL_FATAL((size_t)f.n[0], m->n_params);
        const int b = f.s.batch, K = f.s.n_out;
        for (size_t i = 0; i < m->n_params; i++) m->params[i] = (real)f.t[0][i];
        real x[4096], y[64], out[256], loss;
        CU_ASSERT_FATAL(f.n[1] <= 4096 && b <= 64 && b * K <= 256);
        for (int i = 0; i < f.n[1]; i++) x[i] = (real)f.t[1][i];
        for (int i = 0; i < b; i++) y[i] = (real)f.t[2][i];
        rnn_zero_grad(m);
        rnn_forward(m, x, b, 0, 0);
        loss = (real)rnn_loss(m, y);
        rnn_backward(m);
        for (int i = 0; i < b * K; i++) out[i] = m->logits[i];
        CU_ASSERT(check(f.name, "outputs", out, f.t[3], b * K));
        CU_ASSERT(check(f.name, "loss", &loss, f.t[4], 1));
        CU_ASSERT(check(f.name, "gradients", m->grads, f.t[5], (int)m->n_params));
        /* AdamW step fed with torch's own gradients: isolates the optimiser. */
        for (size_t i = 0; i < m->n_params; i++) m->grads[i] = (real)f.t[5][i];
        rnn_train_opts o = rnn_train_defaults();
        o.lr = 0.01; o.weight_decay = 0.1;
        rnn_adam_step(m, &o);
        CU_ASSERT(check(f.name, "adamw step", m->params, f.t[6], (int)m->n_params));
        rnn_free(m);
        fixture_free(&f);
    }
    fclose(fp);
    printf("\n    ");
    CU_ASSERT_EQUAL(cases, 9);
}

/* Rows of a batch are independent: a sub-batch gives the same outputs as
 * the same rows inside a larger batch, to rounding (and b < B works). */
static void test_batch_independence(void) {
    for (int cell = RNN_LSTM; cell <= RNN_RELU; cell++) {
        rnn_spec s = { .cell = (rnn_cell)cell, .n_layers = 2, .hidden = { 11, 6 }, .n_in = 3,
                       .seq_len = 7, .batch = 8, .head = RNN_HEAD_CLS, .n_out = 3, .seed = 3 };
        rnn_model *m = rnn_create(&s, NULL);
        real x8[7 * 8 * 3], x3[7 * 3 * 3];
        rs_rng r; rs_rng_seed(&r, 5);
        for (int i = 0; i < 7 * 8 * 3; i++) x8[i] = (real)rs_rng_normal(&r);
        for (int t = 0; t < 7; t++)        /* rows 2,3,4 of the 8-batch */
            memcpy(x3 + t * 3 * 3, x8 + (t * 8 + 2) * 3, sizeof(real) * 9);
        rnn_forward(m, x8, 8, 0, 0);
        real full[24]; memcpy(full, m->logits, sizeof full);
        rnn_forward(m, x3, 3, 0, 0);
        real part[9]; memcpy(part, m->logits, sizeof part);
        /* Larger after smaller: the initial state must still be zero. */
        rnn_forward(m, x8, 8, 0, 0);
        CU_ASSERT(memcmp(full, m->logits, sizeof full) == 0);
        memcpy(m->logits, part, sizeof part);
        /* Equal up to rounding, not bitwise: OpenBLAS picks different kernels
         * and blockings for different M, which reorders float sums. */
        for (int i = 0; i < 9; i++) CU_ASSERT_CLOSE(m->logits[i], full[6 + i], 1e-6);
        rnn_free(m);
    }
}

static void test_blob_roundtrip(void) {
    rnn_spec s = { .cell = RNN_GRU, .n_layers = 3, .hidden = { 13, 9, 5 }, .n_in = 4, .seq_len = 3,
                   .batch = 2, .head = RNN_HEAD_REG, .n_out = 1, .seed = 11 };
    rnn_model *a = rnn_create(&s, NULL), *b;
    s.seed = 12;
    b = rnn_create(&s, NULL);
    CU_ASSERT(memcmp(a->params, b->params, a->n_params * sizeof(real)) != 0);
    char path[] = "/tmp/rnnsweep_blob_XXXXXX";
    int fd = mkstemp(path); close(fd);
    rs_err e;
    CU_ASSERT_EQUAL(rnn_save(a, path, &e), 0);
    CU_ASSERT_EQUAL(rnn_load(b, path, &e), 0);
    CU_ASSERT(memcmp(a->params, b->params, a->n_params * sizeof(real)) == 0);
    /* Wrong shape: refused with a message naming both shapes. */
    rnn_spec s2 = s; s2.hidden[1] = 8;
    rnn_model *c = rnn_create(&s2, NULL);
    CU_ASSERT_EQUAL(rnn_load(c, path, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "13x9x5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "13x8x5"));
    /* Truncated and foreign files. */
    size_t n = rnn_blob_size(a);
    char *buf = malloc(n);
    rnn_blob_write(a, buf);
    CU_ASSERT_EQUAL(rnn_blob_read(b, buf, n - 1, &e), RS_EINPUT);
    buf[0] = 'X';
    CU_ASSERT_EQUAL(rnn_blob_read(b, buf, n, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "magic"));
    CU_ASSERT_EQUAL(rnn_load(b, "/nonexistent/w.bin", &e), RS_EINPUT);
    free(buf);
    remove(path);
    rnn_free(a); rnn_free(b); rnn_free(c);
}

static void test_spec_errors(void) {
    rs_err e;
    rnn_spec ok = { .cell = RNN_LSTM, .n_layers = 1, .hidden = { 4 }, .n_in = 2, .seq_len = 5,
                    .batch = 4, .head = RNN_HEAD_REG, .n_out = 1 };
    CU_ASSERT_EQUAL(rnn_spec_check(&ok, &e), 0);
    rnn_spec s = ok; s.n_layers = 0;
    CU_ASSERT_EQUAL(rnn_spec_check(&s, &e), RS_EINPUT); CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "layers"));
    s = ok; s.hidden[0] = 0;
    CU_ASSERT_EQUAL(rnn_spec_check(&s, &e), RS_EINPUT); CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "hidden"));
    s = ok; s.dropout = 1.0;
    CU_ASSERT_EQUAL(rnn_spec_check(&s, &e), RS_EINPUT); CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "dropout"));
    s = ok; s.head = RNN_HEAD_CLS; s.n_out = 1;
    CU_ASSERT_EQUAL(rnn_spec_check(&s, &e), RS_EINPUT); CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "classes"));
    s = ok; s.seq_len = 0;
    CU_ASSERT_PTR_NULL(rnn_create(&s, &e)); CU_ASSERT_EQUAL(e.status, RS_EINPUT);
    CU_ASSERT_EQUAL(rnn_param_count(&ok), (size_t)(16 * 2 + 16 * 4 + 32 + 4 + 1));
    rnn_cell c;
    CU_ASSERT_EQUAL(rnn_cell_parse("gru_classic", &c), 0); CU_ASSERT_EQUAL(c, RNN_GRU_CLASSIC);
    CU_ASSERT_EQUAL(rnn_cell_parse("transformer", &c), -1);
}

/* The kernel paths a test walks (the double build has only blas). */
#ifdef RS_DOUBLE
static const kern_path paths[] = { KERN_BLAS };
#else
static const kern_path paths[] = { KERN_BLAS, KERN_BASE, KERN_AVX2, KERN_AVX512 };
#endif
static const int npaths = (int)(sizeof paths / sizeof paths[0]);

/* Reference copies of the engine's float activations in both arithmetics
 * (worker/rnn.c, exp_f0 / sigm_a / tanh_a): fma_ = 0 is the separate multiply-add of
 * commit 6d39433, which RS_KERNEL=blas must keep; fma_ = 1 the own kernels'
 * KERN_ARITH 3 (fmaf, exp of degree 6, tanh from expm1).  This file is C11
 * too (no contraction), so "a * b + c" here rounds twice, as there. */
#define RFM(a, b, c) (fma_ ? fmaf((a), (b), (c)) : (a) * (b) + (c))
/* x = k ln2 + r; returns r and 2^k (*sc). */
static float ref_reduce(float x, int fma_, float *sc) {
    const float magic = 12582912.0f;
    union { float f; uint32_t u; } t = { RFM(x, 1.44269504088896341f, magic) }, s;
    float k = t.f - magic;
    uint32_t ki = t.u - 0x4B400000u;
    float r = RFM(k, -0.693359375f, x);
    r = RFM(k, 2.12194440e-4f, r);
    s.u = (ki + 127u) << 23;
    *sc = s.f;
    return r;
}
static float ref_em1(float r) {                  /* KERN_ARITH 3: e^r - 1 */
    float q = 1.3926183587713494e-3f;
    q = fmaf(q, r, 8.363179052722578e-3f);
    q = fmaf(q, r, 4.1666554617204574e-2f);
    q = fmaf(q, r, 1.6666576989698775e-1f);
    q = fmaf(q, r, 0.5f);
    return fmaf(q, r * r, r);
}
/* Cephes' exp: only the fma_ = 0 tanh uses it (fma_ = 1 goes through ref_em1). */
static float ref_exp(float x, int fma_) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float sc, r = ref_reduce(x, fma_, &sc);
    float r2 = r * r, p = 1.9875691500E-4f;
    p = RFM(p, r, 1.3981999507E-3f);
    p = RFM(p, r, 8.3334519073E-3f);
    p = RFM(p, r, 4.1665795894E-2f);
    p = RFM(p, r, 1.6666665459E-1f);
    p = RFM(p, r, 5.0000001201E-1f);
    p = RFM(p, r2, r) + 1.0f;
    return p * sc;
}
static float ref_tanh(float x, int fma_) {
    float ax = x < 0.0f ? -x : x;
    if (fma_) {
        float y = -2.0f * ax, sc;
        y = y < -20.0f ? -20.0f : y;
        float r = ref_reduce(y, 1, &sc);
        float m = fmaf(sc, ref_em1(r), sc - 1.0f);
        return copysignf(m / (-2.0f - m), x);
    }
    float big = 1.0f - 2.0f / (ref_exp(2.0f * ax, fma_) + 1.0f);
    big = x < 0.0f ? -big : big;
    float z = x * x, q = RFM(-5.70498872745E-3f, z, 2.06390887954E-2f);
    q = RFM(q, z, -5.37397155531E-2f);
    q = RFM(q, z, 1.33314422036E-1f);
    q = RFM(q, z, -3.33332819422E-1f);
    float small = RFM(q * z, x, x);
    return ax < 0.625f ? small : big;
}
#undef RFM

/* The float activations (own exp/tanh so loops vectorise) stay within a few
 * ulp of libm and propagate NaN — the divergence check depends on that — on
 * every kernel path; the own kernels' paths compute the fmaf form and
 * RS_KERNEL=blas the pre-issue-14 form, bit for bit, and the two differ
 * somewhere (else this could not tell them apart).  A tanh RNN of width 1
 * with unit weights and zero biases returns tanh(x) exactly: each product
 * is one multiply by 1 plus 0. */
static void test_activation_accuracy(void) {
    const kern_path saved = kern_active();
    rnn_spec s = { .cell = RNN_TANH, .n_layers = 1, .hidden = { 1 }, .n_in = 1, .seq_len = 1,
                   .batch = 1, .head = RNN_HEAD_REG, .n_out = 1 };
    rnn_model *m = rnn_create(&s, NULL);
    m->p[0].w_ih[0] = 1; m->p[0].b_ih[0] = 0; m->p[0].b_hh[0] = 0;
    m->w_out[0] = 1; m->b_out[0] = 0;
    int differ = 0;
    for (int pi = 0; pi < npaths; pi++) {
        if (!kern_cpu_has(paths[pi])) { printf("\n    %s: SKIP (not on this CPU) ", kern_name(paths[pi])); continue; }
        CU_ASSERT_EQUAL_FATAL(kern_force(paths[pi], NULL), 0);
        double worst = 0;
        long mism = 0;
        for (double v = -20; v <= 20; v += 0.001) {
            real x = (real)v;
            rnn_forward(m, &x, 1, 0, 0);
            double ref = tanh((double)x), err = fabs(m->logits[0] - ref) / fmax(fabs(ref), 1e-30);
            if (err > worst) worst = err;
#ifndef RS_DOUBLE
            const float want = ref_tanh(x, paths[pi] != KERN_BLAS);
            if (memcmp(&m->logits[0], &want, sizeof want)) mism++;
            if (ref_tanh(x, 0) != ref_tanh(x, 1)) differ++;
#endif
        }
        printf("\n    %s: tanh worst relative error %.2e, %ld values off its arithmetic ",
               kern_name(paths[pi]), worst, mism);
        CU_ASSERT(worst < 4e-7);   /* ~3.4 ulp */
        CU_ASSERT_EQUAL(mism, 0);
        real x = NAN;
        rnn_forward(m, &x, 1, 0, 0);
        CU_ASSERT(isnan(m->logits[0]));
    }
#ifndef RS_DOUBLE
    printf("\n    the two arithmetics differ at %d of the grid's values ", differ);
    CU_ASSERT(differ > 0);
#endif
    kern_force(saved, NULL);
    rnn_free(m);
}

/* rnn_predict and rnn_evaluate pack the weights once and run
 * rnn_forward_packed per batch: the same bytes as rnn_forward on every
 * batch, on every kernel path; after the weights change (an Adam step)
 * the next call repacks, so it sees the new weights, never stale packs. */
static void test_packed_inference(void) {
    const kern_path saved = kern_active();
    enum { T = 5, D = 3, B = 8, ROWS = 40, N = 21 };   /* 21 windows: batches of 8, 8, 5 */
    float xs[ROWS * D], ys[ROWS];
    rs_rng r; rs_rng_seed(&r, 9);
    for (int i = 0; i < ROWS * D; i++) xs[i] = (float)rs_rng_normal(&r);
    for (int i = 0; i < ROWS; i++) ys[i] = (float)(i % 3);
    rnn_data d = { xs, ys, ROWS, D };
    int ends[N];
    for (int i = 0; i < N; i++) ends[i] = T - 1 + (i * 7) % (ROWS - T + 1);
    for (int pi = 0; pi < npaths; pi++) {
        if (!kern_cpu_has(paths[pi])) continue;
        CU_ASSERT_EQUAL_FATAL(kern_force(paths[pi], NULL), 0);
        for (int cell = RNN_LSTM; cell <= RNN_RELU; cell++) {
            rnn_spec s = { .cell = (rnn_cell)cell, .n_layers = 2, .hidden = { 13, 6 }, .n_in = D,
                           .seq_len = T, .batch = B, .head = RNN_HEAD_CLS, .n_out = 3, .seed = 4 };
            rnn_model *m = rnn_create(&s, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(m);
            for (int round = 0; round < 2; round++) {
                /* packed calls first: the last packs are of the old weights */
                double want[N * 3], got[N * 3], lsum = 0;
                rnn_predict(m, &d, ends, N, got);
                const double le = rnn_evaluate(m, &d, ends, N);
                for (int i = 0; i < N; i += B) {
                    int b = N - i < B ? N - i : B;
                    rnn_gather(m, &d, ends + i, b);
                    rnn_forward(m, m->xbatch, b, 0, 0);
                    rnn_outputs(m, want + (size_t)i * 3);
                    lsum += rnn_loss(m, m->ybatch) * b;
                }
                CU_ASSERT(memcmp(want, got, sizeof want) == 0);
                CU_ASSERT(memcmp(&le, &(double){ lsum / N }, sizeof le) == 0);
                /* new weights: a step of Adam on some gradient */
                for (size_t k = 0; k < m->n_params; k++) m->grads[k] = (real)rs_rng_normal(&r);
                rnn_train_opts o = rnn_train_defaults();
                o.lr = 0.05;
                rnn_adam_step(m, &o);
            }
            rnn_free(m);
        }
    }
    kern_force(saved, NULL);
}

/* Inference (rnn_forward_packed, train = 0) on the own kernels computes each step's input
 * projection just before that step's recurrent product, into a one-step
 * scratch, instead of all T steps into the gates buffer first (rnn.c,
 * fwd_rows).  Every chain is unchanged — bias, then x·W_ih in order, parked
 * and continued by h·W_hh — so it must give the training forward's bytes:
 * every layer's h sequence and the head's outputs, for every cell, 1-3
 * layers, a partial batch, and 1 and 2 threads (2 threads slice rows at
 * b >= 16).  Dropout off: the training forward would mask otherwise. */
static void test_inference_equals_training_forward(void) {
    const kern_path saved = kern_active();
    const kern_path paths[3] = { KERN_AVX512, KERN_AVX2, KERN_BASE };
    const int saved_nt = omp_get_max_threads();
    enum { T = 9, D = 3, BMAX = 40 };
    real x[T * BMAX * D];
    rs_rng r; rs_rng_seed(&r, 17);
    for (int i = 0; i < T * BMAX * D; i++) x[i] = (real)rs_rng_normal(&r);
    int checked = 0;
    for (int pi = 0; pi < 3; pi++) {
        if (!kern_cpu_has(paths[pi])) { printf("\n    (%s: CPU lacks it, skipped)", kern_name(paths[pi])); continue; }
        CU_ASSERT_EQUAL_FATAL(kern_force(paths[pi], NULL), 0);
        for (int cell = RNN_LSTM; cell <= RNN_RELU; cell++)
            for (int L = 1; L <= 3; L++)
                for (int nt = 1; nt <= 2; nt++) {
                    omp_set_num_threads(nt);
                    rnn_spec s = { .cell = (rnn_cell)cell, .n_layers = L, .hidden = { 13, 37, 5 }, .n_in = D,
                                   .seq_len = T, .batch = BMAX, .head = RNN_HEAD_CLS, .n_out = 3,
                                   .seed = 21 + (uint64_t)cell };
                    rnn_model *m = rnn_create(&s, NULL);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
                    const int bs[2] = { BMAX, 7 };
                    for (int bi = 0; bi < 2; bi++) {
                        const int b = bs[bi];
                        size_t nh = 0;
                        for (int l = 0; l < L; l++) nh += (size_t)(T + 1) * b * s.hidden[l];
                        real *want = malloc(sizeof(real) * (nh + (size_t)b * 3));
                        rnn_forward(m, x, b, 1, 0);
                        size_t o = 0;
                        for (int l = 0; l < L; l++) {
                            const size_t k = (size_t)(T + 1) * b * s.hidden[l];
                            memcpy(want + o, m->a[l].hs, sizeof(real) * k);
                            o += k;
                        }
                        memcpy(want + o, m->logits, sizeof(real) * (size_t)b * 3);
                        memset(m->logits, 0, sizeof(real) * (size_t)b * 3);
                        rnn_pack(m);
                        rnn_forward_packed(m, x, b, 0, 0);
                        CU_ASSERT(!m->kept);
                        o = 0;
                        for (int l = 0; l < L; l++) {
                            const size_t k = (size_t)(T + 1) * b * s.hidden[l];
                            CU_ASSERT(memcmp(want + o, m->a[l].hs, sizeof(real) * k) == 0);
                            o += k;
                        }
                        CU_ASSERT(memcmp(want + o, m->logits, sizeof(real) * (size_t)b * 3) == 0);
                        free(want);
                        checked++;
                    }
                    rnn_free(m);
                }
    }
    CU_ASSERT(checked >= 60);           /* base alone: 5 cells x 3 depths x 2 thread counts x 2 batches */
    omp_set_num_threads(saved_nt);
    kern_force(saved, NULL);
}

static CU_TestInfo tests[] = {
    { "parity with torch (lstm, gru, rnn, stacked): outputs, loss, grads, adamw", test_torch_parity },
    { "batch rows independent, partial batches", test_batch_independence },
    { "inference forward = training forward, bit for bit (own kernels)", test_inference_equals_training_forward },
    { "weights blob round trip and refusals", test_blob_roundtrip },
    { "spec validation messages", test_spec_errors },
    { "float activations accurate, NaN propagates", test_activation_accuracy },
    { "predict/evaluate pack once: rnn_forward's bytes on every path, new weights seen", test_packed_inference },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("rnn", tests); }

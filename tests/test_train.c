/*
 * test_train.c — the optimiser and the training loop.
 *   - one and two Adam(W) steps against hand-computed numbers;
 *   - every cell learns: validation loss of a noisy sine's next value and
 *     accuracy on the sign of a lagged sum reach stated bounds in stated epochs;
 *   - early stopping restores the best epoch's weights; without validation
 *     the last epoch's weights stay and best_epoch says so;
 *   - opts.stop stops before the next mini-batch;
 *   - divergence is a status, not garbage;
 *   - the same seed gives bitwise-identical weights with 1 and 2 threads.
 */
#include "tests/cu.h"
#include "worker/train.h"
#include "worker/kern.h"

#include <math.h>
#include <omp.h>
#include <string.h>

void openblas_set_num_threads(int);

static rnn_spec small_spec(rnn_cell c, int H, int D, int T, int B, rnn_head head, int K) {
    rnn_spec s = { .cell = c, .n_layers = 1, .hidden = { H }, .n_in = D, .seq_len = T,
                   .batch = B, .head = head, .n_out = K, .seed = 42, .forget_bias_one = 1 };
    return s;
}

static void test_adam_by_hand(void) {
    rnn_spec s = small_spec(RNN_TANH, 1, 1, 1, 1, RNN_HEAD_REG, 1);
    rnn_model *m = rnn_create(&s, NULL);
    /* params: w_ih, w_hh, b_ih, b_hh, w_out, b_out.  Put p = 0.5 in w_ih
     * (a weight: decayed) and in b_ih (a bias: not decayed). */
    rnn_train_opts o = rnn_train_defaults();
    o.lr = 0.1; o.beta1 = 0.9; o.beta2 = 0.999; o.eps = 1e-8; o.weight_decay = 0;
    m->p[0].w_ih[0] = 0.5f; m->p[0].b_ih[0] = 0.5f;
    rnn_zero_grad(m);
    m->g[0].w_ih[0] = 0.2f; m->g[0].b_ih[0] = 0.2f;
    rnn_adam_step(m, &o);
    /* Step 1: m = 0.1*0.2 = 0.02, v = 0.001*0.04 = 4e-5; m^ = 0.02/0.1 = 0.2,
     * v^ = 4e-5/0.001 = 0.04; p = 0.5 - 0.1 * 0.2/(0.2 + 1e-8) = 0.400000005 */
    CU_ASSERT_CLOSE(m->p[0].w_ih[0], 0.400000005, 1e-7);
    CU_ASSERT_CLOSE(m->adam_m[0], 0.02, 1e-8);
    CU_ASSERT_CLOSE(m->adam_v[0], 4e-5, 1e-11);
    m->g[0].w_ih[0] = -0.1f;
    rnn_adam_step(m, &o);
    /* Step 2 (g = -0.1): m = 0.9*0.02 - 0.01 = 0.008; v = 0.999*4e-5 + 0.001*0.01
     * = 4.996e-5; m^ = 0.008/0.19 = 0.0421052632; v^ = 4.996e-5/0.001999
     * = 0.0249924962, sqrt 0.1580901521; p = 0.400000005 - 0.1*0.0421052632/
     * (0.1580901521 + 1e-8) = 0.3733663152 */
    CU_ASSERT_CLOSE(m->p[0].w_ih[0], 0.3733663152, 2e-7);
    /* Decoupled weight decay 0.5 on a fresh model: weights shrink by
     * (1 - lr*wd) = 0.95 before the update, biases do not. */
    rnn_init_params(m, 1);
    o.weight_decay = 0.5;
    m->p[0].w_ih[0] = 0.5f; m->p[0].b_ih[0] = 0.5f;
    rnn_zero_grad(m);
    m->g[0].w_ih[0] = 0.2f; m->g[0].b_ih[0] = 0.2f;
    rnn_adam_step(m, &o);
    CU_ASSERT_CLOSE(m->p[0].w_ih[0], 0.5 * 0.95 - 0.0999999950, 1e-7);   /* 0.375000005 */
    CU_ASSERT_CLOSE(m->p[0].b_ih[0], 0.5 - 0.0999999950, 1e-7);          /* 0.400000005 */
    /* Clipping: norm of (3, 4) is 5; clipped to 1 gives (0.6, 0.8). */
    rnn_zero_grad(m);
    m->g[0].w_ih[0] = 3; m->g[0].w_hh[0] = 4;
    CU_ASSERT_CLOSE(rnn_clip_grads(m, 1.0), 5.0, 1e-9);
    CU_ASSERT_CLOSE(m->g[0].w_ih[0], 0.6, 1e-7);
    CU_ASSERT_CLOSE(m->g[0].w_hh[0], 0.8, 1e-7);
    rnn_free(m);
}

/* The Adam update as it was written before its loop was cloned per
 * instruction set (worker/train.c, adam_body), kept scalar here: the
 * reference the clones must match bit for bit. */
__attribute__((optimize("no-tree-vectorize")))
static void adam_reference(long n, real *p, real *mm, real *vv, const real *g, const unsigned char *dec,
                           const rnn_train_opts *o, long t) {
    const double bc1 = 1.0 - pow(o->beta1, (double)t), bc2 = 1.0 - pow(o->beta2, (double)t);
    const real b1 = (real)o->beta1, b2 = (real)o->beta2, eps = (real)o->eps;
    const real omb1 = (real)(1.0 - o->beta1), omb2 = (real)(1.0 - o->beta2);
    const real step = (real)(o->lr / bc1), sbc2 = (real)sqrt(bc2);
    const real decay = (real)(1.0 - o->lr * o->weight_decay);
    const int wd = o->weight_decay > 0;
    for (long i = 0; i < n; i++) {
        real pi = p[i];
        if (wd && dec[i]) pi *= decay;
        real mi = b1 * mm[i] + omb1 * g[i];
        real vi = b2 * vv[i] + omb2 * g[i] * g[i];
        mm[i] = mi; vv[i] = vi;
        p[i] = pi - step * mi / (sqrt(vi) / sbc2 + eps);
    }
}

/* Every clone of the Adam loop (the forced kernel path picks it) gives the
 * bytes of the scalar loop, with and without weight decay, over a model
 * whose parameter count is neither a multiple of a vector nor of the
 * threaded chunk (ADAM_CHUNK 16384), on 1 and 2 threads. */
static void test_adam_clones_bitwise(void) {
    rnn_spec s = small_spec(RNN_LSTM, 61, 3, 8, 4, RNN_HEAD_REG, 1);
    s.n_layers = 2; s.hidden[1] = 29;                  /* 26,806 parameters      */
    rnn_model *m = rnn_create(&s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const long n = (long)m->n_params;
    CU_ASSERT(n > 16384 && n % 16);
    real *p0 = malloc(sizeof(real) * n * 7), *mm0 = p0 + n, *vv0 = p0 + 2 * n, *g = p0 + 3 * n;
    real *p = p0 + 4 * n, *mm = p0 + 5 * n, *vv = p0 + 6 * n;
    rs_rng r;
    rs_rng_seed(&r, 7);
    for (long i = 0; i < n; i++) {
        p0[i] = m->params[i];
        mm0[i] = (real)(0.01 * rs_rng_normal(&r));
        vv0[i] = (real)(1e-4 * fabs(rs_rng_normal(&r)));
        g[i] = (real)(0.1 * rs_rng_normal(&r));
    }
    g[5] = 0; vv0[5] = 0; mm0[5] = 0;                  /* sqrt(0) + eps          */
    const kern_path before = kern_active();
    static const kern_path paths[] = { KERN_BASE, KERN_AVX2, KERN_AVX512 };
    int checked = 0;
    for (int pi = 0; pi < 3; pi++) {
        if (!kern_cpu_has(paths[pi]) || kern_emulated(paths[pi])) continue;
        for (int wd = 0; wd < 2; wd++)
            for (int th = 1; th <= 2; th++) {
                CU_ASSERT_EQUAL_FATAL(kern_force(paths[pi], NULL), 0);
                rnn_train_opts o = rnn_train_defaults();
                o.lr = 0.003; o.weight_decay = wd ? 0.1 : 0;
                memcpy(m->params, p0, sizeof(real) * n);
                memcpy(m->adam_m, mm0, sizeof(real) * n);
                memcpy(m->adam_v, vv0, sizeof(real) * n);
                memcpy(m->grads, g, sizeof(real) * n);
                memcpy(p, p0, sizeof(real) * n); memcpy(mm, mm0, sizeof(real) * n); memcpy(vv, vv0, sizeof(real) * n);
                m->adam_t = 2;
                int saved = omp_get_max_threads();
                omp_set_num_threads(th);
                rnn_adam_step(m, &o);                          /* step t = 3    */
                omp_set_num_threads(saved);
                adam_reference(n, p, mm, vv, g, m->decay, &o, 3);
                CU_ASSERT(!memcmp(m->params, p, sizeof(real) * n));
                CU_ASSERT(!memcmp(m->adam_m, mm, sizeof(real) * n));
                CU_ASSERT(!memcmp(m->adam_v, vv, sizeof(real) * n));
                CU_ASSERT(memcmp(m->params, p0, sizeof(real) * n));       /* it moved */
                checked++;
            }
    }
    printf("\n    %d runs (paths x decay x threads) over %ld parameters bitwise equal to the scalar loop ", checked, n);
    CU_ASSERT(checked >= 8);
    kern_force(before, NULL);
    free(p0);
    rnn_free(m);
}

/* Noisy sine: x_t = sin(0.2 t) + 0.05 e_t, target y_t = x_{t+1}. */
typedef struct { float *x, *y; int n; } series;

static series make_sine(int n, uint64_t seed) {
    series s = { malloc(sizeof(float) * n), malloc(sizeof(float) * n), n };
    rs_rng r; rs_rng_seed(&r, seed);
    for (int t = 0; t < n; t++) s.x[t] = (float)(sin(0.2 * t) + 0.05 * rs_rng_normal(&r));
    for (int t = 0; t < n - 1; t++) s.y[t] = s.x[t + 1];
    s.y[n - 1] = NAN;
    return s;
}

/* Lagged sign: x_t ~ N(0,1), class 1 when x_{t-2} + x_{t-5} > 0, else 0. */
static series make_lagsign(int n, uint64_t seed) {
    series s = { malloc(sizeof(float) * n), malloc(sizeof(float) * n), n };
    rs_rng r; rs_rng_seed(&r, seed);
    for (int t = 0; t < n; t++) s.x[t] = (float)rs_rng_normal(&r);
    for (int t = 0; t < n; t++) s.y[t] = t >= 5 && s.x[t - 2] + s.x[t - 5] > 0 ? 1.0f : 0.0f;
    return s;
}

static void ends_range(int *e, int lo, int hi) { for (int i = lo; i < hi; i++) e[i - lo] = i; }

static void test_learning_regression(void) {
    /* Persistence (predict x_t) has MSE ~ 0.2^2 * 0.5 + 2 * 0.0025 = 0.025;
     * the noise floor is 0.0025.  Every cell must reach 0.008 in 15 epochs. */
    series s = make_sine(2400, 1);
    rnn_data d = { s.x, s.y, s.n, 1 };
    const int T = 20;
    int tr[1800], va[560];
    ends_range(tr, T - 1, T - 1 + 1800);
    ends_range(va, 1830, 1830 + 560);
    for (int c = RNN_LSTM; c <= RNN_RELU; c++) {
        rnn_spec sp = small_spec((rnn_cell)c, 16, 1, T, 32, RNN_HEAD_REG, 1);
        rnn_model *m = rnn_create(&sp, NULL);
        rnn_train_opts o = rnn_train_defaults();
        o.epochs = 15; o.lr = 1e-2; o.patience = 0;
        rnn_train_result r;
        rs_err e;
        double before = rnn_evaluate(m, &d, va, 560);
        CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 1800, va, 560, &o, &r, NULL, &e), 0);
        double after = rnn_evaluate(m, &d, va, 560);
        printf("\n    %-12s val MSE %.4f -> %.5f (best epoch %d, %.2fs)", rnn_cell_name((rnn_cell)c),
               before, after, r.best_epoch, r.seconds);
        CU_ASSERT_EQUAL(r.status, RNN_TRAIN_OK);
        CU_ASSERT(after < 0.008);
        if (fabs(after - r.best_val_loss) > 1e-6) printf(" [after %.9g best %.9g epochs %d]", after, r.best_val_loss, r.epochs_run);
        CU_ASSERT_CLOSE(after, r.best_val_loss, 1e-6);   /* best weights restored */
        rnn_free(m);
    }
    printf("\n    ");
    free(s.x); free(s.y);
}

static void test_learning_classification(void) {
    /* Chance is 50%; the rule is exact, so a working cell gets > 90%. */
    series s = make_lagsign(3000, 2);
    rnn_data d = { s.x, s.y, s.n, 1 };
    const int T = 8;
    int tr[2300], va[600];
    ends_range(tr, 10, 2310);
    ends_range(va, 2350, 2950);
    for (int c = RNN_LSTM; c <= RNN_GRU_CLASSIC; c++) {
        rnn_spec sp = small_spec((rnn_cell)c, 16, 1, T, 32, RNN_HEAD_CLS, 2);
        rnn_model *m = rnn_create(&sp, NULL);
        rnn_train_opts o = rnn_train_defaults();
        o.epochs = 25; o.lr = 1e-2; o.patience = 0;
        rnn_train_result r;
        CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 2300, va, 600, &o, &r, NULL, NULL), 0);
        double *p = malloc(sizeof(double) * 2 * 600);
        rnn_predict(m, &d, va, 600, p);
        int hit = 0;
        for (int i = 0; i < 600; i++) {
            CU_ASSERT_CLOSE(p[2 * i] + p[2 * i + 1], 1.0, 1e-9);
            hit += (p[2 * i + 1] > 0.5) == (s.y[va[i]] > 0.5);
        }
        printf("\n    %-12s val accuracy %.3f", rnn_cell_name((rnn_cell)c), hit / 600.0);
        CU_ASSERT(hit > 0.9 * 600);
        free(p);
        rnn_free(m);
    }
    printf("\n    ");
    free(s.x); free(s.y);
}

static void test_early_stopping_and_curve(void) {
    /* Pure-noise targets: validation loss stops improving quickly, so with
     * patience 2 training stops early and the best epoch's weights come back. */
    series s = make_lagsign(1500, 3);
    rs_rng r; rs_rng_seed(&r, 9);
    for (int t = 0; t < 1500; t++) s.y[t] = (float)rs_rng_normal(&r);
    rnn_data d = { s.x, s.y, s.n, 1 };
    int tr[1000], va[400];
    ends_range(tr, 10, 1010); ends_range(va, 1050, 1450);
    rnn_spec sp = small_spec(RNN_LSTM, 32, 1, 10, 16, RNN_HEAD_REG, 1);
    rnn_model *m = rnn_create(&sp, NULL);
    rnn_train_opts o = rnn_train_defaults();
    o.epochs = 40; o.lr = 3e-2; o.patience = 2;
    rnn_train_result res;
    double curve[80];
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 1000, va, 400, &o, &res, curve, NULL), 0);
    CU_ASSERT(res.epochs_run < 40);
    CU_ASSERT_EQUAL(res.epochs_run, res.best_epoch + 2);
    double best = INFINITY;
    for (int i = 0; i < res.epochs_run; i++) if (curve[2 * i + 1] < best) best = curve[2 * i + 1];
    CU_ASSERT_CLOSE(best, res.best_val_loss, 0);
    CU_ASSERT_CLOSE(rnn_evaluate(m, &d, va, 400), best, 1e-6);
    rnn_free(m);
    free(s.x); free(s.y);
}

/* Without a validation set the final weights are kept, so best_epoch must
 * name the last epoch — not the epoch of the lowest training loss, which
 * a noisy run at a high learning rate reaches earlier. */
static void test_best_epoch_without_validation(void) {
    series s = make_lagsign(1500, 3);
    rs_rng r; rs_rng_seed(&r, 11);
    for (int t = 0; t < 1500; t++) s.y[t] = (float)rs_rng_normal(&r);
    rnn_data d = { s.x, s.y, s.n, 1 };
    int tr[1000];
    ends_range(tr, 10, 1010);
    rnn_spec sp = small_spec(RNN_LSTM, 32, 1, 10, 16, RNN_HEAD_REG, 1);
    rnn_model *m = rnn_create(&sp, NULL);
    rnn_train_opts o = rnn_train_defaults();
    o.epochs = 12; o.lr = 5e-2; o.patience = 3;     /* patience needs validation: ignored */
    rnn_train_result res;
    double curve[24];
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 1000, NULL, 0, &o, &res, curve, NULL), 0);
    CU_ASSERT_EQUAL(res.status, RNN_TRAIN_OK);
    CU_ASSERT_EQUAL(res.epochs_run, 12);
    int argmin = 0;
    for (int i = 1; i < res.epochs_run; i++) if (curve[2 * i] < curve[2 * argmin]) argmin = i;
    printf("\n    lowest training loss in epoch %d of %d ", argmin + 1, res.epochs_run);
    CU_ASSERT(argmin + 1 < res.epochs_run);          /* the case the fix is about */
    CU_ASSERT_EQUAL(res.best_epoch, res.epochs_run);
    CU_ASSERT(isnan(res.best_val_loss));
    CU_ASSERT_CLOSE(res.last_train_loss, curve[2 * (res.epochs_run - 1)], 0);
    rnn_free(m);
    free(s.x); free(s.y);
}

/* opts.stop ends training before the next mini-batch: a drain abandoning
 * a task in flight. */
static int stop_after(void *ctx) { int *k = ctx; return --*k < 0; }

static void test_stop_hook(void) {
    series s = make_sine(600, 5);
    rnn_data d = { s.x, s.y, s.n, 1 };
    int tr[500];
    ends_range(tr, 19, 519);
    rnn_spec sp = small_spec(RNN_GRU, 8, 1, 20, 32, RNN_HEAD_REG, 1);
    rnn_model *m = rnn_create(&sp, NULL);
    rnn_train_opts o = rnn_train_defaults();
    o.epochs = 50;
    int left = 20;                                   /* 16 batches an epoch: stops in epoch 2 */
    o.stop = stop_after;
    o.stop_ctx = &left;
    rnn_train_result res;
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 500, NULL, 0, &o, &res, NULL, NULL), 0);
    CU_ASSERT_EQUAL(res.status, RNN_TRAIN_STOPPED);
    CU_ASSERT_EQUAL(res.steps, 20);
    CU_ASSERT_EQUAL(res.epochs_run, 1);
    rnn_free(m);
    free(s.x); free(s.y);
}

static void test_divergence_is_a_status(void) {
    series s = make_sine(600, 4);
    rnn_data d = { s.x, s.y, s.n, 1 };
    int tr[500];
    ends_range(tr, 9, 509);
    rnn_spec sp = small_spec(RNN_GRU, 8, 1, 10, 32, RNN_HEAD_REG, 1);
    rnn_model *m = rnn_create(&sp, NULL);
    rnn_train_opts o = rnn_train_defaults();
    o.epochs = 5; o.patience = 0;
    rnn_train_result r;
    /* A NaN in the features reaches the loss: training stops as diverged
     * and the weights are the last good ones, never NaN. */
    s.x[300] = NAN;
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 500, NULL, 0, &o, &r, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.status, RNN_TRAIN_DIVERGED);
    CU_ASSERT_EQUAL(r.epochs_run, 0);
    int finite = 1;
    for (size_t i = 0; i < m->n_params; i++) finite &= isfinite(m->params[i]);
    CU_ASSERT(finite);
    s.x[300] = 0.5f;
    /* The exploding-loss rule: an epoch loss above explode x the first
     * epoch's.  With explode tiny, the second epoch trips it and the first
     * epoch's weights are kept. */
    o.explode = 1e-6;
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 500, NULL, 0, &o, &r, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.status, RNN_TRAIN_DIVERGED);
    CU_ASSERT_EQUAL(r.epochs_run, 1);
    CU_ASSERT_EQUAL(r.best_epoch, 1);
    o.explode = 1e3;
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 500, NULL, 0, &o, &r, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.status, RNN_TRAIN_OK);
    /* Bad windows are an input error, not a crash. */
    rs_err e;
    int bad[1] = { 3 };
    CU_ASSERT_EQUAL(rnn_train(m, &d, bad, 1, NULL, 0, &o, &r, NULL, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "row 3"));
    /* No windows: a status. */
    CU_ASSERT_EQUAL(rnn_train(m, &d, tr, 0, NULL, 0, &o, &r, NULL, &e), 0);
    CU_ASSERT_EQUAL(r.status, RNN_TRAIN_NODATA);
    rnn_free(m);
    free(s.x); free(s.y);
}

/* Large enough that OpenBLAS and the fused passes really use 2 threads. */
static void train_steps(int threads, rnn_cell c, real *out, size_t *n) {
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    const int D = 4, T = 12, B = 64, N = 64 * 5;
    series s = make_sine(N + T + 1, 5);
    float *x = malloc(sizeof(float) * (size_t)(N + T + 1) * D);
    for (int t = 0; t < N + T + 1; t++)
        for (int k = 0; k < D; k++) x[t * D + k] = s.x[t] * (float)(k + 1);
    rnn_data d = { x, s.y, N + T + 1, D };
    int tr[64 * 5];
    ends_range(tr, T - 1, T - 1 + N);
    rnn_spec sp = { .cell = c, .n_layers = 2, .hidden = { 256, 160 }, .n_in = D, .seq_len = T,
                    .batch = B, .head = RNN_HEAD_REG, .n_out = 1, .dropout = 0.2, .seed = 77 };
    rnn_model *m = rnn_create(&sp, NULL);
    rnn_train_opts o = rnn_train_defaults();
    o.epochs = 2; o.seed = 78; o.patience = 0; o.weight_decay = 0.01;
    rnn_train_result r;
    rnn_train(m, &d, tr, N, NULL, 0, &o, &r, NULL, NULL);
    memcpy(out, m->params, sizeof(real) * m->n_params);
    *n = m->n_params;
    rnn_free(m);
    free(x); free(s.x); free(s.y);
}

static void test_determinism_threads(void) {
    int saved = omp_get_max_threads();
    for (int c = RNN_LSTM; c <= RNN_GRU_CLASSIC; c++) {
        size_t n1, n2;
        real *a = malloc(sizeof(real) * 2000000), *b = malloc(sizeof(real) * 2000000);
        train_steps(1, (rnn_cell)c, a, &n1);
        train_steps(2, (rnn_cell)c, b, &n2);
        CU_ASSERT_EQUAL(n1, n2);
        CU_ASSERT(memcmp(a, b, sizeof(real) * n1) == 0);
        /* and a different seed really changes them (the test can fail) */
        free(a); free(b);
    }
    omp_set_num_threads(saved);
    openblas_set_num_threads(saved);
}

static CU_TestInfo tests[] = {
    { "adam(w) steps and clipping by hand", test_adam_by_hand },
    { "adam: every cloned loop bitwise equal to the scalar one", test_adam_clones_bitwise },
    { "every cell learns a noisy sine", test_learning_regression },
    { "lstm/gru/gru_classic learn a lagged sign", test_learning_classification },
    { "early stopping restores the best epoch", test_early_stopping_and_curve },
    { "without validation best_epoch is the last epoch", test_best_epoch_without_validation },
    { "opts.stop ends training before the next batch", test_stop_hook },
    { "divergence is a status; bad windows an input error", test_divergence_is_a_status },
    { "bitwise identical with 1 and 2 threads", test_determinism_threads },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("train", tests); }

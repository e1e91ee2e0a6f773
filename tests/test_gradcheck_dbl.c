/*
 * test_gradcheck_dbl.c — every analytic gradient of the engine against
 * central finite differences, in the double-precision build (-DRS_DOUBLE).
 *
 * Every cell x 1..3 layers x both heads, with odd shapes (B=1, T=1, D=1,
 * hidden sizes 5, 7, 3 — none a multiple of 8), plus dropout between layers
 * (masks are a pure function of the key, so the loss is a deterministic
 * function of the weights and differences are exact).  Every parameter is
 * checked, not a sample.
 *
 * Tolerance: with h = 1e-6 the central difference has truncation error
 * O(h^2 * f''') ~ 1e-12 and rounding error ~ 1e-16 / 1e-6 = 1e-10 relative to
 * the loss, so a correct gradient agrees to ~1e-8; a wrong formula is off by
 * O(1).  We require |a - n| <= 1e-6 * max(1, |a|, |n|).
 */
#include "tests/cu.h"
#include "worker/rnn.h"

#include <math.h>
#include <string.h>

#ifndef RS_DOUBLE
#error "test_gradcheck_dbl must be built with -DRS_DOUBLE (the Makefile's _dbl rule)"
#endif

static double loss_at(rnn_model *m, const real *x, const real *y, int b, int train) {
    rnn_forward(m, x, b, train, 12345);
    return rnn_loss(m, y);
}

/* Returns the worst scaled error over all parameters. */
static double check_spec(const rnn_spec *s, int train, int *n_checked) {
    rs_err e;
    rnn_model *m = rnn_create(s, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const int T = s->seq_len, b = s->batch, D = s->n_in;
    real x[T * b * D], y[b];
    rs_rng r;
    rs_rng_seed(&r, s->seed * 7 + 1);
    for (int i = 0; i < T * b * D; i++) x[i] = rs_rng_normal(&r);
    for (int i = 0; i < b; i++)
        y[i] = s->head == RNN_HEAD_CLS ? (real)rs_rng_below(&r, (uint32_t)s->n_out) : rs_rng_normal(&r);
    /* Larger weights than the default init so gates leave their linear range. */
    for (size_t i = 0; i < m->n_params; i++) m->params[i] *= 2.0;

    rnn_zero_grad(m);
    loss_at(m, x, y, b, train);
    rnn_backward(m);
    double worst = 0;
    const double h = 1e-6;
    for (size_t i = 0; i < m->n_params; i++) {
        double p0 = m->params[i];
        m->params[i] = p0 + h;
        double lp = loss_at(m, x, y, b, train);
        m->params[i] = p0 - h;
        double lm = loss_at(m, x, y, b, train);
        m->params[i] = p0;
        double num = (lp - lm) / (2 * h), ana = m->grads[i];
        double scale = fmax(1.0, fmax(fabs(num), fabs(ana)));
        double err = fabs(num - ana) / scale;
        if (err > worst) worst = err;
    }
    *n_checked = (int)m->n_params;
    rnn_free(m);
    return worst;
}

static void run_cell(rnn_cell cell) {
    static const int hid[3] = { 5, 7, 3 };
    for (int L = 1; L <= 3; L++)
        for (int head = 0; head <= 1; head++) {
            rnn_spec s = { 0 };
            s.cell = cell;
            s.n_layers = L;
            for (int l = 0; l < L; l++) s.hidden[l] = hid[l];
            s.n_in = L == 2 ? 1 : 3;                 /* D = 1 somewhere      */
            s.seq_len = L == 1 ? 1 : 4 + L;          /* T = 1 somewhere      */
            s.batch = head ? 1 : 3;                  /* B = 1 somewhere      */
            s.head = head ? RNN_HEAD_CLS : RNN_HEAD_REG;
            s.n_out = head ? 3 : 1;
            s.forget_bias_one = 1;
            s.seed = 100 + 10 * L + head + 1000 * cell;
            int n;
            double worst = check_spec(&s, 0, &n);
            if (worst > 1e-6 || getenv("GRADCHECK_VERBOSE"))
                printf("\n  %s L=%d head=%d: worst scaled error %.3g over %d params\n",
                       rnn_cell_name(cell), L, head, worst, n);
            CU_ASSERT(worst <= 1e-6);
            if (L >= 2) {   /* the same stack with dropout between layers */
                s.dropout = 0.3;
                worst = check_spec(&s, 1, &n);
                if (worst > 1e-6)
                    printf("\n  %s L=%d head=%d dropout: worst %.3g\n", rnn_cell_name(cell), L, head, worst);
                CU_ASSERT(worst <= 1e-6);
            }
        }
}

static void test_lstm(void) { run_cell(RNN_LSTM); }
static void test_gru(void) { run_cell(RNN_GRU); }
static void test_gru_classic(void) { run_cell(RNN_GRU_CLASSIC); }
static void test_rnn_tanh(void) { run_cell(RNN_TANH); }
static void test_rnn_relu(void) { run_cell(RNN_RELU); }

/* The check itself must be able to fail: corrupt one gradient entry. */
static void test_check_detects_error(void) {
    rnn_spec s = { .cell = RNN_GRU, .n_layers = 1, .hidden = { 4 }, .n_in = 2, .seq_len = 3,
                   .batch = 2, .head = RNN_HEAD_REG, .n_out = 1, .seed = 9 };
    rnn_model *m = rnn_create(&s, NULL);
    real x[3 * 2 * 2] = { .1, -.2, .3, .4, -.5, .6, .7, -.8, .9, .1, .2, -.3 }, y[2] = { .5, -.5 };
    rnn_zero_grad(m);
    loss_at(m, x, y, 2, 0);
    rnn_backward(m);
    size_t i = 7;
    double p0 = m->params[i], h = 1e-6;
    m->params[i] = p0 + h; double lp = loss_at(m, x, y, 2, 0);
    m->params[i] = p0 - h; double lm = loss_at(m, x, y, 2, 0);
    m->params[i] = p0;
    double num = (lp - lm) / (2 * h);
    CU_ASSERT(fabs(num - m->grads[i]) < 1e-8);
    CU_ASSERT(fabs(num - 1.01 * m->grads[i]) > 1e-6 * fmax(1, fabs(num)) || fabs(num) < 1e-4);
    rnn_free(m);
}

static CU_TestInfo tests[] = {
    { "lstm: all params, 1-3 layers, both heads, dropout", test_lstm },
    { "gru (pytorch form)", test_gru },
    { "gru_classic (Cho 2014)", test_gru_classic },
    { "rnn tanh", test_rnn_tanh },
    { "rnn relu", test_rnn_relu },
    { "the check can fail", test_check_detects_error },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("gradcheck (double build)", tests); }

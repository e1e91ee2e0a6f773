/*
 * cmd_demo.c — `rnnsweep demo`: train one model on a built-in learnable
 * series and print its learning curve.  A first look at the engine that
 * needs no data file; the sweep (`rnnsweep run`) is the real product.
 *
 * The series: x_t = sin(2πt/50) + 0.5·sin(2πt/13) + 0.1·ε_t, and the model
 * predicts x_{t+1} from the last `lookback` values.  The noise floor (the
 * best possible MSE) is 0.01; persistence (predict x_t) scores about 0.06.
 */
#include "cluster/commands.h"
#include "worker/train.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep demo [--cell lstm|gru|gru_classic|rnn_tanh|rnn_relu] [--hidden H[xH2...]]\n"
        "                     [--lookback T] [--epochs N] [--batch B] [--lr LR] [--seed S]\n"
        "Train one model on a built-in noisy two-tone series and print the learning curve.\n"
        "Defaults: --cell lstm --hidden 32 --lookback 30 --epochs 15 --batch 64 --lr 0.005 --seed 1\n");
}

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < lo || x > hi) {
        fprintf(stderr, "rnnsweep demo: %s '%s': expected an integer in %d..%d\n", opt, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

/* "128x64x32" → hidden sizes; returns the layer count or -1. */
static int parse_hidden(const char *v, int *hidden) {
    int n = 0;
    const char *p = v;
    while (*p) {
        char *end;
        long h = strtol(p, &end, 10);
        if (end == p || h < 1 || h > 4096 || n == RNN_MAX_LAYERS) return -1;
        hidden[n++] = (int)h;
        if (*end == 'x') p = end + 1;
        else if (*end == '\0') p = end;
        else return -1;
    }
    return n ? n : -1;
}

int cmd_demo(int argc, char **argv) {
    rnn_spec s = { .cell = RNN_LSTM, .n_layers = 1, .hidden = { 32 }, .n_in = 1, .seq_len = 30,
                   .batch = 64, .head = RNN_HEAD_REG, .n_out = 1, .forget_bias_one = 1, .seed = 1 };
    rnn_train_opts o = rnn_train_defaults();
    o.epochs = 15; o.lr = 5e-3; o.patience = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!v) { fprintf(stderr, "rnnsweep demo: unknown or incomplete option '%s'\n", a); usage(stderr); return 2; }
        i++;
        if (!strcmp(a, "--cell")) {
            if (rnn_cell_parse(v, &s.cell)) {
                fprintf(stderr, "rnnsweep demo: --cell '%s': expected lstm, gru, gru_classic, rnn_tanh or rnn_relu\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--hidden")) {
            if ((s.n_layers = parse_hidden(v, s.hidden)) < 0) {
                fprintf(stderr, "rnnsweep demo: --hidden '%s': expected sizes 1..4096 joined by 'x' (e.g. 64x32), at most %d\n",
                        v, RNN_MAX_LAYERS);
                return 2;
            }
        } else if (!strcmp(a, "--lookback")) { if (parse_int(a, v, 1, 1000, &s.seq_len)) return 2; }
        else if (!strcmp(a, "--epochs")) { if (parse_int(a, v, 1, 10000, &o.epochs)) return 2; }
        else if (!strcmp(a, "--batch")) { if (parse_int(a, v, 1, 4096, &s.batch)) return 2; }
        else if (!strcmp(a, "--seed")) { int sd; if (parse_int(a, v, 0, 2147483647, &sd)) return 2; s.seed = (uint64_t)sd; o.seed = (uint64_t)sd + 1; }
        else if (!strcmp(a, "--lr")) {
            char *end; o.lr = strtod(v, &end);
            if (*end || !(o.lr > 0 && o.lr < 10)) { fprintf(stderr, "rnnsweep demo: --lr '%s': expected a number in (0, 10)\n", v); return 2; }
        } else { fprintf(stderr, "rnnsweep demo: unknown option '%s'\n", a); usage(stderr); return 2; }
    }

    const int n = 6000, T = s.seq_len;
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    int *tr = malloc(sizeof(int) * n), *va = malloc(sizeof(int) * n);
    double *curve = malloc(sizeof(double) * 2 * (size_t)o.epochs);
    if (!x || !y || !tr || !va || !curve) { fprintf(stderr, "rnnsweep demo: out of memory\n"); return 1; }
    rs_rng r;
    rs_rng_seed(&r, 7);
    for (int t = 0; t < n; t++)
        x[t] = (float)(sin(2 * M_PI * t / 50) + 0.5 * sin(2 * M_PI * t / 13) + 0.1 * rs_rng_normal(&r));
    for (int t = 0; t < n - 1; t++) y[t] = x[t + 1];
    y[n - 1] = NAN;
    /* Train on the first 80%, validate on the rest; the gap of T+1 rows keeps
     * every validation window and label clear of the training rows. */
    int split = n * 8 / 10, ntr = 0, nva = 0;
    for (int e = T - 1; e + 1 < split; e++) tr[ntr++] = e;
    for (int e = split + T; e < n - 1; e++) va[nva++] = e;
    rnn_data d = { x, y, n, 1 };
    double persist = 0;
    for (int i = 0; i < nva; i++) { double dd = x[va[i]] - y[va[i]]; persist += dd * dd; }
    persist /= nva;

    rs_err e;
    rnn_model *m = rnn_create(&s, &e);
    if (!m) { fprintf(stderr, "rnnsweep demo: %s\n", e.msg); return e.status; }
    char hid[RNN_MAX_LAYERS * 12];
    printf("rnnsweep demo: %s %s", rnn_cell_name(s.cell), rnn_hidden_text(s.hidden, s.n_layers, hid, sizeof hid));
    printf(", lookback %d, %zu parameters, %d threads; %d train / %d validation windows\n",
           T, m->n_params, omp_get_max_threads(), ntr, nva);
    printf("target: next value of a noisy two-tone series; noise floor MSE 0.0100, persistence %.4f\n\n", persist);
    rnn_train_result res;
    if (rnn_train(m, &d, tr, ntr, va, nva, &o, &res, curve, &e)) {
        fprintf(stderr, "rnnsweep demo: %s\n", e.msg);
        return e.status;
    }
    printf(" epoch   train MSE     val MSE\n");
    double top = curve[1] > curve[0] ? curve[1] : curve[0];
    for (int ep = 0; ep < res.epochs_run; ep++) {
        int bar = (int)(40.0 * log10(curve[2 * ep + 1] / 0.005) / log10(top / 0.005) + 0.5);
        if (bar < 0) bar = 0;
        if (bar > 40) bar = 40;
        printf(" %5d  %10.5f  %10.5f  %.*s%s\n", ep + 1, curve[2 * ep], curve[2 * ep + 1], bar,
               "########################################", ep + 1 == res.best_epoch ? "  <- best" : "");
    }
    const char *st = res.status == RNN_TRAIN_OK ? "ok" : res.status == RNN_TRAIN_DIVERGED ? "diverged" : "no data";
    printf("\nstatus %s; best epoch %d, validation MSE %.5f (persistence %.4f, %.1f%% of it); %ld steps in %.2f s (%.0f windows/s)\n",
           st, res.best_epoch, res.best_val_loss, persist, 100 * res.best_val_loss / persist, res.steps, res.seconds,
           (double)res.epochs_run * ntr / res.seconds);
    rnn_free(m);
    free(x); free(y); free(tr); free(va); free(curve);
    return res.status == RNN_TRAIN_OK ? 0 : 1;
}

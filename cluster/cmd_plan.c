/*
 * cmd_plan.c — `rnnsweep plan CONFIG`: everything a sweep would do, short
 * of doing it: load and prepare the data, build the folds of every
 * lookback, expand the tasks, and estimate cost, memory and wall time.
 *
 * The time estimate is measured, not assumed: the largest model point is
 * trained for 2 epochs on 256 random windows on this machine, giving this
 * engine's FLOP rate for that shape; the sweep's estimated FLOPs (an upper
 * bound: early stopping only shortens training) divided by that rate and
 * by the worker count is the estimate.
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
#include "coordinator/plan.h"
#include "coordinator/prepare.h"
#include "worker/series.h"
#include "worker/train.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep plan CONFIG.ini [--workers N]\n"
        "Load the data as a sweep would and print the folds of every lookback, the model and\n"
        "strategy points, the task count, estimated FLOPs, memory per rank, and the wall time\n"
        "on N workers (default 1) from a short measured training on this machine.\n");
}

/* FLOP/s of this engine on model m: 2 epochs over 256 random windows. */
static double measure_rate(const sweep_plan *p, const plan_model *m) {
    const int W = 256;
    int T = m->lookback, D = p->n_in;
    int n = T + W;
    float *x = malloc((size_t)n * (size_t)D * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    int *ends = malloc(W * sizeof *ends);
    double rate = 0;
    if (x && y && ends) {
        rs_rng r;
        rs_rng_seed(&r, 7);
        for (int i = 0; i < n * D; i++) x[i] = (float)rs_rng_normal(&r);
        for (int i = 0; i < n; i++) y[i] = p->head == RNN_HEAD_CLS ? (float)(i % 3) : (float)rs_rng_normal(&r);
        for (int i = 0; i < W; i++) ends[i] = T - 1 + i;
        rnn_spec spec;
        rnn_train_opts o;
        plan_task_spec(p, m, 1, &spec, &o);
        o.epochs = 2;
        o.patience = 0;
        o.explode = 0;
        rnn_model *mod = rnn_create(&spec, NULL);
        rnn_data d = { x, y, n, D };
        rnn_train_result res;
        if (mod && !rnn_train(mod, &d, ends, W, NULL, 0, &o, &res, NULL, NULL) && res.seconds > 0)
            rate = m->flops_per_window * W * 2 / res.seconds;
        rnn_free(mod);
    }
    free(x);
    free(y);
    free(ends);
    return rate;
}

int cmd_plan(int argc, char **argv) {
    const char *path = NULL;
    int workers = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if (!strcmp(argv[i], "--workers")) {
            char *end;
            long w = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || w < 1 || w > 1000000) {
                fprintf(stderr, "rnnsweep plan: --workers: expected a positive integer\n");
                return 2;
            }
            workers = (int)w;
            i++;
            continue;
        }
        if (argv[i][0] == '-' || path) { fprintf(stderr, "rnnsweep plan: unexpected argument '%s' (see --help)\n", argv[i]); return 2; }
        path = argv[i];
    }
    if (!path) { fprintf(stderr, "rnnsweep plan: missing CONFIG (see --help)\n"); return 2; }
    sweep_config c;
    sweep_plan p;
    task_data d;
    prepare_info info;
    plan_task *tasks = NULL;
    results_fold *folds = NULL;
    int n_tasks = 0, n_folds = 0;
    rs_err e;
    memset(&p, 0, sizeof p);
    memset(&d, 0, sizeof d);
    int rc = config_load(path, &c, &e);
    if (!rc) rc = config_check_paths(&c, &e);
    if (!rc) rc = plan_build(&c, &p, &e);
    if (!rc) rc = prepare_data(&c, &d, &info, &e);
    if (!rc) {
        plan_set_bar_seconds(&p, d.bar_seconds);
        rc = prepare_tasks(&c, &p, &d, &tasks, &n_tasks, &folds, &n_folds, &e);
    }
    if (rc) {
        fprintf(stderr, "rnnsweep: %s\n", e.msg);
        plan_free(&p);
        task_data_free(&d);
        config_free(&c);
        return rc;
    }
    printf("%s: sweep '%s'\n", path, c.run.name);
    prepare_describe(&info, stdout);
    printf("folds (per lookback; windows; trained = after [training] stride / max_windows):\n"
           "  %8s %-8s %-6s %9s %9s %7s %7s  %-10s .. %-10s\n", "lookback", "fold", "status", "train", "trained",
           "val", "test", "test from", "to");
    int64_t med_train = 0;
    for (int i = 0; i < n_folds; i++) {
        const results_fold *f = &folds[i];
        char a[24] = "-", b[24] = "-", id[FOLD_ID_MAX], tw[48];
        if (f->n_test) { series_format_time(f->test_first, a); series_format_time(f->test_last, b); a[10] = b[10] = 0; }
        int64_t lo = -1, hi = -1;
        for (int m = 0; m < p.n_models; m++) {
            if (p.models[m].lookback != f->lookback) continue;
            int64_t w = plan_train_windows(&p.models[m], f->n_train);
            if (lo < 0 || w < lo) lo = w;
            if (w > hi) hi = w;
        }
        if (lo == hi) snprintf(tw, sizeof tw, "%lld", (long long)lo);
        else snprintf(tw, sizeof tw, "%lld..%lld", (long long)lo, (long long)hi);
        printf("  %8d %-8s %-6s %9lld %9s %7lld %7lld  %-10s .. %-10s\n", f->lookback,
               fold_id_text(f->fold_id, id, sizeof id), f->status == 0 ? "ok" : "empty", (long long)f->n_train, tw,
               (long long)f->n_val, (long long)f->n_test, a, b);
        if (i == n_folds / 2) med_train = f->n_train;
    }
    plan_describe(&p, med_train, stdout);
    double total = 0;
    int empty = 0;
    for (int i = 0; i < n_tasks; i++) { total += tasks[i].cost; empty += tasks[i].cost == 0; }
    int big = 0;
    for (int i = 1; i < p.n_models; i++) if (p.models[i].flops_per_window > p.models[big].flops_per_window) big = i;
    double rate = p.n_models ? measure_rate(&p, &p.models[big]) : 0;
    size_t mem = 0;
    for (int i = 0; i < p.n_models; i++) if (p.models[i].arena_bytes > mem) mem = p.models[i].arena_bytes;
    printf("tasks: %d (%d on empty folds), estimated %.3g FLOP in total (upper bound)\n", n_tasks, empty, total);
    printf("memory per rank: data %.1f MiB + largest model arena %.1f MiB\n", d.block_bytes / 1048576.0,
           mem / 1048576.0);
    if (rate > 0)
        printf("time: measured %.2f GFLOP/s per rank (%d thread%s, largest model); estimated %.0f s on %d "
               "worker%s (upper bound)\n", rate / 1e9, omp_get_max_threads(), omp_get_max_threads() > 1 ? "s" : "",
               total / rate / workers, workers, workers > 1 ? "s" : "");
    free(tasks);
    free(folds);
    plan_free(&p);
    task_data_free(&d);
    config_free(&c);
    return 0;
}

/*
 * cmd_plan.c — `rnnsweep plan CONFIG`: everything a sweep would do, short
 * of doing it: load and prepare the data, build the folds of every
 * lookback, expand the tasks, and estimate cost, memory and wall time.
 *
 * The time estimate is measured, not assumed: each distinct model shape
 * (up to MEASURE_SHAPES) trains and predicts on random windows on this
 * machine, with the threads per rank the run will use (--threads, else
 * [run] threads, else OMP_NUM_THREADS, else 1 — `make run` and the job
 * scripts run 1 thread per rank), giving this engine's FLOP rates for that
 * shape; each task's training and prediction FLOPs over those rates is its
 * time, and the tasks scheduled longest first on --workers workers (as the
 * coordinator hands them out) give the wall time.  Every epoch is counted:
 * early stopping only shortens it.  `make bench` checks the estimate
 * against real runs (bench/plan_accuracy.sh).
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
#include "coordinator/halving.h"
#include "coordinator/override.h"
#include "coordinator/plan.h"
#include "coordinator/prepare.h"
#include "worker/series.h"
#include "worker/task.h"
#include "worker/train.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep plan CONFIG.ini [--set SECTION.KEY=VALUE ...] [--workers N] [--threads T]\n"
        "Load the data as a sweep would and print the folds of every lookback, the model and\n"
        "strategy points, the task count, estimated FLOPs, memory per rank, and the wall time\n"
        "on N workers (default 1) from short measured trainings on this machine, with T threads per\n"
        "rank (default: [run] threads, else OMP_NUM_THREADS, else 1 -- what the run will use).\n");
}

static double kib(size_t b) { return b / 1024.0; }

/* "12.3 KiB", "4.5 MiB", "1.2 GiB" into buf. */
static const char *human(size_t b, char *buf, size_t n) {
    if (b < ((size_t)1 << 20)) snprintf(buf, n, "%.1f KiB", b / 1024.0);
    else if (b < ((size_t)1 << 30)) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
    else snprintf(buf, n, "%.2f GiB", b / 1073741824.0);
    return buf;
}

/* What the sweep stores (plan_task_storage): one task's record at the
 * resolution of [run] series on this data, the largest of them, and the
 * journal and results file of every task.  The series points of a fold are
 * counted on its test bars, as the worker will (task_series_points). */
static void print_storage(const sweep_config *c, const sweep_plan *p, const task_data *d, const plan_task *tasks,
                          int n_tasks, const results_fold *folds, int n_folds) {
    const int series = config_series(c, d->bar_seconds);
    int *pts = calloc((size_t)(n_folds ? n_folds : 1), sizeof *pts);
    int32_t *pe = malloc((size_t)(d->n ? d->n : 1) * sizeof *pe);
    size_t *wb = calloc((size_t)(p->n_models ? p->n_models : 1), sizeof *wb);
    if (!pts || !pe || !wb) { free(pts); free(pe); free(wb); printf("storage: - (out of memory)\n"); return; }
    for (int f = 0; f < n_folds; f++) {
        const results_fold *F = &folds[f];
        if (!F->n_test) continue;
        int64_t lo = 0, hi = d->n;                  /* the first test bar: d->t ascends */
        while (lo < hi) { int64_t mid = (lo + hi) / 2; if (d->t[mid] < F->test_first) lo = mid + 1; else hi = mid; }
        if (lo + F->n_test <= d->n) pts[f] = task_series_points(series, d->t + lo, (int)F->n_test, pe);
    }
    for (int m = 0; c->run.save_weights && m < p->n_models; m++) {
        rnn_spec spec;
        rnn_train_opts o;
        rs_err e;
        plan_task_spec(p, &p->models[m], 0, &spec, &o);
        rnn_model *rm = rnn_create(&spec, &e);
        if (rm) wb[m] = rnn_blob_size(rm);
        rnn_free(rm);
    }
    size_t journal = 0, file = 0;
    plan_storage big = { 0, 0, 0, 0 };
    int big_i = -1;
    for (int i = 0; i < n_tasks; i++) {
        const results_fold *F = &folds[tasks[i].fold];
        plan_storage st;
        plan_task_storage(p, &p->models[tasks[i].model], series, (int)F->n_test, pts[tasks[i].fold], F->n_train,
                          wb[tasks[i].model], &st);
        journal += st.journal;
        file += st.file;
        if (st.record > big.record) { big = st; big_i = i; }
    }
    if (big_i >= 0) {
        const results_fold *F = &folds[tasks[big_i].fold];
        char id[FOLD_ID_MAX];
        printf("record per task ([run] series = %s): largest %.1f KiB (fold %s: %lld test bars, %d series points x "
               "%d strategy points), %.2f KiB more per added strategy point\n", task_series_name(series),
               kib(big.record), fold_id_text(F->fold_id, id, sizeof id), (long long)F->n_test,
               pts[tasks[big_i].fold], p->n_strategies, kib(big.per_strat));
    }
    char a[32], b[32];
    printf("storage of the sweep (%d tasks): journal %s, results file %s before compression\n", n_tasks,
           human(journal, a, sizeof a), human(file, b, sizeof b));
    free(pts);
    free(pe);
    free(wb);
}

/* This engine's measured FLOP rates on a model's shape. */
typedef struct { double train, fwd; } rates;

#define MEASURE_WINDOWS 128          /* windows per measurement pass          */
#define MEASURE_SECONDS 0.25         /* repeat passes until this much time    */

/* Train (and separately predict) on MEASURE_WINDOWS random windows of m's
 * shape, repeating the pass until MEASURE_SECONDS have gone by so small
 * models are timed over more than clock noise. */
static rates measure_rates(const sweep_plan *p, const plan_model *m) {
    const int W = MEASURE_WINDOWS;
    int T = m->lookback, D = p->n_in;
    int n = T + W;
    rates out = { 0, 0 };
    float *x = malloc((size_t)n * (size_t)D * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    int *ends = malloc(W * sizeof *ends);
    double *pred = malloc((size_t)W * (size_t)p->n_out * sizeof *pred);
    rnn_spec spec;
    rnn_train_opts o;
    plan_task_spec(p, m, 1, &spec, &o);
    rnn_model *mod = x && y && ends && pred ? rnn_create(&spec, NULL) : NULL;
    if (mod) {
        rs_rng r;
        rs_rng_seed(&r, 7);
        for (int i = 0; i < n * D; i++) x[i] = (float)rs_rng_normal(&r);
        for (int i = 0; i < n; i++) y[i] = p->head == RNN_HEAD_CLS ? (float)(i % 3) : (float)rs_rng_normal(&r);
        for (int i = 0; i < W; i++) ends[i] = T - 1 + i;
        rnn_data d = { x, y, n, D };
        o.epochs = 1;
        o.patience = 0;
        o.explode = 0;
        rnn_train_result res;
        double t0 = rs_now(), passes = 0;
        do {
            if (rnn_train(mod, &d, ends, W, NULL, 0, &o, &res, NULL, NULL)) break;
            passes++;
        } while (rs_now() - t0 < MEASURE_SECONDS && passes < 1000);
        double el = rs_now() - t0;
        if (passes > 0 && el > 0) out.train = m->flops_per_window * W * passes / el;
        t0 = rs_now();
        passes = 0;
        do {
            rnn_predict(mod, &d, ends, W, pred);
            passes++;
        } while (rs_now() - t0 < MEASURE_SECONDS && passes < 1000);
        el = rs_now() - t0;
        if (el > 0) out.fwd = m->flops_fwd_window * W * passes / el;
    }
    rnn_free(mod);
    free(x);
    free(y);
    free(ends);
    free(pred);
    return out;
}

#define MEASURE_SHAPES 12            /* distinct model shapes measured at most */

static int same_shape(const plan_model *a, const plan_model *b) {
    return a->cell == b->cell && a->n_layers == b->n_layers && a->lookback == b->lookback &&
           a->batch == b->batch && !memcmp(a->hidden, b->hidden, (size_t)a->n_layers * sizeof(int));
}

/* The wall time of n task durations on w workers as the scheduler runs
 * them: in order (longest estimated first), each to the worker free first. */
static double schedule_makespan(const double *sec, int n, int w) {
    double *free_at = calloc((size_t)w, sizeof *free_at), end = 0;
    if (!free_at) return 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        for (int j = 1; j < w; j++) if (free_at[j] < free_at[k]) k = j;
        free_at[k] += sec[i];
        if (free_at[k] > end) end = free_at[k];
    }
    free(free_at);
    return end;
}

int cmd_plan(int argc, char **argv) {
    const char *path = NULL;
    int workers = 1, threads = 0;
    override_set ov;
    memset(&ov, 0, sizeof ov);
    rs_err e;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        const int ot = override_take(&ov, argc, argv, &i, &e);
        if (ot == 1) continue;
        if (ot) { fprintf(stderr, "rnnsweep plan: %s\n", e.msg); return 2; }
        if (!strcmp(argv[i], "--threads")) {
            char *end;
            long t = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || t < 1 || t > 1024) {
                fprintf(stderr, "rnnsweep plan: --threads: expected an integer 1..1024\n");
                return 2;
            }
            threads = (int)t;
            i++;
            continue;
        }
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
    memset(&p, 0, sizeof p);
    memset(&d, 0, sizeof d);
    int rc = override_load(path, &ov, &c, &e);
    if (!rc && (rc = config_check_paths(&c, &e))) override_explain(&ov, &e);
    if (!rc && (rc = plan_build(&c, &p, &e))) override_explain(&ov, &e);
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
    /* the run's threads per rank, so the measured rates are the run's */
    if (!threads) threads = c.run.threads;
    if (!threads && getenv("OMP_NUM_THREADS")) threads = atoi(getenv("OMP_NUM_THREADS"));
    if (threads < 1) threads = 1;
    omp_set_num_threads(threads);
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
    size_t mem = 0;
    for (int i = 0; i < p.n_models; i++) if (p.models[i].arena_bytes > mem) mem = p.models[i].arena_bytes;
    printf("tasks: %d (%d on empty folds), estimated %.3g FLOP in total (upper bound)\n", n_tasks, empty, total);
    if (c.search.method == SEARCH_HALVING) {   /* halving.h: the rungs and the tasks they run */
        int *group = malloc((size_t)(p.n_models ? p.n_models : 1) * sizeof *group), *ids = malloc(
            (size_t)(n_folds ? n_folds : 1) * sizeof *ids);
        const int ng = group ? plan_replicate_groups(&p, group) : -1;
        int nf = 0;
        for (int i = 0; ids && i < n_folds; i++) {
            int seen = 0;
            for (int j = 0; j < nf; j++) seen |= ids[j] == folds[i].fold_id;
            if (!seen) ids[nf++] = folds[i].fold_id;
        }
        halving_rungs hr;
        if (ng > 0 && ids && halving_rungs_build(nf, c.search.min_folds, c.search.eta, &hr)) {
            const double seeds = (double)p.n_models / ng;
            double run = 0;
            int alive = ng;
            printf("successive halving (eta %d, by %s): configurations per rung", c.search.eta, c.search.metric);
            for (int k = 0; k < hr.n_rungs; k++) {
                if (k) alive = (alive + c.search.eta - 1) / c.search.eta;
                run += alive * seeds * (hr.folds[k] - (k ? hr.folds[k - 1] : 0));
                printf("%s %d on %d period%s", k ? "," : "", alive, hr.folds[k], hr.folds[k] == 1 ? "" : "s");
            }
            printf("; about %.0f tasks (%.0f %% of the grid's)\n", run, n_tasks ? 100.0 * run / n_tasks : 0.0);
        }
        free(group);
        free(ids);
    }
    printf("memory per rank: data %.1f MiB + largest model arena %.1f MiB\n", d.block_bytes / 1048576.0,
           mem / 1048576.0);
    print_storage(&c, &p, &d, tasks, n_tasks, folds, n_folds);

    /* Time: the rates of this machine on each model shape (up to
     * MEASURE_SHAPES of them; a model of another shape uses the measured
     * shape nearest in FLOPs per window), the per-task seconds they imply,
     * and the wall time of those tasks scheduled as the run schedules them. */
    int shape[MEASURE_SHAPES], n_shape = 0;
    rates rate[MEASURE_SHAPES];
    for (int i = 0; i < p.n_models && n_shape < MEASURE_SHAPES; i++) {
        int k = 0;
        while (k < n_shape && !same_shape(&p.models[shape[k]], &p.models[i])) k++;
        if (k == n_shape) { shape[n_shape] = i; rate[n_shape] = measure_rates(&p, &p.models[i]); n_shape++; }
    }
    double *sec = malloc((size_t)(n_tasks ? n_tasks : 1) * sizeof *sec), task_seconds = 0;
    int measured = sec && n_shape > 0;
    for (int i = 0; measured && i < n_tasks; i++) {
        const plan_model *m = &p.models[tasks[i].model];
        int best = 0;
        for (int k = 1; k < n_shape; k++) {
            double dk = fabs(p.models[shape[k]].flops_per_window - m->flops_per_window);
            double db = fabs(p.models[shape[best]].flops_per_window - m->flops_per_window);
            if (same_shape(&p.models[shape[k]], m) || (dk < db && !same_shape(&p.models[shape[best]], m))) best = k;
        }
        const results_fold *F = &folds[tasks[i].fold];
        double ft = 0, ff = 0;
        if (F->status == 0) plan_task_flops(&p, m, F->n_train, F->n_val, F->n_test, &ft, &ff);
        if (!(rate[best].train > 0) || !(rate[best].fwd > 0)) { measured = 0; break; }
        sec[i] = ft / rate[best].train + ff / rate[best].fwd;
        task_seconds += sec[i];
    }
    if (measured) {
        int big = 0;
        for (int k = 1; k < n_shape; k++)
            if (p.models[shape[k]].flops_per_window > p.models[shape[big]].flops_per_window) big = k;
        const int th = omp_get_max_threads();
        printf("time: on %d worker%s x %d thread%s: estimated %.0f s wall (%.0f s of task time), from this "
               "machine's measured rates on %d model shape%s (largest: training %.1f, prediction %.1f GFLOP/s); "
               "every epoch counted, so early stopping only shortens it\n", workers, workers > 1 ? "s" : "",
               th, th > 1 ? "s" : "", schedule_makespan(sec, n_tasks, workers), task_seconds, n_shape,
               n_shape > 1 ? "s" : "", rate[big].train / 1e9, rate[big].fwd / 1e9);
    }
    free(sec);
    free(tasks);
    free(folds);
    plan_free(&p);
    task_data_free(&d);
    config_free(&c);
    return 0;
}

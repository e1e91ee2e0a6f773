/*
 * bench_sched.c — rank 0's cost per task, through the real code: the
 * coordinator / worker protocol (cluster/sched.c), the journal, the record
 * store and the results writer (issue 15's "coordinator stays idle").
 *
 *   mpirun -np R build/bench/bench_sched [--tasks N] [--test-bars B]
 *          [--strategies S] [--outputs K] [--journal DIR] [--results DIR]
 *          [--checkpoint-every K] [--old-writer 1] [--verify 1]
 *   build/bench/bench_sched --resume JOURNAL [--resume-mode index|whole]
 *
 * Each worker answers every task at once with a packed record of S
 * strategy rows and B test bars of K outputs (default: a quick.ini task —
 * 9 strategies, 252 test bars, 1 output).
 *   --journal DIR   the coordinator validates and appends every result to a
 *                   real journal in DIR (write + group-commit fdatasync), as
 *                   `rnnsweep run` does; prints journal bytes per task.
 *   --results DIR   (implies --journal) the whole rank-0 results path of
 *                   `rnnsweep run`: each result also goes into the record
 *                   store as a reference (store.h), and every K-th result
 *                   (--checkpoint-every, default N/20) a checkpoint writes the
 *                   records since the last one as a part file (results.h,
 *                   results_write_source over the store, records read back
 *                   from the journal) — its time is printed at 10 %, 50 % and
 *                   100 % of the tasks, which must stay flat; --old-writer 1
 *                   also times, at those points, the writer this replaces (the
 *                   whole file from every record so far); at the end the one
 *                   final whole write.  A synthetic plan (N/100 model points ×
 *                   S strategy points, 100 folds) gives the records their keys.
 *   --resume J      no MPI: index journal J as `rnnsweep run --resume` does
 *                   (journal_index_scan, one store reference per record, each
 *                   record's head and rows read back once as resume_choose
 *                   does) or, with
 *                   --resume-mode whole, the way it did before (journal_read:
 *                   the whole file in memory, a copy per record); prints the
 *                   seconds and the peak RSS (getrusage ru_maxrss).
 *   --verify 1      a test of the transport (tests/test_sweep.sh): every
 *                   record's per-bar returns are bytes drawn from its task key,
 *                   every task carries the previous task's record as payload
 *                   (as a re-evaluation does), and each side checks that the
 *                   bytes it received are the ones the other side made; a
 *                   mismatch exits 1.  Run with RNNSWEEP_MPI_PART_BYTES set small
 *                   to send every message in parts.
 * Prints one "sched" line (ranks, tasks, seconds, tasks/s, µs per task,
 * coordinator CPU), then per mode its figures.
 */
#include "cluster/sched.h"
#include "coordinator/config.h"
#include "coordinator/journal.h"
#include "coordinator/plan.h"
#include "coordinator/results.h"
#include "coordinator/store.h"
#include "worker/task.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_FOLDS 100              /* folds per model point of the synthetic plan */

typedef struct {
    long      n_tasks, next;
    task_buf  rec;            /* the record every worker returns            */
    task_buf  want;           /* --verify: the record expected              */
    journal  *j;
    int       verify;
    long      bad;            /* --verify: messages that arrived different  */
    /* --results */
    int            results;
    char           dir[4096], jpath[4200];
    sweep_config   cfg;
    sweep_plan     plan;
    store          st;
    task_buf       rb;
    int           *ck_idx;   /* [n_tasks] store indices since the last checkpoint */
    int            ck_n, n_parts, ck_every, old_writer;
    double         t_result, t_ck, ck_max;   /* seconds in the result path, in checkpoints */
    int            printed;  /* marks of 10/50/100 % printed                */
    uint64_t       part_bytes;
} bench;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t file_size(const char *p) {
    struct stat sb;
    return stat(p, &sb) ? 0 : (uint64_t)sb.st_size;
}

/* Task i of the synthetic plan: model i / N_FOLDS, fold 1000 + i % N_FOLDS. */
static uint64_t task_key_of(const bench *b, long i) {
    if (!b->results) return (uint64_t)i + 1;
    return plan_task_key(&b->plan.models[i / N_FOLDS], 1000 + (int)(i % N_FOLDS));
}

/* The record of task i: its key, model key, fold and rows' keys set; with
 * --verify the returns block filled with bytes drawn from the key. */
static void fill_record(const bench *b, task_buf *rec, long i) {
    task_view v;
    task_head *h = (task_head *)rec->p;
    h->task_key = task_key_of(b, i);
    if (task_view_parse(rec->p, rec->len, &v, NULL)) return;
    if (b->results) {
        h->model_key = b->plan.models[i / N_FOLDS].key;
        h->fold_id = 1000 + (int)(i % N_FOLDS);
        task_row *r = (task_row *)v.rows;
        for (int s = 0; s < h->n_strat && s < b->plan.n_strategies; s++) {
            r[s].task_key = h->task_key;
            r[s].model_key = h->model_key;
            r[s].strategy_key = b->plan.strategies[s].key;
            r[s].fold_id = h->fold_id;
        }
    }
    if (!b->verify) return;
    size_t n = (size_t)v.h->n_strat * (size_t)v.h->n_test * sizeof(float);
    unsigned char *p = (unsigned char *)v.ret;
    uint64_t x = h->task_key * 0x9E3779B97F4A7C15ull + 1;
    for (size_t k = 0; k < n; k++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        p[k] = (unsigned char)x;
    }
}

/* --verify: do buf[len] hold the record of task i? */
static int check_record(bench *b, long i, const void *buf, size_t len) {
    fill_record(b, &b->want, i);
    return len == b->want.len && memcmp(buf, b->want.p, len) == 0;
}

/* ---- --results: the store as a results source, checkpoints --------------- */

typedef struct { bench *b; const int *idx; } src_ctx;

static int src_get(void *ctx, int i, task_view *v, rs_err *e) {
    src_ctx *c = ctx;
    return store_get(&c->b->st, c->idx ? c->idx[i] : i, &c->b->rb, v, e);
}

static int write_from_store(bench *b, const char *path, const int *idx, int n, double *sec) {
    results_meta m = { .created = "2026-12-01T00:00:00Z", .ranks = 1, .threads = 1, .blas = "", .hosts = "",
                       .shard = "", .tasks_planned = (int)b->n_tasks };
    src_ctx c = { b, idx };
    results_source src = { n, src_get, &c };
    rs_err e;
    double t0 = now();
    int rc = results_write_source(path, &b->cfg, &b->plan, NULL, 0, &src, &m, &e);
    *sec = now() - t0;
    if (rc) fprintf(stderr, "bench_sched: %s\n", e.msg);
    return rc;
}

static int checkpoint(bench *b) {
    char path[4400];
    snprintf(path, sizeof path, "%s/bench.h5.part-%016llx", b->dir, (unsigned long long)journal_bytes(b->j));
    double sec;
    if (write_from_store(b, path, b->ck_idx, b->ck_n, &sec)) return 1;
    b->part_bytes += file_size(path);
    unlink(path);
    b->t_ck += sec;
    if (sec > b->ck_max) b->ck_max = sec;
    b->n_parts++;
    long done = b->st.n;
    int mark = done * 10 >= b->n_tasks && b->printed == 0 ? 1 : done * 2 >= b->n_tasks && b->printed == 1 ? 2
             : done >= b->n_tasks && b->printed == 2 ? 3 : 0;
    if (mark) {
        b->printed = mark;
        printf("checkpoint at %3.0f%% (%ld tasks stored): %d new tasks in %.4f s", 100.0 * (double)done / (double)b->n_tasks,
               done, b->ck_n, sec);
        if (b->old_writer) {
            char whole[4400];
            snprintf(whole, sizeof whole, "%s/bench_whole.h5", b->dir);
            double ws;
            if (write_from_store(b, whole, NULL, b->st.n, &ws)) return 1;
            printf("; the whole-rewrite writer: %.3f s (%.1f MB file)", ws, (double)file_size(whole) / 1e6);
            unlink(whole);
        }
        printf("\n");
        fflush(stdout);
    }
    b->ck_n = 0;
    return 0;
}

/* ---- sched callbacks --------------------------------------------------------- */

static int b_next(void *ctx, int32_t msg[4], const void **payload, size_t *plen) {
    bench *b = ctx;
    if (b->next >= b->n_tasks) return 0;
    msg[0] = (int32_t)b->next++;
    if (b->verify) {
        /* the record of task msg[0] - 1 goes with it */
        fill_record(b, &b->rec, msg[0] - 1);
        msg[1] = 1;
        *payload = b->rec.p;
        *plen = b->rec.len;
    }
    return 1;
}

static int b_result(void *ctx, int rank, const int32_t msg[4], const void *buf, size_t len) {
    bench *b = ctx;
    (void)rank;
    if (b->verify && !check_record(b, msg[0], buf, len)) b->bad++;
    if (!b->j) return 0;
    rs_err e;
    double t0 = now();
    uint64_t off = journal_bytes(b->j) + JOURNAL_REC_HEADER;
    if (journal_append(b->j, buf, len, &e)) { fprintf(stderr, "bench_sched: %s\n", e.msg); return 1; }
    if (b->results) {
        const task_head *h = buf;
        int at;
        if (store_put_ref(&b->st, h->task_key, h->status, off, len) || (at = store_find(&b->st, h->task_key)) < 0)
            return 1;
        b->ck_idx[b->ck_n++] = at;
        b->t_result += now() - t0;
        if (b->ck_n >= b->ck_every || b->st.n == b->n_tasks) return checkpoint(b);
    } else b->t_result += now() - t0;
    return 0;
}

static int b_run(void *ctx, const int32_t msg[4], const void *payload, size_t plen, const void **buf, size_t *len) {
    bench *b = ctx;
    if (b->verify) {
        if (msg[1] != 1 || !check_record(b, msg[0] - 1, payload, plen)) {
            fprintf(stderr, "bench_sched: task %d: the payload arrived different (%zu bytes)\n", msg[0], plen);
            return 1;          /* sched_work aborts the job: the test fails */
        }
    }
    fill_record(b, &b->rec, msg[0]);
    *buf = b->rec.p;
    *len = b->rec.len;
    return 0;
}

/* ---- --resume ------------------------------------------------------------------ */

static int resume_bench(const char *path, const char *mode) {
    double t0 = now();
    rs_err e;
    long n = 0, bad = 0;
    store st;
    memset(&st, 0, sizeof st);
    if (!strcmp(mode, "whole")) {
        journal_contents c;
        if (journal_read(path, &c, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        for (int i = 0; i < c.n; i++)
            if (store_put(&st, c.rec[i].p, c.rec[i].len)) return 1;
        n = c.n;
        journal_contents_free(&c);
    } else {
        journal_index ix;
        if (journal_index_scan(path, &ix, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        for (int i = 0; i < ix.n; i++)
            if (store_put_ref(&st, ix.ent[i].key, ix.ent[i].status, ix.ent[i].off, (size_t)ix.ent[i].len)) return 1;
        n = ix.n;
        journal_index_free(&ix);
        if (store_attach(&st, path, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    }
    double t_index = now() - t0;
    /* resume_choose reads every record's head and rows once */
    task_buf rb = { 0 };
    for (int i = 0; i < st.n; i++) {
        task_view v;
        bad += store_get_rows(&st, i, &rb, &v, NULL) != 0;
    }
    double t_all = now() - t0;
    printf("resume mode=%s records=%ld journal_bytes=%llu index_s=%.3f with_read_back_s=%.3f peak_rss_mb=%.1f "
           "bad=%ld\n", mode, n, (unsigned long long)file_size(path), t_index, t_all, (double)maxrss_kb() / 1024.0,
           bad);
    task_buf_free(&rb);
    store_free(&st);
    return bad != 0;
}

int main(int argc, char **argv) {
    const char *resume = NULL, *rmode = "index";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--resume")) resume = argv[i + 1];
        else if (!strcmp(argv[i], "--resume-mode")) rmode = argv[i + 1];
    }
    if (resume) return resume_bench(resume, rmode);

    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    static bench b;
    memset(&b, 0, sizeof b);
    int status = 0;
    b.n_tasks = 20000;
    int n_strat = 9, n_test = 252, n_out = 1;
    const char *jdir = NULL, *rdir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--tasks")) b.n_tasks = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--test-bars")) n_test = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--strategies")) n_strat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--outputs")) n_out = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--journal")) jdir = argv[i + 1];
        else if (!strcmp(argv[i], "--results")) jdir = rdir = argv[i + 1];
        else if (!strcmp(argv[i], "--checkpoint-every")) b.ck_every = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--old-writer")) b.old_writer = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--verify")) b.verify = atoi(argv[i + 1]);
    }
    rs_err e;
    if (rdir && b.verify) {
        if (rank == 0) fprintf(stderr, "bench_sched: --verify and --results are separate benches\n");
        MPI_Finalize();
        return 2;
    }
    if (rdir) {
        /* the synthetic plan: N/100 model points (seeds) x S strategy points
         * (thresholds), every rank builds it (the workers key their records) */
        b.results = 1;
        long models = (b.n_tasks + N_FOLDS - 1) / N_FOLDS;
        size_t cap = 512 + (size_t)models * 12 + (size_t)n_strat * 16;
        char *ini = malloc(cap), *q = ini;
        q += sprintf(q, "[data]\ninstruments = X\nX.path = none.csv\n[features]\nX = logret\n[target]\nkind = %s\n"
                     "horizon = 1\n[model]\ncell = gru\nhidden = 4\nlookback = 5\nseed = ", n_out == 3 ? "trend3" : "return");
        for (long m = 0; m < models; m++) q += sprintf(q, "%s%ld", m ? ", " : "", m + 1);
        q += sprintf(q, "\n[strategy]\n%s = ", n_out == 3 ? "min_prob" : "threshold");
        for (int s = 0; s < n_strat; s++) q += sprintf(q, "%s%g", s ? ", " : "", n_out == 3 ? 0.34 + 0.0001 * s : 0.0001 * s);
        q += sprintf(q, "\n[run]\nname = bench\n");
        if (config_load_text(ini, "bench.ini", &b.cfg, &e) || plan_build(&b.cfg, &b.plan, &e)) {
            if (rank == 0) fprintf(stderr, "bench_sched: the synthetic plan: %s\n", e.msg);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        free(ini);
        if (b.plan.n_models != models || b.plan.n_strategies != n_strat) {
            if (rank == 0) fprintf(stderr, "bench_sched: plan of %d x %d, wanted %ld x %d\n", b.plan.n_models,
                                   b.plan.n_strategies, models, n_strat);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (!b.ck_every) b.ck_every = b.n_tasks / 20 > 0 ? (int)(b.n_tasks / 20) : 1;
        b.ck_idx = malloc((size_t)b.ck_every * sizeof *b.ck_idx + sizeof *b.ck_idx);
        if (!b.ck_idx) MPI_Abort(MPI_COMM_WORLD, 1);
    }
    /* a well-formed record of the requested shape */
    task_head h;
    memset(&h, 0, sizeof h);
    h.n_strat = n_strat;
    h.n_test = n_test;
    h.n_out = n_out;
    task_row *rows = calloc((size_t)n_strat, sizeof *rows);
    int64_t *t = calloc((size_t)n_test, sizeof *t);
    double *y = calloc((size_t)n_test, sizeof *y), *pred = calloc((size_t)n_test * (size_t)n_out, sizeof *pred);
    float *ret = calloc((size_t)n_test * (size_t)n_strat, sizeof *ret), *bh = calloc((size_t)n_test, sizeof *bh);
    if (!rows || !t || !y || !pred || !ret || !bh || task_pack(&b.rec, &h, rows, t, y, pred, ret, bh, NULL, &e))
        MPI_Abort(MPI_COMM_WORLD, 1);
    free(rows); free(t); free(y); free(pred); free(ret); free(bh);
    if (b.verify) {
        b.want.p = malloc(b.rec.len);
        if (!b.want.p) MPI_Abort(MPI_COMM_WORLD, 1);
        memcpy(b.want.p, b.rec.p, b.rec.len);
        b.want.len = b.want.cap = b.rec.len;
    }
    if (rank == 0 && jdir) {
        snprintf(b.dir, sizeof b.dir, "%s", jdir);
        snprintf(b.jpath, sizeof b.jpath, "%s/bench_sched.%d.journal", jdir, (int)getpid());
        if (journal_create(b.jpath, 0, "", 0, &b.j, &e) || (b.results && store_attach(&b.st, b.jpath, &e))) {
            fprintf(stderr, "%s\n", e.msg);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    sched_ops ops = { &b, b_next, b_result, NULL, b_run, NULL, 0 };
    MPI_Barrier(MPI_COMM_WORLD);
    sched_stats st;
    memset(&st, 0, sizeof st);
    if (rank == 0) {
        int r = size == 1 ? sched_serial(&ops, &st) : sched_coordinate(MPI_COMM_WORLD, &ops, &st);
        if (r != SCHED_DONE) status = 1;
        /* one rank runs the tasks itself: there is no coordinator CPU apart
         * from its work (sched_serial does not measure it) */
        char cpu[32] = "n/a";
        if (size > 1) snprintf(cpu, sizeof cpu, "%.0f%%", 100.0 * st.cpu_seconds / st.wall);
        printf("sched ranks=%d workers=%d tasks=%ld record_bytes=%zu journal=%s seconds=%.3f tasks_per_s=%.0f "
               "us_per_task=%.1f coordinator_cpu=%s\n", size, size > 1 ? size - 1 : 1, b.n_tasks,
               b.rec.len, jdir ? "yes" : "no", st.wall, b.n_tasks / st.wall, 1e6 * st.wall / b.n_tasks, cpu);
        if (b.j) {
            uint64_t jb = journal_bytes(b.j);
            printf("rank0 result path (journal append%s): %.1f us/task; journal %.0f bytes/task\n",
                   b.results ? " + store reference" : "", 1e6 * b.t_result / (double)b.n_tasks, (double)jb / (double)b.n_tasks);
        }
        if (b.results) {
            printf("checkpoints: %d in %.3f s (%.1f us/task amortised), the longest %.4f s; part files %.0f bytes/task\n",
                   b.n_parts, b.t_ck, 1e6 * b.t_ck / (double)b.n_tasks, b.ck_max, (double)b.part_bytes / (double)b.n_tasks);
            char fin[4400];
            snprintf(fin, sizeof fin, "%s/bench_final.h5", b.dir);
            double fs;
            if (write_from_store(&b, fin, NULL, b.st.n, &fs)) status = 1;
            else printf("final whole write (streamed from the journal): %.3f s, file %.0f bytes/task; rank 0 peak RSS %.1f MB\n",
                        fs, (double)file_size(fin) / (double)b.n_tasks, (double)maxrss_kb() / 1024.0);
            unlink(fin);
        }
        if (b.j) {
            journal_close(b.j, NULL);
            /* kept for --resume when BENCH_KEEP_JOURNAL is set */
            if (getenv("BENCH_KEEP_JOURNAL")) printf("journal kept: %s\n", b.jpath);
            else unlink(b.jpath);
        }
        if (b.verify)
            printf("verify: %ld of %ld results arrived different (part size %zu bytes)\n", b.bad, st.results,
                   sched_part_bytes());
        if (b.bad || (b.verify && st.results != b.n_tasks)) status = 1;
    } else {
        sched_work(MPI_COMM_WORLD, &ops);
    }
    task_buf_free(&b.rec);
    task_buf_free(&b.want);
    task_buf_free(&b.rb);
    store_free(&b.st);
    free(b.ck_idx);
    if (b.results) { plan_free(&b.plan); config_free(&b.cfg); }
    MPI_Finalize();
    return status;
}

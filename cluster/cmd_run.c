/*
 * cmd_run.c — `rnnsweep run CONFIG [-o FILE.h5] [--resume] [--retry-failed]
 * [--shard K/N] [--threads T]`: the sweep (DESIGN.md, "Data flow").
 *
 *   every rank   MPI_Init; parse the command line
 *   rank 0       validate the config and the output, load and prepare the
 *                data, expand the tasks, read the journal (--resume), write
 *                the results file with what is already known
 *   broadcast    a status (so a bad input ends every rank with status 2),
 *                the INI text, the prepared data block
 *   every rank   rebuild the plan from the INI text — workers never read
 *                files — and check its hash against rank 0's
 *   run          sched.h: rank 0 coordinates (or runs the tasks itself with
 *                one rank); each result is appended to the journal, flushed,
 *                and the results file is rewritten from the journal every
 *                --checkpoint seconds and at the end
 *
 * Exit statuses: 0 the sweep is complete (failed TASKS are recorded
 * results, not a failed run), 1 internal error, 2 bad input (nothing
 * created or touched), 75 (EX_TEMPFAIL) drained on SIGTERM / SIGUSR1: the
 * results so far are flushed and `--resume` continues — job scripts
 * requeue on 75.
 */
#include "cluster/commands.h"
#include "cluster/sched.h"
#include "coordinator/config.h"
#include "coordinator/journal.h"
#include "coordinator/plan.h"
#include "coordinator/prepare.h"
#include "coordinator/results.h"
#include "worker/task.h"
#include "worker/version.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_REQUEUE 75

extern char *openblas_get_config(void);

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep run CONFIG.ini [-o FILE.h5] [--resume] [--retry-failed]\n"
        "                   [--shard K/N] [--threads T] [--checkpoint SECONDS] [--quiet]\n"
        "Run a sweep: every model point x walk-forward fold is a task; each task trains once and\n"
        "backtests every strategy point.  Under mpirun/srun rank 0 coordinates and the other ranks\n"
        "work; with one rank it runs the tasks itself.\n"
        "  -o FILE.h5         results file (default: [run] output, else results/<name>.h5); the\n"
        "                     journal FILE.h5.journal beside it is the source of truth\n"
        "  --resume           continue FILE.h5: finished tasks are kept, the rest run; a grid\n"
        "                     extended since reuses every unchanged task; a change to data,\n"
        "                     features, target or walk-forward is refused\n"
        "  --retry-failed     with --resume, also rerun tasks whose status is 'failed'\n"
        "                     ('diverged' and 'empty' are deterministic and are kept)\n"
        "  --shard K/N        run only shard K of N (1 <= K <= N) of the tasks, for job arrays;\n"
        "                     combine the files with 'rnnsweep merge'\n"
        "  --threads T        OpenMP threads per rank (default: [run] threads, else OMP_NUM_THREADS)\n"
        "  --checkpoint S     rewrite the results file from the journal every S seconds (60)\n"
        "  --quiet            no progress lines\n"
        "Exit status: 0 complete, 1 internal error, 2 bad input, 75 drained on SIGTERM/SIGUSR1\n"
        "(rerun with --resume to continue).\n");
}

/* ---- the record store: every finished task, by key --------------------- */

typedef struct {
    int        n, cap;
    task_buf  *rec;            /* [n] packed records (owned)                 */
    size_t     hcap;           /* open addressing: key -> index + 1          */
    uint64_t  *hkey;
    int       *hidx;
} store;

static int store_find(const store *s, uint64_t key) {
    if (!s->hcap) return -1;
    for (size_t i = rs_hash64(key) & (s->hcap - 1);; i = (i + 1) & (s->hcap - 1)) {
        if (!s->hidx[i]) return -1;
        if (s->hkey[i] == key) return s->hidx[i] - 1;
    }
}

static int store_rehash(store *s, size_t cap) {
    uint64_t *k = calloc(cap, sizeof *k);
    int *x = calloc(cap, sizeof *x);
    if (!k || !x) { free(k); free(x); return -1; }
    free(s->hkey);
    free(s->hidx);
    s->hkey = k;
    s->hidx = x;
    s->hcap = cap;
    for (int r = 0; r < s->n; r++) {
        uint64_t key = ((const task_head *)s->rec[r].p)->task_key;
        size_t i = rs_hash64(key) & (cap - 1);
        while (x[i]) i = (i + 1) & (cap - 1);
        k[i] = key;
        x[i] = r + 1;
    }
    return 0;
}

/* Keep a copy of a packed record; a record with the same task key
 * replaces the old one (a retried failure).  Returns 0 or -1 (memory). */
static int store_put(store *s, const void *buf, size_t len) {
    uint64_t key = ((const task_head *)buf)->task_key;
    int at = store_find(s, key);
    if (at < 0) {
        if (s->n == s->cap) {
            int nc = s->cap ? 2 * s->cap : 256;
            task_buf *r = realloc(s->rec, (size_t)nc * sizeof *r);
            if (!r) return -1;
            memset(r + s->cap, 0, (size_t)(nc - s->cap) * sizeof *r);
            s->rec = r;
            s->cap = nc;
        }
        at = s->n++;
    }
    task_buf *b = &s->rec[at];
    if (b->cap < len) {
        void *p = realloc(b->p, len);
        if (!p) return -1;
        b->p = p;
        b->cap = len;
    }
    memcpy(b->p, buf, len);
    b->len = len;
    if ((size_t)s->n * 2 > s->hcap) return store_rehash(s, s->hcap ? s->hcap * 4 : 1024);
    if (store_find(s, key) < 0) return store_rehash(s, s->hcap);
    return 0;
}

static void store_free(store *s) {
    for (int i = 0; i < s->n; i++) task_buf_free(&s->rec[i]);
    free(s->rec);
    free(s->hkey);
    free(s->hidx);
    memset(s, 0, sizeof *s);
}

/* ---- the run ------------------------------------------------------------ */

typedef struct {
    /* command line */
    const char   *config_path;
    const char   *output_opt;
    int           resume, retry_failed, quiet;
    int           shard_k, shard_n;
    int           threads;
    double        checkpoint;
    /* MPI */
    int           rank, size;
    /* every rank */
    sweep_config  cfg;
    sweep_plan    plan;
    task_data     data;
    bt_strategy  *strat;
    uint64_t     *skey;
    task_buf      out;           /* worker's result buffer                    */
    /* rank 0 */
    char          output[CFG_PATH_MAX], jpath[CFG_PATH_MAX + 16];
    plan_task    *tasks;
    int           n_tasks;
    results_fold *folds;
    int           n_folds;
    int          *todo;          /* indices into tasks, in hand-out order     */
    int           n_todo, next_todo;
    int           n_planned;     /* tasks of this shard                       */
    store         st;
    journal      *j;
    int           dirty;         /* records since the last results write      */
    double        t_start, t_last_write, t_last_progress;
    double        cost_todo, cost_done;
    int           done_now, failed_now;
    double       *busy;          /* [size] task seconds per rank              */
    char          created[40];
    char         *hosts;
    int           io_failed;
} run;

static void progress(run *R, int final) {
    if (R->quiet && !final) return;
    double now = rs_now(), el = now - R->t_start;
    int failed = R->failed_now;
    int done = R->n_planned - (R->n_todo - R->done_now);
    double rate = el > 0 ? R->done_now / el : 0;
    char eta[32] = "-";
    if (R->cost_done > 0 && R->done_now < R->n_todo) {
        double s = el * (R->cost_todo - R->cost_done) / R->cost_done;
        snprintf(eta, sizeof eta, "%d:%02d", (int)(s / 60), (int)fmod(s, 60));
    } else if (R->done_now == R->n_todo) snprintf(eta, sizeof eta, "0:00");
    fprintf(stderr, "rnnsweep: %d/%d tasks (%.0f%%), %d failed, %.2f tasks/s, ETA %s, elapsed %.1f s\n",
            done, R->n_planned, R->n_planned ? 100.0 * done / R->n_planned : 100.0, failed, rate, eta, el);
    R->t_last_progress = now;
}

static int write_results(run *R, rs_err *e) {
    task_view *v = malloc((size_t)(R->st.n ? R->st.n : 1) * sizeof *v);
    if (!v) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int n = 0;
    for (int i = 0; i < R->st.n; i++)
        if (!task_view_parse(R->st.rec[i].p, R->st.rec[i].len, &v[n], NULL)) n++;
    char blas[256];
    const char *core = getenv("OPENBLAS_CORETYPE");
    snprintf(blas, sizeof blas, "%s%s%s", openblas_get_config(), core ? "; OPENBLAS_CORETYPE=" : "",
             core ? core : "");
    char shard[32] = "";
    if (R->shard_n) snprintf(shard, sizeof shard, "%d/%d", R->shard_k, R->shard_n);
    results_meta m = { .created = R->created, .ranks = R->size, .threads = omp_get_max_threads(),
                       .blas = blas, .hosts = R->hosts, .shard = shard, .tasks_planned = R->n_planned,
                       .bar_seconds = R->data.bar_seconds };
    int rc = results_write(R->output, &R->cfg, &R->plan, R->folds, R->n_folds, v, n, &m, e);
    free(v);
    if (!rc) {
        R->dirty = 0;
        R->t_last_write = rs_now();
    }
    return rc;
}

/* sched callbacks (rank 0) */
static int on_next(void *ctx, int32_t msg[4]) {
    run *R = ctx;
    if (R->next_todo >= R->n_todo) return 0;
    const plan_task *t = &R->tasks[R->todo[R->next_todo]];
    msg[0] = t->model;
    msg[1] = t->fold_id;
    msg[2] = R->todo[R->next_todo];
    msg[3] = 0;
    R->next_todo++;
    return 1;
}

static int on_result(void *ctx, int rank, const int32_t msg[4], const void *buf, size_t len) {
    run *R = ctx;
    rs_err e;
    task_view v;
    const plan_task *t = &R->tasks[msg[2]];
    if (task_view_parse(buf, len, &v, &e) || v.h->task_key != t->key) {
        fprintf(stderr, "rnnsweep: rank %d returned a bad record for task %d: %s\n", rank, msg[2],
                v.h ? "wrong key" : e.msg);
        R->io_failed = 1;
        return 1;
    }
    if (journal_append(R->j, buf, len, &e) || store_put(&R->st, buf, len)) {
        fprintf(stderr, "rnnsweep: %s\n", e.msg);
        R->io_failed = 1;
        return 1;
    }
    R->dirty = 1;
    R->done_now++;
    R->cost_done += t->cost > 0 ? t->cost : 0;
    if (v.h->status == TASK_FAILED) {
        R->failed_now++;
        char id[FOLD_ID_MAX];
        fprintf(stderr, "rnnsweep: task %016llx (model %d, fold %s) failed: %s\n",
                (unsigned long long)t->key, t->model, fold_id_text(t->fold_id, id, sizeof id), v.h->message);
    }
    if (rank >= 0 && rank < R->size) R->busy[rank] += v.h->sec_total;
    return 0;
}

static int on_idle(void *ctx) {
    run *R = ctx;
    double now = rs_now();
    if (now - R->t_last_progress >= 2.0 && R->done_now) progress(R, 0);
    if (R->dirty && now - R->t_last_write >= R->checkpoint) {
        rs_err e;
        if (write_results(R, &e)) fprintf(stderr, "rnnsweep: checkpoint failed (will retry): %s\n", e.msg);
    }
    return 0;
}

/* worker (any rank) */
static int on_run(void *ctx, const int32_t msg[4], const void **buf, size_t *len) {
    run *R = ctx;
    if (msg[0] < 0 || msg[0] >= R->plan.n_models) return 1;
    plan_task t;
    memset(&t, 0, sizeof t);
    t.model = msg[0];
    t.fold_id = msg[1];
    t.key = plan_task_key(&R->plan.models[t.model], t.fold_id);
    task_input in;
    prepare_input(&R->plan, &R->data, &t, R->strat, R->skey, &in);
    in.rank = R->rank;
    rs_err e;
    if (task_run(&R->data, &in, &R->out, &e)) {
        char id[FOLD_ID_MAX];
        fprintf(stderr, "rnnsweep: rank %d: task (model %d, fold %s): %s\n", R->rank, t.model,
                fold_id_text(t.fold_id, id, sizeof id), e.msg);
        return 1;
    }
    *buf = R->out.p;
    *len = R->out.len;
    return 0;
}

static void on_signal(int sig) {
    (void)sig;
    sched_drain();
}

/* ---- rank 0 set-up ---------------------------------------------------------- */

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Does the record cover every strategy of the current plan?  A record from
 * before the strategy grid was extended lacks rows; it is rerun (training
 * is deterministic, so the kept rows would come out the same). */
static int covers_strategies(const run *R, const task_view *v) {
    if (v->h->n_strat < R->plan.n_strategies) return 0;
    for (int s = 0; s < R->plan.n_strategies; s++) {
        int found = 0;
        for (int r = 0; r < v->h->n_strat && !found; r++)
            found = v->rows[r].strategy_key == R->plan.strategies[s].key;
        if (!found) return 0;
    }
    return 1;
}

static int check_compatible_ini(const run *R, const char *ini, const char *what, rs_err *e) {
    sweep_config old;
    rs_err ce;
    if (config_load_text(ini, what, &old, &ce))
        return rs_err_set(e, RS_EINPUT, "%s: its stored config no longer loads (%s); write to a new output file",
                          what, ce.msg);
    int rc = config_check_compatible(&old, &R->cfg, &ce);
    config_free(&old);
    if (rc) return rs_err_set(e, RS_EINPUT, "--resume %s: %s", R->output, ce.msg);
    return 0;
}

static int setup_rank0(run *R, uint64_t *journal_hash, rs_err *e) {
    int rc;
    if ((rc = config_load(R->config_path, &R->cfg, e)) || (rc = config_check_paths(&R->cfg, e))) return rc;
    if (R->output_opt) snprintf(R->output, sizeof R->output, "%s", R->output_opt);
    else if (R->cfg.run.output[0]) snprintf(R->output, sizeof R->output, "%s", R->cfg.run.output);
    else if (R->shard_n)
        snprintf(R->output, sizeof R->output, "results/%s.shard%dof%d.h5", R->cfg.run.name, R->shard_k,
                 R->shard_n);
    else snprintf(R->output, sizeof R->output, "results/%s.h5", R->cfg.run.name);
    snprintf(R->jpath, sizeof R->jpath, "%s.journal", R->output);
    if (!R->resume && (file_exists(R->output) || file_exists(R->jpath)))
        return rs_err_set(e, RS_EINPUT, "%s exists: add --resume to continue that sweep, or choose another "
                          "file with -o", file_exists(R->output) ? R->output : R->jpath);
    /* the output's directory: results/ is created, anything else must exist */
    char dir[CFG_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", R->output);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        if (!file_exists(dir)) {
            if (strcmp(dir, "results") || mkdir(dir, 0755))
                return rs_err_set(e, RS_EINPUT, "-o %s: directory '%s' does not exist", R->output, dir);
        }
    }
    if ((rc = plan_build(&R->cfg, &R->plan, e))) return rc;
    prepare_info info;
    if (!R->quiet) fprintf(stderr, "rnnsweep: loading data for %s\n", R->config_path);
    if ((rc = prepare_data(&R->cfg, &R->data, &info, e))) return rc;
    if (!R->quiet) { fprintf(stderr, "rnnsweep: "); prepare_describe(&info, stderr); }
    plan_set_bar_seconds(&R->plan, R->data.bar_seconds);
    if ((rc = prepare_tasks(&R->cfg, &R->plan, &R->data, &R->tasks, &R->n_tasks, &R->folds, &R->n_folds, e)))
        return rc;
    *journal_hash = rs_hash2(R->cfg.data_hash, info.content_hash);
    return 0;
}

/* Load what is already finished (--resume), open or create the journal. */
static int open_journal(run *R, uint64_t journal_hash, rs_err *e) {
    int rc;
    if (R->resume && file_exists(R->jpath)) {
        journal_contents jc;
        if ((rc = journal_read(R->jpath, &jc, e))) return rc;
        if ((rc = check_compatible_ini(R, jc.ini_text, R->jpath, e))) { journal_contents_free(&jc); return rc; }
        if (jc.head.data_hash != journal_hash) {
            journal_contents_free(&jc);
            return rs_err_set(e, RS_EINPUT, "--resume %s: the data files' contents changed since this sweep "
                              "started (same config, different bytes); write to a new output file", R->output);
        }
        if (jc.torn_bytes)
            fprintf(stderr, "rnnsweep: %s: ignoring a torn tail of %zu bytes (a task in flight when the run "
                    "stopped; it will rerun)\n", R->jpath, jc.torn_bytes);
        for (int i = 0; i < jc.n; i++)
            if (store_put(&R->st, jc.rec[i].p, jc.rec[i].len)) {
                journal_contents_free(&jc);
                return rs_err_set(e, RS_EINTERNAL, "out of memory");
            }
        size_t valid = jc.valid_bytes;
        journal_contents_free(&jc);
        return journal_open_append(R->jpath, valid, &R->j, e);
    }
    if (R->resume && file_exists(R->output)) {
        /* no journal (e.g. a merged file): seed a new one from the results */
        results_file rf;
        if ((rc = results_read(R->output, &rf, e))) return rc;
        if ((rc = check_compatible_ini(R, rf.ini_text, R->output, e))) { results_file_free(&rf); return rc; }
        for (int i = 0; i < rf.n_tasks; i++)
            if (store_put(&R->st, rf.tasks[i].p, rf.tasks[i].len)) {
                results_file_free(&rf);
                return rs_err_set(e, RS_EINTERNAL, "out of memory");
            }
        snprintf(R->created, sizeof R->created, "%s", rf.created);
        results_file_free(&rf);
    }
    if ((rc = journal_create(R->jpath, journal_hash, R->cfg.ini_text, R->cfg.ini_len, &R->j, e))) return rc;
    for (int i = 0; i < R->st.n; i++)
        if ((rc = journal_append(R->j, R->st.rec[i].p, R->st.rec[i].len, e))) return rc;
    return journal_sync(R->j, e);
}

/* Which tasks run now: this shard's, minus finished ones. */
static int choose_todo(run *R, rs_err *e) {
    R->todo = malloc((size_t)(R->n_tasks ? R->n_tasks : 1) * sizeof *R->todo);
    if (!R->todo) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int reused = 0, stale = 0, retried = 0;
    for (int i = 0; i < R->n_tasks; i++) {
        if (R->shard_n && i % R->shard_n != R->shard_k - 1) continue;
        R->n_planned++;
        int at = store_find(&R->st, R->tasks[i].key);
        if (at >= 0) {
            task_view v;
            if (!task_view_parse(R->st.rec[at].p, R->st.rec[at].len, &v, NULL)) {
                if (R->retry_failed && v.h->status == TASK_FAILED) retried++;
                else if (!covers_strategies(R, &v)) stale++;
                else { reused++; continue; }
            }
        }
        R->todo[R->n_todo++] = i;
        R->cost_todo += R->tasks[i].cost;
    }
    if (!R->quiet && (reused || stale || retried))
        fprintf(stderr, "rnnsweep: resume: %d finished tasks kept, %d rerun for new strategy points, "
                "%d failed tasks retried\n", reused, stale, retried);
    return 0;
}

static char *gather_hosts(int rank, int size) {
    char name[MPI_MAX_PROCESSOR_NAME] = "";
    int len = 0;
    MPI_Get_processor_name(name, &len);
    char *all = rank == 0 ? calloc((size_t)size, MPI_MAX_PROCESSOR_NAME) : NULL;
    MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0,
               MPI_COMM_WORLD);
    if (rank != 0 || !all) return NULL;
    size_t cap = (size_t)size * (MPI_MAX_PROCESSOR_NAME + 1) + 1, k = 0;
    char *out = calloc(cap, 1);
    for (int r = 0; out && r < size; r++) {
        const char *h = all + (size_t)r * MPI_MAX_PROCESSOR_NAME;
        int seen = 0;
        for (int q = 0; q < r && !seen; q++) seen = !strcmp(h, all + (size_t)q * MPI_MAX_PROCESSOR_NAME);
        if (!seen) k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? "," : "", h);
    }
    free(all);
    return out;
}

/* ---- broadcast ---------------------------------------------------------------- */

typedef struct {
    int32_t    status;
    int32_t    threads;
    int64_t    ini_len;
    uint64_t   sweep_hash;
    task_setup setup;
    int64_t    n, first_valid;
    int32_t    n_feat, n_inst;
    double     bar_seconds;
} bcast_head;

static void bcast_bytes(void *p, size_t n) {
    unsigned char *b = p;
    while (n) {
        int c = n > (1u << 30) ? (1 << 30) : (int)n;
        MPI_Bcast(b, c, MPI_BYTE, 0, MPI_COMM_WORLD);
        b += c;
        n -= (size_t)c;
    }
}

/* Non-root ranks wait for rank 0's set-up without spinning (it may load
 * data for a while on a core they share). */
static void bcast_head_wait(bcast_head *h, int rank) {
    MPI_Request r;
    MPI_Ibcast(h, (int)sizeof *h, MPI_BYTE, 0, MPI_COMM_WORLD, &r);
    if (rank == 0) MPI_Wait(&r, MPI_STATUS_IGNORE);
    else sched_wait(&r, MPI_STATUS_IGNORE);
}

static int parse_args(run *R, int argc, char **argv, int *help) {
    *help = 0;
    R->checkpoint = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { *help = 1; return 0; }
        if (!strcmp(a, "--resume")) { R->resume = 1; continue; }
        if (!strcmp(a, "--retry-failed")) { R->retry_failed = 1; continue; }
        if (!strcmp(a, "--quiet")) { R->quiet = 1; continue; }
        if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--shard") || !strcmp(a, "--threads") ||
            !strcmp(a, "--checkpoint")) {
            if (i + 1 >= argc) {
                if (R->rank == 0) fprintf(stderr, "rnnsweep run: %s needs a value (see --help)\n", a);
                return 2;
            }
            const char *v = argv[++i];
            char *end;
            if (a[1] == 'o' || !strcmp(a, "--output")) R->output_opt = v;
            else if (!strcmp(a, "--shard")) {
                if (sscanf(v, "%d/%d", &R->shard_k, &R->shard_n) != 2 || R->shard_n < 1 || R->shard_k < 1 ||
                    R->shard_k > R->shard_n) {
                    if (R->rank == 0) fprintf(stderr, "rnnsweep run: --shard '%s': expected K/N with 1 <= K <= N\n", v);
                    return 2;
                }
            } else if (!strcmp(a, "--threads")) {
                long t = strtol(v, &end, 10);
                if (*end || t < 1 || t > 1024) {
                    if (R->rank == 0) fprintf(stderr, "rnnsweep run: --threads '%s': expected 1..1024\n", v);
                    return 2;
                }
                R->threads = (int)t;
            } else {
                double s = strtod(v, &end);
                if (*end || !(s >= 0)) {
                    if (R->rank == 0) fprintf(stderr, "rnnsweep run: --checkpoint '%s': expected seconds >= 0\n", v);
                    return 2;
                }
                R->checkpoint = s;
            }
            continue;
        }
        if (a[0] == '-' || R->config_path) {
            if (R->rank == 0) fprintf(stderr, "rnnsweep run: unexpected argument '%s' (see --help)\n", a);
            return 2;
        }
        R->config_path = a;
    }
    if (R->retry_failed && !R->resume) {
        if (R->rank == 0) fprintf(stderr, "rnnsweep run: --retry-failed needs --resume\n");
        return 2;
    }
    if (!R->config_path) {
        if (R->rank == 0) fprintf(stderr, "rnnsweep run: missing CONFIG (see --help)\n");
        return 2;
    }
    return 0;
}

static void run_free(run *R) {
    config_free(&R->cfg);
    plan_free(&R->plan);
    task_data_free(&R->data);
    free(R->strat);
    free(R->skey);
    task_buf_free(&R->out);
    free(R->tasks);
    free(R->folds);
    free(R->todo);
    store_free(&R->st);
    free(R->busy);
    free(R->hosts);
}

int cmd_run(int argc, char **argv) {
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    static run R;
    memset(&R, 0, sizeof R);
    MPI_Comm_rank(MPI_COMM_WORLD, &R.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &R.size);
    int help = 0, status = parse_args(&R, argc, argv, &help);
    if (help || status) {
        if (help && R.rank == 0) usage(stdout);
        MPI_Finalize();
        return status;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    R.t_start = rs_now();
    time_t now = time(NULL);
    results_iso_time((int64_t)now, R.created);
    rs_err e;
    rs_err_clear(&e);
    bcast_head h;
    memset(&h, 0, sizeof h);
    uint64_t journal_hash = 0;
    R.hosts = gather_hosts(R.rank, R.size);
    if (R.rank == 0) {
        int rc = setup_rank0(&R, &journal_hash, &e);
        if (!rc) rc = open_journal(&R, journal_hash, &e);
        if (!rc) rc = choose_todo(&R, &e);
        if (!rc) rc = prepare_strategies(&R.plan, &R.strat, &R.skey, &e);
        if (!rc) rc = write_results(&R, &e);
        if (rc) fprintf(stderr, "rnnsweep: %s\n", e.msg);
        h.status = rc;
        if (!rc) {
            h.threads = R.threads ? R.threads : R.cfg.run.threads;
            h.ini_len = (int64_t)R.cfg.ini_len;
            h.sweep_hash = plan_sweep_hash(&R.plan);
            h.setup = R.data.setup;
            h.n = R.data.n;
            h.first_valid = R.data.first_valid;
            h.n_feat = R.data.n_feat;
            h.n_inst = R.data.n_inst;
            h.bar_seconds = R.data.bar_seconds;
        }
    }
    bcast_head_wait(&h, R.rank);
    if (h.status) {
        if (R.j) journal_close(R.j, NULL);
        run_free(&R);
        MPI_Finalize();
        return h.status;
    }
    /* the INI text and the data */
    char *ini = R.rank == 0 ? R.cfg.ini_text : calloc((size_t)h.ini_len + 1, 1);
    if (!ini) MPI_Abort(MPI_COMM_WORLD, 1);
    bcast_bytes(ini, (size_t)h.ini_len);
    if (R.rank != 0) {
        if (task_data_alloc(&R.data, h.n, h.n_feat, h.n_inst, &e)) MPI_Abort(MPI_COMM_WORLD, 1);
        R.data.setup = h.setup;
        R.data.first_valid = h.first_valid;
        R.data.bar_seconds = h.bar_seconds;
    }
    bcast_bytes(R.data.block, R.data.block_bytes);
    if (R.rank != 0) {
        int rc = config_load_text(ini, R.config_path, &R.cfg, &e);
        if (!rc) rc = plan_build(&R.cfg, &R.plan, &e);
        if (!rc) {
            plan_set_bar_seconds(&R.plan, R.data.bar_seconds);
            rc = prepare_strategies(&R.plan, &R.strat, &R.skey, &e);
        }
        if (rc || plan_sweep_hash(&R.plan) != h.sweep_hash) {
            fprintf(stderr, "rnnsweep: rank %d: the plan rebuilt from rank 0's config differs: %s\n", R.rank,
                    rc ? e.msg : "sweep hash mismatch");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        free(ini);
    }
    if (h.threads > 0) omp_set_num_threads(h.threads);

    sched_ops ops = { &R, on_next, on_result, on_idle, on_run };
    int result = SCHED_DONE;
    sched_stats ss;
    memset(&ss, 0, sizeof ss);
    if (R.rank == 0) {
        R.busy = calloc((size_t)R.size, sizeof *R.busy);
        if (!R.busy) MPI_Abort(MPI_COMM_WORLD, 1);
        if (!R.quiet)
            fprintf(stderr, "rnnsweep: %d model points x %d strategy points; %d tasks in this sweep%s, %d to run "
                    "on %d rank%s x %d thread%s -> %s\n", R.plan.n_models, R.plan.n_strategies, R.n_planned,
                    R.shard_n ? " shard" : "", R.n_todo, R.size, R.size > 1 ? "s" : "", omp_get_max_threads(),
                    omp_get_max_threads() > 1 ? "s" : "", R.output);
        R.t_start = rs_now();
        R.t_last_write = R.t_start;
        R.t_last_progress = R.t_start;
        result = R.size == 1 ? sched_serial(&ops, &ss) : sched_coordinate(MPI_COMM_WORLD, &ops, &ss);
    } else {
        sched_work(MPI_COMM_WORLD, &ops);
    }

    int exit_status = 0;
    if (R.rank == 0) {
        int rc = journal_close(R.j, &e);
        R.j = NULL;
        if (rc) fprintf(stderr, "rnnsweep: %s\n", e.msg);
        if (write_results(&R, &e)) {
            fprintf(stderr, "rnnsweep: %s (the journal %s holds every result: rerun with --resume to rebuild "
                    "the file)\n", e.msg, R.jpath);
            rc = 1;
        }
        progress(&R, 1);
        if (R.size > 1) {
            fprintf(stderr, "rnnsweep: busy fraction per rank over %.1f s:", ss.wall);
            for (int r = 1; r < R.size; r++)
                fprintf(stderr, " %d:%.0f%%", r, ss.wall > 0 ? 100.0 * R.busy[r] / ss.wall : 0.0);
            fprintf(stderr, "; coordinator CPU %.2f s (%.1f%% of one core)\n", ss.cpu_seconds,
                    ss.wall > 0 ? 100.0 * ss.cpu_seconds / ss.wall : 0.0);
        }
        int n_fail = 0, n_div = 0, n_empty = 0;
        for (int i = 0; i < R.st.n; i++) {
            int s = ((const task_head *)R.st.rec[i].p)->status;
            n_fail += s == TASK_FAILED;
            n_div += s == TASK_DIVERGED;
            n_empty += s == TASK_EMPTY;
        }
        if (result == SCHED_ERROR || R.io_failed) exit_status = 1;
        else if (result == SCHED_DRAINED) {
            fprintf(stderr, "rnnsweep: drained on a signal after %d of %d tasks this run; results flushed to %s; "
                    "rerun with --resume to continue (exit %d)\n", R.done_now, R.n_todo, R.output, EXIT_REQUEUE);
            exit_status = EXIT_REQUEUE;
        } else {
            printf("rnnsweep: %s: %d tasks done (%d failed, %d diverged, %d empty folds) in %.1f s\n", R.output,
                   R.n_planned, n_fail, n_div, n_empty, ss.wall);
        }
        if (rc && !exit_status) exit_status = 1;
    }
    /* workers wait for the final status without spinning while rank 0
     * writes the results file */
    MPI_Request req;
    MPI_Ibcast(&exit_status, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
    sched_wait(&req, MPI_STATUS_IGNORE);
    run_free(&R);
    MPI_Finalize();
    return exit_status;
}

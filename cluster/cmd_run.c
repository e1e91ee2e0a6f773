/*
 * cmd_run.c — `rnnsweep run CONFIG [-o FILE.h5] [--resume] ...`: the sweep
 * (DESIGN.md, "Data flow").  This file wires the modules together; the
 * policies live where they are tested: resume.h (what a run continues
 * from, what it still runs), store.h (the records in memory), lock.h (one
 * writer per output), sched.h (the protocol, drains), comm.h (broadcasts).
 *
 *   every rank   MPI_Init; parse the command line; catch the drain signals
 *   rank 0       validate the config and the output, take the output's
 *                lock, load and prepare the data, expand the tasks, read
 *                the journal (--resume), write the results file with what
 *                is already known
 *   broadcast    a status (so a bad input ends every rank with status 2),
 *                the INI text, the prepared data block
 *   every rank   rebuild the plan from the INI text — workers never read
 *                files — and check its hash against rank 0's
 *   run          sched.h: rank 0 coordinates (or runs the tasks itself with
 *                one rank); each result is appended to the journal, flushed,
 *                and kept in the store as a reference into it; every
 *                --checkpoint seconds the results since the last checkpoint
 *                are written as a part file (FILE.h5.part-N), and at the end
 *                FILE.h5 is written whole, once, and the parts removed
 *
 * Exit statuses: 0 the sweep is complete (failed TASKS are recorded
 * results, not a failed run), 1 internal error (a full disk among them:
 * every journalled task is kept), 2 bad input (nothing created or
 * touched), 75 (EX_TEMPFAIL) drained on SIGTERM / SIGINT / SIGUSR1 /
 * SIGHUP: the finished tasks are kept and `--resume` continues — job
 * scripts requeue on 75.
 */
#include "cluster/comm.h"
#include "cluster/commands.h"
#include "cluster/sched.h"
#include "coordinator/config.h"
#include "coordinator/halving.h"
#include "coordinator/journal.h"
#include "coordinator/lock.h"
#include "coordinator/override.h"
#include "coordinator/plan.h"
#include "coordinator/prepare.h"
#include "coordinator/report.h"
#include "coordinator/results.h"
#include "coordinator/resume.h"
#include "coordinator/store.h"
#include "worker/evaluate.h"
#include "worker/kern.h"
#include "worker/task.h"
#include "worker/version.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

/* Defaults of the options below. */
#define CHECKPOINT_SECONDS 60.0   /* results file rewritten at most this often    */
#define GRACE_SECONDS      60.0   /* a drain waits this long for tasks in flight  */
#define PROGRESS_SECONDS   2.0    /* between progress lines                       */
#define TASK_PROGRESS_SECONDS 10.0 /* between a long task's own progress lines     */

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep run CONFIG.ini [--set SECTION.KEY=VALUE ...] [-o FILE.h5] [--resume]\n"
        "                   [--retry-failed] [--shard K/N] [--threads T] [--checkpoint SECONDS]\n"
        "                   [--grace SECONDS] [--lock-wait SECONDS] [--status-file FILE] [--quiet]\n"
        "Run a sweep: every model point x walk-forward fold is a task; each task trains once and\n"
        "backtests every strategy point.  Under mpirun/srun rank 0 coordinates and the other ranks\n"
        "work; with one rank it runs the tasks itself.\n"
        "  --set S.K=V        override [S] K with V before the config is validated (repeatable;\n"
        "                     Hydra's bare form model.hidden=64,128 works too): the results file\n"
        "                     stores the effective config, and keys are those of the edited file\n"
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
        "  --checkpoint S     every S seconds (%g), write the tasks finished since the last\n"
        "                     checkpoint as FILE.h5.part-N; FILE.h5 itself is written whole\n"
        "                     at the start of a sweep (of a new plan) and at the end\n"
        "  --grace S          on a drain, wait S seconds for the tasks in flight, then abandon\n"
        "                     them (they rerun on --resume; %g); a second Ctrl-C abandons at once\n"
        "  --lock-wait S      if another run holds FILE.h5's lock, wait up to S seconds (0)\n"
        "  --status-file F    rank 0 writes its exit status to F: 75 as soon as a drain starts,\n"
        "                     the final status at the end (launchers lose it: mpirun exits 1\n"
        "                     after SIGTERM whatever its ranks return; jobs/launch.sh reads F)\n"
        "  --quiet            no progress lines (otherwise a long task reports its epoch and\n"
        "                     loss every 10 s)\n"
        "Signals SIGTERM, SIGINT, SIGUSR1, SIGHUP: stop handing out tasks, collect those in flight\n"
        "(up to --grace), write the file, exit 75.\n"
        "Exit status: 0 complete, 1 internal error, 2 bad input, 75 drained (rerun with --resume).\n",
        CHECKPOINT_SECONDS, GRACE_SECONDS);
}

typedef struct { uint64_t key; int index; } key_index;

/* One part file of this run (checkpoint): its name's journal offset, its
 * records' keys (8 bytes a task, owned) and their journal bytes. */
typedef struct {
    uint64_t  end;
    int       n;
    uint64_t  bytes;
    uint64_t *keys;                  /* [n]                                       */
} ck_part;

typedef struct {
    /* command line */
    const char   *config_path;
    override_set  ov;            /* --set section.key=value                   */
    const char   *output_opt;
    const char   *status_file;
    int           resume, retry_failed, quiet;
    int           shard_k, shard_n;
    int           threads;
    double        checkpoint, grace, lock_wait;
    /* MPI */
    int           rank, size;
    char          host[TASK_HOST_MAX], blas[TASK_BLAS_MAX];
    /* every rank */
    sweep_config  cfg;
    sweep_plan    plan;
    task_data     data;
    bt_strategy  *strat;
    uint64_t     *skey;
    task_buf      out;           /* worker's result buffer                    */
    /* rank 0 */
    char          output[CFG_PATH_MAX], jpath[CFG_PATH_MAX + 16], lpath[CFG_PATH_MAX + 16];
    plan_task    *tasks;
    int           n_tasks;
    results_fold *folds;
    int           n_folds;
    int          *todo;          /* indices into tasks, in hand-out order     */
    int          *todo_mode;     /* RESUME_TRAIN | RESUME_REEVAL per todo      */
    int           n_todo, next_todo;
    resume_counts counts;
    store         st;            /* every record: references into the journal  */
    task_buf      rb;            /* a record read back from the journal       */
    task_buf      payload;       /* the re-evaluation payload being sent      */
    journal      *j;
    lock         *lk;
    int           dirty;         /* records since the last results write      */
    uint64_t     *ck_keys;       /* [ck_n] keys journalled since the last
                                    checkpoint (the next part file's tasks)   */
    int           ck_n, ck_cap;
    int           n_parts;       /* part files written by this run            */
    ck_part      *parts;         /* [np_live] this run's parts on disk, oldest
                                    first (compaction, checkpoint)            */
    int           np_live, np_cap;
    int           n_merged;      /* parts folded into a later one             */
    double        ck_seconds, ck_max;   /* their total and longest write time */
    double        t_start, t_last_write, t_last_progress;
    double        cost_done;
    int           done_now, failed_now;
    int           trained_now, reeval_now;   /* how this run's results came    */
    int           done_shown;    /* done_now at the last progress line         */
    double       *busy;          /* [size] task seconds per rank              */
    char          created[40];
    char         *hosts;
    int           io_failed;
    /* rank 0, [search] method = halving (halving.h): rung by rung */
    int           hv;            /* 1: halving                                 */
    int           hv_rung;       /* the rung whose tasks are in todo          */
    halving_rungs hv_r;
    int          *hv_group;      /* [n_models] replicate group                */
    int           hv_ngroups;
    int          *hv_folds;      /* distinct fold ids, ascending              */
    int           hv_nfolds;
    int          *hv_alive;      /* [hv_ngroups] groups of the current rung   */
    int           hv_nalive;
    key_index    *hv_m;          /* [n_models] model keys, sorted             */
    key_index    *hv_s;          /* [n_strategies] strategy keys, sorted      */
} run;

/* ---- rank 0: progress, the results file, the status file ----------------- */

static void progress(run *R, int final) {
    if (R->quiet && !final) return;
    double now = rs_now(), el = now - R->t_start;
    int done = R->counts.planned - (R->n_todo - R->done_now);
    double rate = el > 0 ? R->done_now / el : 0;
    char eta[32] = "-";
    if (R->cost_done > 0 && R->done_now < R->n_todo) {
        double s = el * (R->counts.cost - R->cost_done) / R->cost_done;
        snprintf(eta, sizeof eta, "%d:%02d", (int)(s / 60), (int)fmod(s, 60));
    } else if (R->done_now == R->n_todo) snprintf(eta, sizeof eta, "0:00");
    fprintf(stderr, "rnnsweep: %d/%d tasks (%.0f%%), %d failed, %.2f tasks/s, ETA %s, elapsed %.1f s\n", done,
            R->counts.planned, R->counts.planned ? 100.0 * done / R->counts.planned : 100.0, R->failed_now, rate,
            eta, el);
    R->t_last_progress = now;
}

/* The root attributes of a file this run writes. */
static results_meta run_meta(const run *R, char *blas, size_t nb, char *shard, size_t ns) {
    const char *core = getenv("OPENBLAS_CORETYPE");
    snprintf(blas, nb, "%s%s%s", openblas_get_config(), core ? "; OPENBLAS_CORETYPE=" : "", core ? core : "");
    shard[0] = 0;
    if (R->shard_n) snprintf(shard, ns, "%d/%d", R->shard_k, R->shard_n);
    /* a halving sweep with rungs to come has more tasks than it has queued:
     * never complete until the last rung is */
    const int planned = R->counts.planned + (R->hv && R->hv_rung < R->hv_r.n_rungs - 1);
    return (results_meta){ .created = R->created, .ranks = R->size, .threads = omp_get_max_threads(),
                           .blas = blas, .hosts = R->hosts, .shard = shard, .tasks_planned = planned,
                           .git_commit = RS_GIT_COMMIT, .slurm_job_id = getenv("SLURM_JOB_ID"),
                           .slurm_array_job_id = getenv("SLURM_ARRAY_JOB_ID"),
                           .slurm_array_task_id = getenv("SLURM_ARRAY_TASK_ID"),
                           .bar_seconds = R->data.bar_seconds };
}

/* A results_source (results.h) over store records: all of them
 * (idx NULL) or idx[0..n).  ar, when not NULL, counts each record's
 * arithmetic once: the writer reads the records in several passes, each
 * in order, so record i counts when it is the next not yet counted. */
typedef struct { run *R; const int *idx; report_arith *ar; int counted; } store_src;

static int store_src_get(void *ctx, int i, task_view *v, rs_err *e) {
    store_src *ss = ctx;
    int rc = store_get(&ss->R->st, ss->idx ? ss->idx[i] : i, &ss->R->rb, v, e);
    if (!rc && ss->ar && i == ss->counted) { report_arith_add(ss->ar, v->h); ss->counted++; }
    return rc;
}

/* Before training: a resume whose finished tasks were trained with
 * another arithmetic than this binary's (kern.h, KERN_ARITH; RS_KERNEL=blas)
 * is about to make a mixed sweep.  Said now, while the run can still be
 * stopped and restarted with the binary (or RS_KERNEL) that began it, and
 * again at the end (write_results' count).  Reads each record's head only
 * (store_get_rows: a few kB of a record of many MB). */
static void resume_warn_arith(run *R) {
    report_arith old;
    memset(&old, 0, sizeof old);
    for (int i = 0; i < R->st.n; i++) {
        task_view v;
        rs_err pe;
        if (!store_get_rows(&R->st, i, &R->rb, &v, &pe)) report_arith_add(&old, v.h);
    }
    char mine[48], have[REPORT_ARITH_MAX * 64];
    kern_arith_class(R->blas, mine, sizeof mine);
    int other = 0;
    for (int j = 0; j < old.n; j++) other |= strcmp(old.k[j].name, mine) != 0;
    if (!other) return;
    report_arith_text(&old, have, sizeof have);
    fprintf(stderr,
            "rnnsweep: MIXED ARITHMETIC ahead: the finished tasks of %s were trained %s; this run trains "
            "the remaining %d on %s (%s), so the sweep will not be byte-identical to a rerun with either. "
            "To keep one arithmetic, stop now and resume with the binary (or RS_KERNEL) that began it "
            "(README, \"GEMM kernels\")\n",
            R->output, have, R->n_todo, mine, R->blas);
}

/* FILE.h5 written whole from every record held, read back one at a time
 * from the journal: at the start of a sweep of a new plan and once at its
 * end (README "Checkpoints"). */
static int write_results(run *R, report_arith *ar, rs_err *e) {
    char blas[256], shard[32];
    results_meta m = run_meta(R, blas, sizeof blas, shard, sizeof shard);
    store_src ss = { R, NULL, ar, 0 };
    results_source src = { R->st.n, store_src_get, &ss };
    int rc = results_write_source(R->output, &R->cfg, &R->plan, R->folds, R->n_folds, &src, &m, e);
    if (!rc) {
        R->dirty = 0;
        R->ck_n = 0;
        R->t_last_write = rs_now();
    }
    return rc;
}

/* Remove every part file of the output (FILE.h5.part-*, and their .tmp)
 * when `remove`: they are a cache of the journal, superseded once FILE.h5
 * is whole.  Returns the journal offset the parts cover up to (the largest
 * in their names; 0 for none). */
static uint64_t parts_scan(const run *R, int remove) {
    char dir[CFG_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", R->output);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : R->output;
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    char prefix[CFG_PATH_MAX + 8];
    snprintf(prefix, sizeof prefix, "%s.part-", base);
    const size_t pl = strlen(prefix);
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t covered = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, prefix, pl)) continue;
        char *end;
        unsigned long long off = strtoull(de->d_name + pl, &end, 16);
        if (!*end && off > covered) covered = off;
        if (!remove) continue;
        char path[2 * CFG_PATH_MAX + 8];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) && errno != ENOENT) fprintf(stderr, "rnnsweep: removing %s: %s\n", path, strerror(errno));
    }
    closedir(d);
    return covered;
}

static void parts_remove(const run *R) { parts_scan(R, 1); }

/* A checkpoint: the records journalled since the last one, as a results
 * file of their own, FILE.h5.part-<journal offset, 16 hex digits> (the
 * journal bytes it covers end there, so names sort in journal order and
 * `rnnsweep merge` of FILE.h5 and the parts in name order is the sweep's
 * state: the later record of a key wins).  Its cost is that of the new
 * records (and the plan's tables), never of the whole sweep.
 *
 * Compaction keeps the number of parts small on a long run (one a minute
 * is 1,440 a day, each carrying the plan's tables, and every `show` of a
 * running sweep merges them all): like a binary counter, the new records
 * absorb the newest parts of this run while such a part holds no more
 * records than have been gathered so far and the merged part stays under
 * CK_MERGE_BYTES of records.  The merged part is written under the new
 * (largest) name first and the parts it absorbed are removed after, so a
 * reader always sees every record (at worst twice, the same bytes).  A
 * record is rewritten at most log2(CK_MERGE_BYTES / a checkpoint's bytes)
 * times, a checkpoint writes at most CK_MERGE_BYTES plus its own records,
 * and a run leaves about its records' bytes / CK_MERGE_BYTES parts plus a
 * logarithm.  Parts of earlier runs (before a --resume) are left as they
 * are. */
#define CK_MERGE_BYTES ((uint64_t)64 << 20)

static uint64_t ck_merge_bytes(void) {
    const char *s = getenv("RNNSWEEP_CK_MERGE_BYTES");     /* tests */
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*end) return (uint64_t)v;
    }
    return CK_MERGE_BYTES;
}

static int cmp_u64(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void part_path(const run *R, uint64_t end, char *path, size_t n) {
    snprintf(path, n, "%s.part-%016llx", R->output, (unsigned long long)end);
}

static int checkpoint(run *R, rs_err *e) {
    if (!R->ck_n) { R->dirty = 0; return 0; }
    double t0 = rs_now();
    if (R->np_live == R->np_cap) {
        int nc = R->np_cap ? 2 * R->np_cap : 16;
        ck_part *np = realloc(R->parts, (size_t)nc * sizeof *np);
        if (!np) return rs_err_set(e, RS_EINTERNAL, "out of memory");
        R->parts = np;
        R->np_cap = nc;
    }
    /* the new records, and the parts they absorb */
    uint64_t bytes = 0, cap = ck_merge_bytes();
    for (int i = 0; i < R->ck_n; i++) {
        int at = store_find(&R->st, R->ck_keys[i]);
        if (at >= 0) bytes += R->st.rec[at].len;
    }
    int first = R->np_live;
    long n_keys = R->ck_n;
    while (first > 0 && R->parts[first - 1].n <= n_keys && R->parts[first - 1].bytes + bytes <= cap) {
        first--;
        n_keys += R->parts[first].n;
        bytes += R->parts[first].bytes;
    }
    uint64_t *keys = malloc((size_t)n_keys * sizeof *keys);
    int *idx = malloc((size_t)n_keys * sizeof *idx);
    if (!keys || !idx) { free(keys); free(idx); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    long k = 0;
    for (int p = first; p < R->np_live; p++)
        for (int i = 0; i < R->parts[p].n; i++) keys[k++] = R->parts[p].keys[i];
    for (int i = 0; i < R->ck_n; i++) keys[k++] = R->ck_keys[i];
    /* a retried task's key can come twice: the store holds its latest record */
    qsort(keys, (size_t)k, sizeof *keys, cmp_u64);
    int n = 0;
    long nk = 0;
    for (long i = 0; i < k; i++) {
        if (i && keys[i] == keys[i - 1]) continue;
        keys[nk++] = keys[i];
        int at = store_find(&R->st, keys[i]);
        if (at >= 0) idx[n++] = at;
    }
    char blas[256], shard[32], path[CFG_PATH_MAX + 40];
    results_meta m = run_meta(R, blas, sizeof blas, shard, sizeof shard);
    const uint64_t end = journal_bytes(R->j);
    part_path(R, end, path, sizeof path);
    store_src ss = { R, idx, NULL, 0 };
    results_source src = { n, store_src_get, &ss };
    int rc = results_write_source(path, &R->cfg, &R->plan, R->folds, R->n_folds, &src, &m, e);
    free(idx);
    if (rc) { free(keys); return rc; }
    /* the merged part is whole under its name: the parts it holds may go */
    for (int p = first; p < R->np_live; p++) {
        char old[CFG_PATH_MAX + 40];
        part_path(R, R->parts[p].end, old, sizeof old);
        if (R->parts[p].end != end && unlink(old) && errno != ENOENT)
            fprintf(stderr, "rnnsweep: removing %s: %s\n", old, strerror(errno));
        free(R->parts[p].keys);
        R->n_merged++;
    }
    R->parts[first] = (ck_part){ end, (int)nk, bytes, keys };
    R->np_live = first + 1;
    double dt = rs_now() - t0;
    R->ck_seconds += dt;
    if (dt > R->ck_max) R->ck_max = dt;
    R->n_parts++;
    R->dirty = 0;
    R->ck_n = 0;
    R->t_last_write = rs_now();
    return 0;
}

/* The status file: written whole (tmp + rename) so a launcher never reads
 * half of it.  Failing to write it is said, never fatal. */
static void write_status(const run *R, int status) {
    if (!R->status_file || R->rank != 0) return;
    char tmp[CFG_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", R->status_file);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%d\n", status) > 0;
    if (f && fclose(f)) ok = 0;
    if (!ok || rename(tmp, R->status_file)) {
        fprintf(stderr, "rnnsweep: --status-file %s: %s\n", R->status_file, strerror(errno));
        unlink(tmp);
    }
}

/* ---- rank 0: successive halving (halving.h) ---------------------------------- */

static int cmp_key_index(const void *a, const void *b) {
    const key_index *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static int key_lookup(const key_index *k, int n, uint64_t key) {
    const key_index want = { key, 0 }, *hit = bsearch(&want, k, (size_t)n, sizeof *k, cmp_key_index);
    return hit ? hit->index : -1;
}

static int cmp_int(const void *a, const void *b) {
    const int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The tasks of rung k of the groups alive (periods [n_{k-1}, n_k)), less
 * the finished ones (resume_choose), appended to todo in the plan's
 * longest-first order; their counts added to the run's. */
static int hv_add_rung(run *R, int k) {
    const int lo = k ? R->hv_r.folds[k - 1] : 0, hi = R->hv_r.folds[k], n = R->n_tasks ? R->n_tasks : 1;
    char *alive = calloc((size_t)(R->hv_ngroups ? R->hv_ngroups : 1), 1);
    plan_task *sub = malloc((size_t)n * sizeof *sub);
    int *map = malloc((size_t)n * sizeof *map), *todo = malloc((size_t)n * sizeof *todo),
        *mode = malloc((size_t)n * sizeof *mode);
    int rc = !alive || !sub || !map || !todo || !mode;
    if (!rc) {
        for (int i = 0; i < R->hv_nalive; i++) alive[R->hv_alive[i]] = 1;
        int ns = 0;
        for (int i = 0; i < R->n_tasks; i++) {
            const plan_task *t = &R->tasks[i];
            const int *f = bsearch(&t->fold_id, R->hv_folds, (size_t)R->hv_nfolds, sizeof *R->hv_folds, cmp_int);
            const int fr = f ? (int)(f - R->hv_folds) : -1;
            if (!alive[R->hv_group[t->model]] || fr < lo || fr >= hi) continue;
            sub[ns] = *t;
            map[ns++] = i;
        }
        resume_counts c;
        const int m = resume_choose(&R->plan, sub, ns, 0, 0, R->retry_failed, &R->st, todo, mode, &c);
        for (int j = 0; j < m; j++) {
            R->todo[R->n_todo] = map[todo[j]];
            R->todo_mode[R->n_todo++] = mode[j];
        }
        R->counts.planned += c.planned;
        R->counts.reused += c.reused;
        R->counts.reeval += c.reeval;
        R->counts.retrain_failed += c.retrain_failed;
        R->counts.retrain_old += c.retrain_old;
        R->counts.retried += c.retried;
        R->counts.cost += c.cost;
        R->hv_rung = k;
    }
    free(alive), free(sub), free(map), free(todo), free(mode);
    return rc;
}

/* Rung hv_rung is finished: promote from every record held (the same
 * promotions on any rank count, after any interruption) and queue the
 * next rung.  Returns 0, or 1 (out of memory: the run stops, status 1). */
static int hv_advance(run *R) {
    halving_table t;
    rs_err e;
    if (halving_table_init(&t, &R->plan, R->hv_group, R->hv_ngroups, R->hv_folds, R->hv_nfolds,
                           R->cfg.search.metric, &e)) {
        fprintf(stderr, "rnnsweep: halving: %s\n", e.msg);
        R->io_failed = 1;
        return 1;
    }
    for (int i = 0; i < R->st.n; i++) {
        task_view v;
        if (store_get(&R->st, i, &R->rb, &v, &e)) continue;
        const int model = key_lookup(R->hv_m, R->plan.n_models, v.h->model_key);
        if (model < 0) continue;
        for (int r = 0; r < v.h->n_strat; r++) {
            task_row w;
            memcpy(&w, &v.rows[r], sizeof w);
            if ((w.strategy = key_lookup(R->hv_s, R->plan.n_strategies, w.strategy_key)) >= 0)
                halving_table_add(&t, model, &w);
        }
    }
    const int before = R->hv_nalive;
    const int n = halving_select(&t, &R->hv_r, R->cfg.search.eta, R->hv_rung + 1, R->hv_alive, NULL);
    halving_table_free(&t);
    if (n < 0) {
        fprintf(stderr, "rnnsweep: out of memory\n");
        R->io_failed = 1;
        return 1;
    }
    R->hv_nalive = n;
    if (!R->quiet) {
        char a[FOLD_ID_MAX], b[FOLD_ID_MAX];
        fprintf(stderr, "rnnsweep: halving: rung %d of %d: %d of %d configurations promoted by %s on periods %s..%s\n",
                R->hv_rung + 2, R->hv_r.n_rungs, n, before, R->cfg.search.metric,
                fold_id_text(R->hv_folds[0], a, sizeof a),
                fold_id_text(R->hv_folds[R->hv_r.folds[R->hv_rung] - 1], b, sizeof b));
    }
    if (hv_add_rung(R, R->hv_rung + 1)) {
        fprintf(stderr, "rnnsweep: out of memory\n");
        R->io_failed = 1;
        return 1;
    }
    return 0;
}

/* Set up halving: groups, periods, rungs, key maps; queue rung 0. */
static int hv_setup(run *R, rs_err *e) {
    const int nm = R->plan.n_models, ns = R->plan.n_strategies, nt = R->n_folds ? R->n_folds : 1;
    R->hv = 1;
    R->hv_group = malloc((size_t)(nm ? nm : 1) * sizeof *R->hv_group);
    R->hv_alive = malloc((size_t)(nm ? nm : 1) * sizeof *R->hv_alive);
    R->hv_folds = malloc((size_t)nt * sizeof *R->hv_folds);
    R->hv_m = malloc((size_t)(nm ? nm : 1) * sizeof *R->hv_m);
    R->hv_s = malloc((size_t)(ns ? ns : 1) * sizeof *R->hv_s);
    if (!R->hv_group || !R->hv_alive || !R->hv_folds || !R->hv_m || !R->hv_s ||
        (R->hv_ngroups = plan_replicate_groups(&R->plan, R->hv_group)) < 0)
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    for (int i = 0; i < nm; i++) R->hv_m[i] = (key_index){ R->plan.models[i].key, i };
    for (int i = 0; i < ns; i++) R->hv_s[i] = (key_index){ R->plan.strategies[i].key, i };
    qsort(R->hv_m, (size_t)nm, sizeof *R->hv_m, cmp_key_index);
    qsort(R->hv_s, (size_t)ns, sizeof *R->hv_s, cmp_key_index);
    /* the periods: /plan/folds' distinct ids, as show replays them */
    for (int i = 0; i < R->n_folds; i++) R->hv_folds[i] = R->folds[i].fold_id;
    qsort(R->hv_folds, (size_t)R->n_folds, sizeof *R->hv_folds, cmp_int);
    R->hv_nfolds = 0;
    for (int i = 0; i < R->n_folds; i++)
        if (!R->hv_nfolds || R->hv_folds[i] != R->hv_folds[R->hv_nfolds - 1]) R->hv_folds[R->hv_nfolds++] = R->hv_folds[i];
    halving_rungs_build(R->hv_nfolds, R->cfg.search.min_folds, R->cfg.search.eta, &R->hv_r);
    for (int g = 0; g < R->hv_ngroups; g++) R->hv_alive[g] = g;
    R->hv_nalive = R->hv_ngroups;
    if (!R->quiet) {
        fprintf(stderr, "rnnsweep: successive halving (eta %d, by %s): %d configurations; rungs on the first",
                R->cfg.search.eta, R->cfg.search.metric, R->hv_ngroups);
        for (int k = 0; k < R->hv_r.n_rungs; k++) fprintf(stderr, "%s %d", k ? "," : "", R->hv_r.folds[k]);
        fprintf(stderr, " of %d periods\n", R->hv_nfolds);
    }
    if (hv_add_rung(R, 0)) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    return 0;
}

/* ---- sched callbacks ------------------------------------------------------- */

/* The next task: model, fold id, task index, and whether it trains or is
 * re-evaluated — then its stored record goes with it, so any worker can
 * complete it (workers hold no records). */
static int hv_advance(run *R);

static int on_next(void *ctx, int32_t msg[4], const void **payload, size_t *plen) {
    run *R = ctx;
    if (R->next_todo >= R->n_todo && R->hv) {
        /* a rung's promotion needs every result of it: wait for those in
         * flight, then promote (a resumed rung may be finished already) */
        if (R->next_todo > R->done_now) return SCHED_LATER;
        while (R->next_todo >= R->n_todo && R->hv_rung < R->hv_r.n_rungs - 1)
            if (hv_advance(R)) return SCHED_NONE;
    }
    if (R->next_todo >= R->n_todo) return SCHED_NONE;
    const int k = R->next_todo++;
    const plan_task *t = &R->tasks[R->todo[k]];
    msg[0] = t->model;
    msg[1] = t->fold_id;
    msg[2] = R->todo[k];
    msg[3] = R->todo_mode[k];
    if (msg[3] == RESUME_REEVAL) {
        int at = store_find(&R->st, t->key);
        task_view v;
        if (at < 0 || store_get(&R->st, at, &R->payload, &v, NULL)) msg[3] = RESUME_TRAIN;
        else {
            *payload = v.h;
            *plen = v.bytes;
        }
    }
    return SCHED_TASK;
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
    const uint64_t off = journal_bytes(R->j) + JOURNAL_REC_HEADER;
    if (journal_append(R->j, buf, len, &e)) {
        fprintf(stderr, "rnnsweep: %s (every task finished before it is kept)\n", e.msg);
        R->io_failed = 1;
        return 1;
    }
    /* the journal holds it now: the store keeps where, not the bytes */
    if (store_put_ref(&R->st, v.h->task_key, v.h->status, off, len)) {
        fprintf(stderr, "rnnsweep: out of memory\n");
        R->io_failed = 1;
        return 1;
    }
    if (R->ck_n == R->ck_cap) {
        int nc = R->ck_cap ? 2 * R->ck_cap : 256;
        uint64_t *k = realloc(R->ck_keys, (size_t)nc * sizeof *k);
        if (!k) {
            fprintf(stderr, "rnnsweep: out of memory\n");
            R->io_failed = 1;
            return 1;
        }
        R->ck_keys = k;
        R->ck_cap = nc;
    }
    R->ck_keys[R->ck_n++] = t->key;
    R->dirty = 1;
    R->done_now++;
    if (msg[3] == RESUME_REEVAL && v.h->reevaluated) R->reeval_now++;
    else R->trained_now++;
    R->cost_done += t->cost > 0 ? t->cost : 0;
    if (v.h->status == TASK_FAILED) {
        R->failed_now++;
        char id[FOLD_ID_MAX];
        fprintf(stderr, "rnnsweep: task %016llx (model %d, fold %s) failed: %s\n",
                (unsigned long long)t->key, t->model, fold_id_text(t->fold_id, id, sizeof id), v.h->message);
    }
    /* a re-evaluated record keeps its training's times: only the backtests
     * were this run's work */
    if (rank >= 0 && rank < R->size)
        R->busy[rank] += msg[3] == RESUME_REEVAL && v.h->reevaluated ? v.h->sec_backtest : v.h->sec_total;
    return 0;
}

static int on_idle(void *ctx) {
    run *R = ctx;
    double now = rs_now();
    /* a line when a task finished (at most every 2 s), else one a minute so
     * a log of long tasks shows life without a line every 2 s */
    if (R->done_now != R->done_shown ? now - R->t_last_progress >= PROGRESS_SECONDS : now - R->t_last_progress >= 60.0) {
        R->done_shown = R->done_now;
        if (R->done_now) progress(R, 0);
        else R->t_last_progress = now;
    }
    if (R->dirty && now - R->t_last_write >= R->checkpoint) {
        rs_err e;
        if (checkpoint(R, &e)) fprintf(stderr, "rnnsweep: checkpoint failed (will retry): %s\n", e.msg);
    }
    return 0;
}

/* A drain began: from now on the journal alone is a resumable state, even
 * if the launcher kills every rank before the end. */
static void on_draining(void *ctx) {
    run *R = ctx;
    if (R->io_failed) return;        /* an error stops the sweep: not a drain, status 1 */
    int sig = sched_drain_signal();
    int inflight = R->next_todo - R->done_now;
    fprintf(stderr, "rnnsweep: %s%s: draining: no new tasks; %d in flight, waited for up to %g s%s\n",
            sig ? "SIG" : "", sig ? sigabbrev_np(sig) : "stop requested", inflight > 0 ? inflight : 0, R->grace,
            R->size == 1 && sig == SIGINT ? " (Ctrl-C again: abandon them now)" : "");
    write_status(R, RS_EDRAIN);
}

/* worker (any rank): train the task, or re-evaluate the record that came
 * with it (evaluate.h); a record that turns out not to fit is trained. */
static int on_run(void *ctx, const int32_t msg[4], const void *payload, size_t plen, const void **buf, size_t *len) {
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
    char label[96];
    plan_model_label(&R->plan, t.model, label, sizeof label);
    in.label = label;
    in.progress_every = R->quiet ? 0 : TASK_PROGRESS_SECONDS;
    in.host = R->host;
    in.blas = R->blas;
    in.opts.stop = sched_cancelled;
    in.opts.stop_ctx = NULL;
    in.save_weights = R->cfg.run.save_weights;
    in.series = config_series(&R->cfg, R->data.bar_seconds);
    rs_err e;
    int rc = -1;
    if (msg[3] == RESUME_REEVAL && payload) {
        /* the payload lives in the worker's receive buffer: copy it so the
         * views are 8-byte aligned whatever MPI's buffer is */
        task_buf old = { 0 };
        task_view ov;
        if (!task_upgrade(payload, plen, &old, &e) && !task_view_parse(old.p, old.len, &ov, &e))
            rc = task_reevaluate(&R->data, &in, &ov, &R->out, &e);
        task_buf_free(&old);
        if (rc == RS_EINPUT) {
            char id[FOLD_ID_MAX];
            fprintf(stderr, "rnnsweep: rank %d: task (model %d, fold %s) cannot be re-evaluated (%s): training it\n",
                    R->rank, t.model, fold_id_text(t.fold_id, id, sizeof id), e.msg);
            rc = -1;
        }
    }
    if (rc == -1) rc = task_run(&R->data, &in, &R->out, &e);
    if (rc == RS_EDRAIN) return RS_EDRAIN;
    if (rc) {
        char id[FOLD_ID_MAX];
        fprintf(stderr, "rnnsweep: rank %d: task (model %d, fold %s): %s\n", R->rank, t.model,
                fold_id_text(t.fold_id, id, sizeof id), e.msg);
        return 1;
    }
    *buf = R->out.p;
    *len = R->out.len;
    return 0;
}

/* ---- rank 0 set-up ------------------------------------------------------------ */

static int setup_rank0(run *R, rs_err *e) {
    int rc;
    if ((rc = override_load(R->config_path, &R->ov, &R->cfg, e))) return rc;
    if (R->shard_n && R->cfg.search.method == SEARCH_HALVING)
        return rs_err_set(e, RS_EINPUT, "--shard %d/%d: [search] method = halving promotes on every result of a rung, "
                          "so it cannot be sharded (run it in one allocation)", R->shard_k, R->shard_n);
    if ((rc = config_check_paths(&R->cfg, e))) { override_explain(&R->ov, e); return rc; }
    if (R->output_opt) snprintf(R->output, sizeof R->output, "%s", R->output_opt);
    else if (R->cfg.run.output[0]) snprintf(R->output, sizeof R->output, "%s", R->cfg.run.output);
    else if (R->shard_n)
        snprintf(R->output, sizeof R->output, "results/%s.shard%dof%d.h5", R->cfg.run.name, R->shard_k,
                 R->shard_n);
    else snprintf(R->output, sizeof R->output, "results/%s.h5", R->cfg.run.name);
    snprintf(R->jpath, sizeof R->jpath, "%s.journal", R->output);
    snprintf(R->lpath, sizeof R->lpath, "%s.lock", R->output);
    if ((rc = resume_check_output(R->output, R->jpath, R->resume, e))) return rc;
    /* before anything is read or written: one writer per output */
    if ((rc = lock_acquire(R->lpath, R->lock_wait, &R->lk, e))) return rc;
    /* without --resume the output must still be new now that we hold it */
    if ((rc = resume_check_output(R->output, R->jpath, R->resume, e))) return rc;
    if ((rc = plan_build(&R->cfg, &R->plan, e))) { override_explain(&R->ov, e); return rc; }
    prepare_info info;
    if (!R->quiet) fprintf(stderr, "rnnsweep: loading data for %s\n", R->config_path);
    if ((rc = prepare_data(&R->cfg, &R->data, &info, e))) return rc;
    if (!R->quiet) { fprintf(stderr, "rnnsweep: "); prepare_describe(&info, stderr); }
    R->plan.content_hash = info.content_hash;      /* the /series attribute (results.h) */
    plan_set_bar_seconds(&R->plan, R->data.bar_seconds);
    R->plan.series = config_series(&R->cfg, R->data.bar_seconds);   /* resume_covers */
    if ((rc = prepare_tasks(&R->cfg, &R->plan, &R->data, &R->tasks, &R->n_tasks, &R->folds, &R->n_folds, e)))
        return rc;

    resume_opts ro = { R->output, R->jpath, R->resume, rs_hash2(R->cfg.data_hash, info.content_hash), &R->cfg,
                       &R->plan };
    resume_report rep;
    if ((rc = resume_open(&ro, &R->st, &R->j, &rep, e))) return rc;
    /* results of this run are held as references into the journal */
    if ((rc = store_attach(&R->st, R->jpath, e))) return rc;
    resume_report_print(&rep, &ro, stderr);
    if (rep.created[0]) snprintf(R->created, sizeof R->created, "%s", rep.created);

    R->todo = malloc((size_t)(R->n_tasks ? R->n_tasks : 1) * sizeof *R->todo);
    R->todo_mode = malloc((size_t)(R->n_tasks ? R->n_tasks : 1) * sizeof *R->todo_mode);
    if (!R->todo || !R->todo_mode) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    if (R->cfg.search.method == SEARCH_HALVING) {
        if ((rc = hv_setup(R, e))) return rc;
    } else
        R->n_todo = resume_choose(&R->plan, R->tasks, R->n_tasks, R->shard_k, R->shard_n, R->retry_failed, &R->st,
                                  R->todo, R->todo_mode, &R->counts);
    if (!R->quiet) resume_counts_print(&R->counts, stderr);
    if (R->resume && R->n_todo > 0) resume_warn_arith(R);
    if ((rc = prepare_strategies(&R->plan, &R->strat, &R->skey, e))) return rc;
    /* FILE.h5 is written whole here only when it is not this plan's file
     * already: on a resume of the same plan it stands, with the part files
     * beside it, and is rewritten once, at the end */
    uint64_t sh;
    if (!R->resume || rep.rewritten || results_sweep_hash(R->output, &sh) || sh != plan_sweep_hash(&R->plan)) {
        if ((rc = write_results(R, NULL, e))) return rc;
        parts_remove(R);
        return 0;
    }
    /* the journal's records past the last part (finished after the last
     * checkpoint of the run that stopped) go into this run's first one;
     * without parts FILE.h5 is that run's final write, which holds them */
    const uint64_t covered = parts_scan(R, 0);
    for (int i = 0; covered && i < R->st.n; i++) {
        const store_rec *r = &R->st.rec[i];
        if (r->p || r->off < covered) continue;
        if (R->ck_n == R->ck_cap) {
            int nc = R->ck_cap ? 2 * R->ck_cap : 256;
            uint64_t *k = realloc(R->ck_keys, (size_t)nc * sizeof *k);
            if (!k) return rs_err_set(e, RS_EINTERNAL, "out of memory");
            R->ck_keys = k;
            R->ck_cap = nc;
        }
        R->ck_keys[R->ck_n++] = r->key;
        R->dirty = 1;
    }
    return 0;
}

/* ---- broadcast ------------------------------------------------------------------ */

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

static int parse_seconds(const char *opt, const char *v, double *out, int rank) {
    char *end;
    double s = strtod(v, &end);
    if (*end || !(s >= 0) || !isfinite(s)) {
        if (rank == 0) fprintf(stderr, "rnnsweep run: %s '%s': expected seconds >= 0\n", opt, v);
        return 2;
    }
    *out = s;
    return 0;
}

static int parse_args(run *R, int argc, char **argv, int *help) {
    *help = 0;
    R->checkpoint = CHECKPOINT_SECONDS;
    R->grace = GRACE_SECONDS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { *help = 1; return 0; }
        if (!strcmp(a, "--resume")) { R->resume = 1; continue; }
        if (!strcmp(a, "--retry-failed")) { R->retry_failed = 1; continue; }
        if (!strcmp(a, "--quiet")) { R->quiet = 1; continue; }
        rs_err oe;
        const int ot = override_take(&R->ov, argc, argv, &i, &oe);
        if (ot == 1) continue;
        if (ot) {
            if (R->rank == 0) fprintf(stderr, "rnnsweep run: %s\n", oe.msg);
            return 2;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--shard") || !strcmp(a, "--threads") ||
            !strcmp(a, "--checkpoint") || !strcmp(a, "--grace") || !strcmp(a, "--lock-wait") ||
            !strcmp(a, "--status-file")) {
            if (i + 1 >= argc) {
                if (R->rank == 0) fprintf(stderr, "rnnsweep run: %s needs a value (see --help)\n", a);
                return 2;
            }
            const char *v = argv[++i];
            char *end;
            int rc = 0;
            if (!strcmp(a, "-o") || !strcmp(a, "--output")) R->output_opt = v;
            else if (!strcmp(a, "--status-file")) R->status_file = v;
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
            } else if (!strcmp(a, "--checkpoint")) rc = parse_seconds(a, v, &R->checkpoint, R->rank);
            else if (!strcmp(a, "--grace")) rc = parse_seconds(a, v, &R->grace, R->rank);
            else rc = parse_seconds(a, v, &R->lock_wait, R->rank);
            if (rc) return rc;
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
    if (R->j) journal_close(R->j, NULL);
    R->j = NULL;
    config_free(&R->cfg);
    plan_free(&R->plan);
    task_data_free(&R->data);
    free(R->strat);
    free(R->skey);
    task_buf_free(&R->out);
    free(R->tasks);
    free(R->folds);
    free(R->todo);
    free(R->todo_mode);
    free(R->ck_keys);
    for (int i = 0; i < R->np_live; i++) free(R->parts[i].keys);
    free(R->parts);
    free(R->hv_group);
    free(R->hv_alive);
    free(R->hv_folds);
    free(R->hv_m);
    free(R->hv_s);
    store_free(&R->st);
    task_buf_free(&R->rb);
    task_buf_free(&R->payload);
    free(R->busy);
    free(R->hosts);
    lock_release(R->lk);
    R->lk = NULL;
}

/* The end on rank 0: close the journal, write the file, say how it went. */
static int finish_rank0(run *R, int result, const sched_stats *ss) {
    rs_err e;
    int rc = journal_close(R->j, &e);
    R->j = NULL;
    if (rc) fprintf(stderr, "rnnsweep: %s\n", e.msg);
    /* The final write reads every record: it also counts the arithmetics
     * that trained them (a resume or an extension across binaries). */
    report_arith ar;
    memset(&ar, 0, sizeof ar);
    if (write_results(R, &ar, &e)) {
        fprintf(stderr, "rnnsweep: %s (the journal %s holds every finished task: free space or fix the cause, "
                "then rerun with --resume)\n", e.msg, R->jpath);
        rc = 1;
    } else parts_remove(R);
    if (R->n_parts && !R->quiet)
        fprintf(stderr, "rnnsweep: %d checkpoints (part files, %d folded into later ones) in %.2f s, the "
                "longest %.3f s\n", R->n_parts, R->n_merged, R->ck_seconds, R->ck_max);
    progress(R, 1);
    if (R->size > 1) {
        fprintf(stderr, "rnnsweep: busy fraction per rank over %.1f s:", ss->wall);
        for (int r = 1; r < R->size; r++)
            fprintf(stderr, " %d:%.0f%%", r, ss->wall > 0 ? 100.0 * R->busy[r] / ss->wall : 0.0);
        fprintf(stderr, "; coordinator CPU %.2f s (%.1f%% of one core)\n", ss->cpu_seconds,
                ss->wall > 0 ? 100.0 * ss->cpu_seconds / ss->wall : 0.0);
    }
    int status = 0;
    if (result == SCHED_ERROR || R->io_failed) status = 1;
    else if (result == SCHED_DRAINED) {
        fprintf(stderr, "rnnsweep: drained after %d of %d tasks this run (%ld in flight abandoned: they rerun); "
                "results flushed to %s; rerun with --resume to continue (exit %d)\n", R->done_now, R->n_todo,
                ss->abandoned, R->output, RS_EDRAIN);
        status = RS_EDRAIN;
    } else {
        printf("rnnsweep: %s: %d tasks done (%d failed, %d diverged, %d empty folds) in %.1f s; this run: %d trained, "
               "%d re-evaluated, %d kept\n", R->output, R->counts.planned, store_count(&R->st, TASK_FAILED),
               store_count(&R->st, TASK_DIVERGED), store_count(&R->st, TASK_EMPTY), ss->wall, R->trained_now,
               R->reeval_now, R->counts.reused);
    }
    report_arith_warn(&ar, "rnnsweep: ", stderr);
    if (rc && !status) status = 1;
    return status;
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
    sched_catch_signals();
    comm_host_name(R.host, sizeof R.host);
    /* The arithmetic tag (kern.h, KERN_ARITH) lets `show` tell a sweep
     * whose tasks were trained with different arithmetic. */
    snprintf(R.blas, sizeof R.blas, "kern=%s a%d %s", rnn_kernel_name(), KERN_ARITH, openblas_get_corename());

    R.t_start = rs_now();
    results_iso_time((int64_t)time(NULL), R.created);
    rs_err e;
    rs_err_clear(&e);
    bcast_head h;
    memset(&h, 0, sizeof h);
    R.hosts = comm_gather_hosts();
    if (R.rank == 0) {
        int rc = setup_rank0(&R, &e);
        if (rc) {
            fprintf(stderr, "rnnsweep: %s\n", e.msg);
            write_status(&R, rc);
        }
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
    comm_bcast_wait(&h, sizeof h);
    if (h.status) {
        run_free(&R);
        MPI_Finalize();
        return h.status;
    }
    /* the INI text and the data */
    char *ini = R.rank == 0 ? R.cfg.ini_text : calloc((size_t)h.ini_len + 1, 1);
    if (!ini) MPI_Abort(MPI_COMM_WORLD, 1);
    comm_bcast_bytes(ini, (size_t)h.ini_len);
    if (R.rank != 0) {
        if (task_data_alloc(&R.data, h.n, h.n_feat, h.n_inst, &e)) MPI_Abort(MPI_COMM_WORLD, 1);
        R.data.setup = h.setup;
        R.data.first_valid = h.first_valid;
        R.data.bar_seconds = h.bar_seconds;
    }
    comm_bcast_bytes(R.data.block, R.data.block_bytes);
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

    sched_ops ops = { &R, on_next, on_result, on_idle, on_run, on_draining, R.grace };
    int result = SCHED_DONE;
    sched_stats ss;
    memset(&ss, 0, sizeof ss);
    if (R.rank == 0) {
        R.busy = calloc((size_t)R.size, sizeof *R.busy);
        if (!R.busy) MPI_Abort(MPI_COMM_WORLD, 1);
        if (!R.quiet)
            fprintf(stderr, "rnnsweep: %d model points x %d strategy points; %d tasks in this sweep%s, %d to run "
                    "on %d rank%s x %d thread%s -> %s\n", R.plan.n_models, R.plan.n_strategies, R.counts.planned,
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
        exit_status = finish_rank0(&R, result, &ss);
        write_status(&R, exit_status);
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

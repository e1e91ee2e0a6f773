/*
 * bench_sched.c — scheduler throughput: empty tasks through the real
 * coordinator / worker protocol (cluster/sched.c), to show what the
 * coordinator costs per task, independent of training.
 *
 *   mpirun -np R build/bench/bench_sched [--tasks N] [--bytes B] [--journal DIR]
 *
 * Each worker answers every task at once with a result of B bytes (default:
 * the packed size of a quick.ini task — 9 strategies, 252 test bars);
 * with --journal the coordinator also validates and appends every result
 * to a real journal (write + group-commit fdatasync), as `rnnsweep run`
 * does.  Prints one line: ranks, tasks, seconds, tasks/s, µs per task.
 *
 * --verify 1 makes it a test of the transport (tests/test_sweep.sh): every
 * record's per-bar returns are filled with bytes drawn from its task key,
 * every task carries the previous task's record as its payload (as a
 * re-evaluation does), and each side checks that the bytes it received are
 * the ones the other side made; a mismatch exits 1.  Run it with
 * RNNSWEEP_MPI_PART_BYTES set small to send every message in parts.
 */
#include "cluster/sched.h"
#include "coordinator/journal.h"
#include "worker/task.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    long      n_tasks, next;
    task_buf  rec;            /* the record every worker returns            */
    task_buf  want;           /* --verify: the record expected              */
    journal  *j;
    int       verify;
    long      bad;            /* --verify: messages that arrived different  */
} bench;

/* --verify: the returns block of record rec (task_pack'd) filled with bytes
 * drawn from key, and the key set: a record whose bytes are its key's. */
static void fill_record(task_buf *rec, uint64_t key) {
    task_view v;
    ((task_head *)rec->p)->task_key = key;
    if (task_view_parse(rec->p, rec->len, &v, NULL)) return;
    size_t n = (size_t)v.h->n_strat * (size_t)v.h->n_test * sizeof(float);
    unsigned char *p = (unsigned char *)v.ret;
    uint64_t x = key * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

/* --verify: do buf[len] hold the record of key? */
static int check_record(bench *b, uint64_t key, const void *buf, size_t len) {
    fill_record(&b->want, key);
    return len == b->want.len && memcmp(buf, b->want.p, len) == 0;
}

static int b_next(void *ctx, int32_t msg[4], const void **payload, size_t *plen) {
    bench *b = ctx;
    if (b->next >= b->n_tasks) return 0;
    msg[0] = (int32_t)b->next++;
    if (b->verify) {
        /* the record of task msg[0] - 1 (key msg[0]) goes with it */
        fill_record(&b->rec, (uint64_t)msg[0]);
        msg[1] = 1;
        *payload = b->rec.p;
        *plen = b->rec.len;
    }
    return 1;
}

static int b_result(void *ctx, int rank, const int32_t msg[4], const void *buf, size_t len) {
    bench *b = ctx;
    (void)rank;
    if (b->verify && !check_record(b, (uint64_t)msg[0] + 1, buf, len)) b->bad++;
    if (!b->j) return 0;
    rs_err e;
    return journal_append(b->j, buf, len, &e);
}

static int b_run(void *ctx, const int32_t msg[4], const void *payload, size_t plen, const void **buf, size_t *len) {
    bench *b = ctx;
    if (b->verify) {
        if (msg[1] != 1 || !check_record(b, (uint64_t)msg[0], payload, plen)) {
            fprintf(stderr, "bench_sched: task %d: the payload arrived different (%zu bytes)\n", msg[0], plen);
            return 1;          /* sched_work aborts the job: the test fails */
        }
        fill_record(&b->rec, (uint64_t)msg[0] + 1);
    }
    ((task_head *)b->rec.p)->task_key = (uint64_t)msg[0] + 1;
    *buf = b->rec.p;
    *len = b->rec.len;
    return 0;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    bench b;
    memset(&b, 0, sizeof b);
    int status = 0;
    b.n_tasks = 20000;
    int n_strat = 9, n_test = 252;
    const char *jdir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--tasks")) b.n_tasks = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--test-bars")) n_test = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--strategies")) n_strat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--journal")) jdir = argv[i + 1];
        else if (!strcmp(argv[i], "--verify")) b.verify = atoi(argv[i + 1]);
    }
    /* a well-formed record of the requested shape */
    task_head h;
    memset(&h, 0, sizeof h);
    h.n_strat = n_strat;
    h.n_test = n_test;
    h.n_out = 1;
    task_row *rows = calloc((size_t)n_strat, sizeof *rows);
    int64_t *t = calloc((size_t)n_test, sizeof *t);
    double *y = calloc((size_t)n_test, sizeof *y), *pred = calloc((size_t)n_test, sizeof *pred);
    float *ret = calloc((size_t)n_test * (size_t)n_strat, sizeof *ret), *bh = calloc((size_t)n_test, sizeof *bh);
    rs_err e;
    if (!rows || !t || !y || !pred || !ret || !bh || task_pack(&b.rec, &h, rows, t, y, pred, ret, bh, NULL, &e))
        MPI_Abort(MPI_COMM_WORLD, 1);
    if (b.verify && task_pack(&b.want, &h, rows, t, y, pred, ret, bh, NULL, &e)) MPI_Abort(MPI_COMM_WORLD, 1);
    char jpath[4096] = "";
    if (rank == 0 && jdir) {
        snprintf(jpath, sizeof jpath, "%s/bench_sched.%d.journal", jdir, (int)getpid());
        if (journal_create(jpath, 0, "", 0, &b.j, &e)) { fprintf(stderr, "%s\n", e.msg); MPI_Abort(MPI_COMM_WORLD, 1); }
    }
    sched_ops ops = { &b, b_next, b_result, NULL, b_run, NULL, 0 };
    MPI_Barrier(MPI_COMM_WORLD);
    sched_stats st;
    memset(&st, 0, sizeof st);
    if (rank == 0) {
        if (size == 1) sched_serial(&ops, &st);
        else sched_coordinate(MPI_COMM_WORLD, &ops, &st);
        if (b.j) { journal_close(b.j, NULL); unlink(jpath); }
        printf("sched ranks=%d workers=%d tasks=%ld record_bytes=%zu journal=%s seconds=%.3f tasks_per_s=%.0f "
               "us_per_task=%.1f coordinator_cpu=%.0f%%\n", size, size > 1 ? size - 1 : 1, b.n_tasks,
               b.rec.len, jdir ? "yes" : "no", st.wall, b.n_tasks / st.wall, 1e6 * st.wall / b.n_tasks,
               100.0 * st.cpu_seconds / st.wall);
        if (b.verify)
            printf("verify: %ld of %ld results arrived different (part size %zu bytes)\n", b.bad, st.results,
                   sched_part_bytes());
        if (b.bad || (b.verify && st.results != b.n_tasks)) status = 1;
    } else {
        sched_work(MPI_COMM_WORLD, &ops);
    }
    task_buf_free(&b.rec);
    task_buf_free(&b.want);
    free(rows); free(t); free(y); free(pred); free(ret); free(bh);
    MPI_Finalize();
    return status;
}

/*
 * sched.c — the coordinator / worker protocol (see sched.h).
 */
#include "cluster/sched.h"

#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "worker/util.h"

enum { TAG_READY = 1, TAG_TASK = 2, TAG_RESULT = 3, TAG_STOP = 4, TAG_CANCEL = 5, TAG_ABANDONED = 6,
       TAG_BIG = 7, TAG_PART = 8 };

/* Both sides poll this long after activity before they start sleeping:
 * long enough to catch a reply that is already on its way (a round trip is
 * ~5 us; a journal append of a big record ~50 us), short enough that an
 * idle coordinator costs nothing measurable. */
#define SPIN_SECONDS 200e-6

static volatile sig_atomic_t drain_flag = 0;
static volatile sig_atomic_t drain_sig = 0;
static volatile sig_atomic_t drain_now = 0;   /* a second SIGINT: no grace */

/* Where a drain stands, for sched_cancelled: the worker's communicator
 * (MPI_COMM_NULL with one rank), the serial grace and when the drain was
 * first seen. */
static MPI_Comm work_comm = MPI_COMM_NULL;
static int      work_cancelled = 0;
static double   serial_grace = 0, drain_seen = -1;
static const sched_ops *serial_ops = NULL;

/* CPU time of the calling thread: what the coordinator really costs (time
 * "awake" overstates it when Open MPI yields the core inside a probe). */
static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sched_drain(void) { drain_flag = 1; }
int  sched_draining(void) { return drain_flag != 0; }
int  sched_drain_signal(void) { return drain_sig; }

static void on_signal(int sig) {
    /* Ctrl-C twice: the person at the terminal does not want to wait.  Only
     * SIGINT escalates: launchers repeat SIGTERM (Slurm signals every
     * process, then mpirun signals its ranks again), which must not cut a
     * drain short. */
    if (drain_flag && sig == SIGINT) drain_now = 1;
    if (!drain_sig) drain_sig = sig;
    drain_flag = 1;
}

void sched_catch_signals(void) {
    static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGHUP };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* SA_RESTART: a signal must not turn a write(2) of the journal or a
         * read of the data into an error; the flag is polled anyway */
        sa.sa_flags = SA_RESTART;
        sigaction(sigs[i], &sa, NULL);
    }
}

/* The first time the coordinator sees a drain: remember when, tell ops. */
static void note_drain(const sched_ops *ops) {
    if (drain_seen >= 0) return;
    drain_seen = rs_now();
    if (ops && ops->draining) ops->draining(ops->ctx);
}

int sched_cancelled(void *ctx) {
    (void)ctx;
    if (work_comm == MPI_COMM_NULL) {          /* one rank: its own deadline */
        if (!drain_flag) return 0;
        note_drain(serial_ops);
        return drain_now || rs_now() - drain_seen >= serial_grace;
    }
    if (work_cancelled) return 1;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(0, TAG_CANCEL, work_comm, &flag, &st);
    if (flag) {
        MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_CANCEL, work_comm, MPI_STATUS_IGNORE);
        work_cancelled = 1;
    }
    return work_cancelled;
}

/* Sleep for the current backoff and double it, up to 2 ms.  Why sleep at
 * all: Open MPI's blocking calls spin the progress engine at 100% CPU, and
 * on a node where every core runs a worker the coordinator's spinning
 * would steal a core from real work. */
static double backoff_sleep(double *us) {
    struct timespec ts = { 0, (long)(*us * 1000.0) };
    double t0 = rs_now();
    nanosleep(&ts, NULL);
    double slept = rs_now() - t0;    /* measured: timer slack makes it longer */
    *us = *us * 2 > 2000 ? 2000 : *us * 2;
    return slept;
}

void sched_wait(MPI_Request *req, MPI_Status *st) {
    double us = 50, t0 = rs_now();
    int flag = 0;
    for (;;) {
        MPI_Test(req, &flag, st);
        if (flag) return;
        /* poll for SPIN_SECONDS first: a reply usually comes that fast */
        if (rs_now() - t0 > SPIN_SECONDS) backoff_sleep(&us);
    }
}

/* Grow *buf to hold n bytes. */
static void *grow_buf(void **buf, size_t *cap, size_t n, MPI_Comm comm) {
    if (n <= *cap) return *buf;
    size_t nc = *cap ? *cap : 65536;
    while (nc < n) nc *= 2;
    void *nb = realloc(*buf, nc);
    if (!nb) MPI_Abort(comm, 1);
    *buf = nb;
    *cap = nc;
    return nb;
}

/* ---- messages larger than one MPI send ------------------------------------
 *
 * MPI counts are int: one MPI_Send of MPI_BYTE carries at most INT_MAX
 * bytes, and a 40 MB-per-strategy-point record at 100 points is past it.  A
 * message longer than the part size goes as a BIG header {u64 length, i32
 * tag the message stands for} followed by parts (tag PART) of at most the
 * part size, all from one sender to one receiver, sent back to back.  MPI
 * does not let messages of one sender on one communicator overtake each
 * other, so the receiver that probed the header receives the parts next
 * from that sender by tag PART, and nothing else can slip in between (each
 * side sends a whole message before it sends anything else to that peer).
 * A message up to the part size is sent exactly as before, one send. */

typedef struct { uint64_t len; int32_t tag, zero; } big_head;

static size_t part_bytes = 0;      /* 0: not read yet */

size_t sched_part_bytes(void) {
    if (!part_bytes) {
        part_bytes = SCHED_PART_BYTES;
        const char *v = getenv("RNNSWEEP_MPI_PART_BYTES");
        char *end;
        unsigned long long n = v ? strtoull(v, &end, 10) : 0;
        if (v && !*end && n >= 1 && n <= SCHED_PART_BYTES) part_bytes = (size_t)n;
    }
    return part_bytes;
}

/* Send n bytes at p to dest as one message of `tag` (in parts when longer
 * than sched_part_bytes). */
static void send_bytes(MPI_Comm comm, int dest, int tag, const void *p, size_t n) {
    const size_t part = sched_part_bytes();
    if (n <= part) {
        MPI_Send(p, (int)n, MPI_BYTE, dest, tag, comm);
        return;
    }
    big_head h = { (uint64_t)n, tag, 0 };
    MPI_Send(&h, (int)sizeof h, MPI_BYTE, dest, TAG_BIG, comm);
    for (size_t at = 0; at < n; at += part) {
        size_t k = n - at < part ? n - at : part;
        MPI_Send((const unsigned char *)p + at, (int)k, MPI_BYTE, dest, TAG_PART, comm);
    }
}

/* Receive the message whose probe is *st (from its source) into *buf
 * (grown): a BIG header is followed by its parts, and the message then
 * reads as the tag it stands for.  Returns the byte count; *tag is the
 * message's tag. */
static size_t recv_bytes(MPI_Comm comm, const MPI_Status *st, void **buf, size_t *cap, int *tag) {
    int count = 0, src = st->MPI_SOURCE;
    MPI_Get_count(st, MPI_BYTE, &count);
    if (st->MPI_TAG != TAG_BIG) {
        grow_buf(buf, cap, (size_t)count > 16 ? (size_t)count : 16, comm);
        MPI_Recv(*buf, count, MPI_BYTE, src, st->MPI_TAG, comm, MPI_STATUS_IGNORE);
        *tag = st->MPI_TAG;
        return (size_t)count;
    }
    big_head h;
    if (count != (int)sizeof h) MPI_Abort(comm, 1);
    MPI_Recv(&h, (int)sizeof h, MPI_BYTE, src, TAG_BIG, comm, MPI_STATUS_IGNORE);
    if (h.len > SIZE_MAX / 2) MPI_Abort(comm, 1);
    unsigned char *b = grow_buf(buf, cap, (size_t)h.len, comm);
    for (size_t at = 0; at < h.len;) {
        MPI_Status ps;
        int k = 0;
        size_t want = (size_t)h.len - at < (size_t)INT_MAX ? (size_t)h.len - at : (size_t)INT_MAX;
        MPI_Recv(b + at, (int)want, MPI_BYTE, src, TAG_PART, comm, &ps);
        MPI_Get_count(&ps, MPI_BYTE, &k);
        if (k <= 0) MPI_Abort(comm, 1);
        at += (size_t)k;
    }
    *tag = h.tag;
    return (size_t)h.len;
}

/* The coordinator's view of its workers. */
typedef struct {
    MPI_Comm          comm;
    const sched_ops  *ops;
    sched_stats      *st;
    int32_t         (*busy)[4];      /* the task each rank runs                 */
    char             *running, *cancelled, *parked;
    int               n_running, n_parked, active, out_of_tasks;
    void             *tbuf;          /* a TASK message: msg then payload        */
    size_t            tcap;
} coord;

static void send_stop(coord *C, int r) {
    int32_t msg[4] = { 0, 0, 0, 0 };
    MPI_Send(msg, (int)sizeof msg, MPI_BYTE, r, TAG_STOP, C->comm);
    C->active--;
}

/* Give worker r (free, waiting) its next task, park it, or stop it. */
static void hand(coord *C, int r) {
    int32_t msg[4] = { 0, 0, 0, 0 };
    const void *pl = NULL;
    size_t plen = 0;
    int what = SCHED_NONE;
    if (!drain_flag && !C->out_of_tasks) what = C->ops->next(C->ops->ctx, msg, &pl, &plen);
    if (what == SCHED_LATER && C->n_running == 0) what = SCHED_NONE;   /* nothing could make one */
    if (what == SCHED_TASK) {
        unsigned char *b = grow_buf(&C->tbuf, &C->tcap, sizeof msg + plen, C->comm);
        memcpy(b, msg, sizeof msg);
        if (plen) memcpy(b + sizeof msg, pl, plen);
        memcpy(C->busy[r], msg, sizeof msg);
        C->running[r] = 1;
        C->n_running++;
        C->st->handed++;
        send_bytes(C->comm, r, TAG_TASK, b, sizeof msg + plen);
    } else if (what == SCHED_LATER) {
        C->parked[r] = 1;
        C->n_parked++;
    } else {
        if (what == SCHED_NONE && !drain_flag) C->out_of_tasks = 1;
        send_stop(C, r);
    }
}

/* After a result (or a drain): the parked workers may have work now, or
 * none will ever come. */
static void unpark(coord *C, int size) {
    for (int r = 1; r < size && C->n_parked; r++) {
        if (!C->parked[r]) continue;
        C->parked[r] = 0;
        C->n_parked--;
        hand(C, r);
    }
}

int sched_coordinate(MPI_Comm comm, const sched_ops *ops, sched_stats *st) {
    int size;
    MPI_Comm_size(comm, &size);
    memset(st, 0, sizeof *st);
    double t0 = rs_now(), c0 = thread_cpu();
    coord C;
    memset(&C, 0, sizeof C);
    C.comm = comm;
    C.ops = ops;
    C.st = st;
    C.busy = calloc((size_t)size, sizeof *C.busy);
    C.running = calloc((size_t)size, 1);
    C.cancelled = calloc((size_t)size, 1);
    C.parked = calloc((size_t)size, 1);
    C.active = size - 1;
    void *buf = NULL;
    size_t cap = 0;
    int failed = 0;
    double us = 50;
    double last = 0;   /* time of the last message: replies come in bursts */
    if (!C.busy || !C.running || !C.cancelled || !C.parked) MPI_Abort(comm, 1);
    while (C.active > 0) {
        if (drain_flag) {
            note_drain(ops);
            if (C.n_parked) unpark(&C, size);      /* every parked worker gets STOP */
            /* past the grace: abandon what still runs */
            if (drain_now || rs_now() - drain_seen >= ops->grace)
                for (int r = 1; r < size; r++)
                    if (C.running[r] && !C.cancelled[r]) {
                        MPI_Send(NULL, 0, MPI_BYTE, r, TAG_CANCEL, comm);
                        C.cancelled[r] = 1;
                    }
            if (C.active <= 0) break;
        }
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &ms);
        if (!flag) {
            if (rs_now() - last < SPIN_SECONDS) continue;
            if (ops->idle && ops->idle(ops->ctx)) drain_flag = 1;
            st->wait_seconds += backoff_sleep(&us);
            continue;
        }
        us = 50;
        int src = ms.MPI_SOURCE, tag = 0;
        size_t count = recv_bytes(comm, &ms, &buf, &cap, &tag);
        last = rs_now();
        int had_result = 0;
        if (tag == TAG_RESULT || tag == TAG_ABANDONED) {
            if (!C.running[src]) MPI_Abort(comm, 1);     /* a protocol bug, not a task failure */
            C.running[src] = 0;
            C.n_running--;
            C.cancelled[src] = 0;
            if (tag == TAG_ABANDONED) {
                st->abandoned++;
            } else {
                st->results++;
                had_result = 1;
                if (ops->result(ops->ctx, src, C.busy[src], buf, count)) { failed = 1; drain_flag = 1; }
            }
            if (ops->idle && ops->idle(ops->ctx)) drain_flag = 1;
        }
        hand(&C, src);
        /* a result may have made tasks ready for the workers waiting on it,
         * or (none running any more) shown that none will come */
        if (C.n_parked && (had_result || C.n_running == 0 || C.out_of_tasks)) unpark(&C, size);
    }
    free(C.busy);
    free(C.running);
    free(C.cancelled);
    free(C.parked);
    free(C.tbuf);
    free(buf);
    st->wall = rs_now() - t0;
    st->cpu_seconds = thread_cpu() - c0;
    if (failed) return SCHED_ERROR;
    return drain_flag ? SCHED_DRAINED : SCHED_DONE;
}

int sched_work(MPI_Comm comm, const sched_ops *ops) {
    work_comm = comm;
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, comm);
    void *mbuf = NULL;
    size_t mcap = 0;
    for (;;) {
        /* wait for the coordinator's next message without spinning: a TASK
         * carries its payload, so its length is known only from the probe */
        double us = 50, t0 = rs_now();
        int flag = 0;
        MPI_Status st;
        for (;;) {
            MPI_Iprobe(0, MPI_ANY_TAG, comm, &flag, &st);
            if (flag) break;
            if (rs_now() - t0 > SPIN_SECONDS) backoff_sleep(&us);
        }
        int tag = 0;
        size_t count = recv_bytes(comm, &st, &mbuf, &mcap, &tag);
        if (tag == TAG_STOP) { free(mbuf); return 0; }
        if (tag == TAG_CANCEL) continue;   /* crossed our last result: too late */
        if (count < 16) MPI_Abort(comm, 1);
        int32_t msg[4];
        memcpy(msg, mbuf, sizeof msg);
        const void *buf = NULL;
        size_t len = 0;
        work_cancelled = 0;
        int rc = ops->run(ops->ctx, msg, count > 16 ? (const unsigned char *)mbuf + 16 : NULL, count - 16, &buf, &len);
        if (rc == RS_EDRAIN && work_cancelled) {
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ABANDONED, comm);
            continue;
        }
        if (rc) {
            free(mbuf);
            MPI_Abort(comm, 1);
            return 1;
        }
        send_bytes(comm, 0, TAG_RESULT, buf, len);
    }
}

int sched_serial(const sched_ops *ops, sched_stats *st) {
    memset(st, 0, sizeof *st);
    double t0 = rs_now();
    int failed = 0;
    work_comm = MPI_COMM_NULL;
    serial_grace = ops->grace;
    serial_ops = ops;
    for (;;) {
        if (ops->idle && ops->idle(ops->ctx)) drain_flag = 1;
        if (drain_flag) { note_drain(ops); break; }
        int32_t msg[4] = { 0, 0, 0, 0 };
        const void *pl = NULL;
        size_t plen = 0;
        /* one rank: every result is in before the next ask, so LATER can
         * only mean that nothing will come */
        if (ops->next(ops->ctx, msg, &pl, &plen) != SCHED_TASK) break;
        st->handed++;
        const void *buf = NULL;
        size_t len = 0;
        int rc = ops->run(ops->ctx, msg, pl, plen, &buf, &len);
        if (rc == RS_EDRAIN && drain_flag) { st->abandoned++; break; }
        if (rc) { failed = 1; break; }
        st->results++;
        if (ops->result(ops->ctx, 0, msg, buf, len)) { failed = 1; break; }
    }
    serial_ops = NULL;
    st->wall = rs_now() - t0;
    if (failed) return SCHED_ERROR;
    return drain_flag ? SCHED_DRAINED : SCHED_DONE;
}

/*
 * sched.c — the coordinator / worker protocol (see sched.h).
 */
#include "cluster/sched.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "worker/util.h"

enum { TAG_READY = 1, TAG_TASK = 2, TAG_RESULT = 3, TAG_STOP = 4 };

/* Both sides poll this long after activity before they start sleeping:
 * long enough to catch a reply that is already on its way (a round trip is
 * ~5 us; a journal append of a big record ~50 us), short enough that an
 * idle coordinator costs nothing measurable. */
#define SPIN_SECONDS 200e-6

static volatile sig_atomic_t drain_flag = 0;

/* CPU time of the calling thread: what the coordinator really costs (time
 * "awake" overstates it when Open MPI yields the core inside a probe). */
static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sched_drain(void) { drain_flag = 1; }
int  sched_draining(void) { return drain_flag != 0; }

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

/* Receive a tagged message from `src`, waiting without spinning. */
static void recv_wait(void *buf, int count, MPI_Datatype t, int src, int tag, MPI_Comm comm,
                      MPI_Status *st) {
    MPI_Request r;
    MPI_Irecv(buf, count, t, src, tag, comm, &r);
    sched_wait(&r, st);
}

int sched_coordinate(MPI_Comm comm, const sched_ops *ops, sched_stats *st) {
    int size;
    MPI_Comm_size(comm, &size);
    memset(st, 0, sizeof *st);
    double t0 = rs_now(), c0 = thread_cpu();
    int32_t (*busy)[4] = calloc((size_t)size, sizeof *busy);   /* task each rank runs */
    char *running = calloc((size_t)size, 1);
    void *buf = NULL;
    size_t cap = 0;
    int active = size - 1, failed = 0, out_of_tasks = 0;
    double us = 50;
    double last = 0;   /* time of the last message: replies come in bursts */
    if (!busy || !running) MPI_Abort(comm, 1);
    while (active > 0) {
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
        int src = ms.MPI_SOURCE, count = 0;
        MPI_Get_count(&ms, MPI_BYTE, &count);
        if ((size_t)count > cap) {
            size_t nc = cap ? cap : 65536;
            while (nc < (size_t)count) nc *= 2;
            void *nb = realloc(buf, nc);
            if (!nb) MPI_Abort(comm, 1);
            buf = nb;
            cap = nc;
        }
        MPI_Recv(buf, count, MPI_BYTE, src, ms.MPI_TAG, comm, MPI_STATUS_IGNORE);
        last = rs_now();
        if (ms.MPI_TAG == TAG_RESULT) {
            st->results++;
            if (!running[src]) MPI_Abort(comm, 1);     /* a protocol bug, not a task failure */
            running[src] = 0;
            if (ops->result(ops->ctx, src, busy[src], buf, (size_t)count)) { failed = 1; drain_flag = 1; }
            if (ops->idle && ops->idle(ops->ctx)) drain_flag = 1;
        }
        int32_t msg[4] = { 0, 0, 0, 0 };
        if (!drain_flag && !out_of_tasks && ops->next(ops->ctx, msg)) {
            memcpy(busy[src], msg, sizeof msg);
            running[src] = 1;
            st->handed++;
            MPI_Send(msg, 4, MPI_INT32_T, src, TAG_TASK, comm);
        } else {
            out_of_tasks = 1;
            MPI_Send(msg, 4, MPI_INT32_T, src, TAG_STOP, comm);
            active--;
        }
    }
    free(busy);
    free(running);
    free(buf);
    st->wall = rs_now() - t0;
    st->cpu_seconds = thread_cpu() - c0;
    if (failed) return SCHED_ERROR;
    return drain_flag ? SCHED_DRAINED : SCHED_DONE;
}

int sched_work(MPI_Comm comm, const sched_ops *ops) {
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, comm);
    for (;;) {
        int32_t msg[4];
        MPI_Status st;
        recv_wait(msg, 4, MPI_INT32_T, 0, MPI_ANY_TAG, comm, &st);
        if (st.MPI_TAG == TAG_STOP) return 0;
        const void *buf = NULL;
        size_t len = 0;
        if (ops->run(ops->ctx, msg, &buf, &len) || len > INT_MAX) {
            MPI_Abort(comm, 1);
            return 1;
        }
        MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_RESULT, comm);
    }
}

int sched_serial(const sched_ops *ops, sched_stats *st) {
    memset(st, 0, sizeof *st);
    double t0 = rs_now();
    int failed = 0;
    for (;;) {
        if (ops->idle && ops->idle(ops->ctx)) drain_flag = 1;
        if (drain_flag) break;
        int32_t msg[4] = { 0, 0, 0, 0 };
        if (!ops->next(ops->ctx, msg)) break;
        st->handed++;
        const void *buf = NULL;
        size_t len = 0;
        if (ops->run(ops->ctx, msg, &buf, &len)) { failed = 1; break; }
        st->results++;
        if (ops->result(ops->ctx, 0, msg, buf, len)) { failed = 1; break; }
    }
    st->wall = rs_now() - t0;
    if (failed) return SCHED_ERROR;
    return drain_flag ? SCHED_DRAINED : SCHED_DONE;
}

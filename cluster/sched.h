/*
 * sched.h — the MPI protocol between the coordinator (rank 0) and the
 * workers (DESIGN.md, "Data flow" 2): dynamic scheduling on request.
 *
 *   worker                          coordinator (rank 0)
 *   READY  ───────────────────────▶ next task, or STOP
 *          ◀─────────────────────── TASK {4 × int32}
 *   (runs it)
 *   RESULT {packed bytes} ────────▶ result(); next task, or STOP
 *          ◀─────────────────────── TASK … / STOP
 *
 * The coordinator hands the next task to whichever worker reports, so
 * long and short tasks balance themselves; the ORDER it hands them out in
 * is the caller's (longest estimated first).  It never blocks in MPI: it
 * polls with MPI_Iprobe — for 200 µs after each message, since replies
 * come in bursts — and then sleeps between polls with a backoff (50 µs
 * doubling to 2 ms), so on an oversubscribed node it leaves the core to
 * the workers, while a reply still goes out within ~2 ms.  Workers wait
 * for their next task the same way.
 *
 * Draining: when sched_drain() has been called (from a signal handler:
 * it only sets a flag) or ops->idle returns 1, the coordinator stops
 * handing out tasks, collects every result in flight, answers STOP to
 * each worker as it reports, and returns SCHED_DRAINED.
 *
 * With one rank, sched_serial runs the same callbacks in-process: the
 * coordinator is its own worker.
 *
 * Messages: a task is 4 int32 chosen by the caller (e.g. model index, test
 * year); a result is raw bytes up to INT_MAX (MPI counts are int).
 */
#ifndef RS_SCHED_H
#define RS_SCHED_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

enum { SCHED_DONE = 0, SCHED_DRAINED = 1, SCHED_ERROR = 2 };

typedef struct {
    void *ctx;
    /* coordinator: fill the next task; return 1, or 0 when none is left. */
    int (*next)(void *ctx, int32_t msg[4]);
    /* coordinator: the result of `msg` arrived from `rank`.  Return 0, or
     * non-zero to stop the sweep (drain, then SCHED_ERROR). */
    int (*result)(void *ctx, int rank, const int32_t msg[4], const void *buf, size_t len);
    /* coordinator: called between polls and after each result (progress,
     * checkpoints); return 1 to start draining.  May be NULL. */
    int (*idle)(void *ctx);
    /* worker: run a task; set *buf and *len to the result (owned by the
     * worker's ctx, valid until the next call).  Return 0, or non-zero for
     * a failure that must abort the job (out of memory). */
    int (*run)(void *ctx, const int32_t msg[4], const void **buf, size_t *len);
} sched_ops;

typedef struct {
    double   wall;              /* seconds in the scheduling loop            */
    long     handed;            /* tasks handed out                          */
    long     results;           /* results received                          */
    double   wait_seconds;      /* coordinator: time asleep between polls    */
    double   cpu_seconds;       /* coordinator: CPU time its thread used     */
} sched_stats;

/* Rank 0 of comm (size >= 2).  Returns SCHED_DONE, SCHED_DRAINED or
 * SCHED_ERROR; every worker has been sent STOP on return. */
int sched_coordinate(MPI_Comm comm, const sched_ops *ops, sched_stats *st);

/* Ranks 1.. of comm: request, run, return results until STOP.  Returns 0,
 * or non-zero when ops->run failed (after MPI_Abort has been called). */
int sched_work(MPI_Comm comm, const sched_ops *ops);

/* One rank: next → run → result until done or drained. */
int sched_serial(const sched_ops *ops, sched_stats *st);

/* Async-signal-safe: request a drain (SIGTERM / SIGUSR1 handlers). */
void sched_drain(void);

/* 1 once a drain has been requested. */
int sched_draining(void);

/* Wait for a request without spinning (MPI_Test + sleep backoff). */
void sched_wait(MPI_Request *req, MPI_Status *st);

#endif /* RS_SCHED_H */

/*
 * sched.h — the MPI protocol between the coordinator (rank 0) and the
 * workers (DESIGN.md, "Data flow" 2): dynamic scheduling on request.
 *
 *   worker                          coordinator (rank 0)
 *   READY  ───────────────────────▶ next task, or STOP
 *          ◀─────────────────────── TASK {4 × int32, payload bytes}
 *   (runs it)
 *   RESULT {packed bytes} ────────▶ result(); next task, or STOP
 *          ◀─────────────────────── TASK … / STOP
 *
 * A task may carry a payload (a finished task's record that the worker
 * re-evaluates instead of training: evaluate.h).  When next() has no task
 * READY yet but results still to come may make some (a successive-halving
 * rung waiting for its last results), the worker that asked waits, parked,
 * and gets the next task that becomes ready after a result; no message is
 * exchanged meanwhile.
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
 * it only sets a flag; sched_catch_signals installs it for SIGTERM,
 * SIGINT, SIGUSR1 and SIGHUP) or ops->idle returns 1, the coordinator stops
 * handing out tasks, collects the results in flight, answers STOP to each
 * worker as it reports, and returns SCHED_DRAINED.  A task still running
 * `grace` seconds after the drain began is abandoned: the coordinator
 * sends its worker CANCEL, the worker's task sees sched_cancelled() turn 1
 * at its next check (every mini-batch, through rnn_train_opts.stop) and
 * stops, ops->run returns RS_EDRAIN, the worker answers ABANDONED instead
 * of a result, and the task simply reruns on --resume.  So a drain ends
 * within about `grace` seconds however long the tasks are, and never
 * loses a finished one.
 *
 *   coordinator            worker (running a task)
 *   (drain + grace) CANCEL ──▶ sched_cancelled() = 1: the task stops
 *          ◀──────────────── ABANDONED
 *   STOP  ─────────────────▶ returns
 *
 * A CANCEL that crosses a RESULT on the wire is ignored by the worker.
 *
 * With one rank, sched_serial runs the same callbacks in-process: the
 * coordinator is its own worker.
 *
 * Messages: a task is 4 int32 chosen by the caller (e.g. model index, test
 * year) and its payload, sent as bytes; a result is raw bytes.  Either may
 * be of any length: one longer than sched_part_bytes() (1 GiB) goes as a
 * length header and then parts of at most that size (MPI counts are int, so
 * one send stops at 2 GiB); the callbacks see the whole message either way.
 */
#ifndef RS_SCHED_H
#define RS_SCHED_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* The largest part of a message in one MPI send (see above). */
#define SCHED_PART_BYTES ((size_t)1 << 30)

enum { SCHED_DONE = 0, SCHED_DRAINED = 1, SCHED_ERROR = 2 };

/* What next() returns. */
enum { SCHED_NONE = 0, SCHED_TASK = 1, SCHED_LATER = 2 };

typedef struct {
    void *ctx;
    /* coordinator: fill the next task's msg and optionally a payload
     * (*payload, *plen: bytes sent with it, owned by ctx and valid until the
     * next call; both preset to NULL / 0).  Return SCHED_TASK; SCHED_NONE
     * when no task is left; SCHED_LATER when none is ready but a result of
     * a task in flight may make one (returned with none in flight, it is
     * taken as SCHED_NONE: nothing could ever make one). */
    int (*next)(void *ctx, int32_t msg[4], const void **payload, size_t *plen);
    /* coordinator: the result of `msg` arrived from `rank`.  Return 0, or
     * non-zero to stop the sweep (drain, then SCHED_ERROR). */
    int (*result)(void *ctx, int rank, const int32_t msg[4], const void *buf, size_t len);
    /* coordinator: called between polls and after each result (progress,
     * checkpoints); return 1 to start draining.  May be NULL. */
    int (*idle)(void *ctx);
    /* worker: run a task (payload[plen] as next() gave it, NULL / 0 for
     * none); set *buf and *len to the result (owned by the worker's ctx,
     * valid until the next call).  Return 0; RS_EDRAIN when
     * the task stopped because sched_cancelled() said so (no result); any
     * other non-zero for a failure that must abort the job (out of
     * memory). */
    int (*run)(void *ctx, const int32_t msg[4], const void *payload, size_t plen, const void **buf, size_t *len);
    /* coordinator: called once, when a drain begins (e.g. to say so and
     * record that the run is resumable).  May be NULL. */
    void (*draining)(void *ctx);
    /* coordinator: seconds a task in flight may run on once a drain began
     * before it is abandoned (0 = abandon at once). */
    double grace;
} sched_ops;

typedef struct {
    double   wall;              /* seconds in the scheduling loop            */
    long     handed;            /* tasks handed out                          */
    long     results;           /* results received                          */
    long     abandoned;         /* tasks abandoned by a drain (they rerun)   */
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

/* Async-signal-safe: request a drain (what the signal handlers call). */
void sched_drain(void);

/* Handle SIGTERM, SIGINT, SIGUSR1 and SIGHUP by requesting a drain (a
 * signal ignored at start, e.g. SIGHUP under nohup, stays ignored).  Every
 * rank installs them: a launcher may signal any of them, and a rank must
 * never die of a signal its coordinator drains on. */
void sched_catch_signals(void);

/* 1 once a drain has been requested. */
int sched_draining(void);

/* The signal that requested the drain (0: none, or ops->idle). */
int sched_drain_signal(void);

/* For a task in flight: 1 when it must stop now.  On a worker rank: the
 * coordinator sent CANCEL (checked with MPI_Iprobe, so it is cheap enough
 * to ask every mini-batch).  With one rank: a drain began more than
 * ops->grace seconds ago.  Matches rnn_train_opts.stop (ctx unused). */
int sched_cancelled(void *ctx);

/* The part size in use: SCHED_PART_BYTES, or the environment variable
 * RNNSWEEP_MPI_PART_BYTES when it is an integer 1..SCHED_PART_BYTES (a
 * test hook: a test sends a 10 MB record in 1 MB parts; any other value is
 * ignored).  Read once, at the first call. */
size_t sched_part_bytes(void);

/* Wait for a request without spinning (MPI_Test + sleep backoff). */
void sched_wait(MPI_Request *req, MPI_Status *st);

#endif /* RS_SCHED_H */

/*
 * resume.h — the resume policy: which output a run may write, what it
 * continues from, and which tasks it still has to run (DESIGN.md, "Errors
 * and faults"; README "Crash safety", "Changing a sweep").
 *
 * Sources of finished tasks, in order of trust:
 *   1. the journal FILE.h5.journal: the source of truth.  An intact journal
 *      of this task version is streamed (journal_index_scan): the store gets
 *      a reference per record, attached to the journal, never the bytes.  Its
 *      records are kept when its stored config is compatible with this run's
 *      (config_check_compatible) and its data content hash is this run's;
 *      a torn tail is dropped (a task in flight: it reruns).
 *   2. the results file FILE.h5: always written FROM the journal, so it
 *      normally holds a subset of it; it is read only when the journal
 *      cannot be used whole —
 *        - no journal (a merged file): a new journal is seeded from it;
 *        - damaged records inside the journal (a flipped byte): the journal
 *          keeps every intact record, FILE.h5 gives back the tasks whose
 *          records were damaged, and only what neither holds reruns;
 *        - a damaged journal head: the journal is rebuilt from FILE.h5 plus
 *          every intact task record of a model of this plan (FILE.h5
 *          vouches for the sweep the head no longer names).
 *      After damage the journal is rewritten whole (journal_replace), the
 *      damaged file kept as FILE.h5.journal.damaged.
 *   A journal of an older task version (task.h: 3) is read with its records
 *   upgraded and rewritten whole as this version's, the old file kept as
 *   FILE.h5.journal.v3.
 *
 * A record that lacks a row for a strategy point of the current plan (a
 * strategy grid extended since) is completed from its stored predictions
 * without training (evaluate.h, task_reevaluate): the rows come out as a
 * full rerun's would, bit for bit.  Tasks still trained although a record
 * exists: failed ones with --retry-failed, failed ones lacking rows, and
 * records of an older rnnsweep (version 3) whose new rows need a motor map
 * the record holds no training classes for.
 */
#ifndef RS_RESUME_H
#define RS_RESUME_H

#include <stdio.h>

#include "coordinator/config.h"
#include "coordinator/journal.h"
#include "coordinator/plan.h"
#include "coordinator/store.h"

/* May this run write `output` (journal `jpath` beside it)?  Returns 0, or
 * RS_EINPUT with one line:
 *   - "-o X: is a directory; give a file name such as X/NAME.h5"
 *   - without --resume, an existing output or journal: "X exists: add
 *     --resume to continue that sweep, or choose another file with -o"
 *   - the output's directory missing ("results" alone is created), not a
 *     directory, or not writable (a read-only directory or filesystem). */
int resume_check_output(const char *output, const char *jpath, int resume, rs_err *e);

typedef struct {
    const char         *output;        /* FILE.h5                                   */
    const char         *jpath;         /* FILE.h5.journal                           */
    int                 resume;        /* --resume: continue what is there          */
    uint64_t            journal_hash;  /* rs_hash2(config data hash, data content
                                          hash): what the journal head must hold    */
    const sweep_config *cfg;           /* this run's config                         */
    const sweep_plan   *plan;          /* its plan (model keys vouch for salvaged
                                          records)                                  */
} resume_opts;

/* What resume_open found, for the log (resume_report_print). */
typedef struct {
    int    from_journal;               /* records read from the journal             */
    int    from_results;               /* records taken from FILE.h5                */
    int    seeded;                     /* 1: no journal, seeded from FILE.h5        */
    size_t torn_bytes;                 /* a torn tail dropped                       */
    int    n_damaged;                  /* damaged records skipped in the journal    */
    size_t damaged_at;                 /* byte offset of the first                  */
    int    kept_after;                 /* records after it, kept                    */
    int    head_damaged;               /* 1: the head was damaged, rebuilt          */
    int    rewritten;                  /* 1: journal rewritten, old one kept as
                                          JPATH.damaged (or JPATH.v3)               */
    int    upgraded_from;              /* the older task version of the journal
                                          (0: this one)                             */
    int    upgraded;                   /* its records, upgraded (task_upgrade)     */
    char   results_note[RS_ERRLEN];    /* why FILE.h5 could not help ("" if it did) */
    char   created[40];                /* the sweep's first start from FILE.h5, ""  */
} resume_report;

/* Fill the empty store `st` with every finished task (see above) and open
 * the journal for appending (*j), creating it for a new sweep.  Returns 0,
 * or RS_EINPUT (an incompatible config or changed data: "--resume FILE:
 * ..."; a foreign file where the journal should be; a damaged head with no
 * usable FILE.h5, with how to recover) / RS_EINTERNAL, with nothing
 * written. */
int resume_open(const resume_opts *o, store *st, journal **j, resume_report *rep, rs_err *e);

/* The report's lines ("rnnsweep: ..."), nothing when there is nothing to say. */
void resume_report_print(const resume_report *rep, const resume_opts *o, FILE *f);

/* Does record v have a row for every strategy point of plan p, and (when
 * p->series is known and v has a series) its series at p->series? */
int resume_covers(const sweep_plan *p, const task_view *v);

typedef struct {
    int    planned;                    /* tasks of this shard                       */
    int    reused;                     /* finished, a row for every point: kept     */
    int    reeval;                     /* finished, rows missing for new strategy
                                          points: re-evaluated from the record
                                          (evaluate.h), not trained                 */
    int    retrain_failed;             /* rows missing, the task had failed:
                                          retrained                                 */
    int    retrain_old;                /* rows missing, the record cannot be
                                          re-evaluated (a version-3 record and a new
                                          motor-map point): retrained               */
    int    retried;                    /* rerun: failed, --retry-failed             */
    double cost;                       /* estimated cost of the tasks to train      */
} resume_counts;

enum { RESUME_TRAIN = 0, RESUME_REEVAL = 1 };   /* what a task to do needs */

/* The tasks to do now, as indices into tasks[0..n_tasks) in their order
 * (the plan's longest-first order): those of shard K/N (every N-th from
 * K-1; shard_n = 0: all), minus finished ones (see above); mode[k] (may be
 * NULL) says whether todo[k] trains (RESUME_TRAIN) or is re-evaluated
 * from its stored record (RESUME_REEVAL: task_reevaluable).  todo and mode
 * have room for n_tasks.  Returns the count. */
int resume_choose(const sweep_plan *p, const plan_task *tasks, int n_tasks, int shard_k, int shard_n,
                  int retry_failed, const store *st, int *todo, int *mode, resume_counts *c);

/* The plan line of a resumed run: "rnnsweep: resume: K finished tasks
 * kept, R re-evaluated from their stored predictions (no training), M
 * retrained because ..., F failed tasks retried" (nothing for a new run). */
void resume_counts_print(const resume_counts *c, FILE *f);

#endif /* RS_RESUME_H */

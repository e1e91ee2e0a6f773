/*
 * cmd_merge.c — `rnnsweep merge OUT.h5 IN.h5...`: combine results files of
 * ONE plan (the shards of a job array, or partial runs) into one file.
 *
 * The rules — same plan, tasks deduplicated by key, tasks_planned, hosts —
 * are coordinator/merge.h's.  The output is written exactly as `rnnsweep
 * run` writes it, so a merge of shards equals the single-allocation run's
 * /results, /plan and /series.  OUT must not exist (nothing is
 * overwritten).
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
#include "coordinator/lock.h"
#include "coordinator/merge.h"
#include "coordinator/plan.h"
#include "coordinator/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep merge OUT.h5 IN.h5 [IN.h5 ...]\n"
        "Combine results files of one plan (e.g. the shards of 'rnnsweep run --shard K/N') into\n"
        "OUT.h5, dropping duplicate tasks by key.  Refuses files of different plans; never\n"
        "overwrites OUT.h5.\n");
}

/* The merge itself, with no lock and no checks on OUT (see commands.h). */
int merge_files(const char *out, const char *const *in, int n_in, int quiet) {
    rs_err e;
    results_file *r = calloc((size_t)n_in, sizeof *r);
    if (!r) return 1;
    int rc = 0, n_read = 0;
    for (int i = 0; i < n_in && !rc; i++, n_read++)
        if ((rc = results_read(in[i], &r[i], &e))) fprintf(stderr, "rnnsweep: %s\n", e.msg);
    if (!rc && (rc = merge_check(r, in, n_in, &e))) fprintf(stderr, "rnnsweep merge: %s\n", e.msg);
    sweep_config c;
    sweep_plan p;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    if (!rc && ((rc = config_load_text(r[0].ini_text, in[0], &c, &e)) || (rc = plan_build(&c, &p, &e))))
        fprintf(stderr, "rnnsweep: %s: %s\n", in[0], e.msg);
    task_view *v = NULL;
    char *hosts = NULL;
    int n = 0;
    if (!rc) {
        plan_set_bar_seconds(&p, r[0].bar_seconds);
        /* the inputs' data content hash, when they agree (else unknown: 0) */
        p.content_hash = r[0].data_content_hash;
        for (int i = 1; i < n_in; i++)
            if (r[i].data_content_hash != p.content_hash) p.content_hash = 0;
        if ((n = merge_views(r, in, n_in, &v, &e)) < 0) {
            fprintf(stderr, "rnnsweep: %s\n", e.msg);
            rc = e.status;
        }
    }
    if (!rc) {
        const char **hl = malloc((size_t)n_in * sizeof *hl);
        for (int i = 0; hl && i < n_in; i++) hl[i] = r[i].hosts;
        hosts = hl ? merge_hosts(hl, n_in) : NULL;
        free(hl);
        int ranks = 0;
        for (int i = 0; i < n_in; i++) ranks = r[i].ranks > ranks ? r[i].ranks : ranks;
        results_meta m = { .created = r[0].created, .ranks = ranks, .threads = r[0].threads,
                           .blas = r[0].blas, .hosts = hosts ? hosts : "", .shard = "",
                           .git_commit = r[0].git_commit, .slurm_job_id = r[0].slurm_job_id,
                           .slurm_array_job_id = r[0].slurm_array_job_id,
                           .tasks_planned = merge_planned(r, n_in), .bar_seconds = r[0].bar_seconds };
        if (!hosts) rc = 1;
        else if (results_write(out, &c, &p, r[0].folds, r[0].n_folds, v, n, &m, &e)) {
            fprintf(stderr, "rnnsweep: %s\n", e.msg);
            rc = e.status ? e.status : 1;
        } else if (!quiet) printf("rnnsweep merge: %s: %d records from %d files\n", out, n, n_in);
    }
    free(hosts);
    free(v);
    plan_free(&p);
    config_free(&c);
    for (int i = 0; i < n_read; i++) results_file_free(&r[i]);
    free(r);
    return rc;
}

int cmd_merge(int argc, char **argv) {
    const char *out = NULL;
    const char **in = calloc((size_t)(argc > 0 ? argc : 1), sizeof *in);
    int n_in = 0;
    if (!in) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); free(in); return 0; }
        if (a[0] == '-') {
            fprintf(stderr, "rnnsweep merge: unknown option '%s' (see --help)\n", a);
            free(in);
            return 2;
        }
        if (!out) out = a;
        else in[n_in++] = a;
    }
    if (!out || n_in < 1) {
        fprintf(stderr, "rnnsweep merge: need OUT.h5 and at least one IN.h5 (see --help)\n");
        free(in);
        return 2;
    }
    /* OUT's lock, as a run takes it (coordinator/lock.h): a sweep writing
     * OUT, or a second merge into it, is refused instead of one of them
     * renaming its file over the other's.  Checked for existence again
     * once held, since a run may have written OUT just before. */
    rs_err e;
    char lpath[CFG_PATH_MAX + 16];
    snprintf(lpath, sizeof lpath, "%s.lock", out);
    lock *lk = NULL;
    int lrc = lock_acquire(lpath, 0, &lk, &e);
    if (lrc) {
        fprintf(stderr, "rnnsweep merge: %s\n", e.msg);
        free(in);
        return lrc == RS_EINPUT ? 2 : 1;
    }
    struct stat sb;
    if (stat(out, &sb) == 0) {
        fprintf(stderr, "rnnsweep merge: %s exists: choose a new output file\n", out);
        lock_release(lk);
        free(in);
        return 2;
    }

    int rc = merge_files(out, in, n_in, 0);
    free(in);
    lock_release(lk);
    return rc;
}

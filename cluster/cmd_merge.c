/*
 * cmd_merge.c — `rnnsweep merge OUT.h5 IN.h5...`: combine results files of
 * ONE plan (the shards of a job array, or partial runs) into one file.
 *
 * Files whose sweep hash differs (a different grid, data or target) are
 * refused.  Tasks are deduplicated by key (the later file wins; equal keys
 * give equal results anyway, since a task's result depends only on its
 * key and the data).  The output is written exactly as `rnnsweep run`
 * writes it, so a merge of shards equals the single-allocation run's
 * /results, /plan and /series.  OUT must not exist (nothing is
 * overwritten).
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
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

int cmd_merge(int argc, char **argv) {
    const char *out = NULL;
    const char *in[4096];
    int n_in = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (a[0] == '-') { fprintf(stderr, "rnnsweep merge: unknown option '%s' (see --help)\n", a); return 2; }
        if (!out) out = a;
        else if (n_in < 4096) in[n_in++] = a;
        else { fprintf(stderr, "rnnsweep merge: at most 4096 input files\n"); return 2; }
    }
    if (!out || n_in < 1) { fprintf(stderr, "rnnsweep merge: need OUT.h5 and at least one IN.h5 (see --help)\n"); return 2; }
    struct stat sb;
    if (stat(out, &sb) == 0) { fprintf(stderr, "rnnsweep merge: %s exists: choose a new output file\n", out); return 2; }

    results_file *r = calloc((size_t)n_in, sizeof *r);
    if (!r) return 1;
    rs_err e;
    int rc = 0, n_read = 0;
    for (int i = 0; i < n_in && !rc; i++, n_read++) {
        if ((rc = results_read(in[i], &r[i], &e))) { fprintf(stderr, "rnnsweep: %s\n", e.msg); break; }
        if (i > 0 && r[i].sweep_hash != r[0].sweep_hash) {
            fprintf(stderr, "rnnsweep merge: %s and %s come from different plans (sweep hash %016llx vs "
                    "%016llx): refusing to merge\n", in[0], in[i], (unsigned long long)r[0].sweep_hash,
                    (unsigned long long)r[i].sweep_hash);
            rc = 2;
        }
    }
    sweep_config c;
    sweep_plan p;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    if (!rc && ((rc = config_load_text(r[0].ini_text, in[0], &c, &e)) || (rc = plan_build(&c, &p, &e))))
        fprintf(stderr, "rnnsweep: %s: %s\n", in[0], e.msg);
    if (!rc) {
        plan_set_bar_seconds(&p, r[0].bar_seconds);
        int total = 0;
        for (int i = 0; i < n_in; i++) total += r[i].n_tasks;
        task_view *v = malloc((size_t)(total ? total : 1) * sizeof *v);
        if (!v) rc = 1;
        int n = 0;
        for (int i = 0; i < n_in && !rc; i++)
            for (int k = 0; k < r[i].n_tasks && !rc; k++)
                if (task_view_parse(r[i].tasks[k].p, r[i].tasks[k].len, &v[n++], &e)) {
                    fprintf(stderr, "rnnsweep: %s: %s\n", in[i], e.msg);
                    rc = 2;
                }
        /* planned tasks: the shards of one N add up; otherwise the largest */
        int planned = 0, same_n = 1, sum = 0;
        char first_n[32] = "";
        for (int i = 0; i < n_in; i++) {
            const char *slash = strchr(r[i].shard, '/');
            if (!slash) same_n = 0;
            else if (!first_n[0]) snprintf(first_n, sizeof first_n, "%s", slash);
            else if (strcmp(first_n, slash)) same_n = 0;
            sum += r[i].tasks_planned;
            if (r[i].tasks_planned > planned) planned = r[i].tasks_planned;
        }
        if (same_n) planned = sum;
        /* hosts: every input's */
        size_t hl = 1;
        for (int i = 0; i < n_in; i++) hl += strlen(r[i].hosts ? r[i].hosts : "") + 1;
        char *hosts = calloc(hl, 1);
        for (int i = 0; hosts && i < n_in; i++)
            if (r[i].hosts && r[i].hosts[0] && !strstr(hosts, r[i].hosts)) {
                if (hosts[0]) strcat(hosts, ",");
                strcat(hosts, r[i].hosts);
            }
        int ranks = 0;
        for (int i = 0; i < n_in; i++) ranks = r[i].ranks > ranks ? r[i].ranks : ranks;
        results_meta m = { .created = r[0].created, .ranks = ranks, .threads = r[0].threads,
                           .blas = r[0].blas, .hosts = hosts ? hosts : "", .shard = "",
                           .tasks_planned = planned, .bar_seconds = r[0].bar_seconds };
        if (!rc && results_write(out, &c, &p, r[0].folds, r[0].n_folds, v, n, &m, &e)) {
            fprintf(stderr, "rnnsweep: %s\n", e.msg);
            rc = e.status ? e.status : 1;
        }
        if (!rc) printf("rnnsweep merge: %s: %d records from %d files\n", out, n, n_in);
        free(hosts);
        free(v);
    }
    plan_free(&p);
    config_free(&c);
    for (int i = 0; i < n_read; i++) results_file_free(&r[i]);
    free(r);
    return rc;
}

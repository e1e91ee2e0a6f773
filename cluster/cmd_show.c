/*
 * cmd_show.c — `rnnsweep show FILE.h5 [options]` (coordinator/report.h):
 * the verdict, the leaderboard, group tables, paired comparisons, one
 * configuration fold by fold; and `rnnsweep report FILE.h5 --html OUT`
 * (coordinator/html.h), the same board as one self-contained page.
 * Reads only the file: the plan is rebuilt from the INI text it stores —
 * except `show --config ID --series bar`, which reloads the sweep's data
 * (checked against the content hash the file records) and recomputes that
 * configuration's per-bar strategy curve from the stored predictions with
 * the worker's own code (task_reevaluate at TASK_SERIES_BAR): bit for bit
 * the per-bar series a run with [run] series = bar stores.
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
#include "coordinator/html.h"
#include "coordinator/plan.h"
#include "coordinator/report.h"
#include "coordinator/lock.h"
#include "coordinator/prepare.h"
#include "coordinator/results.h"
#include "worker/evaluate.h"
#include "worker/series.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f, const char *cmd) {
    fprintf(f,
        "usage: rnnsweep %s FILE.h5 [--top N] [--metric M] [--by KEY[,KEY]] [--config ID] [--lookahead]\n"
        "       [--format table|csv|json] [--pbo-blocks S] [--wf-top K] [--series bar [--out FILE]]%s\n"
        "The verdict on the winner (deflated Sharpe, PBO, walk-forward selection), then every (model point,\n"
        "strategy point) configuration ranked by the mean of a metric over its walk-forward folds (seeds\n"
        "averaged: they are replicates), with the stitched curve across folds beside the per-fold means.\n"
        "  --top N          leaderboard rows (10)\n"
        "  --metric M       sharpe (default), sortino, calmar, roi_pct, cagr_pct, max_dd_pct, vol_pct,\n"
        "                   hit_rate_pct, profit_factor, n_trades, exposure_pct, rmse, mae, r2,\n"
        "                   dir_acc, accuracy, macro_f1, log_loss, test_loss\n"
        "  --by KEY         group table and a paired comparison of KEY's levels on matched cells: model\n"
        "                   (lstm / gru / stacked), cell, hidden, lookback, lr, seed, fold, year, and every\n"
        "                   [strategy] key (kind, threshold, spacing, correction, ...); --by A,B a two-way table\n"
        "  --config ID      one configuration fold by fold (ID: the id column, 4 or more hex digits)\n"
        "  --lookahead      include LOOK-AHEAD rows (correction = motormap_peek), left out by default\n"
        "  --format F       table (default), csv (the leaderboard, or the --by / --config table), json\n"
        "  --pbo-blocks S   CSCV blocks for PBO (even, 2..30; 16)\n"
        "  --wf-top K       walk-forward selection also averages the top K (5)\n"
        "  --series bar     with --config: recompute that configuration's per-bar curve from the stored\n"
        "                   predictions and the sweep's data (its content hash checked: exit 2 when it\n"
        "                   differs) and write it as CSV: fold,t,time,bar,ret,equity,bh,bh_equity\n"
        "  --out FILE       with --series: write the CSV to FILE instead of stdout\n"
        "%s", cmd, !strcmp(cmd, "report") ? " [--html OUT.html]" : "",
        !strcmp(cmd, "report") ? "  --html OUT       write the report as one self-contained HTML page (inline SVG)\n" : "");
}

/* ---- show --config ID --series bar --------------------------------------------------- */

/* The record of model point `model` in fold fold_id, viewed in *v, or
 * NULL. */
static const task_buf *find_record(const results_file *r, int model, int fold_id, task_view *v) {
    for (int i = 0; i < r->n_tasks; i++)
        if (!task_view_parse(r->tasks[i].p, r->tasks[i].len, v, NULL) && v->h->fold_id == fold_id &&
            v->h->n_strat > 0 && v->rows[0].model == model)
            return &r->tasks[i];
    return NULL;
}

/* Recompute configuration ID's per-bar curve (see the top of the file)
 * and write it as CSV to out (NULL: stdout).  Per fold, in time order, the
 * bars of every seed's task (the seeds must trade the same bars, as the
 * verdict's stitched curve needs): ret is the seeds' mean bar return
 * (exactly the stored float with one seed), equity the stitched compounded
 * curve from 1, bh / bh_equity buy-and-hold under this configuration's
 * costs.  A fold whose tasks are not all ok is left out.  Returns 0,
 * RS_EINPUT (unknown id, a forecast configuration, data that is not the
 * sweep's, no recorded hash) or RS_EINTERNAL. */
static int show_bar_series(const char *path, const results_file *r, const sweep_config *c, sweep_plan *p,
                           const report_opts *o, const char *out, rs_err *e) {
    board *b = NULL;
    const board_opts bo = { o->metric, o->lookahead };
    int rc = board_build(r, p, &bo, &b, e);
    if (rc) return rc;
    int ci = board_find(b, o->config, e);
    if (ci < 0) { board_free(b); return RS_EINPUT; }
    const board_cfg *cf = &b->cfg[ci];
    if (cf->strat < 0) {
        board_free(b);
        return rs_err_set(e, RS_EINPUT, "--series bar: configuration %s is a forecast configuration (no strategy)",
                          o->config);
    }
    if (!r->data_content_hash) {
        board_free(b);
        return rs_err_set(e, RS_EINPUT, "--series bar: the file records no content hash of its data (schema %u, "
                          "or merged from files of different data): a recomputed curve could not be checked; a schema-4 file stores "
                          "its series per bar already (/series/returns)", r->schema);
    }
    task_data d;
    prepare_info info;
    memset(&d, 0, sizeof d);
    if ((rc = prepare_data(c, &d, &info, e))) { board_free(b); return rc; }
    if (info.content_hash != r->data_content_hash) {
        rc = rs_err_set(e, RS_EINPUT, "--series bar: the data its config names (loaded from the current directory) "
                        "is not the data this sweep ran on: content hash %016llx, the file records %016llx",
                        (unsigned long long)info.content_hash, (unsigned long long)r->data_content_hash);
        goto done;
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) { rc = rs_err_set(e, RS_EINPUT, "--out %s: cannot create", out); goto done; }
    const int s = cf->strat, g = cf->group, m0 = b->member_off[g], ns = b->member_off[g + 1] - m0;
    bt_strategy st = p->strategies[s].s;
    uint64_t key = p->strategies[s].key;
    task_buf *re = calloc((size_t)ns, sizeof *re);
    task_view *rv = calloc((size_t)ns, sizeof *rv);
    if (!re || !rv) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto close; }
    fprintf(f, "fold,t,time,bar,ret,equity,bh,bh_equity\n");
    double eq = 1, eqb = 1;
    for (int fi = 0; fi < b->n_folds && !rc; fi++) {
        const int fid = b->fold_ids[fi];
        int ok = 1;
        for (int k = 0; k < ns && ok; k++) {
            const int model = b->members[m0 + k];
            task_view ov;
            if (!find_record(r, model, fid, &ov) || ov.h->status != TASK_OK) { ok = 0; break; }
            plan_task t = { .model = model, .fold_id = fid, .key = plan_task_key(&p->models[model], fid) };
            task_input in;
            prepare_input(p, &d, &t, &st, &key, &in);
            in.n_strat = 1;
            in.series = TASK_SERIES_BAR;
            if ((rc = task_reevaluate(&d, &in, &ov, &re[k], e))) break;
            if ((rc = task_view_parse(re[k].p, re[k].len, &rv[k], e))) break;
            if (rv[k].h->n_test != rv[0].h->n_test || memcmp(rv[k].t, rv[0].t, (size_t)rv[0].h->n_test * 8)) ok = 0;
        }
        if (rc || !ok) continue;
        char id[FOLD_ID_MAX], tm[24];
        fold_id_text(fid, id, sizeof id);
        for (int i = 0; i < rv[0].h->n_test; i++) {
            double x = 0;
            for (int k = 0; k < ns; k++) x += rv[k].ret[i];
            x /= ns;
            eq *= 1 + x;
            eqb *= 1 + (double)rv[0].bh[i];
            /* %.9g gives a float back exactly; a seeds' mean is a double */
            fprintf(f, ns == 1 ? "%s,%lld,%s,%d,%.9g,%.17g,%.9g,%.17g\n" : "%s,%lld,%s,%d,%.17g,%.17g,%.9g,%.17g\n",
                    id, (long long)rv[0].t[i], series_format_time(rv[0].t[i], tm), i, x, eq, (double)rv[0].bh[i], eqb);
        }
    }
close:
    if (re)
        for (int k = 0; k < ns; k++) task_buf_free(&re[k]);
    free(re);
    free(rv);
    if (out && fclose(f) && !rc) rc = rs_err_set(e, RS_EINPUT, "--out %s: write failed", out);
done:
    task_data_free(&d);
    board_free(b);
    (void)path;
    return rc;
}

/* A sweep writing FILE.h5 checkpoints into part files (FILE.h5.part-N,
 * cmd_run.c) and writes FILE.h5 itself whole only at its start and end,
 * so mid-run FILE.h5 is the state the run started from.  show and report
 * read the current state instead: FILE.h5 merged with its parts (in name
 * order = journal order, later wins), into a temporary file *tmp (caller
 * removes it with live_done).  Returns the path to read: `path` itself
 * when there are no parts, or when the merge fails because the run ended
 * meanwhile and removed them (FILE.h5 is then whole). */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *live_path(const char *path, char *tmp, size_t tmp_len, const char *cmd) {
    tmp[0] = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *ps = strrchr(path, '/'), *base = ps ? ps + 1 : path;   /* not in dir: it is cut */
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    char prefix[4096 + 16];
    snprintf(prefix, sizeof prefix, "%.4095s.part-", base);
    size_t pl = strlen(prefix);
    DIR *d = opendir(dir);
    if (!d) return path;
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, pl) || (len > 4 && !strcmp(de->d_name + len - 4, ".tmp"))) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(names, (size_t)cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        size_t need = strlen(dir) + len + 2;
        if (!(names[n] = malloc(need))) break;
        snprintf(names[n++], need, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    const char *use = path;
    if (n > 0) {
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        const char **in = malloc((size_t)(n + 1) * sizeof *in);
        const char *td = getenv("TMPDIR");
        snprintf(tmp, tmp_len, "%s/rnnsweep-live-XXXXXX", td && *td ? td : "/tmp");
        int fd = in ? mkstemp(tmp) : -1;
        if (fd >= 0) {
            close(fd);
            unlink(tmp);            /* merge writes a new file; it refuses none here */
            in[0] = path;
            for (int i = 0; i < n; i++) in[i + 1] = names[i];
            if (merge_files(tmp, in, n + 1, 1) == 0) {
                use = tmp;
                /* Parts outlive a run only when it was killed (a run that
                 * ends, however, folds them into FILE.h5): say which. */
                char lpath[4096 + 8];
                snprintf(lpath, sizeof lpath, "%.4095s.lock", path);
                const int live = lock_probe(lpath);
                if (live == 1)
                    fprintf(stderr, "rnnsweep %s: a sweep is writing %s: showing it with its %d checkpoint "
                            "part%s (the state at its last checkpoint)\n", cmd, path, n, n == 1 ? "" : "s");
                else if (live == 0)
                    fprintf(stderr, "rnnsweep %s: %s: no run is writing it, but a run that stopped before its "
                            "end left %d checkpoint part%s: showing it with them (the state at its last "
                            "checkpoint); `rnnsweep run CONFIG -o %s --resume` finishes it\n",
                            cmd, path, n, n == 1 ? "" : "s", path);
                else
                    fprintf(stderr, "rnnsweep %s: %s has %d checkpoint part%s beside it: showing it with them "
                            "(the state at the last checkpoint)\n", cmd, path, n, n == 1 ? "" : "s");
            } else {
                unlink(tmp);
                tmp[0] = 0;
                fprintf(stderr, "rnnsweep %s: %s: its checkpoint parts could not be merged (the run may "
                        "have just ended); showing %s as it is\n", cmd, path, path);
            }
        } else tmp[0] = 0;
        free(in);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return use;
}

static void live_done(const char *tmp) {
    if (tmp[0]) unlink(tmp);
}

static int cmd_common(int argc, char **argv, const char *cmd) {
    const char *path = NULL, *html = NULL, *series = NULL, *out = NULL;
    report_opts o = { .top = 10, .metric = "sharpe" };
    const char *by[2] = { NULL, NULL };
    int n_by = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout, cmd); return 0; }
        if (!strcmp(a, "--lookahead")) { o.lookahead = 1; continue; }
        if (!strcmp(a, "--top") || !strcmp(a, "--by") || !strcmp(a, "--metric") || !strcmp(a, "--config") ||
            !strcmp(a, "--format") || !strcmp(a, "--pbo-blocks") || !strcmp(a, "--wf-top") ||
            ((!strcmp(a, "--series") || !strcmp(a, "--out")) && !strcmp(cmd, "show")) ||
            (!strcmp(a, "--html") && !strcmp(cmd, "report"))) {
            if (i + 1 >= argc) { fprintf(stderr, "rnnsweep %s: %s needs a value\n", cmd, a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--top") || !strcmp(a, "--pbo-blocks") || !strcmp(a, "--wf-top")) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 1000000) {
                    fprintf(stderr, "rnnsweep %s: %s '%s': expected a positive integer\n", cmd, a, v);
                    return 2;
                }
                if (!strcmp(a, "--top")) o.top = (int)n;
                else if (!strcmp(a, "--wf-top")) o.wf_top = (int)n;
                else o.pbo_blocks = (int)n;
            } else if (!strcmp(a, "--by")) {
                /* --by a --by b is --by a,b: never keep only the last */
                if (n_by == 2) { fprintf(stderr, "rnnsweep %s: --by given more than twice\n", cmd); return 2; }
                by[n_by++] = v;
            } else if (!strcmp(a, "--format")) {
                if (!strcmp(v, "table")) o.format = REPORT_TABLE;
                else if (!strcmp(v, "csv")) o.format = REPORT_CSV;
                else if (!strcmp(v, "json")) o.format = REPORT_JSON;
                else { fprintf(stderr, "rnnsweep %s: --format '%s': expected table, csv or json\n", cmd, v); return 2; }
            } else if (!strcmp(a, "--series")) {
                if (strcmp(v, "bar")) { fprintf(stderr, "rnnsweep %s: --series '%s': expected bar\n", cmd, v); return 2; }
                series = v;
            } else if (!strcmp(a, "--out")) out = v;
            else if (!strcmp(a, "--config")) o.config = v;
            else if (!strcmp(a, "--html")) html = v;
            else o.metric = v;
            continue;
        }
        if (a[0] == '-' || path) { fprintf(stderr, "rnnsweep %s: unexpected argument '%s' (see --help)\n", cmd, a); return 2; }
        path = a;
    }
    if (!path) { fprintf(stderr, "rnnsweep %s: missing FILE.h5 (see --help)\n", cmd); return 2; }
    char by_buf[200];
    if (n_by == 2) {
        snprintf(by_buf, sizeof by_buf, "%s,%s", by[0], by[1]);
        o.by = by_buf;
    } else o.by = by[0];
    if ((series || out) && (!series || !o.config)) {
        fprintf(stderr, "rnnsweep %s: %s needs --config ID%s\n", cmd, series ? "--series" : "--out",
                series ? "" : " and --series bar");
        return 2;
    }
    rs_err e;
    if (report_check(&o, &e)) { fprintf(stderr, "rnnsweep %s: %s\n", cmd, e.msg); return 2; }
    char live_tmp[4096];
    const char *rpath = live_path(path, live_tmp, sizeof live_tmp, cmd);
    results_file r;
    if (results_read(rpath, &r, &e)) {
        fprintf(stderr, "rnnsweep: %s\n", e.msg);
        live_done(live_tmp);
        return e.status;
    }
    sweep_config c;
    sweep_plan p;
    int rc = config_load_text(r.ini_text, path, &c, &e);
    if (!rc) {
        rc = plan_build(&c, &p, &e);
        if (!rc) {
            if (r.bar_seconds > 0) plan_set_bar_seconds(&p, r.bar_seconds);
            if (series) {
                rc = show_bar_series(path, &r, &c, &p, &o, out, &e);
            } else if (html) {
                html_opts ho = { .top = o.top, .metric = o.metric, .lookahead = o.lookahead,
                                 .pbo_blocks = o.pbo_blocks, .wf_top = o.wf_top, .sweep = &c };
                rc = html_write(html, &r, &p, &ho, &e);
                if (!rc) printf("rnnsweep report: wrote %s\n", html);
            } else {
                o.sweep = &c;
                rc = report_print(&r, &p, &o, stdout, &e);
            }
            plan_free(&p);
        }
        config_free(&c);
    }
    if (rc) fprintf(stderr, "rnnsweep: %s: %s\n", path, e.msg);
    results_file_free(&r);
    live_done(live_tmp);
    return rc;
}

int cmd_show(int argc, char **argv) { return cmd_common(argc, argv, "show"); }
int cmd_report(int argc, char **argv) { return cmd_common(argc, argv, "report"); }

/* resume.c — the resume policy (see resume.h). */
#include "coordinator/resume.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/results.h"
#include "worker/evaluate.h"

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

int resume_check_output(const char *output, const char *jpath, int resume, rs_err *e) {
    struct stat sb;
    size_t ol = strlen(output);
    if (!ol) return rs_err_set(e, RS_EINPUT, "-o '': expected a file name such as results/NAME.h5");
    if ((stat(output, &sb) == 0 && S_ISDIR(sb.st_mode)) || output[ol - 1] == '/')
        return rs_err_set(e, RS_EINPUT, "-o %s: is a directory; give a file name such as %s%sNAME.h5", output,
                          output, output[ol - 1] == '/' ? "" : "/");
    if (!resume && (exists(output) || exists(jpath)))
        return rs_err_set(e, RS_EINPUT, "%s exists: add --resume to continue that sweep, or choose another "
                          "file with -o", exists(output) ? output : jpath);
    /* the output's directory: results/ is created, anything else must exist */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", output);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) slash[1] = 0;
    else *slash = 0;
    if (stat(dir, &sb) != 0) {
        if (strcmp(dir, "results") || mkdir(dir, 0755))
            return rs_err_set(e, RS_EINPUT, "-o %s: directory '%s' does not exist", output, dir);
    } else if (!S_ISDIR(sb.st_mode)) {
        return rs_err_set(e, RS_EINPUT, "-o %s: '%s' is not a directory", output, dir);
    }
    /* access() also sees a read-only filesystem, which root's permission
     * bypass does not: the run would otherwise fail later with status 1 */
    if (access(dir, W_OK | X_OK) != 0)
        return rs_err_set(e, RS_EINPUT, "-o %s: directory '%s' is not writable (%s)", output, dir, strerror(errno));
    return 0;
}

/* May records computed under the config `ini` (stored in `what`) be reused? */
static int check_compatible_ini(const resume_opts *o, const char *ini, const char *what, rs_err *e) {
    sweep_config old;
    rs_err ce;
    if (config_load_text(ini, what, &old, &ce))
        return rs_err_set(e, RS_EINPUT, "%s: its stored config no longer loads (%s); write to a new output file",
                          what, ce.msg);
    int rc = config_check_compatible(&old, o->cfg, &ce);
    config_free(&old);
    if (rc) return rs_err_set(e, RS_EINPUT, "--resume %s: %s", o->output, ce.msg);
    return 0;
}

static int oom(rs_err *e) { return rs_err_set(e, RS_EINTERNAL, "out of memory"); }

/* Add the records of a compatible results file that the store lacks. */
static int take_results(const resume_opts *o, store *st, resume_report *rep, int compat_fatal, rs_err *e) {
    results_file rf;
    rs_err re;
    int rc = results_read(o->output, &rf, &re);
    if (!rc) rc = check_compatible_ini(o, rf.ini_text, o->output, &re);
    if (rc) {
        results_file_free(&rf);
        if (compat_fatal) {
            if (e) *e = re;
            return rc;
        }
        snprintf(rep->results_note, sizeof rep->results_note, "%s", re.msg);
        return 0;
    }
    for (int i = 0; i < rf.n_tasks; i++) {
        uint64_t key = ((const task_head *)rf.tasks[i].p)->task_key;
        if (store_find(st, key) >= 0) continue;
        if (store_put(st, rf.tasks[i].p, rf.tasks[i].len)) { results_file_free(&rf); return oom(e); }
        rep->from_results++;
    }
    snprintf(rep->created, sizeof rep->created, "%s", rf.created);
    results_file_free(&rf);
    return 0;
}

/* The store's records as journal records, in store order: only on the
 * paths that read the journal whole (damage, an older version), where
 * every record is a copy. */
static journal_rec *store_recs(const store *st) {
    assert(store_all_copies(st));
    journal_rec *r = malloc((size_t)(st->n ? st->n : 1) * sizeof *r);
    for (int i = 0; r && i < st->n; i++) r[i] = (journal_rec){ st->rec[i].p, (size_t)st->rec[i].len };
    return r;
}

/* The journal written whole again from the store; the old file kept as
 * JPATH.<suffix>. */
static int rewrite_journal(const resume_opts *o, const store *st, uint64_t data_hash, const char *ini,
                           const char *suffix, journal **j, resume_report *rep, rs_err *e) {
    journal_rec *r = store_recs(st);
    if (!r) return oom(e);
    size_t n = strlen(o->jpath) + 16;
    char *keep = malloc(n);
    if (!keep) { free(r); return oom(e); }
    snprintf(keep, n, "%s.%s", o->jpath, suffix);
    int rc = journal_replace(o->jpath, keep, data_hash, ini, strlen(ini), r, st->n, j, e);
    free(keep);
    free(r);
    if (!rc) rep->rewritten = 1;
    return rc;
}

static int model_in_plan(const sweep_plan *p, uint64_t model_key) {
    for (int i = 0; p && i < p->n_models; i++)
        if (p->models[i].key == model_key) return 1;
    return 0;
}

/* The journal's head is damaged: rebuild it from FILE.h5 and the intact
 * task records of this plan's models. */
static int rebuild_head(const resume_opts *o, store *st, journal **j, resume_report *rep, rs_err *e) {
    rep->head_damaged = 1;
    if (!exists(o->output))
        return rs_err_set(e, RS_EINPUT, "%s: the journal's head record is damaged and %s, which would vouch for "
                          "its records, does not exist: move the journal away (mv %s %s.damaged) and rerun to "
                          "start this output again", o->jpath, o->output, o->jpath, o->jpath);
    int rc = take_results(o, st, rep, 1, e);
    if (rc) {
        char m[RS_ERRLEN];
        snprintf(m, sizeof m, "%s", e ? e->msg : "");
        return rs_err_set(e, rc, "%s: the journal's head record is damaged and the results file cannot vouch for "
                          "its records (%s): move the journal away (mv %s %s.damaged) to start again", o->jpath,
                          m, o->jpath, o->jpath);
    }
    journal_contents jc;
    if ((rc = journal_salvage(o->jpath, &jc, e))) return rc;
    for (int i = 0; i < jc.n; i++) {
        const task_head *h = jc.rec[i].p;
        if (!model_in_plan(o->plan, h->model_key)) continue;
        /* the journal's copy is the newer one (FILE.h5 lags a checkpoint) */
        if (store_put(st, jc.rec[i].p, jc.rec[i].len)) { journal_contents_free(&jc); return oom(e); }
        rep->from_journal++;
    }
    rep->n_damaged = jc.n_damaged;
    rep->damaged_at = jc.damaged_at;
    rep->kept_after = jc.kept_after;
    rep->torn_bytes = jc.torn_bytes;
    journal_contents_free(&jc);
    return rewrite_journal(o, st, o->journal_hash, o->cfg->ini_text, "damaged", j, rep, e);
}

int resume_open(const resume_opts *o, store *st, journal **j, resume_report *rep, rs_err *e) {
    memset(rep, 0, sizeof *rep);
    *j = NULL;
    int rc;
    if (o->resume && exists(o->jpath)) {
        /* The common case, streamed: an intact journal of this version is
         * indexed in one pass and its records stay in the file (store.h:
         * references).  Damage or an older version (of the head or of any
         * record) take the whole-file path below, which rewrites the journal. */
        journal_index ix;
        if ((rc = journal_index_scan(o->jpath, &ix, e))) {
            if (rc == RS_EINPUT && ix.head_damaged) return rebuild_head(o, st, j, rep, e);
            return rc;
        }
        if ((rc = check_compatible_ini(o, ix.ini_text, o->jpath, e))) { journal_index_free(&ix); return rc; }
        if (ix.head.data_hash != o->journal_hash) {
            journal_index_free(&ix);
            return rs_err_set(e, RS_EINPUT, "--resume %s: the data files' contents changed since this sweep "
                              "started (same config, different bytes); write to a new output file", o->output);
        }
        if (ix.head.task_version == TASK_VERSION && !ix.n_damaged && !ix.old_records) {
            for (int i = 0; i < ix.n; i++)
                if (store_put_ref(st, ix.ent[i].key, ix.ent[i].status, ix.ent[i].off, (size_t)ix.ent[i].len)) {
                    journal_index_free(&ix);
                    return oom(e);
                }
            rep->from_journal = ix.n;
            rep->torn_bytes = ix.torn_bytes;
            size_t valid = ix.valid_bytes;
            journal_index_free(&ix);
            if ((rc = store_attach(st, o->jpath, e))) return rc;
            return journal_open_append(o->jpath, valid, j, e);
        }
        journal_index_free(&ix);
        journal_contents jc;
        if ((rc = journal_read(o->jpath, &jc, e))) {
            if (rc == RS_EINPUT && jc.head_damaged) return rebuild_head(o, st, j, rep, e);
            return rc;
        }
        if ((rc = check_compatible_ini(o, jc.ini_text, o->jpath, e))) { journal_contents_free(&jc); return rc; }
        if (jc.head.data_hash != o->journal_hash) {
            journal_contents_free(&jc);
            return rs_err_set(e, RS_EINPUT, "--resume %s: the data files' contents changed since this sweep "
                              "started (same config, different bytes); write to a new output file", o->output);
        }
        for (int i = 0; i < jc.n; i++)
            if (store_put(st, jc.rec[i].p, jc.rec[i].len)) { journal_contents_free(&jc); return oom(e); }
        rep->from_journal = jc.n;
        rep->torn_bytes = jc.torn_bytes;
        rep->n_damaged = jc.n_damaged;
        rep->damaged_at = jc.damaged_at;
        rep->kept_after = jc.kept_after;
        if (jc.head.task_version != TASK_VERSION) {
            /* an older program's journal: its records were upgraded on read
             * (task_upgrade); write them whole as this version's, so every
             * record of the file has the version its head names */
            rep->upgraded = jc.old_records;
            rep->upgraded_from = (int)jc.head.task_version;
            if (jc.n_damaged && exists(o->output) && (rc = take_results(o, st, rep, 0, e))) {
                journal_contents_free(&jc);
                return rc;
            }
            char suffix[16];
            snprintf(suffix, sizeof suffix, "v%u", jc.head.task_version);
            rc = rewrite_journal(o, st, jc.head.data_hash, jc.ini_text, suffix, j, rep, e);
            journal_contents_free(&jc);
            return rc;
        }
        if (!jc.n_damaged) {
            size_t valid = jc.valid_bytes;
            journal_contents_free(&jc);
            return journal_open_append(o->jpath, valid, j, e);
        }
        /* Damage: what the results file holds of the lost records comes back
         * from it; the journal is written whole again. */
        if (exists(o->output) && (rc = take_results(o, st, rep, 0, e))) { journal_contents_free(&jc); return rc; }
        if (!exists(o->output)) snprintf(rep->results_note, sizeof rep->results_note, "%s does not exist", o->output);
        rc = rewrite_journal(o, st, jc.head.data_hash, jc.ini_text, "damaged", j, rep, e);
        journal_contents_free(&jc);
        return rc;
    }
    if (o->resume && exists(o->output)) {
        /* no journal (e.g. a merged file): seed a new one from the results */
        if ((rc = take_results(o, st, rep, 1, e))) return rc;
        rep->seeded = 1;
    }
    if ((rc = journal_create(o->jpath, o->journal_hash, o->cfg->ini_text, o->cfg->ini_len, j, e))) return rc;
    /* the records seeded from the results file go into the new journal and
     * are held from then on as references into it, like a run's own */
    if (!rc) rc = store_attach(st, o->jpath, e);
    for (int i = 0; i < st->n && !rc; i++) {
        store_rec *r = &st->rec[i];
        uint64_t off = journal_bytes(*j) + JOURNAL_REC_HEADER;
        if ((rc = journal_append(*j, r->p, (size_t)r->len, e))) break;
        free(r->p);
        r->p = NULL;
        r->off = off;
    }
    if (!rc) rc = journal_sync(*j, e);
    if (rc) {
        journal_close(*j, NULL);
        *j = NULL;
        unlink(o->jpath);     /* ours: created just now, holds nothing else */
    }
    return rc;
}

void resume_report_print(const resume_report *r, const resume_opts *o, FILE *f) {
    if (r->head_damaged)
        fprintf(f, "rnnsweep: %s: the journal's head record was damaged: rebuilt from %s (%d tasks) and %d intact "
                "task records of the journal; the damaged file is kept as %s.damaged\n", o->jpath, o->output,
                r->from_results, r->from_journal, o->jpath);
    else if (r->n_damaged) {
        fprintf(f, "rnnsweep: %s: corrupt record at byte %zu (%d records after it kept)", o->jpath, r->damaged_at,
                r->kept_after);
        if (r->n_damaged > 1) fprintf(f, "; %d damaged records in all", r->n_damaged);
        if (r->results_note[0]) fprintf(f, "; nothing recovered from the results file: %s", r->results_note);
        else fprintf(f, "; %d tasks recovered from %s", r->from_results, o->output);
        fprintf(f, "; the rest rerun; journal rewritten, the damaged file kept as %s.damaged\n", o->jpath);
    }
    if (r->torn_bytes && !r->n_damaged)
        fprintf(f, "rnnsweep: %s: ignoring a torn tail of %zu bytes (a task in flight when the run stopped; it "
                "will rerun)\n", o->jpath, r->torn_bytes);
    if (r->seeded)
        fprintf(f, "rnnsweep: %s: no journal; a new one seeded from the results file (%d tasks)\n", o->output,
                r->from_results);
    if (r->upgraded_from)
        fprintf(f, "rnnsweep: %s: written by an older rnnsweep (task records version %d): %d records upgraded "
                "to version %u (no learning curves or training classes: a new motor-map correction retrains "
                "those tasks); journal rewritten, the old file kept as %s.v%d\n", o->jpath, r->upgraded_from,
                r->upgraded, TASK_VERSION, o->jpath, r->upgraded_from);
}

int resume_covers(const sweep_plan *p, const task_view *v) {
    if (v->h->n_strat < p->n_strategies) return 0;
    /* a record with series at another resolution than the run stores is
     * not covered: it is re-evaluated at the new one (no retraining) */
    if (p->series >= 0 && v->h->n_test > 0 && v->h->series != p->series) return 0;
    for (int s = 0; s < p->n_strategies; s++) {
        int found = 0;
        for (int r = 0; r < v->h->n_strat && !found; r++) found = v->rows[r].strategy_key == p->strategies[s].key;
        if (!found) return 0;
    }
    return 1;
}

int resume_choose(const sweep_plan *p, const plan_task *tasks, int n_tasks, int shard_k, int shard_n,
                  int retry_failed, const store *st, int *todo, int *mode, resume_counts *c) {
    memset(c, 0, sizeof *c);
    /* the plan's points as task_reevaluable takes them */
    const int ns = p->n_strategies;
    bt_strategy *strat = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *strat);
    uint64_t *keys = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *keys);
    for (int s = 0; strat && keys && s < ns; s++) {
        strat[s] = p->strategies[s].s;
        keys[s] = p->strategies[s].key;
    }
    int n = 0;
    task_buf rb = { 0 };             /* a record read back from the journal */
    for (int i = 0; i < n_tasks; i++) {
        if (shard_n && i % shard_n != shard_k - 1) continue;
        c->planned++;
        int at = store_find(st, tasks[i].key), m = RESUME_TRAIN;
        if (at >= 0) {
            task_view v;
            /* head and rows decide the common case (every point there); the
             * whole record is read only to judge a re-evaluation */
            if (!store_get_rows(st, at, &rb, &v, NULL)) {
                const int status = v.h->status;
                if (retry_failed && status == TASK_FAILED) c->retried++;
                else if (resume_covers(p, &v)) { c->reused++; continue; }
                else if (strat && keys && !store_get(st, at, &rb, &v, NULL) &&
                         task_reevaluable(&v, strat, keys, ns, p->head == RNN_HEAD_CLS, NULL, 0)) {
                    c->reeval++;
                    m = RESUME_REEVAL;
                } else if (status == TASK_FAILED) c->retrain_failed++;
                else c->retrain_old++;
            }
        }
        if (mode) mode[n] = m;
        todo[n++] = i;
        if (m == RESUME_TRAIN) c->cost += tasks[i].cost;
    }
    free(strat);
    free(keys);
    task_buf_free(&rb);
    return n;
}

void resume_counts_print(const resume_counts *c, FILE *f) {
    if (!c->reused && !c->reeval && !c->retrain_failed && !c->retrain_old && !c->retried) return;
    fprintf(f, "rnnsweep: resume: %d finished tasks kept, %d re-evaluated from their stored predictions (no "
            "training), %d retrained", c->reused, c->reeval, c->retrain_failed + c->retrain_old);
    if (c->retrain_failed || c->retrain_old) {
        fprintf(f, " because");
        if (c->retrain_failed) fprintf(f, " %d had failed", c->retrain_failed);
        if (c->retrain_failed && c->retrain_old) fprintf(f, " and");
        if (c->retrain_old)
            fprintf(f, " %d records (an older rnnsweep's) lack the training classes a new motor-map correction "
                    "needs", c->retrain_old);
    }
    fprintf(f, ", %d failed tasks retried\n", c->retried);
}

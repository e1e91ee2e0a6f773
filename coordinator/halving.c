/*
 * halving.c — successive halving over the walk-forward periods (see
 * halving.h): rungs, the pure promotion, the score table.
 */
#include "coordinator/halving.h"
#include "coordinator/board.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int halving_rungs_build(int n_folds, int min_folds, int eta, halving_rungs *r) {
    memset(r, 0, sizeof *r);
    if (n_folds < 1) return 0;
    long n = min_folds < 1 ? 1 : min_folds < n_folds ? min_folds : n_folds;
    for (;;) {
        r->folds[r->n_rungs++] = (int)n;
        if (n >= n_folds || r->n_rungs == HALVING_MAX_RUNGS) break;
        n = n * (eta < 2 ? 2 : eta);
        if (n > n_folds) n = n_folds;
    }
    r->folds[r->n_rungs - 1] = n_folds;   /* the last rung has every period */
    return r->n_rungs;
}

/* ---- the promotion -------------------------------------------------------- */

typedef struct { double score; int group; } ranked;

/* Best first: a higher score, then no score last, ties by group index. */
static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    const int nx = isnan(x->score), ny = isnan(y->score);
    if (nx != ny) return nx - ny;
    if (!nx && x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->group > y->group) - (x->group < y->group);
}

static int cmp_int(const void *a, const void *b) {
    const int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int halving_promote(const double *score, const int *alive, int n_alive, int eta, int *keep) {
    if (n_alive <= 0) return 0;
    ranked *r = malloc((size_t)n_alive * sizeof *r);
    if (!r) return -1;
    for (int i = 0; i < n_alive; i++) r[i] = (ranked){ score[alive[i]], alive[i] };
    qsort(r, (size_t)n_alive, sizeof *r, cmp_ranked);
    const int e = eta < 2 ? 2 : eta;
    const int k = (n_alive + e - 1) / e;
    for (int i = 0; i < k; i++) keep[i] = r[i].group;
    free(r);
    qsort(keep, (size_t)k, sizeof *keep, cmp_int);
    return k;
}

/* ---- the score table ------------------------------------------------------- */

static size_t cell(const halving_table *t, int g, int f, int s) {
    return ((size_t)g * (size_t)t->n_folds + (size_t)f) * (size_t)t->n_points + (size_t)s;
}

int halving_table_init(halving_table *t, const sweep_plan *p, const int *group_of, int n_groups,
                       const int *fold_ids, int n_folds, const char *metric, rs_err *e) {
    memset(t, 0, sizeof *t);
    t->n_groups = n_groups;
    t->n_folds = n_folds;
    t->n_points = p->n_strategies;
    t->metric = board_metric_find(metric && *metric ? metric : "sharpe");
    if (t->metric < 0) return rs_err_set(e, RS_EINPUT, "[search] metric '%s': unknown", metric);
    t->higher = board_metrics()[t->metric].higher;
    t->group_of = group_of;
    const size_t n = (size_t)n_groups * (size_t)n_folds * (size_t)t->n_points;
    t->seeds = calloc((size_t)(n_groups ? n_groups : 1), sizeof *t->seeds);
    t->fold_ids = malloc((size_t)(n_folds ? n_folds : 1) * sizeof *t->fold_ids);
    t->sum = calloc(n ? n : 1, sizeof *t->sum);
    t->cnt = calloc(n ? n : 1, sizeof *t->cnt);
    t->bad = calloc(n ? n : 1, 1);
    if (!t->seeds || !t->fold_ids || !t->sum || !t->cnt || !t->bad) {
        halving_table_free(t);
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    memcpy(t->fold_ids, fold_ids, (size_t)n_folds * sizeof *fold_ids);
    for (int i = 0; i < p->n_models; i++)
        if (group_of[i] >= 0 && group_of[i] < n_groups) t->seeds[group_of[i]]++;
    return 0;
}

void halving_table_free(halving_table *t) {
    if (!t) return;
    free(t->seeds);
    free(t->fold_ids);
    free(t->sum);
    free(t->cnt);
    free(t->bad);
    memset(t, 0, sizeof *t);
}

void halving_table_add(halving_table *t, int model, const task_row *w) {
    const int g = t->group_of[model], s = w->strategy;
    if (g < 0 || g >= t->n_groups || s < 0 || s >= t->n_points || w->lookahead) return;
    int f = -1;
    for (int i = 0; i < t->n_folds && f < 0; i++)
        if (t->fold_ids[i] == w->fold_id) f = i;
    if (f < 0) return;
    int flagged;
    const double v = board_metric_value(t->metric, w, &flagged);
    const size_t c = cell(t, g, f, s);
    if (w->status != TASK_OK || flagged || !isfinite(v)) t->bad[c] = 1;
    else {
        t->sum[c] += t->higher ? v : -v;
        t->cnt[c]++;
    }
}

double halving_score(const halving_table *t, int g, int n) {
    double best = NAN;
    for (int s = 0; s < t->n_points; s++) {
        double sum = 0;
        int ok = 1;
        for (int f = 0; f < n && ok; f++) {
            const size_t c = cell(t, g, f, s);
            ok = !t->bad[c] && t->cnt[c] == t->seeds[g];
            sum += t->sum[c];
        }
        const double mean = sum / ((double)n * t->seeds[g]);
        if (ok && n > 0 && t->seeds[g] > 0 && (isnan(best) || mean > best)) best = mean;
    }
    return best;
}

int halving_select(const halving_table *t, const halving_rungs *r, int eta, int upto, int *alive, int *reached) {
    int n = t->n_groups;
    for (int g = 0; g < n; g++) {
        alive[g] = g;
        if (reached) reached[g] = 0;
    }
    double *score = malloc((size_t)(t->n_groups ? t->n_groups : 1) * sizeof *score);
    int *keep = malloc((size_t)(t->n_groups ? t->n_groups : 1) * sizeof *keep);
    if (!score || !keep) {
        free(score), free(keep);
        return -1;
    }
    for (int k = 0; k < upto && k < r->n_rungs - 1; k++) {
        for (int i = 0; i < n; i++) score[alive[i]] = halving_score(t, alive[i], r->folds[k]);
        const int m = halving_promote(score, alive, n, eta, keep);
        if (m < 0) { n = -1; break; }
        memcpy(alive, keep, (size_t)m * sizeof *keep);
        n = m;
        if (reached)
            for (int i = 0; i < n; i++) reached[alive[i]] = k + 1;
    }
    free(score);
    free(keep);
    return n;
}

int halving_check(const sweep_config *c, rs_err *e) {
    if (c->search.method != SEARCH_HALVING) return 0;
    const int line = config_key_line(c->ini_text, "search", "metric");
    rs_err be;
    const char *m = c->search.metric[0] ? c->search.metric : "sharpe";
    const char *why = NULL;
    char buf[RS_ERRLEN];
    if (board_check_metric(m, &be)) {
        snprintf(buf, sizeof buf, "%s", be.msg);
        why = buf;
    } else {
        const board_metric *bm = &board_metrics()[board_metric_find(m)];
        const int head = c->target.kind == TARGET_TREND3 ? RNN_HEAD_CLS : RNN_HEAD_REG;
        if (bm->head >= 0 && bm->head != head) {
            snprintf(buf, sizeof buf, "'%s' does not exist for target kind = %s", m,
                     c->target.kind == TARGET_TREND3 ? "trend3" : c->target.kind == TARGET_PRICE ? "price" : "return");
            why = buf;
        }
    }
    if (!why) return 0;
    if (line > 0) return rs_err_set(e, RS_EINPUT, "%s:%d: [search] metric: %s", c->file, line, why);
    return rs_err_set(e, RS_EINPUT, "%s: [search] metric: %s", c->file, why);
}

/* ---- replay ---------------------------------------------------------------- */

void halving_replay_free(halving_replay *h) {
    if (!h) return;
    free(h->group_of);
    free(h->reached);
    free(h->fold_ids);
    memset(h, 0, sizeof *h);
}

int halving_replay_build(const sweep_config *c, const sweep_plan *p, const task_row *rows, int n_rows,
                         const int *fold_ids, int n_ids, halving_replay *h, rs_err *e) {
    memset(h, 0, sizeof *h);
    const int nm = p->n_models ? p->n_models : 1;
    h->group_of = malloc((size_t)nm * sizeof *h->group_of);
    h->fold_ids = malloc((size_t)(n_ids ? n_ids : 1) * sizeof *h->fold_ids);
    if (!h->group_of || !h->fold_ids || (h->n_groups = plan_replicate_groups(p, h->group_of)) < 0) goto oom;
    h->reached = calloc((size_t)(h->n_groups ? h->n_groups : 1), sizeof *h->reached);
    if (!h->reached) goto oom;
    memcpy(h->fold_ids, fold_ids, (size_t)n_ids * sizeof *fold_ids);
    qsort(h->fold_ids, (size_t)n_ids, sizeof *h->fold_ids, cmp_int);
    for (int i = 0; i < n_ids; i++)
        if (!h->n_folds || h->fold_ids[i] != h->fold_ids[h->n_folds - 1]) h->fold_ids[h->n_folds++] = h->fold_ids[i];
    halving_rungs_build(h->n_folds, c->search.min_folds, c->search.eta, &h->r);
    halving_table t;
    int rc = halving_table_init(&t, p, h->group_of, h->n_groups, h->fold_ids, h->n_folds, c->search.metric, e);
    if (rc) { halving_replay_free(h); return rc; }
    for (int i = 0; i < n_rows; i++)
        if (rows[i].model >= 0 && rows[i].model < p->n_models) halving_table_add(&t, rows[i].model, &rows[i]);
    /* a rung is replayed only once every configuration promoted into it
     * has its periods: an interrupted sweep promotes no further */
    int *alive = malloc((size_t)(h->n_groups ? h->n_groups : 1) * sizeof *alive);
    if (!alive) { halving_table_free(&t); goto oom; }
    int upto = 0;
    for (; upto < h->r.n_rungs - 1; upto++) {
        const int n = halving_select(&t, &h->r, c->search.eta, upto, alive, NULL);
        if (n < 0) break;
        int done = 1;
        for (int i = 0; i < n && done; i++)
            for (int f = upto ? h->r.folds[upto - 1] : 0; f < h->r.folds[upto] && done; f++)
                for (int s = 0; s < t.n_points && done; s++) {
                    const size_t k = cell(&t, alive[i], f, s);
                    done = t.bad[k] || t.cnt[k] == t.seeds[alive[i]];
                }
        if (!done) break;
    }
    const int n = halving_select(&t, &h->r, c->search.eta, upto, alive, h->reached);
    free(alive);
    halving_table_free(&t);
    if (n < 0) goto oom;
    return 0;
oom:
    halving_replay_free(h);
    return rs_err_set(e, RS_EINTERNAL, "out of memory");
}

void halving_replay_describe(const halving_replay *h, const sweep_config *c, char *buf, size_t n) {
    size_t k = 0;
    int w = snprintf(buf, n, "successive halving (eta %d, by %s):", c->search.eta, c->search.metric);
    k = w > 0 && (size_t)w < n ? (size_t)w : n ? n - 1 : 0;
    for (int r = 0; r < h->r.n_rungs && k + 1 < n; r++) {
        int m = 0;
        for (int g = 0; g < h->n_groups; g++) m += h->reached[g] >= r;
        char id[FOLD_ID_MAX];
        w = snprintf(buf + k, n - k, "%s rung %d %d configuration%s on periods ..%s", r ? ";" : "", r + 1, m,
                     m == 1 ? "" : "s", fold_id_text(h->fold_ids[h->r.folds[r] - 1], id, sizeof id));
        k += w > 0 && (size_t)w < n - k ? (size_t)w : n - k - 1;
    }
}

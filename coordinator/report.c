/*
 * report.c — `rnnsweep show`: the verdict, the leaderboard, group tables,
 * paired comparisons and one configuration's folds, as a table, CSV or
 * JSON (see report.h).  Everything printed comes from a board (board.h) and
 * its verdict (verdict.h); this file only formats.
 *
 * Decisions report.h leaves open, made here:
 *   - numbers print with the same precision in every format (metric values
 *     4 decimals, percentages 2), so the CSV, the JSON and the HTML page
 *     carry the strings the table shows; "-" (JSON null) for no value;
 *   - --by with a fold / year / seed key prints the group table without a
 *     paired comparison (the periods are what cells are matched on; seeds
 *     are replicates);
 *   - paired comparisons use 2000 bootstrap resamples.
 */
#include "coordinator/report.h"
#include "coordinator/halving.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "worker/folds.h"
#include "worker/kern.h"

#define PAIRED_B 2000

/* ---- options -------------------------------------------------------------------- */

static const char *opt_metric(const report_opts *o) { return o && o->metric && *o->metric ? o->metric : "sharpe"; }

/* Split "a,b" into at most two keys (each < 48 bytes).  Returns the count
 * or -1 (more than two, or empty). */
static int split_by(const char *by, char k[2][48]) {
    if (!by || !*by) return 0;
    int n = 0;
    const char *s = by;
    while (*s) {
        const char *c = strchr(s, ',');
        size_t len = c ? (size_t)(c - s) : strlen(s);
        if (n == 2 || len == 0 || len >= 48) return -1;
        memcpy(k[n], s, len);
        k[n][len] = 0;
        n++;
        if (!c) break;
        s = c + 1;
        if (!*s) return -1;
    }
    return n;
}

int report_check(const report_opts *o, rs_err *e) {
    rs_err_clear(e);
    const char *ms = opt_metric(o);
    if (board_check_metric(ms, e)) return RS_EINPUT;
    if (o && o->top < 0) return rs_err_set(e, RS_EINPUT, "--top %d: expected a count >= 1", o->top);
    if (o && (o->format < REPORT_TABLE || o->format > REPORT_JSON))
        return rs_err_set(e, RS_EINPUT, "format %d: expected table, csv or json", o->format);
    if (o && o->pbo_blocks && (o->pbo_blocks < 2 || o->pbo_blocks > 30 || o->pbo_blocks % 2))
        return rs_err_set(e, RS_EINPUT, "--pbo-blocks %d: expected an even number from 2 to 30", o->pbo_blocks);
    char k[2][48];
    int nk = split_by(o ? o->by : NULL, k);
    if (nk < 0) return rs_err_set(e, RS_EINPUT, "--by '%.80s': expected KEY or KEY,KEY (at most two keys)", o->by);
    for (int i = 0; i < nk; i++)
        if (board_check_key(ms, k[i], e)) return RS_EINPUT;
    if (nk == 2 && !strcmp(k[0], k[1]))
        return rs_err_set(e, RS_EINPUT, "--by %s,%s: two different keys expected", k[0], k[1]);
    if (o && o->config && nk)
        return rs_err_set(e, RS_EINPUT, "--config and --by: one view at a time");
    return 0;
}

/* ---- numbers ----------------------------------------------------------------------- */

static void num(char *buf, double v, int prec) {
    if (isfinite(v)) snprintf(buf, REPORT_CELL, "%.*f", prec, v);
    else snprintf(buf, REPORT_CELL, "-");
}

static void signed_pct(char *buf, size_t n, double v) {
    if (isfinite(v)) snprintf(buf, n, "%+.2f %%", v);
    else snprintf(buf, n, "-");
}

/* ---- the leaderboard's columns ------------------------------------------------------ */

enum { C_RANK, C_ID, C_MODEL, C_STRAT, C_MEAN, C_SD, C_WORST, C_WFOLD, C_FOLDS, C_SEEDS, C_SEEDSD,
       C_FLAG, C_ROI, C_BH, C_ROIC, C_SHC, C_MDDC, C_BHC, C_BASE, C_BEATS, C_N };

static const char *const COL_NAMES[C_N] = {
    "rank", "id", "model", "strategy", NULL, "std", "worst", "worst_fold", "folds", "seeds", "seed_sd",
    "flagged", "roi%", "bh_roi%", "roi_c%", "sharpe_c", "mdd_c%", "bh_c%", "baseline", "beats"
};

/* Which columns board b shows, in order. */
static int col_list(const board *b, int *cols) {
    const board_metric *m = board_metric_of(b);
    int n = 0;
    for (int c = C_RANK; c <= C_FOLDS; c++) cols[n++] = c;
    if (b->seeds_vary) { cols[n++] = C_SEEDS; cols[n++] = C_SEEDSD; }
    if (b->n_flagged) cols[n++] = C_FLAG;
    if (m->forecast) {
        if (m->has_base) { cols[n++] = C_BASE; cols[n++] = C_BEATS; }
    } else
        for (int c = C_ROI; c <= C_BHC; c++) cols[n++] = c;
    return n;
}

int report_columns(const board *b, const char **names) {
    int cols[C_N], n = col_list(b, cols);
    for (int i = 0; i < n; i++) names[i] = cols[i] == C_MEAN ? board_metric_of(b)->name : COL_NAMES[cols[i]];
    return n;
}

void report_cells(const board *b, int ci, int rank, int full_id, char (*cells)[REPORT_CELL]) {
    const board_cfg *c = &b->cfg[ci];
    int cols[C_N], n = col_list(b, cols);
    for (int i = 0; i < n; i++) {
        char *s = cells[i];
        switch (cols[i]) {
        case C_RANK:   snprintf(s, REPORT_CELL, "%d", rank); break;
        case C_ID:     snprintf(s, REPORT_CELL, "%016llx", (unsigned long long)c->id);
                       if (!full_id) s[8] = 0;          /* the table shows a prefix */
                       break;
        case C_MODEL:  board_model_label(b, c, s, REPORT_CELL); break;
        case C_STRAT:  board_strategy_label(b, c, s, REPORT_CELL); break;
        case C_MEAN:   num(s, c->mean, 4); break;
        case C_SD:     num(s, c->sd, 4); break;
        case C_WORST:  num(s, c->worst, 4); break;
        case C_WFOLD:  if (c->n_ok) fold_id_text(c->worst_fold, s, REPORT_CELL); else snprintf(s, REPORT_CELL, "-"); break;
        case C_FOLDS:  snprintf(s, REPORT_CELL, "%d/%d", c->n_ok, b->n_folds); break;
        case C_SEEDS:  snprintf(s, REPORT_CELL, "%d", c->n_seeds); break;
        case C_SEEDSD: num(s, c->seed_sd, 4); break;
        case C_FLAG:   snprintf(s, REPORT_CELL, "%d", c->n_flagged); break;
        case C_ROI:    num(s, c->roi, 2); break;
        case C_BH:     num(s, c->bh, 2); break;
        case C_ROIC:   num(s, c->st_folds ? c->st_roi : NAN, 2); break;
        case C_SHC:    num(s, c->st_folds ? c->st_sharpe : NAN, 4); break;
        case C_MDDC:   num(s, c->st_folds ? c->st_mdd : NAN, 2); break;
        case C_BHC:    num(s, c->st_folds ? c->st_bh_roi : NAN, 2); break;
        case C_BASE:   num(s, c->base, 4); break;
        case C_BEATS:  snprintf(s, REPORT_CELL, "%d/%d", c->n_beats, c->n_ok); break;
        }
    }
}

/* ---- text tables ------------------------------------------------------------------------- */

typedef struct {
    int         ncol, nrow, cap;
    char      (*c)[REPORT_CELL];   /* [nrow][ncol]                                */
    char        align[REPORT_MAX_COLS + 1];
} table;

static int table_row(table *t) {
    if (t->nrow == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char (*c)[REPORT_CELL] = realloc(t->c, (size_t)cap * (size_t)t->ncol * sizeof *c);
        if (!c) return -1;
        t->c = c;
        t->cap = cap;
    }
    for (int j = 0; j < t->ncol; j++) t->c[t->nrow * t->ncol + j][0] = 0;
    return t->nrow++;
}

__attribute__((format(printf, 4, 5)))
static void table_set(table *t, int row, int col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->c[row * t->ncol + col], REPORT_CELL, fmt, ap);
    va_end(ap);
}

/* Display width of a UTF-8 string: its code points (every non-ASCII cell
 * here, "±", is one column wide). */
static int width(const char *s) {
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void table_print(const table *t, FILE *f) {
    int w[REPORT_MAX_COLS + 2] = {0};
    for (int i = 0; i < t->nrow; i++)
        for (int j = 0; j < t->ncol; j++) {
            int l = width(t->c[i * t->ncol + j]);
            if (l > w[j]) w[j] = l;
        }
    for (int i = 0; i < t->nrow; i++) {
        for (int j = 0; j < t->ncol; j++) {
            const char *s = t->c[i * t->ncol + j];
            int last = j == t->ncol - 1, pad = w[j] - width(s);
            if (t->align[j] == 'l') { fputs(s, f); if (!last) fprintf(f, "%*s", pad, ""); }
            else fprintf(f, "%*s%s", pad, "", s);
            if (!last) fputs("  ", f);
        }
        fputc('\n', f);
    }
}

static void csv_field(FILE *f, const char *s) {
    if (strpbrk(s, ",\"\n")) {
        fputc('"', f);
        for (; *s; s++) { if (*s == '"') fputc('"', f); fputc(*s, f); }
        fputc('"', f);
    } else fputs(s, f);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

/* A cell as a JSON value: numbers bare, "-" null, the rest strings. */
static void json_cell(FILE *f, const char *s) {
    if (!strcmp(s, "-")) { fputs("null", f); return; }
    char *end;
    strtod(s, &end);
    if (*s && !*end && strspn(s, "+-0123456789.eE") == strlen(s) && strcmp(s, "rank")) fputs(s, f);
    else json_str(f, s);
}

/* ---- the verdict -------------------------------------------------------------------------- */

void report_verdict_line(const board *b, const verdict *v, char *buf, size_t n) {
    size_t k = 0;
#define PUT(...) do { if (k < n) { int w_ = snprintf(buf + k, n - k, __VA_ARGS__); if (w_ > 0) k += (size_t)w_; } } while (0)
    if (!v->ok) { PUT("verdict: - (%s)", v->why); return; }
    char ml[REPORT_CELL], sl[REPORT_CELL], id[17];
    const board_cfg *c = &b->cfg[v->winner];
    board_model_label(b, c, ml, sizeof ml);
    board_strategy_label(b, c, sl, sizeof sl);
    snprintf(id, sizeof id, "%016llx", (unsigned long long)c->id);
    PUT("verdict: winner %s %s (id %.8s): ", ml, sl, id);
    const stats_dsr_t *d = isfinite(v->dsr_eff.dsr) ? &v->dsr_eff : &v->dsr;
    if (isfinite(d->dsr))
        PUT("DSR %.2f (%s 0.95: %s over %d trials, %.1f effective)", d->dsr, d->dsr >= 0.95 ? "at or above" : "below",
            d->dsr >= 0.95 ? "unlikely to be luck" : "consistent with luck", v->n_trials, v->n_eff);
    else PUT("DSR - (one trial: PSR vs 0 %.2f)", v->psr0);
    if (v->pbo_ok) PUT(", PBO %.2f", v->pbo.pbo);
    else PUT(", PBO -");
    if (v->wf_ok) {
        char a[32], bb[32];
        signed_pct(a, sizeof a, v->wf_roi[0]);
        signed_pct(bb, sizeof bb, v->wf_bh_roi);
        PUT(", walk-forward selection %s vs buy-and-hold %s", a, bb);
    } else PUT(", walk-forward selection - (%s)", v->wf_why);
#undef PUT
}

static void fold_span(const board *b, int from, char *buf, size_t n) {
    char a[16], z[16];
    fold_id_text(b->fold_ids[from], a, sizeof a);
    fold_id_text(b->fold_ids[b->n_folds - 1], z, sizeof z);
    if (from == b->n_folds - 1) snprintf(buf, n, "%s", a);
    else snprintf(buf, n, "%s .. %s", a, z);
}

void report_print_stats(const board *b, const verdict *v, FILE *f) {
    if (board_metric_of(b)->forecast) { fprintf(f, "statistics of the sweep: - (%s)\n", v->why); return; }
    if (!v->ok) { fprintf(f, "deflated Sharpe: - (%s)\n", v->why); }
    else {
        const double a = sqrt(v->bpy > 0 ? v->bpy : 1);
        fprintf(f, "deflated Sharpe: the winner's stitched Sharpe %.4f (%.4f per %s over %ld %ss, skew %.2f, "
                "kurtosis %.2f); N = %d trials, N_eff = %.1f (mean correlation of the %d complete trials' %s returns "
                "%.2f; N_eff = rho + (1 - rho) N); sd of the trials' Sharpes %.4f; expected max of N_eff skill-less "
                "trials %.4f (of N: %.4f); DSR %.3f with N_eff, %.3f with N\n",
                v->sr * a, v->sr, v->unit, v->T, v->unit, v->wm.skew, v->wm.kurt, v->n_trials, v->n_eff, v->n_complete,
                v->unit, v->rho,
                sqrt(v->var_sr) * a, v->dsr_eff.sr0 * a, v->dsr.sr0 * a, v->dsr_eff.dsr, v->dsr.dsr);
        fprintf(f, "probabilistic Sharpe of the winner: P[true Sharpe > 0] = %.3f; P[> buy-and-hold's %.4f] = %.3f\n",
                v->psr0, v->sr_bh * a, v->psr_bh);
    }
    if (v->pbo_ok) {
        const stats_pbo_t *p = &v->pbo;
        fprintf(f, "PBO (CSCV, %d blocks of about %ld %ss, %ld of %.0f combinations%s, %d trials): %.3f; "
                "logit mean %.2f, median %.2f, 5..95 %% %.2f .. %.2f; the in-sample winner lost out of sample "
                "in %.1f %% of them\n",
                p->n_blocks, v->T / p->n_blocks, v->unit[0] ? v->unit : "bar", p->n_comb, p->n_comb_total, p->sampled ? " sampled" : "",
                p->n_trials, p->pbo, p->logit_mean, p->logit_median, p->logit_q05, p->logit_q95,
                100 * p->prob_oos_loss);
    } else fprintf(f, "PBO: - (%s)\n", v->pbo_why);
    if (v->wf_ok) {
        char span[40], r1[32], rk[32], rb[32];
        fold_span(b, 1, span, sizeof span);
        signed_pct(r1, sizeof r1, v->wf_roi[0]);
        signed_pct(rk, sizeof rk, v->wf_roi[1]);
        signed_pct(rb, sizeof rb, v->wf_bh_roi);
        fprintf(f, "walk-forward selection (the top by %s over the periods before, traded in the next; %s): "
                "top-1 %s (Sharpe %.4f, max dd %.2f %%), top-%d %s (Sharpe %.4f, max dd %.2f %%), buy-and-hold %s "
                "(Sharpe %.4f)%s\n", board_metric_of(b)->name, span, r1, v->wf_sharpe[0], v->wf_mdd[0], v->wf_k, rk,
                v->wf_sharpe[1], v->wf_mdd[1], rb, v->wf_bh_sharpe, v->wf_flat ? "; some picks flat (no series)" : "");
        fprintf(f, "  picks:");
        for (int t = 1; t < b->n_folds; t++) {
            int c = v->wf_picks[(size_t)t * v->wf_k];
            char fl[16], ml[REPORT_CELL], sl[REPORT_CELL];
            fold_id_text(b->fold_ids[t], fl, sizeof fl);
            if (c < 0) { fprintf(f, "%s %s -", t > 1 ? ";" : "", fl); continue; }
            board_model_label(b, &b->cfg[c], ml, sizeof ml);
            board_strategy_label(b, &b->cfg[c], sl, sizeof sl);
            fprintf(f, "%s %s %s %s", t > 1 ? ";" : "", fl, ml, sl);
        }
        fputc('\n', f);
    } else fprintf(f, "walk-forward selection: - (%s)\n", v->wf_why);
}

/* Why tasks did not finish: a failed task is a recorded status, and the
 * user's first question is its message.  The first REPORT_FAILED_MAX in
 * file order, then a count of the rest. */
#define REPORT_FAILED_MAX 5
static void print_failures(const board *b, const results_file *r, FILE *f) {
    int shown = 0, more = 0;
    for (int i = 0; i < r->n_tasks; i++) {
        task_view v;
        rs_err pe;
        if (task_view_parse(r->tasks[i].p, r->tasks[i].len, &v, &pe) || v.h->status == TASK_OK) continue;
        if (shown == REPORT_FAILED_MAX) { more++; continue; }
        char fl[16], ml[REPORT_CELL] = "";
        fold_id_text(v.h->fold_id, fl, sizeof fl);
        for (int j = 0; j < r->n_rows && !ml[0]; j++)
            if (r->rows[j].task_key == v.h->task_key && r->rows[j].model >= 0)
                plan_model_label(b->p, r->rows[j].model, ml, sizeof ml);
        if (!ml[0]) snprintf(ml, sizeof ml, "model %016llx", (unsigned long long)v.h->model_key);
        fprintf(f, "  %s, fold %s: %s: %s\n", ml, fl, task_status_name(v.h->status),
                v.h->message[0] ? v.h->message : "(no message)");
        shown++;
    }
    if (more) fprintf(f, "  ... and %d more (every task's message: /tasks message)\n", more);
}

/* The arithmetics that trained the sweep's tasks (report.h). */
void report_arith_add(report_arith *a, const task_head *h) {
    if (h->steps <= 0) return;
    char blas[TASK_BLAS_MAX + 1], cl[48];
    memcpy(blas, h->blas, TASK_BLAS_MAX);
    blas[TASK_BLAS_MAX] = 0;
    kern_arith_class(blas, cl, sizeof cl);
    int j = 0;
    while (j < a->n && strcmp(a->k[j].name, cl)) j++;
    if (j == a->n) {
        if (a->n == REPORT_ARITH_MAX) j = a->n - 1;
        else { snprintf(a->k[j].name, sizeof a->k[j].name, "%s", cl); a->k[j].tasks = 0; a->n++; }
    }
    a->k[j].tasks++;
}

void report_arith_of(const results_file *r, report_arith *a) {
    for (int i = 0; i < r->n_tasks; i++) {
        task_view v;
        rs_err pe;
        if (!task_view_parse(r->tasks[i].p, r->tasks[i].len, &v, &pe)) report_arith_add(a, v.h);
    }
}

int report_arith_text(const report_arith *a, char *buf, size_t n) {
    size_t o = 0;
    if (n) buf[0] = 0;
    for (int j = 0; j < a->n && o < n; j++) {
        int w = snprintf(buf + o, n - o, "%s%d on %s", j ? ", " : "", a->k[j].tasks, a->k[j].name);
        if (w < 0) break;
        o += (size_t)w;
    }
    return a->n;
}

void report_arith_warn(const report_arith *a, const char *prefix, FILE *f) {
    if (a->n < 2) return;
    char t[REPORT_ARITH_MAX * 64];
    report_arith_text(a, t, sizeof t);
    fprintf(f, "%sMIXED ARITHMETIC: the tasks were trained %s (/tasks blas): each task reproduces with its own, "
            "but a rerun of the sweep on any one of them differs in the last bits (README, \"GEMM kernels\")\n",
            prefix, t);
}

static void print_arith(const results_file *r, int format, FILE *f) {
    report_arith a;
    memset(&a, 0, sizeof a);
    report_arith_of(r, &a);
    if (format == REPORT_JSON) {
        fputs("  \"arithmetic\": [", f);
        for (int j = 0; j < a.n; j++) {
            fprintf(f, "%s{\"kernels\": ", j ? ", " : "");
            json_str(f, a.k[j].name);
            fprintf(f, ", \"tasks\": %d}", a.k[j].tasks);
        }
        fputs("],\n", f);
        return;
    }
    report_arith_warn(&a, "", f);
}

/* The median over configurations of the seed sd, beside the sd across
 * configurations: is a gap between configurations larger than a seed's? */
static void print_seeds(const board *b, FILE *f) {
    if (!b->seeds_vary) return;
    double *s = malloc((size_t)(b->n_cfg ? b->n_cfg : 1) * sizeof *s);
    if (!s) return;
    int n = 0, ns = 0;
    for (int c = 0; c < b->n_cfg; c++) {
        if (isfinite(b->cfg[c].seed_sd)) s[n++] = b->cfg[c].seed_sd;
        if (b->cfg[c].n_seeds > ns) ns = b->cfg[c].n_seeds;
    }
    for (int i = 1; i < n; i++)                  /* insertion sort: n is small next to rows */
        for (int j = i; j > 0 && s[j] < s[j - 1]; j--) { double t = s[j]; s[j] = s[j - 1]; s[j - 1] = t; }
    fprintf(f, "seeds are replicates: %d seeds per configuration averaged, never ranked; sd across seeds %.4f "
            "(median over configurations) vs sd across configurations %.4f\n",
            ns, n ? stats_quantile_sorted(s, n, 0.5) : NAN, b->trial_sd);
    free(s);
}

/* ---- the leaderboard --------------------------------------------------------------------- */

static int print_leaderboard(const board *b, int top, int format, FILE *f, rs_err *e) {
    const char *names[REPORT_MAX_COLS];
    const int nc = report_columns(b, names), shown = b->n_cfg < top ? b->n_cfg : top;
    char (*cells)[REPORT_CELL] = malloc(REPORT_MAX_COLS * sizeof *cells);
    if (!cells) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    if (format == REPORT_CSV) {
        for (int j = 0; j < nc; j++) { if (j) fputc(',', f); csv_field(f, names[j]); }
        fputc('\n', f);
        for (int i = 0; i < shown; i++) {
            report_cells(b, i, i + 1, 1, cells);
            for (int j = 0; j < nc; j++) { if (j) fputc(',', f); csv_field(f, cells[j]); }
            fputc('\n', f);
        }
        free(cells);
        return 0;
    }
    if (format == REPORT_JSON) {
        fputs("  \"leaderboard\": [", f);
        for (int i = 0; i < shown; i++) {
            report_cells(b, i, i + 1, 1, cells);
            fputs(i ? ",\n    {" : "\n    {", f);
            for (int j = 0; j < nc; j++) {
                if (j) fputs(", ", f);
                json_str(f, names[j]);
                fputs(": ", f);
                if (j == 1 || j == 2 || j == 3) json_str(f, cells[j]);     /* id and labels stay text */
                else json_cell(f, cells[j]);
            }
            fputc('}', f);
        }
        fputs("\n  ]", f);
        free(cells);
        return 0;
    }
    /* the table: "±" between the metric and its std */
    table t = { .ncol = nc + 1 };
    for (int j = 0, k = 0; j < nc; j++) {
        t.align[k++] = j == 2 || j == 3 ? 'l' : 'r';
        if (j == 4) t.align[k++] = 'r';
    }
    int rc = 0;
    for (int i = -1; i < shown && !rc; i++) {
        int row = table_row(&t);
        if (row < 0) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); break; }
        if (i >= 0) report_cells(b, i, i + 1, 0, cells);
        for (int j = 0, k = 0; j < nc; j++) {
            table_set(&t, row, k++, "%s", i < 0 ? names[j] : cells[j]);
            if (j == 4) table_set(&t, row, k++, "±");
        }
    }
    if (!rc) {
        table_print(&t, f);
        if (b->n_cfg > shown) fprintf(f, "(%d more configurations; --top N shows more)\n", b->n_cfg - shown);
    }
    free(t.c);
    free(cells);
    return rc;
}

void report_print_legend(const board *b, FILE *f) {
    const board_metric *m = board_metric_of(b);
    fprintf(f, "legend: %s = the mean of the per-fold values%s, std = their sd across folds, worst = the worst fold "
            "and worst_fold its period; folds = ok folds / folds", m->name,
            !strcmp(m->name, "sharpe") ? " (annualised, risk-free 0)" : "");
    if (b->seeds_vary) fprintf(f, "; seeds averaged per fold, seed_sd = sd across seeds of their means");
    if (m->forecast && m->has_base)
        fprintf(f, "; baseline = the mean %s of %s on the same folds, beats = folds on which the model does better",
                m->name, m->head == RNN_HEAD_CLS ? "the training-majority class" : "the persistence forecast (return 0)");
    else if (!m->forecast)
        fprintf(f, "; roi%% and bh_roi%% = mean per-fold ROI of the strategy and of buy-and-hold; stitched (_c) = one "
                "curve compounded across the folds: roi_c%% its ROI, sharpe_c its Sharpe, mdd_c%% its max drawdown, "
                "bh_c%% buy-and-hold over the same bars");
    fputc('\n', f);
    char lg[2048];
    plan_label_legend(b->p, PLAN_LABEL_NO_SEED, lg, sizeof lg);
    if (lg[0]) fprintf(f, "labels: %s\n", lg);
    if (b->n_flagged)
        fprintf(f, "%d flagged %s values (%s) left out of the means; such a fold does not count as ok\n",
                b->n_flagged, m->name, m->flag_doc);
}

/* ---- groups, cross tables, paired comparisons ------------------------------------------------ */

static int print_groups(board *b, int key, int format, FILE *f, rs_err *e) {
    board_group *g;
    int ng;
    int rc = board_groups(b, key, &g, &ng, e);
    if (rc) return rc;
    const board_metric *m = board_metric_of(b);
    const char *kn = board_key_names()[key];
    static const char *const head[] = { NULL, NULL, NULL, "std", "best", "beat_bh%" };
    char cells[7][REPORT_CELL];
    if (format == REPORT_TABLE)
        fprintf(f, "\nby %s: %s over ok %s (mean ± std); best = the best configuration's mean; beat_bh%% = ok "
                "strategy rows with ROI above buy-and-hold\n", kn, m->name, m->forecast ? "tasks, each task once" : "rows");
    table t = { .ncol = 7, .align = "lrrrrrr" };
    if (format == REPORT_JSON) fprintf(f, ",\n  \"by\": \"%s\",\n  \"groups\": [", kn);
    for (int i = -1; i < ng; i++) {
        if (i < 0) {
            snprintf(cells[0], REPORT_CELL, "%s", kn);
            snprintf(cells[1], REPORT_CELL, "%s", m->forecast ? "ok/tasks" : "ok/rows");
            snprintf(cells[2], REPORT_CELL, "%s", m->name);
            for (int j = 3; j < 6; j++) snprintf(cells[j], REPORT_CELL, "%s", head[j]);
        } else {
            snprintf(cells[0], REPORT_CELL, "%s", g[i].label);
            snprintf(cells[1], REPORT_CELL, "%d/%d", g[i].n_ok, g[i].n);
            num(cells[2], g[i].mean, 4);
            num(cells[3], g[i].sd, 4);
            num(cells[4], g[i].best, 4);
            num(cells[5], g[i].beat_bh_pct, 1);
        }
        if (format == REPORT_CSV) {
            for (int j = 0; j < 6; j++) { if (j) fputc(',', f); csv_field(f, cells[j]); }
            fputc('\n', f);
        } else if (format == REPORT_JSON) {
            if (i < 0) continue;
            fprintf(f, "%s\n    {\"level\": ", i ? "," : "");
            json_str(f, cells[0]);
            fprintf(f, ", \"ok\": %d, \"n\": %d, \"mean\": ", g[i].n_ok, g[i].n);
            json_cell(f, cells[2]);
            fputs(", \"std\": ", f); json_cell(f, cells[3]);
            fputs(", \"best\": ", f); json_cell(f, cells[4]);
            fputs(", \"beat_bh_pct\": ", f); json_cell(f, cells[5]);
            fputc('}', f);
        } else {
            int row = table_row(&t);
            if (row < 0) { free(t.c); free(g); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
            table_set(&t, row, 0, "%s", cells[0]);
            table_set(&t, row, 1, "%s", cells[1]);
            table_set(&t, row, 2, "%s", cells[2]);
            table_set(&t, row, 3, "±");
            for (int j = 3; j < 6; j++) table_set(&t, row, j + 1, "%s", cells[j]);
        }
    }
    if (format == REPORT_JSON) fputs("\n  ]", f);
    if (format == REPORT_TABLE) table_print(&t, f);
    free(t.c);
    free(g);
    return 0;
}

static int print_paired(board *b, int key, int format, FILE *f, rs_err *e) {
    if (board_key_is_fold(key) || board_key_is_seed(key)) return 0;
    verdict_pair *vp;
    int n;
    char ref[48];
    int rc = verdict_paired(b, key, PAIRED_B, ref, &vp, &n, e);
    if (rc) return rc;
    const board_metric *m = board_metric_of(b);
    if (format == REPORT_TABLE) {
        fprintf(f, "\npaired by %s against %s (the level of the best-ranked configuration), on matched cells: the "
                "same fold and every other parameter equal, seeds averaged; diff = level − %s in %s (positive = "
                "better), 95 %% bootstrap interval over folds (%d resamples), won = share of cells better\n",
                board_key_names()[key], ref, ref, m->name, PAIRED_B);
        if (!n) fprintf(f, "(no matched cells)\n");
    }
    if (format == REPORT_JSON) fprintf(f, ",\n  \"paired\": {\"reference\": \"%s\", \"levels\": [", ref);
    for (int i = 0; i < n; i++) {
        const stats_paired_t *s = &vp[i].st;
        if (format == REPORT_TABLE)
            fprintf(f, "  %s vs %s: diff %+.4f [%+.4f, %+.4f] over %d cells in %d folds; %s better in %.1f %%%s\n",
                    vp[i].label, ref, s->mean, s->lo, s->hi, s->n, s->n_periods, vp[i].label, 100 * s->won,
                    s->lo > 0 ? " (better)" : s->hi < 0 ? " (worse)" : " (no clear difference)");
        else if (format == REPORT_JSON) {
            fprintf(f, "%s\n    {\"level\": ", i ? "," : "");
            json_str(f, vp[i].label);
            fprintf(f, ", \"diff\": %.6g, \"lo\": %.6g, \"hi\": %.6g, \"cells\": %d, \"won\": %.6g}", s->mean, s->lo,
                    s->hi, s->n, s->won);
        }
    }
    if (format == REPORT_JSON) fputs("\n  ]}", f);
    free(vp);
    return 0;
}

static int print_cross(board *b, int ka, int kb, int format, FILE *f, rs_err *e) {
    char (*la)[48], (*lb)[48];
    int na, nb;
    double *mean;
    int *cnt;
    int rc = board_cross(b, ka, kb, &la, &na, &lb, &nb, &mean, &cnt, e);
    if (rc) return rc;
    const char *const *kn = board_key_names();
    const board_metric *m = board_metric_of(b);
    if (format == REPORT_TABLE)
        fprintf(f, "\nby %s (rows) and %s (columns): mean %s over ok %s; - = none\n", kn[ka], kn[kb], m->name,
                m->forecast ? "tasks" : "rows");
    if (format == REPORT_JSON) fprintf(f, ",\n  \"by\": [\"%s\", \"%s\"],\n  \"cross\": [", kn[ka], kn[kb]);
    table t = { .ncol = nb + 1 > REPORT_MAX_COLS ? REPORT_MAX_COLS : nb + 1 };
    for (int j = 0; j < t.ncol; j++) t.align[j] = j ? 'r' : 'l';
    char c[REPORT_CELL];
    for (int i = -1; i < na; i++) {
        int row = format == REPORT_TABLE ? table_row(&t) : 0;
        if (row < 0) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); break; }
        if (format == REPORT_CSV) csv_field(f, i < 0 ? kn[ka] : la[i]);
        if (format == REPORT_TABLE) table_set(&t, row, 0, "%s", i < 0 ? kn[ka] : la[i]);
        for (int j = 0; j < nb; j++) {
            if (i < 0) snprintf(c, sizeof c, "%s", lb[j]);
            else num(c, mean[(size_t)i * nb + j], 4);
            if (format == REPORT_CSV) { fputc(',', f); csv_field(f, c); }
            else if (format == REPORT_TABLE && j + 1 < t.ncol) table_set(&t, row, j + 1, "%s", c);
            else if (format == REPORT_JSON && i >= 0) {
                fprintf(f, "%s\n    {\"%s\": ", i || j ? "," : "", kn[ka]);
                json_str(f, la[i]);
                fprintf(f, ", \"%s\": ", kn[kb]);
                json_str(f, lb[j]);
                fputs(", \"mean\": ", f);
                json_cell(f, c);
                fprintf(f, ", \"n\": %d}", cnt[(size_t)i * nb + j]);
            }
        }
        if (format == REPORT_CSV) fputc('\n', f);
    }
    if (format == REPORT_TABLE && !rc) {
        table_print(&t, f);
        if (nb + 1 > REPORT_MAX_COLS) fprintf(f, "(%d more columns; CSV or JSON shows all)\n", nb + 1 - REPORT_MAX_COLS);
    }
    if (format == REPORT_JSON) fputs("\n  ]", f);
    free(t.c); free(la); free(lb); free(mean); free(cnt);
    return rc;
}

/* ---- one configuration, fold by fold --------------------------------------------------------- */

/* The learning curves of configuration c's tasks (every seed and fold, in
 * the file's task order): mean training loss / validation loss of every
 * epoch, '*' on the epoch whose weights were kept.  Table: one block per
 * task (4 significant digits); JSON: a "curves" array (exact, %.17g;
 * null for a missing validation loss).  Files of before schema 4 have none. */
static void print_curves(const board *b, const board_cfg *c, int format, FILE *f) {
    const results_file *r = b->r;
    int first = 1;
    if (format == REPORT_JSON) fputs(", \"curves\": [", f);
    for (int i = 0; i < r->n_tasks; i++) {
        task_view v;
        rs_err pe;
        if (task_view_parse(r->tasks[i].p, r->tasks[i].len, &v, &pe)) continue;
        int model = -1;
        for (int k = b->member_off[c->group]; k < b->member_off[c->group + 1] && model < 0; k++)
            if (b->p->models[b->members[k]].key == v.h->model_key) model = b->members[k];
        if (model < 0) continue;
        char fold[16];
        fold_id_text(v.h->fold_id, fold, sizeof fold);
        const unsigned long long seed = (unsigned long long)b->p->models[model].seed;
        if (format == REPORT_JSON) {
            fprintf(f, "%s\n    {\"fold\": \"%s\", \"seed\": %llu, \"best_epoch\": %d, \"train_loss\": [",
                    first ? "" : ",", fold, seed, v.h->best_epoch);
            for (int col = 0; col < 2; col++) {
                if (col) fputs("], \"val_loss\": [", f);
                for (int k = 0; k < v.h->n_curve; k++) {
                    const double x = v.curve[2 * k + col];
                    if (k) fputs(", ", f);
                    if (isfinite(x)) fprintf(f, "%.17g", x); else fputs("null", f);
                }
            }
            fputs("]}", f);
        } else {
            if (first)
                fprintf(f, "learning curves: epoch train_loss/val_loss (mean per window; * = the epoch whose weights "
                        "were kept)\n");
            fprintf(f, "  %s seed %llu:", fold, seed);
            if (!v.h->n_curve) fputs(" (none stored)", f);
            for (int k = 0; k < v.h->n_curve; k++) {
                char tl[32] = "-", vl[32] = "-";
                if (isfinite(v.curve[2 * k])) snprintf(tl, sizeof tl, "%.4g", v.curve[2 * k]);
                if (isfinite(v.curve[2 * k + 1])) snprintf(vl, sizeof vl, "%.4g", v.curve[2 * k + 1]);
                if (k && k % 6 == 0) fputs("\n   ", f);
                fprintf(f, "  %d %s/%s%s", k + 1, tl, vl, k + 1 == v.h->best_epoch ? "*" : "");
            }
            fputc('\n', f);
        }
        first = 0;
    }
    if (format == REPORT_JSON) fputs(first ? "]" : "\n  ]", f);
}

/* Halving: which periods selected configuration c (those of the rungs
 * before the last it reached) — the later ones are out of selection. */
static void print_selected(const board *b, const board_cfg *c, const halving_replay *h, int format, FILE *f) {
    const int k = h->reached[h->group_of[c->model0]];
    const int sel = k ? h->r.folds[k - 1] : 0;
    char a[16], z[16];
    if (format == REPORT_JSON) {
        fprintf(f, ", \"halving_rung\": %d, \"selected_on\": [", k + 1);
        for (int i = 0; i < sel; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", fold_id_text(h->fold_ids[i], a, sizeof a));
        fputc(']', f);
        return;
    }
    (void)b;
    const int ran = h->r.folds[k];   /* the periods of the rungs it entered */
    if (!sel) {
        fprintf(f, "halving: rung 1 of %d only: no period selected it (its %d period%s out of selection)\n",
                h->r.n_rungs, ran, ran == 1 ? " is" : "s are");
        return;
    }
    fold_id_text(h->fold_ids[0], a, sizeof a);
    fold_id_text(h->fold_ids[sel - 1], z, sizeof z);
    fprintf(f, "halving: reached rung %d of %d; SELECTED on periods %s..%s (their values are optimistic); ", k + 1,
            h->r.n_rungs, a, z);
    fold_id_text(h->fold_ids[sel], a, sizeof a);
    fold_id_text(h->fold_ids[ran - 1], z, sizeof z);
    fprintf(f, "out of selection: %s..%s\n", a, z);
}

/* Halving: the rungs, how many configurations reached each, and what that
 * means for the table below. */
static void print_rungs(const halving_replay *h, const sweep_config *c, FILE *f) {
    char line[1024];
    halving_replay_describe(h, c, line, sizeof line);
    fprintf(f, "%s\nselection leaks optimism: a configuration's periods up to its last promotion chose it (show "
            "--config ID names them); configurations missing periods were eliminated and rank after complete ones\n", line);
}

static int print_config(const board *b, int ci, int format, const halving_replay *hv, FILE *f, rs_err *e) {
    const board_cfg *c = &b->cfg[ci];
    const results_file *r = b->r;
    const board_metric *m = board_metric_of(b);
    const int cls = b->p->head == RNN_HEAD_CLS;
    char ml[REPORT_CELL], sl[REPORT_CELL];
    board_model_label(b, c, ml, sizeof ml);
    board_strategy_label(b, c, sl, sizeof sl);
    if (format == REPORT_TABLE)
        fprintf(f, "\nconfiguration %016llx: %s %s (rank %d of %d; %d seed%s)\n", (unsigned long long)c->id, ml, sl,
                ci + 1, b->n_cfg, c->n_seeds, c->n_seeds > 1 ? "s, one line each" : "");
    static const char *const H[] = { "fold", "seed", "status", NULL, "flag", "sharpe", "roi%", "bh_roi%", "max_dd%",
                                     "trades", "baseline", "n_test", "train_S/R/L", "test_S/R/L", "trend_lo", "trend_hi" };
    const int ncol = cls ? 16 : 11;
    table t = { .ncol = ncol, .align = "lrlrlrrrrrrrrrrr" };
    if (format == REPORT_JSON) fprintf(f, ",\n  \"config\": {\"id\": \"%016llx\", \"folds\": [", (unsigned long long)c->id);
    char cell[16][REPORT_CELL];
    int first = 1;
    for (int i = -1; i < r->n_rows; i++) {
        if (i < 0) {
            for (int j = 0; j < ncol; j++) snprintf(cell[j], REPORT_CELL, "%s", H[j] ? H[j] : m->name);
        } else {
            const task_row *w = &r->rows[i];
            if (b->group_of[w->model] != c->group || (w->lookahead && !b->lookahead)) continue;
            if (c->strat >= 0 ? w->strategy != c->strat : w->correction != -1 - c->strat) continue;
            if (c->strat < 0 && w->strategy != b->p->correction_first[w->correction]) continue;   /* once per task */
            int flagged;
            double v = board_row_value(b, w, &flagged);
            fold_id_text(w->fold_id, cell[0], REPORT_CELL);
            snprintf(cell[1], REPORT_CELL, "%llu", (unsigned long long)b->p->models[w->model].seed);
            snprintf(cell[2], REPORT_CELL, "%s", task_status_name(w->status));
            num(cell[3], v, 4);
            unsigned fl = w->trading.flags & m->flags;
            snprintf(cell[4], REPORT_CELL, "%s", w->status != TASK_OK ? "-" : fl ? m->flag_doc : "");
            if (!cell[4][0]) snprintf(cell[4], REPORT_CELL, "-");
            num(cell[5], w->status == TASK_OK ? w->trading.sharpe : NAN, 4);
            num(cell[6], w->status == TASK_OK ? w->trading.roi_pct : NAN, 2);
            num(cell[7], w->bh_roi_pct, 2);
            num(cell[8], w->status == TASK_OK ? w->trading.max_dd_pct : NAN, 2);
            snprintf(cell[9], REPORT_CELL, "%d", w->trading.n_trades);
            num(cell[10], cls ? w->base_accuracy : w->base_rmse, 4);
            if (cls) {
                snprintf(cell[11], REPORT_CELL, "%d", w->n_test);
                snprintf(cell[12], REPORT_CELL, "%d/%d/%d", w->class_count[0][0], w->class_count[0][1], w->class_count[0][2]);
                snprintf(cell[13], REPORT_CELL, "%d/%d/%d", w->class_count[2][0], w->class_count[2][1], w->class_count[2][2]);
                num(cell[14], w->trend_lo, 6);
                num(cell[15], w->trend_hi, 6);
            }
        }
        if (format == REPORT_CSV) {
            for (int j = 0; j < ncol; j++) { if (j) fputc(',', f); csv_field(f, cell[j]); }
            fputc('\n', f);
        } else if (format == REPORT_JSON) {
            if (i < 0) continue;
            fputs(first ? "\n    {" : ",\n    {", f);
            first = 0;
            for (int j = 0; j < ncol; j++) {
                if (j) fputs(", ", f);
                json_str(f, H[j] ? H[j] : m->name);
                fputs(": ", f);
                if (j <= 2 || j == 4 || j >= 12) json_str(f, cell[j]); else json_cell(f, cell[j]);
            }
            fputc('}', f);
        } else {
            int row = table_row(&t);
            if (row < 0) { free(t.c); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
            for (int j = 0; j < ncol; j++) table_set(&t, row, j, "%s", cell[j]);
        }
    }
    if (format == REPORT_JSON) {
        fputs("\n  ]", f);
        print_curves(b, c, format, f);
        if (hv) print_selected(b, c, hv, format, f);
        fputc('}', f);
    }
    if (format == REPORT_TABLE) {
        table_print(&t, f);
        char wf[16] = "-";
        if (c->n_ok) fold_id_text(c->worst_fold, wf, sizeof wf);
        fprintf(f, "mean %s over %d/%d ok folds %.4f ± %.4f, worst %.4f (%s)", m->name, c->n_ok, b->n_folds, c->mean,
                c->sd, c->worst, wf);
        if (c->st_folds)
            fprintf(f, "; stitched over %d folds (%ld %s): ROI %+.2f %%, Sharpe %.4f, max dd %.2f %%, buy-and-hold %+.2f %%",
                    c->st_folds, c->st_bars, strcmp(b->r->series_res, "day") ? "bars" : "days", c->st_roi,
                    c->st_sharpe, c->st_mdd, c->st_bh_roi);
        fputc('\n', f);
        if (cls) fprintf(f, "S/R/L = SHORT / RANGE / LONG label counts; trend_lo / trend_hi = the fold's trend3 thresholds "
                         "(fit on the training labels or +-theta); baseline = training-majority accuracy\n");
        else fprintf(f, "baseline = the persistence forecast's RMSE (predicted return 0)\n");
        if (hv) print_selected(b, c, hv, format, f);
        print_curves(b, c, format, f);
    }
    free(t.c);
    return 0;
}

/* ---- the report ---------------------------------------------------------------------------------- */

int report_print(const results_file *r, const sweep_plan *p, const report_opts *o, FILE *f, rs_err *e) {
    int rc = report_check(o, e);
    if (rc) return rc;
    const int top = o && o->top > 0 ? o->top : 10;
    const int format = o ? o->format : REPORT_TABLE;
    char k[2][48];
    const int nk = split_by(o ? o->by : NULL, k);
    board_opts bo = { .metric = opt_metric(o), .lookahead = o && o->lookahead };
    board *b;
    if ((rc = board_build(r, p, &bo, &b, e))) return rc;
    verdict v;
    verdict_opts vo = { .pbo_blocks = o ? o->pbo_blocks : 0, .wf_top = o ? o->wf_top : 0 };
    if ((rc = verdict_build(b, &vo, &v, e))) { board_free(b); return rc; }
    halving_replay hv, *hvp = NULL;
    memset(&hv, 0, sizeof hv);
    if (o && o->sweep && o->sweep->search.method == SEARCH_HALVING) {
        int *ids = malloc((size_t)(r->n_folds ? r->n_folds : 1) * sizeof *ids);
        if (!ids) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto out; }
        for (int i = 0; i < r->n_folds; i++) ids[i] = r->folds[i].fold_id;
        rc = halving_replay_build(o->sweep, p, r->rows, r->n_rows, ids, r->n_folds, &hv, e);
        free(ids);
        if (rc) goto out;
        hvp = &hv;
    }
    int ci = -1;
    if (o && o->config && (ci = board_find(b, o->config, e)) < 0) { rc = RS_EINPUT; goto out; }
    const board_metric *m = board_metric_of(b);
    const char *trials_what = !m->forecast ? "model × strategy configurations"
                              : p->n_corrections > 1 ? "model × correction configurations" : "model points";
    char vl[1024];
    report_verdict_line(b, &v, vl, sizeof vl);
    if (format == REPORT_JSON) {
        fputs("{\n  \"sweep\": ", f);
        json_str(f, r->name);
        fprintf(f, ",\n  \"tasks_done\": %d, \"tasks_planned\": %d, \"tasks_failed\": %d, \"complete\": %s,\n",
                r->tasks_done, r->tasks_planned, r->tasks_failed, r->complete ? "true" : "false");
        fprintf(f, "  \"metric\": \"%s\", \"higher_is_better\": %s, \"trials\": %d, \"folds\": %d, "
                "\"lookahead_rows_left_out\": %d, \"flagged_left_out\": %d,\n", m->name, m->higher ? "true" : "false",
                b->n_trials, b->n_folds, b->n_hidden, b->n_flagged);
        print_arith(r, format, f);
        fputs("  \"verdict\": ", f);
        json_str(f, vl);
        fprintf(f, ",\n  \"statistics\": {");
        if (v.ok)
            fprintf(f, "\"winner\": \"%016llx\", \"trials\": %d, \"n_eff\": %.12g, \"rho\": %.12g, \"bars\": %ld, "
                    "\"sharpe_per_bar\": %.12g, \"skew\": %.12g, \"kurtosis\": %.12g, \"var_sharpe\": %.12g, \"dsr\": %.12g, "
                    "\"dsr_n_eff\": %.12g, \"psr_0\": %.12g, \"psr_bh\": %.12g", (unsigned long long)b->cfg[v.winner].id,
                    v.n_trials, v.n_eff, v.rho, v.T, v.sr, v.wm.skew, v.wm.kurt, v.var_sr, v.dsr.dsr, v.dsr_eff.dsr,
                    v.psr0, v.psr_bh);
        if (v.pbo_ok)
            fprintf(f, "%s\"pbo\": %.12g, \"pbo_blocks\": %d, \"pbo_combinations\": %ld, \"logit_median\": %.12g",
                    v.ok ? ", " : "", v.pbo.pbo, v.pbo.n_blocks, v.pbo.n_comb, v.pbo.logit_median);
        if (v.wf_ok)
            fprintf(f, "%s\"wf_roi_pct\": %.12g, \"wf_top_k\": %d, \"wf_top_k_roi_pct\": %.12g, \"wf_bh_roi_pct\": %.12g",
                    v.ok || v.pbo_ok ? ", " : "", v.wf_roi[0], v.wf_k, v.wf_roi[1], v.wf_bh_roi);
        fputs("},\n", f);
        if ((rc = print_leaderboard(b, top, format, f, e))) goto out;
        if (ci >= 0) rc = print_config(b, ci, format, hvp, f, e);
        else if (nk == 1) {
            rc = print_groups(b, board_key_find(k[0]), format, f, e);
            if (!rc) rc = print_paired(b, board_key_find(k[0]), format, f, e);
        } else if (nk == 2) rc = print_cross(b, board_key_find(k[0]), board_key_find(k[1]), format, f, e);
        fputs("\n}\n", f);
        goto out;
    }
    if (format == REPORT_CSV) {
        if (ci >= 0) rc = print_config(b, ci, format, hvp, f, e);
        else if (nk == 1) rc = print_groups(b, board_key_find(k[0]), format, f, e);
        else if (nk == 2) rc = print_cross(b, board_key_find(k[0]), board_key_find(k[1]), format, f, e);
        else rc = print_leaderboard(b, top, format, f, e);
        goto out;
    }
    fprintf(f, "sweep %s: %d/%d tasks done, %d failed (%s)", r->name, r->tasks_done, r->tasks_planned,
            r->tasks_failed, r->complete ? "complete" : "INCOMPLETE");
    if (b->n_folds) {
        char span[40];
        fold_span(b, 0, span, sizeof span);
        fprintf(f, "; %d fold%s %s", b->n_folds, b->n_folds > 1 ? "s" : "", span);
    }
    fputc('\n', f);
    if (r->tasks_failed) print_failures(b, r, f);
    print_arith(r, format, f);
    fprintf(f, "%s\n", vl);
    if (b->n_hidden)
        fprintf(f, "%d LOOK-AHEAD rows (correction = motormap_peek, which reads each test window's own "
                "future) left out of the ranking and the statistics; --lookahead includes them\n", b->n_hidden);
    else if (b->lookahead)
        for (int i = 0; i < r->n_rows; i++)
            if (r->rows[i].lookahead) {
                fprintf(f, "LOOK-AHEAD rows included (--lookahead): they read the future and are no "
                        "evidence of skill\n");
                break;
            }
    fprintf(f, "ranking by %s (mean over ok folds; %s is better); %d trials (%s)\n", m->name,
            m->higher ? "higher" : "lower", b->n_trials, trials_what);
    if (hvp) print_rungs(hvp, o->sweep, f);
    report_print_stats(b, &v, f);
    print_seeds(b, f);
    if (b->n_items == 0) {
        fprintf(f, "(no result rows)\n");
        goto out;
    }
    fputc('\n', f);
    if ((rc = print_leaderboard(b, top, format, f, e))) goto out;
    report_print_legend(b, f);
    if (ci >= 0) rc = print_config(b, ci, format, hvp, f, e);
    else if (nk == 1) {
        rc = print_groups(b, board_key_find(k[0]), format, f, e);
        if (!rc) rc = print_paired(b, board_key_find(k[0]), format, f, e);
    } else if (nk == 2) rc = print_cross(b, board_key_find(k[0]), board_key_find(k[1]), format, f, e);
out:
    halving_replay_free(&hv);
    verdict_free(&v);
    board_free(b);
    return rc;
}

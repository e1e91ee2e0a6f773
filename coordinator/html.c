/*
 * html.c — the HTML report: one page, inline SVG (see html.h).
 *
 * Decisions html.h leaves open, made here:
 *   - curves are drawn with at most MAX_POINTS points per curve_series (every
 *     k-th bar, the last always kept), so a minute-bar sweep still makes a
 *     page of a few hundred kB; the numbers in the tables are exact;
 *   - the heatmap shows the top HEAT_ROWS configurations, colours on a
 *     diverging scale centred on 0 for metrics that can be negative, else
 *     on the median; empty cells (fold not ok) are grey;
 *   - the distribution by dimension is a strip plot of configurations'
 *     means per level (every configuration a dot, the level's mean a bar).
 */
#include "coordinator/html.h"
#include "coordinator/halving.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coordinator/board.h"
#include "coordinator/report.h"
#include "coordinator/verdict.h"
#include "worker/folds.h"

#define MAX_POINTS 1200
#define HEAT_ROWS  30
#define CURVES     5
#define W          920
#define H          300
#define ML         70      /* margins: left, right, top, bottom */
#define MR         20
#define MT         30
#define MB         40

static const char *const COLORS[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#000000", "#7f7f7f" };

static void esc(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Text produced by a report function, escaped into f. */
static void esc_stream(FILE *f, void (*fn)(const board *, const verdict *, FILE *), const board *b,
                       const verdict *v) {
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m) return;
    fn(b, v, m);
    fclose(m);
    esc(f, buf);
    free(buf);
}

static void legend_adapter(const board *b, const verdict *v, FILE *f) { (void)v; report_print_legend(b, f); }

/* ---- axes --------------------------------------------------------------------------------- */

/* A "nice" tick step for a range spanning d with about n ticks. */
static double nice_step(double d, int n) {
    double raw = d / n, p = pow(10, floor(log10(raw))), r = raw / p;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * p;
}

typedef struct { double x0, x1, y0, y1; } box;

static double sx(const box *b, double x) { return ML + (x - b->x0) / (b->x1 - b->x0 ? b->x1 - b->x0 : 1) * (W - ML - MR); }
static double sy(const box *b, double y) { return H - MB - (y - b->y0) / (b->y1 - b->y0 ? b->y1 - b->y0 : 1) * (H - MT - MB); }

static void svg_open(FILE *f, const char *title, const char *id) {
    fprintf(f, "<svg class=\"fig\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\"><title>", id, W, H, W, H);
    esc(f, title);
    fprintf(f, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
            "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", W, H, ML);
    esc(f, title);
    fputs("</text>", f);
}

static void y_axis(FILE *f, const box *b, const char *fmt) {
    double st = nice_step(b->y1 - b->y0, 5);
    for (double y = ceil(b->y0 / st) * st; y <= b->y1 + 1e-12; y += st) {
        double py = sy(b, y);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", ML, W - MR, py, py);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", ML - 4, py + 4);
        fprintf(f, fmt, fabs(y) < st * 1e-9 ? 0.0 : y);
        fputs("</text>", f);
    }
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#000\"/>", ML, ML, MT, H - MB);
}

static void time_axis(FILE *f, const box *b) {
    for (int i = 0; i <= 6; i++) {
        double x = b->x0 + (b->x1 - b->x0) * i / 6;
        time_t t = (time_t)x;
        struct tm tm;
        gmtime_r(&t, &tm);
        char lab[16];
        strftime(lab, sizeof lab, "%Y-%m-%d", &tm);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", sx(b, x), H - MB + 16, lab);
    }
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#000\"/>", ML, W - MR, H - MB, H - MB);
}

/* ---- line charts --------------------------------------------------------------------------- */

typedef struct {
    const char    *name;
    const int64_t *t;
    const double  *y;
    long           n;
    int            dash;
} curve_series;

static void line_chart(FILE *f, const char *title, const char *id, const curve_series *s, int ns, const char *yfmt,
                       int log_ref) {
    box b = { INFINITY, -INFINITY, INFINITY, -INFINITY };
    for (int i = 0; i < ns; i++)
        for (long k = 0; k < s[i].n; k++) {
            double x = (double)s[i].t[k], y = s[i].y[k];
            if (x < b.x0) b.x0 = x;
            if (x > b.x1) b.x1 = x;
            if (y < b.y0) b.y0 = y;
            if (y > b.y1) b.y1 = y;
        }
    svg_open(f, title, id);
    if (!isfinite(b.x0)) { fputs("<text x=\"100\" y=\"100\">no data</text></svg>\n", f); return; }
    if (b.y1 - b.y0 < 1e-9) { b.y0 -= 0.5; b.y1 += 0.5; }
    double pad = (b.y1 - b.y0) * 0.05;
    b.y0 -= pad;
    b.y1 += pad;
    y_axis(f, &b, yfmt);
    time_axis(f, &b);
    if (log_ref && b.y0 < 1 && b.y1 > 1)
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"2,2\"/>",
                ML, W - MR, sy(&b, 1), sy(&b, 1));
    for (int i = 0; i < ns; i++) {
        if (s[i].n < 1) continue;
        long step = s[i].n > MAX_POINTS ? (s[i].n + MAX_POINTS - 1) / MAX_POINTS : 1;
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"", COLORS[i % 10],
                s[i].dash ? " stroke-dasharray=\"6,3\"" : "");
        for (long k = 0; k < s[i].n; k += step) fprintf(f, "%.1f,%.1f ", sx(&b, (double)s[i].t[k]), sy(&b, s[i].y[k]));
        fprintf(f, "%.1f,%.1f\"/>", sx(&b, (double)s[i].t[s[i].n - 1]), sy(&b, s[i].y[s[i].n - 1]));
        int ly = MT + 6 + 14 * i;
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>", ML + 10, ML + 30,
                ly, ly, COLORS[i % 10]);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", ML + 34, ly + 4);
        esc(f, s[i].name);
        fputs("</text>", f);
    }
    fputs("</svg>\n", f);
}

/* ---- the page's parts ------------------------------------------------------------------------ */

static void leaderboard(FILE *f, const board *b, int top) {
    const char *names[REPORT_MAX_COLS];
    char cells[REPORT_MAX_COLS][REPORT_CELL];
    int nc = report_columns(b, names), shown = b->n_cfg < top ? b->n_cfg : top;
    fputs("<table id=\"leaderboard\"><thead><tr>", f);
    for (int j = 0; j < nc; j++) { fputs("<th>", f); esc(f, names[j]); fputs("</th>", f); }
    fputs("</tr></thead><tbody>\n", f);
    for (int i = 0; i < shown; i++) {
        report_cells(b, i, i + 1, 1, cells);
        fputs("<tr>", f);
        for (int j = 0; j < nc; j++) { fputs(j == 2 || j == 3 ? "<td class=\"l\">" : "<td>", f); esc(f, cells[j]); fputs("</td>", f); }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    if (b->n_cfg > shown) fprintf(f, "<p>%d more configurations: <code>rnnsweep show FILE --top N</code>.</p>\n", b->n_cfg - shown);
}

static void cfg_name(const board *b, int c, char *buf, size_t n) {
    char ml[REPORT_CELL], sl[REPORT_CELL];
    board_model_label(b, &b->cfg[c], ml, sizeof ml);
    board_strategy_label(b, &b->cfg[c], sl, sizeof sl);
    snprintf(buf, n, "#%d %s %s", c + 1, ml, sl);
}

static int curves(FILE *f, const board *b, const verdict *v, rs_err *e) {
    if (board_metric_of(b)->forecast) {
        fputs("<p>Equity curves need a trading metric: this report ranks by a forecast metric "
              "(<code>--metric sharpe</code> draws them).</p>\n", f);
        return 0;
    }
    curve_series s[CURVES + 3];
    int64_t *tt[CURVES] = { 0 };
    double *eq[CURVES] = { 0 }, *bh[CURVES] = { 0 }, *dd[CURVES + 3] = { 0 };
    char names[CURVES + 3][300];
    int ns = 0, rc = 0;
    for (int c = 0; c < b->n_cfg && ns < CURVES; c++) {
        if (!b->cfg[c].st_folds) continue;
        long n;
        if ((rc = verdict_curve(b, c, &tt[ns], &eq[ns], &bh[ns], &n, e))) goto out;
        cfg_name(b, c, names[ns], sizeof names[ns]);
        s[ns] = (curve_series){ names[ns], tt[ns], eq[ns], n, 0 };
        ns++;
    }
    int nb = ns;
    if (ns) {          /* buy-and-hold over the leader's bars */
        snprintf(names[nb], sizeof names[nb], "buy-and-hold (same bars as #1)");
        s[nb++] = (curve_series){ names[nb - 1], tt[0], bh[0], s[0].n, 1 };
    }
    if (v->wf_ok) {
        snprintf(names[nb], sizeof names[nb], "walk-forward selection, top-1");
        s[nb++] = (curve_series){ names[nb - 1], v->wf_t, v->wf_eq[0], v->wf_n, 1 };
        snprintf(names[nb], sizeof names[nb], "walk-forward selection, top-%d averaged", v->wf_k);
        s[nb++] = (curve_series){ names[nb - 1], v->wf_t, v->wf_eq[1], v->wf_n, 1 };
    }
    line_chart(f, "Stitched equity: the top configurations, walk-forward selection, buy-and-hold", "fig-equity", s, nb,
               "%.2f", 1);
    /* drawdowns of the same curves, in percent below the running peak */
    curve_series d[CURVES + 3];
    for (int i = 0; i < nb; i++) {
        dd[i] = malloc((size_t)(s[i].n ? s[i].n : 1) * sizeof *dd[i]);
        if (!dd[i]) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto out; }
        double peak = 1;
        for (long k = 0; k < s[i].n; k++) {
            if (s[i].y[k] > peak) peak = s[i].y[k];
            dd[i][k] = -100 * (peak - s[i].y[k]) / peak;
        }
        d[i] = (curve_series){ s[i].name, s[i].t, dd[i], s[i].n, s[i].dash };
    }
    line_chart(f, "Drawdown (% below the running peak)", "fig-drawdown", d, nb, "%.0f", 0);
out:
    for (int i = 0; i < CURVES; i++) { free(tt[i]); free(eq[i]); free(bh[i]); }
    for (int i = 0; i < CURVES + 3; i++) free(dd[i]);
    return rc;
}

/* Diverging colour of value x against scale [-m, m] around c. */
static void heat_color(double x, double c, double m, char *buf) {
    if (!isfinite(x)) { strcpy(buf, "#ccc"); return; }
    double t = m > 0 ? (x - c) / m : 0;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    int r, g, bl;
    if (t >= 0) { r = (int)(255 - 200 * t); g = (int)(255 - 90 * t); bl = (int)(255 - 200 * t); }   /* white → green */
    else { r = (int)(255 + 40 * t); g = (int)(255 + 200 * t); bl = (int)(255 + 200 * t); }          /* white → red */
    sprintf(buf, "#%02x%02x%02x", r, g, bl);
}

static void heatmap(FILE *f, const board *b) {
    const int rows = b->n_cfg < HEAT_ROWS ? b->n_cfg : HEAT_ROWS, nf = b->n_folds;
    if (!rows || !nf) return;
    const board_metric *m = board_metric_of(b);
    double lo = INFINITY, hi = -INFINITY;
    for (int c = 0; c < rows; c++)
        for (int k = 0; k < nf; k++) {
            double x = b->fold_value[(size_t)c * nf + k];
            if (isfinite(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
        }
    double centre = lo < 0 && hi > 0 ? 0 : (lo + hi) / 2, span = fmax(fabs(hi - centre), fabs(lo - centre));
    if (!m->higher) span = -span;          /* lower is better: low values green */
    const int lw = 330, cw = nf > 0 ? (W - lw - 20) / nf : 1, ch = 16, hh = 40 + rows * ch + 30;
    fprintf(f, "<svg class=\"fig\" id=\"fig-heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\"><title>%s by configuration and period</title><rect width=\"%d\" height=\"%d\" "
            "fill=\"#fff\"/><text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s by configuration and "
            "period (top %d; grey: fold not ok)</text>", W, hh, W, hh, m->name, W, hh, m->name, rows);
    for (int k = 0; k < nf; k++) {
        char fl[16];
        fold_id_text(b->fold_ids[k], fl, sizeof fl);
        fprintf(f, "<text x=\"%d\" y=\"36\" font-size=\"11\" text-anchor=\"middle\">%s</text>", lw + k * cw + cw / 2, fl);
    }
    for (int c = 0; c < rows; c++) {
        char name[200];
        cfg_name(b, c, name, sizeof name);
        int y = 40 + c * ch;
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">", lw - 6, y + 12);
        esc(f, name);
        fputs("</text>", f);
        for (int k = 0; k < nf; k++) {
            double x = b->fold_value[(size_t)c * nf + k];
            char col[16];
            heat_color(x, centre, span, col);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#fff\"/>", lw + k * cw, y,
                    cw, ch, col);
            if (nf <= 16 && isfinite(x))
                fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.2f</text>",
                        lw + k * cw + cw / 2, y + 12, x);
        }
    }
    fputs("</svg>\n", f);
}

/* A strip plot of configurations' means by the levels of key. */
static int strip(FILE *f, const board *b, int key, const char *title, const char *id, int seeds, rs_err *e) {
    const int nc = b->n_cfg;
    int *level = malloc((size_t)(nc ? nc : 1) * sizeof *level);
    uint64_t *match = malloc((size_t)(nc ? nc : 1) * sizeof *match);
    char (*lab)[48] = NULL;
    int nl = 0, rc = 0;
    if (!level || !match) { free(level); free(match); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    if (seeds) {       /* the seed spread: the top configurations, mean ± sd across seeds */
        nl = nc < 20 ? nc : 20;
        lab = malloc((size_t)(nl ? nl : 1) * sizeof *lab);
        if (!lab) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto out; }
        for (int c = 0; c < nl; c++) { snprintf(lab[c], sizeof lab[c], "#%d", c + 1); level[c] = c; }
    } else {
        rs_err le;
        if (board_levels(b, key, level, match, &lab, &nl, &le)) goto out;
        /* a dimension that varies: two or more levels besides "-" (the
         * points that do not use the key) */
        int used = 0;
        for (int l = 0; l < nl; l++) used += strcmp(lab[l], "-") != 0;
        if (used < 2) goto out;
    }
    box bx = { -0.5, nl - 0.5, INFINITY, -INFINITY };
    const int ncfg = seeds ? nl : nc;
    for (int c = 0; c < ncfg; c++) {
        double m = b->cfg[c].mean, s = seeds && isfinite(b->cfg[c].seed_sd) ? b->cfg[c].seed_sd : 0;
        if (!isfinite(m)) continue;
        if (m - s < bx.y0) bx.y0 = m - s;
        if (m + s > bx.y1) bx.y1 = m + s;
    }
    if (!isfinite(bx.y0)) goto out;
    if (bx.y1 - bx.y0 < 1e-9) { bx.y0 -= 0.5; bx.y1 += 0.5; }
    svg_open(f, title, id);
    y_axis(f, &bx, "%.2f");
    for (int l = 0; l < nl; l++) {
        double s = 0;
        int k = 0;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">", sx(&bx, l), H - MB + 16);
        esc(f, lab[l]);
        fputs("</text>", f);
        for (int c = 0; c < ncfg; c++) {
            if (level[c] != l || !isfinite(b->cfg[c].mean)) continue;
            double jit = ((c * 37) % 21 - 10) / 10.0 * 0.25;
            double x = sx(&bx, l + (seeds ? 0 : jit)), y = sy(&bx, b->cfg[c].mean);
            if (seeds && isfinite(b->cfg[c].seed_sd))
                fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>", x, x,
                        sy(&bx, b->cfg[c].mean - b->cfg[c].seed_sd), sy(&bx, b->cfg[c].mean + b->cfg[c].seed_sd));
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\" fill-opacity=\"0.6\"/>", x, y, COLORS[l % 10]);
            s += b->cfg[c].mean;
            k++;
        }
        if (k && !seeds)
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"2\"/>",
                    sx(&bx, l - 0.35), sx(&bx, l + 0.35), sy(&bx, s / k), sy(&bx, s / k));
    }
    fputs("</svg>\n", f);
out:
    free(level);
    free(match);
    free(lab);
    return rc;
}

static void histogram(FILE *f, const verdict *v) {
    if (!v->pbo_ok) return;
    const stats_pbo_t *p = &v->pbo;
    enum { NB = 30 };
    int cnt[NB] = { 0 };
    double lo = p->logits[0], hi = p->logits[p->n_comb - 1];
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    for (long i = 0; i < p->n_comb; i++) {
        int k = (int)((p->logits[i] - lo) / (hi - lo) * NB);
        cnt[k >= NB ? NB - 1 : k]++;
    }
    int mx = 1;
    for (int k = 0; k < NB; k++) if (cnt[k] > mx) mx = cnt[k];
    box bx = { lo, hi, 0, mx };
    char title[200];
    snprintf(title, sizeof title, "PBO: logits of the in-sample winner's out-of-sample rank (%ld combinations; "
             "left of 0: overfit), PBO %.3f", p->n_comb, p->pbo);
    svg_open(f, title, "fig-pbo");
    y_axis(f, &bx, "%.0f");
    double w = (hi - lo) / NB;
    for (int k = 0; k < NB; k++) {
        double x0 = lo + k * w;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", sx(&bx, x0),
                sy(&bx, cnt[k]), sx(&bx, x0 + w) - sx(&bx, x0) - 1, sy(&bx, 0) - sy(&bx, cnt[k]),
                x0 + w <= 0 ? "#d62728" : "#1f77b4");
    }
    for (int i = 0; i <= 6; i++) {
        double x = lo + (hi - lo) * i / 6;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.2f</text>", sx(&bx, x), H - MB + 16, x);
    }
    if (lo < 0 && hi > 0)
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#000\" stroke-dasharray=\"3,3\"/>",
                sx(&bx, 0), sx(&bx, 0), MT, H - MB);
    fputs("</svg>\n", f);
}

/* Per-period confusion matrices and accuracy against the training majority
 * of the best-ranked configuration's model and correction (trend3). */
static void confusion(FILE *f, const board *b) {
    if (b->p->head != RNN_HEAD_CLS || !b->n_cfg) return;
    const board_cfg *c = &b->cfg[0];
    const int corr = c->strat >= 0 ? b->p->strategies[c->strat].correction : -1 - c->strat;
    const int s0 = b->p->correction_first[corr];
    char name[200];
    cfg_name(b, 0, name, sizeof name);
    fputs("<h2>Trend classes: confusion by period</h2>\n<p>", f);
    esc(f, name);
    fputs(" (its first seed's model, the correction it trades on); rows true class, columns predicted; "
          "S/R/L = SHORT, RANGE, LONG.</p>\n<div class=\"cm\">", f);
    const int m0 = b->members[b->member_off[c->group]];
    for (int i = 0; i < b->r->n_rows; i++) {
        const task_row *w = &b->r->rows[i];
        if (w->model != m0 || w->strategy != s0 || w->status != TASK_OK) continue;
        char fl[16];
        fold_id_text(w->fold_id, fl, sizeof fl);
        fprintf(f, "<table class=\"conf\"><caption>%s: accuracy %.3f vs majority %.3f</caption>"
                "<tr><th></th><th>S</th><th>R</th><th>L</th></tr>", fl, w->accuracy, w->base_accuracy);
        static const char *const cl = "SRL";
        for (int t = 0; t < 3; t++) {
            fprintf(f, "<tr><th>%c</th>", cl[t]);
            for (int q = 0; q < 3; q++) fprintf(f, "<td>%d</td>", w->confusion[t][q]);
            fputs("</tr>", f);
        }
        fputs("</table>", f);
    }
    fputs("</div>\n", f);
}

static void provenance(FILE *f, const results_file *r, const sweep_plan *p, const sweep_config *c) {
    fputs("<h2>Plan and provenance</h2>\n<table class=\"prov\">", f);
    char hs[20], dh[20];
    snprintf(hs, sizeof hs, "%016llx", (unsigned long long)r->sweep_hash);
    snprintf(dh, sizeof dh, "%016llx", (unsigned long long)r->data_hash);
    char ar[REPORT_ARITH_MAX * 64 + 64];
    report_arith ra;
    memset(&ra, 0, sizeof ra);
    report_arith_of(r, &ra);
    if (report_arith_text(&ra, ar, sizeof ar - 64) > 1) strcat(ar, " — MIXED ARITHMETIC (README, \"GEMM kernels\")");
    const struct { const char *k, *v; } kv[] = {
        { "program", r->program }, { "sweep", r->name }, { "sweep hash", hs }, { "data hash", dh },
        { "created", r->created }, { "updated", r->updated }, { "BLAS", r->blas }, { "arithmetic (tasks)", ar },
        { "hosts", r->hosts ? r->hosts : "" }, { "shard", r->shard }, { "git commit", r->git_commit },
        { "Slurm job", r->slurm_job_id }, { "Slurm array", r->slurm_array_job_id },
        { "Slurm array task", r->slurm_array_task_id },
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        fprintf(f, "<tr><th>%s</th><td>", kv[i].k);
        esc(f, kv[i].v);
        fputs("</td></tr>", f);
    }
    fprintf(f, "<tr><th>ranks × threads</th><td>%d × %d</td></tr><tr><th>tasks</th><td>%d of %d done, %d not ok%s</td></tr>"
            "<tr><th>plan</th><td>%d model points × %d strategy points (%d correction points)</td></tr></table>\n",
            r->ranks, r->threads, r->tasks_done, r->tasks_planned, r->tasks_failed, r->complete ? "" : " (INCOMPLETE)",
            p->n_models, p->n_strategies, p->n_corrections);
    if (c && c->search.method == SEARCH_HALVING) {
        int *ids = malloc((size_t)(r->n_folds ? r->n_folds : 1) * sizeof *ids);
        halving_replay h;
        rs_err he;
        for (int i = 0; ids && i < r->n_folds; i++) ids[i] = r->folds[i].fold_id;
        if (ids && !halving_replay_build(c, p, r->rows, r->n_rows, ids, r->n_folds, &h, &he)) {
            char line[1024];
            halving_replay_describe(&h, c, line, sizeof line);
            fputs("<p class=\"halving\">", f);
            esc(f, line);
            fputs(". Selection leaks optimism: a configuration's periods up to its last promotion chose it "
                  "(<code>rnnsweep show --config ID</code> names them); only the later ones are out of selection.</p>\n", f);
            halving_replay_free(&h);
        }
        free(ids);
    }
    fputs("<details><summary>the sweep's INI</summary><pre>", f);
    esc(f, r->ini_text ? r->ini_text : "");
    fputs("</pre></details>\n", f);
}

static const char CSS[] =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "text-align:right}td.l{text-align:left}th{background:#f2f2f2}#verdict{font-size:16px;padding:10px;"
    "background:#fff6d5;border:1px solid #e0c060}pre{background:#f8f8f8;padding:8px;white-space:pre-wrap;"
    "font-size:12px}.cm{display:flex;flex-wrap:wrap;gap:12px}.conf caption{font-size:11px}svg.fig{display:block;"
    "margin:12px 0;border:1px solid #eee}.prov th{text-align:left}";

int html_write(const char *path, const results_file *r, const sweep_plan *p, const html_opts *o, rs_err *e) {
    board_opts bo = { .metric = o ? o->metric : NULL, .lookahead = o && o->lookahead };
    board *b;
    int rc = board_build(r, p, &bo, &b, e);
    if (rc) return rc;
    verdict v;
    verdict_opts vo = { .pbo_blocks = o ? o->pbo_blocks : 0, .wf_top = o ? o->wf_top : 0 };
    if ((rc = verdict_build(b, &vo, &v, e))) { board_free(b); return rc; }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { verdict_free(&v); board_free(b); return rs_err_set(e, RS_EINTERNAL, "%s: cannot write: %m", tmp); }
    const board_metric *m = board_metric_of(b);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rnnsweep report: ", f);
    esc(f, r->name);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>rnnsweep report: ", CSS);
    esc(f, r->name);
    fprintf(f, "</h1>\n<p>%d/%d tasks done, %d not ok (%s); ranking by %s (%s is better) over %d folds; %d trials.",
            r->tasks_done, r->tasks_planned, r->tasks_failed, r->complete ? "complete" : "INCOMPLETE", m->name,
            m->higher ? "higher" : "lower", b->n_folds, b->n_trials);
    if (b->n_hidden)
        fprintf(f, " %d LOOK-AHEAD rows (motormap_peek reads each window's own future) are left out of everything.", b->n_hidden);
    fputs("</p>\n<div id=\"verdict\">", f);
    char vl[1024];
    report_verdict_line(b, &v, vl, sizeof vl);
    esc(f, vl);
    fputs("</div>\n<pre id=\"statistics\">", f);
    esc_stream(f, report_print_stats, b, &v);
    fputs("</pre>\n<h2>Leaderboard</h2>\n", f);
    leaderboard(f, b, o && o->top > 0 ? o->top : 10);
    fputs("<pre id=\"legend\">", f);
    esc_stream(f, legend_adapter, b, &v);
    fputs("</pre>\n<h2>Equity and drawdown</h2>\n", f);
    if (!rc) rc = curves(f, b, &v, e);
    fputs("<h2>By configuration and period</h2>\n", f);
    heatmap(f, b);
    fputs("<h2>By grid dimension</h2>\n<p>Every dot is a configuration's mean (seeds averaged), the bar the level's "
          "mean; <code>rnnsweep show FILE --by KEY</code> adds the paired comparison on matched cells.</p>\n", f);
    const char *const *keys = board_key_names();
    for (int k = 0; keys[k] && !rc; k++) {
        if (board_key_is_fold(k) || board_key_is_seed(k)) continue;
        if (!strcmp(keys[k], "model") && !b->p->model_varies) continue;
        if (!strcmp(keys[k], "model")) {      /* the same as cell unless the depth varies */
            int depth = 0;
            for (int i = 1; i < b->p->n_models; i++) depth |= b->p->models[i].n_layers != b->p->models[0].n_layers;
            if (!depth) continue;
        }
        char title[128], id[64];
        snprintf(title, sizeof title, "%s by %s", m->name, keys[k]);
        snprintf(id, sizeof id, "fig-by-%s", keys[k]);
        rc = strip(f, b, k, title, id, 0, e);
    }
    fputs("<h2>Seed spread</h2>\n", f);
    if (b->seeds_vary && !rc) {
        fputs("<p>The top configurations' means with ± one sd across their seeds.</p>\n", f);
        rc = strip(f, b, 0, "mean ± sd across seeds, top 20 configurations", "fig-seeds", 1, e);
    } else fputs("<p>One seed per configuration: no seed spread was measured (add <code>seed = 1, 2, 3</code>).</p>\n", f);
    fputs("<h2>Probability of backtest overfitting</h2>\n", f);
    if (v.pbo_ok) histogram(f, &v);
    else { fputs("<p>", f); esc(f, v.pbo_why); fputs("</p>\n", f); }
    confusion(f, b);
    provenance(f, r, p, o ? o->sweep : NULL);
    fputs("</body></html>\n", f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (!rc && bad) rc = rs_err_set(e, RS_EINTERNAL, "%s: write failed", tmp);
    if (!rc && rename(tmp, path)) rc = rs_err_set(e, RS_EINTERNAL, "%s: cannot rename to %s: %m", tmp, path);
    if (rc) remove(tmp);
    verdict_free(&v);
    board_free(b);
    return rc;
}

/* strategy.c — the strategy-point table as data, defaults and checks (see
 * strategy.h; every per-field fact is in its BT_FIELDS table). */
#include "worker/strategy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- enum names ------------------------------------------------------------- */

const rs_enum BT_E_KIND[]         = { {"signal", BT_SIGNAL}, {"grid", BT_GRID}, {NULL, 0} };
const rs_enum BT_E_MARKET[]       = { {"fx", BT_FX}, {"equity", BT_EQUITY}, {NULL, 0} };
const rs_enum BT_E_SPACING_UNIT[] = { {"pips", BT_PIPS}, {"percent", BT_PERCENT}, {"atr", BT_ATR}, {NULL, 0} };
const rs_enum BT_E_COST_UNIT[]    = { {"pips", BT_PIPS}, {"bp", BT_BP}, {NULL, 0} };
const rs_enum BT_E_COMMISSION[]   = { {"per_lot", BT_COMM_PER_LOT}, {"bp", BT_COMM_BP}, {NULL, 0} };
const rs_enum BT_E_PATH[]         = { {"adverse", BT_PATH_ADVERSE}, {"against", BT_PATH_AGAINST},
                                      {"with", BT_PATH_WITH}, {NULL, 0} };
const rs_enum BT_E_SIZE[]         = { {"lots", BT_SIZE_LOTS}, {"equity", BT_SIZE_EQUITY}, {NULL, 0} };
#define BT_X_MM(id, name) { name, id },
const rs_enum BT_E_CORRECTION[]   = { MM_KINDS(BT_X_MM) {NULL, 0} };
#undef BT_X_MM

/* ---- the table as data -------------------------------------------------------- */

const bt_field bt_fields[BT_F_N] = {
#define BT_X_ROW(ID, key, field, type, names, use, bounds, lo, hi, fx, eq, label, doc) \
    [BT_F_##ID] = { key, offsetof(bt_strategy, field), BT_T_##type, names, use, bounds, lo, hi, \
                    { fx, eq }, label, doc },
    BT_FIELDS(BT_X_ROW)
#undef BT_X_ROW
};

/* Every member is an int or a double, as its type says: the generic
 * accessors below rely on it. */
#define BT_X_SIZE(ID, key, field, type, ...) \
    _Static_assert(sizeof(((bt_strategy *)0)->field) == sizeof(BT_CTYPE_##type), #field);
BT_FIELDS(BT_X_SIZE)
#undef BT_X_SIZE

double strategy_get(const bt_strategy *s, int f) {
    const char *p = (const char *)s + bt_fields[f].off;
    if (bt_fields[f].type == BT_T_REAL) { double v; memcpy(&v, p, sizeof v); return v; }
    int v;
    memcpy(&v, p, sizeof v);
    return v;
}

void strategy_set(bt_strategy *s, int f, double v) {
    char *p = (char *)s + bt_fields[f].off;
    if (bt_fields[f].type == BT_T_REAL) { memcpy(p, &v, sizeof v); return; }
    int i = (int)v;
    memcpy(p, &i, sizeof i);
}

int strategy_field_used(int f, const bt_strategy *s, int cls) {
    unsigned u = bt_fields[f].use;
    if ((u & BT_U_GRID) && s->kind != BT_GRID) return 0;
    if ((u & BT_U_REG) && cls) return 0;
    if ((u & BT_U_CLS) && !cls) return 0;
    if ((u & BT_U_MM) && s->correction == MM_NONE) return 0;
    if ((u & BT_U_NOMM) && s->correction != MM_NONE) return 0;
    return 1;
}

int strategy_field_keyed(int f, const bt_strategy *s, int cls) {
    if (!strategy_field_used(f, s, cls)) return 0;
    if (bt_fields[f].use & BT_U_NEWKEY) return strategy_get(s, f) != bt_fields[f].def[s->market == BT_EQUITY];
    return 1;
}

int strategy_same_correction(const bt_strategy *a, const bt_strategy *b) {
    if (a->correction != b->correction) return 0;
    if (a->correction == MM_NONE) return 1;
    return a->mm_size == b->mm_size && a->mm_beta == b->mm_beta && a->mm_sigma0 == b->mm_sigma0 &&
           a->mm_epochs == b->mm_epochs;
}

mm_opts strategy_mm_opts(const bt_strategy *s) {
    mm_opts o = { s->mm_size, s->mm_beta, s->mm_sigma0, s->mm_epochs };
    return o;
}

int strategy_corrections(const bt_strategy *s, int n, int *index, int *first) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < k && !strategy_same_correction(&s[first[c]], &s[i])) c++;
        if (c == k) first[k++] = i;
        if (index) index[i] = c;
    }
    return k;
}

char *strategy_value_text(int f, double v, char *buf, size_t n) {
    switch (bt_fields[f].type) {
    case BT_T_ENUM: snprintf(buf, n, "%s", rs_enum_name(bt_fields[f].names, (int)v)); break;
    case BT_T_REAL: snprintf(buf, n, "%.17g", v); break;
    default:        snprintf(buf, n, "%d", (int)v); break;
    }
    return buf;
}

void strategy_defaults(bt_strategy *s, int market) {
    memset(s, 0, sizeof *s);
    s->market = market == BT_EQUITY ? BT_EQUITY : BT_FX;
    for (int f = 0; f < BT_F_N; f++) strategy_set(s, f, bt_fields[f].def[s->market]);
}

/* ---- checks ------------------------------------------------------------------- */

/* What a field accepts, as a message fragment. */
static void expect_text(const bt_field *d, char *buf, size_t n) {
    char names[200];
    switch (d->type) {
    case BT_T_ENUM: snprintf(buf, n, "one of %s", rs_enum_list(d->names, names, sizeof names)); break;
    case BT_T_BOOL: snprintf(buf, n, "0 or 1"); break;
    case BT_T_INT:  snprintf(buf, n, "an integer in [%.15g, %.15g]", d->lo, d->hi); break;
    default:
        snprintf(buf, n, "a number in %c%.15g, %.15g]", d->bounds == BT_B_CLOSED ? '[' : '(', d->lo, d->hi);
        break;
    }
}

static int field_ok(const bt_field *d, double v) {
    switch (d->type) {
    case BT_T_ENUM: return strcmp(rs_enum_name(d->names, (int)v), "?") != 0;
    case BT_T_BOOL: return v == 0 || v == 1;
    default:
        if (!isfinite(v) || v > d->hi) return 0;
        /* AUTO0's 0 is a config spelling; a point must carry a real value */
        return d->bounds == BT_B_CLOSED ? v >= d->lo : v > d->lo;
    }
}

int strategy_check(const bt_strategy *s, rs_err *e) {
    if (!s) return rs_err_set(e, RS_EINPUT, "strategy: NULL");
    if (s->market != BT_FX && s->market != BT_EQUITY)
        return rs_err_set(e, RS_EINPUT, "strategy: market = %d, expected fx (%d) or equity (%d)", s->market,
                          BT_FX, BT_EQUITY);
    for (int f = 0; f < BT_F_N; f++) {
        const bt_field *d = &bt_fields[f];
        /* grid-only fields mean nothing to a signal point; the target-only
         * ones are checked on every point (the check knows no target) */
        if ((d->use & BT_U_GRID) && s->kind != BT_GRID && f != BT_F_KIND) continue;
        if ((d->use & BT_U_MM) && s->correction == MM_NONE) continue;
        double v = strategy_get(s, f);
        if (field_ok(d, v)) continue;
        char want[300], got[64];
        expect_text(d, want, sizeof want);
        if (d->type == BT_T_REAL) snprintf(got, sizeof got, "%g", v);
        else snprintf(got, sizeof got, "%d", (int)v);
        return rs_err_set(e, RS_EINPUT, "strategy: %s = %s, expected %s", d->key, got, want);
    }
    if (s->stop_out_pct > s->margin_call_pct)
        return rs_err_set(e, RS_EINPUT, "strategy: stop_out = %g, expected at most margin_call (%g)",
                          s->stop_out_pct, s->margin_call_pct);
    return RS_OK;
}

/*
 * results_layout.c — the results file's compound types (see
 * results_layout.h and results.h).
 */
#include "coordinator/results_layout.h"

#include <stdio.h>
#include <string.h>

#include "coordinator/results.h"
#include "worker/series.h"

static size_t align_up(size_t o, size_t a) { return (o + a - 1) / a * a; }

void layout_strat_make(strat_layout *L) {
    size_t o = 0;
    L->index = o;                        o += sizeof(int32_t);
    L->key = o = align_up(o, 8);         o += sizeof(uint64_t);
    L->label = o;                        o += STRAT_LABEL_LEN;
    L->bpy_auto = o = align_up(o, 4);    o += sizeof(int32_t);
    L->market = o;                       o += STRAT_NAME_LEN;
    L->corr_index = o = align_up(o, 4);  o += sizeof(int32_t);
    L->lookahead = o;                    o += sizeof(int32_t);
    for (int f = 0; f < BT_F_N; f++) {
        switch (bt_fields[f].type) {
        case BT_T_ENUM: L->field[f] = o; o += STRAT_NAME_LEN; break;
        case BT_T_REAL: L->field[f] = o = align_up(o, 8); o += sizeof(double); break;
        default:        L->field[f] = o = align_up(o, 4); o += sizeof(int32_t); break;
        }
    }
    L->size = align_up(o, 8);
}

/* ---- compound types ---------------------------------------------------------- */

#define INS(T, S, f, ty) r |= H5Tinsert(T, #f, offsetof(S, f), ty)
#define D64  H5T_NATIVE_DOUBLE
#define I32  H5T_NATIVE_INT32
#define I64  H5T_NATIVE_INT64
#define U64  H5T_NATIVE_UINT64

static hid_t trading_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(mt_trading));
    if (t < 0) return -1;
    herr_t r = 0;
    INS(t, mt_trading, initial_equity, D64);
    INS(t, mt_trading, final_equity, D64);
    INS(t, mt_trading, roi_pct, D64);
    INS(t, mt_trading, max_dd_pct, D64);
    INS(t, mt_trading, cagr_pct, D64);
    INS(t, mt_trading, vol_pct, D64);
    INS(t, mt_trading, sharpe, D64);
    INS(t, mt_trading, sortino, D64);
    INS(t, mt_trading, calmar, D64);
    INS(t, mt_trading, bars_per_year, D64);
    INS(t, mt_trading, n_returns, H5T_NATIVE_INT);
    INS(t, mt_trading, n_trades, H5T_NATIVE_INT);
    INS(t, mt_trading, n_wins, H5T_NATIVE_INT);
    INS(t, mt_trading, n_losses, H5T_NATIVE_INT);
    INS(t, mt_trading, gross_profit, D64);
    INS(t, mt_trading, gross_loss, D64);
    INS(t, mt_trading, hit_rate_pct, D64);
    INS(t, mt_trading, profit_factor, D64);
    INS(t, mt_trading, avg_trade, D64);
    INS(t, mt_trading, exposure_pct, D64);
    INS(t, mt_trading, turnover, D64);
    INS(t, mt_trading, costs_paid, D64);
    INS(t, mt_trading, max_open_levels, H5T_NATIVE_INT);
    INS(t, mt_trading, n_take_profits, H5T_NATIVE_INT);
    INS(t, mt_trading, n_baskets, H5T_NATIVE_INT);
    INS(t, mt_trading, n_stopouts, H5T_NATIVE_INT);
    INS(t, mt_trading, stopout_bar, H5T_NATIVE_INT);
    INS(t, mt_trading, n_rejected, H5T_NATIVE_INT);
    INS(t, mt_trading, flags, H5T_NATIVE_UINT);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

/* task_row without pad_ (always 0; the padding mask zeroes it). */
static hid_t row_type(void) {
    static const hsize_t d33[2] = { 3, 3 }, d3[1] = { 3 };
    hid_t tr = trading_type();
    if (tr < 0) return -1;
    hid_t a33 = H5Tarray_create2(H5T_NATIVE_INT32, 2, d33), a3 = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, d3);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(task_row));
    if (t < 0 || a33 < 0 || a3 < 0) {
        H5Tclose(tr);
        if (a33 >= 0) H5Tclose(a33);
        if (a3 >= 0) H5Tclose(a3);
        if (t >= 0) H5Tclose(t);
        return -1;
    }
    herr_t r = 0;
    INS(t, task_row, task_key, U64);
    INS(t, task_row, model_key, U64);
    INS(t, task_row, strategy_key, U64);
    INS(t, task_row, fold_id, I32);
    INS(t, task_row, status, I32);
    INS(t, task_row, model, I32);
    INS(t, task_row, strategy, I32);
    INS(t, task_row, epochs_run, I32);
    INS(t, task_row, best_epoch, I32);
    INS(t, task_row, n_train, I32);
    INS(t, task_row, n_val, I32);
    INS(t, task_row, n_test, I32);
    INS(t, task_row, correction, I32);
    INS(t, task_row, lookahead, I32);
    INS(t, task_row, confusion, a33);
    INS(t, task_row, class_count, a33);
    INS(t, task_row, train_loss, D64);
    INS(t, task_row, val_loss, D64);
    INS(t, task_row, test_loss, D64);
    INS(t, task_row, rmse, D64);
    INS(t, task_row, mae, D64);
    INS(t, task_row, r2, D64);
    INS(t, task_row, dir_acc, D64);
    INS(t, task_row, accuracy, D64);
    INS(t, task_row, macro_f1, D64);
    INS(t, task_row, log_loss, D64);
    INS(t, task_row, precision, a3);
    INS(t, task_row, recall, a3);
    INS(t, task_row, trend_lo, D64);
    INS(t, task_row, trend_hi, D64);
    INS(t, task_row, base_rmse, D64);
    INS(t, task_row, base_mae, D64);
    INS(t, task_row, base_r2, D64);
    INS(t, task_row, base_dir_acc, D64);
    INS(t, task_row, base_accuracy, D64);
    INS(t, task_row, base_macro_f1, D64);
    INS(t, task_row, base_log_loss, D64);
    INS(t, task_row, bh_roi_pct, D64);
    INS(t, task_row, bh_sharpe, D64);
    INS(t, task_row, bh_max_dd_pct, D64);
    INS(t, task_row, trading, tr);
    H5Tclose(tr);
    H5Tclose(a33);
    H5Tclose(a3);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

static hid_t model_type(void) {
    hid_t s16 = h5io_str_type(16), s64 = h5io_str_type(64), s96 = h5io_str_type(96);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(model_rec));
    herr_t r = (s16 < 0 || s64 < 0 || s96 < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, model_rec, index, I32);
        INS(t, model_rec, key, U64);
        INS(t, model_rec, cell, s16);
        INS(t, model_rec, layers, I32);
        INS(t, model_rec, hidden, s64);
        INS(t, model_rec, lookback, I32);
        INS(t, model_rec, dropout, D64);
        INS(t, model_rec, seed, U64);
        INS(t, model_rec, forget_bias_one, I32);
        INS(t, model_rec, lr, D64);
        INS(t, model_rec, batch, I32);
        INS(t, model_rec, epochs, I32);
        INS(t, model_rec, weight_decay, D64);
        INS(t, model_rec, clip_norm, D64);
        INS(t, model_rec, patience, I32);
        INS(t, model_rec, min_delta, D64);
        INS(t, model_rec, stride, I32);
        INS(t, model_rec, max_windows, I32);
        INS(t, model_rec, params, I64);
        INS(t, model_rec, label, s96);
    }
    h5io_close_type(&s16); h5io_close_type(&s64); h5io_close_type(&s96);
    if (r < 0) { h5io_close_type(&t); return -1; }
    return t;
}

static hid_t strat_type(void) {
    strat_layout L;
    layout_strat_make(&L);
    hid_t sn = h5io_str_type(STRAT_NAME_LEN), sl = h5io_str_type(STRAT_LABEL_LEN);
    hid_t t = H5Tcreate(H5T_COMPOUND, L.size);
    herr_t r = (sn < 0 || sl < 0 || t < 0) ? -1 : 0;
    if (!r) {
        r |= H5Tinsert(t, "index", L.index, I32);
        r |= H5Tinsert(t, "key", L.key, U64);
        r |= H5Tinsert(t, "label", L.label, sl);
        r |= H5Tinsert(t, "bars_per_year_auto", L.bpy_auto, I32);
        r |= H5Tinsert(t, "market", L.market, sn);
        r |= H5Tinsert(t, "correction_index", L.corr_index, I32);
        r |= H5Tinsert(t, "lookahead", L.lookahead, I32);
        for (int f = 0; f < BT_F_N; f++) {
            hid_t ft = bt_fields[f].type == BT_T_ENUM ? sn : bt_fields[f].type == BT_T_REAL ? D64 : I32;
            r |= H5Tinsert(t, bt_fields[f].key, L.field[f], ft);
        }
    }
    h5io_close_type(&sn); h5io_close_type(&sl);
    if (r < 0) { h5io_close_type(&t); return -1; }
    return t;
}


static hid_t corr_type(void) {
    hid_t sn = h5io_str_type(STRAT_NAME_LEN), sl = h5io_str_type(STRAT_LABEL_LEN);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(corr_rec));
    herr_t r = (sn < 0 || sl < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, corr_rec, index, I32);
        INS(t, corr_rec, correction, sn);
        INS(t, corr_rec, lookahead, I32);
        INS(t, corr_rec, mm_size, I32);
        INS(t, corr_rec, mm_beta, D64);
        INS(t, corr_rec, mm_sigma0, D64);
        INS(t, corr_rec, mm_epochs, I32);
        INS(t, corr_rec, first_strategy, I32);
        INS(t, corr_rec, label, sl);
    }
    h5io_close_type(&sn); h5io_close_type(&sl);
    if (r < 0) { h5io_close_type(&t); return -1; }
    return t;
}

static hid_t fold_type(void) {
    hid_t s8 = h5io_str_type(8), s24 = h5io_str_type(24), sid = h5io_str_type(FOLD_ID_MAX);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(fold_rec));
    herr_t r = (s8 < 0 || s24 < 0 || sid < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, fold_rec, lookback, I32);
        INS(t, fold_rec, fold_id, I32);
        INS(t, fold_rec, fold, sid);
        INS(t, fold_rec, status, s8);
        INS(t, fold_rec, n_train, I64);
        INS(t, fold_rec, n_val, I64);
        INS(t, fold_rec, n_test, I64);
        INS(t, fold_rec, train_first, s24);
        INS(t, fold_rec, train_last, s24);
        INS(t, fold_rec, test_first, s24);
        INS(t, fold_rec, test_last, s24);
    }
    h5io_close_type(&s8); h5io_close_type(&s24); h5io_close_type(&sid);
    if (r < 0) { h5io_close_type(&t); return -1; }
    return t;
}

static hid_t tasks_type(int with_reeval) {
    hid_t s12 = h5io_str_type(12), smsg = h5io_str_type(TASK_MSG_MAX), sid = h5io_str_type(FOLD_ID_MAX);
    hid_t shost = h5io_str_type(TASK_HOST_MAX), sblas = h5io_str_type(TASK_BLAS_MAX);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(tasks_rec));
    herr_t r = (s12 < 0 || smsg < 0 || sid < 0 || shost < 0 || sblas < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, tasks_rec, task_key, U64);
        INS(t, tasks_rec, model_key, U64);
        INS(t, tasks_rec, model, I32);
        INS(t, tasks_rec, fold_id, I32);
        INS(t, tasks_rec, fold, sid);
        INS(t, tasks_rec, status, I32);
        INS(t, tasks_rec, status_name, s12);
        INS(t, tasks_rec, epochs_run, I32);
        INS(t, tasks_rec, best_epoch, I32);
        INS(t, tasks_rec, steps, I64);
        INS(t, tasks_rec, rank, I32);
        INS(t, tasks_rec, host, shost);
        INS(t, tasks_rec, blas, sblas);
        INS(t, tasks_rec, sec_train, D64);
        INS(t, tasks_rec, sec_predict, D64);
        INS(t, tasks_rec, sec_backtest, D64);
        INS(t, tasks_rec, sec_total, D64);
        INS(t, tasks_rec, message, smsg);
        if (with_reeval) INS(t, tasks_rec, reevaluated, I32);
    }
    h5io_close_type(&s12); h5io_close_type(&smsg); h5io_close_type(&sid);
    h5io_close_type(&shost); h5io_close_type(&sblas);
    if (r < 0) { h5io_close_type(&t); return -1; }
    return t;
}

static hid_t index_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(index_rec));
    if (t < 0) return -1;
    herr_t r = 0;
    INS(t, index_rec, task_key, U64);
    INS(t, index_rec, model, I32);
    INS(t, index_rec, fold_id, I32);
    INS(t, index_rec, offset, I64);
    INS(t, index_rec, n, I64);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

static hid_t points_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(points_rec));
    if (t < 0) return -1;
    herr_t r = 0;
    INS(t, points_rec, task_key, U64);
    INS(t, points_rec, model, I32);
    INS(t, points_rec, fold_id, I32);
    INS(t, points_rec, offset, I64);
    INS(t, points_rec, n, I64);
    INS(t, points_rec, series, I32);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

void layout_types_close(layout_types *T) {
    h5io_close_type(&T->row); h5io_close_type(&T->model); h5io_close_type(&T->strat); h5io_close_type(&T->corr);
    h5io_close_type(&T->fold); h5io_close_type(&T->tasks); h5io_close_type(&T->tasks_v3);
    h5io_close_type(&T->index); h5io_close_type(&T->points);
}

int layout_types_open(h5io_ctx *x, layout_types *T) {
    T->row = row_type();
    T->model = model_type();
    T->strat = strat_type();
    T->corr = corr_type();
    T->fold = fold_type();
    T->tasks = tasks_type(1);
    T->tasks_v3 = tasks_type(0);
    T->index = index_type();
    T->points = points_type();
    if (T->row < 0 || T->model < 0 || T->strat < 0 || T->corr < 0 || T->fold < 0 || T->tasks < 0 ||
        T->tasks_v3 < 0 || T->index < 0) {
        h5io_fail(x, "building the compound types");
        layout_types_close(T);
        return -1;
    }
    return 0;
}

/* Which bytes of a compound are members: the rest is padding (and task_row's
 * pad_), which we zero so that a dataset's bytes depend only on its values. */
void layout_cover_members(hid_t t, size_t base, unsigned char *cover) {
    int n = H5Tget_nmembers(t);
    for (int i = 0; i < n; i++) {
        size_t off = base + H5Tget_member_offset(t, (unsigned)i);
        hid_t mt = H5Tget_member_type(t, (unsigned)i);
        if (mt < 0) continue;
        if (H5Tget_class(mt) == H5T_COMPOUND) layout_cover_members(mt, off, cover);
        else memset(cover + off, 1, H5Tget_size(mt));
        H5Tclose(mt);
    }
}

void layout_zero_padding(task_row *rows, size_t n, const unsigned char *cover) {
    for (size_t i = 0; i < n; i++) {
        unsigned char *b = (unsigned char *)&rows[i];
        for (size_t k = 0; k < sizeof(task_row); k++)
            if (!cover[k]) b[k] = 0;
    }
}

/* ---- time -------------------------------------------------------------------------- */

char *results_iso_time(int64_t s, char *buf) {
    int64_t days = s / 86400, sec = s % 86400;
    if (sec < 0) { sec += 86400; days--; }      /* floor division: before 1970 too */
    int y, mo, d;
    series_civil_from_days(days, &y, &mo, &d);
    if (y < 0) y = 0;                            /* four digits keep buf at 21    */
    if (y > 9999) y = 9999;
    snprintf(buf, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    return buf;
}

/* Fold timestamps are stored as ISO strings, "" for 0 (an empty set). */
void layout_iso_or_empty(int64_t s, char *buf) {
    if (s == 0) buf[0] = 0;
    else results_iso_time(s, buf);
}

int layout_iso_parse(const char *s, int64_t *out) {
    int y, mo, d, h, mi, se;
    char z;
    if (!s[0]) { *out = 0; return 0; }
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 || z != 'Z') return -1;
    *out = series_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}
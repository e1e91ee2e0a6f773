/*
 * strategy.h — the strategy-point schema: ONE table of every field a
 * strategy point has (DESIGN.md, "the one table of strategy fields").
 *
 * A strategy point fixes everything that changes trading and nothing that
 * changes training.  Its fields are listed once, in BT_FIELDS below, with
 * their INI key, type, allowed names or range, which points use them, the
 * two market defaults, the report's label prefix and one line of doc.
 * Everything else is generated from that list:
 *   - the bt_strategy struct (this header);
 *   - strategy_defaults() and the range checks of strategy_check();
 *   - the [strategy] keys of the config, their docs and defaults
 *     (coordinator/config.c, configs/README.md);
 *   - the plan's canonical key text and its labels (coordinator/plan.c);
 *   - the report's group-by keys (coordinator/report.c);
 *   - the HDF5 /plan/strategies columns (coordinator/results_layout.c).
 * So a field is added by adding one line here (and, when it changes what
 * the engine does, the engine code that reads it).
 *
 * Keys.  The task and strategy keys hash canonical texts built from these
 * names (plan.h), so a key NAME, an enum NAME, or the way a value is
 * written must never change silently: tests/test_plan.c pins the keys of
 * configs/quick.ini and of a config setting every field.  Enum CODES are
 * free to change (keys use names), though they are what /plan/strategies
 * stores next to the names.
 *
 * Enum names live in tables of rs_enum {name, code} ending in {NULL, 0}
 * (util.h), one per field that takes names.
 */
#ifndef RS_STRATEGY_H
#define RS_STRATEGY_H

#include <stddef.h>

#include "worker/motormap.h"
#include "worker/util.h"

#define BT_MAX_LEVELS 256      /* grid entries open at once, hard limit     */
#define BT_BIG        1e15     /* "no upper bound" of a real field          */

/* ---- enum codes (names: the BT_E_* tables) ---------------------------------- */

enum { BT_SIGNAL = 0, BT_GRID = 1 };                          /* kind          */
enum { BT_FX = 0, BT_EQUITY = 1 };                            /* market        */
enum { BT_PIPS = 0, BT_PERCENT = 1, BT_ATR = 2, BT_BP = 3 };  /* units         */
enum { BT_COMM_PER_LOT = 0, BT_COMM_BP = 1 };                 /* commission    */
enum { BT_SIZE_LOTS = 0, BT_SIZE_EQUITY = 1 };                /* sizing        */
enum { BT_PATH_ADVERSE = 0, BT_PATH_AGAINST = 1, BT_PATH_WITH = 2 };

extern const rs_enum BT_E_KIND[];          /* signal, grid                        */
extern const rs_enum BT_E_MARKET[];        /* fx, equity                          */
extern const rs_enum BT_E_SPACING_UNIT[];  /* pips, percent, atr                  */
extern const rs_enum BT_E_COST_UNIT[];     /* pips, bp                            */
extern const rs_enum BT_E_COMMISSION[];    /* per_lot, bp                         */
extern const rs_enum BT_E_PATH[];          /* adverse, against, with              */
extern const rs_enum BT_E_SIZE[];          /* lots, equity                        */
extern const rs_enum BT_E_CORRECTION[];    /* none, motormap, motormap_online,
                                              motormap_peek (motormap.h MM_KINDS)  */

/* ---- the table -----------------------------------------------------------------
 * X(ID, key, field, type, names, use, bounds, lo, hi, fx, equity, label, doc)
 *   ID      BT_F_<ID> names the field's index in bt_fields[]
 *   key     [strategy] key, canonical-text name, HDF5 column, --by key
 *   field   the bt_strategy member
 *   type    INT | REAL | BOOL | ENUM (int members, except REAL: double)
 *   names   ENUM: the rs_enum table of allowed names (else NULL)
 *   use     who uses it: 0 every point; BT_U_GRID kind = grid only;
 *           BT_U_REG return / price targets only; BT_U_CLS trend3 only;
 *           BT_U_MM only with a correction other than none; BT_U_NOMM only
 *           without one (min_prob: a corrected trend is a hard class).
 *           A field a point does not use is left out of its key and label.
 *           BT_U_NEWKEY: added after keys were in use, so it is left out of
 *           the key while at its default, and old keys do not move.
 *   bounds  BT_B_CLOSED [lo, hi], BT_B_LO_OPEN (lo, hi]; BT_B_AUTO0 also
 *           accepts 0 in a config, meaning "resolved from the data"
 *   fx, equity   defaults of the two markets ([strategy] market)
 *   label   the report's label prefix ("th" → "th0.001"); "" = the value
 *           attaches to the previous field's piece (spacing_unit → "1%")
 *   doc     one line for configs/README.md and `rnnsweep check --keys`
 */
#define BT_FIELDS(X)                                                                                  \
  X(KIND,           "kind",            kind,            ENUM, BT_E_KIND,         0,         BT_B_CLOSED,  \
    0, 0, BT_SIGNAL, BT_SIGNAL, "", "signal or grid")                                                 \
  X(THRESHOLD,      "threshold",       threshold,       REAL, NULL,              BT_U_REG,  BT_B_CLOSED,  \
    0, BT_BIG, 0.0, 0.0, "th", "trade when |predicted return| > threshold")      \
  X(LONG_ONLY,      "long_only",       long_only,       BOOL, NULL,              0,         BT_B_CLOSED,  \
    0, 1, 0, 0, "lo", "short signals become flat")                                                   \
  X(MIN_PROB,       "min_prob",        min_prob,        REAL, NULL,   BT_U_CLS | BT_U_NOMM, BT_B_CLOSED,  \
    0, 1, 0.0, 0.0, "p", "RANGE when the winning class probability is below this")                 \
  X(SPACING,        "spacing",         spacing,         REAL, NULL,              BT_U_GRID, BT_B_LO_OPEN, \
    0, BT_BIG, 20.0, 1.0, "sp", "grid spacing in spacing_unit")                                     \
  X(SPACING_UNIT,   "spacing_unit",    spacing_unit,    ENUM, BT_E_SPACING_UNIT, BT_U_GRID, BT_B_CLOSED,  \
    0, 0, BT_PIPS, BT_PERCENT, "", "pips, percent (of the last close) or atr")                      \
  X(ATR_PERIOD,     "atr_period",      atr_period,      INT,  NULL,              BT_U_GRID, BT_B_CLOSED,  \
    1, 100000, 14, 14, "atr", "bars in the ATR (spacing_unit = atr)")                               \
  X(MAX_LEVELS,     "max_levels",      max_levels,      INT,  NULL,              BT_U_GRID, BT_B_CLOSED,  \
    1, BT_MAX_LEVELS, 5, 5, "L", "grid entries open at once")                                      \
  X(TP,             "tp",              tp_spacings,     REAL, NULL,              BT_U_GRID, BT_B_CLOSED,  \
    0, BT_BIG, 1.0, 1.0, "tp", "per-entry take-profit in spacings; 0 = none")                      \
  X(BASKET_TP,      "basket_tp",       basket_tp,       REAL, NULL,              BT_U_GRID, BT_B_CLOSED,  \
    0, BT_BIG, 0.0, 0.0, "btp", "close the book at this floating profit (money); 0 = off")          \
  X(CLOSE_ON_FLIP,  "close_on_flip",   close_on_flip,   BOOL, NULL,              BT_U_GRID, BT_B_CLOSED,  \
    0, 1, 0, 0, "flip", "close the book when the trend turns against it")                          \
  X(ADAPT_FACTOR,   "adapt_factor",    adapt_factor,    REAL, NULL,              BT_U_GRID, BT_B_CLOSED,  \
    1, 1000, 1.0, 1.0, "af", "adaptive spacing factor on drawdown; 1 = off")                        \
  X(ADAPT_MAX,      "adapt_max",       adapt_max,       REAL, NULL,              BT_U_GRID, BT_B_CLOSED,  \
    1, BT_BIG, 4.0, 4.0, "am", "cap of the adaptive multiplier")                                   \
  X(BAR_PATH,       "bar_path",        bar_path,        ENUM, BT_E_PATH,         0,         BT_B_CLOSED,  \
    0, 0, BT_PATH_ADVERSE, BT_PATH_ADVERSE, "path:", "intrabar order: adverse, against or with")   \
  X(SPREAD,         "spread",          spread,          REAL, NULL,              0,         BT_B_CLOSED,  \
    0, BT_BIG, 1.0, 2.0, "spr", "full bid-ask spread in cost_unit")                                 \
  X(SLIPPAGE,       "slippage",        slippage,        REAL, NULL,              0,         BT_B_CLOSED,  \
    0, BT_BIG, 0.0, 0.0, "slip", "per fill, in cost_unit")                                          \
  X(COST_UNIT,      "cost_unit",       cost_unit,       ENUM, BT_E_COST_UNIT,    0,         BT_B_CLOSED,  \
    0, 0, BT_PIPS, BT_BP, "cost:", "pips or bp")                                                    \
  X(COMMISSION,     "commission",      commission,      REAL, NULL,              0,         BT_B_CLOSED,  \
    0, BT_BIG, 0.0, 1.0, "com", "per side, in commission_unit")                                    \
  X(COMMISSION_UNIT,"commission_unit", commission_unit, ENUM, BT_E_COMMISSION,   0,         BT_B_CLOSED,  \
    0, 0, BT_COMM_PER_LOT, BT_COMM_BP, "com:", "per_lot (money per lot per side) or bp")           \
  X(LEVERAGE,       "leverage",        leverage,        REAL, NULL,              0,         BT_B_CLOSED,  \
    1, BT_BIG, 400.0, 1.0, "lev", "400 = 1:400; 1 = unlevered")                                    \
  X(LOT,            "lot",             lot_size,        REAL, NULL,              0,         BT_B_LO_OPEN, \
    0, BT_BIG, 100000.0, 1.0, "lot", "units per lot")                                             \
  X(PIP,            "pip",             pip_size,        REAL, NULL,              0,         BT_B_LO_OPEN, \
    0, BT_BIG, 0.0001, 0.01, "pip", "price of one pip")                                            \
  X(BALANCE,        "balance",         initial_balance, REAL, NULL,              0,         BT_B_LO_OPEN, \
    0, BT_BIG, 30000.0, 30000.0, "bal", "initial balance")                                         \
  X(MARGIN_CALL,    "margin_call",     margin_call_pct, REAL, NULL,              0,         BT_B_CLOSED,  \
    0, BT_BIG, 100.0, 100.0, "mc", "entries need this margin level (%)")                           \
  X(STOP_OUT,       "stop_out",        stop_out_pct,    REAL, NULL,              0,         BT_B_CLOSED,  \
    0, BT_BIG, 50.0, 0.0, "so", "liquidate at this margin level (%), at most margin_call")         \
  X(SIZE_UNIT,      "size_unit",       size_unit,       ENUM, BT_E_SIZE,         0,         BT_B_CLOSED,  \
    0, 0, BT_SIZE_LOTS, BT_SIZE_EQUITY, "size:", "lots or equity")                                 \
  X(SIZE,           "size",            size,            REAL, NULL,              0,         BT_B_LO_OPEN, \
    0, BT_BIG, 0.1, 1.0, "sz", "lots, or multiple of equity, per entry")                            \
  X(BARS_PER_YEAR,  "bars_per_year",   bars_per_year,   REAL, NULL,              0,         BT_B_AUTO0,   \
    0, BT_BIG, 260.0, 252.0, "bpy", "annualisation; 0 = from the data's bar length")                \
  X(CORRECTION,     "correction",      correction,      ENUM, BT_E_CORRECTION,   BT_U_CLS | BT_U_NEWKEY,      \
    BT_B_CLOSED, 0, 0, MM_NONE, MM_NONE, "corr:",                                                        \
    "the trend's correction (Rundo 2019 motor map): none, motormap (frozen after training), "        \
    "motormap_online (learns each test window once its label is known), motormap_peek "             \
    "(LOOK-AHEAD diagnostic, left out of rankings)")                                                 \
  X(MM_SIZE,        "mm_size",         mm_size,         INT,  NULL,              BT_U_CLS | BT_U_MM, BT_B_CLOSED, \
    2, MM_MAX_SIZE, 30, 30, "mmN", "motor map lattice side (mm_size x mm_size neurons)")             \
  X(MM_BETA,        "mm_beta",         mm_beta,         REAL, NULL,              BT_U_CLS | BT_U_MM, BT_B_LO_OPEN, \
    0, 1, 0.15, 0.15, "mmb", "motor map learning rate beta (eqs. 16-17)")                            \
  X(MM_SIGMA0,      "mm_sigma0",       mm_sigma0,       REAL, NULL,              BT_U_CLS | BT_U_MM, BT_B_AUTO0,  \
    0, MM_MAX_SIZE, 0.0, 0.0, "mms", "initial neighbourhood width in lattice units; 0 = mm_size / 2") \
  X(MM_EPOCHS,      "mm_epochs",       mm_epochs,       INT,  NULL,              BT_U_CLS | BT_U_MM, BT_B_CLOSED, \
    1, 10000, 1, 1, "mme", "motor map passes over the training windows")

/* Who uses a field (the `use` column). */
#define BT_U_GRID   0x01u
#define BT_U_REG    0x02u
#define BT_U_CLS    0x04u
#define BT_U_MM     0x08u
#define BT_U_NOMM   0x10u
#define BT_U_NEWKEY 0x20u

/* Bounds (the `bounds` column). */
enum { BT_B_CLOSED = 0, BT_B_LO_OPEN = 1, BT_B_AUTO0 = 2 };

enum { BT_T_INT, BT_T_REAL, BT_T_BOOL, BT_T_ENUM };
#define BT_CTYPE_INT  int
#define BT_CTYPE_BOOL int
#define BT_CTYPE_ENUM int
#define BT_CTYPE_REAL double

/* The field ids: BT_F_KIND .. BT_F_N. */
enum {
#define BT_X_ID(ID, ...) BT_F_##ID,
    BT_FIELDS(BT_X_ID)
#undef BT_X_ID
    BT_F_N
};

/* One strategy point: `market` (which defaults, recorded) and one member
 * per table row.  Plain data; fill it with strategy_defaults() and then
 * override fields. */
typedef struct {
    int market;              /* BT_FX | BT_EQUITY: the sweep's, not a grid dimension */
#define BT_X_MEMBER(ID, key, field, type, ...) BT_CTYPE_##type field;
    BT_FIELDS(BT_X_MEMBER)
#undef BT_X_MEMBER
} bt_strategy;

/* A row of the table, as data. */
typedef struct {
    const char    *key;      /* [strategy] key / canonical name / column            */
    size_t         off;      /* offsetof(bt_strategy, member)                       */
    int            type;     /* BT_T_*                                              */
    const rs_enum *names;    /* BT_T_ENUM: allowed names, else NULL                 */
    unsigned       use;      /* BT_U_* (0: every point)                             */
    int            bounds;   /* BT_B_*                                              */
    double         lo, hi;   /* numeric range (INT, REAL); BOOL 0..1                */
    double         def[2];   /* default per market: [BT_FX], [BT_EQUITY]            */
    const char    *label;    /* report label prefix; "" attaches to the previous   */
    const char    *doc;
} bt_field;

extern const bt_field bt_fields[BT_F_N];

/* The value of field f of *s as a double (ints exactly) / set it. */
double strategy_get(const bt_strategy *s, int f);
void   strategy_set(bt_strategy *s, int f, double v);

/* 1 when field f matters to point *s under a classification (cls = 1,
 * trend3) or regression target: the `use` rules above. */
int strategy_field_used(int f, const bt_strategy *s, int cls);

/* 1 when field f goes into point *s's canonical key text: used, and not a
 * BT_U_NEWKEY field at its default. */
int strategy_field_keyed(int f, const bt_strategy *s, int cls);

/* ---- corrections -----------------------------------------------------------
 * A correction point is what the trend's correction depends on: the kind
 * and, for a motor map, mm_size, mm_beta, mm_sigma0, mm_epochs.  A task
 * computes each distinct correction point once and trades every strategy
 * point on its correction's classes. */

/* 1 when a and b are the same correction point (on a trend3 target). */
int strategy_same_correction(const bt_strategy *a, const bt_strategy *b);

/* The motor-map options of a point (mm_sigma0 must be resolved: > 0). */
mm_opts strategy_mm_opts(const bt_strategy *s);

/* The distinct correction points of s[0..n), in order of first appearance
 * (O(n × corrections)): returns their count k; first[0..k) (room for n
 * entries, required) receives the index of each one's first point, and
 * index[i] (may be NULL) point i's correction. */
int strategy_corrections(const bt_strategy *s, int n, int *index, int *first);

/* Field f's value as canonical text: an enum's name, an int "%d", a real
 * "%.17g" (so 1e-3 and 0.001 are one text).  Returns buf. */
char *strategy_value_text(int f, double v, char *buf, size_t n);

/* Defaults for a market (any value other than BT_EQUITY means BT_FX): the
 * fx / equity columns of the table:
 *   BT_FX:     signal; θ 0; grid 20 pips, 5 levels, tp 1 spacing, ATR 14;
 *              spread 1.0 pip, slippage 0, commission 0 per lot; leverage 400,
 *              lot 100000, pip 0.0001, balance 30000, margin call 100%,
 *              stop-out 50%; 0.1 lot per entry; 260 daily bars a year.
 *   BT_EQUITY: as FX but: leverage 1; spread 2 bp, slippage 0, commission
 *              1 bp; lot 1, pip 0.01; grid 1 percent; balance 30000; margin
 *              call 100%, stop-out 0 (liquidation at zero equity); size 1.0
 *              × equity (fully invested); 252 daily bars a year. */
void strategy_defaults(bt_strategy *s, int market);

/* RS_OK, or RS_EINPUT naming the first bad field by its key and what was
 * expected: "strategy: lot = 0, expected a number in (0, 1e+15]".  Every
 * field is checked against the table's range (or names); fields a point
 * does not use by kind (grid-only fields on a signal point) are not
 * checked, nor motor-map fields without a correction; stop_out must not
 * exceed margin_call; bars_per_year and mm_sigma0 must be > 0 (0 = "auto"
 * is resolved before a point is checked). */
int strategy_check(const bt_strategy *s, rs_err *e);

#endif /* RS_STRATEGY_H */

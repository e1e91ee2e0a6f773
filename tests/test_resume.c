/* test_resume.c — the resume policy: which outputs a run may write, what it
 * continues from (journal, torn tail, damaged records recovered from the
 * results file, a damaged head rebuilt), what it refuses, and which tasks
 * it still runs. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/results.h"
#include "coordinator/resume.h"

#include <hdf5.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

static char g_dir[64];
static int g_seq;

/* 2 model points x 3 yearly folds; 2 strategy points. */
static const char *INI =
    "[data]\ninstruments = SPX\nSPX.path = data/none.csv\n"
    "[features]\nSPX = close, logret\n[target]\nkind = return\nhorizon = 1\n"
    "[walkforward]\nfirst_year = 2015\nlast_year = 2017\n"
    "[model]\ncell = lstm, gru\nhidden = 4\nlookback = 5\n"
    "[strategy]\nmarket = equity\nkind = signal\nthreshold = 0, 0.001\n";

#define JHASH 0x5eedf00dcafeull
static const int YEARS[3] = { 2015, 2016, 2017 };

/* A fresh FILE.h5 / FILE.h5.journal pair of paths. */
static void paths(char *out, char *jp, size_t n) {
    snprintf(out, n, "%s/r%d.h5", g_dir, g_seq++);
    snprintf(jp, n + 8, "%s.journal", out);
}

/* The record of task (model mi, fold k): rows for the first n_strat
 * strategy points, no series. */
static void make_rec(task_buf *b, const sweep_plan *p, int mi, int k, int status, int n_strat) {
    task_head h;
    memset(&h, 0, sizeof h);
    h.task_key = plan_task_key(&p->models[mi], YEARS[k]);
    h.model_key = p->models[mi].key;
    h.fold_id = YEARS[k];
    h.status = status;
    h.n_strat = n_strat;
    h.n_out = p->n_out;
    h.epochs_run = 3;
    h.rank = 1;
    snprintf(h.host, sizeof h.host, "node1");
    if (status == TASK_FAILED) snprintf(h.message, sizeof h.message, "synthetic failure");
    task_row rows[8];
    memset(rows, 0, sizeof rows);
    for (int s = 0; s < n_strat; s++) {
        rows[s].task_key = h.task_key;
        rows[s].model_key = h.model_key;
        rows[s].strategy_key = p->strategies[s].key;
        rows[s].fold_id = h.fold_id;
        rows[s].status = status;
        rows[s].model = mi;
        rows[s].strategy = s;
        rows[s].rmse = 0.1 * (mi + 1) + k;
    }
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(task_pack(b, &h, rows, NULL, NULL, NULL, NULL, NULL, NULL, &e), 0);
}

/* The record of an OK task (model mi, fold k) with rows for the first
 * n_strat points and a short test series: what a re-evaluation completes. */
static void make_rec_series(task_buf *b, const sweep_plan *p, int mi, int k, int n_strat) {
    task_buf r = { 0 };
    make_rec(&r, p, mi, k, TASK_OK, n_strat);
    task_view v;
    CU_ASSERT_EQUAL_FATAL(task_view_parse(r.p, r.len, &v, NULL), 0);
    task_head h = *v.h;
    enum { NT = 3 };
    h.n_test = NT;
    int64_t t[NT] = { 1, 2, 3 };
    double y[NT * 3] = { 0 }, pred[NT * 3] = { 0 };
    float ret[8 * NT] = { 0 }, bh[NT] = { 0 };
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(task_pack(b, &h, v.rows, t, y, pred, ret, bh, NULL, &e), 0);
    task_buf_free(&r);
}

/* All 6 records, plan order. */
static void make_all(const sweep_plan *p, task_buf *b) {
    for (int mi = 0; mi < 2; mi++)
        for (int k = 0; k < 3; k++) make_rec(&b[mi * 3 + k], p, mi, k, TASK_OK, p->n_strategies);
}

static void write_journal(const char *jp, const sweep_config *c, task_buf *b, int n) {
    journal *j;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_create(jp, JHASH, c->ini_text, c->ini_len, &j, &e), 0);
    for (int i = 0; i < n; i++) CU_ASSERT_EQUAL(journal_append(j, b[i].p, b[i].len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
}

static void write_h5(const char *out, const sweep_config *c, const sweep_plan *p, task_buf *b, int n) {
    task_view v[8];
    rs_err e;
    for (int i = 0; i < n; i++) CU_ASSERT_EQUAL(task_view_parse(b[i].p, b[i].len, &v[i], &e), 0);
    results_meta m = { "2024-01-01T00:00:00Z", 1, 1, "test", "node1", "", 6, 86400, NULL, NULL, NULL, NULL };
    CU_ASSERT_EQUAL_FATAL(results_write(out, c, p, NULL, 0, v, n, &m, &e), 0);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    *n = fread(p, 1, (size_t)sz, f);
    fclose(f);
    return p;
}

static void put(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (n) CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Byte offset of record i (0 = the first task record) in a journal. */
static size_t rec_off(const char *jp, int i) {
    journal_contents c;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_read(jp, &c, &e), 0);
    size_t off = (size_t)((const unsigned char *)c.rec[i].p - (const unsigned char *)c.buf) - 24;
    journal_contents_free(&c);
    return off;
}

/* Does the store hold every record of b[0..n) byte for byte? */
static int holds_all(const store *st, task_buf *b, int n) {
    int k = 0;
    task_buf rb = { 0 };
    for (int i = 0; i < n; i++) {
        int at = store_find(st, ((const task_head *)b[i].p)->task_key);
        task_view v;
        k += at >= 0 && !store_get(st, at, &rb, &v, NULL) && v.bytes == b[i].len && !memcmp(v.h, b[i].p, b[i].len);
    }
    task_buf_free(&rb);
    return k == n;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_check_output(void) {
    char out[128], jp[136];
    rs_err e;
    paths(out, jp, sizeof out);
    CU_ASSERT_EQUAL(resume_check_output(out, jp, 0, &e), 0);
    CU_ASSERT_EQUAL(resume_check_output(g_dir, jp, 0, &e), RS_EINPUT);       /* -o DIR */
    ASSERT_MSG_HAS(e, "is a directory; give a file name such as");
    CU_ASSERT_PTR_NULL(strstr(e.msg, "--resume"));
    put(jp, "x", 1);
    CU_ASSERT_EQUAL(resume_check_output(out, jp, 0, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "exists: add --resume");
    CU_ASSERT_EQUAL(resume_check_output(out, jp, 1, &e), 0);
    unlink(jp);
    char deep[160];
    snprintf(deep, sizeof deep, "%s/none/x.h5", g_dir);
    CU_ASSERT_EQUAL(resume_check_output(deep, "j", 0, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "does not exist");
    /* a read-only directory: as root a read-only tmpfs (root ignores mode
     * bits), else mode 0555 */
    char ro[128], cmd[300];
    snprintf(ro, sizeof ro, "%s/ro", g_dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(ro, 0755), 0);
    int mounted = 0;
    if (geteuid() == 0) {
        snprintf(cmd, sizeof cmd, "mount -t tmpfs -o ro,size=64k tmpfs '%s' 2>/dev/null", ro);
        mounted = system(cmd) == 0;
        if (!mounted) { printf("SKIP read-only directory: cannot mount a tmpfs "); rmdir(ro); return; }
    } else {
        chmod(ro, 0555);
    }
    snprintf(deep, sizeof deep, "%s/x.h5", ro);
    CU_ASSERT_EQUAL(resume_check_output(deep, "j", 0, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "is not writable");
    if (mounted) {
        snprintf(cmd, sizeof cmd, "umount '%s'", ro);
        if (system(cmd)) printf("\n  could not unmount %s ", ro);
    }
    chmod(ro, 0755);
    rmdir(ro);
}

static void test_fresh_and_resume(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    char out[128], jp[136];
    paths(out, jp, sizeof out);
    resume_opts o = { out, jp, 0, JHASH, &c, &p };
    store st = { 0 };
    journal *j;
    resume_report rep;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(resume_open(&o, &st, &j, &rep, &e), 0);
    CU_ASSERT_EQUAL(st.n, 0);
    CU_ASSERT_EQUAL(rep.from_journal + rep.from_results + rep.n_damaged + (int)rep.torn_bytes, 0);
    task_buf b[6] = { { 0 } };
    make_all(&p, b);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(journal_append(j, b[i].p, b[i].len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    /* a torn tail: half of record 4 */
    size_t n;
    unsigned char *bytes = slurp(jp, &n);
    unsigned char *more = malloc(n + b[4].len);
    memcpy(more, bytes, n);
    memcpy(more + n, "RSJ1", 4);
    memcpy(more + n + 4, b[4].p, b[4].len / 2);
    put(jp, more, n + 4 + b[4].len / 2);
    o.resume = 1;
    CU_ASSERT_EQUAL_FATAL(resume_open(&o, &st, &j, &rep, &e), 0);
    CU_ASSERT_EQUAL(st.n, 4);
    CU_ASSERT(holds_all(&st, b, 4));
    CU_ASSERT_EQUAL(rep.from_journal, 4);
    CU_ASSERT_EQUAL(rep.torn_bytes, 4 + b[4].len / 2);
    CU_ASSERT_EQUAL(rep.n_damaged, 0);
    CU_ASSERT_EQUAL(rep.rewritten, 0);
    CU_ASSERT_EQUAL(journal_append(j, b[4].p, b[4].len, &e), 0);    /* lands after the cut */
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    journal_contents jc;
    CU_ASSERT_EQUAL_FATAL(journal_read(jp, &jc, &e), 0);
    CU_ASSERT_EQUAL(jc.n, 5);
    CU_ASSERT_EQUAL(jc.torn_bytes, 0);
    journal_contents_free(&jc);
    /* without --resume an existing journal is never overwritten */
    o.resume = 0;
    store s2 = { 0 };
    CU_ASSERT_NOT_EQUAL(resume_open(&o, &s2, &j, &rep, &e), 0);
    ASSERT_MSG_HAS(e, "exists");
    free(bytes);
    free(more);
    store_free(&st);
    store_free(&s2);
    for (int i = 0; i < 6; i++) task_buf_free(&b[i]);
    cu_plan_free(&c, &p);
}

/* A flipped byte in record 2 of 6: the journal keeps 0, 1, 3, 4, 5; the
 * results file gives back record 2; nothing reruns. */
static void test_damaged_record(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[6] = { { 0 } };
    make_all(&p, b);
    for (int with_h5 = 1; with_h5 >= 0; with_h5--) {
        char out[128], jp[136], kept[160];
        paths(out, jp, sizeof out);
        snprintf(kept, sizeof kept, "%s.damaged", jp);
        write_journal(jp, &c, b, 6);
        if (with_h5) write_h5(out, &c, &p, b, 6);
        size_t off = rec_off(jp, 2), n;
        unsigned char *bytes = slurp(jp, &n);
        bytes[off + 24 + 40] ^= 0x20;
        put(jp, bytes, n);
        resume_opts o = { out, jp, 1, JHASH, &c, &p };
        store st = { 0 };
        journal *j;
        resume_report rep;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(resume_open(&o, &st, &j, &rep, &e), 0);
        CU_ASSERT_EQUAL(rep.n_damaged, 1);
        CU_ASSERT_EQUAL(rep.damaged_at, off);
        CU_ASSERT_EQUAL(rep.kept_after, 3);
        CU_ASSERT_EQUAL(rep.from_journal, 5);
        CU_ASSERT_EQUAL(rep.rewritten, 1);
        if (with_h5) {
            CU_ASSERT_EQUAL(rep.from_results, 1);
            CU_ASSERT_EQUAL(st.n, 6);
            CU_ASSERT(holds_all(&st, b, 6));         /* the results file's copy equals the record */
            CU_ASSERT_STRING_EQUAL(rep.results_note, "");
        } else {
            CU_ASSERT_EQUAL(rep.from_results, 0);
            CU_ASSERT_EQUAL(st.n, 5);
            CU_ASSERT_PTR_NOT_NULL(strstr(rep.results_note, "does not exist"));
        }
        CU_ASSERT_EQUAL(journal_close(j, &e), 0);
        /* the journal is whole again; the damaged one is kept byte for byte */
        journal_contents jc;
        CU_ASSERT_EQUAL_FATAL(journal_read(jp, &jc, &e), 0);
        CU_ASSERT_EQUAL(jc.n, st.n);
        CU_ASSERT_EQUAL(jc.n_damaged, 0);
        CU_ASSERT_EQUAL(jc.head.data_hash, JHASH);
        journal_contents_free(&jc);
        size_t nk;
        unsigned char *k = slurp(kept, &nk);
        CU_ASSERT(k && nk == n && !memcmp(k, bytes, n));
        FILE *f = fopen("/dev/null", "w");
        resume_report_print(&rep, &o, f);
        fclose(f);
        free(k);
        free(bytes);
        store_free(&st);
    }
    for (int i = 0; i < 6; i++) task_buf_free(&b[i]);
    cu_plan_free(&c, &p);
}

/* A damaged head: rebuilt from the results file (4 tasks) and every intact
 * record of the journal (6); without a results file, refused with how to
 * recover. */
static void test_damaged_head(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[6] = { { 0 } };
    make_all(&p, b);
    char out[128], jp[136];
    paths(out, jp, sizeof out);
    write_journal(jp, &c, b, 6);
    size_t n;
    unsigned char *bytes = slurp(jp, &n);
    bytes[24 + 30] ^= 0x01;                          /* the head's INI text: CRC */
    put(jp, bytes, n);
    resume_opts o = { out, jp, 1, JHASH, &c, &p };
    store st = { 0 };
    journal *j = NULL;
    resume_report rep;
    rs_err e;
    CU_ASSERT_EQUAL(resume_open(&o, &st, &j, &rep, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "head record is damaged");
    ASSERT_MSG_HAS(e, "move the journal away");
    CU_ASSERT_PTR_NULL(j);
    size_t n2;
    unsigned char *still = slurp(jp, &n2);
    CU_ASSERT(n2 == n && !memcmp(still, bytes, n));  /* refused: nothing touched */
    free(still);
    store_free(&st);
    write_h5(out, &c, &p, b, 4);
    CU_ASSERT_EQUAL_FATAL(resume_open(&o, &st, &j, &rep, &e), 0);
    CU_ASSERT_EQUAL(rep.head_damaged, 1);
    CU_ASSERT_EQUAL(rep.from_results, 4);
    CU_ASSERT_EQUAL(rep.from_journal, 6);
    CU_ASSERT_EQUAL(st.n, 6);
    CU_ASSERT(holds_all(&st, b, 6));
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    journal_contents jc;
    CU_ASSERT_EQUAL_FATAL(journal_read(jp, &jc, &e), 0);
    CU_ASSERT_EQUAL(jc.n, 6);
    CU_ASSERT_STRING_EQUAL(jc.ini_text, c.ini_text);
    journal_contents_free(&jc);
    free(bytes);
    store_free(&st);
    for (int i = 0; i < 6; i++) task_buf_free(&b[i]);
    cu_plan_free(&c, &p);
}

static void test_refusals(void) {
    sweep_config c, c2;
    sweep_plan p, p2;
    if (cu_plan_build(INI, &c, &p)) return;
    char other[1024];
    snprintf(other, sizeof other, "%s", INI);
    char *hz = strstr(other, "horizon = 1");
    hz[strlen("horizon = ")] = '2';
    if (cu_plan_build(other, &c2, &p2)) { cu_plan_free(&c, &p); return; }
    task_buf b[6] = { { 0 } };
    make_all(&p, b);
    char out[128], jp[136];
    paths(out, jp, sizeof out);
    write_journal(jp, &c, b, 3);
    size_t n0;
    unsigned char *before = slurp(jp, &n0);
    store st = { 0 };
    journal *j;
    resume_report rep;
    rs_err e;
    resume_opts o = { out, jp, 1, JHASH, &c2, &p2 };        /* another target */
    CU_ASSERT_EQUAL(resume_open(&o, &st, &j, &rep, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "--resume");
    ASSERT_MSG_HAS(e, "horizon");
    resume_opts o2 = { out, jp, 1, JHASH + 1, &c, &p };     /* same config, other bytes */
    CU_ASSERT_EQUAL(resume_open(&o2, &st, &j, &rep, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "contents changed");
    put(jp, "[data]\nnot a journal\n", 21);                  /* a foreign file */
    CU_ASSERT_EQUAL(resume_open(&o2, &st, &j, &rep, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "not an rnnsweep journal");
    put(jp, before, n0);
    size_t n1;
    unsigned char *after = slurp(jp, &n1);
    CU_ASSERT(n1 == n0 && !memcmp(before, after, n0));
    free(before);
    free(after);
    store_free(&st);
    for (int i = 0; i < 6; i++) task_buf_free(&b[i]);
    cu_plan_free(&c, &p);
    cu_plan_free(&c2, &p2);
}

/* No journal beside a results file (a merged file): seeded from it. */
static void test_seed_from_results(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[6] = { { 0 } };
    make_all(&p, b);
    char out[128], jp[136];
    paths(out, jp, sizeof out);
    write_h5(out, &c, &p, b, 5);
    resume_opts o = { out, jp, 1, JHASH, &c, &p };
    store st = { 0 };
    journal *j;
    resume_report rep;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(resume_open(&o, &st, &j, &rep, &e), 0);
    CU_ASSERT_EQUAL(rep.seeded, 1);
    CU_ASSERT_EQUAL(rep.from_results, 5);
    CU_ASSERT_STRING_EQUAL(rep.created, "2024-01-01T00:00:00Z");
    CU_ASSERT(holds_all(&st, b, 5));
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    journal_contents jc;
    CU_ASSERT_EQUAL_FATAL(journal_read(jp, &jc, &e), 0);
    CU_ASSERT_EQUAL(jc.n, 5);
    journal_contents_free(&jc);
    store_free(&st);
    for (int i = 0; i < 6; i++) task_buf_free(&b[i]);
    cu_plan_free(&c, &p);
}

static void test_choose(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    plan_task t[6];
    memset(t, 0, sizeof t);
    for (int mi = 0; mi < 2; mi++)
        for (int k = 0; k < 3; k++) {
            plan_task *x = &t[mi * 3 + k];
            x->model = mi;
            x->fold_id = YEARS[k];
            x->key = plan_task_key(&p.models[mi], YEARS[k]);
            x->cost = 10 * (mi * 3 + k + 1);
        }
    store st = { 0 };
    task_buf b = { 0 };
    make_rec(&b, &p, 0, 0, TASK_OK, p.n_strategies);        /* finished: kept */
    store_put(&st, b.p, b.len);
    make_rec(&b, &p, 0, 1, TASK_FAILED, p.n_strategies);    /* failed: kept unless retried */
    store_put(&st, b.p, b.len);
    make_rec_series(&b, &p, 1, 0, 1);                       /* a strategy point missing: re-evaluated */
    store_put(&st, b.p, b.len);
    make_rec(&b, &p, 1, 1, TASK_FAILED, 1);                 /* failed, a point missing: retrained */
    store_put(&st, b.p, b.len);
    make_rec(&b, &p, 1, 2, TASK_OK, 1);                     /* no series to re-evaluate: retrained */
    store_put(&st, b.p, b.len);
    int todo[6], mode[6];
    resume_counts rc;
    CU_ASSERT_EQUAL(resume_choose(&p, t, 6, 0, 0, 0, &st, todo, mode, &rc), 4);
    CU_ASSERT_EQUAL(rc.planned, 6);
    CU_ASSERT_EQUAL(rc.reused, 2);
    CU_ASSERT_EQUAL(rc.reeval, 1);
    CU_ASSERT_EQUAL(rc.retrain_failed, 1);
    CU_ASSERT_EQUAL(rc.retrain_old, 1);
    CU_ASSERT_EQUAL(rc.retried, 0);
    static const int want_todo[4] = { 2, 3, 4, 5 }, want_mode[4] = { RESUME_TRAIN, RESUME_REEVAL, RESUME_TRAIN,
                                                                   RESUME_TRAIN };
    for (int i = 0; i < 4; i++) { CU_ASSERT_EQUAL(todo[i], want_todo[i]); CU_ASSERT_EQUAL(mode[i], want_mode[i]); }
    CU_ASSERT_CLOSE(rc.cost, 30 + 50 + 60, 0);               /* a re-evaluation costs no training */
    char line[512] = "";
    FILE *mf = fmemopen(line, sizeof line, "w");
    resume_counts_print(&rc, mf);
    fclose(mf);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "2 finished tasks kept, 1 re-evaluated from their stored predictions (no "
                                  "training), 2 retrained because 1 had failed and 1 records"));
    CU_ASSERT_EQUAL(resume_choose(&p, t, 6, 0, 0, 1, &st, todo, mode, &rc), 5);   /* --retry-failed */
    CU_ASSERT_EQUAL(rc.retried, 2);
    CU_ASSERT_EQUAL(todo[0], 1);
    /* shard 2 of 3: tasks 1 and 4 */
    CU_ASSERT_EQUAL(resume_choose(&p, t, 6, 2, 3, 0, &st, todo, NULL, &rc), 1);
    CU_ASSERT_EQUAL(rc.planned, 2);
    CU_ASSERT_EQUAL(todo[0], 4);
    task_view v;
    CU_ASSERT_EQUAL(task_view_parse(b.p, b.len, &v, NULL), 0);
    CU_ASSERT_EQUAL(resume_covers(&p, &v), 0);
    task_buf_free(&b);
    store_free(&st);
    cu_plan_free(&c, &p);
}

static CU_TestInfo tests[] = {
    {"outputs: a directory, existing, missing dir, read-only", test_check_output},
    {"new journal; resume with a torn tail; no overwrite", test_fresh_and_resume},
    {"damaged record: the rest kept, the results file fills in", test_damaged_record},
    {"damaged head: rebuilt from the results file, or refused", test_damaged_head},
    {"refused: another target, changed data, a foreign file", test_refusals},
    {"no journal: seeded from the results file", test_seed_from_results},
    {"what runs: finished, failed, stale, shards", test_choose},
    CU_TEST_INFO_NULL
};

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_resume_XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int r = cu_run("resume", tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}

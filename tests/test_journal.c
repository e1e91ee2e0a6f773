/* test_journal.c — the append-only journal: byte-exact round trips, torn
 * tails at every cut, damaged records skipped with everything after them
 * kept, damaged heads, replacement, foreign files, and a real kill -9 of a
 * writer in the middle of its appends. */
#include "tests/cu.h"
#include "coordinator/journal.h"
#include "coordinator/results.h"
#include "worker/version.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

static char g_dir[64];
static int  g_seq;

/* A fresh path in the temp directory for each use. */
static const char *tmp_path(char *buf, size_t n, const char *stem) {
    snprintf(buf, n, "%s/%s_%d.rsj", g_dir, stem, g_seq++);
    return buf;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* ---- records ------------------------------------------------------------ */

#define MAX_STRAT 3
#define MAX_TEST  8

/* A packed task result whose every field derives from `key`, so two
 * records with different keys differ and equal keys with a different
 * `variant` differ too.  n_test = 0 gives the rows-only form of a failed
 * task: records of different lengths exercise the padding. */
static void make_rec(task_buf *b, uint64_t key, int n_strat, int n_test, int variant) {
    task_head h;
    memset(&h, 0, sizeof h);
    h.task_key = key;
    h.model_key = key ^ 0x5555u;
    h.fold_id = 2010 + (int)(key % 10);
    h.status = n_test ? TASK_OK : TASK_FAILED;
    h.n_strat = n_strat;
    h.n_test = n_test;
    h.n_out = 1;
    h.epochs_run = 3 + variant;
    h.steps = (int64_t)(key & 0xffff);
    if (!n_test) snprintf(h.message, sizeof h.message, "variant %d failed", variant);
    task_row rows[MAX_STRAT];
    memset(rows, 0, sizeof rows);
    for (int s = 0; s < n_strat; s++) {
        rows[s].task_key = key;
        rows[s].model_key = h.model_key;
        rows[s].strategy_key = rs_hash2(key, (uint64_t)s);
        rows[s].fold_id = h.fold_id;
        rows[s].status = h.status;
        rows[s].model = rows[s].strategy = -1;
        rows[s].rmse = (double)(key % 1000) / 7.0 + variant;
        rows[s].trading.sharpe = (double)s - 0.5;
    }
    int64_t t[MAX_TEST];
    double y[MAX_TEST], pred[MAX_TEST];
    float ret[MAX_STRAT * MAX_TEST], bh[MAX_TEST];
    for (int i = 0; i < n_test; i++) {
        t[i] = 1262304000 + (int64_t)i * 86400;
        y[i] = rs_u01(rs_hash2(key, (uint64_t)i)) - 0.5;
        pred[i] = y[i] * 0.25 + variant;
        bh[i] = (float)y[i];
        for (int s = 0; s < n_strat; s++) ret[s * n_test + i] = (float)(y[i] * (s + 1));
    }
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(task_pack(b, &h, rows, t, y, pred, ret, bh, NULL, &e), 0);
}

/* Copies of appended records, to compare with what the reader returns. */
typedef struct { unsigned char *p; size_t len; } blob;

static blob blob_of(const task_buf *b) {
    blob r = { malloc(b->len), b->len };
    memcpy(r.p, b->p, b->len);
    return r;
}

static void blobs_free(blob *bl, int n) {
    for (int i = 0; i < n; i++) free(bl[i].p);
}

/* The shape of record i in the standard test journal: lengths vary. */
static void make_std(task_buf *b, int i) {
    make_rec(b, rs_hash64((uint64_t)i + 1), 1 + i % MAX_STRAT, (i % 3 == 2) ? 0 : 5, 0);
}

static const char INI[] = "[data]\nfile = data/eurusd.csv\n[model]\ncell = lstm, gru\n";  /* odd length */

/* Create a journal at path with records make_std(0..n-1); keep copies. */
static void write_std(const char *path, int n, blob *out) {
    journal *j;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_create(path, 0xfeedbeefcafe1234ull, INI, strlen(INI), &j, &e), 0);
    task_buf b = {0};
    for (int i = 0; i < n; i++) {
        make_std(&b, i);
        CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
        if (out) out[i] = blob_of(&b);
    }
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    task_buf_free(&b);
}

/* ---- files -------------------------------------------------------------- */

static unsigned char *file_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    *n = fread(p, 1, (size_t)sz, f);
    fclose(f);
    return p;
}

static void file_put(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (n) CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Offset where record i (0 = head) starts, from the contents' views. */
static size_t rec_start(const journal_contents *c, const unsigned char *buf, int i) {
    return (size_t)((const unsigned char *)c->rec[i].p - buf) - 24;
}

/* Every record of c equals bl[0..n) byte for byte, and sits 8-aligned. */
static void assert_records(const journal_contents *c, const blob *bl, int n) {
    CU_ASSERT_EQUAL_FATAL(c->n, n);
    for (int i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(c->rec[i].len, bl[i].len);
        CU_ASSERT_EQUAL((uintptr_t)c->rec[i].p & 7, 0);
        if (c->rec[i].len == bl[i].len) CU_ASSERT_EQUAL(memcmp(c->rec[i].p, bl[i].p, bl[i].len), 0);
    }
}

/* ---- tests -------------------------------------------------------------- */

static void test_crc(void) {
    CU_ASSERT_EQUAL(journal_crc("123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(journal_crc("", 0), 0u);
    CU_ASSERT_NOT_EQUAL(journal_crc("123456788", 9), 0xCBF43926u);
}

static void test_round_trip(void) {
    char path[128];
    tmp_path(path, sizeof path, "rt");
    enum { N = 7 };
    blob bl[N];
    write_std(path, N, bl);

    journal_contents c;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    CU_ASSERT_EQUAL(c.head.schema, RESULTS_SCHEMA);
    CU_ASSERT_EQUAL(c.head.task_version, TASK_VERSION);
    CU_ASSERT_EQUAL(c.head.data_hash, 0xfeedbeefcafe1234ull);
    CU_ASSERT_EQUAL(c.head.ini_len, strlen(INI));
    CU_ASSERT_STRING_EQUAL(c.head.program, "rnnsweep " RS_VERSION);
    CU_ASSERT_STRING_EQUAL(c.ini_text, INI);
    assert_records(&c, bl, N);

    /* The layout is exactly the documented one: head, then records, each
     * 24 header bytes plus the payload padded to 8. */
    size_t want = 24 + pad8(sizeof(journal_head) + strlen(INI));
    for (int i = 0; i < N; i++) want += 24 + pad8(bl[i].len);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL((size_t)st.st_size, want);
    CU_ASSERT_EQUAL(c.valid_bytes, (size_t)st.st_size);
    CU_ASSERT_EQUAL(c.torn_bytes, 0);
    uint32_t magic;
    memcpy(&magic, c.buf, 4);
    CU_ASSERT_EQUAL(magic, JOURNAL_MAGIC);
    CU_ASSERT_EQUAL(memcmp(c.buf, "RSJ1", 4), 0);
    journal_contents_free(&c);
    CU_ASSERT_PTR_NULL(c.buf);
    CU_ASSERT_EQUAL(c.n, 0);
    journal_contents_free(NULL);
    blobs_free(bl, N);

    /* No INI text and no records. */
    journal *j;
    tmp_path(path, sizeof path, "empty_ini");
    CU_ASSERT_EQUAL_FATAL(journal_create(path, 7, NULL, 0, &j, &e), 0);
    CU_ASSERT_EQUAL(journal_sync(j, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    CU_ASSERT_EQUAL(journal_close(NULL, &e), 0);
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    CU_ASSERT_STRING_EQUAL(c.ini_text, "");
    CU_ASSERT_EQUAL(c.head.data_hash, 7);
    CU_ASSERT_EQUAL(c.n, 0);
    CU_ASSERT_EQUAL(c.valid_bytes, 24 + sizeof(journal_head));
    journal_contents_free(&c);
}

static void test_create_exists(void) {
    char path[128];
    rs_err e;
    journal *j = (journal *)&e;     /* must be reset to NULL on failure */

    /* A foreign file. */
    tmp_path(path, sizeof path, "exists");
    const char text[] = "precious results, not a journal\n";
    file_put(path, text, sizeof text - 1);
    CU_ASSERT_EQUAL(journal_create(path, 1, INI, strlen(INI), &j, &e), RS_EINPUT);
    CU_ASSERT_PTR_NULL(j);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, "exists");
    size_t n;
    unsigned char *p = file_bytes(path, &n);
    CU_ASSERT_EQUAL(n, sizeof text - 1);
    CU_ASSERT_EQUAL(memcmp(p, text, sizeof text - 1), 0);
    free(p);

    /* A journal with records: byte-identical afterwards. */
    tmp_path(path, sizeof path, "exists_journal");
    write_std(path, 3, NULL);
    size_t n0, n1;
    unsigned char *before = file_bytes(path, &n0);
    CU_ASSERT_EQUAL(journal_create(path, 2, "x", 1, &j, &e), RS_EINPUT);
    unsigned char *after = file_bytes(path, &n1);
    CU_ASSERT_EQUAL(n0, n1);
    if (n0 == n1) CU_ASSERT_EQUAL(memcmp(before, after, n0), 0);
    free(before);
    free(after);

    /* A directory that does not exist: an I/O error naming the path. */
    snprintf(path, sizeof path, "%s/no/such/dir/j.rsj", g_dir);
    CU_ASSERT_EQUAL(journal_create(path, 1, NULL, 0, &j, &e), RS_EINTERNAL);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, strerror(ENOENT));
}

static void test_torn_tail(void) {
    char path[128], cut_path[128];
    tmp_path(path, sizeof path, "torn");
    enum { N = 4 };
    blob bl[N];
    write_std(path, N, bl);
    size_t size;
    unsigned char *bytes = file_bytes(path, &size);
    journal_contents c;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    size_t last = rec_start(&c, c.buf, N - 1);
    journal_contents_free(&c);
    CU_ASSERT_EQUAL_FATAL(last + 24 + pad8(bl[N - 1].len), size);

    /* Every cut inside the last record, pad included, keeps N-1 records. */
    tmp_path(cut_path, sizeof cut_path, "torn_cut");
    int bad = 0;
    for (size_t cut = last; cut < size; cut++) {
        file_put(cut_path, bytes, cut);
        if (journal_read(cut_path, &c, &e) != 0) { bad++; continue; }
        if (c.n != N - 1 || c.valid_bytes != last || c.torn_bytes != cut - last) bad++;
        else assert_records(&c, bl, N - 1);
        journal_contents_free(&c);
    }
    CU_ASSERT_EQUAL(bad, 0);

    /* Resume after a cut in the middle of the last record: the torn bytes
     * are dropped and the new record lands right after record N-2. */
    size_t cut = last + (size - last) / 2;
    file_put(cut_path, bytes, cut);
    CU_ASSERT_EQUAL_FATAL(journal_read(cut_path, &c, &e), 0);
    size_t valid = c.valid_bytes;
    CU_ASSERT_EQUAL(c.torn_bytes, cut - last);
    journal_contents_free(&c);

    journal *j;
    CU_ASSERT_EQUAL(journal_open_append(cut_path, size + 8, &j, &e), RS_EINTERNAL);   /* longer than the file */
    ASSERT_MSG_HAS(e, cut_path);
    CU_ASSERT_EQUAL(journal_open_append(cut_path, 0, &j, &e), RS_EINTERNAL);          /* would drop the head */
    struct stat st;
    CU_ASSERT_EQUAL(stat(cut_path, &st), 0);
    CU_ASSERT_EQUAL((size_t)st.st_size, cut);                                          /* untouched by both */

    CU_ASSERT_EQUAL_FATAL(journal_open_append(cut_path, valid, &j, &e), 0);
    task_buf b = {0};
    make_rec(&b, 0xabcdefull, 2, 5, 1);
    free(bl[N - 1].p);
    bl[N - 1] = blob_of(&b);
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    CU_ASSERT_EQUAL_FATAL(journal_read(cut_path, &c, &e), 0);
    assert_records(&c, bl, N);
    CU_ASSERT_EQUAL(c.torn_bytes, 0);
    CU_ASSERT_EQUAL(c.valid_bytes, last + 24 + pad8(b.len));
    CU_ASSERT_EQUAL(((const task_head *)c.rec[N - 1].p)->task_key, 0xabcdefull);
    journal_contents_free(&c);

    task_buf_free(&b);
    free(bytes);
    blobs_free(bl, N);
}

/* The records of bl[0..n) except index `skip`. */
static void assert_records_but(const journal_contents *c, const blob *bl, int n, int skip) {
    CU_ASSERT_EQUAL_FATAL(c->n, n - 1);
    for (int i = 0, k = 0; i < n; i++) {
        if (i == skip) continue;
        CU_ASSERT_EQUAL(c->rec[k].len, bl[i].len);
        if (c->rec[k].len == bl[i].len) CU_ASSERT_EQUAL(memcmp(c->rec[k].p, bl[i].p, bl[i].len), 0);
        k++;
    }
}

static void test_corruption(void) {
    char path[128];
    enum { N = 6, K = 2 };
    blob bl[N];
    tmp_path(path, sizeof path, "corrupt");
    write_std(path, N, bl);
    size_t size;
    unsigned char *orig = file_bytes(path, &size);
    journal_contents c;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    size_t off = rec_start(&c, c.buf, K), last = rec_start(&c, c.buf, N - 1);
    journal_contents_free(&c);
    unsigned char *bytes = malloc(size);

    /* Three kinds of damage to record K, each costing record K alone: a
     * flipped payload byte (CRC), a flipped header byte (magic), and a
     * payload that is not a task record but whose CRC matches.  The reader
     * resynchronises on record K+1 and keeps every record after it. */
    for (int kind = 0; kind < 3; kind++) {
        memcpy(bytes, orig, size);
        if (kind == 0) bytes[off + 24 + bl[K].len / 2] ^= 0x10;
        if (kind == 1) bytes[off + 1] ^= 0x01;
        if (kind == 2) {
            bytes[off + 24] ^= 0xff;    /* task magic */
            uint32_t crc = journal_crc(bytes + off + 24, bl[K].len);
            memcpy(bytes + off + 16, &crc, 4);
        }
        file_put(path, bytes, size);
        CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
        assert_records_but(&c, bl, N, K);
        CU_ASSERT_EQUAL(c.n_damaged, 1);
        CU_ASSERT_EQUAL(c.damaged_at, off);
        CU_ASSERT_EQUAL(c.damaged_bytes, 24 + pad8(bl[K].len));
        CU_ASSERT_EQUAL(c.kept_after, N - 1 - K);
        CU_ASSERT_EQUAL(c.valid_bytes, size);
        CU_ASSERT_EQUAL(c.torn_bytes, 0);
        journal_contents_free(&c);
    }

    /* A flipped byte in the LAST record: damaged (its header is whole and
     * its length fits), not torn; nothing after it. */
    memcpy(bytes, orig, size);
    bytes[last + 24 + 3] ^= 0x40;
    file_put(path, bytes, size);
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    assert_records(&c, bl, N - 1);
    CU_ASSERT_EQUAL(c.n_damaged, 1);
    CU_ASSERT_EQUAL(c.damaged_at, last);
    CU_ASSERT_EQUAL(c.kept_after, 0);
    CU_ASSERT_EQUAL(c.valid_bytes, last);
    CU_ASSERT_EQUAL(c.torn_bytes, size - last);
    journal_contents_free(&c);

    /* Two damaged records: both skipped, the rest kept, counted from the first. */
    memcpy(bytes, orig, size);
    bytes[off + 24 + 8] ^= 0x01;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);    /* (offsets of K+2) */
    size_t off2 = 0;
    for (int i = 0; i < c.n; i++)
        if (((const task_head *)c.rec[i].p)->task_key == ((const task_head *)bl[K + 2].p)->task_key)
            off2 = rec_start(&c, c.buf, i);
    journal_contents_free(&c);
    CU_ASSERT_FATAL(off2 > off);
    bytes[off2 + 2] ^= 0x01;
    file_put(path, bytes, size);
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    CU_ASSERT_EQUAL(c.n, N - 2);
    CU_ASSERT_EQUAL(c.n_damaged, 2);
    CU_ASSERT_EQUAL(c.damaged_at, off);
    CU_ASSERT_EQUAL(c.kept_after, N - 2 - K);          /* K+1 and K+3 */
    journal_contents_free(&c);

    /* Appending after a damaged record keeps it and everything after. */
    memcpy(bytes, orig, size);
    bytes[off + 24 + bl[K].len / 2] ^= 0x10;
    file_put(path, bytes, size);
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    size_t valid = c.valid_bytes;
    journal_contents_free(&c);
    journal *j;
    CU_ASSERT_EQUAL_FATAL(journal_open_append(path, valid, &j, &e), 0);
    task_buf b = {0};
    make_rec(&b, 0x77777ull, 2, 5, 3);
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    CU_ASSERT_EQUAL(c.n, N);
    CU_ASSERT_EQUAL(c.n_damaged, 1);
    CU_ASSERT_EQUAL(c.torn_bytes, 0);
    if (c.n == N) CU_ASSERT_EQUAL(((const task_head *)c.rec[N - 1].p)->task_key, 0x77777ull);
    journal_contents_free(&c);

    task_buf_free(&b);
    free(bytes);
    free(orig);
    blobs_free(bl, N);
}

/* A damaged head: journal_read says so (not "not a journal"), and
 * journal_salvage returns every task record after it. */
static void test_damaged_head(void) {
    char path[128];
    enum { N = 5 };
    blob bl[N];
    tmp_path(path, sizeof path, "head");
    write_std(path, N, bl);
    size_t size;
    unsigned char *bytes = file_bytes(path, &size);
    bytes[24 + 40] ^= 0x08;                       /* inside the head's INI text: CRC */
    file_put(path, bytes, size);
    journal_contents c;
    rs_err e;
    CU_ASSERT_EQUAL(journal_read(path, &c, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(c.head_damaged, 1);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, "head record is damaged");
    CU_ASSERT_PTR_NULL(c.buf);
    CU_ASSERT_EQUAL_FATAL(journal_salvage(path, &c, &e), 0);
    assert_records(&c, bl, N);
    CU_ASSERT_EQUAL(c.head_damaged, 1);
    CU_ASSERT_STRING_EQUAL(c.ini_text, "");
    CU_ASSERT_EQUAL(c.head.data_hash, 0);
    journal_contents_free(&c);

    /* salvage of a foreign file: not a journal */
    tmp_path(path, sizeof path, "salvage_text");
    file_put(path, "hello, world\n", 13);
    CU_ASSERT_EQUAL(journal_salvage(path, &c, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "not an rnnsweep journal");
    CU_ASSERT_EQUAL(journal_read(path, &c, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(c.head_damaged, 0);
    free(bytes);
    blobs_free(bl, N);
}

/* journal_replace: a new journal with the given records, the old one kept. */
static void test_replace(void) {
    char path[128], keep[160], tmpf[160];
    enum { N = 4 };
    blob bl[N];
    tmp_path(path, sizeof path, "replace");
    write_std(path, N, bl);
    size_t n0;
    unsigned char *before = file_bytes(path, &n0);
    snprintf(keep, sizeof keep, "%s.damaged", path);
    snprintf(tmpf, sizeof tmpf, "%s.tmp", path);
    file_put(keep, "stale", 5);                    /* replaced */
    journal_rec r[2] = { { bl[3].p, bl[3].len }, { bl[1].p, bl[1].len } };
    journal *j;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_replace(path, keep, 0x1234, "[x]\n", 4, r, 2, &j, &e), 0);
    task_buf b = {0};
    make_rec(&b, 0x999ull, 1, 5, 0);
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    journal_contents c;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    CU_ASSERT_EQUAL(c.head.data_hash, 0x1234);
    CU_ASSERT_STRING_EQUAL(c.ini_text, "[x]\n");
    CU_ASSERT_EQUAL_FATAL(c.n, 3);
    CU_ASSERT_EQUAL(memcmp(c.rec[0].p, bl[3].p, bl[3].len), 0);
    CU_ASSERT_EQUAL(memcmp(c.rec[1].p, bl[1].p, bl[1].len), 0);
    CU_ASSERT_EQUAL(((const task_head *)c.rec[2].p)->task_key, 0x999ull);
    journal_contents_free(&c);
    size_t n1;
    unsigned char *kept = file_bytes(keep, &n1);
    CU_ASSERT(n1 == n0 && !memcmp(kept, before, n0));
    CU_ASSERT_NOT_EQUAL(access(tmpf, F_OK), 0);
    free(kept);

    /* a malformed record: nothing replaced, no .tmp left */
    before = (free(before), file_bytes(path, &n0));
    journal_rec bad = { bl[0].p, bl[0].len - 8 };
    CU_ASSERT_EQUAL(journal_replace(path, NULL, 1, "", 0, &bad, 1, &j, &e), RS_EINPUT);
    CU_ASSERT_PTR_NULL(j);
    kept = file_bytes(path, &n1);
    CU_ASSERT(n1 == n0 && !memcmp(kept, before, n0));
    CU_ASSERT_NOT_EQUAL(access(tmpf, F_OK), 0);
    free(kept);
    free(before);
    task_buf_free(&b);
    blobs_free(bl, N);
}

/* journal_parse: the same as reading the file (what the fuzzer drives). */
static void test_parse_memory(void) {
    char path[128];
    enum { N = 3 };
    blob bl[N];
    tmp_path(path, sizeof path, "parse");
    write_std(path, N, bl);
    size_t size;
    unsigned char *bytes = file_bytes(path, &size);
    journal_contents c;
    rs_err e;
    /* unaligned input: the parser copies it */
    unsigned char *odd = malloc(size + 1);
    memcpy(odd + 1, bytes, size);
    CU_ASSERT_EQUAL_FATAL(journal_parse(odd + 1, size, "mem", &c, &e), 0);
    assert_records(&c, bl, N);
    journal_contents_free(&c);
    CU_ASSERT_EQUAL(journal_parse(bytes, 10, "mem", &c, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "mem: not an rnnsweep journal");
    free(odd);
    free(bytes);
    blobs_free(bl, N);
}

static void test_duplicates(void) {
    char path[128];
    tmp_path(path, sizeof path, "dup");
    journal *j;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_create(path, 1, INI, strlen(INI), &j, &e), 0);
    task_buf b = {0};
    blob bl[3];
    make_rec(&b, 11, 2, 0, 0);   bl[0] = blob_of(&b);    /* failed ...         */
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    make_rec(&b, 22, 2, 5, 0);   bl[1] = blob_of(&b);
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    make_rec(&b, 11, 2, 5, 1);   bl[2] = blob_of(&b);    /* ... then retried   */
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);

    journal_contents c;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    assert_records(&c, bl, 3);
    const task_head *h0 = c.rec[0].p, *h2 = c.rec[2].p;
    CU_ASSERT_EQUAL(h0->task_key, 11);
    CU_ASSERT_EQUAL(h2->task_key, 11);
    CU_ASSERT_EQUAL(h0->status, TASK_FAILED);
    CU_ASSERT_EQUAL(h2->status, TASK_OK);      /* the last of the key is the retry */
    journal_contents_free(&c);
    task_buf_free(&b);
    blobs_free(bl, 3);
}

static void test_not_a_journal(void) {
    char path[128];
    journal_contents c;
    rs_err e;

    tmp_path(path, sizeof path, "text");
    const char text[] = "[data]\nfile = prices.csv\ninstruments = EURUSD\n";
    file_put(path, text, sizeof text - 1);
    CU_ASSERT_EQUAL(journal_read(path, &c, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, "not an rnnsweep journal");
    CU_ASSERT_PTR_NULL(c.buf);
    CU_ASSERT_PTR_NULL(c.ini_text);

    tmp_path(path, sizeof path, "empty");
    file_put(path, "", 0);
    CU_ASSERT_EQUAL(journal_read(path, &c, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, "not an rnnsweep journal");

    /* A create that died inside the head record, its zero pad included
     * (INI has an odd length, so the head has one). */
    CU_ASSERT_NOT_EQUAL(pad8(sizeof(journal_head) + strlen(INI)), sizeof(journal_head) + strlen(INI));
    tmp_path(path, sizeof path, "torn_head");
    write_std(path, 1, NULL);
    size_t n;
    unsigned char *p = file_bytes(path, &n);
    size_t head_end = 24 + pad8(sizeof(journal_head) + strlen(INI));
    int bad = 0;
    for (size_t cut = 1; cut < head_end; cut++) {
        file_put(path, p, cut);
        if (journal_read(path, &c, &e) != RS_EINPUT || !strstr(e.msg, "not an rnnsweep journal")) {
            bad++;
            journal_contents_free(&c);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(p);

    snprintf(path, sizeof path, "%s/missing.rsj", g_dir);
    CU_ASSERT_EQUAL(journal_read(path, &c, &e), RS_EINTERNAL);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, strerror(ENOENT));
    journal *j;
    CU_ASSERT_EQUAL(journal_open_append(path, 4096, &j, &e), RS_EINTERNAL);
    ASSERT_MSG_HAS(e, path);
    struct stat st;
    CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);       /* not created by the attempt */
}

/* The child of test_crash: append records with keys 1, 2, ... forever,
 * acknowledging each on the pipe only after journal_append returned. */
static void crash_child(const char *path, int ack_fd) {
    journal *j;
    rs_err e;
    if (journal_create(path, 3, INI, strlen(INI), &j, &e) != 0) _exit(3);
    task_buf b = {0};
    for (uint32_t i = 1;; i++) {
        make_rec(&b, i, 1 + i % MAX_STRAT, MAX_TEST, 0);
        if (journal_append(j, b.p, b.len, &e) != 0) _exit(4);
        if (write(ack_fd, &i, sizeof i) != (ssize_t)sizeof i) _exit(5);
    }
}

static void test_crash(void) {
    /* Several rounds: the kill lands at a different point of an append
     * each time (between records, inside writev, inside fdatasync). */
    const uint32_t ks[] = { 1, 57, 400 };
    for (int round = 0; round < 3; round++) {
        char path[128];
        tmp_path(path, sizeof path, "crash");
        int fds[2];
        CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
        fflush(stdout);
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(path, fds[1]);
        }
        close(fds[1]);
        uint32_t acked = 0, got;
        while (acked < ks[round] && read(fds[0], &got, sizeof got) == (ssize_t)sizeof got) acked = got;
        kill(pid, SIGKILL);
        int status;
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        close(fds[0]);
        CU_ASSERT_EQUAL(acked, ks[round]);

        journal_contents c;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
        CU_ASSERT((uint32_t)c.n >= acked);
        task_buf b = {0};
        int bad = 0;
        for (int i = 0; i < c.n; i++) {   /* every record intact, in order */
            make_rec(&b, (uint64_t)i + 1, 1 + (i + 1) % MAX_STRAT, MAX_TEST, 0);
            if (c.rec[i].len != b.len || memcmp(c.rec[i].p, b.p, b.len) != 0) bad++;
        }
        CU_ASSERT_EQUAL(bad, 0);

        /* And the run resumes on it. */
        size_t valid = c.valid_bytes;
        int n = c.n;
        journal_contents_free(&c);
        journal *j;
        CU_ASSERT_EQUAL_FATAL(journal_open_append(path, valid, &j, &e), 0);
        make_rec(&b, 999999, 1, 0, 0);
        CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
        CU_ASSERT_EQUAL(journal_close(j, &e), 0);
        CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
        CU_ASSERT_EQUAL(c.n, n + 1);
        CU_ASSERT_EQUAL(c.torn_bytes, 0);
        if (c.n == n + 1) CU_ASSERT_EQUAL(((const task_head *)c.rec[n].p)->task_key, 999999);
        journal_contents_free(&c);
        task_buf_free(&b);
    }
}

static void test_malformed_append(void) {
    char path[128];
    tmp_path(path, sizeof path, "malformed");
    journal *j;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_create(path, 1, INI, strlen(INI), &j, &e), 0);
    task_buf b = {0};
    blob bl[3];
    for (int i = 0; i < 2; i++) {
        make_std(&b, i);
        bl[i] = blob_of(&b);
        CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    }
    size_t n0, n1;
    unsigned char *before = file_bytes(path, &n0);

    make_std(&b, 2);
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len - 8, &e), RS_EINPUT);   /* length disagrees with counts */
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, "task record");
    ((task_head *)b.p)->magic ^= 1;
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), RS_EINPUT);       /* not a task record */
    ((task_head *)b.p)->magic ^= 1;
    ((task_head *)b.p)->n_out = 2;
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), RS_EINPUT);       /* bad counts */
    ((task_head *)b.p)->n_out = 1;
    CU_ASSERT_EQUAL(journal_append(j, b.p, 16, &e), RS_EINPUT);          /* shorter than a head */
    CU_ASSERT_EQUAL(journal_sync(j, &e), 0);
    unsigned char *after = file_bytes(path, &n1);
    CU_ASSERT_EQUAL(n0, n1);
    if (n0 == n1) CU_ASSERT_EQUAL(memcmp(before, after, n0), 0);

    /* The journal is still usable. */
    bl[2] = blob_of(&b);
    CU_ASSERT_EQUAL(journal_append(j, b.p, b.len, &e), 0);
    CU_ASSERT_EQUAL(journal_close(j, &e), 0);
    journal_contents c;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    assert_records(&c, bl, 3);
    CU_ASSERT_EQUAL(c.torn_bytes, 0);
    journal_contents_free(&c);
    free(before);
    free(after);
    task_buf_free(&b);
    blobs_free(bl, 3);
}

/* A journal written by a version-3 program: its head says so and its task
 * records have the version-3 head.  Read back, the records are this
 * version's (upgraded), equal to the originals in everything they had. */
static void put_raw(FILE *f, uint32_t type, const void *p, size_t len) {
    struct { uint32_t magic, type; uint64_t len; uint32_t crc, zero; } h = {
        JOURNAL_MAGIC, type, len, journal_crc(p, len), 0 };
    static const char zeros[8];
    fwrite(&h, sizeof h, 1, f);
    fwrite(p, 1, len, f);
    fwrite(zeros, 1, pad8(len) - len, f);
}

static int index_agrees(const char *path);

static void test_version3(void) {
    char path[256];
    tmp_path(path, sizeof path, "v3");
    const char ini[] = "[data]\n";
    unsigned char head[sizeof(journal_head) + sizeof ini - 1];
    journal_head jh;
    memset(&jh, 0, sizeof jh);
    jh.schema = 3;
    jh.task_version = 3;
    jh.data_hash = 0xfeed;
    jh.ini_len = sizeof ini - 1;
    snprintf(jh.program, sizeof jh.program, "rnnsweep 0.1.0");
    memcpy(head, &jh, sizeof jh);
    memcpy(head + sizeof jh, ini, sizeof ini - 1);
    task_buf r4[3] = { { 0 } };
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    put_raw(f, JOURNAL_HEAD, head, sizeof head);
    const size_t h3 = offsetof(task_head, n_curve);
    for (int i = 0; i < 3; i++) {
        make_rec(&r4[i], 100 + (uint64_t)i, 1 + i, i == 1 ? 0 : 5, i);
        /* the version-3 bytes: the head up to n_curve, the rest as it is */
        size_t len = h3 + r4[i].len - sizeof(task_head);
        unsigned char *v3 = calloc(1, len);
        memcpy(v3, r4[i].p, h3);
        ((task_head *)v3)->version = 3;
        memcpy(v3 + h3, r4[i].p + sizeof(task_head), r4[i].len - sizeof(task_head));
        put_raw(f, JOURNAL_TASK, v3, len);
        free(v3);
    }
    fclose(f);
    journal_contents c;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_read(path, &c, &e), 0);
    CU_ASSERT_EQUAL(c.head.task_version, 3);
    CU_ASSERT_EQUAL(c.n, 3);
    CU_ASSERT_EQUAL(c.old_records, 3);
    CU_ASSERT_EQUAL(c.n_damaged, 0);
    for (int i = 0; i < c.n && i < 3; i++) {
        CU_ASSERT_EQUAL(c.rec[i].len, r4[i].len);
        CU_ASSERT(c.rec[i].len == r4[i].len && memcmp(c.rec[i].p, r4[i].p, r4[i].len) == 0);
        task_view v;
        CU_ASSERT_EQUAL(task_view_parse(c.rec[i].p, c.rec[i].len, &v, &e), 0);
    }
    journal_contents_free(&c);
    CU_ASSERT(index_agrees(path));      /* the index reads them upgraded too */
    /* a version this program does not read is refused, not truncated */
    f = fopen(path, "r+b");
    jh.task_version = 2;
    memcpy(head, &jh, sizeof jh);
    put_raw(f, JOURNAL_HEAD, head, sizeof head);
    fclose(f);
    CU_ASSERT_EQUAL(journal_read(path, &c, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "version 2");
    for (int i = 0; i < 3; i++) task_buf_free(&r4[i]);
}

/* ---- the streaming index ------------------------------------------------ */

/* journal_index_scan and journal_read agree on path: the same status, the
 * same counts, and every entry read back with journal_index_get is the
 * record journal_read returns, byte for byte.  Returns 1 when they agree. */
static int index_agrees(const char *path) {
    journal_contents c;
    journal_index ix;
    rs_err e1, e2;
    int r1 = journal_read(path, &c, &e1), r2 = journal_index_scan(path, &ix, &e2);
    int ok = r1 == r2;
    if (ok && r1) ok = !strcmp(e1.msg, e2.msg) && c.head_damaged == ix.head_damaged;
    if (ok && !r1) {
        ok = c.n == ix.n && c.valid_bytes == ix.valid_bytes && c.torn_bytes == ix.torn_bytes &&
             c.n_damaged == ix.n_damaged && c.damaged_at == ix.damaged_at && c.damaged_bytes == ix.damaged_bytes &&
             c.kept_after == ix.kept_after && c.old_records == ix.old_records && !strcmp(c.ini_text, ix.ini_text) &&
             !memcmp(&c.head, &ix.head, sizeof c.head);
        int fd = open(path, O_RDONLY);
        task_buf b = { 0 };
        for (int i = 0; ok && i < c.n; i++) {
            ok = journal_index_get(fd, path, &ix.ent[i], &b, &e2) == 0 && b.len == c.rec[i].len &&
                 !memcmp(b.p, c.rec[i].p, b.len) && ix.ent[i].key == ((const task_head *)b.p)->task_key &&
                 ix.ent[i].status == ((const task_head *)b.p)->status && ix.ent[i].len <= ix.max_len;
        }
        task_buf_free(&b);
        close(fd);
    }
    if (!r1) journal_contents_free(&c);
    if (!r2) journal_index_free(&ix);
    return ok;
}

static void test_index(void) {
    char path[128], cut[128];
    enum { N = 6 };
    tmp_path(path, sizeof path, "index");
    write_std(path, N, NULL);
    CU_ASSERT(index_agrees(path));
    journal_index ix;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_index_scan(path, &ix, &e), 0);
    CU_ASSERT_EQUAL(ix.n, N);
    CU_ASSERT_EQUAL(ix.n_damaged, 0);
    CU_ASSERT_EQUAL(ix.torn_bytes, 0);
    CU_ASSERT_EQUAL(sizeof(journal_entry), 32);      /* the per-task bound README states */
    journal_index_free(&ix);
    size_t size;
    unsigned char *bytes = file_bytes(path, &size);
    tmp_path(cut, sizeof cut, "index_cut");
    /* torn: every length of the file (inside the head, at and inside every
     * record) */
    int bad = 0;
    for (size_t n = 0; n <= size; n++) {
        file_put(cut, bytes, n);
        bad += !index_agrees(cut);
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* damaged: one flipped byte at every position (head, record headers,
     * payloads, pads), then two at once in different records */
    bad = 0;
    for (size_t o = 0; o < size; o++) {
        bytes[o] ^= 0x20;
        file_put(cut, bytes, size);
        bad += !index_agrees(cut);
        bytes[o] ^= 0x20;
    }
    CU_ASSERT_EQUAL(bad, 0);
    bytes[size / 3] ^= 1;
    bytes[2 * size / 3] ^= 1;
    file_put(cut, bytes, size);
    CU_ASSERT(index_agrees(cut));
    CU_ASSERT_EQUAL_FATAL(journal_index_scan(cut, &ix, &e), 0);
    CU_ASSERT(ix.n_damaged >= 1);
    CU_ASSERT(ix.n < N);
    /* an entry whose bytes changed since the scan: refused, not trusted */
    int fd = open(cut, O_RDWR);
    task_buf b = { 0 };
    unsigned char z = 0x55;
    CU_ASSERT_EQUAL(pwrite(fd, &z, 1, (off_t)(ix.ent[0].off + 40)), 1);
    CU_ASSERT_EQUAL(journal_index_get(fd, cut, &ix.ent[0], &b, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "no longer checks");
    close(fd);
    task_buf_free(&b);
    journal_index_free(&ix);
    free(bytes);
    /* not a journal; missing */
    file_put(cut, "hello, world\n", 13);
    CU_ASSERT(index_agrees(cut));
    CU_ASSERT_EQUAL(journal_index_scan(cut, &ix, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "not an rnnsweep journal");
    CU_ASSERT_EQUAL(journal_index_scan("/nonexistent/x.rsj", &ix, &e), RS_EINTERNAL);
}

static CU_TestInfo tests[] = {
    {"journal_crc: the CRC-32 check value", test_crc},
    {"a version-3 journal: records upgraded on read; version 2 refused", test_version3},
    {"create, append, close, read: byte-exact, documented layout", test_round_trip},
    {"create on an existing path: RS_EINPUT, file untouched", test_create_exists},
    {"torn tail at every cut; open_append truncates and resumes", test_torn_tail},
    {"damaged record k: skipped, every record after it kept", test_corruption},
    {"damaged head: said so; journal_salvage keeps the records", test_damaged_head},
    {"journal_replace: new journal, old one kept, atomic", test_replace},
    {"journal_parse from memory equals the file reader", test_parse_memory},
    {"duplicate keys kept in file order", test_duplicates},
    {"not a journal: text, empty, torn head; missing file", test_not_a_journal},
    {"kill -9 of a writer: every acknowledged record survives", test_crash},
    {"malformed append: RS_EINPUT, nothing written", test_malformed_append},
    {"journal_index_scan == journal_read: every cut, every flipped byte", test_index},
    CU_TEST_INFO_NULL
};

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_journal_XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    int r = cu_run("journal", tests);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}

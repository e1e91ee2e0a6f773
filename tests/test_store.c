/* test_store.c — the record store: put, find, replace, growth past many
 * rehashes, counts, references into a journal read back, and a
 * failure-free empty store. */
#include "tests/cu.h"
#include "coordinator/journal.h"
#include "coordinator/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A failed task's record (rows only, no series) with a key and a marker. */
static void make_rec(task_buf *b, uint64_t key, int status, int marker) {
    task_head h;
    memset(&h, 0, sizeof h);
    h.task_key = key;
    h.model_key = key ^ 0xabcdu;
    h.fold_id = 2017;
    h.status = status;
    h.n_strat = 1;
    h.n_out = 1;
    h.epochs_run = marker;
    task_row r;
    memset(&r, 0, sizeof r);
    r.task_key = key;
    r.model_key = h.model_key;
    r.status = status;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(task_pack(b, &h, &r, NULL, NULL, NULL, NULL, NULL, NULL, &e), 0);
}

static int marker_at(const store *s, int i) { return ((const task_head *)s->rec[i].p)->epochs_run; }

static void test_empty(void) {
    store s;
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(store_find(&s, 42), -1);
    CU_ASSERT_EQUAL(store_count(&s, TASK_OK), 0);
    CU_ASSERT(store_all_copies(&s));
    store_free(&s);
    store_free(NULL);
}

static void test_put_find_replace(void) {
    store s;
    memset(&s, 0, sizeof s);
    task_buf b = { 0 };
    make_rec(&b, 7, TASK_FAILED, 1);
    CU_ASSERT_EQUAL(store_put(&s, b.p, b.len), 0);
    make_rec(&b, 9, TASK_OK, 2);
    CU_ASSERT_EQUAL(store_put(&s, b.p, b.len), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(store_find(&s, 7), 0);
    CU_ASSERT_EQUAL(store_find(&s, 9), 1);
    CU_ASSERT_EQUAL(store_find(&s, 8), -1);
    /* the same key again (a retried failure): replaced in place, the last wins */
    make_rec(&b, 7, TASK_OK, 3);
    CU_ASSERT_EQUAL(store_put(&s, b.p, b.len), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(store_find(&s, 7), 0);
    CU_ASSERT_EQUAL(marker_at(&s, 0), 3);
    CU_ASSERT_EQUAL(s.rec[0].len, b.len);
    CU_ASSERT_EQUAL(memcmp(s.rec[0].p, b.p, b.len), 0);
    CU_ASSERT_EQUAL(store_count(&s, TASK_OK), 2);
    CU_ASSERT_EQUAL(store_count(&s, TASK_FAILED), 0);
    task_buf_free(&b);
    store_free(&s);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT_EQUAL(store_find(&s, 7), -1);
}

/* Many keys, including ones whose hashes collide in a small table: every
 * one found at its index after several rehashes; a copy is kept, not the
 * caller's buffer. */
static void test_growth(void) {
    store s;
    memset(&s, 0, sizeof s);
    task_buf b = { 0 };
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        make_rec(&b, (uint64_t)i * 1024u, i % 3 ? TASK_OK : TASK_FAILED, i);   /* keys 1024 apart */
        CU_ASSERT_EQUAL_FATAL(store_put(&s, b.p, b.len), 0);
        memset(b.p, 0xee, b.len);            /* the store owns its copy */
    }
    CU_ASSERT_EQUAL(s.n, N);
    CU_ASSERT(s.hcap >= 2 * (size_t)N);
    int bad = 0;
    for (int i = 0; i < N; i++) bad += store_find(&s, (uint64_t)i * 1024u) != i || marker_at(&s, i) != i;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(store_find(&s, 1), -1);
    CU_ASSERT_EQUAL(store_count(&s, TASK_FAILED), (N + 2) / 3);
    task_view v;
    task_buf rb = { 0 };
    CU_ASSERT_EQUAL(store_get(&s, N - 1, &rb, &v, NULL), 0);
    CU_ASSERT_EQUAL(v.h->task_key, (uint64_t)(N - 1) * 1024u);
    /* a record that does not parse is refused, not viewed */
    ((task_head *)s.rec[10].p)->magic ^= 1;
    CU_ASSERT_EQUAL(store_get(&s, 10, &rb, &v, NULL), RS_EINPUT);
    task_buf_free(&rb);
    task_buf_free(&b);
    store_free(&s);
}

/* References: records journalled and indexed, held as (offset, length),
 * read back byte for byte; a copy replaced by a reference and back; a
 * reference with no journal attached, or into changed bytes, refused. */
static void test_references(void) {
    char path[] = "/tmp/rs_test_store_XXXXXX";
    int tfd = mkstemp(path);
    CU_ASSERT_FATAL(tfd >= 0);
    close(tfd);
    unlink(path);
    journal *j;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(journal_create(path, 1, "", 0, &j, &e), 0);
    enum { N = 50 };
    task_buf b[N];
    memset(b, 0, sizeof b);
    for (int i = 0; i < N; i++) {
        make_rec(&b[i], 100 + (uint64_t)(i % 40), i % 2 ? TASK_OK : TASK_FAILED, i);   /* keys 100..139: 10 twice */
        CU_ASSERT_EQUAL_FATAL(journal_append(j, b[i].p, b[i].len, &e), 0);
    }
    CU_ASSERT_EQUAL_FATAL(journal_close(j, &e), 0);
    journal_index ix;
    CU_ASSERT_EQUAL_FATAL(journal_index_scan(path, &ix, &e), 0);
    CU_ASSERT_EQUAL_FATAL(ix.n, N);
    store s;
    memset(&s, 0, sizeof s);
    make_rec(&b[0], 100, TASK_FAILED, 0);
    CU_ASSERT_EQUAL(store_put(&s, b[0].p, b[0].len), 0);      /* a copy first: the reference replaces it */
    for (int i = 0; i < ix.n; i++)
        CU_ASSERT_EQUAL(store_put_ref(&s, ix.ent[i].key, ix.ent[i].status, ix.ent[i].off, (size_t)ix.ent[i].len), 0);
    CU_ASSERT_EQUAL(s.n, 40);
    CU_ASSERT(!store_all_copies(&s));
    task_view v;
    task_buf rb = { 0 };
    CU_ASSERT_EQUAL(store_get(&s, 0, &rb, &v, &e), RS_EINTERNAL);    /* nothing attached yet */
    CU_ASSERT_EQUAL_FATAL(store_attach(&s, path, &e), 0);
    int bad = 0;
    for (int k = 0; k < 40; k++) {
        int last = k + 40 < N ? k + 40 : k;                          /* the later record of a key wins */
        int at = store_find(&s, 100 + (uint64_t)k);
        bad += at < 0 || store_get(&s, at, &rb, &v, &e) || v.bytes != b[last].len || memcmp(v.h, b[last].p, v.bytes) ||
               s.rec[at].p != NULL;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* head and rows only: the same bytes as the record's, no series view */
    bad = 0;
    task_buf rb2 = { 0 };
    for (int k = 0; k < 40; k++) {
        int at = store_find(&s, 100 + (uint64_t)k);
        task_view full, part;
        bad += store_get(&s, at, &rb, &full, &e) || store_get_rows(&s, at, &rb2, &part, &e) ||
               memcmp(part.h, full.h, sizeof(task_head)) ||
               memcmp(part.rows, full.rows, (size_t)full.h->n_strat * sizeof(task_row)) || part.t != NULL ||
               rb2.len != sizeof(task_head) + (size_t)full.h->n_strat * sizeof(task_row);
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* an entry whose length does not match its head: refused */
    s.rec[5].len += 8;
    CU_ASSERT_EQUAL(store_get_rows(&s, 5, &rb2, &v, &e), RS_EINPUT);
    s.rec[5].len -= 8;
    task_buf_free(&rb2);
    CU_ASSERT_EQUAL(store_count(&s, TASK_OK), 20);
    /* the journal's bytes changed under a reference: refused */
    FILE *f = fopen(path, "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, (long)(s.rec[3].off + 30), SEEK_SET);
    fputc(0x7f, f);
    fclose(f);
    CU_ASSERT_EQUAL(store_get(&s, 3, &rb, &v, &e), RS_EINPUT);
    /* a copy put over a reference: held in memory again */
    CU_ASSERT_EQUAL(store_put(&s, b[3].p, b[3].len), 0);
    CU_ASSERT_EQUAL(store_get(&s, 3, &rb, &v, &e), 0);
    CU_ASSERT_PTR_NOT_NULL(s.rec[3].p);
    for (int i = 0; i < N; i++) task_buf_free(&b[i]);
    task_buf_free(&rb);
    journal_index_free(&ix);
    store_free(&s);
    unlink(path);
}

static CU_TestInfo tests[] = {
    {"an empty store", test_empty},
    {"put, find, the same key replaced in place", test_put_find_replace},
    {"5000 keys through several rehashes; views", test_growth},
    {"references into a journal: read back, the later wins, changed bytes refused", test_references},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("store", tests); }

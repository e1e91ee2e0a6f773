/* test_store.c — the record store: put, find, replace, growth past many
 * rehashes, counts, views, and a failure-free empty store. */
#include "tests/cu.h"
#include "coordinator/store.h"

#include <string.h>

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
    task_view *v;
    CU_ASSERT_EQUAL(store_views(&s, &v), 0);
    CU_ASSERT_PTR_NOT_NULL(v);
    free(v);
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
    task_view *v;
    CU_ASSERT_EQUAL(store_views(&s, &v), N);
    CU_ASSERT_EQUAL(v[N - 1].h->task_key, (uint64_t)(N - 1) * 1024u);
    free(v);
    /* a record that does not parse is left out of the views */
    ((task_head *)s.rec[10].p)->magic ^= 1;
    CU_ASSERT_EQUAL(store_views(&s, &v), N - 1);
    free(v);
    task_buf_free(&b);
    store_free(&s);
}

static CU_TestInfo tests[] = {
    {"an empty store", test_empty},
    {"put, find, the same key replaced in place", test_put_find_replace},
    {"5000 keys through several rehashes; views", test_growth},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("store", tests); }

/* test_merge.c — the merge rules: host lists joined by whole names, the
 * planned count of shards, refusing different plans, record views. */
#include "tests/cu.h"
#include "coordinator/merge.h"

#include <string.h>

static void test_hosts(void) {
    /* node1 beside node10: two hosts (a substring test used to drop one) */
    const char *a[] = { "node10", "node1", "node10,node2", NULL, "", "node1,node3,node2" };
    char *h = merge_hosts(a, 6);
    CU_ASSERT_STRING_EQUAL(h, "node10,node1,node2,node3");
    free(h);
    const char *b[] = { "n1,n1,,n2," };
    h = merge_hosts(b, 1);
    CU_ASSERT_STRING_EQUAL(h, "n1,n2");
    free(h);
    h = merge_hosts(NULL, 0);
    CU_ASSERT_STRING_EQUAL(h, "");
    free(h);
    const char *c[] = { "alpha", "alp", "alpha.example" };
    h = merge_hosts(c, 3);
    CU_ASSERT_STRING_EQUAL(h, "alpha,alp,alpha.example");
    free(h);
}

static void test_planned_and_check(void) {
    results_file r[3];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        snprintf(r[i].shard, sizeof r[i].shard, "%d/3", i + 1);
        r[i].tasks_planned = 4 + i;
        r[i].sweep_hash = 0x1234;
    }
    CU_ASSERT_EQUAL(merge_planned(r, 3), 15);          /* shards of one N add up */
    snprintf(r[2].shard, sizeof r[2].shard, "1/2");
    CU_ASSERT_EQUAL(merge_planned(r, 3), 6);           /* otherwise the largest */
    r[2].shard[0] = 0;
    CU_ASSERT_EQUAL(merge_planned(r, 3), 6);
    const char *names[] = { "a.h5", "b.h5", "c.h5" };
    rs_err e;
    CU_ASSERT_EQUAL(merge_check(r, names, 3, &e), 0);
    r[2].sweep_hash = 0x99;
    CU_ASSERT_EQUAL(merge_check(r, names, 3, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "a.h5 and c.h5 come from different plans"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "0000000000001234 vs 0000000000000099"));
}

static void make_rec(task_buf *b, uint64_t key) {
    task_head h;
    memset(&h, 0, sizeof h);
    h.task_key = key;
    h.n_out = 1;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(task_pack(b, &h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &e), 0);
}

static void test_views(void) {
    results_file r[2];
    memset(r, 0, sizeof r);
    task_buf t[3] = { { 0 } };
    for (int i = 0; i < 3; i++) make_rec(&t[i], 100 + (uint64_t)i);
    r[0].tasks = t;
    r[0].n_tasks = 2;
    r[1].tasks = t + 2;
    r[1].n_tasks = 1;
    const char *names[] = { "a.h5", "b.h5" };
    task_view *v;
    rs_err e;
    CU_ASSERT_EQUAL(merge_views(r, names, 2, &v, &e), 3);
    CU_ASSERT_EQUAL(v[0].h->task_key, 100);
    CU_ASSERT_EQUAL(v[2].h->task_key, 102);       /* input order: the later file last */
    free(v);
    ((task_head *)t[2].p)->magic ^= 1;
    CU_ASSERT_EQUAL(merge_views(r, names, 2, &v, &e), -1);
    CU_ASSERT_EQUAL(e.status, RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "b.h5: task record"));
    for (int i = 0; i < 3; i++) task_buf_free(&t[i]);
}

static CU_TestInfo tests[] = {
    {"hosts: whole names, each once, first-seen order", test_hosts},
    {"tasks_planned of shards; different plans refused", test_planned_and_check},
    {"record views in input order; a bad record named", test_views},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("merge", tests); }

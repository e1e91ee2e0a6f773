/* test_util.c — errors, hashing and the random streams. */
#include "tests/cu.h"
#include "worker/util.h"
#include <math.h>
#include <string.h>

static void test_err(void) {
    rs_err e;
    rs_err_clear(&e);
    CU_ASSERT_EQUAL(e.status, RS_OK);
    CU_ASSERT_EQUAL(rs_err_set(&e, RS_EINPUT, "%s:%d: bad", "f.ini", 7), RS_EINPUT);
    CU_ASSERT_STRING_EQUAL(e.msg, "f.ini:7: bad");
    CU_ASSERT_EQUAL(rs_err_set(NULL, RS_EINPUT, "x"), RS_EINPUT);   /* NULL is allowed */
}

static void test_rng_reproducible(void) {
    rs_rng a, b;
    rs_rng_seed(&a, 42); rs_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) CU_ASSERT_EQUAL(rs_rng_next(&a), rs_rng_next(&b));
    rs_rng_seed(&b, 43);
    int same = 0;
    for (int i = 0; i < 1000; i++) same += rs_rng_next(&a) == rs_rng_next(&b);
    CU_ASSERT_EQUAL(same, 0);
}

static void test_rng_moments(void) {
    /* Mean and variance of 200k draws within 5 standard errors. */
    rs_rng r; rs_rng_seed(&r, 7);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0;
    for (int i = 0; i < n; i++) {
        double u = rs_rng_uniform(&r); CU_ASSERT(u >= 0 && u < 1); su += u;
        double z = rs_rng_normal(&r); sn += z; sn2 += z * z;
    }
    CU_ASSERT_CLOSE(su / n, 0.5, 5 * sqrt(1.0 / 12 / n));
    CU_ASSERT_CLOSE(sn / n, 0.0, 5 * sqrt(1.0 / n));
    CU_ASSERT_CLOSE(sn2 / n, 1.0, 5 * sqrt(2.0 / n));
}

static void test_shuffle_is_permutation(void) {
    rs_rng r; rs_rng_seed(&r, 1);
    int a[257], seen[257] = {0};
    for (int i = 0; i < 257; i++) a[i] = i;
    rs_shuffle_int(&r, a, 257);
    int moved = 0;
    for (int i = 0; i < 257; i++) { seen[a[i]]++; moved += a[i] != i; }
    for (int i = 0; i < 257; i++) CU_ASSERT_EQUAL(seen[i], 1);
    CU_ASSERT(moved > 200);
    for (int k = 0; k < 1000; k++) CU_ASSERT(rs_rng_below(&r, 5) < 5);
}

static void test_hash(void) {
    CU_ASSERT_EQUAL(rs_hash_bytes("abc", 3, 0), rs_hash_bytes("abc", 3, 0));
    CU_ASSERT_NOT_EQUAL(rs_hash_bytes("abc", 3, 0), rs_hash_bytes("abd", 3, 0));
    CU_ASSERT_NOT_EQUAL(rs_hash_bytes("abc", 3, 0), rs_hash_bytes("abc", 3, 1));
    CU_ASSERT_NOT_EQUAL(rs_hash2(1, 2), rs_hash2(2, 1));
    /* Pinned values: a task key must never change between releases. */
    CU_ASSERT_EQUAL(rs_hash64(0), 0xe220a8397b1dcdafULL);
}

static CU_TestInfo tests[] = {
    { "error reports", test_err },
    { "rng reproducible per seed", test_rng_reproducible },
    { "rng moments", test_rng_moments },
    { "shuffle is a permutation", test_shuffle_is_permutation },
    { "hashes stable", test_hash },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("util", tests); }

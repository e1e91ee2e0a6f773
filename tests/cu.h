/*
 * cu.h — the tiny harness every tests/test_<module>.c uses around CUnit.
 *
 *   static CU_TestInfo tests[] = { {"name", fn}, CU_TEST_INFO_NULL };
 *   int main(void) { return cu_run("module", tests); }
 *
 * cu_run registers one suite, runs it in CUnit's basic (verbose) mode and
 * returns non-zero when any assertion failed, so `make test` stops on it.
 * Tests that need ../shared/data ask cu_shared_data() for its path; it returns
 * NULL when the folder is absent, and such tests pass with a printed SKIP line
 * (the project must build and pass on machines without that folder).
 */
#ifndef RS_TESTS_CU_H
#define RS_TESTS_CU_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int cu_run(const char *suite, CU_TestInfo *tests) {
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_SuiteInfo suites[] = { { suite, NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
    if (CU_register_suites(suites) != CUE_SUCCESS) { CU_cleanup_registry(); return 2; }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}

/* Path of the shared real-data folder, or NULL when it is absent.
 * RNNSWEEP_SHARED_DATA overrides; the default is ../shared/data relative to
 * the repository root (tests run from the root). */
static inline const char *cu_shared_data(void) {
    const char *p = getenv("RNNSWEEP_SHARED_DATA");
    if (!p || !*p) p = "../shared/data";
    struct stat st;
    return (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) ? p : NULL;
}

/* Approximate comparison helpers with readable failure output. */
#define CU_ASSERT_CLOSE(a, b, tol) CU_ASSERT_DOUBLE_EQUAL((double)(a), (double)(b), (tol))

#endif /* RS_TESTS_CU_H */

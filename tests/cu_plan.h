/*
 * cu_plan.h — for suites that need a sweep plan: a config from INI text
 * (config_load_text, so no temporary files) and its plan, asserting that
 * both load.  Include after tests/cu.h; links the coordinator library.
 */
#ifndef RS_TESTS_CU_PLAN_H
#define RS_TESTS_CU_PLAN_H

#include "coordinator/config.h"
#include "coordinator/plan.h"

/* Load `text` (reported as "test.ini") and build its plan.  Returns 0, or
 * the error status after printing the message and failing an assertion;
 * on error nothing is left to free. */
static inline int cu_plan_build(const char *text, sweep_config *c, sweep_plan *p) {
    rs_err e;
    int r = config_load_text(text, "test.ini", c, &e);
    if (!r) {
        r = plan_build(c, p, &e);
        if (r) config_free(c);
    }
    if (r) fprintf(stderr, "\n  %s\n", e.msg);
    CU_ASSERT_EQUAL(r, 0);
    return r;
}

/* Release both. */
static inline void cu_plan_free(sweep_config *c, sweep_plan *p) {
    plan_free(p);
    config_free(c);
}

#endif /* RS_TESTS_CU_PLAN_H */

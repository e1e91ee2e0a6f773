/* version.h — the program's version, recorded in every result file. */
#ifndef RS_VERSION_H
#define RS_VERSION_H
#define RS_VERSION "0.1.0"
/* The git commit the binary was built from ("<40 hex>", "-dirty" appended
 * when the tree had uncommitted changes), passed by the Makefile with
 * -DRS_GIT_COMMIT to cluster/cmd_run.c only; "" when built outside a git
 * tree.  Recorded in every results file (attribute git_commit). */
#ifndef RS_GIT_COMMIT
#define RS_GIT_COMMIT ""
#endif
#endif

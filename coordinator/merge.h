/*
 * merge.h — the rules of `rnnsweep merge OUT IN...`: results files of ONE
 * plan (the shards of a job array, partial runs) combined into the file a
 * single run would have written.
 *
 *   - files of different plans are refused: their sweep hashes
 *     (plan_sweep_hash) differ;
 *   - tasks are deduplicated by key, the later file winning (equal keys give
 *     equal results: a task depends only on its key and the data), which
 *     results_write does for records in input order;
 *   - tasks_planned: the shards of one N ("k/N" attributes) add up;
 *     otherwise the largest of the inputs;
 *   - ranks: the largest; hosts: every input's, each host once.
 */
#ifndef RS_MERGE_H
#define RS_MERGE_H

#include "coordinator/results.h"

/* Join comma-separated host lists (NULL and "" entries fine) into one:
 * every host once, in first-seen order, comparing whole names (node1 and
 * node10 are two hosts).  Returns a malloc'd string ("" for none), or NULL
 * when out of memory. */
char *merge_hosts(const char *const *lists, int n);

/* 0 when every file has r[0]'s sweep hash, else RS_EINPUT naming the first
 * two files that differ ("A and B come from different plans (sweep hash
 * X vs Y): refusing to merge"). */
int merge_check(const results_file *r, const char *const *names, int n, rs_err *e);

/* The merged file's tasks_planned (see above). */
int merge_planned(const results_file *r, int n);

/* Views of every task record of r[0..n) in input order into a malloc'd
 * array (*v, caller frees).  Returns the count, or -1 with *e filled
 * (RS_EINPUT naming the file of a record that does not parse,
 * RS_EINTERNAL out of memory). */
int merge_views(const results_file *r, const char *const *names, int n, task_view **v, rs_err *e);

#endif /* RS_MERGE_H */

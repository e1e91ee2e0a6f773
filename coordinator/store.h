/*
 * store.h — rank 0's record store: one packed task result (worker/task.h)
 * per task key, every finished task of the sweep, in memory.
 *
 * The journal on disk may hold a key more than once (a failed task that
 * was retried); the store keeps the LAST record put for a key, the same
 * rule journal and results readers follow, so putting the journal's
 * records in file order gives exactly what a reader of the journal sees.
 *
 * Lookup is open addressing on rs_hash64(key) with linear probing, kept
 * at most half full: O(1) per task however large the sweep.
 *
 * Memory: the store owns a copy of every record (store_put copies);
 * store_free releases everything.  A zero-initialised store is empty and
 * ready to use.
 */
#ifndef RS_STORE_H
#define RS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "worker/task.h"

typedef struct {
    int        n, cap;
    task_buf  *rec;            /* [n] packed records, put order (owned)        */
    size_t     hcap;           /* hash slots, a power of two (0 = none yet)    */
    uint64_t  *hkey;           /* [hcap] key of each used slot                 */
    int       *hidx;           /* [hcap] index into rec + 1; 0 = empty slot    */
} store;

/* Keep a copy of the packed record buf[0..len), which must start with a
 * task_head (the key is read from it; callers validate records with
 * task_view_parse first).  A record whose key is already stored replaces
 * the old one in place.  Returns 0, or -1 when out of memory (the store
 * is then unchanged, except that a replaced record may be lost). */
int store_put(store *s, const void *buf, size_t len);

/* Index of the record of `key`, or -1. */
int store_find(const store *s, uint64_t key);

/* Records whose head status is `status` (TASK_*). */
int store_count(const store *s, int status);

/* Views of every record that passes task_view_parse, put order, into a
 * malloc'd array (*v, caller frees; at least one element so it is never
 * NULL on success).  Returns the number of views, or -1 (out of memory). */
int store_views(const store *s, task_view **v);

void store_free(store *s);     /* NULL fine; leaves an empty store */

#endif /* RS_STORE_H */

/*
 * store.h — rank 0's record store: one packed task result (worker/task.h)
 * per task key, every finished task of the sweep.
 *
 * A record is held one of two ways:
 *   - by REFERENCE: where it lies in the journal (payload offset, length)
 *     and its head's status — what a resume indexes (journal.h,
 *     journal_index_scan) and what a run adds for each result it journals;
 *     the bytes are read back with pread when they are needed (a
 *     re-evaluation's payload, a checkpoint, the final write);
 *   - by COPY (store_put): records that exist nowhere in the journal yet,
 *     e.g. those taken from a results file on a resume after damage.
 * So the store costs per task 40 bytes of entry plus 24–96 bytes of hash
 * table (kept 1/8 to 1/2 full), whatever the record size: ~130 bytes a
 * task, 13 MB at 10^5 tasks, where holding the records cost 2 GB.
 *
 * The journal on disk may hold a key more than once (a failed task that
 * was retried); the store keeps the LAST record put for a key, the same
 * rule journal and results readers follow, so putting the journal's
 * records in file order gives exactly what a reader of the journal sees.
 *
 * Lookup is open addressing on rs_hash64(key) with linear probing, kept
 * at most half full: O(1) per task however large the sweep.
 *
 * Memory: the store owns its copies and the journal descriptor it reads
 * references from (store_attach); store_free releases everything.  A
 * zero-initialised store is empty and ready to use.
 */
#ifndef RS_STORE_H
#define RS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "worker/task.h"

typedef struct {
    uint64_t       key;
    uint64_t       off;         /* journal payload offset (a reference)        */
    uint64_t       len;         /* record bytes                                */
    int32_t        status;      /* its head's status (TASK_*)                  */
    int32_t        pad_;
    unsigned char *p;           /* the copy, or NULL for a reference           */
} store_rec;

typedef struct {
    int        n, cap;
    store_rec *rec;            /* [n] put order                                */
    size_t     hcap;           /* hash slots, a power of two (0 = none yet)    */
    uint64_t  *hkey;           /* [hcap] key of each used slot                 */
    int       *hidx;           /* [hcap] index into rec + 1; 0 = empty slot    */
    int        fd1;            /* the journal's read descriptor + 1 (0: none)  */
    char      *jpath;          /* its path, for messages                       */
} store;

/* Keep a copy of the packed record buf[0..len), which must start with a
 * task_head (the key is read from it; callers validate records with
 * task_view_parse first).  A record whose key is already stored replaces
 * the old one in place.  Returns 0, or -1 when out of memory (the store
 * is then unchanged, except that a replaced record may be lost). */
int store_put(store *s, const void *buf, size_t len);

/* Keep a reference: the record of `key` (head status `status`) is the
 * journal record whose payload is `len` bytes at offset `off` of the
 * journal store_attach opened (attach before the first store_get of it).
 * Replaces a stored record of the key (freeing its copy).  Returns 0 or -1
 * (out of memory). */
int store_put_ref(store *s, uint64_t key, int status, uint64_t off, size_t len);

/* Open the journal at path for reading references back (a previous one is
 * closed).  Returns 0 or RS_EINTERNAL. */
int store_attach(store *s, const char *path, rs_err *e);

/* Index of the record of `key`, or -1. */
int store_find(const store *s, uint64_t key);

/* Record i (0 <= i < n) as a view: a copy is viewed in place; a reference
 * is read into *buf (grown; the caller owns it and frees it with
 * task_buf_free) and checked again (journal_index_get).  The view is valid
 * while the store and *buf are unchanged.  Returns 0, RS_EINPUT (a record
 * that no longer parses, with why) or RS_EINTERNAL (I/O, no journal
 * attached). */
int store_get(const store *s, int i, task_buf *buf, task_view *v, rs_err *e);

/* Record i's head and rows only (the first sizeof(task_head) + n_strat
 * rows bytes), into *buf: v->h and v->rows are set, every other view
 * NULL.  For a decision that needs no series (resume_choose: is every
 * strategy point there?) this reads a few kB of a record of many MB.  A
 * reference's bytes are NOT CRC-checked here — journal_index_scan checked
 * them when it indexed the journal; use store_get for the record itself.
 * Checks the head (magic, version, counts against the record's length).
 * Returns 0, RS_EINPUT or RS_EINTERNAL as store_get. */
int store_get_rows(const store *s, int i, task_buf *buf, task_view *v, rs_err *e);

/* Records whose head status is `status` (TASK_*). */
int store_count(const store *s, int status);

/* 1 when every record is held as a copy (what journal_replace needs:
 * references die with the file they point into). */
int store_all_copies(const store *s);

void store_free(store *s);     /* NULL fine; leaves an empty store */

#endif /* RS_STORE_H */

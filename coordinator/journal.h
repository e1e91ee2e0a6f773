/*
 * journal.h — the append-only journal beside a results file: the sweep's
 * source of truth (DESIGN.md, "Data flow" 4, "Errors and faults").
 *
 * The coordinator appends one record per finished task, the packed bytes
 * of task.h exactly as the worker sent them, and flushes it to the kernel
 * before the task counts as done; so a killed run (even kill -9) loses at
 * most the tasks in flight.  The HDF5 file is always (re)written FROM the
 * journal, so a missing or damaged HDF5 file is rebuilt from it.
 *
 * File format (native byte order, like the packed records):
 *     record = u32 magic "RSJ1" | u32 type | u64 payload length
 *            | u32 crc32 (zlib) of the payload | u32 0 | payload | zero pad
 *              to a multiple of 8
 *     type 1  JOURNAL_HEAD, exactly once, first: payload = journal_head
 *             followed by the INI text (head.ini_len bytes, no NUL)
 *     type 2  JOURNAL_TASK: payload = one packed task result (task.h)
 * Damage.  Every record carries its magic, type, length and CRC, so the
 * reader never has to trust what comes before a record to find it:
 *   - a record that is cut short at the END of the file is a torn tail, what
 *     a crash mid-append leaves (a task in flight: it reruns);
 *   - a record that is whole but wrong (a flipped byte: CRC, magic or length)
 *     is DAMAGED: the reader skips it and resynchronises on the next 8-byte
 *     boundary where a whole, correct record starts, keeping every record
 *     after it.  Only the damaged record's task is lost (and --resume finds
 *     it in the results file, or reruns it).
 * journal_read reports both (valid_bytes, torn_bytes; n_damaged, damaged_at,
 * kept_after).  journal_open_append truncates the file to valid_bytes before
 * appending, so a torn tail never poisons later records.
 *
 * Durability: journal_append hands every record to the kernel in one
 * writev(2) on an O_APPEND descriptor, no user-space buffer (a crash of the
 * process loses nothing appended; a failed write is cut back so half a
 * record never precedes later ones), and fdatasync()s at most once per
 * JOURNAL_SYNC_SECONDS (group commit, so tiny tasks are not throttled by
 * the disk) and always in journal_sync / journal_close.  A node crash can
 * thus lose at most that many seconds of finished tasks, which --resume
 * then reruns.
 *
 * The same task key may appear more than once (a retried failure); readers
 * keep the LAST record of a key.
 *
 * Memory: journal_read fills a caller-owned journal_contents whose records
 * point into one malloc'd buffer holding the file; journal_contents_free
 * releases it.  A journal handle is owned by its opener (journal_close).
 */
#ifndef RS_JOURNAL_H
#define RS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "worker/task.h"
#include "worker/util.h"

#define JOURNAL_MAGIC        0x314a5352u  /* "RSJ1" as bytes R S J 1 (little endian) */
#define JOURNAL_HEAD         1u
#define JOURNAL_TASK         2u
#define JOURNAL_SYNC_SECONDS 1.0

/* The head record's fixed part. */
typedef struct {
    uint32_t schema;          /* RESULTS_SCHEMA of the writer                  */
    uint32_t task_version;    /* TASK_VERSION of the writer                    */
    uint64_t data_hash;       /* config_data_hash of the sweep                 */
    uint64_t ini_len;         /* bytes of INI text after this struct           */
    char     program[32];     /* "rnnsweep 0.1.0"                              */
} journal_head;

typedef struct {
    const void *p;            /* the packed task result (8-byte aligned)       */
    size_t      len;
} journal_rec;

typedef struct {
    journal_head head;
    char        *ini_text;    /* NUL-terminated copy (malloc'd)                */
    int          n;           /* task records, file order (duplicates kept)    */
    journal_rec *rec;         /* [n] views into `buf`                          */
    size_t       valid_bytes; /* where appending continues: the end of the last
                                 whole, correct record                         */
    size_t       torn_bytes;  /* bytes after it (a torn tail, or a damaged last
                                 record: see n_damaged)                        */
    int          n_damaged;   /* damaged records (stretches) skipped           */
    size_t       damaged_at;  /* byte offset of the first one                  */
    size_t       damaged_bytes;  /* bytes skipped in damaged stretches         */
    int          kept_after;  /* task records after the first damaged one      */
    int          head_damaged;   /* 1: the head is damaged (journal_salvage, or
                                    journal_read's error for it)               */
    int          old_records; /* records of an older task version, upgraded
                                 (task_upgrade) into `upgraded`: rec[] holds
                                 this version's bytes only                     */
    void        *buf;         /* the file's bytes                              */
    void        *upgraded;    /* the upgraded records (malloc'd, or NULL)      */
} journal_contents;

typedef struct journal journal;   /* an open journal (append mode) */

/* Create a NEW journal at `path` (fails if it exists: RS_EINPUT "PATH:
 * exists") holding only the head record, synced (file and directory); a
 * failure after the file was created removes it.  Returns 0 and *out, or
 * RS_EINPUT / RS_EINTERNAL (I/O, with strerror). */
int journal_create(const char *path, uint64_t data_hash, const char *ini_text, size_t ini_len,
                   journal **out, rs_err *e);

/* Read a whole journal.  Returns 0, RS_EINPUT when the file is not a
 * journal (bad first record, no head) — "PATH: not an rnnsweep journal
 * (why)"; a file that starts with a journal record header but whose head
 * is damaged says "PATH: the journal's head record is damaged" (see
 * journal_salvage) — or whose head.task_version is outside
 * TASK_VERSION_OLDEST .. TASK_VERSION (reading on would count every record
 * as damaged, and a later append would truncate them all), or RS_EINTERNAL
 * (I/O).  Records of an older version are upgraded in memory (task.h,
 * task_upgrade): the caller sees this version's records only, and rewrites
 * the journal (journal_replace) before appending to it.  Torn tails and damaged
 * records are NOT errors (see the fields above).  Every task record kept
 * passes task_view_parse; one that does not counts as damaged.  On the
 * damaged-head error out->head_damaged is 1 (and nothing else is set). */
int journal_read(const char *path, journal_contents *out, rs_err *e);

/* The same on n bytes in memory (copied), `name` standing for the path in
 * messages: what the fuzzer drives. */
int journal_parse(const void *data, size_t n, const char *name, journal_contents *out, rs_err *e);

/* The task records of a journal whose head is damaged: every whole,
 * correct task record found by resynchronising from byte 0.  head is
 * zeroed, ini_text "", head_damaged 1.  Returns 0, or RS_EINPUT when the
 * file holds no journal record at all ("not an rnnsweep journal"), or
 * RS_EINTERNAL (I/O).  The records cannot be checked against the sweep's
 * data hash (the head held it): the caller decides whether to trust them. */
int journal_salvage(const char *path, journal_contents *out, rs_err *e);

void journal_contents_free(journal_contents *c);   /* NULL fine; zeroes */

/* Open an existing journal for appending after its first valid_bytes
 * (from journal_read), truncating anything beyond (synced before any new
 * record).  Returns 0 and *out or RS_EINTERNAL (also for a valid_bytes
 * below the head, not a multiple of 8, or beyond the file: untouched). */
int journal_open_append(const char *path, size_t valid_bytes, journal **out, rs_err *e);

/* Replace the journal at `path` by a new one with a head (data_hash, the
 * INI text) and the n records rec[0..n), in order: written to PATH.tmp,
 * synced, then renamed over PATH (the directory synced too), so a crash at
 * any point leaves either the old or the new journal whole.  When keep_as
 * is not NULL the old file is first hard-linked (or, where links fail,
 * renamed) to keep_as, replacing any file there: nothing of it is lost.
 * Returns 0 and *out open for appending, or RS_EINPUT (a malformed record,
 * nothing replaced) / RS_EINTERNAL (I/O: PATH untouched, PATH.tmp
 * removed). */
int journal_replace(const char *path, const char *keep_as, uint64_t data_hash, const char *ini_text,
                    size_t ini_len, const journal_rec *rec, int n, journal **out, rs_err *e);

/* Append one packed task result (validated with task_view_parse first:
 * RS_EINPUT for a malformed one, nothing written).  Flushed on return;
 * synced per the group-commit rule.  Returns 0 or RS_EINTERNAL. */
int journal_append(journal *j, const void *rec, size_t len, rs_err *e);

/* Bytes of the header in front of every record's payload. */
#define JOURNAL_REC_HEADER 24u

/* Bytes of whole records in the journal: where the next record will
 * start (its payload JOURNAL_REC_HEADER bytes further). */
size_t journal_bytes(const journal *j);

/* fdatasync now.  Returns 0 or RS_EINTERNAL. */
int journal_sync(journal *j, rs_err *e);

/* Sync and close (NULL fine).  Returns 0 or RS_EINTERNAL. */
int journal_close(journal *j, rs_err *e);

/* ---- the streaming index (resume at scale) ------------------------------
 *
 * journal_read holds the whole file in memory: 2 GB of journal at 10^5
 * tasks of 20 kB.  journal_index_scan reads the file once, front to back,
 * with pread(2) into one buffer the size of the largest record (plus a
 * 1 MiB window while it resynchronises after damage), checks every record
 * exactly as journal_read does (CRC, task_record_check, the same torn-tail
 * and damage rules and counts), and keeps 32 bytes per task record: where
 * it is.  journal_index_get then reads one record back on demand.  The two
 * readers agree record for record (tests/test_journal.c). */

typedef struct {
    uint64_t key;             /* the record's task_key                         */
    uint64_t off;             /* file offset of its payload                    */
    uint64_t len;             /* payload bytes                                 */
    int32_t  status;          /* its head's status (TASK_*)                    */
    uint32_t version;         /* its task version (3: journal_index_get
                                 upgrades it)                                  */
} journal_entry;

typedef struct {
    journal_head   head;
    char          *ini_text;     /* NUL-terminated (malloc'd)                  */
    int            n;            /* task records, file order (duplicates kept) */
    journal_entry *ent;          /* [n] (malloc'd)                             */
    size_t         valid_bytes, torn_bytes;   /* as journal_contents           */
    int            n_damaged;
    size_t         damaged_at, damaged_bytes;
    int            kept_after;
    int            head_damaged;
    int            old_records;  /* entries of an older task version           */
    size_t         max_len;      /* the largest payload                        */
} journal_index;

/* Index the journal at path (see above).  Errors as journal_read (the same
 * messages; on the damaged-head error out->head_damaged is 1). */
int journal_index_scan(const char *path, journal_index *out, rs_err *e);

void journal_index_free(journal_index *ix);        /* NULL fine; zeroes */

/* Read the record of entry en from fd (the journal, opened for reading)
 * into *out (grown), upgraded to this task version when it is older, and
 * check it again (CRC and task_view_parse: the file may have changed since
 * it was indexed).  Returns 0, RS_EINPUT ("PATH: the record at byte N no
 * longer checks") or RS_EINTERNAL (I/O). */
int journal_index_get(int fd, const char *path, const journal_entry *en, task_buf *out, rs_err *e);

/* CRC-32 (zlib's) of n bytes: exposed for tests. */
uint32_t journal_crc(const void *p, size_t n);

#endif /* RS_JOURNAL_H */

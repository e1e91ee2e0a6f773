/*
 * lock.h — one writer per output: the advisory lock that guards a sweep's
 * journal, its results file and the results file's .tmp.
 *
 * A run (rank 0) takes the lock before it reads or creates the journal and
 * holds it until it exits; a second run on the same output — a requeued job
 * while the old one still drains, orphaned ranks, two --resume started
 * together — is refused with "in use by pid N on host H since T" instead
 * of computing tasks twice or racing on the shared .tmp.
 *
 * Mechanism: flock(2) LOCK_EX | LOCK_NB on a small file beside the output
 * (OUTPUT.lock) that holds the holder's "pid N host H since T".  flock
 * belongs to the open file description, so no other open/close of any file
 * by the holder releases it (POSIX fcntl locks would be dropped by the
 * first close of the journal), and the kernel releases it when the holder
 * dies, however it dies: a stale lock file from a killed run (kill -9, node
 * reboot) never blocks a resume — the file is simply taken over.  The
 * holder unlinks the file when it exits; a taker that finds it unlinked
 * under its fresh lock (stat and fstat disagree) starts over, so two runs
 * can never both believe they hold it.
 *
 * What it guarantees, per filesystem:
 *   - local filesystems (ext4, xfs, tmpfs): exclusion between all processes
 *     of the node;
 *   - NFS (Linux client >= 2.6.12, NFSv3 with lockd or NFSv4): the client
 *     turns flock into a whole-file byte-range lock held at the server, so
 *     two runs on DIFFERENT nodes exclude each other too.  A lock held by a
 *     node that crashed lasts until the server recovers it (the NFSv4 lease,
 *     typically 90 s; NLM: the client's reboot notification) — a resume in
 *     that window is refused and succeeds later;
 *   - filesystems without locks (NFS mounted with `nolock` or `local_lock`,
 *     some FUSE and Lustre `noflock` mounts): flock fails with ENOLCK /
 *     EOPNOTSUPP / ENOSYS; the run goes on UNLOCKED after a warning on
 *     stderr, since refusing would make such filesystems unusable.  With
 *     `local_lock=flock` NFS exclusion is node-local only.
 */
#ifndef RS_LOCK_H
#define RS_LOCK_H

#include "worker/util.h"

typedef struct lock lock;

/* Take the lock file `path`, waiting up to wait_seconds (0: do not wait)
 * for a live holder to let go.  Returns 0 and *out (held until
 * lock_release), or RS_EINPUT — "PATH: in use by pid N on host H since T
 * (...)" when held, "PATH: cannot create: why" when the directory is not
 * writable — or RS_EINTERNAL (other I/O).  On a filesystem without locks
 * it returns 0 with an unlocked handle after a warning on stderr. */
int lock_acquire(const char *path, double wait_seconds, lock **out, rs_err *e);

/* 1 when the handle really holds a lock (0 on a filesystem without locks). */
int lock_held(const lock *l);

/* Whether a live run holds the lock file `path`, for readers (show,
 * report) that only want to say so: 1 held, 0 not held (no lock file, or
 * the stale file of a run that was killed), -1 unknown (a filesystem
 * without locks, or an error).  It takes a shared lock for the length of
 * one flock call and never creates or writes the file; lock_acquire waits
 * out such a probe (LOCK_PROBE_GRACE) instead of refusing a run. */
int lock_probe(const char *path);

/* Unlink the lock file and release the lock (NULL fine). */
void lock_release(lock *l);

#endif /* RS_LOCK_H */

/* lock.c — the output's advisory lock (see lock.h for what it guarantees). */
#include "coordinator/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct lock {
    int   fd;
    int   held;
    char *path;
};

/* Between two attempts while a holder is alive: short, since a requeue
 * waits on it, and it costs one flock call. */
#define LOCK_POLL_SECONDS 0.05

/* The least a run waits on a busy lock before it refuses, whatever
 * --lock-wait says: lock_probe (show, report) holds a shared lock for one
 * flock call, and a run starting in that microsecond must not fail. */
#define LOCK_PROBE_GRACE 0.25

static int no_locks_here(int err) {
    return err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS || err == EINVAL;
}

/* "pid N host H since T\n": what a refused run prints about the holder. */
static void holder_text(char *buf, size_t n) {
    char host[256] = "?";
    if (gethostname(host, sizeof host - 1)) snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = 0;
    time_t now = time(NULL);
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(buf, n, "pid %ld on host %s since %s\n", (long)getpid(), host, when);
}

/* The holder's text, one line, "" when it has not written it yet. */
static void read_holder(int fd, char *buf, size_t n) {
    ssize_t r = pread(fd, buf, n - 1, 0);
    buf[r > 0 ? r : 0] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
}

static void pause_for(double s) {
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

int lock_acquire(const char *path, double wait_seconds, lock **out, rs_err *e) {
    *out = NULL;
    double t0 = rs_now();
    for (;;) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            int err = errno;
            return rs_err_set(e, err == EACCES || err == EROFS || err == ENOENT || err == ENOTDIR ? RS_EINPUT
                                                                                                  : RS_EINTERNAL,
                              "%s: cannot create the lock file: %s", path, strerror(err));
        }
        int held = 1;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            if (err == EINTR) { close(fd); continue; }
            if (err == EWOULDBLOCK) {
                if (rs_now() - t0 < (wait_seconds > LOCK_PROBE_GRACE ? wait_seconds : LOCK_PROBE_GRACE)) {
                    close(fd);
                    pause_for(LOCK_POLL_SECONDS);
                    continue;
                }
                char who[512];
                read_holder(fd, who, sizeof who);
                close(fd);
                return rs_err_set(e, RS_EINPUT, "%s: in use by %s (another rnnsweep run writes this output: "
                                  "wait for it to end, stop it, or choose another file with -o)", path,
                                  who[0] ? who : "another process that has not said who it is yet");
            }
            if (!no_locks_here(err)) {
                close(fd);
                return rs_err_set(e, RS_EINTERNAL, "%s: flock: %s", path, strerror(err));
            }
            fprintf(stderr, "rnnsweep: warning: %s: this filesystem does not lock (%s): a second run writing "
                    "the same output would not be detected\n", path, strerror(err));
            held = 0;
        }
        /* The previous holder unlinks the file as it lets go: a lock on an
         * unlinked inode guards nothing, so start over on the new one. */
        struct stat a, b;
        if (held && (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
            close(fd);
            continue;
        }
        char who[512];
        holder_text(who, sizeof who);
        size_t n = strlen(who);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, who, n, 0) != (ssize_t)n) {
            int err = errno;
            if (held) unlink(path);
            close(fd);
            return rs_err_set(e, RS_EINTERNAL, "%s: write: %s", path, strerror(err));
        }
        lock *l = calloc(1, sizeof *l);
        if (l) l->path = strdup(path);
        if (!l || !l->path) {
            if (held) unlink(path);
            close(fd);
            free(l);
            return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
        }
        l->fd = fd;
        l->held = held;
        *out = l;
        return 0;
    }
}

int lock_held(const lock *l) { return l && l->held; }

int lock_probe(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    int r;
    while ((r = flock(fd, LOCK_SH | LOCK_NB)) != 0 && errno == EINTR) {}
    int held = r == 0 ? 0 : errno == EWOULDBLOCK ? 1 : -1;
    if (r == 0) flock(fd, LOCK_UN);
    close(fd);
    return held;
}

void lock_release(lock *l) {
    if (!l) return;
    /* unlink while still holding: a taker that opened the old inode finds
     * it unlinked under its lock and starts over (lock_acquire) */
    unlink(l->path);
    close(l->fd);
    free(l->path);
    free(l);
}

/*
 * journal.c — the append-only journal of finished tasks (see journal.h).
 *
 * Writes go straight to the file descriptor with writev(2), one call per
 * record (header, payload, zero pad): once it returns, the record is in the
 * kernel's page cache and survives a kill -9 of this process.  There is no
 * stdio buffer in between, so there is nothing to forget to flush.
 *
 * The reader treats the file as a sequence of self-checking records.  A
 * record that is not whole and correct is either a torn tail (the last
 * thing in the file: a crash mid-append) or damage in the middle (a flipped
 * byte); after damage it resynchronises on the next 8-byte boundary where
 * a whole, correct record starts, so one bad byte costs one record, not
 * every record after it.  A false resync would need a payload to contain
 * the 4-byte magic, a valid type, a length that fits and a matching CRC-32
 * of the bytes that follow, and then to parse as a task record: it does not
 * happen by accident.
 */
#include "coordinator/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "coordinator/results.h"
#include "worker/version.h"

/* The fixed header in front of every payload: 24 bytes, so a payload that
 * starts 8-byte aligned keeps the next one aligned too (payloads are padded
 * to a multiple of 8). */
typedef struct {
    uint32_t magic;           /* JOURNAL_MAGIC                                 */
    uint32_t type;            /* JOURNAL_HEAD | JOURNAL_TASK                   */
    uint64_t len;             /* payload bytes, without the pad                */
    uint32_t crc;             /* journal_crc of the payload                    */
    uint32_t zero;            /* 0: reserved                                   */
} rec_hdr;

_Static_assert(sizeof(rec_hdr) == JOURNAL_REC_HEADER, "journal record header must be 24 bytes");
_Static_assert(sizeof(journal_head) % 8 == 0, "journal_head must keep the INI text 8-aligned");

struct journal {
    int     fd;               /* O_WRONLY | O_APPEND                           */
    char   *path;             /* for messages                                  */
    size_t  size;             /* bytes of whole records in the file            */
    double  last_sync;        /* rs_now() of the last fdatasync                */
    int     broken;           /* a failed append could not be rolled back      */
};

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Continue a zlib CRC-32 over n more bytes.  zlib takes a uInt length:
 * feed huge buffers in slices. */
static uLong crc_update(uLong c, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        uInt k = n > (size_t)(UINT_MAX / 2) ? (uInt)(UINT_MAX / 2) : (uInt)n;
        c = crc32(c, b, k);
        b += k;
        n -= k;
    }
    return c;
}

uint32_t journal_crc(const void *p, size_t n) {
    return (uint32_t)crc_update(crc32(0L, Z_NULL, 0), p, n);
}

/* ---- writing ------------------------------------------------------------ */

/* Write every byte of iov[0..n) at the end of the file, retrying short
 * writes and EINTR.  Returns 0 or -1 with errno set. */
static int write_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

/* Append one whole record.  On failure the file is cut back to where the
 * record began, so a half-written record never sits in front of later ones
 * (the reader would stop at it and lose them all); when even that fails the
 * journal refuses further appends. */
static int put_record(journal *j, uint32_t type, const void *a, size_t na, const void *b, size_t nb,
                      rs_err *e) {
    static const unsigned char zeros[8];
    if (j->broken)
        return rs_err_set(e, RS_EINTERNAL, "%s: an earlier write failed and could not be undone", j->path);
    size_t len = na + nb;
    uLong c = crc_update(crc_update(crc32(0L, Z_NULL, 0), a, na), b, nb);
    rec_hdr h = { JOURNAL_MAGIC, type, (uint64_t)len, (uint32_t)c, 0 };
    struct iovec iov[4];
    int n = 0;
    iov[n++] = (struct iovec){ &h, sizeof h };
    if (na) iov[n++] = (struct iovec){ (void *)a, na };
    if (nb) iov[n++] = (struct iovec){ (void *)b, nb };
    if (pad8(len) > len) iov[n++] = (struct iovec){ (void *)zeros, pad8(len) - len };
    if (write_all(j->fd, iov, n) != 0) {
        int err = errno;
        if (ftruncate(j->fd, (off_t)j->size) != 0) j->broken = 1;
        return rs_err_set(e, RS_EINTERNAL, "%s: write: %s", j->path, strerror(err));
    }
    j->size += sizeof h + pad8(len);
    return 0;
}

static int sync_fd(journal *j, rs_err *e) {
    if (fdatasync(j->fd) != 0)
        return rs_err_set(e, RS_EINTERNAL, "%s: fdatasync: %s", j->path, strerror(errno));
    j->last_sync = rs_now();
    return 0;
}

/* Make a new file's directory entry durable: without it a node crash can
 * lose the whole journal even though its bytes were synced.  Filesystems
 * that cannot sync a directory (EINVAL) have nothing to sync. */
static int sync_parent_dir(const char *path, rs_err *e) {
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) dir = strdup(".");
    else if (slash == path) dir = strdup("/");
    else dir = strndup(path, (size_t)(slash - path));
    if (!dir) return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0) rc = rs_err_set(e, RS_EINTERNAL, "%s: open: %s", dir, strerror(errno));
    else {
        if (fsync(fd) != 0 && errno != EINVAL)
            rc = rs_err_set(e, RS_EINTERNAL, "%s: fsync: %s", dir, strerror(errno));
        close(fd);
    }
    free(dir);
    return rc;
}

static journal *journal_new(const char *path, int fd, size_t size) {
    journal *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->path = strdup(path);
    if (!j->path) { free(j); return NULL; }
    j->fd = fd;
    j->size = size;
    j->last_sync = rs_now();
    return j;
}

static void journal_free(journal *j) {
    if (!j) return;
    free(j->path);
    free(j);
}

int journal_create(const char *path, uint64_t data_hash, const char *ini_text, size_t ini_len,
                   journal **out, rs_err *e) {
    *out = NULL;
    if (ini_len && !ini_text) return rs_err_set(e, RS_EINTERNAL, "%s: INI text missing", path);
    /* O_EXCL: a journal is the record of one sweep; never mix two. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST) return rs_err_set(e, RS_EINPUT, "%s: exists", path);
        return rs_err_set(e, RS_EINTERNAL, "%s: create: %s", path, strerror(errno));
    }
    journal *j = journal_new(path, fd, 0);
    if (!j) {
        close(fd);
        unlink(path);
        return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
    }
    journal_head h;
    memset(&h, 0, sizeof h);   /* no stack garbage in the file: journals compare byte for byte */
    h.schema = RESULTS_SCHEMA;
    h.task_version = TASK_VERSION;
    h.data_hash = data_hash;
    h.ini_len = ini_len;
    snprintf(h.program, sizeof h.program, "rnnsweep %s", RS_VERSION);
    int rc = put_record(j, JOURNAL_HEAD, &h, sizeof h, ini_text, ini_len, e);
    if (rc == 0) rc = sync_fd(j, e);
    if (rc == 0) rc = sync_parent_dir(path, e);
    if (rc != 0) {
        /* The file is ours (O_EXCL) and holds no task: leave nothing behind. */
        close(fd);
        unlink(path);
        journal_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

int journal_open_append(const char *path, size_t valid_bytes, journal **out, rs_err *e) {
    *out = NULL;
    /* Whole records end on 8-byte boundaries and the head comes first. */
    if (valid_bytes < sizeof(rec_hdr) + sizeof(journal_head) || valid_bytes % 8)
        return rs_err_set(e, RS_EINTERNAL, "%s: %zu is not a valid journal length", path, valid_bytes);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return rs_err_set(e, RS_EINTERNAL, "%s: open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: stat: %s", path, strerror(err));
    }
    if ((uint64_t)st.st_size < valid_bytes) {
        close(fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: %lld bytes, shorter than its %zu valid bytes (changed since read?)",
                          path, (long long)st.st_size, valid_bytes);
    }
    /* Cut the torn tail and make the cut durable before anything follows
     * it: otherwise a node crash could bring the old bytes back between
     * valid records. */
    if ((uint64_t)st.st_size > valid_bytes) {
        if (ftruncate(fd, (off_t)valid_bytes) != 0 || fdatasync(fd) != 0) {
            int err = errno;
            close(fd);
            return rs_err_set(e, RS_EINTERNAL, "%s: truncate to %zu bytes: %s", path, valid_bytes, strerror(err));
        }
    }
    journal *j = journal_new(path, fd, valid_bytes);
    if (!j) {
        close(fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
    }
    *out = j;
    return 0;
}

int journal_replace(const char *path, const char *keep_as, uint64_t data_hash, const char *ini_text,
                    size_t ini_len, const journal_rec *rec, int n, journal **out, rs_err *e) {
    *out = NULL;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (!tmp) return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    unlink(tmp);                      /* a stale one from a crash in here */
    journal *j;
    int rc = journal_create(tmp, data_hash, ini_text, ini_len, &j, e);
    if (rc) { free(tmp); return rc; }
    for (int i = 0; i < n && !rc; i++) rc = journal_append(j, rec[i].p, rec[i].len, e);
    if (!rc) rc = sync_fd(j, e);
    if (!rc && keep_as) {
        unlink(keep_as);
        if (link(path, keep_as) != 0 && errno != ENOENT && rename(path, keep_as) != 0)
            rc = rs_err_set(e, RS_EINTERNAL, "%s: cannot keep it as %s: %s", path, keep_as, strerror(errno));
    }
    if (!rc && rename(tmp, path) != 0)
        rc = rs_err_set(e, RS_EINTERNAL, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
    if (!rc) rc = sync_parent_dir(path, e);
    if (rc) {
        close(j->fd);
        journal_free(j);
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(j->path);
    j->path = strdup(path);
    free(tmp);
    if (!j->path) {
        close(j->fd);
        free(j);
        return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", path);
    }
    *out = j;
    return 0;
}

int journal_append(journal *j, const void *rec, size_t len, rs_err *e) {
    task_view v;
    rs_err pe;
    if (task_view_parse(rec, len, &v, &pe) != 0)
        return rs_err_set(e, RS_EINPUT, "%s: not appended: %s", j->path, pe.msg);
    if (put_record(j, JOURNAL_TASK, rec, len, NULL, 0, e) != 0) return RS_EINTERNAL;
    /* Group commit: the record is already safe from a process crash; pay
     * for the disk at most once per JOURNAL_SYNC_SECONDS.  When this sync
     * fails the record is in the file all the same; a caller that retries
     * it only adds a duplicate, which readers resolve (the last wins). */
    if (rs_now() - j->last_sync >= JOURNAL_SYNC_SECONDS) return sync_fd(j, e);
    return 0;
}

int journal_sync(journal *j, rs_err *e) { return sync_fd(j, e); }

size_t journal_bytes(const journal *j) { return j->size; }

int journal_close(journal *j, rs_err *e) {
    if (!j) return 0;
    int rc = sync_fd(j, e);
    if (close(j->fd) != 0 && rc == 0)
        rc = rs_err_set(e, RS_EINTERNAL, "%s: close: %s", j->path, strerror(errno));
    journal_free(j);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

void journal_contents_free(journal_contents *c) {
    if (!c) return;
    free(c->ini_text);
    free(c->rec);
    free(c->buf);
    free(c->upgraded);
    memset(c, 0, sizeof *c);
}

/* Read the whole file into a malloc'd buffer (malloc's alignment is what
 * keeps every payload 8-aligned).  Returns 0 or RS_EINTERNAL. */
static int slurp(const char *path, unsigned char **buf, size_t *n, rs_err *e) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rs_err_set(e, RS_EINTERNAL, "%s: open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: stat: %s", path, strerror(err));
    }
    size_t size = (size_t)st.st_size;
    unsigned char *p = malloc(size ? size : 1);
    if (!p) {
        close(fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: out of memory (%zu bytes)", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            free(p);
            close(fd);
            return rs_err_set(e, RS_EINTERNAL, "%s: read: %s", path, strerror(err));
        }
        if (r == 0) break;   /* shrank under us: read what is there */
        got += (size_t)r;
    }
    close(fd);
    *buf = p;
    *n = got;
    return 0;
}

/* Check the record at buf[off..n): whole (pad included), the expected type,
 * the CRC.  Returns its payload length, or -1 when it is not good. */
static int64_t record_at(const unsigned char *buf, size_t n, size_t off, uint32_t type) {
    if (n - off < sizeof(rec_hdr)) return -1;
    rec_hdr h;
    memcpy(&h, buf + off, sizeof h);
    if (h.magic != JOURNAL_MAGIC || h.type != type || h.zero != 0) return -1;
    size_t room = n - off - sizeof h;
    if (h.len > room || pad8((size_t)h.len) > room) return -1;
    if (journal_crc(buf + off + sizeof h, (size_t)h.len) != h.crc) return -1;
    return (int64_t)h.len;
}

/* A good task record at off: returns its payload length or -1. */
static int64_t task_at(const unsigned char *buf, size_t n, size_t off) {
    int64_t len = record_at(buf, n, off, JOURNAL_TASK);
    if (len < 0) return -1;
    if (task_record_check(buf + off + sizeof(rec_hdr), (size_t)len, NULL) != 0) return -1;
    return len;
}

/* The first offset > off (8-aligned) where a good task record starts, or n.
 * The magic is compared before anything costlier is checked. */
static size_t next_good(const unsigned char *buf, size_t n, size_t off) {
    for (size_t o = off + 8; o + sizeof(rec_hdr) <= n; o += 8) {
        uint32_t m;
        memcpy(&m, buf + o, 4);
        if (m == JOURNAL_MAGIC && task_at(buf, n, o) >= 0) return o;
    }
    return n;
}

/* Is the bad stretch at off a whole record gone wrong (its header intact,
 * its length inside the file) rather than one cut short by a crash? */
static int whole_but_bad(const unsigned char *buf, size_t n, size_t off) {
    if (n - off < sizeof(rec_hdr)) return 0;
    rec_hdr h;
    memcpy(&h, buf + off, sizeof h);
    size_t room = n - off - sizeof h;
    return h.magic == JOURNAL_MAGIC && (h.type == JOURNAL_TASK || h.type == JOURNAL_HEAD) && h.zero == 0 &&
           h.len <= room && pad8((size_t)h.len) <= room;
}

/* The task records from off on, resynchronising after damage. */
static int read_tasks(journal_contents *out, const unsigned char *buf, size_t n, size_t off, const char *name,
                      rs_err *e) {
    int cap = 0;
    while (off < n) {
        int64_t len = task_at(buf, n, off);
        if (len < 0) {
            size_t next = next_good(buf, n, off);
            if (next == n) {                       /* nothing good after it */
                if (whole_but_bad(buf, n, off)) {
                    if (!out->n_damaged++) out->damaged_at = off;
                    out->damaged_bytes += n - off;
                }
                break;
            }
            if (!out->n_damaged++) out->damaged_at = off;
            out->damaged_bytes += next - off;
            off = next;
            continue;
        }
        if (out->n == cap) {
            int nc = cap ? 2 * cap : 64;
            journal_rec *r = realloc(out->rec, (size_t)nc * sizeof *r);
            if (!r) return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", name);
            out->rec = r;
            cap = nc;
        }
        out->rec[out->n++] = (journal_rec){ buf + off + sizeof(rec_hdr), (size_t)len };
        if (out->n_damaged) out->kept_after++;
        off += sizeof(rec_hdr) + pad8((size_t)len);
    }
    out->valid_bytes = off;
    out->torn_bytes = n - off;
    return 0;
}

/* Records of an older task version (task_upgrade) rewritten as this
 * version's, in one block out->upgraded that the records then point into;
 * out->old_records counts them. */
static int upgrade_records(journal_contents *out, const char *name, rs_err *e) {
    size_t total = 0;
    for (int i = 0; i < out->n; i++)
        if (task_record_version(out->rec[i].p, out->rec[i].len) != TASK_VERSION)
            total += out->rec[i].len + sizeof(task_head);   /* a head grows by less than its size */
    if (!total) return 0;
    unsigned char *blk = malloc(total);
    if (!blk) return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", name);
    size_t at = 0;
    task_buf tb = { 0 };
    for (int i = 0; i < out->n; i++) {
        if (task_record_version(out->rec[i].p, out->rec[i].len) == TASK_VERSION) continue;
        rs_err ue;
        if (task_upgrade(out->rec[i].p, out->rec[i].len, &tb, &ue)) {
            task_buf_free(&tb);
            free(blk);
            return rs_err_set(e, RS_EINTERNAL, "%s: %s", name, ue.msg);
        }
        memcpy(blk + at, tb.p, tb.len);
        out->rec[i] = (journal_rec){ blk + at, tb.len };
        at += (tb.len + 7) & ~(size_t)7;
        out->old_records++;
    }
    task_buf_free(&tb);
    out->upgraded = blk;
    return 0;
}

/* Parse buf[0..n), a malloc'd buffer *out takes over. */
static int parse_owned(unsigned char *buf, size_t n, const char *name, int salvage, journal_contents *out,
                       rs_err *e) {
    memset(out, 0, sizeof *out);
    out->buf = buf;
    if (salvage) {
        uint32_t m = 0;
        if (n >= 4) memcpy(&m, buf, 4);
        out->head_damaged = 1;
        out->ini_text = strdup("");
        if (!out->ini_text) {
            journal_contents_free(out);
            return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", name);
        }
        size_t first = task_at(buf, n, 0) >= 0 ? 0 : next_good(buf, n, 0);
        if (m != JOURNAL_MAGIC && first == n) {
            journal_contents_free(out);
            return rs_err_set(e, RS_EINPUT, "%s: not an rnnsweep journal (no journal record in it)", name);
        }
        if (read_tasks(out, buf, n, first, name, e) || upgrade_records(out, name, e)) {
            journal_contents_free(out);
            return RS_EINTERNAL;
        }
        return 0;
    }

    /* The head: anything wrong with it means this is not our file, a create
     * that never finished (which holds no task either), or a damaged head,
     * told apart by the magic: journal_salvage reads the records of the
     * last kind. */
    int64_t hl = record_at(buf, n, 0, JOURNAL_HEAD);
    const char *why = NULL;
    if (n == 0) why = "empty file";
    else if (hl < 0) why = "bad head record";
    else if ((size_t)hl < sizeof(journal_head)) why = "head record too short";
    if (!why) {
        memcpy(&out->head, buf + sizeof(rec_hdr), sizeof out->head);
        if (out->head.ini_len != (uint64_t)hl - sizeof(journal_head)) why = "head record length mismatch";
    }
    if (why) {
        uint32_t m = 0;
        if (n >= 4) memcpy(&m, buf, 4);
        int ours = m == JOURNAL_MAGIC && next_good(buf, n, 0) < n;
        journal_contents_free(out);
        out->head_damaged = ours;
        if (ours)
            return rs_err_set(e, RS_EINPUT, "%s: the journal's head record is damaged (%s); its task records "
                              "after it are intact", name, why);
        return rs_err_set(e, RS_EINPUT, "%s: not an rnnsweep journal (%s)", name, why);
    }
    out->head.program[sizeof out->head.program - 1] = 0;
    /* Records of a version this program cannot read would all count as
     * damaged and a later journal_open_append would truncate them away:
     * refuse instead.  Older versions it reads are upgraded below. */
    if (out->head.task_version < TASK_VERSION_OLDEST || out->head.task_version > TASK_VERSION) {
        uint32_t v = out->head.task_version;
        journal_contents_free(out);
        return rs_err_set(e, RS_EINPUT, "%s: written with task record version %u, this program reads %u..%u",
                          name, v, TASK_VERSION_OLDEST, TASK_VERSION);
    }
    size_t ini_len = (size_t)out->head.ini_len;
    out->ini_text = malloc(ini_len + 1);
    if (!out->ini_text) {
        journal_contents_free(out);
        return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", name);
    }
    memcpy(out->ini_text, buf + sizeof(rec_hdr) + sizeof(journal_head), ini_len);
    out->ini_text[ini_len] = 0;
    if (read_tasks(out, buf, n, sizeof(rec_hdr) + pad8((size_t)hl), name, e) || upgrade_records(out, name, e)) {
        journal_contents_free(out);
        return RS_EINTERNAL;
    }
    return 0;
}

int journal_read(const char *path, journal_contents *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    unsigned char *buf = NULL;
    size_t n = 0;
    if (slurp(path, &buf, &n, e) != 0) return RS_EINTERNAL;
    return parse_owned(buf, n, path, 0, out, e);
}

int journal_salvage(const char *path, journal_contents *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    unsigned char *buf = NULL;
    size_t n = 0;
    if (slurp(path, &buf, &n, e) != 0) return RS_EINTERNAL;
    return parse_owned(buf, n, path, 1, out, e);
}

int journal_parse(const void *data, size_t n, const char *name, journal_contents *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    unsigned char *buf = malloc(n ? n : 1);        /* malloc: payloads 8-aligned */
    if (!buf) return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", name);
    if (n) memcpy(buf, data, n);
    return parse_owned(buf, n, name, 0, out, e);
}

/* ---- the streaming index ------------------------------------------------ */

/* pread exactly n bytes at off (fewer only at the end of the file).
 * Returns the count or -1 with errno. */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (unsigned char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* The scanner: the file's size, one growable record buffer. */
typedef struct {
    int            fd;
    const char    *path;
    uint64_t       size;
    unsigned char *buf;
    size_t         cap;
    int            io_err;        /* errno of a failed read, 0 = none       */
} scanner;

static int scan_grow(scanner *S, size_t n) {
    if (n <= S->cap) return 0;
    size_t nc = S->cap ? S->cap : 65536;
    while (nc < n) nc *= 2;
    unsigned char *b = realloc(S->buf, nc);
    if (!b) return -1;
    S->buf = b;
    S->cap = nc;
    return 0;
}

/* record_at for the file: the good record of `type` at off, its payload in
 * S->buf; returns the payload length or -1 (-2: out of memory or I/O). */
static int64_t scan_record(scanner *S, uint64_t off, uint32_t type) {
    if (S->size - off < sizeof(rec_hdr)) return -1;
    rec_hdr h;
    ssize_t r = pread_full(S->fd, &h, sizeof h, off);
    if (r < 0) { S->io_err = errno; return -2; }
    if ((size_t)r < sizeof h) return -1;
    if (h.magic != JOURNAL_MAGIC || h.type != type || h.zero != 0) return -1;
    uint64_t room = S->size - off - sizeof h;
    if (h.len > room || pad8((size_t)h.len) > room) return -1;
    if (scan_grow(S, (size_t)h.len ? (size_t)h.len : 1)) return -2;
    r = pread_full(S->fd, S->buf, (size_t)h.len, off + sizeof h);
    if (r < 0) { S->io_err = errno; return -2; }
    if ((uint64_t)r < h.len) return -1;            /* shrank under us */
    if (journal_crc(S->buf, (size_t)h.len) != h.crc) return -1;
    return (int64_t)h.len;
}

static int64_t scan_task(scanner *S, uint64_t off) {
    int64_t len = scan_record(S, off, JOURNAL_TASK);
    if (len < 0) return len;
    if (task_record_check(S->buf, (size_t)len, NULL) != 0) return -1;
    return len;
}

/* next_good for the file: magic compared in a 1 MiB window first.  Returns
 * the offset, S->size for none, or -2 (out of memory / I/O). */
static int64_t scan_next_good(scanner *S, uint64_t off) {
    enum { WIN = 1 << 20 };
    unsigned char *w = malloc(WIN);
    if (!w) return -2;
    int64_t found = (int64_t)S->size;
    for (uint64_t base = off + 8; base + sizeof(rec_hdr) <= S->size && found == (int64_t)S->size; base += WIN) {
        ssize_t r = pread_full(S->fd, w, WIN, base);
        if (r < 0) { S->io_err = errno; found = -2; break; }
        for (size_t k = 0; k + 4 <= (size_t)r && base + k + sizeof(rec_hdr) <= S->size; k += 8) {
            uint32_t m;
            memcpy(&m, w + k, 4);
            if (m != JOURNAL_MAGIC) continue;
            int64_t len = scan_task(S, base + k);
            if (len == -2) { found = -2; break; }
            if (len >= 0) { found = (int64_t)(base + k); break; }
        }
        if (r < WIN) break;
    }
    free(w);
    return found;
}

static int scan_whole_but_bad(scanner *S, uint64_t off) {
    if (S->size - off < sizeof(rec_hdr)) return 0;
    rec_hdr h;
    if (pread_full(S->fd, &h, sizeof h, off) != (ssize_t)sizeof h) return 0;
    uint64_t room = S->size - off - sizeof h;
    return h.magic == JOURNAL_MAGIC && (h.type == JOURNAL_TASK || h.type == JOURNAL_HEAD) && h.zero == 0 &&
           h.len <= room && pad8((size_t)h.len) <= room;
}

static int scan_fail(scanner *S, journal_index *out, rs_err *e) {
    int err = S->io_err;
    journal_index_free(out);
    if (err) return rs_err_set(e, RS_EINTERNAL, "%s: read: %s", S->path, strerror(err));
    return rs_err_set(e, RS_EINTERNAL, "%s: out of memory", S->path);
}

/* read_tasks for the file. */
static int scan_tasks(scanner *S, journal_index *out, uint64_t off, rs_err *e) {
    int cap = 0;
    while (off < S->size) {
        int64_t len = scan_task(S, off);
        if (len == -2) return scan_fail(S, out, e);
        if (len < 0) {
            int64_t next = scan_next_good(S, off);
            if (next == -2) return scan_fail(S, out, e);
            if ((uint64_t)next == S->size) {
                if (scan_whole_but_bad(S, off)) {
                    if (!out->n_damaged++) out->damaged_at = (size_t)off;
                    out->damaged_bytes += (size_t)(S->size - off);
                }
                break;
            }
            if (!out->n_damaged++) out->damaged_at = (size_t)off;
            out->damaged_bytes += (size_t)((uint64_t)next - off);
            off = (uint64_t)next;
            continue;
        }
        if (out->n == cap) {
            int nc = cap ? 2 * cap : 1024;
            journal_entry *r = realloc(out->ent, (size_t)nc * sizeof *r);
            if (!r) return scan_fail(S, out, e);
            out->ent = r;
            cap = nc;
        }
        const task_head *h = (const task_head *)S->buf;   /* v3 heads share these fields */
        uint32_t ver = task_record_version(S->buf, (size_t)len);
        out->ent[out->n++] = (journal_entry){ h->task_key, off + sizeof(rec_hdr), (uint64_t)len, h->status, ver };
        if (ver != TASK_VERSION) out->old_records++;
        if ((size_t)len > out->max_len) out->max_len = (size_t)len;
        if (out->n_damaged) out->kept_after++;
        off += sizeof(rec_hdr) + pad8((size_t)len);
    }
    out->valid_bytes = (size_t)off;
    out->torn_bytes = (size_t)(S->size - off);
    return 0;
}

void journal_index_free(journal_index *ix) {
    if (!ix) return;
    free(ix->ini_text);
    free(ix->ent);
    memset(ix, 0, sizeof *ix);
}

int journal_index_scan(const char *path, journal_index *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    scanner S = { -1, path, 0, NULL, 0, 0 };
    S.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (S.fd < 0) return rs_err_set(e, RS_EINTERNAL, "%s: open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(S.fd, &st) != 0) {
        int err = errno;
        close(S.fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: stat: %s", path, strerror(err));
    }
    S.size = (uint64_t)st.st_size;
    int rc = 0;
    /* the head, as parse_owned checks it */
    int64_t hl = scan_record(&S, 0, JOURNAL_HEAD);
    const char *why = NULL;
    if (hl == -2) { rc = scan_fail(&S, out, e); goto done; }
    if (S.size == 0) why = "empty file";
    else if (hl < 0) why = "bad head record";
    else if ((size_t)hl < sizeof(journal_head)) why = "head record too short";
    if (!why) {
        memcpy(&out->head, S.buf, sizeof out->head);
        if (out->head.ini_len != (uint64_t)hl - sizeof(journal_head)) why = "head record length mismatch";
    }
    if (why) {
        uint32_t m = 0;
        if (S.size >= 4 && pread_full(S.fd, &m, 4, 0) != 4) m = 0;
        int64_t next = scan_next_good(&S, 0);
        if (next == -2) { rc = scan_fail(&S, out, e); goto done; }
        int ours = m == JOURNAL_MAGIC && (uint64_t)next < S.size;
        journal_index_free(out);
        out->head_damaged = ours;
        if (ours)
            rc = rs_err_set(e, RS_EINPUT, "%s: the journal's head record is damaged (%s); its task records "
                            "after it are intact", path, why);
        else rc = rs_err_set(e, RS_EINPUT, "%s: not an rnnsweep journal (%s)", path, why);
        goto done;
    }
    out->head.program[sizeof out->head.program - 1] = 0;
    if (out->head.task_version < TASK_VERSION_OLDEST || out->head.task_version > TASK_VERSION) {
        uint32_t v = out->head.task_version;
        journal_index_free(out);
        rc = rs_err_set(e, RS_EINPUT, "%s: written with task record version %u, this program reads %u..%u", path, v,
                        TASK_VERSION_OLDEST, TASK_VERSION);
        goto done;
    }
    size_t ini_len = (size_t)out->head.ini_len;
    out->ini_text = malloc(ini_len + 1);
    if (!out->ini_text) { rc = scan_fail(&S, out, e); goto done; }
    memcpy(out->ini_text, S.buf + sizeof(journal_head), ini_len);
    out->ini_text[ini_len] = 0;
    rc = scan_tasks(&S, out, sizeof(rec_hdr) + pad8((size_t)hl), e);
done:
    free(S.buf);
    close(S.fd);
    return rc;
}

int journal_index_get(int fd, const char *path, const journal_entry *en, task_buf *out, rs_err *e) {
    if (en->off < sizeof(rec_hdr) || en->len > SIZE_MAX / 2)
        return rs_err_set(e, RS_EINPUT, "%s: a bad index entry (byte %llu)", path, (unsigned long long)en->off);
    rec_hdr h;
    ssize_t r = pread_full(fd, &h, sizeof h, en->off - sizeof h);
    if (r < 0) return rs_err_set(e, RS_EINTERNAL, "%s: read: %s", path, strerror(errno));
    if (r != (ssize_t)sizeof h || h.magic != JOURNAL_MAGIC || h.type != JOURNAL_TASK || h.len != en->len)
        return rs_err_set(e, RS_EINPUT, "%s: the record at byte %llu no longer checks (the journal changed "
                          "since it was indexed)", path, (unsigned long long)(en->off - sizeof h));
    task_buf raw = { 0 }, *dst = en->version == TASK_VERSION ? out : &raw;
    size_t len = (size_t)en->len;
    if (dst->cap < len) {
        unsigned char *p = realloc(dst->p, len ? len : 1);
        if (!p) return rs_err_set(e, RS_EINTERNAL, "%s: out of memory (%zu bytes)", path, len);
        dst->p = p;
        dst->cap = len;
    }
    r = pread_full(fd, dst->p, len, en->off);
    if (r < 0) { task_buf_free(&raw); return rs_err_set(e, RS_EINTERNAL, "%s: read: %s", path, strerror(errno)); }
    dst->len = (size_t)r;
    if ((size_t)r != len || journal_crc(dst->p, len) != h.crc || task_record_check(dst->p, len, NULL)) {
        task_buf_free(&raw);
        return rs_err_set(e, RS_EINPUT, "%s: the record at byte %llu no longer checks (the journal changed "
                          "since it was indexed)", path, (unsigned long long)(en->off - sizeof h));
    }
    if (dst == &raw) {
        int rc = task_upgrade(raw.p, raw.len, out, e);
        task_buf_free(&raw);
        return rc;
    }
    return 0;
}

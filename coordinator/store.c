/* store.c — the record store (see store.h). */
#include "coordinator/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/journal.h"

_Static_assert(sizeof(store_rec) == 40, "store.h states 40 bytes an entry");

int store_find(const store *s, uint64_t key) {
    if (!s->hcap) return -1;
    for (size_t i = rs_hash64(key) & (s->hcap - 1);; i = (i + 1) & (s->hcap - 1)) {
        if (!s->hidx[i]) return -1;
        if (s->hkey[i] == key) return s->hidx[i] - 1;
    }
}

/* Rebuild the table with `cap` slots (a power of two > 2n). */
static int rehash(store *s, size_t cap) {
    uint64_t *k = calloc(cap, sizeof *k);
    int *x = calloc(cap, sizeof *x);
    if (!k || !x) { free(k); free(x); return -1; }
    for (int r = 0; r < s->n; r++) {
        uint64_t key = s->rec[r].key;
        size_t i = rs_hash64(key) & (cap - 1);
        while (x[i]) i = (i + 1) & (cap - 1);
        k[i] = key;
        x[i] = r + 1;
    }
    free(s->hkey);
    free(s->hidx);
    s->hkey = k;
    s->hidx = x;
    s->hcap = cap;
    return 0;
}

/* The slot of key: its index, or a new entry (zeroed, key set, in the
 * table).  Returns the index or -1 (out of memory: nothing changed). */
static int slot_of(store *s, uint64_t key) {
    int at = store_find(s, key);
    if (at >= 0) return at;
    /* grow the table first, so a failure leaves the store as it was */
    if ((size_t)(s->n + 1) * 2 > s->hcap && rehash(s, s->hcap ? s->hcap * 4 : 1024)) return -1;
    if (s->n == s->cap) {
        int nc = s->cap ? 2 * s->cap : 256;
        store_rec *r = realloc(s->rec, (size_t)nc * sizeof *r);
        if (!r) return -1;
        s->rec = r;
        s->cap = nc;
    }
    at = s->n;
    memset(&s->rec[at], 0, sizeof s->rec[at]);
    s->rec[at].key = key;
    size_t i = rs_hash64(key) & (s->hcap - 1);
    while (s->hidx[i]) i = (i + 1) & (s->hcap - 1);
    s->hkey[i] = key;
    s->hidx[i] = ++s->n;
    return at;
}

int store_put(store *s, const void *buf, size_t len) {
    const task_head *h = buf;
    unsigned char *p = malloc(len ? len : 1);
    if (!p) return -1;
    memcpy(p, buf, len);
    int at = slot_of(s, h->task_key);
    if (at < 0) { free(p); return -1; }
    store_rec *r = &s->rec[at];
    free(r->p);
    *r = (store_rec){ h->task_key, 0, (uint64_t)len, h->status, 0, p };
    return 0;
}

int store_put_ref(store *s, uint64_t key, int status, uint64_t off, size_t len) {
    int at = slot_of(s, key);
    if (at < 0) return -1;
    store_rec *r = &s->rec[at];
    free(r->p);
    *r = (store_rec){ key, off, (uint64_t)len, status, 0, NULL };
    return 0;
}

int store_attach(store *s, const char *path, rs_err *e) {
    if (s->fd1) close(s->fd1 - 1);
    free(s->jpath);
    s->fd1 = 0;
    s->jpath = strdup(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || !s->jpath) {
        int err = errno;
        if (fd >= 0) close(fd);
        return rs_err_set(e, RS_EINTERNAL, "%s: open: %s", path, strerror(err));
    }
    s->fd1 = fd + 1;
    return 0;
}

int store_get(const store *s, int i, task_buf *buf, task_view *v, rs_err *e) {
    const store_rec *r = &s->rec[i];
    if (r->p) return task_view_parse(r->p, (size_t)r->len, v, e);
    if (!s->fd1) return rs_err_set(e, RS_EINTERNAL, "task %016llx: its journal is not open", (unsigned long long)r->key);
    journal_entry en = { r->key, r->off, r->len, r->status, TASK_VERSION };
    int rc = journal_index_get(s->fd1 - 1, s->jpath, &en, buf, e);
    if (rc) return rc;
    return task_view_parse(buf->p, buf->len, v, e);
}

/* pread n bytes at off, all or nothing. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (unsigned char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

int store_get_rows(const store *s, int i, task_buf *buf, task_view *v, rs_err *e) {
    const store_rec *r = &s->rec[i];
    memset(v, 0, sizeof *v);
    const unsigned char *p = r->p;
    if (!p) {
        if (!s->fd1) return rs_err_set(e, RS_EINTERNAL, "task %016llx: its journal is not open", (unsigned long long)r->key);
        size_t want = sizeof(task_head);
        for (int pass = 0; pass < 2; pass++) {      /* the head, then head + rows */
            if (want > r->len) return rs_err_set(e, RS_EINPUT, "%s: task %016llx: record shorter than its rows",
                                                 s->jpath, (unsigned long long)r->key);
            if (buf->cap < want) {
                unsigned char *q = realloc(buf->p, want);
                if (!q) return rs_err_set(e, RS_EINTERNAL, "out of memory");
                buf->p = q;
                buf->cap = want;
            }
            if (pread_all(s->fd1 - 1, buf->p, want, r->off))
                return rs_err_set(e, RS_EINTERNAL, "%s: read: %s", s->jpath, errno ? strerror(errno) : "short");
            buf->len = want;
            const task_head *h = (const task_head *)buf->p;
            if (!pass) want = sizeof(task_head) + (h->n_strat > 0 ? (size_t)h->n_strat : 0) * sizeof(task_row);
        }
        p = buf->p;
    }
    const task_head *h = (const task_head *)p;
    if (h->magic != TASK_MAGIC || h->version != TASK_VERSION || h->task_key != r->key || h->n_strat < 0 ||
        h->n_strat > TASK_MAX_STRAT || task_packed_size_of(h) != r->len)
        return rs_err_set(e, RS_EINPUT, "task %016llx: its record's head does not check", (unsigned long long)r->key);
    v->h = h;
    v->rows = (const task_row *)(p + sizeof(task_head));
    v->bytes = (size_t)r->len;
    return 0;
}

int store_count(const store *s, int status) {
    int k = 0;
    for (int i = 0; i < s->n; i++) k += s->rec[i].status == status;
    return k;
}

int store_all_copies(const store *s) {
    for (int i = 0; i < s->n; i++)
        if (!s->rec[i].p) return 0;
    return 1;
}

void store_free(store *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->rec[i].p);
    free(s->rec);
    free(s->hkey);
    free(s->hidx);
    if (s->fd1) close(s->fd1 - 1);
    free(s->jpath);
    memset(s, 0, sizeof *s);
}

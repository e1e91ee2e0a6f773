/* store.c — the record store (see store.h). */
#include "coordinator/store.h"

#include <stdlib.h>
#include <string.h>

static uint64_t key_of(const void *rec) { return ((const task_head *)rec)->task_key; }

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
        uint64_t key = key_of(s->rec[r].p);
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

int store_put(store *s, const void *buf, size_t len) {
    uint64_t key = key_of(buf);
    int at = store_find(s, key), fresh = at < 0;
    if (fresh) {
        /* grow the table first, so a failure leaves the store as it was */
        if ((size_t)(s->n + 1) * 2 > s->hcap && rehash(s, s->hcap ? s->hcap * 4 : 1024)) return -1;
        if (s->n == s->cap) {
            int nc = s->cap ? 2 * s->cap : 256;
            task_buf *r = realloc(s->rec, (size_t)nc * sizeof *r);
            if (!r) return -1;
            memset(r + s->cap, 0, (size_t)(nc - s->cap) * sizeof *r);
            s->rec = r;
            s->cap = nc;
        }
        at = s->n;
    }
    task_buf *b = &s->rec[at];
    if (b->cap < len) {
        void *p = realloc(b->p, len);
        if (!p) return -1;
        b->p = p;
        b->cap = len;
    }
    memcpy(b->p, buf, len);
    b->len = len;
    if (fresh) {
        size_t i = rs_hash64(key) & (s->hcap - 1);
        while (s->hidx[i]) i = (i + 1) & (s->hcap - 1);
        s->hkey[i] = key;
        s->hidx[i] = ++s->n;
    }
    return 0;
}

int store_count(const store *s, int status) {
    int k = 0;
    for (int i = 0; i < s->n; i++) k += ((const task_head *)s->rec[i].p)->status == status;
    return k;
}

int store_views(const store *s, task_view **v) {
    *v = malloc((size_t)(s->n ? s->n : 1) * sizeof **v);
    if (!*v) return -1;
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if (!task_view_parse(s->rec[i].p, s->rec[i].len, &(*v)[n], NULL)) n++;
    return n;
}

void store_free(store *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) task_buf_free(&s->rec[i]);
    free(s->rec);
    free(s->hkey);
    free(s->hidx);
    memset(s, 0, sizeof *s);
}

/* util.c — see util.h for the contracts. */
#include "worker/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int rs_err_set(rs_err *e, int status, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = status;
    }
    return status;
}

void rs_err_clear(rs_err *e) {
    if (e) { e->status = RS_OK; e->msg[0] = '\0'; }
}

uint64_t rs_hash64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t rs_hash2(uint64_t a, uint64_t b) {
    return rs_hash64(rs_hash64(a) ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2)));
}

uint64_t rs_hash_bytes(const void *p, size_t n, uint64_t seed) {
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ rs_hash64(seed);
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ULL; }
    return rs_hash64(h);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rs_rng_seed(rs_rng *r, uint64_t seed) {
    /* SplitMix64 fills the state; it never yields the all-zero state. */
    uint64_t z = seed;
    for (int i = 0; i < 4; i++) { z += 0x9e3779b97f4a7c15ULL; r->s[i] = rs_hash64(z); }
}

uint64_t rs_rng_next(rs_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;    s[3] = rotl(s[3], 45);
    return out;
}

double rs_rng_uniform(rs_rng *r) { return rs_u01(rs_rng_next(r)); }

double rs_rng_normal(rs_rng *r) {
    /* Box-Muller without caching the second value: keeps the stream's state
     * a pure function of the number of calls, which resume logic relies on. */
    double u1 = rs_rng_uniform(r), u2 = rs_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint32_t rs_rng_below(rs_rng *r, uint32_t n) {
    /* Lemire's multiply-shift; the bias (< n / 2^32) is irrelevant here. */
    return (uint32_t)(((rs_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

void rs_shuffle_int(rs_rng *r, int *a, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rs_rng_below(r, (uint32_t)i + 1);
        int t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

double rs_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- names of enum codes --------------------------------------------------- */

const char *rs_enum_name(const rs_enum *t, int code) {
    for (; t->name; t++)
        if (t->code == code) return t->name;
    return "?";
}

int rs_enum_code(const rs_enum *t, const char *s, size_t n, int *code) {
    for (; t->name; t++)
        if (strlen(t->name) == n && !strncasecmp(t->name, s, n)) { *code = t->code; return 0; }
    return -1;
}

char *rs_enum_list(const rs_enum *t, char *buf, size_t n) {
    size_t k = 0;
    if (n) buf[0] = 0;
    for (const rs_enum *p = t; p->name && k < n; p++) {
        int alias = 0;             /* a second name of a code: accepted, not advertised */
        for (const rs_enum *q = t; q < p; q++) alias |= q->code == p->code;
        if (!alias) {
            int w = snprintf(buf + k, n - k, "%s%s", k ? ", " : "", p->name);
            if (w > 0) k += (size_t)w;
        }
    }
    return buf;
}

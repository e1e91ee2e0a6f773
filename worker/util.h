/*
 * util.h — the small things every worker module shares: error reports,
 * a deterministic random stream, a clock.
 *
 * Errors. A function that can fail on bad input takes an `rs_err *` (which
 * may be NULL) and returns non-zero on failure after filling it.  `status`
 * follows the program's exit-status rules so a command can pass it straight
 * to exit(): RS_EINPUT (2) for bad input — a config, a data file, a command
 * line — and RS_EINTERNAL (1) for everything else (out of memory, I/O).
 * The message is one line naming the file/line/key and what was expected.
 *
 * Randomness. rnnsweep never uses rand() or time-seeded streams: every random
 * number comes from an rs_rng seeded from a task key, or from rs_hash64 of a
 * (seed, counter) pair.  The hash form is what makes dropout masks identical
 * whatever the number of OpenMP threads: element i's draw depends on i, not
 * on which thread reached it first.
 */
#ifndef RS_UTIL_H
#define RS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define RS_OK        0
#define RS_EINTERNAL 1   /* out of memory, I/O failure, a bug            */
#define RS_EINPUT    2   /* bad config / data / command line: exit(2)     */
#define RS_EDRAIN   75   /* stopped early by a drain (SIGTERM, SIGINT,
                            SIGUSR1): nothing lost, resumable; exit(75),
                            EX_TEMPFAIL, which job scripts requeue on     */

#define RS_ERRLEN 512

typedef struct {
    int  status;               /* RS_OK, RS_EINPUT, RS_EINTERNAL, RS_EDRAIN */
    char msg[RS_ERRLEN];       /* one line, no trailing newline          */
} rs_err;

/* Fill *e (when e != NULL) with status and a printf-formatted message.
 * Returns `status`, so callers can write `return rs_err_set(e, 2, ...)`. */
int rs_err_set(rs_err *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset *e to RS_OK with an empty message (e may be NULL). */
void rs_err_clear(rs_err *e);

/* ---- deterministic randomness ---------------------------------------- */

/* SplitMix64 finaliser: a strong 64-bit mix.  Pure function. */
uint64_t rs_hash64(uint64_t x);

/* Mix two words into one (order matters).  Used to derive sub-streams:
 * rs_hash2(task_key, "dropout"), rs_hash2(seed, epoch)...               */
uint64_t rs_hash2(uint64_t a, uint64_t b);

/* FNV-1a over bytes, then mixed: stable across platforms and runs. */
uint64_t rs_hash_bytes(const void *p, size_t n, uint64_t seed);

/* Uniform double in [0,1) from a hash word (53 random bits). */
static inline double rs_u01(uint64_t h) { return (double)(h >> 11) * 0x1.0p-53; }

/* xoshiro256** stream: fast, 2^256 period, seeded through SplitMix64. */
typedef struct { uint64_t s[4]; } rs_rng;

void     rs_rng_seed(rs_rng *r, uint64_t seed);
uint64_t rs_rng_next(rs_rng *r);
double   rs_rng_uniform(rs_rng *r);              /* [0,1)                 */
double   rs_rng_normal(rs_rng *r);               /* N(0,1), Box-Muller    */
uint32_t rs_rng_below(rs_rng *r, uint32_t n);    /* uniform in [0,n), n>0 */

/* Fisher-Yates shuffle of an int array with the given stream. */
void rs_shuffle_int(rs_rng *r, int *a, int n);

/* ---- names of enum codes -------------------------------------------------- */

/* A table of names for integer codes, ending in {NULL, 0}.  A code may
 * have several names (aliases): the first one listed is its name. */
typedef struct {
    const char *name;
    int         code;
} rs_enum;

/* The (first) name of `code`, or "?" when the table has none. */
const char *rs_enum_name(const rs_enum *t, int code);

/* The code named by the n bytes at s, case-insensitively.  Returns 0 and
 * *code, or -1 when no name matches. */
int rs_enum_code(const rs_enum *t, const char *s, size_t n, int *code);

/* "a, b, c": the names (aliases left out) into buf[n]; returns buf. */
char *rs_enum_list(const rs_enum *t, char *buf, size_t n);

/* ---- clock -------------------------------------------------------------- */

/* Monotonic wall clock in seconds. */
double rs_now(void);

#endif /* RS_UTIL_H */

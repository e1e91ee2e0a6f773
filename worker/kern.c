/*
 * kern.c — the engine's float32 GEMM kernels (see kern.h for the contract and
 * the accumulation order every path keeps).
 *
 * Contents:
 *   path selection    names, CPU checks, RS_KERNEL, kern_force
 *   avx512            8 x 32 register tiles, masked N tail
 *   avx2              6 x 16 register tiles, masked N tail
 *   base              scalar fmaf rows
 *   entry points      kern_gemm, kern_pack_t
 *
 * Loop order of the vector paths (GotoBLAS without packing A; B arrives
 * k-major, packed once per batch by the caller where it was not already):
 *   for each K block (KC2/KC5)  the chain is stored to C and reloaded
 *     for each M block of MC    A block stays in L2 across the N panels
 *       for each N panel (NR)   B panel [KC x NR] stays in L1 across M tiles
 *         for each M tile (MR)  MR x NR accumulators in registers
 * None of this changes an element's FMA sequence: only which registers
 * hold it and when it is parked in memory.
 */
#include "worker/kern.h"

#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define KERN_X86 1
#else
#define KERN_X86 0
#endif

/* The emulated AVX-512 build (tests only; see "avx512" below): the AVX-512
 * driver is compiled for AVX2 + FMA, whose instructions the emulation is
 * made of, and "avx512" is available wherever AVX2 is. */
#ifdef KERN_EMU512
#if !KERN_X86
#error "KERN_EMU512 emulates the x86-64 AVX-512 path"
#endif
#undef KERN_TARGET_AVX512
#define KERN_TARGET_AVX512 KERN_TARGET_AVX2
#define EMU512 1
#else
#define EMU512 0
#endif

/* K blocks.  Longer blocks mean fewer passes of C through the caches: the
 * whole-sequence products (K = T*b up to 6400) park and reload C once per
 * block.  AVX2 (NR 16): 512, a 32 KB panel — this whole L1 on the Zen 3
 * class VM it was tuned on, yet faster than 256 there: in-engine, 2xLSTM(300)
 * T100, the weight gradients 67 -> 72 GFLOP/s and the steps 76 -> 81 (two
 * runs each; 384 in between).  AVX-512 (NR 32) stays at 256 x 32 = 32 KB,
 * untuned: no AVX-512 CPU was at hand.  The block length never changes a
 * value (the chain is parked in C exactly). */
#define KC5 256
#define KC2 512
#define MC 96       /* M block: multiple of both MRs (6 and 8)            */
/* Prefetch the next C tile when C has several M blocks and is this wide
 * (or the chains start from C: prefetch_next_c). */
#define PF_MIN_N 128

/* ---- path selection ------------------------------------------------------ */

static const char *NAMES[KERN_N_PATHS] = { "base", "avx2", "avx512", "blas" };

const char *kern_name(kern_path p) {
    return (unsigned)p < KERN_N_PATHS ? NAMES[p] : "?";
}

int kern_parse(const char *s, kern_path *out) {
    for (int i = 0; i < KERN_N_PATHS; i++)
        if (!strcmp(s, NAMES[i])) { *out = (kern_path)i; return 0; }
    return -1;
}

int kern_cpu_has(kern_path p) {
    switch (p) {
    case KERN_BASE: case KERN_BLAS: return 1;
#if KERN_X86
    case KERN_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case KERN_AVX512:
        __builtin_cpu_init();
        if (EMU512) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

kern_path kern_best(void) {
    if (kern_cpu_has(KERN_AVX512)) return KERN_AVX512;
    if (kern_cpu_has(KERN_AVX2)) return KERN_AVX2;
    return KERN_BASE;
}

static const char *MISSING[KERN_N_PATHS] = {
    "", "avx2 and fma", "avx512f, avx512vl, avx512bw, avx512dq, avx2 and fma", ""
};

int kern_from_env(kern_path *out, rs_err *e) {
    const char *v = getenv("RS_KERNEL");
    if (!v || !*v) { *out = kern_best(); return RS_OK; }
    kern_path p;
    if (kern_parse(v, &p))
        return rs_err_set(e, RS_EINPUT, "RS_KERNEL=%.64s: expected avx512, avx2, base, blas or unset", v);
    if (!kern_cpu_has(p))
        return rs_err_set(e, RS_EINPUT, "RS_KERNEL=%s: needs %s, which this CPU does not all have", v, MISSING[p]);
    *out = p;
    return RS_OK;
}

/* -1 until resolved.  Atomic: OpenMP threads may reach kern_active together;
 * every resolution of the same environment gives the same answer. */
static _Atomic int g_path = -1;

kern_path kern_active(void) {
    int p = atomic_load_explicit(&g_path, memory_order_relaxed);
    if (p >= 0) return (kern_path)p;
    kern_path r = KERN_BASE;
    rs_err e;
    if (kern_from_env(&r, &e)) {
        fprintf(stderr, "rnnsweep: %s\n", e.msg);
        exit(RS_EINPUT);
    }
    atomic_store(&g_path, (int)r);
    return r;
}

int kern_force(kern_path p, rs_err *e) {
    if ((unsigned)p >= KERN_N_PATHS)
        return rs_err_set(e, RS_EINPUT, "kernel path %d: expected avx512, avx2, base or blas", (int)p);
    if (!kern_cpu_has(p))
        return rs_err_set(e, RS_EINPUT, "kernel path %s: needs %s, which this CPU does not all have", kern_name(p), MISSING[p]);
    atomic_store(&g_path, (int)p);
    return RS_OK;
}

kern_path kern_isa(void) {
    kern_path p = kern_active();
    if (p == KERN_BLAS) p = kern_best();
    /* Emulated AVX-512: rnn.c's gate-pass clones are real machine code, so
     * they take the AVX2 clone (the same bytes by their own contract). */
    return EMU512 && p == KERN_AVX512 ? KERN_AVX2 : p;
}

int kern_emulated(kern_path p) { return EMU512 && p == KERN_AVX512; }

char *kern_arith_class(const char *blas, char *out, size_t n) {
    if (!n) return out;
    out[0] = 0;
    if (!blas || !*blas) return out;
    if (strncmp(blas, "kern=", 5)) {                  /* before the own kernels */
        snprintf(out, n, "OpenBLAS %s", blas);
        return out;
    }
    /* "kern=PATH", then " aN" (tagged) or not, then " CORE". */
    char path[16] = "", tag[16] = "";
    const char *q = blas + 5;
    size_t k = strcspn(q, " ");
    snprintf(path, sizeof path, "%.*s", (int)(k < sizeof path ? k : sizeof path - 1), q);
    q += k;
    while (*q == ' ') q++;
    const char *core = q;
    if (q[0] == 'a' && q[1] >= '0' && q[1] <= '9') {
        k = strcspn(q, " ");
        snprintf(tag, sizeof tag, "%.*s", (int)(k < sizeof tag ? k : sizeof tag - 1), q);
        core = q + k;
        while (*core == ' ') core++;
    }
    kern_path p;
    if (!kern_parse(path, &p) && p == KERN_BLAS) snprintf(out, n, "OpenBLAS %s", core);
    else if (tag[0]) snprintf(out, n, "own kernels %s", tag);
    else snprintf(out, n, "own kernels, untagged");
    return out;
}

#if KERN_X86
/* B block [kc x nw] (row stride ldb) into a dense panel [kc x nr], columns
 * nw..nr-1 zero: the tiles then read one contiguous, aligned stream (no TLB
 * walk per k row of a wide B) and need no mask for B.  Padding lanes compute
 * chains nobody stores.  Plain copies: the same bytes on every path. */
static inline void pack_panel(int kc, int nw, int nr, const float *B, long ldb, float *bp) {
    for (int k = 0; k < kc; k++) {
        const float *b = B + k * ldb;
        float *d = bp + (long)k * nr;
        if (nw == nr) { memcpy(d, b, sizeof(float) * (size_t)nr); continue; }   /* vector moves */
        int n = 0;
        for (; n < nw; n++) d[n] = b[n];
        for (; n < nr; n++) d[n] = 0.0f;
    }
}

/* A block rows [0, mc) x k [0, kc) (A(m,k) = A[m*ars + k*acs]) into
 * micro-panels of mr rows: panel t holds rows t*mr.. as ap[t*mr*kc + k*mr + i]
 * (rows past mc are not read).  Broadcasts then come from one contiguous
 * stream whatever A's strides (row-major or transposed).
 * Transposed A (ars = 1: the weight gradients' gate gradients, row k of
 * [T*b x GH]) is read k outer, each row's mc floats at once: panel by panel
 * it was a walk down kc rows GH floats apart once per panel — a cache line
 * and, at H = 300, a page per k.  In isolation 600x300x1216 (GRU 1x300's
 * dW_hh) 45-52 -> 48-71 GFLOP/s, 1200x300x1216 (LSTM) 35-52 -> 62-66
 * (three interleaved runs each).  Narrow products (N <= 64) still read A
 * in place: packed this way they measured no better. */
static inline void pack_a(int mc, int kc, int mr, const float *A, long ars, long acs, float *ap) {
    if (acs != 1 && ars == 1) {
        const int full = mc / mr;
        for (int k = 0; k < kc; k++) {
            const float *a = A + k * acs;
            for (int t = 0; t < full; t++)
                for (int i = 0; i < mr; i++) ap[(long)t * mr * kc + k * mr + i] = a[t * mr + i];
            for (int i = 0; full * mr + i < mc; i++) ap[(long)full * mr * kc + k * mr + i] = a[full * mr + i];
        }
        return;
    }
    for (int t = 0; t * mr < mc; t++) {
        const int rows = mc - t * mr < mr ? mc - t * mr : mr;
        float *d = ap + (long)t * mr * kc;
        const float *a = A + (long)t * mr * ars;
        if (acs == 1)
            for (int i = 0; i < rows; i++)
                for (int k = 0; k < kc; k++) d[k * mr + i] = a[i * ars + k];
        else
            for (int k = 0; k < kc; k++)
                for (int i = 0; i < rows; i++) d[k * mr + i] = a[i * ars + k * acs];
    }
}

/* The C tile the next register tile will load and store (rows i0.., w
 * floats from column n0: at most 3 cache lines a row) is asked for now, so
 * its misses overlap this tile's FMAs instead of stalling the next tile's
 * first loads.  Used where C streams through L3: several M blocks and a C
 * of N >= PF_MIN_N (the 2000³ product gained 12-21 %), and wherever the
 * chain starts from C (acc: the recurrent step adding to gates the input
 * projection wrote long before).  A hint: no effect on values. */
static inline __attribute__((always_inline)) void prefetch_next_c(const float *C, long ldc, int i0, int n0,
                                                                  int m1, int N, int mr, int w) {
    if (n0 >= N) return;
    const int rows = m1 - i0 < mr ? m1 - i0 : mr;
    for (int i = 0; i < rows; i++) {
        const char *p = (const char *)(C + (long)(i0 + i) * ldc + n0);
        _mm_prefetch(p, _MM_HINT_T0);
        if (w > 16) _mm_prefetch(p + 64, _MM_HINT_T0);
        _mm_prefetch(p + 4 * w - 4, _MM_HINT_T0);
    }
}

/* ---- avx512 ----------------------------------------------------------------
 * Tile: up to 8 rows x 2 vectors of 16.  `tail` marks the last vector as
 * partial (mask mk); masked-off lanes load 0 and are never stored.
 *
 * The driver and tile reach the seven AVX-512 operations through the v5_*
 * names below.  A normal build maps them to the intrinsics.  A build with
 * -DKERN_EMU512 (the test binary test_kern_emu512, never the product) maps
 * them to pairs of AVX2 operations (a 16-lane fused multiply-add is two
 * 8-lane ones: one rounding per lane, round-to-nearest-even) and the masked
 * forms to per-lane C: masked-off lanes are neither read nor written, as
 * the masked instructions promise.
 * So the AVX-512 driver's blocking, packing, tails and masks run, and are
 * checked bit for bit, on a CPU without AVX-512; what emulation cannot check
 * is GCC's code generation for the intrinsics and the hardware itself. */

#define INL static inline __attribute__((always_inline))

#ifndef KERN_EMU512
typedef __m512 v5;
typedef __mmask16 v5mask;
#define v5_zero()            _mm512_setzero_ps()
#define v5_set1(x)           _mm512_set1_ps(x)
#define v5_load(p)           _mm512_loadu_ps(p)
#define v5_loadz(m, p)       _mm512_maskz_loadu_ps(m, p)
#define v5_store(p, v)       _mm512_storeu_ps(p, v)
#define v5_storem(p, m, v)   _mm512_mask_storeu_ps(p, m, v)
#define v5_fmadd(a, b, c)    _mm512_fmadd_ps(a, b, c)
#else
/* Two AVX2 halves: vfmadd231ps on 8 lanes is the same per-lane fused
 * multiply-add as on 16.  The masked forms are per-lane C, so a sanitizer
 * sees every lane they touch and none they skip. */
typedef struct { __m256 lo, hi; } v5;
typedef uint16_t v5mask;
KERN_TARGET_AVX512 INL v5 v5_zero(void) { v5 r = { _mm256_setzero_ps(), _mm256_setzero_ps() }; return r; }
KERN_TARGET_AVX512 INL v5 v5_set1(float x) { v5 r = { _mm256_set1_ps(x), _mm256_set1_ps(x) }; return r; }
KERN_TARGET_AVX512 INL v5 v5_load(const float *p) { v5 r = { _mm256_loadu_ps(p), _mm256_loadu_ps(p + 8) }; return r; }
KERN_TARGET_AVX512 INL void v5_store(float *p, v5 v) { _mm256_storeu_ps(p, v.lo); _mm256_storeu_ps(p + 8, v.hi); }
KERN_TARGET_AVX512 INL v5 v5_fmadd(v5 a, v5 b, v5 c) {
    v5 r = { _mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi) };
    return r;
}
KERN_TARGET_AVX512 INL v5 v5_loadz(v5mask m, const float *p) {
    _Alignas(32) float f[16];
    for (int i = 0; i < 16; i++) f[i] = (m >> i) & 1 ? p[i] : 0.0f;
    return v5_load(f);
}
KERN_TARGET_AVX512 INL void v5_storem(float *p, v5mask m, v5 v) {
    _Alignas(32) float f[16];
    v5_store(f, v);
    for (int i = 0; i < 16; i++) if ((m >> i) & 1) p[i] = f[i];
}
#endif

KERN_TARGET_AVX512 INL void tile512(int mr, int nv, int tail, v5mask mk, int K,
                                   const float *A, long ars, long acs, const float *B, long ldb,
                                   const float *I, long ild, float *C, long ldc, int ld) {
    v5 c[8][2];
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++) {
            const float *p = I + i * ild + 16 * j;
            c[i][j] = !ld ? v5_zero()
                    : (tail && j == nv - 1) ? v5_loadz(mk, p) : v5_load(p);
        }
    _Pragma("GCC unroll 4") for (int k = 0; k < K; k++) {
        const float *b = B + k * ldb, *a = A + k * acs;
        v5 bv[2];
        _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++)
            bv[j] = v5_load(b + 16 * j);       /* panel, or B in place   */
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {
            v5 av = v5_set1(a[i * ars]);
            _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++) c[i][j] = v5_fmadd(av, bv[j], c[i][j]);
        }
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++) {
            float *p = C + i * ldc + 16 * j;
            if (tail && j == nv - 1) v5_storem(p, mk, c[i][j]);
            else v5_store(p, c[i][j]);
        }
}

KERN_TARGET_AVX512 static void gemm512(int M, int N, int K, const float *A, long ars, long acs,
                                     const float *B, long ldb, const float *Bpk, long pstride,
                                     const float *bias, float *C, long ldc, int acc) {
    _Alignas(64) float bp[KC5 * 32];                 /* one packed B panel   */
    _Alignas(64) float ap[MC * KC5];                 /* one packed A block   */
    /* Packing A pays when the block is reused across several N panels; for
     * a narrow C (the backward dh at small H) it would cost as much as the
     * product, and the tiles read A in place.  Row-major A (acs = 1) is read
     * in place at every width: on the first AVX-512 CPU measured (Zen 5,
     * 1 thread), eight rows streaming in k ran faster than the scalar
     * transposing pack, which cost 10-20 % of a product with few N panels:
     * dx 6400x300x1200 137-147 -> 205 GFLOP/s, 2000^3 196-204 -> 217,
     * whole 2xLSTM(300) T20 training +7.5 % (medians of 3 interleaved).
     * Transposed A (the weight gradients) is still packed. */
    const int pa = N > 128 && acs != 1;
    /* Equal K blocks (300 = 150 + 150, not 256 + 44): fewer short tiles. */
    const int nkb = (K + KC5 - 1) / KC5, kstep = (K + nkb - 1) / nkb;
    const int np = (N + 32 - 1) / 32;
    /* Several M blocks re-read each B panel: pack the K block of B once
     * (heap; per panel on the stack if that fails or M is one block). */
    float *bblk = !Bpk && M > MC ? aligned_alloc(64, sizeof(float) * (size_t)kstep * np * 32) : NULL;
    /* One M tile: each B panel is read once, so packing it would copy as
     * many floats as the product reads (dW_ih's Cᵀ = xᵀ·dG, M = D rows).
     * Full panels are then read in place; only a partial last panel is
     * packed (zero padded: no masked B loads). */
    const int inplace = !Bpk && M <= 8;
    const int pf = (M > MC && N >= PF_MIN_N) || acc;
    for (int k0 = 0; k0 < K; k0 += kstep) {
        const int kc = K - k0 < kstep ? K - k0 : kstep, ld = acc || k0 > 0 || bias;
        /* Where each chain's init comes from: C itself, or the bias row
         * (row stride 0) on the first K block. */
        const int ib = !(acc || k0 > 0) && bias;
        if (bblk)
            for (int j = 0; j < np; j++) {
                const int n0 = j * 32, nw = N - n0 < 32 ? N - n0 : 32;
                pack_panel(kc, nw, 32, B + (long)k0 * ldb + n0, ldb, bblk + (long)j * kc * 32);
            }
        for (int m0 = 0; m0 < M; m0 += MC) {
            const int m1 = M - m0 < MC ? M : m0 + MC;
            if (pa) pack_a(m1 - m0, kc, 8, A + m0 * ars + (long)k0 * acs, ars, acs, ap);
            for (int n0 = 0; n0 < N; n0 += 32) {
                const int nw = N - n0 < 32 ? N - n0 : 32, nv = (nw + 15) / 16;
                const int rem = nw - 16 * (nv - 1), tail = rem < 16;
                const v5mask mk = (v5mask)((1u << rem) - 1u);
                const float *Bp;
                long bl = 32;
                if (Bpk) Bp = Bpk + (long)(n0 / 32) * pstride + (long)k0 * 32;
                else if (bblk) Bp = bblk + (long)(n0 / 32) * kc * 32;
                else if (inplace && nw == 32) { Bp = B + (long)k0 * ldb + n0; bl = ldb; }
                else { pack_panel(kc, nw, 32, B + (long)k0 * ldb + n0, ldb, bp); Bp = bp; }
                for (int i0 = m0; i0 < m1; i0 += 8) {
                    const int mr = m1 - i0 < 8 ? m1 - i0 : 8;
                    const float *Ap = pa ? ap + (long)(i0 - m0) * kc : A + i0 * ars + (long)k0 * acs;
                    float *Cp = C + i0 * ldc + n0;
                    if (pf) prefetch_next_c(C, ldc, i0 + 8 < m1 ? i0 + 8 : m0, i0 + 8 < m1 ? n0 : n0 + 32, m1, N, 8, 32);
#define T512(R, V, TL) do { if (pa) tile512(R, V, TL, mk, kc, Ap, 1, 8, Bp, bl, ib ? bias + n0 : Cp, ib ? 0 : ldc, Cp, ldc, ld); \
                    else tile512(R, V, TL, mk, kc, Ap, ars, acs, Bp, bl, ib ? bias + n0 : Cp, ib ? 0 : ldc, Cp, ldc, ld); } while (0)
#define C512(R) case R: \
                    if (nv == 2) { if (tail) T512(R, 2, 1); else T512(R, 2, 0); } \
                    else { if (tail) T512(R, 1, 1); else T512(R, 1, 0); } break;
                    switch (mr) { C512(1) C512(2) C512(3) C512(4) C512(5) C512(6) C512(7) C512(8) }
#undef C512
#undef T512
                }
            }
        }
    }
    free(bblk);
}

/* ---- avx2 ------------------------------------------------------------------
 * Tile: up to 6 rows x 2 vectors of 8 (12 accumulators, 2 B vectors and a
 * broadcast: 15 of the 16 ymm registers). */

KERN_TARGET_AVX2 INL void tile256(int mr, int nv, int tail, __m256i mk, int K,
                                 const float *A, long ars, long acs, const float *B, long ldb,
                                 const float *I, long ild, float *C, long ldc, int ld) {
    __m256 c[6][2];
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++) {
            const float *p = I + i * ild + 8 * j;
            c[i][j] = !ld ? _mm256_setzero_ps()
                    : (tail && j == nv - 1) ? _mm256_maskload_ps(p, mk) : _mm256_loadu_ps(p);
        }
    _Pragma("GCC unroll 4") for (int k = 0; k < K; k++) {
        const float *b = B + k * ldb, *a = A + k * acs;
        __m256 bv[2];
        _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++)
            bv[j] = _mm256_loadu_ps(b + 8 * j);        /* panel, or B in place   */
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * ars);
            _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++) c[i][j] = _mm256_fmadd_ps(av, bv[j], c[i][j]);
        }
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 2") for (int j = 0; j < nv; j++) {
            float *p = C + i * ldc + 8 * j;
            if (tail && j == nv - 1) _mm256_maskstore_ps(p, mk, c[i][j]);
            else _mm256_storeu_ps(p, c[i][j]);
        }
}

KERN_TARGET_AVX2 static void gemm256(int M, int N, int K, const float *A, long ars, long acs,
                                     const float *B, long ldb, const float *Bpk, long pstride,
                                     const float *bias, float *C, long ldc, int acc) {
    _Alignas(64) float bp[KC2 * 16];                 /* one packed B panel   */
    _Alignas(64) float ap[MC * KC2];                 /* one packed A block   */
    /* Packing A pays when the block is reused across several N panels; for
     * a narrow C (the backward dh at small H) it would cost as much as the
     * product, and the tiles read A in place. */
    const int pa = N > 64;
    /* Equal K blocks (300 = 150 + 150, not 256 + 44): fewer short tiles. */
    const int nkb = (K + KC2 - 1) / KC2, kstep = (K + nkb - 1) / nkb;
    const int np = (N + 16 - 1) / 16;
    /* Several M blocks re-read each B panel: pack the K block of B once
     * (heap; per panel on the stack if that fails or M is one block). */
    float *bblk = !Bpk && M > MC ? aligned_alloc(64, sizeof(float) * (size_t)kstep * np * 16) : NULL;
    /* One M tile: each B panel is read once, so packing it would copy as
     * many floats as the product reads (dW_ih's Cᵀ = xᵀ·dG, M = D rows).
     * Full panels are then read in place; only a partial last panel is
     * packed (zero padded: no masked B loads). */
    const int inplace = !Bpk && M <= 6;
    const int pf = (M > MC && N >= PF_MIN_N) || acc;
    for (int k0 = 0; k0 < K; k0 += kstep) {
        const int kc = K - k0 < kstep ? K - k0 : kstep, ld = acc || k0 > 0 || bias;
        /* Where each chain's init comes from: C itself, or the bias row
         * (row stride 0) on the first K block. */
        const int ib = !(acc || k0 > 0) && bias;
        if (bblk)
            for (int j = 0; j < np; j++) {
                const int n0 = j * 16, nw = N - n0 < 16 ? N - n0 : 16;
                pack_panel(kc, nw, 16, B + (long)k0 * ldb + n0, ldb, bblk + (long)j * kc * 16);
            }
        for (int m0 = 0; m0 < M; m0 += MC) {
            const int m1 = M - m0 < MC ? M : m0 + MC;
            if (pa) pack_a(m1 - m0, kc, 6, A + m0 * ars + (long)k0 * acs, ars, acs, ap);
            for (int n0 = 0; n0 < N; n0 += 16) {
                const int nw = N - n0 < 16 ? N - n0 : 16, nv = (nw + 7) / 8;
                const int rem = nw - 8 * (nv - 1), tail = rem < 8;
                const __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem),
                                                      _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                const float *Bp;
                long bl = 16;
                if (Bpk) Bp = Bpk + (long)(n0 / 16) * pstride + (long)k0 * 16;
                else if (bblk) Bp = bblk + (long)(n0 / 16) * kc * 16;
                else if (inplace && nw == 16) { Bp = B + (long)k0 * ldb + n0; bl = ldb; }
                else { pack_panel(kc, nw, 16, B + (long)k0 * ldb + n0, ldb, bp); Bp = bp; }
                for (int i0 = m0; i0 < m1; i0 += 6) {
                    const int mr = m1 - i0 < 6 ? m1 - i0 : 6;
                    const float *Ap = pa ? ap + (long)(i0 - m0) * kc : A + i0 * ars + (long)k0 * acs;
                    float *Cp = C + i0 * ldc + n0;
                    if (pf) prefetch_next_c(C, ldc, i0 + 6 < m1 ? i0 + 6 : m0, i0 + 6 < m1 ? n0 : n0 + 16, m1, N, 6, 16);
#define T256(R, V, TL) do { if (pa) tile256(R, V, TL, mk, kc, Ap, 1, 6, Bp, bl, ib ? bias + n0 : Cp, ib ? 0 : ldc, Cp, ldc, ld); \
                    else tile256(R, V, TL, mk, kc, Ap, ars, acs, Bp, bl, ib ? bias + n0 : Cp, ib ? 0 : ldc, Cp, ldc, ld); } while (0)
#define C256(R) case R: \
                    if (nv == 2) { if (tail) T256(R, 2, 1); else T256(R, 2, 0); } \
                    else { if (tail) T256(R, 1, 1); else T256(R, 1, 0); } break;
                    switch (mr) { C256(1) C256(2) C256(3) C256(4) C256(5) C256(6) }
#undef C256
#undef T256
                }
            }
        }
    }
    free(bblk);
}
#endif /* KERN_X86 */

/* ---- base ------------------------------------------------------------------
 * One row of C at a time, k outer, n inner: element (m,n) still sees its k in
 * order, each step one correctly rounded fmaf (glibc uses the FMA
 * instruction where the CPU has one, an exact emulation where not). */
static void gemm_base(int M, int N, int K, const float *A, long ars, long acs,
                      const float *B, long ldb, float *C, long ldc, int acc) {
    for (int m = 0; m < M; m++) {
        float *c = C + m * ldc;
        if (!acc) for (int n = 0; n < N; n++) c[n] = 0.0f;
        for (int k = 0; k < K; k++) {
            const float a = A[m * ars + k * acs], *b = B + k * ldb;
            for (int n = 0; n < N; n++) c[n] = fmaf(a, b[n], c[n]);
        }
    }
}

/* The same chains reading B from packed panels (kern_pack_b); bias, when
 * not NULL, is every row's init (acc is then 0). */
static void gemm_base_pk(int M, int N, int K, const float *A, long ars, long acs,
                         const float *Bp, long pstride, const float *bias, float *C, long ldc, int acc) {
    const int nr = 16, np = (N + nr - 1) / nr;
    for (int m = 0; m < M; m++) {
        float *c = C + m * ldc;
        if (bias) memcpy(c, bias, sizeof(float) * (size_t)N);
        else if (!acc) for (int n = 0; n < N; n++) c[n] = 0.0f;
        for (int k = 0; k < K; k++) {
            const float a = A[m * ars + k * acs];
            for (int j = 0; j < np; j++) {
                const float *b = Bp + j * pstride + (long)k * nr;
                float *cj = c + j * nr;
                const int nw = N - j * nr < nr ? N - j * nr : nr;
                for (int n = 0; n < nw; n++) cj[n] = fmaf(a, b[n], cj[n]);
            }
        }
    }
}

/* ---- entry points ---------------------------------------------------------- */

void kern_gemm_on(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                  const float *B, long ldb, float *C, long ldc, int acc) {
    assert(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0) return;
    if (K == 0) {                       /* an empty chain: init alone      */
        if (!acc) for (int m = 0; m < M; m++) memset(C + m * ldc, 0, sizeof(float) * (size_t)N);
        return;
    }
    /* Aᵀ·B with a narrow C (the input-weight gradient, N = D features):
     * vectorising over n would leave most lanes idle, so compute Cᵀ = Bᵀ·A
     * instead, over m.  Element (m,n) is the same chain either way — the
     * roles of the two factors in each fmaf do not change its value. */
    if (p != KERN_BASE && ars == 1 && N < 8 && M >= 32) {
        float *ct = aligned_alloc(64, (sizeof(float) * (size_t)M * N + 63) / 64 * 64);
        if (ct) {
            for (int n = 0; n < N; n++)
                for (int m = 0; m < M; m++) ct[(size_t)n * M + m] = acc ? C[m * ldc + n] : 0.0f;
            kern_gemm_on(p, N, M, K, B, 1, ldb, A, acs, ct, M, 1);
            for (int n = 0; n < N; n++)
                for (int m = 0; m < M; m++) C[m * ldc + n] = ct[(size_t)n * M + m];
            free(ct);
            return;
        }
    }
    switch (p) {
#if KERN_X86
    case KERN_AVX512: gemm512(M, N, K, A, ars, acs, B, ldb, NULL, 0, NULL, C, ldc, acc); return;
    case KERN_AVX2:   gemm256(M, N, K, A, ars, acs, B, ldb, NULL, 0, NULL, C, ldc, acc); return;
#endif
    case KERN_BASE:   gemm_base(M, N, K, A, ars, acs, B, ldb, C, ldc, acc); return;
    default:
        assert(!"kern_gemm_on: not a kernel path of this module");
        gemm_base(M, N, K, A, ars, acs, B, ldb, C, ldc, acc);
    }
}

void kern_gemm(int M, int N, int K, const float *A, long ars, long acs,
               const float *B, long ldb, float *C, long ldc, int acc) {
    kern_gemm_on(kern_active(), M, N, K, A, ars, acs, B, ldb, C, ldc, acc);
}

void kern_pack_t(int N, int K, const float *B, long ldb, float *Bt) {
    /* 16 x 16 blocks: both sides stay within a few cache lines. */
    for (int n0 = 0; n0 < N; n0 += 16)
        for (int k0 = 0; k0 < K; k0 += 16) {
            const int n1 = n0 + 16 < N ? n0 + 16 : N, k1 = k0 + 16 < K ? k0 + 16 : K;
            for (int n = n0; n < n1; n++)
                for (int k = k0; k < k1; k++) Bt[(size_t)k * N + n] = B[n * ldb + k];
        }
}

int kern_nr(kern_path p) { return p == KERN_AVX512 ? 32 : 16; }

size_t kern_packed_floats(kern_path p, int K, int N) {
    const int nr = kern_nr(p);
    return (size_t)(N + nr - 1) / nr * nr * (size_t)K;
}

void kern_pack_b(kern_path p, int K, int N, const float *B, long bks, long bns, float *Bp) {
    const int nr = kern_nr(p);
    for (int j = 0; j * nr < N; j++) {
        float *d = Bp + (size_t)j * nr * K;
        const int n0 = j * nr, nw = N - n0 < nr ? N - n0 : nr;
        if (bns == 1) {
            for (int k = 0; k < K; k++) {
                const float *b = B + k * bks + n0;
                int n = 0;
                for (; n < nw; n++) d[(size_t)k * nr + n] = b[n];
                for (; n < nr; n++) d[(size_t)k * nr + n] = 0.0f;
            }
        } else {
            /* Transposed source (W stored [N x K]): walk each row of W once. */
            for (int n = 0; n < nr; n++)
                for (int k = 0; k < K; k++) d[(size_t)k * nr + n] = n < nw ? B[(long)(n0 + n) * bns + k * bks] : 0.0f;
        }
    }
}

/* kern_gemm_packed and kern_gemm_packed_bias: init = bias row, or the old C
 * (acc), or +0. */
static void gemm_packed(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                        const float *Bp, long pstride, const float *bias, float *C, long ldc, int acc) {
    assert(M >= 0 && N >= 0 && K >= 0);
    assert(((uintptr_t)Bp & 63) == 0 && pstride % 16 == 0);
    assert(!(bias && acc));
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (int m = 0; m < M; m++)
            if (bias) memcpy(C + m * ldc, bias, sizeof(float) * (size_t)N);
            else if (!acc) memset(C + m * ldc, 0, sizeof(float) * (size_t)N);
        return;
    }
    switch (p) {
#if KERN_X86
    case KERN_AVX512: gemm512(M, N, K, A, ars, acs, NULL, 0, Bp, pstride, bias, C, ldc, acc); return;
    case KERN_AVX2:   gemm256(M, N, K, A, ars, acs, NULL, 0, Bp, pstride, bias, C, ldc, acc); return;
#endif
    case KERN_BASE:   gemm_base_pk(M, N, K, A, ars, acs, Bp, pstride, bias, C, ldc, acc); return;
    default:
        assert(!"kern_gemm_packed: not a kernel path of this module");
        gemm_base_pk(M, N, K, A, ars, acs, Bp, pstride, bias, C, ldc, acc);
    }
}

void kern_gemm_packed(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                      const float *Bp, long pstride, float *C, long ldc, int acc) {
    gemm_packed(p, M, N, K, A, ars, acs, Bp, pstride, NULL, C, ldc, acc);
}

void kern_gemm_packed_bias(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                           const float *Bp, long pstride, const float *bias, float *C, long ldc) {
    assert(bias);
    gemm_packed(p, M, N, K, A, ars, acs, Bp, pstride, bias, C, ldc, 0);
}

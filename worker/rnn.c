/*
 * rnn.c — forward/backward of the recurrent cells, the head and the loss.
 * See rnn.h for the contracts, the layouts and the cell equations.
 *
 * Shapes use: T time steps, b rows in this batch (<= B), H hidden size of the
 * layer, in its input width, G gates, GH = G*H.  All matrices are row-major.
 *
 * Contents (sections in file order):
 *   activations            vectorisable exp / tanh / sigmoid (Cephes polynomials)
 *   threads and GEMMs      the thread split; own kernels (kern.h) or OpenBLAS
 *   spec, sizes, arena     names, rnn_spec_check, sizes, one allocation
 *   fused forward passes   one time step of each cell's gates
 *   forward                layers, dropout, head, loss
 *   fused backward passes  one time step of each cell, reversed
 *   weights blob           save / load with shapes checked
 */
#include "worker/rnn.h"
#include "worker/kern.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RS_DOUBLE
#define GEMM cblas_dgemm
#else
#define GEMM cblas_sgemm
#endif

/* Elementwise passes smaller than this many elements stay on one thread:
 * below it an OpenMP fork/join per time step costs more than it saves. */
#define PAR_MIN 16384

/* ---- activations -------------------------------------------------------
 * The float build uses its own exp so the fused gate loops vectorise (libm's
 * expf is a scalar call without -ffast-math, which we refuse: NaN checks must
 * keep working).  NaN propagates through every branch.  The double build uses
 * libm so the gradient checks compare against exact functions.
 *
 * Two arithmetics (fma_, a constant in every clone: ROWK below):
 *   fma_ = 0  RS_KERNEL=blas: Cephes' single-precision polynomials (exp of
 *             degree 7, tanh as a small-argument polynomial or through exp)
 *             with a separate multiply and add — exactly the expressions of
 *             commit 6d39433, so the OpenBLAS engine still reproduces sweeps
 *             trained before the own kernels.
 *   fma_ = 1  the own kernels, KERN_ARITH 3: every multiply-add one fmaf;
 *             exp's polynomial of degree 6 (degree 7 was ~40x more accurate
 *             than float can show); sigmoid's 1 + e^-x as one fmaf of the
 *             scale; tanh from expm1 in one formula instead of two evaluated
 *             and blended.  The LSTM row's AVX-512 clone has 172 vector
 *             instructions instead of 224, and the rows are compute-bound:
 *             b = 64, Zen 4, best of 7, 2.41-2.68 -> 2.03-2.34 ns a unit
 *             (12-16 % less), H 32-300.  Over all 2^32 float inputs, against double:
 *             tanh within 2.50 ulp (arithmetic 2: 1.33), sigmoid within 2.48
 *             ulp where x >= -87 (as before: the error is 1 + e^-x's and the
 *             division's; below -87, the clamp); tanh(+-inf) = +-1 exactly.
 * fmaf is correctly rounded on every path (the FMA instruction, or libm's
 * exact emulation in the baseline clone), so identity across ISAs holds. */
#ifdef RS_DOUBLE
static inline __attribute__((always_inline)) real sigm_a(real x, int fma_) { (void)fma_; return 1.0 / (1.0 + exp(-x)); }
static inline __attribute__((always_inline)) real tanh_a(real x, int fma_) { (void)fma_; return tanh(x); }
#else
typedef union { float f; uint32_t u; } f32bits;

#define FM(a, b, c) (fma_ ? fmaf((a), (b), (c)) : (a) * (b) + (c))

/* x = k ln2 + r, |r| <= ln2/2 (Cody-Waite, ln2 in two parts), for x already
 * clamped to [-87, 88] (the callers clamp in their own domain, see sigm_a):
 * returns r and s = 2^k.  The 1.5 * 2^23 add rounds x log2(e) to the
 * integer k, whose bits are then the low bits of the sum. */
typedef struct { float r, s; } exp_red;
static inline __attribute__((always_inline)) exp_red exp_reduce(float x, int fma_) {
    const float magic = 12582912.0f;       /* 1.5 * 2^23 */
    f32bits t = { FM(x, 1.44269504088896341f, magic) };
    float k = t.f - magic;
    uint32_t ki = t.u - 0x4B400000u;       /* k as a two's complement integer   */
    float r = FM(k, -0.693359375f, x);
    r = FM(k, 2.12194440e-4f, r);
    f32bits s = { .u = (ki + 127u) << 23 };
    return (exp_red){ r, s.f };
}
/* e^r - 1 for |r| <= ln2/2, KERN_ARITH 3: r + r^2 q(r), q of degree 4 a
 * Chebyshev fit of (e^r - 1 - r)/r^2 (mpmath.chebyfit, 5 terms; its error
 * 7.8e-9 absolute, an eighth of float's half ulp at 1). */
static inline __attribute__((always_inline)) float em1_poly(float r) {
    float q = 1.3926183587713494e-3f;
    q = fmaf(q, r, 8.363179052722578e-3f);
    q = fmaf(q, r, 4.1666554617204574e-2f);
    q = fmaf(q, r, 1.6666576989698775e-1f);
    q = fmaf(q, r, 0.5f);
    return fmaf(q, r * r, r);
}
/* exp of x already clamped to [-87, 88], arithmetic fma_ = 0 only (Cephes'
 * degree 7, separate multiply and add).  NaN propagates. */
static inline __attribute__((always_inline)) float exp_f0(float x) {
    const int fma_ = 0;
    exp_red e = exp_reduce(x, fma_);
    const float r = e.r, r2 = r * r;
    float p = 1.9875691500E-4f;
    p = FM(p, r, 1.3981999507E-3f);
    p = FM(p, r, 8.3334519073E-3f);
    p = FM(p, r, 4.1665795894E-2f);
    p = FM(p, r, 1.6666665459E-1f);
    p = FM(p, r, 5.0000001201E-1f);
    p = FM(p, r2, r) + 1.0f;
    return p * e.s;
}
/* The clamps keep exp's argument in [-87, 88] and are written where GCC
 * vectorises them cheaply.  Clamping -x to [-87, 88] inside exp cost ~8
 * instructions a vector (GCC folded the negation into both compares and
 * if-converted the pair as one masked chain); clamping x to [-88, 87] and
 * then negating is the same value and two compare-and-blends.  In tanh_a,
 * 2|x| >= 0 (or NaN), so only one clamp can fire, and fabsf / copysignf
 * replace the compare-and-negate selects (fma_ = 0: every result the same
 * bits as the first form of commit 6d39433, checked over all 2^32 inputs;
 * LSTM gate pass 15-20 % faster, Zen 5). */
static inline __attribute__((always_inline)) float sigm_a(float x, int fma_) {
    x = x < -88.0f ? -88.0f : x;           /* ternaries keep NaN (compare false) */
    x = x > 87.0f ? 87.0f : x;
    if (fma_) {                            /* 1 + 2^k e^r in one fmaf */
        exp_red e = exp_reduce(-x, 1);
        return 1.0f / fmaf(em1_poly(e.r) + 1.0f, e.s, 1.0f);
    }
    return 1.0f / (1.0f + exp_f0(-x));
}
static inline __attribute__((always_inline)) float tanh_a(float x, int fma_) {
    float ax = fabsf(x);
    if (fma_) {
        /* tanh|x| = -m / (2 + m), m = e^(-2|x|) - 1 in (-1, 0]: expm1 keeps
         * its relative accuracy near 0 (k = 0: m is the polynomial itself),
         * so no separate small-argument branch.  m = 2^k (e^r - 1) + (2^k - 1)
         * in one fmaf; 2^k - 1 is exact for the k >= -24 that matter (below,
         * tanh is 1 in float).  -2|x| >= -20 already gives tanh = 1 exactly. */
        float y = -2.0f * ax;
        y = y < -20.0f ? -20.0f : y;
        exp_red e = exp_reduce(y, 1);
        float m = fmaf(e.s, em1_poly(e.r), e.s - 1.0f);
        return copysignf(m / (-2.0f - m), x);
    }
    float a2 = 2.0f * ax;
    a2 = a2 > 88.0f ? 88.0f : a2;
    float big = 1.0f - 2.0f / (exp_f0(a2) + 1.0f);
    big = copysignf(big, x);
    float z = x * x;
    float q = FM(-5.70498872745E-3f, z, 2.06390887954E-2f);
    q = FM(q, z, -5.37397155531E-2f);
    q = FM(q, z, 1.33314422036E-1f);
    q = FM(q, z, -3.33332819422E-1f);
    float small = FM(q * z, x, x);
    return ax < 0.625f ? small : big;
}
#undef FM
#endif
/* Inside a row kernel (ROWK), whose body has act_fma in scope. */
#define sigm(x) sigm_a((x), act_fma)
#define tanh_r(x) tanh_a((x), act_fma)

/* ---- threads and GEMMs --------------------------------------------------
 * OpenBLAS's own threading is not reproducible across thread counts (its
 * partition changes the kernels that touch an element), and in its OpenMP
 * build its thread count IS omp_get_max_threads().  So the engine owns the
 * parallelism: on entry to forward/backward it records the caller's thread
 * count in `tl_nt` and drops the OpenMP ICV to 1, which keeps every OpenBLAS
 * call single-threaded; large GEMMs are cut into chunks along M or N whose
 * boundaries depend on the shape only, and the chunks run on tl_nt threads.
 * One thread computes the same chunks one after another, so results are
 * bitwise identical whatever the thread count.
 *
 * The products themselves run on the engine's kernels (worker/kern.h: one
 * fixed FMA chain per output element, so also identical across ISAs) unless
 * RS_KERNEL=blas selects OpenBLAS; the double build always uses OpenBLAS.
 * Weights are packed for the kernels once per forward (pack_weights) and
 * once per backward (pack_weights_bwd); activations are packed inside each
 * call, where one pack serves a whole-sequence product. */
static _Thread_local int tl_nt = 1;

static int engine_enter(void) {
    int saved = omp_get_max_threads();
    tl_nt = saved;
    if (saved > 1) omp_set_num_threads(1);
    return saved;
}
static void engine_leave(int saved) {
    if (saved > 1) omp_set_num_threads(saved);
}

typedef enum { SPLIT_M, SPLIT_N } split_dim;

/* Chunks: 1, 2, 4 or 8, a function of the shape alone.  A chunk carries at
 * least ~1M multiply-adds and 32 rows/columns, else fork/join and repacking
 * cost more than a second core gives back. */
static int gemm_chunks(int M, int N, int K, int len) {
    double work = (double)M * N * K;
    int c = 1;
    while (c < 8 && work / (2.0 * c) >= (double)(1 << 20) && len / (2 * c) >= 32) c *= 2;
    return c;
}

static void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K,
                 const real *A, int lda, const real *B, int ldb, real beta, real *C, int ldc,
                 split_dim sd) {
    int len = sd == SPLIT_M ? M : N;
    int nch = gemm_chunks(M, N, K, len);
    /* Boundaries rounded to 16 so chunks start on cache lines. */
    int step = ((len + nch - 1) / nch + 15) / 16 * 16;
    #pragma omp parallel for schedule(static) num_threads(tl_nt) if (nch > 1 && tl_nt > 1)
    for (int c = 0; c < nch; c++) {
        int lo = c * step, hi = lo + step < len ? lo + step : len;
        if (lo >= hi) continue;
        if (sd == SPLIT_M)
            GEMM(CblasRowMajor, ta, tb, hi - lo, N, K, 1,
                 ta == CblasNoTrans ? A + (size_t)lo * lda : A + lo, lda, B, ldb,
                 beta, C + (size_t)lo * ldc, ldc);
        else
            GEMM(CblasRowMajor, ta, tb, M, hi - lo, K, 1, A, lda,
                 tb == CblasNoTrans ? B + lo : B + (size_t)lo * ldb, ldb,
                 beta, C + lo, ldc);
    }
}

/* The engine's own kernels (kern.h): every output element one fixed FMA
 * chain, so any split over output elements is exact.  The double
 * build (gradient checks) has no kernels of its own and stays on
 * cblas_dgemm. */
#ifndef RS_DOUBLE
/* Chunks for the own kernels: at most one per thread.  Any split gives the
 * same bytes here, so the shape-only count of gemm_chunks (which keeps a
 * BLAS's results independent of the thread count) is only a cap; more
 * chunks than threads would repack A and restart the tile loops for
 * nothing (one thread: 8 chunks of a 64 x 600 step cost ~15 %). */
static int kern_chunks(int M, int N, int K, int len) {
    const int c = gemm_chunks(M, N, K, len);
    return c < tl_nt ? c : tl_nt < 1 ? 1 : tl_nt;
}
static void kgemm(int M, int N, int K, const real *A, long ars, long acs, const real *B, long ldb,
                  real beta, real *C, long ldc, split_dim sd) {
    assert(beta == 0 || beta == 1);
    const kern_path kp = kern_active();
    const int len = sd == SPLIT_M ? M : N, nch = kern_chunks(M, N, K, len);
    if (nch == 1) { kern_gemm_on(kp, M, N, K, A, ars, acs, B, ldb, C, ldc, beta != 0); return; }
    const int step = ((len + nch - 1) / nch + 15) / 16 * 16;
    #pragma omp parallel for schedule(static) num_threads(tl_nt) if (tl_nt > 1)
    for (int c = 0; c < nch; c++) {
        int lo = c * step, hi = lo + step < len ? lo + step : len;
        if (lo >= hi) continue;
        if (sd == SPLIT_M)
            kern_gemm_on(kp, hi - lo, N, K, A + lo * ars, ars, acs, B, ldb, C + lo * ldc, ldc, beta != 0);
        else
            kern_gemm_on(kp, M, hi - lo, K, A, ars, acs, B + lo, ldb, C + lo, ldc, beta != 0);
    }
}
/* The same on B packed by kern_pack_b (pstride floats between panels);
 * bias, when not NULL, is each chain's init (kern_gemm_packed_bias; beta
 * must then be 0).  Column chunks start at multiples of 32, a whole panel
 * on every path. */
static void kgemm_pk(int M, int N, int K, const real *A, long ars, long acs, const real *Bp, long pstride,
                     const real *bias, real beta, real *C, long ldc, split_dim sd) {
    assert(beta == 0 || beta == 1);
    assert(!(bias && beta != 0));
    const kern_path kp = kern_active();
    const int nr = kern_nr(kp), len = sd == SPLIT_M ? M : N, nch = kern_chunks(M, N, K, len);
    if (nch == 1) {         /* no OpenMP region: the per-step products are ~10 us */
        if (bias) kern_gemm_packed_bias(kp, M, N, K, A, ars, acs, Bp, pstride, bias, C, ldc);
        else kern_gemm_packed(kp, M, N, K, A, ars, acs, Bp, pstride, C, ldc, beta != 0);
        return;
    }
    const int step = ((len + nch - 1) / nch + 31) / 32 * 32;
    #pragma omp parallel for schedule(static) num_threads(tl_nt) if (tl_nt > 1)
    for (int c = 0; c < nch; c++) {
        int lo = c * step, hi = lo + step < len ? lo + step : len;
        if (lo >= hi) continue;
        const int m0 = sd == SPLIT_M ? lo : 0, mn = sd == SPLIT_M ? hi - lo : M;
        const int n0 = sd == SPLIT_N ? lo : 0, nn = sd == SPLIT_N ? hi - lo : N;
        const real *a = A + m0 * ars, *bp = Bp + (long)(n0 / nr) * pstride;
        real *cc = C + m0 * ldc + n0;
        if (bias) kern_gemm_packed_bias(kp, mn, nn, K, a, ars, acs, bp, pstride, bias + n0, cc, ldc);
        else kern_gemm_packed(kp, mn, nn, K, a, ars, acs, bp, pstride, cc, ldc, beta != 0);
    }
}
static inline int use_kern(void) { return kern_active() != KERN_BLAS; }
static inline long pk_stride(int K) { return (long)K * kern_nr(kern_active()); }
/* Panel strides of layer l's packed w_ihᵀ and w_hhᵀ: one stacked packing of
 * K = in + H (rnn.h, wp_ih), except gru_classic's two. */
static inline long ps_ih(const rnn_model *m, int l) {
    return pk_stride(m->spec.cell == RNN_GRU_CLASSIC ? m->a[l].in : m->a[l].in + m->a[l].H);
}
static inline long ps_hh(const rnn_model *m, int l) {
    return pk_stride(m->spec.cell == RNN_GRU_CLASSIC ? m->a[l].H : m->a[l].in + m->a[l].H);
}
#else
#define kgemm_pk(M, N, K, A, ars, acs, Bp, ps, bias, beta, C, ldc, sd) ((void)(Bp), (void)(ps), (void)(bias), assert(!"no kernels in the double build"))
static inline long pk_stride(int K) { (void)K; return 0; }
static inline long ps_ih(const rnn_model *m, int l) { (void)m; (void)l; return 0; }
static inline long ps_hh(const rnn_model *m, int l) { (void)m; (void)l; return 0; }
static inline int use_kern(void) { return 0; }
#define kgemm(M, N, K, A, ars, acs, B, ldb, beta, C, ldc, sd) ((void)(B), (void)(ldb), assert(!"no kernels in the double build"))
#endif

/* Row-major C = A·op(B) + beta·C in the three forms the engine uses (beta is
 * 0 or 1).  Each call site names the dimension to split: the long one of C.
 * gemm_nt also takes Bt, the k-major copy of B (packed once per forward by
 * pack_weights) that the kernels read; BLAS reads B. */
static inline void gemm_nt(int M, int N, int K, const real *A, int lda, const real *B, int ldb,
                           const real *Bt, int ldbt, real beta, real *C, int ldc, split_dim sd) {
    if (use_kern()) kgemm(M, N, K, A, lda, 1, Bt, ldbt, beta, C, ldc, sd);
    else gemm(CblasNoTrans, CblasTrans, M, N, K, A, lda, B, ldb, beta, C, ldc, sd);
}
static inline void gemm_nn(int M, int N, int K, const real *A, int lda, const real *B, int ldb,
                           real beta, real *C, int ldc, split_dim sd) {
    if (use_kern()) kgemm(M, N, K, A, lda, 1, B, ldb, beta, C, ldc, sd);
    else gemm(CblasNoTrans, CblasNoTrans, M, N, K, A, lda, B, ldb, beta, C, ldc, sd);
}
/* x·Wᵀ and d·W with W pre-packed for the kernels (pack_weights,
 * pack_weights_bwd): Bp is W's packing, ps its panel stride.  BLAS reads W. */
static inline void gemm_pk_nt(int M, int N, int K, const real *A, int lda, const real *W, int ldw,
                              const real *Bp, long ps, real beta, real *C, int ldc, split_dim sd) {
    if (use_kern()) kgemm_pk(M, N, K, A, lda, 1, Bp, ps, NULL, beta, C, ldc, sd);
    else gemm(CblasNoTrans, CblasTrans, M, N, K, A, lda, W, ldw, beta, C, ldc, sd);
}
static inline void gemm_pk_nn(int M, int N, int K, const real *A, int lda, const real *W, int ldw,
                              const real *Bp, long ps, real beta, real *C, int ldc, split_dim sd) {
    if (use_kern()) kgemm_pk(M, N, K, A, lda, 1, Bp, ps, NULL, beta, C, ldc, sd);
    else gemm(CblasNoTrans, CblasNoTrans, M, N, K, A, lda, W, ldw, beta, C, ldc, sd);
}
static inline void gemm_tn(int M, int N, int K, const real *A, int lda, const real *B, int ldb,
                           real beta, real *C, int ldc, split_dim sd) {
    if (use_kern()) kgemm(M, N, K, A, 1, lda, B, ldb, beta, C, ldc, sd);
    else gemm(CblasTrans, CblasNoTrans, M, N, K, A, lda, B, ldb, beta, C, ldc, sd);
}

/* Row slices for a layer's recurrence (fwd_rows, bwd_rows): how many
 * threads each take a block of batch rows through all T steps, with no
 * fork/join per step.  1 = the whole batch on the calling thread, whose
 * per-step products then split along N (kgemm_pk) when they are large.
 * Any row split gives the same bytes on the own kernels (one FMA chain per
 * element, gate passes elementwise), so this is a speed choice; BLAS's
 * per-element results may depend on M, so RS_KERNEL=blas never slices.
 * Blocks are multiples of 8 rows (the avx512 tile height).
 *
 * Why a size rule: each slice reads all of W_hh (forward) or W_hh^T
 * (backward) every step, while the N split gives each thread 1/nt of its
 * columns.  While the packed matrix fits in a core's L2 with room to spare
 * (REC_SLICE_MAX_BYTES; L2 is 1-2 MB per core on the nodes measured),
 * slicing wins by dropping T fork/joins per layer per pass (2 threads,
 * H <= 128: training 1.04-1.38x, inference 1.13-1.63x); once it does not
 * (H = 300: 1.4 MB for LSTM), each slice streams it from L3 and the N split
 * wins (slicing measured 0.65-0.92x there).  bench/README.md has the A/B. */
#define REC_SLICE_MAX_BYTES (512u * 1024u)
static int rec_slices(int b, int H, int GH) {
    if (!use_kern() || tl_nt < 2 || b < 16) return 1;
    if ((size_t)GH * (size_t)H * sizeof(real) > REC_SLICE_MAX_BYTES) return 1;
    const int c = b / 8;
    return c < tl_nt ? c : tl_nt;
}
static int rec_step(int b, int ns) { return ((b + ns - 1) / ns + 7) / 8 * 8; }

/* acc[j] += sum over rows r of A[r][j] for j < n, and acc2[j] += the same
 * sum for j < n2 (n2 <= n; acc2 NULL: none), each chain over the rows in
 * order: deterministic, and the bytes of one row-by-row pass per
 * accumulator.  Why two at once: LSTM's b_ih and b_hh (and the GRUs' r, z
 * parts) are sums of the same gate gradients, [T*b x GH] — MBs that come
 * back from L3 — so one read serves both.  Why eight rows at a time: the
 * chains stay in registers across them instead of a load and store of acc
 * per row. */
static void colsum_acc2(const real *A, int rows, int n, int lda, real *acc, int n2, real *acc2) {
    assert(n2 <= n);
    if (!acc2) n2 = 0;
    int r = 0;
    /* Eight rows at a time, written out so the j loops vectorise: each
     * chain adds a0[j], a1[j], ... a7[j] in that order. */
#define ADD8(c) c += a0[j]; c += a1[j]; c += a2[j]; c += a3[j]; \
                c += a4[j]; c += a5[j]; c += a6[j]; c += a7[j]
    for (; r + 8 <= rows; r += 8) {
        const real *a0 = A + (size_t)r * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        const real *a4 = a3 + lda, *a5 = a4 + lda, *a6 = a5 + lda, *a7 = a6 + lda;
        #pragma omp simd
        for (int j = 0; j < n2; j++) {
            real c = acc[j], c2 = acc2[j];
            ADD8(c); ADD8(c2);
            acc[j] = c; acc2[j] = c2;
        }
        #pragma omp simd
        for (int j = n2; j < n; j++) {
            real c = acc[j];
            ADD8(c);
            acc[j] = c;
        }
    }
#undef ADD8
    for (; r < rows; r++) {
        const real *a = A + (size_t)r * lda;
        #pragma omp simd
        for (int j = 0; j < n2; j++) { acc[j] += a[j]; acc2[j] += a[j]; }
        #pragma omp simd
        for (int j = n2; j < n; j++) acc[j] += a[j];
    }
}
static void colsum_acc(const real *A, int rows, int n, int lda, real *acc) {
    colsum_acc2(A, rows, n, lda, acc, 0, NULL);
}

static int gates_of(rnn_cell c) {
    switch (c) {
    case RNN_LSTM: return 4;
    case RNN_GRU: case RNN_GRU_CLASSIC: return 3;
    default: return 1;
    }
}

/* ---- spec, sizes, arena -------------------------------------------------- */

/* Indexed by rnn_cell: RNN_LSTM .. RNN_RELU, in enum order. */
static const char *CELL_NAMES[] = { "lstm", "gru", "gru_classic", "rnn_tanh", "rnn_relu" };
#define N_CELLS ((int)(sizeof CELL_NAMES / sizeof *CELL_NAMES))
_Static_assert(N_CELLS == RNN_RELU + 1, "CELL_NAMES must name every rnn_cell");

char *rnn_hidden_text(const int *hidden, int n_layers, char *buf, size_t n) {
    size_t k = 0;
    if (n) buf[0] = 0;
    for (int l = 0; l < n_layers && k < n; l++) {
        int w = snprintf(buf + k, n - k, "%s%d", l ? "x" : "", hidden[l]);
        if (w > 0) k += (size_t)w;
    }
    return buf;
}

const char *rnn_cell_name(rnn_cell c) {
    return (unsigned)c < (unsigned)N_CELLS ? CELL_NAMES[c] : "?";
}

int rnn_cell_parse(const char *s, rnn_cell *out) {
    for (int i = 0; i < N_CELLS; i++)
        if (!strcmp(s, CELL_NAMES[i])) { *out = (rnn_cell)i; return 0; }
    if (!strcmp(s, "rnn")) { *out = RNN_TANH; return 0; }
    return -1;
}

int rnn_spec_check(const rnn_spec *s, rs_err *e) {
    if ((unsigned)s->cell > RNN_RELU)
        return rs_err_set(e, RS_EINPUT, "model: cell %d: expected lstm, gru, gru_classic, rnn_tanh or rnn_relu", (int)s->cell);
    if (s->n_layers < 1 || s->n_layers > RNN_MAX_LAYERS)
        return rs_err_set(e, RS_EINPUT, "model: layers = %d: expected 1..%d", s->n_layers, RNN_MAX_LAYERS);
    for (int l = 0; l < s->n_layers; l++)
        if (s->hidden[l] < 1 || s->hidden[l] > 65536)
            return rs_err_set(e, RS_EINPUT, "model: hidden size of layer %d = %d: expected 1..65536", l + 1, s->hidden[l]);
    if (s->n_in < 1 || s->n_in > 65536)
        return rs_err_set(e, RS_EINPUT, "model: %d input features: expected 1..65536", s->n_in);
    if (s->head == RNN_HEAD_REG && s->n_out != 1)
        return rs_err_set(e, RS_EINPUT, "model: a regression head has 1 output, not %d", s->n_out);
    if (s->head == RNN_HEAD_CLS && (s->n_out < 2 || s->n_out > 1024))
        return rs_err_set(e, RS_EINPUT, "model: a classification head needs 2..1024 classes, not %d", s->n_out);
    if ((unsigned)s->head > RNN_HEAD_CLS)
        return rs_err_set(e, RS_EINPUT, "model: head %d: expected regression or classification", (int)s->head);
    if (s->seq_len < 1 || s->batch < 1)
        return rs_err_set(e, RS_EINPUT, "model: lookback %d and batch %d must both be >= 1", s->seq_len, s->batch);
    if (!(s->dropout >= 0.0 && s->dropout < 1.0))
        return rs_err_set(e, RS_EINPUT, "model: dropout = %g: expected a value in [0, 1)", s->dropout);
    /* GEMM dimensions are ints (OpenBLAS's blasint): T*B*max(width) must fit. */
    int G = gates_of(s->cell);
    double widest = s->n_in;
    for (int l = 0; l < s->n_layers; l++) if ((double)G * s->hidden[l] > widest) widest = (double)G * s->hidden[l];
    if ((double)s->seq_len * s->batch * widest > 2147483647.0)
        return rs_err_set(e, RS_EINPUT, "model: lookback x batch x gate width = %.0f exceeds 2^31", (double)s->seq_len * s->batch * widest);
    return RS_OK;
}

size_t rnn_param_count(const rnn_spec *s) {
    if (rnn_spec_check(s, NULL)) return 0;
    size_t n = 0, in = (size_t)s->n_in, G = (size_t)gates_of(s->cell);
    for (int l = 0; l < s->n_layers; l++) {
        size_t H = (size_t)s->hidden[l];
        n += G * H * in + G * H * H + 2 * G * H;
        in = H;
    }
    return n + (size_t)s->n_out * in + (size_t)s->n_out;
}

/* Round every view to 64 bytes so GEMM operands start cache-line aligned. */
static size_t al(size_t n_reals) {
    size_t per = 64 / sizeof(real);
    return (n_reals + per - 1) / per * per;
}

/* One walk over the arena layout serves both sizing (m == NULL) and carving
 * the views, so the two can never disagree. */
static void take(real **view, real *base, size_t *off, size_t n) {
    if (base) *view = base + *off;
    *off += al(n);
}

static size_t layout(rnn_model *m, const rnn_spec *s, real *base) {
    size_t off = 0;
    real *dummy, *decay = NULL;
    size_t T = (size_t)s->seq_len, B = (size_t)s->batch, G = (size_t)gates_of(s->cell);
    size_t np = rnn_param_count(s), Hmax = (size_t)s->n_in;
    for (int l = 0; l < s->n_layers; l++) if ((size_t)s->hidden[l] > Hmax) Hmax = (size_t)s->hidden[l];
#define TAKE(field, n) take(m ? &m->field : &dummy, base, &off, (n))
    TAKE(params, np);
    TAKE(grads, np);
    TAKE(adam_m, np);
    TAKE(adam_v, np);
    TAKE(best, np);
    take(&decay, base, &off, (np + sizeof(real) - 1) / sizeof(real));
    if (m) m->decay = (unsigned char *)decay;
    TAKE(xbatch, T * B * (size_t)s->n_in);
    TAKE(ybatch, B);
    TAKE(logits, B * (size_t)s->n_out);
    TAKE(dlogits, B * (size_t)s->n_out);
    TAKE(dseq[0], T * B * Hmax);
    TAKE(dseq[1], T * B * Hmax);
    for (int i = 0; i < 4; i++) TAKE(step[i], B * G * Hmax);
    TAKE(xh, B * 2 * Hmax);
    size_t in_l = (size_t)s->n_in;
    for (int l = 0; l < s->n_layers; l++) {
        size_t H = (size_t)s->hidden[l];
        /* Packed weights, sized for the widest panels (kern_nr <= 32). */
        if (s->cell == RNN_GRU_CLASSIC) {
            TAKE(wp_ih[l], kern_packed_floats(KERN_AVX512, (int)in_l, (int)(G * H)));
            TAKE(wp_hh[l], kern_packed_floats(KERN_AVX512, (int)H, (int)(2 * H)));
            TAKE(wp_hhn[l], kern_packed_floats(KERN_AVX512, (int)H, (int)H));
        } else {                       /* [w_ih | w_hh] stacked along K; wp_hh: a view (pack_weights) */
            TAKE(wp_ih[l], kern_packed_floats(KERN_AVX512, (int)(in_l + H), (int)(G * H)));
        }
        TAKE(wp_hhb[l], kern_packed_floats(KERN_AVX512, (int)(G * H), (int)H));
        in_l = H;
        TAKE(a[l].gates, T * B * G * H);
        TAKE(a[l].hs, (T + 1) * B * H);
        if (s->cell == RNN_LSTM) {
            TAKE(a[l].cs, (T + 1) * B * H);
            TAKE(a[l].tc, T * B * H);
        }
        if (s->cell == RNN_GRU || s->cell == RNN_GRU_CLASSIC) TAKE(a[l].aux, T * B * H);
        if (s->dropout > 0 && l < s->n_layers - 1) {
            TAKE(a[l].mask, T * B * H);
            TAKE(a[l].drop, T * B * H);
        }
    }
    TAKE(wt_out, (size_t)s->n_out * in_l);
#undef TAKE
    return off * sizeof(real);
}

size_t rnn_arena_bytes(const rnn_spec *s) {
    if (rnn_spec_check(s, NULL)) return 0;
    return layout(NULL, s, NULL);
}

/* Carve parameter views in the documented flat order and mark which entries
 * are weight matrices (decoupled weight decay applies to those only). */
static void carve_params(rnn_model *m) {
    const rnn_spec *s = &m->spec;
    size_t off = 0, in = (size_t)s->n_in, G = (size_t)m->G;
    memset(m->decay, 0, m->n_params);
    for (int l = 0; l < s->n_layers; l++) {
        size_t H = (size_t)s->hidden[l], GH = G * H;
        m->p[l].w_ih = m->params + off; m->g[l].w_ih = m->grads + off;
        memset(m->decay + off, 1, GH * in); off += GH * in;
        m->p[l].w_hh = m->params + off; m->g[l].w_hh = m->grads + off;
        memset(m->decay + off, 1, GH * H); off += GH * H;
        m->p[l].b_ih = m->params + off; m->g[l].b_ih = m->grads + off; off += GH;
        m->p[l].b_hh = m->params + off; m->g[l].b_hh = m->grads + off; off += GH;
        m->a[l].in = (int)in; m->a[l].H = (int)H;
        in = H;
    }
    m->w_out = m->params + off; m->gw_out = m->grads + off;
    memset(m->decay + off, 1, (size_t)s->n_out * in); off += (size_t)s->n_out * in;
    m->b_out = m->params + off; m->gb_out = m->grads + off; off += (size_t)s->n_out;
}

static void fill_uniform(rs_rng *r, real *p, size_t n, double bound) {
    for (size_t i = 0; i < n; i++) p[i] = (real)((2.0 * rs_rng_uniform(r) - 1.0) * bound);
}

void rnn_init_params(rnn_model *m, uint64_t seed) {
    const rnn_spec *s = &m->spec;
    rs_rng r;
    rs_rng_seed(&r, seed);
    int in = s->n_in;
    for (int l = 0; l < s->n_layers; l++) {
        int H = s->hidden[l];
        size_t GH = (size_t)m->G * H;
        double bound = 1.0 / sqrt((double)H);
        fill_uniform(&r, m->p[l].w_ih, GH * in, bound);
        fill_uniform(&r, m->p[l].w_hh, GH * H, bound);
        fill_uniform(&r, m->p[l].b_ih, GH, bound);
        fill_uniform(&r, m->p[l].b_hh, GH, bound);
        if (s->cell == RNN_LSTM && s->forget_bias_one)
            for (int j = 0; j < H; j++) { m->p[l].b_ih[H + j] = 1; m->p[l].b_hh[H + j] = 0; }
        in = H;
    }
    double bound = 1.0 / sqrt((double)in);
    fill_uniform(&r, m->w_out, (size_t)s->n_out * in, bound);
    fill_uniform(&r, m->b_out, (size_t)s->n_out, bound);
    memset(m->adam_m, 0, m->n_params * sizeof(real));
    memset(m->adam_v, 0, m->n_params * sizeof(real));
    memcpy(m->best, m->params, m->n_params * sizeof(real));
    m->adam_t = 0;
}

rnn_model *rnn_create(const rnn_spec *s, rs_err *e) {
    if (rnn_spec_check(s, e)) return NULL;
    rnn_model *m = calloc(1, sizeof *m);
    if (!m) { rs_err_set(e, RS_EINTERNAL, "out of memory"); return NULL; }
    m->spec = *s;
    m->packed_path = -1;
    m->G = gates_of(s->cell);
    m->n_params = rnn_param_count(s);
    m->arena_bytes = layout(NULL, s, NULL);
    if (posix_memalign(&m->arena, 64, m->arena_bytes)) {
        rs_err_set(e, RS_EINTERNAL, "out of memory: model arena of %zu bytes", m->arena_bytes);
        free(m);
        return NULL;
    }
    /* Zeroed once: hs[0]/cs[0] (initial states) must start at zero and
     * sanitizers must never see uninitialised scratch. */
    memset(m->arena, 0, m->arena_bytes);
    layout(m, s, m->arena);
    carve_params(m);
    rnn_init_params(m, s->seed);
    return m;
}

void rnn_free(rnn_model *m) {
    if (!m) return;
    free(m->arena);
    free(m);
}

void rnn_zero_grad(rnn_model *m) { memset(m->grads, 0, m->n_params * sizeof(real)); }

/* Ask n bytes from p into L2 for writing soon (a hint: no effect on values). */
static void prefetch_l2(const void *p, size_t n) {
    const char *q = p;
    for (size_t o = 0; o < n; o += 64) __builtin_prefetch(q + o, 1, 2);
}

/* ---- fused forward passes, one time step ---------------------------------
 * Each pass is a row kernel (one batch row, H wide) cloned for AVX-512, AVX2
 * and baseline x86-64 — so one build runs on any node of a cluster — and a
 * driver that spreads rows over threads.  The kernels are elementwise and
 * contraction is off (-std=c11), so every clone computes bitwise the same
 * values (tests/test_kern.c checks it).  g: [b][GH] pre-activations in,
 * activated gates out.
 *
 * ROWK(name, (params), (args)) { body } defines the body once (inlined, so
 * `omp simd` vectorises it for each target) with act_fma in scope, three
 * clones per arithmetic (act_fma = 1: the own kernels' fmaf polynomials;
 * 0, suffix s: RS_KERNEL=blas's separate multiply-add, see exp_f0), and
 * `name##_pick()`, which returns the clone of kern_isa() and of the path:
 * the same choice as the GEMM kernels, so RS_KERNEL / kern_force selects
 * every vector loop of a step.  The step functions pick once per step, not
 * once per row: at H = 32 the per-row choice (two calls into kern.c and a
 * switch) was ~13 ns of a ~65 ns row.  Bodies without activations compile to identical
 * pairs, which the compiler may merge. */
#define ROWK_LIST(...) __VA_ARGS__
#if defined(__x86_64__) && !defined(RS_NO_CLONES)
#define ROWK(name, params, args)                                                  \
    static inline __attribute__((always_inline)) void                            \
        name##_body(const int act_fma __attribute__((unused)), ROWK_LIST params);    \
    KERN_TARGET_AVX512 static void name##_v4 params { name##_body(1, ROWK_LIST args); } \
    KERN_TARGET_AVX2 static void name##_v3 params { name##_body(1, ROWK_LIST args); }   \
    static void name##_v1 params { name##_body(1, ROWK_LIST args); }             \
    KERN_TARGET_AVX512 static void name##_v4s params { name##_body(0, ROWK_LIST args); } \
    KERN_TARGET_AVX2 static void name##_v3s params { name##_body(0, ROWK_LIST args); }   \
    static void name##_v1s params { name##_body(0, ROWK_LIST args); }            \
    typedef void name##_fn params;                                               \
    static name##_fn *name##_pick(void) {                                        \
        const int s = kern_active() == KERN_BLAS;                                \
        switch (kern_isa()) {                                                    \
        case KERN_AVX512: return s ? name##_v4s : name##_v4;                     \
        case KERN_AVX2: return s ? name##_v3s : name##_v3;                       \
        default: return s ? name##_v1s : name##_v1;                              \
        }                                                                        \
    }                                                                            \
    static inline __attribute__((always_inline)) void                            \
        name##_body(const int act_fma __attribute__((unused)), ROWK_LIST params)
#else
#define ROWK(name, params, args)                                                  \
    static void name##_body(const int act_fma __attribute__((unused)), ROWK_LIST params);                \
    static void name params { name##_body(kern_active() != KERN_BLAS, ROWK_LIST args); } \
    typedef void name##_fn params;                                               \
    static name##_fn *name##_pick(void) { return name; }                         \
    static void name##_body(const int act_fma __attribute__((unused)), ROWK_LIST params)
#endif

/* Rows of a step spread over the team when the step is big enough; below
 * PAR_MIN a plain loop, not an OpenMP region with a false `if` (libgomp still
 * enters and leaves one: ~2 % of GRU 1x32 inference under perf). */
#define FOR_ROWS(b, H, ...) do {                                              \
        if (tl_nt > 1 && (b) * (H) >= PAR_MIN) {                              \
            _Pragma("omp parallel for schedule(static) num_threads(tl_nt)")   \
            for (int bi = 0; bi < (b); bi++) { __VA_ARGS__ }                  \
        } else {                                                              \
            for (int bi = 0; bi < (b); bi++) { __VA_ARGS__ }                  \
        }                                                                     \
    } while (0)

ROWK(lstm_fwd_row, (int H, real *restrict g, const real *restrict cp,
                              real *restrict c, real *restrict tc, real *restrict h),
     (H, g, cp, c, tc, h)) {
    /* Two passes: the four gates and the cell, then tanh of the cell.  In
     * one loop each vector's chain (tanh of g, the cell, tanh of the cell:
     * ~130 dependent cycles) left too little independent work to overlap;
     * split, the same operations on the same values (the cell is stored
     * and reloaded exactly) ran 10-20 % faster (Zen 5 AVX-512, b = 64,
     * H 32-300: 2.1-2.3 -> 1.6-2.0 ns an element). */
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real i_ = sigm(g[j]), f_ = sigm(g[H + j]);
        real g_ = tanh_r(g[2 * H + j]), o_ = sigm(g[3 * H + j]);
        g[j] = i_; g[H + j] = f_; g[2 * H + j] = g_; g[3 * H + j] = o_;
        c[j] = f_ * cp[j] + i_ * g_;
    }
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real t = tanh_r(c[j]);
        tc[j] = t; h[j] = g[3 * H + j] * t;
    }
}
static void lstm_fwd_step(int b, int H, real *g, const real *cprev, real *c, real *tc, real *h) {
    lstm_fwd_row_fn *row = lstm_fwd_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, g + 4 * o, cprev + o, c + o, tc + o, h + o);
    );
}

/* GRU (PyTorch form).  gx: [b][3H] input side incl. b_ih; hp: [b][3H]
 * U h (without b_hh); hn out: U_n h + b_hn (kept for backward). */
ROWK(gru_fwd_row, (int H, real *restrict g, const real *restrict q, const real *restrict b_hh,
                             const real *restrict hp, real *restrict hn, real *restrict h),
     (H, g, q, b_hh, hp, hn, h)) {
    /* Two passes, as in lstm_fwd_row: r and z, then n (which waits on r). */
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        g[j] = sigm(g[j] + q[j] + b_hh[j]);
        g[H + j] = sigm(g[H + j] + q[H + j] + b_hh[H + j]);
        hn[j] = q[2 * H + j] + b_hh[2 * H + j];
    }
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real n = tanh_r(g[2 * H + j] + g[j] * hn[j]), z = g[H + j];
        g[2 * H + j] = n;
        h[j] = (1 - z) * n + z * hp[j];
    }
}
static void gru_fwd_step(int b, int H, real *gx, const real *hp, const real *b_hh,
                         const real *hprev, real *hn, real *h) {
    gru_fwd_row_fn *row = gru_fwd_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, gx + 3 * o, hp + 3 * o, b_hh, hprev + o, hn + o, h + o);
    );
}

/* GRU classic, first half: r, z and r⊙h.  hp: [b][2H] U_rz h. */
ROWK(gruc_fwd_rz_row, (int H, real *restrict g, const real *restrict q, const real *restrict b_hh,
                                 const real *restrict hp, real *restrict rh),
     (H, g, q, b_hh, hp, rh)) {
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = sigm(g[j] + q[j] + b_hh[j]);
        real z = sigm(g[H + j] + q[H + j] + b_hh[H + j]);
        g[j] = r; g[H + j] = z;
        rh[j] = r * hp[j];
    }
}
static void gruc_fwd_rz(int b, int H, real *gx, const real *hp, const real *b_hh,
                        const real *hprev, real *rh) {
    gruc_fwd_rz_row_fn *row = gruc_fwd_rz_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, gx + 3 * o, hp + 2 * o, b_hh, hprev + o, rh + o);
    );
}

/* GRU classic, second half: n and h.  un: [b][H] U_n (r⊙h). */
ROWK(gruc_fwd_n_row, (int H, real *restrict g, const real *restrict u, const real *restrict b_hn,
                                const real *restrict hp, real *restrict h),
     (H, g, u, b_hn, hp, h)) {
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real n = tanh_r(g[2 * H + j] + u[j] + b_hn[j]);
        real z = g[H + j];
        g[2 * H + j] = n;
        h[j] = (1 - z) * n + z * hp[j];
    }
}
static void gruc_fwd_n(int b, int H, real *gx, const real *un, const real *b_hn,
                       const real *hprev, real *h) {
    gruc_fwd_n_row_fn *row = gruc_fwd_n_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, gx + 3 * o, un + o, b_hn, hprev + o, h + o);
    );
}

ROWK(rnn_fwd_row, (int H, int relu, real *restrict g, real *restrict h),
     (H, relu, g, h)) {
    if (relu) {
        #pragma omp simd
        for (int k = 0; k < H; k++) { real v = g[k] > 0 ? g[k] : 0; g[k] = v; h[k] = v; }
    } else {
        #pragma omp simd
        for (int k = 0; k < H; k++) { real v = tanh_r(g[k]); g[k] = v; h[k] = v; }
    }
}
static void rnn_fwd_step(int b, int H, int relu, real *g, real *h) {
    rnn_fwd_row_fn *row = rnn_fwd_row_pick();
    FOR_ROWS(b, H, row(H, relu, g + (size_t)bi * H, h + (size_t)bi * H););
}

/* ---- forward ---------------------------------------------------------------- */

/* The recurrence of layer l over batch rows [lo, hi) of b: step t's
 * recurrent product and gate pass for those rows only.  Rows never meet in
 * the recurrence (row i of h_t depends on row i of h_{t-1} alone), so any
 * split over rows gives the same bytes; rec_slices() below decides one.
 *
 * The input projection (layer_forward) wrote every step's gates ([T*b x GH],
 * MBs at the protocol's shapes), so step t's slice is back in L3 or DRAM
 * when the recurrent product adds to it, and each register tile's first C
 * loads miss (under perf, 2x64 LSTM's step products ran at half the
 * per-flop rate of its whole-sequence ones).  The next step's slice is asked
 * into L2 while this step runs (a hint: values unchanged); 2x64 LSTM T100
 * training +8 % / +14 % (medians of 5 and 9 interleaved runs).  Only when
 * the whole batch's slice fits easily (<= 128 KB: H <= 128 for LSTM);
 * larger ones would evict the streamed weights.  The backward's saved
 * activations, prefetched alike, measured no gain.
 *
 * m->kept = 0 (inference only, rnn_forward_packed with train = 0, own
 * kernels): nothing will read the gates again, so step t's input projection
 * is computed here, into a one-step scratch (step[2], rows lo.. of it), just
 * before its recurrent product adds to it — the same chain (bias, x·W_ih,
 * parked, then h·W_hh) as the whole-sequence projection, in L1/L2 instead
 * of a round trip through L3.  1 thread, Zen 4, min of 5 interleaved runs,
 * the 48 protocol shapes: 0.94-1.21x, geomean 1.07x (T >= 60: 1.09x; LSTM
 * 1x64 T100 1.17x, GRU 1x128 T100 1.21x; the losses at H = 32, where an
 * empty OpenMP region per call cost more than the memory saved, until
 * kgemm_pk stopped entering one; bench/results-2026-12-03-s14-ab.md).  Training keeps the
 * whole-sequence product: per step it measured 0.89-1.03x (the slice must
 * reach memory for backward either way). */
static void fwd_rows(rnn_model *m, int l, int b, int lo, int hi) {
    const rnn_spec *s = &m->spec;
    rnn_layer_act *a = &m->a[l];
    const rnn_layer_view *p = &m->p[l];
    const int T = s->seq_len, H = a->H, in = a->in, GH = m->G * H, n = hi - lo;
    const size_t slice = (size_t)n * GH * sizeof(real);
    const int proj = use_kern() && !m->kept;           /* see above */
    const int pf_next = !proj && (size_t)b * GH * sizeof(real) <= ((size_t)128 << 10);
    /* Inference, cells whose recurrent product adds to the gates (LSTM,
     * tanh, relu): x_t and h_{t-1} side by side in xh make the projection
     * and the recurrent product one product over the stacked weights
     * (K = in + H; rnn.h, wp_ih): one pass of the register tiles instead of
     * two, no park of the gates between, and layer 0's K = D = 3 product, all
     * tile overhead, is gone.  The same chain (bias, x·W_ih, h·W_hh; a K
     * block boundary parks it exactly), so the same bytes: the arithmetic
     * hash of test_kern did not move.  The copy is n·(in + H) floats a step.
     * LSTM, 1 thread, Zen 4, one process alternating the two forms 15-200
     * times (medians): 1.02-1.09x over H 32-300, L 1-2, T 20-100; 2 threads
     * 1.07x at 2x128 T60.  The GRUs keep two products: their h·W_hh goes to
     * its own buffer (r scales U_n h + b_hn). */
    const int fused = proj && (s->cell == RNN_LSTM || s->cell == RNN_TANH || s->cell == RNN_RELU);
    const int KX = in + H;
    real *xh = m->xh + (size_t)lo * KX;
    for (int t = 0; t < T; t++) {
        real *g = proj ? m->step[2] + (size_t)lo * GH : a->gates + ((size_t)t * b + lo) * GH;
        const real *xt = a->x + ((size_t)t * b + lo) * in;
        const real *hprev = a->hs + ((size_t)t * b + lo) * H;
        if (fused && t > 0) {                          /* h_{-1} = 0: t = 0 reads x alone */
            for (int i = 0; i < n; i++) {
                memcpy(xh + (size_t)i * KX, xt + (size_t)i * in, sizeof(real) * (size_t)in);
                memcpy(xh + (size_t)i * KX + in, hprev + (size_t)i * H, sizeof(real) * (size_t)H);
            }
            kgemm_pk(n, GH, KX, xh, KX, 1, m->wp_ih[l], ps_ih(m, l), m->step[3], 0, g, GH, SPLIT_N);
        } else if (proj) {
            kgemm_pk(n, GH, in, xt, in, 1, m->wp_ih[l], ps_ih(m, l), m->step[3], 0, g, GH, SPLIT_N);
        }
        real *h = a->hs + ((size_t)(t + 1) * b + lo) * H;
        if (pf_next && t + 1 < T) prefetch_l2(g + (size_t)b * GH, slice);
        switch (s->cell) {
        case RNN_LSTM:
            if (t > 0 && !fused) gemm_pk_nt(n, GH, H, hprev, H, p->w_hh, H, m->wp_hh[l], ps_hh(m, l), 1, g, GH, SPLIT_N);   /* h0 = 0 */
            lstm_fwd_step(n, H, g, a->cs + ((size_t)t * b + lo) * H, a->cs + ((size_t)(t + 1) * b + lo) * H,
                          a->tc + ((size_t)t * b + lo) * H, h);
            break;
        case RNN_GRU: {
            real *hp = m->step[0] + (size_t)lo * GH;
            if (t > 0) gemm_pk_nt(n, GH, H, hprev, H, p->w_hh, H, m->wp_hh[l], ps_hh(m, l), 0, hp, GH, SPLIT_N);
            else memset(hp, 0, sizeof(real) * (size_t)n * GH);
            gru_fwd_step(n, H, g, hp, p->b_hh, hprev, a->aux + ((size_t)t * b + lo) * H, h);
            break;
        }
        case RNN_GRU_CLASSIC: {
            real *hp = m->step[0] + (size_t)lo * 2 * H, *un = m->step[1] + (size_t)lo * H;
            real *rh = a->aux + ((size_t)t * b + lo) * H;
            if (t > 0) gemm_pk_nt(n, 2 * H, H, hprev, H, p->w_hh, H, m->wp_hh[l], ps_hh(m, l), 0, hp, 2 * H, SPLIT_N);
            else memset(hp, 0, sizeof(real) * (size_t)n * 2 * H);
            gruc_fwd_rz(n, H, g, hp, p->b_hh, hprev, rh);
            if (t > 0) gemm_pk_nt(n, H, H, rh, H, p->w_hh + (size_t)2 * H * H, H, m->wp_hhn[l], pk_stride(H), 0, un, H, SPLIT_N);
            else memset(un, 0, sizeof(real) * (size_t)n * H);
            gruc_fwd_n(n, H, g, un, p->b_hh + 2 * H, hprev, h);
            break;
        }
        case RNN_TANH: case RNN_RELU:
            if (t > 0 && !fused) gemm_pk_nt(n, H, H, hprev, H, p->w_hh, H, m->wp_hh[l], ps_hh(m, l), 1, g, H, SPLIT_N);
            rnn_fwd_step(n, H, s->cell == RNN_RELU, g, h);
            break;
        }
    }
}

static void rec_run(rnn_model *m, int l, int b, const real *dseq, const real *dlast, int bwd);

static void layer_forward(rnn_model *m, int l, const real *x, int b, int train, uint64_t key) {
    const rnn_spec *s = &m->spec;
    rnn_layer_act *a = &m->a[l];
    const rnn_layer_view *p = &m->p[l];
    const int T = s->seq_len, H = a->H, in = a->in, GH = m->G * H, TB = T * b;
    a->x = (real *)x;
    /* Initial states are zero.  They must be cleared on every pass: their
     * extent is b*H, so a smaller earlier batch wrote its h_1 over rows that
     * a larger batch reads as h_0. */
    memset(a->hs, 0, sizeof(real) * (size_t)b * H);
    if (a->cs) memset(a->cs, 0, sizeof(real) * (size_t)b * H);

    /* Input projection of all T steps at once, biases included:
     *     gates[TB x GH] = x · W_ih^T + bias,   bias [GH].
     * LSTM/RNN fold both vectors in here; the GRUs keep b_hh for the
     * recurrent side because the reset gate multiplies U_n h + b_hn. */
    real *bias = m->step[3];
    for (int j = 0; j < GH; j++)
        bias[j] = p->b_ih[j] + ((s->cell == RNN_LSTM || s->cell >= RNN_TANH) ? p->b_hh[j] : 0);
    if (use_kern() && m->kept) {
        /* The bias is each chain's init: no second pass over the gates.
         * (Inference: each step's projection in fwd_rows instead.) */
        kgemm_pk(TB, GH, in, x, in, 1, m->wp_ih[l], ps_ih(m, l), bias, 0, a->gates, GH, SPLIT_M);
    } else if (!use_kern()) {
        gemm(CblasNoTrans, CblasTrans, TB, GH, in, x, in, p->w_ih, in, 0, a->gates, GH, SPLIT_M);
        #pragma omp parallel for schedule(static) num_threads(tl_nt) if ((long)TB * GH >= PAR_MIN)
        for (int r = 0; r < TB; r++) {
            real *g = a->gates + (size_t)r * GH;
            #pragma omp simd
            for (int j = 0; j < GH; j++) g[j] += bias[j];
        }
    }

    rec_run(m, l, b, NULL, NULL, 0);

    /* The output fed upward: hs[1..T] itself, or its inverted-dropout copy.
     * Each mask element is a hash of (key, layer, index): the same for any
     * thread count, and reproducible from the seed. */
    const real *hseq = a->hs + (size_t)b * H;
    a->masked = a->mask && train;
    if (a->masked) {
        const double pdrop = s->dropout;
        const real keep = (real)(1.0 / (1.0 - pdrop));
        const uint64_t lk = rs_hash2(key, (uint64_t)l);
        const long n = (long)TB * H;
        #pragma omp parallel for schedule(static) num_threads(tl_nt) if (n >= PAR_MIN)
        for (long k = 0; k < n; k++) {
            real mk = rs_u01(rs_hash2(lk, (uint64_t)k)) < pdrop ? 0 : keep;
            a->mask[k] = mk;
            a->drop[k] = hseq[k] * mk;
        }
        a->out = a->drop;
    } else {
        a->out = (real *)hseq;
    }
}

/* The k-major copies of the x·Wᵀ operands the kernels read (rnn.h, wt_*):
 * packed once per forward — once per batch in training, since weights only
 * change at the Adam step between batches — instead of once per time step
 * as a BLAS does inside each of the T recurrent calls. */
static void pack_weights(rnn_model *m) {
#ifndef RS_DOUBLE
    const rnn_spec *s = &m->spec;
    const kern_path kp = kern_active();
    for (int l = 0; l < s->n_layers; l++) {
        const int H = m->a[l].H, in = m->a[l].in, GH = m->G * H;
        const real *w_hh = m->p[l].w_hh;                 /* [GH x H]            */
        if (s->cell == RNN_GRU_CLASSIC) {                /* U_rz, U_n apart     */
            kern_pack_b(kp, in, GH, m->p[l].w_ih, 1, in, m->wp_ih[l]);
            kern_pack_b(kp, H, 2 * H, w_hh, 1, H, m->wp_hh[l]);
            kern_pack_b(kp, H, H, w_hh + (size_t)2 * H * H, 1, H, m->wp_hhn[l]);
            continue;
        }
        /* Stacked: panel j = w_ih's K rows for its nr columns, then
         * w_hh's (rnn.h).  A pack is a copy, so each product reads the
         * same values as from two packings. */
        const int nr = kern_nr(kp);
        const long ps = ps_ih(m, l);
        for (int n0 = 0; n0 < GH; n0 += nr) {
            const int nw = GH - n0 < nr ? GH - n0 : nr;
            real *panel = m->wp_ih[l] + (long)(n0 / nr) * ps;
            kern_pack_b(kp, in, nw, m->p[l].w_ih + (size_t)n0 * in, 1, in, panel);
            kern_pack_b(kp, H, nw, w_hh + (size_t)n0 * H, 1, H, panel + (long)in * nr);
        }
        m->wp_hh[l] = m->wp_ih[l] + (long)in * nr;
    }
    kern_pack_t(s->n_out, m->a[s->n_layers - 1].H, m->w_out, m->a[s->n_layers - 1].H, m->wt_out);
#else
    (void)m;
#endif
}

void rnn_pack(rnn_model *m) {
    if (use_kern()) pack_weights(m);
    m->packed_path = use_kern() ? (int)kern_active() : -1;
}

static void forward(rnn_model *m, const real *x, int b, int train, uint64_t dropout_key, int pack) {
    const rnn_spec *s = &m->spec;
    m->b = b;
    int saved = engine_enter();
    if (pack) rnn_pack(m);
    assert(!use_kern() || m->packed_path == (int)kern_active());
    const real *in = x;
    m->kept = train || pack;      /* rnn_forward_packed(train = 0): inference only */
    for (int l = 0; l < s->n_layers; l++) {
        layer_forward(m, l, in, b, train, dropout_key);
        in = m->a[l].out;
    }
    /* Head on the last state of the top layer (never dropped out). */
    const rnn_layer_act *top = &m->a[s->n_layers - 1];
    const int H = top->H, K = s->n_out;
    const real *hT = top->hs + (size_t)s->seq_len * b * H;
    gemm_nt(b, K, H, hT, H, m->w_out, H, m->wt_out, K, 0, m->logits, K, SPLIT_M);
    for (int bi = 0; bi < b; bi++)
        for (int k = 0; k < K; k++) m->logits[(size_t)bi * K + k] += m->b_out[k];
    engine_leave(saved);
}

void rnn_forward(rnn_model *m, const real *x, int b, int train, uint64_t dropout_key) {
    forward(m, x, b, train, dropout_key, 1);
}

void rnn_forward_packed(rnn_model *m, const real *x, int b, int train, uint64_t dropout_key) {
    forward(m, x, b, train, dropout_key, 0);
}

double rnn_loss(rnn_model *m, const real *y) {
    const int b = m->b, K = m->spec.n_out;
    double loss = 0;
    if (m->spec.head == RNN_HEAD_REG) {
        for (int bi = 0; bi < b; bi++) {
            double d = (double)m->logits[bi] - (double)y[bi];
            loss += d * d;
            m->dlogits[bi] = (real)(2.0 * d / b);
        }
        return loss / b;
    }
    for (int bi = 0; bi < b; bi++) {
        const real *z = m->logits + (size_t)bi * K;
        real *dz = m->dlogits + (size_t)bi * K;
        double yc = (double)y[bi];
        int c = (int)yc;
        if (!(yc >= 0 && yc < K) || (double)c != yc) return NAN;
        double mx = z[0], sum = 0;
        for (int k = 1; k < K; k++) if (z[k] > mx) mx = z[k];
        for (int k = 0; k < K; k++) sum += exp((double)z[k] - mx);
        double lse = mx + log(sum);
        loss += lse - (double)z[c];
        for (int k = 0; k < K; k++)
            dz[k] = (real)((exp((double)z[k] - lse) - (k == c)) / b);
    }
    return loss / b;
}

void rnn_outputs(const rnn_model *m, double *out) {
    const int b = m->b, K = m->spec.n_out;
    for (int bi = 0; bi < b; bi++) {
        const real *z = m->logits + (size_t)bi * K;
        double *o = out + (size_t)bi * K;
        if (m->spec.head == RNN_HEAD_REG) { o[0] = z[0]; continue; }
        double mx = z[0], sum = 0;
        for (int k = 1; k < K; k++) if (z[k] > mx) mx = z[k];
        for (int k = 0; k < K; k++) { o[k] = exp((double)z[k] - mx); sum += o[k]; }
        for (int k = 0; k < K; k++) o[k] /= sum;
    }
}

/* ---- fused backward passes, one time step ---------------------------------
 * dhn [b][H]: in, dLoss/dh_t (already including the sequence gradient);
 * out, the part of dLoss/dh_{t-1} that does not go through U. */

ROWK(lstm_bwd_row, (int H, real *restrict g, const real *restrict tc, const real *restrict cp,
                              real *restrict dh, real *restrict dc),
     (H, g, tc, cp, dh, dc)) {
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real i_ = g[j], f_ = g[H + j], g_ = g[2 * H + j], o_ = g[3 * H + j];
        real t = tc[j], d = dh[j];
        real dcc = dc[j] + d * o_ * (1 - t * t);
        g[j] = dcc * g_ * i_ * (1 - i_);
        g[H + j] = dcc * cp[j] * f_ * (1 - f_);
        g[2 * H + j] = dcc * i_ * (1 - g_ * g_);
        g[3 * H + j] = d * t * o_ * (1 - o_);
        dc[j] = dcc * f_;
        dh[j] = 0;
    }
}
static void lstm_bwd_step(int b, int H, real *g, const real *tc, const real *cprev,
                          real *dhn, real *dcn) {
    lstm_bwd_row_fn *row = lstm_bwd_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, g + 4 * o, tc + o, cprev + o, dhn + o, dcn + o);
    );
}

/* GRU: g holds r,z,n in, dGx out; hn holds U_n h + b_hn in, dGh's n part out;
 * dgh [b][3H] is the contiguous h-side gradient for the per-step GEMM. */
ROWK(gru_bwd_row, (int H, real *restrict g, real *restrict u, const real *restrict hp,
                             real *restrict dh, real *restrict dq),
     (H, g, u, hp, dh, dq)) {
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = g[j], z = g[H + j], n = g[2 * H + j], d = dh[j];
        real dn = d * (1 - z) * (1 - n * n);
        real dz = d * (hp[j] - n) * z * (1 - z);
        real dr = dn * u[j] * r * (1 - r);
        g[j] = dr; g[H + j] = dz; g[2 * H + j] = dn;
        dq[j] = dr; dq[H + j] = dz; dq[2 * H + j] = dn * r;
        u[j] = dn * r;
        dh[j] = d * z;
    }
}
static void gru_bwd_step(int b, int H, real *g, real *hn, const real *hprev, real *dhn, real *dgh) {
    gru_bwd_row_fn *row = gru_bwd_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, g + 3 * o, hn + o, hprev + o, dhn + o, dgh + 3 * o);
    );
}

/* GRU classic, first half: dz, dn (into g), and dh*z into dhn. */
ROWK(gruc_bwd_zn_row, (int H, real *restrict g, const real *restrict hp, real *restrict dh),
     (H, g, hp, dh)) {
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real z = g[H + j], n = g[2 * H + j], d = dh[j];
        g[H + j] = d * (hp[j] - n) * z * (1 - z);
        g[2 * H + j] = d * (1 - z) * (1 - n * n);
        dh[j] = d * z;
    }
}
static void gruc_bwd_zn(int b, int H, real *g, const real *hprev, real *dhn) {
    gruc_bwd_zn_row_fn *row = gruc_bwd_zn_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, g + 3 * o, hprev + o, dhn + o);
    );
}

/* GRU classic, second half: drh = d(r⊙h) → dr and the direct part of dh. */
ROWK(gruc_bwd_r_row, (int H, real *restrict g, const real *restrict d, const real *restrict hp,
                                real *restrict dh),
     (H, g, d, hp, dh)) {
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = g[j];
        g[j] = d[j] * hp[j] * r * (1 - r);
        dh[j] += d[j] * r;
    }
}
static void gruc_bwd_r(int b, int H, real *g, const real *drh, const real *hprev, real *dhn) {
    gruc_bwd_r_row_fn *row = gruc_bwd_r_row_pick();
    FOR_ROWS(b, H,
        size_t o = (size_t)bi * H;
        row(H, g + 3 * o, drh + o, hprev + o, dhn + o);
    );
}

ROWK(rnn_bwd_row, (int H, int relu, real *restrict g, real *restrict dh),
     (H, relu, g, dh)) {
    if (relu) {
        #pragma omp simd
        for (int k = 0; k < H; k++) { g[k] = g[k] > 0 ? dh[k] : 0; dh[k] = 0; }
    } else {
        #pragma omp simd
        for (int k = 0; k < H; k++) { g[k] = dh[k] * (1 - g[k] * g[k]); dh[k] = 0; }
    }
}
static void rnn_bwd_step(int b, int H, int relu, real *g, real *dhn) {
    rnn_bwd_row_fn *row = rnn_bwd_row_pick();
    FOR_ROWS(b, H, row(H, relu, g + (size_t)bi * H, dhn + (size_t)bi * H););
}

static void add_into(real *dst, const real *src, long n) {
    if (tl_nt > 1 && n >= PAR_MIN) {    /* per step: no region below PAR_MIN (FOR_ROWS) */
        #pragma omp parallel for simd schedule(static) num_threads(tl_nt)
        for (long k = 0; k < n; k++) dst[k] += src[k];
    } else {
        #pragma omp simd
        for (long k = 0; k < n; k++) dst[k] += src[k];
    }
}

/* The backward recurrence of layer l over batch rows [lo, hi) of b, from
 * step T-1 down to 0 (rows independent, as in fwd_rows).  On return each
 * step's gate slice holds its gate gradients for these rows.
 *   dseq  [T][b][H] dLoss/d(out) from the layer above (dropout applied), or NULL
 *   dlast [b][H]    dLoss/dh_T from the head, or NULL */
static void bwd_rows(rnn_model *m, int l, const real *dseq, const real *dlast, int lo, int hi) {
    const rnn_spec *s = &m->spec;
    rnn_layer_act *a = &m->a[l];
    const rnn_layer_view *p = &m->p[l];
    const int T = s->seq_len, b = m->b, H = a->H, GH = m->G * H, n = hi - lo;
    real *dhn = m->step[0] + (size_t)lo * H, *dcn = m->step[1] + (size_t)lo * H;
    real *tmp = m->step[2] + (size_t)lo * (s->cell == RNN_GRU ? GH : H);
    const real *wb = m->wp_hhb[l];          /* W_hh packed for d·W_hh    */

    if (dlast) memcpy(dhn, dlast + (size_t)lo * H, sizeof(real) * (size_t)n * H);
    else memset(dhn, 0, sizeof(real) * (size_t)n * H);
    if (s->cell == RNN_LSTM) memset(dcn, 0, sizeof(real) * (size_t)n * H);

    for (int t = T - 1; t >= 0; t--) {
        const size_t r0 = (size_t)t * b + lo;           /* step t, row lo */
        real *g = a->gates + r0 * GH;
        const real *hprev = a->hs + r0 * H;
        if (dseq) add_into(dhn, dseq + r0 * H, (long)n * H);
        switch (s->cell) {
        case RNN_LSTM:
            lstm_bwd_step(n, H, g, a->tc + r0 * H, a->cs + r0 * H, dhn, dcn);
            if (t > 0) gemm_pk_nn(n, H, GH, g, GH, p->w_hh, H, wb, pk_stride(GH), 0, dhn, H, SPLIT_N);
            break;
        case RNN_GRU:
            gru_bwd_step(n, H, g, a->aux + r0 * H, hprev, dhn, tmp);
            if (t > 0) gemm_pk_nn(n, H, GH, tmp, GH, p->w_hh, H, wb, pk_stride(GH), 1, dhn, H, SPLIT_N);
            break;
        case RNN_GRU_CLASSIC:
            gruc_bwd_zn(n, H, g, hprev, dhn);
            gemm_pk_nn(n, H, H, g + 2 * H, GH, p->w_hh + (size_t)2 * H * H, H, wb + 2 * H * pk_stride(1), pk_stride(GH),
                       0, tmp, H, SPLIT_N);
            gruc_bwd_r(n, H, g, tmp, hprev, dhn);
            if (t > 0) gemm_pk_nn(n, H, 2 * H, g, GH, p->w_hh, H, wb, pk_stride(GH), 1, dhn, H, SPLIT_N);
            break;
        case RNN_TANH: case RNN_RELU:
            rnn_bwd_step(n, H, s->cell == RNN_RELU, g, dhn);
            if (t > 0) gemm_pk_nn(n, H, H, g, H, p->w_hh, H, wb, pk_stride(GH), 0, dhn, H, SPLIT_N);
            break;
        }
    }
}

/* Layer l's recurrence over the whole batch b, forward (bwd = 0: fwd_rows)
 * or backward (bwd = 1: bwd_rows, with its dseq and dlast), as the row
 * slices rec_slices() picks, each on its own thread with no team inside. */
static void rec_run(rnn_model *m, int l, int b, const real *dseq, const real *dlast, int bwd) {
    const int H = m->a[l].H, ns = rec_slices(b, H, m->G * H);
    if (ns == 1) {                             /* the calling thread, its team for the products */
        if (bwd) bwd_rows(m, l, dseq, dlast, 0, b);
        else fwd_rows(m, l, b, 0, b);
        return;
    }
    const int step = rec_step(b, ns);
    #pragma omp parallel for schedule(static) num_threads(ns)
    for (int c = 0; c < ns; c++) {
        const int lo = c * step, hi = lo + step < b ? lo + step : b;
        const int keep = tl_nt;
        tl_nt = 1;                             /* no team inside a slice */
        if (lo < hi) {
            if (bwd) bwd_rows(m, l, dseq, dlast, lo, hi);
            else fwd_rows(m, l, b, lo, hi);
        }
        tl_nt = keep;
    }
}

/* Backward through layer l.
 *   dseq  [T][b][H] dLoss/d(out) from the layer above, or NULL (top layer)
 *   dlast [b][H]    dLoss/dh_T from the head, or NULL
 *   dx    [T][b][in] receives dLoss/d(input), or NULL (layer 0) */
static void layer_backward(rnn_model *m, int l, real *dseq, const real *dlast, real *dx) {
    const rnn_spec *s = &m->spec;
    rnn_layer_act *a = &m->a[l];
    const rnn_layer_view *p = &m->p[l], *gd = &m->g[l];
    const int T = s->seq_len, b = m->b, H = a->H, in = a->in, GH = m->G * H, TB = T * b;

    /* Gradient through the dropout of this layer's output. */
    if (dseq && a->masked) {
        const long n = (long)TB * H;
        #pragma omp parallel for simd schedule(static) num_threads(tl_nt) if (n >= PAR_MIN)
        for (long k = 0; k < n; k++) dseq[k] *= a->mask[k];
    }
    rec_run(m, l, b, dseq, dlast, 1);

    /* Whole-sequence gradients.  Step 0 saw h_{-1} = 0, so the recurrent
     * weight GEMMs start at step 1; biases see every step. */
    const int TB1 = (T - 1) * b;
    const real *gates1 = a->gates + (size_t)b * GH, *hprev1 = a->hs + (size_t)b * H;
    gemm_tn(GH, in, TB, a->gates, GH, a->x, in, 1, gd->w_ih, in, SPLIT_M);
    /* Bias gradients: b_ih sees every gate; b_hh the same sums, except the
     * GRU's n part (U_n h + b_hn sits inside r's product: aux below). */
    colsum_acc2(a->gates, TB, GH, GH, gd->b_ih, s->cell == RNN_GRU ? 2 * H : GH, gd->b_hh);
    switch (s->cell) {
    case RNN_GRU:
        if (TB1 > 0) {
            gemm_tn(2 * H, H, TB1, gates1, GH, hprev1, H, 1, gd->w_hh, H, SPLIT_M);
            gemm_tn(H, H, TB1, a->aux + (size_t)b * H, H, hprev1, H, 1, gd->w_hh + (size_t)2 * H * H, H, SPLIT_M);
        }
        colsum_acc(a->aux, TB, H, H, gd->b_hh + 2 * H);
        break;
    case RNN_GRU_CLASSIC:
        if (TB1 > 0) {
            gemm_tn(2 * H, H, TB1, gates1, GH, hprev1, H, 1, gd->w_hh, H, SPLIT_M);
            gemm_tn(H, H, TB1, gates1 + 2 * H, GH, a->aux + (size_t)b * H, H, 1,
                    gd->w_hh + (size_t)2 * H * H, H, SPLIT_M);
        }
        break;
    default:
        if (TB1 > 0) gemm_tn(GH, H, TB1, gates1, GH, hprev1, H, 1, gd->w_hh, H, SPLIT_M);
        break;
    }
    if (dx) gemm_nn(TB, in, GH, a->gates, GH, p->w_ih, in, 0, dx, in, SPLIT_M);
}

/* W_hh [GH x H] for the per-step d·W_hh of the backward pass, packed once
 * per batch: the weights have not changed since the forward. */
static void pack_weights_bwd(rnn_model *m) {
#ifndef RS_DOUBLE
    const kern_path kp = kern_active();
    for (int l = 0; l < m->spec.n_layers; l++) {
        const int H = m->a[l].H, GH = m->G * H;
        kern_pack_b(kp, GH, H, m->p[l].w_hh, H, 1, m->wp_hhb[l]);
    }
#else
    (void)m;
#endif
}

void rnn_backward(rnn_model *m) {
    const rnn_spec *s = &m->spec;
    const int L = s->n_layers, b = m->b, K = s->n_out;
    const rnn_layer_act *top = &m->a[L - 1];
    const int H = top->H;
    const real *hT = top->hs + (size_t)s->seq_len * b * H;
    real *dlast = m->step[3];
    assert(m->kept);                   /* not after an inference-only forward */
    int saved = engine_enter();
    if (use_kern()) pack_weights_bwd(m);
    gemm_tn(K, H, b, m->dlogits, K, hT, H, 1, m->gw_out, H, SPLIT_N);
    colsum_acc(m->dlogits, b, K, K, m->gb_out);
    gemm_nn(b, H, K, m->dlogits, K, m->w_out, H, 0, dlast, H, SPLIT_N);
    real *cur = NULL;
    for (int l = L - 1; l >= 0; l--) {
        real *dx = l > 0 ? m->dseq[l & 1] : NULL;
        layer_backward(m, l, cur, l == L - 1 ? dlast : NULL, dx);
        cur = dx;
    }
    engine_leave(saved);
}

/* ---- weights blob -------------------------------------------------------- */

typedef struct {
    char     magic[8];                 /* "RNNSWEEP"                        */
    uint32_t version;                  /* 1                                 */
    uint32_t elem;                     /* sizeof(real): 4 or 8              */
    uint32_t cell, head, n_layers, n_in, n_out;
    uint32_t hidden[RNN_MAX_LAYERS];
    uint32_t pad;
    uint64_t n_params;
} blob_header;

size_t rnn_blob_size(const rnn_model *m) { return sizeof(blob_header) + m->n_params * sizeof(real); }

static void fill_header(const rnn_model *m, blob_header *h) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, "RNNSWEEP", 8);
    h->version = 1;
    h->elem = sizeof(real);
    h->cell = (uint32_t)m->spec.cell; h->head = (uint32_t)m->spec.head;
    h->n_layers = (uint32_t)m->spec.n_layers;
    h->n_in = (uint32_t)m->spec.n_in; h->n_out = (uint32_t)m->spec.n_out;
    for (int l = 0; l < m->spec.n_layers; l++) h->hidden[l] = (uint32_t)m->spec.hidden[l];
    h->n_params = m->n_params;
}

void rnn_blob_write(const rnn_model *m, void *buf) {
    blob_header h;
    fill_header(m, &h);
    memcpy(buf, &h, sizeof h);
    memcpy((char *)buf + sizeof h, m->params, m->n_params * sizeof(real));
}

int rnn_blob_read(rnn_model *m, const void *buf, size_t len, rs_err *e) {
    blob_header h, want;
    if (len < sizeof h) return rs_err_set(e, RS_EINPUT, "weights: %zu bytes is too short for a header", len);
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.magic, "RNNSWEEP", 8)) return rs_err_set(e, RS_EINPUT, "weights: not an rnnsweep weights blob (bad magic)");
    if (h.version != 1) return rs_err_set(e, RS_EINPUT, "weights: version %u, expected 1", h.version);
    if (h.elem != sizeof(real))
        return rs_err_set(e, RS_EINPUT, "weights: %u-byte reals, this build uses %zu", h.elem, sizeof(real));
    fill_header(m, &want);
    if (memcmp(&h, &want, sizeof h)) {
        char hs[96] = "", ws[96] = "";
        int n1 = 0, n2 = 0;
        for (unsigned l = 0; l < h.n_layers && l < RNN_MAX_LAYERS; l++)
            n1 += snprintf(hs + n1, sizeof hs - (size_t)n1, "%s%u", l ? "x" : "", h.hidden[l]);
        for (unsigned l = 0; l < want.n_layers; l++)
            n2 += snprintf(ws + n2, sizeof ws - (size_t)n2, "%s%u", l ? "x" : "", want.hidden[l]);
        return rs_err_set(e, RS_EINPUT,
            "weights: shape mismatch: blob has %s %s in=%u out=%u, model is %s %s in=%u out=%u",
            rnn_cell_name((rnn_cell)h.cell), hs, h.n_in, h.n_out,
            rnn_cell_name(m->spec.cell), ws, want.n_in, want.n_out);
    }
    if (len != rnn_blob_size(m))
        return rs_err_set(e, RS_EINPUT, "weights: %zu bytes, expected %zu", len, rnn_blob_size(m));
    memcpy(m->params, (const char *)buf + sizeof h, m->n_params * sizeof(real));
    memcpy(m->best, m->params, m->n_params * sizeof(real));
    return RS_OK;
}

int rnn_save(const rnn_model *m, const char *path, rs_err *e) {
    size_t n = rnn_blob_size(m);
    void *buf = malloc(n);
    if (!buf) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    rnn_blob_write(m, buf);
    /* Write a temporary then rename: a crash never leaves a half file. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = RS_OK;
    if (!f) rc = rs_err_set(e, RS_EINTERNAL, "%s: cannot create", tmp);
    else {
        if (fwrite(buf, 1, n, f) != n) rc = rs_err_set(e, RS_EINTERNAL, "%s: write failed", tmp);
        if (fclose(f) && !rc) rc = rs_err_set(e, RS_EINTERNAL, "%s: write failed", tmp);
        if (!rc && rename(tmp, path)) rc = rs_err_set(e, RS_EINTERNAL, "%s: cannot rename into place", path);
        if (rc) remove(tmp);
    }
    free(buf);
    return rc;
}

int rnn_load(rnn_model *m, const char *path, rs_err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return rs_err_set(e, RS_EINPUT, "%s: cannot open weights file", path);
    size_t cap = rnn_blob_size(m) + 1, n;
    char *buf = malloc(cap);
    if (!buf) { fclose(f); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    n = fread(buf, 1, cap, f);
    fclose(f);
    int rc = rnn_blob_read(m, buf, n, e);
    if (rc) {
        char msg[RS_ERRLEN];
        snprintf(msg, sizeof msg, "%.200s: %.300s", path, e ? e->msg : "");
        if (e) memcpy(e->msg, msg, sizeof msg);
    }
    free(buf);
    return rc;
}

const char *rnn_kernel_name(void) { return kern_name(kern_active()); }

double rnn_flops_per_seq(const rnn_spec *s, int train) {
    double f = 0, in = s->n_in, G = gates_of(s->cell);
    for (int l = 0; l < s->n_layers; l++) {
        double H = s->hidden[l], T = s->seq_len;
        double proj = 2 * T * in * G * H, rec = 2 * (T - 1) * H * G * H;
        f += proj + rec;                                  /* forward            */
        if (train) f += proj + 2 * rec + (l > 0 ? proj : 0);   /* dW_ih; dh and dW_hh; dX */
        in = H;
    }
    f += 2 * in * s->n_out * (train ? 3 : 1);
    return f;
}

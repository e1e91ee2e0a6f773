/*
 * kern.h — the engine's own float32 GEMM kernels, bitwise identical across
 * instruction sets and thread counts.
 *
 * Why: a BLAS picks its kernel by CPU (OpenBLAS's Haswell and SkylakeX sgemm
 * block K differently), so the same task trained on two node types gives
 * different bytes.  These kernels fix the arithmetic of every output element:
 *
 *     c = init;  for k = 0 .. K-1 (strictly in order):  c = fmaf(A(m,k), B(k,n), c)
 *
 * with init = +0, the old C[m][n] (accumulate) or a bias row.  The AVX-512 and AVX2 paths
 * vectorise across n only (one lane = one output element's chain) and tile
 * across m; the baseline path calls libm's fmaf, correctly rounded by
 * contract.  K is blocked for cache by storing C and continuing the chain
 * from it (a float store and reload is exact).  N tails use masked loads and
 * stores, never a different order.  So every path, every tiling and every
 * thread split (callers split over output elements only) yield the same
 * bytes.  The translation unit is C11 (-std=c11 implies -ffp-contract=off),
 * so no a*b+c elsewhere becomes an FMA in one clone and not in another.
 *
 * Paths ("kern_path"):
 *   avx512  AVX-512F/VL/BW/DQ intrinsics, 8 x 32 register tiles
 *   avx2    AVX2 + FMA intrinsics, 6 x 16 register tiles
 *   base    baseline x86-64: scalar fmaf chains
 *   blas    not a kernel of this module: the engine's OpenBLAS path
 *           (rnn.c), kept as the benchmarks' comparator.  Results then
 *           depend on OpenBLAS's kernel choice, as before.
 * Selection: the environment variable RS_KERNEL = avx512 | avx2 | base |
 * blas, read once on first use; unset or empty = the best path the CPU has
 * (avx512 > avx2 > base).  kern_force overrides it (tests).
 *
 * The gate passes of rnn.c follow the same choice (kern_isa): their AVX-512,
 * AVX2 and baseline clones are picked by it, so forcing a path forces every
 * vectorised loop of a training step.
 */
#ifndef RS_KERN_H
#define RS_KERN_H

#include <stddef.h>

#include "worker/util.h"

typedef enum {
    KERN_BASE = 0,
    KERN_AVX2 = 1,
    KERN_AVX512 = 2,
    KERN_BLAS = 3
} kern_path;
#define KERN_N_PATHS 4

/* Target attributes of the vector clones (kern.c and rnn.c's gate passes). */
#define KERN_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define KERN_TARGET_AVX2   __attribute__((target("avx2,fma")))

/* "base", "avx2", "avx512", "blas"; "?" for anything else. */
const char *kern_name(kern_path p);

/* Parse a name as kern_name prints it: 0, or -1 for an unknown name. */
int kern_parse(const char *s, kern_path *out);

/* Nonzero when this CPU can run path p (base and blas: always). */
int kern_cpu_has(kern_path p);

/* The best vector path this CPU has: KERN_AVX512, KERN_AVX2 or KERN_BASE. */
kern_path kern_best(void);

/* Resolve RS_KERNEL without side effects: 0 with *out set, or RS_EINPUT with
 * a message naming RS_KERNEL and the accepted values (unknown name), or the
 * path and the missing CPU features (the CPU cannot run it). */
int kern_from_env(kern_path *out, rs_err *e);

/* The active path.  The first call resolves RS_KERNEL (kern_from_env); a bad
 * value prints the message to stderr and exits with status 2 — a node asked
 * for kernels it cannot run must not silently compute something else. */
kern_path kern_active(void);

/* Force the active path (tests, benchmarks).  RS_EINPUT when the CPU lacks
 * it; the active path is then unchanged. */
int kern_force(kern_path p, rs_err *e);

/* The instruction set of the vector clones for the active path: the path
 * itself, or kern_best() for blas (in the emulated build, avx2 for avx512:
 * see kern_emulated). */
kern_path kern_isa(void);

/* 1 when path p runs emulated: only p = avx512 in a build with
 * -DKERN_EMU512 (the test binary test_kern_emu512), where the AVX-512
 * driver's seven vector operations are pairs of AVX2 ones (the masked
 * forms per-lane C: masked lanes untouched), so its blocking, packing and
 * tails run on a CPU without AVX-512.  0 in every product build. */
int kern_emulated(kern_path p);

/* ---- arithmetic versions ---------------------------------------------------
 * KERN_ARITH names the own kernels' arithmetic (the GEMM chains and the
 * gate passes' fmaf polynomials).  Every own path (avx512, avx2, base)
 * computes the same bytes, so one number stands for all of them.  Bump it
 * whenever a change alters any value training computes on those paths:
 * tests/test_kern.c trains a fixed model and compares a hash of the
 * weights with the one recorded for this number, and fails until both are
 * updated.  History:
 *   1   own kernels, 9ea7984 up to b281871 (task rows "kern=avx2 Haswell":
 *       no tag was written yet)
 *   2   own kernels with fmaf activations, b281871 up to b959520
 *   3   own kernels with cheaper activations: exp's polynomial of degree 6,
 *       tanh through expm1 in one formula (rnn.c, "activations"): the
 *       LSTM gate row 172 vector instructions instead of 224
 * The OpenBLAS path (RS_KERNEL=blas) has computed the same bytes as the
 * engine of 6d39433 throughout, on a given OpenBLAS core.  Each task's
 * `blas` field says what trained it: "kern=PATH aN CORE" (cmd_run.c), e.g.
 * "kern=avx2 a3 Haswell". */
#define KERN_ARITH 3

/* The arithmetic a task's blas field names, as text for messages, written
 * to out[n] (truncated to fit) and returned:
 *   "own kernels a2"        any own path with tag a2 (they agree bitwise)
 *   "own kernels, untagged" "kern=avx2 Haswell": own kernels before the
 *                           tags (arithmetic 1 or 2: undecidable)
 *   "OpenBLAS Haswell"      kern=blas, or a bare core name (a record from
 *                           before the own kernels): OpenBLAS on that core
 *   ""                      an empty field (the task never ran)
 * Two tasks with the same text were trained with one arithmetic. */
char *kern_arith_class(const char *blas, char *out, size_t n);

/* C[M x N] = (acc ? C : 0) + A·B on the active path (not blas: asserts).
 *   A(m,k) = A[m*ars + k*acs]    (row-major A: ars = lda, acs = 1;
 *                                 Aᵀ stored [K x M]: ars = 1, acs = lda)
 *   B(k,n) = B[k*ldb + n]        B is k-major: each row of K contiguous in n
 *   C(m,n) = C[m*ldc + n]
 * M, N, K >= 0; K == 0 leaves C (acc) or zeroes it.  Single-threaded: the
 * caller splits over disjoint blocks of C for threads. */
void kern_gemm(int M, int N, int K, const float *A, long ars, long acs,
               const float *B, long ldb, float *C, long ldc, int acc);

/* The same on an explicit path (kern_gemm is kern_gemm_on(kern_active())). */
void kern_gemm_on(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                  const float *B, long ldb, float *C, long ldc, int acc);

/* ---- pre-packed B: weights packed once per batch ---------------------------
 * Panels of kern_nr(p) columns (32 for avx512, else 16), zero padded; panel
 * j holds columns j*nr .. as Bp[j*pstride + k*nr + (n - j*nr)], pstride =
 * K*nr for a whole packing.  A column range starting at a multiple of nr is
 * the sub-buffer Bp + (n0/nr)*pstride; a K range starting at k0 is
 * Bp + k0*nr with the same pstride.  Bp must be 64-byte aligned. */
int    kern_nr(kern_path p);
size_t kern_packed_floats(kern_path p, int K, int N);       /* size of Bp   */
/* B(k,n) = B[k*bks + n*bns] for k < K, n < N (bks = ldb, bns = 1: B k-major;
 * bks = 1, bns = ldw: B = Wᵀ of W stored [N x K]). */
void   kern_pack_b(kern_path p, int K, int N, const float *B, long bks, long bns, float *Bp);
/* kern_gemm_on with B read from a packing made for the same path p: the same
 * chains, so the same bytes as the unpacked call. */
void   kern_gemm_packed(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                        const float *Bp, long pstride, float *C, long ldc, int acc);

/* The same with every row's chain starting from the bias row instead of 0:
 *     C(m,n) = bias[n];  for k in order: C(m,n) = fmaf(A(m,k), B(k,n), C(m,n))
 * bias: [N] floats, read only.  Why: adding the bias after the product is a
 * second pass over C (the input projection's [T*b x G*H] gates, as large as
 * the product itself when the input has few features); as the chain's init
 * it costs nothing.  The rounding differs from "product, then + bias" — the
 * same on every path, which is what identity needs. */
void   kern_gemm_packed_bias(kern_path p, int M, int N, int K, const float *A, long ars, long acs,
                             const float *Bp, long pstride, const float *bias, float *C, long ldc);

/* Pack the transpose of B [N x K] (row stride ldb) into Bt [K x N], dense:
 * Bt[k*N + n] = B[n*ldb + k].  The layout kern_gemm reads for x·Wᵀ. */
void kern_pack_t(int N, int K, const float *B, long ldb, float *Bt);

#endif /* RS_KERN_H */

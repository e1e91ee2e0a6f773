/*
 * bench_rnn.c — training and inference throughput of rnnsweep's RNN engine on
 * each GEMM kernel path side by side, and the sgemm rates it is measured
 * against.
 *
 *   build/bench/bench_rnn [--threads N] [--quick] [--filter cell,H,L,T]
 *                         [--min-time S] [--kernels avx2,blas] [--no-peak]
 *                         [--peak-only] [--list]
 *   --list prints the protocol's shapes ("cell,H,L,T", one a line, in run
 *   order; --quick's subset with --quick) and exits; --peak-only prints the
 *   header and the peak lines and exits (bench/run.sh --by-shape uses both).
 *
 * Protocol (shared with bench/torch_rnn.py and bench/bench_onednn.c):
 *   cell in {lstm, gru}, H in {32, 64, 128, 300}, L in {1, 2} (both H wide),
 *   T in {20, 60, 100}, batch 64, D = 3, float32, time-major input.
 *   train = forward + MSE loss on a linear head + backward + Adam step;
 *   infer = forward + head, weights packed once per sample as rnn_predict
 *   packs them once per test period (oneDNN: one reorder at setup); before
 *   session 10 every batch repacked.  2 warm-up steps, then steps until --min-time
 *   seconds pass = one sample; the median of 3 samples is reported.
 *   --kernels (default: the best path of this CPU, then blas) lists the
 *   engine's kernel paths (worker/kern.h); their samples are interleaved —
 *   sample 1 of every path, then sample 2... — so a shared machine's load
 *   drifts into every path alike and the ratios stay comparable.
 *
 * Output, one line per measurement:
 *   rnnsweep cell L H T threads mode seq_per_s gflops kern
 *   sgemm    cell L H T threads train gflops_on_engine_shapes
 *   peak     impl n threads gflops            (unless --no-peak)
 * gflops counts GEMM arithmetic only (rnn_flops_per_seq).  The sgemm line
 * replays the training step's GEMM shapes with plain cblas_sgemm: the rate
 * the engine would reach on OpenBLAS if it did nothing but its GEMMs.  The
 * peak lines are one n x n x n product (n = 2000), cblas_sgemm under the
 * environment's OPENBLAS_CORETYPE and each kernel path of --kernels, on
 * --threads threads: the "measured sgemm peak" the engine's rate is set
 * against.  The fma lines (peak fma-zmm / fma-ymm 0 threads gflops) are the
 * core's arithmetic ceiling: twelve independent chains of register-only
 * fused multiply-adds on 16 (zmm, AVX-512) or 8 (ymm, AVX2) lanes, on each
 * of --threads threads at once.  No GEMM reaches it (loads, tile edges,
 * packing); it is what "beyond any kernel on this CPU" is judged against
 * (bench/summarize.py), where the sgemm peak would be too low a ceiling:
 * Zen 4, 1 thread, measured 114 against sgemm's 87-98.
 */
#include "worker/kern.h"
#include "worker/train.h"

#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double min_time = 0.5;

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One sample: steps/s of fn(ctx) over at least min_time seconds. */
static double sample(void (*fn)(void *), void *ctx) {
    long n = 0;
    double t0 = rs_now(), t;
    do { fn(ctx); n++; t = rs_now() - t0; } while (t < min_time);
    return n / t;
}

static double median3(double *s) {
    qsort(s, 3, sizeof s[0], cmp_d);
    return s[1];
}

/* Median over 3 samples of steps/s for fn(ctx). */
static double measure(void (*fn)(void *), void *ctx) {
    double s[3];
    fn(ctx); fn(ctx);
    for (int k = 0; k < 3; k++) s[k] = sample(fn, ctx);
    return median3(s);
}

/* The kernel paths to compare. */
static kern_path g_paths[KERN_N_PATHS];
static int g_npaths;

/* Medians of 3 samples of fn(ctx) on each path, samples interleaved. */
static void measure_paths(void (*fn)(void *), void (*setup)(void *), void *ctx, double *out) {
    double s[KERN_N_PATHS][3];
    for (int k = 0; k < 3; k++)
        for (int p = 0; p < g_npaths; p++) {
            kern_force(g_paths[p], NULL);
            if (setup) setup(ctx);
            if (k == 0) { fn(ctx); fn(ctx); }
            s[p][k] = sample(fn, ctx);
        }
    for (int p = 0; p < g_npaths; p++) out[p] = median3(s[p]);
}

typedef struct { rnn_model *m; rnn_train_opts o; int b; } step_ctx;

static void train_step(void *p) {
    step_ctx *c = p;
    rnn_zero_grad(c->m);
    rnn_forward(c->m, c->m->xbatch, c->b, 1, 0);
    rnn_loss(c->m, c->m->ybatch);
    rnn_backward(c->m);
    rnn_adam_step(c->m, &c->o);
}

/* Inference as rnn_predict runs it over a test period: weights packed once
 * (infer_setup, after each path switch), then rnn_forward_packed per batch.
 * oneDNN's inference bench likewise reorders its weights once, at setup. */
static void infer_setup(void *p) {
    step_ctx *c = p;
    rnn_pack(c->m);
}
static void infer_step(void *p) {
    step_ctx *c = p;
    rnn_forward_packed(c->m, c->m->xbatch, c->b, 0, 0);
}

/* ---- sgemm on the engine's shapes ---------------------------------------- */
typedef struct { CBLAS_TRANSPOSE ta, tb; int M, N, K, count; } gshape;
typedef struct { gshape s[16]; int n; float *A, *B, *C; } gemm_ctx;

static void add_shape(gemm_ctx *g, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, int count) {
    if (count > 0 && M > 0 && N > 0 && K > 0) g->s[g->n++] = (gshape){ ta, tb, M, N, K, count };
}

static void gemm_replay(void *p) {
    gemm_ctx *g = p;
    for (int i = 0; i < g->n; i++) {
        const gshape *s = &g->s[i];
        int lda = s->ta == CblasNoTrans ? s->K : s->M, ldb = s->tb == CblasNoTrans ? s->N : s->K;
        for (int c = 0; c < s->count; c++)
            cblas_sgemm(CblasRowMajor, s->ta, s->tb, s->M, s->N, s->K, 1, g->A, lda, g->B, ldb, 1, g->C, s->N);
    }
}

/* The GEMMs of one training step of an L-layer lstm/gru, H wide, as the
 * engine issues them (see rnn.c): forward projection and T-1 recurrent
 * products; backward T-1 recurrent products, the weight gradients over the
 * whole sequence, and the input gradient of upper layers. */
static double sgemm_rate(rnn_cell cell, int L, int H, int T, int B, int D) {
    gemm_ctx g = { .n = 0 };
    int G = cell == RNN_LSTM ? 4 : 3, GH = G * H, in = D;
    double flops = 0;
    for (int l = 0; l < L; l++) {
        add_shape(&g, CblasNoTrans, CblasTrans, T * B, GH, in, 1);
        add_shape(&g, CblasNoTrans, CblasTrans, B, GH, H, T - 1);
        add_shape(&g, CblasNoTrans, CblasNoTrans, B, H, GH, T - 1);
        add_shape(&g, CblasTrans, CblasNoTrans, GH, H, (T - 1) * B, 1);
        add_shape(&g, CblasTrans, CblasNoTrans, GH, in, T * B, 1);
        if (l > 0) add_shape(&g, CblasNoTrans, CblasNoTrans, T * B, in, GH, 1);
        in = H;
    }
    size_t big = (size_t)T * B * GH + (size_t)GH * 512 + 4096;
    g.A = calloc(big, sizeof(float)); g.B = calloc(big, sizeof(float)); g.C = calloc(big, sizeof(float));
    for (size_t i = 0; i < big; i++) { g.A[i] = 1e-3f * (float)(i % 17); g.B[i] = 1e-3f * (float)(i % 13); }
    for (int i = 0; i < g.n; i++) flops += 2.0 * g.s[i].M * g.s[i].N * g.s[i].K * g.s[i].count;
    double per_s = measure(gemm_replay, &g);
    free(g.A); free(g.B); free(g.C);
    return per_s * flops / 1e9;
}

/* The 1-minute load average, to print beside the figures (shared machine). */
static const char *load_text(void) {
    static char buf[64] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) snprintf(buf, sizeof buf, "?");
        fclose(f);
        buf[strcspn(buf, " \n")] = 0;
    }
    return buf;
}

/* ---- peak: one big square product ----------------------------------------- */
typedef struct { int n; float *A, *B, *C; kern_path p; } peak_ctx;

static void peak_blas(void *q) {
    peak_ctx *c = q;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->n, c->n, c->n, 1, c->A, c->n, c->B, c->n, 0, c->C, c->n);
}

/* The engine's kernels split over column blocks the way rnn.c does. */
static void peak_kern(void *q) {
    peak_ctx *c = q;
    const int nt = omp_get_max_threads(), step = ((c->n + nt - 1) / nt + 15) / 16 * 16;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < nt; t++) {
        int lo = t * step, hi = lo + step < c->n ? lo + step : c->n;
        if (lo < hi) kern_gemm_on(c->p, c->n, hi - lo, c->n, c->A, c->n, 1, c->B + lo, c->n, c->C + lo, c->n, 0);
    }
}

/* ---- the FMA ceiling --------------------------------------------------------
 * n iterations of 12 independent FMA chains (enough to cover the FMA
 * latency on two pipes); returns a sum of the chains so none is dead code.
 * The values stay normal: c grows by 1e-7 a step from 0. */
#define FMA12(T, FMA) \
    T c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z, c8 = z, c9 = z, c10 = z, c11 = z; \
    /* The empty asm claims to change every chain: GCC can neither merge  \
     * the twelve (they are equal) nor fold the loop. */                   \
    for (long i = 0; i < n; i++) { \
        c0 = FMA(a, b, c0); c1 = FMA(a, b, c1); c2 = FMA(a, b, c2); c3 = FMA(a, b, c3); \
        c4 = FMA(a, b, c4); c5 = FMA(a, b, c5); c6 = FMA(a, b, c6); c7 = FMA(a, b, c7); \
        c8 = FMA(a, b, c8); c9 = FMA(a, b, c9); c10 = FMA(a, b, c10); c11 = FMA(a, b, c11); \
        __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5)); \
        __asm__ volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11)); \
    }
__attribute__((target("avx512f"))) static float fma_zmm(long n) {
    const __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(1e-7f), z = _mm512_setzero_ps();
    FMA12(__m512, _mm512_fmadd_ps)
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    return _mm512_reduce_add_ps(s);
}
__attribute__((target("avx2,fma"))) static float fma_ymm(long n) {
    const __m256 a = _mm256_set1_ps(1.0f), b = _mm256_set1_ps(1e-7f), z = _mm256_setzero_ps();
    FMA12(__m256, _mm256_fmadd_ps)
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float f[8];
    _mm256_storeu_ps(f, s);
    return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#undef FMA12

/* GFLOP/s of `threads` threads running fma_zmm (zmm = 1) or fma_ymm at once:
 * the best of 3 runs of ~0.2 s. */
static double fma_peak(int zmm, int threads) {
    const long n = 20000000;                   /* 20M x 12 FMAs: ~0.2 s at 1.2 per ns */
    const double flops = (double)n * 12 * 2 * (zmm ? 16 : 8) * threads;
    double best = 0;
    volatile float sink = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = rs_now();
        #pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += zmm ? fma_zmm(n) : fma_ymm(n);
        double t = rs_now() - t0;
        if (flops / t > best) best = flops / t;
    }
    return best / 1e9;
}

static void print_peaks(int threads) {
    peak_ctx c = { .n = 2000 };
    size_t nn = (size_t)c.n * c.n;
    c.A = malloc(sizeof(float) * nn); c.B = malloc(sizeof(float) * nn); c.C = malloc(sizeof(float) * nn);
    for (size_t i = 0; i < nn; i++) { c.A[i] = 1e-3f * (float)(i % 17); c.B[i] = 1e-3f * (float)(i % 13); }
    double f = 2.0 * c.n * c.n * c.n;
    printf("peak openblas %d %d %.1f\n", c.n, threads, measure(peak_blas, &c) * f / 1e9);
    for (int p = 0; p < g_npaths; p++) {
        if (g_paths[p] == KERN_BLAS || g_paths[p] == KERN_BASE) continue;
        c.p = g_paths[p];
        printf("peak kern-%s %d %d %.1f\n", kern_name(c.p), c.n, threads, measure(peak_kern, &c) * f / 1e9);
    }
    if (kern_cpu_has(KERN_AVX512)) printf("peak fma-zmm 0 %d %.1f\n", threads, fma_peak(1, threads));
    if (kern_cpu_has(KERN_AVX2)) printf("peak fma-ymm 0 %d %.1f\n", threads, fma_peak(0, threads));
    fflush(stdout);
    free(c.A); free(c.B); free(c.C);
}

static void run_config(rnn_cell cell, int H, int L, int T, int threads) {
    const int B = 64, D = 3;
    rnn_spec s = { .cell = cell, .n_layers = L, .n_in = D, .seq_len = T, .batch = B,
                   .head = RNN_HEAD_REG, .n_out = 1, .seed = 1 };
    for (int l = 0; l < L; l++) s.hidden[l] = H;
    rs_err e;
    rnn_model *m = rnn_create(&s, &e);
    if (!m) { fprintf(stderr, "bench_rnn: %s\n", e.msg); exit(1); }
    rs_rng r; rs_rng_seed(&r, 2);
    for (int i = 0; i < T * B * D; i++) m->xbatch[i] = (real)rs_rng_normal(&r);
    for (int i = 0; i < B; i++) m->ybatch[i] = (real)rs_rng_normal(&r);
    step_ctx c = { m, rnn_train_defaults(), B };
    const char *cn = rnn_cell_name(cell);
    double ft = rnn_flops_per_seq(&s, 1), fi = rnn_flops_per_seq(&s, 0);
    double tr[KERN_N_PATHS], in[KERN_N_PATHS];
    measure_paths(train_step, NULL, &c, tr);
    measure_paths(infer_step, infer_setup, &c, in);
    for (int p = 0; p < g_npaths; p++) {
        printf("rnnsweep %s %d %d %d %d train %.1f %.2f %s\n", cn, L, H, T, threads, tr[p] * B,
               tr[p] * B * ft / 1e9, kern_name(g_paths[p]));
        printf("rnnsweep %s %d %d %d %d infer %.1f %.2f %s\n", cn, L, H, T, threads, in[p] * B,
               in[p] * B * fi / 1e9, kern_name(g_paths[p]));
    }
    printf("sgemm %s %d %d %d %d train %.2f\n", cn, L, H, T, threads, sgemm_rate(cell, L, H, T, B, D));
    fflush(stdout);
    rnn_free(m);
}

int main(int argc, char **argv) {
    int threads = 1, quick = 0, peak = 1, list = 0, peak_only = 0;
    const char *filter = NULL, *kernels = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc) kernels = argv[++i];
        else if (!strcmp(argv[i], "--no-peak")) peak = 0;
        else if (!strcmp(argv[i], "--list")) list = 1;
        else if (!strcmp(argv[i], "--peak-only")) peak_only = 1;
        else {
            fprintf(stderr, "usage: bench_rnn [--threads N] [--quick] [--filter cell,H,L,T] [--min-time S]"
                            " [--kernels avx2,blas] [--no-peak] [--peak-only] [--list]\n");
            return 2;
        }
    }
    /* The protocol's shapes, one "cell,H,L,T" a line, in run order: the list
     * bench/run.sh --by-shape walks and hands to every implementation's
     * --filter.  torch_rnn.py and bench_onednn.c still keep their own copy
     * of these loops for a whole pass (run.sh without --by-shape). */
    static const int Hs[4] = { 32, 64, 128, 300 }, Ts[3] = { 20, 60, 100 };
#define FOR_SHAPES(BODY) \
    for (int c = 0; c < 2; c++) \
        for (int hi = 0; hi < 4; hi++) \
            for (int L = 1; L <= 2; L++) \
                for (int ti = 0; ti < 3; ti++) { \
                    if (quick && (Hs[hi] == 64 || Hs[hi] == 300 || L == 2 || Ts[ti] != 60)) continue; \
                    const rnn_cell cell = c ? RNN_GRU : RNN_LSTM; \
                    const int H = Hs[hi], T = Ts[ti]; \
                    BODY \
                }
    if (list) {
        FOR_SHAPES(printf("%s,%d,%d,%d\n", rnn_cell_name(cell), H, L, T);)
        return 0;
    }
    char kbuf[64];
    snprintf(kbuf, sizeof kbuf, "%s,blas", kern_name(kern_best()));
    char *save = NULL;
    for (char *tok = strtok_r(kernels ? (char *)kernels : kbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        rs_err e;
        if (g_npaths == KERN_N_PATHS || kern_parse(tok, &g_paths[g_npaths])) {
            fprintf(stderr, "bench_rnn: --kernels: '%s': expected a list of avx512, avx2, base, blas\n", tok);
            return 2;
        }
        if (kern_force(g_paths[g_npaths], &e)) { fprintf(stderr, "bench_rnn: --kernels: %s\n", e.msg); return 2; }
        g_npaths++;
    }
    if (threads < 1) { fprintf(stderr, "bench_rnn: --threads must be >= 1\n"); return 2; }
    omp_set_num_threads(threads);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("# rnnsweep engine; OPENBLAS_CORETYPE=%s; openblas %s; threads %d; kernels",
           ct ? ct : "(unset)", openblas_get_config(), threads);
    for (int p = 0; p < g_npaths; p++) printf(" %s", kern_name(g_paths[p]));
    printf("; load %s\n", load_text());
    if (peak || peak_only) print_peaks(threads);
    if (peak_only) return 0;
    if (filter) {
        char cn[32]; int H, L, T;
        rnn_cell cell;
        if (sscanf(filter, "%31[^,],%d,%d,%d", cn, &H, &L, &T) != 4 || rnn_cell_parse(cn, &cell)) {
            fprintf(stderr, "bench_rnn: --filter expects cell,H,L,T (e.g. lstm,64,1,60)\n");
            return 2;
        }
        run_config(cell, H, L, T, threads);
        return 0;
    }
    FOR_SHAPES(run_config(cell, H, L, T, threads);)
#undef FOR_SHAPES
    return 0;
}

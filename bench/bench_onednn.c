/*
 * bench/bench_onednn.c - oneDNN (DNNL 2.x C API) LSTM / GRU throughput, the
 * strongest CPU RNN library on this machine, as a yardstick for rnnsweep.
 *
 * Protocol (shared with bench/torch_rnn.py and rnnsweep's own bench):
 *   cell in {lstm, gru}; hidden H in {32, 64, 128, 300}; layers L in {1, 2}
 *   (every layer H wide); T in {20, 60, 100}; batch B = 64; D = 3 input
 *   features; float32; time-major input [T][B][D].
 *   train : sequences/s of one full step = forward_training over all T steps
 *           + backward through all T steps with weight gradients.
 *   infer : sequences/s of forward_inference.
 *   Timing: 2 warm-up steps (once per config and mode), then 3 samples; one
 *   sample repeats steps until at least --min-time seconds have passed
 *   (CLOCK_MONOTONIC); report the median of B * steps / elapsed.
 *
 * Output (stdout): '#' comment lines, then one line per (config, mode):
 *     impl cell L H T threads mode seq_per_s
 *   e.g. "onednn gru 2 300 100 2 infer 15234.0". Errors go to stderr with
 *   exit status 1 (2 for bad command-line usage).
 *
 * Options: --threads N (omp_set_num_threads(N); Debian's libdnnl uses OpenMP)
 *          --quick (H in {32,128}, T=60, L=1: smoke test)
 *          --filter cell,H,L,T (one configuration; overrides --quick)
 *          --min-time S (default 0.5)
 *
 * Build: mpicc -std=c11 -O2 -Wall -Wextra -fopenmp -I. -D_GNU_SOURCE \
 *            bench/bench_onednn.c -ldnnl -lm -o build/bench/bench_onednn
 * Run:   build/bench/bench_onednn --threads 1 [--quick]
 *
 * What is measured, and how it differs from the PyTorch side:
 *  - "gru" is oneDNN's LBR GRU (linear-before-reset: r * (W_hn h + b_hn)),
 *    which is the PyTorch / cuDNN form and the form rnnsweep's gru uses.
 *    oneDNN's plain "gru" applies the reset gate before the recurrent product
 *    (the Cho et al. form) and would be a different model.
 *  - Only the RNN primitives run: no Linear head, no loss, no optimiser
 *    (oneDNN has none). diff_dst_layer is a fixed random [T][B][H] tensor
 *    (gradient arriving at every time step, whereas the torch head only feeds
 *    the last step; the cost is the same for a full BPTT). This favours
 *    oneDNN slightly: the head + MSE + Adam are a few percent of a PyTorch
 *    step at these sizes.
 *  - The bottom layer's backward also computes diff_src_layer (the input
 *    gradient, [T][B][3]): the API requires it; it is a tiny GEMM.
 *  - Explicit zero initial states (src_iter, and src_iter_c for LSTM) are
 *    always passed: oneDNN 2.6.3's LSTM weight gradient is wrong when the
 *    initial state is omitted.
 *  - L = 2 is two chained one-layer primitives. A single 2-layer primitive is
 *    not possible here: oneDNN's weights_layer is [L][dir][SLC][G][H] with one
 *    SLC for all layers, so a stacked primitive needs input width == H, and
 *    our input has D = 3 features. Layer 2's diff_src_layer is layer 1's
 *    diff_dst_layer (same memory object).
 *  - Weight layouts: the canonical (optimiser-owned) weights are plain ldigo /
 *    ldgo. The primitives are created with format 'any'; if a training
 *    primitive wants another layout, the reorder runs inside every timed
 *    training step (the weights change every step in real training). For
 *    inference the reorder (e.g. to a packed GEMM format) runs once at setup.
 *  - oneDNN's RNN backward ACCUMULATES into diff_weights_* / diff_bias
 *    (verified: two backward calls give exactly 2x the gradient), so each
 *    training step zeroes them first (memset, timed), as zero_grad would.
 *  - All memory is allocated once per configuration and reused; the
 *    library-managed scratchpad is used.
 *  - Sanity checks (once per configuration, before timing): after one
 *    forward_training every dst_layer is finite; after backward every
 *    diff_weights_layer is finite and not all zero; the inference output is
 *    finite.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dnnl.h>
#include <dnnl_debug.h>

/* ---------------------------------------------------------------- errors */

/* Every dnnl call goes through CHECK: on failure print call + status, exit 1. */
#define CHECK(call)                                                          \
    do {                                                                     \
        dnnl_status_t st_ = (call);                                          \
        if (st_ != dnnl_success) {                                           \
            fprintf(stderr, "bench_onednn: %s:%d: %s failed: %s (%d)\n",     \
                    __FILE__, __LINE__, #call, dnnl_status2str(st_),         \
                    (int)st_);                                               \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

static void die(const char *msg)
{
    fprintf(stderr, "bench_onednn: %s\n", msg);
    exit(1);
}

/* ------------------------------------------------------------ constants */

enum { BATCH = 64, NFEAT = 3, NSAMPLES = 3, NWARMUP = 2 };

typedef enum { CELL_LSTM = 0, CELL_GRU = 1 } cell_t;
static const char *cell_name[] = {"lstm", "gru"};

/* ----------------------------------------------------- global handles */

static dnnl_engine_t g_eng;
static dnnl_stream_t g_stream;

/* --------------------------------------------------------------- random */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

/* xorshift64*: uniform in [-a, a). Deterministic, good enough for data. */
static float frand(float a)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    uint64_t r = g_rng * 0x2545F4914F6CDD1Dull;
    return (float)((double)(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0) * a;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------ memory helpers */

/* Plain memory descriptor with the given dims and tag (or dnnl_format_tag_any). */
static dnnl_memory_desc_t md_of(int nd, const dnnl_dim_t *d, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims;
    for (int i = 0; i < nd; i++) dims[i] = d[i];
    CHECK(dnnl_memory_desc_init_by_tag(&md, nd, dims, dnnl_f32, tag));
    return md;
}

static float *mem_ptr(dnnl_memory_t m)
{
    void *p = NULL;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    return (float *)p;
}

static size_t mem_nfloats(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md = NULL;
    CHECK(dnnl_memory_get_memory_desc(m, &md));
    return dnnl_memory_desc_get_size(md) / sizeof(float);
}

/* Copy of md's dims/type in a plain tag (for reading a blocked tensor back). */
static dnnl_memory_t plain_copy(dnnl_memory_t src, dnnl_format_tag_t tag)
{
    const dnnl_memory_desc_t *smd = NULL;
    CHECK(dnnl_memory_get_memory_desc(src, &smd));
    dnnl_memory_desc_t pmd = md_of(smd->ndims, smd->dims, tag);
    dnnl_memory_t dst;
    CHECK(dnnl_memory_create(&dst, &pmd, g_eng, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, smd, g_eng, &pmd, g_eng, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
    CHECK(dnnl_primitive_execute(r, g_stream, 2, a));
    CHECK(dnnl_stream_wait(g_stream));
    CHECK(dnnl_primitive_destroy(r));
    CHECK(dnnl_primitive_desc_destroy(rpd));
    return dst;
}

/* Sanity check of a tensor: all finite and (optionally) not all zero. */
static void check_tensor(dnnl_memory_t m, dnnl_format_tag_t plain_tag,
                         int need_nonzero, const char *what, const char *cfg)
{
    dnnl_memory_t p = plain_copy(m, plain_tag);
    const float *x = mem_ptr(p);
    size_t n = mem_nfloats(p), nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            fprintf(stderr, "bench_onednn: %s: %s has a non-finite value at %zu\n",
                    cfg, what, i);
            exit(1);
        }
        nonzero += (x[i] != 0.0f);
    }
    if (need_nonzero && nonzero == 0) {
        fprintf(stderr, "bench_onednn: %s: %s is all zero\n", cfg, what);
        exit(1);
    }
    CHECK(dnnl_memory_destroy(p));
}

/* ------------------------------------------------------------- a layer */

/* One unidirectional single-layer RNN primitive set (fwd, and bwd if train),
 * with every memory object it uses. Objects this layer owns are recorded in
 * owned_mem / owned_prim / owned_pd and destroyed by layer_free(). src_layer
 * and diff_dst_layer are borrowed from the caller (network input / layer
 * below's output, network diff / layer above's diff_src_layer). */
typedef struct {
    int train;
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_t dst_layer, diff_src_layer, diff_w_layer;

    /* diff weights / bias: zeroed at the start of every training step,
     * because oneDNN's RNN backward ACCUMULATES into them */
    void *grad_ptr[3];
    size_t grad_bytes[3];

    dnnl_exec_arg_t fwd_args[16];
    int n_fwd;
    dnnl_exec_arg_t bwd_args[24];
    int n_bwd;

    /* weight reorders run at the start of every training step */
    dnnl_primitive_t step_reorder[6];
    dnnl_exec_arg_t step_reorder_args[6][2];
    int n_step_reorder;

    dnnl_memory_t owned_mem[32];
    int n_mem;
    dnnl_primitive_t owned_prim[16];
    int n_prim;
    dnnl_primitive_desc_t owned_pd[16];
    int n_pd;
} layer_t;

static dnnl_memory_t own_mem(layer_t *l, const dnnl_memory_desc_t *md, int zero)
{
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, md, g_eng, DNNL_MEMORY_ALLOCATE));
    if (zero) memset(mem_ptr(m), 0, dnnl_memory_desc_get_size(md));
    if (l->n_mem >= 32) die("internal: too many memories");
    l->owned_mem[l->n_mem++] = m;
    return m;
}

static void add_arg(dnnl_exec_arg_t *args, int *n, int arg, dnnl_memory_t m)
{
    args[*n].arg = arg;
    args[*n].memory = m;
    (*n)++;
}

static const dnnl_memory_desc_t *arg_md(dnnl_primitive_desc_t pd, int arg)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
    if (!md) die("internal: dnnl_primitive_desc_query_md returned NULL");
    return md;
}

/* Return the memory primitive `pd` wants for argument `arg`, given the
 * canonical user memory `user`. If the layouts match, that is `user` itself;
 * else a new memory plus a reorder user -> new: executed once now (once=1,
 * inference) or registered to run at every training step (once=0). */
static dnnl_memory_t bind_weights(layer_t *l, dnnl_primitive_desc_t pd, int arg,
                                  dnnl_memory_t user, int once)
{
    const dnnl_memory_desc_t *want = arg_md(pd, arg);
    const dnnl_memory_desc_t *have = NULL;
    CHECK(dnnl_memory_get_memory_desc(user, &have));
    if (dnnl_memory_desc_equal(want, have)) return user;

    dnnl_memory_t m = own_mem(l, want, 0);
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, have, g_eng, want, g_eng, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    l->owned_pd[l->n_pd++] = rpd;
    l->owned_prim[l->n_prim++] = r;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, m}};
    if (once) {
        CHECK(dnnl_primitive_execute(r, g_stream, 2, a));
        CHECK(dnnl_stream_wait(g_stream));
    } else {
        int k = l->n_step_reorder++;
        l->step_reorder[k] = r;
        l->step_reorder_args[k][0] = a[0];
        l->step_reorder_args[k][1] = a[1];
    }
    return m;
}

static void fill_uniform(dnnl_memory_t m, float a)
{
    float *p = mem_ptr(m);
    size_t n = mem_nfloats(m);
    for (size_t i = 0; i < n; i++) p[i] = frand(a);
}

/* Build one layer: input width I, hidden H, T steps. src_layer [T][B][I] and
 * (train only) diff_dst_layer [T][B][H] are borrowed memories in tnc. */
static void layer_init(layer_t *l, cell_t cell, int I, int H, int T, int train,
                       dnnl_memory_t src_layer, dnnl_memory_t diff_dst_layer)
{
    memset(l, 0, sizeof *l);
    l->train = train;
    const int lstm = (cell == CELL_LSTM);
    const dnnl_dim_t G = lstm ? 4 : 3;  /* gates in the weights */
    const dnnl_dim_t Gb = 4;            /* LSTM: 4 biases; LBR GRU: 3 + b_hn */

    const dnnl_dim_t d_src[] = {T, BATCH, I}, d_dst[] = {T, BATCH, H};
    const dnnl_dim_t d_iter[] = {1, 1, BATCH, H};
    const dnnl_dim_t d_wl[] = {1, 1, I, G, H}, d_wi[] = {1, 1, H, G, H};
    const dnnl_dim_t d_b[] = {1, 1, Gb, H};

    dnnl_memory_desc_t src_md = md_of(3, d_src, dnnl_tnc);
    dnnl_memory_desc_t dst_md = md_of(3, d_dst, dnnl_tnc);
    dnnl_memory_desc_t iter_md = md_of(4, d_iter, dnnl_ldnc);
    dnnl_memory_desc_t wl_any = md_of(5, d_wl, dnnl_format_tag_any);
    dnnl_memory_desc_t wi_any = md_of(5, d_wi, dnnl_format_tag_any);
    dnnl_memory_desc_t b_any = md_of(4, d_b, dnnl_format_tag_any);
    dnnl_memory_desc_t wl_user = md_of(5, d_wl, dnnl_ldigo);
    dnnl_memory_desc_t wi_user = md_of(5, d_wi, dnnl_ldigo);
    dnnl_memory_desc_t b_user = md_of(4, d_b, dnnl_ldgo);

    /* ---- forward primitive descriptor */
    const dnnl_prop_kind_t pk = train ? dnnl_forward_training : dnnl_forward_inference;
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
    dnnl_rnn_desc_t fd;
    if (lstm)
        CHECK(dnnl_lstm_forward_desc_init(&fd, pk, dir, &src_md, &iter_md, &iter_md,
                                          &wl_any, &wi_any, &b_any, &dst_md, NULL, NULL, 0));
    else
        CHECK(dnnl_lbr_gru_forward_desc_init(&fd, pk, dir, &src_md, &iter_md, &wl_any,
                                             &wi_any, &b_any, &dst_md, NULL, 0));
    dnnl_primitive_desc_t fpd;
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, g_eng, NULL));
    l->owned_pd[l->n_pd++] = fpd;

    /* ---- canonical weights (PyTorch-like init U(-1/sqrt(H), 1/sqrt(H))) */
    const float k = 1.0f / sqrtf((float)H);
    dnnl_memory_t wl = own_mem(l, &wl_user, 0), wi = own_mem(l, &wi_user, 0);
    dnnl_memory_t b = own_mem(l, &b_user, 0);
    fill_uniform(wl, k);
    fill_uniform(wi, k);
    fill_uniform(b, k);

    /* explicit zero initial states (see header: oneDNN LSTM dW bug) */
    dnnl_memory_t s_iter = own_mem(l, &iter_md, 1);
    dnnl_memory_t s_iter_c = lstm ? own_mem(l, &iter_md, 1) : NULL;
    l->dst_layer = own_mem(l, &dst_md, 1);

    dnnl_memory_t fwl = bind_weights(l, fpd, DNNL_ARG_WEIGHTS_LAYER, wl, !train);
    dnnl_memory_t fwi = bind_weights(l, fpd, DNNL_ARG_WEIGHTS_ITER, wi, !train);
    dnnl_memory_t fb = bind_weights(l, fpd, DNNL_ARG_BIAS, b, !train);

    dnnl_memory_t ws = NULL;
    if (train) {
        const dnnl_memory_desc_t *wsmd = dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0);
        if (!wsmd || wsmd->ndims == 0) die("forward_training pd has no workspace");
        ws = own_mem(l, wsmd, 0);
    }

    add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_SRC_LAYER, src_layer);
    add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_SRC_ITER, s_iter);
    if (lstm) add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_SRC_ITER_C, s_iter_c);
    add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_WEIGHTS_LAYER, fwl);
    add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_WEIGHTS_ITER, fwi);
    add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_BIAS, fb);
    add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_DST_LAYER, l->dst_layer);
    if (train) add_arg(l->fwd_args, &l->n_fwd, DNNL_ARG_WORKSPACE, ws);
    CHECK(dnnl_primitive_create(&l->fwd, fpd));
    l->owned_prim[l->n_prim++] = l->fwd;
    if (!train) return;

    /* ---- backward primitive descriptor (hint: the forward_training pd) */
    dnnl_rnn_desc_t bd;
    if (lstm)
        CHECK(dnnl_lstm_backward_desc_init(&bd, dnnl_backward, dir, &src_md, &iter_md, &iter_md,
                                           &wl_any, &wi_any, &b_any, &dst_md, NULL, NULL,
                                           &src_md, &iter_md, &iter_md, &wl_any, &wi_any, &b_any,
                                           &dst_md, NULL, NULL, 0));
    else
        CHECK(dnnl_lbr_gru_backward_desc_init(&bd, dnnl_backward, dir, &src_md, &iter_md,
                                              &wl_any, &wi_any, &b_any, &dst_md, NULL,
                                              &src_md, &iter_md, &wl_any, &wi_any, &b_any,
                                              &dst_md, NULL, 0));
    dnnl_primitive_desc_t bpd;
    CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, g_eng, fpd));
    l->owned_pd[l->n_pd++] = bpd;

    dnnl_memory_t bwl = bind_weights(l, bpd, DNNL_ARG_WEIGHTS_LAYER, wl, 0);
    dnnl_memory_t bwi = bind_weights(l, bpd, DNNL_ARG_WEIGHTS_ITER, wi, 0);
    dnnl_memory_t bb = bind_weights(l, bpd, DNNL_ARG_BIAS, b, 0);

    /* the backward pd must accept the forward workspace as is */
    if (!dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(bpd, dnnl_query_workspace_md, 0),
                                dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0)))
        die("backward workspace layout differs from forward's");

    l->diff_src_layer = own_mem(l, &src_md, 1);
    dnnl_memory_t d_s_iter = own_mem(l, &iter_md, 1);
    dnnl_memory_t d_s_iter_c = lstm ? own_mem(l, &iter_md, 1) : NULL;
    l->diff_w_layer = own_mem(l, arg_md(bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER), 1);
    dnnl_memory_t diff_wi = own_mem(l, arg_md(bpd, DNNL_ARG_DIFF_WEIGHTS_ITER), 1);
    dnnl_memory_t diff_b = own_mem(l, arg_md(bpd, DNNL_ARG_DIFF_BIAS), 1);
    dnnl_memory_t grads[3] = {l->diff_w_layer, diff_wi, diff_b};
    for (int g = 0; g < 3; g++) {
        l->grad_ptr[g] = mem_ptr(grads[g]);
        l->grad_bytes[g] = mem_nfloats(grads[g]) * sizeof(float);
    }

    dnnl_exec_arg_t *a = l->bwd_args;
    int *n = &l->n_bwd;
    add_arg(a, n, DNNL_ARG_SRC_LAYER, src_layer);
    add_arg(a, n, DNNL_ARG_SRC_ITER, s_iter);
    if (lstm) add_arg(a, n, DNNL_ARG_SRC_ITER_C, s_iter_c);
    add_arg(a, n, DNNL_ARG_WEIGHTS_LAYER, bwl);
    add_arg(a, n, DNNL_ARG_WEIGHTS_ITER, bwi);
    add_arg(a, n, DNNL_ARG_BIAS, bb);
    add_arg(a, n, DNNL_ARG_DST_LAYER, l->dst_layer);
    add_arg(a, n, DNNL_ARG_WORKSPACE, ws);
    add_arg(a, n, DNNL_ARG_DIFF_DST_LAYER, diff_dst_layer);
    add_arg(a, n, DNNL_ARG_DIFF_SRC_LAYER, l->diff_src_layer);
    add_arg(a, n, DNNL_ARG_DIFF_SRC_ITER, d_s_iter);
    if (lstm) add_arg(a, n, DNNL_ARG_DIFF_SRC_ITER_C, d_s_iter_c);
    add_arg(a, n, DNNL_ARG_DIFF_WEIGHTS_LAYER, l->diff_w_layer);
    add_arg(a, n, DNNL_ARG_DIFF_WEIGHTS_ITER, diff_wi);
    add_arg(a, n, DNNL_ARG_DIFF_BIAS, diff_b);
    CHECK(dnnl_primitive_create(&l->bwd, bpd));
    l->owned_prim[l->n_prim++] = l->bwd;
}

static void layer_free(layer_t *l)
{
    for (int i = 0; i < l->n_prim; i++) CHECK(dnnl_primitive_destroy(l->owned_prim[i]));
    for (int i = 0; i < l->n_pd; i++) CHECK(dnnl_primitive_desc_destroy(l->owned_pd[i]));
    for (int i = 0; i < l->n_mem; i++) CHECK(dnnl_memory_destroy(l->owned_mem[i]));
    memset(l, 0, sizeof *l);
}

/* ----------------------------------------------------------- a network */

enum { MAX_LAYERS = 4 };

typedef struct {
    int L, train;
    layer_t layer[MAX_LAYERS];
    dnnl_memory_t x;        /* input [T][B][D], tnc */
    dnnl_memory_t diff_top; /* fixed random gradient at the top [T][B][H] */
} net_t;

/* Build the L layers bottom-up (layer i reads layer i-1's dst_layer); for
 * training, layer i's diff_dst_layer is then pointed at layer i+1's
 * diff_src_layer, and the top layer's at the fixed random diff_top. */
static void net_init(net_t *n, cell_t cell, int H, int L, int T, int train)
{
    if (L < 1 || L > MAX_LAYERS) die("L out of range");
    memset(n, 0, sizeof *n);
    n->L = L;
    n->train = train;
    const dnnl_dim_t dx[] = {T, BATCH, NFEAT}, dh[] = {T, BATCH, H};
    dnnl_memory_desc_t xmd = md_of(3, dx, dnnl_tnc), hmd = md_of(3, dh, dnnl_tnc);
    CHECK(dnnl_memory_create(&n->x, &xmd, g_eng, DNNL_MEMORY_ALLOCATE));
    fill_uniform(n->x, 1.0f);
    if (train) {
        CHECK(dnnl_memory_create(&n->diff_top, &hmd, g_eng, DNNL_MEMORY_ALLOCATE));
        fill_uniform(n->diff_top, 1.0f / (float)(T * BATCH));
    }
    /* layer i's diff_dst_layer (layer i+1's diff_src_layer) does not exist
     * yet when layer i is built: it is patched in after the loop. */
    for (int i = 0; i < L; i++) {
        dnnl_memory_t src = i == 0 ? n->x : n->layer[i - 1].dst_layer;
        layer_init(&n->layer[i], cell, i == 0 ? NFEAT : H, H, T, train, src,
                   i == L - 1 ? n->diff_top : NULL);
    }
    if (train)
        for (int i = 0; i < L - 1; i++) {
            layer_t *l = &n->layer[i];
            for (int a = 0; a < l->n_bwd; a++)
                if (l->bwd_args[a].arg == DNNL_ARG_DIFF_DST_LAYER)
                    l->bwd_args[a].memory = n->layer[i + 1].diff_src_layer;
        }
}

static void net_free(net_t *n)
{
    for (int i = 0; i < n->L; i++) layer_free(&n->layer[i]);
    CHECK(dnnl_memory_destroy(n->x));
    if (n->diff_top) CHECK(dnnl_memory_destroy(n->diff_top));
    memset(n, 0, sizeof *n);
}

/* Forward pass of all layers (bottom-up). */
static void net_forward(net_t *n)
{
    for (int i = 0; i < n->L; i++) {
        layer_t *l = &n->layer[i];
        CHECK(dnnl_primitive_execute(l->fwd, g_stream, l->n_fwd, l->fwd_args));
    }
}

/* Backward pass of all layers (top-down). */
static void net_backward(net_t *n)
{
    for (int i = n->L - 1; i >= 0; i--) {
        layer_t *l = &n->layer[i];
        CHECK(dnnl_primitive_execute(l->bwd, g_stream, l->n_bwd, l->bwd_args));
    }
}

/* Start of a training step, as in a real training loop: zero the gradient
 * buffers (oneDNN's RNN backward adds into diff_weights / diff_bias: checked,
 * two backward calls give exactly twice the gradient) and bring the
 * canonical weights into the layouts the primitives want (for backward:
 * ldigo -> ldgoi transposes, a few microseconds). */
static void net_train_prologue(net_t *n)
{
    for (int i = 0; i < n->L; i++) {
        layer_t *l = &n->layer[i];
        for (int g = 0; g < 3; g++) memset(l->grad_ptr[g], 0, l->grad_bytes[g]);
        for (int r = 0; r < l->n_step_reorder; r++)
            CHECK(dnnl_primitive_execute(l->step_reorder[r], g_stream, 2,
                                         l->step_reorder_args[r]));
    }
}

/* One timed step: train = prologue + forward + backward; infer = forward. */
static void net_step(net_t *n)
{
    if (n->train) {
        net_train_prologue(n);
        net_forward(n);
        net_backward(n);
    } else {
        net_forward(n);
    }
    CHECK(dnnl_stream_wait(g_stream));
}

/* Sanity: see header. Run once before timing (it also serves as warm-up). */
static void net_sanity(net_t *n, const char *cfg)
{
    if (n->train) net_train_prologue(n);
    net_forward(n);
    CHECK(dnnl_stream_wait(g_stream));
    for (int i = 0; i < n->L; i++)
        check_tensor(n->layer[i].dst_layer, dnnl_tnc, 1, "dst_layer", cfg);
    if (!n->train) return;
    net_backward(n);
    CHECK(dnnl_stream_wait(g_stream));
    for (int i = 0; i < n->L; i++)
        check_tensor(n->layer[i].diff_w_layer, dnnl_ldigo, 1, "diff_weights_layer", cfg);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Warm-up, then NSAMPLES samples of >= min_time s each; median seq/s. */
static double net_time(net_t *n, double min_time)
{
    double rate[NSAMPLES];
    for (int w = 0; w < NWARMUP; w++) net_step(n);
    for (int s = 0; s < NSAMPLES; s++) {
        long steps = 0;
        double t0 = now_s(), el;
        do {
            net_step(n);
            steps++;
            el = now_s() - t0;
        } while (el < min_time);
        rate[s] = (double)BATCH * (double)steps / el;
    }
    qsort(rate, NSAMPLES, sizeof rate[0], cmp_double);
    return rate[NSAMPLES / 2];
}

/* --------------------------------------------------------------- driver */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_onednn [--threads N] [--quick] [--filter cell,H,L,T] [--min-time S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int threads = 1, quick = 0, have_filter = 0;
    double min_time = 0.5;
    cell_t f_cell = CELL_LSTM;
    int f_H = 0, f_L = 0, f_T = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]);
            if (threads < 1) usage();
        } else if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) {
            min_time = atof(argv[++i]);
            if (!(min_time > 0)) usage();
        } else if (!strcmp(argv[i], "--filter") && i + 1 < argc) {
            char cname[16];
            if (sscanf(argv[++i], "%15[a-z],%d,%d,%d", cname, &f_H, &f_L, &f_T) != 4) usage();
            if (!strcmp(cname, "lstm")) f_cell = CELL_LSTM;
            else if (!strcmp(cname, "gru")) f_cell = CELL_GRU;
            else usage();
            if (f_H < 1 || f_L < 1 || f_L > MAX_LAYERS || f_T < 1) usage();
            have_filter = 1;
        } else {
            usage();
        }
    }

    omp_set_num_threads(threads);

    const dnnl_version_t *v = dnnl_version();
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("# onednn %d.%d.%d (git %s) cpu_runtime=%s threads=%d omp_max_threads=%d "
           "batch=%d features=%d min_time=%g samples=%d OPENBLAS_CORETYPE=%s "
           "(gru = oneDNN lbr_gru; train = RNN fwd+bwd only, no head/optimiser)\n",
           v->major, v->minor, v->patch, v->hash ? v->hash : "?",
           v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other", threads,
           omp_get_max_threads(), BATCH, NFEAT, min_time, NSAMPLES, ct ? ct : "(unset)");
    fflush(stdout);

    CHECK(dnnl_engine_create(&g_eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&g_stream, g_eng, dnnl_stream_default_flags));

    static const int Hs[] = {32, 64, 128, 300}, Ls[] = {1, 2}, Ts[] = {20, 60, 100};
    for (int c = 0; c < 2; c++)
        for (int li = 0; li < 2; li++)
            for (int hi = 0; hi < 4; hi++)
                for (int ti = 0; ti < 3; ti++) {
                    cell_t cell = (cell_t)c;
                    int H = Hs[hi], L = Ls[li], T = Ts[ti];
                    if (have_filter) {
                        /* run the filter config exactly once, whatever its values */
                        if (c != 0 || li != 0 || hi != 0 || ti != 0) continue;
                        cell = f_cell, H = f_H, L = f_L, T = f_T;
                    } else if (quick && (L != 1 || T != 60 || (H != 32 && H != 128))) {
                        continue;
                    }
                    char cfg[64];
                    snprintf(cfg, sizeof cfg, "%s L=%d H=%d T=%d", cell_name[cell], L, H, T);
                    for (int train = 1; train >= 0; train--) {
                        net_t net;
                        net_init(&net, cell, H, L, T, train);
                        net_sanity(&net, cfg);
                        double sps = net_time(&net, min_time);
                        printf("onednn %s %d %d %d %d %s %.1f\n", cell_name[cell], L, H, T,
                               threads, train ? "train" : "infer", sps);
                        fflush(stdout);
                        net_free(&net);
                    }
                }

    CHECK(dnnl_stream_destroy(g_stream));
    CHECK(dnnl_engine_destroy(g_eng));
    return 0;
}

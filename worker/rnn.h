/*
 * rnn.h — the recurrent-network engine: LSTM, GRU (PyTorch form and Cho's
 * classic form), vanilla RNN (tanh/relu), stacked to any depth, with a
 * regression or classification head on the last time step.
 *
 * Numerics (DESIGN.md, "Numerics"):
 *   - `real` is float; the same source built with -DRS_DOUBLE makes it double
 *     (the gradient-check build).  Losses and norms are summed in double.
 *   - Gate-fused weights in PyTorch's layout and gate order, so a state_dict of
 *     torch.nn.LSTM/GRU/RNN copies in directly:
 *         w_ih [G*H x in]   w_hh [G*H x H]   b_ih [G*H]   b_hh [G*H]
 *     G = 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n), 1 for RNN.
 *   - Per layer the input projection of all T steps is one GEMM; each step is
 *     one recurrent GEMM (two for gru_classic, whose candidate needs r first)
 *     plus one fused pass over the gates.  Backward accumulates dh per step and
 *     does the weight and input gradients as whole-sequence GEMMs.
 *   - Activations are time-major [T][b][H].  Everything — parameters,
 *     gradients, Adam moments, the early-stopping copy, activations and
 *     scratch — lives in one arena allocated by rnn_create: no allocation
 *     happens in forward, backward or the training loop.
 *
 * Cells (x: layer input, h: previous state, all products gate-fused):
 *   lstm:        i,f,g,o = σ,σ,tanh,σ(W x + b_ih + U h + b_hh)
 *                c' = f⊙c + i⊙g          h' = o⊙tanh(c')
 *   gru:         r,z = σ(W_rz x + b_ih + U_rz h + b_hh)
 *                n   = tanh(W_n x + b_in + r⊙(U_n h + b_hn))
 *                h'  = (1−z)⊙n + z⊙h        (PyTorch / cuDNN form)
 *   gru_classic: r,z as above; n = tanh(W_n x + b_in + U_n (r⊙h) + b_hn)
 *                h'  = (1−z)⊙n + z⊙h        (Cho et al. 2014)
 *   rnn_tanh / rnn_relu: h' = act(W x + b_ih + U h + b_hh)
 *
 * Parameter order (the flat vector `params`, also the blob order):
 *   for each layer l: w_ih, w_hh, b_ih, b_hh;  then head: w_out [K x H_top],
 *   b_out [K].  Identical to PyTorch's parameters() of the same layers
 *   followed by an nn.Linear.
 *
 * GEMMs: the engine's own kernels (worker/kern.h) by default — every output
 * element one FMA chain over K in order, so the AVX-512, AVX2 and baseline
 * paths and every thread count give the same bytes; RS_KERNEL=blas selects
 * OpenBLAS instead (the benchmarks' comparator; results then depend on the
 * BLAS kernel).  The double build always uses cblas_dgemm.
 *
 * Threads: elementwise passes and batch gathers use OpenMP for large sizes;
 * GEMMs are split over blocks of output elements whose boundaries depend on
 * the shape only.  Reductions run in a fixed order, so results do not depend
 * on the number of threads.
 */
#ifndef RS_RNN_H
#define RS_RNN_H

#include <stddef.h>
#include <stdint.h>

#include "worker/util.h"

#ifdef RS_DOUBLE
typedef double real;
#else
typedef float real;
#endif

#define RNN_MAX_LAYERS 8

typedef enum {
    RNN_LSTM = 0,
    RNN_GRU = 1,           /* PyTorch/cuDNN: reset applied after U_n h      */
    RNN_GRU_CLASSIC = 2,   /* Cho et al. 2014: reset applied before U_n     */
    RNN_TANH = 3,
    RNN_RELU = 4
} rnn_cell;

typedef enum {
    RNN_HEAD_REG = 0,      /* linear -> 1, mean squared error               */
    RNN_HEAD_CLS = 1       /* linear -> K, softmax cross-entropy            */
} rnn_head;

typedef struct {
    rnn_cell cell;
    int      n_layers;                /* stacking depth, 1..RNN_MAX_LAYERS  */
    int      hidden[RNN_MAX_LAYERS];  /* hidden size of each layer          */
    int      n_in;                    /* D: features per time step          */
    rnn_head head;
    int      n_out;                   /* 1 for REG; K >= 2 classes for CLS  */
    int      seq_len;                 /* T: time steps of every window      */
    int      batch;                   /* B: largest batch (train/predict)   */
    double   dropout;                 /* between layers, training only      */
    int      forget_bias_one;         /* LSTM: b_ih forget slice = 1, b_hh's = 0 */
    uint64_t seed;                    /* initialisation stream              */
} rnn_spec;

/* Views of one layer's parameters (or of their gradients). */
typedef struct {
    real *w_ih;            /* [G*H x in]                                    */
    real *w_hh;            /* [G*H x H]                                     */
    real *b_ih;            /* [G*H]                                         */
    real *b_hh;            /* [G*H]                                         */
} rnn_layer_view;

/* Per-layer activations of the last forward pass (time-major). */
typedef struct {
    int   in;              /* input width of this layer                     */
    int   H;               /* hidden size                                   */
    real *x;               /* [T][b][in] layer input (batch buffer or below) */
    real *gates;           /* [T][b][G*H] activated gates; grads in backward */
    real *hs;              /* [(T+1)][b][H]; hs[0] = 0 is the initial state  */
    real *cs;              /* LSTM [(T+1)][b][H] cell states; cs[0] = 0      */
    real *tc;              /* LSTM [T][b][H] tanh(c)                         */
    real *aux;             /* GRU: [T][b][H] U_n h + b_hn; classic: r⊙h      */
    real *mask;            /* [T][b][H] dropout scales (NULL: no dropout)    */
    real *drop;            /* [T][b][H] dropped-out copy of hs[1..T]         */
    real *out;             /* output fed upward: hs+1 (eval) or drop (train) */
    int   masked;          /* the last forward applied the mask              */
} rnn_layer_act;

typedef struct {
    rnn_spec       spec;
    int            G;                      /* gates per cell               */
    size_t         n_params;               /* length of params/grads/m/v   */
    real          *params;                 /* [n_params]                   */
    real          *grads;                  /* [n_params]                   */
    real          *adam_m, *adam_v;        /* [n_params] Adam moments      */
    real          *best;                   /* [n_params] early-stopping copy */
    unsigned char *decay;                  /* [n_params] 1 = weight matrix */
    rnn_layer_view p[RNN_MAX_LAYERS];      /* views into params            */
    rnn_layer_view g[RNN_MAX_LAYERS];      /* views into grads             */
    real          *w_out, *b_out;          /* head [K x H_top], [K]        */
    real          *gw_out, *gb_out;        /* their gradients              */
    rnn_layer_act  a[RNN_MAX_LAYERS];      /* activations                  */
    real          *xbatch;                 /* [T][B][D] gathered inputs    */
    real          *ybatch;                 /* [B] targets of the batch     */
    real          *logits;                 /* [B][K] head output           */
    real          *dlogits;                /* [B][K] dLoss/dlogits         */
    real          *dseq[2];                /* [T][B][Hmax] ping-pong dh    */
    real          *step[4];                /* [B][G*Hmax] per-step scratch */
    real          *xh;                     /* [B][2*Hmax] inference: rows [x_t | h_{t-1}] */
    /* Weights in the panel layout the kernels read (kern_pack_b), packed
     * from params at the start of every rnn_forward / rnn_backward, i.e.
     * once per batch, or once per loop of rnn_forward_packed (rnn_pack;
     * not on the blas path, nor in the double build). */
    /* Every cell but gru_classic packs [w_ih | w_hh]ᵀ as one B of K = in + H
     * (the rows x·W_ih reads, then those h·W_hh reads; panel stride
     * (in + H)·nr): wp_ih is the packing, wp_hh a view of it at K row in.
     * So one step's x_t and h_{t-1} side by side are one product. */
    real          *wp_ih[RNN_MAX_LAYERS];  /* w_ihᵀ: K = in, N = G*H       */
    real          *wp_hh[RNN_MAX_LAYERS];  /* w_hhᵀ: K = H, N = G*H (gru_classic: 2H, U_rz, its own packing) */
    real          *wp_hhn[RNN_MAX_LAYERS]; /* gru_classic U_nᵀ: K = H, N = H; else NULL */
    real          *wp_hhb[RNN_MAX_LAYERS]; /* w_hh: K = G*H, N = H (backward) */
    real          *wt_out;                 /* [H_top x K] = w_outᵀ, dense  */
    int            packed_path;            /* kern path of the forward packs, -1: none */
    int            b;                      /* batch of the last forward    */
    int            kept;                   /* it left what rnn_backward reads */
    long           adam_t;                 /* Adam steps taken             */
    void          *arena;                  /* the one allocation           */
    size_t         arena_bytes;
} rnn_model;

/* Check a spec; returns 0, or RS_EINPUT with a message naming the field. */
int rnn_spec_check(const rnn_spec *s, rs_err *e);

/* Create a model: validates the spec, allocates the arena and initialises
 * parameters PyTorch-style from spec->seed (every weight and bias of a layer
 * U(-1/sqrt(H), 1/sqrt(H)); head U(-1/sqrt(H_top), 1/sqrt(H_top))).
 * Returns NULL with *e filled on a bad spec (RS_EINPUT) or no memory.
 * The caller frees with rnn_free. */
rnn_model *rnn_create(const rnn_spec *s, rs_err *e);
void       rnn_free(rnn_model *m);

/* Re-initialise parameters from `seed` and reset Adam state. */
void rnn_init_params(rnn_model *m, uint64_t seed);

/* Parameter count and arena size of a spec without creating the model
 * (the sweep planner's memory estimate).  0 for an invalid spec. */
size_t rnn_param_count(const rnn_spec *s);
size_t rnn_arena_bytes(const rnn_spec *s);

/* Forward pass over a gathered batch.
 *   x     [T][b][D] time-major inputs (may be m->xbatch), 1 <= b <= B
 *   train nonzero: apply dropout with masks derived from dropout_key
 * Leaves activations for rnn_backward and head outputs in m->logits [b][K]. */
void rnn_forward(rnn_model *m, const real *x, int b, int train, uint64_t dropout_key);

/* Inference over many batches with fixed weights (rnn_evaluate,
 * rnn_predict): rnn_pack packs the forward's weights once, and each
 * rnn_forward_packed is rnn_forward without its per-batch packing — the
 * same bytes, since a pack is a copy.  Valid while neither the weights
 * nor the kernel path (kern_force) change after rnn_pack; rnn_forward and
 * rnn_backward repack, so a later rnn_forward_packed still sees their
 * (unchanged) weights.  rnn_forward_packed asserts the path it was packed
 * for.  On the blas path and in the double build rnn_pack does nothing.
 * oneDNN's inference, too, reorders its weights once, at setup.
 * rnn_forward_packed with train = 0 is inference only: it leaves m->logits
 * and each layer's h sequence (a[l].hs, out) but not the gates rnn_backward
 * reads (which asserts so).  On the own kernels each step's input
 * projection is then computed just before that step, into a one-step
 * scratch, instead of all T steps into the [T*b x G*H] gates first: those
 * MBs no longer make a round trip through L3 (1 thread, Zen 4, the 48
 * protocol shapes: 0.94-1.21x, geomean 1.07x; bench/README.md, "Session
 * 14").  For the LSTM and tanh/relu cells x_t and h_{t-1} then go side by
 * side into one product over the stacked packing (wp_ih): 1.02-1.09x more
 * (bench/README.md, "Session 15").  The chains are the same, so are the
 * bytes (test_rnn checks it against the training forward). */
void rnn_pack(rnn_model *m);
void rnn_forward_packed(rnn_model *m, const real *x, int b, int train, uint64_t dropout_key);

/* Loss of the last forward against targets y[b] (REG: value; CLS: class id
 * stored as a real).  Writes dLoss/dlogits into m->dlogits.  MSE is the mean
 * over the batch of (out - y)^2; cross-entropy the mean of -log p[y].
 * Returns the loss (double); a class id outside [0,K) yields NAN. */
double rnn_loss(rnn_model *m, const real *y);

/* Backward pass of the last forward: ACCUMULATES into m->grads (call
 * rnn_zero_grad first).  Needs rnn_loss to have filled m->dlogits. */
void rnn_backward(rnn_model *m);
void rnn_zero_grad(rnn_model *m);

/* Head outputs as the caller wants them: REG copies the prediction, CLS the
 * softmax probabilities.  out [b][K]. */
void rnn_outputs(const rnn_model *m, double *out);

/* ---- weights blob ------------------------------------------------------- */
/* A flat blob: header (magic "RNNSWEEP", version, element size, cell, head,
 * layers, hidden sizes, n_in, n_out, n_params) then the parameters in the
 * order above.  The blob is portable between builds of the same `real`. */
size_t rnn_blob_size(const rnn_model *m);
/* Writes rnn_blob_size(m) bytes into buf. */
void   rnn_blob_write(const rnn_model *m, void *buf);
/* Loads parameters from a blob into m; RS_EINPUT when the blob is not one,
 * is truncated, or its shapes differ from m's (the message says which). */
int    rnn_blob_read(rnn_model *m, const void *buf, size_t len, rs_err *e);
/* File wrappers (RS_EINPUT for a bad file, RS_EINTERNAL for I/O errors). */
int    rnn_save(const rnn_model *m, const char *path, rs_err *e);
int    rnn_load(rnn_model *m, const char *path, rs_err *e);

/* Names for specs and results. */
const char *rnn_cell_name(rnn_cell c);      /* "lstm", "gru", ...          */

/* "64x32": layer sizes bottom first, as configs write them (NUL-terminated,
 * truncated to n).  Returns buf. */
char *rnn_hidden_text(const int *hidden, int n_layers, char *buf, size_t n);
int         rnn_cell_parse(const char *s, rnn_cell *out);   /* 0 ok, -1 bad */

/* The GEMM kernel path the engine runs ("avx512", "avx2", "base", "blas"):
 * kern_name(kern_active()) of worker/kern.h, so the first call resolves
 * RS_KERNEL and a bad value exits with status 2 and a message.  Recorded
 * in each task's row (the `blas` field, "kern=<path> <BLAS core>"). */
const char *rnn_kernel_name(void);

/* FLOPs of one forward (fwd) and one forward+backward (train) pass per
 * sequence, counting GEMMs only (2*M*N*K), for throughput reports. */
double rnn_flops_per_seq(const rnn_spec *s, int train);

#endif /* RS_RNN_H */

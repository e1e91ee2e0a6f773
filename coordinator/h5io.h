/*
 * h5io.h — the HDF5 plumbing under the results file (results.h): one-line
 * error reports, strings, datasets written by appends, attributes, whole
 * reads.  Nothing here knows the file's layout (results_layout.h) or what
 * goes in it (results_write.c, results_read.c).
 *
 * Errors.  HDF5 prints its error stack to stderr by default; the results
 * module reports one line instead.  Every call below takes an h5io_ctx:
 * the first failure records "PATH: what: HDF5's reason" (the innermost
 * HDF5 error, condensed to one line: a failed system call gives "file write
 * failed: No space left on device") and its status in the context; later
 * failures keep the first message.  Functions return 0 or -1.
 *
 * Datasets are chunked (at most 1024 rows and 512 KiB a chunk, so a chunk
 * fits HDF5's default chunk cache), deflate level 4, no timestamps, with an
 * unlimited first dimension (an empty dataset still exists with 0 rows).
 */
#ifndef RS_H5IO_H
#define RS_H5IO_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/util.h"

/* ---- errors ------------------------------------------------------------- */

/* HDF5's automatic error printing, saved while it is off. */
typedef struct { H5E_auto2_t fn; void *data; } h5io_quiet;

void h5io_quiet_on(h5io_quiet *q);          /* turn HDF5's printing off   */
void h5io_quiet_off(const h5io_quiet *q);   /* and back on                */

/* Error context of one read or write. */
typedef struct {
    const char *path;                /* named in every message                 */
    rs_err     *e;                   /* may be NULL                            */
    int         bad;                 /* status of the first error, 0 = none    */
} h5io_ctx;

/* An HDF5 call failed (call right after it: the next HDF5 call clears the
 * stack): "PATH: what: reason", RS_EINTERNAL.  Returns -1. */
int h5io_fail(h5io_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Any other failure: "PATH: what" with `status`.  Returns -1. */
int h5io_xfail(h5io_ctx *x, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int h5io_oom(h5io_ctx *x);                  /* "PATH: out of memory"      */

/* ---- strings -------------------------------------------------------------- */

/* A fixed-length NUL-padded string type of n bytes, or -1. */
hid_t h5io_str_type(size_t n);

/* H5Tclose(*h) when open; *h = -1. */
void h5io_close_type(hid_t *h);

/* Copy src (NULL = "") into dst[n], truncated, NUL-terminated. */
void h5io_fixstr(char *dst, size_t n, const char *src);

/* ---- datasets ------------------------------------------------------------- */

/* A dataset created at its final length and filled by appends. */
typedef struct {
    hid_t       d;
    hid_t       type;                /* memory = file type (not owned)          */
    int         rank;                /* 1: [n]; 2: [n][cols]                     */
    hsize_t     cols;
    hsize_t     at;                  /* rows written                            */
    const char *name;
} h5io_tab;

/* Create dataset `name` at loc: n rows (of cols columns when rank 2). */
int h5io_tab_create(h5io_ctx *x, hid_t loc, const char *name, hid_t type, int rank, hsize_t n, hsize_t cols,
                    h5io_tab *t);

/* Write the next `rows` rows from buf. */
int h5io_tab_append(h5io_ctx *x, h5io_tab *t, const void *buf, hsize_t rows);

/* Close it (a closed or never-created table is fine). */
int h5io_tab_close(h5io_ctx *x, h5io_tab *t);

/* Create, fill with n rows and close a rank-1 dataset. */
int h5io_tab_write_all(h5io_ctx *x, hid_t loc, const char *name, hid_t type, const void *buf, size_t n);

/* A whole dataset of `type` (rank 1, or rank 2 — *cols_out then receives
 * its column count), malloc'd, at least one element so an empty dataset
 * still gives a pointer; *n_out rows. */
int h5io_dset_read(h5io_ctx *x, hid_t f, const char *name, hid_t type, int rank, void **out, size_t *n_out,
                   size_t *cols_out);

/* ---- attributes ----------------------------------------------------------- */

/* Scalar attributes: strings are variable-length UTF-8, ints 32-bit
 * signed, doubles 64-bit IEEE. */
int h5io_attr_str(h5io_ctx *x, hid_t loc, const char *name, const char *s);
int h5io_attr_int(h5io_ctx *x, hid_t loc, const char *name, int v);
int h5io_attr_double(h5io_ctx *x, hid_t loc, const char *name, double v);

/* Read back: a string (fixed or variable length) malloc'd, or into buf[n]
 * truncated; an int; a double; a 16-digit hex hash string as a number. */
int h5io_attr_read_str(h5io_ctx *x, hid_t f, const char *name, char **out);
int h5io_attr_read_buf(h5io_ctx *x, hid_t f, const char *name, char *buf, size_t n);
int h5io_attr_read_int(h5io_ctx *x, hid_t f, const char *name, int *v);
int h5io_attr_read_double(h5io_ctx *x, hid_t f, const char *name, double *v);
int h5io_attr_read_hex(h5io_ctx *x, hid_t f, const char *name, uint64_t *v);

#endif /* RS_H5IO_H */

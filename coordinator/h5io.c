/*
 * h5io.c — HDF5 plumbing for the results file (see h5io.h).
 */
#include "coordinator/h5io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_ROWS     1024           /* rows per chunk, at most              */
#define CHUNK_BYTES    (512 * 1024)   /* and at most this many bytes: a chunk
                                         must fit HDF5's default 1 MiB chunk
                                         cache, or every per-task append would
                                         re-read and re-compress it           */
#define DEFLATE_LEVEL  4

/* ---- errors ---------------------------------------------------------------- */

void h5io_quiet_on(h5io_quiet *q) {
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5io_quiet_off(const h5io_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

/* The innermost error on HDF5's stack (where it was detected) says the most:
 * "unable to open file: ... error message = 'Not a directory'". */
static herr_t walk_first(unsigned n, const H5E_error2_t *err, void *data) {
    if (n == 0 && err->desc) snprintf((char *)data, 1024, "%s", err->desc);
    return 0;
}

/* HDF5's descriptions of a failed system call run over several lines and
 * hundreds of characters ("file write failed: time = Tue Dec  1 ...\n,
 * filename = ..., errno = 28, error message = 'No space left on device',
 * buf = 0x..."): keep what a person needs, the system's message when there
 * is one, and make it one line. */
static void one_line(char *d) {
    const char *m = strstr(d, "error message = '");
    if (m) {
        char what[256];
        size_t lead = strcspn(d, ":,");          /* "file write failed" */
        m += strlen("error message = '");
        size_t k = strcspn(m, "'");
        snprintf(what, sizeof what, "%.*s: %.*s", (int)lead, d, (int)k, m);
        snprintf(d, 1024, "%s", what);
    }
    for (char *p = d; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
}

/* Record an HDF5 failure, "PATH: what: HDF5's reason" (call right after the
 * failing call: the next HDF5 call clears the stack). */
int h5io_fail(h5io_ctx *x, const char *fmt, ...) {
    if (x->bad) return -1;
    char d[1024] = "", what[300];
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_first, d);
    one_line(d);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    rs_err_set(x->e, RS_EINTERNAL, "%s: %s%s%s", x->path, what, d[0] ? ": " : "", d);
    x->bad = RS_EINTERNAL;
    return -1;
}

/* Record any other failure, "PATH: what". */
int h5io_xfail(h5io_ctx *x, int status, const char *fmt, ...) {
    if (x->bad) return -1;
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    rs_err_set(x->e, status, "%s: %s", x->path, what);
    x->bad = status;
    return -1;
}

int h5io_oom(h5io_ctx *x) { return h5io_xfail(x, RS_EINTERNAL, "out of memory"); }

void h5io_close_type(hid_t *h) { if (*h >= 0) H5Tclose(*h); *h = -1; }

hid_t h5io_str_type(size_t n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return -1;
    if (H5Tset_size(t, n) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0) { H5Tclose(t); return -1; }
    return t;
}

void h5io_fixstr(char *dst, size_t n, const char *src) {
    size_t k = strnlen(src ? src : "", n - 1);
    memcpy(dst, src ? src : "", k);
    dst[k] = 0;
}

/* ---- datasets ------------------------------------------------------------ */

int h5io_tab_create(h5io_ctx *x, hid_t loc, const char *name, hid_t type, int rank,
                      hsize_t n, hsize_t cols, h5io_tab *t) {
    t->d = -1;
    t->type = type;
    t->rank = rank;
    t->cols = cols;
    t->at = 0;
    t->name = name;
    hsize_t dims[2] = { n, cols }, maxd[2] = { H5S_UNLIMITED, cols ? cols : H5S_UNLIMITED };
    size_t row_bytes = H5Tget_size(type) * (rank == 2 && cols ? cols : 1);
    hsize_t rows = CHUNK_BYTES / (row_bytes ? row_bytes : 1);
    if (rows > CHUNK_ROWS) rows = CHUNK_ROWS;
    if (rows < 1) rows = 1;
    hsize_t chunk[2] = { rows, cols ? cols : 1 };
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int rc = -1;
    if (sp < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0) {
        h5io_fail(x, "creating %s", name);
    } else if ((t->d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) {
        h5io_fail(x, "creating %s", name);
    } else {
        rc = 0;
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

int h5io_tab_append(h5io_ctx *x, h5io_tab *t, const void *buf, hsize_t rows) {
    if (rows == 0) return 0;
    hsize_t start[2] = { t->at, 0 }, count[2] = { rows, t->cols };
    if (t->rank == 2 && t->cols == 0) { t->at += rows; return 0; }   /* nothing to store */
    hid_t fs = H5Dget_space(t->d);
    hid_t ms = H5Screate_simple(t->rank, count, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(t->d, t->type, ms, fs, H5P_DEFAULT, buf) < 0)
        rc = h5io_fail(x, "writing %s", t->name);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (!rc) t->at += rows;
    return rc;
}

int h5io_tab_close(h5io_ctx *x, h5io_tab *t) {
    if (t->d < 0) return 0;
    herr_t r = H5Dclose(t->d);
    t->d = -1;
    if (r < 0) return h5io_fail(x, "closing %s", t->name);
    return 0;
}

/* A whole table written at once (the plan's). */
int h5io_tab_write_all(h5io_ctx *x, hid_t loc, const char *name, hid_t type, const void *buf, size_t n) {
    h5io_tab t;
    int rc = h5io_tab_create(x, loc, name, type, 1, n, 0, &t);
    if (!rc) rc = h5io_tab_append(x, &t, buf, n);
    int rc2 = h5io_tab_close(x, &t);
    return rc ? rc : rc2;
}

/* ---- attributes ---------------------------------------------------------- */

int h5io_attr_str(h5io_ctx *x, hid_t loc, const char *name, const char *s) {
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = -1;
    const char *v = s ? s : "";
    int rc = 0;
    if (t < 0 || sp < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
        (a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(a, t, &v) < 0)
        rc = h5io_fail(x, "writing attribute %s", name);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return rc;
}

/* A scalar attribute stored as file type ft from *v of memory type mt. */
static int attr_scalar(h5io_ctx *x, hid_t loc, const char *name, hid_t ft, hid_t mt, const void *v) {
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    int rc = 0;
    if (sp < 0 || (a = H5Acreate2(loc, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(a, mt, v) < 0)
        rc = h5io_fail(x, "writing attribute %s", name);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

int h5io_attr_int(h5io_ctx *x, hid_t loc, const char *name, int v) {
    return attr_scalar(x, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

int h5io_attr_double(h5io_ctx *x, hid_t loc, const char *name, double v) {
    return attr_scalar(x, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* A string attribute of the root, fixed or variable length, malloc'd. */
int h5io_attr_read_str(h5io_ctx *x, hid_t f, const char *name, char **out) {
    *out = NULL;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return h5io_fail(x, "attribute %s", name);
    hid_t ft = H5Aget_type(a), mt = -1;
    int rc = -1;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        h5io_xfail(x, RS_EINTERNAL, "attribute %s: not a string", name);
    } else if (H5Tis_variable_str(ft) > 0) {
        char *v = NULL;
        mt = H5Tcopy(H5T_C_S1);
        /* the memory type must carry the file's character set, or HDF5
         * finds no conversion between them */
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0 ||
            H5Aread(a, mt, &v) < 0) {
            h5io_fail(x, "reading attribute %s", name);
        } else {
            *out = strdup(v ? v : "");
            H5free_memory(v);
            rc = *out ? 0 : h5io_oom(x);
        }
    } else {
        size_t n = H5Tget_size(ft);
        *out = calloc(n + 1, 1);
        mt = H5Tcopy(H5T_C_S1);
        if (!*out) rc = h5io_oom(x);
        else if (mt < 0 || H5Tset_size(mt, n) < 0 || H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0 ||
                 H5Tset_cset(mt, H5Tget_cset(ft)) < 0 || H5Aread(a, mt, *out) < 0)
            h5io_fail(x, "reading attribute %s", name);
        else rc = 0;
    }
    if (rc) { free(*out); *out = NULL; }
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

/* The same into a fixed buffer (truncated). */
int h5io_attr_read_buf(h5io_ctx *x, hid_t f, const char *name, char *buf, size_t n) {
    char *s;
    if (h5io_attr_read_str(x, f, name, &s)) return -1;
    h5io_fixstr(buf, n, s);
    free(s);
    return 0;
}

int h5io_attr_read_int(h5io_ctx *x, hid_t f, const char *name, int *v) {
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return h5io_fail(x, "attribute %s", name);
    int rc = H5Aread(a, H5T_NATIVE_INT, v) < 0 ? h5io_fail(x, "reading attribute %s", name) : 0;
    H5Aclose(a);
    return rc;
}

int h5io_attr_read_double(h5io_ctx *x, hid_t f, const char *name, double *v) {
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return h5io_fail(x, "attribute %s", name);
    int rc = H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0 ? h5io_fail(x, "reading attribute %s", name) : 0;
    H5Aclose(a);
    return rc;
}

int h5io_attr_read_hex(h5io_ctx *x, hid_t f, const char *name, uint64_t *v) {
    char buf[40], *end;
    if (h5io_attr_read_buf(x, f, name, buf, sizeof buf)) return -1;
    errno = 0;
    *v = strtoull(buf, &end, 16);
    if (errno || end == buf || *end) return h5io_xfail(x, RS_EINTERNAL, "attribute %s: '%s' is not a hex hash", name, buf);
    return 0;
}

/* A whole dataset of `type` (rank 1, or rank 2 with `cols` columns when
 * cols >= 0 is asked; *cols_out receives the file's column count), malloc'd
 * (at least one element, so an empty dataset still gives a pointer). */
int h5io_dset_read(h5io_ctx *x, hid_t f, const char *name, hid_t type, int rank,
                     void **out, size_t *n_out, size_t *cols_out) {
    *out = NULL;
    *n_out = 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return h5io_fail(x, "dataset %s", name);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = { 0, 1 };
    int rc = -1;
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != rank) {
        h5io_xfail(x, RS_EINTERNAL, "dataset %s: expected rank %d", name, rank);
    } else if (H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        h5io_fail(x, "dataset %s", name);
    } else {
        size_t n = (size_t)dims[0], cols = rank == 2 ? (size_t)dims[1] : 1;
        size_t bytes = n * cols * H5Tget_size(type);
        *out = calloc(bytes ? bytes : 1, 1);
        if (!*out) h5io_oom(x);
        else if (bytes && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            h5io_fail(x, "reading %s", name);
        else {
            *n_out = n;
            if (cols_out) *cols_out = cols;
            rc = 0;
        }
    }
    if (rc) { free(*out); *out = NULL; }
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

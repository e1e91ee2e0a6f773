/*
 * fuzz_series.c — libFuzzer harness for the price-file loader (`make
 * fuzz`): any bytes as a price file (plain or gzip: zlib reads both)
 * through series_load, under options chosen by the input's first byte
 * (header detection, a headerless layout, price divisor, drop_bad, a kept
 * extra column).  It must load a series or refuse with RS_EINPUT and one
 * line, never crash or read out of bounds.  Seeds: small real snippets of
 * every supported format (tests/fuzz/seeds/series, and the first lines of
 * ../shared/data files when present).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/series.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1u << 20)) return 0;
    if (!path[0]) snprintf(path, sizeof path, "/dev/shm/rnnsweep-fuzz-%ld.csv", (long)getpid());
    const uint8_t mode = data[0];
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size > 1) fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    static const char *const keep[] = { "sentiment" };
    series_opts o;
    memset(&o, 0, sizeof o);
    o.header = mode & 3;                               /* auto, yes, no (3: auto) */
    if (o.header == 3) o.header = SERIES_HDR_AUTO;
    if (mode & 4) o.columns = "date,time,open,high,low,close,-";
    if (mode & 8) o.price_div = 100000;
    o.drop_bad = (mode & 16) != 0;
    o.adjust = (mode & 32) != 0;
    if (mode & 64) { o.keep = keep; o.n_keep = 1; }
    series s;
    rs_err e;
    int r = series_load(path, &o, &s, &e);
    if (r == 0) series_free(&s);
    else if ((r != RS_EINPUT && r != RS_EINTERNAL) || strchr(e.msg, '\n') || !e.msg[0]) abort();
    unlink(path);
    return 0;
}

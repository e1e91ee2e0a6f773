/*
 * bench_load.c — data-path throughput on real files: load all EURUSD M1
 * HistData files (5.95 M rows, 24 gzip'd files), then compute a typical
 * feature set on them.  Needs ../shared/data (or RNNSWEEP_SHARED_DATA); when
 * it is absent the benchmark prints a note and exits 0.
 *
 *   build/bench/bench_load [repeats]      (OMP_NUM_THREADS sets the threads)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "worker/features.h"
#include "worker/series.h"

int main(int argc, char **argv) {
    const char *dir = getenv("RNNSWEEP_SHARED_DATA");
    if (!dir || !*dir) dir = "../shared/data";
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        printf("bench_load: %s absent, nothing to measure\n", dir);
        return 0;
    }
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    if (reps < 1) reps = 1;
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/fx/histdata-m1/DAT_ASCII_EURUSD_M1_*.csv.gz", dir);
    printf("bench_load: %s, %d OpenMP thread(s), best of %d\n", pat, omp_get_max_threads(), reps);

    double best = 1e30;
    series s = { 0 };
    series_opts o = { .drop_bad = 1 };     /* the vendor's one bad tick, 2001-09-11 */
    rs_err e;
    for (int r = 0; r < reps; r++) {
        series_free(&s);
        double t0 = rs_now();
        if (series_load(pat, &o, &s, &e)) { fprintf(stderr, "bench_load: %s\n", e.msg); return e.status; }
        double dt = rs_now() - t0;
        if (dt < best) best = dt;
    }
    series_describe(&s, stdout);
    int64_t rows = s.n + s.dropped;                     /* rows parsed */
    printf("load:     %lld rows in %.3f s = %.2f M rows/s\n", (long long)rows, best, rows / best / 1e6);

    feat_spec sp = { 0 };
    const char *spec = "close,logret,range,vol:20,sma:20,rsi:14,macd:12:26:9,boll:20:2";
    if (features_parse(spec, 0, &sp, &e)) { fprintf(stderr, "bench_load: %s\n", e.msg); return e.status; }
    feat_matrix m;
    double t0 = rs_now();
    if (features_compute(&s, 1, &sp, &m, &e)) { fprintf(stderr, "bench_load: %s\n", e.msg); return e.status; }
    double dt = rs_now() - t0;
    printf("features: %d columns (%s) in %.3f s = %.2f M rows/s\n", m.n_feat, spec, dt, s.n / dt / 1e6);
    features_free(&m);
    series_free(&s);
    return 0;
}

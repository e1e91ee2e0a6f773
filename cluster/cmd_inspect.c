/*
 * cmd_inspect.c — `rnnsweep inspect FILE|GLOB...`: load price files exactly
 * as a sweep would (validation included) and describe each instrument: rows,
 * span, bar size, gaps and breaks.  Check a data file before
 * putting it in a config.  Exit 2 with one file:line:column message on bad
 * input.
 */
#include "cluster/commands.h"
#include "worker/series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep inspect [--price-div X] [--drop-bad] [--resample SECONDS] FILE|GLOB...\n"
        "Load each argument as one instrument (a glob concatenates files in time order),\n"
        "validate it and print rows, span, bar size, gaps and breaks.\n"
        "  --price-div X      divide prices by X (broker files storing 1.29613 as 129613)\n"
        "  --drop-bad         skip rows with a price <= 0 instead of failing\n"
        "  --resample SECS    also show the series resampled to SECS-second bars\n");
}

int cmd_inspect(int argc, char **argv) {
    series_opts o;
    memset(&o, 0, sizeof o);
    o.drop_hint = "--drop-bad";
    long resample = 0;
    int first = 0, n = 0;
    const char *paths[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--drop-bad")) { o.drop_bad = 1; continue; }
        if (!strcmp(a, "--price-div") || !strcmp(a, "--resample")) {
            if (i + 1 >= argc) { fprintf(stderr, "rnnsweep inspect: %s needs a value\n", a); return 2; }
            const char *v = argv[++i];
            double x = strtod(v, &end);
            if (*end || !(x > 0)) { fprintf(stderr, "rnnsweep inspect: %s '%s': expected a positive number\n", a, v); return 2; }
            if (a[2] == 'p') o.price_div = x;
            else resample = (long)x;
            continue;
        }
        if (a[0] == '-') { fprintf(stderr, "rnnsweep inspect: unknown option '%s'\n", a); usage(stderr); return 2; }
        if (n == 256) { fprintf(stderr, "rnnsweep inspect: at most 256 instruments\n"); return 2; }
        if (!first) first = i;
        paths[n++] = a;
    }
    if (!n) { fprintf(stderr, "rnnsweep inspect: no file given\n"); usage(stderr); return 2; }
    for (int k = 0; k < n; k++) {
        series s;
        rs_err e;
        if (series_load(paths[k], &o, &s, &e)) {
            fprintf(stderr, "rnnsweep: %s\n", e.msg);
            return e.status;
        }
        series_describe(&s, stdout);
        if (resample > 0) {
            series r;
            if (series_resample(&s, resample, 0, &r, &e)) {
                fprintf(stderr, "rnnsweep: %s\n", e.msg);
                series_free(&s);
                return e.status;
            }
            printf("resampled to %ld s:\n", resample);
            series_describe(&r, stdout);
            series_free(&r);
        }
        series_free(&s);
    }
    return 0;
}

/* comm.c — broadcasts and gathers of `rnnsweep run` (see comm.h). */
#include "cluster/comm.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "cluster/sched.h"
#include "coordinator/merge.h"

/* MPI counts are int: broadcast in slices of at most 1 GiB. */
#define BCAST_SLICE (1 << 30)

void comm_bcast_bytes(void *p, size_t n) {
    unsigned char *b = p;
    while (n) {
        int c = n > (size_t)BCAST_SLICE ? BCAST_SLICE : (int)n;
        MPI_Bcast(b, c, MPI_BYTE, 0, MPI_COMM_WORLD);
        b += c;
        n -= (size_t)c;
    }
}

void comm_bcast_wait(void *p, size_t n) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Request r;
    MPI_Ibcast(p, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD, &r);
    if (rank == 0) MPI_Wait(&r, MPI_STATUS_IGNORE);
    else sched_wait(&r, MPI_STATUS_IGNORE);
}

void comm_host_name(char *buf, size_t n) {
    char name[MPI_MAX_PROCESSOR_NAME] = "";
    int len = 0;
    MPI_Get_processor_name(name, &len);
    snprintf(buf, n, "%s", name);
}

char *comm_gather_hosts(void) {
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char name[MPI_MAX_PROCESSOR_NAME] = "";
    comm_host_name(name, sizeof name);
    char *all = rank == 0 ? calloc((size_t)size, MPI_MAX_PROCESSOR_NAME) : NULL;
    MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (rank != 0 || !all) return NULL;
    const char **names = malloc((size_t)size * sizeof *names);
    char *out = NULL;
    if (names) {
        for (int r = 0; r < size; r++) {
            all[(size_t)(r + 1) * MPI_MAX_PROCESSOR_NAME - 1] = 0;
            names[r] = all + (size_t)r * MPI_MAX_PROCESSOR_NAME;
        }
        out = merge_hosts(names, size);
    }
    free(names);
    free(all);
    return out;
}

/*
 * comm.h — the MPI helpers of `rnnsweep run` besides the task protocol
 * (sched.h): broadcasting rank 0's set-up, gathering host names.  Every
 * function is collective over MPI_COMM_WORLD: all ranks call it, in the
 * same order.
 */
#ifndef RS_COMM_H
#define RS_COMM_H

#include <stddef.h>

/* Broadcast n bytes at p from rank 0, in slices MPI's int counts can hold. */
void comm_bcast_bytes(void *p, size_t n);

/* Broadcast n (< 2 GiB) bytes from rank 0; ranks other than 0 wait for them
 * without spinning (sched_wait), since rank 0 may load data for a while on
 * a core they share. */
void comm_bcast_wait(void *p, size_t n);

/* Rank 0 receives every rank's MPI processor name, each once, comma-
 * separated (merge_hosts), malloc'd; other ranks receive NULL. */
char *comm_gather_hosts(void);

/* This rank's MPI processor name into buf[n]. */
void comm_host_name(char *buf, size_t n);

#endif /* RS_COMM_H */

/* dist.h — the group of processes one training run is spread over (MPI).
 *
 * Built with -DXCAP_MPI=ON this is MPI (model/dist_mpi.c); otherwise a group of one
 * (model/dist_none.c), so no caller needs an #ifdef. A program joins the group once with
 * xcap_dist_init and leaves it with xcap_dist_finalize (it owns both calls); the library
 * talks over its own duplicate of MPI_COMM_WORLD.
 *
 * Failures: MPI's default error handler (MPI_ERRORS_ARE_FATAL) is kept, so a collective
 * that cannot complete — a peer process died, its machine went away — ends every process
 * of the job with MPI's message instead of hanging or returning; the functions below
 * return -1 only for what they check themselves. */
#ifndef XCAP_MODEL_DIST_H
#define XCAP_MODEL_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"

typedef struct {
    int rank, size;         /* this process's rank and the number of processes (1 alone) */
    int started;            /* 1 when xcap_dist_init started MPI (finalize ends it) */
    size_t bucket;          /* floats per MPI_Allreduce call of xcap_dist_sum_f32 */
    double seconds;         /* wall-clock time spent in the sums so far */
} xcap_dist;

/* Floats per allreduce call unless the caller changes d->bucket: 16 MiB, so that the S
 * model's gradient (2.4 MB) goes in one call: the sums are not overlapped with the backward
 * pass, and every further call would add the ring's 2(P-1) latencies (README). */
#define XCAP_DIST_BUCKET ((size_t)1 << 22)

/* 1 when xcap was built with MPI. */
int xcap_dist_available(void);

/* 1 when an MPI launcher (mpirun, mpiexec, srun) started this process; *size gets the
 * number of processes it announced (0 when it does not say), *rank this one's. */
int xcap_dist_launched(int *size, int *rank);

/* Joins the group: with MPI and a launcher, MPI_Init and the ranks of MPI_COMM_WORLD; run
 * by hand, a group of one without starting MPI. Without MPI it fails when a launcher
 * started several processes, because each would train alone and write the same files. */
int xcap_dist_init(xcap_dist *d, nn_error *err);
/* Leaves the group (MPI_Finalize when init started MPI); every rank calls it. */
void xcap_dist_finalize(xcap_dist *d);
/* Ends every process of the job with exit code `code` (MPI_Abort): for a program after an
 * error that only this rank has met, so that no other rank waits for it forever. The
 * library never calls it. Without MPI, or in a group of one, it does nothing. */
void xcap_dist_abort(xcap_dist *d, int code);

/* Sums n floats over the group in place (MPI_Allreduce in buckets of d->bucket floats);
 * every rank gets the same sums. */
int xcap_dist_sum_f32(xcap_dist *d, float *buf, size_t n, nn_error *err);
/* The same for n doubles. */
int xcap_dist_sum_f64(xcap_dist *d, double *buf, size_t n, nn_error *err);
/* *any = 1 on every rank when flag is non-zero on some rank. */
int xcap_dist_any(xcap_dist *d, int flag, int *any, nn_error *err);
/* *same = 1 on every rank when v is the same on every rank. */
int xcap_dist_same_u64(xcap_dist *d, uint64_t v, int *same, nn_error *err);

#endif

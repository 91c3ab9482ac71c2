/* dist_mpi.c — model/dist.h over MPI (compiled with -DXCAP_MPI=ON instead of dist_none.c). */
#include "model/dist.h"

#include <limits.h>
#include <string.h>

#include <mpi.h>

/* The library's own communicator: a duplicate of MPI_COMM_WORLD (one group a program). */
static MPI_Comm g_comm = MPI_COMM_NULL;

int xcap_dist_available(void) { return 1; }

int xcap_dist_init(xcap_dist *d, nn_error *err) {
    memset(d, 0, sizeof *d);
    d->size = 1;
    d->bucket = XCAP_DIST_BUCKET;
    int size, rank, running = 0, provided;
    if (!xcap_dist_launched(&size, &rank)) return 0;  /* run by hand: a group of one */
    MPI_Initialized(&running);
    if (!running) {
        /* only the calling thread talks to MPI; OpenBLAS's threads never do */
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return nn_fail(err, "MPI_Init_thread failed");
        d->started = 1;
    }
    if (MPI_Comm_dup(MPI_COMM_WORLD, &g_comm) != MPI_SUCCESS) return nn_fail(err, "MPI_Comm_dup failed");
    MPI_Comm_rank(g_comm, &d->rank);
    MPI_Comm_size(g_comm, &d->size);
    return 0;
}

void xcap_dist_finalize(xcap_dist *d) {
    if (g_comm != MPI_COMM_NULL) MPI_Comm_free(&g_comm);
    if (d->started) MPI_Finalize();
    d->started = 0;
}

void xcap_dist_abort(xcap_dist *d, int code) {
    if (d->size > 1) MPI_Abort(g_comm, code);
}

/* Sums n values of type t in place over the group, at most bucket at a time. */
static int sum(xcap_dist *d, void *buf, size_t n, size_t elem, MPI_Datatype t, nn_error *err) {
    if (d->size <= 1) return 0;
    size_t bucket = d->bucket && d->bucket <= INT_MAX ? d->bucket : XCAP_DIST_BUCKET;
    double t0 = MPI_Wtime();
    for (size_t off = 0; off < n; off += bucket) {
        int count = (int)(n - off < bucket ? n - off : bucket);
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)buf + off * elem, count, t, MPI_SUM, g_comm) !=
            MPI_SUCCESS)
            return nn_fail(err, "MPI_Allreduce of %d values failed", count);
    }
    d->seconds += MPI_Wtime() - t0;
    return 0;
}

int xcap_dist_sum_f32(xcap_dist *d, float *buf, size_t n, nn_error *err) {
    return sum(d, buf, n, sizeof *buf, MPI_FLOAT, err);
}

int xcap_dist_sum_f64(xcap_dist *d, double *buf, size_t n, nn_error *err) {
    return sum(d, buf, n, sizeof *buf, MPI_DOUBLE, err);
}

int xcap_dist_any(xcap_dist *d, int flag, int *any, nn_error *err) {
    int v = flag != 0;
    if (d->size > 1 && MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, g_comm) != MPI_SUCCESS)
        return nn_fail(err, "MPI_Allreduce of a flag failed");
    *any = v;
    return 0;
}

int xcap_dist_same_u64(xcap_dist *d, uint64_t v, int *same, nn_error *err) {
    /* the largest v and the largest ~v, i.e. ~(the smallest v), in one call */
    uint64_t w[2] = {v, ~v};
    if (d->size > 1 &&
        MPI_Allreduce(MPI_IN_PLACE, w, 2, MPI_UINT64_T, MPI_MAX, g_comm) != MPI_SUCCESS)
        return nn_fail(err, "MPI_Allreduce of a fingerprint failed");
    *same = w[0] == ~w[1];
    return 0;
}

/* dist_none.c — model/dist.h without MPI: a group of one process. */
#include "model/dist.h"

#include <string.h>

int xcap_dist_available(void) { return 0; }

int xcap_dist_init(xcap_dist *d, nn_error *err) {
    memset(d, 0, sizeof *d);
    d->size = 1;
    d->bucket = XCAP_DIST_BUCKET;
    int size, rank;
    if (xcap_dist_launched(&size, &rank) && (size > 1 || rank > 0))
        return nn_fail(err, "this xcap was built without MPI, but an MPI launcher started %s processes "
                            "of it: each would train alone and write the same files (build with "
                            "cmake -DXCAP_MPI=ON)", size > 1 ? "several" : "more than one");
    return 0;
}

void xcap_dist_finalize(xcap_dist *d) { (void)d; }

void xcap_dist_abort(xcap_dist *d, int code) {
    (void)d;
    (void)code;
}

int xcap_dist_sum_f32(xcap_dist *d, float *buf, size_t n, nn_error *err) {
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int xcap_dist_sum_f64(xcap_dist *d, double *buf, size_t n, nn_error *err) {
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int xcap_dist_any(xcap_dist *d, int flag, int *any, nn_error *err) {
    (void)d, (void)err;
    *any = flag != 0;
    return 0;
}

int xcap_dist_same_u64(xcap_dist *d, uint64_t v, int *same, nn_error *err) {
    (void)d, (void)v, (void)err;
    *same = 1;
    return 0;
}

/* weights_diff.c — compares the weights of two xcap model (or checkpoint) files.
 *
 *   mpi_weights_diff A.safetensors B.safetensors [TOLERANCE [SKIP_SUFFIX]]
 *
 * Over every F32 tensor of A (a checkpoint's optimiser moments, train.*, left out) it
 * prints one line: the largest |a - b| and where. Tensors
 * whose name ends in SKIP_SUFFIX are reported apart (see tests/mpi/train_mpi.sh: attention
 * key biases, whose gradient is zero in exact arithmetic). Exit 0 when every compared
 * difference is at most TOLERANCE (default: only print), 1 when not, 2 on a read error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/safetensors.h"

/* 1 when s ends in suffix. */
static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return k && n >= k && strcmp(s + n - k, suffix) == 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: mpi_weights_diff A B [TOLERANCE [SKIP_SUFFIX]]\n");
        return 2;
    }
    double tol = argc > 3 ? atof(argv[3]) : INFINITY;
    const char *skip = argc > 4 ? argv[4] : "";
    nn_error err;
    nn_st_reader *a = nn_st_open(argv[1], &err), *b = a ? nn_st_open(argv[2], &err) : NULL;
    if (!a || !b) {
        fprintf(stderr, "mpi_weights_diff: %s\n", err.msg);
        return 2;
    }
    double worst = 0.0, worst_skipped = 0.0;
    char where[256] = "-", where_skipped[256] = "-";
    size_t compared = 0;
    int rc = 0;
    for (size_t i = 0; i < nn_st_count(a) && rc == 0; i++) {
        const nn_st_tensor *ti = nn_st_at(a, i);
        if (ti->dtype != NN_ST_F32 || strncmp(ti->name, "train.", 6) == 0) continue;
        size_t n = ti->numel;
        float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        if (!x || !y || nn_st_read_f32(a, ti->name, ti->shape, ti->ndim, x, &err) != 0 ||
            nn_st_read_f32(b, ti->name, ti->shape, ti->ndim, y, &err) != 0) {
            fprintf(stderr, "mpi_weights_diff: %s\n", x && y ? err.msg : "out of memory");
            rc = 2;
        }
        int skipped = ends_with(ti->name, skip);
        for (size_t j = 0; j < n && rc == 0; j++) {
            double dlt = fabs((double)x[j] - (double)y[j]);
            if (!(dlt == dlt)) dlt = INFINITY;  /* a NaN on either side */
            double *w = skipped ? &worst_skipped : &worst;
            if (dlt > *w) {
                *w = dlt;
                snprintf(skipped ? where_skipped : where, sizeof where, "%s[%zu]", ti->name, j);
            }
        }
        if (!skipped) compared += n;
        free(x);
        free(y);
    }
    nn_st_close(a);
    nn_st_close(b);
    if (rc) return rc;
    printf("max |dw| %.3g at %s over %zu weights", worst, where, compared);
    if (*skip) printf("; tensors *%s apart: max %.3g at %s", skip, worst_skipped, where_skipped);
    printf("\n");
    return worst <= tol ? 0 : 1;
}

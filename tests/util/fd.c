/* fd.c — central finite differences for gradient tests. */
#include "tests/util/fd.h"

#include <math.h>
#include <stdlib.h>

#include "tests/util/check.h"

float *fbuf(size_t n) {
    float *p = calloc(n ? n : 1, sizeof *p);
    assert_non_null(p);
    return p;
}

double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

double fd_loss(const fd_problem *p) {
    p->f(p->ctx, p->out);
    double L = 0.0;
    for (size_t i = 0; i < p->n_out; i++) L += (double)p->out[i] * p->R[i];
    return L;
}

void fd_grad(float *num, float *x, size_t n, const fd_problem *p) {
    const float h = p->h > 0.0f ? p->h : 1e-3f;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        if (!isfinite(x0)) {
            num[i] = 0.0f;
            continue;
        }
        float xp = x0 + h, xm = x0 - h;
        x[i] = xp;
        double lp = fd_loss(p);
        x[i] = xm;
        double lm = fd_loss(p);
        x[i] = x0;
        num[i] = (float)((lp - lm) / ((double)xp - (double)xm));
    }
}

void check_grad_impl(const float *analytic, float *x, size_t n, const fd_problem *p,
                     double min_mag, const char *what, const char *file, int line) {
    float *num = fbuf(n);
    fd_grad(num, x, n, p);
    if (max_abs(num, n) < min_mag) {
        print_error("%s:%d: numeric gradient of %s is too small to test (max %g)\n", file, line,
                    what, max_abs(num, n));
        free(num);
        _fail(file, line);
        return;
    }
    check_close_impl(analytic, num, n, FD_ATOL, FD_RTOL, what, file, line);
    free(num);
}

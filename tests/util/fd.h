/* fd.h — gradient checks by central finite differences, shared by the kernel tests.
 *
 * A forward under test reads its inputs through ctx and writes n_out floats to out.
 * The scalar loss is L = sum(out * R), accumulated in double, so dL/dout = R and the
 * analytic gradient is the backward pass with dout = R. Tolerances: atol 1e-3 and
 * rtol 1e-2; check_grad also demands that the numeric gradient reaches min_mag, so a
 * comparison can always fail (a sign error changes a component by 2|g|). */
#ifndef XCAP_TESTS_FD_H
#define XCAP_TESTS_FD_H

#include <stddef.h>

#define FD_ATOL 1e-3
#define FD_RTOL 1e-2

typedef void (*fwd_fn)(void *ctx, float *out);

typedef struct {
    fwd_fn f;
    void *ctx;
    float *out;       /* n_out scratch for the forward */
    const float *R;   /* n_out weights of the loss */
    size_t n_out;
    float h;          /* the finite-difference step; 0 means 1e-3 */
} fd_problem;

/* n zeroed floats (fails the test when out of memory); free() them. */
float *fbuf(size_t n);
/* Largest |x[i]|. */
double max_abs(const float *x, size_t n);
/* L = sum(out * R) after one forward, in double. */
double fd_loss(const fd_problem *p);
/* num[i] = dL/dx[i] by central differences, perturbing x in place; non-finite entries
 * (masks) are not perturbed and get 0. */
void fd_grad(float *num, float *x, size_t n, const fd_problem *p);

/* Fails unless the analytic gradient of the n inputs at x matches finite differences. */
#define check_grad(analytic, x, n, p, min_mag) \
    check_grad_impl((analytic), (x), (n), (p), (min_mag), #analytic, __FILE__, __LINE__)
void check_grad_impl(const float *analytic, float *x, size_t n, const fd_problem *p,
                     double min_mag, const char *what, const char *file, int line);

#endif

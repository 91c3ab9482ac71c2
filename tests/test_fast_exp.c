/* test_fast_exp.c — nn_fast_exp against exp in double over the whole range it covers, its
 * special values, and the vectorised lane sums of nn/reduce.h against sums in double. */
#include <math.h>
#include <stdlib.h>

#include "nn/fast_exp.h"
#include "nn/reduce.h"
#include "tests/util/check.h"

static void test_relative_error(void **state) {
    (void)state;
    double worst = 0.0, at = 0.0;
    for (double x = -87.2; x < 88.2; x += 3e-4) {
        float f = (float)x;
        double want = exp((double)f), e = fabs((double)nn_fast_exp(f) - want) / want;
        if (e > worst) {
            worst = e;
            at = f;
        }
    }
    if (worst > 2e-7) fail_msg("relative error %.3g at x = %.6f", worst, at);
}

static void test_special_values(void **state) {
    (void)state;
    assert_true(nn_fast_exp(-INFINITY) == 0.0f);
    assert_true(nn_fast_exp(-200.0f) == 0.0f);
    assert_true(nn_fast_exp(0.0f) == 1.0f);
    assert_true(isnan(nn_fast_exp(NAN)));
    float big = nn_fast_exp(1000.0f);
    assert_true(isfinite(big) && big > 1e38f);
    assert_true(nn_fast_exp(INFINITY) == big);
    assert_true(nn_fast_select(1, 2.0f, 3.0f) == 2.0f && nn_fast_select(0, 2.0f, 3.0f) == 3.0f);
}

static void test_lane_sums(void **state) {
    (void)state;
    enum { N = 203 };  /* not a multiple of the lanes */
    float a[N], b[N];
    for (size_t n = 0; n <= N; n += 29) {
        double s = 0.0, dot = 0.0, sq = 0.0;
        for (size_t i = 0; i < n; i++) {
            a[i] = sinf((float)i) + 0.5f;
            b[i] = cosf(0.3f * (float)i);
            s += a[i];
            dot += (double)a[i] * b[i];
            sq += ((double)a[i] - 0.25) * ((double)a[i] - 0.25);
        }
        float got[3] = {nn_lane_sum(a, n), nn_lane_dot(a, b, n), nn_lane_sqdev(a, 0.25f, n)};
        float want[3] = {(float)s, (float)dot, (float)sq};
        check_close(got, want, 3, 1e-5, 1e-5);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relative_error),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_lane_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

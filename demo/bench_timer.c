/* bench_timer.c — repeat-until-enough timing with a median, and peak RSS. */
#include "demo/bench_timer.h"

#include <stdlib.h>
#include <sys/resource.h>

#include "demo/cli.h"

/* qsort order of doubles. */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_run(bench_stat *st, bench_fn fn, void *user, double min_time, long min_reps) {
    static double times[BENCH_MAX_REPS];
    fn(user);
    double start = cli_now(), now = start;
    long n = 0;
    while (n < BENCH_MAX_REPS && (n < min_reps || now - start < min_time)) {
        double t0 = cli_now();
        fn(user);
        now = cli_now();
        times[n++] = now - t0;
    }
    qsort(times, (size_t)n, sizeof *times, cmp_double);
    st->reps = n;
    st->best = times[0];
    st->median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

double bench_peak_rss_mib(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0;  /* Linux reports KiB */
}

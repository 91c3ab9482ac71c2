/* bench_timer.h — timing loops and memory figures for `xcap bench`. */
#ifndef XCAP_DEMO_BENCH_TIMER_H
#define XCAP_DEMO_BENCH_TIMER_H

#define BENCH_MAX_REPS 4096

typedef struct {
    double median;  /* seconds per run, median of the timed runs */
    double best;    /* the fastest run */
    long reps;      /* timed runs (the warm-up run is not counted) */
} bench_stat;

typedef void (*bench_fn)(void *user);

/* Runs fn once to warm up, then times single runs until at least min_time seconds and
 * min_reps runs have passed (at most BENCH_MAX_REPS). */
void bench_run(bench_stat *st, bench_fn fn, void *user, double min_time, long min_reps);

/* The process's peak resident set so far (getrusage ru_maxrss), in MiB. */
double bench_peak_rss_mib(void);

#endif

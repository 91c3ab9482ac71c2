/* test_flops.c — the FLOP formula of model/flops.h equals the matrix products that
 * nn_gemm really runs, for a training step and for the forward pass, with and without
 * encoder blocks and the edge channel; and the GEMM log of `xcap bench` groups calls by
 * shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/bench_gemm.h"
#include "model/flops.h"
#include "model/train.h"
#include "tests/util/check.h"

/* A tiny model (rows != columns, T != N) and its trainer; fails the test on error. */
static xcap_model *tiny_run(xcap_trainer *t, size_t enc_layers, size_t edges, size_t batch) {
    xcap_config cfg = {48, 32, 8, 32, 2, enc_layers, 2, 64, 10, 0, edges, 0};
    txt_vocab vocab;
    nn_error err;
    if (xcap_shapes_vocab(&vocab, &cfg, 3, &err) != 0) fail_msg("%s", err.msg);
    xcap_model *m = xcap_model_create(&cfg, &vocab, 3, &err);
    if (!m) fail_msg("%s", err.msg);
    xcap_train_opts o = xcap_train_defaults();
    o.batch = batch;
    if (xcap_trainer_create(t, m, &o, &err) != 0) fail_msg("%s", err.msg);
    if (xcap_trainer_fill_shapes(t, &err) != 0) fail_msg("%s", err.msg);
    return m;
}

/* Counted FLOPs of one step and of one forward pass equal the formula. */
static void check_counts(size_t enc_layers, size_t edges) {
    xcap_trainer t;
    xcap_model *m = tiny_run(&t, enc_layers, edges, 3);
    bench_gemm_log log = {0};
    bench_gemm_record(&log);
    xcap_trainer_step(&t);
    bench_gemm_record_stop();
    double want = xcap_flops_train_step(&m->cfg, 3);
    if (log.failed || log.flops != want)
        fail_msg("step with %zu encoder layers: counted %.0f FLOPs, formula %.0f", enc_layers,
                 log.flops, want);
    size_t total = 0;
    for (size_t i = 0; i < log.n; i++) total += log.shapes[i].count;
    assert_int_equal(total, log.calls);
    bench_gemm_record(&log);
    xcap_batch_forward(&t.batch, m);
    bench_gemm_record_stop();
    want = 3.0 * xcap_flops_forward(&m->cfg);
    if (log.flops != want)
        fail_msg("forward with %zu encoder layers: counted %.0f FLOPs, formula %.0f", enc_layers,
                 log.flops, want);
    bench_gemm_log_free(&log);
    xcap_trainer_free(&t);
    xcap_model_free(m);
}

static void test_counts_with_encoder(void **state) {
    (void)state;
    check_counts(2, 0);
}

static void test_counts_without_encoder(void **state) {
    (void)state;
    check_counts(0, 0);
}

static void test_counts_with_edges(void **state) {
    (void)state;
    check_counts(1, 1);
    check_counts(0, 1);
}

/* The replay times every recorded shape and reports a positive rate. */
static void test_replay(void **state) {
    (void)state;
    xcap_trainer t;
    xcap_model *m = tiny_run(&t, 1, 0, 2);
    bench_gemm_log log = {0};
    bench_gemm_record(&log);
    xcap_batch_forward(&t.batch, m);
    bench_gemm_record_stop();
    double seconds, best;
    nn_error err;
    if (bench_gemm_replay(&seconds, &best, &log, 0.0, &err) != 0) fail_msg("%s", err.msg);
    assert_true(seconds > 0.0 && best > 0.0);
    assert_true(log.n < log.calls);  /* per-head products share shapes */
    bench_gemm_log_free(&log);
    xcap_trainer_free(&t);
    xcap_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_with_encoder),
        cmocka_unit_test(test_counts_without_encoder),
        cmocka_unit_test(test_counts_with_edges),
        cmocka_unit_test(test_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

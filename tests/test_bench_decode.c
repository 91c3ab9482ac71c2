/* test_bench_decode.c — the fixed-length greedy decoding of `xcap bench`: the cached path
 * and the path that recomputes the prefix choose the same tokens and run to max_tokens;
 * batched rows equal single-image runs. */
#include <stdlib.h>
#include <string.h>

#include "demo/bench_decode.h"
#include "model/train.h"
#include "nn/rng.h"
#include "tests/util/check.h"

static void test_cached_equals_recompute(void **state) {
    (void)state;
    xcap_config cfg = {48, 32, 8, 32, 2, 1, 2, 64, 12, 0, 0, 0};
    txt_vocab vocab;
    nn_error err;
    if (xcap_shapes_vocab(&vocab, &cfg, 5, &err) != 0) fail_msg("%s", err.msg);
    xcap_model *m = xcap_model_create(&cfg, &vocab, 5, &err);
    if (!m) fail_msg("%s", err.msg);
    /* larger weights than the init, so that the argmax moves from step to step */
    for (size_t i = 0; i < m->layout.total; i++) m->params[i] *= 20.0f;
    bench_decoder b;
    if (bench_decoder_create(&b, m, 3, &err) != 0) fail_msg("%s", err.msg);
    size_t per = xcap_config_patches(&cfg) * 3 * cfg.patch * cfg.patch, T = cfg.max_tokens;
    nn_rng rng;
    nn_rng_seed(&rng, 9);
    for (size_t i = 0; i < 3 * per; i++) b.patches[i] = 2.0f * nn_rng_uniform(&rng) - 1.0f;
    bench_caption_cached(&b, 3);
    int batched[3 * 12];
    memcpy(batched, b.tokens, sizeof batched);
    for (size_t img = 0; img < 3; img++) {
        /* image img to slot 0 (images after it keep their slots) */
        memmove(b.patches, b.patches + img * per, per * sizeof(float));
        bench_caption_cached(&b, 1);
        bench_caption_recompute(&b);
        for (size_t t = 0; t < T; t++) {
            assert_int_equal(b.tokens[t], b.tokens_full[t]);
            assert_int_equal(b.tokens[t], batched[img * T + t]);
            assert_true(b.tokens[t] > 1);  /* never <pad> or <bos> */
        }
    }
    bench_decoder_free(&b);
    xcap_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_equals_recompute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

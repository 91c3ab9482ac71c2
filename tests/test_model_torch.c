/* test_model_torch.c — the whole C model against the PyTorch reference fixtures:
 * encoder memory, logits, loss, every layer's self- and cross-attention maps, and
 * the gradient of every parameter; for the tiny model and for the tiny model with the
 * edge channel (tiny_edges). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/util/check.h"
#include "tests/util/fixture.h"

#define ATOL 1e-5
#define RTOL 1e-4

typedef struct {
    xcap_model *m;
    nn_st_reader *c;
    xcap_batch b;
} world;

/* Loads the fixture pair PREFIX_weights / PREFIX_case into a world. */
static int setup_named(void **state, const char *prefix) {
    world *w = calloc(1, sizeof *w);
    w->m = fixture_model_named(prefix);
    w->c = fixture_case_named(prefix);
    nn_error err;
    if (xcap_batch_create(&w->b, w->m, 2, &err) != 0) fail_msg("%s", err.msg);
    fixture_fill_batch(&w->b, w->m, w->c);
    *state = w;
    return 0;
}

static int setup(void **state) { return setup_named(state, "tiny"); }
static int setup_edges(void **state) {
    setup_named(state, "tiny_edges");
    world *w = *state;
    assert_int_equal(w->m->cfg.edge_features, 1);
    return 0;
}

static int teardown(void **state) {
    world *w = *state;
    xcap_batch_free(&w->b);
    nn_st_close(w->c);
    xcap_model_free(w->m);
    free(w);
    return 0;
}

/* The fixture's grid is 6 columns × 4 rows, so rows != columns. */
static void test_config_is_rectangular(void **state) {
    world *w = *state;
    assert_int_equal(xcap_config_grid_w(&w->m->cfg), 6);
    assert_int_equal(xcap_config_grid_h(&w->m->cfg), 4);
    assert_int_equal(w->m->vocab.size, 20);
}

static void test_forward_matches_torch(void **state) {
    world *w = *state;
    float loss = xcap_batch_forward(&w->b, w->m);
    size_t n;
    const float *want = fixture_tensor(w->c, "memory", &n);
    check_close(w->b.enc.ln.out, want, n, ATOL, RTOL);
    want = fixture_tensor(w->c, "logits", &n);
    check_close(w->b.dec.logits, want, n, ATOL, RTOL);
    want = fixture_tensor(w->c, "loss", &n);
    check_close(&loss, want, 1, ATOL, RTOL);
    assert_int_equal(w->b.count, 13);
}

static void test_attention_maps_match_torch(void **state) {
    world *w = *state;
    xcap_batch_forward(&w->b, w->m);
    for (size_t i = 0; i < w->m->cfg.dec_layers; i++) {
        char name[32];
        size_t n;
        snprintf(name, sizeof name, "xattn.%zu", i);
        const float *want = fixture_tensor(w->c, name, &n);
        /* cross-attention is T × N = 8 × 24: rectangular */
        assert_int_equal(n, 2 * 2 * 8 * 24);
        check_close(w->b.dec.cross[i].attn.probs, want, n, ATOL, RTOL);
        snprintf(name, sizeof name, "selfattn.%zu", i);
        want = fixture_tensor(w->c, name, &n);
        check_close(w->b.dec.self[i].attn.probs, want, n, ATOL, RTOL);
    }
}

static void test_gradients_match_torch(void **state) {
    world *w = *state;
    size_t total = w->m->layout.total;
    float *grads = calloc(total, sizeof(float));
    assert_non_null(grads);
    xcap_batch_forward(&w->b, w->m);
    xcap_batch_backward(&w->b, w->m, grads);
    for (size_t i = 0; i < w->m->layout.count; i++) {
        const nn_tensor *t = &w->m->layout.tensors[i];
        char name[96];
        size_t n;
        snprintf(name, sizeof name, "grad.%s", t->name);
        const float *want = fixture_tensor(w->c, name, &n);
        assert_int_equal(n, t->numel);
        if (getenv("XCAP_TEST_VERBOSE")) printf("checking %s\n", name);
        check_close(grads + t->offset, want, n, 1e-5, 1e-3);
    }
    free(grads);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_is_rectangular),
        cmocka_unit_test(test_forward_matches_torch),
        cmocka_unit_test(test_attention_maps_match_torch),
        cmocka_unit_test(test_gradients_match_torch),
    };
    int failed = cmocka_run_group_tests_name("tiny", tests, setup, teardown);
    return failed + cmocka_run_group_tests_name("tiny_edges", tests, setup_edges, teardown);
}

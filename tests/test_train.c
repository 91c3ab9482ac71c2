/* test_train.c — training on the shapes world: the loss falls, the same seed gives the
 * same bytes, and a run resumed from a checkpoint is bit-identical to one that never
 * stopped (losses and final weights). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/train.h"
#include "vision/shapes.h"
#include "tests/util/check.h"

/* A tiny config so that steps take milliseconds. */
static xcap_config tiny_config(void) {
    xcap_config c = {32, 32, 8, 32, 2, 1, 1, 64, 16, 0, 0, 0};
    return c;
}

static xcap_train_opts tiny_opts(long steps) {
    xcap_train_opts o = xcap_train_defaults();
    o.steps = steps;
    o.warmup = 2;
    o.batch = 4;
    o.lr = 3e-3f;
    o.seed = 7;
    return o;
}

/* tiny_opts with the alignment loss on head 1 of layer 0 and word dropout. */
static xcap_train_opts tiny_opts_aligned(long steps) {
    xcap_train_opts o = tiny_opts(steps);
    o.align_weight = 0.5f;
    o.word_dropout = 0.25f;
    o.grey_views = 0.3f;
    nn_error err;
    if (xcap_train_parse_align_heads(&o, "0:1", 1, 2, &err) != 0) fail_msg("%s", err.msg);
    return o;
}

/* A fresh tiny model and a trainer with options o; fails the test on error. */
static xcap_model *new_run_opts(xcap_trainer *t, const xcap_train_opts *o) {
    xcap_config cfg = tiny_config();
    txt_vocab vocab;
    nn_error err;
    if (xcap_shapes_vocab(&vocab, &cfg, 7, &err) != 0) fail_msg("%s", err.msg);
    xcap_model *m = xcap_model_create(&cfg, &vocab, 7, &err);
    if (!m) fail_msg("%s", err.msg);
    if (xcap_trainer_create(t, m, o, &err) != 0) fail_msg("%s", err.msg);
    return m;
}

/* A fresh tiny model and trainer with tiny_opts(steps). */
static xcap_model *new_run(xcap_trainer *t, long steps) {
    xcap_train_opts o = tiny_opts(steps);
    return new_run_opts(t, &o);
}

/* Runs steps until t->step == until, recording losses[step]. */
static void run_until(xcap_trainer *t, long until, float *losses) {
    nn_error err;
    while (t->step < until) {
        if (xcap_trainer_fill_shapes(t, &err) != 0) fail_msg("%s", err.msg);
        long s = t->step;
        losses[s] = xcap_trainer_step(t);
    }
}

static void test_loss_falls(void **state) {
    (void)state;
    xcap_trainer t;
    xcap_model *m = new_run(&t, 60);
    float losses[60];
    run_until(&t, 60, losses);
    float first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[57] + losses[58] + losses[59]) / 3;
    if (!(last < first - 1.0f)) fail_msg("loss went from %.3f to %.3f", first, last);
    xcap_trainer_free(&t);
    xcap_model_free(m);
}

static void test_same_seed_same_bytes(void **state) {
    (void)state;
    xcap_trainer a, b;
    xcap_model *ma = new_run(&a, 5), *mb = new_run(&b, 5);
    float la[5], lb[5];
    run_until(&a, 5, la);
    run_until(&b, 5, lb);
    assert_memory_equal(la, lb, sizeof la);
    assert_memory_equal(ma->params, mb->params, ma->layout.total * sizeof(float));
    xcap_trainer_free(&a);
    xcap_trainer_free(&b);
    xcap_model_free(ma);
    xcap_model_free(mb);
}

/* Runs 8 steps straight and 3 + checkpoint + reload + 5 with options o; both must agree. */
static void check_resume(const xcap_train_opts *o) {
    char *dir = make_temp_dir(), path[512], final_a[512], final_b[512];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    snprintf(final_a, sizeof final_a, "%s/a.safetensors", dir);
    snprintf(final_b, sizeof final_b, "%s/b.safetensors", dir);
    nn_error err;
    /* uninterrupted: 8 steps */
    xcap_trainer a;
    xcap_model *ma = new_run_opts(&a, o);
    float la[8], lb[8];
    run_until(&a, 8, la);
    /* interrupted after 3 steps, checkpointed, reloaded, continued to 8 */
    xcap_trainer b;
    xcap_model *mb = new_run_opts(&b, o);
    run_until(&b, 3, lb);
    if (xcap_checkpoint_save(&b, path, &err) != 0) fail_msg("%s", err.msg);
    xcap_trainer_free(&b);
    xcap_model_free(mb);
    mb = xcap_checkpoint_load(&b, path, &err);
    if (!mb) fail_msg("%s", err.msg);
    assert_int_equal(b.step, 3);
    assert_true(b.opts.align_weight == o->align_weight && b.opts.word_dropout == o->word_dropout);
    assert_int_equal(b.opts.n_align, o->n_align);
    run_until(&b, 8, lb);
    assert_memory_equal(la + 3, lb + 3, 5 * sizeof(float));
    assert_memory_equal(ma->params, mb->params, ma->layout.total * sizeof(float));
    /* and the saved model files are byte for byte the same */
    assert_int_equal(xcap_model_save_file(ma, final_a, &err), 0);
    assert_int_equal(xcap_model_save_file(mb, final_b, &err), 0);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", final_a, final_b);
    assert_int_equal(system(cmd), 0);
    xcap_trainer_free(&a);
    xcap_trainer_free(&b);
    xcap_model_free(ma);
    xcap_model_free(mb);
    remove_tree(dir);
    free(dir);
}

static void test_resume_is_bit_identical(void **state) {
    (void)state;
    xcap_train_opts o = tiny_opts(8);
    check_resume(&o);
}

static void test_resume_with_alignment_loss_is_bit_identical(void **state) {
    (void)state;
    xcap_train_opts o = tiny_opts_aligned(8);
    check_resume(&o);
}

/* 1 when every pixel of batch row i's patches has equal red, green and blue. */
static int row_is_grey(const xcap_batch *b, size_t i, size_t floats) {
    const float *p = b->patches + i * floats;
    for (size_t k = 0; k < floats; k += 3)
        if (p[k] != p[k + 1] || p[k] != p[k + 2]) return 0;
    return 1;
}

/* The alignment targets: a distribution (sum 1) exactly at the size, colour and shape words'
 * positions, zero elsewhere; word dropout turns about P of the input words into <unk>,
 * never <bos>; grey views (about 30% of scenes) teach no colour word and every other scene
 * teaches one per object; the alignment loss is reported and falls. */
static void test_alignment_targets_and_word_dropout(void **state) {
    (void)state;
    xcap_train_opts o = tiny_opts_aligned(40);
    o.batch = 16;
    xcap_trainer t;
    xcap_model *m = new_run_opts(&t, &o);
    nn_error err;
    size_t T = t.batch.t, N = 16, words = 0, dropped = 0, grey = 0, scenes = 0;
    float first_align = 0.0f;
    for (int step = 0; step < 40; step++) {
        if (xcap_trainer_fill_shapes(&t, &err) != 0) fail_msg("%s", err.msg);
        for (size_t i = 0; i < t.batch.batch; i++) {
            const int *tok = t.batch.tokens + i * T, *tgt = t.batch.targets + i * T;
            assert_int_equal(tok[0], TXT_BOS);
            int is_grey = row_is_grey(&t.batch, i, N * 3 * 8 * 8);
            size_t colour_words = 0, shape_words = 0;
            for (size_t j = 0; j < T; j++) {
                if (tgt[j] < TXT_N_SPECIAL) continue;
                vis_word_kind k = vis_word_classify(m->vocab.words[tgt[j]], NULL);
                colour_words += k == VIS_WORD_COLOUR;
                shape_words += k == VIS_WORD_SHAPE;
            }
            assert_true(shape_words >= 1);
            if (is_grey) assert_int_equal(colour_words, 0);
            else assert_int_equal(colour_words, shape_words);
            grey += (size_t)is_grey;
            scenes++;
            for (size_t j = 0; j < T; j++) {
                double sum = 0.0;
                for (size_t n = 0; n < N; n++) sum += t.batch.align_rows[(i * T + j) * N + n];
                const char *w = tgt[j] >= TXT_N_SPECIAL ? m->vocab.words[tgt[j]] : ",";
                int grounded = strcmp(w, ",") && strcmp(w, "a") && strcmp(w, "and") &&
                               strcmp(w, "left") && strcmp(w, "right") && strcmp(w, "of") &&
                               strcmp(w, "above") && strcmp(w, "below");
                if (grounded || (is_grey && tgt[j] == TXT_PAD && j < (size_t)t.batch.lengths[i]))
                    assert_true(fabs(sum - 1.0) < 1e-5);
                else assert_true(sum == 0.0);
                if (j >= 1 && j < (size_t)t.batch.lengths[i]) {
                    words++;
                    dropped += tok[j] == TXT_UNK;
                }
            }
        }
        xcap_trainer_step(&t);
        if (step == 0) first_align = t.last_align;
    }
    double rate = (double)dropped / (double)words;
    if (!(rate > 0.18 && rate < 0.32)) fail_msg("word dropout rate %.3f, expected about 0.25", rate);
    double grey_rate = (double)grey / (double)scenes;
    if (!(grey_rate > 0.22 && grey_rate < 0.38)) fail_msg("grey views %.3f, expected about 0.3", grey_rate);
    if (!(first_align > 0.0f && t.last_align < first_align))
        fail_msg("alignment loss went from %.3f to %.3f", first_align, t.last_align);
    xcap_trainer_free(&t);
    xcap_model_free(m);
}

static void test_model_file_is_not_a_checkpoint(void **state) {
    (void)state;
    xcap_trainer t;
    nn_error err;
    const char *path = source_path("tests/fixtures/tiny_weights.safetensors");
    assert_null(xcap_checkpoint_load(&t, path, &err));
    assert_non_null(strstr(err.msg, "not a training checkpoint"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_falls),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_resume_is_bit_identical),
        cmocka_unit_test(test_resume_with_alignment_loss_is_bit_identical),
        cmocka_unit_test(test_alignment_targets_and_word_dropout),
        cmocka_unit_test(test_model_file_is_not_a_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

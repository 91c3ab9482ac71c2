/* test_train_shard.c — a global batch shared by several trainers (what each MPI rank does,
 * model/train_group.h) is the single-process batch: every shard row is the same row of the
 * whole batch (sample, word dropout, grey view, alignment targets), and P shards whose loss
 * sums and gradients are added take the same steps as one trainer, to float reduction-order
 * tolerance. The P trainers run here in one process; tests/mpi/train_mpi.sh does it over
 * mpirun. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/train.h"
#include "tests/util/check.h"

enum { MAX_SHARDS = 3, BATCH = 5, STEPS = 12 };

/* A tiny config so that steps take milliseconds (as tests/test_train.c). */
static xcap_config tiny_config(void) {
    xcap_config c = {32, 32, 8, 32, 2, 1, 1, 64, 16, 0, 0, 0};
    return c;
}

/* Every per-row feature on: the alignment loss, word dropout, grey views. */
static xcap_train_opts tiny_opts(void) {
    xcap_train_opts o = xcap_train_defaults();
    o.steps = STEPS;
    o.warmup = 2;
    o.batch = BATCH;
    o.lr = 3e-3f;
    o.seed = 7;
    o.align_weight = 0.5f;
    o.word_dropout = 0.25f;
    o.grey_views = 0.3f;
    nn_error err;
    if (xcap_train_parse_align_heads(&o, "0:1", 1, 2, &err) != 0) fail_msg("%s", err.msg);
    return o;
}

/* A fresh tiny model and trainer; shard rank of ranks when ranks > 0. */
static xcap_model *new_run(xcap_trainer *t, size_t rank, size_t ranks) {
    xcap_config cfg = tiny_config();
    xcap_train_opts o = tiny_opts();
    txt_vocab vocab;
    nn_error err;
    if (xcap_shapes_vocab(&vocab, &cfg, 7, &err) != 0) fail_msg("%s", err.msg);
    xcap_model *m = xcap_model_create(&cfg, &vocab, 7, &err);
    if (!m) fail_msg("%s", err.msg);
    if (xcap_trainer_create(t, m, &o, &err) != 0) fail_msg("%s", err.msg);
    if (ranks > 0 && xcap_trainer_shard(t, rank, ranks, &err) != 0) fail_msg("%s", err.msg);
    return m;
}

/* One trainer over the whole batch and P shard trainers, each with its own model. */
typedef struct {
    size_t P;
    xcap_trainer whole, sh[MAX_SHARDS];
    xcap_model *mw, *ms[MAX_SHARDS];
} runs;

static void runs_open(runs *r, size_t P) {
    r->P = P;
    r->mw = new_run(&r->whole, 0, 0);
    for (size_t k = 0; k < P; k++) r->ms[k] = new_run(&r->sh[k], k, P);
}

static void runs_close(runs *r) {
    xcap_trainer_free(&r->whole);
    xcap_model_free(r->mw);
    for (size_t k = 0; k < r->P; k++) {
        xcap_trainer_free(&r->sh[k]);
        xcap_model_free(r->ms[k]);
    }
}

/* Adds the loss sums b into a. */
static void add_sums(xcap_batch_sums *a, const xcap_batch_sums *b) {
    a->ce += b->ce;
    a->count += b->count;
    for (size_t l = 0; l < TXT_MAX_LAYERS; l++) {
        a->align_ce[l] += b->align_ce[l];
        a->align_rows[l] += b->align_rows[l];
    }
}

/* One step of P shards as the group does it: forward each, add the sums, backward each with
 * the total, add the gradients (as MPI_Allreduce does), the same update everywhere. */
static float group_step(xcap_trainer *sh, size_t P) {
    nn_error err;
    xcap_batch_sums total, s;
    memset(&total, 0, sizeof total);
    for (size_t r = 0; r < P; r++) {
        if (xcap_trainer_fill_shapes(&sh[r], &err) != 0) fail_msg("%s", err.msg);
        xcap_trainer_forward(&sh[r], &s);
        add_sums(&total, &s);
    }
    float loss = 0.0f;
    for (size_t r = 0; r < P; r++) loss = xcap_trainer_backward(&sh[r], &total);
    size_t n = sh[0].model->layout.total;
    for (size_t r = 1; r < P; r++)
        for (size_t j = 0; j < n; j++) sh[0].grads[j] += sh[r].grads[j];
    for (size_t r = 1; r < P; r++) memcpy(sh[r].grads, sh[0].grads, n * sizeof(float));
    for (size_t r = 0; r < P; r++) xcap_trainer_update(&sh[r], loss);
    return loss;
}

/* Shards cover rows [r*B/P, (r+1)*B/P) and hold exactly the whole batch's rows there. */
static void test_shard_rows_are_the_batch_rows(void **state) {
    (void)state;
    nn_error err;
    static runs R;
    for (size_t P = 2; P <= MAX_SHARDS; P++) {
        runs_open(&R, P);
        const xcap_batch *w = &R.whole.batch;
        size_t T = w->t, N = 16, pd = N * 3 * 8 * 8, covered = 0;
        for (int step = 0; step < 4; step++) {
            R.whole.step = step;
            if (xcap_trainer_fill_shapes(&R.whole, &err) != 0) fail_msg("%s", err.msg);
            for (size_t r = 0; r < P; r++) {
                R.sh[r].step = step;
                if (xcap_trainer_fill_shapes(&R.sh[r], &err) != 0) fail_msg("%s", err.msg);
                const xcap_batch *b = &R.sh[r].batch;
                assert_int_equal(R.sh[r].row0, r * BATCH / P);
                assert_int_equal(b->batch, (r + 1) * BATCH / P - r * BATCH / P);
                size_t i = R.sh[r].row0;
                assert_memory_equal(b->tokens, w->tokens + i * T, b->batch * T * sizeof(int));
                assert_memory_equal(b->targets, w->targets + i * T, b->batch * T * sizeof(int));
                assert_memory_equal(b->lengths, w->lengths + i, b->batch * sizeof(int));
                assert_memory_equal(b->patches, w->patches + i * pd, b->batch * pd * sizeof(float));
                assert_memory_equal(b->align_rows, w->align_rows + i * T * N, b->batch * T * N * sizeof(float));
                if (step == 0) covered += b->batch;
            }
        }
        assert_int_equal(covered, BATCH);
        runs_close(&R);
    }
}

/* The shards' gradients, each its rows' terms over the global counts, add up to the whole
 * batch's gradient (the mean over all positions, not a mean of the shards' means): to
 * 1e-6 of the largest gradient + 1e-5 relative (float rounding of a different order of
 * sums: measured about 1.4e-7 of the largest), and the losses to 1e-6 relative. */
static void test_shard_gradients_add_up(void **state) {
    (void)state;
    nn_error err;
    static runs R;
    for (size_t P = 2; P <= MAX_SHARDS; P++) {
        runs_open(&R, P);
        size_t n = R.mw->layout.total;
        xcap_batch_sums total, s, ws;
        memset(&total, 0, sizeof total);
        if (xcap_trainer_fill_shapes(&R.whole, &err) != 0) fail_msg("%s", err.msg);
        xcap_trainer_forward(&R.whole, &ws);
        float want = xcap_trainer_backward(&R.whole, &ws);
        float align_want = R.whole.batch.align_loss;
        for (size_t r = 0; r < P; r++) {
            if (xcap_trainer_fill_shapes(&R.sh[r], &err) != 0) fail_msg("%s", err.msg);
            xcap_trainer_forward(&R.sh[r], &s);
            add_sums(&total, &s);
        }
        assert_true(total.count == ws.count && total.align_rows[0] == ws.align_rows[0]);
        float *sum = calloc(n, sizeof *sum);
        float got = 0.0f;
        for (size_t r = 0; r < P; r++) {
            got = xcap_trainer_backward(&R.sh[r], &total);
            for (size_t j = 0; j < n; j++) sum[j] += R.sh[r].grads[j];
        }
        float gmax = 0.0f;
        for (size_t j = 0; j < n; j++) gmax = fmaxf(gmax, fabsf(R.whole.grads[j]));
        check_close(sum, R.whole.grads, n, 1e-6 * gmax, 1e-5);
        check_close(&got, &want, 1, 0.0, 1e-6);
        check_close(&R.sh[0].batch.align_loss, &align_want, 1, 0.0, 1e-6);
        free(sum);
        runs_close(&R);
    }
}

/* The largest |a - b| over the weights of m, apart for the attention key biases (*.bk). */
static void weight_diff(double *worst, double *worst_bk, const xcap_model *m, const float *a,
                        const float *b) {
    *worst = *worst_bk = 0.0;
    for (size_t k = 0; k < m->layout.count; k++) {
        const nn_tensor *ten = &m->layout.tensors[k];
        size_t len = strlen(ten->name);
        double *w = len >= 3 && strcmp(ten->name + len - 3, ".bk") == 0 ? worst_bk : worst;
        for (size_t j = ten->offset; j < ten->offset + ten->numel; j++)
            *w = fmax(*w, fabs((double)a[j] - (double)b[j]));
    }
}

/* P shards take the single trainer's steps: losses to 1e-6 relative, and every weight to
 * 5e-5 after 12 steps at lr 3e-3 (measured 9.3e-6 with 2 shards, 1.6e-5 with 3: AdamW's
 * first step is lr * g / (|g| + eps), which turns rounding differences of a gradient near
 * zero into differences up to lr * |dg| / eps), except the attention key biases (*.bk):
 * their gradient is zero in exact arithmetic (softmax ignores a shift shared by a query's
 * scores), so AdamW steps them by rounding noise, up to lr a step; they change no output. */
static void test_shards_train_like_one(void **state) {
    (void)state;
    static runs R;
    for (size_t P = 2; P <= MAX_SHARDS; P++) {
        runs_open(&R, P);
        nn_error err;
        float lw[STEPS], ls[STEPS];
        for (int step = 0; step < STEPS; step++) {
            if (xcap_trainer_fill_shapes(&R.whole, &err) != 0) fail_msg("%s", err.msg);
            lw[step] = xcap_trainer_step(&R.whole);
            ls[step] = group_step(R.sh, P);
            assert_true(fabsf(R.sh[0].last_align - R.whole.last_align) <= 1e-6f * R.whole.last_align);
        }
        check_close(ls, lw, STEPS, 0.0, 1e-6);
        size_t bytes = R.mw->layout.total * sizeof(float);
        for (size_t r = 1; r < P; r++) assert_memory_equal(R.ms[r]->params, R.ms[0]->params, bytes);
        double worst, worst_bk;
        weight_diff(&worst, &worst_bk, R.mw, R.ms[0]->params, R.mw->params);
        print_message("%zu shards: max |dw| %.3g (key biases %.3g)\n", P, worst, worst_bk);
        if (!(worst <= 5e-5)) fail_msg("%zu shards: weights differ by %.3g", P, worst);
        if (!(worst_bk <= STEPS * 3e-3)) fail_msg("%zu shards: key biases differ by %.3g", P, worst_bk);
        runs_close(&R);
    }
}

/* A batch smaller than the group is refused with a message. */
static void test_batch_smaller_than_group(void **state) {
    (void)state;
    xcap_trainer t;
    xcap_model *m = new_run(&t, 0, 0);
    nn_error err;
    assert_int_equal(xcap_trainer_shard(&t, 0, BATCH + 1, &err), -1);
    assert_non_null(strstr(err.msg, "cannot be shared"));
    xcap_trainer_free(&t);
    xcap_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_rows_are_the_batch_rows),
        cmocka_unit_test(test_shard_gradients_add_up),
        cmocka_unit_test(test_shards_train_like_one),
        cmocka_unit_test(test_batch_smaller_than_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

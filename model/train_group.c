/* train_group.c — a training step over a group of processes (data parallel). */
#include "model/train_group.h"

#include <string.h>

/* The sums as one array of doubles for a single reduction, and back. */
enum { N_SUMS = 2 + 2 * TXT_MAX_LAYERS };

static void sums_pack(double *v, const xcap_batch_sums *s) {
    v[0] = s->ce;
    v[1] = s->count;
    memcpy(v + 2, s->align_ce, sizeof s->align_ce);
    memcpy(v + 2 + TXT_MAX_LAYERS, s->align_rows, sizeof s->align_rows);
}

static void sums_unpack(xcap_batch_sums *s, const double *v) {
    s->ce = v[0];
    s->count = v[1];
    memcpy(s->align_ce, v + 2, sizeof s->align_ce);
    memcpy(s->align_rows, v + 2 + TXT_MAX_LAYERS, sizeof s->align_rows);
}

int xcap_trainer_join(xcap_trainer *t, const xcap_dist *d, nn_error *err) {
    if (d->size <= 1) return 0;
    return xcap_trainer_shard(t, (size_t)d->rank, (size_t)d->size, err);
}

int xcap_trainer_step_group(xcap_trainer *t, xcap_dist *d, nn_error *err) {
    if (d->size <= 1) {
        xcap_trainer_step(t);
        return 0;
    }
    xcap_batch_sums s;
    double v[N_SUMS];
    xcap_trainer_forward(t, &s);
    sums_pack(v, &s);
    /* the global counts first: each shard's gradient is then its rows' terms over the
     * global number of positions, and the sum of the shards' gradients is the mean's */
    if (xcap_dist_sum_f64(d, v, N_SUMS, err) != 0) return -1;
    sums_unpack(&s, v);
    float loss = xcap_trainer_backward(t, &s);
    if (xcap_dist_sum_f32(d, t->grads, t->model->layout.total, err) != 0) return -1;
    xcap_trainer_update(t, loss);
    return 0;
}

/* FNV-1a over the bytes of the weights. */
static uint64_t fingerprint(const float *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n * sizeof *p; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

int xcap_trainer_check_group(const xcap_trainer *t, xcap_dist *d, nn_error *err) {
    int same;
    if (d->size <= 1) return 0;
    if (xcap_dist_same_u64(d, fingerprint(t->model->params, t->model->layout.total), &same, err) != 0)
        return -1;
    if (!same)
        return nn_fail(err, "the %d processes' weights differ at step %ld (they must start from the "
                            "same model or checkpoint and take the same steps)", d->size, t->step);
    return 0;
}

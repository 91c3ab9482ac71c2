/* adamw.c — AdamW update, learning-rate schedule and gradient clipping. */
#include "nn/adamw.h"

#include <math.h>

#include "nn/pool.h"
#include "nn/simd.h"

/* One AdamW update: the arrays and the constants of this step. */
typedef struct {
    float *params, *m, *v;
    const float *grads;
    float b1, b2, eps, step, bc2_sqrt, shrink;
} adamw_job;

/* vectorises: CMakeLists.txt compiles this file with -fno-math-errno (sqrtf of v >= 0) */
NN_VECTOR_CLONES
static void adamw_part(void *ctx, size_t begin, size_t end) {
    const adamw_job *j = ctx;
    float *params = j->params, *m = j->m, *v = j->v;
    const float *grads = j->grads;
    const float b1 = j->b1, b2 = j->b2, eps = j->eps, step = j->step, bc2_sqrt = j->bc2_sqrt,
                shrink = j->shrink;
    for (size_t i = begin; i < end; i++) {
        float g = grads[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        params[i] = params[i] * shrink - step * m[i] / denom;
    }
}

void nn_adamw_update(float *params, float *m, float *v, const float *grads, size_t n, int decay,
                     const nn_adamw_hparams *h, long t) {
    const float bc1 = 1.0f - powf(h->beta1, (float)t);
    const float bc2 = 1.0f - powf(h->beta2, (float)t);
    /* the constants are read before any array is written (h might alias the arrays) */
    adamw_job j = {params, m, v, grads, h->beta1, h->beta2, h->eps, h->lr / bc1, sqrtf(bc2),
                   decay ? 1.0f - h->lr * h->weight_decay : 1.0f};
    nn_pool_for(n, NN_POOL_GRAIN, adamw_part, &j);
}

float nn_lr_schedule(long step, long total, long warmup, float lr_max, float lr_min) {
    if (warmup > 0 && step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    long span = total - warmup;
    if (span <= 1) return lr_max;
    double progress = (double)(step - warmup) / (double)(span - 1);
    if (progress > 1.0) progress = 1.0;
    return lr_min + (lr_max - lr_min) * 0.5f * (float)(1.0 + cos(3.14159265358979323846 * progress));
}

NN_VECTOR_CLONES
float nn_clip_grad_norm(float *grads, size_t n, float max_norm) {
    /* eight running sums in double (a fixed order, so that the loop vectorises) */
    double lanes[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t k = 0; k < 8; k++) lanes[k] += (double)grads[i + k] * grads[i + k];
    double sum = 0.0;
    for (; i < n; i++) sum += (double)grads[i] * grads[i];
    for (size_t k = 0; k < 8; k++) sum += lanes[k];
    float norm = (float)sqrt(sum);
    if (max_norm > 0.0f && norm > max_norm) {
        float scale = max_norm / (norm + 1e-6f);
        for (i = 0; i < n; i++) grads[i] *= scale;
    }
    return norm;
}

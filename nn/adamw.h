/* adamw.h — the AdamW optimiser (decoupled weight decay), the learning-rate schedule
 * (linear warm-up then cosine decay) and gradient-norm clipping. */
#ifndef XCAP_NN_ADAMW_H
#define XCAP_NN_ADAMW_H

#include <stddef.h>

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} nn_adamw_hparams;

/* One AdamW step (as torch.optim.AdamW) on n parameters at step t (1-based):
 * p -= lr * wd * p (when decay), then the Adam update with bias correction.
 * m and v are the moment buffers (start at 0). */
void nn_adamw_update(float *params, float *m, float *v, const float *grads, size_t n, int decay,
                     const nn_adamw_hparams *h, long t);

/* Learning rate at step (0-based) of total: linear warm-up over warmup steps to lr_max,
 * then cosine decay to lr_min at the last step. */
float nn_lr_schedule(long step, long total, long warmup, float lr_max, float lr_min);

/* Global L2 norm of the gradient; when above max_norm (> 0), scales grads to max_norm.
 * Returns the norm before clipping. */
float nn_clip_grad_norm(float *grads, size_t n, float max_norm);

#endif

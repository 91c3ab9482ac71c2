/* flops.h — the floating-point work of the captioner, counted from its shapes.
 *
 * Only matrix products count (2·M·N·K each); layer norm, softmax, GELU, the edge filter,
 * the loss and AdamW are left out. With N patches of 3P² values, width d, MLP width f,
 * H heads, Le encoder and Ld decoder layers, T = max_tokens positions (all computed, padding
 * and the causal half included) and a vocabulary of V, the forward pass of one image is
 *
 *   F = 2·N·3P²·d                                         patch embedding
 *     + E · 2·N·P²·d                                      edge channel (E = edge_features)
 *     + Le · (8·N·d² + 4·N²·d + 4·N·d·f)                  encoder blocks
 *     + Ld · (8·T·d² + 4·T²·d                             causal self-attention
 *             + 4·T·d² + X                                cross-attention: Q and output
 *             + 4·T·d·f)                                  MLP
 *     + 2·T·d·V                                           vocabulary projection
 *
 * where X = 4·T·d² + 4·H·T·N·d when the cross-attention is reassociated (q Wk_h against
 * the memory rows, (P_h memory) Wv_h^T: attention.h; the presets S and M are) and
 * X = 4·N·d² + 4·T·N·d when it projects the memory to K and V,
 *
 * and a training step of B images is B · (3·F − 2·N·3P²·d − E·2·N·P²·d): the backward
 * pass costs two products for each forward one (input and weight gradients), except the
 * patch and edge embeddings, whose inputs need no gradient. tests/test_flops.c checks these counts
 * against the products nn_gemm really runs. */
#ifndef XCAP_MODEL_FLOPS_H
#define XCAP_MODEL_FLOPS_H

#include "model/config.h"

/* FLOPs of the teacher-forced forward pass of one image. */
double xcap_flops_forward(const xcap_config *cfg);
/* FLOPs of one training step (forward + backward) over `batch` images. */
double xcap_flops_train_step(const xcap_config *cfg, size_t batch);

#endif

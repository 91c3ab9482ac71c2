/* layout.h — the table of named tensors inside one contiguous parameter buffer.
 *
 * Modules describe their parameters by appending named tensors to an nn_layout
 * and keep the returned offsets. The same offsets index the parameter buffer,
 * the gradient buffer and the optimiser's moment buffers (llm.c style).
 * The layout owns its table; nn_layout_free releases it. */
#ifndef XCAP_NN_LAYOUT_H
#define XCAP_NN_LAYOUT_H

#include <stddef.h>

#define NN_NAME_MAX 64

typedef enum { NN_INIT_ZERO, NN_INIT_ONE, NN_INIT_NORMAL } nn_init;

typedef struct {
    char name[NN_NAME_MAX];
    int ndim;               /* 1 or 2 */
    size_t shape[2];
    size_t offset;          /* in floats from the start of the buffer */
    size_t numel;
    int decay;              /* 1: AdamW applies weight decay */
    nn_init init;
    float init_std;         /* for NN_INIT_NORMAL */
} nn_tensor;

typedef struct {
    nn_tensor *tensors;
    size_t count, cap;
    size_t total;           /* floats in the buffer */
    int failed;             /* an allocation failed while adding */
} nn_layout;

/* Appends a tensor "prefix.suffix" of shape [d0] (d1 == 0) or [d0, d1]; returns its offset. */
size_t nn_layout_add(nn_layout *L, const char *prefix, const char *suffix, size_t d0, size_t d1,
                     int decay, nn_init init, float init_std);

/* The tensor with this name, or NULL. */
const nn_tensor *nn_layout_find(const nn_layout *L, const char *name);

/* Releases the table. */
void nn_layout_free(nn_layout *L);

#endif

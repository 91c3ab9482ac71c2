/* batch.h — the whole model over a batch with teacher forcing: encoder, decoder,
 * loss, and the backward pass into a gradient buffer laid out like the parameters.
 * All activations and scratch are sized once by xcap_batch_create (one block);
 * forward and backward never allocate. The caller fills patches, tokens, targets
 * and lengths, and frees the batch with xcap_batch_free. */
#ifndef XCAP_MODEL_BATCH_H
#define XCAP_MODEL_BATCH_H

#include "model/model.h"

typedef struct {
    size_t batch_max, batch;   /* capacity and the batch in use */
    size_t t;                  /* positions per sequence (= max_tokens) */
    float *block;              /* the one allocation behind every buffer */
    float *patches;            /* [B, N, 3P^2] */
    int *tokens, *targets;     /* [B, T] */
    int *lengths;              /* [B] inputs that are not <pad> */
    vis_encoder_acts enc;
    txt_decoder_acts dec;
    float *dmemory, *dx_a, *dx_b, *dlogits;
    blk_scratch scratch;
    size_t count;              /* positions in the last loss */
} xcap_batch;

/* Sizes every buffer for up to batch_max images of model m. */
int xcap_batch_create(xcap_batch *b, const xcap_model *m, size_t batch_max, nn_error *err);
void xcap_batch_free(xcap_batch *b);

/* Encodes patches into the memory (b->enc.ln.out) for b->batch images. */
void xcap_batch_encode(xcap_batch *b, const xcap_model *m);
/* Encoder + decoder + loss for b->batch images; returns the mean loss. */
float xcap_batch_forward(xcap_batch *b, const xcap_model *m);
/* Adds the gradient of the last forward's loss to grads (layout of m->params). */
void xcap_batch_backward(xcap_batch *b, const xcap_model *m, float *grads);

/* Fills row i of the batch from a caption: tokens "<bos> w1..wn", targets "w1..wn <eos>",
 * truncated to the model's max_tokens. Returns the words used. */
size_t xcap_batch_set_caption(xcap_batch *b, const xcap_model *m, size_t i, const char *caption);

#endif

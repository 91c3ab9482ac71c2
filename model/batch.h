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
    /* alignment loss (optional): per position a target distribution over the patches,
     * all zero where the position is not supervised; align[l].rows is align_rows for each
     * supervised decoder layer l, else NULL */
    float *align_rows;         /* [B, T, N] */
    attn_target align[TXT_MAX_LAYERS];
    float align_weight;        /* 0 = off */
    float align_loss;          /* the last forward's alignment loss (weighted) */
    double align_ce[TXT_MAX_LAYERS];  /* per decoder layer: the last forward's alignment */
    size_t align_n[TXT_MAX_LAYERS];   /* cross-entropy summed over its align_n rows */
} xcap_batch;

/* What the last forward's losses are sums of, so that several batches (the shards of one
 * global batch on several processes) can be averaged as one: the caption cross-entropy
 * summed over its counted positions, and per supervised decoder layer the alignment
 * cross-entropy summed over its supervised rows. Sums of these add up field by field. */
typedef struct {
    double ce, count;
    double align_ce[TXT_MAX_LAYERS], align_rows[TXT_MAX_LAYERS];
} xcap_batch_sums;

/* An upper bound, in floats, of any arena a batch or a context with up to rows images (or
 * beam rows, whichever is more) of a model of config cfg takes (at most 64 + 32 per layer buffers, each at most the largest
 * activation, attention-score, cache or map product); -1 when that bound overflows a
 * size_t of bytes, so the sizes of such an arena must not be computed. */
int xcap_arena_bound(const xcap_config *cfg, size_t rows, size_t *floats);

/* Sizes every buffer for up to batch_max images of model m (refused when their sizes would
 * overflow, xcap_arena_bound). */
int xcap_batch_create(xcap_batch *b, const xcap_model *m, size_t batch_max, nn_error *err);
void xcap_batch_free(xcap_batch *b);

/* Encodes patches into the memory (b->enc.ln.out) for b->batch images. */
void xcap_batch_encode(xcap_batch *b, const xcap_model *m);
/* Encoder + decoder + loss for b->batch images; returns the mean caption loss and, when
 * align_weight > 0, stores the weighted alignment loss in b->align_loss (its gradient
 * is added by the backward pass). */
float xcap_batch_forward(xcap_batch *b, const xcap_model *m);
/* Adds the gradient of the last forward's loss to grads (layout of m->params). */
void xcap_batch_backward(xcap_batch *b, const xcap_model *m, float *grads);

/* The loss sums of the last forward. */
void xcap_batch_sums_of(xcap_batch_sums *s, const xcap_batch *b);
/* Makes the next backward the gradient of the mean losses over every batch whose sums
 * add up to total (this batch's share of it: its rows' terms over the total counts); sets
 * b->align_loss to the total's weighted alignment loss and returns its caption loss. */
float xcap_batch_use_sums(xcap_batch *b, const xcap_batch_sums *total);

/* Fills row i of the batch from a caption: tokens "<bos> w1..wn", targets "w1..wn <eos>",
 * truncated to the model's max_tokens. Returns the words used. */
size_t xcap_batch_set_caption(xcap_batch *b, const xcap_model *m, size_t i, const char *caption);

/* Supervises cross-attention head `head` of decoder layer `layer` with weight `weight`
 * (the loss is added once per supervised layer). */
void xcap_batch_supervise(xcap_batch *b, size_t layer, size_t head, float weight);

#endif

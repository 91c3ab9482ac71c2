/* bench_decode.h — greedy captioning for `xcap bench`, always to max_tokens (no stop at
 * <eos>, so every run does the same work): with the caches (cross-attention K/V once per
 * image, self-attention K/V appended step by step, as xcap_caption does) and, for
 * comparison, recomputing the teacher-forced pass over the whole prefix at every step.
 * Each run starts from patches: encoder, decoding, argmax. Every buffer is sized by
 * bench_decoder_create; the caller frees them with bench_decoder_free. */
#ifndef XCAP_DEMO_BENCH_DECODE_H
#define XCAP_DEMO_BENCH_DECODE_H

#include "model/model.h"

typedef struct {
    const xcap_model *model;    /* borrowed */
    size_t images_max;
    float *block;               /* every buffer below */
    float *patches;             /* [images_max, N, 3P²]: the input, filled by the caller */
    vis_encoder_acts enc;
    txt_decoder_cache cache;
    txt_decoder_acts full;      /* one sequence of max_tokens: the recomputing path */
    int *tokens;                /* [images_max, T]: the tokens of the cached path */
    int *tokens_full;           /* [T]: the tokens of the recomputing path */
    int *row_tok, *row_image;   /* [images_max] */
} bench_decoder;

/* Sizes every buffer for up to images_max images of model m. */
int bench_decoder_create(bench_decoder *b, const xcap_model *m, size_t images_max,
                         nn_error *err);
void bench_decoder_free(bench_decoder *b);

/* The memory of the first n images: the encoder alone, the first part of a caption. */
void bench_encode(bench_decoder *b, size_t n);
/* Captions the first n images with the caches: max_tokens greedy steps, into b->tokens. */
void bench_caption_cached(bench_decoder *b, size_t n);
/* Captions image 0 by running the whole decoder over tokens 0..t at every step t (cross
 * K/V and self K/V recomputed), into b->tokens_full. */
void bench_caption_recompute(bench_decoder *b);

#endif

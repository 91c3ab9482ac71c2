/* generate.h — caption generation over a txt_decoder_cache: greedy, beam search
 * (width k, length-normalised score, each beam with its own attention history) and
 * sampling (temperature, top-k, top-p). Stops at <eos> or max_tokens; <pad>, <bos> and
 * <unk> are never generated.
 *
 * The caller prepares the cache's cross-attention K/V for the images first
 * (txt_decoder_prepare_cross). Randomness comes in from the caller: the sampler
 * takes its uniform number as an argument, and txt_generate draws them from the
 * nn_rng streams it is given. Results go into caller-owned buffers; nothing allocates. */
#ifndef XCAP_TEXT_GENERATE_H
#define XCAP_TEXT_GENERATE_H

#include <stddef.h>

#include "nn/rng.h"
#include "text/decoder.h"

typedef struct {
    int beam;           /* 1: greedy (or sampling); > 1: beam search */
    float temperature;  /* 0: deterministic; > 0: sample (beam must be 1) */
    int top_k;          /* 0: off */
    float top_p;        /* 1: off */
    size_t max_tokens;  /* tokens generated at most, <eos> included (<= dims.max_tokens) */
} txt_gen_params;

/* One generated sequence. Buffers are sized by the caller for max_tokens tokens. */
typedef struct {
    int *tokens;        /* [max_tokens]: generated ids, <eos> included when reached */
    float *probs;       /* [max_tokens]: softmax probability of each chosen token */
    float *maps;        /* [max_tokens, L, H, N]: cross-attention of each token's step */
    size_t n;           /* tokens generated */
    float logprob;      /* sum of log-probabilities of the tokens */
} txt_gen_result;

/* Scratch for generation, taken once (beam search keeps k histories). */
typedef struct {
    size_t beam_max;
    float *logp;        /* [beam_max, V] */
    float *sort;        /* [V] */
    int *idx;           /* [V] */
    int *cand_tok, *cand_parent;  /* [beam_max^2] */
    float *cand_score;  /* [beam_max^2] */
    int *tokens, *tokens_next;    /* [beam_max, T] */
    float *probs, *probs_next;    /* [beam_max, T] */
    float *maps, *maps_next;      /* [beam_max, T, L, H, N] */
    float *scores;                /* [beam_max] */
    int *parent, *row_tokens, *row_image;  /* [beam_max] or [rows_max] */
} txt_gen_scratch;

void txt_gen_scratch_take(txt_gen_scratch *s, nn_arena *ar, const txt_decoder_dims *dm,
                          size_t beam_max, size_t rows_max);

/* Takes the buffers of one result for dm->max_tokens tokens. */
void txt_gen_result_take(txt_gen_result *r, nn_arena *ar, const txt_decoder_dims *dm);

/* Picks a token from logits [V]: temperature 0 → argmax; else softmax(logits/temp),
 * keep the top_k largest (0 = all) and the smallest set whose mass reaches top_p,
 * then choose with the uniform number coin in [0, 1). sort/idx are [V] scratch. */
int txt_sample(const float *logits, size_t v, float temperature, int top_k, float top_p,
               float coin, float *sort, int *idx);

/* Greedy or sampling for n_images images at once (row i = image i). rngs[i] is image i's
 * sampling stream (untouched at temperature 0), so what an image samples does not depend
 * on the other images of the batch. */
void txt_generate_batch(txt_gen_result *out, size_t n_images, txt_decoder_cache *c,
                        txt_gen_scratch *s, const txt_gen_params *p, nn_rng *rngs,
                        const float *params, const txt_decoder_weights *w,
                        const txt_decoder_dims *dm);

/* Beam search of width p->beam for image `image` of the cache. */
void txt_generate_beam(txt_gen_result *out, size_t image, txt_decoder_cache *c,
                       txt_gen_scratch *s, const txt_gen_params *p, const float *params,
                       const txt_decoder_weights *w, const txt_decoder_dims *dm);

#endif

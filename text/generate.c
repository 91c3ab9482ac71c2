/* generate.c — greedy / sampling over a batch of images, and beam search. */
#include "text/generate.h"

#include <math.h>
#include <string.h>

#include "text/vocab.h"

void txt_gen_scratch_take(txt_gen_scratch *s, nn_arena *ar, const txt_decoder_dims *dm,
                          size_t beam_max, size_t rows_max) {
    size_t V = dm->vocab, T = dm->max_tokens, map = dm->layers * dm->heads * dm->n_patches;
    size_t rows = rows_max > beam_max ? rows_max : beam_max;
    s->beam_max = beam_max;
    s->logp = nn_arena_take(ar, beam_max * V);
    s->sort = nn_arena_take(ar, V);
    s->idx = (int *)nn_arena_take(ar, V);
    s->cand_tok = (int *)nn_arena_take(ar, beam_max * beam_max);
    s->cand_parent = (int *)nn_arena_take(ar, beam_max * beam_max);
    s->cand_score = nn_arena_take(ar, beam_max * beam_max);
    s->tokens = (int *)nn_arena_take(ar, beam_max * T);
    s->tokens_next = (int *)nn_arena_take(ar, beam_max * T);
    s->probs = nn_arena_take(ar, beam_max * T);
    s->probs_next = nn_arena_take(ar, beam_max * T);
    s->maps = nn_arena_take(ar, beam_max * T * map);
    s->maps_next = nn_arena_take(ar, beam_max * T * map);
    s->scores = nn_arena_take(ar, beam_max);
    s->parent = (int *)nn_arena_take(ar, beam_max);
    s->row_tokens = (int *)nn_arena_take(ar, rows);
    s->row_image = (int *)nn_arena_take(ar, rows);
}

void txt_gen_result_take(txt_gen_result *r, nn_arena *ar, const txt_decoder_dims *dm) {
    size_t T = dm->max_tokens;
    r->tokens = (int *)nn_arena_take(ar, T);
    r->probs = nn_arena_take(ar, T);
    r->maps = nn_arena_take(ar, T * dm->layers * dm->heads * dm->n_patches);
    r->n = 0;
    r->logprob = 0.0f;
}

/* <pad>, <bos> and <unk> are never generated (a caption has no use for "a word not in the
 * vocabulary"): their logits become -INFINITY for `rows` rows. */
static void forbid_special(float *logits, size_t rows, size_t v) {
    for (size_t r = 0; r < rows; r++) {
        logits[r * v + TXT_PAD] = -INFINITY;
        logits[r * v + TXT_BOS] = -INFINITY;
        logits[r * v + TXT_UNK] = -INFINITY;
    }
}

/* out[i] = log_softmax(logits)[i] over v entries. */
static void log_softmax(float *out, const float *logits, size_t v) {
    float mx = logits[0];
    for (size_t i = 1; i < v; i++)
        if (logits[i] > mx) mx = logits[i];
    double sum = 0.0;
    for (size_t i = 0; i < v; i++) sum += exp((double)(logits[i] - mx));
    float lse = mx + (float)log(sum);
    for (size_t i = 0; i < v; i++) out[i] = logits[i] - lse;
}

void txt_generate_batch(txt_gen_result *out, size_t n_images, txt_decoder_cache *c,
                        txt_gen_scratch *s, const txt_gen_params *p, nn_rng *rngs,
                        const float *params, const txt_decoder_weights *w,
                        const txt_decoder_dims *dm) {
    const size_t V = dm->vocab, map = dm->layers * dm->heads * dm->n_patches;
    size_t max = p->max_tokens && p->max_tokens < dm->max_tokens ? p->max_tokens : dm->max_tokens;
    size_t open = n_images;
    for (size_t r = 0; r < n_images; r++) {
        s->row_tokens[r] = TXT_BOS;
        s->row_image[r] = (int)r;
        out[r].n = 0;
        out[r].logprob = 0.0f;
    }
    for (size_t pos = 0; pos < max && open > 0; pos++) {
        txt_decoder_step(c, s->row_tokens, s->row_image, pos, n_images, params, w, dm);
        forbid_special(c->logits, n_images, V);
        for (size_t r = 0; r < n_images; r++) {
            txt_gen_result *o = &out[r];
            if (o->n > 0 && o->tokens[o->n - 1] == TXT_EOS) continue;
            const float *logits = c->logits + r * V;
            float coin = p->temperature > 0.0f ? nn_rng_uniform(&rngs[r]) : 0.0f;
            int tok = txt_sample(logits, V, p->temperature, p->top_k, p->top_p, coin, s->sort,
                                 s->idx);
            log_softmax(s->logp, logits, V);
            o->tokens[o->n] = tok;
            o->probs[o->n] = expf(s->logp[tok]);
            o->logprob += s->logp[tok];
            memcpy(o->maps + o->n * map, c->cross_probs + r * map, map * sizeof(float));
            o->n++;
            s->row_tokens[r] = tok;
            if (tok == TXT_EOS) open--;
        }
    }
}

/* Copies beam b's history (len tokens) plus one more token into out. */
static void finish_beam(txt_gen_result *out, const txt_gen_scratch *s, size_t b, size_t len,
                        int tok, float prob, const float *map_of_tok, float logprob, size_t T,
                        size_t map) {
    memcpy(out->tokens, s->tokens + b * T, len * sizeof(int));
    memcpy(out->probs, s->probs + b * T, len * sizeof(float));
    memcpy(out->maps, s->maps + b * T * map, len * map * sizeof(float));
    out->tokens[len] = tok;
    out->probs[len] = prob;
    memcpy(out->maps + len * map, map_of_tok, map * sizeof(float));
    out->n = len + 1;
    out->logprob = logprob;
}

void txt_generate_beam(txt_gen_result *out, size_t image, txt_decoder_cache *c,
                       txt_gen_scratch *s, const txt_gen_params *p, const float *params,
                       const txt_decoder_weights *w, const txt_decoder_dims *dm) {
    const size_t V = dm->vocab, T = dm->max_tokens, map = dm->layers * dm->heads * dm->n_patches;
    size_t k = (size_t)p->beam;
    if (k > s->beam_max) k = s->beam_max;
    if (k > V) k = V;
    size_t max = p->max_tokens && p->max_tokens < T ? p->max_tokens : T;
    size_t alive = 1, finished = 0;
    float best = -INFINITY;
    s->scores[0] = 0.0f;
    out->n = 0;
    out->logprob = -INFINITY;
    for (size_t pos = 0; pos < max && alive > 0; pos++) {
        for (size_t b = 0; b < alive; b++) {
            s->row_tokens[b] = pos == 0 ? TXT_BOS : s->tokens[b * T + pos - 1];
            s->row_image[b] = (int)image;
        }
        txt_decoder_step(c, s->row_tokens, s->row_image, pos, alive, params, w, dm);
        forbid_special(c->logits, alive, V);
        /* candidates: the k best tokens of every live beam */
        size_t n_cand = 0;
        for (size_t b = 0; b < alive; b++) {
            float *lp = s->logp + b * V;
            log_softmax(lp, c->logits + b * V, V);
            for (size_t i = 0; i < V; i++) s->idx[i] = (int)i;
            for (size_t j = 0; j < k; j++) {  /* partial selection of the top k */
                size_t best_i = j;
                for (size_t i = j + 1; i < V; i++)
                    if (lp[s->idx[i]] > lp[s->idx[best_i]]) best_i = i;
                int t = s->idx[best_i];
                s->idx[best_i] = s->idx[j];
                s->idx[j] = t;
                s->cand_tok[n_cand] = t;
                s->cand_parent[n_cand] = (int)b;
                s->cand_score[n_cand] = s->scores[b] + lp[t];
                n_cand++;
            }
        }
        /* walk the candidates best first: <eos> finishes a hypothesis, others extend */
        size_t next = 0;
        for (size_t taken = 0; taken < n_cand && next < k; taken++) {
            size_t ci = taken;
            for (size_t i = taken + 1; i < n_cand; i++)
                if (s->cand_score[i] > s->cand_score[ci]) ci = i;
            int tok = s->cand_tok[ci], par = s->cand_parent[ci];
            float score = s->cand_score[ci];
            s->cand_tok[ci] = s->cand_tok[taken];
            s->cand_parent[ci] = s->cand_parent[taken];
            s->cand_score[ci] = s->cand_score[taken];
            float prob = expf(s->logp[(size_t)par * V + (size_t)tok]);
            const float *tok_map = c->cross_probs + (size_t)par * map;
            if (tok == TXT_EOS || pos + 1 == max) {
                float norm = score / (float)(pos + 1);  /* length-normalised */
                if (norm > best) {
                    best = norm;
                    finish_beam(out, s, (size_t)par, pos, tok, prob, tok_map, score, T, map);
                }
                if (tok == TXT_EOS) {
                    finished++;
                    continue;
                }
                if (pos + 1 == max) continue;
            }
            memcpy(s->tokens_next + next * T, s->tokens + (size_t)par * T, pos * sizeof(int));
            memcpy(s->probs_next + next * T, s->probs + (size_t)par * T, pos * sizeof(float));
            memcpy(s->maps_next + next * T * map, s->maps + (size_t)par * T * map,
                   pos * map * sizeof(float));
            s->tokens_next[next * T + pos] = tok;
            s->probs_next[next * T + pos] = prob;
            memcpy(s->maps_next + (next * T + pos) * map, tok_map, map * sizeof(float));
            s->parent[next] = par;
            s->scores[next] = score;  /* kept in a separate pass below */
            next++;
        }
        if (finished >= k) break;
        /* the new beams become current; their self-attention caches follow their parents */
        int *ti = s->tokens; s->tokens = s->tokens_next; s->tokens_next = ti;
        float *pf = s->probs; s->probs = s->probs_next; s->probs_next = pf;
        float *mf = s->maps; s->maps = s->maps_next; s->maps_next = mf;
        txt_decoder_cache_reorder(c, s->parent, next, pos + 1, dm);
        alive = next;
    }
}

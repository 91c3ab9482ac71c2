/* xcap.h — the public C API of xcap, a cross-attention image captioner.
 *
 *   xcap_model   *m = xcap_model_load("models/shapes-S.safetensors", err, sizeof err);
 *   xcap_context *c = xcap_context_create(m, 1, err, sizeof err);
 *   xcap_params   p = xcap_default_params();
 *   xcap_caption  cap;
 *   if (xcap_caption_file(c, "photo.png", &p, &cap) == 0) {
 *       puts(cap.text);                      // "a large red circle"
 *       // cap.maps: per word, per layer and head, the attention over the patch grid
 *       xcap_caption_free(&cap);
 *   } else fprintf(stderr, "%s\n", xcap_context_error(c));
 *   xcap_context_free(c);
 *   xcap_model_free(m);
 *
 * Ownership: whoever calls *_load / *_create calls the matching *_free; a filled
 * xcap_caption is released with xcap_caption_free. A model is read-only after
 * loading and may be shared by threads; each thread needs its own context.
 * Nothing here prints, exits or aborts: failures return -1 / NULL with a message. */
#ifndef XCAP_H
#define XCAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xcap_model xcap_model;
typedef struct xcap_context xcap_context;

typedef struct {
    int beam;           /* beam width; 1 = greedy */
    float temperature;  /* 0 = deterministic; > 0 samples (with beam 1) */
    int top_k;          /* sampling: keep the k most likely words (0 = all) */
    float top_p;        /* sampling: nucleus mass (1 = off) */
    uint64_t seed;      /* sampling seed: an image and a seed give the same caption in any batch */
    int max_tokens;     /* words at most, <eos> included; 0 = the model's limit */
} xcap_params;

typedef struct {
    char *text;          /* the caption: words joined by single spaces */
    size_t n_words;
    char **words;        /* [n_words] */
    float *probs;        /* [n_words]: probability of each word when it was chosen */
    float eos_prob;      /* probability of the final <eos> (0 when the caption was cut off) */
    float logprob;       /* sum of log-probabilities, <eos> included */
    /* How far to trust it (docs/honest-output.md; text/caption_check.h): */
    int complete;        /* 1 when it ended with <eos>; 0 when cut at the token limit */
    int repeats;         /* 1 when a run of words repeats at once ("large large", "red
                            square red square"): the model is stuck in a loop */
    size_t repeat_at, repeat_len;  /* the first such run: words [at, at + len), then again */
    float confidence;    /* the smallest probability of any of its tokens, <eos> included;
                            0 when cut. Low (or flagged) captions are often wrong */
    int grammatical;     /* 1: a sentence of the shapes world's grammar; 0: not (e.g. "",
                            "a large white"); -1: the model's vocabulary is not the shapes
                            world's, so there is no grammar to check */
    size_t layers, heads, grid_w, grid_h;
    float *maps;         /* [n_words][layers][heads][grid_h][grid_w]: cross-attention of
                            each word (row r, column c covers the image's r-th band of
                            rows and c-th band of columns); each [grid_h][grid_w] sums to 1 */
    int width, height;   /* the original image size */
} xcap_caption;

/* Defaults: greedy, temperature 0, top_k 0, top_p 1, seed 0, max_tokens 0. */
xcap_params xcap_default_params(void);

/* Loads a model file; NULL with a one-line message in err on failure. */
xcap_model *xcap_model_load(const char *path, char *err, size_t err_size);
void xcap_model_free(xcap_model *m);

/* The model's patch grid, layers and heads (for reading maps). */
void xcap_model_shape(const xcap_model *m, size_t *grid_w, size_t *grid_h, size_t *layers,
                      size_t *heads);
/* The model's alignment heads (layer, head pairs) as stored in the file; returns the count. */
size_t xcap_model_align_heads(const xcap_model *m, int *layers, int *heads, size_t max);

/* A context for captioning up to max_batch images per call, with buffers sized once. */
xcap_context *xcap_context_create(const xcap_model *m, size_t max_batch, char *err,
                                  size_t err_size);
void xcap_context_free(xcap_context *c);

/* Captions the image file at path into out. 0 on success; -1 (see xcap_context_error). */
int xcap_caption_file(xcap_context *c, const char *path, const xcap_params *p, xcap_caption *out);
/* Captions w × h RGB bytes (row-major, 3 bytes a pixel). */
int xcap_caption_rgb(xcap_context *c, const unsigned char *rgb, int w, int h,
                     const xcap_params *p, xcap_caption *out);
/* Captions n images (n <= max_batch) in one batch; out has n entries. */
int xcap_caption_batch(xcap_context *c, const unsigned char *const *rgb, const int *w,
                       const int *h, size_t n, const xcap_params *p, xcap_caption *out);

/* The message of the context's last failure. */
const char *xcap_context_error(const xcap_context *c);

void xcap_caption_free(xcap_caption *cap);

/* Sets the threads xcap computes with (its one pool; OpenBLAS is then kept to one thread
 * so that two pools never spin at once); n <= 0 leaves them. Call it before captioning,
 * not while another thread captions. Without it OpenBLAS uses its own threads. */
void xcap_set_threads(int n);

/* The OpenBLAS kernel set in use ("SkylakeX", "Haswell", "Prescott", ...). A Debian 12
 * OpenBLAS on a processor newer than itself picks "Prescott" (SSE3, several times slower);
 * setting OPENBLAS_CORETYPE=SkylakeX (or Haswell) in the environment before the program
 * starts fixes it. The string is static. */
const char *xcap_blas_kernels(void);

#ifdef __cplusplus
}
#endif

#endif

/* eval_dataset.h — caption quality of a model on a caption dataset from disk (COCO layout,
 * text/dataset.h) or on shapes-world scenes, in batches, with a progress callback.
 *
 * Every image is captioned (greedy unless opts.params says otherwise) and the corpus is
 * scored: exact match (overall and by object count), corpus BLEU-4
 * and CIDEr-D (text/metrics.h). The object count of a dataset image comes from its
 * ground-truth "objects" (what `xcap scenes` writes); images without them count under
 * index 0 ("unknown").
 *
 * Images that fail to load: with opts.skip_bad == 0 (the default) the evaluation stops with
 * the loader's one line ("DIR/images/a.png: cannot decode image (...)") and the image's id;
 * with skip_bad == 1 they are left out of the scores, counted in report.skipped, and the
 * first one's message is kept. When every image fails, the evaluation fails.
 *
 * Nothing here prints. The caller owns the model and the dataset; they are only read. */
#ifndef XCAP_MODEL_EVAL_DATASET_H
#define XCAP_MODEL_EVAL_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "model/xcap.h"
#include "text/dataset.h"

typedef struct {
    size_t count;
    double exact;               /* fraction of captions equal to a reference */
    size_t by_objects[4];       /* scenes with k objects (index k) */
    double exact_by_objects[4]; /* exact match among them */
    double bleu4, cider_d;
} xcap_eval_result;

/* Called after each batch: items done (captioned or skipped) out of total. */
typedef void (*xcap_eval_progress_fn)(void *user, size_t done, size_t total);
/* Called for every scored item, in index order: its index (dataset item or scene), id, the
 * whole caption (text, words, probabilities, flags, confidence, maps) and the item's
 * references. Everything it is handed is borrowed and valid only during the call: copy what
 * must outlive it. It cannot stop the evaluation; a callback that fails keeps that in user. */
typedef void (*xcap_eval_caption_fn)(void *user, size_t index, const char *id,
                                     const xcap_caption *cap, const char *const *refs,
                                     size_t n_refs);

typedef struct {
    size_t batch;                    /* images per forward pass */
    size_t limit;                    /* dataset: at most the first `limit` images; 0 = all */
    int skip_bad;                    /* 1: skip images that fail to load; 0: stop */
    xcap_params params;              /* decoding (greedy by default) */
    xcap_eval_progress_fn progress;  /* optional */
    xcap_eval_caption_fn on_caption; /* optional */
    void *user;                      /* passed to both callbacks */
} xcap_eval_opts;

typedef struct {
    xcap_eval_result scores;  /* scores.count: images scored */
    size_t skipped;           /* images left out because they failed to load */
    char first_skipped[512];  /* the message of the first of them, or "" */
} xcap_eval_report;

/* Defaults: batch 16, no limit, stop on a bad image, greedy decoding, no callbacks. */
xcap_eval_opts xcap_eval_default_opts(void);

/* Captions and scores every item of ds; file names are relative to image_dir. */
int xcap_eval_dataset(xcap_eval_report *rep, const xcap_model *m, const txt_dataset *ds,
                      const char *image_dir, const xcap_eval_opts *opts, nn_error *err);

/* Captions and scores `count` shapes-world scenes of split (0 train, 1 val, 2 heldout) with
 * seeds vis_scene_seed(seed, i), drawn at the model's input size. opts.limit and skip_bad do not apply. */
int xcap_eval_scenes(xcap_eval_report *rep, const xcap_model *m, int split, uint64_t seed,
                     size_t count, const xcap_eval_opts *opts, nn_error *err);

#endif

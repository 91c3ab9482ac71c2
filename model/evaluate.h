/* evaluate.h — caption quality of a model on shapes-world scenes: exact match
 * (overall and by object count), corpus BLEU-4 and CIDEr-D, with greedy decoding. */
#ifndef XCAP_MODEL_EVALUATE_H
#define XCAP_MODEL_EVALUATE_H

#include <stdint.h>

#include "model/model.h"

typedef struct {
    size_t count;
    double exact;               /* fraction of captions equal to a reference */
    size_t by_objects[4];       /* scenes with k objects (index k) */
    double exact_by_objects[4]; /* exact match among them */
    double bleu4, cider_d;
} xcap_eval_result;

/* Captions `count` scenes of split (0 train, 1 val, 2 heldout) with scene seeds
 * vis_scene_seed(seed, i) and scores them. batch: images per forward pass. */
int xcap_eval_shapes(xcap_eval_result *res, const xcap_model *m, int split, uint64_t seed,
                     size_t count, size_t batch, nn_error *err);

#endif

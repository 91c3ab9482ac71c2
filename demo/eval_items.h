/* eval_items.h — the captions `xcap eval` explains: every evaluated picture captioned with
 * its flags and confidence (model/xcap.h), next to its references; and the pictures of a
 * folder that is not of the world (--outside).
 *
 * model/eval_dataset.c scores the captions but hands over only their text, so the
 * explanation captions the same pictures once more with the public API, in the same
 * batches and with the same decoding; eval_items_* count the captions that come out
 * different from the scored ones (0 while both draw the same pictures), and the
 * explanation is about its own captions either way.
 *
 * Ownership: eval_items_* fill an eval_items that eval_items_free releases. */
#ifndef XCAP_DEMO_EVAL_ITEMS_H
#define XCAP_DEMO_EVAL_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "model/xcap.h"
#include "nn/error.h"
#include "text/dataset.h"

/* One captioned picture. */
typedef struct {
    size_t index;        /* dataset item, scene or file number */
    char *name;          /* its image id, scene number or file path */
    char *caption;
    float confidence;
    int complete, repeats;
    char **refs;         /* [n_refs] reference captions (none for --outside pictures) */
    size_t n_refs;
} eval_item;

typedef struct {
    eval_item *items;
    size_t n;
    size_t mismatched;   /* captions unlike the scored caption of the same picture */
} eval_items;

/* How to caption: images per batch and decoding. */
typedef struct {
    size_t batch;
    xcap_params params;
} eval_items_opts;

/* Captions scenes i (0 <= i < count, those with scored[i] != NULL) of split with seeds
 * vis_scene_seed(seed, i), drawn as model/eval_dataset.c draws them. */
int eval_items_scenes(eval_items *out, const xcap_model *m, int split, uint64_t seed,
                      const char *const *scored, size_t count, const eval_items_opts *o,
                      nn_error *err);

/* Captions dataset items i (0 <= i < count, those with scored[i] != NULL) from image_dir. */
int eval_items_dataset(eval_items *out, const xcap_model *m, const txt_dataset *ds,
                       const char *image_dir, const char *const *scored, size_t count,
                       const eval_items_opts *o, nn_error *err);

/* Captions every image file (png, jpg, jpeg, bmp, tga, gif) of folder dir, sorted by name;
 * an unreadable file, or a folder without images, fails with "path: reason". */
int eval_items_folder(eval_items *out, const xcap_model *m, const char *dir,
                      const eval_items_opts *o, nn_error *err);

void eval_items_free(eval_items *it);

#endif

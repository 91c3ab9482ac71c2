/* eval_items.h — the captions `xcap eval` explains: every scored picture with its caption,
 * flags and confidence (model/xcap.h) next to its references, collected from the scoring
 * pass's caption callback (model/eval_dataset.h) with eval_items_add; and the pictures of a
 * folder that is not of the world (--outside), captioned here because they are not scored.
 *
 * Ownership: an eval_items starts zeroed ({0}); eval_items_add copies everything it is
 * handed into it, eval_items_folder fills it, and eval_items_free releases it. */
#ifndef XCAP_DEMO_EVAL_ITEMS_H
#define XCAP_DEMO_EVAL_ITEMS_H

#include <stddef.h>

#include "model/xcap.h"
#include "nn/error.h"

/* One captioned picture; its strings are owned by the eval_items that holds it. */
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
    eval_item *items;    /* [n], in the order they were added */
    size_t n, cap;       /* cap: room allocated (eval_items_add grows it) */
} eval_items;

/* How to caption the --outside pictures: images per batch and decoding. */
typedef struct {
    size_t batch;
    xcap_params params;
} eval_items_opts;

/* Appends picture `index` called `name` with copies of cap's text, flags and confidence and
 * of its n_refs references (refs may be NULL when n_refs is 0); nothing is borrowed.
 * 0, or -1 with a message when out of memory (out keeps the items added before). */
int eval_items_add(eval_items *out, size_t index, const char *name, const xcap_caption *cap,
                   const char *const *refs, size_t n_refs, nn_error *err);

/* Captions every image file (png, jpg, jpeg, bmp, tga, gif) of folder dir, sorted by name,
 * into a zeroed out; an unreadable file, or a folder without images, fails with
 * "path: reason". */
int eval_items_folder(eval_items *out, const xcap_model *m, const char *dir,
                      const eval_items_opts *o, nn_error *err);

/* Releases what out holds and zeroes it. */
void eval_items_free(eval_items *out);

#endif

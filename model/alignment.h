/* alignment.h — patch alignment: does each word's cross-attention land on the object it names?
 *
 * Three layers, each usable alone:
 *
 * 1. The metric (DESIGN.md "Metrics"), on one map and one box. It sees only a map over a
 *    gw × gh patch grid, a box in the original image's pixels and the image size W × H; it
 *    knows nothing about how the image was made. The box is grown by half a patch on each
 *    side (W/gw/2 in x, H/gh/2 in y) and a patch is "in the box" when its centre lies in the
 *    grown box (vision/patch_geometry.h):
 *      - pointing hit: the argmax patch (the first on ties) is in the box;
 *      - mass in box:  the sum of the map over the patches in the box;
 *      - baseline:     the hit rate of a uniformly random patch = patches in the box / (gw*gh).
 *
 * 2. Word → object matching for shapes-world scenes. A phrase is a run of consecutive
 *    size/colour/shape words ending at (and including) its first shape word. A shape word
 *    scores against the one object with that shape; when several objects share it, against the
 *    one whose colour is the last colour word of the phrase. Size and colour words score against
 *    the object whose colour AND shape are the phrase's (at most one: objects never share both).
 *    Anything else (no shape in the phrase, no such object) is not scored.
 *
 * 3. A run over shapes-world scenes: caption each scene with the model (greedy), score every
 *    matched word for every layer × head, every layer's mean of heads and the default map
 *    (the mean of the model's alignment heads when it names any, else of the last layer's
 *    heads), per word kind.
 *
 * 4. The same run over a caption dataset on disk (text/dataset.h) whose images carry
 *    shapes-world "objects" (what `xcap scenes` and tests/cairo_scenes write): each usable
 *    image becomes a vis_scene holding only its objects (xcap_align_item_scene) and is scored
 *    by the very code of layer 3. Images that cannot be scored are skipped and counted.
 *
 * Nothing here prints. Ownership: an xcap_align_report owns its cells; free it with
 * xcap_align_report_free. */
#ifndef XCAP_MODEL_ALIGNMENT_H
#define XCAP_MODEL_ALIGNMENT_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "nn/error.h"
#include "text/dataset.h"
#include "vision/patch_geometry.h"
#include "vision/shapes.h"

/* ------------------------------------------------------------------ 1. the metric */

/* The pointing figures of one map against one box. */
typedef struct {
    int hit;          /* 1 when the argmax patch's centre lies in the grown box */
    double mass;      /* attention over the patches whose centres lie in the grown box */
    double baseline;  /* fraction of patches whose centres lie in the grown box */
    size_t argmax;    /* the argmax patch (row-major) */
} xcap_point;

/* Scores map [gh][gw] against box (pixels of a W × H image). Fails on an empty grid or image,
 * or a box that is empty or reaches outside the image. */
int xcap_point_score(xcap_point *out, const float *map, size_t gw, size_t gh,
                     const vis_rect *box, size_t W, size_t H, nn_error *err);

/* The shuffled-grid control: a fixed permutation of n patches from seed (Fisher–Yates on a
 * splitmix64 stream) into perm[n]. */
void xcap_point_perm(size_t *perm, size_t n, uint64_t seed);

/* out[i] = map[perm[i]] for i < n: the map's patches moved to other places. out != map. */
void xcap_point_permute(float *out, const float *map, const size_t *perm, size_t n);

/* ------------------------------------------------------------------ 2. word → object */

/* For each of the n words: object[i] = the index into s->objects it scores against, or -1;
 * kind[i] = its vis_word_kind (OTHER words always get -1). */
void xcap_align_match(int *object, int *kind, const char *const *words, size_t n,
                      const vis_scene *s);

/* ------------------------------------------------------------------ 3. a run over scenes */

#define XCAP_ALIGN_KINDS 3  /* size, colour, shape: index = vis_word_kind - 1 */

/* Sums for one map and one word kind. */
typedef struct {
    size_t scored, hits;
    double mass, baseline;  /* sums over the scored words */
} xcap_align_cell;

/* Called after each batch: scenes done out of total. */
typedef void (*xcap_align_progress_fn)(void *user, size_t done, size_t total);

typedef struct {
    size_t batch;                    /* scenes per forward pass (default 16) */
    int shuffle;                     /* 1: the control, every map permuted before scoring */
    uint64_t shuffle_seed;           /* the permutation's seed */
    size_t limit;                    /* dataset runs: at most the first `limit` images; 0 = all */
    const char *name;                /* dataset runs: the file, in messages (NULL: "dataset") */
    xcap_align_progress_fn progress; /* optional */
    void *user;
} xcap_align_opts;

/* Why a dataset image is not scored (xcap_align_item_scene). */
typedef enum {
    XCAP_ALIGN_USABLE = 0,
    XCAP_ALIGN_NO_OBJECTS,   /* no "objects", or an empty list */
    XCAP_ALIGN_TOO_MANY,     /* more than VIS_MAX_OBJECTS objects */
    XCAP_ALIGN_UNKNOWN_NAME, /* a shape or colour (or a given size) the shapes world lacks */
    XCAP_ALIGN_SHARED_PAIR,  /* two objects share colour and shape: a phrase names neither */
    XCAP_ALIGN_EMPTY_BOX,    /* a box with nothing of it inside the image */
    XCAP_ALIGN_SKIP_COUNT
} xcap_align_skip;

/* Short names of the reasons ("no objects", "too many objects", ...), by xcap_align_skip. */
extern const char *const xcap_align_skip_names[XCAP_ALIGN_SKIP_COUNT];

/* The figures of a run. Maps are numbered: layer l head h -> l*heads + h; the mean of layer l's
 * heads -> layers*heads + l; the default map -> layers*heads + layers. */
typedef struct {
    size_t layers, heads, n_maps;
    size_t n_default;                    /* heads the default map averages */
    int default_layer[XCAP_MAX_ALIGN_HEADS], default_head[XCAP_MAX_ALIGN_HEADS];
    int default_is_align;                /* 1: from the model's align_heads; 0: last layer */
    size_t scenes;                       /* scenes (dataset: images) captioned and scored */
    size_t images;                       /* dataset runs: images looked at, scored or skipped */
    size_t skipped[XCAP_ALIGN_SKIP_COUNT]; /* dataset runs: images skipped, by reason */
    char first_skip[256];                /* dataset runs: why the first was skipped, or "" */
    size_t words;                        /* generated words */
    size_t attr_words[XCAP_ALIGN_KINDS]; /* generated size/colour/shape words */
    xcap_align_cell *cells;              /* [n_maps][XCAP_ALIGN_KINDS], owned */
} xcap_align_report;

/* Defaults: batch 16, no shuffle, no limit, no name, no progress. */
xcap_align_opts xcap_align_default_opts(void);

/* Captions `count` scenes of split (a vis_split) with seeds vis_scene_seed(seed, i), at the
 * model's input size, and fills rep (which the caller later frees). */
int xcap_align_scenes(xcap_align_report *rep, const xcap_model *m, int split, uint64_t seed,
                      size_t count, const xcap_align_opts *opts, nn_error *err);

/* The objects of dataset item `it` on its width × height image as scene s (objects only: no
 * pixels, no captions; s is overwritten). Names are the shapes world's (an empty size is
 * allowed: matching never reads it). Boxes [x, y, w, h] become the inclusive-exclusive pixel
 * box x0 = floor(x), y0 = floor(y), x1 = ceil(x + w), y1 = ceil(y + h) — the smallest box of
 * whole pixels that holds the given one, so integer boxes (xcap scenes) come back exactly —
 * clipped to the image. Returns XCAP_ALIGN_USABLE, or why the image cannot be scored with a
 * one-line reason naming the image id in why[cap] (why may be NULL). */
xcap_align_skip xcap_align_item_scene(vis_scene *s, const txt_ds_item *it, int width, int height,
                                      char *why, size_t cap);

/* Captions every image of ds (file names relative to image_dir; NULL or "" = ".") that
 * xcap_align_item_scene accepts, at most opts.limit images, and fills rep as
 * xcap_align_scenes does (rep->scenes: images scored; rep->skipped: the others). Fails on an
 * image that does not load or whose size differs from the file's width/height, and with
 * "NAME: no image has shapes-world objects (shape, colour, size, bbox)" when none is scored. */
int xcap_align_dataset(xcap_align_report *rep, const xcap_model *m, const txt_dataset *ds,
                       const char *image_dir, const xcap_align_opts *opts, nn_error *err);

/* The index of the default map, of layer l's mean, of (l, h). */
size_t xcap_align_default_map(const xcap_align_report *rep);
size_t xcap_align_layer_map(const xcap_align_report *rep, size_t l);
size_t xcap_align_head_map(const xcap_align_report *rep, size_t l, size_t h);

/* The cell of map and kind index k (0 size, 1 colour, 2 shape). */
const xcap_align_cell *xcap_align_cell_at(const xcap_align_report *rep, size_t map, int k);

/* Pointing accuracy, mean mass and mean baseline of a cell (0 when nothing was scored). */
double xcap_align_accuracy(const xcap_align_cell *c);
double xcap_align_mass(const xcap_align_cell *c);
double xcap_align_baseline(const xcap_align_cell *c);

/* The mean over the three kinds of a map's pointing accuracy (kinds with nothing scored are
 * left out; 0 when none scored). */
double xcap_align_map_score(const xcap_align_report *rep, size_t map);

/* The best k single heads by xcap_align_map_score (ties: lower layer, then lower head), into
 * layers[] / heads[] (k entries at most, k <= XCAP_MAX_ALIGN_HEADS); returns how many. */
size_t xcap_align_best_heads(const xcap_align_report *rep, size_t k, int *layers, int *heads);

void xcap_align_report_free(xcap_align_report *rep);

#endif

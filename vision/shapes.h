/* shapes.h — the shapes world: procedural scenes with captions and exact ground truth.
 *
 * A scene is a pure function of (seed, split, width, height, forced object count):
 * a muted background with light per-pixel noise and 1 to 3 non-overlapping objects
 * (shape × colour × size), drawn anti-aliased (4×4 supersampling), plus captions
 * whose every word knows which object it describes.
 *
 * Geometry conventions
 *   - pixel (x, y) covers [x, x+1) × [y, y+1); y grows downward ("above" = smaller y).
 *   - boxes are inclusive-exclusive: x0 <= x < x1, y0 <= y < y1: the shape's extent rounded
 *     outward to whole pixels, so every painted pixel lies inside and the box is at most about
 *     a pixel loose. Boxes of one scene are at least VIS_MIN_GAP_PX apart (more on big canvases).
 *   - an object's centre (cx, cy) is the centre of its box: ((x0+x1)/2, (y0+y1)/2).
 *   - mask: pixel (x, y) is 1 when its centre (x+0.5, y+0.5) lies inside the shape.
 *     Masks are not stored; vis_object_mask computes one on request (cheap: it only
 *     visits the box).
 *   - sizes at 96×96: small objects are 14–18 px across, large 28–34 px; both scale with
 *     min(width, height) / 96.
 *
 * Captions (lower case, single spaces)
 *   1 object:  "a large red circle"                                  (1 caption)
 *   2 objects: "a small blue square left of a large green star"      (2 captions: this and
 *              the converse "a large green star right of a small blue square"). The relation
 *              is left of / right of when |dx| > |dy| between centres, else above / below;
 *              placement makes the dominant axis win by >= 6 px (at 96, scaled). captions[0]
 *              has objects[0] as its subject; which object that is, is random.
 *   3 objects: "a small red circle , a large blue square and a small green star"
 *              (1 caption; "," is a word). Objects are stored left to right by centre x,
 *              and placement keeps those centres >= 6 px apart in x (at 96, scaled).
 *
 * Splits. These 6 of the 48 colour–shape pairs are held out (each shape once; every colour
 * and shape still appears in training with other partners):
 *     red star, green cross, blue triangle, yellow diamond, purple circle, cyan square.
 *   VIS_SPLIT_TRAIN / VIS_SPLIT_VAL never contain a held-out pair and differ only by the
 *   seeds the caller uses (the same seed gives the same scene in both). VIS_SPLIT_HELDOUT
 *   scenes contain at least one held-out pair; other objects may be any pair.
 *   Within one scene no two objects share both colour and shape, so a colour–shape phrase
 *   names one object.
 *
 * Ownership: a vis_scene owns only its rgb buffer. Zero-initialise the struct before the first
 * vis_scene_generate; generating again into the same struct reuses the buffer when it is big
 * enough; vis_scene_free releases it. */
#ifndef XCAP_VISION_SHAPES_H
#define XCAP_VISION_SHAPES_H

#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"

#define VIS_MAX_OBJECTS 3
#define VIS_MAX_CAPTIONS 2
#define VIS_CAPTION_MAX_WORDS 16   /* the longest caption (three objects) has 14 words */
#define VIS_CAPTION_MAX_CHARS 128
#define VIS_DEFAULT_SIDE 96
#define VIS_MIN_SIDE 32            /* accepted canvas sides: VIS_MIN_SIDE .. VIS_MAX_SIDE */
#define VIS_MAX_SIDE 4096
#define VIS_MIN_GAP_PX 2           /* minimum empty pixels between two boxes */

typedef enum {
    VIS_SHAPE_CIRCLE, VIS_SHAPE_SQUARE, VIS_SHAPE_TRIANGLE,
    VIS_SHAPE_DIAMOND, VIS_SHAPE_STAR, VIS_SHAPE_CROSS,
    VIS_SHAPE_COUNT
} vis_shape;

typedef enum {
    VIS_COLOUR_RED, VIS_COLOUR_GREEN, VIS_COLOUR_BLUE, VIS_COLOUR_YELLOW,
    VIS_COLOUR_PURPLE, VIS_COLOUR_ORANGE, VIS_COLOUR_WHITE, VIS_COLOUR_CYAN,
    VIS_COLOUR_COUNT
} vis_colour;

typedef enum { VIS_SIZE_SMALL, VIS_SIZE_LARGE, VIS_SIZE_COUNT } vis_size;

typedef enum { VIS_SPLIT_TRAIN, VIS_SPLIT_VAL, VIS_SPLIT_HELDOUT, VIS_SPLIT_COUNT } vis_split;

/* Kind of a caption word (the numbers are part of the export format). */
typedef enum {
    VIS_WORD_OTHER = 0, VIS_WORD_SIZE = 1, VIS_WORD_COLOUR = 2, VIS_WORD_SHAPE = 3
} vis_word_kind;

/* Names, indexed by the enums above ("circle", "red", "small", "train", ...). */
extern const char *const vis_shape_names[VIS_SHAPE_COUNT];
extern const char *const vis_colour_names[VIS_COLOUR_COUNT];
extern const char *const vis_size_names[VIS_SIZE_COUNT];
extern const char *const vis_split_names[VIS_SPLIT_COUNT];

/* The held-out colour–shape pairs, in the order listed above. */
#define VIS_HELDOUT_COUNT 6
typedef struct { vis_colour colour; vis_shape shape; } vis_pair;
extern const vis_pair vis_heldout_pairs[VIS_HELDOUT_COUNT];

typedef struct {
    vis_shape shape;
    vis_colour colour;
    vis_size size;
    int x0, y0, x1, y1;          /* bounding box, inclusive-exclusive */
    float cx, cy;                /* box centre */
    float gx, gy, radius;        /* drawing geometry: shape origin and half-size in pixels */
    unsigned char rgb[3];        /* the drawn colour (base colour with a small shade variation) */
} vis_object;

typedef struct {
    char text[VIS_CAPTION_MAX_CHARS];          /* words separated by single spaces */
    int n_words;
    int object[VIS_CAPTION_MAX_WORDS];         /* per word: index into objects[], or -1 */
    int kind[VIS_CAPTION_MAX_WORDS];           /* per word: a vis_word_kind */
} vis_caption;

typedef struct {
    int width, height;
    unsigned char *rgb;          /* owned: height × width × 3 bytes, row-major, RGB */
    size_t rgb_cap;              /* bytes allocated for rgb */
    vis_split split;
    uint64_t seed;
    int n_objects;               /* 1..3 */
    vis_object objects[VIS_MAX_OBJECTS];
    int n_captions;              /* 2 for two-object scenes (caption + converse), else 1 */
    vis_caption captions[VIS_MAX_CAPTIONS];
} vis_scene;

/* Parses "train", "val" or "heldout" into *out. */
int vis_split_parse(const char *s, vis_split *out, nn_error *err);

/* 1 when the colour–shape pair is one of the held-out pairs, else 0. */
int vis_pair_is_heldout(vis_colour colour, vis_shape shape);

/* The seed of scene `index` in a run with base seed `base` (a hash of both). */
uint64_t vis_scene_seed(uint64_t base, uint64_t index);

/* Generates scene s for (seed, split, width × height); n_objects 1..3 forces the object
 * count, 0 picks it uniformly from 1..3. s must be zeroed or hold an earlier scene; after a
 * failure its contents are unspecified but vis_scene_free is still safe. About 0.1 ms at 96×96. */
int vis_scene_generate(vis_scene *s, uint64_t seed, vis_split split, int width, int height,
                       int n_objects, nn_error *err);

/* Releases the rgb buffer and zeroes s. */
void vis_scene_free(vis_scene *s);

/* 1 when the point (x, y) in pixel coordinates lies inside the object's shape. */
int vis_object_contains(const vis_object *o, float x, float y);

/* Writes the mask of objects[index] (index < n_objects) into mask: width × height bytes,
 * 1 where the pixel centre is inside the shape, else 0. */
void vis_object_mask(unsigned char *mask, const vis_scene *s, int index);

/* The object's share of each patch: out[gw × gh] (gw = width / patch, gh = height / patch,
 * row-major) gets the number of mask pixels of objects[index] inside each patch, divided by
 * the object's mask pixels in all, so it sums to 1 (all zero when the mask is empty). */
void vis_object_patch_share(float *out, const vis_scene *s, int index, int patch);

/* Classifies a caption word: returns its kind and, for size/colour/shape words, stores the
 * enum value in *value (when value is not NULL). Unknown and structural words are OTHER. */
vis_word_kind vis_word_classify(const char *word, int *value);

#endif

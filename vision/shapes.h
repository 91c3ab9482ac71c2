/* shapes.h — the shapes world: procedural scenes with captions and exact ground truth.
 *
 * A scene is a pure function of (seed, split, width, height, forced object count, recipe):
 * 1 to 3 non-overlapping objects (shape × colour × size) on a background, plus captions
 * whose every word knows which object it describes. The world describes what is in a
 * picture, not how it was drawn: the recipe (vis_recipe, shapes_look.c) randomises the
 * drawing within the grammar — shape geometry, shades, backgrounds, noise, edges, blur,
 * JPEG — and the default recipe is the one xcap trains on. The classic recipe draws the
 * world's first look (muted background with ±6 noise, fixed geometry, antialiased).
 *
 * Geometry conventions
 *   - pixel (x, y) covers [x, x+1) × [y, y+1); y grows downward ("above" = smaller y).
 *   - every shape but the circle is a polygon in canvas pixels (vis_object.vertices);
 *     vis_object_contains is the exact membership test everything else uses.
 *   - boxes are inclusive-exclusive: x0 <= x < x1, y0 <= y < y1: the shape's extent rounded
 *     outward to whole pixels, so every painted pixel lies inside and the box is at most about
 *     a pixel loose. Boxes of one scene are at least VIS_MIN_GAP_PX apart (more on big canvases).
 *   - an object's centre (cx, cy) is the centre of its box: ((x0+x1)/2, (y0+y1)/2).
 *   - mask: pixel (x, y) is 1 when its centre (x+0.5, y+0.5) lies inside the shape.
 *     Masks are not stored; vis_object_mask computes one on request (cheap: it only
 *     visits the box).
 *   - sizes: an object's size is the longer side of its box: small 14–18 px, large 28–34 px
 *     on a canvas whose shorter side is 96, scaled by min(width, height) / 96.
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
#define VIS_MAX_VERTICES 24        /* polygon vertices of one shape (a rounded square has 16) */

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
    float gx, gy, radius;        /* circle: centre and radius in pixels (polygons: centre of
                                    the box and half its longer side) */
    int n_vertices;              /* 0 for the circle, else the polygon's vertex count */
    float vertices[VIS_MAX_VERTICES][2];  /* polygon in canvas pixels (x, y) */
    unsigned char rgb[3];        /* the drawn colour: a shade inside the named colour's range */
} vis_object;

/* How a scene is drawn (sampled per scene from the recipe; shapes_look.c). */
typedef enum {
    VIS_BG_MUTED,     /* one muted colour (the classic look) */
    VIS_BG_FLAT,      /* one colour, light or dark */
    VIS_BG_GRADIENT,  /* a linear blend between two colours */
    VIS_BG_TEXTURE,   /* faint stripes or checks of two close colours */
    VIS_BG_COUNT
} vis_background;

typedef struct {
    vis_background background;
    unsigned char bg[3], bg2[3]; /* the background colour (and the gradient's / texture's other) */
    float dir_x, dir_y;          /* gradient or stripe direction (unit vector) */
    float period;                /* texture period in canvas pixels */
    int checks;                  /* texture: 1 checks, 0 stripes */
    float noise;                 /* per-pixel uniform noise amplitude in levels (0 = none) */
    int noise_over_objects;      /* 1: the noise covers the objects too, not just the background */
    int antialias;               /* 1: coverage-weighted edges; 0: hard edges */
    float blur;                  /* weight of each neighbour in a 3-tap blur, 0..0.25 (0 = none) */
    int jpeg_quality;            /* 0, or the quality of a JPEG round trip of the picture */
} vis_look;

/* Which variations are drawn, and how often: every field is a documented option with its
 * range (docs/shapes-world.md). */
typedef struct {
    int vary_geometry;           /* 1: shape proportions, corner rounding and rotation vary */
    float p_flat, p_gradient, p_texture;  /* background kind shares; the rest is muted */
    float p_noise, noise_max;    /* share of scenes with noise, amplitude uniform 1..noise_max */
    float p_noise_over_objects;  /* of the noisy scenes, share whose noise covers the objects */
    float p_hard_edges;          /* share drawn without antialiasing */
    float p_blur, blur_max;      /* share blurred, 3-tap neighbour weight uniform 0.05..blur_max */
    float p_jpeg;                /* share with a JPEG round trip */
    int jpeg_min, jpeg_max;      /* its quality range */
    float p_model_canvas;        /* vis_canvas_sample: share drawn at the caller's canvas */
    int side_min, side_max;      /* vis_canvas_sample: random canvas sides */
    float aspect_max;            /* and the largest long/short side ratio */
} vis_recipe;

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
    vis_look look;               /* how the pixels are (or would be) drawn */
} vis_scene;

/* Maps canvas pixels onto an output picture of another size: output x = canvas x · kx + ox
 * (likewise y); output pixels outside the mapped canvas get `pad`. */
typedef struct {
    float kx, ky, ox, oy;
    unsigned char pad[3];
} vis_fit;

/* Parses "train", "val" or "heldout" into *out. */
int vis_split_parse(const char *s, vis_split *out, nn_error *err);

/* 1 when the colour–shape pair is one of the held-out pairs, else 0. */
int vis_pair_is_heldout(vis_colour colour, vis_shape shape);

/* The seed of scene `index` in a run with base seed `base` (a hash of both). */
uint64_t vis_scene_seed(uint64_t base, uint64_t index);

/* The default recipe (the one the shipped model is trained on) and the classic one. */
vis_recipe vis_recipe_default(void);
vis_recipe vis_recipe_classic(void);

/* A canvas size for scene seed `seed`: the caller's width × height with probability
 * p_model_canvas, else sides in side_min..side_max with long/short ratio <= aspect_max. */
void vis_canvas_sample(int *width, int *height, const vis_recipe *r, uint64_t seed, int model_w,
                       int model_h);

/* Generates scene s for (seed, split, width × height) with the default recipe; n_objects
 * 1..3 forces the object count, 0 picks it uniformly from 1..3. s must be zeroed or hold an
 * earlier scene; after a failure its contents are unspecified but vis_scene_free is safe. */
int vis_scene_generate(vis_scene *s, uint64_t seed, vis_split split, int width, int height,
                       int n_objects, nn_error *err);

/* The same with a recipe (NULL = default); draw 0 leaves s->rgb untouched, for callers that
 * draw the scene themselves with vis_scene_render (training draws straight into the model's
 * input). */
int vis_scene_generate_with(vis_scene *s, uint64_t seed, vis_split split, int width, int height,
                            int n_objects, const vis_recipe *recipe, int draw, nn_error *err);

/* Generates scene `seed` with the default recipe on its own random canvas around
 * model_w × model_h (vis_canvas_sample), pixels drawn: the pictures `xcap eval`, `xcap align`
 * and `xcap scenes` (without --size) caption or write, fitted to the input like any file. */
int vis_scene_generate_on_canvas(vis_scene *s, uint64_t seed, vis_split split, int model_w,
                                 int model_h, int n_objects, nn_error *err);

/* Draws scene s (geometry and look) into dst (dw × dh RGB) through fit: background, objects,
 * noise, blur and the JPEG round trip of s->look. A pure function of the scene. */
int vis_scene_render(unsigned char *dst, int dw, int dh, const vis_scene *s, const vis_fit *fit,
                     nn_error *err);

/* The fit that draws a width × height canvas onto dw × dh: stretched (letterbox 0) or
 * scaled to fit with its aspect kept and centred, the rest `pad` (letterbox 1). */
vis_fit vis_fit_make(int width, int height, int dw, int dh, int letterbox,
                     const unsigned char pad[3]);

/* Releases the rgb buffer and zeroes s. */
void vis_scene_free(vis_scene *s);

/* 1 when the point (x, y) in pixel coordinates lies inside the object's shape. */
int vis_object_contains(const vis_object *o, float x, float y);

/* Writes the mask of objects[index] (index < n_objects) into mask: width × height bytes,
 * 1 where the pixel centre is inside the shape, else 0. */
void vis_object_mask(unsigned char *mask, const vis_scene *s, int index);

/* The object's share of each patch of the picture that fit draws (dw × dh): out[gw × gh]
 * (gw = dw / patch, gh = dh / patch, row-major) gets the number of output pixels whose
 * centre maps into objects[index]'s shape, divided by their number in all, so it sums to 1
 * (all zero when none). With the identity fit these are the mask's pixels. */
void vis_object_fit_share(float *out, const vis_scene *s, int index, const vis_fit *fit, int dw,
                          int dh, int patch);

/* Classifies a caption word: returns its kind and, for size/colour/shape words, stores the
 * enum value in *value (when value is not NULL). Unknown and structural words are OTHER. */
vis_word_kind vis_word_classify(const char *word, int *value);

#endif

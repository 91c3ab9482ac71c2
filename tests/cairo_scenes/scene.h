/* scene.h — what is in a scene (objects, their geometry and places, the captions), with
 * no idea of how it is drawn. Geometry follows the grammar in docs/cairo-scenes.md. */
#ifndef CS_SCENE_H
#define CS_SCENE_H

#include "colour.h"
#include "rng.h"

typedef enum {
    CS_CIRCLE, CS_SQUARE, CS_TRIANGLE, CS_DIAMOND, CS_STAR, CS_CROSS, CS_SHAPE_COUNT
} cs_shape;

#define CS_MAX_OBJECTS 3
#define CS_MAX_VERTS 12
#define CS_MAX_WORDS 16
#define CS_CAPTION_CHARS 128

/* "circle", "square", ... indexed by cs_shape. */
extern const char *const cs_shape_names[CS_SHAPE_COUNT];

/* One object: its words, its fill and its outline on the canvas. */
typedef struct {
    cs_shape shape;
    cs_colour colour;
    int large;                  /* 1 large, 0 small */
    double rgb[3];              /* fill, 0..1 */
    double cx, cy;              /* centre of the bounding box on the canvas (pixels) */
    double bw, bh;              /* bounding box width and height (pixels) */
    int n_verts;                /* polygon vertices; 0 for a circle */
    double vx[CS_MAX_VERTS];    /* vertices relative to the box centre (pixels, y down) */
    double vy[CS_MAX_VERTS];
    double radius;              /* circle radius (pixels) */
    double rotation;            /* degrees, as drawn */
    double proportion;          /* star inner/outer, cross thickness/length, triangle
                                   height/base, diamond height/width; 1 for circle, square */
} cs_object;

/* One reference caption and, per word, the object it names (-1: none) and its kind
 * (0 other, 1 size, 2 colour, 3 shape: the numbers xcap's captions.json uses). */
typedef struct {
    char text[CS_CAPTION_CHARS];
    int n_words;
    int object[CS_MAX_WORDS];
    int kind[CS_MAX_WORDS];
} cs_caption;

typedef struct {
    int width, height;
    int n_objects;
    cs_object obj[CS_MAX_OBJECTS];
    int n_captions;             /* 1, or 2 for two objects (the converse) */
    cs_caption cap[2];
    int heldout;                /* 1 when some object is a held-out colour–shape pair */
} cs_scene;

/* 1 when (colour, shape) is one of the pairs xcap never trains on. */
int cs_pair_heldout(cs_colour c, cs_shape s);

/* Picks n_objects (0: 1..3 at random) distinct colour–shape objects with sizes, shades,
 * proportions and rotations, and places them on a width × height canvas by the placement
 * rules; -1 when no placement was found in the tries allowed (draw again). */
int cs_scene_layout(cs_scene *s, cs_rng *r, int width, int height, int n_objects);

/* A new colour word and shade for object k, keeping colour–shape pairs distinct. */
void cs_scene_recolour(cs_scene *s, int k, cs_rng *r);

/* Writes the captions (and the held-out flag) of a laid-out scene. */
void cs_scene_captions(cs_scene *s, cs_rng *r);

#endif

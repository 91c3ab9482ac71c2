/* render.h — drawing a laid-out scene with cairo: background, objects, noise, masks. */
#ifndef CS_RENDER_H
#define CS_RENDER_H

#include <stddef.h>

#include "rng.h"
#include "scene.h"
#include "style.h"

/* A drawn scene: its pixels, and per object the pixel mask and the box around it. */
typedef struct {
    int width, height;
    unsigned char *rgb;                   /* height × width × 3, row-major RGB */
    unsigned char *mask[CS_MAX_OBJECTS];  /* height × width, 1 where the object covers */
    int box[CS_MAX_OBJECTS][4];           /* x, y, width, height: the shape's bounding box */
    double bg_mean[3];                    /* the background's mean colour, 0..1 */
} cs_picture;

/* Buffers for a width × height picture; -1 with a message when out of memory. */
int cs_picture_alloc(cs_picture *p, int width, int height, char *err, size_t cap);

void cs_picture_free(cs_picture *p);

/* Draws st's background alone and measures it: *bad = the first object whose colour is less
 * than min_distance (0..255 RGB units) from the background's mean over the picture or over
 * the object's box, or -1 when all stand out. bg_mean gets the picture's mean. -1 on a
 * cairo failure (message in err). */
int cs_render_check(const cs_scene *s, const cs_style *st, double min_distance, int *bad,
                    double bg_mean[3], char *err, size_t cap);

/* Draws the whole scene into pic (background, objects with st's edges and outline, then
 * noise from r over everything) and each object's mask and box; -1 on a cairo failure. */
int cs_render_scene(cs_picture *pic, const cs_scene *s, const cs_style *st, cs_rng *r,
                    char *err, size_t cap);

#endif

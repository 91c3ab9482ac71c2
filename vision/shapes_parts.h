/* shapes_parts.h — the shapes world's private parts, shared by shapes.c (sampling, placement,
 * captions), shapes_geometry.c (shape outlines), shapes_look.c (recipes, colours,
 * backgrounds) and shapes_render.c (drawing). Not for use outside vision/. */
#ifndef XCAP_VISION_SHAPES_PARTS_H
#define XCAP_VISION_SHAPES_PARTS_H

#include "nn/rng.h"
#include "vision/shapes.h"

/* Uniform float in [lo, hi). */
static inline float vis_uniform(nn_rng *r, float lo, float hi) {
    return lo + (hi - lo) * nn_rng_uniform(r);
}

/* Writes the outline of `shape` in unit coordinates (about [-1, 1]², y down) into v and returns
 * its vertex count, 0 for the circle. vary 0 gives the classic outline; vary 1 draws the
 * proportions, corner rounding and rotation from r within the shape's definition
 * (docs/shapes-world.md). */
int vis_shape_outline(float (*v)[2], vis_shape shape, int vary, nn_rng *r);

/* 1 when (x, y) lies inside the polygon of n vertices (even-odd rule). */
int vis_polygon_contains(const float (*v)[2], int n, float x, float y);

/* Draws the drawn colour of every object (a shade inside its named colour's range) and the
 * look of the scene (background, noise, edges, blur, JPEG) from the recipe. */
void vis_look_sample(vis_scene *s, const vis_recipe *recipe, nn_rng *r);

#endif

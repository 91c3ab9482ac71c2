/* patch_edges.h — the edge channel: a colour-blind outline map of the image, cut into the
 * same patches as the pixels, so that the encoder sees each shape's outline apart from
 * the colour it happens to be painted in.
 *
 * For pixel (x, y) of a grid of gw × gh patches of P × P pixels (values as vis_patchify
 * writes them), g = (Σ_c |v_c(x+1, y) − v_c(x−1, y)| + |v_c(x, y+1) − v_c(x, y−1)|) / 2,
 * with neighbours clamped at the image border, and the edge value is
 * e = 2 g / (g + VIS_EDGE_SOFTNESS) − 1, in [−1, 1): flat areas (and the background's light
 * noise) sit near −1, outlines of any colour near +1. No allocation: the caller lends a
 * scratch image. */
#ifndef XCAP_VISION_PATCH_EDGES_H
#define XCAP_VISION_PATCH_EDGES_H

#include <stddef.h>

#define VIS_EDGE_SOFTNESS 0.3f

/* out [gw·gh, P²] (row-major pixels within each patch) from patches [gw·gh, 3P²];
 * image is scratch of gw·gh·3P² floats (overwritten). */
void vis_patch_edges(float *out, float *image, const float *patches, size_t gw, size_t gh,
                     size_t patch);

#endif

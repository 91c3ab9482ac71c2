/* patch_geometry.h — where each patch of the model's grid lies in the ORIGINAL image.
 *
 * The model stretches a W×H image to its input size and cuts a grid of gw columns ×
 * gh rows of patches, numbered row-major: n = r * gw + c. Seen in the original image,
 * cell (r, c) covers the pixels
 *     x in [floor(c*W/gw), floor((c+1)*W/gw)),   y in [floor(r*H/gh), floor((r+1)*H/gh))
 * (integer arithmetic, 64-bit products). Its continuous extent is
 * [c*W/gw, (c+1)*W/gw) × [r*H/gh, (r+1)*H/gh), and its centre is ((c+0.5)*W/gw, (r+0.5)*H/gh),
 * where pixel x covers the continuous interval [x, x+1).
 *
 * The rects tile the image: every pixel lies in exactly one rect, and vis_pixel_to_patch
 * returns that rect's patch. When W < gw (or H < gh) some cells are EMPTY (x0 == x1 or
 * y0 == y1): they own no pixel, and a pixel whose column is shared by several cells goes to
 * the last of them, the one whose rect is non-empty. E.g. W = 1, gw = 12: cells 0..10 are
 * empty and the single column belongs to cell 11. Empty cells still have a centre.
 *
 * When a cell is at least 2 pixels wide and high (W >= 2*gw, H >= 2*gh) its centre lies
 * inside its pixel rect. For narrower cells the centre always lies inside the continuous
 * extent, but the floor of the next boundary can fall before it (W = 5, gw = 4: cell 2 is
 * pixel [2, 3), centre 3.125), so the centre can sit in the next cell's pixel.
 *
 * Everything here is a pure function of its arguments; grid sizes must be > 0. */
#ifndef XCAP_VISION_PATCH_GEOMETRY_H
#define XCAP_VISION_PATCH_GEOMETRY_H

#include <stddef.h>

/* A pixel rectangle [x0, x1) × [y0, y1) (exclusive ends). */
typedef struct {
    size_t x0, y0, x1, y1;
} vis_rect;

/* Row-major patch index of cell (r, c): r * gw + c. */
size_t vis_patch_index(size_t r, size_t c, size_t gw);

/* Inverse of vis_patch_index: the row and column of patch n. */
void vis_patch_rc(size_t *r, size_t *c, size_t n, size_t gw);

/* The pixel rect of patch n in a W×H image cut into gw×gh cells (may be empty, see above). */
void vis_patch_rect(vis_rect *out, size_t n, size_t gw, size_t gh, size_t W, size_t H);

/* The continuous centre of patch n: ((c+0.5)*W/gw, (r+0.5)*H/gh). */
void vis_patch_centre(float *x, float *y, size_t n, size_t gw, size_t gh, size_t W, size_t H);

/* The continuous size of one cell in original pixels: W/gw by H/gh. */
void vis_patch_size(float *sx, float *sy, size_t gw, size_t gh, size_t W, size_t H);

/* The patch whose rect contains pixel (x, y); x < W and y < H. */
size_t vis_pixel_to_patch(size_t x, size_t y, size_t gw, size_t gh, size_t W, size_t H);

/* Whether the continuous point (px, py) lies in the box's continuous extent [x0, x1] × [y0, y1]
 * grown by grow_x on the left and right and grow_y on top and bottom (closed interval, so a
 * point exactly on the grown edge counts). Used by the pointing metric with a patch centre,
 * an object's box and half a patch (vis_patch_size / 2) as the growth. */
int vis_point_in_grown_box(float px, float py, const vis_rect *box, float grow_x, float grow_y);

#endif

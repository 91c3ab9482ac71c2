/* patch_geometry.c — patch index ⇄ pixel rect ⇄ pixel mapping for a stretched image. */
#include "vision/patch_geometry.h"

#include <stdint.h>

/* floor(i * n / g) with a 64-bit product: the start of cell i along an axis of n pixels. */
static size_t cell_start(size_t i, size_t n, size_t g) {
    return (size_t)(((uint64_t)i * (uint64_t)n) / (uint64_t)g);
}

/* The cell whose [start, next start) contains pixel p: the largest i with
 * floor(i*n/g) <= p, i.e. i*n < (p+1)*g, i.e. i = ceil((p+1)*g/n) - 1. */
static size_t cell_of(size_t p, size_t n, size_t g) {
    return (size_t)(((uint64_t)(p + 1) * (uint64_t)g - 1) / (uint64_t)n);
}

size_t vis_patch_index(size_t r, size_t c, size_t gw) {
    return r * gw + c;
}

void vis_patch_rc(size_t *r, size_t *c, size_t n, size_t gw) {
    *r = n / gw;
    *c = n % gw;
}

void vis_patch_rect(vis_rect *out, size_t n, size_t gw, size_t gh, size_t W, size_t H) {
    size_t r, c;
    vis_patch_rc(&r, &c, n, gw);
    out->x0 = cell_start(c, W, gw);
    out->x1 = cell_start(c + 1, W, gw);
    out->y0 = cell_start(r, H, gh);
    out->y1 = cell_start(r + 1, H, gh);
}

void vis_patch_centre(float *x, float *y, size_t n, size_t gw, size_t gh, size_t W, size_t H) {
    size_t r, c;
    vis_patch_rc(&r, &c, n, gw);
    *x = (float)(((double)c + 0.5) * (double)W / (double)gw);
    *y = (float)(((double)r + 0.5) * (double)H / (double)gh);
}

void vis_patch_size(float *sx, float *sy, size_t gw, size_t gh, size_t W, size_t H) {
    *sx = (float)((double)W / (double)gw);
    *sy = (float)((double)H / (double)gh);
}

size_t vis_pixel_to_patch(size_t x, size_t y, size_t gw, size_t gh, size_t W, size_t H) {
    return vis_patch_index(cell_of(y, H, gh), cell_of(x, W, gw), gw);
}

int vis_point_in_grown_box(float px, float py, const vis_rect *box, float grow_x, float grow_y) {
    return px >= (float)box->x0 - grow_x && px <= (float)box->x1 + grow_x &&
           py >= (float)box->y0 - grow_y && py <= (float)box->y1 + grow_y;
}

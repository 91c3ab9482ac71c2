/* patch_edges.c — the edge channel of a patch grid. */
#include "vision/patch_edges.h"

#include <math.h>
#include <string.h>

#include "nn/simd.h"

/* The edge value of one pixel from its four neighbours' 3 channels (l, r: left and right
 * pixel, u, d: up and down, each 3 floats), as the header defines it. */
static inline __attribute__((always_inline)) float edge_value(const float *l, const float *r,
                                                             const float *u, const float *d) {
    float g = 0.0f;
    for (size_t c = 0; c < 3; c++) g += fabsf(r[c] - l[c]) + fabsf(d[c] - u[c]);
    g *= 0.5f;
    return 2.0f * g / (g + VIS_EDGE_SOFTNESS) - 1.0f;
}

/* The edge values of pixels x0 .. x0+n-1 of image row `row` (3 channels a pixel) into
 * e[n], with up and down the rows above and below (clamped by the caller); every pixel of
 * the span has a left and a right neighbour, so the loop has no border test and
 * vectorises. The same operations in the same order on every clone. */
NN_VECTOR_CLONES static void edge_span(float *restrict e, const float *restrict row,
                                       const float *restrict up, const float *restrict down,
                                       size_t x0, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t x = x0 + i;
        e[i] = edge_value(row + 3 * x - 3, row + 3 * x + 3, up + 3 * x, down + 3 * x);
    }
}

void vis_patch_edges(float *out, float *image, const float *patches, size_t gw, size_t gh,
                     size_t patch) {
    const size_t W = gw * patch, H = gh * patch, pp = patch * patch;
    /* the patches back as one row-major image [H, W, 3] */
    for (size_t n = 0; n < gw * gh; n++)
        for (size_t py = 0; py < patch; py++) {
            size_t y = (n / gw) * patch + py, x = (n % gw) * patch;
            memcpy(image + (y * W + x) * 3, patches + n * 3 * pp + py * patch * 3,
                   patch * 3 * sizeof(float));
        }
    /* each patch's row of pixels is contiguous in out: written span by span, the first and
     * last pixel of the image row with their clamped neighbour */
    for (size_t y = 0; y < H; y++) {
        const float *row = image + y * W * 3;
        const float *up = image + (y > 0 ? y - 1 : 0) * W * 3;
        const float *down = image + (y + 1 < H ? y + 1 : H - 1) * W * 3;
        float *e = out + (y / patch) * gw * pp + (y % patch) * patch;
        for (size_t gx = 0; gx < gw; gx++, e += pp) {
            size_t x0 = gx * patch, x1 = x0 + patch;
            size_t first = x0 == 0 ? 1 : x0, last = x1 == W ? W - 1 : x1;
            if (x0 == 0)
                e[0] = edge_value(row, row + (W > 1 ? 3 : 0), up, down);
            if (last > first) edge_span(e + (first - x0), row, up, down, first, last - first);
            if (x1 == W && W > 1)
                e[patch - 1] = edge_value(row + 3 * W - 6, row + 3 * W - 3, up + 3 * W - 3,
                                          down + 3 * W - 3);
        }
    }
}

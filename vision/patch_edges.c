/* patch_edges.c — the edge channel of a patch grid. */
#include "vision/patch_edges.h"

#include <math.h>

/* Channel c of pixel (x, y), clamped to the image, read from the patch layout. */
static float pixel(const float *patches, long x, long y, size_t c, size_t gw, size_t gh,
                   size_t patch) {
    long w = (long)(gw * patch), h = (long)(gh * patch);
    x = x < 0 ? 0 : x >= w ? w - 1 : x;
    y = y < 0 ? 0 : y >= h ? h - 1 : y;
    size_t n = ((size_t)y / patch) * gw + (size_t)x / patch;
    size_t k = ((size_t)y % patch) * patch + (size_t)x % patch;
    return patches[n * 3 * patch * patch + k * 3 + c];
}

void vis_patch_edges(float *out, const float *patches, size_t gw, size_t gh, size_t patch) {
    for (size_t n = 0; n < gw * gh; n++) {
        long x0 = (long)((n % gw) * patch), y0 = (long)((n / gw) * patch);
        for (size_t k = 0; k < patch * patch; k++) {
            long x = x0 + (long)(k % patch), y = y0 + (long)(k / patch);
            float g = 0.0f;
            for (size_t c = 0; c < 3; c++)
                g += fabsf(pixel(patches, x + 1, y, c, gw, gh, patch) -
                           pixel(patches, x - 1, y, c, gw, gh, patch)) +
                     fabsf(pixel(patches, x, y + 1, c, gw, gh, patch) -
                           pixel(patches, x, y - 1, c, gw, gh, patch));
            g *= 0.5f;
            out[n * patch * patch + k] = 2.0f * g / (g + VIS_EDGE_SOFTNESS) - 1.0f;
        }
    }
}

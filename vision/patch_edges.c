/* patch_edges.c — the edge channel of a patch grid. */
#include "vision/patch_edges.h"

#include <math.h>

void vis_patch_edges(float *out, float *image, const float *patches, size_t gw, size_t gh,
                     size_t patch) {
    const size_t W = gw * patch, H = gh * patch, pp = patch * patch;
    /* the patches back as one row-major image [H, W, 3] */
    for (size_t n = 0; n < gw * gh; n++)
        for (size_t py = 0; py < patch; py++) {
            size_t y = (n / gw) * patch + py, x = (n % gw) * patch;
            const float *src = patches + n * 3 * pp + py * patch * 3;
            for (size_t k = 0; k < patch * 3; k++) image[(y * W + x) * 3 + k] = src[k];
        }
    for (size_t y = 0; y < H; y++) {
        const float *up = image + (y > 0 ? y - 1 : 0) * W * 3;
        const float *down = image + (y + 1 < H ? y + 1 : H - 1) * W * 3;
        const float *row = image + y * W * 3;
        for (size_t x = 0; x < W; x++) {
            size_t l = (x > 0 ? x - 1 : 0) * 3, r = (x + 1 < W ? x + 1 : W - 1) * 3;
            float g = 0.0f;
            for (size_t c = 0; c < 3; c++)
                g += fabsf(row[r + c] - row[l + c]) + fabsf(down[x * 3 + c] - up[x * 3 + c]);
            g *= 0.5f;
            size_t n = (y / patch) * gw + x / patch, k = (y % patch) * patch + x % patch;
            out[n * pp + k] = 2.0f * g / (g + VIS_EDGE_SOFTNESS) - 1.0f;
        }
    }
}

/* fuzz_image.c — libFuzzer target for image loading (vision/image.c) with its size limits:
 * the input is an image file in any format; an accepted image is stretched to a small
 * model input and cut into patches as captioning does. The pixel limit is lowered to
 * FUZZ_MAX_PIXELS (vis_image_load_limit, the code behind vis_image_load) so that inputs
 * declaring large images are refused in microseconds instead of decoded for a second;
 * the side limit is the real one. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "vision/image.h"

#define FUZZ_MAX_PIXELS (1u << 14) /* 128 x 128 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_temp_file(data, size, ".img");
    nn_error err;
    vis_image img;
    if (vis_image_load_limit(&img, path, FUZZ_MAX_PIXELS, &err) != 0) return 0;
    if (img.width <= 0 || img.height <= 0 || img.width > VIS_IMAGE_MAX_SIDE ||
        img.height > VIS_IMAGE_MAX_SIDE || (size_t)img.width * (size_t)img.height > FUZZ_MAX_PIXELS ||
        !img.rgb)
        abort(); /* the limits were not kept */
    enum { SIDE = 16, PATCH = 8 };
    unsigned char rgb[SIDE * SIDE * 3];
    float patches[SIDE * SIDE * 3];
    vis_image_resize(rgb, SIDE, SIDE, img.rgb, img.width, img.height);
    vis_patchify(patches, rgb, SIDE, SIDE, PATCH);
    vis_image_free(&img);
    return 0;
}

/* image.h — loading images (PNG, JPEG, BMP, TGA, GIF via stb_image), stretching them
 * to the model's input size, and cutting the input into normalised patches.
 * A vis_image owns its pixels; vis_image_free releases them. */
#ifndef XCAP_VISION_IMAGE_H
#define XCAP_VISION_IMAGE_H

#include <stddef.h>

#include "nn/error.h"

#define VIS_IMAGE_MAX_SIDE 16384          /* larger images are refused */
#define VIS_IMAGE_MAX_PIXELS 100000000u  /* 100 megapixels */

typedef struct {
    unsigned char *rgb;  /* height × width × 3, row-major */
    int width, height;   /* the original size */
} vis_image;

/* Loads path as 8-bit RGB; "path: reason" on failure (not an image, too large, …). */
int vis_image_load(vis_image *img, const char *path, nn_error *err);
/* The same with a smaller limit on width × height (at most VIS_IMAGE_MAX_PIXELS counts);
 * the side limit stays VIS_IMAGE_MAX_SIDE. */
int vis_image_load_limit(vis_image *img, const char *path, size_t max_pixels, nn_error *err);
/* Copies w × h RGB bytes into a new image. */
int vis_image_from_rgb(vis_image *img, const unsigned char *rgb, int w, int h, nn_error *err);
void vis_image_free(vis_image *img);

/* Stretches src (sw × sh RGB) to dst (dw × dh RGB). */
void vis_image_resize(unsigned char *dst, int dw, int dh, const unsigned char *src, int sw, int sh);

/* Fits src into dst: stretched (letterbox 0), or scaled with its aspect kept, centred, and the
 * margins filled with the mean colour of src's border pixels (letterbox 1). */
void vis_image_fit(unsigned char *dst, int dw, int dh, const unsigned char *src, int sw, int sh,
                   int letterbox);

/* Cuts an image_w × image_h RGB input into (image_h/P)·(image_w/P) patches, row-major,
 * each a vector of 3·P·P values (py·P + px)·3 + ch, normalised (v/255 − 0.5)/0.5.
 * out holds N × 3P² floats. */
void vis_patchify(float *out, const unsigned char *rgb, size_t image_w, size_t image_h,
                  size_t patch);

#endif

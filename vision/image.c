/* image.c — image loading with size limits, resizing, and patch extraction. */
#include "vision/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include "vision/image_check.h"

/* Width and height from a PNG's IHDR chunk when f starts with one (stb refuses very large
 * PNGs in stbi_info with a generic reason; this lets the message say the size). Rewinds f. */
static int png_size(FILE *f, long *w, long *h) {
    unsigned char b[24];
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t n = fread(b, 1, sizeof b, f);
    rewind(f);
    if (n < sizeof b || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) return 0;
    *w = (long)b[16] << 24 | (long)b[17] << 16 | (long)b[18] << 8 | b[19];
    *h = (long)b[20] << 24 | (long)b[21] << 16 | (long)b[22] << 8 | b[23];
    return 1;
}

int vis_image_load(vis_image *img, const char *path, nn_error *err) {
    return vis_image_load_limit(img, path, VIS_IMAGE_MAX_PIXELS, err);
}

int vis_image_load_limit(vis_image *img, const char *path, size_t max_pixels, nn_error *err) {
    if (max_pixels > VIS_IMAGE_MAX_PIXELS) max_pixels = VIS_IMAGE_MAX_PIXELS;
    memset(img, 0, sizeof *img);
    char shown[1024]; /* the name in messages, control characters as '?': one line */
    const char *name = nn_show(shown, sizeof shown, path);
    FILE *f = fopen(path, "rb");
    if (!f) return nn_fail(err, "%s: %s", name, strerror(errno));
    int w, h, comp;
    long pw, ph;
    if (png_size(f, &pw, &ph) && (pw == 0 || ph == 0)) {
        fclose(f);
        return nn_fail(err, "%s: image is %ldx%ld, it has no pixels", name, pw, ph);
    }
    if (png_size(f, &pw, &ph) && (pw > VIS_IMAGE_MAX_SIDE || ph > VIS_IMAGE_MAX_SIDE ||
                                  (double)pw * (double)ph > (double)max_pixels)) {
        fclose(f);
        return nn_fail(err, "%s: image is %ldx%ld, larger than the limit of %d pixels a side and %zu pixels",
                       name, pw, ph, VIS_IMAGE_MAX_SIDE, max_pixels);
    }
    char why[128];
    if (vis_image_check(f, why, sizeof why) != 0) {
        fclose(f);
        return nn_fail(err, "%s: not a supported image (%s)", name, why);
    }
    if (!stbi_info_from_file(f, &w, &h, &comp)) {
        fclose(f);
        return nn_fail(err, "%s: not a supported image (%s)", name, stbi_failure_reason());
    }
    if (w <= 0 || h <= 0 || w > VIS_IMAGE_MAX_SIDE || h > VIS_IMAGE_MAX_SIDE ||
        (size_t)w * (size_t)h > max_pixels) {
        fclose(f);
        return nn_fail(err, "%s: image is %dx%d, larger than the limit of %d pixels a side and %zu pixels",
                       name, w, h, VIS_IMAGE_MAX_SIDE, max_pixels);
    }
    unsigned char *rgb = stbi_load_from_file(f, &w, &h, &comp, 3);
    fclose(f);
    if (!rgb) return nn_fail(err, "%s: cannot decode image (%s)", name, stbi_failure_reason());
    img->rgb = rgb;
    img->width = w;
    img->height = h;
    return 0;
}

int vis_image_from_rgb(vis_image *img, const unsigned char *rgb, int w, int h, nn_error *err) {
    memset(img, 0, sizeof *img);
    if (!rgb || w <= 0 || h <= 0 || w > VIS_IMAGE_MAX_SIDE || h > VIS_IMAGE_MAX_SIDE ||
        (size_t)w * (size_t)h > VIS_IMAGE_MAX_PIXELS)
        return nn_fail(err, "image of %dx%d pixels is empty or larger than the limit", w, h);
    size_t n = (size_t)w * (size_t)h * 3;
    img->rgb = malloc(n);
    if (!img->rgb) return nn_fail(err, "out of memory for a %dx%d image", w, h);
    memcpy(img->rgb, rgb, n);
    img->width = w;
    img->height = h;
    return 0;
}

void vis_image_free(vis_image *img) {
    free(img->rgb);  /* stbi_image_free is free() in the default build */
    memset(img, 0, sizeof *img);
}

void vis_image_resize(unsigned char *dst, int dw, int dh, const unsigned char *src, int sw, int sh) {
    if (dw == sw && dh == sh) {
        memcpy(dst, src, (size_t)dw * (size_t)dh * 3);
        return;
    }
    stbir_resize_uint8(src, sw, sh, 0, dst, dw, dh, 0, 3);
}

/* The mean colour of the outermost rows and columns of src. */
static void border_mean(unsigned char out[3], const unsigned char *src, int sw, int sh) {
    double sum[3] = {0, 0, 0};
    size_t n = 0;
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x += (y == 0 || y == sh - 1) ? 1 : (sw > 1 ? sw - 1 : 1)) {
            for (int c = 0; c < 3; c++) sum[c] += src[3 * ((size_t)y * (size_t)sw + (size_t)x) + c];
            n++;
        }
    for (int c = 0; c < 3; c++) out[c] = (unsigned char)(sum[c] / (double)n + 0.5);
}

void vis_image_fit(unsigned char *dst, int dw, int dh, const unsigned char *src, int sw, int sh,
                   int letterbox) {
    if (!letterbox || (long)sw * dh == (long)sh * dw) {
        vis_image_resize(dst, dw, dh, src, sw, sh);
        return;
    }
    unsigned char pad[3];
    border_mean(pad, src, sw, sh);
    for (size_t i = 0; i < (size_t)dw * (size_t)dh; i++) memcpy(dst + 3 * i, pad, 3);
    double k = (double)dw / sw < (double)dh / sh ? (double)dw / sw : (double)dh / sh;
    int iw = (int)(k * sw + 0.5), ih = (int)(k * sh + 0.5);
    iw = iw < 1 ? 1 : iw > dw ? dw : iw;
    ih = ih < 1 ? 1 : ih > dh ? dh : ih;
    int ox = (dw - iw) / 2, oy = (dh - ih) / 2;
    stbir_resize_uint8(src, sw, sh, 0, dst + 3 * ((size_t)oy * (size_t)dw + (size_t)ox), iw, ih,
                       dw * 3, 3);
}

void vis_patchify(float *out, const unsigned char *rgb, size_t image_w, size_t image_h,
                  size_t patch) {
    const size_t gw = image_w / patch, gh = image_h / patch, len = 3 * patch * patch;
    for (size_t r = 0; r < gh; r++)
        for (size_t c = 0; c < gw; c++) {
            float *v = out + (r * gw + c) * len;
            for (size_t py = 0; py < patch; py++) {
                const unsigned char *row = rgb + ((r * patch + py) * image_w + c * patch) * 3;
                for (size_t i = 0; i < patch * 3; i++)
                    v[py * patch * 3 + i] = ((float)row[i] / 255.0f - 0.5f) / 0.5f;
            }
        }
}

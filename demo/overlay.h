/* overlay.h — per-word attention overlays: a gw×gh patch map drawn over the image.
 *
 * Pipeline for one word: the map (one value per patch, row-major, n = r*gw + c) is
 * upsampled to the picture's pixels (ovl_upsample), scaled for display so that its
 * maximum is 1 (ovl_normalize_max), coloured with a colormap and alpha-blended over the
 * image (ovl_blend), then labelled "word  0.97" in the top-left corner.
 *
 * Sizes. The per-word overlay (ovl_render_word) is at the ORIGINAL image's resolution, so
 * it lines up pixel for pixel with the input; its label is scaled to the image (about a
 * sixteenth of the short side, at least 11 px, shrunk to fit the width), which stays
 * readable at 1:1 down to 96×96. The strip and the heads grid are for looking at, so
 * their tiles are resized: images smaller than the tile size are enlarged by a whole
 * factor with nearest-neighbour pixels (a 96×96 input becomes 288×288 in the strip and
 * 192×192 in the grid), large ones are box-filtered down. The map is upsampled
 * directly to each tile's size, so it is as smooth as at full size.
 *
 * Ownership: every render function allocates its output image, which the caller frees
 * with vis_image_free. Nothing here keeps state; the font in ovl_options is borrowed. */
#ifndef XCAP_DEMO_OVERLAY_H
#define XCAP_DEMO_OVERLAY_H

#include <stddef.h>

#include "demo/colormap.h"
#include "demo/font.h"
#include "nn/error.h"
#include "vision/image.h"

typedef enum {
    OVL_UPSAMPLE_NEAREST,  /* each pixel takes its patch's value (vis_pixel_to_patch): blocks */
    OVL_UPSAMPLE_BILINEAR, /* each patch's value sits at its patch centre; linear in between,
                              constant beyond the outermost centres */
    OVL_UPSAMPLE_GAUSSIAN, /* normalised Gaussian splat of the patch values, sigma = half a
                              patch, cut at 2 patches: smooth blobs, a constant stays constant */
} ovl_upsample_mode;

typedef struct {
    ovl_colormap cmap;          /* OVL_CMAP_VIRIDIS */
    ovl_upsample_mode upsample; /* OVL_UPSAMPLE_BILINEAR */
    float alpha;                /* 0.6: opacity of the colour layer over the image */
    int modulate;               /* 0: the same alpha everywhere (the default: the whole map is
                                   visible, low attention shows as dark blue);
                                   1: alpha × value, so low-attention areas show the plain image */
    const ovl_font *font;       /* borrowed; NULL: no text is drawn */
} ovl_options;

/* The defaults above. */
void ovl_options_default(ovl_options *opts);

/* "nearest", "bilinear" or "gaussian"; an unknown name fails listing the known ones. */
int ovl_upsample_parse(ovl_upsample_mode *out, const char *name, nn_error *err);

/* The canonical name of an upsampling mode. */
const char *ovl_upsample_name(ovl_upsample_mode mode);

/* Upsamples map (gh rows × gw columns) to out (H rows × W columns) with the geometry of
 * vision/patch_geometry.h. Fails only when out of memory. */
int ovl_upsample(float *out, const float *map, size_t gw, size_t gh, size_t W, size_t H,
                 ovl_upsample_mode mode, nn_error *err);

/* Scales v in place for display: negative and non-finite values become 0, then all values
 * are divided by the maximum, so the largest is 1. An all-zero map stays all zero. */
void ovl_normalize_max(float *v, size_t n);

/* out = (1 - a) * image + a * colour(v) per pixel (n pixels, RGB bytes; out may be image),
 * with a = alpha, or alpha * v when modulate is set; v in [0, 1] (clamped), quantised to
 * the colormap's 256 levels. */
void ovl_blend(unsigned char *out, const unsigned char *image, const float *v, size_t n,
               ovl_colormap cm, float alpha, int modulate);

/* One word's overlay at the image's resolution, labelled "word  0.97" (prob < 0 or NaN:
 * the word alone). */
int ovl_render_word(vis_image *out, const vis_image *image, const float *map, size_t gw, size_t gh,
                    const char *word, float prob, const ovl_options *opts, nn_error *err);

/* The strip: the image, then every word's overlay (maps holds n_words maps of gw*gh values;
 * probs may be NULL), side by side in rows of at most 6 tiles (fewer if that would be
 * wider than 1800 px), with the caption written underneath, wrapped to the strip's width. */
int ovl_render_strip(vis_image *out, const vis_image *image, const float *maps,
                     const char *const *words, const float *probs, size_t n_words, size_t gw,
                     size_t gh, const char *caption, const ovl_options *opts, nn_error *err);

/* One word's heads grid: a row per layer and a column per head (maps is
 * [n_layers][n_heads][gw*gh]), with "layer i" / "head j" labels, the word and its
 * probability as a title, and each tile's largest attention weight in its corner. Each
 * tile is normalised by its own maximum. */
int ovl_render_heads_grid(vis_image *out, const vis_image *image, const float *maps,
                          size_t n_layers, size_t n_heads, size_t gw, size_t gh, const char *word,
                          float prob, const ovl_options *opts, nn_error *err);

#endif

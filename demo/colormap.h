/* colormap.h — perceptual colormaps that turn a value in [0, 1] into an RGB colour.
 *
 * viridis (the default), magma, inferno and plasma follow the published matplotlib maps
 * (dark = low, bright = high, luminance rising monotonically); gray is black → white.
 * Everything here is a pure function; there are no tables to free. */
#ifndef XCAP_DEMO_COLORMAP_H
#define XCAP_DEMO_COLORMAP_H

#include "nn/error.h"

typedef enum {
    OVL_CMAP_VIRIDIS,
    OVL_CMAP_MAGMA,
    OVL_CMAP_INFERNO,
    OVL_CMAP_PLASMA,
    OVL_CMAP_GRAY,
} ovl_colormap;

/* The colormap called name ("viridis", "magma", "inferno", "plasma", "gray"/"grey");
 * an unknown name fails with a message that lists the known ones. */
int ovl_colormap_parse(ovl_colormap *out, const char *name, nn_error *err);

/* The canonical name of a colormap ("viridis", …). */
const char *ovl_colormap_name(ovl_colormap cm);

/* The known names joined by ", ", for help texts. */
const char *ovl_colormap_names(void);

/* The colour of t (clamped to [0, 1]; NaN counts as 0) as 8-bit RGB. */
void ovl_colormap_lookup(unsigned char rgb[3], ovl_colormap cm, float t);

/* Fills a 256-entry lookup table: entry i (3 bytes) is the colour of i / 255. */
void ovl_colormap_table(unsigned char lut[256 * 3], ovl_colormap cm);

#endif

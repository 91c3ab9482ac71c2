/* colormap.c — viridis, magma, inferno, plasma and gray.
 *
 * The four perceptual maps are evaluated from degree-6 least-squares polynomial fits
 * (per channel, colour = sum_k c_k t^k) to the published matplotlib colormaps; the
 * coefficients are the widely circulated ones published by Matt Zucker (2020). No colormap
 * data table is copied: the fits reproduce the published 9-sample values of each map to
 * within a few 8-bit steps, and tests/test_overlay.c checks them against those samples. */
#include "demo/colormap.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/* c[k][ch]: coefficient of t^k for channel ch. */
typedef struct {
    double c[7][3];
} poly_map;

static const poly_map VIRIDIS = {{
    {0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
    {0.1050930431085774, 1.404613529898575, 1.384590162594685},
    {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
    {-4.634230498983486, -5.799100973351585, -19.33244095627987},
    {6.228269936347081, 14.17993336680509, 56.69055260068105},
    {4.776384997670288, -13.74514537774601, -65.35303263337234},
    {-5.435455855934631, 4.645852612178535, 26.3124352495832},
}};

static const poly_map MAGMA = {{
    {-0.002136485053939582, -0.000749655052795221, -0.005386127855323933},
    {0.2516605407371642, 0.6775232436837668, 2.494026599312351},
    {8.353717279216625, -3.577719514958484, 0.3144679030132573},
    {-27.66873308576866, 14.26473078096533, -13.64921318813922},
    {52.17613981234068, -27.94360607168351, 12.94416944238394},
    {-50.76852536473588, 29.04658282127291, 4.23415299384598},
    {18.65570506591883, -11.48977351997711, -5.601961508734096},
}};

static const poly_map INFERNO = {{
    {0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
    {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
    {11.60249308247187, -3.972853965665698, -15.9423941062914},
    {-41.70399613139459, 17.43639888205313, 44.35414519872813},
    {77.162935699427, -33.40235894210092, -81.80730925738993},
    {-71.31942824499214, 32.62606426397723, 73.20951985803202},
    {25.13112622477341, -12.24266895238567, -23.07032500287172},
}};

static const poly_map PLASMA = {{
    {0.05873234392399702, 0.02333670892565664, 0.5433401826748754},
    {2.176514634195958, 0.2383834171260182, 0.7539604599784036},
    {-2.689460476458034, -7.455851135738909, 3.110799939717086},
    {6.130348345893603, 42.3461881477227, -28.51885465332158},
    {-11.10743619062271, -82.66631109428045, 60.13984767418263},
    {10.02306557647065, 71.41361770095349, -54.07218655560067},
    {-3.658713842777788, -22.93153465461149, 18.19190778539828},
}};

static const struct {
    const char *name;
    ovl_colormap cm;
} NAMES[] = {
    {"viridis", OVL_CMAP_VIRIDIS}, {"magma", OVL_CMAP_MAGMA}, {"inferno", OVL_CMAP_INFERNO},
    {"plasma", OVL_CMAP_PLASMA},   {"gray", OVL_CMAP_GRAY},   {"grey", OVL_CMAP_GRAY},
};

int ovl_colormap_parse(ovl_colormap *out, const char *name, nn_error *err) {
    for (size_t i = 0; name && i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (strcasecmp(name, NAMES[i].name) == 0) {
            *out = NAMES[i].cm;
            return 0;
        }
    }
    return nn_fail(err, "unknown colormap '%s' (known: %s)", name ? name : "", ovl_colormap_names());
}

const char *ovl_colormap_name(ovl_colormap cm) {
    switch (cm) {
    case OVL_CMAP_VIRIDIS: return "viridis";
    case OVL_CMAP_MAGMA: return "magma";
    case OVL_CMAP_INFERNO: return "inferno";
    case OVL_CMAP_PLASMA: return "plasma";
    case OVL_CMAP_GRAY: return "gray";
    }
    return "viridis";
}

const char *ovl_colormap_names(void) {
    return "viridis, magma, inferno, plasma, gray";
}

/* A [0, 1] channel value as a rounded byte. */
static unsigned char to_byte(double v) {
    if (!(v > 0.0)) return 0;
    if (v >= 1.0) return 255;
    return (unsigned char)lround(v * 255.0);
}

void ovl_colormap_lookup(unsigned char rgb[3], ovl_colormap cm, float t) {
    double x = (t > 0.0f) ? (t < 1.0f ? (double)t : 1.0) : 0.0; /* NaN → 0 */
    const poly_map *p = NULL;
    switch (cm) {
    case OVL_CMAP_VIRIDIS: p = &VIRIDIS; break;
    case OVL_CMAP_MAGMA: p = &MAGMA; break;
    case OVL_CMAP_INFERNO: p = &INFERNO; break;
    case OVL_CMAP_PLASMA: p = &PLASMA; break;
    case OVL_CMAP_GRAY: break;
    }
    if (!p) {
        rgb[0] = rgb[1] = rgb[2] = to_byte(x);
        return;
    }
    for (int ch = 0; ch < 3; ch++) {
        double v = p->c[6][ch];
        for (int k = 5; k >= 0; k--) v = v * x + p->c[k][ch]; /* Horner */
        rgb[ch] = to_byte(v);
    }
}

void ovl_colormap_table(unsigned char lut[256 * 3], ovl_colormap cm) {
    for (int i = 0; i < 256; i++) ovl_colormap_lookup(lut + 3 * i, cm, (float)i / 255.0f);
}

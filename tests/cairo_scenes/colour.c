/* colour.c — HSV ranges of the colour words and the shade a person would pick in them. */
#include "colour.h"

#include <math.h>

const char *const cs_colour_names[CS_COLOUR_COUNT] = {
    "red", "green", "blue", "yellow", "purple", "orange", "white", "cyan",
};

/* Hue range in degrees of each chromatic colour word (red wraps through 0). */
static const double hue_lo[CS_COLOUR_COUNT] = {-10, 100, 215, 48, 270, 22, 0, 178};
static const double hue_hi[CS_COLOUR_COUNT] = {10, 140, 235, 60, 290, 35, 360, 192};

/* The textbook sextant formula; h is wrapped into [0, 360). */
void cs_hsv_to_rgb(double rgb[3], double h, double s, double v) {
    h = fmod(h, 360.0);
    if (h < 0) h += 360.0;
    double c = v * s, hp = h / 60.0, x = c * (1.0 - fabs(fmod(hp, 2.0) - 1.0)), m = v - c;
    double r = 0, g = 0, b = 0;
    switch ((int)hp) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
    }
    rgb[0] = r + m;
    rgb[1] = g + m;
    rgb[2] = b + m;
}

/* Chromatic words: hue, saturation 0.7–1 and value 0.75–1, each mostly mid-range;
 * white: any hue, saturation <= 0.06, value 0.92–1. */
void cs_colour_shade(double rgb[3], cs_colour c, cs_rng *r) {
    if (c == CS_WHITE) {
        double h = cs_rng_range(r, 0, 360), s = cs_rng_range(r, 0, 0.06);
        cs_hsv_to_rgb(rgb, h, s, cs_rng_mid(r, 0.92, 1.0));
        return;
    }
    double h = cs_rng_mid(r, hue_lo[c], hue_hi[c]);
    double s = cs_rng_mid(r, 0.7, 1.0), v = cs_rng_mid(r, 0.75, 1.0);
    cs_hsv_to_rgb(rgb, h, s, v);
}

double cs_rgb_distance(const double a[3], const double b[3]) {
    double d = 0;
    for (int i = 0; i < 3; i++) d += (a[i] - b[i]) * (a[i] - b[i]);
    return 255.0 * sqrt(d);
}

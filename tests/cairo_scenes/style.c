/* style.c — random rendering choices within the grammar: canvases, backgrounds, edges. */
#include "style.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "colour.h"

const char *const cs_background_names[CS_BG_COUNT] = {
    "flat", "noisy", "gradient", "texture", "light", "dark",
};

const char *const cs_style_mode_names[CS_STYLE_COUNT] = {
    "mixed", "plain", "flat", "noisy", "gradient", "texture", "light", "dark",
};

int cs_style_mode_parse(const char *name) {
    for (int i = 0; i < CS_STYLE_COUNT; i++)
        if (strcmp(name, cs_style_mode_names[i]) == 0) return i;
    return -1;
}

void cs_style_canvas(cs_style_mode mode, cs_rng *r, int *width, int *height) {
    static const int fixed[6][2] = {{96, 96}, {128, 128}, {200, 200},
                                    {160, 120}, {90, 110}, {120, 160}};
    if (mode == CS_STYLE_PLAIN) {
        *width = *height = 96;
        return;
    }
    int pick = cs_rng_int(r, 7);
    if (pick < 6) {
        *width = fixed[pick][0];
        *height = fixed[pick][1];
        return;
    }
    int w, h;
    do {
        w = 64 + cs_rng_int(r, 193);
        h = 64 + cs_rng_int(r, 193);
    } while (w > 2 * h || h > 2 * w);
    *width = w;
    *height = h;
}

void cs_style_edges(cs_style *st, cs_style_mode mode, cs_rng *r, double k) {
    int plain = mode == CS_STYLE_PLAIN;
    st->antialias = plain || cs_rng_int(r, 2);
    st->outline = !plain && cs_rng_int(r, 4) == 0;
    st->outline_width = fmax(1.0, cs_rng_range(r, 0.8, 1.6) * k);
    st->outline_shade = cs_rng_range(r, 0.5, 0.7);
    st->jpeg = !plain && cs_rng_int(r, 3) == 0;
    st->quality = 60 + cs_rng_int(r, 36);
    if (!st->jpeg) st->quality = 0;
}

/* A low-saturation colour (s <= smax) of hue h with value in [vlo, vhi). */
static void muted(double rgb[3], cs_rng *r, double h, double smax, double vlo, double vhi) {
    cs_hsv_to_rgb(rgb, h, cs_rng_range(r, 0, smax), cs_rng_range(r, vlo, vhi));
}

/* Paints flat, light, dark or a gradient (the families that can also carry noise). */
static void plain_family(cs_style *st, cs_background family, cs_rng *r) {
    double h = cs_rng_range(r, 0, 360);
    st->paint = CS_PAINT_FLAT;
    switch (family) {
    case CS_BG_LIGHT:
        if (cs_rng_int(r, 2)) {
            muted(st->c0, r, h, 0.04, 0.95, 1.0);
            snprintf(st->detail, sizeof st->detail, "paper");
        } else {
            muted(st->c0, r, h, 0.04, 0.76, 0.9);
            snprintf(st->detail, sizeof st->detail, "grey");
        }
        break;
    case CS_BG_DARK:
        muted(st->c0, r, h, 0.25, 0.04, 0.22);
        snprintf(st->detail, sizeof st->detail, "dark");
        break;
    case CS_BG_GRADIENT: {
        static const char *const dirs[3] = {"vertical", "horizontal", "diagonal"};
        static const double angles[3] = {90, 0, 45};
        int d = cs_rng_int(r, 3);
        double v0 = cs_rng_range(r, 0.2, 0.9), dv = cs_rng_range(r, 0.15, 0.45);
        int up = v0 - dv < 0.04 ? 1 : v0 + dv > 1.0 ? 0 : cs_rng_int(r, 2);
        double v1 = up ? v0 + dv : v0 - dv;
        cs_hsv_to_rgb(st->c0, h, cs_rng_range(r, 0, 0.25), v0);
        cs_hsv_to_rgb(st->c1, h + cs_rng_range(r, -40, 40), cs_rng_range(r, 0, 0.25),
                      fmax(0.04, v1));
        st->paint = CS_PAINT_GRADIENT;
        st->angle = angles[d] + (d == 2 && cs_rng_int(r, 2) ? 90 : 0);
        snprintf(st->detail, sizeof st->detail, "%s", dirs[d]);
        break;
    }
    default:
        muted(st->c0, r, h, 0.25, 0.25, 0.92);
        snprintf(st->detail, sizeof st->detail, "colour");
        break;
    }
}

cs_background cs_style_family(cs_style_mode mode, cs_rng *r) {
    if (mode == CS_STYLE_MIXED) return (cs_background)cs_rng_int(r, CS_BG_COUNT);
    if (mode == CS_STYLE_PLAIN) return CS_BG_FLAT;
    return (cs_background)(mode - CS_STYLE_FLAT);
}

void cs_style_background(cs_style *st, cs_background family, cs_rng *r, double k) {
    st->background = family;
    st->noise = 0;
    st->angle = 0;
    st->period = 0;
    memset(st->c1, 0, sizeof st->c1);
    if (family == CS_BG_NOISY) {  /* noise over a flat, light, dark or gradient base */
        static const cs_background bases[4] = {CS_BG_FLAT, CS_BG_LIGHT, CS_BG_DARK,
                                               CS_BG_GRADIENT};
        static const int sigmas[4] = {4, 8, 12, 18};
        cs_background base = bases[cs_rng_int(r, 4)];
        plain_family(st, base, r);
        char detail[sizeof st->detail];
        snprintf(detail, sizeof detail, "%s", st->detail);
        snprintf(st->detail, sizeof st->detail, "%s-%.24s", cs_background_names[base], detail);
        st->noise = sigmas[cs_rng_int(r, 4)];
    } else if (family == CS_BG_TEXTURE) {  /* faint stripes or checks */
        static const char *const kinds[4] = {"stripes-vertical", "stripes-horizontal",
                                             "stripes-diagonal", "checks"};
        static const double angles[4] = {0, 90, 45, 0};
        int t = cs_rng_int(r, 4);
        double h = cs_rng_range(r, 0, 360), s = cs_rng_range(r, 0, 0.2);
        double v = cs_rng_range(r, 0.25, 0.9), dv = cs_rng_range(r, 0.03, 0.08);
        cs_hsv_to_rgb(st->c0, h, s, v);
        cs_hsv_to_rgb(st->c1, h, s, v + dv <= 1.0 ? v + dv : v - dv);
        st->paint = t == 3 ? CS_PAINT_CHECKS : CS_PAINT_STRIPES;
        st->angle = angles[t] + (t == 2 && cs_rng_int(r, 2) ? 90 : 0);
        st->period = fmax(3.0, cs_rng_range(r, 4, 12) * k);
        snprintf(st->detail, sizeof st->detail, "%s", kinds[t]);
    } else {
        plain_family(st, family, r);
    }
}

/* style.h — how a scene is drawn, chosen at random per scene: canvas, background, noise,
 * edges, outline and file format. Recorded in captions.json so results can be split. */
#ifndef CS_STYLE_H
#define CS_STYLE_H

#include "rng.h"

typedef enum {
    CS_BG_FLAT, CS_BG_NOISY, CS_BG_GRADIENT, CS_BG_TEXTURE, CS_BG_LIGHT, CS_BG_DARK,
    CS_BG_COUNT
} cs_background;

/* "flat", "noisy", ... indexed by cs_background. */
extern const char *const cs_background_names[CS_BG_COUNT];

/* --style values: mixed (everything random), plain (a 96x96 flat antialiased PNG with no
 * outline: the control nearest the training pictures), or one background family. */
typedef enum {
    CS_STYLE_MIXED, CS_STYLE_PLAIN, CS_STYLE_FLAT, CS_STYLE_NOISY, CS_STYLE_GRADIENT,
    CS_STYLE_TEXTURE, CS_STYLE_LIGHT, CS_STYLE_DARK, CS_STYLE_COUNT
} cs_style_mode;

extern const char *const cs_style_mode_names[CS_STYLE_COUNT];

/* How the background is painted. */
typedef enum { CS_PAINT_FLAT, CS_PAINT_GRADIENT, CS_PAINT_STRIPES, CS_PAINT_CHECKS } cs_paint;

typedef struct {
    cs_background background;
    char detail[40];            /* e.g. "paper", "vertical", "stripes-diagonal", "flat" */
    cs_paint paint;
    double c0[3], c1[3];        /* background colours, 0..1 (c1 unused when flat) */
    double angle;               /* gradient or stripe direction, degrees */
    double period;              /* stripe or check period, pixels */
    int noise;                  /* Gaussian noise sigma over the whole picture, 0..255 levels */
    int antialias;              /* 1 cairo's default antialiasing, 0 CAIRO_ANTIALIAS_NONE */
    int outline;                /* 1: a darker stroke of the fill's colour inside each object */
    double outline_width;       /* pixels */
    double outline_shade;       /* the stroke's colour = fill × this */
    int jpeg;                   /* 1 JPEG, 0 PNG */
    int quality;                /* JPEG quality 60..95 */
} cs_style;

/* The mode named name, or -1. */
int cs_style_mode_parse(const char *name);

/* A canvas size: 96x96, 128x128, 200x200, 160x120, 90x110, 120x160, or random 64..256 per
 * side with aspect between 1:2 and 2:1 (plain: always 96x96). */
void cs_style_canvas(cs_style_mode mode, cs_rng *r, int *width, int *height);

/* Edges, outline and file format for a canvas at scale k = min(W, H) / 96. */
void cs_style_edges(cs_style *st, cs_style_mode mode, cs_rng *r, double k);

/* The background family of one scene: random for mixed, flat for plain, else the mode's
 * (chosen once per scene, so the families stay equally common). */
cs_background cs_style_family(cs_style_mode mode, cs_rng *r);

/* A background of that family (colours, pattern, noise) for a canvas at scale k; drawn
 * again when the objects would not stand out from it. */
void cs_style_background(cs_style *st, cs_background family, cs_rng *r, double k);

#endif

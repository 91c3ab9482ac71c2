/* shapes_look.c — how a scene is drawn: the recipes, each named colour's range of shades,
 * backgrounds that keep every object visible, and random canvases. */
#include "vision/shapes_parts.h"

#include <math.h>
#include <string.h>

vis_recipe vis_recipe_default(void) {
    vis_recipe r = {0};
    r.vary_geometry = 1;
    r.p_flat = 0.35f;
    r.p_gradient = 0.2f;
    r.p_texture = 0.15f;           /* the remaining 0.3: muted, the classic palette */
    r.p_noise = 0.6f;
    r.noise_max = 24.0f;
    r.p_noise_over_objects = 0.5f;
    r.p_hard_edges = 0.35f;
    r.p_blur = 0.3f;
    r.blur_max = 0.25f;
    r.p_jpeg = 0.3f;
    r.jpeg_min = 30;
    r.jpeg_max = 95;
    r.p_model_canvas = 0.25f;
    r.side_min = 64;
    r.side_max = 256;
    r.aspect_max = 2.0f;
    return r;
}

vis_recipe vis_recipe_classic(void) {
    vis_recipe r = {0};
    r.p_noise = 1.0f;              /* ±6 on the background, as the first look had */
    r.noise_max = 6.0f;
    r.p_model_canvas = 1.0f;
    r.side_min = r.side_max = VIS_DEFAULT_SIDE;
    r.aspect_max = 1.0f;
    return r;
}

/* The first look's colours: saturated, far from each other and from the backgrounds. */
static const unsigned char classic_rgb[VIS_COLOUR_COUNT][3] = {
    {220, 40, 40}, {50, 190, 60}, {40, 90, 235}, {245, 225, 50},
    {160, 60, 210}, {250, 140, 30}, {245, 245, 245}, {50, 220, 230}};

/* Muted, darkish, low-saturation backgrounds (the first look's palette). */
#define N_MUTED 8
static const unsigned char muted_rgb[N_MUTED][3] = {
    {72, 76, 86}, {96, 96, 96}, {92, 88, 72}, {104, 88, 80},
    {70, 92, 92}, {90, 78, 94}, {74, 88, 74}, {120, 112, 100}};

/* Each named colour's range in HSV: hue from..to in degrees (from < to, may start below 0),
 * saturation and value from..to (0..1). */
static const float colour_hsv[VIS_COLOUR_COUNT][6] = {
    {-12, 10, 0.62f, 1.0f, 0.68f, 1.0f},   /* red */
    {97, 143, 0.55f, 1.0f, 0.62f, 1.0f},   /* green */
    {212, 238, 0.62f, 1.0f, 0.70f, 1.0f},  /* blue */
    {47, 62, 0.62f, 1.0f, 0.80f, 1.0f},    /* yellow */
    {266, 292, 0.55f, 1.0f, 0.65f, 1.0f},  /* purple */
    {20, 37, 0.70f, 1.0f, 0.80f, 1.0f},    /* orange */
    {0, 360, 0.0f, 0.07f, 0.88f, 1.0f},    /* white */
    {176, 194, 0.62f, 1.0f, 0.72f, 1.0f},  /* cyan */
};

#define MIN_CONTRAST 110.0f   /* RGB distance between an object and the background */
#define BG_TRIES 64

/* Clamps a float to a byte. */
static unsigned char to_byte(float v) {
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)lrintf(v);
}

/* HSV (hue in degrees, any turn) to RGB bytes. */
static void hsv_to_rgb(unsigned char out[3], float h, float s, float v) {
    h = fmodf(h, 360.0f);
    if (h < 0.0f) h += 360.0f;
    float c = v * s, x = c * (1.0f - fabsf(fmodf(h / 60.0f, 2.0f) - 1.0f)), m = v - c;
    float rgb[3];
    int sector = (int)(h / 60.0f) % 6;
    const float table[6][3] = {{c, x, 0}, {x, c, 0}, {0, c, x}, {0, x, c}, {x, 0, c}, {c, 0, x}};
    for (int k = 0; k < 3; k++) rgb[k] = table[sector][k];
    for (int k = 0; k < 3; k++) out[k] = to_byte((rgb[k] + m) * 255.0f);
}

/* Euclidean RGB distance. */
static float rgb_distance(const unsigned char a[3], const unsigned char b[3]) {
    float d = 0.0f;
    for (int k = 0; k < 3; k++) d += ((float)a[k] - b[k]) * ((float)a[k] - b[k]);
    return sqrtf(d);
}

/* 1 when colour c stands out from every object of s. */
static int contrasts(const vis_scene *s, const unsigned char c[3]) {
    for (int i = 0; i < s->n_objects; i++)
        if (rgb_distance(c, s->objects[i].rgb) < MIN_CONTRAST) return 0;
    return 1;
}

/* Draws the object's colour: classic (base colour, small shade variation) or a shade
 * anywhere inside its named colour's range. */
static void shade(vis_object *o, int vary, nn_rng *r) {
    if (!vary) {
        float f = vis_uniform(r, 0.9f, 1.04f);
        for (int c = 0; c < 3; c++)
            o->rgb[c] = to_byte((float)classic_rgb[o->colour][c] * f + vis_uniform(r, -8.0f, 8.0f));
        return;
    }
    const float *t = colour_hsv[o->colour];
    hsv_to_rgb(o->rgb, vis_uniform(r, t[0], t[1]), vis_uniform(r, t[2], t[3]),
               vis_uniform(r, t[4], t[5]));
}

/* A low-saturation background colour, light or dark, that stands out from every object
 * (a muted one when none is found). */
static void background_colour(unsigned char out[3], const vis_scene *s, nn_rng *r) {
    for (int k = 0; k < BG_TRIES; k++) {
        hsv_to_rgb(out, vis_uniform(r, 0.0f, 360.0f), vis_uniform(r, 0.0f, 0.25f),
                   vis_uniform(r, 0.03f, 0.98f));
        if (contrasts(s, out)) return;
    }
    memcpy(out, muted_rgb[nn_rng_below(r, N_MUTED)], 3);
}

/* The muted background with the first look's ±6 shift of its base colour. */
static void muted_colour(unsigned char out[3], nn_rng *r) {
    const unsigned char *base = muted_rgb[nn_rng_below(r, N_MUTED)];
    for (int c = 0; c < 3; c++) out[c] = (unsigned char)(base[c] + (int)nn_rng_below(r, 13) - 6);
}

void vis_look_sample(vis_scene *s, const vis_recipe *rc, nn_rng *r) {
    for (int i = 0; i < s->n_objects; i++) shade(&s->objects[i], rc->vary_geometry, r);
    vis_look *l = &s->look;
    memset(l, 0, sizeof *l);
    float u = nn_rng_uniform(r);
    l->background = u < rc->p_flat                                  ? VIS_BG_FLAT
                    : u < rc->p_flat + rc->p_gradient               ? VIS_BG_GRADIENT
                    : u < rc->p_flat + rc->p_gradient + rc->p_texture ? VIS_BG_TEXTURE
                                                                    : VIS_BG_MUTED;
    if (l->background == VIS_BG_MUTED) muted_colour(l->bg, r);
    else background_colour(l->bg, s, r);
    memcpy(l->bg2, l->bg, 3);
    float angle = vis_uniform(r, 0.0f, 6.2831853f);
    l->dir_x = cosf(angle);
    l->dir_y = sinf(angle);
    if (l->background == VIS_BG_GRADIENT) {
        background_colour(l->bg2, s, r);
    } else if (l->background == VIS_BG_TEXTURE) {
        float delta = vis_uniform(r, 4.0f, 18.0f) * (nn_rng_uniform(r) < 0.5f ? -1.0f : 1.0f);
        for (int c = 0; c < 3; c++) l->bg2[c] = to_byte((float)l->bg[c] + delta);
        l->period = vis_uniform(r, 3.0f, 12.0f) * (float)(s->width < s->height ? s->width
                                                                                : s->height) / 96.0f;
        l->checks = nn_rng_uniform(r) < 0.4f;
        int axis = (int)nn_rng_below(r, 3);  /* stripes across, down or diagonal */
        l->dir_x = axis == 1 ? 0.0f : axis == 0 ? 1.0f : 0.7071f;
        l->dir_y = axis == 0 ? 0.0f : axis == 1 ? 1.0f : 0.7071f;
    }
    if (nn_rng_uniform(r) < rc->p_noise) {
        l->noise = rc->vary_geometry ? vis_uniform(r, 1.0f, rc->noise_max) : rc->noise_max;
        l->noise_over_objects = nn_rng_uniform(r) < rc->p_noise_over_objects;
    }
    l->antialias = !(nn_rng_uniform(r) < rc->p_hard_edges);
    if (nn_rng_uniform(r) < rc->p_blur) l->blur = vis_uniform(r, 0.05f, rc->blur_max);
    if (nn_rng_uniform(r) < rc->p_jpeg)
        l->jpeg_quality = rc->jpeg_min + (int)nn_rng_below(r, (uint32_t)(rc->jpeg_max - rc->jpeg_min + 1));
}

void vis_canvas_sample(int *width, int *height, const vis_recipe *rc, uint64_t seed, int model_w,
                       int model_h) {
    nn_rng r;
    nn_rng_seed(&r, nn_seed_mix(seed, 0xca27a5));
    *width = model_w;
    *height = model_h;
    if (nn_rng_uniform(&r) < rc->p_model_canvas) return;
    /* the aspect's logarithm is uniform, so 1:2 and 2:1 are as likely */
    float aspect = expf(vis_uniform(&r, -logf(rc->aspect_max), logf(rc->aspect_max)));
    for (;;) {
        float longest = vis_uniform(&r, (float)rc->side_min, (float)rc->side_max + 1.0f);
        float w = aspect >= 1.0f ? longest : longest * aspect;
        float h = aspect >= 1.0f ? longest / aspect : longest;
        if (w >= (float)rc->side_min && h >= (float)rc->side_min) {
            *width = (int)w;
            *height = (int)h;
            return;
        }
    }
}

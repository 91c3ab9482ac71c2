/* shapes.c — the shapes world: scene sampling, placement, drawing, captions, ground truth. */
#include "vision/shapes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/rng.h"

const char *const vis_shape_names[VIS_SHAPE_COUNT] = {
    "circle", "square", "triangle", "diamond", "star", "cross"};
const char *const vis_colour_names[VIS_COLOUR_COUNT] = {
    "red", "green", "blue", "yellow", "purple", "orange", "white", "cyan"};
const char *const vis_size_names[VIS_SIZE_COUNT] = {"small", "large"};
const char *const vis_split_names[VIS_SPLIT_COUNT] = {"train", "val", "heldout"};

const vis_pair vis_heldout_pairs[VIS_HELDOUT_COUNT] = {
    {VIS_COLOUR_RED, VIS_SHAPE_STAR},       {VIS_COLOUR_GREEN, VIS_SHAPE_CROSS},
    {VIS_COLOUR_BLUE, VIS_SHAPE_TRIANGLE},  {VIS_COLOUR_YELLOW, VIS_SHAPE_DIAMOND},
    {VIS_COLOUR_PURPLE, VIS_SHAPE_CIRCLE},  {VIS_COLOUR_CYAN, VIS_SHAPE_SQUARE}};

/* Saturated object colours, far from each other and from the backgrounds. */
static const unsigned char colour_rgb[VIS_COLOUR_COUNT][3] = {
    {220, 40, 40},   /* red */
    {50, 190, 60},   /* green */
    {40, 90, 235},   /* blue */
    {245, 225, 50},  /* yellow */
    {160, 60, 210},  /* purple */
    {250, 140, 30},  /* orange */
    {245, 245, 245}, /* white */
    {50, 220, 230},  /* cyan */
};

/* Muted, darkish, low-saturation backgrounds. */
#define N_BACKGROUNDS 8
static const unsigned char background_rgb[N_BACKGROUNDS][3] = {
    {72, 76, 86}, {96, 96, 96}, {92, 88, 72}, {104, 88, 80},
    {70, 92, 92}, {90, 78, 94}, {74, 88, 74}, {120, 112, 100},
};

/* Extent of each shape in its own unit coordinates (u right, v down): umin, umax, vmin, vmax. */
static const float shape_extent[VIS_SHAPE_COUNT][4] = {
    {-1, 1, -1, 1}, {-1, 1, -1, 1}, {-1, 1, -1, 1},
    {-1, 1, -1, 1}, {-1, 1, -0.951057f, 0.951057f}, {-1, 1, -1, 1},
};

/* Five-pointed star with inner radius half the outer, scaled to span u in [-1, 1]:
 * vertex k at angle -90° + 36k, outer radius R = 1/sin 72° (even k) or R/2 (odd k),
 * shifted down by 0.1004 so that it spans v in [-0.951, 0.951]. */
static const float star_vertices[10][2] = {
    {0.000000f, -0.951057f}, {0.309017f, -0.324920f}, {1.000000f, -0.224514f},
    {0.500000f, 0.262866f},  {0.618034f, 0.951057f},  {0.000000f, 0.626137f},
    {-0.618034f, 0.951057f}, {-0.500000f, 0.262866f}, {-1.000000f, -0.224514f},
    {-0.309017f, -0.324920f}};

#define CROSS_HALF_WIDTH 0.36f    /* half the bar thickness of the cross, in unit coordinates */
#define SMALL_MIN_PX 14.0f        /* object sizes across, at a 96-pixel canvas */
#define SMALL_MAX_PX 18.0f
#define LARGE_MIN_PX 28.0f
#define LARGE_MAX_PX 34.0f
#define MARGIN_PX 6.0f            /* relation / left-to-right order margin at 96 pixels */
#define PLACE_TRIES 2048          /* placement attempts before giving up */
#define RESIZE_EVERY 32           /* attempts between re-drawing the object sizes */
#define SUPERSAMPLE 4             /* anti-aliasing: SUPERSAMPLE² samples per pixel */

int vis_split_parse(const char *s, vis_split *out, nn_error *err) {
    for (int i = 0; i < VIS_SPLIT_COUNT; i++) {
        if (s && strcmp(s, vis_split_names[i]) == 0) {
            *out = (vis_split)i;
            return 0;
        }
    }
    return nn_fail(err, "unknown split '%s' (expected train, val or heldout)", s ? s : "(null)");
}

int vis_pair_is_heldout(vis_colour colour, vis_shape shape) {
    for (int i = 0; i < VIS_HELDOUT_COUNT; i++)
        if (vis_heldout_pairs[i].colour == colour && vis_heldout_pairs[i].shape == shape) return 1;
    return 0;
}

uint64_t vis_scene_seed(uint64_t base, uint64_t index) {
    return nn_seed_mix(base, index);
}

/* Even-odd point-in-polygon test for the unit star. */
static int star_contains(float u, float v) {
    int inside = 0;
    for (int i = 0, j = 9; i < 10; j = i++) {
        float ui = star_vertices[i][0], vi = star_vertices[i][1];
        float uj = star_vertices[j][0], vj = star_vertices[j][1];
        if ((vi > v) != (vj > v) && u < (uj - ui) * (v - vi) / (vj - vi) + ui) inside = !inside;
    }
    return inside;
}

/* 1 when the unit-coordinate point (u, v) lies inside the unit shape. */
static int unit_contains(vis_shape shape, float u, float v) {
    float au = fabsf(u), av = fabsf(v);
    switch (shape) {
    case VIS_SHAPE_CIRCLE: return u * u + v * v <= 1.0f;
    case VIS_SHAPE_SQUARE: return au <= 1.0f && av <= 1.0f;
    case VIS_SHAPE_TRIANGLE: return v <= 1.0f && au <= 0.5f * (v + 1.0f);
    case VIS_SHAPE_DIAMOND: return au + av <= 1.0f;
    case VIS_SHAPE_STAR: return star_contains(u, v);
    case VIS_SHAPE_CROSS:
        return (au <= 1.0f && av <= CROSS_HALF_WIDTH) || (au <= CROSS_HALF_WIDTH && av <= 1.0f);
    default: return 0;
    }
}

int vis_object_contains(const vis_object *o, float x, float y) {
    return unit_contains(o->shape, (x - o->gx) / o->radius, (y - o->gy) / o->radius);
}

void vis_object_mask(unsigned char *mask, const vis_scene *s, int index) {
    const vis_object *o = &s->objects[index];
    memset(mask, 0, (size_t)s->width * (size_t)s->height);
    for (int y = o->y0; y < o->y1; y++)
        for (int x = o->x0; x < o->x1; x++)
            mask[(size_t)y * (size_t)s->width + (size_t)x] =
                (unsigned char)vis_object_contains(o, (float)x + 0.5f, (float)y + 0.5f);
}

void vis_object_patch_share(float *out, const vis_scene *s, int index, int patch) {
    const vis_object *o = &s->objects[index];
    int gw = s->width / patch, gh = s->height / patch;
    memset(out, 0, (size_t)gw * (size_t)gh * sizeof *out);
    float total = 0.0f;
    for (int y = o->y0; y < o->y1; y++)
        for (int x = o->x0; x < o->x1; x++) {
            int r = y / patch, c = x / patch;
            if (r >= gh || c >= gw || !vis_object_contains(o, (float)x + 0.5f, (float)y + 0.5f))
                continue;
            out[r * gw + c] += 1.0f;
            total += 1.0f;
        }
    if (total > 0.0f)
        for (int i = 0; i < gw * gh; i++) out[i] /= total;
}

vis_word_kind vis_word_classify(const char *word, int *value) {
    for (int i = 0; i < VIS_SIZE_COUNT; i++)
        if (strcmp(word, vis_size_names[i]) == 0) {
            if (value) *value = i;
            return VIS_WORD_SIZE;
        }
    for (int i = 0; i < VIS_COLOUR_COUNT; i++)
        if (strcmp(word, vis_colour_names[i]) == 0) {
            if (value) *value = i;
            return VIS_WORD_COLOUR;
        }
    for (int i = 0; i < VIS_SHAPE_COUNT; i++)
        if (strcmp(word, vis_shape_names[i]) == 0) {
            if (value) *value = i;
            return VIS_WORD_SHAPE;
        }
    return VIS_WORD_OTHER;
}

/* Uniform float in [lo, hi). */
static float uniform_in(nn_rng *r, float lo, float hi) {
    return lo + (hi - lo) * nn_rng_uniform(r);
}

/* Clamps a float to a byte. */
static unsigned char to_byte(float v) {
    if (v < 0.0f) return 0;
    if (v > 255.0f) return 255;
    return (unsigned char)lrintf(v);
}

/* Draws colour and shape for each object: none held out (train/val), or at least one held
 * out (heldout); no two objects of a scene share both colour and shape. */
static void sample_pairs(vis_object *obj, int n, vis_split split, nn_rng *r) {
    int forced = split == VIS_SPLIT_HELDOUT ? (int)nn_rng_below(r, (uint32_t)n) : -1;
    for (int i = 0; i < n; i++) {
        for (;;) {
            if (i == forced) {
                const vis_pair *p = &vis_heldout_pairs[nn_rng_below(r, VIS_HELDOUT_COUNT)];
                obj[i].colour = p->colour;
                obj[i].shape = p->shape;
            } else {
                obj[i].colour = (vis_colour)nn_rng_below(r, VIS_COLOUR_COUNT);
                obj[i].shape = (vis_shape)nn_rng_below(r, VIS_SHAPE_COUNT);
                if (split != VIS_SPLIT_HELDOUT && vis_pair_is_heldout(obj[i].colour, obj[i].shape))
                    continue;
            }
            int repeat = 0;
            for (int j = 0; j < i; j++)
                repeat |= obj[j].colour == obj[i].colour && obj[j].shape == obj[i].shape;
            if (!repeat) break;
        }
    }
}

/* Places object o at a random position for its size; 0 when its box fits the canvas. */
static int place_one(vis_object *o, int width, int height, float scale, nn_rng *r) {
    float across = o->size == VIS_SIZE_SMALL ? uniform_in(r, SMALL_MIN_PX, SMALL_MAX_PX)
                                             : uniform_in(r, LARGE_MIN_PX, LARGE_MAX_PX);
    const float *e = shape_extent[o->shape];
    o->radius = 0.5f * across * scale;
    o->gx = uniform_in(r, 1.0f - e[0] * o->radius, (float)width - 1.0f - e[1] * o->radius);
    o->gy = uniform_in(r, 1.0f - e[2] * o->radius, (float)height - 1.0f - e[3] * o->radius);
    o->x0 = (int)floorf(o->gx + e[0] * o->radius);
    o->x1 = (int)floorf(o->gx + e[1] * o->radius) + 1;
    o->y0 = (int)floorf(o->gy + e[2] * o->radius);
    o->y1 = (int)floorf(o->gy + e[3] * o->radius) + 1;
    o->cx = 0.5f * (float)(o->x0 + o->x1);
    o->cy = 0.5f * (float)(o->y0 + o->y1);
    return o->x0 >= 1 && o->y0 >= 1 && o->x1 <= width - 1 && o->y1 <= height - 1 ? 0 : -1;
}

/* 1 when boxes a and b are at least gap pixels apart along x or along y. */
static int boxes_apart(const vis_object *a, const vis_object *b, int gap) {
    return a->x1 + gap <= b->x0 || b->x1 + gap <= a->x0 ||
           a->y1 + gap <= b->y0 || b->y1 + gap <= a->y0;
}

/* 1 when the placement of all n objects is valid: boxes apart, and an unambiguous relation
 * (two objects) or left-to-right order (three objects). */
static int placement_ok(const vis_object *obj, int n, int gap, float margin) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            if (!boxes_apart(&obj[i], &obj[j], gap)) return 0;
            if (n == 3 && fabsf(obj[i].cx - obj[j].cx) < margin) return 0;
        }
    if (n == 2) {
        float dx = fabsf(obj[0].cx - obj[1].cx), dy = fabsf(obj[0].cy - obj[1].cy);
        if (fabsf(dx - dy) < margin) return 0;
    }
    return 1;
}

/* Chooses sizes and positions by bounded rejection sampling; sizes are re-drawn every
 * RESIZE_EVERY attempts and the last attempts use small objects only. */
static int place_all(vis_object *obj, int n, int width, int height, nn_rng *r, nn_error *err) {
    float scale = (float)(width < height ? width : height) / (float)VIS_DEFAULT_SIDE;
    int gap = (int)lrintf(VIS_MIN_GAP_PX * scale);
    if (gap < VIS_MIN_GAP_PX) gap = VIS_MIN_GAP_PX;
    float margin = MARGIN_PX * scale;
    for (int attempt = 0; attempt < PLACE_TRIES; attempt++) {
        if (attempt % RESIZE_EVERY == 0)
            for (int i = 0; i < n; i++)
                obj[i].size = attempt >= PLACE_TRIES / 2
                                  ? VIS_SIZE_SMALL
                                  : (vis_size)nn_rng_below(r, VIS_SIZE_COUNT);
        int fits = 1;
        for (int i = 0; i < n && fits; i++) fits = place_one(&obj[i], width, height, scale, r) == 0;
        if (fits && placement_ok(obj, n, gap, margin)) return 0;
    }
    return nn_fail(err, "shapes: could not place %d objects on a %dx%d canvas", n, width, height);
}

/* Fills the canvas with a muted background colour plus light per-pixel noise (±6). */
static void draw_background(unsigned char *rgb, size_t n_pixels, nn_rng *r) {
    const unsigned char *base = background_rgb[nn_rng_below(r, N_BACKGROUNDS)];
    int bg[3];
    for (int c = 0; c < 3; c++) bg[c] = base[c] + (int)nn_rng_below(r, 13) - 6;
    for (size_t p = 0; p < n_pixels; p++) {
        uint32_t bits = nn_rng_u32(r);
        for (int c = 0; c < 3; c++) {
            int noise = (int)((((bits >> (8 * c)) & 0xFFu) * 13u) >> 8) - 6;
            rgb[3 * p + (size_t)c] = (unsigned char)(bg[c] + noise);
        }
    }
}

/* Picks the object's drawn colour: its base colour with a small random shade variation. */
static void shade_object(vis_object *o, nn_rng *r) {
    float f = uniform_in(r, 0.9f, 1.04f);
    for (int c = 0; c < 3; c++)
        o->rgb[c] = to_byte((float)colour_rgb[o->colour][c] * f + uniform_in(r, -8.0f, 8.0f));
}

/* Blends the object into the canvas with SUPERSAMPLE² samples per pixel of its box. */
static void draw_object(unsigned char *rgb, int width, const vis_object *o) {
    const float step = 1.0f / SUPERSAMPLE, inv_r = 1.0f / o->radius;
    const float total = (float)(SUPERSAMPLE * SUPERSAMPLE);
    for (int y = o->y0; y < o->y1; y++)
        for (int x = o->x0; x < o->x1; x++) {
            int hits = 0;
            for (int j = 0; j < SUPERSAMPLE; j++) {
                float v = ((float)y + (j + 0.5f) * step - o->gy) * inv_r;
                for (int i = 0; i < SUPERSAMPLE; i++) {
                    float u = ((float)x + (i + 0.5f) * step - o->gx) * inv_r;
                    hits += unit_contains(o->shape, u, v);
                }
            }
            if (hits == 0) continue;
            float a = (float)hits / total;
            unsigned char *px = rgb + 3 * ((size_t)y * (size_t)width + (size_t)x);
            for (int c = 0; c < 3; c++)
                px[c] = to_byte((1.0f - a) * (float)px[c] + a * (float)o->rgb[c]);
        }
}

/* Appends one word with its grounding to caption c. */
static void add_word(vis_caption *c, const char *word, int object, vis_word_kind kind) {
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof c->text - len, "%s%s", len ? " " : "", word);
    c->object[c->n_words] = object;
    c->kind[c->n_words] = kind;
    c->n_words++;
}

/* Appends "a <size> <colour> <shape>" for object index i. */
static void add_phrase(vis_caption *c, const vis_object *obj, int i) {
    add_word(c, "a", -1, VIS_WORD_OTHER);
    add_word(c, vis_size_names[obj[i].size], i, VIS_WORD_SIZE);
    add_word(c, vis_colour_names[obj[i].colour], i, VIS_WORD_COLOUR);
    add_word(c, vis_shape_names[obj[i].shape], i, VIS_WORD_SHAPE);
}

/* Appends the relation of object a to object b ("left of", "right of", "above", "below"). */
static void add_relation(vis_caption *c, const vis_object *a, const vis_object *b) {
    float dx = a->cx - b->cx, dy = a->cy - b->cy;
    if (fabsf(dx) > fabsf(dy)) {
        add_word(c, dx < 0 ? "left" : "right", -1, VIS_WORD_OTHER);
        add_word(c, "of", -1, VIS_WORD_OTHER);
    } else {
        add_word(c, dy < 0 ? "above" : "below", -1, VIS_WORD_OTHER);
    }
}

/* Writes the captions of scene s (objects already placed and, for three, sorted by x). */
static void write_captions(vis_scene *s) {
    memset(s->captions, 0, sizeof s->captions);
    const vis_object *o = s->objects;
    if (s->n_objects == 1) {
        s->n_captions = 1;
        add_phrase(&s->captions[0], o, 0);
    } else if (s->n_objects == 2) {
        s->n_captions = 2;
        for (int k = 0; k < 2; k++) {
            add_phrase(&s->captions[k], o, k);
            add_relation(&s->captions[k], &o[k], &o[1 - k]);
            add_phrase(&s->captions[k], o, 1 - k);
        }
    } else {
        s->n_captions = 1;
        add_phrase(&s->captions[0], o, 0);
        add_word(&s->captions[0], ",", -1, VIS_WORD_OTHER);
        add_phrase(&s->captions[0], o, 1);
        add_word(&s->captions[0], "and", -1, VIS_WORD_OTHER);
        add_phrase(&s->captions[0], o, 2);
    }
}

/* Sorts three objects left to right by centre x. */
static void sort_by_x(vis_object *obj, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && obj[j].cx < obj[j - 1].cx; j--) {
            vis_object t = obj[j];
            obj[j] = obj[j - 1];
            obj[j - 1] = t;
        }
}

int vis_scene_generate(vis_scene *s, uint64_t seed, vis_split split, int width, int height,
                       int n_objects, nn_error *err) {
    if (width < VIS_MIN_SIDE || height < VIS_MIN_SIDE || width > VIS_MAX_SIDE ||
        height > VIS_MAX_SIDE)
        return nn_fail(err, "shapes: canvas %dx%d outside %d..%d per side", width, height,
                       VIS_MIN_SIDE, VIS_MAX_SIDE);
    if (n_objects < 0 || n_objects > VIS_MAX_OBJECTS)
        return nn_fail(err, "shapes: object count %d outside 0..%d", n_objects, VIS_MAX_OBJECTS);
    if ((int)split < 0 || split >= VIS_SPLIT_COUNT)
        return nn_fail(err, "shapes: unknown split %d", (int)split);
    size_t n_pixels = (size_t)width * (size_t)height, need = 3 * n_pixels;
    if (s->rgb_cap < need) {
        unsigned char *buf = malloc(need);
        if (!buf) return nn_fail(err, "shapes: out of memory for a %dx%d canvas", width, height);
        free(s->rgb);
        s->rgb = buf;
        s->rgb_cap = need;
    }
    s->width = width;
    s->height = height;
    s->split = split;
    s->seed = seed;
    memset(s->objects, 0, sizeof s->objects);

    nn_rng r;
    nn_rng_seed(&r, seed);
    int n = n_objects ? n_objects : 1 + (int)nn_rng_below(&r, VIS_MAX_OBJECTS);
    s->n_objects = n;
    sample_pairs(s->objects, n, split, &r);
    if (place_all(s->objects, n, width, height, &r, err) != 0) return -1;
    if (n == 3) sort_by_x(s->objects, n);
    for (int i = 0; i < n; i++) shade_object(&s->objects[i], &r);
    draw_background(s->rgb, n_pixels, &r);
    for (int i = 0; i < n; i++) draw_object(s->rgb, width, &s->objects[i]);
    write_captions(s);
    return 0;
}

void vis_scene_free(vis_scene *s) {
    if (!s) return;
    free(s->rgb);
    memset(s, 0, sizeof *s);
}

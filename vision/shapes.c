/* shapes.c — the shapes world: scene sampling, placement, captions and ground truth (the
 * outlines are in shapes_geometry.c, the look in shapes_look.c, drawing in shapes_render.c). */
#include "vision/shapes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/shapes_parts.h"

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

#define SMALL_MIN_PX 14.0f        /* object sizes across, at a 96-pixel canvas */
#define SMALL_MAX_PX 18.0f
#define LARGE_MIN_PX 28.0f
#define LARGE_MAX_PX 34.0f
#define MARGIN_PX 6.0f            /* relation / left-to-right order margin at 96 pixels */
#define PLACE_TRIES 2048          /* placement attempts before giving up */
#define RESIZE_EVERY 32           /* attempts between re-drawing the object sizes */

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

int vis_object_contains(const vis_object *o, float x, float y) {
    if (o->n_vertices == 0) {
        float dx = x - o->gx, dy = y - o->gy;
        return dx * dx + dy * dy <= o->radius * o->radius;
    }
    return vis_polygon_contains((const float (*)[2])o->vertices, o->n_vertices, x, y);
}

void vis_object_mask(unsigned char *mask, const vis_scene *s, int index) {
    const vis_object *o = &s->objects[index];
    memset(mask, 0, (size_t)s->width * (size_t)s->height);
    for (int y = o->y0; y < o->y1; y++)
        for (int x = o->x0; x < o->x1; x++)
            mask[(size_t)y * (size_t)s->width + (size_t)x] =
                (unsigned char)vis_object_contains(o, (float)x + 0.5f, (float)y + 0.5f);
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

/* Gives object o an outline (varied when vary is 1) and a random position for its size: the
 * longer side of its box is the size drawn from the size's range; 0 when the box fits. */
static int place_one(vis_object *o, int width, int height, float scale, int vary, nn_rng *r) {
    float across = scale * (o->size == VIS_SIZE_SMALL ? vis_uniform(r, SMALL_MIN_PX, SMALL_MAX_PX)
                                                      : vis_uniform(r, LARGE_MIN_PX, LARGE_MAX_PX));
    float unit[VIS_MAX_VERTICES][2];
    int n = vis_shape_outline(unit, o->shape, vary, r);
    float umin = -1, umax = 1, vmin = -1, vmax = 1;
    for (int k = 0; k < n; k++) {
        if (k == 0) umin = umax = unit[0][0], vmin = vmax = unit[0][1];
        umin = fminf(umin, unit[k][0]), umax = fmaxf(umax, unit[k][0]);
        vmin = fminf(vmin, unit[k][1]), vmax = fmaxf(vmax, unit[k][1]);
    }
    float k = across / fmaxf(umax - umin, vmax - vmin), bw = k * (umax - umin), bh = k * (vmax - vmin);
    float bx = vis_uniform(r, 1.0f, (float)width - 1.0f - bw);
    float by = vis_uniform(r, 1.0f, (float)height - 1.0f - bh);
    o->n_vertices = n;
    for (int j = 0; j < n; j++) {
        o->vertices[j][0] = bx + k * (unit[j][0] - umin);
        o->vertices[j][1] = by + k * (unit[j][1] - vmin);
    }
    o->gx = bx + 0.5f * bw;
    o->gy = by + 0.5f * bh;
    o->radius = 0.5f * fmaxf(bw, bh);
    o->x0 = (int)floorf(bx);
    o->x1 = (int)floorf(bx + bw) + 1;
    o->y0 = (int)floorf(by);
    o->y1 = (int)floorf(by + bh) + 1;
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
static int place_all(vis_object *obj, int n, int width, int height, int vary, nn_rng *r,
                     nn_error *err) {
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
        for (int i = 0; i < n && fits; i++) fits = place_one(&obj[i], width, height, scale, vary, r) == 0;
        if (fits && placement_ok(obj, n, gap, margin)) return 0;
    }
    return nn_fail(err, "shapes: could not place %d objects on a %dx%d canvas", n, width, height);
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
    return vis_scene_generate_with(s, seed, split, width, height, n_objects, NULL, 1, err);
}

int vis_scene_generate_with(vis_scene *s, uint64_t seed, vis_split split, int width, int height,
                            int n_objects, const vis_recipe *recipe, int draw, nn_error *err) {
    if (width < VIS_MIN_SIDE || height < VIS_MIN_SIDE || width > VIS_MAX_SIDE ||
        height > VIS_MAX_SIDE)
        return nn_fail(err, "shapes: canvas %dx%d outside %d..%d per side", width, height,
                       VIS_MIN_SIDE, VIS_MAX_SIDE);
    if (n_objects < 0 || n_objects > VIS_MAX_OBJECTS)
        return nn_fail(err, "shapes: object count %d outside 0..%d", n_objects, VIS_MAX_OBJECTS);
    if ((int)split < 0 || split >= VIS_SPLIT_COUNT)
        return nn_fail(err, "shapes: unknown split %d", (int)split);
    vis_recipe fallback = vis_recipe_default();
    if (!recipe) recipe = &fallback;
    size_t n_pixels = (size_t)width * (size_t)height, need = 3 * n_pixels;
    if (draw && s->rgb_cap < need) {
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
    if (place_all(s->objects, n, width, height, recipe->vary_geometry, &r, err) != 0) return -1;
    if (n == 3) sort_by_x(s->objects, n);
    vis_look_sample(s, recipe, &r);
    write_captions(s);
    if (!draw) return 0;
    vis_fit identity = vis_fit_make(width, height, width, height, 0, NULL);
    return vis_scene_render(s->rgb, width, height, s, &identity, err);
}

int vis_scene_generate_on_canvas(vis_scene *s, uint64_t seed, vis_split split, int model_w,
                                 int model_h, int n_objects, nn_error *err) {
    vis_recipe recipe = vis_recipe_default();
    int w, h;
    vis_canvas_sample(&w, &h, &recipe, seed, model_w, model_h);
    return vis_scene_generate_with(s, seed, split, w, h, n_objects, &recipe, 1, err);
}

void vis_scene_free(vis_scene *s) {
    if (!s) return;
    free(s->rgb);
    memset(s, 0, sizeof *s);
}

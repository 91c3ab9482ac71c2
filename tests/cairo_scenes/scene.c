/* scene.c — choosing a scene's objects, their geometry and places, and its captions. */
#include "scene.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PI 3.14159265358979323846
#define PLACE_TRIES 2000

const char *const cs_shape_names[CS_SHAPE_COUNT] = {
    "circle", "square", "triangle", "diamond", "star", "cross",
};

int cs_pair_heldout(cs_colour c, cs_shape s) {
    return (c == CS_RED && s == CS_STAR) || (c == CS_GREEN && s == CS_CROSS) ||
           (c == CS_BLUE && s == CS_TRIANGLE) || (c == CS_YELLOW && s == CS_DIAMOND) ||
           (c == CS_PURPLE && s == CS_CIRCLE) || (c == CS_CYAN && s == CS_SQUARE);
}

/* 1 when an object other than k already has this colour and shape. */
static int pair_taken(const cs_scene *s, int k, cs_colour c, cs_shape sh) {
    for (int j = 0; j < s->n_objects; j++)
        if (j != k && s->obj[j].colour == c && s->obj[j].shape == sh) return 1;
    return 0;
}

/* Unit outline of o's shape (y down, about the origin) with a random proportion and
 * rotation inside the shape's meaning; returns the vertex count (0 for a circle). */
static int unit_outline(cs_object *o, double *x, double *y, cs_rng *r) {
    int n = 0;
    o->proportion = 1.0;
    switch (o->shape) {
    case CS_CIRCLE:
        o->rotation = cs_rng_range(r, 0, 360);
        return 0;
    case CS_SQUARE: {
        static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
        for (n = 0; n < 4; n++) x[n] = sx[n], y[n] = sy[n];
        o->rotation = cs_rng_range(r, -10, 10);
        break;
    }
    case CS_TRIANGLE: {  /* one point up, base down; height/base 0.8–1.0 */
        double q = cs_rng_mid(r, 0.8, 1.0);
        x[0] = 0, y[0] = -q, x[1] = 1, y[1] = q, x[2] = -1, y[2] = q;
        n = 3;
        o->proportion = q;
        o->rotation = cs_rng_range(r, -10, 10);
        break;
    }
    case CS_DIAMOND: {  /* a square on a corner, or a rhombus taller than wide */
        double q = cs_rng_unit(r) < 0.4 ? 1.0 : cs_rng_mid(r, 1.15, 1.5);
        x[0] = 0, y[0] = -q, x[1] = 1, y[1] = 0, x[2] = 0, y[2] = q, x[3] = -1, y[3] = 0;
        n = 4;
        o->proportion = q;
        o->rotation = cs_rng_range(r, -10, 10);
        break;
    }
    case CS_STAR: {  /* five points, one up; inner/outer radius 0.38–0.55 */
        double q = cs_rng_mid(r, 0.38, 0.55);
        for (n = 0; n < 10; n++) {
            double a = (-90.0 + 36.0 * n) * PI / 180.0, rad = n % 2 ? q : 1.0;
            x[n] = rad * cos(a), y[n] = rad * sin(a);
        }
        o->proportion = q;
        o->rotation = 72.0 * cs_rng_int(r, 5) + cs_rng_range(r, -10, 10);
        break;
    }
    case CS_CROSS: {  /* a plus sign; arm thickness 0.3–0.5 of the cross's length */
        double q = cs_rng_mid(r, 0.3, 0.5), a = q;  /* half-thickness over half-length */
        const double px[12] = {-a, a, a, 1, 1, a, a, -a, -a, -1, -1, -a};
        const double py[12] = {-1, -1, -a, -a, a, a, 1, 1, a, a, -a, -a};
        for (n = 0; n < 12; n++) x[n] = px[n], y[n] = py[n];
        o->proportion = q;
        o->rotation = cs_rng_range(r, -10, 10);
        break;
    }
    default:
        break;
    }
    return n;
}

/* Gives o its outline scaled so the longer side of its axis-aligned box is size pixels,
 * with vertices relative to the box centre. */
static void shape_geometry(cs_object *o, double size, cs_rng *r) {
    double x[CS_MAX_VERTS], y[CS_MAX_VERTS];
    int n = unit_outline(o, x, y, r);
    o->n_verts = n;
    if (n == 0) {
        o->radius = size / 2;
        o->bw = o->bh = size;
        return;
    }
    double a = o->rotation * PI / 180.0, c = cos(a), s = sin(a);
    double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
    for (int i = 0; i < n; i++) {
        double rx = x[i] * c - y[i] * s, ry = x[i] * s + y[i] * c;
        x[i] = rx, y[i] = ry;
        x0 = fmin(x0, rx), x1 = fmax(x1, rx), y0 = fmin(y0, ry), y1 = fmax(y1, ry);
    }
    double scale = size / fmax(x1 - x0, y1 - y0), mx = 0.5 * (x0 + x1), my = 0.5 * (y0 + y1);
    for (int i = 0; i < n; i++) {
        o->vx[i] = (x[i] - mx) * scale;
        o->vy[i] = (y[i] - my) * scale;
    }
    o->bw = (x1 - x0) * scale;
    o->bh = (y1 - y0) * scale;
}

void cs_scene_recolour(cs_scene *s, int k, cs_rng *r) {
    cs_object *o = &s->obj[k];
    cs_colour c;
    do c = (cs_colour)cs_rng_int(r, CS_COLOUR_COUNT);
    while (pair_taken(s, k, c, o->shape));
    o->colour = c;
    cs_colour_shade(o->rgb, c, r);
}

/* 1 when objects a and b obey the pairwise rules at scale k: boxes at least 3k apart and,
 * for three objects, centres at least 8k apart in x. */
static int pair_ok(const cs_object *a, const cs_object *b, double k, int n) {
    double dx = fabs(a->cx - b->cx), dy = fabs(a->cy - b->cy);
    double gap = fmax(dx - 0.5 * (a->bw + b->bw), dy - 0.5 * (a->bh + b->bh));
    if (gap < 3 * k) return 0;
    if (n == 2 && fabs(dx - dy) < 8 * k) return 0;  /* the relation must be unambiguous */
    if (n == 3 && dx < 8 * k) return 0;             /* left-to-right order must be clear */
    return 1;
}

/* Random box centres inside the canvas with the margin, until every pair is fine. */
static int place(cs_scene *s, cs_rng *r, double k) {
    double margin = fmax(1.0, k);
    for (int t = 0; t < PLACE_TRIES; t++) {
        int ok = 1;
        for (int i = 0; i < s->n_objects && ok; i++) {
            cs_object *o = &s->obj[i];
            double xl = margin + 0.5 * o->bw, xh = s->width - margin - 0.5 * o->bw;
            double yl = margin + 0.5 * o->bh, yh = s->height - margin - 0.5 * o->bh;
            if (xl > xh || yl > yh) return -1;
            o->cx = cs_rng_range(r, xl, xh);
            o->cy = cs_rng_range(r, yl, yh);
            for (int j = 0; j < i && ok; j++) ok = pair_ok(o, &s->obj[j], k, s->n_objects);
        }
        if (ok) return 0;
    }
    return -1;
}

int cs_scene_layout(cs_scene *s, cs_rng *r, int width, int height, int n_objects) {
    memset(s, 0, sizeof *s);
    s->width = width;
    s->height = height;
    int n = n_objects >= 1 && n_objects <= CS_MAX_OBJECTS ? n_objects : 1 + cs_rng_int(r, 3);
    double k = fmin(width, height) / 96.0;
    for (int i = 0; i < n; i++) {
        cs_object *o = &s->obj[i];
        do {
            o->shape = (cs_shape)cs_rng_int(r, CS_SHAPE_COUNT);
            o->colour = (cs_colour)cs_rng_int(r, CS_COLOUR_COUNT);
        } while (pair_taken(s, -1, o->colour, o->shape));
        s->n_objects = i + 1;
        cs_colour_shade(o->rgb, o->colour, r);
        o->large = cs_rng_int(r, 2);
        double size = o->large ? cs_rng_range(r, 28, 34) : cs_rng_range(r, 14, 18);
        shape_geometry(o, size * k, r);
    }
    return place(s, r, k);
}

/* Appends one word, its object and its kind to c. */
static void add_word(cs_caption *c, const char *word, int object, int kind) {
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof c->text - len, "%s%s", len ? " " : "", word);
    c->object[c->n_words] = object;
    c->kind[c->n_words] = kind;
    c->n_words++;
}

/* Appends "a SIZE COLOUR SHAPE" for object k. */
static void add_object(cs_caption *c, const cs_scene *s, int k) {
    const cs_object *o = &s->obj[k];
    add_word(c, "a", -1, 0);
    add_word(c, o->large ? "large" : "small", k, 1);
    add_word(c, cs_colour_names[o->colour], k, 2);
    add_word(c, cs_shape_names[o->shape], k, 3);
}

/* Appends "A <relation> B": left of / right of when |dx| > |dy| between box centres,
 * else above / below (y grows downward). */
static void add_relation(cs_caption *c, const cs_scene *s, int a, int b) {
    double dx = s->obj[a].cx - s->obj[b].cx, dy = s->obj[a].cy - s->obj[b].cy;
    add_object(c, s, a);
    if (fabs(dx) > fabs(dy)) {
        add_word(c, dx < 0 ? "left" : "right", -1, 0);
        add_word(c, "of", -1, 0);
    } else {
        add_word(c, dy < 0 ? "above" : "below", -1, 0);
    }
    add_object(c, s, b);
}

void cs_scene_captions(cs_scene *s, cs_rng *r) {
    memset(s->cap, 0, sizeof s->cap);
    s->heldout = 0;
    for (int i = 0; i < s->n_objects; i++)
        s->heldout |= cs_pair_heldout(s->obj[i].colour, s->obj[i].shape);
    if (s->n_objects == 1) {
        s->n_captions = 1;
        add_object(&s->cap[0], s, 0);
    } else if (s->n_objects == 2) {
        int a = cs_rng_int(r, 2);  /* which object the first reference starts with */
        s->n_captions = 2;
        add_relation(&s->cap[0], s, a, 1 - a);
        add_relation(&s->cap[1], s, 1 - a, a);
    } else {
        int order[CS_MAX_OBJECTS] = {0, 1, 2};
        for (int i = 1; i < 3; i++)  /* insertion sort by centre x: left to right */
            for (int j = i; j > 0 && s->obj[order[j]].cx < s->obj[order[j - 1]].cx; j--) {
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        s->n_captions = 1;
        add_object(&s->cap[0], s, order[0]);
        add_word(&s->cap[0], ",", -1, 0);
        add_object(&s->cap[0], s, order[1]);
        add_word(&s->cap[0], "and", -1, 0);
        add_object(&s->cap[0], s, order[2]);
    }
}

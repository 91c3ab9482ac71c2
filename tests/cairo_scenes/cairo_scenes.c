/* cairo_scenes.c — xcap-cairo-scenes: an independent renderer of the shapes-world grammar.
 *
 * It draws scenes with cairo from the grammar alone (docs/cairo-scenes.md), shares no code
 * with xcap and links none of its libraries, so the model's score on these pictures
 * measures whether it learned shapes rather than its own renderer's pixels. Used only to
 * measure, never to train. Output: the layout `xcap scenes` writes, read by
 * `xcap eval --data DIR/captions.json`. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "render.h"
#include "rng.h"
#include "scene.h"
#include "style.h"

#define PROG "xcap-cairo-scenes"
#define MAX_COUNT 1000000
#define MIN_SIDE 32
#define MAX_SIDE 2048
#define MIN_DISTANCE 110.0   /* RGB distance of an object's colour from the background */
#define LAYOUT_TRIES 1000
#define BACKGROUND_TRIES 60
#define RECOLOUR_EVERY 15    /* failed backgrounds before the offending object is recoloured */

static const char usage[] =
    "usage: " PROG " --count N --seed S --out DIR [--objects 0|1|2|3]\n"
    "       [--style mixed|plain|flat|noisy|gradient|texture|light|dark] [--size WxH]\n"
    "       [--force] [--help]\n"
    "\n"
    "Draws N shapes-world scenes with cairo, independently of xcap's own renderer, to\n"
    "DIR/images/scene_000000.png (or .jpg) ... and DIR/captions.json in the layout\n"
    "`xcap scenes` writes (COCO captions with boxes, masks and word groundings), plus per\n"
    "image \"heldout\" and \"render\" (background, noise, antialias, outline, format).\n"
    "For measuring only: `xcap eval --data DIR/captions.json`.\n"
    "\n"
    "  --count N     number of scenes (1..1000000)\n"
    "  --seed S      base seed (0..2^64-1); scene i depends only on (S, i)\n"
    "  --out DIR     output folder, created if missing\n"
    "  --objects K   objects per scene, 1..3; 0 = random 1..3 (default 0)\n"
    "  --style NAME  mixed: canvas, background, edges and format all random (default);\n"
    "                plain: 96x96, flat background, antialiased PNG, no outline;\n"
    "                flat|noisy|gradient|texture|light|dark: that background family,\n"
    "                everything else random\n"
    "  --size WxH    fixed canvas (each side 32..2048; default: random per scene)\n"
    "  --force       replace an existing non-empty DIR/captions.json\n"
    "  -h, --help    show this help\n"
    "\n"
    "Images whose scene holds a held-out colour-shape pair (red star, green cross, blue\n"
    "triangle, yellow diamond, purple circle, cyan square) get \"split\": \"heldout\", the\n"
    "others \"val\", so `xcap eval --data F --split heldout` scores them apart.\n"
    "Exit status: 0 done, 1 failure, 2 bad usage.\n";

typedef struct {
    size_t count;
    uint64_t seed;
    const char *out;
    int objects;
    cs_style_mode style;
    int width, height;  /* 0: random canvas */
    int force;
    int have_count, have_seed;
} options;

/* Prints a one-line usage error and exits 2. */
static void bad_usage(const char *msg, const char *arg) {
    fprintf(stderr, PROG ": %s%s%s (see --help)\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

/* Parses a whole decimal unsigned number into *v; -1 when it is not one or too big. */
static int parse_u64(const char *s, uint64_t *v) {
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return -1;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno == ERANGE) return -1;
    *v = (uint64_t)x;
    return 0;
}

/* Parses "WxH" with both sides in MIN_SIDE..MAX_SIDE; -1 otherwise. */
static int parse_size(const char *s, int *w, int *h) {
    char extra;
    unsigned a, b;
    if (!s || sscanf(s, "%u%*[xX]%u%c", &a, &b, &extra) != 2) return -1;
    if (a < MIN_SIDE || a > MAX_SIDE || b < MIN_SIDE || b > MAX_SIDE) return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

/* Fills o from argv; exits 0 after --help and 2 on anything wrong. */
static void parse_args(options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->style = CS_STYLE_MIXED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!strcmp(a, "--force")) {
            o->force = 1;
            continue;
        }
        int takes = !strcmp(a, "--count") || !strcmp(a, "--seed") || !strcmp(a, "--out") ||
                    !strcmp(a, "--objects") || !strcmp(a, "--style") || !strcmp(a, "--size");
        if (!takes) bad_usage("unknown option", a);
        if (i + 1 >= argc) bad_usage("missing value after", a);
        const char *v = argv[++i];
        uint64_t n;
        if (!strcmp(a, "--count")) {
            if (parse_u64(v, &n) != 0 || n < 1 || n > MAX_COUNT)
                bad_usage("--count must be an integer in 1..1000000, not", v);
            o->count = (size_t)n;
            o->have_count = 1;
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(v, &o->seed) != 0)
                bad_usage("--seed must be an integer in 0..18446744073709551615, not", v);
            o->have_seed = 1;
        } else if (!strcmp(a, "--out")) {
            if (!*v) bad_usage("--out is empty", NULL);
            o->out = v;
        } else if (!strcmp(a, "--objects")) {
            if (parse_u64(v, &n) != 0 || n > 3) bad_usage("--objects must be 0, 1, 2 or 3, not", v);
            o->objects = (int)n;
        } else if (!strcmp(a, "--style")) {
            int m = cs_style_mode_parse(v);
            if (m < 0) bad_usage("unknown --style", v);
            o->style = (cs_style_mode)m;
        } else if (parse_size(v, &o->width, &o->height) != 0) {
            bad_usage("--size must be WxH with each side in 32..2048, not", v);
        }
    }
    if (!o->have_count) bad_usage("--count is required", NULL);
    if (!o->have_seed) bad_usage("--seed is required", NULL);
    if (!o->out) bad_usage("--out is required", NULL);
}

/* Lays out scene s and chooses its style st from scene seed ss: canvas, edges and background
 * family first, then objects and places, then backgrounds of that family until every object
 * stands out (recolouring an object that does not after a few, e.g. white on paper). */
static int make_scene(cs_scene *s, cs_style *st, uint64_t ss, const options *o, cs_rng *r,
                      char *err, size_t cap) {
    int w = o->width, h = o->height;
    *r = cs_rng_make(ss);
    if (!w) cs_style_canvas(o->style, r, &w, &h);
    double k = fmin(w, h) / 96.0;
    memset(st, 0, sizeof *st);
    cs_style_edges(st, o->style, r, k);
    cs_background family = cs_style_family(o->style, r);
    for (int t = 0; t < LAYOUT_TRIES; t++) {
        if (cs_scene_layout(s, r, w, h, o->objects) != 0) continue;
        for (int b = 0; b < BACKGROUND_TRIES; b++) {
            int bad;
            double mean[3];
            cs_style_background(st, family, r, k);
            if (cs_render_check(s, st, MIN_DISTANCE, &bad, mean, err, cap) != 0) return -1;
            if (bad < 0) {
                cs_scene_captions(s, r);
                return 0;
            }
            if (b % RECOLOUR_EVERY == RECOLOUR_EVERY - 1) cs_scene_recolour(s, bad, r);
        }
    }
    snprintf(err, cap, "scene seed %" PRIu64 ": no layout fits a %dx%d canvas", ss, w, h);
    return -1;
}

int main(int argc, char **argv) {
    options o;
    parse_args(&o, argc, argv);
    char err[512];
    cs_run_info info = {o.seed, o.count, o.objects, cs_style_mode_names[o.style], o.width,
                        o.height};
    cs_output out;
    if (cs_output_open(&out, o.out, o.force, &info, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    size_t heldout = 0;
    for (size_t i = 0; i < o.count; i++) {
        uint64_t ss = cs_mix(o.seed, (uint64_t)i);
        cs_scene s;
        cs_style st;
        cs_rng r;
        cs_picture pic;
        int rc = make_scene(&s, &st, ss, &o, &r, err, sizeof err);
        if (rc == 0) rc = cs_picture_alloc(&pic, s.width, s.height, err, sizeof err);
        if (rc == 0) {
            rc = cs_render_scene(&pic, &s, &st, &r, err, sizeof err);
            if (rc == 0) rc = cs_output_scene(&out, i, ss, &s, &st, &pic, err, sizeof err);
            cs_picture_free(&pic);
        }
        if (rc != 0) {
            cs_output_abort(&out);
            fprintf(stderr, PROG ": %s\n", err);
            return 1;
        }
        heldout += (size_t)s.heldout;
    }
    if (cs_output_close(&out, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    fprintf(stderr, PROG ": wrote %zu scenes (%zu with a held-out pair) to %s\n", o.count,
            heldout, o.out);
    return 0;
}

/* test_alignment.c — the pointing metric on hand-made maps, word → object matching on
 * hand-built scenes, the shuffled-grid control, a run of the tiny random model over real
 * scenes and over the same scenes exported to disk, and the grounding check of the shipped
 * model (thresholds below). */
#include "model/alignment.h"
#include "model/model.h"
#include "tests/util/check.h"
#include "text/dataset.h"
#include "vision/shapes_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shipped model's grounding check (issue 6 point 4): on 200 val scenes (seed 1) the default
 * map (the model's align_heads) must point at the named object for >= 90% of the size, colour
 * and shape words each, and at >= 5x the uniform baseline. The shipped model measures 1.000 for
 * every kind against a baseline of about 0.12 (`xcap align --count 200`, README). */
#define SHIPPED_MODEL "models/shapes-S.safetensors"
#define SHIPPED_SCENES 200
#define SHIPPED_SEED 1
#define SHIPPED_MIN_POINTING 0.90       /* every kind */
#define SHIPPED_MIN_OVER_BASELINE 5.0   /* every kind */
#define SHUFFLED_MAX_OVER_BASELINE 2.0  /* the control must fall to within 2x the baseline */
#define SHUFFLE_SEED 7

/* A gw*gh map that is 1 at patch `at` and 0 elsewhere. */
static float *one_hot(size_t gw, size_t gh, size_t at) {
    float *m = calloc(gw * gh, sizeof *m);
    assert_non_null(m);
    m[at] = 1.0f;
    return m;
}

/* One-hot at a patch whose centre is inside the box is a hit with all the mass; elsewhere a
 * miss with none. 96x96, 12x12 grid (8 px patches), box [16,32)x[16,32) grown to [12,36]. */
static void test_one_hot_hit_and_miss(void **state) {
    (void)state;
    vis_rect box = {16, 16, 32, 32};
    xcap_point p;
    nn_error err;
    float *in = one_hot(12, 12, 2 * 12 + 2);  /* centre (20, 20) */
    assert_int_equal(xcap_point_score(&p, in, 12, 12, &box, 96, 96, &err), 0);
    assert_int_equal(p.hit, 1);
    assert_int_equal(p.argmax, 26);
    check_close((float[]){(float)p.mass}, (float[]){1.0f}, 1, 1e-6, 0);
    free(in);
    /* centre (36, 36) sits exactly on the grown edge: still a hit */
    in = one_hot(12, 12, 4 * 12 + 4);
    assert_int_equal(xcap_point_score(&p, in, 12, 12, &box, 96, 96, &err), 0);
    assert_int_equal(p.hit, 1);
    free(in);
    /* centre (44, 20): outside */
    in = one_hot(12, 12, 2 * 12 + 5);
    assert_int_equal(xcap_point_score(&p, in, 12, 12, &box, 96, 96, &err), 0);
    assert_int_equal(p.hit, 0);
    check_close((float[]){(float)p.mass}, (float[]){0.0f}, 1, 1e-6, 0);
    free(in);
}

/* Mass is the sum over the in-box patches; a uniform map's mass equals the baseline; the
 * baseline counts the patches whose centres lie in the grown box. */
static void test_mass_and_baseline(void **state) {
    (void)state;
    nn_error err;
    xcap_point p;
    /* 96x96, 12x12: box [16,32)^2 -> centres 12,20,28,36 in each axis -> 16 of 144 */
    vis_rect box = {16, 16, 32, 32};
    float uni[144];
    for (int i = 0; i < 144; i++) uni[i] = 1.0f / 144;
    assert_int_equal(xcap_point_score(&p, uni, 12, 12, &box, 96, 96, &err), 0);
    check_close((float[]){(float)p.baseline}, (float[]){16.0f / 144}, 1, 1e-9, 0);
    check_close((float[]){(float)p.mass}, (float[]){16.0f / 144}, 1, 1e-6, 0);
    /* split mass: 0.3 inside (two patches), 0.7 outside */
    float m[144] = {0};
    m[2 * 12 + 2] = 0.1f;
    m[3 * 12 + 3] = 0.2f;
    m[10 * 12 + 10] = 0.7f;
    assert_int_equal(xcap_point_score(&p, m, 12, 12, &box, 96, 96, &err), 0);
    assert_int_equal(p.hit, 0);
    check_close((float[]){(float)p.mass}, (float[]){0.3f}, 1, 1e-6, 0);
    /* non-square image and grid: 120x60, 6x4 grid (20x15 patches), box [40,60)x[15,30)
     * grown by (10, 7.5): x in [30,70] -> centres 30,50,70; y in [7.5,37.5] -> 7.5,22.5,37.5 */
    vis_rect b2 = {40, 15, 60, 30};
    float u2[24];
    for (int i = 0; i < 24; i++) u2[i] = 1.0f / 24;
    assert_int_equal(xcap_point_score(&p, u2, 6, 4, &b2, 120, 60, &err), 0);
    check_close((float[]){(float)p.baseline}, (float[]){9.0f / 24}, 1, 1e-9, 0);
    /* tall image 50x200 with a 5x4 grid: patches 10x50; box [0,10)x[150,200) grown by (5, 25):
     * x in [-5,15] -> centres 5 and 15 (on the closed edge); y in [125,225] -> centres 125
     * (on the edge) and 175 -> 4 of 20 */
    vis_rect b3 = {0, 150, 10, 200};
    float u3[20];
    for (int i = 0; i < 20; i++) u3[i] = 0.05f;
    u3[3 * 5 + 0] = 0.2f;
    assert_int_equal(xcap_point_score(&p, u3, 5, 4, &b3, 50, 200, &err), 0);
    check_close((float[]){(float)p.baseline}, (float[]){4.0f / 20}, 1, 1e-9, 0);
    assert_int_equal(p.hit, 1);
    /* a box covering the whole image: every patch counts */
    vis_rect all = {0, 0, 50, 200};
    assert_int_equal(xcap_point_score(&p, u3, 5, 4, &all, 50, 200, &err), 0);
    check_close((float[]){(float)p.baseline}, (float[]){1.0f}, 1, 1e-9, 0);
}

/* Boxes that are empty or leave the image, and empty grids, are refused with a message. */
static void test_bad_inputs(void **state) {
    (void)state;
    nn_error err = {{0}};
    xcap_point p;
    float m[4] = {0.25f, 0.25f, 0.25f, 0.25f};
    vis_rect out = {0, 0, 97, 10}, empty = {5, 5, 5, 9};
    assert_int_equal(xcap_point_score(&p, m, 2, 2, &out, 96, 96, &err), -1);
    assert_non_null(strstr(err.msg, "outside"));
    assert_int_equal(xcap_point_score(&p, m, 2, 2, &empty, 96, 96, &err), -1);
    assert_int_equal(xcap_point_score(&p, m, 0, 2, &empty, 96, 96, &err), -1);
}

/* The shuffled-grid control: the permutation is a permutation, fixed by its seed, and moves a
 * map that points at the box away from it for most placements. */
static void test_shuffle_control(void **state) {
    (void)state;
    enum { N = 144 };
    size_t perm[N], again[N], other[N];
    xcap_point_perm(perm, N, SHUFFLE_SEED);
    xcap_point_perm(again, N, SHUFFLE_SEED);
    xcap_point_perm(other, N, SHUFFLE_SEED + 1);
    int seen[N] = {0}, same = 1, moved = 0;
    for (size_t i = 0; i < N; i++) {
        assert_true(perm[i] < N);
        seen[perm[i]]++;
        same &= perm[i] == again[i];
        moved += perm[i] != other[i];
    }
    for (size_t i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    assert_true(same);
    assert_true(moved > N / 2);
    /* one-hot maps at each in-box patch of a 16-patch box: shuffled, few stay hits */
    vis_rect box = {16, 16, 32, 32};
    float map[N], shuf[N];
    size_t hits = 0, shuffled_hits = 0;
    for (size_t r = 2; r <= 4; r++)
        for (size_t c = 2; c <= 4; c++) {
            memset(map, 0, sizeof map);
            map[r * 12 + c] = 1.0f;
            xcap_point_permute(shuf, map, perm, N);
            xcap_point p;
            assert_int_equal(xcap_point_score(&p, map, 12, 12, &box, 96, 96, NULL), 0);
            hits += (size_t)p.hit;
            assert_int_equal(xcap_point_score(&p, shuf, 12, 12, &box, 96, 96, NULL), 0);
            shuffled_hits += (size_t)p.hit;
            check_close((float[]){(float)p.mass}, (float[]){p.hit ? 1.0f : 0.0f}, 1, 1e-6, 0);
        }
    assert_int_equal(hits, 9);
    assert_true(shuffled_hits <= 3);
}

/* A scene with three hand-placed objects (only what matching reads). */
static void three_objects(vis_scene *s) {
    memset(s, 0, sizeof *s);
    s->n_objects = 3;
    s->objects[0] = (vis_object){.shape = VIS_SHAPE_CIRCLE, .colour = VIS_COLOUR_RED,
                                 .size = VIS_SIZE_SMALL, .x0 = 5, .y0 = 5, .x1 = 20, .y1 = 20};
    s->objects[1] = (vis_object){.shape = VIS_SHAPE_CIRCLE, .colour = VIS_COLOUR_BLUE,
                                 .size = VIS_SIZE_LARGE, .x0 = 30, .y0 = 5, .x1 = 60, .y1 = 35};
    s->objects[2] = (vis_object){.shape = VIS_SHAPE_STAR, .colour = VIS_COLOUR_GREEN,
                                 .size = VIS_SIZE_LARGE, .x0 = 62, .y0 = 50, .x1 = 92, .y1 = 80};
}

/* Splits text into at most 16 words (in place) and matches them against s. */
static size_t match_text(int *object, int *kind, char *text, const vis_scene *s) {
    const char *words[16];
    size_t n = 0;
    for (char *w = strtok(text, " "); w && n < 16; w = strtok(NULL, " ")) words[n++] = w;
    xcap_align_match(object, kind, words, n, s);
    return n;
}

/* Correct captions match every attribute word; wrong or ambiguous phrases are not scored. */
static void test_word_matching(void **state) {
    (void)state;
    vis_scene s;
    three_objects(&s);
    int obj[16], kind[16];
    char t1[] = "a small red circle , a large blue circle and a large green star";
    const int want1[] = {-1, 0, 0, 0, -1, -1, 1, 1, 1, -1, -1, 2, 2, 2};
    assert_int_equal(match_text(obj, kind, t1, &s), 14);
    for (int i = 0; i < 14; i++) assert_int_equal(obj[i], want1[i]);
    assert_int_equal(kind[1], VIS_WORD_SIZE);
    assert_int_equal(kind[2], VIS_WORD_COLOUR);
    assert_int_equal(kind[3], VIS_WORD_SHAPE);
    assert_int_equal(kind[0], VIS_WORD_OTHER);
    /* wrong colour on a unique shape: the shape word still scores, size/colour do not */
    char t2[] = "a large yellow star";
    match_text(obj, kind, t2, &s);
    assert_int_equal(obj[1], -1);
    assert_int_equal(obj[2], -1);
    assert_int_equal(obj[3], 2);
    /* wrong colour on a shared shape: nothing scores */
    char t3[] = "a large yellow circle above a circle";
    match_text(obj, kind, t3, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(obj[i], -1);
    /* a phrase with no shape, and a shape absent from the scene */
    char t4[] = "a small red , a blue square";
    match_text(obj, kind, t4, &s);
    for (int i = 0; i < 7; i++) assert_int_equal(obj[i], -1);
    /* two phrases back to back (no article): the first shape word ends the first phrase */
    char t5[] = "blue circle green star";
    match_text(obj, kind, t5, &s);
    const int want5[] = {1, 1, 2, 2};
    for (int i = 0; i < 4; i++) assert_int_equal(obj[i], want5[i]);
}

/* Matching every caption of generated scenes (the ground truth the world writes) scores
 * exactly the words the world ties to an object, against that object. */
static void test_matching_agrees_with_ground_truth(void **state) {
    (void)state;
    vis_scene s = {0};
    size_t words = 0;
    for (uint64_t i = 0; i < 300; i++) {
        assert_int_equal(vis_scene_generate(&s, vis_scene_seed(99, i), VIS_SPLIT_VAL, 96, 96, 0,
                                            NULL), 0);
        for (int c = 0; c < s.n_captions; c++) {
            char text[VIS_CAPTION_MAX_CHARS];
            memcpy(text, s.captions[c].text, sizeof text);
            int obj[16], kind[16];
            size_t n = match_text(obj, kind, text, &s);
            assert_int_equal(n, (size_t)s.captions[c].n_words);
            for (size_t w = 0; w < n; w++) {
                assert_int_equal(kind[w], s.captions[c].kind[w]);
                int want = kind[w] == VIS_WORD_OTHER ? -1 : s.captions[c].object[w];
                assert_int_equal(obj[w], want);
                words += kind[w] != VIS_WORD_OTHER;
            }
        }
    }
    vis_scene_free(&s);
    assert_true(words > 900);
}

/* Checks a report's figures are fractions and its counts agree across maps. */
static void check_report(const xcap_align_report *rep, size_t scenes) {
    assert_int_equal(rep->scenes, scenes);
    assert_int_equal(rep->n_maps, rep->layers * rep->heads + rep->layers + 1);
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++) {
        size_t scored = xcap_align_cell_at(rep, 0, k)->scored;
        assert_true(scored <= rep->attr_words[k]);
        for (size_t i = 0; i < rep->n_maps; i++) {
            const xcap_align_cell *c = xcap_align_cell_at(rep, i, k);
            assert_int_equal(c->scored, scored);
            assert_true(c->hits <= c->scored);
            double v[3] = {xcap_align_accuracy(c), xcap_align_mass(c), xcap_align_baseline(c)};
            for (int j = 0; j < 3; j++) assert_true(v[j] >= 0.0 && v[j] <= 1.0 + 1e-6);
            if (scored) assert_true(xcap_align_baseline(c) > 0.0);
        }
    }
}

/* The tiny random model (48x32 input) over real scenes: figures in [0, 1], counts consistent,
 * same baseline for every map, deterministic, and the shuffled control runs too. */
static void test_tiny_model_run(void **state) {
    (void)state;
    nn_error err = {{0}};
    xcap_model *m = xcap_model_load_file(source_path("tests/fixtures/tiny_weights.safetensors"),
                                         &err);
    assert_non_null(m);
    xcap_align_report a, b, sh;
    xcap_align_opts o = xcap_align_default_opts();
    o.batch = 5;
    if (xcap_align_scenes(&a, m, VIS_SPLIT_VAL, 3, 12, &o, &err) != 0) fail_msg("%s", err.msg);
    check_report(&a, 12);
    assert_int_equal(a.default_is_align, m->n_align > 0);
    o.batch = 12;
    assert_int_equal(xcap_align_scenes(&b, m, VIS_SPLIT_VAL, 3, 12, &o, &err), 0);
    for (size_t i = 0; i < a.n_maps * XCAP_ALIGN_KINDS; i++) {
        assert_int_equal(a.cells[i].hits, b.cells[i].hits);
        check_close((float[]){(float)a.cells[i].mass}, (float[]){(float)b.cells[i].mass}, 1,
                    1e-4, 1e-4);
    }
    o.shuffle = 1;
    o.shuffle_seed = SHUFFLE_SEED;
    assert_int_equal(xcap_align_scenes(&sh, m, VIS_SPLIT_VAL, 3, 12, &o, &err), 0);
    check_report(&sh, 12);
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++) {
        /* shuffling moves attention, not the boxes: the baseline is unchanged */
        const xcap_align_cell *c = xcap_align_cell_at(&a, 0, k), *d = xcap_align_cell_at(&sh, 0, k);
        check_close((float[]){(float)c->baseline}, (float[]){(float)d->baseline}, 1, 1e-9, 0);
    }
    int layers[3], heads[3];
    size_t got = xcap_align_best_heads(&a, 3, layers, heads);
    assert_int_equal(got, a.layers * a.heads < 3 ? a.layers * a.heads : 3);
    for (size_t i = 1; i < got; i++)
        assert_true(xcap_align_map_score(&a, xcap_align_head_map(&a, (size_t)layers[i - 1],
                                                                  (size_t)heads[i - 1])) >=
                    xcap_align_map_score(&a, xcap_align_head_map(&a, (size_t)layers[i],
                                                                  (size_t)heads[i])));
    xcap_align_report_free(&a);
    xcap_align_report_free(&b);
    xcap_align_report_free(&sh);
    xcap_model_free(m);
}

/* ------------------------------------------------------------------ dataset runs */

#define TINY_MODEL "tests/fixtures/tiny_weights.safetensors"
#define DS_SCENES 24
#define DS_SEED 3

/* A dataset object (shape, colour, size, bbox). */
static txt_ds_object ds_object(const char *shape, const char *colour, const char *size, float x,
                               float y, float w, float h) {
    txt_ds_object o;
    memset(&o, 0, sizeof o);
    snprintf(o.shape, sizeof o.shape, "%s", shape);
    snprintf(o.colour, sizeof o.colour, "%s", colour);
    snprintf(o.size, sizeof o.size, "%s", size);
    o.bbox[0] = x;
    o.bbox[1] = y;
    o.bbox[2] = w;
    o.bbox[3] = h;
    return o;
}

/* Checks the box of s->objects[k] is [x0, x1) x [y0, y1). */
static void check_box(const vis_scene *s, int k, int x0, int y0, int x1, int y1) {
    const vis_object *o = &s->objects[k];
    if (o->x0 != x0 || o->y0 != y0 || o->x1 != x1 || o->y1 != y1)
        fail_msg("object %d: box [%d,%d)x[%d,%d), expected [%d,%d)x[%d,%d)", k, o->x0, o->x1,
                 o->y0, o->y1, x0, x1, y0, y1);
}

/* Dataset objects become scene objects: names parsed, boxes floor/ceil to whole pixels and
 * clipped to the image; images that cannot be scored say why. */
static void test_item_scene(void **state) {
    (void)state;
    txt_ds_object obj[4] = {
        ds_object("circle", "red", "small", 10.2f, 5.7f, 20.5f, 10.1f),
        ds_object("star", "blue", "", -3.0f, 40.5f, 10.0f, 100.0f),  /* no size; clipped */
        ds_object("square", "red", "large", 50.0f, 20.0f, 14.0f, 16.0f),
        ds_object("cross", "white", "small", 0, 0, 4, 4)};
    txt_ds_item it = {.id = "7", .n_objects = 3, .objects = obj};
    vis_scene s;
    char why[256] = "";
    assert_int_equal(xcap_align_item_scene(&s, &it, 96, 80, why, sizeof why), XCAP_ALIGN_USABLE);
    assert_int_equal(s.n_objects, 3);
    assert_int_equal(s.width, 96);
    assert_int_equal(s.height, 80);
    assert_int_equal(s.objects[0].shape, VIS_SHAPE_CIRCLE);
    assert_int_equal(s.objects[0].colour, VIS_COLOUR_RED);
    assert_int_equal(s.objects[1].shape, VIS_SHAPE_STAR);
    assert_int_equal(s.objects[1].colour, VIS_COLOUR_BLUE);
    assert_int_equal(s.objects[2].size, VIS_SIZE_LARGE);
    check_box(&s, 0, 10, 5, 31, 16);  /* 10.2+20.5 = 30.7 -> 31; 5.7+10.1 = 15.8 -> 16 */
    check_box(&s, 1, 0, 40, 7, 80);   /* x from -3 clipped to 0; y to 140.5 clipped to 80 */
    check_box(&s, 2, 50, 20, 64, 36); /* whole pixels stay as they are */
    /* the matching sees the file's objects */
    int o[4], kind[4];
    const char *words[] = {"a", "large", "red", "square"};
    xcap_align_match(o, kind, words, 4, &s);
    assert_int_equal(o[1], 2);
    assert_int_equal(o[3], 2);

    struct {
        size_t n;
        txt_ds_object change;
        int at;
        xcap_align_skip want;
        const char *says;
    } bad[] = {
        {0, {.shape = ""}, -1, XCAP_ALIGN_NO_OBJECTS, "image id 7: no \"objects\""},
        {4, {.shape = ""}, -1, XCAP_ALIGN_TOO_MANY, "4 objects, more than 3"},
        {3, ds_object("blob", "red", "small", 1, 1, 5, 5), 0, XCAP_ALIGN_UNKNOWN_NAME, "blob"},
        {3, ds_object("circle", "magenta", "small", 1, 1, 5, 5), 0, XCAP_ALIGN_UNKNOWN_NAME,
         "magenta"},
        {3, ds_object("circle", "red", "huge", 1, 1, 5, 5), 0, XCAP_ALIGN_UNKNOWN_NAME, "huge"},
        {3, ds_object("square", "red", "small", 1, 1, 5, 5), 0, XCAP_ALIGN_SHARED_PAIR,
         "red square"},
        {3, ds_object("circle", "red", "small", 96, 10, 5, 5), 0, XCAP_ALIGN_EMPTY_BOX,
         "no pixel"},
        {3, ds_object("circle", "red", "small", 10, 10, 0, 5), 0, XCAP_ALIGN_EMPTY_BOX,
         "no pixel"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        txt_ds_object copy[4];
        memcpy(copy, obj, sizeof copy);
        if (bad[i].at >= 0) copy[bad[i].at] = bad[i].change;
        txt_ds_item b = {.id = "7", .n_objects = bad[i].n, .objects = bad[i].n ? copy : NULL};
        why[0] = '\0';
        assert_int_equal(xcap_align_item_scene(&s, &b, 96, 80, why, sizeof why), bad[i].want);
        if (!strstr(why, bad[i].says)) fail_msg("case %zu: '%s' lacks '%s'", i, why, bad[i].says);
    }
}

/* Exports DS_SCENES val scenes (seed DS_SEED) as xcap_align_scenes draws them for model m
 * (random canvases around its input size) into a new temp dir and loads the captions file. */
static char *export_scenes(txt_dataset *ds, const xcap_model *m, char *path, size_t cap) {
    char *dir = make_temp_dir();
    assert_non_null(dir);
    nn_error err = {{0}};
    vis_export_params p = vis_export_default_params();
    p.count = DS_SCENES;
    p.seed = DS_SEED;
    p.split = VIS_SPLIT_VAL;
    p.width = (int)m->cfg.image_w;
    p.height = (int)m->cfg.image_h;
    p.random_canvas = 1;
    if (vis_scenes_export_with(dir, &p, &err) != 0) fail_msg("%s", err.msg);
    snprintf(path, cap, "%s/captions.json", dir);
    if (txt_dataset_load(ds, path, NULL, &err) != 0) fail_msg("%s", err.msg);
    return dir;
}

/* Fails unless two reports hold exactly the same figures. */
static void check_same_report(const xcap_align_report *a, const xcap_align_report *b) {
    assert_int_equal(a->n_maps, b->n_maps);
    assert_int_equal(a->scenes, b->scenes);
    assert_int_equal(a->words, b->words);
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++) assert_int_equal(a->attr_words[k], b->attr_words[k]);
    for (size_t i = 0; i < a->n_maps * XCAP_ALIGN_KINDS; i++) {
        const xcap_align_cell *c = &a->cells[i], *d = &b->cells[i];
        if (c->scored != d->scored || c->hits != d->hits || c->mass != d->mass ||
            c->baseline != d->baseline)
            fail_msg("map %zu kind %zu: scored %zu/%zu hits %zu/%zu mass %.9g/%.9g baseline "
                     "%.9g/%.9g", i / XCAP_ALIGN_KINDS, i % XCAP_ALIGN_KINDS, c->scored,
                     d->scored, c->hits, d->hits, c->mass, d->mass, c->baseline, d->baseline);
    }
}

/* The same scenes, generated in memory or read back from disk, give exactly the same figures
 * (with words scored, so the boxes are used), batch by batch. */
static void test_dataset_matches_scenes(void **state) {
    (void)state;
    nn_error err = {{0}};
    xcap_model *m = xcap_model_load_file(source_path(TINY_MODEL), &err);
    if (!m) fail_msg("%s", err.msg);
    txt_dataset ds = {0};
    char path[512];
    char *dir = export_scenes(&ds, m, path, sizeof path);
    xcap_align_report gen, disk, capped;
    xcap_align_opts o = xcap_align_default_opts();
    o.batch = 5;
    if (xcap_align_scenes(&gen, m, VIS_SPLIT_VAL, DS_SEED, DS_SCENES, &o, &err) != 0)
        fail_msg("%s", err.msg);
    o.name = path;
    if (xcap_align_dataset(&disk, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(disk.images, DS_SCENES);
    for (int r = 0; r < XCAP_ALIGN_SKIP_COUNT; r++) assert_int_equal(disk.skipped[r], 0);
    check_same_report(&gen, &disk);
    size_t scored = 0;
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++)
        scored += xcap_align_cell_at(&gen, xcap_align_default_map(&gen), k)->scored;
    assert_true(scored >= 5);  /* the comparison reaches the boxes */
    /* the limit: the first 7 images */
    o.limit = 7;
    assert_int_equal(xcap_align_dataset(&capped, m, &ds, dir, &o, &err), 0);
    assert_int_equal(capped.images, 7);
    assert_int_equal(capped.scenes, 7);
    xcap_align_report_free(&gen);
    xcap_align_report_free(&disk);
    xcap_align_report_free(&capped);
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
    xcap_model_free(m);
}

/* Images that cannot be scored are counted, the rest scored; a missing image and a size that
 * differs from the file's stop the run with a line naming the image. */
static void test_dataset_skips_and_failures(void **state) {
    (void)state;
    nn_error err = {{0}};
    xcap_model *m = xcap_model_load_file(source_path(TINY_MODEL), &err);
    if (!m) fail_msg("%s", err.msg);
    txt_dataset ds = {0};
    char path[512], png[600];
    char *dir = export_scenes(&ds, m, path, sizeof path);
    xcap_align_report rep;
    xcap_align_opts o = xcap_align_default_opts();
    o.batch = 4;
    snprintf(ds.items[2].objects[0].colour, TXT_DS_LABEL, "magenta");
    size_t n3 = ds.items[5].n_objects;
    ds.items[5].n_objects = 0;
    if (xcap_align_dataset(&rep, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(rep.images, DS_SCENES);
    assert_int_equal(rep.scenes, DS_SCENES - 2);
    assert_int_equal(rep.skipped[XCAP_ALIGN_UNKNOWN_NAME], 1);
    assert_int_equal(rep.skipped[XCAP_ALIGN_NO_OBJECTS], 1);
    assert_non_null(strstr(rep.first_skip, "image id 2: colour 'magenta'"));
    xcap_align_report_free(&rep);
    ds.items[5].n_objects = n3;
    /* a size that differs from the file's */
    ds.items[1].width += 1;
    assert_int_equal(xcap_align_dataset(&rep, m, &ds, dir, &o, &err), -1);
    assert_non_null(strstr(err.msg, "scene_000001.png: the file gives"));
    ds.items[1].width -= 1;
    /* a missing image */
    snprintf(png, sizeof png, "%s/images/scene_000003.png", dir);
    assert_int_equal(remove(png), 0);
    assert_int_equal(xcap_align_dataset(&rep, m, &ds, dir, &o, &err), -1);
    assert_non_null(strstr(err.msg, "scene_000003.png"));
    assert_non_null(strstr(err.msg, "image id 3"));
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
    xcap_model_free(m);
}

/* A file whose images carry no objects fails with one line naming the file. */
static void test_dataset_without_objects(void **state) {
    (void)state;
    static const char json[] =
        "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\"}, {\"id\": 2, \"file_name\": \"b.png\","
        " \"objects\": [{\"shape\": \"dog\", \"colour\": \"brown\", \"bbox\": [1, 2, 3, 4]}]}],"
        " \"annotations\": [{\"image_id\": 1, \"caption\": \"A dog.\"},"
        " {\"image_id\": 2, \"caption\": \"A brown dog.\"}]}";
    nn_error err = {{0}};
    xcap_model *m = xcap_model_load_file(source_path(TINY_MODEL), &err);
    if (!m) fail_msg("%s", err.msg);
    txt_dataset ds = {0};
    if (txt_dataset_parse(&ds, json, sizeof json - 1, "coco.json", NULL, &err) != 0)
        fail_msg("%s", err.msg);
    xcap_align_report rep;
    xcap_align_opts o = xcap_align_default_opts();
    o.name = "coco.json";
    assert_int_equal(xcap_align_dataset(&rep, m, &ds, "/nonexistent", &o, &err), -1);
    assert_non_null(strstr(err.msg, "coco.json: no image has shapes-world objects (shape, colour, "
                                    "size, bbox)"));
    assert_null(strchr(err.msg, '\n'));
    assert_null(rep.cells);
    txt_dataset_free(&ds);
    xcap_model_free(m);
}

/* The shipped model's default map points at the named object for every word kind, well above
 * the baseline; with the patch grid shuffled against the ground truth it does not. */
static void test_shipped_model_points(void **state) {
    (void)state;
    nn_error err = {{0}};
    xcap_model *m = xcap_model_load_file(source_path(SHIPPED_MODEL), &err);
    if (!m) fail_msg("%s", err.msg);
    xcap_align_report rep, sh;
    xcap_align_opts o = xcap_align_default_opts();
    if (xcap_align_scenes(&rep, m, VIS_SPLIT_VAL, SHIPPED_SEED, SHIPPED_SCENES, &o, &err) != 0)
        fail_msg("%s", err.msg);
    o.shuffle = 1;
    o.shuffle_seed = SHUFFLE_SEED;
    assert_int_equal(xcap_align_scenes(&sh, m, VIS_SPLIT_VAL, SHIPPED_SEED, SHIPPED_SCENES, &o,
                                       &err), 0);
    size_t d = xcap_align_default_map(&rep);
    static const char *const names[] = {"size", "colour", "shape"};
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++) {
        const xcap_align_cell *c = xcap_align_cell_at(&rep, d, k);
        const xcap_align_cell *s = xcap_align_cell_at(&sh, d, k);
        double acc = xcap_align_accuracy(c), base = xcap_align_baseline(c);
        double sacc = xcap_align_accuracy(s);
        printf("  %-6s pointing %.3f  shuffled %.3f  baseline %.3f  (%zu scored)\n", names[k],
               acc, sacc, base, c->scored);
        assert_true(c->scored >= SHIPPED_SCENES / 2);
        if (acc < SHIPPED_MIN_POINTING || acc < SHIPPED_MIN_OVER_BASELINE * base)
            fail_msg("%s words: pointing %.3f, baseline %.3f", names[k], acc, base);
        if (sacc > SHUFFLED_MAX_OVER_BASELINE * base)
            fail_msg("%s words: shuffled pointing %.3f above 2x baseline %.3f", names[k], sacc,
                     base);
    }
    xcap_align_report_free(&rep);
    xcap_align_report_free(&sh);
    xcap_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_hot_hit_and_miss),
        cmocka_unit_test(test_mass_and_baseline),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_shuffle_control),
        cmocka_unit_test(test_word_matching),
        cmocka_unit_test(test_matching_agrees_with_ground_truth),
        cmocka_unit_test(test_tiny_model_run),
        cmocka_unit_test(test_item_scene),
        cmocka_unit_test(test_dataset_matches_scenes),
        cmocka_unit_test(test_dataset_skips_and_failures),
        cmocka_unit_test(test_dataset_without_objects),
        cmocka_unit_test(test_shipped_model_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

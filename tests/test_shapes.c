/* test_shapes.c — the shapes world: determinism, caption grammar and grounding, ground truth,
 * held-out split, non-square canvases, export to disk and the `xcap scenes` command. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stb/stb_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/util/check.h"
#include "vision/shapes.h"
#include "vision/shapes_export.h"

#define W96 96

/* Generates a scene or fails the test with the library's message. */
static void gen(vis_scene *s, uint64_t seed, vis_split split, int w, int h, int n) {
    nn_error err = {{0}};
    int rc = vis_scene_generate(s, seed, split, w, h, n, &err);
    if (rc != 0) fail_msg("vis_scene_generate(seed %llu): %s", (unsigned long long)seed, err.msg);
}

/* The default recipe in a clean look: varied shapes and shades on a flat background without
 * noise, blur or JPEG, antialiased, so that pixels can be checked exactly. */
static vis_recipe clean_recipe(void) {
    vis_recipe r = vis_recipe_default();
    r.p_flat = 1.0f;
    r.p_gradient = r.p_texture = 0.0f;
    r.p_noise = r.p_hard_edges = r.p_blur = r.p_jpeg = 0.0f;
    return r;
}

/* Generates a scene with a recipe or fails the test with the library's message. */
static void gen_with(vis_scene *s, uint64_t seed, vis_split split, int w, int h, int n,
                     const vis_recipe *r) {
    nn_error err = {{0}};
    if (vis_scene_generate_with(s, seed, split, w, h, n, r, 1, &err) != 0)
        fail_msg("vis_scene_generate_with(seed %llu): %s", (unsigned long long)seed, err.msg);
}

/* Splits text at single spaces into words (at most max); fails on empty words. */
static int split_words(const char *text, char words[][32], int max) {
    int n = 0;
    const char *p = text;
    for (;;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        assert_true(len > 0 && len < 32); /* no empty word: no double, leading or trailing space */
        assert_true(n < max);
        memcpy(words[n], p, len);
        words[n][len] = '\0';
        n++;
        if (!sp) return n;
        p = sp + 1;
    }
}

/* Checks words[at..at+3] are "a <size> <colour> <shape>" naming object o; returns its index. */
static int check_phrase(const vis_scene *s, const vis_caption *c, char words[][32], int at) {
    assert_string_equal(words[at], "a");
    assert_int_equal(c->object[at], -1);
    assert_int_equal(c->kind[at], VIS_WORD_OTHER);
    int o = c->object[at + 1];
    assert_true(o >= 0 && o < s->n_objects);
    const vis_word_kind want[3] = {VIS_WORD_SIZE, VIS_WORD_COLOUR, VIS_WORD_SHAPE};
    for (int k = 0; k < 3; k++) {
        int value = -1;
        assert_int_equal(vis_word_classify(words[at + 1 + k], &value), want[k]);
        assert_int_equal(c->kind[at + 1 + k], want[k]);
        assert_int_equal(c->object[at + 1 + k], o);
        const vis_object *ob = &s->objects[o];
        int attr = k == 0 ? (int)ob->size : k == 1 ? (int)ob->colour : (int)ob->shape;
        assert_int_equal(value, attr);
    }
    return o;
}

/* The relation word(s) of a relative to b computed from the box corners, independently of
 * the stored centres; *margin receives how clearly the dominant axis wins. */
static const char *expected_relation(const vis_object *a, const vis_object *b, float *margin) {
    float dx = 0.5f * (float)(a->x0 + a->x1 - b->x0 - b->x1);
    float dy = 0.5f * (float)(a->y0 + a->y1 - b->y0 - b->y1);
    *margin = fabsf(fabsf(dx) - fabsf(dy));
    if (fabsf(dx) > fabsf(dy)) return dx < 0 ? "left of" : "right of";
    return dy < 0 ? "above" : "below";
}

/* Parses every caption of s back against the grammar and checks its grounding. */
static void check_captions(const vis_scene *s) {
    char words[VIS_CAPTION_MAX_WORDS][32];
    int n = s->n_objects;
    assert_int_equal(s->n_captions, n == 2 ? 2 : 1);
    for (int ci = 0; ci < s->n_captions; ci++) {
        const vis_caption *c = &s->captions[ci];
        for (const char *p = c->text; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == ' ' || *p == ',');
        int nw = split_words(c->text, words, VIS_CAPTION_MAX_WORDS);
        assert_int_equal(nw, c->n_words);
        for (int w = 0; w < nw; w++)   /* kinds agree with the word tables */
            assert_int_equal(c->kind[w], vis_word_classify(words[w], NULL));
        if (n == 1) {
            assert_int_equal(nw, 4);
            assert_int_equal(check_phrase(s, c, words, 0), 0);
        } else if (n == 2) {
            int a = check_phrase(s, c, words, 0);
            assert_int_equal(a, ci);   /* caption 0 is about object 0, the converse about 1 */
            float margin;
            const char *rel = expected_relation(&s->objects[a], &s->objects[1 - a], &margin);
            assert_true(margin >=
                        4.0f * (float)(s->width < s->height ? s->width : s->height) / W96);
            int rw = strchr(rel, ' ') ? 2 : 1;
            assert_int_equal(nw, 8 + rw);
            char got[80];
            if (rw == 2) snprintf(got, sizeof got, "%s %s", words[4], words[5]);
            else snprintf(got, sizeof got, "%s", words[4]);
            assert_string_equal(got, rel);
            for (int w = 4; w < 4 + rw; w++) assert_int_equal(c->object[w], -1);
            assert_int_equal(check_phrase(s, c, words, 4 + rw), 1 - a);
        } else {
            assert_int_equal(nw, 14);
            int o0 = check_phrase(s, c, words, 0);
            assert_string_equal(words[4], ",");
            int o1 = check_phrase(s, c, words, 5);
            assert_string_equal(words[9], "and");
            int o2 = check_phrase(s, c, words, 10);
            assert_int_equal(c->object[4], -1);
            assert_int_equal(c->object[9], -1);
            const vis_object *ob = s->objects;
            float m = 4.0f * (float)(s->width < s->height ? s->width : s->height) / W96;
            assert_true(ob[o0].x0 + ob[o0].x1 + 2 * m <= ob[o1].x0 + ob[o1].x1);  /* by centre x */
            assert_true(ob[o1].x0 + ob[o1].x1 + 2 * m <= ob[o2].x0 + ob[o2].x1);
            assert_true(o0 != o1 && o1 != o2 && o0 != o2);
        }
    }
}

/* Checks boxes, sizes and masks of s against each other; with `pixels` (scenes drawn in a
 * clean look: flat background, no noise, blur or JPEG) also the drawn pixels. */
static void check_ground_truth(const vis_scene *s, int pixels) {
    int W = s->width, H = s->height;
    float scale = (float)(W < H ? W : H) / W96;
    unsigned char *mask = malloc((size_t)W * H);
    unsigned char *any = calloc((size_t)W * H, 1);
    assert_non_null(mask);
    assert_non_null(any);
    for (int i = 0; i < s->n_objects; i++) {
        const vis_object *o = &s->objects[i];
        assert_true(o->x0 >= 0 && o->y0 >= 0 && o->x1 <= W && o->y1 <= H);
        assert_true(o->x0 < o->x1 && o->y0 < o->y1);
        int across = (o->x1 - o->x0) > (o->y1 - o->y0) ? o->x1 - o->x0 : o->y1 - o->y0;
        if (o->size == VIS_SIZE_SMALL)
            assert_true(across >= 13 * scale && across <= 19 * scale + 1);
        else assert_true(across >= 27 * scale && across <= 35 * scale + 1);
        for (int j = 0; j < i; j++) {
            const vis_object *p = &s->objects[j];
            int apart = o->x1 + VIS_MIN_GAP_PX <= p->x0 || p->x1 + VIS_MIN_GAP_PX <= o->x0 ||
                        o->y1 + VIS_MIN_GAP_PX <= p->y0 || p->y1 + VIS_MIN_GAP_PX <= o->y0;
            assert_true(apart);
            assert_false(o->colour == p->colour && o->shape == p->shape);
        }
        vis_object_mask(mask, s, i);
        size_t inside = 0, deep = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t at = (size_t)y * W + x;
                int in_box = x >= o->x0 && x < o->x1 && y >= o->y0 && y < o->y1;
                if (in_box) any[at] = 1;
                /* the box holds the whole shape: the point test agrees with the mask */
                assert_int_equal(vis_object_contains(o, x + 0.5f, y + 0.5f), mask[at]);
                if (!mask[at]) continue;
                assert_true(in_box);
                inside++;
                /* a pixel whose 8 neighbours are all inside is fully covered: exactly the colour */
                if (pixels && x > 0 && y > 0 && x + 1 < W && y + 1 < H && mask[at - 1] && mask[at + 1] &&
                    mask[at - W] && mask[at + W] && mask[at - W - 1] && mask[at - W + 1] &&
                    mask[at + W - 1] && mask[at + W + 1]) {
                    deep++;
                    assert_memory_equal(&s->rgb[3 * at], o->rgb, 3);
                }
            }
        assert_true(inside >= 20);
        assert_true(!pixels || deep >= 4);
    }
    if (!pixels) {
        free(mask);
        free(any);
        return;
    }
    /* Outside every box the canvas is the flat background. */
    int lo[3] = {255, 255, 255}, hi[3] = {0, 0, 0};
    for (size_t at = 0; at < (size_t)W * H; at++) {
        if (any[at]) continue;
        for (int c = 0; c < 3; c++) {
            int v = s->rgb[3 * at + c];
            lo[c] = v < lo[c] ? v : lo[c];
            hi[c] = v > hi[c] ? v : hi[c];
        }
    }
    for (int c = 0; c < 3; c++) assert_true(hi[c] - lo[c] <= 1);
    /* Edges are anti-aliased: a box holds pixels that are neither background nor the
     * object's colour but a blend of the two. */
    for (int i = 0; i < s->n_objects; i++) {
        const vis_object *o = &s->objects[i];
        int blended = 0;
        for (int y = o->y0; y < o->y1; y++)
            for (int x = o->x0; x < o->x1; x++) {
                const unsigned char *px = &s->rgb[3 * ((size_t)y * W + x)];
                int is_bg = 1;
                for (int c = 0; c < 3; c++) is_bg &= px[c] >= lo[c] - 1 && px[c] <= hi[c] + 1;
                blended += !is_bg && memcmp(px, o->rgb, 3) != 0;
            }
        /* (an axis-aligned square whose edges fall between sample rows has no partial pixels) */
        if (o->shape != VIS_SHAPE_SQUARE) assert_true(blended >= 4);
        /* the box is tight to a pixel (it rounds the shape's extent outward): painted pixels
         * reach its first or second row and column from each side */
        int edge_painted[4] = {0};
        for (int y = o->y0; y < o->y1; y++)
            for (int x = o->x0; x < o->x1; x++) {
                const unsigned char *px = &s->rgb[3 * ((size_t)y * W + x)];
                int is_bg = 1;
                for (int c = 0; c < 3; c++) is_bg &= px[c] >= lo[c] - 1 && px[c] <= hi[c] + 1;
                if (is_bg) continue;
                edge_painted[0] |= x <= o->x0 + 1;
                edge_painted[1] |= x >= o->x1 - 2;
                edge_painted[2] |= y <= o->y0 + 1;
                edge_painted[3] |= y >= o->y1 - 2;
            }
        for (int e = 0; e < 4; e++) assert_true(edge_painted[e]);
    }
    free(mask);
    free(any);
}

/* Same seed gives identical pixels, objects and captions; other seeds give other scenes. */
static void test_determinism(void **state) {
    (void)state;
    vis_scene a = {0}, b = {0};
    for (uint64_t i = 0; i < 50; i++) {
        uint64_t seed = vis_scene_seed(123, i);
        gen(&a, seed, VIS_SPLIT_TRAIN, W96, W96, 0);
        vis_scene fresh = {0};
        gen(&fresh, seed, VIS_SPLIT_TRAIN, W96, W96, 0);
        assert_memory_equal(a.rgb, fresh.rgb, 3 * W96 * W96);
        assert_memory_equal(a.objects, fresh.objects, sizeof a.objects);
        assert_memory_equal(a.captions, fresh.captions, sizeof a.captions);
        assert_int_equal(a.n_objects, fresh.n_objects);
        vis_scene_free(&fresh);
        gen(&b, vis_scene_seed(124, i), VIS_SPLIT_TRAIN, W96, W96, 0);
        assert_true(memcmp(a.rgb, b.rgb, 3 * W96 * W96) != 0);
    }
    /* val is the same generator as train: same seed, same scene */
    gen(&a, 77, VIS_SPLIT_TRAIN, W96, W96, 0);
    gen(&b, 77, VIS_SPLIT_VAL, W96, W96, 0);
    assert_memory_equal(a.rgb, b.rgb, 3 * W96 * W96);
    assert_string_equal(a.captions[0].text, b.captions[0].text);
    assert_true(vis_scene_seed(1, 2) != vis_scene_seed(2, 1));
    assert_true(vis_scene_seed(1, 2) == vis_scene_seed(1, 2));
    vis_scene_free(&a);
    vis_scene_free(&b);
    assert_null(a.rgb);
}

/* Random counts cover 1..3; a forced count is obeyed. */
static void test_object_counts(void **state) {
    (void)state;
    vis_scene s = {0};
    int seen[4] = {0};
    for (uint64_t i = 0; i < 300; i++) {
        gen(&s, vis_scene_seed(5, i), VIS_SPLIT_TRAIN, W96, W96, 0);
        assert_true(s.n_objects >= 1 && s.n_objects <= 3);
        seen[s.n_objects]++;
    }
    for (int k = 1; k <= 3; k++) assert_true(seen[k] > 50);
    for (int k = 1; k <= 3; k++)
        for (uint64_t i = 0; i < 20; i++) {
            gen(&s, vis_scene_seed(6, i), VIS_SPLIT_HELDOUT, W96, W96, k);
            assert_int_equal(s.n_objects, k);
        }
    vis_scene_free(&s);
}

/* Captions parse back, relations and order match the boxes, ground truth is consistent. */
static void test_grammar_and_ground_truth(void **state) {
    (void)state;
    vis_scene s = {0};
    vis_recipe varied = vis_recipe_default(), clean = clean_recipe();
    int rel_seen[4] = {0}, sizes_seen[2] = {0};
    for (uint64_t i = 0; i < 1500; i++) {
        vis_split split = i % 3 == 0 ? VIS_SPLIT_HELDOUT : VIS_SPLIT_TRAIN;
        uint64_t seed = vis_scene_seed(9, i);
        int w, h, pixels = i % 2;  /* every other scene in the clean look */
        vis_canvas_sample(&w, &h, &varied, seed, W96, W96);
        gen_with(&s, seed, split, w, h, (int)(i % 3) + 1, pixels ? &clean : &varied);
        check_captions(&s);
        check_ground_truth(&s, pixels);
        if (s.n_objects == 2) {
            const char *t = s.captions[0].text;
            rel_seen[strstr(t, " left of ")    ? 0
                     : strstr(t, " right of ") ? 1
                     : strstr(t, " above ")    ? 2
                                               : 3]++;
        }
        for (int k = 0; k < s.n_objects; k++) sizes_seen[s.objects[k].size]++;
    }
    for (int r = 0; r < 4; r++) assert_true(rel_seen[r] > 20);
    assert_true(sizes_seen[0] > 300 && sizes_seen[1] > 300);
    vis_scene_free(&s);
}

/* train and val never show a held-out pair; every heldout scene shows at least one. */
static void test_splits(void **state) {
    (void)state;
    vis_scene s = {0};
    int pair_seen[VIS_COLOUR_COUNT][VIS_SHAPE_COUNT] = {{0}};
    for (uint64_t i = 0; i < 2000; i++) {
        gen(&s, vis_scene_seed(11, i), i % 2 ? VIS_SPLIT_VAL : VIS_SPLIT_TRAIN, W96, W96, 0);
        for (int k = 0; k < s.n_objects; k++) {
            assert_false(vis_pair_is_heldout(s.objects[k].colour, s.objects[k].shape));
            pair_seen[s.objects[k].colour][s.objects[k].shape]++;
        }
    }
    int trained = 0;
    for (int c = 0; c < VIS_COLOUR_COUNT; c++)
        for (int h = 0; h < VIS_SHAPE_COUNT; h++) trained += pair_seen[c][h] > 0;
    assert_int_equal(trained, VIS_COLOUR_COUNT * VIS_SHAPE_COUNT - VIS_HELDOUT_COUNT);
    int held_seen[VIS_HELDOUT_COUNT] = {0};
    for (uint64_t i = 0; i < 2000; i++) {
        gen(&s, vis_scene_seed(12, i), VIS_SPLIT_HELDOUT, W96, W96, 0);
        int held = 0;
        for (int k = 0; k < s.n_objects; k++)
            for (int h = 0; h < VIS_HELDOUT_COUNT; h++)
                if (s.objects[k].colour == vis_heldout_pairs[h].colour &&
                    s.objects[k].shape == vis_heldout_pairs[h].shape) {
                    held = 1;
                    held_seen[h]++;
                }
        assert_true(held);
    }
    for (int h = 0; h < VIS_HELDOUT_COUNT; h++) assert_true(held_seen[h] > 100);
    /* each held-out colour and shape still appears in training with other partners */
    for (int h = 0; h < VIS_HELDOUT_COUNT; h++) {
        int with_colour = 0, with_shape = 0;
        for (int k = 0; k < VIS_SHAPE_COUNT; k++)
            with_colour += pair_seen[vis_heldout_pairs[h].colour][k] > 0;
        for (int k = 0; k < VIS_COLOUR_COUNT; k++)
            with_shape += pair_seen[k][vis_heldout_pairs[h].shape] > 0;
        assert_true(with_colour >= 4 && with_shape >= 4);
    }
    vis_scene_free(&s);
}

/* Non-square and larger canvases keep every invariant. */
static void test_non_square(void **state) {
    (void)state;
    vis_scene s = {0};
    const int sizes[3][2] = {{128, 80}, {80, 128}, {192, 192}};
    for (int z = 0; z < 3; z++)
        for (uint64_t i = 0; i < 200; i++) {
            gen(&s, vis_scene_seed(13, i), VIS_SPLIT_TRAIN, sizes[z][0], sizes[z][1],
                (int)(i % 3) + 1);
            assert_int_equal(s.width, sizes[z][0]);
            assert_int_equal(s.height, sizes[z][1]);
            check_captions(&s);
            check_ground_truth(&s, 0);
        }
    vis_scene_free(&s);
}

/* Bad arguments fail with a message; names parse and classify. */
static void test_errors_and_names(void **state) {
    (void)state;
    vis_scene s = {0};
    nn_error err = {{0}};
    assert_int_equal(vis_scene_generate(&s, 1, VIS_SPLIT_TRAIN, 10, 96, 0, &err), -1);
    assert_non_null(strstr(err.msg, "10x96"));
    assert_int_equal(vis_scene_generate(&s, 1, VIS_SPLIT_TRAIN, 96, 96, 4, &err), -1);
    assert_int_equal(vis_scene_generate(&s, 1, VIS_SPLIT_TRAIN, 96, 96, 4, NULL), -1);
    vis_split sp;
    assert_int_equal(vis_split_parse("heldout", &sp, &err), 0);
    assert_int_equal(sp, VIS_SPLIT_HELDOUT);
    assert_int_equal(vis_split_parse("val", &sp, &err), 0);
    assert_int_equal(sp, VIS_SPLIT_VAL);
    assert_int_equal(vis_split_parse("test", &sp, &err), -1);
    assert_non_null(strstr(err.msg, "test"));
    int v = -1;
    assert_int_equal(vis_word_classify("cyan", &v), VIS_WORD_COLOUR);
    assert_int_equal(v, VIS_COLOUR_CYAN);
    assert_int_equal(vis_word_classify("triangle", &v), VIS_WORD_SHAPE);
    assert_int_equal(v, VIS_SHAPE_TRIANGLE);
    assert_int_equal(vis_word_classify("large", &v), VIS_WORD_SIZE);
    assert_int_equal(v, VIS_SIZE_LARGE);
    assert_int_equal(vis_word_classify("of", NULL), VIS_WORD_OTHER);
    assert_true(vis_pair_is_heldout(VIS_COLOUR_RED, VIS_SHAPE_STAR));
    assert_false(vis_pair_is_heldout(VIS_COLOUR_RED, VIS_SHAPE_CIRCLE));
    assert_false(vis_pair_is_heldout(VIS_COLOUR_ORANGE, VIS_SHAPE_STAR));
}

/* Reads a whole file into a NUL-terminated buffer. */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Checks DIR against a regeneration of `count` scenes: PNG pixels, boxes, masks, captions. */
static void check_export_dir(const char *dir, size_t count, uint64_t seed, vis_split split, int w,
                             int h, int n_objects) {
    char path[512];
    snprintf(path, sizeof path, "%s/captions.json", dir);
    char *text = read_text(path);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    cJSON *images = cJSON_GetObjectItem(root, "images"),
          *anns = cJSON_GetObjectItem(root, "annotations");
    cJSON *info = cJSON_GetObjectItem(root, "info");
    assert_non_null(info);
    assert_string_equal(cJSON_GetObjectItem(info, "split")->valuestring, vis_split_names[split]);
    assert_int_equal(cJSON_GetArraySize(images), (int)count);
    vis_scene s = {0};
    unsigned char *mask = malloc((size_t)w * h), *decoded = malloc((size_t)w * h);
    int n_ann = 0;
    for (size_t i = 0; i < count; i++) {
        gen(&s, vis_scene_seed(seed, i), split, w, h, n_objects);
        cJSON *img = cJSON_GetArrayItem(images, (int)i);
        assert_int_equal(cJSON_GetObjectItem(img, "id")->valueint, (int)i);
        assert_int_equal(cJSON_GetObjectItem(img, "width")->valueint, w);
        assert_int_equal(cJSON_GetObjectItem(img, "height")->valueint, h);
        const char *fname = cJSON_GetObjectItem(img, "file_name")->valuestring;
        char want[64];
        snprintf(want, sizeof want, "images/scene_%06zu.png", i);
        assert_string_equal(fname, want);
        snprintf(path, sizeof path, "%s/%s", dir, fname);
        int pw, ph, ch;
        unsigned char *px = stbi_load(path, &pw, &ph, &ch, 3);
        assert_non_null(px);
        assert_int_equal(pw, w);
        assert_int_equal(ph, h);
        assert_memory_equal(px, s.rgb, (size_t)3 * w * h);   /* PNG is lossless */
        stbi_image_free(px);
        cJSON *objs = cJSON_GetObjectItem(img, "objects");
        assert_int_equal(cJSON_GetArraySize(objs), s.n_objects);
        for (int k = 0; k < s.n_objects; k++) {
            cJSON *o = cJSON_GetArrayItem(objs, k);
            const vis_object *g = &s.objects[k];
            assert_string_equal(cJSON_GetObjectItem(o, "shape")->valuestring,
                                vis_shape_names[g->shape]);
            assert_string_equal(cJSON_GetObjectItem(o, "colour")->valuestring,
                                vis_colour_names[g->colour]);
            assert_string_equal(cJSON_GetObjectItem(o, "size")->valuestring,
                                vis_size_names[g->size]);
            cJSON *bb = cJSON_GetObjectItem(o, "bbox");
            assert_int_equal(cJSON_GetArrayItem(bb, 0)->valueint, g->x0);
            assert_int_equal(cJSON_GetArrayItem(bb, 1)->valueint, g->y0);
            assert_int_equal(cJSON_GetArrayItem(bb, 2)->valueint, g->x1 - g->x0);
            assert_int_equal(cJSON_GetArrayItem(bb, 3)->valueint, g->y1 - g->y0);
            /* decode the column-major RLE and compare with the mask */
            cJSON *rle = cJSON_GetObjectItem(o, "mask_rle");
            cJSON *counts = cJSON_GetObjectItem(rle, "counts");
            assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(rle, "size"), 0)->valueint, h);
            size_t pos = 0;
            int value = 0;
            for (cJSON *c = counts->child; c; c = c->next, value = !value)
                for (int r = 0; r < c->valueint; r++, pos++) {
                    assert_true(pos < (size_t)w * h);
                    decoded[(pos % h) * w + pos / h] = (unsigned char)value;
                }
            assert_int_equal(pos, (size_t)w * h);
            vis_object_mask(mask, &s, k);
            assert_memory_equal(decoded, mask, (size_t)w * h);
        }
        for (int c = 0; c < s.n_captions; c++, n_ann++) {
            cJSON *a = cJSON_GetArrayItem(anns, n_ann);
            assert_non_null(a);
            assert_int_equal(cJSON_GetObjectItem(a, "id")->valueint, n_ann);
            assert_int_equal(cJSON_GetObjectItem(a, "image_id")->valueint, (int)i);
            assert_string_equal(cJSON_GetObjectItem(a, "caption")->valuestring, s.captions[c].text);
            cJSON *gr = cJSON_GetObjectItem(a, "grounding"),
                  *kinds = cJSON_GetObjectItem(a, "kinds");
            assert_int_equal(cJSON_GetArraySize(gr), s.captions[c].n_words);
            assert_int_equal(cJSON_GetArraySize(kinds), s.captions[c].n_words);
            for (int wd = 0; wd < s.captions[c].n_words; wd++) {
                assert_int_equal(cJSON_GetArrayItem(gr, wd)->valueint, s.captions[c].object[wd]);
                assert_int_equal(cJSON_GetArrayItem(kinds, wd)->valueint, s.captions[c].kind[wd]);
            }
        }
    }
    assert_int_equal(cJSON_GetArraySize(anns), n_ann);
    free(mask);
    free(decoded);
    vis_scene_free(&s);
    cJSON_Delete(root);
}

/* Counts the files in dir whose name ends in suffix. */
static int count_suffix(const char *dir, const char *suffix) {
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '%s$'", dir, suffix);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = -1;
        pclose(p);
    }
    return n;
}

/* Export writes readable PNGs and a captions.json matching the scenes; refuses to overwrite. */
static void test_export(void **state) {
    (void)state;
    char *tmp = make_temp_dir();
    assert_non_null(tmp);
    char dir[512], images[600];
    snprintf(dir, sizeof dir, "%s/nested/out", tmp);   /* parents are created */
    snprintf(images, sizeof images, "%s/images", dir);
    nn_error err = {{0}};
    int rc = vis_scenes_export(dir, 9, 31, VIS_SPLIT_HELDOUT, 64, 48, &err);
    if (rc != 0) fail_msg("export: %s", err.msg);
    check_export_dir(dir, 9, 31, VIS_SPLIT_HELDOUT, 64, 48, 0);
    assert_int_equal(count_suffix(images, ".png"), 9);
    assert_int_equal(count_suffix(images, ".tmp"), 0);
    assert_int_equal(count_suffix(dir, ".tmp"), 0);

    assert_int_equal(vis_scenes_export(dir, 3, 32, VIS_SPLIT_TRAIN, 64, 48, &err), -1);
    assert_non_null(strstr(err.msg, "already exists"));

    vis_export_params p = vis_export_default_params();
    p.count = 4;
    p.seed = 33;
    p.n_objects = 2;
    p.overwrite = 1;
    rc = vis_scenes_export_with(dir, &p, &err);
    if (rc != 0) fail_msg("export: %s", err.msg);
    check_export_dir(dir, 4, 33, VIS_SPLIT_TRAIN, 96, 96, 2);
    remove_tree(tmp);
    free(tmp);
}

/* Runs a shell command quietly and returns its exit status. */
static int run(const char *cmd) {
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The `xcap scenes` command: help, bad arguments, a real run, and overwrite protection. */
static void test_cli(void **state) {
    (void)state;
    const char *bin = getenv("XCAP_BINARY");
    if (!bin || access(bin, X_OK) != 0) {
        print_message("skipping: XCAP_BINARY not built\n");
        skip();
    }
    char *tmp = make_temp_dir();
    assert_non_null(tmp);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' scenes --help | grep -q 'usage: xcap scenes'", bin);
    assert_int_equal(run(cmd), 0);
    const char *bad[] = {"--count 0 --seed 1 --split train --out X",
                         "--count 3 --seed 1 --split test --out X",
                         "--count 3 --split train --out X",
                         "--count 3 --seed 1 --split train",
                         "--count 3 --seed 1 --split train --out X --size 96",
                         "--count 3 --seed -1 --split train --out X",
                         "--count 3 --seed 1 --split train --out X --objects 4",
                         "--count 3 --seed 1 --split train --out X --bogus"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' scenes %s 2>err.txt", tmp, bin, bad[i]);
        assert_int_equal(run(cmd), 2);
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && test $(wc -l < err.txt) -eq 1 && grep -q '^xcap scenes: ' err.txt",
                 tmp);
        assert_int_equal(run(cmd), 0);
    }
    snprintf(cmd, sizeof cmd,
             "'%s' scenes --count 5 --seed 8 --split val --out '%s/d' --size 80x64 --objects 3",
             bin, tmp);
    assert_int_equal(run(cmd), 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/d", tmp);
    check_export_dir(dir, 5, 8, VIS_SPLIT_VAL, 80, 64, 3);
    snprintf(cmd, sizeof cmd, "'%s' scenes --count 5 --seed 8 --split val --out '%s/d' 2>/dev/null",
             bin, tmp);
    assert_int_equal(run(cmd), 1);
    snprintf(cmd, sizeof cmd,
             "'%s' scenes --count=2 --seed=9 --split=heldout --out='%s/d' --force --size 96x96",
             bin, tmp);
    assert_int_equal(run(cmd), 0);
    check_export_dir(dir, 2, 9, VIS_SPLIT_HELDOUT, 96, 96, 0);
    /* without --size each scene has its own canvas, as `xcap eval` draws them */
    snprintf(cmd, sizeof cmd,
             "'%s' scenes --count 12 --seed 3 --split val --out '%s/r' && "
             "test $(grep -o '\"width\":[0-9]*' '%s/r/captions.json' | sort -u | wc -l) -ge 3",
             bin, tmp, tmp);
    assert_int_equal(run(cmd), 0);
    remove_tree(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_object_counts),
        cmocka_unit_test(test_grammar_and_ground_truth),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_non_square),
        cmocka_unit_test(test_errors_and_names),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

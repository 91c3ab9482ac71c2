/* test_shapes_look.c — the shapes world's varied drawing: every variation of the recipe
 * occurs, shades stay inside their named colour's range, backgrounds keep objects visible,
 * outlines keep their shape's name, and drawing straight into the model's input (as
 * training does) matches drawing the canvas and resizing it (as captioning does). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/util/check.h"
#include "vision/image.h"
#include "vision/shapes.h"
#include "vision/shapes_parts.h"

#define SIDE 96

/* Generates scene i of base seed `base` on its random canvas, as evaluation does. */
static void gen_scene(vis_scene *s, uint64_t base, uint64_t i, const vis_recipe *r, int draw) {
    uint64_t seed = vis_scene_seed(base, i);
    int w, h;
    vis_canvas_sample(&w, &h, r, seed, SIDE, SIDE);
    nn_error err = {{0}};
    if (vis_scene_generate_with(s, seed, VIS_SPLIT_TRAIN, w, h, 0, r, draw, &err) != 0)
        fail_msg("scene %llu: %s", (unsigned long long)i, err.msg);
}

/* Every variation of the default recipe occurs in a sample, within its documented range. */
static void test_looks_cover_the_recipe(void **state) {
    (void)state;
    vis_recipe r = vis_recipe_default();
    vis_scene s = {0};
    int kinds[VIS_BG_COUNT] = {0}, clean = 0, noisy = 0, over = 0, hard = 0, blurred = 0,
        jpeg = 0, model_canvas = 0, wide = 0, tall = 0;
    const int n = 800;
    for (int i = 0; i < n; i++) {
        gen_scene(&s, 21, (uint64_t)i, &r, 0);
        const vis_look *l = &s.look;
        kinds[l->background]++;
        clean += l->noise == 0.0f;
        noisy += l->noise > 0.0f;
        over += l->noise_over_objects;
        hard += !l->antialias;
        blurred += l->blur > 0.0f;
        jpeg += l->jpeg_quality > 0;
        assert_true(l->noise >= 0.0f && l->noise <= r.noise_max);
        assert_true(l->blur == 0.0f || (l->blur >= 0.05f && l->blur <= r.blur_max));
        assert_true(l->jpeg_quality == 0 ||
                    (l->jpeg_quality >= r.jpeg_min && l->jpeg_quality <= r.jpeg_max));
        if (s.width == SIDE && s.height == SIDE) {
            model_canvas++;
            continue;
        }
        int lo = s.width < s.height ? s.width : s.height, hi = s.width + s.height - lo;
        assert_true(lo >= r.side_min && hi <= r.side_max);
        assert_true((double)hi / lo <= r.aspect_max + 0.02);
        wide += s.width > s.height;
        tall += s.height > s.width;
    }
    for (int k = 0; k < VIS_BG_COUNT; k++) assert_true(kinds[k] > n / 20);
    assert_true(clean > n / 5 && noisy > n / 5 && over > n / 10 && hard > n / 10);
    assert_true(blurred > n / 10 && jpeg > n / 10 && model_canvas > n / 10);
    assert_true(wide > n / 10 && tall > n / 10);
    vis_scene_free(&s);
}

/* RGB bytes to hue (degrees), saturation and value. */
static void rgb_to_hsv(const unsigned char c[3], float *h, float *s, float *v) {
    float r = c[0] / 255.0f, g = c[1] / 255.0f, b = c[2] / 255.0f;
    float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
    *v = mx;
    *s = mx > 0.0f ? d / mx : 0.0f;
    if (d == 0.0f) *h = 0.0f;
    else if (mx == r) *h = 60.0f * fmodf((g - b) / d + 6.0f, 6.0f);
    else if (mx == g) *h = 60.0f * ((b - r) / d + 2.0f);
    else *h = 60.0f * ((r - g) / d + 4.0f);
}

/* The documented range of each named colour (docs/shapes-world.md): hue from..to, saturation
 * from..to, value from..to; red's hue wraps through 0. */
static const float named[VIS_COLOUR_COUNT][6] = {
    {-12, 10, 0.62f, 1, 0.68f, 1}, {97, 143, 0.55f, 1, 0.62f, 1}, {212, 238, 0.62f, 1, 0.70f, 1},
    {47, 62, 0.62f, 1, 0.80f, 1},  {266, 292, 0.55f, 1, 0.65f, 1}, {20, 37, 0.70f, 1, 0.80f, 1},
    {0, 360, 0, 0.07f, 0.88f, 1},  {176, 194, 0.62f, 1, 0.72f, 1}};

/* Every object's shade lies inside its colour's range (to byte rounding); non-muted
 * backgrounds stand at least 110 RGB levels from every object. */
static void test_shades_and_contrast(void **state) {
    (void)state;
    vis_recipe r = vis_recipe_default();
    vis_scene s = {0};
    for (int i = 0; i < 1500; i++) {
        gen_scene(&s, 22, (uint64_t)i, &r, 0);
        for (int k = 0; k < s.n_objects; k++) {
            const vis_object *o = &s.objects[k];
            const float *t = named[o->colour];
            float h, sat, v;
            rgb_to_hsv(o->rgb, &h, &sat, &v);
            if (o->colour != VIS_COLOUR_WHITE) {
                if (t[0] < 0.0f && h > 180.0f) h -= 360.0f;
                assert_true(h >= t[0] - 2.0f && h <= t[1] + 2.0f);
            }
            assert_true(sat >= t[2] - 0.02f && sat <= t[3] + 0.02f);
            assert_true(v >= t[4] - 0.01f && v <= t[5] + 0.01f);
            if (s.look.background == VIS_BG_MUTED) continue;
            for (int b = 0; b < 2; b++) {
                const unsigned char *bg = b ? s.look.bg2 : s.look.bg;
                if (b && s.look.background != VIS_BG_GRADIENT) continue;
                float d = 0.0f;
                for (int c = 0; c < 3; c++) d += powf((float)bg[c] - o->rgb[c], 2.0f);
                if (sqrtf(d) < 110.0f) {
                    /* only the muted fallback may be closer, and it is not a random colour */
                    fail_msg("scene %d: object %d is %.0f levels from the background", i, k,
                             sqrtf(d));
                }
            }
        }
    }
    vis_scene_free(&s);
}

/* Varied outlines keep their names: rotations within the stated range, the star's five points
 * and inner ratio, the triangle's apex on top, the diamond standing on a corner. */
static void test_outlines_keep_their_names(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 5);
    float v[VIS_MAX_VERTICES][2];
    for (int i = 0; i < 2000; i++) {
        vis_shape shape = (vis_shape)(i % VIS_SHAPE_COUNT);
        int n = vis_shape_outline(v, shape, 1, &r);
        float deg = 0.0f, limit = 10.0f;
        switch (shape) {
        case VIS_SHAPE_CIRCLE: assert_int_equal(n, 0); continue;
        case VIS_SHAPE_SQUARE:
            assert_true(n == 4 || n == 16);
            break;
        case VIS_SHAPE_TRIANGLE:   /* vertex 0 is the apex: the topmost point */
            assert_int_equal(n, 3);
            assert_true(v[0][1] < v[1][1] && v[0][1] < v[2][1]);
            deg = atan2f(v[0][0], -v[0][1]) * 57.29578f;
            break;
        case VIS_SHAPE_DIAMOND:    /* vertex 0 is the top corner */
            assert_int_equal(n, 4);
            deg = atan2f(v[0][0], -v[0][1]) * 57.29578f;
            break;
        case VIS_SHAPE_STAR: {
            assert_int_equal(n, 10);
            float outer = hypotf(v[0][0], v[0][1]), inner = hypotf(v[1][0], v[1][1]);
            assert_true(inner / outer >= 0.38f - 1e-4f && inner / outer <= 0.55f + 1e-4f);
            deg = atan2f(v[0][0], -v[0][1]) * 57.29578f;
            limit = 12.0f;
            break;
        }
        case VIS_SHAPE_CROSS:      /* vertices 0 and 1 end the top arm */
            assert_int_equal(n, 12);
            deg = atan2f(v[0][0] + v[1][0], -(v[0][1] + v[1][1])) * 57.29578f;
            break;
        default: fail();
        }
        if (shape == VIS_SHAPE_SQUARE) {   /* the top edge's direction */
            int a = n == 4 ? 0 : 3, b = n == 4 ? 1 : 4;
            deg = atan2f(v[b][1] - v[a][1], v[b][0] - v[a][0]) * 57.29578f;
        }
        assert_true(fabsf(deg) <= limit + 1e-3f);
    }
}

/* Mean absolute difference between two pictures of n bytes. */
static double mean_abs(const unsigned char *a, const unsigned char *b, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += fabs((double)a[i] - b[i]);
    return sum / (double)n;
}

/* Training draws each scene straight into the model's input through a fit; captioning draws
 * (or loads) the canvas and resizes it. Both pictures agree, stretched and letterboxed, and
 * the patch shares taught to the alignment head sum to 1 and match the canvas's own. */
static void test_fitted_drawing_matches_resizing(void **state) {
    (void)state;
    vis_recipe r = vis_recipe_default();
    r.p_flat = 1.0f;
    r.p_gradient = r.p_texture = r.p_noise = r.p_hard_edges = r.p_blur = r.p_jpeg = 0.0f;
    vis_scene s = {0};
    unsigned char direct[SIDE * SIDE * 3], resized[SIDE * SIDE * 3];
    float share[144], want[144];
    double worst[2] = {0.0, 0.0};
    nn_error err = {{0}};
    for (int i = 0; i < 40; i++) {
        gen_scene(&s, 23, (uint64_t)i, &r, 1);
        for (int letterbox = 0; letterbox < 2; letterbox++) {
            vis_fit fit = vis_fit_make(s.width, s.height, SIDE, SIDE, letterbox, s.look.bg);
            if (vis_scene_render(direct, SIDE, SIDE, &s, &fit, &err) != 0) fail_msg("%s", err.msg);
            vis_image_fit(resized, SIDE, SIDE, s.rgb, s.width, s.height, letterbox);
            double d = mean_abs(direct, resized, sizeof direct);
            worst[letterbox] = d > worst[letterbox] ? d : worst[letterbox];
            for (int k = 0; k < s.n_objects; k++) {
                vis_object_fit_share(share, &s, k, &fit, SIDE, SIDE, 8);
                double sum = 0.0;
                for (int p = 0; p < 144; p++) sum += share[p];
                assert_true(fabs(sum - 1.0) < 1e-4);
            }
        }
        /* on its own canvas the fitted share is the mask's share of each patch */
        if (s.width % 8 == 0 && s.height % 8 == 0 && s.width * s.height / 64 <= 144) {
            int gw = s.width / 8, cells = s.width * s.height / 64;
            vis_fit id = vis_fit_make(s.width, s.height, s.width, s.height, 0, NULL);
            vis_object_fit_share(share, &s, 0, &id, s.width, s.height, 8);
            unsigned char *mask = malloc((size_t)s.width * (size_t)s.height);
            assert_non_null(mask);
            vis_object_mask(mask, &s, 0);
            float total = 0.0f;
            memset(want, 0, sizeof want);
            for (int y = 0; y < s.height; y++)
                for (int x = 0; x < s.width; x++)
                    if (mask[y * s.width + x]) want[(y / 8) * gw + x / 8] += 1.0f, total += 1.0f;
            for (int c = 0; c < cells; c++) want[c] /= total;
            free(mask);
            check_close(share, want, (size_t)cells, 1e-6, 0.0);
        }
    }
    print_message("mean |direct - resized|: stretch %.2f, letterbox %.2f levels\n", worst[0],
                  worst[1]);
    assert_true(worst[0] < 1.5 && worst[1] < 2.5);
    vis_scene_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_looks_cover_the_recipe),
        cmocka_unit_test(test_shades_and_contrast),
        cmocka_unit_test(test_outlines_keep_their_names),
        cmocka_unit_test(test_fitted_drawing_matches_resizing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

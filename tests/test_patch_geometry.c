/* test_patch_geometry.c — patch grid ⇄ original-image pixel geometry, checked as properties
 * over many image and grid sizes (square, non-square, odd, tiny, large). */
#include "tests/util/check.h"
#include "vision/patch_geometry.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    size_t w, h;
} size2;

static const size2 kImages[] = {
    {96, 96}, {128, 128}, {97, 61}, {61, 97}, {1, 1}, {1, 37}, {37, 1}, {5, 3}, {13, 7},
    {11, 12}, {2, 2}, {23, 5}, {640, 480}, {255, 257}, {4000, 3000},
};
static const size2 kGrids[] = {{12, 12}, {16, 16}, {6, 4}, {4, 6}, {1, 1}, {3, 7}};

#define N_IMAGES (sizeof kImages / sizeof kImages[0])
#define N_GRIDS (sizeof kGrids / sizeof kGrids[0])

/* floor(i*n/g) computed in double, independently of the library's integer arithmetic. */
static size_t spec_start(size_t i, size_t n, size_t g) {
    return (size_t)floor((double)i * (double)n / (double)g);
}

/* Every pixel lies in exactly one rect, the rects match the formula, their areas sum to W*H,
 * and vis_pixel_to_patch names the rect that holds each pixel. */
static void check_tiling(size_t W, size_t H, size_t gw, size_t gh) {
    size_t npix = W * H, npatch = gw * gh;
    int32_t *owner = malloc(npix * sizeof *owner);
    assert_non_null(owner);
    for (size_t i = 0; i < npix; i++) owner[i] = -1;
    size_t area = 0;
    for (size_t n = 0; n < npatch; n++) {
        vis_rect rc;
        vis_patch_rect(&rc, n, gw, gh, W, H);
        size_t r = n / gw, c = n % gw;
        if (rc.x0 != spec_start(c, W, gw) || rc.x1 != spec_start(c + 1, W, gw) ||
            rc.y0 != spec_start(r, H, gh) || rc.y1 != spec_start(r + 1, H, gh)) {
            fail_msg("%zux%zu grid %zux%zu: patch %zu rect [%zu,%zu)x[%zu,%zu) off the formula", W, H,
                     gw, gh, n, rc.x0, rc.x1, rc.y0, rc.y1);
        }
        assert_true(rc.x0 <= rc.x1 && rc.x1 <= W && rc.y0 <= rc.y1 && rc.y1 <= H);
        if (W >= gw && H >= gh) assert_true(rc.x0 < rc.x1 && rc.y0 < rc.y1);
        area += (rc.x1 - rc.x0) * (rc.y1 - rc.y0);
        for (size_t y = rc.y0; y < rc.y1; y++) {
            for (size_t x = rc.x0; x < rc.x1; x++) {
                if (owner[y * W + x] != -1) {
                    fail_msg("%zux%zu grid %zux%zu: pixel (%zu,%zu) in patches %d and %zu", W, H, gw,
                             gh, x, y, owner[y * W + x], n);
                }
                owner[y * W + x] = (int32_t)n;
            }
        }
    }
    assert_int_equal(area, npix);
    for (size_t y = 0; y < H; y++) {
        for (size_t x = 0; x < W; x++) {
            size_t got = vis_pixel_to_patch(x, y, gw, gh, W, H);
            if (owner[y * W + x] < 0 || got != (size_t)owner[y * W + x]) {
                fail_msg("%zux%zu grid %zux%zu: pixel (%zu,%zu) maps to %zu, its rect is patch %d", W,
                         H, gw, gh, x, y, got, owner[y * W + x]);
            }
        }
    }
    free(owner);
}

static void test_rects_tile_every_image(void **state) {
    (void)state;
    for (size_t i = 0; i < N_IMAGES; i++)
        for (size_t g = 0; g < N_GRIDS; g++)
            check_tiling(kImages[i].w, kImages[i].h, kGrids[g].w, kGrids[g].h);
}

/* Centres lie in the continuous extent of their cell always, and inside the pixel rect
 * (and map back to their own patch) when cells are at least 2 px on each side. */
static void test_centres_inside_cells(void **state) {
    (void)state;
    for (size_t i = 0; i < N_IMAGES; i++) {
        for (size_t g = 0; g < N_GRIDS; g++) {
            size_t W = kImages[i].w, H = kImages[i].h, gw = kGrids[g].w, gh = kGrids[g].h;
            for (size_t n = 0; n < gw * gh; n++) {
                float cx, cy;
                vis_patch_centre(&cx, &cy, n, gw, gh, W, H);
                size_t r = n / gw, c = n % gw;
                double ex0 = (double)c * W / gw, ex1 = (double)(c + 1) * W / gw;
                double ey0 = (double)r * H / gh, ey1 = (double)(r + 1) * H / gh;
                assert_true(cx > ex0 && cx < ex1 && cy > ey0 && cy < ey1);
                if (W >= 2 * gw && H >= 2 * gh) {
                    vis_rect rc;
                    vis_patch_rect(&rc, n, gw, gh, W, H);
                    assert_true(cx >= (float)rc.x0 && cx < (float)rc.x1);
                    assert_true(cy >= (float)rc.y0 && cy < (float)rc.y1);
                    assert_int_equal(vis_pixel_to_patch((size_t)cx, (size_t)cy, gw, gh, W, H), n);
                }
            }
        }
    }
}

/* The model's own case and the tiny cases the header documents. */
static void test_known_values(void **state) {
    (void)state;
    vis_rect rc;
    float cx, cy;
    /* 96×96, 12×12 grid of 8 px patches: patch 13 is row 1, column 1. */
    vis_patch_rect(&rc, 13, 12, 12, 96, 96);
    assert_int_equal(rc.x0, 8);
    assert_int_equal(rc.x1, 16);
    assert_int_equal(rc.y0, 8);
    assert_int_equal(rc.y1, 16);
    vis_patch_centre(&cx, &cy, 13, 12, 12, 96, 96);
    assert_true(cx == 12.0f && cy == 12.0f);
    /* A 1-pixel-wide image: the single column belongs to the last cell of each row. */
    for (size_t c = 0; c < 11; c++) {
        vis_patch_rect(&rc, c, 12, 12, 1, 120);
        assert_int_equal(rc.x0, rc.x1);
    }
    vis_patch_rect(&rc, 11, 12, 12, 1, 120);
    assert_int_equal(rc.x0, 0);
    assert_int_equal(rc.x1, 1);
    assert_int_equal(vis_pixel_to_patch(0, 0, 12, 12, 1, 120), 11);
    assert_int_equal(vis_pixel_to_patch(0, 119, 12, 12, 1, 120), 143);
    /* 1×1 image: everything in the last patch. */
    assert_int_equal(vis_pixel_to_patch(0, 0, 16, 16, 1, 1), 255);
    /* W = 5, gw = 4: cell 2 is pixel [2, 3) but its centre 3.125 is past it (documented). */
    vis_patch_rect(&rc, 2, 4, 1, 5, 5);
    assert_int_equal(rc.x0, 2);
    assert_int_equal(rc.x1, 3);
    vis_patch_centre(&cx, &cy, 2, 4, 1, 5, 5);
    assert_true(fabsf(cx - 3.125f) < 1e-6f);
    /* Non-square cells: 4000×3000 in 6×4 has cells of 666.67 × 750 px. */
    vis_patch_rect(&rc, vis_patch_index(3, 5, 6), 6, 4, 4000, 3000);
    assert_int_equal(rc.x0, 3333);
    assert_int_equal(rc.x1, 4000);
    assert_int_equal(rc.y0, 2250);
    assert_int_equal(rc.y1, 3000);
    float sx, sy;
    vis_patch_size(&sx, &sy, 6, 4, 4000, 3000);
    assert_true(fabsf(sx - 666.6667f) < 1e-3f && sy == 750.0f);
}

static void test_index_round_trip(void **state) {
    (void)state;
    for (size_t g = 0; g < N_GRIDS; g++) {
        size_t gw = kGrids[g].w, gh = kGrids[g].h;
        for (size_t n = 0; n < gw * gh; n++) {
            size_t r, c;
            vis_patch_rc(&r, &c, n, gw);
            assert_true(r < gh && c < gw);
            assert_int_equal(vis_patch_index(r, c, gw), n);
        }
    }
}

/* Products that overflow 32 bits still give the right cell (64-bit arithmetic). */
static void test_large_products(void **state) {
    (void)state;
    size_t W = 3000000000u, gw = 7;
    vis_rect rc;
    vis_patch_rect(&rc, 6, gw, 1, W, 1);
    assert_int_equal(rc.x0, (size_t)(6ull * 3000000000ull / 7ull));
    assert_int_equal(rc.x1, W);
    assert_int_equal(vis_pixel_to_patch(W - 1, 0, gw, 1, W, 1), 6);
    assert_int_equal(vis_pixel_to_patch(rc.x0 - 1, 0, gw, 1, W, 1), 5);
    assert_int_equal(vis_pixel_to_patch(rc.x0, 0, gw, 1, W, 1), 6);
}

static void test_point_in_grown_box(void **state) {
    (void)state;
    vis_rect box = {10, 30, 20, 40};
    assert_true(vis_point_in_grown_box(15.0f, 35.0f, &box, 0.0f, 0.0f));
    assert_true(vis_point_in_grown_box(6.0f, 30.0f, &box, 4.0f, 2.0f));   /* on the grown edge */
    assert_false(vis_point_in_grown_box(5.9f, 30.0f, &box, 4.0f, 2.0f));
    assert_true(vis_point_in_grown_box(24.0f, 42.0f, &box, 4.0f, 2.0f));
    assert_false(vis_point_in_grown_box(24.1f, 35.0f, &box, 4.0f, 2.0f));
    assert_false(vis_point_in_grown_box(15.0f, 42.5f, &box, 4.0f, 2.0f));
    assert_false(vis_point_in_grown_box(15.0f, 27.9f, &box, 4.0f, 2.0f));
    /* Half a patch of growth: the centre of a neighbouring 8-px patch is exactly on the edge,
     * the one after it is out. */
    vis_rect obj = {16, 16, 32, 32};
    float cx, cy;
    vis_patch_centre(&cx, &cy, vis_patch_index(2, 4, 12), 12, 12, 96, 96); /* (36, 20) */
    assert_true(vis_point_in_grown_box(cx, cy, &obj, 4.0f, 4.0f));
    vis_patch_centre(&cx, &cy, vis_patch_index(2, 5, 12), 12, 12, 96, 96); /* (44, 20) */
    assert_false(vis_point_in_grown_box(cx, cy, &obj, 4.0f, 4.0f));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rects_tile_every_image),
        cmocka_unit_test(test_centres_inside_cells),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_index_round_trip),
        cmocka_unit_test(test_large_products),
        cmocka_unit_test(test_point_in_grown_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

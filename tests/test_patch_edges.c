/* test_patch_edges.c — the edge channel (vision/patch_edges.h) and its place in the
 * encoder (vision/encoder.h with edge_dim > 0).
 *
 * - a flat image has no edges (every value exactly −1);
 * - a vertical boundary lights exactly the two pixel columns beside it, with the value
 *   the formula gives;
 * - colour-blindness: a shape painted in two colours of equal contrast gives the same map;
 * - the patch layout is read right: the map equals a direct computation on the image for
 *   a non-square grid whose patches are cut by the shape;
 * - the encoder's gradient of enc.edge.w and enc.patch.w against finite differences. */
#include "tests/util/check.h"
#include "tests/util/fd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layout.h"
#include "nn/rng.h"
#include "vision/encoder.h"
#include "vision/image.h"
#include "vision/patch_edges.h"

enum { P = 4, GW = 3, GH = 2, W = GW * P, H = GH * P };

/* Paints a W×H image: background bg, and colour fg where inside(x, y). */
static void paint(unsigned char *rgb, const unsigned char bg[3], const unsigned char fg[3],
                  int (*inside)(int x, int y)) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            memcpy(rgb + (y * W + x) * 3, inside(x, y) ? fg : bg, 3);
}

static int nothing(int x, int y) { (void)x, (void)y; return 0; }
static int right_half(int x, int y) { (void)y; return x >= 5; }
static int blob(int x, int y) { return (x - 5) * (x - 5) + (y - 3) * (y - 3) <= 6; }

/* The edge map of an image through vis_patchify and vis_patch_edges. */
static void edges_of(float *out, const unsigned char *rgb) {
    float patches[GW * GH * 3 * P * P], scratch[GW * GH * 3 * P * P];
    vis_patchify(patches, rgb, W, H, P);
    vis_patch_edges(out, scratch, patches, GW, GH, P);
}

/* Value of image pixel (x, y) of an edge map in patch layout. */
static float at(const float *map, int x, int y) {
    return map[((y / P) * GW + x / P) * P * P + (y % P) * P + x % P];
}

static void test_flat_image_has_no_edges(void **state) {
    (void)state;
    unsigned char rgb[W * H * 3], bg[3] = {90, 120, 30};
    float map[GW * GH * P * P];
    paint(rgb, bg, bg, nothing);
    edges_of(map, rgb);
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) assert_true(map[i] == -1.0f);
}

static void test_vertical_boundary(void **state) {
    (void)state;
    unsigned char rgb[W * H * 3], bg[3] = {0, 0, 0}, fg[3] = {255, 0, 0};
    float map[GW * GH * P * P];
    paint(rgb, bg, fg, right_half);
    edges_of(map, rgb);
    /* columns 4 and 5 see the jump of 2 (normalised −1 → 1) in red: g = 2 / 2 = 1 */
    float lit = 2.0f * 1.0f / (1.0f + VIS_EDGE_SOFTNESS) - 1.0f;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float want = x == 4 || x == 5 ? lit : -1.0f;
            if (fabsf(at(map, x, y) - want) > 1e-6f)
                fail_msg("pixel (%d, %d): %g, expected %g", x, y, at(map, x, y), want);
        }
}

static void test_colour_blind(void **state) {
    (void)state;
    unsigned char a[W * H * 3], b[W * H * 3], bg[3] = {100, 100, 100};
    unsigned char red[3] = {200, 100, 100}, blue[3] = {100, 100, 200};
    float ma[GW * GH * P * P], mb[GW * GH * P * P];
    paint(a, bg, red, blob);
    paint(b, bg, blue, blob);
    edges_of(ma, a);
    edges_of(mb, b);
    check_close(ma, mb, GW * GH * P * P, 0, 0);
    assert_true(max_abs(ma, GW * GH * P * P) <= 1.0);
    float top = -1.0f;
    for (size_t i = 0; i < GW * GH * P * P; i++) top = fmaxf(top, ma[i]);
    assert_true(top > 0.0f);  /* the outline is lit, flat areas are −1 */
}

static void test_matches_direct_computation(void **state) {
    (void)state;
    unsigned char rgb[W * H * 3], bg[3] = {30, 60, 90}, fg[3] = {250, 200, 10};
    float map[GW * GH * P * P];
    paint(rgb, bg, fg, blob);
    nn_rng r;
    nn_rng_seed(&r, 3);
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (unsigned char)(rgb[i] ^ (unsigned)(nn_rng_uniform(&r) * 8));
    edges_of(map, rgb);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double g = 0.0;
            for (int c = 0; c < 3; c++) {
                int xl = x > 0 ? x - 1 : 0, xr = x < W - 1 ? x + 1 : W - 1;
                int yu = y > 0 ? y - 1 : 0, yd = y < H - 1 ? y + 1 : H - 1;
                double v[4] = {rgb[(y * W + xr) * 3 + c], rgb[(y * W + xl) * 3 + c],
                               rgb[(yd * W + x) * 3 + c], rgb[(yu * W + x) * 3 + c]};
                g += (fabs(v[0] - v[1]) + fabs(v[2] - v[3])) / 127.5;
            }
            g *= 0.5;
            double want = 2.0 * g / (g + VIS_EDGE_SOFTNESS) - 1.0;
            if (fabs(at(map, x, y) - want) > 1e-5)
                fail_msg("pixel (%d, %d): %g, expected %g", x, y, at(map, x, y), want);
        }
}

/* ---- the encoder with the edge channel, against finite differences ---------------- */

typedef struct {
    vis_encoder_dims dm;
    vis_encoder_weights w;
    nn_layout L;
    float *params, *patches, *block;
    vis_encoder_acts a;
} enc_world;

static void enc_take(enc_world *E, nn_arena *ar) { vis_encoder_acts_take(&E->a, ar, &E->dm, 2); }

static void enc_fwd(void *ctx, float *out) {
    enc_world *E = ctx;
    vis_encoder_forward(&E->a, E->patches, E->params, &E->w, &E->dm, 2);
    memcpy(out, E->a.ln.out, 2 * GW * GH * E->dm.d * sizeof(float));
}

static void test_encoder_edge_gradients_fd(void **state) {
    (void)state;
    enc_world E;
    memset(&E, 0, sizeof E);
    E.dm = (vis_encoder_dims){GW * GH, 3 * P * P, 8, 2, 0, 16, P * P, GW, P};
    vis_encoder_layout(&E.w, &E.L, &E.dm);
    assert_false(E.L.failed);
    nn_rng r;
    nn_rng_seed(&r, 11);
    E.params = fbuf(E.L.total);
    for (size_t i = 0; i < E.L.total; i++) E.params[i] = nn_rng_uniform(&r) - 0.5f;
    E.patches = fbuf(2 * GW * GH * 3 * P * P);
    unsigned char rgb[W * H * 3], bg[3] = {40, 90, 160}, fg[3] = {220, 30, 60};
    paint(rgb, bg, fg, blob);
    vis_patchify(E.patches, rgb, W, H, P);
    paint(rgb, fg, bg, right_half);
    vis_patchify(E.patches + GW * GH * 3 * P * P, rgb, W, H, P);
    nn_arena ar = {NULL, 0};
    enc_take(&E, &ar);
    E.block = fbuf(ar.used);
    ar = (nn_arena){E.block, 0};
    enc_take(&E, &ar);
    size_t n_out = 2 * GW * GH * E.dm.d;
    float *out = fbuf(n_out), *R = fbuf(n_out), *grads = fbuf(E.L.total);
    float *dmem = fbuf(n_out), *dx_a = fbuf(n_out), *dx_b = fbuf(n_out);
    for (size_t i = 0; i < n_out; i++) R[i] = nn_rng_uniform(&r) * 2.0f - 1.0f;
    enc_fwd(&E, out);
    memcpy(dmem, R, n_out * sizeof(float));
    blk_scratch sc;
    memset(&sc, 0, sizeof sc);  /* no encoder blocks: the scratch is not used */
    vis_encoder_backward(grads, dmem, dx_a, dx_b, &sc, &E.a, E.patches, E.params, &E.w, &E.dm, 2);
    fd_problem p = {enc_fwd, &E, out, R, n_out, 1e-2f};
    check_grad(grads + E.w.edge_w, E.params + E.w.edge_w, E.dm.d * P * P, &p, 0.05);
    check_grad(grads + E.w.patch_w, E.params + E.w.patch_w, E.dm.d * 3 * P * P, &p, 0.05);
    free(out), free(R), free(grads), free(dmem), free(dx_a), free(dx_b);
    free(E.params), free(E.patches), free(E.block);
    nn_layout_free(&E.L);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_image_has_no_edges),
        cmocka_unit_test(test_vertical_boundary),
        cmocka_unit_test(test_colour_blind),
        cmocka_unit_test(test_matches_direct_computation),
        cmocka_unit_test(test_encoder_edge_gradients_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

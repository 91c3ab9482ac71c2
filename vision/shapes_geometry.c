/* shapes_geometry.c — the outline of each shape, classic or varied within its definition,
 * and the point-in-polygon test that masks, boxes and drawing all share. */
#include "vision/shapes_parts.h"

#include <math.h>

#define PI_F 3.14159265358979f
#define DEG(x) ((x) * PI_F / 180.0f)

/* Ranges of the varied outlines (documented in docs/shapes-world.md). */
#define ROT_MAX_DEG 10.0f          /* square, triangle, diamond, cross: rotation ±10° */
#define STAR_ROT_MAX_DEG 12.0f     /* star: ±12° (a 36° turn would stand it on its head) */
#define STAR_INNER_MIN 0.38f       /* star: inner radius / outer radius */
#define STAR_INNER_MAX 0.55f
#define CROSS_HALF_MIN 0.28f       /* cross: half the bar thickness / half the arm span */
#define CROSS_HALF_MAX 0.45f
#define TRI_HEIGHT_MIN 0.80f       /* triangle: height / base */
#define TRI_HEIGHT_MAX 1.00f
#define DIAMOND_WIDTH_MIN 0.70f    /* diamond: width / height */
#define ROUND_MAX 0.25f            /* square: corner radius / half side */
#define ROUND_STEPS 4              /* vertices per rounded corner */

#define CLASSIC_STAR_INNER 0.5f
#define CLASSIC_CROSS_HALF 0.36f

/* A five-pointed star, one point up, outer radius 1, inner radius `inner`. */
static int star(float (*v)[2], float inner) {
    for (int k = 0; k < 10; k++) {
        float a = DEG(-90.0f + 36.0f * (float)k), rad = k % 2 ? inner : 1.0f;
        v[k][0] = rad * cosf(a);
        v[k][1] = rad * sinf(a);
    }
    return 10;
}

/* A plus sign spanning [-1, 1]² with bars of half thickness t. */
static int cross(float (*v)[2], float t) {
    const float p[12][2] = {{-t, -1}, {t, -1}, {t, -t}, {1, -t}, {1, t},   {t, t},
                            {t, 1},   {-t, 1}, {-t, t}, {-1, t}, {-1, -t}, {-t, -t}};
    for (int k = 0; k < 12; k++) v[k][0] = p[k][0], v[k][1] = p[k][1];
    return 12;
}

/* The square [-1, 1]² with corners rounded to radius rc (0 = sharp). */
static int square(float (*v)[2], float rc) {
    if (rc <= 0.0f) {
        const float p[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
        for (int k = 0; k < 4; k++) v[k][0] = p[k][0], v[k][1] = p[k][1];
        return 4;
    }
    /* corner centres clockwise from top-left, each arc a quarter turn */
    const float c[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
    const float start[4] = {180.0f, 270.0f, 0.0f, 90.0f};
    int n = 0;
    for (int k = 0; k < 4; k++) {
        float cx = c[k][0] * (1.0f - rc), cy = c[k][1] * (1.0f - rc);
        for (int j = 0; j < ROUND_STEPS; j++) {
            float a = DEG(start[k] + 90.0f * (float)j / (float)(ROUND_STEPS - 1));
            v[n][0] = cx + rc * cosf(a);
            v[n][1] = cy + rc * sinf(a);
            n++;
        }
    }
    return n;
}

/* Turns the n vertices by angle a (radians) about the origin. */
static void rotate(float (*v)[2], int n, float a) {
    float c = cosf(a), s = sinf(a);
    for (int k = 0; k < n; k++) {
        float x = v[k][0], y = v[k][1];
        v[k][0] = c * x - s * y;
        v[k][1] = s * x + c * y;
    }
}

int vis_shape_outline(float (*v)[2], vis_shape shape, int vary, nn_rng *r) {
    int n = 0;
    float rot = vary ? DEG(vis_uniform(r, -ROT_MAX_DEG, ROT_MAX_DEG)) : 0.0f;
    switch (shape) {
    case VIS_SHAPE_CIRCLE: return 0;
    case VIS_SHAPE_SQUARE:
        n = square(v, vary && nn_rng_uniform(r) < 0.5f ? vis_uniform(r, 0.05f, ROUND_MAX) : 0.0f);
        break;
    case VIS_SHAPE_TRIANGLE: {
        float h = vary ? vis_uniform(r, TRI_HEIGHT_MIN, TRI_HEIGHT_MAX) : 1.0f;
        const float p[3][2] = {{0, -h}, {1, h}, {-1, h}};
        for (int k = 0; k < 3; k++) v[k][0] = p[k][0], v[k][1] = p[k][1];
        n = 3;
        break;
    }
    case VIS_SHAPE_DIAMOND: {
        float w = vary ? vis_uniform(r, DIAMOND_WIDTH_MIN, 1.0f) : 1.0f;
        const float p[4][2] = {{0, -1}, {w, 0}, {0, 1}, {-w, 0}};
        for (int k = 0; k < 4; k++) v[k][0] = p[k][0], v[k][1] = p[k][1];
        n = 4;
        break;
    }
    case VIS_SHAPE_STAR:
        n = star(v, vary ? vis_uniform(r, STAR_INNER_MIN, STAR_INNER_MAX) : CLASSIC_STAR_INNER);
        if (vary) rot = DEG(vis_uniform(r, -STAR_ROT_MAX_DEG, STAR_ROT_MAX_DEG));
        break;
    case VIS_SHAPE_CROSS:
        n = cross(v, vary ? vis_uniform(r, CROSS_HALF_MIN, CROSS_HALF_MAX) : CLASSIC_CROSS_HALF);
        break;
    default: return 0;
    }
    if (rot != 0.0f) rotate(v, n, rot);
    return n;
}

int vis_polygon_contains(const float (*v)[2], int n, float x, float y) {
    int inside = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        float xi = v[i][0], yi = v[i][1], xj = v[j][0], yj = v[j][1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
}

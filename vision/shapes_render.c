/* shapes_render.c — draws a scene through a fit: at its own canvas size (export, evaluation)
 * or straight into the model's input (training), with the look's background, coverage-
 * weighted or hard edges, noise, blur and JPEG round trip; and each object's patch share on
 * the fitted grid, which the alignment loss is taught. */
#include "vision/shapes_parts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#define SUPERSAMPLE 4   /* antialiased coverage: sub-rows per pixel row */

vis_fit vis_fit_make(int width, int height, int dw, int dh, int letterbox,
                     const unsigned char pad[3]) {
    vis_fit f = {(float)dw / (float)width, (float)dh / (float)height, 0.0f, 0.0f, {0, 0, 0}};
    if (letterbox) {
        float k = f.kx < f.ky ? f.kx : f.ky;
        f.kx = f.ky = k;
        f.ox = 0.5f * ((float)dw - k * (float)width);
        f.oy = 0.5f * ((float)dh - k * (float)height);
    }
    if (pad) memcpy(f.pad, pad, 3);
    return f;
}

/* Clamps a float to a byte, rounding to nearest. */
static inline unsigned char to_byte(float v) {
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)(v + 0.5f);
}

/* Fills dst with the background of look l drawn through fit f, or f's pad outside the canvas. */
static void draw_background(unsigned char *dst, int dw, int dh, const vis_scene *s,
                            const vis_fit *f) {
    const vis_look *l = &s->look;
    float ikx = 1.0f / f->kx, iky = 1.0f / f->ky, W = (float)s->width, H = (float)s->height;
    for (int Y = 0; Y < dh; Y++) {
        float y = ((float)Y + 0.5f - f->oy) * iky;
        unsigned char *row = dst + 3 * (size_t)Y * (size_t)dw;
        for (int X = 0; X < dw; X++) {
            float x = ((float)X + 0.5f - f->ox) * ikx, t = 0.0f;
            unsigned char *px = row + 3 * X;
            if (x < 0.0f || y < 0.0f || x >= W || y >= H) {
                px[0] = f->pad[0], px[1] = f->pad[1], px[2] = f->pad[2];
                continue;
            }
            if (l->background == VIS_BG_GRADIENT) {
                t = 0.5f + 0.7071f * ((x / W - 0.5f) * l->dir_x + (y / H - 0.5f) * l->dir_y);
                t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
            } else if (l->background == VIS_BG_TEXTURE) {
                long a = (long)floorf((x * l->dir_x + y * l->dir_y) / l->period);
                long b = (long)floorf((y * l->dir_x - x * l->dir_y) / l->period);
                t = (float)((l->checks ? a + b : a) & 1);
            }
            if (t == 0.0f) {
                px[0] = l->bg[0], px[1] = l->bg[1], px[2] = l->bg[2];
                continue;
            }
            for (int c = 0; c < 3; c++)
                px[c] = to_byte((1.0f - t) * (float)l->bg[c] + t * (float)l->bg2[c]);
        }
    }
}

/* Adds the look's uniform noise (±noise levels) to every pixel of dst, from the scene's own
 * stream: one 32-bit draw per pixel, a byte per channel. */
static void add_noise(unsigned char *dst, size_t pixels, const vis_scene *s, uint64_t salt) {
    nn_rng r;
    nn_rng_seed(&r, nn_seed_mix(s->seed, salt));
    float a = s->look.noise / 127.5f;
    for (size_t i = 0; i < pixels; i++) {
        uint32_t bits = nn_rng_u32(&r);
        for (int c = 0; c < 3; c++) {
            float u = (float)((bits >> (8 * c)) & 0xFFu) - 127.5f;
            dst[3 * i + (size_t)c] = to_byte((float)dst[3 * i + (size_t)c] + a * u);
        }
    }
}

/* The output pixels [*X0, *X1) × [*Y0, *Y1) that object o's box maps onto. */
static void output_box(int *X0, int *Y0, int *X1, int *Y1, const vis_object *o, const vis_fit *f,
                       int dw, int dh) {
    *X0 = (int)floorf((float)o->x0 * f->kx + f->ox);
    *X1 = (int)ceilf((float)o->x1 * f->kx + f->ox);
    *Y0 = (int)floorf((float)o->y0 * f->ky + f->oy);
    *Y1 = (int)ceilf((float)o->y1 * f->ky + f->oy);
    *X0 = *X0 < 0 ? 0 : *X0;
    *Y0 = *Y0 < 0 ? 0 : *Y0;
    *X1 = *X1 > dw ? dw : *X1;
    *Y1 = *Y1 > dh ? dh : *Y1;
}

/* The x positions (canvas pixels) where the horizontal line at canvas height y crosses
 * object o's outline, sorted; returns their count (even). A point (x, y) is inside exactly
 * when it lies in [c0, c1) or [c2, c3) ..., the rule of vis_object_contains. */
static int crossings(float *c, const vis_object *o, float y) {
    int n = 0;
    if (o->n_vertices == 0) {
        float dy = y - o->gy, h = o->radius * o->radius - dy * dy;
        if (h < 0.0f) return 0;
        c[0] = o->gx - sqrtf(h);
        c[1] = o->gx + sqrtf(h);
        return 2;
    }
    for (int i = 0, j = o->n_vertices - 1; i < o->n_vertices; j = i++) {
        float xi = o->vertices[i][0], yi = o->vertices[i][1];
        float xj = o->vertices[j][0], yj = o->vertices[j][1];
        if ((yi > y) != (yj > y)) c[n++] = (xj - xi) * (y - yi) / (yj - yi) + xi;
    }
    for (int i = 1; i < n; i++)   /* insertion sort: at most VIS_MAX_VERTICES values */
        for (int j = i; j > 0 && c[j] < c[j - 1]; j--) {
            float t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
    return n & ~1;
}

/* Adds into cov[X - X0] (X in [X0, X1)) object o's coverage of output row Y: antialiased, the
 * exact horizontal overlap of each of SUPERSAMPLE sub-rows' spans; hard, 1 where the pixel
 * centre is inside. A scanline rasteriser: a few crossings a row instead of a point test a
 * sample. */
static void cover_row(float *cov, const vis_object *o, const vis_fit *f, int Y, int X0, int X1,
                      int antialias) {
    float c[VIS_MAX_VERTICES + 2];
    int rows = antialias ? SUPERSAMPLE : 1;
    for (int j = 0; j < rows; j++) {
        float ys = antialias ? (float)Y + ((float)j + 0.5f) / SUPERSAMPLE : (float)Y + 0.5f;
        int n = crossings(c, o, (ys - f->oy) / f->ky);
        for (int k = 0; k + 1 < n; k += 2) {
            float a = c[k] * f->kx + f->ox, b = c[k + 1] * f->kx + f->ox;
            if (!antialias) {   /* centres X + 0.5 in [a, b) */
                int lo = (int)ceilf(a - 0.5f), hi = (int)ceilf(b - 0.5f);
                for (int X = lo < X0 ? X0 : lo; X < hi && X < X1; X++) cov[X - X0] = 1.0f;
                continue;
            }
            int lo = (int)floorf(a), hi = (int)ceilf(b);
            for (int X = lo < X0 ? X0 : lo; X < hi && X < X1; X++) {
                float l = a > (float)X ? a : (float)X, r = b < (float)(X + 1) ? b : (float)(X + 1);
                if (r > l) cov[X - X0] += (r - l) / SUPERSAMPLE;
            }
        }
    }
}

/* Blends object o into dst through fit f, row by row of its output box. */
static void draw_object(unsigned char *dst, int dw, int dh, const vis_object *o, const vis_fit *f,
                        int antialias) {
    int X0, Y0, X1, Y1;
    output_box(&X0, &Y0, &X1, &Y1, o, f, dw, dh);
    if (X1 <= X0 || Y1 <= Y0) return;
    if (X1 - X0 > VIS_MAX_SIDE) X1 = X0 + VIS_MAX_SIDE;  /* pictures are at most this wide */
    float cov[VIS_MAX_SIDE];
    for (int Y = Y0; Y < Y1; Y++) {
        memset(cov, 0, (size_t)(X1 - X0) * sizeof *cov);
        cover_row(cov, o, f, Y, X0, X1, antialias);
        for (int X = X0; X < X1; X++) {
            float a = cov[X - X0];
            if (a <= 0.0f) continue;
            if (a > 1.0f) a = 1.0f;
            unsigned char *px = dst + 3 * ((size_t)Y * (size_t)dw + (size_t)X);
            for (int ch = 0; ch < 3; ch++)
                px[ch] = to_byte((1.0f - a) * (float)px[ch] + a * (float)o->rgb[ch]);
        }
    }
}

/* Blurs dst with the 3-tap kernel [w, 1 − 2w, w] across and then down (edges clamped). */
static int blur(unsigned char *dst, int dw, int dh, float w) {
    unsigned char *tmp = malloc((size_t)dw * (size_t)dh * 3);
    if (!tmp) return -1;
    for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++)
            for (int c = 0; c < 3; c++) {
                size_t row = (size_t)y * (size_t)dw;
                int l = x > 0 ? x - 1 : x, r = x + 1 < dw ? x + 1 : x;
                tmp[3 * (row + x) + c] = to_byte(w * dst[3 * (row + l) + c] +
                                                 (1 - 2 * w) * dst[3 * (row + x) + c] +
                                                 w * dst[3 * (row + r) + c]);
            }
    for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++)
            for (int c = 0; c < 3; c++) {
                int u = y > 0 ? y - 1 : y, d = y + 1 < dh ? y + 1 : y;
                dst[3 * ((size_t)y * dw + x) + c] =
                    to_byte(w * tmp[3 * ((size_t)u * dw + x) + c] +
                            (1 - 2 * w) * tmp[3 * ((size_t)y * dw + x) + c] +
                            w * tmp[3 * ((size_t)d * dw + x) + c]);
            }
    free(tmp);
    return 0;
}

/* A growing memory buffer for stb's JPEG writer. */
typedef struct {
    unsigned char *data;
    size_t size, cap;
    int failed;
} mem_sink;

static void sink_write(void *ctx, void *data, int size) {
    mem_sink *m = ctx;
    if (m->failed || size <= 0) return;
    if (m->size + (size_t)size > m->cap) {
        size_t cap = (m->cap ? 2 * m->cap : 8192) + (size_t)size;
        unsigned char *p = realloc(m->data, cap);
        if (!p) {
            m->failed = 1;
            return;
        }
        m->data = p;
        m->cap = cap;
    }
    memcpy(m->data + m->size, data, (size_t)size);
    m->size += (size_t)size;
}

/* Encodes dst as JPEG at quality q and decodes it back in place. */
static int jpeg_round_trip(unsigned char *dst, int dw, int dh, int q) {
    mem_sink m = {0};
    int ok = stbi_write_jpg_to_func(sink_write, &m, dw, dh, 3, dst, q) && !m.failed;
    int w, h, comp;
    unsigned char *back = ok ? stbi_load_from_memory(m.data, (int)m.size, &w, &h, &comp, 3) : NULL;
    free(m.data);
    if (!back || w != dw || h != dh) {
        free(back);
        return -1;
    }
    memcpy(dst, back, (size_t)dw * (size_t)dh * 3);
    free(back);
    return 0;
}

int vis_scene_render(unsigned char *dst, int dw, int dh, const vis_scene *s, const vis_fit *fit,
                     nn_error *err) {
    const vis_look *l = &s->look;
    size_t pixels = (size_t)dw * (size_t)dh;
    draw_background(dst, dw, dh, s, fit);
    if (l->noise > 0.0f && !l->noise_over_objects) add_noise(dst, pixels, s, 0x9015e);
    for (int i = 0; i < s->n_objects; i++) draw_object(dst, dw, dh, &s->objects[i], fit, l->antialias);
    if (l->noise > 0.0f && l->noise_over_objects) add_noise(dst, pixels, s, 0x9015e);
    if (l->blur > 0.0f && blur(dst, dw, dh, l->blur) != 0)
        return nn_fail(err, "shapes: out of memory blurring a %dx%d picture", dw, dh);
    if (l->jpeg_quality > 0 && jpeg_round_trip(dst, dw, dh, l->jpeg_quality) != 0)
        return nn_fail(err, "shapes: the JPEG round trip of a %dx%d picture failed", dw, dh);
    return 0;
}

void vis_object_fit_share(float *out, const vis_scene *s, int index, const vis_fit *fit, int dw,
                          int dh, int patch) {
    const vis_object *o = &s->objects[index];
    int gw = dw / patch, gh = dh / patch;
    memset(out, 0, (size_t)gw * (size_t)gh * sizeof *out);
    int X0, Y0, X1, Y1;
    output_box(&X0, &Y0, &X1, &Y1, o, fit, dw, dh);
    float total = 0.0f, row[VIS_MAX_SIDE];
    if (X1 - X0 > VIS_MAX_SIDE) X1 = X0 + VIS_MAX_SIDE;
    for (int Y = Y0; Y < Y1 && Y / patch < gh; Y++) {
        memset(row, 0, (size_t)(X1 > X0 ? X1 - X0 : 0) * sizeof *row);
        cover_row(row, o, fit, Y, X0, X1, 0);   /* pixel centres inside the shape */
        for (int X = X0; X < X1 && X / patch < gw; X++) {
            if (row[X - X0] == 0.0f) continue;
            out[(Y / patch) * gw + X / patch] += 1.0f;
            total += 1.0f;
        }
    }
    if (total > 0.0f)
        for (int i = 0; i < gw * gh; i++) out[i] /= total;
}

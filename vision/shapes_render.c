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

#define SUPERSAMPLE 4   /* an edge pixel's coverage: SUPERSAMPLE² samples */

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

/* Clamps a float to a byte. */
static unsigned char to_byte(float v) {
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)lrintf(v);
}

/* The background's colour at canvas point (x, y). */
static void background_at(unsigned char out[3], const vis_look *l, float x, float y, int W, int H) {
    float t = 0.0f;
    if (l->background == VIS_BG_GRADIENT) {
        t = 0.5f + 0.7071f * ((x / (float)W - 0.5f) * l->dir_x + (y / (float)H - 0.5f) * l->dir_y);
        t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    } else if (l->background == VIS_BG_TEXTURE) {
        long a = (long)floorf((x * l->dir_x + y * l->dir_y) / l->period);
        long b = (long)floorf((y * l->dir_x - x * l->dir_y) / l->period);
        t = (float)((l->checks ? a + b : a) & 1);
    }
    for (int c = 0; c < 3; c++) out[c] = to_byte((1.0f - t) * (float)l->bg[c] + t * (float)l->bg2[c]);
}

/* Adds the look's uniform noise to every pixel of dst, from the scene's own stream. */
static void add_noise(unsigned char *dst, size_t pixels, const vis_scene *s, uint64_t salt) {
    nn_rng r;
    nn_rng_seed(&r, nn_seed_mix(s->seed, salt));
    float a = s->look.noise;
    for (size_t i = 0; i < 3 * pixels; i++)
        dst[i] = to_byte((float)dst[i] + a * (2.0f * nn_rng_uniform(&r) - 1.0f));
}

/* The part of output pixel (X, Y)'s footprint that object o covers, by SUPERSAMPLE² samples. */
static float coverage(const vis_object *o, const vis_fit *f, int X, int Y) {
    int hits = 0;
    for (int j = 0; j < SUPERSAMPLE; j++) {
        float y = ((float)Y + ((float)j + 0.5f) / SUPERSAMPLE - f->oy) / f->ky;
        for (int i = 0; i < SUPERSAMPLE; i++) {
            float x = ((float)X + ((float)i + 0.5f) / SUPERSAMPLE - f->ox) / f->kx;
            hits += vis_object_contains(o, x, y);
        }
    }
    return (float)hits / (float)(SUPERSAMPLE * SUPERSAMPLE);
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

/* Blends object o into dst. Antialiased: a pixel whose four footprint corners agree is all
 * in or all out, the others are supersampled, and so are the two outer rings of the box,
 * where the tips that set the box lie; hard: the pixel centre decides. */
static int draw_object(unsigned char *dst, int dw, int dh, const vis_object *o, const vis_fit *f,
                       int antialias) {
    int X0, Y0, X1, Y1;
    output_box(&X0, &Y0, &X1, &Y1, o, f, dw, dh);
    if (X1 <= X0 || Y1 <= Y0) return 0;
    int cw = X1 - X0 + 1;
    unsigned char *corner = antialias ? malloc((size_t)cw * (size_t)(Y1 - Y0 + 1)) : NULL;
    if (antialias && !corner) return -1;
    if (antialias)
        for (int Y = Y0; Y <= Y1; Y++)
            for (int X = X0; X <= X1; X++)
                corner[(Y - Y0) * cw + (X - X0)] = (unsigned char)vis_object_contains(
                    o, ((float)X - f->ox) / f->kx, ((float)Y - f->oy) / f->ky);
    for (int Y = Y0; Y < Y1; Y++)
        for (int X = X0; X < X1; X++) {
            float a;
            if (antialias) {
                const unsigned char *c = corner + (Y - Y0) * cw + (X - X0);
                int sum = c[0] + c[1] + c[cw] + c[cw + 1];
                int rim = X < X0 + 2 || Y < Y0 + 2 || X >= X1 - 2 || Y >= Y1 - 2;
                a = rim || (sum != 0 && sum != 4) ? coverage(o, f, X, Y) : sum ? 1.0f : 0.0f;
            } else {
                a = (float)vis_object_contains(o, ((float)X + 0.5f - f->ox) / f->kx,
                                               ((float)Y + 0.5f - f->oy) / f->ky);
            }
            if (a == 0.0f) continue;
            unsigned char *px = dst + 3 * ((size_t)Y * (size_t)dw + (size_t)X);
            for (int c = 0; c < 3; c++) px[c] = to_byte((1.0f - a) * (float)px[c] + a * (float)o->rgb[c]);
        }
    free(corner);
    return 0;
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
    for (int Y = 0; Y < dh; Y++)
        for (int X = 0; X < dw; X++) {
            float x = ((float)X + 0.5f - fit->ox) / fit->kx, y = ((float)Y + 0.5f - fit->oy) / fit->ky;
            unsigned char *px = dst + 3 * ((size_t)Y * (size_t)dw + (size_t)X);
            if (x < 0.0f || y < 0.0f || x >= (float)s->width || y >= (float)s->height)
                memcpy(px, fit->pad, 3);
            else
                background_at(px, l, x, y, s->width, s->height);
        }
    if (l->noise > 0.0f && !l->noise_over_objects) add_noise(dst, pixels, s, 0x9015e);
    for (int i = 0; i < s->n_objects; i++)
        if (draw_object(dst, dw, dh, &s->objects[i], fit, l->antialias) != 0)
            return nn_fail(err, "shapes: out of memory drawing a %dx%d picture", dw, dh);
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
    float total = 0.0f;
    for (int Y = Y0; Y < Y1; Y++)
        for (int X = X0; X < X1; X++) {
            int r = Y / patch, c = X / patch;
            if (r >= gh || c >= gw ||
                !vis_object_contains(o, ((float)X + 0.5f - fit->ox) / fit->kx,
                                     ((float)Y + 0.5f - fit->oy) / fit->ky))
                continue;
            out[r * gw + c] += 1.0f;
            total += 1.0f;
        }
    if (total > 0.0f)
        for (int i = 0; i < gw * gh; i++) out[i] /= total;
}

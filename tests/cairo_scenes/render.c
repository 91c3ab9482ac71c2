/* render.c — cairo drawing of a scene; everything about pixels lives here. */
#include "render.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

int cs_picture_alloc(cs_picture *p, int width, int height, char *err, size_t cap) {
    memset(p, 0, sizeof *p);
    size_t n = (size_t)width * (size_t)height;
    p->width = width;
    p->height = height;
    p->rgb = malloc(3 * n);
    int ok = p->rgb != NULL;
    for (int k = 0; k < CS_MAX_OBJECTS; k++) ok &= (p->mask[k] = malloc(n)) != NULL;
    if (ok) return 0;
    cs_picture_free(p);
    snprintf(err, cap, "out of memory for a %dx%d picture", width, height);
    return -1;
}

void cs_picture_free(cs_picture *p) {
    free(p->rgb);
    for (int k = 0; k < CS_MAX_OBJECTS; k++) free(p->mask[k]);
    memset(p, 0, sizeof *p);
}

/* Fills err from a cairo status and returns -1 (0 when the status is success). */
static int cairo_fail(cairo_status_t st, const char *what, char *err, size_t cap) {
    if (st == CAIRO_STATUS_SUCCESS) return 0;
    snprintf(err, cap, "cairo: %s: %s", what, cairo_status_to_string(st));
    return -1;
}

/* Paints the background of st over a width × height canvas. */
static void paint_background(cairo_t *cr, const cs_style *st, int width, int height) {
    double cx = 0.5 * width, cy = 0.5 * height, diag = hypot(width, height);
    double a = st->angle * PI / 180.0, ux = cos(a), uy = sin(a);
    cairo_save(cr);
    cairo_set_source_rgb(cr, st->c0[0], st->c0[1], st->c0[2]);
    cairo_paint(cr);
    if (st->paint == CS_PAINT_GRADIENT) {  /* c0 at one side, c1 at the opposite one */
        double e = fabs(cx * ux) + fabs(cy * uy);
        cairo_pattern_t *g =
            cairo_pattern_create_linear(cx - e * ux, cy - e * uy, cx + e * ux, cy + e * uy);
        cairo_pattern_add_color_stop_rgb(g, 0, st->c0[0], st->c0[1], st->c0[2]);
        cairo_pattern_add_color_stop_rgb(g, 1, st->c1[0], st->c1[1], st->c1[2]);
        cairo_set_source(cr, g);
        cairo_paint(cr);
        cairo_pattern_destroy(g);
    } else if (st->paint == CS_PAINT_STRIPES) {  /* bands across the direction angle */
        cairo_translate(cr, cx, cy);
        cairo_rotate(cr, a);
        cairo_set_source_rgb(cr, st->c1[0], st->c1[1], st->c1[2]);
        for (double t = -diag; t < diag; t += st->period)
            cairo_rectangle(cr, t, -diag, 0.5 * st->period, 2 * diag);
        cairo_fill(cr);
    } else if (st->paint == CS_PAINT_CHECKS) {  /* a checkerboard of period-sized cells */
        cairo_set_source_rgb(cr, st->c1[0], st->c1[1], st->c1[2]);
        int nx = (int)ceil(width / st->period), ny = (int)ceil(height / st->period);
        for (int j = 0; j < ny; j++)
            for (int i = j % 2; i < nx; i += 2)
                cairo_rectangle(cr, i * st->period, j * st->period, st->period, st->period);
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

/* Adds object o's outline to the current path (a circle or a closed polygon). */
static void object_path(cairo_t *cr, const cs_object *o) {
    cairo_new_path(cr);
    if (o->n_verts == 0) {
        cairo_arc(cr, o->cx, o->cy, o->radius, 0, 2 * PI);
    } else {
        cairo_move_to(cr, o->cx + o->vx[0], o->cy + o->vy[0]);
        for (int i = 1; i < o->n_verts; i++)
            cairo_line_to(cr, o->cx + o->vx[i], o->cy + o->vy[i]);
    }
    cairo_close_path(cr);
}

/* Mean colour (0..1) of an RGB24 surface over the pixel rectangle [x0, x1) × [y0, y1). */
static void surface_mean(cairo_surface_t *surf, int x0, int y0, int x1, int y1, double out[3]) {
    const unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    double sum[3] = {0, 0, 0};
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint32_t px;
            memcpy(&px, data + (size_t)y * (size_t)stride + 4 * (size_t)x, 4);
            sum[0] += (px >> 16) & 255;
            sum[1] += (px >> 8) & 255;
            sum[2] += px & 255;
        }
    double n = fmax(1.0, (double)(x1 - x0) * (double)(y1 - y0));
    for (int c = 0; c < 3; c++) out[c] = sum[c] / n / 255.0;
}

/* Clamps v into [lo, hi]. */
static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

int cs_render_check(const cs_scene *s, const cs_style *st, double min_distance, int *bad,
                    double bg_mean[3], char *err, size_t cap) {
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s->width, s->height);
    cairo_t *cr = cairo_create(surf);
    paint_background(cr, st, s->width, s->height);
    cairo_surface_flush(surf);
    int rc = cairo_fail(cairo_status(cr), "background", err, cap);
    *bad = -1;
    if (rc == 0) {
        surface_mean(surf, 0, 0, s->width, s->height, bg_mean);
        for (int k = 0; k < s->n_objects && *bad < 0; k++) {
            const cs_object *o = &s->obj[k];
            double local[3];
            int x0 = clampi((int)floor(o->cx - 0.5 * o->bw), 0, s->width - 1);
            int y0 = clampi((int)floor(o->cy - 0.5 * o->bh), 0, s->height - 1);
            int x1 = clampi((int)ceil(o->cx + 0.5 * o->bw), x0 + 1, s->width);
            int y1 = clampi((int)ceil(o->cy + 0.5 * o->bh), y0 + 1, s->height);
            surface_mean(surf, x0, y0, x1, y1, local);
            if (cs_rgb_distance(o->rgb, bg_mean) < min_distance ||
                cs_rgb_distance(o->rgb, local) < min_distance)
                *bad = k;
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return rc;
}

/* Draws object o filled, with an outline stroke inside its edge when st asks for one
 * (clipped to the shape, so the outline never grows the object's box). */
static void draw_object(cairo_t *cr, const cs_object *o, const cs_style *st) {
    object_path(cr, o);
    cairo_set_source_rgb(cr, o->rgb[0], o->rgb[1], o->rgb[2]);
    if (!st->outline) {
        cairo_fill(cr);
        return;
    }
    cairo_fill_preserve(cr);
    cairo_save(cr);
    cairo_clip_preserve(cr);
    cairo_set_line_width(cr, 2 * st->outline_width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    double f = st->outline_shade;
    cairo_set_source_rgb(cr, f * o->rgb[0], f * o->rgb[1], f * o->rgb[2]);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Object o's coverage on an A8 surface with st's antialiasing (mask = alpha >= 128), and its
 * box: the shape's own axis-aligned bounding box with edges rounded to whole pixels, the box
 * that defines its size (a box around the mask would lose the thin tips of a star). */
static int object_mask(unsigned char *mask, int box[4], const cs_object *o, const cs_style *st,
                       int width, int height, char *err, size_t cap) {
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_A8, width, height);
    cairo_t *cr = cairo_create(surf);
    cairo_set_antialias(cr, st->antialias ? CAIRO_ANTIALIAS_DEFAULT : CAIRO_ANTIALIAS_NONE);
    object_path(cr, o);
    cairo_set_source_rgba(cr, 0, 0, 0, 1);
    cairo_fill(cr);
    cairo_surface_flush(surf);
    int rc = cairo_fail(cairo_status(cr), "mask", err, cap);
    const unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; rc == 0 && y < height; y++)
        for (int x = 0; x < width; x++)
            mask[(size_t)y * (size_t)width + (size_t)x] =
                data[(size_t)y * (size_t)stride + (size_t)x] >= 128;
    int x0 = (int)floor(o->cx - 0.5 * o->bw + 0.5), x1 = (int)floor(o->cx + 0.5 * o->bw + 0.5);
    int y0 = (int)floor(o->cy - 0.5 * o->bh + 0.5), y1 = (int)floor(o->cy + 0.5 * o->bh + 0.5);
    box[0] = x0, box[1] = y0, box[2] = x1 - x0, box[3] = y1 - y0;
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return rc;
}

/* Copies an RGB24 surface to packed RGB bytes, adding Gaussian noise of sigma levels (0: none)
 * to every channel of every pixel, objects included. */
static void surface_to_rgb(unsigned char *rgb, cairo_surface_t *surf, int width, int height,
                           int sigma, cs_rng *r) {
    const unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            uint32_t px;
            memcpy(&px, data + (size_t)y * (size_t)stride + 4 * (size_t)x, 4);
            unsigned char *out = rgb + 3 * ((size_t)y * (size_t)width + (size_t)x);
            for (int c = 0; c < 3; c++) {
                double v = (double)((px >> (16 - 8 * c)) & 255);
                if (sigma) v = floor(v + sigma * cs_rng_gauss(r) + 0.5);
                out[c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
}

int cs_render_scene(cs_picture *pic, const cs_scene *s, const cs_style *st, cs_rng *r,
                    char *err, size_t cap) {
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s->width, s->height);
    cairo_t *cr = cairo_create(surf);
    paint_background(cr, st, s->width, s->height);
    cairo_surface_flush(surf);
    surface_mean(surf, 0, 0, s->width, s->height, pic->bg_mean);
    cairo_set_antialias(cr, st->antialias ? CAIRO_ANTIALIAS_DEFAULT : CAIRO_ANTIALIAS_NONE);
    for (int k = 0; k < s->n_objects; k++) draw_object(cr, &s->obj[k], st);
    cairo_surface_flush(surf);
    int rc = cairo_fail(cairo_status(cr), "scene", err, cap);
    if (rc == 0) surface_to_rgb(pic->rgb, surf, s->width, s->height, st->noise, r);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    for (int k = 0; rc == 0 && k < s->n_objects; k++)
        rc = object_mask(pic->mask[k], pic->box[k], &s->obj[k], st, s->width, s->height, err,
                         cap);
    return rc;
}

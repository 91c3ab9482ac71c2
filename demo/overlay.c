/* overlay.c — upsampling patch maps, colouring and blending them, and laying out the
 * per-word overlay, the strip and the heads grid. */
#include "demo/overlay.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/patch_geometry.h"

#define MAX_TAPS 5                  /* gaussian: cells within 2 patches of a pixel */
#define CANVAS_MAX_SIDE 32768       /* strips and grids larger than this are refused */
#define CANVAS_MAX_PIXELS (256u << 20)
#define STRIP_TILE 256              /* target long side of a strip tile */
#define STRIP_MAX_COLS 6
#define STRIP_MAX_WIDTH 1800        /* fewer columns when tiles are wide */
#define GRID_TILE 128               /* target long side of a heads-grid tile */
#define GAP 6                       /* pixels between tiles */

static const unsigned char BACKGROUND[3] = {28, 28, 30};
static const unsigned char TEXT_LIGHT[3] = {235, 235, 235};

void ovl_options_default(ovl_options *opts) {
    opts->cmap = OVL_CMAP_VIRIDIS;
    opts->upsample = OVL_UPSAMPLE_BILINEAR;
    opts->alpha = 0.6f;
    opts->modulate = 0;
    opts->font = NULL;
}

int ovl_upsample_parse(ovl_upsample_mode *out, const char *name, nn_error *err) {
    static const ovl_upsample_mode modes[] = {OVL_UPSAMPLE_NEAREST, OVL_UPSAMPLE_BILINEAR,
                                              OVL_UPSAMPLE_GAUSSIAN};
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(name, ovl_upsample_name(modes[i])) == 0) {
            *out = modes[i];
            return 0;
        }
    }
    return nn_fail(err, "unknown upsampling '%s' (known: nearest, bilinear, gaussian)",
                   name ? name : "");
}

const char *ovl_upsample_name(ovl_upsample_mode mode) {
    switch (mode) {
    case OVL_UPSAMPLE_NEAREST: return "nearest";
    case OVL_UPSAMPLE_BILINEAR: return "bilinear";
    case OVL_UPSAMPLE_GAUSSIAN: return "gaussian";
    }
    return "bilinear";
}

/* ---- upsampling ---------------------------------------------------------------------- */

/* The cells one output pixel reads along one axis, with weights summing to 1. */
typedef struct {
    size_t idx[MAX_TAPS];
    float w[MAX_TAPS];
    int n;
} axis_taps;

/* Taps of pixel p on an axis of n_px pixels cut into g cells. In cell coordinates
 * u = (p + 0.5) * g / n_px - 0.5, cell c's centre ((c+0.5)*n_px/g in pixels) is at u = c. */
static void make_taps(axis_taps *t, size_t p, size_t n_px, size_t g, ovl_upsample_mode mode) {
    double u = ((double)p + 0.5) * (double)g / (double)n_px - 0.5;
    double last = (double)(g - 1);
    t->n = 0;
    if (mode == OVL_UPSAMPLE_NEAREST) {
        t->idx[0] = vis_pixel_to_patch(p, 0, g, 1, n_px, 1); /* the column of pixel p */
        t->w[0] = 1.0f;
        t->n = 1;
    } else if (mode == OVL_UPSAMPLE_BILINEAR) {
        double c0 = floor(u), f = u - c0; /* clamped at the borders: */
        double a = fmin(fmax(c0, 0.0), last), b = fmin(fmax(c0 + 1.0, 0.0), last);
        t->idx[0] = (size_t)a;
        t->w[0] = (float)(1.0 - f);
        t->idx[1] = (size_t)b;
        t->w[1] = (float)f;
        t->n = 2;
    } else { /* gaussian, sigma = 0.5 cell: exp(-(c-u)^2 / (2 * 0.25)) */
        double lo = ceil(u - 2.0), hi = floor(u + 2.0), sum = 0.0;
        if (lo < 0) lo = 0;
        if (hi > last) hi = last;
        if (lo > hi) lo = hi = (u < 0 ? 0 : last); /* far outside (tiny images): the edge cell */
        for (double c = lo; c <= hi && t->n < MAX_TAPS; c += 1.0) {
            double w = exp(-2.0 * (c - u) * (c - u));
            t->idx[t->n] = (size_t)c;
            t->w[t->n] = (float)w;
            sum += w;
            t->n++;
        }
        for (int i = 0; i < t->n; i++) t->w[i] = (float)(t->w[i] / sum);
    }
}

int ovl_upsample(float *out, const float *map, size_t gw, size_t gh, size_t W, size_t H,
                 ovl_upsample_mode mode, nn_error *err) {
    size_t n_tmp;
    if (gw == 0 || gh == 0 || W == 0 || H == 0) return nn_fail(err, "upsample: empty map or image");
    if (nn_mul_size(gh, W, &n_tmp) != 0) return nn_fail(err, "upsample: %zu x %zu too large", gh, W);
    axis_taps *tx = malloc(W * sizeof *tx), *ty = malloc(H * sizeof *ty);
    float *tmp = malloc(n_tmp * sizeof *tmp); /* gh rows already resampled along x */
    if (!tx || !ty || !tmp) {
        free(tx);
        free(ty);
        free(tmp);
        return nn_fail(err, "upsample: out of memory for a %zux%zu map", W, H);
    }
    for (size_t x = 0; x < W; x++) make_taps(&tx[x], x, W, gw, mode);
    for (size_t y = 0; y < H; y++) make_taps(&ty[y], y, H, gh, mode);
    for (size_t r = 0; r < gh; r++) {
        const float *row = map + r * gw;
        for (size_t x = 0; x < W; x++) {
            float v = 0.0f;
            for (int i = 0; i < tx[x].n; i++) v += tx[x].w[i] * row[tx[x].idx[i]];
            tmp[r * W + x] = v;
        }
    }
    for (size_t y = 0; y < H; y++) {
        float *o = out + y * W;
        for (size_t x = 0; x < W; x++) o[x] = 0.0f;
        for (int j = 0; j < ty[y].n; j++) {
            const float *src = tmp + ty[y].idx[j] * W;
            float w = ty[y].w[j];
            for (size_t x = 0; x < W; x++) o[x] += w * src[x];
        }
    }
    free(tx);
    free(ty);
    free(tmp);
    return 0;
}

void ovl_normalize_max(float *v, size_t n) {
    float mx = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]) || v[i] < 0.0f) v[i] = 0.0f;
        if (v[i] > mx) mx = v[i];
    }
    if (mx > 0.0f)
        for (size_t i = 0; i < n; i++) v[i] /= mx;
}

void ovl_blend(unsigned char *out, const unsigned char *image, const float *v, size_t n,
               ovl_colormap cm, float alpha, int modulate) {
    unsigned char lut[256 * 3];
    ovl_colormap_table(lut, cm);
    float a0 = alpha > 0.0f ? (alpha < 1.0f ? alpha : 1.0f) : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float t = v[i] > 0.0f ? (v[i] < 1.0f ? v[i] : 1.0f) : 0.0f;
        const unsigned char *col = lut + 3 * (size_t)lroundf(t * 255.0f);
        float a = modulate ? a0 * t : a0;
        for (int ch = 0; ch < 3; ch++) {
            float px = (1.0f - a) * (float)image[3 * i + ch] + a * (float)col[ch];
            out[3 * i + ch] = (unsigned char)lroundf(px);
        }
    }
}

/* ---- pictures ------------------------------------------------------------------------ */

/* Resizes for display: each output pixel averages the source pixels of its box; when
 * enlarging, the box is one pixel (nearest neighbour, crisp for whole factors). */
static void resize_display(unsigned char *dst, size_t dw, size_t dh, const unsigned char *src,
                           size_t sw, size_t sh) {
    for (size_t oy = 0; oy < dh; oy++) {
        size_t y0 = (size_t)((uint64_t)oy * sh / dh), y1 = (size_t)((uint64_t)(oy + 1) * sh / dh);
        if (y1 <= y0) y1 = y0 + 1;
        for (size_t ox = 0; ox < dw; ox++) {
            size_t x0 = (size_t)((uint64_t)ox * sw / dw), x1 = (size_t)((uint64_t)(ox + 1) * sw / dw);
            if (x1 <= x0) x1 = x0 + 1;
            uint64_t sum[3] = {0, 0, 0}, cnt = (uint64_t)(x1 - x0) * (y1 - y0);
            for (size_t y = y0; y < y1; y++) {
                const unsigned char *p = src + (y * sw + x0) * 3;
                for (size_t x = x0; x < x1; x++, p += 3) {
                    sum[0] += p[0];
                    sum[1] += p[1];
                    sum[2] += p[2];
                }
            }
            unsigned char *d = dst + (oy * dw + ox) * 3;
            for (int ch = 0; ch < 3; ch++) d[ch] = (unsigned char)((sum[ch] + cnt / 2) / cnt);
        }
    }
}

/* Tile size for showing a W×H image at about target pixels on its long side: small images
 * grow by a whole factor, large ones (over 1.5 × target) shrink, others stay. */
static void display_size(size_t *tw, size_t *th, size_t W, size_t H, size_t target) {
    size_t lng = W > H ? W : H;
    if (lng < target) {
        size_t k = (target + lng - 1) / lng;
        *tw = W * k;
        *th = H * k;
    } else if (lng * 2 > target * 3) {
        double s = (double)target / (double)lng;
        *tw = (size_t)fmax(1.0, round((double)W * s));
        *th = (size_t)fmax(1.0, round((double)H * s));
    } else {
        *tw = W;
        *th = H;
    }
}

/* Allocates a w×h canvas filled with colour. */
static int canvas_new(vis_image *img, size_t w, size_t h, const unsigned char colour[3],
                      const char *what, nn_error *err) {
    memset(img, 0, sizeof *img);
    size_t npx;
    if (w == 0 || h == 0 || w > CANVAS_MAX_SIDE || h > CANVAS_MAX_SIDE ||
        nn_mul_size(w, h, &npx) != 0 || npx > CANVAS_MAX_PIXELS)
        return nn_fail(err, "%s of %zux%zu pixels is empty or too large", what, w, h);
    img->rgb = malloc(npx * 3);
    if (!img->rgb) return nn_fail(err, "out of memory for a %zux%zu %s", w, h, what);
    img->width = (int)w;
    img->height = (int)h;
    for (size_t i = 0; i < npx; i++) memcpy(img->rgb + 3 * i, colour, 3);
    return 0;
}

/* Copies tile into dst with its top-left corner at (x, y); the tile fits. */
static void blit(vis_image *dst, const vis_image *tile, size_t x, size_t y) {
    for (int r = 0; r < tile->height; r++)
        memcpy(dst->rgb + (((y + (size_t)r) * (size_t)dst->width) + x) * 3,
               tile->rgb + (size_t)r * (size_t)tile->width * 3, (size_t)tile->width * 3);
}

/* Renders image + map into tile (already allocated at its display size); scratch holds
 * tile->width * tile->height floats. map NULL: the plain image. */
static int render_tile(vis_image *tile, float *scratch, const vis_image *image, const float *map,
                       size_t gw, size_t gh, const ovl_options *o, nn_error *err) {
    size_t tw = (size_t)tile->width, th = (size_t)tile->height;
    resize_display(tile->rgb, tw, th, image->rgb, (size_t)image->width, (size_t)image->height);
    if (!map) return 0;
    if (ovl_upsample(scratch, map, gw, gh, tw, th, o->upsample, err) != 0) return -1;
    ovl_normalize_max(scratch, tw * th);
    ovl_blend(tile->rgb, tile->rgb, scratch, tw * th, o->cmap, o->alpha, o->modulate);
    return 0;
}

/* "word  0.97", or the word alone when prob is negative or not a number. */
static void word_label(char *buf, size_t cap, const char *word, float prob) {
    if (isfinite(prob) && prob >= 0.0f)
        snprintf(buf, cap, "%s  %.2f", word ? word : "", (double)prob);
    else
        snprintf(buf, cap, "%s", word ? word : "");
}

/* A label at (x, y) whose pixel height px shrinks (down to 7) until its box fits max_w. */
static int label_fit(vis_image *dst, const ovl_font *font, const char *text, float px, int x, int y,
                     int max_w, nn_error *err) {
    int tw, th;
    ovl_font_measure(&tw, &th, font, text, px);
    int bw = tw + 2 * ovl_font_label_pad(px);
    if (bw > max_w && bw > 0) {
        float fitted = px * (float)max_w / (float)bw;
        px = fitted < 7.0f ? 7.0f : fitted;
    }
    return ovl_font_label(dst, font, text, px, x, y, NULL, NULL, err);
}

/* Checks the arguments every renderer shares. */
static int check_inputs(const vis_image *image, const float *maps, size_t gw, size_t gh,
                        const ovl_options *opts, nn_error *err) {
    if (!image || !image->rgb || image->width <= 0 || image->height <= 0)
        return nn_fail(err, "overlay: no image");
    if (!maps || gw == 0 || gh == 0) return nn_fail(err, "overlay: no attention map");
    if (!opts) return nn_fail(err, "overlay: no options");
    return 0;
}

int ovl_render_word(vis_image *out, const vis_image *image, const float *map, size_t gw, size_t gh,
                    const char *word, float prob, const ovl_options *opts, nn_error *err) {
    memset(out, 0, sizeof *out);
    if (check_inputs(image, map, gw, gh, opts, err) != 0) return -1;
    size_t W = (size_t)image->width, H = (size_t)image->height;
    if (canvas_new(out, W, H, BACKGROUND, "overlay", err) != 0) return -1;
    float *scratch = malloc(W * H * sizeof *scratch);
    if (!scratch) {
        vis_image_free(out);
        return nn_fail(err, "out of memory for a %zux%zu overlay", W, H);
    }
    int rc = render_tile(out, scratch, image, map, gw, gh, opts, err);
    free(scratch);
    if (rc == 0 && opts->font) {
        char text[256];
        word_label(text, sizeof text, word, prob);
        size_t shorter = W < H ? W : H;
        float px = (float)shorter / 16.0f;
        px = px < 11.0f ? 11.0f : (px > 120.0f ? 120.0f : px);
        int m = ovl_font_label_pad(px) / 2;
        rc = label_fit(out, opts->font, text, px, m, m, (int)W - 2 * m, err);
    }
    if (rc != 0) vis_image_free(out);
    return rc;
}

/* Lays out text in lines no wider than max_w, breaking at spaces; draws them with their
 * top-left at (x, y) when dst is not NULL. Returns the number of lines (-1: out of memory). */
static int layout_text(vis_image *dst, const ovl_font *font, const char *text, float px, int x,
                       int y, int line_h, int max_w, nn_error *err) {
    size_t len = strlen(text);
    char *line = malloc(len + 1);
    if (!line) return nn_fail(err, "out of memory laying out text");
    int lines = 0;
    const char *p = text;
    while (*p == ' ') p++;
    while (*p) {
        size_t take = 0; /* bytes of p on this line */
        for (;;) {
            const char *sp = strchr(p + take + (take ? 1 : 0), ' ');
            size_t cand = sp ? (size_t)(sp - p) : strlen(p);
            memcpy(line, p, cand);
            line[cand] = '\0';
            int w, h;
            ovl_font_measure(&w, &h, font, line, px);
            if (take && w > max_w) break; /* the first word always goes on the line */
            take = cand;
            if (!sp) break;
        }
        memcpy(line, p, take);
        line[take] = '\0';
        if (dst && ovl_font_draw(dst, font, line, px, x, y + lines * line_h, TEXT_LIGHT, err) != 0) {
            free(line);
            return -1;
        }
        lines++;
        p += take;
        while (*p == ' ') p++;
    }
    free(line);
    return lines;
}

int ovl_render_strip(vis_image *out, const vis_image *image, const float *maps,
                     const char *const *words, const float *probs, size_t n_words, size_t gw,
                     size_t gh, const char *caption, const ovl_options *opts, nn_error *err) {
    memset(out, 0, sizeof *out);
    if (check_inputs(image, maps, gw, gh, opts, err) != 0) return -1;
    if (n_words > 4096) return nn_fail(err, "strip: %zu words is too many", n_words);
    size_t tw, th;
    display_size(&tw, &th, (size_t)image->width, (size_t)image->height, STRIP_TILE);
    size_t ntiles = n_words + 1, cols = ntiles < STRIP_MAX_COLS ? ntiles : STRIP_MAX_COLS;
    if (cols > STRIP_MAX_WIDTH / (tw + GAP)) cols = STRIP_MAX_WIDTH / (tw + GAP);
    if (cols == 0) cols = 1;
    size_t rows = (ntiles + cols - 1) / cols;
    size_t width = cols * (tw + GAP) + GAP, grid_h = rows * (th + GAP) + GAP;

    /* text sizes follow the tiles' short side */
    size_t tshort = tw < th ? tw : th;
    float px = (float)tshort / 12.0f, cap_px = px;
    px = px < 12.0f ? 12.0f : (px > 28.0f ? 28.0f : px);
    cap_px = cap_px < 14.0f ? 14.0f : (cap_px > 26.0f ? 26.0f : cap_px);
    int line_w = 0, line_h = 0, lines = 0;
    if (opts->font && caption && caption[0]) {
        ovl_font_measure(&line_w, &line_h, opts->font, "Ag", cap_px);
        lines = layout_text(NULL, opts->font, caption, cap_px, 0, 0, line_h,
                            (int)width - 4 * GAP, err);
        if (lines < 0) return -1;
    }
    size_t cap_h = lines ? (size_t)(lines * line_h) + 3 * GAP : 0;
    if (canvas_new(out, width, grid_h + cap_h, BACKGROUND, "strip", err) != 0) return -1;

    vis_image tile;
    if (canvas_new(&tile, tw, th, BACKGROUND, "strip tile", err) != 0) {
        vis_image_free(out);
        return -1;
    }
    float *scratch = malloc(tw * th * sizeof *scratch);
    int rc = scratch ? 0 : nn_fail(err, "out of memory for a %zux%zu strip tile", tw, th);
    for (size_t i = 0; rc == 0 && i < ntiles; i++) {
        const float *map = i ? maps + (i - 1) * gw * gh : NULL;
        rc = render_tile(&tile, scratch, image, map, gw, gh, opts, err);
        if (rc == 0 && map && opts->font) {
            char text[256];
            word_label(text, sizeof text, words ? words[i - 1] : "", probs ? probs[i - 1] : -1.0f);
            int m = ovl_font_label_pad(px) / 2;
            rc = label_fit(&tile, opts->font, text, px, m, m, (int)tw - 2 * m, err);
        }
        if (rc == 0) blit(out, &tile, GAP + (i % cols) * (tw + GAP), GAP + (i / cols) * (th + GAP));
    }
    if (rc == 0 && lines > 0)
        rc = layout_text(out, opts->font, caption, cap_px, 2 * GAP, (int)grid_h + GAP, line_h,
                         (int)width - 4 * GAP, err) < 0 ? -1 : 0;
    free(scratch);
    vis_image_free(&tile);
    if (rc != 0) vis_image_free(out);
    return rc;
}

int ovl_render_heads_grid(vis_image *out, const vis_image *image, const float *maps,
                          size_t n_layers, size_t n_heads, size_t gw, size_t gh, const char *word,
                          float prob, const ovl_options *opts, nn_error *err) {
    memset(out, 0, sizeof *out);
    if (check_inputs(image, maps, gw, gh, opts, err) != 0) return -1;
    if (n_layers == 0 || n_heads == 0 || n_layers > 256 || n_heads > 256)
        return nn_fail(err, "heads grid: %zu layers x %zu heads is not a grid", n_layers, n_heads);
    size_t tw, th;
    display_size(&tw, &th, (size_t)image->width, (size_t)image->height, GRID_TILE);
    const ovl_font *font = opts->font;
    float title_px = 18.0f, lab_px = 14.0f;
    float max_px = (float)th / 14.0f;
    max_px = max_px < 9.0f ? 9.0f : (max_px > 16.0f ? 16.0f : max_px);
    int title_h = 0, head_h = 0, row_w = 0, w, h;
    char text[256];
    if (font) {
        ovl_font_measure(&w, &h, font, "Ag", title_px);
        title_h = h + 2 * GAP;
        ovl_font_measure(&w, &h, font, "Ag", lab_px);
        head_h = h + GAP;
        snprintf(text, sizeof text, "layer %zu", n_layers - 1);
        ovl_font_measure(&w, &h, font, text, lab_px);
        row_w = w + 2 * GAP;
    }
    size_t width = (size_t)row_w + n_heads * (tw + GAP) + GAP;
    size_t height = (size_t)(title_h + head_h) + n_layers * (th + GAP) + GAP;
    if (canvas_new(out, width, height, BACKGROUND, "heads grid", err) != 0) return -1;
    vis_image tile;
    if (canvas_new(&tile, tw, th, BACKGROUND, "heads grid tile", err) != 0) {
        vis_image_free(out);
        return -1;
    }
    float *scratch = malloc(tw * th * sizeof *scratch);
    int rc = scratch ? 0 : nn_fail(err, "out of memory for a %zux%zu grid tile", tw, th);
    if (rc == 0 && font) {
        char label[200];
        word_label(label, sizeof label, word, prob);
        snprintf(text, sizeof text, "%s    (rows: layers, columns: heads)", label);
        rc = ovl_font_draw(out, font, text, title_px, GAP, GAP, TEXT_LIGHT, err);
    }
    for (size_t j = 0; rc == 0 && font && j < n_heads; j++) {
        snprintf(text, sizeof text, "head %zu", j);
        ovl_font_measure(&w, &h, font, text, lab_px);
        int x = row_w + GAP + (int)(j * (tw + GAP)) + ((int)tw - w) / 2;
        rc = ovl_font_draw(out, font, text, lab_px, x, title_h, TEXT_LIGHT, err);
    }
    for (size_t l = 0; rc == 0 && l < n_layers; l++) {
        int y = title_h + head_h + GAP + (int)(l * (th + GAP));
        if (font) {
            snprintf(text, sizeof text, "layer %zu", l);
            ovl_font_measure(&w, &h, font, text, lab_px);
            rc = ovl_font_draw(out, font, text, lab_px, GAP, y + ((int)th - h) / 2, TEXT_LIGHT, err);
        }
        for (size_t j = 0; rc == 0 && j < n_heads; j++) {
            const float *map = maps + (l * n_heads + j) * gw * gh;
            rc = render_tile(&tile, scratch, image, map, gw, gh, opts, err);
            if (rc == 0 && font) {
                float mx = 0.0f;
                for (size_t n = 0; n < gw * gh; n++)
                    if (map[n] > mx) mx = map[n];
                snprintf(text, sizeof text, "max %.2f", (double)mx);
                int m = ovl_font_label_pad(max_px) / 2;
                rc = label_fit(&tile, font, text, max_px, m, m, (int)tw - 2 * m, err);
            }
            if (rc == 0) blit(out, &tile, (size_t)row_w + GAP + j * (tw + GAP), (size_t)y);
        }
    }
    free(scratch);
    vis_image_free(&tile);
    if (rc != 0) vis_image_free(out);
    return rc;
}

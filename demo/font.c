/* font.c — loading a TrueType file once and drawing UTF-8 labels with stb_truetype. */
#include "demo/font.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_truetype.h>

#define FONT_MAX_BYTES (64u << 20) /* no real font is larger */

struct ovl_font {
    unsigned char *data; /* the whole file; stbtt_fontinfo points into it */
    stbtt_fontinfo info;
    int ascent, descent; /* font units */
};

const char *ovl_font_default_path(void) {
    const char *env = getenv(OVL_FONT_ENV);
    return (env && env[0]) ? env : OVL_FONT_DEFAULT_PATH;
}

/* Reads the whole file into a new buffer; "path: reason" on failure. */
static int read_file(unsigned char **out, size_t *len, const char *path, nn_error *err) {
    static const char hint[] = "install fonts-dejavu-core or set " OVL_FONT_ENV " to a .ttf file";
    FILE *f = fopen(path, "rb");
    if (!f) return nn_fail(err, "%s: cannot open font (%s); %s", path, strerror(errno), hint);
    unsigned char *buf;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size <= 0 || (unsigned long)size > FONT_MAX_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return nn_fail(err, "%s: not a font file (size %ld bytes); %s", path, size, hint);
    }
    buf = malloc((size_t)size);
    if (!buf) {
        fclose(f);
        return nn_fail(err, "%s: out of memory for a font of %ld bytes", path, size);
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        int e = ferror(f) ? errno : 0;
        fclose(f);
        free(buf);
        return nn_fail(err, "%s: cannot read font (%s)", path, e ? strerror(e) : "file shrank");
    }
    fclose(f);
    *out = buf;
    *len = (size_t)size;
    return 0;
}

int ovl_font_load(ovl_font **out, const char *path, nn_error *err) {
    *out = NULL;
    if (!path) path = ovl_font_default_path();
    ovl_font *font = calloc(1, sizeof *font);
    if (!font) return nn_fail(err, "%s: out of memory", path);
    size_t len = 0;
    if (read_file(&font->data, &len, path, err) != 0) {
        free(font);
        return -1;
    }
    int offset = stbtt_GetFontOffsetForIndex(font->data, 0);
    if (len < 12 || offset < 0 || !stbtt_InitFont(&font->info, font->data, offset)) {
        ovl_font_free(font);
        return nn_fail(err, "%s: not a TrueType font", path);
    }
    int gap;
    stbtt_GetFontVMetrics(&font->info, &font->ascent, &font->descent, &gap);
    *out = font;
    return 0;
}

void ovl_font_free(ovl_font *font) {
    if (!font) return;
    free(font->data);
    free(font);
}

/* Decodes one UTF-8 code point at *s and advances *s; malformed input gives U+FFFD
 * and consumes one byte. */
static uint32_t next_codepoint(const unsigned char **s) {
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 1) {
        *s = p + 1;
        return c;
    }
    if (len == 0) {
        *s = p + 1;
        return 0xFFFD;
    }
    uint32_t cp = c & (0x7Fu >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *s = p + 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    *s = p + len;
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    return cp;
}

/* Pen advance of glyph g plus kerning towards the next glyph (0: none), in pixels. */
static float glyph_advance(const ovl_font *font, int g, int next, float scale) {
    int adv, lsb;
    stbtt_GetGlyphHMetrics(&font->info, g, &adv, &lsb);
    float a = (float)adv * scale;
    if (next) a += (float)stbtt_GetGlyphKernAdvance(&font->info, g, next) * scale;
    return a;
}

void ovl_font_measure(int *width, int *height, const ovl_font *font, const char *utf8, float px) {
    float scale = stbtt_ScaleForPixelHeight(&font->info, px);
    const unsigned char *s = (const unsigned char *)utf8;
    float pen = 0.0f;
    int g = *s ? stbtt_FindGlyphIndex(&font->info, (int)next_codepoint(&s)) : -1;
    while (g >= 0) {
        int next = *s ? stbtt_FindGlyphIndex(&font->info, (int)next_codepoint(&s)) : -1;
        pen += glyph_advance(font, g, next > 0 ? next : 0, scale);
        g = next;
    }
    *width = (int)ceilf(pen);
    *height = (int)ceilf((float)(font->ascent - font->descent) * scale);
}

/* Blends a coverage bitmap (w × h) in colour into dst with its top-left at (x, y), clipped. */
static void blend_coverage(vis_image *dst, const unsigned char *cov, int w, int h, int x, int y,
                           const unsigned char colour[3]) {
    for (int j = 0; j < h; j++) {
        int yy = y + j;
        if (yy < 0 || yy >= dst->height) continue;
        for (int i = 0; i < w; i++) {
            int xx = x + i, a = cov[j * w + i];
            if (xx < 0 || xx >= dst->width || a == 0) continue;
            unsigned char *p = dst->rgb + ((size_t)yy * (size_t)dst->width + (size_t)xx) * 3;
            for (int ch = 0; ch < 3; ch++) p[ch] = (unsigned char)((p[ch] * (255 - a) + colour[ch] * a + 127) / 255);
        }
    }
}

int ovl_font_draw(vis_image *dst, const ovl_font *font, const char *utf8, float px, int x, int y,
                  const unsigned char colour[3], nn_error *err) {
    float scale = stbtt_ScaleForPixelHeight(&font->info, px);
    int baseline = y + (int)lroundf((float)font->ascent * scale);
    const unsigned char *s = (const unsigned char *)utf8;
    unsigned char *buf = NULL;
    size_t cap = 0;
    float pen = (float)x;
    int g = *s ? stbtt_FindGlyphIndex(&font->info, (int)next_codepoint(&s)) : -1;
    while (g >= 0) {
        int next = *s ? stbtt_FindGlyphIndex(&font->info, (int)next_codepoint(&s)) : -1;
        float fx = floorf(pen), shift = pen - fx;
        int x0, y0, x1, y1;
        stbtt_GetGlyphBitmapBoxSubpixel(&font->info, g, scale, scale, shift, 0.0f, &x0, &y0, &x1, &y1);
        int w = x1 - x0, h = y1 - y0;
        if (w > 0 && h > 0) {
            size_t need = (size_t)w * (size_t)h;
            if (need > cap) {
                unsigned char *nb = realloc(buf, need);
                if (!nb) {
                    free(buf);
                    return nn_fail(err, "out of memory drawing text at %.0f px", (double)px);
                }
                buf = nb;
                cap = need;
            }
            stbtt_MakeGlyphBitmapSubpixel(&font->info, buf, w, h, w, scale, scale, shift, 0.0f, g);
            blend_coverage(dst, buf, w, h, (int)fx + x0, baseline + y0, colour);
        }
        pen += glyph_advance(font, g, next > 0 ? next : 0, scale);
        g = next;
    }
    free(buf);
    return 0;
}

void ovl_fill_rect(vis_image *dst, int x0, int y0, int x1, int y1, const unsigned char colour[3],
                   float alpha) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > dst->width) x1 = dst->width;
    if (y1 > dst->height) y1 = dst->height;
    int a = (int)lroundf((alpha < 0.0f ? 0.0f : alpha > 1.0f ? 1.0f : alpha) * 256.0f);
    for (int y = y0; y < y1; y++) {
        unsigned char *p = dst->rgb + ((size_t)y * (size_t)dst->width + (size_t)x0) * 3;
        for (int x = x0; x < x1; x++, p += 3)
            for (int ch = 0; ch < 3; ch++) p[ch] = (unsigned char)((p[ch] * (256 - a) + colour[ch] * a) >> 8);
    }
}

int ovl_font_label_pad(float px) {
    int pad = (int)lroundf(px * 0.2f);
    return pad < 2 ? 2 : pad;
}

int ovl_font_label(vis_image *dst, const ovl_font *font, const char *utf8, float px, int x, int y,
                   int *box_w, int *box_h, nn_error *err) {
    static const unsigned char dark[3] = {0, 0, 0}, white[3] = {255, 255, 255};
    int tw, th, pad = ovl_font_label_pad(px);
    ovl_font_measure(&tw, &th, font, utf8, px);
    int bw = tw + 2 * pad, bh = th + pad; /* the line box already has room below the baseline */
    ovl_fill_rect(dst, x, y, x + bw, y + bh, dark, 0.62f);
    if (box_w) *box_w = bw;
    if (box_h) *box_h = bh;
    return ovl_font_draw(dst, font, utf8, px, x + pad, y + pad / 2, white, err);
}

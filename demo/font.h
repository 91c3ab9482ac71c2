/* font.h — drawing UTF-8 text on RGB images with a TrueType font (stb_truetype).
 *
 * The font file is read once by ovl_font_load; the caller owns the returned font and
 * releases it with ovl_font_free. Drawing clips to the image and never allocates more
 * than one glyph bitmap at a time. Sizes are pixel heights (ascent to descent). */
#ifndef XCAP_DEMO_FONT_H
#define XCAP_DEMO_FONT_H

#include "nn/error.h"
#include "vision/image.h"

/* DejaVu Sans from Debian's fonts-dejavu-core. */
#define OVL_FONT_DEFAULT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
/* An environment variable that overrides the default path. */
#define OVL_FONT_ENV "XCAP_FONT"

typedef struct ovl_font ovl_font;

/* The font path to use when none is given: $XCAP_FONT if set and non-empty, else the default. */
const char *ovl_font_default_path(void);

/* Loads a TrueType font (path NULL: ovl_font_default_path()). A missing or unreadable file
 * fails with "path: reason" and a hint to install fonts-dejavu-core or set XCAP_FONT. */
int ovl_font_load(ovl_font **out, const char *path, nn_error *err);

/* Releases a font from ovl_font_load (NULL is fine). */
void ovl_font_free(ovl_font *font);

/* Width (advance of the whole string) and line height in pixels of utf8 at pixel height px. */
void ovl_font_measure(int *width, int *height, const ovl_font *font, const char *utf8, float px);

/* Draws utf8 at pixel height px with its line box's top-left corner at (x, y), in colour,
 * blended by glyph coverage. Invalid UTF-8 bytes draw as U+FFFD. */
int ovl_font_draw(vis_image *dst, const ovl_font *font, const char *utf8, float px, int x, int y,
                  const unsigned char colour[3], nn_error *err);

/* Darkens the rectangle [x0, x1) × [y0, y1) (clipped) towards colour by opacity alpha. */
void ovl_fill_rect(vis_image *dst, int x0, int y0, int x1, int y1, const unsigned char colour[3],
                   float alpha);

/* A label: white text on a dark translucent box whose top-left corner is (x, y), with a
 * padding of about a fifth of px. Writes the box size to *box_w, *box_h when not NULL. */
int ovl_font_label(vis_image *dst, const ovl_font *font, const char *utf8, float px, int x, int y,
                   int *box_w, int *box_h, nn_error *err);

/* The padding ovl_font_label puts around text of pixel height px. */
int ovl_font_label_pad(float px);

#endif

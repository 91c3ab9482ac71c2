/* caption_overlays.h — what `xcap caption` draws for each image, and where.
 *
 *   cap_map_*       which attention map a word shows: --layer L|mean, --head H|mean; by
 *                   default the model's alignment heads (when the file names any), else the
 *                   mean of the last layer's heads. The chosen map is what the overlay PNG,
 *                   the JSON "attention" and the HTML viewer show.
 *   cap_names_*     one folder name per input image: its sanitised base name without the
 *                   extension, made unique within a run ("cat", "cat_2", …), so two inputs
 *                   never overwrite each other and no name leaves the output folder.
 *   cap_overlays_write  the files of one image's folder: NN_word.png per word at the
 *                   original size, strip.png, heads/NN_word.png (every layer × head).
 *
 * Ownership: cap_names_free releases a name set; everything else borrows its arguments.
 * PNGs are written atomically (ovl_png_write). */
#ifndef XCAP_DEMO_CAPTION_OVERLAYS_H
#define XCAP_DEMO_CAPTION_OVERLAYS_H

#include <stddef.h>

#include "demo/overlay.h"
#include "model/xcap.h"
#include "nn/error.h"
#include "vision/image.h"

#define CAP_MAP_MEAN (-1)     /* --layer mean / --head mean */
#define CAP_MAP_DEFAULT (-2)  /* option not given */
#define CAP_ALIGN_MAX 64      /* alignment heads read from a model */

/* Which (layer, head) maps are averaged into the map a word shows. */
typedef struct {
    int layer, head;           /* >= 0, or CAP_MAP_MEAN; ignored when n_align > 0 */
    size_t n_align;            /* > 0: the mean of these (layer, head) pairs */
    int align_layer[CAP_ALIGN_MAX], align_head[CAP_ALIGN_MAX];
    char desc[160];            /* for people: "alignment heads 1:0 1:3", "layer 1, mean of heads" */
} cap_map_choice;

/* Parses a --layer / --head value: "mean" or an integer in [0, 65535]. */
int cap_map_parse_index(int *out, const char *value);

/* Resolves the options (CAP_MAP_DEFAULT when absent) against the model: its layers, heads
 * and alignment heads. An index out of range fails naming the option and the valid range. */
int cap_map_choose(cap_map_choice *ch, int layer, int head, const xcap_model *m, nn_error *err);

/* The chosen map of word w of cap into out (grid_h × grid_w floats), rescaled to sum to 1. */
void cap_map_select(float *out, const xcap_caption *cap, size_t w, const cap_map_choice *ch);

/* Folder names handed out so far in one run. */
typedef struct cap_names cap_names;

cap_names *cap_names_new(void);
void cap_names_free(cap_names *ns);

/* A fresh folder name for the image at path into out (OVL_NAME_MAX bytes at least):
 * [A-Za-z0-9._-] only, never starting with '.', unique among the names taken before. */
int cap_names_take(cap_names *ns, char *out, size_t cap, const char *path, nn_error *err);

/* Creates folder path (and its parents with parents set); an existing folder is fine. Without
 * parents, an existing path that is a symlink or not a folder is refused. */
int cap_mkdir(const char *path, int parents, nn_error *err);

/* How overlays are drawn and which files are written. */
typedef struct {
    ovl_options ovl;   /* colormap, upsampling, alpha, font */
    int heads_grid;    /* also heads/NN_word.png: every layer × head of the word */
    int write_image;   /* also image.png: the image itself (the HTML viewer shows it) */
    int view_w, view_h;/* > 0: NN_word.png and image.png are drawn at this size instead of the
                          image's own (for a viewer; a whole-factor enlargement keeps the
                          pixels square); strip.png and the heads grids are unchanged */
} cap_overlay_opts;

/* Writes one image's overlays into dir (created if missing): NN_word.png per word at the
 * image's size (or view_w × view_h), strip.png (the image and every word with the caption) and, as asked,
 * heads/NN_word.png and image.png. sel holds the chosen map of every word
 * (n_words × grid_h × grid_w, from cap_map_select). */
int cap_overlays_write(const char *dir, const vis_image *img, const xcap_caption *cap,
                       const float *sel, const cap_overlay_opts *o, nn_error *err);

#endif

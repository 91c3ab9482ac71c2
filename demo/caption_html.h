/* caption_html.h — the --html viewer of `xcap caption`: DIR/index.html over the PNGs.
 *
 * The page is self-contained: inline CSS and JavaScript, a Content-Security-Policy that
 * allows no network at all, images only from the folder beside it. Each image shows with
 * its caption as a row of words; hovering or focusing a word shows that word's overlay,
 * clicking pins it, and the "heads" button opens the word's layer × head grid. A caption
 * that is cut or repeats gets an orange border and a badge per flag (<span class="badge"
 * data-flag="cut|repeats">); every card shows the caption's confidence. Failed
 * images are listed at the end. Every outside string (paths, words, messages, the model
 * name) is HTML-escaped.
 *
 * An image's files live in DIR/<folder>/ as cap_overlays_write writes them with the heads
 * grid and image.png on and the view size of cap_html_view_size (so the overlays are crisp
 * at the size they are shown); folder names come from cap_names_take, so they are URL-safe.
 * index.html is written atomically by cap_html_close.
 *
 * Script hooks, used by the tests: the page records script errors and images that fail to
 * load as <p class="xcap-error"> lines in <div id="errors">, and sets data-ready="1" on
 * <html> once its script has run.
 *
 * Ownership: cap_html_open allocates; cap_html_close (or cap_html_free) releases. */
#ifndef XCAP_DEMO_CAPTION_HTML_H
#define XCAP_DEMO_CAPTION_HTML_H

#include <stddef.h>

#include "model/xcap.h"
#include "nn/error.h"

typedef struct cap_html cap_html;

/* Starts a viewer in dir (created with its parents) for model path and map description. */
int cap_html_open(cap_html **out, const char *dir, const char *model, const char *map_desc,
                  nn_error *err);

/* The viewer's folder. */
const char *cap_html_dir(const cap_html *h);

/* Adds one image: file as given, its folder name inside the viewer's folder, its caption. */
int cap_html_add(cap_html *h, const char *file, const char *folder, const xcap_caption *cap,
                 nn_error *err);

/* Lists an image that failed, with its message. */
int cap_html_add_error(cap_html *h, const char *file, const char *message, nn_error *err);

/* Writes index.html (atomically) and frees h. */
int cap_html_close(cap_html *h, nn_error *err);

/* Frees h without writing anything (NULL is fine). */
void cap_html_free(cap_html *h);

/* The size a W×H image is shown at in the viewer: images under 320 px are enlarged by a
 * whole factor, larger ones shrunk to at most 384 px on the long side. */
void cap_html_view_size(int *dw, int *dh, int W, int H);

/* s with & < > " ' replaced by entities and control characters dropped (caller frees);
 * NULL when out of memory. */
char *cap_html_escape(const char *s);

#endif

/* caption_json.h — the --json output of `xcap caption`, and atomic text files.
 *
 * Layout (streamed: one image at a time, so thousands of images need little memory):
 *   {"model": "<path>", "map": "<which map 'attention' is>",
 *    "images": [{"file": "<path as given>", "width": W, "height": H, "grid": [gw, gh],
 *                "caption": "...", "score": <log-prob, <eos> included>, "eos_prob": p,
 *                "confidence": <least word or <eos> probability, 0 when cut>,
 *                "complete": <ended with <eos>>, "repeats": <a run of words repeats at once>,
 *                "warnings": ["cut at 16 words without <eos>", "repeats \"large large\""],
 *                ["overlays": "<folder>",]
 *                "words": [{"word": "a", "prob": 0.99,
 *                           "attention": [[gw floats] × gh rows],
 *                           ["heads": [layers][heads][gh][gw]]}]}, …],
 *    "errors": [{"file": "...", "error": "..."}]}
 * "attention" is the map the overlay shows; it sums to 1 over the whole grid. Cell (r, c)
 * covers x in [c·W/gw, (c+1)·W/gw), y in [r·H/gh, (r+1)·H/gh) of the original image.
 * Numbers are rounded to 6 significant digits. "heads" (every layer and head) is written
 * with --json-all-heads.
 *
 * A file is written to "<path>.tmp.<pid>" and renamed into place by cap_json_close; "-"
 * streams to stdout. Ownership: cap_json_open allocates the writer; close or abort frees it. */
#ifndef XCAP_DEMO_CAPTION_JSON_H
#define XCAP_DEMO_CAPTION_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "model/xcap.h"
#include "nn/error.h"

typedef struct cap_json cap_json;

/* Starts the JSON document at path ("-": stdout) for model path and map description. */
int cap_json_open(cap_json **out, const char *path, const char *model, const char *map_desc,
                  nn_error *err);

/* Appends one image: file as given, its caption, the chosen map of every word (sel, n_words ×
 * grid_h × grid_w), all heads when all_heads is set, and its overlay folder (may be NULL). */
int cap_json_add(cap_json *j, const char *file, const xcap_caption *cap, const float *sel,
                 int all_heads, const char *overlays, nn_error *err);

/* Records an image that failed (listed under "errors" at the end). */
int cap_json_add_error(cap_json *j, const char *file, const char *message, nn_error *err);

/* Ends the document and renames the file into place; frees j either way. */
int cap_json_close(cap_json *j, nn_error *err);

/* Drops an unfinished document (removes the temporary file) and frees j (NULL is fine). */
void cap_json_abort(cap_json *j);

/* The JSON object of one image, as cap_json_add writes it (caller cJSON_Deletes it);
 * NULL when out of memory. */
cJSON *cap_json_image(const char *file, const xcap_caption *cap, const float *sel, int all_heads,
                      const char *overlays);

/* Writes len bytes to path atomically (a new "<path>.tmp.<pid>", then rename); "path: reason". */
int cap_write_file(const char *path, const void *data, size_t len, nn_error *err);

#endif

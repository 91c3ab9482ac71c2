/* dataset.h — caption datasets in the COCO captions layout (what `xcap scenes` writes too).
 *
 * The file is JSON:
 *   {"images":      [{"id": 42, "file_name": "images/a.png",      required
 *                     "width": 640, "height": 480,                optional, positive integers
 *                     "split": "train",                           optional (Karpathy style)
 *                     "objects": [{"shape", "colour", "size",      optional shapes-world ground
 *                                  "bbox": [x, y, w, h]}]}],         truth (all optional but bbox)
 *    "annotations": [{"image_id": 42, "caption": "A dog.",        required
 *                     "grounding": [-1, 0, 0, 0],                 optional, per word: object or -1
 *                     "kinds": [0, 1, 2, 3]}]}                    optional, per word: 0..3
 * Ids may be integers or strings. Each image becomes one item holding its captions in file
 * order; every other key ("info", "licenses", "mask_rle", ...) is ignored.
 *
 * Captions are normalised as they are read: ASCII letters to lower case, the punctuation
 * characters , ; : ! ? and '.' (except between two digits) split off as words of their own,
 * a sentence-final "." dropped, white space collapsed to single spaces. Shapes-world
 * captions come through unchanged. "grounding" and "kinds" must have one entry per word of
 * the normalised caption.
 *
 * Splits: with opts.split set, only images whose "split" equals it are kept ("train" also
 * keeps Karpathy's "restval"); images without a "split" field never match. Without
 * opts.split every image is kept. Every image is checked, kept or not.
 *
 * Refused, with one line "FILE: entry: problem" (e.g. "captions.json: annotations[7] has an
 * empty caption"): a file over opts.max_file_bytes (checked before reading), text that is
 * not JSON (with the byte offset), missing or mistyped fields, duplicate image ids, an
 * annotation whose image_id names no image, an image without any caption, a caption that is
 * empty or over opts.max_caption_bytes, a file_name that is empty, absolute or has a ".."
 * component (it would read outside the image folder), groundings that do not fit the
 * caption or the objects, and a split filter that matches no image.
 *
 * Ownership: a txt_dataset owns everything it points to; txt_dataset_free releases it. */
#ifndef XCAP_TEXT_DATASET_H
#define XCAP_TEXT_DATASET_H

#include <stddef.h>

#include "nn/error.h"

#define TXT_DS_MAX_FILE_BYTES ((size_t)2 << 30)  /* 2 GiB */
#define TXT_DS_MAX_CAPTION_BYTES 1000             /* bytes of one caption as written */
#define TXT_DS_MAX_NAME_BYTES 1024                /* bytes of a file_name */
#define TXT_DS_MAX_ID_BYTES 256                   /* bytes of an image id given as a string */
#define TXT_DS_MAX_SPLIT_BYTES 64                 /* bytes of a split name */
#define TXT_DS_MAX_OBJECTS 256                    /* ground-truth objects of one image */
#define TXT_DS_MAX_SIDE 1000000                   /* largest width/height accepted */
#define TXT_DS_LABEL 32                           /* bytes of a shape/colour/size name, with NUL */

/* One ground-truth object of an image (shapes world). */
typedef struct {
    char shape[TXT_DS_LABEL], colour[TXT_DS_LABEL], size[TXT_DS_LABEL];  /* "" when absent */
    float bbox[4];  /* x, y, width, height in pixels of the image (COCO xywh) */
} txt_ds_object;

/* One reference caption. */
typedef struct {
    char *text;      /* normalised: lower case, words separated by single spaces */
    size_t n_words;  /* words in text */
    int *grounding;  /* NULL, or n_words entries: index into the item's objects, or -1 */
    int *kinds;      /* NULL, or n_words entries: 0 other, 1 size, 2 colour, 3 shape */
} txt_ds_caption;

/* One image and its captions. */
typedef struct {
    char *id;                 /* the image id as text ("42" for the number 42) */
    char *file_name;          /* relative to the image folder; never absolute, never ".." */
    char *split;              /* NULL when the file gives none */
    int width, height;        /* 0 when the file gives none */
    size_t n_captions;        /* at least 1 */
    txt_ds_caption *captions;
    size_t n_objects;
    txt_ds_object *objects;   /* NULL when the file gives no "objects" */
} txt_ds_item;

typedef struct {
    txt_ds_item *items;   /* images in file order (after the split filter) */
    size_t n_items;
    size_t n_captions;    /* captions over all items */
} txt_dataset;

typedef struct {
    const char *split;         /* NULL: every image; else only images of this split */
    size_t max_file_bytes;     /* larger files are refused before reading */
    size_t max_caption_bytes;  /* longer captions are refused */
} txt_dataset_opts;

/* Defaults: every split, TXT_DS_MAX_FILE_BYTES, TXT_DS_MAX_CAPTION_BYTES. */
txt_dataset_opts txt_dataset_default_opts(void);

/* Reads and checks the captions file at path (opts may be NULL for the defaults). */
int txt_dataset_load(txt_dataset *ds, const char *path, const txt_dataset_opts *opts,
                     nn_error *err);

/* The same from len bytes of JSON in memory; name stands for the file in messages. */
int txt_dataset_parse(txt_dataset *ds, const char *json, size_t len, const char *name,
                      const txt_dataset_opts *opts, nn_error *err);

/* Every caption of the dataset as a new array of borrowed pointers (item order, then caption
 * order; *n set to ds->n_captions), e.g. for txt_vocab_build. The caller frees the array
 * with free(); NULL when out of memory or the dataset is empty. */
const char **txt_dataset_caption_list(const txt_dataset *ds, size_t *n);

/* Normalises caption in (as described above) into out (cap bytes, always terminated);
 * returns the length it needed, which is at most 3 * strlen(in). */
size_t txt_caption_normalize(char *out, size_t cap, const char *in);

/* 1 when name is safe to join to an image folder: non-empty, relative, no ".." component. */
int txt_dataset_safe_name(const char *name);

/* Releases everything and zeroes ds. */
void txt_dataset_free(txt_dataset *ds);

#endif

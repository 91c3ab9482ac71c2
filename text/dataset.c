/* dataset.c — reading and checking COCO-layout caption files (see dataset.h). */
#include "text/dataset.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SPLITS_LISTED 8  /* split names listed when a filter matches nothing */

/* The parse in progress: the file's name for messages and the error to fill. */
typedef struct {
    const char *name;
    nn_error *err;
} ds_ctx;

/* Fills the error with "NAME: message" (control characters that a name or id from the file
 * may carry shown as '?', so the message stays one line) and returns -1. */
static int ds_fail(const ds_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ds_fail(const ds_ctx *c, const char *fmt, ...) {
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nn_fail(c->err, "%s: %s", c->name, msg);
    for (char *p = c->err ? c->err->msg : msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return -1;
}

txt_dataset_opts txt_dataset_default_opts(void) {
    txt_dataset_opts o = {NULL, TXT_DS_MAX_FILE_BYTES, TXT_DS_MAX_CAPTION_BYTES};
    return o;
}

/* ------------------------------------------------------------------ captions */

/* 1 for the ASCII white-space characters. */
static int is_space(unsigned char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int is_digit(unsigned char ch) { return ch >= '0' && ch <= '9'; }

/* Output of txt_caption_normalize: the bytes written so far and the length needed. */
typedef struct {
    char *out;
    size_t cap, n;
    int boundary;      /* a space goes before the next character (unless at the start) */
    size_t dot_start;  /* where the trailing run of "." words began, or SIZE_MAX */
} norm_out;

/* Appends one byte (when it fits; the needed length grows either way). */
static void norm_put(norm_out *o, char ch) {
    if (o->n + 1 < o->cap) o->out[o->n] = ch;
    o->n++;
}

/* Appends ch as the next character of a word, with a separating space first if needed. */
static void norm_char(norm_out *o, char ch) {
    if (o->boundary && o->n > 0) norm_put(o, ' ');
    o->boundary = 0;
    norm_put(o, ch);
}

size_t txt_caption_normalize(char *out, size_t cap, const char *in) {
    norm_out o = {out, cap, 0, 0, SIZE_MAX};
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; s[i]; i++) {
        unsigned char ch = s[i];
        if (is_space(ch)) {
            o.boundary = 1;
            continue;
        }
        int dot = ch == '.' && !(i > 0 && is_digit(s[i - 1]) && is_digit(s[i + 1]));
        if (dot || ch == ',' || ch == ';' || ch == ':' || ch == '!' || ch == '?') {
            size_t before = o.n;
            o.boundary = 1;
            norm_char(&o, (char)ch);
            o.boundary = 1;
            if (!dot) o.dot_start = SIZE_MAX;
            else if (o.dot_start == SIZE_MAX) o.dot_start = before;
            continue;
        }
        if (o.boundary || o.n == 0) o.dot_start = SIZE_MAX;  /* a new ordinary word */
        norm_char(&o, (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch));
    }
    if (o.dot_start != SIZE_MAX) o.n = o.dot_start;  /* drop sentence-final "." words */
    if (cap > 0) out[o.n < cap ? o.n : cap - 1] = '\0';
    return o.n;
}

/* 1 when s is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF): captions become vocabulary words, stored in a model file's JSON header. */
static int utf8_valid(const unsigned char *s) {
    while (*s) {
        unsigned c = *s++;
        size_t more = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                    : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
        if (more == 9) return 0;
        unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        for (size_t i = 0; i < more; i++, s++)
            if (*s < (i ? 0x80 : lo) || *s > (i ? 0xBF : hi)) return 0;
    }
    return 1;
}

/* Words in a normalised caption (single spaces, no leading or trailing space). */
static size_t count_words(const char *text) {
    if (!*text) return 0;
    size_t n = 1;
    for (; *text; text++) n += *text == ' ';
    return n;
}

int txt_dataset_safe_name(const char *name) {
    if (!name || !*name || name[0] == '/') return 0;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') return 0;
        if (!slash) break;
        p = slash + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------ ids */

/* Open-addressing table from image id text to item index. */
typedef struct {
    size_t *slots;  /* item index + 1; 0 = empty */
    size_t mask;
} id_table;

/* FNV-1a hash of s. */
static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* A table with room for n ids (at most half full). */
static int table_init(id_table *t, size_t n) {
    size_t size = 16;
    while (size < 2 * n) {
        if (size > SIZE_MAX / 4) return -1;
        size *= 2;
    }
    t->slots = calloc(size, sizeof *t->slots);
    t->mask = size - 1;
    return t->slots ? 0 : -1;
}

/* The slot that holds id, or the empty slot where it would go. */
static size_t *table_slot(const id_table *t, const txt_ds_item *items, const char *id) {
    for (size_t i = (size_t)hash_str(id) & t->mask;; i = (i + 1) & t->mask)
        if (t->slots[i] == 0 || strcmp(items[t->slots[i] - 1].id, id) == 0) return &t->slots[i];
}

/* Writes the id value v (an integer or a string) into out; -1 when it is neither or too long. */
static int id_text(const cJSON *v, char *out, size_t cap) {
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0) return -1;
        snprintf(out, cap, "%.0f", d);
        return 0;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        size_t len = strlen(v->valuestring);
        if (len >= cap) return -1;
        memcpy(out, v->valuestring, len + 1);
        return 0;
    }
    return -1;
}

/* ------------------------------------------------------------------ fields */

/* A new copy of s, or NULL. */
static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* calloc of n elements of size bytes with the product checked; NULL for n == 0 too. */
static void *alloc_array(size_t n, size_t size) {
    size_t bytes;
    if (n == 0 || nn_mul_size(n, size, &bytes) != 0) return NULL;
    return calloc(n, size);
}

/* Reads optional integer field key of obj into *out (left alone when absent); -1 when it is
 * not an integer in [min, max]. */
static int opt_int(const cJSON *obj, const char *key, long min, long max, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max) return -1;
    *out = (int)d;
    return 0;
}

/* Copies optional string field key of obj into out (cap bytes); -1 when mistyped or too long. */
static int opt_label(const cJSON *obj, const char *key, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    out[0] = '\0';
    if (!v) return 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return -1;
    strcpy(out, v->valuestring);
    return 0;
}

/* Parses "objects" of images[i] into item (absent: no objects). */
static int parse_objects(const ds_ctx *c, const cJSON *img, size_t i, txt_ds_item *item) {
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(img, "objects");
    if (!objs) return 0;
    if (!cJSON_IsArray(objs))
        return ds_fail(c, "images[%zu]: 'objects' is not an array", i);
    size_t n = (size_t)cJSON_GetArraySize(objs);
    if (n > TXT_DS_MAX_OBJECTS)
        return ds_fail(c, "images[%zu] has %zu objects, over the limit of %d", i, n,
                       TXT_DS_MAX_OBJECTS);
    item->objects = calloc(n ? n : 1, sizeof *item->objects);  /* non-NULL: "objects" given */
    if (!item->objects) return ds_fail(c, "out of memory");
    size_t k = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, objs) {
        txt_ds_object *d = &item->objects[k];
        if (!cJSON_IsObject(o))
            return ds_fail(c, "images[%zu].objects[%zu] is not an object", i, k);
        if (opt_label(o, "shape", d->shape, TXT_DS_LABEL) ||
            opt_label(o, "colour", d->colour, TXT_DS_LABEL) ||
            opt_label(o, "size", d->size, TXT_DS_LABEL))
            return ds_fail(c, "images[%zu].objects[%zu]: shape, colour and size must be strings of "
                           "at most %d bytes", i, k, TXT_DS_LABEL - 1);
        const cJSON *box = cJSON_GetObjectItemCaseSensitive(o, "bbox");
        if (!box) return ds_fail(c, "images[%zu].objects[%zu] has no 'bbox'", i, k);
        int ok = cJSON_IsArray(box) && cJSON_GetArraySize(box) == 4;
        size_t j = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, box) {
            if (!ok || !cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
                (j >= 2 && v->valuedouble < 0)) {
                ok = 0;
                break;
            }
            d->bbox[j++] = (float)v->valuedouble;
        }
        if (!ok)
            return ds_fail(c, "images[%zu].objects[%zu]: 'bbox' must be 4 numbers [x, y, width, "
                           "height] with width and height >= 0", i, k);
        k++;
    }
    item->n_objects = n;
    return 0;
}

/* Parses images[i] into item and records its id in the table. */
static int parse_image(const ds_ctx *c, const cJSON *img, size_t i, txt_ds_item *items,
                       id_table *ids) {
    txt_ds_item *item = &items[i];
    char id[TXT_DS_MAX_ID_BYTES];
    if (!cJSON_IsObject(img)) return ds_fail(c, "images[%zu] is not an object", i);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(img, "id");
    if (!v) return ds_fail(c, "images[%zu] has no 'id'", i);
    if (id_text(v, id, sizeof id) != 0)
        return ds_fail(c, "images[%zu]: 'id' is not an integer or a non-empty string of at most "
                       "%d bytes", i, TXT_DS_MAX_ID_BYTES - 1);
    v = cJSON_GetObjectItemCaseSensitive(img, "file_name");
    if (!v) return ds_fail(c, "images[%zu] has no 'file_name'", i);
    if (!cJSON_IsString(v)) return ds_fail(c, "images[%zu]: 'file_name' is not a string", i);
    const char *fn = v->valuestring;
    if (strlen(fn) > TXT_DS_MAX_NAME_BYTES)
        return ds_fail(c, "images[%zu]: 'file_name' is longer than %d bytes", i,
                       TXT_DS_MAX_NAME_BYTES);
    if (!*fn) return ds_fail(c, "images[%zu] has an empty 'file_name'", i);
    if (!txt_dataset_safe_name(fn))
        return ds_fail(c, "images[%zu]: file_name '%.200s' is %s; refused, as it would read "
                       "outside the image folder", i, fn,
                       fn[0] == '/' ? "absolute" : "going up with '..'");
    if (opt_int(img, "width", 1, TXT_DS_MAX_SIDE, &item->width) ||
        opt_int(img, "height", 1, TXT_DS_MAX_SIDE, &item->height))
        return ds_fail(c, "images[%zu]: 'width' and 'height' must be integers in 1..%d", i,
                       TXT_DS_MAX_SIDE);
    v = cJSON_GetObjectItemCaseSensitive(img, "split");
    if (v && (!cJSON_IsString(v) || !v->valuestring[0] ||
              strlen(v->valuestring) >= TXT_DS_MAX_SPLIT_BYTES))
        return ds_fail(c, "images[%zu]: 'split' is not a non-empty string of at most %d bytes",
                       i, TXT_DS_MAX_SPLIT_BYTES - 1);
    item->id = dup_str(id);
    item->file_name = dup_str(fn);
    item->split = v ? dup_str(v->valuestring) : NULL;
    if (!item->id || !item->file_name || (v && !item->split)) return ds_fail(c, "out of memory");
    size_t *slot = table_slot(ids, items, id);
    if (*slot)
        return ds_fail(c, "images[%zu] has id %.200s, already used by images[%zu]", i, id,
                       *slot - 1);
    *slot = i + 1;
    return parse_objects(c, img, i, item);
}

/* Parses the optional per-word array key ("grounding" or "kinds") of annotations[k] into
 * *out, checking its length against the caption and each value against [min, max]. */
static int parse_word_ints(const ds_ctx *c, const cJSON *ann, const char *key, size_t k,
                           size_t n_words, long min, long max, int **out) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(ann, key);
    if (!arr) return 0;
    if (!cJSON_IsArray(arr)) return ds_fail(c, "annotations[%zu]: '%s' is not an array", k, key);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n != n_words)
        return ds_fail(c, "annotations[%zu]: '%s' has %zu entries but the caption has %zu words",
                       k, key, n, n_words);
    *out = alloc_array(n, sizeof **out);
    if (!*out) return ds_fail(c, "out of memory");
    size_t j = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
            return ds_fail(c, "annotations[%zu]: %s[%zu] is not an integer in %ld..%ld", k, key,
                           j, min, max);
        (*out)[j++] = (int)d;
    }
    return 0;
}

/* Parses annotations[k] into cap and the index of its image into *image. */
static int parse_annotation(const ds_ctx *c, const cJSON *ann, size_t k,
                            const txt_dataset_opts *o, const txt_ds_item *items,
                            const id_table *ids, txt_ds_caption *cap, size_t *image) {
    char id[TXT_DS_MAX_ID_BYTES];
    if (!cJSON_IsObject(ann)) return ds_fail(c, "annotations[%zu] is not an object", k);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, "image_id");
    if (!v) return ds_fail(c, "annotations[%zu] has no 'image_id'", k);
    if (id_text(v, id, sizeof id) != 0)
        return ds_fail(c, "annotations[%zu]: 'image_id' is not an integer or a non-empty string "
                       "of at most %d bytes", k, TXT_DS_MAX_ID_BYTES - 1);
    size_t slot = *table_slot(ids, items, id);
    if (!slot)
        return ds_fail(c, "annotations[%zu] refers to image_id %.200s, which is not in images[]",
                       k, id);
    *image = slot - 1;
    v = cJSON_GetObjectItemCaseSensitive(ann, "caption");
    if (!v) return ds_fail(c, "annotations[%zu] has no 'caption'", k);
    if (!cJSON_IsString(v)) return ds_fail(c, "annotations[%zu]: 'caption' is not a string", k);
    size_t len = strlen(v->valuestring);
    if (len > o->max_caption_bytes)
        return ds_fail(c, "annotations[%zu]: caption is %zu bytes, over the limit of %zu", k, len,
                       o->max_caption_bytes);
    if (!utf8_valid((const unsigned char *)v->valuestring))
        return ds_fail(c, "annotations[%zu]: caption is not valid UTF-8", k);
    cap->text = malloc(3 * len + 1);
    if (!cap->text) return ds_fail(c, "out of memory");
    txt_caption_normalize(cap->text, 3 * len + 1, v->valuestring);
    cap->n_words = count_words(cap->text);
    if (cap->n_words == 0) return ds_fail(c, "annotations[%zu] has an empty caption", k);
    char *shrunk = realloc(cap->text, strlen(cap->text) + 1);
    if (shrunk) cap->text = shrunk;
    long n_obj = (long)items[*image].n_objects;
    if (parse_word_ints(c, ann, "grounding", k, cap->n_words, -1, n_obj - 1, &cap->grounding) ||
        parse_word_ints(c, ann, "kinds", k, cap->n_words, 0, 3, &cap->kinds))
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ assembly */

static void caption_free(txt_ds_caption *cap) {
    free(cap->text);
    free(cap->grounding);
    free(cap->kinds);
}

static void item_free(txt_ds_item *it) {
    free(it->id);
    free(it->file_name);
    free(it->split);
    for (size_t j = 0; j < it->n_captions; j++) caption_free(&it->captions[j]);
    free(it->captions);
    free(it->objects);
    memset(it, 0, sizeof *it);
}

void txt_dataset_free(txt_dataset *ds) {
    if (!ds) return;
    for (size_t i = 0; i < ds->n_items; i++) item_free(&ds->items[i]);
    free(ds->items);
    memset(ds, 0, sizeof *ds);
}

/* 1 when an image of split `have` belongs to the requested split `want`. */
static int split_matches(const char *have, const char *want) {
    if (!have) return 0;
    return strcmp(have, want) == 0 || (strcmp(want, "train") == 0 && strcmp(have, "restval") == 0);
}

/* The error for a split filter that kept nothing, listing the splits the file has. */
static int no_split_match(const ds_ctx *c, const txt_ds_item *items, size_t n, const char *want) {
    char list[256] = "";
    size_t listed = 0, len = 0;
    for (size_t i = 0; i < n && listed < MAX_SPLITS_LISTED; i++) {
        const char *s = items[i].split;
        int seen = 0;
        for (size_t j = 0; s && j < i && !seen; j++)
            seen = items[j].split && !strcmp(items[j].split, s);
        if (!s || seen) continue;
        int w = snprintf(list + len, sizeof list - len, "%s%s", listed ? ", " : "", s);
        if (w < 0 || (size_t)w >= sizeof list - len) break;
        len += (size_t)w;
        listed++;
    }
    if (!listed)
        return ds_fail(c, "no image has a 'split' field, so split '%.64s' selects nothing", want);
    return ds_fail(c, "no image is in split '%.64s' (the file has: %s)", want, list);
}

/* Moves the parsed captions into their items (file order within an item). */
static int distribute(const ds_ctx *c, txt_ds_item *items, size_t n_img, txt_ds_caption *caps,
                      const size_t *owner, size_t n_caps) {
    size_t *count = alloc_array(n_img, sizeof *count);
    if (!count) return ds_fail(c, "out of memory");
    for (size_t k = 0; k < n_caps; k++) count[owner[k]]++;
    for (size_t i = 0; i < n_img; i++)
        if (count[i] == 0) {
            free(count);
            return ds_fail(c, "images[%zu] (id %.200s) has no caption in annotations[]", i,
                           items[i].id);
        }
    for (size_t i = 0; i < n_img; i++) {
        items[i].captions = alloc_array(count[i], sizeof *items[i].captions);
        if (!items[i].captions) {
            free(count);
            return ds_fail(c, "out of memory");
        }
    }
    free(count);
    for (size_t k = 0; k < n_caps; k++) {
        txt_ds_item *it = &items[owner[k]];
        it->captions[it->n_captions++] = caps[k];
        memset(&caps[k], 0, sizeof caps[k]);
    }
    return 0;
}

/* Keeps the items of the requested split (all when want is NULL), in order. */
static int filter_split(const ds_ctx *c, txt_dataset *ds, const char *want) {
    if (!want) return 0;
    size_t kept = 0;
    for (size_t i = 0; i < ds->n_items; i++) kept += split_matches(ds->items[i].split, want);
    if (kept == 0) return no_split_match(c, ds->items, ds->n_items, want);
    size_t out = 0;
    for (size_t i = 0; i < ds->n_items; i++) {
        if (split_matches(ds->items[i].split, want)) ds->items[out++] = ds->items[i];
        else item_free(&ds->items[i]);
    }
    ds->n_items = out;
    return 0;
}

/* Parses the document root into ds (which is zeroed and owns whatever was built). */
static int parse_root(const ds_ctx *c, const cJSON *root, const txt_dataset_opts *o,
                      txt_dataset *ds) {
    if (!cJSON_IsObject(root)) return ds_fail(c, "the top level is not a JSON object");
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    if (!images) return ds_fail(c, "no 'images' array at the top level");
    if (!cJSON_IsArray(images)) return ds_fail(c, "'images' is not an array");
    if (!anns) return ds_fail(c, "no 'annotations' array at the top level");
    if (!cJSON_IsArray(anns)) return ds_fail(c, "'annotations' is not an array");
    size_t n_img = (size_t)cJSON_GetArraySize(images), n_ann = (size_t)cJSON_GetArraySize(anns);
    if (n_img == 0) return ds_fail(c, "'images' is empty");

    ds->items = alloc_array(n_img, sizeof *ds->items);
    id_table ids = {NULL, 0};
    txt_ds_caption *caps = alloc_array(n_ann ? n_ann : 1, sizeof *caps);
    size_t *owner = alloc_array(n_ann ? n_ann : 1, sizeof *owner);
    size_t i = 0, k = 0;
    int rc = -1;
    if (!ds->items || !caps || !owner || table_init(&ids, n_img) != 0) {
        ds_fail(c, "out of memory for %zu images and %zu annotations", n_img, n_ann);
        goto done;
    }
    ds->n_items = n_img;
    const cJSON *e;
    cJSON_ArrayForEach(e, images) {
        if (parse_image(c, e, i, ds->items, &ids) != 0) goto done;
        i++;
    }
    cJSON_ArrayForEach(e, anns) {
        if (parse_annotation(c, e, k, o, ds->items, &ids, &caps[k], &owner[k]) != 0) {
            k++;  /* caps[k] may hold a partial caption: free it below */
            goto done;
        }
        k++;
    }
    if (distribute(c, ds->items, n_img, caps, owner, n_ann) != 0) goto done;
    ds->n_captions = n_ann;
    if (filter_split(c, ds, o->split) != 0) goto done;
    if (o->split) {
        ds->n_captions = 0;
        for (i = 0; i < ds->n_items; i++) ds->n_captions += ds->items[i].n_captions;
    }
    rc = 0;
done:
    for (size_t j = 0; caps && j < k; j++) caption_free(&caps[j]);
    free(caps);
    free(owner);
    free(ids.slots);
    return rc;
}

int txt_dataset_parse(txt_dataset *ds, const char *json, size_t len, const char *name,
                      const txt_dataset_opts *opts, nn_error *err) {
    txt_dataset_opts o = opts ? *opts : txt_dataset_default_opts();
    ds_ctx c = {name ? name : "captions", err};
    memset(ds, 0, sizeof *ds);
    if (len > o.max_file_bytes)
        return ds_fail(&c, "%zu bytes of JSON, over the limit of %zu", len, o.max_file_bytes);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    size_t at = end && end >= json ? (size_t)(end - json) : 0;
    if (root) {
        while (at < len && is_space((unsigned char)json[at])) at++;
        if (at < len && json[at] != '\0') {
            cJSON_Delete(root);
            return ds_fail(&c, "not valid JSON near byte %zu (text after the end)", at);
        }
    } else {
        return ds_fail(&c, "not valid JSON near byte %zu", at < len ? at : len);
    }
    int rc = parse_root(&c, root, &o, ds);
    cJSON_Delete(root);
    if (rc != 0) txt_dataset_free(ds);
    return rc;
}

int txt_dataset_load(txt_dataset *ds, const char *path, const txt_dataset_opts *opts,
                     nn_error *err) {
    txt_dataset_opts o = opts ? *opts : txt_dataset_default_opts();
    memset(ds, 0, sizeof *ds);
    FILE *f = fopen(path, "rb");
    if (!f) return nn_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return nn_fail(err, "%s: not a regular file", path);
    }
    if ((uintmax_t)st.st_size > (uintmax_t)o.max_file_bytes) {
        fclose(f);
        return nn_fail(err, "%s: file is %jd bytes, over the limit of %zu bytes", path,
                       (intmax_t)st.st_size, o.max_file_bytes);
    }
    size_t len = (size_t)st.st_size;
    char *buf = malloc(len + 1);
    if (!buf) {
        fclose(f);
        return nn_fail(err, "%s: out of memory for %zu bytes", path, len);
    }
    size_t got = fread(buf, 1, len, f);
    int read_err = ferror(f);
    fclose(f);
    if (got != len || read_err) {
        free(buf);
        return nn_fail(err, "%s: read failed (%zu of %zu bytes)", path, got, len);
    }
    buf[len] = '\0';
    int rc = txt_dataset_parse(ds, buf, len, path, &o, err);
    free(buf);
    return rc;
}

const char **txt_dataset_caption_list(const txt_dataset *ds, size_t *n) {
    *n = 0;
    const char **list = alloc_array(ds->n_captions, sizeof *list);
    if (!list) return NULL;
    for (size_t i = 0; i < ds->n_items; i++)
        for (size_t j = 0; j < ds->items[i].n_captions && *n < ds->n_captions; j++)
            list[(*n)++] = ds->items[i].captions[j].text;
    return list;
}

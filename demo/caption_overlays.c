/* caption_overlays.c — choosing the map a word shows, naming per-image folders, and
 * writing each image's overlay PNGs. */
#include "demo/caption_overlays.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "demo/png_write.h"

#define PATH_CAP 4096

/* ---- which map ----------------------------------------------------------------------- */

int cap_map_parse_index(int *out, const char *value) {
    if (!value) return -1;
    if (strcmp(value, "mean") == 0) {
        *out = CAP_MAP_MEAN;
        return 0;
    }
    if (*value < '0' || *value > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || v < 0 || v > 65535) return -1;
    *out = (int)v;
    return 0;
}

/* Appends printf output to the description in ch. */
static void desc_add(cap_map_choice *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void desc_add(cap_map_choice *ch, const char *fmt, ...) {
    size_t len = strlen(ch->desc);
    if (len + 1 >= sizeof ch->desc) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ch->desc + len, sizeof ch->desc - len, fmt, ap);
    va_end(ap);
}

int cap_map_choose(cap_map_choice *ch, int layer, int head, const xcap_model *m, nn_error *err) {
    size_t L, H;
    xcap_model_shape(m, NULL, NULL, &L, &H);
    memset(ch, 0, sizeof *ch);
    if (layer == CAP_MAP_DEFAULT && head == CAP_MAP_DEFAULT) {
        int al[CAP_ALIGN_MAX], ah[CAP_ALIGN_MAX];
        size_t n = xcap_model_align_heads(m, al, ah, CAP_ALIGN_MAX);
        if (n > CAP_ALIGN_MAX) n = CAP_ALIGN_MAX;
        for (size_t i = 0; i < n; i++) {
            if (al[i] < 0 || (size_t)al[i] >= L || ah[i] < 0 || (size_t)ah[i] >= H)
                return nn_fail(err, "the model's alignment head %d:%d is outside its %zu layers x %zu heads",
                               al[i], ah[i], L, H);
            ch->align_layer[i] = al[i];
            ch->align_head[i] = ah[i];
        }
        ch->n_align = n;
        if (n > 0) {
            desc_add(ch, "mean of the alignment heads (layer:head)");
            for (size_t i = 0; i < n; i++) desc_add(ch, " %d:%d", al[i], ah[i]);
            return 0;
        }
    }
    if (layer == CAP_MAP_DEFAULT) layer = (int)L - 1;
    if (head == CAP_MAP_DEFAULT) head = CAP_MAP_MEAN;
    if (layer >= 0 && (size_t)layer >= L)
        return nn_fail(err, "--layer %d is out of range: the model has %zu decoder layers (0..%zu or mean)",
                       layer, L, L - 1);
    if (head >= 0 && (size_t)head >= H)
        return nn_fail(err, "--head %d is out of range: the model has %zu heads (0..%zu or mean)",
                       head, H, H - 1);
    ch->layer = layer;
    ch->head = head;
    if (layer == CAP_MAP_MEAN && head == CAP_MAP_MEAN) desc_add(ch, "mean of all layers and heads");
    else if (layer == CAP_MAP_MEAN) desc_add(ch, "mean of the layers, head %d", head);
    else if (head == CAP_MAP_MEAN) desc_add(ch, "layer %d, mean of the heads", layer);
    else desc_add(ch, "layer %d, head %d", layer, head);
    return 0;
}

/* Adds map (N floats) into acc (doubles). */
static void accumulate(double *acc, const float *map, size_t N) {
    for (size_t n = 0; n < N; n++) acc[n] += map[n];
}

void cap_map_select(float *out, const xcap_caption *cap, size_t w, const cap_map_choice *ch) {
    size_t L = cap->layers, H = cap->heads, N = cap->grid_w * cap->grid_h;
    const float *word = cap->maps + w * L * H * N;
    double stack[256], *acc = N <= 256 ? stack : calloc(N, sizeof *acc);
    if (!acc) { /* out of memory: fall back to the first map rather than fail */
        memcpy(out, word, N * sizeof *out);
        return;
    }
    memset(acc, 0, N * sizeof *acc);
    if (ch->n_align > 0) {
        for (size_t i = 0; i < ch->n_align; i++)
            accumulate(acc, word + ((size_t)ch->align_layer[i] * H + (size_t)ch->align_head[i]) * N, N);
    } else {
        size_t l0 = ch->layer < 0 ? 0 : (size_t)ch->layer, l1 = ch->layer < 0 ? L : l0 + 1;
        size_t h0 = ch->head < 0 ? 0 : (size_t)ch->head, h1 = ch->head < 0 ? H : h0 + 1;
        for (size_t l = l0; l < l1; l++)
            for (size_t h = h0; h < h1; h++) accumulate(acc, word + (l * H + h) * N, N);
    }
    double sum = 0.0;
    for (size_t n = 0; n < N; n++) sum += acc[n];
    for (size_t n = 0; n < N; n++) out[n] = sum > 0.0 ? (float)(acc[n] / sum) : 1.0f / (float)N;
    if (acc != stack) free(acc);
}

/* ---- folder names -------------------------------------------------------------------- */

typedef struct {
    char *name;      /* NULL: free slot */
    unsigned next;   /* the next suffix to try when this name is asked for again */
} name_slot;

struct cap_names {
    name_slot *slots;
    size_t cap, used;
};

cap_names *cap_names_new(void) {
    cap_names *ns = calloc(1, sizeof *ns);
    if (!ns) return NULL;
    ns->cap = 64;
    ns->slots = calloc(ns->cap, sizeof *ns->slots);
    if (!ns->slots) {
        free(ns);
        return NULL;
    }
    return ns;
}

void cap_names_free(cap_names *ns) {
    if (!ns) return;
    for (size_t i = 0; i < ns->cap; i++) free(ns->slots[i].name);
    free(ns->slots);
    free(ns);
}

/* FNV-1a hash of s. */
static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot holding name, or the free slot where it would go. */
static name_slot *find_slot(name_slot *slots, size_t cap, const char *name) {
    size_t i = (size_t)(hash_name(name) & (cap - 1));
    while (slots[i].name && strcmp(slots[i].name, name) != 0) i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Inserts name (not present yet); -1 when out of memory. */
static int insert_name(cap_names *ns, const char *name) {
    if (2 * (ns->used + 1) > ns->cap) {
        size_t cap = ns->cap * 2;
        name_slot *slots = calloc(cap, sizeof *slots);
        if (!slots) return -1;
        for (size_t i = 0; i < ns->cap; i++)
            if (ns->slots[i].name) *find_slot(slots, cap, ns->slots[i].name) = ns->slots[i];
        free(ns->slots);
        ns->slots = slots;
        ns->cap = cap;
    }
    name_slot *s = find_slot(ns->slots, ns->cap, name);
    s->name = strdup(name);
    if (!s->name) return -1;
    s->next = 2;
    ns->used++;
    return 0;
}

/* The sanitised base name of path without its extension into out (OVL_NAME_MAX bytes). */
static void base_name(char *out, const char *path) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t end = len;
    for (size_t i = len; i > start + 1; i--)
        if (path[i - 1] == '.') {
            end = i - 1;
            break;
        }
    char raw[PATH_CAP];
    size_t n = end - start < sizeof raw - 1 ? end - start : sizeof raw - 1;
    memcpy(raw, path + start, n);
    raw[n] = '\0';
    ovl_sanitize_name(out, OVL_NAME_MAX, raw);
}

int cap_names_take(cap_names *ns, char *out, size_t cap, const char *path, nn_error *err) {
    if (cap < OVL_NAME_MAX) return nn_fail(err, "folder name buffer too small");
    char base[OVL_NAME_MAX];
    base_name(base, path);
    name_slot *s = find_slot(ns->slots, ns->cap, base);
    if (!s->name) {
        if (insert_name(ns, base) != 0) return nn_fail(err, "out of memory for folder names");
        memcpy(out, base, strlen(base) + 1);
        return 0;
    }
    for (unsigned k = s->next;; k++) {
        char suffix[16];
        int sl = snprintf(suffix, sizeof suffix, "_%u", k);
        size_t keep = strlen(base);
        if (keep + (size_t)sl > OVL_NAME_MAX - 1) keep = OVL_NAME_MAX - 1 - (size_t)sl;
        memcpy(out, base, keep);
        memcpy(out + keep, suffix, (size_t)sl + 1);
        if (!find_slot(ns->slots, ns->cap, out)->name) {
            find_slot(ns->slots, ns->cap, base)->next = k + 1;
            if (insert_name(ns, out) != 0) return nn_fail(err, "out of memory for folder names");
            return 0;
        }
    }
}

/* ---- writing ------------------------------------------------------------------------- */

int cap_mkdir(const char *path, int parents, nn_error *err) {
    char buf[PATH_CAP];
    size_t len = strlen(path);
    if (len == 0) return nn_fail(err, "empty folder name");
    if (len >= sizeof buf) return nn_fail(err, "%s: path too long", path);
    memcpy(buf, path, len + 1);
    if (parents) {
        for (size_t i = 1; i < len; i++) {
            if (buf[i] != '/' || buf[i - 1] == '/') continue;
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return nn_fail(err, "%s: cannot create folder (%s)", buf, strerror(errno));
            buf[i] = '/';
        }
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return nn_fail(err, "%s: cannot create folder (%s)", path, strerror(errno));
    struct stat st;
    int rc = parents ? stat(path, &st) : lstat(path, &st);
    if (rc != 0) return nn_fail(err, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return nn_fail(err, "%s: exists and is not a folder", path);
    return 0;
}

/* Joins dir and name into out (PATH_CAP bytes); -1 with a message when too long. */
static int join(char *out, const char *dir, const char *name, nn_error *err) {
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_CAP) return nn_fail(err, "%s/%s: path too long", dir, name);
    return 0;
}

/* Renders one word's overlay (or heads grid when grid is set) and writes it to path. */
static int write_word(const char *path, const vis_image *img, const xcap_caption *cap,
                      const float *sel, size_t w, int grid, const cap_overlay_opts *o,
                      nn_error *err) {
    size_t gw = cap->grid_w, gh = cap->grid_h, N = gw * gh;
    vis_image out;
    int rc = grid ? ovl_render_heads_grid(&out, img, cap->maps + w * cap->layers * cap->heads * N,
                                          cap->layers, cap->heads, gw, gh, cap->words[w],
                                          cap->probs[w], &o->ovl, err)
                  : ovl_render_word(&out, img, sel + w * N, gw, gh, cap->words[w], cap->probs[w],
                                    &o->ovl, err);
    if (rc != 0) return nn_fail_prefix(err, path);
    rc = ovl_png_write(path, &out, err);
    vis_image_free(&out);
    return rc;
}

/* img resized to w × h into out: a whole-factor enlargement repeats pixels, anything else
 * goes through vis_image_resize. */
static int resize_view(vis_image *out, const vis_image *img, int w, int h, nn_error *err) {
    memset(out, 0, sizeof *out);
    size_t n;
    if (w > VIS_IMAGE_MAX_SIDE || h > VIS_IMAGE_MAX_SIDE || nn_mul_size((size_t)w * 3, (size_t)h, &n) != 0)
        return nn_fail(err, "view size %dx%d is too large", w, h);
    out->rgb = malloc(n);
    if (!out->rgb) return nn_fail(err, "out of memory for a %dx%d view", w, h);
    out->width = w;
    out->height = h;
    if (w % img->width == 0 && h % img->height == 0 && w / img->width == h / img->height) {
        int k = w / img->width;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                memcpy(out->rgb + ((size_t)y * (size_t)w + (size_t)x) * 3,
                       img->rgb + ((size_t)(y / k) * (size_t)img->width + (size_t)(x / k)) * 3, 3);
    } else {
        vis_image_resize(out->rgb, w, h, img->rgb, img->width, img->height);
    }
    return 0;
}

/* Writes image.png (when asked) and NN_word.png of every word, drawn on view. */
static int write_words(const char *dir, const vis_image *view, const xcap_caption *cap,
                       const float *sel, const cap_overlay_opts *o, nn_error *err) {
    char path[PATH_CAP], name[OVL_NAME_MAX + 16];
    if (o->write_image) {
        if (join(path, dir, "image.png", err) != 0 || ovl_png_write(path, view, err) != 0) return -1;
    }
    for (size_t w = 0; w < cap->n_words; w++) {
        if (ovl_word_filename(name, sizeof name, w, cap->words[w]) != 0)
            return nn_fail(err, "%s: word %zu has no file name", dir, w);
        if (join(path, dir, name, err) != 0 || write_word(path, view, cap, sel, w, 0, o, err) != 0)
            return -1;
    }
    return 0;
}

int cap_overlays_write(const char *dir, const vis_image *img, const xcap_caption *cap,
                       const float *sel, const cap_overlay_opts *o, nn_error *err) {
    char path[PATH_CAP], heads[PATH_CAP], name[OVL_NAME_MAX + 16];
    if (cap_mkdir(dir, 0, err) != 0) return -1;
    if (o->view_w > 0 && o->view_h > 0 && (o->view_w != img->width || o->view_h != img->height)) {
        vis_image view;
        if (resize_view(&view, img, o->view_w, o->view_h, err) != 0) return nn_fail_prefix(err, dir);
        int rc = write_words(dir, &view, cap, sel, o, err);
        vis_image_free(&view);
        if (rc != 0) return -1;
    } else if (write_words(dir, img, cap, sel, o, err) != 0) {
        return -1;
    }
    static const float none = 0.0f;
    vis_image strip;
    if (join(path, dir, "strip.png", err) != 0) return -1;
    if (ovl_render_strip(&strip, img, cap->n_words ? sel : &none, (const char *const *)cap->words,
                         cap->probs, cap->n_words, cap->grid_w, cap->grid_h, cap->text, &o->ovl,
                         err) != 0)
        return nn_fail_prefix(err, path);
    int rc = ovl_png_write(path, &strip, err);
    vis_image_free(&strip);
    if (rc != 0 || !o->heads_grid) return rc;
    if (join(heads, dir, "heads", err) != 0 || cap_mkdir(heads, 0, err) != 0) return -1;
    for (size_t w = 0; w < cap->n_words; w++) {
        if (ovl_word_filename(name, sizeof name, w, cap->words[w]) != 0)
            return nn_fail(err, "%s: word %zu has no file name", dir, w);
        if (join(path, heads, name, err) != 0 || write_word(path, img, cap, sel, w, 1, o, err) != 0)
            return -1;
    }
    return 0;
}

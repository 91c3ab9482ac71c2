/* shapes_export.c — shapes-world scenes to PNG files and a COCO-style captions.json. */
#include "vision/shapes_export.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stb/stb_image_write.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PATH_MAX_LEN 4096

vis_export_params vis_export_default_params(void) {
    vis_export_params p;
    memset(&p, 0, sizeof p);
    p.seed = 1;
    p.split = VIS_SPLIT_TRAIN;
    p.width = VIS_DEFAULT_SIDE;
    p.height = VIS_DEFAULT_SIDE;
    return p;
}

/* Formats "dir/rel" into out; -1 when it does not fit. */
static int join_path(char *out, size_t cap, const char *dir, const char *rel, nn_error *err) {
    int n = snprintf(out, cap, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= cap) return nn_fail(err, "%s: path too long", dir);
    return 0;
}

/* Creates directory path and its missing parents (like mkdir -p). */
static int make_dirs(const char *path, nn_error *err) {
    char buf[PATH_MAX_LEN];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return nn_fail(err, "'%s': bad output directory", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return nn_fail(err, "%s: cannot create directory: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return nn_fail(err, "%s: not a directory", path);
    return 0;
}

/* Writes the scene's pixels to path via a ".tmp" file and a rename. */
static int write_png(const char *path, const vis_scene *s, nn_error *err) {
    char tmp[PATH_MAX_LEN];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp) return nn_fail(err, "%s: path too long", path);
    if (!stbi_write_png(tmp, s->width, s->height, 3, s->rgb, 3 * s->width)) {
        remove(tmp);
        return nn_fail(err, "%s: cannot write PNG", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return nn_fail(err, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return 0;
}

/* Adds item to object under name (or to an array when name is NULL); clears *ok on failure. */
static void put(cJSON *parent, const char *name, cJSON *item, int *ok) {
    cJSON_bool added = 0;
    if (item) added = name ? cJSON_AddItemToObject(parent, name, item)
                           : cJSON_AddItemToArray(parent, item);
    if (!added) {
        cJSON_Delete(item);
        *ok = 0;
    }
}

/* A JSON string holding the decimal digits of v (64-bit values do not fit a JSON number). */
static cJSON *u64_string(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_CreateString(buf);
}

/* COCO uncompressed RLE of a width × height mask: column-major runs starting with 0s. */
static cJSON *mask_rle(const unsigned char *mask, int width, int height, int *ok) {
    cJSON *rle = cJSON_CreateObject(), *counts = cJSON_CreateArray();
    int size[2] = {height, width};
    if (!rle) {
        cJSON_Delete(counts);
        *ok = 0;
        return NULL;
    }
    put(rle, "size", cJSON_CreateIntArray(size, 2), ok);
    int value = 0;
    long run = 0;
    for (int x = 0; x < width; x++)
        for (int y = 0; y < height; y++) {
            int m = mask[(size_t)y * (size_t)width + (size_t)x] != 0;
            if (m != value) {
                put(counts, NULL, cJSON_CreateNumber((double)run), ok);
                value = m;
                run = 0;
            }
            run++;
        }
    put(counts, NULL, cJSON_CreateNumber((double)run), ok);
    put(rle, "counts", counts, ok);
    return rle;
}

/* The "images" entry of scene s with id i; mask is scratch of width × height bytes. */
static cJSON *image_entry(const vis_scene *s, size_t i, unsigned char *mask, int *ok) {
    cJSON *img = cJSON_CreateObject();
    if (!img) {
        *ok = 0;
        return NULL;
    }
    char name[64];
    snprintf(name, sizeof name, "images/scene_%06zu.png", i);
    put(img, "id", cJSON_CreateNumber((double)i), ok);
    put(img, "file_name", cJSON_CreateString(name), ok);
    put(img, "width", cJSON_CreateNumber(s->width), ok);
    put(img, "height", cJSON_CreateNumber(s->height), ok);
    put(img, "split", cJSON_CreateString(vis_split_names[s->split]), ok);
    put(img, "scene_seed", u64_string(s->seed), ok);
    cJSON *objects = cJSON_CreateArray();
    for (int k = 0; k < s->n_objects && objects; k++) {
        const vis_object *o = &s->objects[k];
        cJSON *obj = cJSON_CreateObject();
        int box[4] = {o->x0, o->y0, o->x1 - o->x0, o->y1 - o->y0};
        if (obj) {
            put(obj, "shape", cJSON_CreateString(vis_shape_names[o->shape]), ok);
            put(obj, "colour", cJSON_CreateString(vis_colour_names[o->colour]), ok);
            put(obj, "size", cJSON_CreateString(vis_size_names[o->size]), ok);
            put(obj, "bbox", cJSON_CreateIntArray(box, 4), ok);
            vis_object_mask(mask, s, k);
            put(obj, "mask_rle", mask_rle(mask, s->width, s->height, ok), ok);
        }
        put(objects, NULL, obj, ok);
    }
    put(img, "objects", objects, ok);
    return img;
}

/* The "annotations" entry for caption c of image i, with annotation id k. */
static cJSON *annotation_entry(const vis_caption *c, size_t i, size_t k, int *ok) {
    cJSON *a = cJSON_CreateObject();
    if (!a) {
        *ok = 0;
        return NULL;
    }
    put(a, "id", cJSON_CreateNumber((double)k), ok);
    put(a, "image_id", cJSON_CreateNumber((double)i), ok);
    put(a, "caption", cJSON_CreateString(c->text), ok);
    put(a, "grounding", cJSON_CreateIntArray(c->object, c->n_words), ok);
    put(a, "kinds", cJSON_CreateIntArray(c->kind, c->n_words), ok);
    return a;
}

/* The "info" object describing the run. */
static cJSON *info_entry(const vis_export_params *p, int *ok) {
    cJSON *info = cJSON_CreateObject();
    if (!info) {
        *ok = 0;
        return NULL;
    }
    put(info, "description", cJSON_CreateString("xcap shapes world"), ok);
    put(info, "generator", cJSON_CreateString("xcap vis_scene_generate"), ok);
    put(info, "version", cJSON_CreateNumber(1), ok);
    put(info, "seed", u64_string(p->seed), ok);
    put(info, "split", cJSON_CreateString(vis_split_names[p->split]), ok);
    put(info, "count", cJSON_CreateNumber((double)p->count), ok);
    put(info, "width", cJSON_CreateNumber(p->width), ok);
    put(info, "height", cJSON_CreateNumber(p->height), ok);
    if (p->n_objects) put(info, "objects", cJSON_CreateNumber(p->n_objects), ok);
    else put(info, "objects", cJSON_CreateString("1..3"), ok);
    cJSON *pairs = cJSON_CreateArray();
    for (int h = 0; h < VIS_HELDOUT_COUNT && pairs; h++) {
        char pair[64];
        snprintf(pair, sizeof pair, "%s %s", vis_colour_names[vis_heldout_pairs[h].colour],
                 vis_shape_names[vis_heldout_pairs[h].shape]);
        put(pairs, NULL, cJSON_CreateString(pair), ok);
    }
    put(info, "heldout_pairs", pairs, ok);
    put(info, "bbox_format", cJSON_CreateString("[x, y, width, height] in pixels"), ok);
    put(info, "mask_format", cJSON_CreateString("COCO uncompressed RLE, column-major"), ok);
    return info;
}

/* Prints item unformatted to f after sep, then frees it; -1 when printing failed. */
static int emit(FILE *f, const char *sep, cJSON *item, int ok) {
    char *text = ok && item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    if (!text) return -1;
    fputs(sep, f);
    fputs(text, f);
    cJSON_free(text);
    return 0;
}

/* Generates scene i of the run: on p's canvas, or on a random canvas (vis_canvas_sample
 * around p's size, as `xcap eval` draws its scenes) when p->random_canvas is set. */
static int export_scene(vis_scene *s, const vis_export_params *p, size_t i, nn_error *err) {
    uint64_t seed = vis_scene_seed(p->seed, i);
    if (p->random_canvas)
        return vis_scene_generate_on_canvas(s, seed, p->split, p->width, p->height, p->n_objects,
                                            err);
    return vis_scene_generate(s, seed, p->split, p->width, p->height, p->n_objects, err);
}

/* Streams captions.json into f: pass 1 writes the PNGs and image entries, pass 2 regenerates
 * each scene (cheap and deterministic) for its annotations, so memory stays per scene. */
static int write_all(FILE *f, const char *dir, const vis_export_params *p, vis_scene *s,
                     unsigned char *mask, nn_error *err) {
    char path[PATH_MAX_LEN], rel[64];
    int ok = 1;
    cJSON *item = info_entry(p, &ok);
    fputs("{\"info\":", f);
    if (emit(f, "", item, ok) != 0) return nn_fail(err, "shapes export: out of memory");
    fputs(",\"images\":[", f);
    for (size_t i = 0; i < p->count; i++) {
        if (export_scene(s, p, i, err) != 0) return -1;
        snprintf(rel, sizeof rel, "images/scene_%06zu.png", i);
        if (join_path(path, sizeof path, dir, rel, err) != 0) return -1;
        if (write_png(path, s, err) != 0) return -1;
        item = image_entry(s, i, mask, &ok);
        if (emit(f, i ? "," : "", item, ok) != 0)
            return nn_fail(err, "shapes export: out of memory");
        if (p->progress) p->progress(p->progress_user, i + 1, p->count);
    }
    fputs("],\"annotations\":[", f);
    size_t k = 0;
    for (size_t i = 0; i < p->count; i++) {
        if (export_scene(s, p, i, err) != 0) return -1;
        for (int c = 0; c < s->n_captions; c++, k++) {
            item = annotation_entry(&s->captions[c], i, k, &ok);
            if (emit(f, k ? "," : "", item, ok) != 0)
                return nn_fail(err, "shapes export: out of memory");
        }
    }
    fputs("]}\n", f);
    return 0;
}

int vis_scenes_export_with(const char *dir, const vis_export_params *p, nn_error *err) {
    char json_path[PATH_MAX_LEN], tmp_path[PATH_MAX_LEN], images[PATH_MAX_LEN];
    if (!dir || !*dir) return nn_fail(err, "shapes export: no output directory given");
    if (p->width < VIS_MIN_SIDE || p->height < VIS_MIN_SIDE || p->width > VIS_MAX_SIDE ||
        p->height > VIS_MAX_SIDE)
        return nn_fail(err, "shapes export: canvas %dx%d outside %d..%d per side", p->width,
                       p->height, VIS_MIN_SIDE, VIS_MAX_SIDE);
    if (join_path(json_path, sizeof json_path, dir, "captions.json", err) != 0 ||
        join_path(tmp_path, sizeof tmp_path, dir, "captions.json.tmp", err) != 0 ||
        join_path(images, sizeof images, dir, "images", err) != 0)
        return -1;
    if ((int)p->split < 0 || p->split >= VIS_SPLIT_COUNT)
        return nn_fail(err, "shapes export: unknown split %d", (int)p->split);
    if (p->n_objects < 0 || p->n_objects > VIS_MAX_OBJECTS)
        return nn_fail(err, "shapes export: object count %d outside 0..%d", p->n_objects,
                       VIS_MAX_OBJECTS);
    struct stat st;
    if (!p->overwrite && stat(json_path, &st) == 0)
        return nn_fail(err, "%s: already exists (overwrite not requested)", json_path);
    if (make_dirs(dir, err) != 0 || make_dirs(images, err) != 0) return -1;

    vis_recipe recipe = vis_recipe_default();
    int side = recipe.side_max > p->width ? recipe.side_max : p->width;
    side = side > p->height ? side : p->height;
    unsigned char *mask = malloc((size_t)side * (size_t)side);
    if (!mask) return nn_fail(err, "shapes export: out of memory");
    FILE *f = fopen(tmp_path, "wb");
    if (!f) {
        int e = errno;
        free(mask);
        return nn_fail(err, "%s: cannot open for writing: %s", tmp_path, strerror(e));
    }
    vis_scene s = {0};
    int rc = write_all(f, dir, p, &s, mask, err);
    vis_scene_free(&s);
    free(mask);
    if (ferror(f) && rc == 0) rc = nn_fail(err, "%s: write failed", tmp_path);
    if (fclose(f) != 0 && rc == 0)
        rc = nn_fail(err, "%s: write failed: %s", tmp_path, strerror(errno));
    if (rc == 0 && rename(tmp_path, json_path) != 0)
        rc = nn_fail(err, "%s: cannot rename into place: %s", json_path, strerror(errno));
    if (rc != 0) remove(tmp_path);
    return rc;
}

int vis_scenes_export(const char *dir, size_t count, uint64_t seed, vis_split split, int width,
                      int height, nn_error *err) {
    vis_export_params p = vis_export_default_params();
    p.count = count;
    p.seed = seed;
    p.split = split;
    p.width = width;
    p.height = height;
    return vis_scenes_export_with(dir, &p, err);
}

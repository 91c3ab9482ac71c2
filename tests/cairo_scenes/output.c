/* output.c — picture files (stb_image_write) and captions.json (cJSON) for each scene. */
#include "output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <stb/stb_image_write.h>  /* compiled once, in stb_write.c */

/* Creates path and its missing parents (mkdir -p). */
static int make_dirs(const char *path, char *err, size_t cap) {
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        snprintf(err, cap, "'%s': bad output directory", path);
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            snprintf(err, cap, "%s: cannot create directory: %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "%s: not a directory", path);
        return -1;
    }
    return 0;
}

/* A JSON string of v's decimal digits (a 64-bit seed does not fit a JSON number). */
static cJSON *u64_string(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_CreateString(buf);
}

/* v rounded to the given number of decimals, so the file reads cleanly. */
static double rounded(double v, int decimals) {
    double f = pow(10.0, decimals);
    return floor(v * f + 0.5) / f;
}

/* A 0..1 colour as an array of three 0..255 integers. */
static cJSON *rgb_array(const double rgb[3]) {
    int v[3];
    for (int c = 0; c < 3; c++) v[c] = (int)floor(255.0 * rgb[c] + 0.5);
    return cJSON_CreateIntArray(v, 3);
}

/* COCO uncompressed RLE of a width × height mask: column-major runs, starting with 0s
 * (the layout xcap's export uses). */
static cJSON *mask_rle(const unsigned char *mask, int width, int height) {
    cJSON *rle = cJSON_CreateObject(), *counts = cJSON_AddArrayToObject(rle, "counts");
    int size[2] = {height, width};
    cJSON_AddItemToObject(rle, "size", cJSON_CreateIntArray(size, 2));
    int value = 0;
    long run = 0;
    for (int x = 0; x < width; x++)
        for (int y = 0; y < height; y++) {
            int m = mask[(size_t)y * (size_t)width + (size_t)x] != 0;
            if (m != value) {
                cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)run));
                value = m;
                run = 0;
            }
            run++;
        }
    cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)run));
    return rle;
}

/* The "info" object of the run. */
static cJSON *info_entry(const cs_run_info *info) {
    static const char *const pairs[6] = {"red star",       "green cross",   "blue triangle",
                                         "yellow diamond", "purple circle", "cyan square"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "description",
                            "xcap independent test scenes (cairo renderer; never trained on)");
    cJSON_AddStringToObject(j, "generator", "xcap-cairo-scenes");
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddItemToObject(j, "seed", u64_string(info->seed));
    cJSON_AddNumberToObject(j, "count", (double)info->count);
    cJSON_AddStringToObject(j, "style", info->style);
    if (info->width) {
        cJSON_AddNumberToObject(j, "width", info->width);
        cJSON_AddNumberToObject(j, "height", info->height);
    } else {
        cJSON_AddStringToObject(j, "canvas", "random per image");
    }
    if (info->objects) cJSON_AddNumberToObject(j, "objects", info->objects);
    else cJSON_AddStringToObject(j, "objects", "1..3");
    cJSON_AddItemToObject(j, "heldout_pairs", cJSON_CreateStringArray(pairs, 6));
    cJSON_AddStringToObject(j, "split_meaning",
                            "heldout: the image contains a held-out pair; val: it does not");
    cJSON_AddStringToObject(j, "bbox_format", "[x, y, width, height] in pixels");
    cJSON_AddStringToObject(j, "mask_format", "COCO uncompressed RLE, column-major");
    return j;
}

/* Writes text (one JSON value) to o's file after sep; frees it. */
static int emit(cs_output *o, const char *sep, cJSON *item, char *err, size_t cap) {
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    if (!text) {
        snprintf(err, cap, "captions.json: out of memory");
        return -1;
    }
    fputs(sep, o->f);
    fputs(text, o->f);
    cJSON_free(text);
    return 0;
}

int cs_output_open(cs_output *o, const char *dir, int force, const cs_run_info *info,
                   char *err, size_t cap) {
    memset(o, 0, sizeof *o);
    char images[4200];
    if (!dir || !*dir || strlen(dir) >= sizeof o->dir) {
        snprintf(err, cap, "bad output directory");
        return -1;
    }
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    snprintf(o->json_path, sizeof o->json_path, "%s/captions.json", dir);
    snprintf(o->tmp_path, sizeof o->tmp_path, "%s/captions.json.tmp", dir);
    snprintf(images, sizeof images, "%s/images", dir);
    struct stat st;
    if (!force && stat(o->json_path, &st) == 0 && (st.st_size > 0 || !S_ISREG(st.st_mode))) {
        snprintf(err, cap, "%s exists and is not empty (--force replaces it)", o->json_path);
        return -1;
    }
    if (make_dirs(dir, err, cap) != 0 || make_dirs(images, err, cap) != 0) return -1;
    o->f = fopen(o->tmp_path, "wb");
    if (!o->f) {
        snprintf(err, cap, "%s: cannot open for writing: %s", o->tmp_path, strerror(errno));
        return -1;
    }
    fputs("{\"info\":", o->f);
    if (emit(o, "", info_entry(info), err, cap) != 0) {
        cs_output_abort(o);
        return -1;
    }
    fputs(",\"images\":[", o->f);
    return 0;
}

/* Writes the picture to path through path.tmp and a rename. */
static int write_picture(const char *path, const cs_picture *pic, const cs_style *st,
                         char *err, size_t cap) {
    char tmp[4400];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        snprintf(err, cap, "%s: path too long", path);
        return -1;
    }
    int ok = st->jpeg ? stbi_write_jpg(tmp, pic->width, pic->height, 3, pic->rgb, st->quality)
                      : stbi_write_png(tmp, pic->width, pic->height, 3, pic->rgb,
                                       3 * pic->width);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, cap, "%s: cannot write the picture", path);
        remove(tmp);
        return -1;
    }
    return 0;
}

/* The "render" object: the style choices of one picture. */
static cJSON *render_entry(const cs_style *st, const cs_picture *pic) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "background", cs_background_names[st->background]);
    cJSON_AddStringToObject(j, "detail", st->detail);
    cJSON_AddItemToObject(j, "background_rgb", rgb_array(pic->bg_mean));
    cJSON_AddNumberToObject(j, "noise", st->noise);
    cJSON_AddBoolToObject(j, "antialias", st->antialias);
    cJSON_AddBoolToObject(j, "outline", st->outline);
    cJSON_AddStringToObject(j, "format", st->jpeg ? "jpeg" : "png");
    if (st->jpeg) cJSON_AddNumberToObject(j, "quality", st->quality);
    return j;
}

/* The "images" entry of scene i. */
static cJSON *image_entry(size_t i, const char *file_name, uint64_t scene_seed,
                          const cs_scene *s, const cs_style *st, const cs_picture *pic) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)i);
    cJSON_AddStringToObject(j, "file_name", file_name);
    cJSON_AddNumberToObject(j, "width", s->width);
    cJSON_AddNumberToObject(j, "height", s->height);
    cJSON_AddStringToObject(j, "split", s->heldout ? "heldout" : "val");
    cJSON_AddBoolToObject(j, "heldout", s->heldout);
    cJSON_AddItemToObject(j, "scene_seed", u64_string(scene_seed));
    cJSON_AddItemToObject(j, "render", render_entry(st, pic));
    cJSON *objects = cJSON_AddArrayToObject(j, "objects");
    for (int k = 0; k < s->n_objects; k++) {
        const cs_object *ob = &s->obj[k];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "shape", cs_shape_names[ob->shape]);
        cJSON_AddStringToObject(e, "colour", cs_colour_names[ob->colour]);
        cJSON_AddStringToObject(e, "size", ob->large ? "large" : "small");
        cJSON_AddItemToObject(e, "bbox", cJSON_CreateIntArray(pic->box[k], 4));
        cJSON_AddItemToObject(e, "mask_rle", mask_rle(pic->mask[k], s->width, s->height));
        cJSON_AddItemToObject(e, "rgb", rgb_array(ob->rgb));
        cJSON_AddNumberToObject(e, "rotation", rounded(ob->rotation, 1));
        cJSON_AddNumberToObject(e, "proportion", rounded(ob->proportion, 3));
        cJSON_AddItemToArray(objects, e);
    }
    return j;
}

/* Appends caption c of image i as the next annotation to o's buffer. */
static int add_annotation(cs_output *o, size_t i, const cs_caption *c, char *err, size_t cap) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "id", (double)o->n_ann);
    cJSON_AddNumberToObject(a, "image_id", (double)i);
    cJSON_AddStringToObject(a, "caption", c->text);
    cJSON_AddItemToObject(a, "grounding", cJSON_CreateIntArray(c->object, c->n_words));
    cJSON_AddItemToObject(a, "kinds", cJSON_CreateIntArray(c->kind, c->n_words));
    char *text = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    size_t len = text ? strlen(text) : 0;
    if (text && o->ann_len + len + 2 > o->ann_cap) {
        size_t grown = 2 * (o->ann_len + len + 2) + 4096;
        char *p = realloc(o->ann, grown);
        if (!p) {
            cJSON_free(text);
            text = NULL;
        } else {
            o->ann = p;
            o->ann_cap = grown;
        }
    }
    if (!text) {
        snprintf(err, cap, "captions.json: out of memory");
        return -1;
    }
    if (o->n_ann) o->ann[o->ann_len++] = ',';
    memcpy(o->ann + o->ann_len, text, len + 1);
    o->ann_len += len;
    o->n_ann++;
    cJSON_free(text);
    return 0;
}

int cs_output_scene(cs_output *o, size_t i, uint64_t scene_seed, const cs_scene *s,
                    const cs_style *st, const cs_picture *pic, char *err, size_t cap) {
    char rel[64], path[4300];
    snprintf(rel, sizeof rel, "images/scene_%06zu.%s", i, st->jpeg ? "jpg" : "png");
    snprintf(path, sizeof path, "%s/%s", o->dir, rel);
    if (write_picture(path, pic, st, err, cap) != 0) return -1;
    if (emit(o, o->n_images ? "," : "", image_entry(i, rel, scene_seed, s, st, pic), err,
             cap) != 0)
        return -1;
    o->n_images++;
    for (int c = 0; c < s->n_captions; c++)
        if (add_annotation(o, i, &s->cap[c], err, cap) != 0) return -1;
    return 0;
}

int cs_output_close(cs_output *o, char *err, size_t cap) {
    fputs("],\"annotations\":[", o->f);
    if (o->ann_len) fwrite(o->ann, 1, o->ann_len, o->f);
    fputs("]}\n", o->f);
    int bad = ferror(o->f);
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (bad) {
        snprintf(err, cap, "%s: write failed", o->tmp_path);
        cs_output_abort(o);
        return -1;
    }
    if (rename(o->tmp_path, o->json_path) != 0) {
        snprintf(err, cap, "%s: cannot rename into place: %s", o->json_path, strerror(errno));
        cs_output_abort(o);
        return -1;
    }
    free(o->ann);
    o->ann = NULL;
    return 0;
}

void cs_output_abort(cs_output *o) {
    if (o->f) fclose(o->f);
    o->f = NULL;
    remove(o->tmp_path);
    free(o->ann);
    o->ann = NULL;
}

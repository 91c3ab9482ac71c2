/* caption_json.c — streaming the --json document of `xcap caption`; atomic text files. */
#include "demo/caption_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/caption_flags.h"
#include "demo/png_write.h"

#define PATH_CAP 4096

struct cap_json {
    FILE *f;
    int to_stdout;
    char path[PATH_CAP], tmp[PATH_CAP + 32];
    size_t n_images;
    cJSON *errors;   /* array, written at the end */
};

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when s does not start one. */
static size_t utf8_seq(const unsigned char *s) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0) return 0;
    /* the second byte's range excludes overlong forms, surrogates and code points past U+10FFFF */
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* A cJSON string of s with every byte that is not well-formed UTF-8 replaced by U+FFFD
 * (file names are bytes; JSON text must be UTF-8). NULL when out of memory. */
static cJSON *text_json(const char *s) {
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)p);
    char *clean = malloc(3 * len + 1); /* each bad byte grows to the 3 bytes of U+FFFD */
    if (!clean) return NULL;
    size_t o = 0;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n) {
            memcpy(clean + o, p, n);
            o += n;
            p += n;
        } else {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    clean[o] = '\0';
    cJSON *str = cJSON_CreateString(clean);
    free(clean);
    return str;
}

/* o[key] = text_json(s); 0 when out of memory. */
static int add_text(cJSON *o, const char *key, const char *s) {
    cJSON *str = text_json(s);
    if (str && cJSON_AddItemToObject(o, key, str)) return 1;
    cJSON_Delete(str);
    return 0;
}

/* o["warnings"] = the messages of the caption's flags ([] when clean); 0 when out of memory. */
static int add_warnings(cJSON *o, const xcap_caption *cap) {
    char msgs[CAP_FLAG_MAX][CAP_FLAG_MSG];
    size_t n = cap_flag_messages(msgs, NULL, cap);
    cJSON *list = cJSON_AddArrayToObject(o, "warnings");
    for (size_t i = 0; list && i < n; i++) {
        cJSON *m = text_json(msgs[i]);
        if (!m || !cJSON_AddItemToArray(list, m)) {
            cJSON_Delete(m);
            return 0;
        }
    }
    return list != NULL;
}

/* The double nearest to v rounded to 6 significant digits (so cJSON prints it short). */
static double round6(float v) {
    if (!(v == v) || v - v != 0.0f) return 0.0; /* NaN or infinite: JSON has no such number */
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", (double)v);
    return strtod(buf, NULL);
}

/* A gh × gw array of arrays from map (row-major). */
static cJSON *grid_rows(const float *map, size_t gw, size_t gh) {
    cJSON *rows = cJSON_CreateArray();
    for (size_t r = 0; rows && r < gh; r++) {
        cJSON *row = cJSON_CreateArray();
        if (!row || !cJSON_AddItemToArray(rows, row)) {
            cJSON_Delete(row);
            cJSON_Delete(rows);
            return NULL;
        }
        for (size_t c = 0; c < gw; c++) {
            cJSON *v = cJSON_CreateNumber(round6(map[r * gw + c]));
            if (!v || !cJSON_AddItemToArray(row, v)) {
                cJSON_Delete(v);
                cJSON_Delete(rows);
                return NULL;
            }
        }
    }
    return rows;
}

/* [layers][heads][gh][gw] of word w. */
static cJSON *all_heads_json(const xcap_caption *cap, size_t w) {
    size_t N = cap->grid_w * cap->grid_h;
    cJSON *layers = cJSON_CreateArray();
    for (size_t l = 0; layers && l < cap->layers; l++) {
        cJSON *heads = cJSON_CreateArray();
        if (!heads || !cJSON_AddItemToArray(layers, heads)) {
            cJSON_Delete(heads);
            cJSON_Delete(layers);
            return NULL;
        }
        for (size_t h = 0; h < cap->heads; h++) {
            const float *map = cap->maps + ((w * cap->layers + l) * cap->heads + h) * N;
            cJSON *g = grid_rows(map, cap->grid_w, cap->grid_h);
            if (!g || !cJSON_AddItemToArray(heads, g)) {
                cJSON_Delete(g);
                cJSON_Delete(layers);
                return NULL;
            }
        }
    }
    return layers;
}

cJSON *cap_json_image(const char *file, const xcap_caption *cap, const float *sel, int all_heads,
                      const char *overlays) {
    size_t N = cap->grid_w * cap->grid_h;
    cJSON *o = cJSON_CreateObject(), *grid = NULL, *words = NULL;
    if (!o) return NULL;
    int ok = add_text(o, "file", file) && cJSON_AddNumberToObject(o, "width", cap->width) &&
             cJSON_AddNumberToObject(o, "height", cap->height) &&
             (grid = cJSON_AddArrayToObject(o, "grid")) &&
             cJSON_AddItemToArray(grid, cJSON_CreateNumber((double)cap->grid_w)) &&
             cJSON_AddItemToArray(grid, cJSON_CreateNumber((double)cap->grid_h)) &&
             add_text(o, "caption", cap->text) &&
             cJSON_AddNumberToObject(o, "score", round6(cap->logprob)) &&
             cJSON_AddNumberToObject(o, "eos_prob", round6(cap->eos_prob)) &&
             cJSON_AddNumberToObject(o, "confidence", round6(cap->confidence)) &&
             cJSON_AddBoolToObject(o, "complete", cap->complete) &&
             cJSON_AddBoolToObject(o, "repeats", cap->repeats) &&
             (cap->grammatical < 0 ? cJSON_AddNullToObject(o, "grammatical") != NULL
                                   : cJSON_AddBoolToObject(o, "grammatical", cap->grammatical) != NULL) &&
             add_warnings(o, cap) &&
             (!overlays || add_text(o, "overlays", overlays)) &&
             (words = cJSON_AddArrayToObject(o, "words"));
    for (size_t w = 0; ok && w < cap->n_words; w++) {
        cJSON *wo = cJSON_CreateObject(), *att = NULL, *heads = NULL;
        ok = wo && cJSON_AddItemToArray(words, wo);
        if (!ok) {
            cJSON_Delete(wo);
            break;
        }
        ok = add_text(wo, "word", cap->words[w]) &&
             cJSON_AddNumberToObject(wo, "prob", round6(cap->probs[w])) &&
             (att = grid_rows(sel + w * N, cap->grid_w, cap->grid_h)) &&
             cJSON_AddItemToObject(wo, "attention", att);
        if (ok && all_heads)
            ok = (heads = all_heads_json(cap, w)) && cJSON_AddItemToObject(wo, "heads", heads);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Writes a JSON string (quoted, escaped) to f. */
static int put_string(FILE *f, const char *s) {
    cJSON *str = text_json(s);
    char *txt = str ? cJSON_PrintUnformatted(str) : NULL;
    int rc = txt && fputs(txt, f) >= 0 ? 0 : -1;
    cJSON_free(txt);
    cJSON_Delete(str);
    return rc;
}

int cap_json_open(cap_json **out, const char *path, const char *model, const char *map_desc,
                  nn_error *err) {
    *out = NULL;
    cap_json *j = calloc(1, sizeof *j);
    if (!j || !(j->errors = cJSON_CreateArray())) {
        free(j);
        return nn_fail(err, "%s: out of memory", path);
    }
    j->to_stdout = strcmp(path, "-") == 0;
    int n = snprintf(j->path, sizeof j->path, "%s", path);
    if (n < 0 || (size_t)n >= sizeof j->path) nn_fail(err, "%s: path too long", path);
    else j->f = j->to_stdout ? stdout : ovl_open_temp(j->tmp, sizeof j->tmp, path, err);
    if (!j->f) {
        cJSON_Delete(j->errors);
        free(j);
        return -1;
    }
    fputs("{\"model\": ", j->f);
    put_string(j->f, model);
    fputs(",\n\"map\": ", j->f);
    put_string(j->f, map_desc);
    fputs(",\n\"images\": [", j->f);
    *out = j;
    return 0;
}

int cap_json_add(cap_json *j, const char *file, const xcap_caption *cap, const float *sel,
                 int all_heads, const char *overlays, nn_error *err) {
    cJSON *o = cap_json_image(file, cap, sel, all_heads, overlays);
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!txt) return nn_fail(err, "%s: out of memory for the JSON of %s", j->path, file);
    int ok = fputs(j->n_images ? ",\n" : "\n", j->f) >= 0 && fputs(txt, j->f) >= 0;
    cJSON_free(txt);
    if (!ok) return nn_fail(err, "%s: cannot write (%s)", j->path, strerror(errno));
    j->n_images++;
    return 0;
}

int cap_json_add_error(cap_json *j, const char *file, const char *message, nn_error *err) {
    cJSON *o = cJSON_CreateObject();
    if (!o || !add_text(o, "file", file) || !add_text(o, "error", message) ||
        !cJSON_AddItemToArray(j->errors, o)) {
        cJSON_Delete(o);
        return nn_fail(err, "%s: out of memory", j->path);
    }
    return 0;
}

int cap_json_close(cap_json *j, nn_error *err) {
    char *errs = cJSON_PrintUnformatted(j->errors);
    int ok = errs && fprintf(j->f, "%s],\n\"errors\": %s}\n", j->n_images ? "\n" : "", errs) > 0;
    cJSON_free(errs);
    int e = ok ? 0 : (errno ? errno : ENOMEM);
    if (j->to_stdout) {
        if (fflush(stdout) != 0 && !e) e = errno;
    } else {
        if (fclose(j->f) != 0 && !e) e = errno ? errno : EIO;
        if (!e && rename(j->tmp, j->path) != 0) e = errno;
        if (e) remove(j->tmp);
    }
    int rc = e ? nn_fail(err, "%s: cannot write (%s)", j->path, strerror(e)) : 0;
    cJSON_Delete(j->errors);
    free(j);
    return rc;
}

void cap_json_abort(cap_json *j) {
    if (!j) return;
    if (!j->to_stdout) {
        fclose(j->f);
        remove(j->tmp);
    } else {
        fflush(stdout);
    }
    cJSON_Delete(j->errors);
    free(j);
}

int cap_write_file(const char *path, const void *data, size_t len, nn_error *err) {
    char tmp[PATH_CAP + 32];
    FILE *f = ovl_open_temp(tmp, sizeof tmp, path, err);
    if (!f) return -1;
    errno = 0;
    int e = fwrite(data, 1, len, f) == len ? 0 : (errno ? errno : EIO);
    if (fclose(f) != 0 && !e) e = errno ? errno : EIO;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        remove(tmp);
        return nn_fail(err, "%s: cannot write (%s)", path, strerror(e));
    }
    return 0;
}

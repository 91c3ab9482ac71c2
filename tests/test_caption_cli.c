/* test_caption_cli.c — `xcap caption` end to end: runs the built program ($XCAP_BINARY) with
 * the tiny fixture model on images written here, and compares what it prints and writes
 * with the library's own captions. Also the helpers behind it (folder names, escaping,
 * map choice, model path) and the HTML viewer in headless Chromium when it is installed. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "demo/caption_flags.h"
#include "demo/caption_html.h"
#include "demo/caption_json.h"
#include "demo/caption_overlays.h"
#include "demo/model_path.h"
#include "demo/png_write.h"
#include "model/model.h"
#include "model/xcap.h"
#include "tests/util/check.h"
#include "tests/util/run.h"
#include "vision/patch_geometry.h"

#define MODEL_REL "tests/fixtures/tiny_weights.safetensors"

/* Per-test state: a temp folder, the model path, the library's model. */
typedef struct {
    char *tmp;
    char model[4096];
    xcap_model *m;
} fixture;

/* Runs `xcap caption --model MODEL args...` (args NULL-terminated). */
static run_result run_caption(const fixture *fx, const char *const *args) {
    return run_xcap("caption", fx->model, args);
}

/* Number of lines in s (a final line without '\n' counts too). */
static size_t count_lines(const char *s) {
    size_t n = 0;
    for (const char *p = s; *p; p++) n += *p == '\n';
    if (*s && s[strlen(s) - 1] != '\n') n++;
    return n;
}

/* Writes a w × h PNG at path: a background and a square, colours from seed. */
static void write_png(const char *path, int w, int h, unsigned seed) {
    unsigned char *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    unsigned char bg[3] = {(unsigned char)(40 + 37 * seed), (unsigned char)(90 + 51 * seed),
                           (unsigned char)(140 + 23 * seed)};
    unsigned char fg[3] = {(unsigned char)(230 - 61 * seed), (unsigned char)(30 + 97 * seed),
                           (unsigned char)(60 + 13 * seed)};
    int x0 = (int)(seed * 7) % (w / 2), y0 = (int)(seed * 5) % (h / 2);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int in = x >= x0 && x < x0 + w / 2 && y >= y0 && y < y0 + h / 2;
            memcpy(px + ((size_t)y * w + x) * 3, in ? fg : bg, 3);
        }
    assert_true(stbi_write_png(path, w, h, 3, px, w * 3));
    free(px);
}

/* The line the program prints for cap: "[path<TAB>]caption[<TAB>flags]\n" (path NULL: a
 * lone caption); the flags field only for a flagged caption. */
static const char *want_line(char *buf, size_t size, const char *path, const xcap_caption *cap) {
    char flags[32];
    cap_flags_field(flags, sizeof flags, cap);
    snprintf(buf, size, "%s%s%s%s%s\n", path ? path : "", path ? "\t" : "", cap->text,
             *flags ? "\t" : "", flags);
    return buf;
}

/* Lines of err that are not flag warnings ("xcap caption: warning: ..."). */
static size_t error_lines(const char *err) {
    size_t n = 0;
    for (const char *l = err; *l;) {
        n += strncmp(l, "xcap caption: warning: ", 23) != 0;
        const char *end = strchr(l, '\n');
        l = end ? end + 1 : l + strlen(l);
    }
    return n;
}

/* path = tmp/name (static buffers, rotating, so a few can be alive at once). */
static const char *in_tmp(const fixture *fx, const char *name) {
    static char bufs[8][4200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", fx->tmp, name);
    return b;
}

/* The library's captions of n image files in one batch (as the program batches them). */
static void lib_captions(const fixture *fx, const char *const *paths, size_t n, xcap_caption *out) {
    char msg[512];
    xcap_context *c = xcap_context_create(fx->m, n, msg, sizeof msg);
    assert_non_null(c);
    unsigned char *rgb[8];
    int w[8], h[8], comp;
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        rgb[i] = stbi_load(paths[i], &w[i], &h[i], &comp, 3);
        assert_non_null(rgb[i]);
    }
    xcap_params p = xcap_default_params();
    assert_int_equal(xcap_caption_batch(c, (const unsigned char *const *)rgb, w, h, n, &p, out), 0);
    for (size_t i = 0; i < n; i++) stbi_image_free(rgb[i]);
    xcap_context_free(c);
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx) return -1;
    fx->tmp = make_temp_dir();
    snprintf(fx->model, sizeof fx->model, "%s", source_path(MODEL_REL));
    char msg[512];
    fx->m = xcap_model_load(fx->model, msg, sizeof msg);
    if (!fx->tmp || !fx->m) {
        fprintf(stderr, "setup: %s\n", fx->m ? "no temp dir" : msg);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    remove_tree(fx->tmp);
    free(fx->tmp);
    xcap_model_free(fx->m);
    free(fx);
    return 0;
}

/* One image: just its caption on stdout, exactly the library's. */
static void test_one_image(void **state) {
    fixture *fx = *state;
    const char *img = in_tmp(fx, "one.png");
    write_png(img, 48, 32, 1);
    xcap_caption cap;
    lib_captions(fx, &img, 1, &cap);
    const char *args[] = {img, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    char want[1024];
    assert_string_equal(r.out, want_line(want, sizeof want, NULL, &cap));
    /* stderr: nothing, or the one warning line of a flagged caption */
    if (cap_flagged(&cap)) assert_true(strncmp(r.err, "xcap caption: warning: ", 23) == 0 &&
                                       count_lines(r.err) == 1);
    else assert_string_equal(r.err, "");
    run_free(&r);
    xcap_caption_free(&cap);
}

/* Two images: "path<TAB>caption" lines in the order given (not sorted). */
static void test_two_images_in_order(void **state) {
    fixture *fx = *state;
    const char *b = in_tmp(fx, "b.png"), *a = in_tmp(fx, "a.png");
    write_png(b, 48, 32, 2);
    write_png(a, 61, 97, 3);
    const char *paths[] = {b, a};
    xcap_caption cap[2];
    lib_captions(fx, paths, 2, cap);
    const char *args[] = {b, a, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    char want[4096], line[2048];
    snprintf(want, sizeof want, "%s", want_line(line, sizeof line, b, &cap[0]));
    strcat(want, want_line(line, sizeof line, a, &cap[1]));
    assert_string_equal(r.out, want);
    /* no progress line (stderr is not a terminal); only warnings of flagged captions */
    assert_int_equal(error_lines(r.err), 0);
    assert_int_equal(count_lines(r.err), (size_t)(cap_flagged(&cap[0]) + cap_flagged(&cap[1])));
    run_free(&r);

    /* --batch 1 runs them one at a time and prints the same */
    const char *args1[] = {"--batch", "1", b, a, NULL};
    r = run_caption(fx, args1);
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines(r.out), 2);
    assert_non_null(strstr(r.out, b));
    assert_true(strstr(r.out, b) < strstr(r.out, a));
    run_free(&r);

    /* --progress forces progress lines on stderr; stdout is unchanged */
    const char *argsp[] = {"--progress", b, a, NULL};
    r = run_caption(fx, argsp);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, want);
    assert_non_null(strstr(r.err, "2/2"));
    run_free(&r);
    xcap_caption_free(&cap[0]);
    xcap_caption_free(&cap[1]);
}

/* A folder: its image files (any case of png/jpg/...), sorted, nothing else. */
static void test_directory(void **state) {
    fixture *fx = *state;
    const char *dir = in_tmp(fx, "dir");
    assert_int_equal(mkdir(dir, 0777), 0);
    const char *c = in_tmp(fx, "dir/c.png"), *a = in_tmp(fx, "dir/a.PNG");
    write_png(c, 48, 32, 1);
    write_png(a, 48, 32, 2);
    unsigned char px[48 * 32 * 3] = {0};
    assert_true(stbi_write_bmp(in_tmp(fx, "dir/b.bmp"), 48, 32, 3, px));
    FILE *f = fopen(in_tmp(fx, "dir/notes.txt"), "w");
    assert_non_null(f);
    fputs("not an image\n", f);
    fclose(f);
    const char *args[] = {dir, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines(r.out), 3);
    char prefix[3][4200];
    snprintf(prefix[0], sizeof prefix[0], "%s/a.PNG\t", dir);
    snprintf(prefix[1], sizeof prefix[1], "%s/b.bmp\t", dir);
    snprintf(prefix[2], sizeof prefix[2], "%s/c.png\t", dir);
    const char *line = r.out;
    for (int i = 0; i < 3; i++) {
        assert_true(strncmp(line, prefix[i], strlen(prefix[i])) == 0);
        line = strchr(line, '\n') + 1;
    }
    assert_null(strstr(r.out, "notes.txt"));
    run_free(&r);
}

/* Sum of a JSON array of numbers; fails the test on a non-number. */
static double row_sum(const cJSON *row, size_t want_len) {
    assert_true(cJSON_IsArray(row));
    assert_int_equal((size_t)cJSON_GetArraySize(row), want_len);
    double s = 0.0;
    const cJSON *v;
    cJSON_ArrayForEach(v, row) {
        assert_true(cJSON_IsNumber(v));
        s += v->valuedouble;
    }
    return s;
}

/* --json -: the documented layout, the library's captions, maps that sum to 1 and equal the
 * mean of the last layer's heads (the fixture names no alignment heads). */
static void test_json(void **state) {
    fixture *fx = *state;
    const char *a = in_tmp(fx, "wide.png"), *b = in_tmp(fx, "tall.png");
    write_png(a, 97, 61, 4);
    write_png(b, 61, 97, 5);
    const char *paths[] = {a, b};
    xcap_caption cap[2];
    lib_captions(fx, paths, 2, cap);
    int al[4], ah[4];
    assert_int_equal(xcap_model_align_heads(fx->m, al, ah, 4), 0);
    const char *args[] = {"--json", "-", "--json-all-heads", a, b, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "model")->valuestring, fx->model);
    const cJSON *images = cJSON_GetObjectItem(doc, "images");
    assert_int_equal(cJSON_GetArraySize(images), 2);
    size_t gw = cap[0].grid_w, gh = cap[0].grid_h, L = cap[0].layers, H = cap[0].heads;
    for (int i = 0; i < 2; i++) {
        const cJSON *im = cJSON_GetArrayItem(images, i);
        assert_string_equal(cJSON_GetObjectItem(im, "file")->valuestring, paths[i]);
        assert_int_equal(cJSON_GetObjectItem(im, "width")->valueint, i == 0 ? 97 : 61);
        assert_int_equal(cJSON_GetObjectItem(im, "height")->valueint, i == 0 ? 61 : 97);
        const cJSON *grid = cJSON_GetObjectItem(im, "grid");
        assert_int_equal(cJSON_GetArrayItem(grid, 0)->valueint, (int)gw);
        assert_int_equal(cJSON_GetArrayItem(grid, 1)->valueint, (int)gh);
        assert_string_equal(cJSON_GetObjectItem(im, "caption")->valuestring, cap[i].text);
        float score = (float)cJSON_GetObjectItem(im, "score")->valuedouble;
        check_close(&score, &cap[i].logprob, 1, 1e-4, 1e-5);
        const cJSON *words = cJSON_GetObjectItem(im, "words");
        assert_int_equal((size_t)cJSON_GetArraySize(words), cap[i].n_words);
        for (size_t w = 0; w < cap[i].n_words; w++) {
            const cJSON *wo = cJSON_GetArrayItem(words, (int)w);
            assert_string_equal(cJSON_GetObjectItem(wo, "word")->valuestring, cap[i].words[w]);
            float prob = (float)cJSON_GetObjectItem(wo, "prob")->valuedouble;
            check_close(&prob, &cap[i].probs[w], 1, 1e-6, 1e-5);
            const cJSON *att = cJSON_GetObjectItem(wo, "attention");
            assert_int_equal((size_t)cJSON_GetArraySize(att), gh);
            double total = 0.0;
            float got[256], want[256];
            for (size_t rr = 0; rr < gh; rr++) {
                const cJSON *row = cJSON_GetArrayItem(att, (int)rr);
                total += row_sum(row, gw);
                for (size_t c = 0; c < gw; c++) {
                    got[rr * gw + c] = (float)cJSON_GetArrayItem(row, (int)c)->valuedouble;
                    double m = 0.0; /* mean over the last layer's heads */
                    for (size_t h = 0; h < H; h++)
                        m += cap[i].maps[((w * L + (L - 1)) * H + h) * gh * gw + rr * gw + c];
                    want[rr * gw + c] = (float)(m / (double)H);
                }
            }
            assert_true(fabs(total - 1.0) < 1e-4);
            check_close(got, want, gh * gw, 1e-6, 1e-4);
            const cJSON *heads = cJSON_GetObjectItem(wo, "heads");
            assert_int_equal((size_t)cJSON_GetArraySize(heads), L);
            for (size_t l = 0; l < L; l++) {
                const cJSON *hl = cJSON_GetArrayItem(heads, (int)l);
                assert_int_equal((size_t)cJSON_GetArraySize(hl), H);
                for (size_t h = 0; h < H; h++) {
                    const cJSON *g = cJSON_GetArrayItem(hl, (int)h);
                    assert_int_equal((size_t)cJSON_GetArraySize(g), gh);
                    double t = 0.0;
                    for (size_t rr = 0; rr < gh; rr++) t += row_sum(cJSON_GetArrayItem(g, (int)rr), gw);
                    assert_true(fabs(t - 1.0) < 1e-4);
                }
            }
        }
    }
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "errors")), 0);
    cJSON_Delete(doc);
    run_free(&r);

    /* to a file: the same captions, stdout keeps the caption lines, no temporary file left */
    const char *jpath = in_tmp(fx, "out.json");
    const char *argsf[] = {"--json", jpath, "--layer", "0", "--head", "1", a, b, NULL};
    r = run_caption(fx, argsf);
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines(r.out), 2);
    char *text = read_text(jpath, NULL);
    assert_non_null(text);
    doc = cJSON_Parse(text);
    assert_non_null(doc);
    const cJSON *w0 = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "images"), 0), "words"), 0);
    if (w0) { /* --layer 0 --head 1: exactly that head's map */
        const cJSON *row0 = cJSON_GetArrayItem(cJSON_GetObjectItem(w0, "attention"), 0);
        float got = (float)cJSON_GetArrayItem(row0, 0)->valuedouble;
        float want = cap[0].maps[(0 * H + 1) * gh * gw];
        check_close(&got, &want, 1, 1e-6, 1e-4);
    }
    cJSON_Delete(doc);
    free(text);
    DIR *d = opendir(fx->tmp);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
    run_free(&r);
    xcap_caption_free(&cap[0]);
    xcap_caption_free(&cap[1]);
}

/* Width and height of a PNG file (fails the test when unreadable). */
static void png_size(const char *path, int *w, int *h) {
    int comp;
    if (!stbi_info(path, w, h, &comp)) fail_msg("%s: not a readable image", path);
}

/* --overlays: NN_word.png per word at the original size, strip.png, heads grids. */
static void test_overlays(void **state) {
    fixture *fx = *state;
    const char *img = in_tmp(fx, "photo.png"), *out = in_tmp(fx, "ov");
    write_png(img, 61, 97, 6);
    xcap_caption cap;
    lib_captions(fx, &img, 1, &cap);
    const char *args[] = {"--overlays", out, "--heads-grid", "--upsample", "gaussian",
                          "--colormap", "magma", img, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    int w, h;
    char path[4400], name[128];
    for (size_t i = 0; i < cap.n_words; i++) {
        assert_int_equal(ovl_word_filename(name, sizeof name, i, cap.words[i]), 0);
        snprintf(path, sizeof path, "%s/photo/%s", out, name);
        png_size(path, &w, &h);
        assert_int_equal(w, 61);
        assert_int_equal(h, 97);
        snprintf(path, sizeof path, "%s/photo/heads/%s", out, name);
        png_size(path, &w, &h);
        assert_true(w > 61 && h > 97);
    }
    snprintf(path, sizeof path, "%s/photo/strip.png", out);
    png_size(path, &w, &h);
    assert_true(w > 61);
    /* nothing but the overlays, the strip and heads/ in the folder */
    snprintf(path, sizeof path, "%s/photo", out);
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, cap.n_words + 2);
    run_free(&r);
    xcap_caption_free(&cap);
}

/* End to end geometry: with nearest upsampling, the gray colormap and alpha 1, the overlay
 * pixel at the centre of JSON cell (r, c) shows that cell's weight / the map's maximum, for
 * square and non-square sizes; every overlay has the original's size. */
static void test_overlay_matches_json(void **state) {
    fixture *fx = *state;
    const int sizes[4][2] = {{96, 96}, {97, 61}, {61, 97}, {640, 480}};
    const char *names[4] = {"s96.png", "s97x61.png", "s61x97.png", "s640.png"};
    const char *args[16];
    size_t n = 0;
    const char *json = in_tmp(fx, "geo.json"), *ov = in_tmp(fx, "geo");
    const char *fixed[] = {"--json", json, "--overlays", ov, "--upsample", "nearest",
                           "--colormap", "gray", "--alpha", "1"};
    for (size_t i = 0; i < 10; i++) args[n++] = fixed[i];
    for (int i = 0; i < 4; i++) {
        const char *p = in_tmp(fx, names[i]);
        write_png(p, sizes[i][0], sizes[i][1], (unsigned)i + 1);
        args[n++] = p;
    }
    args[n] = NULL;
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    run_free(&r);
    char *text = read_text(json, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    assert_non_null(doc);
    const cJSON *images = cJSON_GetObjectItem(doc, "images");
    assert_int_equal(cJSON_GetArraySize(images), 4);
    size_t checked = 0;
    for (int i = 0; i < 4; i++) {
        const cJSON *im = cJSON_GetArrayItem(images, i);
        int W = sizes[i][0], H = sizes[i][1];
        size_t gw = (size_t)cJSON_GetArrayItem(cJSON_GetObjectItem(im, "grid"), 0)->valueint;
        size_t gh = (size_t)cJSON_GetArrayItem(cJSON_GetObjectItem(im, "grid"), 1)->valueint;
        const char *dir = cJSON_GetObjectItem(im, "overlays")->valuestring;
        const cJSON *words = cJSON_GetObjectItem(im, "words");
        int short_side = W < H ? W : H;
        int band = 2 * (short_side / 16 > 11 ? short_side / 16 : 11) + 8; /* the label's rows */
        for (int w = 0; w < cJSON_GetArraySize(words) && w < 3; w++) {
            const cJSON *wo = cJSON_GetArrayItem(words, w);
            char name[128], path[4400];
            assert_int_equal(ovl_word_filename(name, sizeof name, (size_t)w,
                                               cJSON_GetObjectItem(wo, "word")->valuestring), 0);
            snprintf(path, sizeof path, "%s/%s", dir, name);
            int pw, ph, comp;
            unsigned char *px = stbi_load(path, &pw, &ph, &comp, 3);
            assert_non_null(px);
            assert_int_equal(pw, W);
            assert_int_equal(ph, H);
            const cJSON *att = cJSON_GetObjectItem(wo, "attention");
            double mx = 0.0;
            for (size_t rr = 0; rr < gh; rr++)
                for (size_t c = 0; c < gw; c++) {
                    double v = cJSON_GetArrayItem(cJSON_GetArrayItem(att, (int)rr), (int)c)->valuedouble;
                    if (v > mx) mx = v;
                }
            assert_true(mx > 0.0);
            for (size_t rr = 0; rr < gh; rr++)
                for (size_t c = 0; c < gw; c++) {
                    vis_rect rect;
                    vis_patch_rect(&rect, rr * gw + c, gw, gh, (size_t)W, (size_t)H);
                    size_t x = (rect.x0 + rect.x1) / 2, y = (rect.y0 + rect.y1) / 2;
                    if ((int)y < band || rect.x0 == rect.x1 || rect.y0 == rect.y1) continue;
                    double v = cJSON_GetArrayItem(cJSON_GetArrayItem(att, (int)rr), (int)c)->valuedouble;
                    int want = (int)(255.0 * v / mx + 0.5), got = px[(y * (size_t)W + x) * 3];
                    if (abs(got - want) > 2)
                        fail_msg("%s: cell (%zu, %zu) at pixel (%zu, %zu) is %d, want %d", path, rr, c,
                                 x, y, got, want);
                    checked++;
                }
            stbi_image_free(px);
        }
    }
    assert_true(checked > 50);
    cJSON_Delete(doc);
    free(text);
}

/* A broken image among good ones: the good ones are printed, one stderr line, exit 1;
 * the JSON lists it under "errors". */
static void test_bad_image_among_good(void **state) {
    fixture *fx = *state;
    const char *g1 = in_tmp(fx, "good1.png"), *g2 = in_tmp(fx, "good2.png");
    const char *bad = in_tmp(fx, "broken.png"), *json = in_tmp(fx, "bad.json");
    write_png(g1, 48, 32, 1);
    write_png(g2, 48, 32, 2);
    char *whole = read_text(g1, NULL); /* a truncated PNG: the first 40 bytes of a good one */
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    fwrite(whole, 1, 40, f);
    fclose(f);
    free(whole);
    const char *args[] = {"--json", json, g1, bad, g2, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 1);
    assert_int_equal(count_lines(r.out), 2);
    assert_true(strncmp(r.out, g1, strlen(g1)) == 0);
    assert_non_null(strstr(r.out, g2));
    assert_null(strstr(r.out, "broken"));
    assert_int_equal(error_lines(r.err), 1);  /* and a warning per flagged caption */
    assert_true(strncmp(r.err, "xcap caption: ", 14) == 0);
    assert_non_null(strstr(r.err, bad));
    char *text = read_text(json, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "images")), 2);
    const cJSON *errs = cJSON_GetObjectItem(doc, "errors");
    assert_int_equal(cJSON_GetArraySize(errs), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errs, 0), "file")->valuestring, bad);
    cJSON_Delete(doc);
    free(text);
    run_free(&r);

    /* a missing file alone: exit 1, one line naming it, nothing on stdout */
    const char *missing = in_tmp(fx, "missing.png");
    const char *args2[] = {missing, NULL};
    r = run_caption(fx, args2);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, missing));
    run_free(&r);
}

/* A missing model: exit 1 and one line naming the file. */
static void test_missing_model(void **state) {
    fixture *fx = *state;
    const char *img = in_tmp(fx, "x.png");
    write_png(img, 48, 32, 1);
    const char *bin = getenv("XCAP_BINARY");
    const char *model = in_tmp(fx, "no-such-model.safetensors");
    char *argv[] = {(char *)bin, "caption", "--model", (char *)model, (char *)img, NULL};
    run_result r = run_argv(argv, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, model));
    run_free(&r);
}

/* Bad usage: exit 2 with one line and a hint; --help exits 0 and mentions the exit codes. */
static void test_bad_options(void **state) {
    fixture *fx = *state;
    const char *img = in_tmp(fx, "x.png");
    write_png(img, 48, 32, 1);
    const char *same = in_tmp(fx, "same");
    /* each case is followed by the image, except the last two (missing value, no image) */
    const char *cases[][5] = {
        {"--bogus"},           {"--beam", "0"},          {"--beam", "x"},
        {"--top-p", "0"},      {"--layer", "one"},       {"--upsample", "cubic"},
        {"--colormap", "rainbow"}, {"--alpha", "2"},     {"--beam", "3", "--temperature", "1"},
        {"--layer", "9"},      {"--head", "99"},         {"--quiet=1"},
        {"--overlays", same, "--html", same},
        {"--batch"},           {NULL},
    };
    size_t n_cases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n_cases; i++) {
        const char *args[8] = {NULL};
        size_t n = 0;
        for (size_t k = 0; k < 5 && cases[i][k]; k++) args[n++] = cases[i][k];
        if (i + 2 < n_cases) args[n++] = img;
        run_result r = run_caption(fx, args);
        if (r.code != 2) fail_msg("case %zu (%s): exit %d, stderr %s", i, args[0] ? args[0] : "(none)", r.code, r.err);
        assert_string_equal(r.out, "");
        assert_int_equal(count_lines(r.err), 1);
        assert_true(strncmp(r.err, "xcap caption: ", 14) == 0);
        run_free(&r);
    }
    const char *help[] = {"--help", NULL};
    run_result r = run_caption(fx, help);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "usage: xcap caption"));
    assert_non_null(strstr(r.out, "Exit status"));
    run_free(&r);
}

/* Whether name is a safe folder or file name: [A-Za-z0-9._-], not starting with '.'. */
static int safe_name(const char *name) {
    if (!*name || name[0] == '.') return 0;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p)) return 0;
    return 1;
}

/* Hostile file names stay inside the output folder; same sanitised names do not collide. */
static void test_hostile_names(void **state) {
    fixture *fx = *state;
    const char *in = in_tmp(fx, "in"), *out = in_tmp(fx, "out");
    assert_int_equal(mkdir(in, 0777), 0);
    const char *names[] = {"a b;$(x).png", "a_b;$(x).png", "..png", "line\nbreak.png",
                           "tab\tback\\slash.png"};
    char paths[5][4300];
    for (int i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", in, names[i]);
        write_png(paths[i], 48, 32, (unsigned)i);
    }
    char up[4400]; /* a path through "../" */
    snprintf(up, sizeof up, "%s/../in/%s", in, names[0]);
    const char *args[] = {"--overlays", out, paths[0], paths[1], paths[2], paths[3], paths[4],
                          up, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    /* one 'path<TAB>caption[<TAB>flags]' line an image: the newline, tab and backslash are
     * escaped, so the first tab ends the path */
    size_t lines = 0;
    for (const char *l = r.out; *l; lines++) {
        const char *end = strchr(l, '\n'), *tab = strchr(l, '\t');
        assert_non_null(end);
        assert_true(tab && tab < end);
        const char *tab2 = memchr(tab + 1, '\t', (size_t)(end - tab - 1));
        if (tab2) {  /* the flags field (flag names joined by commas), nothing after it */
            char field[64];
            size_t n = (size_t)(end - tab2 - 1);
            assert_true(n > 0 && n < sizeof field);
            memcpy(field, tab2 + 1, n);
            field[n] = '\0';
            for (char *f = strtok(field, ","); f; f = strtok(NULL, ","))
                assert_true(!strcmp(f, "cut") || !strcmp(f, "repeats") || !strcmp(f, "ill-formed"));
        }
        l = end + 1;
    }
    assert_int_equal(lines, 6);
    assert_non_null(strstr(r.out, "/line\\nbreak.png\t"));
    assert_non_null(strstr(r.out, "/tab\\tback\\\\slash.png\t"));
    run_free(&r);
    /* tmp holds only in/ and out/ (and the run's own capture files, removed) */
    DIR *d = opendir(fx->tmp);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (strcmp(e->d_name, "in") != 0 && strcmp(e->d_name, "out") != 0)
            fail_msg("unexpected %s in the temp folder", e->d_name);
    }
    closedir(d);
    /* in/ holds only the inputs */
    size_t n_in = 0;
    d = opendir(in);
    while ((e = readdir(d)) != NULL) n_in += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    assert_int_equal(n_in, 5);
    /* out/ holds six safe, distinct folders, each with a strip */
    size_t n_out = 0;
    d = opendir(out);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (!safe_name(e->d_name)) fail_msg("unsafe folder name '%s'", e->d_name);
        char strip[4600];
        snprintf(strip, sizeof strip, "%s/%s/strip.png", out, e->d_name);
        int w, h;
        png_size(strip, &w, &h);
        n_out++;
    }
    closedir(d);
    assert_int_equal(n_out, 6);
}

/* Whether s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int is_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!n) return 0;
        unsigned cp = n == 1 ? c : c & (0xFFu >> (n + 1));
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3Fu);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        p += n;
    }
    return 1;
}

/* JSON is UTF-8 whatever the bytes of the file names: a byte that is not UTF-8 becomes
 * U+FFFD, good UTF-8 and control characters (escaped by cJSON) stay. */
static void test_json_is_utf8(void **state) {
    fixture *fx = *state;
    const char *good = in_tmp(fx, "caf\xC3\xA9 \xFF\x01.png"), *bad = in_tmp(fx, "\xFE\xC0\x80.png");
    write_png(good, 48, 32, 1);
    const char *args[] = {"--json", "-", good, bad, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 1); /* the second one is missing */
    assert_true(is_utf8(r.out));
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    char want[4400];
    snprintf(want, sizeof want, "%s/caf\xC3\xA9 \xEF\xBF\xBD\x01.png", fx->tmp);
    const cJSON *im = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "images"), 0);
    assert_string_equal(cJSON_GetObjectItem(im, "file")->valuestring, want);
    snprintf(want, sizeof want, "%s/\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.png", fx->tmp);
    const cJSON *er = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "errors"), 0);
    assert_string_equal(cJSON_GetObjectItem(er, "file")->valuestring, want);
    assert_true(is_utf8(cJSON_GetObjectItem(er, "error")->valuestring));
    cJSON_Delete(doc);
    run_free(&r);
}

/* Plants a symlink at "<path>.tmp.<pid>" (the writers' temporary name in this process)
 * pointing at target. */
static void plant_temp_link(const char *path, const char *target) {
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(symlink(target, tmp), 0);
}

/* The atomic writers create their temporary file anew: a symlink planted at its name is
 * replaced, never written through, and nothing is left behind. */
static void test_temp_files_are_new(void **state) {
    fixture *fx = *state;
    const char *victim = in_tmp(fx, "victim");
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
    const char *png = in_tmp(fx, "out.png"), *text = in_tmp(fx, "out.json");
    plant_temp_link(png, victim);
    plant_temp_link(text, victim);
    unsigned char px[4 * 3 * 3] = {200, 10, 10};
    vis_image img = {px, 4, 3};
    nn_error err;
    if (ovl_png_write(png, &img, &err) != 0) fail_msg("%s", err.msg);
    if (cap_write_file(text, "{}\n", 3, &err) != 0) fail_msg("%s", err.msg);
    int w, h;
    png_size(png, &w, &h);
    assert_int_equal(w, 4);
    char *got = read_text(text, NULL), *kept = read_text(victim, NULL);
    assert_string_equal(got, "{}\n");
    assert_string_equal(kept, "keep");
    free(got);
    free(kept);
    size_t n = 0; /* victim, out.png, out.json */
    DIR *d = opendir(fx->tmp);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n, 3);
}

/* Sampling with a seed: an image's caption does not depend on --batch (nor on the images
 * around it). */
static void test_seeded_sampling_ignores_batching(void **state) {
    fixture *fx = *state;
    const char *paths[4] = {in_tmp(fx, "s0.png"), in_tmp(fx, "s1.png"), in_tmp(fx, "s2.png"),
                            in_tmp(fx, "s3.png")};
    for (int i = 0; i < 4; i++) write_png(paths[i], 48, 32, (unsigned)i + 1);
    const char *batched[] = {"--temperature", "1.5", "--seed", "11", "--batch", "4",
                             paths[0], paths[1], paths[2], paths[3], NULL};
    const char *single[] = {"--temperature", "1.5", "--seed", "11", "--batch", "1",
                            paths[0], paths[1], paths[2], paths[3], NULL};
    const char *last[] = {"--temperature", "1.5", "--seed", "11", paths[3], NULL};
    run_result a = run_caption(fx, batched), b = run_caption(fx, single), c = run_caption(fx, last);
    assert_int_equal(a.code, 0);
    assert_int_equal(b.code, 0);
    assert_int_equal(c.code, 0);
    assert_string_equal(a.out, b.out);
    /* the last image's caption (and flags), alone or in a batch */
    size_t len = strlen(a.out);
    assert_true(len > 1);
    const char *line = a.out + len - 1;
    while (line > a.out && line[-1] != '\n') line--;
    const char *tab = strchr(line, '\t');
    assert_non_null(tab);
    assert_string_equal(tab + 1, c.out);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

/* Runs the program with args (NULL-terminated, without the program; no command needed). */
static run_result run_bare(const fixture *fx, const char *const *args) {
    char *argv[16];
    size_t n = 0;
    argv[n++] = getenv("XCAP_BINARY");
    assert_non_null(argv[0]);
    for (size_t i = 0; args[i]; i++) {
        assert_true(n < 15);
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
    return run_argv(argv, NULL);
}

/* `xcap --version`, `xcap --help` and `xcap COMMAND --help` for every command it lists;
 * no command or an unknown one is bad usage. */
static void test_every_command_has_help(void **state) {
    fixture *fx = *state;
    const char *version[] = {"--version", NULL};
    run_result r = run_bare(fx, version);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "xcap ", 5) == 0 && r.out[5] >= '0' && r.out[5] <= '9');
    run_free(&r);
    const char *none[] = {NULL}, *unknown[] = {"no-such-command", NULL};
    r = run_bare(fx, none);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "usage: xcap"));
    run_free(&r);
    r = run_bare(fx, unknown);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "no-such-command"));
    run_free(&r);
    const char *help[] = {"--help", NULL};
    run_result list = run_bare(fx, help);
    assert_int_equal(list.code, 0);
    const char *p = strstr(list.out, "commands:\n");
    assert_non_null(p);
    size_t n_commands = 0;
    for (p = strchr(p, '\n') + 1; strncmp(p, "  ", 2) == 0; p = strchr(p, '\n') + 1) {
        char name[32];
        assert_int_equal(sscanf(p, "%31s", name), 1);
        const char *args[] = {name, "--help", NULL};
        r = run_bare(fx, args);
        if (r.code != 0) fail_msg("xcap %s --help: exit %d, %s", name, r.code, r.err);
        char want[64];
        snprintf(want, sizeof want, "usage: xcap %s", name);
        if (!strstr(r.out, want)) fail_msg("xcap %s --help does not start with '%s'", name, want);
        assert_string_equal(r.err, "");
        run_free(&r);
        n_commands++;
    }
    assert_true(n_commands >= 5); /* caption, train, scenes, eval, align */
    run_free(&list);
}

/* Path of an executable called name on $PATH into out; 0 when found. */
static int find_on_path(char *out, size_t cap, const char *name) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, cap, "%.*s/%s", (int)n, path, name);
        if (n && access(out, X_OK) == 0) return 0;
        path += n + (path[n] == ':');
    }
    return -1;
}

/* Opens index.html in headless Chromium; returns the rendered DOM, stderr in *log. */
static char *chromium_dom(const fixture *fx, const char *chromium, const char *index, char **log) {
    char url[4400], profile[4400], timeout_bin[512];
    snprintf(url, sizeof url, "file://%s", index);
    snprintf(profile, sizeof profile, "%s/.chromium-profile", fx->tmp);
    char *argv[32];
    size_t n = 0;
    int has_timeout = find_on_path(timeout_bin, sizeof timeout_bin, "timeout") == 0;
    if (has_timeout) {
        argv[n++] = timeout_bin;
        argv[n++] = "120";
    }
    char profile_arg[4500];
    snprintf(profile_arg, sizeof profile_arg, "--user-data-dir=%s", profile);
    char *flags[] = {(char *)chromium, "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", profile_arg,
                     "--window-size=1600,1200", "--enable-logging=stderr", "--v=0",
                     "--dump-dom", url};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) argv[n++] = flags[i];
    argv[n] = NULL;
    run_result r = run_argv(argv, NULL);
    remove_tree(profile);
    if (r.code != 0) fail_msg("chromium exited %d: %s", r.code, r.err);
    *log = r.err;
    return r.out;
}

/* --html: index.html escapes outside strings, and renders in Chromium with every word as a
 * button, no script errors, no failed image; a missing PNG is caught by the same check. */
static void test_html_viewer(void **state) {
    fixture *fx = *state;
    const char *g = in_tmp(fx, "plain.png"), *evil = in_tmp(fx, "<b>x<_b>&.png");
    const char *dir = in_tmp(fx, "html");
    write_png(g, 48, 32, 1);
    write_png(evil, 97, 61, 3);
    const char *paths[] = {g, evil};
    xcap_caption cap[2];
    lib_captions(fx, paths, 2, cap);
    const char *args[] = {"--html", dir, g, evil, NULL};
    run_result r = run_caption(fx, args);
    assert_int_equal(r.code, 0);
    run_free(&r);
    char index[4400];
    snprintf(index, sizeof index, "%s/index.html", dir);
    char *page = read_text(index, NULL);
    assert_non_null(page);
    assert_null(strstr(page, "<b>x"));
    assert_non_null(strstr(page, "&lt;b&gt;x&lt;_b&gt;&amp;.png"));
    assert_null(strstr(page, "http://"));
    assert_null(strstr(page, "https://"));
    size_t n_words = cap[0].n_words + cap[1].n_words;
    assert_true(n_words > 0);
    free(page);

    char chromium[512];
    if (find_on_path(chromium, sizeof chromium, "chromium") != 0) {
        fprintf(stderr, "[  SKIP    ] chromium is not installed (apt-get install chromium): "
                        "the viewer was not opened in a browser\n");
        xcap_caption_free(&cap[0]);
        xcap_caption_free(&cap[1]);
        skip();
    }
    char *log;
    char *dom = chromium_dom(fx, chromium, index, &log);
    assert_non_null(strstr(dom, "data-ready=\"1\""));
    if (strstr(dom, "class=\"xcap-error\"")) fail_msg("the page reported errors: %.300s", strstr(dom, "class=\"xcap-error\""));
    if (strstr(log, ":CONSOLE")) fail_msg("console output: %.300s", strstr(log, ":CONSOLE"));
    size_t buttons = 0;
    for (const char *p = dom; (p = strstr(p, "class=\"word\"")) != NULL; p++) buttons++;
    assert_int_equal(buttons, n_words);
    for (int i = 0; i < 2; i++) { /* each caption is rendered as text */
        char *esc = cap_html_escape(cap[i].text);
        char want[2048];
        snprintf(want, sizeof want, "<p class=\"text\">%s</p>", esc);
        assert_non_null(strstr(dom, want));
        free(esc);
    }
    free(dom);
    free(log);

    /* the error hook works: a missing image is reported in the page */
    char img[4500];
    snprintf(img, sizeof img, "%s/plain/image.png", dir);
    assert_int_equal(unlink(img), 0);
    dom = chromium_dom(fx, chromium, index, &log);
    assert_non_null(strstr(dom, "class=\"xcap-error\""));
    free(dom);
    free(log);
    xcap_caption_free(&cap[0]);
    xcap_caption_free(&cap[1]);
}

/* Folder names: sanitised base names without extension, unique, never hidden or too long. */
static void test_folder_names(void **state) {
    (void)state;
    cap_names *ns = cap_names_new();
    assert_non_null(ns);
    char a[OVL_NAME_MAX], b[OVL_NAME_MAX], c[OVL_NAME_MAX], d[OVL_NAME_MAX];
    assert_int_equal(cap_names_take(ns, a, sizeof a, "x/cat.png", NULL), 0);
    assert_string_equal(a, "cat");
    assert_int_equal(cap_names_take(ns, b, sizeof b, "y/cat.jpg", NULL), 0);
    assert_string_equal(b, "cat_2");
    assert_int_equal(cap_names_take(ns, c, sizeof c, "cat_2.png", NULL), 0);
    assert_string_equal(c, "cat_2_2");
    assert_int_equal(cap_names_take(ns, d, sizeof d, "../../.hidden", NULL), 0);
    assert_true(safe_name(d));
    char longname[300];
    memset(longname, 'z', sizeof longname - 5);
    strcpy(longname + sizeof longname - 5, ".png");
    char l1[OVL_NAME_MAX], l2[OVL_NAME_MAX];
    assert_int_equal(cap_names_take(ns, l1, sizeof l1, longname, NULL), 0);
    assert_int_equal(cap_names_take(ns, l2, sizeof l2, longname, NULL), 0);
    assert_true(strlen(l1) < OVL_NAME_MAX && strlen(l2) < OVL_NAME_MAX);
    assert_string_not_equal(l1, l2);
    /* many equal names stay distinct */
    char prev[OVL_NAME_MAX] = "";
    for (int i = 0; i < 200; i++) {
        char n[OVL_NAME_MAX];
        assert_int_equal(cap_names_take(ns, n, sizeof n, "img.png", NULL), 0);
        assert_string_not_equal(n, prev);
        strcpy(prev, n);
    }
    cap_names_free(ns);
}

/* Escaping replaces every markup character. */
static void test_html_escape(void **state) {
    (void)state;
    char *e = cap_html_escape("<a href='x'>\"&\"</a>\x01");
    assert_non_null(e);
    assert_string_equal(e, "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;\xEF\xBF\xBD");
    free(e);
}

/* The map choice: defaults, explicit layer/head, ranges. */
static void test_map_choice(void **state) {
    fixture *fx = *state;
    size_t L, H;
    xcap_model_shape(fx->m, NULL, NULL, &L, &H);
    cap_map_choice ch;
    nn_error err;
    assert_int_equal(cap_map_choose(&ch, CAP_MAP_DEFAULT, CAP_MAP_DEFAULT, fx->m, &err), 0);
    assert_int_equal(ch.layer, (int)L - 1);
    assert_int_equal(ch.head, CAP_MAP_MEAN);
    assert_int_equal(cap_map_choose(&ch, (int)L, CAP_MAP_DEFAULT, fx->m, &err), -1);
    assert_non_null(strstr(err.msg, "--layer"));
    assert_int_equal(cap_map_choose(&ch, CAP_MAP_DEFAULT, (int)H, fx->m, &err), -1);
    int v;
    assert_int_equal(cap_map_parse_index(&v, "mean"), 0);
    assert_int_equal(v, CAP_MAP_MEAN);
    assert_int_equal(cap_map_parse_index(&v, "-1"), -1);
    assert_int_equal(cap_map_parse_index(&v, "1x"), -1);

    /* mean of all: sums to 1 and equals the plain average */
    const char *img = in_tmp(fx, "m.png");
    write_png(img, 48, 32, 2);
    xcap_caption cap;
    lib_captions(fx, &img, 1, &cap);
    assert_int_equal(cap_map_choose(&ch, CAP_MAP_MEAN, CAP_MAP_MEAN, fx->m, &err), 0);
    size_t N = cap.grid_w * cap.grid_h;
    for (size_t w = 0; w < cap.n_words; w++) {
        float got[256], want[256];
        assert_true(N <= 256);
        cap_map_select(got, &cap, w, &ch);
        double s = 0.0;
        for (size_t n = 0; n < N; n++) {
            double m = 0.0;
            for (size_t k = 0; k < L * H; k++) m += cap.maps[(w * L * H + k) * N + n];
            want[n] = (float)(m / (double)(L * H));
            s += got[n];
        }
        assert_true(fabs(s - 1.0) < 1e-5);
        check_close(got, want, N, 1e-6, 1e-4);
    }
    xcap_caption_free(&cap);
}

/* A model that names alignment heads: by default every word shows the mean of those heads
 * (JSON "attention" and the document's "map" say so); --layer / --head override them. */
static void test_alignment_heads_are_the_default(void **state) {
    fixture *fx = *state;
    const char *img = in_tmp(fx, "al.png"), *model = in_tmp(fx, "al.safetensors");
    write_png(img, 61, 97, 3);
    xcap_caption cap;
    lib_captions(fx, &img, 1, &cap);
    fx->m->n_align = 2;
    fx->m->align_layer[0] = 1; fx->m->align_head[0] = 0;
    fx->m->align_layer[1] = 0; fx->m->align_head[1] = 1;
    nn_error err;
    if (xcap_model_save_file(fx->m, model, &err) != 0) fail_msg("%s", err.msg);
    fx->m->n_align = 0;
    for (int explicit = 0; explicit < 2; explicit++) {
        char *argv[10] = {getenv("XCAP_BINARY"), "caption", "--model", (char *)model, "--json", "-"};
        size_t argc = 6;
        if (explicit) {
            argv[argc++] = "--head";
            argv[argc++] = "1";
        }
        argv[argc++] = (char *)img;
        argv[argc] = NULL;
        run_result r = run_argv(argv, NULL);
        assert_int_equal(r.code, 0);
        cJSON *doc = cJSON_Parse(r.out);
        assert_non_null(doc);
        const char *desc = cJSON_GetObjectItem(doc, "map")->valuestring;
        assert_non_null(strstr(desc, explicit ? "layer 1, head 1" : "alignment heads (layer:head) 1:0 0:1"));
        const cJSON *words = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "images"), 0), "words");
        assert_int_equal((size_t)cJSON_GetArraySize(words), cap.n_words);
        size_t L = cap.layers, H = cap.heads, N = cap.grid_w * cap.grid_h;
        for (size_t w = 0; w < cap.n_words; w++) {
            const cJSON *att = cJSON_GetObjectItem(cJSON_GetArrayItem(words, (int)w), "attention");
            const float *word = cap.maps + w * L * H * N;
            for (size_t n = 0; n < N; n++) {
                const cJSON *row = cJSON_GetArrayItem(att, (int)(n / cap.grid_w));
                float got = (float)cJSON_GetArrayItem(row, (int)(n % cap.grid_w))->valuedouble;
                float want = explicit ? word[(1 * H + 1) * N + n]
                                      : 0.5f * (word[(1 * H + 0) * N + n] + word[(0 * H + 1) * N + n]);
                check_close(&got, &want, 1, 1e-6, 1e-4);
            }
        }
        cJSON_Delete(doc);
        run_free(&r);
    }
    xcap_caption_free(&cap);
}

/* The model path: --model wins, then $XCAP_MODEL. */
static void test_model_path(void **state) {
    (void)state;
    char out[4096];
    setenv(CAP_MODEL_ENV, "/from/env.safetensors", 1);
    assert_int_equal(cap_model_path(out, sizeof out, "given.safetensors", NULL), 0);
    assert_string_equal(out, "given.safetensors");
    assert_int_equal(cap_model_path(out, sizeof out, NULL, NULL), 0);
    assert_string_equal(out, "/from/env.safetensors");
    unsetenv(CAP_MODEL_ENV);
    char tiny[4];
    assert_int_equal(cap_model_path(tiny, sizeof tiny, "too-long", NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_images_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlay_matches_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_image_among_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_viewer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_is_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temp_files_are_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seeded_sampling_ignores_batching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_command_has_help, setup, teardown),
        cmocka_unit_test(test_folder_names),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test_setup_teardown(test_map_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alignment_heads_are_the_default, setup, teardown),
        cmocka_unit_test(test_model_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

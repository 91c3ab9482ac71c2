/* test_overlay.c — colormaps, map upsampling, blending, text, PNG output, file names, and
 * the word / strip / heads-grid renderers of demo/.
 *
 * Set XCAP_OVERLAY_EXAMPLES=<dir> to keep the example pictures (a red disc on grey with a
 * 12×12 map peaked on it) in that directory for looking at; otherwise they go to a
 * temporary directory that is removed. */
#include "tests/util/check.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb/stb_image.h>

#include "demo/colormap.h"
#include "demo/font.h"
#include "demo/overlay.h"
#include "demo/png_write.h"
#include "nn/rng.h"
#include "vision/patch_geometry.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* A w×h image of random bytes. */
static vis_image random_image(int w, int h, uint64_t seed) {
    vis_image img = {malloc((size_t)w * h * 3), w, h};
    assert_non_null(img.rgb);
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) img.rgb[i] = (unsigned char)(nn_rng_u32(&r) >> 24);
    return img;
}

/* A red disc on a slightly noisy grey, like a shapes-world scene. */
static vis_image disc_image(int w, int h, float cx, float cy, float rad) {
    vis_image img = {malloc((size_t)w * h * 3), w, h};
    assert_non_null(img.rgb);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            unsigned char *p = img.rgb + ((size_t)y * w + x) * 3;
            float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
            int in = dx * dx + dy * dy <= rad * rad;
            p[0] = in ? 210 : (unsigned char)(128 + (x * 7 + y * 13) % 9);
            p[1] = in ? 40 : (unsigned char)(124 + (x * 5 + y * 3) % 7);
            p[2] = in ? 40 : 118;
        }
    }
    return img;
}

/* A softmax-like gw×gh map peaked at cell coordinates (pc, pr); sharp 0 gives uniform. */
static void peak_map(float *m, size_t gw, size_t gh, float pc, float pr, float sharp) {
    double s = 0.0;
    for (size_t r = 0; r < gh; r++) {
        for (size_t c = 0; c < gw; c++) {
            double d2 = (c - pc) * (c - pc) + (r - pr) * (r - pr);
            m[r * gw + c] = (float)exp(-sharp * d2);
            s += m[r * gw + c];
        }
    }
    for (size_t i = 0; i < gw * gh; i++) m[i] = (float)(m[i] / s);
}

/* Loads the default font, or NULL (and a printed reason) when the font file is missing. */
static ovl_font *try_font(void) {
    ovl_font *font = NULL;
    nn_error err;
    if (ovl_font_load(&font, NULL, &err) != 0) {
        print_message("font tests skipped: %s\n", err.msg);
        return NULL;
    }
    return font;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of entries (besides . and ..) in a directory. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static const unsigned char *pixel(const vis_image *img, int x, int y) {
    return img->rgb + ((size_t)y * img->width + x) * 3;
}

/* ---- colormaps --------------------------------------------------------------------- */

/* Colours within tol of published 9-sample values (t = i/8) of the maps. */
static void check_samples(ovl_colormap cm, const char *const hex[9], int tol) {
    for (int i = 0; i < 9; i++) {
        unsigned int want[3];
        sscanf(hex[i], "%2x%2x%2x", &want[0], &want[1], &want[2]);
        unsigned char got[3];
        ovl_colormap_lookup(got, cm, (float)i / 8.0f);
        for (int ch = 0; ch < 3; ch++) {
            if (abs((int)got[ch] - (int)want[ch]) > tol)
                fail_msg("%s(%d/8) = %02x%02x%02x, published %s", ovl_colormap_name(cm), i, got[0],
                         got[1], got[2], hex[i]);
        }
    }
}

static void test_colormap_published_values(void **state) {
    (void)state;
    static const char *const viridis[9] = {"440154", "472d7b", "3b528b", "2c728e", "21918c",
                                           "28ae80", "5ec962", "addc30", "fde725"};
    static const char *const magma[9] = {"000004", "1d1147", "51127c", "822681", "b73779",
                                         "e75263", "fc8961", "fec287", "fcfdbf"};
    static const char *const inferno[9] = {"000004", "1f0c48", "550f6d", "88226a", "ba3655",
                                           "e35932", "f98c0a", "f9c932", "fcffa4"};
    check_samples(OVL_CMAP_VIRIDIS, viridis, 5);
    check_samples(OVL_CMAP_MAGMA, magma, 6);
    check_samples(OVL_CMAP_INFERNO, inferno, 9);
    unsigned char c[3];
    ovl_colormap_lookup(c, OVL_CMAP_GRAY, 0.0f);
    assert_true(c[0] == 0 && c[1] == 0 && c[2] == 0);
    ovl_colormap_lookup(c, OVL_CMAP_GRAY, 1.0f);
    assert_true(c[0] == 255 && c[1] == 255 && c[2] == 255);
}

/* Luminance rises from dark to bright: never falls by more than one rounding step between
 * neighbours, and always rises over 8 entries. */
static void test_colormap_monotone_luminance(void **state) {
    (void)state;
    const ovl_colormap maps[] = {OVL_CMAP_VIRIDIS, OVL_CMAP_MAGMA, OVL_CMAP_INFERNO,
                                 OVL_CMAP_PLASMA, OVL_CMAP_GRAY};
    for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++) {
        unsigned char lut[256 * 3];
        ovl_colormap_table(lut, maps[m]);
        double L[256];
        for (int i = 0; i < 256; i++)
            L[i] = 0.2126 * lut[3 * i] + 0.7152 * lut[3 * i + 1] + 0.0722 * lut[3 * i + 2];
        for (int i = 1; i < 256; i++)
            if (L[i] < L[i - 1] - 0.75) fail_msg("%s: luminance falls at %d", ovl_colormap_name(maps[m]), i);
        for (int i = 8; i < 256; i++)
            if (!(L[i] > L[i - 8])) fail_msg("%s: luminance flat at %d", ovl_colormap_name(maps[m]), i);
        assert_true(L[255] - L[0] > 150.0);
    }
}

static void test_colormap_parse_and_clamp(void **state) {
    (void)state;
    ovl_colormap cm;
    nn_error err;
    assert_int_equal(ovl_colormap_parse(&cm, "magma", &err), 0);
    assert_int_equal(cm, OVL_CMAP_MAGMA);
    assert_int_equal(ovl_colormap_parse(&cm, "Viridis", &err), 0);
    assert_int_equal(cm, OVL_CMAP_VIRIDIS);
    assert_int_equal(ovl_colormap_parse(&cm, "grey", &err), 0);
    assert_int_equal(cm, OVL_CMAP_GRAY);
    assert_int_equal(ovl_colormap_parse(&cm, "jet", &err), -1);
    assert_non_null(strstr(err.msg, "jet"));
    assert_non_null(strstr(err.msg, "viridis"));
    unsigned char lo[3], hi[3], a[3], b[3], n[3];
    ovl_colormap_lookup(lo, OVL_CMAP_VIRIDIS, 0.0f);
    ovl_colormap_lookup(hi, OVL_CMAP_VIRIDIS, 1.0f);
    ovl_colormap_lookup(a, OVL_CMAP_VIRIDIS, -3.0f);
    ovl_colormap_lookup(b, OVL_CMAP_VIRIDIS, 7.0f);
    ovl_colormap_lookup(n, OVL_CMAP_VIRIDIS, NAN);
    assert_memory_equal(lo, a, 3);
    assert_memory_equal(hi, b, 3);
    assert_memory_equal(lo, n, 3);
}

/* ---- upsampling -------------------------------------------------------------------- */

typedef struct {
    size_t W, H, gw, gh;
} up_case;

static const up_case kUp[] = {
    {96, 96, 12, 12}, {97, 61, 16, 16}, {61, 97, 6, 4}, {640, 480, 12, 12},
    {50, 30, 6, 4},   {128, 128, 16, 16}, {36, 36, 12, 12}, {200, 64, 12, 12},
};
static const ovl_upsample_mode kModes[] = {OVL_UPSAMPLE_NEAREST, OVL_UPSAMPLE_BILINEAR,
                                           OVL_UPSAMPLE_GAUSSIAN};

static void test_upsample_constant(void **state) {
    (void)state;
    const up_case tiny[] = {{1, 1, 12, 12}, {1, 37, 12, 12}, {5, 3, 6, 4}};
    for (int t = 0; t < 2; t++) {
        const up_case *cs = t ? tiny : kUp;
        size_t ncase = t ? sizeof tiny / sizeof tiny[0] : sizeof kUp / sizeof kUp[0];
        for (size_t k = 0; k < ncase; k++) {
            up_case u = cs[k];
            float *map = malloc(u.gw * u.gh * sizeof *map), *out = malloc(u.W * u.H * sizeof *out);
            float *want = malloc(u.W * u.H * sizeof *want);
            for (size_t i = 0; i < u.gw * u.gh; i++) map[i] = 0.37f;
            for (size_t i = 0; i < u.W * u.H; i++) want[i] = 0.37f;
            for (size_t m = 0; m < 3; m++) {
                assert_int_equal(ovl_upsample(out, map, u.gw, u.gh, u.W, u.H, kModes[m], NULL), 0);
                check_close(out, want, u.W * u.H, 1e-6, 1e-5);
            }
            free(map);
            free(out);
            free(want);
        }
    }
}

/* A single hot patch: the brightest pixel lies in that patch's rect (every mode), every
 * pixel with the maximum does (nearest, bilinear), and nearest is exactly the rect. */
static void test_upsample_hot_patch(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof kUp / sizeof kUp[0]; k++) {
        up_case u = kUp[k];
        size_t np = u.gw * u.gh;
        float *map = calloc(np, sizeof *map), *out = malloc(u.W * u.H * sizeof *out);
        size_t hots[] = {0, u.gw - 1, np - 1, np - u.gw, (u.gh / 2) * u.gw + u.gw / 3, np / 2 + 1};
        for (size_t h = 0; h < sizeof hots / sizeof hots[0]; h++) {
            size_t hot = hots[h];
            vis_rect rc;
            vis_patch_rect(&rc, hot, u.gw, u.gh, u.W, u.H);
            map[hot] = 1.0f;
            for (size_t m = 0; m < 3; m++) {
                assert_int_equal(ovl_upsample(out, map, u.gw, u.gh, u.W, u.H, kModes[m], NULL), 0);
                float mx = -1.0f;
                size_t arg = 0;
                for (size_t i = 0; i < u.W * u.H; i++)
                    if (out[i] > mx) mx = out[i], arg = i;
                size_t ax = arg % u.W, ay = arg / u.W;
                if (!(ax >= rc.x0 && ax < rc.x1 && ay >= rc.y0 && ay < rc.y1))
                    fail_msg("%zux%zu grid %zux%zu %s: hot patch %zu, max at (%zu,%zu)", u.W, u.H, u.gw,
                             u.gh, ovl_upsample_name(kModes[m]), hot, ax, ay);
                if (kModes[m] == OVL_UPSAMPLE_GAUSSIAN) continue;
                for (size_t y = 0; y < u.H; y++) {
                    for (size_t x = 0; x < u.W; x++) {
                        int inside = x >= rc.x0 && x < rc.x1 && y >= rc.y0 && y < rc.y1;
                        float v = out[y * u.W + x];
                        if (v == mx && !inside)
                            fail_msg("%s: maximum also at (%zu,%zu) outside patch %zu",
                                     ovl_upsample_name(kModes[m]), x, y, hot);
                        if (kModes[m] == OVL_UPSAMPLE_NEAREST && v != (inside ? 1.0f : 0.0f))
                            fail_msg("nearest: pixel (%zu,%zu) = %g", x, y, (double)v);
                    }
                }
            }
            map[hot] = 0.0f;
        }
        free(map);
        free(out);
    }
}

/* Bilinear puts each value at its patch centre: with 3-px patches the centre pixel carries
 * the patch's value exactly, and a ramp across columns stays a ramp between centres. */
static void test_upsample_bilinear_centres(void **state) {
    (void)state;
    size_t gw = 12, gh = 8, W = 36, H = 24;
    float map[96], out[36 * 24];
    nn_rng r;
    nn_rng_seed(&r, 7);
    for (size_t i = 0; i < gw * gh; i++) map[i] = nn_rng_uniform(&r);
    assert_int_equal(ovl_upsample(out, map, gw, gh, W, H, OVL_UPSAMPLE_BILINEAR, NULL), 0);
    for (size_t n = 0; n < gw * gh; n++) {
        float cx, cy;
        vis_patch_centre(&cx, &cy, n, gw, gh, W, H);
        float got = out[(size_t)cy * W + (size_t)cx];
        check_close(&got, &map[n], 1, 1e-6, 0);
    }
    /* ramp map[r][c] = c on a non-square image: value at pixel x is its cell coordinate */
    size_t W2 = 150, H2 = 70, gw2 = 6, gh2 = 4;
    float ramp[24], *o2 = malloc(W2 * H2 * sizeof *o2), *want = malloc(W2 * sizeof *want);
    for (size_t i = 0; i < gw2 * gh2; i++) ramp[i] = (float)(i % gw2);
    assert_int_equal(ovl_upsample(o2, ramp, gw2, gh2, W2, H2, OVL_UPSAMPLE_BILINEAR, NULL), 0);
    for (size_t x = 0; x < W2; x++) {
        double u = (x + 0.5) * gw2 / W2 - 0.5;
        want[x] = (float)(u < 0 ? 0 : u > gw2 - 1 ? gw2 - 1 : u);
    }
    for (size_t y = 0; y < H2; y += 23) check_close(o2 + y * W2, want, W2, 1e-5, 0);
    free(o2);
    free(want);
}

/* Nearest agrees with vis_pixel_to_patch on a random map. */
static void test_upsample_nearest_matches_geometry(void **state) {
    (void)state;
    size_t gw = 16, gh = 16, W = 97, H = 61;
    float map[256], *out = malloc(W * H * sizeof *out);
    nn_rng r;
    nn_rng_seed(&r, 11);
    for (size_t i = 0; i < gw * gh; i++) map[i] = nn_rng_uniform(&r);
    assert_int_equal(ovl_upsample(out, map, gw, gh, W, H, OVL_UPSAMPLE_NEAREST, NULL), 0);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            assert_true(out[y * W + x] == map[vis_pixel_to_patch(x, y, gw, gh, W, H)]);
    free(out);
    ovl_upsample_mode m;
    assert_int_equal(ovl_upsample_parse(&m, "gaussian", NULL), 0);
    assert_int_equal(m, OVL_UPSAMPLE_GAUSSIAN);
    nn_error err;
    assert_int_equal(ovl_upsample_parse(&m, "bicubic", &err), -1);
    assert_non_null(strstr(err.msg, "bicubic"));
}

static void test_normalize_max(void **state) {
    (void)state;
    float v[6] = {0.1f, 0.4f, -0.2f, NAN, 0.2f, INFINITY};
    float want[6] = {0.25f, 1.0f, 0.0f, 0.0f, 0.5f, 0.0f};
    ovl_normalize_max(v, 6);
    check_close(v, want, 6, 1e-6, 0);
    float z[3] = {0, 0, 0}, zw[3] = {0, 0, 0};
    ovl_normalize_max(z, 3);
    check_close(z, zw, 3, 0, 0);
}

/* ---- blending ---------------------------------------------------------------------- */

static void test_blend(void **state) {
    (void)state;
    vis_image img = random_image(40, 30, 3);
    size_t n = 40 * 30;
    float *v = malloc(n * sizeof *v);
    unsigned char *out = malloc(n * 3), lut[256 * 3];
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++) v[i] = nn_rng_uniform(&r);
    ovl_blend(out, img.rgb, v, n, OVL_CMAP_VIRIDIS, 0.0f, 0);
    assert_memory_equal(out, img.rgb, n * 3);
    ovl_colormap_table(lut, OVL_CMAP_MAGMA);
    ovl_blend(out, img.rgb, v, n, OVL_CMAP_MAGMA, 1.0f, 0);
    for (size_t i = 0; i < n; i++) assert_memory_equal(out + 3 * i, lut + 3 * lroundf(v[i] * 255.0f), 3);
    /* half way: the rounded mean of image and colour */
    ovl_colormap_table(lut, OVL_CMAP_VIRIDIS);
    ovl_blend(out, img.rgb, v, n, OVL_CMAP_VIRIDIS, 0.5f, 0);
    for (size_t i = 0; i < 3 * n; i++) {
        int want = (img.rgb[i] + lut[3 * lroundf(v[i / 3] * 255.0f) + i % 3]);
        assert_true(abs(2 * out[i] - want) <= 1);
    }
    /* modulate: a zero value leaves the image, a one gets the full alpha */
    for (size_t i = 0; i < n; i++) v[i] = (float)(i % 2);
    ovl_blend(out, img.rgb, v, n, OVL_CMAP_VIRIDIS, 1.0f, 1);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *want = (i % 2) ? lut + 3 * 255 : img.rgb + 3 * i;
        assert_memory_equal(out + 3 * i, want, 3);
    }
    /* in place */
    memcpy(out, img.rgb, n * 3);
    ovl_blend(out, out, v, n, OVL_CMAP_VIRIDIS, 0.0f, 0);
    assert_memory_equal(out, img.rgb, n * 3);
    free(v);
    free(out);
    vis_image_free(&img);
}

/* ---- names and PNG files ----------------------------------------------------------- */

static void check_name(const char *in, const char *want) {
    char out[OVL_NAME_MAX];
    size_t len = ovl_sanitize_name(out, sizeof out, in);
    if (strcmp(out, want) != 0 || len != strlen(want))
        fail_msg("sanitize(\"%s\") = \"%s\", want \"%s\"", in ? in : "(null)", out, want);
}

static void test_sanitize_name(void **state) {
    (void)state;
    check_name("red", "red");
    check_name("Big_one-2.v1", "Big_one-2.v1");
    check_name("../../etc/passwd", "_._.._etc_passwd");
    check_name("", "_");
    check_name(NULL, "_");
    check_name(",", "comma");
    check_name(".", "period");
    check_name("..", "_.");
    check_name(".hidden", "_hidden");
    check_name("<unk>", "_unk_");
    check_name("a b/c\\d", "a_b_c_d");
    check_name("caf\xc3\xa9", "caf_");           /* é: one '_' for the 2-byte sequence */
    check_name("\xe2\x82\xac" "5", "_5");         /* € */
    check_name("\xff\xfe", "__");                 /* invalid bytes: one '_' each */
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    char out[OVL_NAME_MAX];
    assert_int_equal(ovl_sanitize_name(out, sizeof out, longname), OVL_NAME_MAX - 1);
    char small[4];
    assert_int_equal(ovl_sanitize_name(small, sizeof small, "abcdef"), 3);
    assert_string_equal(small, "abc");

    char fn[80];
    assert_int_equal(ovl_word_filename(fn, sizeof fn, 0, "red"), 0);
    assert_string_equal(fn, "00_red.png");
    assert_int_equal(ovl_word_filename(fn, sizeof fn, 7, ","), 0);
    assert_string_equal(fn, "07_comma.png");
    assert_int_equal(ovl_word_filename(fn, sizeof fn, 112, "../x"), 0);
    assert_string_equal(fn, "112__._x.png");
    assert_int_equal(ovl_word_filename(fn, 6, 0, "red"), -1);
}

static void test_png_round_trip_and_failures(void **state) {
    (void)state;
    char *dir = make_temp_dir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/out.png", dir);
    vis_image img = random_image(37, 23, 9);
    nn_error err;
    assert_int_equal(ovl_png_write(path, &img, &err), 0);
    assert_int_equal(ovl_png_write(path, &img, &err), 0); /* replaces an existing file */
    int w, h, ch;
    unsigned char *back = stbi_load(path, &w, &h, &ch, 3);
    assert_non_null(back);
    assert_int_equal(w, 37);
    assert_int_equal(h, 23);
    assert_memory_equal(back, img.rgb, (size_t)37 * 23 * 3);
    stbi_image_free(back);
    assert_int_equal(count_entries(dir), 1); /* no temp file left */

    /* a missing directory: an error naming the path */
    snprintf(path, sizeof path, "%s/missing/out.png", dir);
    assert_int_equal(ovl_png_write(path, &img, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file"));
    /* the rename fails (the target is a directory): the temp file must be gone */
    snprintf(path, sizeof path, "%s/adir.png", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(ovl_png_write(path, &img, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(count_entries(dir), 2); /* out.png and adir.png only */
    vis_image empty = {NULL, 0, 0};
    assert_int_equal(ovl_png_write(path, &empty, &err), -1);
    vis_image_free(&img);
    remove_tree(dir);
    free(dir);
}

/* ---- text -------------------------------------------------------------------------- */

static void test_font_errors(void **state) {
    (void)state;
    ovl_font *font = (ovl_font *)1;
    nn_error err;
    assert_int_equal(ovl_font_load(&font, "/nonexistent/DejaVuSans.ttf", &err), -1);
    assert_null(font);
    assert_non_null(strstr(err.msg, "/nonexistent/DejaVuSans.ttf"));
    assert_non_null(strstr(err.msg, OVL_FONT_ENV));
    char *dir = make_temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/notafont.ttf", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("this is not a TrueType font at all, just some text", f);
    fclose(f);
    assert_int_equal(ovl_font_load(&font, path, &err), -1);
    assert_non_null(strstr(err.msg, "not a TrueType font"));
    remove_tree(dir);
    free(dir);
    /* the environment variable picks the default path */
    const char *old = getenv(OVL_FONT_ENV);
    char *saved = old ? strdup(old) : NULL;
    setenv(OVL_FONT_ENV, "/somewhere/else.ttf", 1);
    assert_string_equal(ovl_font_default_path(), "/somewhere/else.ttf");
    unsetenv(OVL_FONT_ENV);
    assert_string_equal(ovl_font_default_path(), OVL_FONT_DEFAULT_PATH);
    if (saved) setenv(OVL_FONT_ENV, saved, 1);
    free(saved);
}

/* "red 0.97" changes pixels only inside its measured box; a label darkens its box. */
static void test_font_draws_text(void **state) {
    (void)state;
    ovl_font *font = try_font();
    if (!font) {
        skip();
        return;
    }
    int W = 120, H = 40;
    vis_image img = {malloc((size_t)W * H * 3), W, H};
    memset(img.rgb, 100, (size_t)W * H * 3);
    int tw, th;
    ovl_font_measure(&tw, &th, font, "red 0.97", 16.0f);
    assert_true(tw > 40 && tw < 100);
    assert_true(th >= 16 && th <= 22);
    static const unsigned char white[3] = {255, 255, 255};
    assert_int_equal(ovl_font_draw(&img, font, "red 0.97", 16.0f, 10, 5, white, NULL), 0);
    int changed = 0;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            if (pixel(&img, x, y)[0] == 100) continue;
            changed++;
            if (x < 10 || x > 10 + tw || y < 5 || y > 5 + th)
                fail_msg("text pixel at (%d,%d) outside its box", x, y);
        }
    }
    assert_true(changed > 50);
    /* invalid UTF-8 and non-ASCII text draw without trouble; clipping at the edges */
    assert_int_equal(ovl_font_draw(&img, font, "caf\xc3\xa9 \xff\xfe", 16.0f, 100, 30, white, NULL), 0);
    assert_int_equal(ovl_font_draw(&img, font, "edge", 16.0f, -8, -6, white, NULL), 0);
    memset(img.rgb, 200, (size_t)W * H * 3);
    int bw, bh;
    assert_int_equal(ovl_font_label(&img, font, "red", 14.0f, 2, 2, &bw, &bh, NULL), 0);
    assert_true(bw > 0 && bh > 0);
    assert_true(pixel(&img, 3, 3)[0] < 120);           /* corner of the dark box */
    assert_true(pixel(&img, 2 + bw + 2, 3)[0] == 200); /* right of it: untouched */
    vis_image_free(&img);
    ovl_font_free(font);
}

/* ---- renderers --------------------------------------------------------------------- */

/* The word overlay is at the image's size; alpha 0 without a font is the image; with alpha 1
 * the hot patch's centre shows the top colour; a label only touches the top-left corner. */
static void test_render_word(void **state) {
    (void)state;
    vis_image img = random_image(97, 61, 21), out;
    size_t gw = 12, gh = 12, hot = vis_patch_index(7, 4, gw);
    float map[144] = {0};
    map[hot] = 0.8f;
    ovl_options o;
    ovl_options_default(&o);
    assert_int_equal(o.cmap, OVL_CMAP_VIRIDIS);
    assert_true(o.alpha == 0.6f);
    o.alpha = 0.0f;
    assert_int_equal(ovl_render_word(&out, &img, map, gw, gh, "red", 0.97f, &o, NULL), 0);
    assert_int_equal(out.width, 97);
    assert_int_equal(out.height, 61);
    assert_memory_equal(out.rgb, img.rgb, (size_t)97 * 61 * 3);
    vis_image_free(&out);

    o.alpha = 1.0f;
    o.upsample = OVL_UPSAMPLE_NEAREST;
    assert_int_equal(ovl_render_word(&out, &img, map, gw, gh, "red", 0.97f, &o, NULL), 0);
    unsigned char top[3], bottom[3];
    ovl_colormap_lookup(top, OVL_CMAP_VIRIDIS, 1.0f);
    ovl_colormap_lookup(bottom, OVL_CMAP_VIRIDIS, 0.0f);
    float cx, cy;
    vis_patch_centre(&cx, &cy, hot, gw, gh, 97, 61);
    assert_memory_equal(pixel(&out, (int)cx, (int)cy), top, 3);
    assert_memory_equal(pixel(&out, 96, 60), bottom, 3);
    vis_image unlabelled = out;

    ovl_font *font = try_font();
    if (font) {
        o.font = font;
        vis_image lab;
        assert_int_equal(ovl_render_word(&lab, &img, map, gw, gh, "red", 0.97f, &o, NULL), 0);
        int diff = 0;
        for (int y = 0; y < 61; y++) {
            for (int x = 0; x < 97; x++) {
                if (memcmp(pixel(&lab, x, y), pixel(&unlabelled, x, y), 3) == 0) continue;
                diff++;
                if (x > 80 || y > 24) fail_msg("label pixel at (%d,%d)", x, y);
            }
        }
        assert_true(diff > 100);
        vis_image_free(&lab);
        ovl_font_free(font);
    }
    vis_image_free(&unlabelled);
    nn_error err;
    assert_int_equal(ovl_render_word(&out, &img, NULL, gw, gh, "red", 0.97f, &o, &err), -1);
    assert_null(out.rgb);
    vis_image_free(&img);
}

/* Strip layout: a 96×96 image gives 288×288 tiles (3× nearest), the first tile is the
 * enlarged image, and more than 6 tiles wrap to a second row. */
static void test_render_strip_layout(void **state) {
    (void)state;
    vis_image img = random_image(96, 96, 31), out;
    size_t gw = 12, gh = 12;
    float maps[9 * 144];
    for (size_t i = 0; i < 9; i++) peak_map(maps + i * 144, gw, gh, (float)i, 5.0f, 1.0f);
    const char *words[9] = {"a", "small", "red", "circle", "left", "of", "a", "blue", "square"};
    ovl_options o;
    ovl_options_default(&o);
    o.alpha = 1.0f;
    assert_int_equal(ovl_render_strip(&out, &img, maps, words, NULL, 4, gw, gh, "a small red circle", &o, NULL), 0);
    assert_int_equal(out.width, 5 * (288 + 6) + 6);
    assert_int_equal(out.height, 288 + 12); /* no font: no caption block */
    for (int y = 0; y < 96; y += 5)
        for (int x = 0; x < 96; x += 7)
            for (int k = 0; k < 3; k++)
                assert_memory_equal(pixel(&out, 6 + 3 * x + k, 6 + 3 * y + (2 - k)), pixel(&img, x, y), 3);
    /* tile of word 2 ("red", peak at column 2, row 5): its peak shows the top colour */
    unsigned char top[3];
    ovl_colormap_lookup(top, OVL_CMAP_VIRIDIS, 1.0f);
    o.upsample = OVL_UPSAMPLE_NEAREST;
    vis_image_free(&out);
    assert_int_equal(ovl_render_strip(&out, &img, maps, words, NULL, 4, gw, gh, "", &o, NULL), 0);
    int tx = 6 + 3 * (288 + 6), ty = 6; /* tile 3 = word index 2 */
    assert_memory_equal(pixel(&out, tx + 2 * 24 + 12, ty + 5 * 24 + 12), top, 3);
    vis_image_free(&out);
    assert_int_equal(ovl_render_strip(&out, &img, maps, words, NULL, 9, gw, gh, NULL, &o, NULL), 0);
    assert_int_equal(out.width, 6 * (288 + 6) + 6);
    assert_int_equal(out.height, 2 * (288 + 6) + 6);
    vis_image_free(&out);
    /* with a font the caption adds a block underneath */
    ovl_font *font = try_font();
    if (font) {
        o.font = font;
        assert_int_equal(ovl_render_strip(&out, &img, maps, words, NULL, 2, gw, gh,
                                          "a very long caption that certainly has to wrap onto "
                                          "more than one line because the strip is narrow",
                                          &o, NULL), 0);
        assert_int_equal(out.width, 3 * (288 + 6) + 6);
        assert_true(out.height > 288 + 12 + 2 * 24);
        vis_image_free(&out);
        ovl_font_free(font);
    }
    vis_image_free(&img);
}

static void test_render_heads_grid_layout(void **state) {
    (void)state;
    vis_image img = random_image(96, 96, 41), out;
    size_t gw = 12, gh = 12, L = 2, Hh = 4;
    float maps[8 * 144] = {0};
    for (size_t i = 0; i < L * Hh; i++) maps[i * 144 + i * 13] = 1.0f; /* head i looks at patch 13i */
    ovl_options o;
    ovl_options_default(&o);
    o.alpha = 1.0f;
    o.upsample = OVL_UPSAMPLE_NEAREST;
    assert_int_equal(ovl_render_heads_grid(&out, &img, maps, L, Hh, gw, gh, "red", 0.97f, &o, NULL), 0);
    assert_int_equal(out.width, 4 * (192 + 6) + 6);
    assert_int_equal(out.height, 2 * (192 + 6) + 6);
    unsigned char top[3];
    ovl_colormap_lookup(top, OVL_CMAP_VIRIDIS, 1.0f);
    for (size_t l = 0; l < L; l++) {
        for (size_t j = 0; j < Hh; j++) {
            size_t p = (l * Hh + j) * 13, r = p / gw, c = p % gw;
            int x = 6 + (int)j * 198 + (int)c * 16 + 8, y = 6 + (int)l * 198 + (int)r * 16 + 8;
            assert_memory_equal(pixel(&out, x, y), top, 3);
        }
    }
    vis_image_free(&out);
    nn_error err;
    assert_int_equal(ovl_render_heads_grid(&out, &img, maps, 0, Hh, gw, gh, "red", 0.97f, &o, &err), -1);
    vis_image_free(&img);
}

/* The example a person looks at: a red disc on grey, words peaked on it, at 96×96. */
static void test_render_examples(void **state) {
    (void)state;
    const char *keep = getenv("XCAP_OVERLAY_EXAMPLES");
    char *dir = keep && keep[0] ? strdup(keep) : make_temp_dir();
    assert_non_null(dir);
    ovl_font *font = try_font();
    ovl_options o;
    ovl_options_default(&o);
    o.font = font;
    vis_image img = disc_image(96, 96, 32.6f, 38.4f, 17.0f), out;
    size_t gw = 12, gh = 12;
    float pc = 32.6f / 8 - 0.5f, pr = 38.4f / 8 - 0.5f, maps[4 * 144], heads[8 * 144];
    peak_map(maps, gw, gh, 6, 6, 0.01f);
    peak_map(maps + 144, gw, gh, pc, pr, 0.6f);
    peak_map(maps + 288, gw, gh, pc, pr, 1.5f);
    peak_map(maps + 432, gw, gh, pc + 0.5f, pr + 1, 0.8f);
    const char *words[4] = {"a", "large", "red", "circle"};
    float probs[4] = {0.99f, 0.87f, 0.97f, 0.93f};
    char path[600], name[80];
    nn_error err;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ovl_render_word(&out, &img, maps + i * 144, gw, gh, words[i], probs[i], &o, &err), 0);
        /* the brightest colour sits on the disc for the peaked words */
        if (i > 0) {
            unsigned char hot[3];
            ovl_colormap_lookup(hot, OVL_CMAP_VIRIDIS, 1.0f);
            int best = -1, bx = 0, by = 0;
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 96; x++) {
                    const unsigned char *p = pixel(&out, x, y);
                    int score = -abs(p[0] - hot[0]) - abs(p[1] - hot[1]) - abs(p[2] - hot[2]);
                    if (best == -1 || score > best) best = score, bx = x, by = y;
                }
            float dx = bx + 0.5f - 32.6f, dy = by + 0.5f - 38.4f;
            assert_true(dx * dx + dy * dy < 17.0f * 17.0f);
        }
        assert_int_equal(ovl_word_filename(name, sizeof name, i, words[i]), 0);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        assert_int_equal(ovl_png_write(path, &out, &err), 0);
        vis_image_free(&out);
    }
    assert_int_equal(ovl_render_strip(&out, &img, maps, words, probs, 4, gw, gh, "a large red circle", &o, &err), 0);
    snprintf(path, sizeof path, "%s/strip.png", dir);
    assert_int_equal(ovl_png_write(path, &out, &err), 0);
    vis_image_free(&out);
    const float spots[8][3] = {{pc, pr, 0.3f}, {9, 2, 0.5f},  {6, 6, 0.0f},      {pc, pr, 2.0f},
                               {pc, pr, 1.0f}, {1, 10, 0.4f}, {pc + 1, pr, 0.7f}, {10, 10, 0.05f}};
    for (size_t i = 0; i < 8; i++) peak_map(heads + i * 144, gw, gh, spots[i][0], spots[i][1], spots[i][2]);
    assert_int_equal(ovl_render_heads_grid(&out, &img, heads, 2, 4, gw, gh, "red", 0.97f, &o, &err), 0);
    snprintf(path, sizeof path, "%s/02_red_heads.png", dir);
    assert_int_equal(ovl_png_write(path, &out, &err), 0);
    vis_image_free(&out);
    snprintf(path, sizeof path, "%s/strip.png", dir);
    assert_true(file_exists(path));
    if (!(keep && keep[0])) remove_tree(dir);
    free(dir);
    vis_image_free(&img);
    ovl_font_free(font);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colormap_published_values),
        cmocka_unit_test(test_colormap_monotone_luminance),
        cmocka_unit_test(test_colormap_parse_and_clamp),
        cmocka_unit_test(test_upsample_constant),
        cmocka_unit_test(test_upsample_hot_patch),
        cmocka_unit_test(test_upsample_bilinear_centres),
        cmocka_unit_test(test_upsample_nearest_matches_geometry),
        cmocka_unit_test(test_normalize_max),
        cmocka_unit_test(test_blend),
        cmocka_unit_test(test_sanitize_name),
        cmocka_unit_test(test_png_round_trip_and_failures),
        cmocka_unit_test(test_font_errors),
        cmocka_unit_test(test_font_draws_text),
        cmocka_unit_test(test_render_word),
        cmocka_unit_test(test_render_strip_layout),
        cmocka_unit_test(test_render_heads_grid_layout),
        cmocka_unit_test(test_render_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

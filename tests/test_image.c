/* test_image.c — image loading keeps the original size and refuses oversized or broken
 * files with one line; patchify lays patches out as docs/MODEL.md says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

#include "tests/util/check.h"
#include "vision/image.h"

/* Writes a PNG whose IHDR claims w × h (no pixel data: only the header matters). */
static void write_png_header(const char *path, uint32_t w, uint32_t h) {
    unsigned char b[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    for (int i = 0; i < 4; i++) {
        b[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        b[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    b[24] = 8;
    b[25] = 2;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(b, 1, sizeof b, f);
    fclose(f);
}

/* Loads path expecting failure whose message starts with path and contains want. */
static void expect_refused(const char *path, const char *want) {
    vis_image img;
    nn_error err;
    assert_int_equal(vis_image_load(&img, path, &err), -1);
    assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
    if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
    assert_null(img.rgb);
}

static void test_load_keeps_original_size(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/a.png", dir);
    unsigned char px[7 * 5 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (unsigned char)(i * 7);
    assert_true(stbi_write_png(path, 7, 5, 3, px, 7 * 3) != 0);
    vis_image img;
    nn_error err;
    assert_int_equal(vis_image_load(&img, path, &err), 0);
    assert_int_equal(img.width, 7);
    assert_int_equal(img.height, 5);
    assert_memory_equal(img.rgb, px, sizeof px);
    vis_image_free(&img);
    remove_tree(dir);
    free(dir);
}

static void test_bad_files_are_refused(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/huge.png", dir);
    write_png_header(path, 20000, 20000);
    expect_refused(path, "image is 20000x20000, larger than the limit");
    write_png_header(path, 16384, 16384);  /* within the side limit, over 100 megapixels */
    expect_refused(path, "image is 16384x16384, larger than the limit");
    snprintf(path, sizeof path, "%s/empty.png", dir);
    FILE *f = fopen(path, "wb");
    fclose(f);
    expect_refused(path, "not a supported image");
    snprintf(path, sizeof path, "%s/text.png", dir);
    f = fopen(path, "wb");
    fputs("hello, not an image", f);
    fclose(f);
    expect_refused(path, "not a supported image");
    snprintf(path, sizeof path, "%s/absent.png", dir);
    expect_refused(path, "No such file or directory");
    remove_tree(dir);
    free(dir);
}

/* Inputs the fuzzer (fuzz/fuzz_image.c) found: crafted JPEG Huffman tables and 16-bit PNM
 * made stb_image write or read past its buffers, so they are refused before decoding. */
static void test_fuzz_crashes_are_refused(void **state) {
    (void)state;
    static const char *const jpegs[] = {"tests/fixtures/fuzz/jpeg-dht-257-codes.jpg",
                                        "tests/fixtures/fuzz/jpeg-dht-past-eof.jpg",
                                        "tests/fixtures/fuzz/jpeg-dht-fill-before-soi.jpg"};
    for (size_t i = 0; i < sizeof jpegs / sizeof jpegs[0]; i++)
        expect_refused(source_path(jpegs[i]), "not a supported image (JPEG Huffman table");
    expect_refused(source_path("tests/fixtures/fuzz/pnm-16bit.ppm"),
                   "not a supported image (PNM files are refused; use PNG, JPEG, BMP, GIF or TGA)");
}

/* Inputs on which the fuzzer found only arithmetic undefined behaviour inside stb_image (an
 * empty PNG data chunk): they load or are refused, and never crash. */
static void test_fuzz_decoder_quirks_do_not_crash(void **state) {
    (void)state;
    static const char *const files[] = {"tests/fixtures/fuzz/png-empty-idat.png",
                                        "tests/fixtures/fuzz/png-empty-idat-2.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        vis_image img;
        nn_error err;
        if (vis_image_load(&img, source_path(files[i]), &err) == 0) {
            assert_true(img.width > 0 && img.height > 0);
            vis_image_free(&img);
        } else {
            assert_null(strchr(err.msg, '\n'));
        }
    }
}

/* Appends n bytes to the buffer ctx (stbi_write_jpg_to_func's callback): ctx is
 * {cursor, end}; fails the test when it is full. */
static void append(void *ctx, void *data, int n) {
    unsigned char **b = ctx;
    assert_true(n >= 0 && (size_t)n <= (size_t)(b[1] - b[0]));
    memcpy(b[0], data, (size_t)n);
    b[0] += n;
}

/* Writes the n bytes at b to path. */
static void write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Copies the JPEG at b (n bytes, as stb_image_write lays it out: segments, then one scan and
 * EOI) to out without the segments whose marker is drop and with the len bytes at add put
 * before the scan; drop JPEG_SCAN cuts the scan (SOS to EOI). Returns the new length. */
#define JPEG_SCAN 0xDA
static size_t jpeg_edit(unsigned char *out, const unsigned char *b, size_t n, int drop,
                        const char *add, size_t len) {
    size_t i = 2, o = 2;
    memcpy(out, b, 2); /* SOI */
    while (i + 4 <= n && b[i] == 0xFF && b[i + 1] != JPEG_SCAN) {
        size_t seg = 2 + ((size_t)b[i + 2] << 8 | b[i + 3]);
        if (b[i + 1] != drop) memcpy(out + o, b + i, seg), o += seg;
        i += seg;
    }
    memcpy(out + o, add, len);
    o += len;
    if (drop == JPEG_SCAN) i = n - 2; /* straight to EOI */
    memcpy(out + o, b + i, n - i);
    return o + n - i;
}

/* stb_image mallocs its JPEG tables and pixel planes without clearing them: a scan that names
 * a table no segment defined, a frame whose components no scan fills, or a restart interval
 * (DRI) whose RSTn markers are missing (the decoder then ends the scan early and succeeds)
 * would decode from uninitialised memory (valgrind found the first on jpeg-corrupt-scan.jpg,
 * which has no DQT and a scan naming DC table 3), so they are refused before decoding; the
 * intact file loads. 64x64 at quality 90: 2x2 chroma subsampling, 16 MCUs. */
static void test_jpeg_undefined_tables_are_refused(void **state) {
    (void)state;
    expect_refused(source_path("tests/fixtures/fuzz/jpeg-corrupt-scan.jpg"),
                   "not a supported image (JPEG component 1 uses quantisation table 0, which no DQT defined)");
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/a.jpg", dir);
    enum { S = 64, CAP = 32768 };
    unsigned char *px = malloc(S * S * 3), *jpg = malloc(CAP), *cut = malloc(CAP);
    assert_true(px && jpg && cut);
    for (size_t i = 0; i < S * S * 3; i++) px[i] = (unsigned char)(i * 5);
    unsigned char *b[2] = {jpg, jpg + CAP / 2}; /* room for the edits below */
    assert_true(stbi_write_jpg_to_func(append, b, S, S, 3, px, 90) != 0);
    size_t n = (size_t)(b[0] - jpg);
    write_bytes(path, jpg, n);
    vis_image img;
    nn_error err;
    assert_int_equal(vis_image_load(&img, path, &err), 0);
    vis_image_free(&img);
    write_bytes(path, cut, jpeg_edit(cut, jpg, n, 0xDB, "", 0));
    expect_refused(path, "(JPEG component 1 uses quantisation table 0, which no DQT defined)");
    write_bytes(path, cut, jpeg_edit(cut, jpg, n, 0xC4, "", 0));
    expect_refused(path, "(JPEG scan of component 1 uses a Huffman table no DHT defined)");
    write_bytes(path, cut, jpeg_edit(cut, jpg, n, JPEG_SCAN, "", 0));
    expect_refused(path, "(JPEG component 1 is in no scan)");
    write_bytes(path, cut, jpeg_edit(cut, jpg, n, 0, "\xff\xdd\x00\x04\x00\x01", 6)); /* DRI 1 */
    expect_refused(path, "(JPEG scan has 0 restart markers, its restart interval of 1 MCUs needs 15)");
    memcpy(cut, jpg, n); /* component 1 names quantisation table 255 (the fuzzer's shift) */
    for (size_t i = 2; i + 12 < n; i += 2 + ((size_t)cut[i + 2] << 8 | cut[i + 3]))
        if (cut[i + 1] == 0xC0) cut[i + 12] = 255;
    write_bytes(path, cut, n);
    expect_refused(path, "(JPEG component 1 names quantisation table 255; there are 4)");
    write_bytes(path, cut, jpeg_edit(cut, jpg, n, 0, "\xff\xdd\x00\x04\x00\x10", 6)); /* DRI 16 */
    assert_int_equal(vis_image_load(&img, path, &err), 0); /* one interval: no RSTn needed */
    vis_image_free(&img);
    free(px);
    free(jpg);
    free(cut);
    remove_tree(dir);
    free(dir);
}

/* The pixel limit can be lowered (the fuzz target does), never raised past the default. */
static void test_load_limit(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/a.png", dir);
    unsigned char px[7 * 5 * 3] = {0};
    assert_true(stbi_write_png(path, 7, 5, 3, px, 7 * 3) != 0);
    vis_image img;
    nn_error err;
    assert_int_equal(vis_image_load_limit(&img, path, 35, &err), 0);
    vis_image_free(&img);
    assert_int_equal(vis_image_load_limit(&img, path, 34, &err), -1);
    if (!strstr(err.msg, "image is 7x5, larger than the limit of 16384 pixels a side and 34 pixels"))
        fail_msg("%s", err.msg);
    write_png_header(path, 16384, 16384);
    assert_int_equal(vis_image_load_limit(&img, path, (size_t)-1, &err), -1);
    if (!strstr(err.msg, "and 100000000 pixels")) fail_msg("%s", err.msg);
    remove_tree(dir);
    free(dir);
}

static void test_patchify_layout(void **state) {
    (void)state;
    /* 16 × 8 image, patch 4: grid 4 columns × 2 rows; pixel value encodes its position */
    enum { W = 16, H = 8, P = 4 };
    unsigned char rgb[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = (unsigned char)(y * 16 + x + c * 40);
    float out[8 * 3 * P * P];
    vis_patchify(out, rgb, W, H, P);
    for (int r = 0; r < 2; r++)
        for (int col = 0; col < 4; col++)
            for (int py = 0; py < P; py++)
                for (int px = 0; px < P; px++)
                    for (int c = 0; c < 3; c++) {
                        int n = r * 4 + col;
                        float v = out[n * 3 * P * P + (py * P + px) * 3 + c];
                        int x = col * P + px, y = r * P + py;
                        float want = ((float)(y * 16 + x + c * 40) / 255.0f - 0.5f) / 0.5f;
                        check_close(&v, &want, 1, 1e-6, 0);
                    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_keeps_original_size),
        cmocka_unit_test(test_bad_files_are_refused),
        cmocka_unit_test(test_fuzz_crashes_are_refused),
        cmocka_unit_test(test_fuzz_decoder_quirks_do_not_crash),
        cmocka_unit_test(test_jpeg_undefined_tables_are_refused),
        cmocka_unit_test(test_load_limit),
        cmocka_unit_test(test_patchify_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

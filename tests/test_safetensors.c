/* test_safetensors.c — round trips, exact error messages for corrupted files, atomic writes. */
#include "tests/util/check.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/safetensors.h"

/* ---- helpers ---------------------------------------------------------------- */

/* dir/name into a caller buffer of 4096 bytes. */
static char *join(char *buf, const char *dir, const char *name) {
    snprintf(buf, 4096, "%s/%s", dir, name);
    return buf;
}

/* Writes n bytes to path, replacing it. */
static void write_bytes(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Reads a whole file into a malloc'd buffer; *n gets its size. */
static unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return buf;
}

/* Writes a safetensors file by hand: length, header text padded with spaces to `pad`
 * (a multiple, 1 for none), then data_len data bytes (zeros when data is NULL). */
static void write_st(const char *path, const char *header, size_t pad, const void *data,
                     size_t data_len) {
    size_t hlen = strlen(header), padded = (8 + hlen + pad - 1) / pad * pad - 8;
    size_t total = 8 + padded + data_len;
    unsigned char *buf = calloc(total ? total : 1, 1);
    assert_non_null(buf);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((unsigned long long)padded >> (8 * i));
    memcpy(buf + 8, header, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    if (data) memcpy(buf + 8 + padded, data, data_len);
    write_bytes(path, buf, total);
    free(buf);
}

/* Number of entries in dir, not counting "." and "..". */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Fails unless msg is "path: ..." and contains want. */
static void expect_msg(const char *msg, const char *path, const char *want, const char *what) {
    size_t n = strlen(path);
    if (strncmp(msg, path, n) != 0 || strncmp(msg + n, ": ", 2) != 0 || !strstr(msg, want) ||
        strchr(msg, '\n')) {
        print_error("%s: message \"%s\"\n  should start with \"%s: \" and contain \"%s\"\n", what,
                    msg, path, want);
        fail();
    }
}

static int setup_dir(void **state) {
    *state = make_temp_dir();
    return *state ? 0 : -1;
}

static int teardown_dir(void **state) {
    remove_tree(*state);
    free(*state);
    return 0;
}

/* ---- round trip ------------------------------------------------------------------ */

static void test_round_trip(void **state) {
    const char *dir = *state;
    char path[4096];
    join(path, dir, "m.safetensors");

    float w[6] = {1.5f, -2.25f, 3e-8f, 4e20f, -0.0f, 6.0f};
    float b[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    float s[1] = {42.0f};
    nn_st_entry entries[] = {
        {"enc.patch.w", 2, {2, 3}, w},
        {"dec.0.xattn.b", 1, {4}, b},
        {"scale", 0, {0}, s},
        {"empty", 2, {0, 5}, NULL},
    };
    const char *keys[] = {"preset", "vocab"};
    const char *vals[] = {"S", "a \"quoted\" value\nwith a newline"};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, entries, 4, keys, vals, 2, &err), 0);
    assert_int_equal(count_entries(dir), 1); /* no temp file left */

    /* The layout on disk: 8 + header is a multiple of 8, metadata first, data after. */
    size_t size;
    unsigned char *raw = read_bytes(path, &size);
    unsigned long long hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | raw[i];
    assert_int_equal((8 + hlen) % 8, 0);
    assert_int_equal(size, 8 + hlen + sizeof w + sizeof b + sizeof s);
    assert_memory_equal(raw + 8, "{\"__metadata__\":{", 17);
    assert_memory_equal(raw + 8 + hlen, w, sizeof w);
    free(raw);

    nn_st_reader *r = nn_st_open(path, &err);
    if (!r) print_error("%s\n", err.msg);
    assert_non_null(r);
    assert_int_equal(nn_st_count(r), 4);
    for (size_t i = 0; i < 4; i++) {
        const nn_st_tensor *t = nn_st_at(r, i);
        assert_string_equal(t->name, entries[i].name);
        assert_int_equal(t->dtype, NN_ST_F32);
        assert_string_equal(t->dtype_name, "F32");
        assert_int_equal(t->ndim, entries[i].ndim);
        for (int d = 0; d < t->ndim; d++) assert_int_equal(t->shape[d], entries[i].shape[d]);
        assert_ptr_equal(nn_st_find(r, entries[i].name), t);
    }
    assert_null(nn_st_at(r, 4));
    assert_null(nn_st_find(r, "enc.patch"));
    assert_int_equal(nn_st_at(r, 3)->numel, 0);
    assert_int_equal(nn_st_at(r, 2)->numel, 1);

    float w2[6], b2[4], s2[1];
    size_t wshape[] = {2, 3}, bshape[] = {4};
    assert_int_equal(nn_st_read_f32(r, "enc.patch.w", wshape, 2, w2, &err), 0);
    assert_int_equal(nn_st_read_f32(r, "dec.0.xattn.b", bshape, 1, b2, &err), 0);
    assert_int_equal(nn_st_read_f32(r, "scale", NULL, 0, s2, &err), 0);
    assert_memory_equal(w2, w, sizeof w); /* bit-exact, -0.0 included */
    check_close(b2, b, 4, 0, 0);
    check_close(s2, s, 1, 0, 0);
    size_t eshape[] = {0, 5};
    assert_int_equal(nn_st_read_f32(r, "empty", eshape, 2, NULL, &err), 0);

    assert_string_equal(nn_st_meta(r, "preset"), "S");
    assert_string_equal(nn_st_meta(r, "vocab"), vals[1]);
    assert_null(nn_st_meta(r, "missing"));
    nn_st_close(r);

    /* Without metadata there is no "__metadata__" key at all. */
    assert_int_equal(nn_st_write(path, entries, 1, NULL, NULL, 0, &err), 0);
    raw = read_bytes(path, &size);
    assert_memory_equal(raw + 8, "{\"enc.patch.w\":", 15);
    free(raw);
    r = nn_st_open(path, &err);
    assert_non_null(r);
    assert_int_equal(nn_st_count(r), 1);
    assert_null(nn_st_meta(r, "preset"));
    nn_st_close(r);
}

/* Other dtypes are listed with their sizes; F32 data at an odd offset is read with memcpy. */
static void test_other_dtypes_and_unaligned(void **state) {
    char path[4096];
    join(path, *state, "d.safetensors");
    float v[3] = {1.0f, 2.0f, 3.0f};
    unsigned char data[1 + 12 + 6 + 8];
    memset(data, 0, sizeof data);
    memcpy(data + 1, v, sizeof v);
    write_st(path,
             "{\"u\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[1,13]},"
             "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[13,19]},"
             "\"i\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[19,27]},"
             "\"z\":{\"dtype\":\"BF16\",\"shape\":[0],\"data_offsets\":[5,5]}}",
             8, data, sizeof data);
    nn_error err = {{0}};
    nn_st_reader *r = nn_st_open(path, &err);
    if (!r) print_error("%s\n", err.msg);
    assert_non_null(r);
    const nn_st_tensor *u = nn_st_find(r, "u"), *h = nn_st_find(r, "h"), *i = nn_st_find(r, "i");
    assert_true(((uintptr_t)u->data & 3) != 0); /* really unaligned */
    assert_int_equal(h->dtype, NN_ST_OTHER);
    assert_string_equal(h->dtype_name, "F16");
    assert_int_equal(h->nbytes, 6);
    assert_int_equal(i->dtype, NN_ST_I32);
    assert_int_equal(i->nbytes, 8);
    float got[3];
    size_t shape[] = {3};
    assert_int_equal(nn_st_read_f32(r, "u", shape, 1, got, &err), 0);
    check_close(got, v, 3, 0, 0);
    nn_st_close(r);
}

/* ---- messages from nn_st_read_f32 --------------------------------------------------- */

static void test_read_f32_mismatch(void **state) {
    char path[4096], want[4200];
    join(path, *state, "m.safetensors");
    float *w = calloc(64 * 128, sizeof *w);
    assert_non_null(w);
    nn_st_entry e = {"dec.0.xattn.wq", 2, {64, 128}, w};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, &e, 1, NULL, NULL, 0, &err), 0);
    nn_st_reader *r = nn_st_open(path, &err);
    assert_non_null(r);

    float *dst = malloc(128 * 128 * sizeof *dst);
    assert_non_null(dst);
    dst[0] = 7.0f;
    size_t shape[] = {128, 128};
    assert_int_equal(nn_st_read_f32(r, "dec.0.xattn.wq", shape, 2, dst, &err), -1);
    snprintf(want, sizeof want, "%s: tensor 'dec.0.xattn.wq' has shape [64,128], expected [128,128]",
             path);
    assert_string_equal(err.msg, want);
    assert_true(dst[0] == 7.0f); /* untouched */

    size_t shape3[] = {64, 128, 1};
    assert_int_equal(nn_st_read_f32(r, "dec.0.xattn.wq", shape3, 3, dst, &err), -1);
    snprintf(want, sizeof want,
             "%s: tensor 'dec.0.xattn.wq' has shape [64,128], expected [64,128,1]", path);
    assert_string_equal(err.msg, want);

    assert_int_equal(nn_st_read_f32(r, "x", shape, 2, dst, &err), -1);
    snprintf(want, sizeof want, "%s: tensor 'x' is missing", path);
    assert_string_equal(err.msg, want);

    assert_int_equal(nn_st_read_f32(r, "dec.0.xattn.wq", shape, 2, dst, NULL), -1); /* NULL err */
    nn_st_close(r);
    free(dst);
    free(w);
}

/* ---- corrupted files ----------------------------------------------------------------- */

typedef struct {
    const char *what;
    const char *raw;     /* when not NULL: the whole file (raw_len bytes) */
    size_t raw_len;
    const char *header;  /* otherwise: this header ... */
    size_t data_len;     /* ... then this many data bytes (zeros, unless data) */
    const char *data;
    const char *read;    /* when not NULL, opening succeeds and nn_st_read_f32(read, [4]) fails */
    const char *expect;  /* in the message, after "path: " */
} bad_file;

#define T(name, dtype, shape, offs) \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs "}"

static const bad_file bad_files[] = {
    {"truncated to 4 bytes", "\x10\0\0\0", 4, NULL, 0, NULL, NULL,
     "not a safetensors file (too short)"},
    {"empty file", "", 0, NULL, 0, NULL, NULL, "not a safetensors file (too short)"},
    {"header length past end", "\xff\xe0\xf5\x05\0\0\0\0{}", 10, NULL, 0, NULL, NULL,
     "header length 99999999 is past the end of the file (10 bytes)"},
    {"header length 2^64-1", "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10, NULL, 0, NULL, NULL,
     "header length 18446744073709551615 is past the end of the file (10 bytes)"},
    {"header length zero", "\0\0\0\0\0\0\0\0{}", 10, NULL, 0, NULL, NULL, "header length is 0"},
    {"header not JSON", NULL, 0, "{\"x\": {\"dtype\": ", 0, NULL, NULL, "header is not valid JSON"},
    {"header with a NUL byte", "\x03\0\0\0\0\0\0\0{}\0", 11, NULL, 0, NULL, NULL,
     "header has bytes after its JSON (at byte 2 of 3)"},
    {"bytes after the JSON", NULL, 0, "{} x", 0, NULL, NULL, "header has bytes after its JSON"},
    {"header an array", NULL, 0, "[1,2]", 0, NULL, NULL, "header is not a JSON object"},
    {"header a string", NULL, 0, "\"hi\"", 0, NULL, NULL, "header is not a JSON object"},
    {"entry not an object", NULL, 0, "{\"x\":5}", 0, NULL, NULL,
     "tensor 'x' is not a JSON object"},
    {"negative shape", NULL, 0, "{" T("x", "F32", "[-1,2]", "[0,8]") "}", 8, NULL, NULL,
     "tensor 'x' has a bad shape entry -1"},
    {"fractional shape", NULL, 0, "{" T("x", "F32", "[2.5]", "[0,10]") "}", 10, NULL, NULL,
     "tensor 'x' has a bad shape entry 2.5"},
    {"string in shape", NULL, 0, "{" T("x", "F32", "[\"2\"]", "[0,8]") "}", 8, NULL, NULL,
     "tensor 'x' has a bad shape entry a string"},
    {"shape entry of 2^53", NULL, 0, "{" T("x", "U8", "[9007199254740992,0]", "[0,0]") "}", 0,
     NULL, NULL, "tensor 'x' has a bad shape entry 9007199254740992"},
    {"shape product overflows", NULL, 0,
     "{" T("x", "U8", "[4294967296,4294967296,4294967296]", "[0,0]") "}", 0, NULL, NULL,
     "tensor 'x' shape [4294967296,4294967296,4294967296] is too large"},
    {"too many dimensions", NULL, 0, "{" T("x", "F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", 4,
     NULL, NULL, "tensor 'x' has 9 dimensions (at most 8)"},
    {"shape not an array", NULL, 0, "{" T("x", "F32", "4", "[0,16]") "}", 16, NULL, NULL,
     "tensor 'x' has no \"shape\" array"},
    {"offsets past end", NULL, 0, "{" T("x", "F32", "[16]", "[0,64]") "}", 32, NULL, NULL,
     "tensor 'x' data_offsets [0,64] are past the end of the data block (32 bytes)"},
    {"overlapping offsets", NULL, 0,
     "{" T("x", "F32", "[4]", "[0,16]") "," T("dec.0.xattn.wq", "F32", "[16]", "[0,64]") "}", 64,
     NULL, NULL, "tensor 'dec.0.xattn.wq' data_offsets [0,64] overlap tensor 'x'"},
    {"partly overlapping offsets", NULL, 0,
     "{" T("a", "F32", "[4]", "[0,16]") "," T("c", "F32", "[2]", "[32,40]") ","
     T("b", "F32", "[4]", "[12,28]") "}", 40, NULL, NULL,
     "tensor 'b' data_offsets [12,28] overlap tensor 'a'"},
    {"begin after end", NULL, 0, "{" T("x", "F32", "[0]", "[16,8]") "}", 16, NULL, NULL,
     "tensor 'x' data_offsets [16,8] begin after their end"},
    {"offsets with one number", NULL, 0, "{" T("x", "F32", "[0]", "[0]") "}", 0, NULL, NULL,
     "tensor 'x' has no \"data_offsets\" [begin,end]"},
    {"fractional offset", NULL, 0, "{" T("x", "U8", "[1]", "[0,1.5]") "}", 2, NULL, NULL,
     "tensor 'x' has bad data_offsets"},
    {"nbytes not matching shape", NULL, 0, "{" T("x", "F32", "[2,3]", "[0,16]") "}", 24, NULL,
     NULL, "tensor 'x' holds 16 bytes, but shape [2,3] of F32 needs 24"},
    {"unknown dtype", NULL, 0, "{" T("x", "Q7", "[4]", "[0,16]") "}", 16, NULL, NULL,
     "tensor 'x' has unknown dtype 'Q7'"},
    {"dtype not a string", NULL, 0, "{\"x\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}",
     4, NULL, NULL, "tensor 'x' has no \"dtype\" string"},
    {"dtype given twice", NULL, 0,
     "{\"x\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, NULL,
     NULL, "tensor 'x' has \"dtype\" twice"},
    {"duplicate tensor names", NULL, 0,
     "{" T("x", "F32", "[1]", "[0,4]") "," T("x", "F32", "[1]", "[4,8]") "}", 8, NULL, NULL,
     "tensor 'x' appears more than once"},
    {"control character in a name", NULL, 0,
     "{" T("a\\nb", "F32", "[1]", "[0,4]") "," T("a\\nb", "F32", "[1]", "[4,8]") "}", 8, NULL,
     NULL, "tensor 'a?b' appears more than once"},
    {"empty tensor name", NULL, 0, "{" T("", "F32", "[1]", "[0,4]") "}", 4, NULL, NULL,
     "a tensor has an empty name"},
    {"metadata not strings", NULL, 0, "{\"__metadata__\":{\"k\":1}}", 0, NULL, NULL,
     "__metadata__ value for 'k' is not a string"},
    {"metadata not an object", NULL, 0, "{\"__metadata__\":\"v\"}", 0, NULL, NULL,
     "__metadata__ is not a JSON object"},
    {"metadata twice", NULL, 0, "{\"__metadata__\":{},\"__metadata__\":{}}", 0, NULL, NULL,
     "__metadata__ appears more than once"},
    {"metadata key twice", NULL, 0, "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, NULL, NULL,
     "__metadata__ key 'k' appears more than once"},
    {"NaN in a tensor", NULL, 0, "{" T("x", "F32", "[4]", "[0,16]") "}", 16,
     "\0\0\x80\x3f\0\0\0\x40\0\0\xc0\x7f\0\0\0\0", "x",
     "tensor 'x' holds a non-finite value at index 2"},
    {"infinity in a tensor", NULL, 0, "{" T("x", "F32", "[4]", "[0,16]") "}", 16,
     "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x80\xff", "x",
     "tensor 'x' holds a non-finite value at index 3"},
    {"missing tensor", NULL, 0, "{" T("y", "F32", "[4]", "[0,16]") "}", 16, NULL, "x",
     "tensor 'x' is missing"},
    {"wrong dtype", NULL, 0, "{" T("x", "F16", "[4]", "[0,8]") "}", 8, NULL, "x",
     "tensor 'x' has dtype F16, expected F32"},
};

static void test_corrupted_files(void **state) {
    char path[4096];
    join(path, *state, "m.safetensors");
    size_t n = sizeof bad_files / sizeof bad_files[0];
    assert_true(n >= 12);
    for (size_t i = 0; i < n; i++) {
        const bad_file *b = &bad_files[i];
        if (b->raw) write_bytes(path, b->raw, b->raw_len);
        else write_st(path, b->header, 1, b->data, b->data_len);
        nn_error err = {{0}};
        nn_st_reader *r = nn_st_open(path, &err);
        if (!b->read) {
            if (r) {
                print_error("%s: opened, but should fail with \"%s\"\n", b->what, b->expect);
                fail();
            }
        } else {
            if (!r) {
                print_error("%s: should open, but: %s\n", b->what, err.msg);
                fail();
            }
            float dst[4] = {-1, -1, -1, -1};
            size_t shape[] = {4};
            assert_int_equal(nn_st_read_f32(r, b->read, shape, 1, dst, &err), -1);
            for (int k = 0; k < 4; k++) assert_true(dst[k] == -1.0f); /* dst untouched */
            nn_st_close(r);
        }
        expect_msg(err.msg, path, b->expect, b->what);
    }
}

/* A header length just over NN_ST_MAX_HEADER in a (sparse) file that is long enough. */
static void test_header_over_limit(void **state) {
    char path[4096];
    join(path, *state, "big.safetensors");
    unsigned long long hlen = NN_ST_MAX_HEADER + 1ull;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(hlen >> (8 * i));
    write_bytes(path, len8, 8);
    assert_int_equal(truncate(path, (off_t)(8 + hlen)), 0);
    nn_error err = {{0}};
    assert_null(nn_st_open(path, &err));
    expect_msg(err.msg, path, "header length 67108865 is larger than the limit of 67108864 bytes",
               "header over limit");
}

/* Missing files and directories fail with the system's words. */
static void test_open_missing(void **state) {
    char path[4096], want[4200];
    join(path, *state, "nothere.safetensors");
    nn_error err = {{0}};
    assert_null(nn_st_open(path, &err));
    snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_null(nn_st_open(*state, &err));
    snprintf(want, sizeof want, "%s: %s", (const char *)*state, strerror(EISDIR));
    assert_string_equal(err.msg, want);
    assert_null(nn_st_open(path, NULL)); /* a NULL err is fine */
}

/* ---- writing: failures leave no trace ------------------------------------------------ */

static const float old_data[2] = {1.0f, 2.0f};

/* Writes the "old" file that failed writes must not touch; returns its bytes. */
static unsigned char *write_old(const char *path, size_t *n) {
    nn_st_entry e = {"old", 1, {2}, old_data};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, &e, 1, NULL, NULL, 0, &err), 0);
    return read_bytes(path, n);
}

/* Fails unless path still holds exactly want (n bytes). */
static void expect_unchanged(const char *path, const unsigned char *want, size_t n) {
    size_t got_n;
    unsigned char *got = read_bytes(path, &got_n);
    assert_int_equal(got_n, n);
    assert_memory_equal(got, want, n);
    free(got);
}

static void test_write_missing_dir(void **state) {
    char path[4096], want[4200];
    join(path, *state, "nodir/out.safetensors");
    nn_st_entry e = {"w", 1, {2}, old_data};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, &e, 1, NULL, NULL, 0, &err), -1);
    snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_int_equal(count_entries(*state), 0);
}

/* The rename fails when path is a directory: the temp file must go. */
static void test_write_rename_fails(void **state) {
    char path[4096];
    join(path, *state, "out.safetensors");
    assert_int_equal(mkdir(path, 0755), 0);
    nn_st_entry e = {"w", 1, {2}, old_data};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, &e, 1, NULL, NULL, 0, &err), -1);
    expect_msg(err.msg, path, strerror(EISDIR), "rename over a directory");
    assert_int_equal(count_entries(*state), 1);
    assert_int_equal(count_entries(path), 0);
}

/* A write that fails half way (file size limit) keeps the old file and removes the temp. */
static void test_write_fails_midway(void **state) {
    char path[4096];
    join(path, *state, "out.safetensors");
    size_t old_n;
    unsigned char *old = write_old(path, &old_n);

    size_t n = 1 << 16;
    float *big = calloc(n, sizeof *big);
    assert_non_null(big);
    nn_st_entry e = {"big", 1, {n}, big};
    struct rlimit saved, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    lim = saved;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    nn_error err = {{0}};
    int rc = nn_st_write(path, &e, 1, NULL, NULL, 0, &err);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -1);
    expect_msg(err.msg, path, strerror(EFBIG), "write past the file size limit");
    assert_int_equal(count_entries(*state), 1);
    expect_unchanged(path, old, old_n);
    free(big);
    free(old);
}

/* Bad input is refused before anything is written. */
static void test_write_rejects_bad_input(void **state) {
    char path[4096];
    join(path, *state, "out.safetensors");
    size_t old_n;
    unsigned char *old = write_old(path, &old_n);
    float nan3[3] = {0.0f, 1.0f, NAN};
    struct {
        nn_st_entry e[2];
        size_t n;
        const char *expect;
    } cases[] = {
        {{{"x", 1, {3}, nan3}}, 1, "tensor 'x' holds a non-finite value at index 2"},
        {{{"x", 1, {2}, old_data}, {"x", 1, {2}, old_data}}, 2, "tensor 'x' appears more than once"},
        {{{"__metadata__", 1, {2}, old_data}}, 1, "entry 0 has no usable tensor name"},
        {{{"x", 9, {1}, old_data}}, 1, "tensor 'x' has 9 dimensions"},
        {{{"x", 1, {2}, NULL}}, 1, "tensor 'x' has no data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nn_error err = {{0}};
        assert_int_equal(nn_st_write(path, cases[i].e, cases[i].n, NULL, NULL, 0, &err), -1);
        expect_msg(err.msg, path, cases[i].expect, cases[i].expect);
    }
    const char *keys[] = {"k", "k"}, *vals[] = {"a", "b"};
    nn_st_entry ok = {"x", 1, {2}, old_data};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, &ok, 1, keys, vals, 2, &err), -1);
    expect_msg(err.msg, path, "metadata key 'k' appears more than once", "duplicate metadata");
    assert_int_equal(count_entries(*state), 1);
    expect_unchanged(path, old, old_n);
    free(old);
}

/* A successful write over an existing file replaces it. */
static void test_write_replaces(void **state) {
    char path[4096];
    join(path, *state, "out.safetensors");
    size_t old_n;
    free(write_old(path, &old_n));
    float v[3] = {7.0f, 8.0f, 9.0f};
    nn_st_entry e = {"new", 1, {3}, v};
    nn_error err = {{0}};
    assert_int_equal(nn_st_write(path, &e, 1, NULL, NULL, 0, &err), 0);
    assert_int_equal(count_entries(*state), 1);
    nn_st_reader *r = nn_st_open(path, &err);
    assert_non_null(r);
    assert_int_equal(nn_st_count(r), 1);
    assert_null(nn_st_find(r, "old"));
    float got[3];
    size_t shape[] = {3};
    assert_int_equal(nn_st_read_f32(r, "new", shape, 1, got, &err), 0);
    check_close(got, v, 3, 0, 0);
    nn_st_close(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_other_dtypes_and_unaligned, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_read_f32_mismatch, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_corrupted_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_header_over_limit, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_open_missing, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_write_missing_dir, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_write_rename_fails, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_write_fails_midway, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_write_rejects_bad_input, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_write_replaces, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

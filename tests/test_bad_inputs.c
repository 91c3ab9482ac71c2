/* test_bad_inputs.c — a catalogue of bad inputs (issue 8, point 2): each row makes a broken
 * model, image, captions file, checkpoint or output path in a temp folder, runs the xcap
 * program ($XCAP_BINARY) on it from that folder, and wants the exact one-line message on
 * stderr and the exit code; after every row the temp folder outside out/ is unchanged (a
 * listing of names, sizes, modes and mtimes) and /dev/full is still a device. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "model/batch.h"
#include "tests/util/check.h"
#include "tests/util/run.h"

#define MODEL_REL "tests/fixtures/tiny_weights.safetensors"
#define PNG_REL "examples/one-object.png"
#define M "m.safetensors" /* the good fixture model, copied into the temp folder */

/* One row: the command (run in the temp folder, "xcap" prepended), the whole expected
 * stderr line without its "\n", the exit code; stdout_to sends stdout to a file, fsize
 * (bytes) is an RLIMIT_FSIZE for the run, so that writes fail as on a full disk. */
typedef struct {
    const char *argv[16];
    const char *msg;
    int code;
    const char *stdout_to;
    long fsize;
} bad_case;

static const bad_case CASES[] = {
    /* model files: caption --model FILE */
    {{"caption", "--model", "empty.safetensors", "ok.png"},
     "xcap caption: empty.safetensors: not a safetensors file (too short)", 1, NULL, 0},
    {{"caption", "--model", "short.safetensors", "ok.png"},
     "xcap caption: short.safetensors: not a safetensors file (too short)", 1, NULL, 0},
    {{"caption", "--model", "zip.safetensors", "ok.png"},
     "xcap caption: zip.safetensors: header length 67324752 is past the end of the file (213032 bytes)", 1, NULL, 0},
    {{"caption", "--model", "ok.png", "ok.png"}, NULL, 1, NULL, 0}, /* message filled in by learn() */
    {{"caption", "--model", "no\x1b[31mmodel\n.safetensors", "ok.png"},
     "xcap caption: no?[31mmodel?.safetensors: No such file or directory", 1, NULL, 0},
    {{"caption", "--model", "hlen.safetensors", "ok.png"},
     "xcap caption: hlen.safetensors: header length 1000000 is past the end of the file (213025 bytes)", 1, NULL, 0},
    {{"caption", "--model", "junk.safetensors", "ok.png"},
     "xcap caption: junk.safetensors: header is not valid JSON (error near byte 2 of 10)", 1, NULL, 0},
    {{"caption", "--model", "trunc.safetensors", "ok.png"},
     "xcap caption: trunc.safetensors: tensor 'dec.pos' data_offsets [98944,99968] are past the end of "
     "the data block (99008 bytes)", 1, NULL, 0},
    {{"caption", "--model", "overlap.safetensors", "ok.png"},
     "xcap caption: overlap.safetensors: tensor 'enc.patch.w' data_offsets [0,24576] overlap tensor "
     "'enc.patch.b'", 1, NULL, 0},
    {{"caption", "--model", "range.safetensors", "ok.png"},
     "xcap caption: range.safetensors: tensor 'dec.head.b' data_offsets [205440,205920] are past the end "
     "of the data block (205520 bytes)", 1, NULL, 0},
    {{"caption", "--model", "nan.safetensors", "ok.png"},
     "xcap caption: nan.safetensors: tensor 'enc.patch.b' holds a non-finite value at index 0", 1, NULL, 0},
    {{"caption", "--model", "inf.safetensors", "ok.png"},
     "xcap caption: inf.safetensors: tensor 'enc.patch.w' holds a non-finite value at index 0", 1, NULL, 0},
    {{"caption", "--model", "shape.safetensors", "ok.png"},
     "xcap caption: shape.safetensors: tensor 'enc.patch.w' has shape [192,32], expected [32,192]", 1, NULL, 0},
    {{"caption", "--model", "dtype.safetensors", "ok.png"},
     "xcap caption: dtype.safetensors: tensor 'enc.patch.b' holds 128 bytes, but shape [32] of F16 needs 64", 1, NULL, 0},
    {{"caption", "--model", "missing.safetensors", "ok.png"},
     "xcap caption: missing.safetensors: tensor 'enc.pos' is missing", 1, NULL, 0},
    {{"caption", "--model", "count.safetensors", "ok.png"},
     "xcap caption: count.safetensors: metadata 'd_model' = '99999999999999999999' is not a count", 1, NULL, 0},
    {{"caption", "--model", "vocab.safetensors", "ok.png"},
     "xcap caption: vocab.safetensors: vocabulary is too large or out of memory at entry 1000000", 1, NULL, 0},
    {{"caption", "--model", "nofile.safetensors", "ok.png"},
     "xcap caption: nofile.safetensors: No such file or directory", 1, NULL, 0},
    /* images: caption --model M IMAGE */
    {{"caption", "--model", M, "zero.png"}, "xcap caption: zero.png: image is 0x0, it has no pixels", 1, NULL, 0},
    {{"caption", "--model", M, "huge.png"},
     "xcap caption: huge.png: image is 100000x100000, larger than the limit of 16384 pixels a side and "
     "100000000 pixels", 1, NULL, 0},
    {{"caption", "--model", M, "wide.png"},
     "xcap caption: wide.png: image is 16385x1, larger than the limit of 16384 pixels a side and "
     "100000000 pixels", 1, NULL, 0},
    {{"caption", "--model", M, "empty.png"}, "xcap caption: empty.png: not a supported image (unknown image type)", 1, NULL, 0},
    {{"caption", "--model", M, "cut.png"}, "xcap caption: cut.png: cannot decode image (outofdata)", 1, NULL, 0},
    {{"caption", "--model", M, "text.png"}, "xcap caption: text.png: not a supported image (unknown image type)", 1, NULL, 0},
    {{"caption", "--model", M, "gray.pgm"},
     "xcap caption: gray.pgm: not a supported image (PNM files are refused; use PNG, JPEG, BMP, GIF or TGA)", 1, NULL, 0},
    {{"caption", "--model", M, "no\xffpe\nx\a.png"},
     "xcap caption: no\xffpe?x?.png: No such file or directory", 1, NULL, 0},
    {{"caption", "--model", M, "--quiet", "--json", "out/c.json", "bad\xfe\xffname.png"}, "", 0, NULL, 0},
    /* captions JSON: eval --model M --data FILE */
    {{"eval", "--model", M, "--data", "emptycap.json"}, "xcap eval: emptycap.json: annotations[0] has an empty caption", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "hugecap.json"},
     "xcap eval: hugecap.json: annotations[0]: caption is 3000 bytes, over the limit of 1000", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "badutf.json"},
     "xcap eval: badutf.json: annotations[0]: caption is not valid UTF-8", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "up.json"},
     "xcap eval: up.json: images[0]: file_name '../ok.png' is going up with '..'; refused, as it would read "
     "outside the image folder", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "abs.json"},
     "xcap eval: abs.json: images[0]: file_name '/etc/passwd' is absolute; refused, as it would read outside "
     "the image folder", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "ctrl.json"}, "xcap eval: ./a?b?.png: No such file or directory (image id 1)", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "cutj.json"}, "xcap eval: cutj.json: not valid JSON near byte 10", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "emptyj.json"}, "xcap eval: emptyj.json: not valid JSON near byte 0", 1, NULL, 0},
    {{"eval", "--model", M, "--data", "orphan.json"},
     "xcap eval: orphan.json: annotations[0] refers to image_id 7, which is not in images[]", 1, NULL, 0},
    /* outputs that cannot be written */
    {{"caption", "--model", M, "--quiet", "--json", "/dev/full", "ok.png"},
     "xcap caption: /dev/full: not a regular file; refused, as the write would replace it", 1, NULL, 0},
    {{"caption", "--model", M, "--quiet", "--json", "afile/c.json", "ok.png"},
     "xcap caption: afile/c.json: cannot create (Not a directory)", 1, NULL, 0},
    {{"caption", "--model", M, "--quiet", "--overlays", "afile/ov", "ok.png"},
     "xcap caption: afile/ov: cannot create folder (Not a directory)", 1, NULL, 0},
    {{"caption", "--model", M, "--quiet", "--html", "afile/h", "ok.png"},
     "xcap caption: afile/h: cannot create folder (Not a directory)", 1, NULL, 0},
    {{"caption", "--model", M, "--quiet", "ok.png"}, "xcap caption: stdout: a write failed (is the disk full?)", 1,
     "/dev/full", 0},
    {{"caption", "--model", M, "--quiet", "--json", "out/c.json", "ok.png"},
     "xcap caption: out/c.json: cannot write (File too large)", 1, NULL, 1000},
    {{"eval", "--model", M, "--count", "2", "--json", "/dev/full"},
     "xcap eval: /dev/full: not a regular file; refused, as the write would replace it", 1, NULL, 0},
    {{"scenes", "--count", "1", "--seed", "1", "--split", "train", "--out", "afile/s"},
     "xcap scenes: afile/s: cannot create directory: Not a directory", 1, NULL, 0},
    {{"train", "--steps", "1", "--out", "nodir/m.safetensors"},
     "xcap train: nodir/m.safetensors: cannot write there (No such file or directory)", 1, NULL, 0},
    {{"train", "--steps", "1", "--out", "afile/m.safetensors"},
     "xcap train: afile/m.safetensors: cannot write there (Not a directory)", 1, NULL, 0},
    {{"train", "--steps", "1", "--out", "/dev/full"},
     "xcap train: /dev/full: not a regular file; refused, as the write would replace it", 1, NULL, 0},
    {{"train", "--steps", "1", "--out", "out/m.safetensors", "--checkpoint", "afile/c.ckpt"},
     "xcap train: afile/c.ckpt: cannot write there (Not a directory)", 1, NULL, 0},
    /* checkpoints: train --resume FILE */
    {{"train", "--resume", M, "--out", "out/r.safetensors"},
     "xcap train: m.safetensors: not a training checkpoint (metadata 'train_state' missing or malformed)", 1, NULL, 0},
    {{"train", "--resume", "state.ckpt", "--out", "out/r.safetensors"},
     "xcap train: state.ckpt: not a training checkpoint (metadata 'train_state' missing or malformed)", 1, NULL, 0},
    {{"train", "--resume", "step.ckpt", "--out", "out/r.safetensors"},
     "xcap train: step.ckpt: not a training checkpoint (metadata 'train_state' missing or malformed)", 1, NULL, 0},
    {{"train", "--resume", "seed.ckpt", "--out", "out/r.safetensors"},
     "xcap train: seed.ckpt: not a training checkpoint (metadata 'train_state' missing or malformed)", 1, NULL, 0},
    {{"train", "--resume", "trunc.safetensors", "--out", "out/r.safetensors"},
     "xcap train: trunc.safetensors: tensor 'dec.pos' data_offsets [98944,99968] are past the end of the "
     "data block (99008 bytes)", 1, NULL, 0},
    {{"train", "--resume", "empty.safetensors", "--out", "out/r.safetensors"},
     "xcap train: empty.safetensors: not a safetensors file (too short)", 1, NULL, 0},
    {{"train", "--resume", "nofile.ckpt", "--out", "out/r.safetensors"},
     "xcap train: nofile.ckpt: No such file or directory", 1, NULL, 0},
};
#define N_CASES (sizeof CASES / sizeof *CASES)

/* ---- making the inputs ---------------------------------------------------------------- */

static char *g_dir;

static void put_file(const char *name, const void *data, size_t len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void put_text(const char *name, const char *text) { put_file(name, text, strlen(text)); }

/* The whole file at path (fails the test when unreadable); its length in *len. */
static unsigned char *read_whole(const char *path, size_t *len) {
    char *b = read_text(path, len);
    assert_non_null(b);
    return (unsigned char *)b;
}

/* The fixture model split into its header (parsed) and data block. */
static unsigned char *g_model;
static size_t g_model_len, g_hlen;

static cJSON *model_header(void) {
    cJSON *h = cJSON_ParseWithLength((const char *)g_model + 8, g_hlen);
    assert_non_null(h);
    return h;
}

/* Writes a safetensors file: header h (freed; its length field is hlen_field when not 0),
 * then the fixture's data block of which the first data_len bytes (patched by patch). */
static void put_model(const char *name, cJSON *h, unsigned long long hlen_field, size_t data_len,
                      size_t patch_at, float patch) {
    char *js = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    assert_non_null(js);
    size_t jl = strlen(js), dl = g_model_len - 8 - g_hlen;
    if (data_len < dl) dl = data_len;
    size_t total = 8 + jl + dl;
    unsigned char *b = malloc(total);
    assert_non_null(b);
    unsigned long long n = hlen_field ? hlen_field : jl;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(n >> (8 * i));
    memcpy(b + 8, js, jl);
    memcpy(b + 8 + jl, g_model + 8 + g_hlen, dl);
    if (patch_at != (size_t)-1) memcpy(b + 8 + jl + patch_at, &patch, 4);
    put_file(name, b, total);
    free(b);
    cJSON_free(js);
}

#define WHOLE ((size_t)-1)
#define NO_PATCH ((size_t)-1)

static cJSON *tensor(cJSON *h, const char *name) {
    cJSON *t = cJSON_GetObjectItemCaseSensitive(h, name);
    assert_non_null(t);
    return t;
}

static void set_offsets(cJSON *t, double a, double b) {
    cJSON_ReplaceItemInObjectCaseSensitive(t, "data_offsets", cJSON_CreateDoubleArray((double[]){a, b}, 2));
}

static void set_meta(cJSON *h, const char *key, const char *value) {
    cJSON *meta = tensor(h, "__metadata__");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
    assert_non_null(cJSON_AddStringToObject(meta, key, value));
}

/* A PNG of w x h made by hand (stb refuses to write the sizes wanted here): the signature, an
 * IHDR, an empty IDAT and IEND; the CRCs are not checked before the size is. */
static void put_png_header(const char *name, unsigned w, unsigned h) {
    unsigned char b[8 + 25 + 12 + 12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                         'I', 'H', 'D', 'R'};
    unsigned char *p = b + 16;
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(w >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) p[4 + i] = (unsigned char)(h >> (24 - 8 * i));
    p[8] = 8;
    p[9] = 2;
    memcpy(b + 33, "\0\0\0\0IDAT\0\0\0\0", 12);
    memcpy(b + 45, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    put_file(name, b, sizeof b);
}

static void put_dataset(const char *name, const char *file_name, const char *caption_json) {
    char buf[8192];
    snprintf(buf, sizeof buf,
             "{\"images\":[{\"id\":1,\"file_name\":\"%s\"}],\"annotations\":[{\"image_id\":1,\"caption\":%s}]}",
             file_name, caption_json);
    put_text(name, buf);
}

static void make_inputs(void) {
    size_t n;
    unsigned char *png = read_whole(source_path(PNG_REL), &n);
    put_file("ok.png", png, n);
    put_file("bad\xfe\xffname.png", png, n);
    put_file("cut.png", png, 300);
    free(png);
    put_file(M, g_model, g_model_len);
    put_text("empty.safetensors", "");
    put_file("short.safetensors", g_model, 5);
    unsigned char *zip = malloc(g_model_len);
    assert_non_null(zip);
    memcpy(zip, g_model, g_model_len);
    memcpy(zip, "PK\x03\x04", 4);
    put_file("zip.safetensors", zip, g_model_len);
    free(zip);
    put_file("junk.safetensors", "\x0a\0\0\0\0\0\0\0{not json}", 18);
    put_model("hlen.safetensors", model_header(), 1000000, WHOLE, NO_PATCH, 0);
    put_model("trunc.safetensors", model_header(), 0, 99008, NO_PATCH, 0);
    cJSON *h = model_header();
    set_offsets(tensor(h, "enc.patch.b"), 0, 128);
    put_model("overlap.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    h = model_header();
    set_offsets(tensor(h, "dec.head.b"), 205440, 205920);
    put_model("range.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    put_model("nan.safetensors", model_header(), 0, WHOLE, 24576, NAN);
    put_model("inf.safetensors", model_header(), 0, WHOLE, 0, INFINITY);
    h = model_header();
    cJSON_ReplaceItemInObjectCaseSensitive(tensor(h, "enc.patch.w"), "shape",
                                           cJSON_CreateIntArray((int[]){192, 32}, 2));
    put_model("shape.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    h = model_header();
    cJSON_ReplaceItemInObjectCaseSensitive(tensor(h, "enc.patch.b"), "dtype", cJSON_CreateString("F16"));
    put_model("dtype.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    h = model_header();
    cJSON_DeleteItemFromObjectCaseSensitive(h, "enc.pos");
    put_model("missing.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    h = model_header();
    set_meta(h, "d_model", "99999999999999999999");
    put_model("count.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    /* a vocabulary of 1,100,000 words, past the limit of 1,000,000 */
    size_t cap = 1100000 * 9 + 64, len = 0;
    char *words = malloc(cap);
    assert_non_null(words);
    len += (size_t)snprintf(words, cap, "<pad>\n<bos>\n<eos>\n<unk>");
    for (int i = 0; i < 1100000; i++) len += (size_t)snprintf(words + len, cap - len, "\nw%d", i);
    h = model_header();
    set_meta(h, "vocab", words);
    free(words);
    put_model("vocab.safetensors", h, 0, WHOLE, NO_PATCH, 0);
    h = model_header();
    set_meta(h, "train_state", "step=banana");
    put_model("state.ckpt", h, 0, WHOLE, NO_PATCH, 0);
    /* a step past 2^64 and a seed of -1 (sscanf's %ld and %lu took both) */
    static const char *const states[2][2] = {
        {"step.ckpt", "step=99999999999999999999 steps=40 warmup=0 batch=4 lr=0.001 lr_min=0 wd=0 "
                      "clip=1 beta1=0.9 beta2=0.999 eps=1e-08 seed=3 max_objects=3"},
        {"seed.ckpt", "step=5 steps=40 warmup=0 batch=4 lr=0.001 lr_min=0 wd=0 clip=1 beta1=0.9 "
                      "beta2=0.999 eps=1e-08 seed=-1 max_objects=3"}};
    for (int i = 0; i < 2; i++) {
        h = model_header();
        set_meta(h, "train_state", states[i][1]);
        put_model(states[i][0], h, 0, WHOLE, NO_PATCH, 0);
    }

    put_png_header("zero.png", 0, 0);
    put_png_header("huge.png", 100000, 100000);
    put_png_header("wide.png", 16385, 1);
    put_text("empty.png", "");
    put_text("text.png", "hello, not an image\n");
    put_file("gray.pgm", "P5 4 4 255\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 27);

    char huge[3100];
    huge[0] = '"';
    memset(huge + 1, 'a', 3000);
    strcpy(huge + 3001, "\"");
    put_dataset("emptycap.json", "ok.png", "\"  \"");
    put_dataset("hugecap.json", "ok.png", huge);
    put_dataset("badutf.json", "ok.png", "\"a \xff\xfe red\"");
    put_dataset("up.json", "../ok.png", "\"a red\"");
    put_dataset("abs.json", "/etc/passwd", "\"a red\"");
    put_dataset("ctrl.json", "a\\nb\\u0007.png", "\"a red\"");
    put_text("cutj.json", "{\"images\":[");
    put_text("emptyj.json", "");
    put_text("orphan.json",
             "{\"images\":[{\"id\":1,\"file_name\":\"ok.png\"}],\"annotations\":[{\"image_id\":7,\"caption\":\"a\"}]}");
    put_text("afile", "a file where a folder is wanted\n");
    char out[4200];
    snprintf(out, sizeof out, "%s/out", g_dir);
    assert_int_equal(mkdir(out, 0755), 0);
}

/* ---- running and checking ------------------------------------------------------------- */

/* Appends one line per entry under dir (recursively, out/ left out): path, mode, size, mtime. */
static void listing(const char *dir, const char *rel, char **buf, size_t *len, size_t *cap) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (!*rel && !strcmp(e->d_name, "out")) continue;
        char path[4200], r[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(r, sizeof r, "%s%s/", rel, e->d_name);
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        if (*cap - *len < 8400) *buf = realloc(*buf, *cap *= 2);
        assert_non_null(*buf);
        *len += (size_t)snprintf(*buf + *len, *cap - *len, "%s %o %lld %lld.%09ld\n", r, (unsigned)st.st_mode,
                                 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (S_ISDIR(st.st_mode)) listing(path, r, buf, len, cap);
    }
    closedir(d);
}

static char *snapshot(void) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    listing(g_dir, "", &buf, &len, &cap);
    return buf;
}

/* Runs row c in g_dir (stdout to /dev/null unless the row says); returns its stderr
 * (malloc'd) and sets *code (-1 when killed). */
static char *run_case(const bad_case *c, int *code) {
    const char *bin = getenv("XCAP_BINARY");
    assert_non_null(bin);
    char *argv[20];
    size_t n = 0;
    argv[n++] = (char *)bin;
    for (size_t i = 0; c->argv[i]; i++) argv[n++] = (char *)c->argv[i];
    argv[n] = NULL;
    run_opts o = {g_dir, c->stdout_to ? c->stdout_to : "/dev/null", c->fsize};
    run_result r = run_argv(argv, &o);
    *code = r.code;
    free(r.out);
    return r.err;
}

static void show(const char *label, const bad_case *c) {
    fprintf(stderr, "%s: xcap", label);
    for (size_t i = 0; c->argv[i]; i++) fprintf(stderr, " %s", c->argv[i]);
    fprintf(stderr, "\n");
}

static void test_catalogue(void **state) {
    (void)state;
    assert_true(N_CASES >= 30);
    int failed = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        const bad_case *c = &CASES[i];
        char *before = snapshot();
        int code;
        char *err = run_case(c, &code);
        char *after = snapshot();
        char want[2048];
        const char *msg = c->msg;
        char model_msg[512];
        if (!msg) { /* a PNG given as the model: its first 8 bytes read as a header length */
            unsigned long long hl = 0;
            const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            for (int k = 0; k < 8; k++) hl |= (unsigned long long)sig[k] << (8 * k);
            char p[4200];
            snprintf(p, sizeof p, "%s/ok.png", g_dir);
            struct stat st;
            assert_int_equal(stat(p, &st), 0);
            snprintf(model_msg, sizeof model_msg,
                     "xcap caption: ok.png: header length %llu is past the end of the file (%lld bytes)", hl,
                     (long long)st.st_size);
            msg = model_msg;
        }
        snprintf(want, sizeof want, "%s%s", msg, *msg ? "\n" : "");
        struct stat full;
        int dev_ok = stat("/dev/full", &full) == 0 && S_ISCHR(full.st_mode);
        if (strcmp(err, want) != 0 || code != c->code || strcmp(before, after) != 0 || !dev_ok) {
            show("FAILED", c);
            fprintf(stderr, "  exit %d (want %d)\n  stderr: %s  want:   %s", code, c->code, err, want);
            if (strcmp(before, after) != 0)
                fprintf(stderr, "  the temp folder changed outside out/:\n--- before\n%s--- after\n%s", before, after);
            if (!dev_ok) fprintf(stderr, "  /dev/full is no longer a device\n");
            failed++;
        }
        free(before);
        free(after);
        free(err);
    }
    if (failed) fprintf(stderr, "%d of %zu rows failed\n", failed, N_CASES);
    assert_int_equal(failed, 0);
}

/* The row with a non-UTF-8 image name wrote valid UTF-8 JSON naming it with U+FFFD. */
static void test_bad_name_json(void **state) {
    (void)state;
    char p[4200];
    snprintf(p, sizeof p, "%s/out/c.json", g_dir);
    size_t len;
    char *txt = (char *)read_whole(p, &len);
    cJSON *j = cJSON_Parse(txt);
    assert_non_null(j);
    const cJSON *img = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "images"), 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(img, "file")), "bad\xef\xbf\xbd\xef\xbf\xbdname.png");
    cJSON_Delete(j);
    free(txt);
}

/* A config every check passes but whose buffers for 4096 images overflow a size_t of bytes
 * (4096 x 8192 heads x 65536^2 attention scores) is refused by the arena bound that
 * xcap_batch_create and xcap_context_create check first; the S preset is not. */
static void test_arena_bound(void **state) {
    (void)state;
    xcap_config cfg;
    nn_error err;
    size_t floats;
    assert_int_equal(xcap_config_preset(&cfg, "S", &err), 0);
    cfg.vocab_size = 64;
    assert_int_equal(xcap_arena_bound(&cfg, 4096, &floats), 0);
    cfg.image_w = cfg.image_h = 4096;
    cfg.patch = 16;
    cfg.d_model = cfg.n_heads = 8192;
    assert_int_equal(xcap_config_validate(&cfg, &err), 0);
    assert_int_equal(xcap_arena_bound(&cfg, 1, &floats), 0);
    assert_int_equal(xcap_arena_bound(&cfg, 4096, &floats), -1);
}

static int setup(void **state) {
    (void)state;
    g_dir = make_temp_dir();
    g_model = read_whole(source_path(MODEL_REL), &g_model_len);
    for (int i = 0; i < 8; i++) g_hlen |= (size_t)g_model[i] << (8 * i);
    make_inputs();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    remove_tree(g_dir);
    free(g_dir);
    free(g_model);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_bad_name_json),
        cmocka_unit_test(test_arena_bound),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

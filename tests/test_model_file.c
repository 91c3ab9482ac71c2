/* test_model_file.c — the model file: a save/load round trip keeps weights, config and
 * vocabulary; a bad file is refused with one line naming the file, tensor and problem;
 * saving never leaves a temporary file or a half-written model behind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model.h"
#include "tests/util/check.h"
#include "tests/util/fixture.h"

/* Copies the fixture model to path, with tensor `name` replaced by (shape, data) or
 * dropped (shape NULL), and metadata key `drop_meta` left out. */
static void write_variant(const char *path, const char *name, const size_t *shape, int ndim,
                          const float *data, const char *drop_meta) {
    nn_error err;
    nn_st_reader *r = nn_st_open(source_path("tests/fixtures/tiny_weights.safetensors"), &err);
    assert_non_null(r);
    size_t n = nn_st_count(r), k = 0;
    nn_st_entry *e = calloc(n, sizeof *e);
    float **copies = calloc(n, sizeof *copies);
    for (size_t i = 0; i < n; i++) {
        const nn_st_tensor *t = nn_st_at(r, i);
        if (name && strcmp(t->name, name) == 0) {
            if (!shape) continue;
            e[k] = (nn_st_entry){t->name, ndim, {0}, data};
            for (int j = 0; j < ndim; j++) e[k].shape[j] = shape[j];
            k++;
            continue;
        }
        copies[i] = malloc(t->nbytes ? t->nbytes : 1);
        memcpy(copies[i], t->data, t->nbytes);
        e[k] = (nn_st_entry){t->name, t->ndim, {0}, copies[i]};
        for (int j = 0; j < t->ndim; j++) e[k].shape[j] = t->shape[j];
        k++;
    }
    static const char *keys[] = {"image_w", "image_h", "patch", "d_model", "n_heads",
                                 "enc_layers", "dec_layers", "d_ff", "max_tokens", "vocab"};
    const char *mk[10], *mv[10];
    size_t nm = 0;
    for (size_t i = 0; i < 10; i++) {
        if (drop_meta && strcmp(keys[i], drop_meta) == 0) continue;
        mk[nm] = keys[i];
        mv[nm++] = nn_st_meta(r, keys[i]);
    }
    if (nn_st_write(path, e, k, mk, mv, nm, &err) != 0) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++) free(copies[i]);
    free(copies);
    free(e);
    nn_st_close(r);
}

/* Loads path expecting failure with a message that starts with path and contains want. */
static void expect_refused(const char *path, const char *want) {
    nn_error err;
    xcap_model *m = xcap_model_load_file(path, &err);
    if (m) {
        xcap_model_free(m);
        fail_msg("%s loaded, expected '%s'", path, want);
    }
    assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
    if (!strstr(err.msg, want)) fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_null(strchr(err.msg, '\n'));
}

static void test_round_trip(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    xcap_model *a = fixture_model();
    a->n_align = 2;
    a->align_layer[0] = 1; a->align_head[0] = 0;
    a->align_layer[1] = 1; a->align_head[1] = 1;
    nn_error err;
    assert_int_equal(xcap_model_save_file(a, path, &err), 0);
    xcap_model *b = xcap_model_load_file(path, &err);
    if (!b) fail_msg("%s", err.msg);
    assert_memory_equal(&a->cfg, &b->cfg, sizeof a->cfg);
    assert_int_equal(a->layout.total, b->layout.total);
    assert_memory_equal(a->params, b->params, a->layout.total * sizeof(float));
    assert_int_equal(b->vocab.size, a->vocab.size);
    for (size_t i = 0; i < a->vocab.size; i++) assert_string_equal(a->vocab.words[i], b->vocab.words[i]);
    assert_int_equal(b->n_align, 2);
    assert_int_equal(b->align_layer[1], 1);
    assert_int_equal(b->align_head[1], 1);
    xcap_model_free(a);
    xcap_model_free(b);
    remove_tree(dir);
    free(dir);
}

/* A model with the edge channel keeps it through save and load (config and enc.edge.w);
 * the fixture, written before the channel existed, loads with it off. */
static void test_edge_channel_round_trip(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/edges.safetensors", dir);
    xcap_model *base = fixture_model();
    assert_int_equal(base->cfg.edge_features, 0);
    xcap_config cfg = base->cfg;
    cfg.edge_features = 1;
    txt_vocab vocab;
    nn_error err;
    char *words = txt_vocab_join(&base->vocab);
    assert_int_equal(txt_vocab_from_lines(&vocab, words, &err), 0);
    free(words);
    xcap_model *a = xcap_model_create(&cfg, &vocab, 5, &err);
    if (!a) fail_msg("%s", err.msg);
    assert_true(a->layout.total == base->layout.total + cfg.d_model * cfg.patch * cfg.patch);
    assert_int_equal(xcap_model_save_file(a, path, &err), 0);
    xcap_model *b = xcap_model_load_file(path, &err);
    if (!b) fail_msg("%s", err.msg);
    assert_int_equal(b->cfg.edge_features, 1);
    assert_memory_equal(a->params, b->params, a->layout.total * sizeof(float));
    xcap_model_free(a);
    xcap_model_free(b);
    xcap_model_free(base);
    remove_tree(dir);
    free(dir);
}

static void test_wrong_shape_is_named(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    float data[32 * 16] = {0};
    size_t shape[2] = {32, 16};
    write_variant(path, "dec.0.xattn.wq", shape, 2, data, NULL);
    expect_refused(path, "tensor 'dec.0.xattn.wq' has shape [32,16], expected [32,32]");
    remove_tree(dir);
    free(dir);
}

static void test_missing_tensor_is_named(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    write_variant(path, "enc.1.mlp.fc.b", NULL, 0, NULL, NULL);
    expect_refused(path, "tensor 'enc.1.mlp.fc.b' is missing");
    remove_tree(dir);
    free(dir);
}

static void test_non_finite_weight_is_named(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    float data[32];
    for (int i = 0; i < 32; i++) data[i] = 1.0f;
    /* the writer refuses NaN, so write a marker value and patch the file's bytes */
    data[7] = 12345.0f;
    size_t shape[1] = {32};
    write_variant(path, "dec.ln.w", shape, 1, data, NULL);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *bytes = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
    float marker = 12345.0f, nan = NAN;
    long at = -1;
    for (long i = 0; i + 4 <= size && at < 0; i++)
        if (memcmp(bytes + i, &marker, 4) == 0) at = i;
    assert_true(at > 0);
    fseek(f, at, SEEK_SET);
    fwrite(&nan, 4, 1, f);
    free(bytes);
    fclose(f);
    expect_refused(path, "tensor 'dec.ln.w' holds a non-finite value at index 7");
    remove_tree(dir);
    free(dir);
}

static void test_missing_metadata_is_named(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    write_variant(path, NULL, NULL, 0, NULL, "d_model");
    expect_refused(path, "metadata 'd_model' is missing");
    write_variant(path, NULL, NULL, 0, NULL, "vocab");
    expect_refused(path, "metadata 'vocab' is missing");
    remove_tree(dir);
    free(dir);
}

static void test_not_a_model(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/junk.safetensors", dir);
    FILE *f = fopen(path, "wb");
    fputs("this is not a model", f);
    fclose(f);
    expect_refused(path, "header length");
    snprintf(path, sizeof path, "%s/absent.safetensors", dir);
    expect_refused(path, "No such file or directory");
    remove_tree(dir);
    free(dir);
}

static void test_save_is_atomic(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512], bad[512];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    xcap_model *a = fixture_model();
    nn_error err;
    assert_int_equal(xcap_model_save_file(a, path, &err), 0);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    /* saving into a missing folder fails and touches nothing */
    snprintf(bad, sizeof bad, "%s/missing/m.safetensors", dir);
    assert_int_equal(xcap_model_save_file(a, bad, &err), -1);
    assert_non_null(strstr(err.msg, bad));
    /* saving again replaces the file whole; no temporary file stays behind */
    a->params[0] += 1.0f;
    assert_int_equal(xcap_model_save_file(a, path, &err), 0);
    xcap_model *b = xcap_model_load_file(path, &err);
    assert_non_null(b);
    assert_true(b->params[0] == a->params[0]);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    xcap_model_free(a);
    xcap_model_free(b);
    remove_tree(dir);
    free(dir);
}

/* Copies the fixture model to path with metadata key set to value (added when absent);
 * with_tensors 0 leaves every tensor out. */
static void write_meta_variant(const char *path, const char *key, const char *value,
                               int with_tensors) {
    nn_error err;
    nn_st_reader *r = nn_st_open(source_path("tests/fixtures/tiny_weights.safetensors"), &err);
    assert_non_null(r);
    size_t n = with_tensors ? nn_st_count(r) : 0;
    nn_st_entry *e = calloc(n ? n : 1, sizeof *e);
    float **copies = calloc(n ? n : 1, sizeof *copies);
    for (size_t i = 0; i < n; i++) {
        const nn_st_tensor *t = nn_st_at(r, i);
        copies[i] = malloc(t->nbytes ? t->nbytes : 1);
        memcpy(copies[i], t->data, t->nbytes);
        e[i] = (nn_st_entry){t->name, t->ndim, {0}, copies[i]};
        for (int j = 0; j < t->ndim; j++) e[i].shape[j] = t->shape[j];
    }
    static const char *keys[] = {"image_w", "image_h", "patch", "d_model", "n_heads",
                                 "enc_layers", "dec_layers", "d_ff", "max_tokens", "vocab"};
    const char *mk[11], *mv[11];
    size_t nm = 0;
    int placed = 0;
    for (size_t i = 0; i < 10; i++) {
        mk[nm] = keys[i];
        placed |= strcmp(keys[i], key) == 0;
        mv[nm++] = strcmp(keys[i], key) == 0 ? value : nn_st_meta(r, keys[i]);
    }
    if (!placed) {
        mk[nm] = key;
        mv[nm++] = value;
    }
    if (nn_st_write(path, e, n, mk, mv, nm, &err) != 0) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++) free(copies[i]);
    free(copies);
    free(e);
    nn_st_close(r);
}

/* Inputs the fuzzer (fuzz/fuzz_model_meta.c, fuzz/fuzz_vocab.c) found, and the limits they
 * led to: every message stays on one line, "<unk>" twice is a duplicate, and a small file
 * whose metadata describes a huge model is refused before anything is allocated for it. */
static void test_fuzz_metadata_cases(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    write_meta_variant(path, "image_h", "8s>\n<unk>\na]", 1);
    expect_refused(path, "metadata 'image_h' = '8s>?<unk>?a]' is not a count");
    write_meta_variant(path, "vocab", "<pad>\n<bos>\n<eos>\n<unk>\na\n,\ns>\n<unk>", 1);
    expect_refused(path, "vocabulary word '<unk>' appears twice");
    write_meta_variant(path, "vocab", "<pad>\n<bos>\n<eos>\n<un\tk>", 1);
    expect_refused(path, "vocabulary entry 3 is '<un?k>', expected '<unk>'");
    write_meta_variant(path, "d_model", "8192", 0); /* ~10^9 parameters, in a 1 KB file */
    expect_refused(path, "is missing");
    write_meta_variant(path, "align_heads", "99999999999999999999:0", 1);
    expect_refused(path, "metadata 'align_heads' is not a list of layer:head pairs");
    write_meta_variant(path, "align_heads", "0:0,1:1,", 1);
    xcap_model *m = xcap_model_load_file(path, NULL);
    assert_non_null(m);
    assert_int_equal(m->n_align, 2);
    xcap_model_free(m);
    remove_tree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_edge_channel_round_trip),
        cmocka_unit_test(test_wrong_shape_is_named),
        cmocka_unit_test(test_missing_tensor_is_named),
        cmocka_unit_test(test_non_finite_weight_is_named),
        cmocka_unit_test(test_missing_metadata_is_named),
        cmocka_unit_test(test_not_a_model),
        cmocka_unit_test(test_save_is_atomic),
        cmocka_unit_test(test_fuzz_metadata_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* make_seeds.c — writes the tiny seed files of the fuzz corpus with the library's own
 * writers: a micro model, its checkpoint, its metadata as text, its vocabulary, a few
 * safetensors files and small images. Usage: fuzz_make_seeds OUT_DIR (the folders
 * OUT_DIR/<target>/ must exist). Run by fuzz/make_corpus.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

#include "model/train.h"
#include "nn/safetensors.h"

static const char *out_dir;

/* OUT_DIR/target/name in a static buffer. */
static const char *seed_path(const char *target, const char *name) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s/%s", out_dir, target, name);
    return buf;
}

/* Prints the error and fails. */
static int fail(const nn_error *err) {
    fprintf(stderr, "fuzz_make_seeds: %s\n", err->msg);
    return 1;
}

/* The micro model every model-shaped seed comes from: 8x8 input, 4 patches, d_model 4. */
static xcap_model *micro_model(nn_error *err) {
    xcap_config cfg = {.image_w = 8, .image_h = 8, .patch = 4, .d_model = 4, .n_heads = 1,
                       .enc_layers = 1, .dec_layers = 1, .d_ff = 4, .max_tokens = 4};
    txt_vocab v;
    const char *caps[] = {"a red circle", "a blue square"};
    if (txt_vocab_build(&v, caps, 2, 1, err) != 0) return NULL;
    xcap_model *m = xcap_model_create(&cfg, &v, 7, err);
    txt_vocab_free(&v);
    if (m) {
        m->n_align = 1; /* layer 0, head 0 */
    }
    return m;
}

/* Writes the micro model's metadata as "key=value" lines (newlines in values as \n). */
static int write_meta_text(const xcap_model *m, const char *path, const char *extra) {
    const char *keys[XCAP_CONFIG_META], *values[XCAP_CONFIG_META];
    char buf[XCAP_CONFIG_META][24];
    xcap_config_to_meta(&m->cfg, keys, values, buf);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    for (size_t i = 0; i < XCAP_CONFIG_META; i++) fprintf(f, "%s=%s\n", keys[i], values[i]);
    fputs("vocab=", f);
    for (size_t i = 0; i < m->vocab.size; i++) fprintf(f, "%s%s", i ? "\\n" : "", m->vocab.words[i]);
    fprintf(f, "\nformat=xcap-1\n%s", extra);
    return fclose(f);
}

/* A few small safetensors files: dtypes, shapes, metadata, an empty and a scalar tensor. */
static int write_safetensors(nn_error *err) {
    float a[6] = {1, 2, 3, 4, 5, 6}, s = 0.5f;
    nn_st_entry e[3] = {{"w", 2, {2, 3}, a}, {"s", 0, {0}, &s}, {"empty", 1, {0}, NULL}};
    const char *k[] = {"format", "vocab"}, *v[] = {"xcap-1", "<pad>\n<bos>"};
    if (nn_st_write(seed_path("safetensors", "three.safetensors"), e, 3, k, v, 2, err) != 0 ||
        nn_st_write(seed_path("safetensors", "one.safetensors"), e, 1, NULL, NULL, 0, err) != 0)
        return -1;
    /* an I32 and an F16 tensor written by hand: 8-byte length, JSON, data */
    static const char hdr[] = "{\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"h\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[8,12]},"
                              "\"__metadata__\":{\"k\":\"v\"}}";
    FILE *f = fopen(seed_path("safetensors", "dtypes.safetensors"), "wb");
    if (!f) return nn_fail(err, "cannot write dtypes.safetensors");
    unsigned char len[8] = {0};
    size_t n = sizeof hdr - 1;
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
    unsigned char data[12] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0x3c, 0, 0x3c};
    fwrite(len, 1, 8, f);
    fwrite(hdr, 1, n, f);
    fwrite(data, 1, sizeof data, f);
    return fclose(f) == 0 ? 0 : nn_fail(err, "cannot write dtypes.safetensors");
}

/* Small images in the formats stb writes; each decodes to a few pixels. */
static int write_images(void) {
    unsigned char px[4 * 3 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (unsigned char)(i * 37);
    int ok = stbi_write_png(seed_path("image", "4x3.png"), 4, 3, 3, px, 4 * 3) &&
             stbi_write_png(seed_path("image", "2x2-gray.png"), 2, 2, 1, px, 2) &&
             stbi_write_bmp(seed_path("image", "4x3.bmp"), 4, 3, 3, px) &&
             stbi_write_tga(seed_path("image", "4x3.tga"), 4, 3, 3, px) &&
             stbi_write_jpg(seed_path("image", "4x3.jpg"), 4, 3, 3, px, 50);
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    nn_error err;
    xcap_model *m = micro_model(&err);
    if (!m) return fail(&err);
    if (xcap_model_save_file(m, seed_path("safetensors", "micro-model.safetensors"), &err) != 0)
        return fail(&err);
    xcap_train_opts o = xcap_train_defaults();
    o.batch = 1;
    o.steps = 10;
    xcap_trainer t;
    if (xcap_trainer_create(&t, m, &o, &err) != 0) return fail(&err);
    t.step = 3;
    if (xcap_checkpoint_save(&t, seed_path("checkpoint", "micro.ckpt"), &err) != 0) return fail(&err);
    xcap_trainer_free(&t);
    if (write_meta_text(m, seed_path("model_meta", "micro.txt"), "align_heads=0:0\n") != 0 ||
        write_meta_text(m, seed_path("model_meta", "micro-noheads.txt"), "") != 0)
        return fprintf(stderr, "fuzz_make_seeds: cannot write model_meta seeds\n"), 1;
    char *words = txt_vocab_join(&m->vocab);
    FILE *f = fopen(seed_path("vocab", "micro.txt"), "w");
    if (!words || !f || fputs(words, f) < 0 || fclose(f) != 0)
        return fprintf(stderr, "fuzz_make_seeds: cannot write the vocab seed\n"), 1;
    free(words);
    xcap_model_free(m);
    if (write_safetensors(&err) != 0) return fail(&err);
    if (write_images() != 0) return fprintf(stderr, "fuzz_make_seeds: cannot write images\n"), 1;
    return 0;
}

/* fuzz_safetensors.c — libFuzzer target for the safetensors reader (nn/safetensors.c):
 * the input is a whole file (8-byte header length, JSON header, data block). Every
 * tensor the reader accepts is looked up by name and, when F32, copied out and checked
 * the way a model load does it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "nn/safetensors.h"

/* Fails loudly when the reader breaks one of its own promises. */
static void expect(int ok) {
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_temp_file(data, size, ".safetensors");
    nn_error err;
    nn_st_reader *r = nn_st_open(path, &err);
    if (!r) {
        expect(memchr(err.msg, '\n', strlen(err.msg)) == NULL); /* one line */
        return 0;
    }
    size_t n = nn_st_count(r);
    for (size_t i = 0; i < n; i++) {
        const nn_st_tensor *t = nn_st_at(r, i);
        expect(t && nn_st_find(r, t->name) == t);
        expect(t->nbytes <= size); /* inside the file */
        if (t->dtype != NN_ST_F32) continue;
        float *dst = malloc(t->nbytes ? t->nbytes : 1);
        if (!dst) abort();
        (void)nn_st_read_f32(r, t->name, t->shape, t->ndim, dst, &err);
        free(dst);
    }
    expect(nn_st_at(r, n) == NULL);
    (void)nn_st_meta(r, "vocab");
    (void)nn_st_find(r, "");
    nn_st_close(r);
    return 0;
}

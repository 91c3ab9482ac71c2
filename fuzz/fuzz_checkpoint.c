/* fuzz_checkpoint.c — libFuzzer target for the checkpoint reader (xcap_checkpoint_load in
 * model/train.c): the input is a whole checkpoint file (a model file plus the AdamW
 * moments and the 'train_state' metadata), written to a temporary file because the
 * reader takes a path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "model/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_temp_file(data, size, ".ckpt");
    nn_error err;
    xcap_trainer t;
    xcap_model *m = xcap_checkpoint_load(&t, path, &err);
    if (!m) {
        if (strchr(err.msg, '\n')) abort(); /* messages are one line */
        return 0;
    }
    xcap_trainer_free(&t);
    xcap_model_free(m);
    return 0;
}

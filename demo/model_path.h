/* model_path.h — which model file `xcap caption` uses when none is named.
 *
 * Order: the --model argument; else $XCAP_MODEL (when set and non-empty); else the first
 * existing file among the shipped default next to the program
 *     <dir of /proc/self/exe>/models/shapes-S.safetensors
 *     <dir of /proc/self/exe>/../models/shapes-S.safetensors  (bin/../models, or the source
 *                                                            tree when run from build/)
 *     XCAP_DATA_DIR/models/shapes-S.safetensors               (the installed data dir)
 * Nothing here opens the model; a missing file is reported by the loader, naming it. */
#ifndef XCAP_DEMO_MODEL_PATH_H
#define XCAP_DEMO_MODEL_PATH_H

#include <stddef.h>

#include "nn/error.h"

/* The default model's file name inside a models/ folder. */
#define CAP_MODEL_DEFAULT_NAME "shapes-S.safetensors"
/* The environment variable that names a model when --model is not given. */
#define CAP_MODEL_ENV "XCAP_MODEL"

/* The folder where the install keeps its data ("<prefix>/share/xcap"). */
const char *cap_model_data_dir(void);

/* Writes the model path to use into out (cap bytes). given is the --model value (NULL if
 * absent). Fails with one line listing the places tried when no default model exists. */
int cap_model_path(char *out, size_t cap, const char *given, nn_error *err);

#endif

/* model_path.c — finding the default model: --model, $XCAP_MODEL, next to the program. */
#include "demo/model_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef XCAP_DATA_DIR
#define XCAP_DATA_DIR "/usr/local/share/xcap"
#endif

#define PATH_CAP 4096

const char *cap_model_data_dir(void) { return XCAP_DATA_DIR; }

/* Copies s into out (cap bytes); -1 when it does not fit. */
static int copy_path(char *out, size_t cap, const char *s, nn_error *err) {
    size_t n = strlen(s);
    if (n + 1 > cap) return nn_fail(err, "model path is too long (%zu bytes)", n);
    memcpy(out, s, n + 1);
    return 0;
}

/* Whether path names an existing regular file (symlinks followed). */
static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder of the running program in dir (cap bytes); "" when /proc/self/exe is unreadable. */
static void exe_dir(char *dir, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
    if (n <= 0) {
        dir[0] = '\0';
        return;
    }
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    else dir[0] = '\0';
}

int cap_model_path(char *out, size_t cap, const char *given, nn_error *err) {
    if (given) return copy_path(out, cap, given, err);
    const char *env = getenv(CAP_MODEL_ENV);
    if (env && *env) return copy_path(out, cap, env, err);

    char dir[PATH_CAP], cand[4][PATH_CAP + 64];
    exe_dir(dir, sizeof dir);
    size_t n = 0;
    if (dir[0]) {
        snprintf(cand[n++], sizeof cand[0], "%s/models/%s", dir, CAP_MODEL_DEFAULT_NAME);
        snprintf(cand[n++], sizeof cand[0], "%s/../models/%s", dir, CAP_MODEL_DEFAULT_NAME);
        /* an install under any prefix: PREFIX/bin/xcap and PREFIX/share/xcap/models */
        snprintf(cand[n++], sizeof cand[0], "%s/../share/xcap/models/%s", dir, CAP_MODEL_DEFAULT_NAME);
    }
    snprintf(cand[n++], sizeof cand[0], "%s/models/%s", XCAP_DATA_DIR, CAP_MODEL_DEFAULT_NAME);
    for (size_t i = 0; i < n; i++) {
        if (!is_file(cand[i])) continue;
        char *real = realpath(cand[i], NULL); /* "bin/../models/x" reads better resolved */
        int rc = copy_path(out, cap, real ? real : cand[i], err);
        free(real);
        return rc;
    }
    char tried[4 * (PATH_CAP + 66)] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(tried, i ? ", " : "");
        strcat(tried, cand[i]);
    }
    return nn_fail(err, "no model given and none found (tried %s; use --model FILE or set %s)",
                   tried, CAP_MODEL_ENV);
}

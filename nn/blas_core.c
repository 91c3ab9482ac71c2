/* blas_core.c — the OpenBLAS kernel set in use and the one this processor could run. */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "nn/blas_core.h"

const char *nn_blas_core(void) {
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
}

/* 1 when name is one of the list, a NULL-terminated array. */
static int name_in(const char *name, const char *const *list) {
    for (; *list; list++)
        if (strcmp(name, *list) == 0) return 1;
    return 0;
}

const char *nn_blas_core_upgrade(void) {
#if defined(__GNUC__) && defined(__x86_64__)
    static const char *const avx512_cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2_cores[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                             "SapphireRapids", NULL};
    if (getenv("OPENBLAS_CORETYPE")) return NULL;
    const char *core = nn_blas_core();
    __builtin_cpu_init();
    /* __builtin_cpu_supports also checks that the kernel saves the wide registers */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return name_in(core, avx512_cores) ? NULL : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return name_in(core, avx2_cores) ? NULL : "Haswell";
#endif
    return NULL;
}

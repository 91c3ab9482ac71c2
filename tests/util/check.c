/* check.c — numeric comparison and file helpers for tests. */
#define _XOPEN_SOURCE 700
#include "tests/util/check.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void check_close_impl(const float *got, const float *want, size_t n, double atol, double rtol,
                      const char *what, const char *file, int line) {
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        if (isnan(g) || isnan(w) || fabs(g - w) > atol + rtol * fabs(w)) {
            print_error("%s:%d: %s[%zu] = %.9g, want %.9g (atol %g rtol %g)\n", file, line, what, i,
                        g, w, atol, rtol);
            _fail(file, line);
            return;
        }
    }
}

const char *source_path(const char *rel) {
    static char buf[4096];
    const char *root = getenv("XCAP_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : XCAP_SOURCE_ROOT, rel);
    return buf;
}

char *make_temp_dir(void) {
    char *tmpl = strdup("/tmp/xcap-test-XXXXXX");
    if (!tmpl || !mkdtemp(tmpl)) {
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

void remove_tree(const char *path) {
    if (path) nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

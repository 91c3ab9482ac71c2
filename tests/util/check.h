/* check.h — shared helpers for the cmocka tests. */
#ifndef XCAP_TESTS_CHECK_H
#define XCAP_TESTS_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Fails the test unless |got-want| <= atol + rtol*|want| for all n values; a NaN fails.
 * The message names the first bad index and what. */
void check_close_impl(const float *got, const float *want, size_t n, double atol, double rtol,
                      const char *what, const char *file, int line);
#define check_close(got, want, n, atol, rtol) \
    check_close_impl((got), (want), (n), (atol), (rtol), #got, __FILE__, __LINE__)

/* Path of a file in the source tree: $XCAP_SOURCE_DIR/rel (static buffer). */
const char *source_path(const char *rel);

/* A fresh temporary directory (mkdtemp under /tmp); the caller removes it with remove_tree. */
char *make_temp_dir(void);
void remove_tree(const char *path);

#endif

/* error.h — the one way xcap reports failure.
 *
 * A function that can fail returns int: 0 on success, -1 on failure, and fills
 * the caller's nn_error with one line a person can act on (it names the file,
 * the entry and the problem). The error pointer may be NULL. Nothing in the
 * library prints, exits or aborts. */
#ifndef XCAP_NN_ERROR_H
#define XCAP_NN_ERROR_H

#include <stddef.h>

typedef struct {
    char msg[512];
} nn_error;

/* Formats the message into err (if not NULL) and returns -1. */
int nn_fail(nn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the message already in err with "prefix: " (to add a file name). */
int nn_fail_prefix(nn_error *err, const char *prefix);

/* Copies s into buf (cap >= 8) for a message: control bytes become '?', text too long for
 * buf is cut at a whole UTF-8 sequence and ends in "...". Returns buf. */
const char *nn_show(char *buf, size_t cap, const char *s);

/* a * b into *out; returns 0, or -1 when the product overflows size_t. */
int nn_mul_size(size_t a, size_t b, size_t *out);

#endif

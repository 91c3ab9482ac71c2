/* error.c — formatting of nn_error messages and checked size arithmetic. */
#include "nn/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int nn_fail(nn_error *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int nn_fail_prefix(nn_error *err, const char *prefix) {
    if (err) {
        char tmp[sizeof err->msg];
        size_t n = strlen(prefix);
        if (n > sizeof tmp - 3) n = sizeof tmp - 3;
        memcpy(tmp, prefix, n);
        memcpy(tmp + n, ": ", 2);
        size_t rest = strnlen(err->msg, sizeof err->msg - 1);
        if (rest > sizeof tmp - n - 3) rest = sizeof tmp - n - 3;
        memcpy(tmp + n + 2, err->msg, rest);
        tmp[n + 2 + rest] = 0;
        memcpy(err->msg, tmp, sizeof tmp);
    }
    return -1;
}

int nn_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

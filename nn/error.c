/* error.c — formatting of nn_error messages, text shown in them, and checked size arithmetic. */
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

const char *nn_show(char *buf, size_t cap, const char *s) {
    size_t n = 0, limit = cap - 4;
    for (; s[n] && n < limit; n++) {
        unsigned char c = (unsigned char)s[n];
        buf[n] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s[n]) {
        while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80) n--; /* whole UTF-8 sequences */
        if (n > 0 && ((unsigned char)buf[n - 1] & 0x80)) n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

int nn_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

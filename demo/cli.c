/* cli.c — option parsing and progress output for the xcap subcommands. */
#include "demo/cli.h"

#include <cjson/cJSON.h>

#include "demo/caption_json.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int cli_long(const char *cmd, const char *option, const char *value, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || errno || end == value || *end || v < min || v > max) {
        fprintf(stderr, "xcap %s: %s expects an integer in [%ld, %ld], got '%s'\n", cmd, option,
                min, max, value ? value : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_float(const char *cmd, const char *option, const char *value, float min, float max,
              float *out) {
    char *end;
    errno = 0;
    float v = value ? strtof(value, &end) : 0.0f;
    if (!value || errno || end == value || *end || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "xcap %s: %s expects a number in [%g, %g], got '%s'\n", cmd, option, min,
                max, value ? value : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_u64(const char *cmd, const char *option, const char *value, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = value ? strtoull(value, &end, 10) : 0;
    if (!value || errno || end == value || *end || value[0] == '-') {
        fprintf(stderr, "xcap %s: %s expects a non-negative integer, got '%s'\n", cmd, option,
                value ? value : "");
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xcap %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return 2;
}

int cli_option(char name[32], const char **value, const char *cmd, int argc, char **argv, int *i,
               const char *const *with_value, size_t n) {
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (arg[0] != '-' || len >= 32) return cli_usage_error(cmd, "unexpected argument '%s'", arg);
    memcpy(name, arg, len);
    name[len] = '\0';
    (*i)++;
    if (!eq && (!strcmp(name, "-h") || !strcmp(name, "--help"))) return 0;
    int known = 0;
    for (size_t k = 0; k < n; k++) known |= !strcmp(name, with_value[k]);
    if (!known) return cli_usage_error(cmd, "unknown option '%s'", arg);
    if (eq) *value = eq + 1;
    else if (*i < argc) *value = argv[(*i)++];
    else return cli_usage_error(cmd, "%s needs a value", name);
    if (!**value) return cli_usage_error(cmd, "%s is empty", name);
    return 1;
}

void cli_dir_of(char *out, size_t cap, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, cap, ".");
    else if (slash == path) snprintf(out, cap, "/");
    else snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

int cli_is_image_name(const char *name) {
    static const char *const ext[] = {"png", "jpg", "jpeg", "bmp", "tga", "gif"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0) return 1;
    return 0;
}

int cli_cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(cli_progress *p, const char *label, const char *unit, long total) {
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->start = cli_now();
    p->tty = isatty(STDERR_FILENO);
    p->shown = 0;
}

void cli_progress_show(cli_progress *p, long done, const char *extra) {
    double el = cli_now() - p->start;
    double rate = el > 0 ? (double)done / el : 0.0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0.0;
    long e = (long)(eta + 0.5);
    fprintf(stderr, "%s%s %ld/%ld  %.1f %s/s  ETA %ld:%02ld%s%s%s", p->tty ? "\r" : "", p->label,
            done, p->total, rate, p->unit, e / 60, e % 60, extra ? "  " : "", extra ? extra : "",
            p->tty ? "\033[K" : "\n");
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_end(cli_progress *p) {
    if (p->tty && p->shown) fputc('\n', stderr);
    p->shown = 0;
}

int cli_write_json(const char *path, cJSON *node, nn_error *err) {
    char *text = node ? cJSON_Print(node) : NULL;
    cJSON_Delete(node);
    if (!text) return nn_fail(err, "%s: out of memory while formatting JSON", path);
    size_t n = strlen(text);
    int rc;
    if (!strcmp(path, "-")) {
        rc = (printf("%s\n", text) < 0 || fflush(stdout) != 0) ? nn_fail(err, "stdout: write failed") : 0;
    } else {
        text[n] = '\n';  /* cJSON_Print's terminator becomes the final newline */
        rc = cap_write_file(path, text, n + 1, err);
    }
    cJSON_free(text);
    return rc;
}

/* cmd_scenes.c — `xcap scenes`: writes shapes-world scenes (PNGs + captions.json) to a folder. */
#include "demo/commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vision/shapes.h"
#include "vision/shapes_export.h"

#define PROGRESS_MIN_COUNT 200   /* show progress only for runs at least this long */

static const char usage_text[] =
    "usage: xcap scenes --count N --seed S --split train|val|heldout --out DIR\n"
    "                   [--size WxH] [--objects K] [--force] [--help]\n"
    "\n"
    "Writes N shapes-world scenes to DIR/images/scene_000000.png ... and DIR/captions.json\n"
    "(COCO captions layout, with each object's box and mask and each word's object).\n"
    "\n"
    "  --count N      number of scenes (at least 1)\n"
    "  --seed S       base seed (0..2^64-1); scene i uses a hash of (S, i)\n"
    "  --split NAME   train or val: no held-out colour-shape pair;\n"
    "                 heldout: at least one held-out pair per scene\n"
    "                 (held out: red star, green cross, blue triangle, yellow diamond,\n"
    "                  purple circle, cyan square)\n"
    "  --out DIR      output folder, created if missing\n"
    "  --size WxH     canvas size in pixels (default 96x96; each side 32..4096)\n"
    "  --objects K    objects per scene, 1..3 (default: random 1..3)\n"
    "  --force        replace an existing DIR/captions.json\n"
    "  --help         show this help\n";

/* Start time and last redraw of the progress line. */
typedef struct {
    struct timespec start, last;
    int shown;
} progress_state;

/* Seconds from a to b. */
static double seconds_between(const struct timespec *a, const struct timespec *b) {
    return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

/* Redraws "done/total, scenes/s, ETA" on stderr at most ten times a second. */
static void show_progress(void *user, size_t done, size_t total) {
    progress_state *ps = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (done < total && ps->shown && seconds_between(&ps->last, &now) < 0.1) return;
    ps->last = now;
    ps->shown = 1;
    double elapsed = seconds_between(&ps->start, &now);
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0.0;
    fprintf(stderr, "\rscenes: %zu/%zu  %.0f scenes/s  ETA %.0fs   ", done, total, rate, eta);
    fflush(stderr);
}

/* Parses a whole unsigned decimal number into *out; -1 on anything else. */
static int parse_u64(const char *s, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Parses "WxH" with both sides in VIS_MIN_SIDE..VIS_MAX_SIDE. */
static int parse_size(const char *s, int *w, int *h) {
    char buf[64];
    if (!s || strlen(s) >= sizeof buf) return -1;
    strcpy(buf, s);
    char *x = strchr(buf, 'x');
    if (!x) return -1;
    *x = '\0';
    uint64_t a, b;
    if (parse_u64(buf, &a) || parse_u64(x + 1, &b)) return -1;
    if (a < VIS_MIN_SIDE || a > VIS_MAX_SIDE || b < VIS_MIN_SIDE || b > VIS_MAX_SIDE) return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

/* Prints "xcap scenes: <message>" as one line on stderr and returns the usage exit code 2. */
static int bad_args(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_args(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("xcap scenes: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return 2;
}

/* Entry point of `xcap scenes`; argv[0] is the command name. Returns the exit code. */
int cmd_scenes(int argc, char **argv) {
    vis_export_params p = vis_export_default_params();
    const char *out = NULL;
    int have_count = 0, have_seed = 0, have_split = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        char name[32];
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (strncmp(arg, "--", 2) != 0 || nlen >= sizeof name)
            return bad_args("unexpected argument '%s'", arg);
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if (strcmp(name, "--help") == 0 && !eq) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(name, "--force") == 0 && !eq) {
            p.overwrite = 1;
            continue;
        }
        if (strcmp(name, "--count") && strcmp(name, "--seed") && strcmp(name, "--split") &&
            strcmp(name, "--out") && strcmp(name, "--size") && strcmp(name, "--objects"))
            return bad_args("unknown option '%s'", arg);
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return bad_args("%s needs a value", name);

        uint64_t v;
        if (strcmp(name, "--count") == 0) {
            if (parse_u64(val, &v) || v == 0 || v > SIZE_MAX)
                return bad_args("bad --count '%s' (want a whole number >= 1)", val);
            p.count = (size_t)v;
            have_count = 1;
        } else if (strcmp(name, "--seed") == 0) {
            if (parse_u64(val, &v)) return bad_args("bad --seed '%s' (want 0..2^64-1)", val);
            p.seed = v;
            have_seed = 1;
        } else if (strcmp(name, "--split") == 0) {
            if (vis_split_parse(val, &p.split, NULL)) return bad_args("bad --split '%s' (want train, val or heldout)", val);
            have_split = 1;
        } else if (strcmp(name, "--out") == 0) {
            if (!*val) return bad_args("--out is empty");
            out = val;
        } else if (strcmp(name, "--size") == 0) {
            if (parse_size(val, &p.width, &p.height)) 
                return bad_args("bad --size '%s' (want WxH, each side %d..%d)", val, VIS_MIN_SIDE,
                                VIS_MAX_SIDE);
        } else {
            if (parse_u64(val, &v) || v < 1 || v > VIS_MAX_OBJECTS) 
                return bad_args("bad --objects '%s' (want 1..%d)", val, VIS_MAX_OBJECTS);
            p.n_objects = (int)v;
        }
    }
    if (!have_count) return bad_args("--count is required");
    if (!have_seed) return bad_args("--seed is required");
    if (!have_split) return bad_args("--split is required");
    if (!out) return bad_args("--out is required");

    char json[4096];
    struct stat st;
    snprintf(json, sizeof json, "%s/captions.json", out);
    if (!p.overwrite && stat(json, &st) == 0) {
        fprintf(stderr, "xcap scenes: %s already exists (use --force to replace it)\n", json);
        return 1;
    }

    progress_state ps = {0};
    if (p.count >= PROGRESS_MIN_COUNT && isatty(STDERR_FILENO)) {
        clock_gettime(CLOCK_MONOTONIC, &ps.start);
        p.progress = show_progress;
        p.progress_user = &ps;
    }
    nn_error err = {{0}};
    int rc = vis_scenes_export_with(out, &p, &err);
    if (ps.shown) fputc('\n', stderr);
    if (rc != 0) {
        fprintf(stderr, "xcap scenes: %s\n", err.msg);
        return 1;
    }
    return 0;
}

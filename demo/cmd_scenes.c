/* cmd_scenes.c — `xcap scenes`: writes shapes-world scenes (PNGs + captions.json) to a folder. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo/cli.h"
#include "demo/commands.h"
#include "vision/shapes.h"
#include "vision/shapes_export.h"

#define PROGRESS_MIN_COUNT 200   /* show progress only for runs at least this long */
#define MAX_COUNT 100000000L     /* upper bound of --count */

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
    "  --size WxH     one canvas size for every scene (each side 32..4096); without it\n"
    "                 each scene gets its own canvas, as `xcap eval` draws them: a quarter\n"
    "                 96x96, the rest 64..256 a side with aspect 1:2..2:1\n"
    "  --objects K    objects per scene, 1..3 (default: random 1..3)\n"
    "  --force        replace an existing DIR/captions.json\n"
    "  -h, --help     show this help\n";

/* The progress line and the time of its last redraw. */
typedef struct {
    cli_progress line;
    double last;
} progress_state;

/* Redraws "scenes done/total, rate, ETA" on stderr at most ten times a second. */
static void show_progress(void *user, size_t done, size_t total) {
    progress_state *ps = user;
    double now = cli_now();
    if (done < total && ps->line.shown && now - ps->last < 0.1) return;
    ps->last = now;
    cli_progress_show(&ps->line, (long)done, NULL);
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
    p.random_canvas = 1;  /* as `xcap eval` draws its scenes, unless --size is given */
    const char *out = NULL;
    int have_count = 0, have_seed = 0, have_split = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        char name[32];
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (arg[0] != '-' || nlen >= sizeof name)
            return bad_args("unexpected argument '%s'", arg);
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if ((strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) && !eq) {
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

        long v;
        if (strcmp(name, "--count") == 0) {
            if (cli_long("scenes", name, val, 1, MAX_COUNT, &v)) return 2;
            p.count = (size_t)v;
            have_count = 1;
        } else if (strcmp(name, "--seed") == 0) {
            if (cli_u64("scenes", name, val, &p.seed)) return 2;
            have_seed = 1;
        } else if (strcmp(name, "--split") == 0) {
            if (vis_split_parse(val, &p.split, NULL))
                return bad_args("--split expects train, val or heldout, got '%s'", val);
            have_split = 1;
        } else if (strcmp(name, "--out") == 0) {
            if (!*val) return bad_args("--out is empty");
            out = val;
        } else if (strcmp(name, "--size") == 0) {
            if (parse_size(val, &p.width, &p.height))
                return bad_args("--size expects WxH with each side in [%d, %d], got '%s'",
                                VIS_MIN_SIDE, VIS_MAX_SIDE, val);
            p.random_canvas = 0;
        } else {
            if (cli_long("scenes", name, val, 1, VIS_MAX_OBJECTS, &v)) return 2;
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
        cli_progress_start(&ps.line, "scenes", "scenes", (long)p.count);
        p.progress = show_progress;
        p.progress_user = &ps;
    }
    nn_error err = {{0}};
    int rc = vis_scenes_export_with(out, &p, &err);
    cli_progress_end(&ps.line);
    if (rc != 0) {
        fprintf(stderr, "xcap scenes: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* cmd_caption.c — `xcap caption`: captions images (files or folders of them), prints the
 * captions in input order, and writes per-word overlays, JSON and an HTML viewer. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo/caption_flags.h"
#include "demo/caption_html.h"
#include "demo/caption_json.h"
#include "demo/caption_overlays.h"
#include "demo/cli.h"
#include "demo/commands.h"
#include "demo/model_path.h"
#include "demo/png_write.h"
#include "model/xcap.h"
#include "nn/ops.h"
#include "vision/image.h"

#define PATH_CAP 4096
#define BEAM_MAX 16          /* the library's largest beam */
#define BATCH_MAX 4096       /* the library's largest context */

static const char usage_text[] =
    "usage: xcap caption [options] IMAGE|DIR ...\n"
    "\n"
    "Captions images and prints the caption; with several images (or a folder) one line\n"
    "per image, 'path<TAB>caption', in input order (a backslash, tab, newline or carriage\n"
    "return in the path is written \\\\, \\t, \\n or \\r). A folder is read for png, jpg,\n"
    "jpeg, bmp, tga and gif files (any case), sorted by name.\n"
    "\n"
    "A caption that is cut at the token limit (no <eos>), repeats a run of words at once\n"
    "('large large', 'red square red square') or, with a shapes-world model, ends but is\n"
    "not a sentence of its grammar ('a large white') gets one more tab-separated field:\n"
    "'cut', 'repeats', 'ill-formed' or several joined by commas (after the lone caption\n"
    "too), a warning line on stderr ('xcap caption: warning: PATH: ...'), \"complete\":\n"
    "false / \"repeats\": true / \"grammatical\": false in the JSON and a badge in the HTML\n"
    "viewer. Every caption also has a confidence (JSON, HTML):\n"
    "the smallest probability of any of its words or its <eos>, 0 when cut; low ones are\n"
    "often wrong (`xcap eval` measures where to draw the line; docs/honest-output.md).\n"
    "\n"
    "model and decoding:\n"
    "  --model FILE        model (default: $XCAP_MODEL, else models/shapes-S.safetensors\n"
    "                      next to the program or in the install's data folder)\n"
    "  --beam K            beam width, 1..16 (default 1: greedy)\n"
    "  --temperature T     sample with temperature T > 0 (needs --beam 1; default 0)\n"
    "  --top-k K           sampling: keep the K most likely words (default 0: all)\n"
    "  --top-p P           sampling: nucleus mass in (0, 1] (default 1)\n"
    "  --seed S            sampling seed (default 0)\n"
    "  --max-tokens N      at most N words, <eos> included (default: the model's limit)\n"
    "  --threads N         threads (default: OPENBLAS_NUM_THREADS, else the CPUs)\n"
    "  --batch N           images through the model at once, 1..4096 (default 8)\n"
    "\n"
    "output:\n"
    "  --overlays DIR      per image a folder DIR/<image name>/ with NN_word.png per word\n"
    "                      (the word's attention over the image, at the image's size) and\n"
    "                      strip.png (the image and every word side by side)\n"
    "  --heads-grid        also DIR/<image name>/heads/NN_word.png: every layer x head\n"
    "  --layer L|mean      which decoder layer's attention the overlays show\n"
    "  --head H|mean       which head (default: the model's alignment heads when the model\n"
    "                      names them, else the mean of the last layer's heads)\n"
    "  --colormap NAME     viridis (default), magma, inferno, plasma, gray\n"
    "  --upsample MODE     nearest, bilinear (default) or gaussian\n"
    "  --alpha A           opacity of the colour over the image, 0..1 (default 0.6)\n"
    "  --json FILE|-       captions, word probabilities and attention maps as JSON\n"
    "                      ('-': to stdout, instead of the caption lines)\n"
    "  --json-all-heads    also every layer and head of every word in the JSON\n"
    "  --html DIR          a viewer: DIR/index.html (open it in a browser) and its PNGs\n"
    "  --quiet             no progress line\n"
    "  --progress          a progress line even when stderr is not a terminal\n"
    "  -h, --help          this help\n"
    "\n"
    "Files are written atomically and only inside the named folders; image names are\n"
    "sanitised, and two images with the same name get folders name and name_2.\n"
    "\n"
    "Exit status: 0 when every image was captioned (flagged captions too); 1 when any\n"
    "image could not be read (each is reported as 'xcap caption: PATH: reason' and skipped,\n"
    "the others are still captioned) or the model or an output could not be read or\n"
    "written; 2 for bad usage.\n";

/* Everything the options decide. */
typedef struct {
    const char *model, *overlays, *json, *html;
    xcap_params params;
    long threads, batch;
    int quiet, progress, heads_grid, json_all_heads;
    int layer, head;   /* CAP_MAP_DEFAULT, CAP_MAP_MEAN or an index */
    ovl_colormap cmap;
    ovl_upsample_mode upsample;
    float alpha;
} caption_opts;

/* One image to caption: its path as given (or folder/name) and its output folder name. */
typedef struct {
    char *path;
    char folder[OVL_NAME_MAX];
} input_item;

/* The run's state shared by the helpers below. */
typedef struct {
    const caption_opts *o;
    input_item *items;
    size_t n_items, cap_items;
    int single;             /* one file argument: print the bare caption */
    int failed;             /* some image failed: exit 1 at the end */
    cli_progress prog;
    int show_progress;
    double last_shown;
    cap_map_choice choice;
    cap_overlay_opts ovl;
    cap_json *json;
    cap_html *html;
} caption_run;

/* Prints "xcap caption: <message> (see --help)" and returns the usage exit code 2. */
static int bad_args(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_args(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("xcap caption: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return 2;
}

/* Clears a progress line drawn in place, so that a message starts on a clean line. */
static void clear_progress(caption_run *r) {
    if (r->show_progress && r->prog.tty && r->prog.shown) fputs("\r\033[K", stderr);
}

/* Reports that the image at path failed (one line on stderr, and in the JSON and HTML). */
static void report_image_error(caption_run *r, const char *path, const char *msg) {
    clear_progress(r);
    /* library messages usually start with the path already (control characters as '?') */
    char shown[1024];
    const char *p = nn_show(shown, sizeof shown, path);
    size_t n = strlen(p);
    if (strncmp(msg, p, n) == 0 && msg[n] == ':') fprintf(stderr, "xcap caption: %s\n", msg);
    else fprintf(stderr, "xcap caption: %s: %s\n", p, msg);
    r->failed = 1;
    nn_error err;
    const char *m = strncmp(msg, p, n) == 0 && msg[n] == ':' ? msg + n + 1 + (msg[n + 1] == ' ') : msg;
    if (r->json && cap_json_add_error(r->json, path, m, &err) != 0)
        fprintf(stderr, "xcap caption: %s\n", err.msg);
    if (r->html && cap_html_add_error(r->html, path, m, &err) != 0)
        fprintf(stderr, "xcap caption: %s\n", err.msg);
}

/* Parses the options into o and collects the other arguments into inputs (argv pointers);
 * returns 0, or the exit code (2 bad usage, or 0 after --help as *done). */
static int parse_args(caption_opts *o, const char **inputs, size_t *n_inputs, int *done, int argc,
                      char **argv) {
    static const char *const valued[] = {"--model", "--beam", "--temperature", "--top-k",
                                         "--top-p", "--seed", "--max-tokens", "--threads",
                                         "--batch", "--overlays", "--colormap", "--upsample",
                                         "--alpha", "--layer", "--head", "--json", "--html"};
    *n_inputs = 0;
    *done = 0;
    int options_end = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        if (options_end || arg[0] != '-' || strcmp(arg, "-") == 0) {
            inputs[(*n_inputs)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_end = 1;
            continue;
        }
        char name[32];
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nlen >= sizeof name) return bad_args("unknown option '%s'", arg);
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if (!eq && (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)) {
            fputs(usage_text, stdout);
            *done = 1;
            return 0;
        }
        int *flag = strcmp(name, "--quiet") == 0 ? &o->quiet
                    : strcmp(name, "--progress") == 0 ? &o->progress
                    : strcmp(name, "--heads-grid") == 0 ? &o->heads_grid
                    : strcmp(name, "--json-all-heads") == 0 ? &o->json_all_heads : NULL;
        if (flag) {
            if (eq) return bad_args("%s takes no value", name);
            *flag = 1;
            continue;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) known |= strcmp(name, valued[k]) == 0;
        if (!known) return bad_args("unknown option '%s'", arg);
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return bad_args("%s needs a value", name);

        long v;
        float f;
        nn_error err;
        if (strcmp(name, "--model") == 0) {
            if (!*val) return bad_args("--model is empty");
            o->model = val;
        } else if (strcmp(name, "--beam") == 0) {
            if (cli_long("caption", name, val, 1, BEAM_MAX, &v)) return 2;
            o->params.beam = (int)v;
        } else if (strcmp(name, "--temperature") == 0) {
            if (cli_float("caption", name, val, 0.0f, 100.0f, &f)) return 2;
            o->params.temperature = f;
        } else if (strcmp(name, "--top-k") == 0) {
            if (cli_long("caption", name, val, 0, 1000000, &v)) return 2;
            o->params.top_k = (int)v;
        } else if (strcmp(name, "--top-p") == 0) {
            if (cli_float("caption", name, val, 0.0f, 1.0f, &f)) return 2;
            if (f <= 0.0f) return bad_args("--top-p must be greater than 0");
            o->params.top_p = f;
        } else if (strcmp(name, "--seed") == 0) {
            if (cli_u64("caption", name, val, &o->params.seed)) return 2;
        } else if (strcmp(name, "--max-tokens") == 0) {
            if (cli_long("caption", name, val, 1, 100000, &v)) return 2;
            o->params.max_tokens = (int)v;
        } else if (strcmp(name, "--threads") == 0) {
            if (cli_long("caption", name, val, 1, 1024, &o->threads)) return 2;
        } else if (strcmp(name, "--batch") == 0) {
            if (cli_long("caption", name, val, 1, BATCH_MAX, &o->batch)) return 2;
        } else if (strcmp(name, "--overlays") == 0) {
            if (!*val) return bad_args("--overlays is empty");
            o->overlays = val;
        } else if (strcmp(name, "--html") == 0) {
            if (!*val) return bad_args("--html is empty");
            o->html = val;
        } else if (strcmp(name, "--json") == 0) {
            if (!*val) return bad_args("--json is empty");
            o->json = val;
        } else if (strcmp(name, "--colormap") == 0) {
            if (ovl_colormap_parse(&o->cmap, val, &err)) return bad_args("--colormap: %s", err.msg);
        } else if (strcmp(name, "--upsample") == 0) {
            if (ovl_upsample_parse(&o->upsample, val, &err)) return bad_args("--upsample: %s", err.msg);
        } else if (strcmp(name, "--alpha") == 0) {
            if (cli_float("caption", name, val, 0.0f, 1.0f, &o->alpha)) return 2;
        } else if (strcmp(name, "--layer") == 0) {
            if (cap_map_parse_index(&o->layer, val))
                return bad_args("--layer expects a layer number or 'mean', got '%s'", val);
        } else {
            if (cap_map_parse_index(&o->head, val))
                return bad_args("--head expects a head number or 'mean', got '%s'", val);
        }
    }
    if (*n_inputs == 0) return bad_args("no image given");
    if (o->params.beam > 1 && o->params.temperature > 0.0f)
        return bad_args("--temperature needs --beam 1 (sampling and beam search do not mix)");
    return 0;
}

/* Appends an input (path copied). -1 when out of memory. */
static int add_item(caption_run *r, const char *path) {
    if (r->n_items == r->cap_items) {
        size_t cap = r->cap_items ? 2 * r->cap_items : 16;
        input_item *items = realloc(r->items, cap * sizeof *items);
        if (!items) return -1;
        r->items = items;
        r->cap_items = cap;
    }
    input_item *it = &r->items[r->n_items];
    memset(it, 0, sizeof *it);
    it->path = strdup(path);
    if (!it->path) return -1;
    r->n_items++;
    return 0;
}

/* Adds the image files of folder dir, sorted by name. Reports and returns -1 on failure. */
static int add_folder(caption_run *r, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        report_image_error(r, dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !cli_is_image_name(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) {
                rc = -1;
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n) qsort(names, n, sizeof *names, cli_cmp_str);
    size_t dl = strlen(dir);
    int slash = dl > 0 && dir[dl - 1] == '/';
    size_t added = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[PATH_CAP];
        int len = snprintf(path, sizeof path, "%s%s%s", dir, slash ? "" : "/", names[i]);
        if (len < 0 || (size_t)len >= sizeof path) continue;
        struct stat st;
        if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) continue;
        if (add_item(r, path) != 0) rc = -1;
        added++;
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (rc != 0) {
        report_image_error(r, dir, "out of memory listing the folder");
        return -1;
    }
    if (added == 0) report_image_error(r, dir, "no images (png, jpg, jpeg, bmp, tga, gif) in this folder");
    return 0;
}

/* Turns the arguments into the list of images (folders expanded) and names their folders. */
static int collect_inputs(caption_run *r, const char **inputs, size_t n_inputs) {
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            add_folder(r, inputs[i]);
        } else if (add_item(r, inputs[i]) != 0) {
            fprintf(stderr, "xcap caption: out of memory\n");
            return -1;
        }
    }
    r->single = n_inputs == 1 && r->n_items == 1 && strcmp(r->items[0].path, inputs[0]) == 0;
    cap_names *names = cap_names_new();
    if (!names) {
        fprintf(stderr, "xcap caption: out of memory\n");
        return -1;
    }
    nn_error err;
    for (size_t i = 0; i < r->n_items; i++) {
        if (cap_names_take(names, r->items[i].folder, sizeof r->items[i].folder, r->items[i].path,
                           &err) != 0) {
            fprintf(stderr, "xcap caption: %s\n", err.msg);
            cap_names_free(names);
            return -1;
        }
    }
    cap_names_free(names);
    return 0;
}

/* Joins dir and name into out (PATH_CAP bytes); -1 with a message when too long. */
static int join_path(char *out, const char *dir, const char *name, nn_error *err) {
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_CAP) return nn_fail(err, "%s/%s: path too long", dir, name);
    return 0;
}

/* Prints path to stdout with a backslash, tab, newline or carriage return written as \\,
 * \t, \n or \r, so that a 'path<TAB>caption' line stays one line of two fields. */
static void print_path_escaped(const char *path) {
    for (const char *p = path; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n"
                        : *p == '\r' ? "\\r" : NULL;
        if (esc) fputs(esc, stdout);
        else putchar(*p);
    }
}

/* Prints "xcap caption: warning: PATH: <what is wrong>" for a flagged caption. */
static void warn_flags(caption_run *r, const char *path, const xcap_caption *cap) {
    char msgs[CAP_FLAG_MAX][CAP_FLAG_MSG], shown[1024];
    size_t n = cap_flag_messages(msgs, NULL, cap);
    clear_progress(r);
    fflush(stdout);
    fprintf(stderr, "xcap caption: warning: %s: %s%s%s\n", nn_show(shown, sizeof shown, path),
            msgs[0], n > 1 ? "; " : "", n > 1 ? msgs[1] : "");
}

/* Everything that follows one captioned image: the line on stdout, overlays, JSON, HTML.
 * Returns -1 (with err) when an output cannot be written. */
static int emit(caption_run *r, const input_item *it, const vis_image *img, const xcap_caption *cap,
                nn_error *err) {
    const caption_opts *o = r->o;
    char flags[32];
    cap_flags_field(flags, sizeof flags, cap);
    if (!(o->json && strcmp(o->json, "-") == 0)) {
        if (!r->single) {
            print_path_escaped(it->path);
            putchar('\t');
        }
        printf("%s%s%s\n", cap->text, *flags ? "\t" : "", flags);
    }
    if (*flags) warn_flags(r, it->path, cap);
    size_t N = cap->grid_w * cap->grid_h;
    float *sel = malloc((cap->n_words ? cap->n_words : 1) * N * sizeof *sel);
    if (!sel) return nn_fail(err, "out of memory");
    for (size_t w = 0; w < cap->n_words; w++) cap_map_select(sel + w * N, cap, w, &r->choice);
    char dir[PATH_CAP];
    int rc = 0;
    if (o->overlays) {
        rc = join_path(dir, o->overlays, it->folder, err);
        if (rc == 0) rc = cap_overlays_write(dir, img, cap, sel, &r->ovl, err);
    }
    if (rc == 0 && r->json)
        rc = cap_json_add(r->json, it->path, cap, sel, o->json_all_heads, o->overlays ? dir : NULL, err);
    if (rc == 0 && r->html) {
        char hdir[PATH_CAP];
        cap_overlay_opts ho = r->ovl;
        ho.heads_grid = 1;
        ho.write_image = 1;
        cap_html_view_size(&ho.view_w, &ho.view_h, img->width, img->height);
        rc = join_path(hdir, cap_html_dir(r->html), it->folder, err);
        if (rc == 0) rc = cap_overlays_write(hdir, img, cap, sel, &ho, err);
        if (rc == 0) rc = cap_html_add(r->html, it->path, it->folder, cap, err);
    }
    free(sel);
    return rc;
}

/* Redraws the progress line (at most ten times a second on a terminal, once a second
 * otherwise; always at the end). */
static void progress(caption_run *r, size_t done) {
    if (!r->show_progress) return;
    double now = cli_now(), every = r->prog.tty ? 0.1 : 1.0;
    if (done < r->n_items && r->prog.shown && now - r->last_shown < every) return;
    r->last_shown = now;
    cli_progress_show(&r->prog, (long)done, NULL);
}

/* Captions items [start, end) in one batch: loads them, runs the model, emits the results.
 * Returns -1 when an output failed (the run stops), else 0. */
static int run_batch(caption_run *r, xcap_context *ctx, size_t start, size_t end, vis_image *imgs,
                     const unsigned char **rgb, int *w, int *h, size_t *idx, xcap_caption *caps) {
    size_t n = 0;
    nn_error err;
    for (size_t i = start; i < end; i++) {
        if (vis_image_load(&imgs[n], r->items[i].path, &err) != 0) {
            report_image_error(r, r->items[i].path, err.msg);
            continue;
        }
        rgb[n] = imgs[n].rgb;
        w[n] = imgs[n].width;
        h[n] = imgs[n].height;
        idx[n++] = i;
    }
    int rc = 0;
    if (n > 0 && xcap_caption_batch(ctx, rgb, w, h, n, &r->o->params, caps) != 0) {
        for (size_t k = 0; k < n; k++) report_image_error(r, r->items[idx[k]].path, xcap_context_error(ctx));
    } else {
        for (size_t k = 0; k < n; k++) {
            if (rc == 0 && emit(r, &r->items[idx[k]], &imgs[k], &caps[k], &err) != 0) {
                clear_progress(r);
                fprintf(stderr, "xcap caption: %s\n", err.msg);
                rc = -1;
            }
            xcap_caption_free(&caps[k]);
        }
    }
    for (size_t k = 0; k < n; k++) vis_image_free(&imgs[k]);
    fflush(stdout);
    return rc;
}

/* Captions every item in batches of b. Returns -1 when an output failed. */
static int run_all(caption_run *r, xcap_context *ctx, size_t b) {
    vis_image *imgs = calloc(b, sizeof *imgs);
    const unsigned char **rgb = calloc(b, sizeof *rgb);
    int *w = calloc(b, sizeof *w), *h = calloc(b, sizeof *h);
    size_t *idx = calloc(b, sizeof *idx);
    xcap_caption *caps = calloc(b, sizeof *caps);
    int rc = 0;
    if (!imgs || !rgb || !w || !h || !idx || !caps) {
        fprintf(stderr, "xcap caption: out of memory for a batch of %zu\n", b);
        rc = -1;
    }
    for (size_t start = 0; rc == 0 && start < r->n_items; start += b) {
        size_t end = start + b < r->n_items ? start + b : r->n_items;
        rc = run_batch(r, ctx, start, end, imgs, rgb, w, h, idx, caps);
        progress(r, end);
    }
    free(imgs);
    free(rgb);
    free(w);
    free(h);
    free(idx);
    free(caps);
    return rc;
}

/* Whether paths a and b name the same existing folder. */
static int same_folder(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Loads the model and font, opens the outputs, lists the inputs, captions everything;
 * returns the exit code. */
static int run(caption_run *r, const char *model_path, const char **inputs, size_t n_inputs) {
    const caption_opts *o = r->o;
    char msg[512];
    xcap_model *m = xcap_model_load(model_path, msg, sizeof msg);
    if (!m) {
        fprintf(stderr, "xcap caption: %s\n", msg);
        return 1;
    }
    nn_error err;
    if (cap_map_choose(&r->choice, o->layer, o->head, m, &err) != 0) {
        xcap_model_free(m);
        return bad_args("%s", err.msg);
    }
    int code = 0;
    ovl_font *font = NULL;
    xcap_context *ctx = NULL;
    size_t b = 0;
    ovl_options_default(&r->ovl.ovl);
    r->ovl.ovl.cmap = o->cmap;
    r->ovl.ovl.upsample = o->upsample;
    r->ovl.ovl.alpha = o->alpha;
    r->ovl.heads_grid = o->heads_grid;
    if ((o->overlays || o->html) && ovl_font_load(&font, NULL, &err) != 0) goto fail;
    r->ovl.ovl.font = font;
    if (o->overlays && cap_mkdir(o->overlays, 1, &err) != 0) goto fail;
    if (o->json && cap_json_open(&r->json, o->json, model_path, r->choice.desc, &err) != 0) goto fail;
    if (o->html && cap_html_open(&r->html, o->html, model_path, r->choice.desc, &err) != 0) goto fail;
    if (o->overlays && o->html && same_folder(o->overlays, o->html)) {
        code = bad_args("--overlays and --html need different folders (the viewer draws its own)");
        goto done;
    }
    if (collect_inputs(r, inputs, n_inputs) != 0) {
        code = 1;
        goto done;
    }
    b = (size_t)o->batch < r->n_items ? (size_t)o->batch : r->n_items;
    ctx = xcap_context_create(m, b ? b : 1, msg, sizeof msg);
    if (!ctx) {
        nn_fail(&err, "%s", msg);
        goto fail;
    }
    r->show_progress = r->n_items > 1 && !o->quiet && (o->progress || isatty(STDERR_FILENO));
    if (r->show_progress) cli_progress_start(&r->prog, "caption", "images", (long)r->n_items);
    if (run_all(r, ctx, b ? b : 1) != 0) code = 1;
    if (r->show_progress) cli_progress_end(&r->prog);
    if (code == 0 && r->json) {
        cap_json *j = r->json;
        r->json = NULL;
        if (cap_json_close(j, &err) != 0) goto fail;
    }
    if (code == 0 && r->html) {
        cap_html *hv = r->html;
        r->html = NULL;
        if (cap_html_close(hv, &err) != 0) goto fail;
    }
    goto done;
fail:
    fprintf(stderr, "xcap caption: %s\n", err.msg);
    code = 1;
done:
    cap_json_abort(r->json);
    cap_html_free(r->html);
    r->json = NULL;
    r->html = NULL;
    xcap_context_free(ctx);
    ovl_font_free(font);
    xcap_model_free(m);
    if (code == 0 && r->failed) code = 1;
    return code;
}

/* Entry point of `xcap caption`; argv[0] is the command name. Returns the exit code. */
int cmd_caption(int argc, char **argv) {
    caption_opts o = {0};
    o.params = xcap_default_params();
    o.batch = 8;
    o.layer = o.head = CAP_MAP_DEFAULT;
    o.cmap = OVL_CMAP_VIRIDIS;
    o.upsample = OVL_UPSAMPLE_BILINEAR;
    o.alpha = 0.6f;
    const char **inputs = calloc(argc > 0 ? (size_t)argc : 1, sizeof *inputs);
    if (!inputs) {
        fprintf(stderr, "xcap caption: out of memory\n");
        return 1;
    }
    size_t n_inputs;
    int done;
    int code = parse_args(&o, inputs, &n_inputs, &done, argc, argv);
    if (code != 0 || done) {
        free(inputs);
        return code;
    }
    nn_set_threads(o.threads > 0 ? (int)o.threads : nn_default_threads());

    caption_run r = {0};
    r.o = &o;
    char model_path[PATH_CAP];
    nn_error err;
    if (cap_model_path(model_path, sizeof model_path, o.model, &err) != 0) {
        fprintf(stderr, "xcap caption: %s\n", err.msg);
        code = 1;
    } else {
        code = run(&r, model_path, inputs, n_inputs);
    }
    for (size_t i = 0; i < r.n_items; i++) free(r.items[i].path);
    free(r.items);
    free(inputs);
    return code;
}

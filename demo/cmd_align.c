/* cmd_align.c — `xcap align`: does each word's attention point at the object it names?
 * Pointing accuracy, attention mass in box and the uniform baseline on shapes-world scenes
 * (generated, or a captions file on disk whose images carry "objects"), per word kind, for
 * every layer × head, every layer's mean and the default map; optionally chooses alignment
 * heads on a validation set and writes them into a copy of the model. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/cli.h"
#include "demo/commands.h"
#include "demo/model_path.h"
#include "model/alignment.h"
#include "model/model.h"
#include "nn/ops.h"
#include "text/dataset.h"
#include "vision/shapes.h"

#define DEFAULT_COUNT 200
#define DEFAULT_SEED 737373      /* reporting scenes */
#define DEFAULT_VAL_SEED 919191  /* scenes for --choose-heads; must differ from --seed */
#define DEFAULT_BATCH 16
#define MAX_COUNT 10000000L
#define PATH_CAP 4096

static const char usage_text[] =
    "usage: xcap align [--model FILE] [--split val|heldout|train] [--count N] [--seed S]\n"
    "                  [--json FILE|-] [--choose-heads K --write-heads OUT.safetensors]\n"
    "       xcap align [--model FILE] --data captions.json [--images DIR] [--split NAME]\n"
    "                  [--count N] [--json FILE|-] [options]\n"
    "\n"
    "Captions N shapes-world scenes (greedy), or the images of a captions file, and measures,\n"
    "for every generated size, colour and shape word whose object can be matched, whether its\n"
    "cross-attention points at that object: the argmax patch's centre inside the object's\n"
    "box grown by half a patch (pointing accuracy), the attention inside that grown box\n"
    "(mass), and the hit rate of a uniformly random patch (baseline). Rows: every layer and\n"
    "head (0-based, as in align_heads), each layer's mean of heads, and the default map (the\n"
    "model's align_heads, else the mean of the last layer's heads), which `xcap caption`\n"
    "draws by default.\n"
    "\n"
    "Shapes-world scenes (without --data):\n"
    "  --split NAME        train, val or heldout (default val)\n"
    "  --count N           scenes (default 200)\n"
    "  --seed S            base seed of the scenes (default 737373)\n"
    "\n"
    "A captions file (COCO layout, as `xcap scenes` writes it) whose images carry \"objects\"\n"
    "(shape, colour, size, bbox [x, y, w, h]); a box becomes the pixels [floor(x),\n"
    "ceil(x+w)) x [floor(y), ceil(y+h)), clipped to the image. Images without objects, with\n"
    "more than 3, with names outside the shapes world or with two objects of one colour and\n"
    "shape are skipped and counted:\n"
    "  --data FILE         the captions file\n"
    "  --images DIR        folder the file names are relative to (default: the file's folder)\n"
    "  --split NAME        only images whose \"split\" field is NAME (default: every image)\n"
    "  --count N           at most the first N images (default: all)\n"
    "\n"
    "Both:\n"
    "  --model FILE        model file (default: $XCAP_MODEL, else the shipped shapes-S model)\n"
    "  --shuffle SEED      control: permute every map's patches with a fixed permutation\n"
    "                      before scoring (pointing should fall to about the baseline)\n"
    "  --choose-heads K    pick the K best (layer, head) pairs by mean pointing accuracy over\n"
    "                      the three kinds on generated validation scenes, store them as\n"
    "                      align_heads in a copy of the model (--write-heads) and report with\n"
    "                      them\n"
    "  --write-heads OUT   where that copy goes (written atomically; the input model is only\n"
    "                      overwritten when OUT names it)\n"
    "  --val-count N       validation scenes for --choose-heads (default: --count, else 200)\n"
    "  --val-seed S        their base seed (default 919191; must differ from --seed)\n"
    "  --batch N           images per forward pass (default 16)\n"
    "  --threads N         threads (default: OPENBLAS_NUM_THREADS, else the CPUs)\n"
    "  --json FILE|-       also write the figures as JSON (\"-\": stdout; the table then goes\n"
    "                      to stderr)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 done, 1 failure (one line on stderr), 2 bad usage.\n";

/* Everything the options ask for. */
typedef struct {
    const char *model, *split, *json, *write_heads, *data, *images;
    long count, val_count, batch, threads, choose;
    uint64_t seed, val_seed, shuffle_seed;
    int shuffle, have_count, have_seed;
} align_args;

/* Prints "xcap align: message (see --help)" on stderr and returns 2. */
static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("xcap align: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return 2;
}

/* Stores one option's value into a; returns 0, or 2 after a usage message. */
static int set_option(align_args *a, const char *name, const char *val) {
    if (!strcmp(name, "--model")) a->model = val;
    else if (!strcmp(name, "--split")) a->split = val;
    else if (!strcmp(name, "--json")) a->json = val;
    else if (!strcmp(name, "--write-heads")) a->write_heads = val;
    else if (!strcmp(name, "--data")) a->data = val;
    else if (!strcmp(name, "--images")) a->images = val;
    else if (!strcmp(name, "--seed")) {
        a->have_seed = 1;
        return cli_u64("align", name, val, &a->seed) ? 2 : 0;
    }
    else if (!strcmp(name, "--val-seed"))
        return cli_u64("align", name, val, &a->val_seed) ? 2 : 0;
    else if (!strcmp(name, "--shuffle")) {
        a->shuffle = 1;
        return cli_u64("align", name, val, &a->shuffle_seed) ? 2 : 0;
    } else if (!strcmp(name, "--count")) {
        a->have_count = 1;
        return cli_long("align", name, val, 1, MAX_COUNT, &a->count) ? 2 : 0;
    }
    else if (!strcmp(name, "--val-count"))
        return cli_long("align", name, val, 1, MAX_COUNT, &a->val_count) ? 2 : 0;
    else if (!strcmp(name, "--batch"))
        return cli_long("align", name, val, 1, 1024, &a->batch) ? 2 : 0;
    else if (!strcmp(name, "--choose-heads"))
        return cli_long("align", name, val, 1, XCAP_MAX_ALIGN_HEADS, &a->choose) ? 2 : 0;
    else return cli_long("align", name, val, 1, 256, &a->threads) ? 2 : 0;
    return 0;
}

/* Parses argv into a; returns -1 to go on, else the exit code (0 after --help). */
static int parse_args(align_args *a, int argc, char **argv) {
    static const char *const with_value[] = {
        "--model", "--split", "--count", "--seed", "--json", "--choose-heads", "--write-heads",
        "--val-count", "--val-seed", "--batch", "--threads", "--shuffle", "--data", "--images"};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        char name[32];
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (arg[0] != '-' || nlen >= sizeof name) return bad_usage("unexpected argument '%s'", arg);
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if (!eq && (!strcmp(name, "-h") || !strcmp(name, "--help"))) {
            fputs(usage_text, stdout);
            return 0;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= !strcmp(name, with_value[k]);
        if (!known) return bad_usage("unknown option '%s'", arg);
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return bad_usage("%s needs a value", name);
        if (!*val) return bad_usage("%s is empty", name);
        if (set_option(a, name, val)) return 2;
    }
    vis_split s;
    if (a->data && a->have_seed) return bad_usage("--seed is for shapes-world scenes, not --data");
    if (!a->data && a->images) return bad_usage("--images needs --data");
    if (!a->data && a->split && vis_split_parse(a->split, &s, NULL) != 0)
        return bad_usage("--split expects train, val or heldout, got '%s'", a->split);
    if (a->choose && !a->write_heads) return bad_usage("--choose-heads needs --write-heads OUT");
    if (a->write_heads && !a->choose) return bad_usage("--write-heads needs --choose-heads K");
    if (a->choose && a->val_seed == a->seed)
        return bad_usage("--val-seed must differ from --seed (heads are chosen on other scenes)");
    return -1;
}

/* Redraws the progress line (terminal only). */
static void on_progress(void *user, size_t done, size_t total) {
    cli_progress *p = user;
    if (p->tty) cli_progress_show(p, (long)done, NULL);
}

/* What the report is measured on: a captions file, or generated scenes when ds is NULL. */
typedef struct {
    const txt_dataset *ds;
    char images[PATH_CAP];  /* the folder of ds's file names */
    vis_split split;        /* scenes: their split */
} align_data;

/* Runs the alignment measurement on d (or `count` scenes of seed when d->ds is NULL) with a
 * progress line labelled label. */
static int measure(xcap_align_report *rep, const xcap_model *m, const align_args *a,
                   const char *label, const align_data *d, uint64_t seed, size_t count,
                   nn_error *err) {
    if (d->ds) count = a->have_count && (size_t)a->count < d->ds->n_items ? (size_t)a->count
                                                                         : d->ds->n_items;
    cli_progress line;
    cli_progress_start(&line, label, "img", (long)count);
    xcap_align_opts o = xcap_align_default_opts();
    o.batch = (size_t)a->batch;
    o.shuffle = a->shuffle;
    o.shuffle_seed = a->shuffle_seed;
    o.limit = d->ds ? count : 0;
    o.name = a->data;
    o.progress = on_progress;
    o.user = &line;
    int rc = d->ds ? xcap_align_dataset(rep, m, d->ds, d->images, &o, err)
                   : xcap_align_scenes(rep, m, (int)d->split, seed, count, &o, err);
    cli_progress_end(&line);
    return rc;
}

static const char *const kind_names[XCAP_ALIGN_KINDS] = {"size", "colour", "shape"};

/* JSON keys of the skip reasons, by xcap_align_skip (0 unused). */
static const char *const skip_keys[XCAP_ALIGN_SKIP_COUNT] = {
    "usable", "no_objects", "too_many_objects", "unknown_name", "shared_colour_shape",
    "box_outside"};

/* Images skipped in all. */
static size_t skipped_total(const xcap_align_report *rep) {
    size_t n = 0;
    for (int r = 1; r < XCAP_ALIGN_SKIP_COUNT; r++) n += rep->skipped[r];
    return n;
}

/* The data lines of the table: what was measured, and what was skipped. */
static void print_data(FILE *f, const align_args *a, const align_data *d,
                       const xcap_align_report *rep) {
    if (!d->ds) {
        fprintf(f, "data      shapes world, split %s, seed %llu, %zu scenes, %zu words%s\n",
                vis_split_names[d->split], (unsigned long long)a->seed, rep->scenes, rep->words,
                a->shuffle ? "  (CONTROL: patch grid shuffled)" : "");
        return;
    }
    fprintf(f, "data      %s (images in %s%s%s), %zu images, %zu scored, %zu words%s\n", a->data,
            d->images, a->split ? ", split " : "", a->split ? a->split : "", rep->images,
            rep->scenes, rep->words, a->shuffle ? "  (CONTROL: patch grid shuffled)" : "");
    if (!skipped_total(rep)) return;
    fprintf(f, "skipped   %zu images:", skipped_total(rep));
    for (int r = 1, first = 1; r < XCAP_ALIGN_SKIP_COUNT; r++)
        if (rep->skipped[r]) {
            fprintf(f, "%s %zu %s", first ? "" : ",", rep->skipped[r], xcap_align_skip_names[r]);
            first = 0;
        }
    fprintf(f, " (first: %s)\n", rep->first_skip);
}

/* The row label of map i ("L0 H3", "L1 mean", "default"). */
static void map_label(char *out, size_t cap, const xcap_align_report *rep, size_t i) {
    size_t hm = rep->layers * rep->heads;
    if (i < hm) snprintf(out, cap, "L%zu H%zu", i / rep->heads, i % rep->heads);
    else if (i < hm + rep->layers) snprintf(out, cap, "L%zu mean", i - hm);
    else snprintf(out, cap, "default");
}

/* "l:h,l:h" of the default map's heads into out. */
static void default_heads(char *out, size_t cap, const xcap_align_report *rep) {
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < rep->n_default && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%d:%d", i ? "," : "",
                                rep->default_layer[i], rep->default_head[i]);
}

/* Prints the table on f. */
static void print_table(FILE *f, const char *model, const align_args *a,
                        const align_data *data, const xcap_align_report *rep) {
    char heads[256];
    default_heads(heads, sizeof heads, rep);
    fprintf(f, "model     %s\n", model);
    print_data(f, a, data, rep);
    fprintf(f, "default   mean of heads %s (%s)\n", heads,
            rep->default_is_align ? (a->choose ? "the align_heads chosen above"
                                               : "the model's align_heads")
                                  : "the last layer's; the model names no align_heads");
    const xcap_align_cell *d = &rep->cells[xcap_align_default_map(rep) * XCAP_ALIGN_KINDS];
    fprintf(f, "scored    size %zu/%zu  colour %zu/%zu  shape %zu/%zu  (matched/generated)\n\n",
            d[0].scored, rep->attr_words[0], d[1].scored, rep->attr_words[1], d[2].scored,
            rep->attr_words[2]);
    fprintf(f, "%-9s  %-20s  %-20s  %-20s\n", "", "pointing accuracy", "mass in box",
            "uniform baseline");
    fprintf(f, "%-9s ", "map");
    for (int g = 0; g < 3; g++) fprintf(f, "  %6s %6s %6s", "size", "colour", "shape");
    fputc('\n', f);
    for (size_t i = 0; i < rep->n_maps; i++) {
        char label[48];
        map_label(label, sizeof label, rep, i);
        const xcap_align_cell *c = xcap_align_cell_at(rep, i, 0);
        fprintf(f, "%-9s ", label);
        fprintf(f, "  %6.3f %6.3f %6.3f", xcap_align_accuracy(&c[0]), xcap_align_accuracy(&c[1]),
                xcap_align_accuracy(&c[2]));
        fprintf(f, "  %6.3f %6.3f %6.3f", xcap_align_mass(&c[0]), xcap_align_mass(&c[1]),
                xcap_align_mass(&c[2]));
        fprintf(f, "  %6.3f %6.3f %6.3f\n", xcap_align_baseline(&c[0]),
                xcap_align_baseline(&c[1]), xcap_align_baseline(&c[2]));
    }
}

/* One map's figures as a JSON object. */
static cJSON *map_json(const xcap_align_report *rep, size_t i) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    char label[48];
    map_label(label, sizeof label, rep, i);
    cJSON_AddStringToObject(o, "map", label);
    size_t hm = rep->layers * rep->heads;
    if (i < hm) {
        cJSON_AddNumberToObject(o, "layer", (double)(i / rep->heads));
        cJSON_AddNumberToObject(o, "head", (double)(i % rep->heads));
    } else if (i < hm + rep->layers) {
        cJSON_AddNumberToObject(o, "layer", (double)(i - hm));
    }
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++) {
        const xcap_align_cell *c = xcap_align_cell_at(rep, i, k);
        cJSON *e = cJSON_AddObjectToObject(o, kind_names[k]);
        if (!e) continue;
        cJSON_AddNumberToObject(e, "scored", (double)c->scored);
        cJSON_AddNumberToObject(e, "hits", (double)c->hits);
        cJSON_AddNumberToObject(e, "pointing", xcap_align_accuracy(c));
        cJSON_AddNumberToObject(e, "mass", xcap_align_mass(c));
        cJSON_AddNumberToObject(e, "baseline", xcap_align_baseline(c));
    }
    cJSON_AddNumberToObject(o, "mean_pointing", xcap_align_map_score(rep, i));
    return o;
}

/* The data fields of the JSON report (as print_data). */
static void data_json(cJSON *o, const align_args *a, const align_data *d,
                      const xcap_align_report *rep) {
    char buf[64];
    if (!d->ds) {
        cJSON_AddStringToObject(o, "split", vis_split_names[d->split]);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->seed);
        cJSON_AddStringToObject(o, "seed", buf);
        return;
    }
    cJSON_AddStringToObject(o, "data", a->data);
    cJSON_AddStringToObject(o, "images_dir", d->images);
    if (a->split) cJSON_AddStringToObject(o, "split", a->split);
    cJSON_AddNumberToObject(o, "images", (double)rep->images);
    cJSON *s = cJSON_AddObjectToObject(o, "skipped");
    for (int r = 1; s && r < XCAP_ALIGN_SKIP_COUNT; r++)
        cJSON_AddNumberToObject(s, skip_keys[r], (double)rep->skipped[r]);
    if (rep->first_skip[0]) cJSON_AddStringToObject(o, "first_skipped", rep->first_skip);
}

/* The whole report as JSON ("scenes": scenes, or images, scored). */
static cJSON *report_json(const char *model, const align_args *a, const align_data *d,
                          const xcap_align_report *rep, const char *chosen) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    char buf[256];
    cJSON_AddStringToObject(o, "model", model);
    data_json(o, a, d, rep);
    cJSON_AddNumberToObject(o, "scenes", (double)rep->scenes);
    cJSON_AddNumberToObject(o, "words", (double)rep->words);
    cJSON_AddBoolToObject(o, "shuffled_control", a->shuffle);
    cJSON *g = cJSON_AddObjectToObject(o, "generated");
    for (int k = 0; g && k < XCAP_ALIGN_KINDS; k++)
        cJSON_AddNumberToObject(g, kind_names[k], (double)rep->attr_words[k]);
    default_heads(buf, sizeof buf, rep);
    cJSON_AddStringToObject(o, "default_heads", buf);
    cJSON_AddStringToObject(o, "default_from", rep->default_is_align ? "align_heads" : "last_layer");
    if (chosen) cJSON_AddStringToObject(o, "chosen_heads", chosen);
    cJSON *maps = cJSON_AddArrayToObject(o, "maps");
    for (size_t i = 0; maps && i < rep->n_maps; i++) {
        cJSON *e = map_json(rep, i);
        if (e) cJSON_AddItemToArray(maps, e);
    }
    return o;
}


/* Chooses the best heads on validation scenes, stores them in m and writes the copy. */
static int choose_heads(xcap_model *m, const align_args *a, char *chosen, size_t cap,
                        FILE *out, nn_error *err) {
    xcap_align_report val;
    size_t count = (size_t)(a->val_count ? a->val_count : a->count);
    align_data scenes = {.ds = NULL, .split = VIS_SPLIT_VAL};
    if (measure(&val, m, a, "choose", &scenes, a->val_seed, count, err) != 0) return -1;
    int layers[XCAP_MAX_ALIGN_HEADS], heads[XCAP_MAX_ALIGN_HEADS];
    size_t k = xcap_align_best_heads(&val, (size_t)a->choose, layers, heads);
    size_t len = 0;
    chosen[0] = '\0';
    fprintf(out, "chosen    on %zu val scenes (seed %llu), by mean pointing accuracy:\n", count,
            (unsigned long long)a->val_seed);
    for (size_t i = 0; i < k; i++) {
        m->align_layer[i] = layers[i];
        m->align_head[i] = heads[i];
        len += (size_t)snprintf(chosen + len, cap - len, "%s%d:%d", i ? "," : "", layers[i],
                                heads[i]);
        fprintf(out, "          %d:%d  %.3f\n", layers[i], heads[i],
                xcap_align_map_score(&val, xcap_align_head_map(&val, (size_t)layers[i],
                                                               (size_t)heads[i])));
    }
    m->n_align = k;
    xcap_align_report_free(&val);
    if (xcap_model_save_file(m, a->write_heads, err) != 0) return -1;
    fprintf(out, "wrote     %s (align_heads %s)\n\n", a->write_heads, chosen);
    return 0;
}

/* Entry point of `xcap align`; argv[0] is the command name. Returns the exit code. */
int cmd_align(int argc, char **argv) {
    align_args a = {0};
    a.count = DEFAULT_COUNT;
    a.seed = DEFAULT_SEED;
    a.val_seed = DEFAULT_VAL_SEED;
    a.batch = DEFAULT_BATCH;
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    nn_set_threads(a.threads > 0 ? (int)a.threads : nn_default_threads());
    align_data d = {.ds = NULL, .split = VIS_SPLIT_VAL};
    if (!a.data && a.split) vis_split_parse(a.split, &d.split, NULL);

    nn_error err = {{0}};
    char model[PATH_CAP], chosen[256] = "";
    xcap_model *m = NULL;
    xcap_align_report rep = {0};
    txt_dataset ds = {0};
    FILE *out = a.json && !strcmp(a.json, "-") ? stderr : stdout;
    int rc = 0;
    if (a.data) {
        txt_dataset_opts dopts = txt_dataset_default_opts();
        dopts.split = a.split;
        rc = txt_dataset_load(&ds, a.data, &dopts, &err);
        if (a.images) snprintf(d.images, sizeof d.images, "%s", a.images);
        else cli_dir_of(d.images, sizeof d.images, a.data);
        d.ds = &ds;
    }
    if (rc == 0) rc = cap_model_path(model, sizeof model, a.model, &err);
    if (rc == 0 && !(m = xcap_model_load_file(model, &err))) rc = -1;
    if (rc == 0 && a.choose) rc = choose_heads(m, &a, chosen, sizeof chosen, out, &err);
    if (rc == 0) rc = measure(&rep, m, &a, "align", &d, a.seed, (size_t)a.count, &err);
    if (rc == 0) {
        print_table(out, model, &a, &d, &rep);
        if (a.json)
            rc = cli_write_json(a.json, report_json(model, &a, &d, &rep, a.choose ? chosen : NULL),
                                &err);
    }
    if (rc != 0) fprintf(stderr, "xcap align: %s\n", err.msg);
    xcap_align_report_free(&rep);
    xcap_model_free(m);
    txt_dataset_free(&ds);
    return rc == 0 ? 0 : 1;
}

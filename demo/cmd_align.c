/* cmd_align.c — `xcap align`: does each word's attention point at the object it names?
 * Pointing accuracy, attention mass in box and the uniform baseline on shapes-world scenes,
 * per word kind, for every layer × head, every layer's mean and the default map; optionally
 * chooses alignment heads on a validation set and writes them into a copy of the model. */
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
    "\n"
    "Captions N shapes-world scenes (greedy) and measures, for every generated size, colour\n"
    "and shape word whose object can be matched, whether its cross-attention points at that\n"
    "object: the argmax patch's centre inside the object's box grown by half a patch\n"
    "(pointing accuracy), the attention inside that grown box (mass), and the hit rate of a\n"
    "uniformly random patch (baseline). Rows: every layer and head (0-based, as in\n"
    "align_heads), each layer's mean of heads, and the default map (the model's align_heads,\n"
    "else the mean of the last layer's heads), which `xcap caption` draws by default.\n"
    "\n"
    "  --model FILE        model file (default: $XCAP_MODEL, else the shipped shapes-S model)\n"
    "  --split NAME        train, val or heldout (default val)\n"
    "  --count N           scenes (default 200)\n"
    "  --seed S            base seed of the scenes (default 737373)\n"
    "  --shuffle SEED      control: permute every map's patches with a fixed permutation\n"
    "                      before scoring (pointing should fall to about the baseline)\n"
    "  --choose-heads K    pick the K best (layer, head) pairs by mean pointing accuracy over\n"
    "                      the three kinds on validation scenes, store them as align_heads in\n"
    "                      a copy of the model (--write-heads) and report with them\n"
    "  --write-heads OUT   where that copy goes (written atomically; the input model is only\n"
    "                      overwritten when OUT names it)\n"
    "  --val-count N       validation scenes for --choose-heads (default: --count)\n"
    "  --val-seed S        their base seed (default 919191; must differ from --seed)\n"
    "  --batch N           scenes per forward pass (default 16)\n"
    "  --threads N         threads (default: OPENBLAS_NUM_THREADS, else the CPUs)\n"
    "  --json FILE|-       also write the figures as JSON (\"-\": stdout; the table then goes\n"
    "                      to stderr)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 done, 1 failure (one line on stderr), 2 bad usage.\n";

/* Everything the options ask for. */
typedef struct {
    const char *model, *split, *json, *write_heads;
    long count, val_count, batch, threads, choose;
    uint64_t seed, val_seed, shuffle_seed;
    int shuffle;
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
    else if (!strcmp(name, "--seed")) return cli_u64("align", name, val, &a->seed) ? 2 : 0;
    else if (!strcmp(name, "--val-seed"))
        return cli_u64("align", name, val, &a->val_seed) ? 2 : 0;
    else if (!strcmp(name, "--shuffle")) {
        a->shuffle = 1;
        return cli_u64("align", name, val, &a->shuffle_seed) ? 2 : 0;
    } else if (!strcmp(name, "--count"))
        return cli_long("align", name, val, 1, MAX_COUNT, &a->count) ? 2 : 0;
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
        "--val-count", "--val-seed", "--batch", "--threads", "--shuffle"};
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
    if (a->split && vis_split_parse(a->split, &s, NULL) != 0)
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

/* Runs the alignment measurement with a progress line labelled label. */
static int measure(xcap_align_report *rep, const xcap_model *m, const align_args *a,
                   const char *label, vis_split split, uint64_t seed, size_t count,
                   nn_error *err) {
    cli_progress line;
    cli_progress_start(&line, label, "img", (long)count);
    xcap_align_opts o = xcap_align_default_opts();
    o.batch = (size_t)a->batch;
    o.shuffle = a->shuffle;
    o.shuffle_seed = a->shuffle_seed;
    o.progress = on_progress;
    o.user = &line;
    int rc = xcap_align_scenes(rep, m, (int)split, seed, count, &o, err);
    cli_progress_end(&line);
    return rc;
}

static const char *const kind_names[XCAP_ALIGN_KINDS] = {"size", "colour", "shape"};

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
static void print_table(FILE *f, const char *model, const align_args *a, vis_split split,
                        const xcap_align_report *rep) {
    char heads[256];
    default_heads(heads, sizeof heads, rep);
    fprintf(f, "model     %s\n", model);
    fprintf(f, "data      shapes world, split %s, seed %llu, %zu scenes, %zu words%s\n",
            vis_split_names[split], (unsigned long long)a->seed, rep->scenes, rep->words,
            a->shuffle ? "  (CONTROL: patch grid shuffled)" : "");
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

/* The whole report as JSON. */
static cJSON *report_json(const char *model, const align_args *a, vis_split split,
                          const xcap_align_report *rep, const char *chosen) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    char buf[256];
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "split", vis_split_names[split]);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->seed);
    cJSON_AddStringToObject(o, "seed", buf);
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
    if (measure(&val, m, a, "choose", VIS_SPLIT_VAL, a->val_seed, count, err) != 0) return -1;
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
    vis_split split = VIS_SPLIT_VAL;
    if (a.split) vis_split_parse(a.split, &split, NULL);

    nn_error err = {{0}};
    char model[PATH_CAP], chosen[256] = "";
    xcap_model *m = NULL;
    xcap_align_report rep = {0};
    FILE *out = a.json && !strcmp(a.json, "-") ? stderr : stdout;
    int rc = cap_model_path(model, sizeof model, a.model, &err);
    if (rc == 0 && !(m = xcap_model_load_file(model, &err))) rc = -1;
    if (rc == 0 && a.choose) rc = choose_heads(m, &a, chosen, sizeof chosen, out, &err);
    if (rc == 0) rc = measure(&rep, m, &a, "align", split, a.seed, (size_t)a.count, &err);
    if (rc == 0) {
        print_table(out, model, &a, split, &rep);
        if (a.json)
            rc = cli_write_json(a.json, report_json(model, &a, split, &rep, a.choose ? chosen : NULL),
                            &err);
    }
    if (rc != 0) fprintf(stderr, "xcap align: %s\n", err.msg);
    xcap_align_report_free(&rep);
    xcap_model_free(m);
    return rc == 0 ? 0 : 1;
}

/* cmd_eval.c — `xcap eval`: caption quality of a model on shapes-world scenes or on a
 * COCO-layout caption dataset: exact match (by object count when known), BLEU-4, CIDEr-D,
 * and what the wrong captions got wrong and how well the confidence tells them apart. */
#include <cjson/cJSON.h>
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
#include "demo/eval_explain.h"
#include "demo/eval_items.h"
#include "demo/model_path.h"
#include "model/eval_dataset.h"
#include "model/model.h"
#include "nn/ops.h"
#include "text/dataset.h"
#include "vision/shapes.h"

#define DEFAULT_COUNT 1000        /* shapes-world scenes */
#define DEFAULT_SEED 424242       /* not a seed `xcap train` uses for its data by default */
#define DEFAULT_BATCH 32
#define DEFAULT_EXAMPLES 3
#define MAX_BATCH 1024
#define MAX_COUNT 100000000L
#define PATH_CAP 4096

static const char usage_text[] =
    "usage: xcap eval [--model FILE] [--split train|val|heldout] [--count N] [--seed S] [options]\n"
    "       xcap eval [--model FILE] --data captions.json [--images DIR] [--split NAME] [options]\n"
    "\n"
    "Captions every image (greedy decoding) and scores the captions against the references:\n"
    "exact match (the caption equals one of the references; by object count when the ground\n"
    "truth is known), corpus BLEU-4 (as NLTK's corpus_bleu) and CIDEr-D.\n"
    "\n"
    "Then it explains: how many captions were cut without <eos> or repeat words; the wrong\n"
    "captions by error kind (count, shape, colour, size, relation, order, ill-formed,\n"
    "other), each against its closest reference in the shapes-world grammar (a caption can\n"
    "have several kinds: shares are of the wrong captions and can add up to over 100 %);\n"
    "and how well the caption confidence (the least probability of a word or <eos>) tells\n"
    "right from wrong (AUROC), with the threshold below which to distrust a caption.\n"
    "\n"
    "Without --data: N shapes-world scenes made on the fly, each on its own canvas (as\n"
    "`xcap scenes` draws them without --size) and fitted to the model's input.\n"
    "  --split NAME     train, val or heldout (default val)\n"
    "  --count N        scenes (default 1000)\n"
    "  --seed S         base seed; scene i uses a hash of (S, i) (default 424242)\n"
    "\n"
    "With --data: a COCO captions file (images[] with id and file_name, annotations[] with\n"
    "image_id and caption; what `xcap scenes` writes).\n"
    "  --images DIR     folder the file names are relative to (default: the file's folder)\n"
    "  --split NAME     only images whose \"split\" field is NAME (default: every image)\n"
    "  --count N        at most the first N images (default: all)\n"
    "  --skip-bad       leave out images that fail to load (counted) instead of stopping\n"
    "\n"
    "  --outside DIR    also caption every image in DIR (pictures that are not of the world:\n"
    "                   photographs, noise, blank canvases, text; e.g. tests/fixtures/outside)\n"
    "                   and report how well the confidence tells the evaluated pictures\n"
    "                   from them (AUROC)\n"
    "  --examples N     wrong captions shown as examples (default 3; all are in --json)\n"
    "  --model FILE     model file (default: $XCAP_MODEL, else the shipped shapes-S model)\n"
    "  --batch N        images per forward pass (default 32)\n"
    "  --beam N         beam width, 1 = greedy (default 1)\n"
    "  --threads N      threads (default: OPENBLAS_NUM_THREADS, else the CPUs)\n"
    "  --json FILE|-    also write the figures as JSON (\"-\": stdout)\n"
    "  --predictions FILE|-  write the generated captions as COCO results\n"
    "                   [{\"image_id\", \"caption\"}] (\"-\": stdout)\n"
    "  (when JSON goes to stdout, the table goes to stderr)\n"
    "  -h, --help       show this help\n"
    "\n"
    "A progress line with ETA goes to stderr when it is a terminal. Exit status: 0 done,\n"
    "1 failure (one line on stderr), 2 bad usage.\n";

/* Everything the options ask for. */
typedef struct {
    const char *model, *data, *images, *split, *json, *predictions, *outside;
    long count, batch, beam, threads, examples;
    uint64_t seed;
    int have_count, have_seed, skip_bad;
} eval_args;

/* What the run produced, for the table and the JSON. */
typedef struct {
    char model[PATH_CAP];
    char images[PATH_CAP];
    xcap_eval_report rep;
    size_t total;     /* images or scenes asked for */
    double seconds;
    eval_items items;    /* the scored captions, in index order, with confidence and flags;
                            also what --predictions writes */
    int items_failed;    /* keeping a caption failed; items_err says why */
    nn_error items_err;
    eval_items outside;  /* --outside pictures */
    eval_explain x;
    int explained;       /* x is filled */
} eval_run;

/* Prints "xcap eval: message (see --help)" on stderr and returns the usage exit code 2. */
static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("xcap eval: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return 2;
}

/* Parses argv into a; returns -1 to go on, else the exit code (0 after --help). */
static int parse_args(eval_args *a, int argc, char **argv) {
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
        if (!eq && !strcmp(name, "--skip-bad")) {
            a->skip_bad = 1;
            continue;
        }
        static const char *const with_value[] = {"--model", "--data", "--images", "--split",
                                                 "--count", "--seed", "--batch", "--beam",
                                                 "--threads", "--json", "--predictions",
                                                 "--outside", "--examples"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= !strcmp(name, with_value[k]);
        if (!known) return bad_usage("unknown option '%s'", arg);
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return bad_usage("%s needs a value", name);
        if (!*val) return bad_usage("%s is empty", name);

        if (!strcmp(name, "--model")) a->model = val;
        else if (!strcmp(name, "--data")) a->data = val;
        else if (!strcmp(name, "--images")) a->images = val;
        else if (!strcmp(name, "--split")) a->split = val;
        else if (!strcmp(name, "--json")) a->json = val;
        else if (!strcmp(name, "--predictions")) a->predictions = val;
        else if (!strcmp(name, "--outside")) a->outside = val;
        else if (!strcmp(name, "--examples")) {
            if (cli_long("eval", name, val, 0, MAX_COUNT, &a->examples)) return 2;
        }
        else if (!strcmp(name, "--seed")) {
            if (cli_u64("eval", name, val, &a->seed)) return 2;
            a->have_seed = 1;
        } else if (!strcmp(name, "--count")) {
            if (cli_long("eval", name, val, 1, MAX_COUNT, &a->count)) return 2;
            a->have_count = 1;
        } else if (!strcmp(name, "--batch")) {
            if (cli_long("eval", name, val, 1, MAX_BATCH, &a->batch)) return 2;
        } else if (!strcmp(name, "--beam")) {
            if (cli_long("eval", name, val, 1, 16, &a->beam)) return 2;
        } else if (cli_long("eval", name, val, 1, 256, &a->threads)) {
            return 2;
        }
    }
    if (a->json && a->predictions && !strcmp(a->json, "-") && !strcmp(a->predictions, "-"))
        return bad_usage("--json and --predictions cannot both write to stdout");
    if (a->data) {
        if (a->have_seed) return bad_usage("--seed is for shapes-world scenes, not --data");
    } else {
        if (a->images) return bad_usage("--images needs --data");
        if (a->skip_bad) return bad_usage("--skip-bad needs --data");
        vis_split s;
        if (a->split && vis_split_parse(a->split, &s, NULL) != 0)
            return bad_usage("--split expects train, val or heldout, got '%s'", a->split);
    }
    return -1;
}

/* The progress line and the time of its last redraw. */
typedef struct {
    cli_progress line;
    double last;
    eval_run *run;
} eval_user;

/* Redraws "eval done/total, rate, ETA" at most ten times a second (terminal only). */
static void on_progress(void *user, size_t done, size_t total) {
    eval_user *u = user;
    if (!u->line.tty) return;
    double now = cli_now();
    if (done < total && u->line.shown && now - u->last < 0.1) return;
    u->last = now;
    cli_progress_show(&u->line, (long)done, NULL);
}

/* Keeps a copy of each scored caption with its flags, confidence, id and references, for
 * the explanation and --predictions; the first failure is kept for after the pass. */
static void on_caption(void *user, size_t index, const char *id, const xcap_caption *cap,
                       const char *const *refs, size_t n_refs) {
    eval_run *r = ((eval_user *)user)->run;
    if (!r->items_failed &&
        eval_items_add(&r->items, index, id, cap, refs, n_refs, &r->items_err) != 0)
        r->items_failed = 1;
}

/* Prints the figures as a small table on f. */
static void print_table(FILE *f, const eval_args *a, const eval_run *r) {
    const xcap_eval_result *s = &r->rep.scores;
    fprintf(f, "model        %s\n", r->model);
    if (a->data) {
        fprintf(f, "data         %s (images in %s%s%s)\n", a->data, r->images,
                a->split ? ", split " : "", a->split ? a->split : "");
        fprintf(f, "images       %zu", s->count);
        if (r->rep.skipped)
            fprintf(f, "  (%zu skipped; first: %s)", r->rep.skipped, r->rep.first_skipped);
        fputc('\n', f);
    } else {
        fprintf(f, "data         shapes world, split %s, seed %llu\n", a->split ? a->split : "val",
                (unsigned long long)a->seed);
        fprintf(f, "scenes       %zu\n", s->count);
    }
    size_t hits = (size_t)(s->exact * (double)s->count + 0.5);
    fprintf(f, "exact match  %.4f  (%zu/%zu)\n", s->exact, hits, s->count);
    for (int k = 1; k <= 3; k++)
        if (s->by_objects[k])
            fprintf(f, "  %d object%s  %.4f  (%zu)\n", k, k == 1 ? " " : "s",
                    s->exact_by_objects[k], s->by_objects[k]);
    if (s->by_objects[0] && s->by_objects[0] != s->count)
        fprintf(f, "  unknown    %.4f  (%zu)\n", s->exact_by_objects[0], s->by_objects[0]);
    fprintf(f, "BLEU-4       %.4f\n", s->bleu4);
    fprintf(f, "CIDEr-D      %.4f\n", s->cider_d);
    if (r->explained) eval_explain_print(f, &r->x, (size_t)a->examples);
    fprintf(f, "time         %.1f s\n", r->seconds);
}

/* The figures as a JSON object. */
static cJSON *figures_json(const eval_args *a, const eval_run *r) {
    const xcap_eval_result *s = &r->rep.scores;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    char seed[32];
    cJSON_AddStringToObject(o, "model", r->model);
    if (a->data) {
        cJSON_AddStringToObject(o, "source", "dataset");
        cJSON_AddStringToObject(o, "data", a->data);
        cJSON_AddStringToObject(o, "images_dir", r->images);
        if (a->split) cJSON_AddStringToObject(o, "split", a->split);
        else cJSON_AddNullToObject(o, "split");
    } else {
        cJSON_AddStringToObject(o, "source", "shapes");
        cJSON_AddStringToObject(o, "split", a->split ? a->split : "val");
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->seed);
        cJSON_AddStringToObject(o, "seed", seed);  /* a string: 64 bits do not fit a double */
    }
    cJSON_AddNumberToObject(o, "count", (double)s->count);
    cJSON_AddNumberToObject(o, "skipped", (double)r->rep.skipped);
    cJSON_AddNumberToObject(o, "exact", s->exact);
    cJSON *by = cJSON_AddObjectToObject(o, "exact_by_objects");
    for (int k = 0; by && k <= 3; k++) {
        if (!s->by_objects[k]) continue;
        char key[16];
        if (k) snprintf(key, sizeof key, "%d", k);
        else snprintf(key, sizeof key, "unknown");
        cJSON *e = cJSON_AddObjectToObject(by, key);
        if (!e) continue;
        cJSON_AddNumberToObject(e, "count", (double)s->by_objects[k]);
        cJSON_AddNumberToObject(e, "exact", s->exact_by_objects[k]);
    }
    cJSON_AddNumberToObject(o, "bleu4", s->bleu4);
    cJSON_AddNumberToObject(o, "cider_d", s->cider_d);
    cJSON_AddNumberToObject(o, "beam", (double)a->beam);
    cJSON_AddNumberToObject(o, "seconds", r->seconds);
    if (r->explained && !eval_explain_json(o, &r->x)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The generated captions as COCO results: [{"image_id": id, "caption": text}, ...]. */
static cJSON *predictions_json(const eval_run *r) {
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < r->items.n; i++) {
        const eval_item *it = &r->items.items[i];
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(list, e)) {
            cJSON_Delete(e);
            cJSON_Delete(list);
            return NULL;
        }
        char *end;
        errno = 0;
        long long v = strtoll(it->name, &end, 10);
        if (!errno && *end == '\0' && end != it->name && llabs(v) < (1LL << 53))
            cJSON_AddNumberToObject(e, "image_id", (double)v);
        else
            cJSON_AddStringToObject(e, "image_id", it->name);
        cJSON_AddStringToObject(e, "caption", it->caption);
    }
    return list;
}

/* Explains the scored captions kept by on_caption into r->x; with --outside, captions the
 * outside pictures first (with the same batches and decoding). */
static int explain(const eval_args *a, eval_run *r, const xcap_model *m, nn_error *err) {
    eval_items_opts io = {(size_t)a->batch, xcap_default_params()};
    io.params.beam = (int)a->beam;
    int rc = 0;
    if (a->outside) rc = eval_items_folder(&r->outside, m, a->outside, &io, err);
    if (rc == 0)
        rc = eval_explain_run(&r->x, &r->items, a->outside ? &r->outside : NULL, a->outside, err);
    r->explained = rc == 0;
    return rc;
}

/* Loads the data (when any), the model, and runs the evaluation into r. */
static int run_eval(const eval_args *a, eval_run *r, nn_error *err) {
    txt_dataset ds = {0};
    if (a->data) {
        txt_dataset_opts dopts = txt_dataset_default_opts();
        dopts.split = a->split;
        if (txt_dataset_load(&ds, a->data, &dopts, err) != 0) return -1;
        if (a->images) snprintf(r->images, sizeof r->images, "%s", a->images);
        else cli_dir_of(r->images, sizeof r->images, a->data);
        r->total = a->have_count && (size_t)a->count < ds.n_items ? (size_t)a->count : ds.n_items;
    } else {
        r->total = (size_t)a->count;
    }
    struct stat st;  /* a wrong --outside is found before the long part */
    errno = 0;
    if (a->outside && (stat(a->outside, &st) != 0 || !S_ISDIR(st.st_mode))) {
        txt_dataset_free(&ds);
        return nn_fail(err, "%s: cannot open the folder (%s)", a->outside,
                       errno ? strerror(errno) : "not a folder");
    }
    xcap_model *m = NULL;
    eval_user u = {{0}, 0.0, r};
    xcap_eval_opts o = xcap_eval_default_opts();
    int rc = -1;
    if (cap_model_path(r->model, sizeof r->model, a->model, err) != 0) goto done;
    m = xcap_model_load_file(r->model, err);
    if (!m) goto done;
    cli_progress_start(&u.line, "eval", "img", (long)r->total);
    o.batch = (size_t)a->batch;
    o.params.beam = (int)a->beam;
    o.skip_bad = a->skip_bad;
    o.limit = a->data ? r->total : 0;
    o.progress = on_progress;
    o.on_caption = on_caption;
    o.user = &u;
    double t0 = cli_now();
    if (a->data) {
        rc = xcap_eval_dataset(&r->rep, m, &ds, r->images, &o, err);
    } else {
        vis_split split = VIS_SPLIT_VAL;
        if (a->split) vis_split_parse(a->split, &split, NULL);
        rc = xcap_eval_scenes(&r->rep, m, (int)split, a->seed, r->total, &o, err);
    }
    r->seconds = cli_now() - t0;
    cli_progress_end(&u.line);
    if (rc == 0 && r->items_failed) rc = nn_fail(err, "%s", r->items_err.msg);
    if (rc == 0) rc = explain(a, r, m, err);
done:
    xcap_model_free(m);
    txt_dataset_free(&ds);
    return rc;
}

/* Entry point of `xcap eval`; argv[0] is the command name. Returns the exit code. */
int cmd_eval(int argc, char **argv) {
    eval_args a = {0};
    a.count = DEFAULT_COUNT;
    a.seed = DEFAULT_SEED;
    a.batch = DEFAULT_BATCH;
    a.beam = 1;
    a.examples = DEFAULT_EXAMPLES;
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    nn_set_threads(a.threads > 0 ? (int)a.threads : nn_default_threads());

    eval_run *r = calloc(1, sizeof *r);
    if (!r) {
        fputs("xcap eval: out of memory\n", stderr);
        return 1;
    }
    nn_error err = {{0}};
    int rc = run_eval(&a, r, &err);
    if (rc == 0) {
        int json_stdout = (a.json && !strcmp(a.json, "-")) ||
                          (a.predictions && !strcmp(a.predictions, "-"));
        print_table(json_stdout ? stderr : stdout, &a, r);
        if (a.json) rc = cli_write_json(a.json, figures_json(&a, r), &err);
        if (rc == 0 && a.predictions) rc = cli_write_json(a.predictions, predictions_json(r), &err);
    }
    if (rc != 0) fprintf(stderr, "xcap eval: %s\n", err.msg);
    eval_explain_free(&r->x);
    eval_items_free(&r->items);
    eval_items_free(&r->outside);
    free(r);
    return rc == 0 ? 0 : 1;
}

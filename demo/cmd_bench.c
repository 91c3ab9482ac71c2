/* cmd_bench.c — `xcap bench`: training, forward and captioning speed of presets S and M with
 * random weights, the GFLOP/s of a training step and the share of the sgemm ceiling measured
 * on the step's own products, peak RSS; a table on stdout and optionally JSON. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/bench_decode.h"
#include "demo/bench_gemm.h"
#include "demo/bench_timer.h"
#include "demo/cli.h"
#include "demo/commands.h"
#include "model/flops.h"
#include "model/train.h"
#include "nn/blas_core.h"
#include "nn/ops.h"

#define MAX_PRESETS 4
#define MAX_THREADS 8
#define MAX_ROWS (MAX_PRESETS * MAX_THREADS)

static const char usage_text[] =
    "usage: xcap bench [--preset S,M] [--threads 1,2] [--min-time SEC] [--json FILE|-]\n"
    "\n"
    "Measures presets with random weights (xcap_model_create; seed --seed) at each thread\n"
    "count (xcap's one thread pool; OpenBLAS runs on one thread inside it):\n"
    "  train      images/s of a training step at batch --batch (default 32) on shapes-world\n"
    "             scenes made once: forward, loss, backward, clipping, AdamW\n"
    "  forward    images/s of the teacher-forced forward pass and loss, same batch\n"
    "  caption    ms to caption one image from its patches, greedy to max_tokens with no stop\n"
    "             at <eos>: with the caches (cross K/V once, self K/V step by step), and\n"
    "             recomputing the whole decoder over the prefix at every step; and the\n"
    "             encoder alone (patches to memory), the part no decoder can save\n"
    "  batched    images/s of cached captioning of --caption-batch (default 64) images\n"
    "  GFLOP/s    training-step FLOPs / median step time. FLOPs count matrix products only\n"
    "             (2·M·N·K), per image with N patches of 3P² values, width d, MLP width f,\n"
    "             Le / Ld encoder / decoder layers, T = max_tokens, vocabulary V, E = 1\n"
    "             with the edge channel (P² more values a patch), else 0:\n"
    "               F = 2·N·3P²·d + E·2·N·P²·d + Le·(8·N·d² + 4·N²·d + 4·N·d·f)\n"
    "                 + Ld·(8·T·d² + 4·T²·d + 4·T·d² + X + 4·T·d·f) + 2·T·d·V\n"
    "             with the cross-attention's X = 4·T·d² + 4·H·T·N·d (H heads) when it is\n"
    "             reassociated (presets S and M: never forms K, V of the memory), else\n"
    "             X = 4·N·d² + 4·T·N·d; a training step of B images is\n"
    "             B·(3·F − 2·N·3P²·d − E·2·N·P²·d)\n"
    "  ceiling    the same FLOPs over the time the step's own sgemm calls take when each\n"
    "             distinct call (shape, transposes, strides) is timed alone in this run:\n"
    "             what the step would reach if everything but its products were free.\n"
    "             share = GFLOP/s / ceiling. 'best sgemm' is the fastest of those calls.\n"
    "  peak RSS   getrusage's high-water mark of the process after that column\n"
    "\n"
    "  --preset LIST      presets to run, comma-separated (default S,M)\n"
    "  --threads LIST     thread counts, comma-separated (default 1,2)\n"
    "  --min-time SEC     time each figure for at least SEC seconds (default 1)\n"
    "  --batch N          training / forward batch (default 32)\n"
    "  --caption-batch N  batched captioning (default 64)\n"
    "  --seed S           weights and scenes (default 1)\n"
    "  --json FILE|-      also write the figures as JSON (\"-\": stdout; the table then goes\n"
    "                     to stderr)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Progress goes to stderr. Exit status: 0 done, 1 failure (one line on stderr), 2 bad usage.\n";

typedef struct {
    const char *presets, *threads, *json;
    float min_time;
    long batch, caption_batch;
    uint64_t seed;
} bench_args;

/* The figures of one preset at one thread count. */
typedef struct {
    char preset[8];
    int threads;
    xcap_config cfg;
    size_t params, vocab, batch, caption_batch;
    double train_s, train_img_s, train_gflop, train_gflops, counted_gflop;
    double forward_s, forward_img_s;
    double caption_ms, encoder_ms, recompute_ms, batched_s, batched_img_s;
    double ceiling_gflops, share, best_gemm_gflops;
    size_t gemm_calls, gemm_shapes;
    double rss_mib;
    int tokens_agree;
} bench_row;

/* Parses argv into a; returns -1 to go on, else the exit code (0 after --help). */
static int parse_args(bench_args *a, int argc, char **argv) {
    static const char *const with_value[] = {"--preset", "--threads", "--min-time", "--batch",
                                             "--caption-batch", "--seed", "--json"};
    for (int i = 1; i < argc;) {
        char name[32];
        const char *val = NULL;
        int got = cli_option(name, &val, "bench", argc, argv, &i, with_value,
                             sizeof with_value / sizeof *with_value);
        if (got == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (got == 2) return 2;
        if (!strcmp(name, "--preset")) a->presets = val;
        else if (!strcmp(name, "--threads")) a->threads = val;
        else if (!strcmp(name, "--json")) a->json = val;
        else if (!strcmp(name, "--min-time")) {
            if (cli_float("bench", name, val, 0.0f, 3600.0f, &a->min_time)) return 2;
        } else if (!strcmp(name, "--batch")) {
            if (cli_long("bench", name, val, 1, 1024, &a->batch)) return 2;
        } else if (!strcmp(name, "--caption-batch")) {
            if (cli_long("bench", name, val, 1, 4096, &a->caption_batch)) return 2;
        } else if (cli_u64("bench", name, val, &a->seed)) {
            return 2;
        }
    }
    return -1;
}

/* Splits "S,M" into at most max names of up to 7 characters; returns the count, 0 if bad. */
static size_t split_list(char names[][8], size_t max, const char *s) {
    size_t n = 0;
    while (*s) {
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= 8 || n == max) return 0;
        memcpy(names[n], s, len);
        names[n++][len] = '\0';
        s += len;
        if (*s == ',') s++;
    }
    return n;
}

/* What a timing callback needs. */
typedef struct {
    xcap_trainer *trainer;
    bench_decoder *dec;
    size_t n;
} bench_work;

static void run_train(void *u) { xcap_trainer_step(((bench_work *)u)->trainer); }
static void run_forward(void *u) {
    bench_work *w = u;
    xcap_batch_forward(&w->trainer->batch, w->trainer->model);
}
static void run_cached(void *u) {
    bench_work *w = u;
    bench_caption_cached(w->dec, w->n);
}
static void run_encode(void *u) {
    bench_work *w = u;
    bench_encode(w->dec, w->n);
}
static void run_recompute(void *u) { bench_caption_recompute(((bench_work *)u)->dec); }

/* Prints one progress line on stderr. */
static void note(const char *preset, int threads, const char *what) {
    fprintf(stderr, "xcap bench: %s, %d thread%s: %s\n", preset, threads, threads == 1 ? "" : "s",
            what);
}

/* Measures one preset at every thread count into rows; returns rows written or -1. */
static int bench_preset(bench_row *rows, const char *preset, const int *threads, size_t n_threads,
                        const bench_args *a, nn_error *err) {
    xcap_config cfg;
    txt_vocab vocab;
    xcap_model *m = NULL;
    xcap_trainer tr;
    bench_decoder dec;
    bench_gemm_log log = {0};
    memset(&tr, 0, sizeof tr);
    memset(&dec, 0, sizeof dec);
    int rc = -1;
    if (xcap_config_preset(&cfg, preset, err) != 0) return -1;
    if (xcap_shapes_vocab(&vocab, &cfg, a->seed, err) != 0) return -1;
    if (!(m = xcap_model_create(&cfg, &vocab, a->seed, err))) {
        txt_vocab_free(&vocab);
        return -1;
    }
    xcap_train_opts o = xcap_train_defaults();
    o.batch = (size_t)a->batch;
    o.seed = a->seed;
    o.steps = 1000000;
    if (xcap_trainer_create(&tr, m, &o, err) != 0 || xcap_trainer_fill_shapes(&tr, err) != 0 ||
        bench_decoder_create(&dec, m, (size_t)a->caption_batch, err) != 0)
        goto done;
    /* the captioning input: the training scenes' patches, repeated */
    size_t per_image = xcap_config_patches(&m->cfg) * 3 * cfg.patch * cfg.patch;
    for (size_t i = 0; i < (size_t)a->caption_batch; i++)
        memcpy(dec.patches + i * per_image, tr.batch.patches + (i % (size_t)a->batch) * per_image,
               per_image * sizeof(float));
    /* the products of one training step */
    bench_gemm_record(&log);
    xcap_trainer_step(&tr);
    bench_gemm_record_stop();
    if (log.failed) {
        nn_fail(err, "out of memory while recording the products of a step");
        goto done;
    }
    double flops = xcap_flops_train_step(&m->cfg, (size_t)a->batch);
    for (size_t k = 0; k < n_threads; k++) {
        bench_row *r = &rows[k];
        bench_stat st;
        bench_work w = {&tr, &dec, 1};
        memset(r, 0, sizeof *r);
        snprintf(r->preset, sizeof r->preset, "%.7s", preset);
        r->threads = threads[k];
        r->cfg = m->cfg;
        r->params = m->layout.total;
        r->vocab = m->cfg.vocab_size;
        r->batch = (size_t)a->batch;
        r->caption_batch = (size_t)a->caption_batch;
        r->train_gflop = flops * 1e-9;
        r->counted_gflop = log.flops * 1e-9;
        r->gemm_calls = log.calls;
        r->gemm_shapes = log.n;
        nn_set_threads(threads[k]);
        note(preset, threads[k], "training step");
        bench_run(&st, run_train, &w, a->min_time, 3);
        r->train_s = st.median;
        r->train_img_s = (double)a->batch / st.median;
        r->train_gflops = flops / st.median * 1e-9;
        note(preset, threads[k], "forward");
        bench_run(&st, run_forward, &w, a->min_time, 3);
        r->forward_s = st.median;
        r->forward_img_s = (double)a->batch / st.median;
        note(preset, threads[k], "sgemm ceiling");
        double gemm_s;
        if (bench_gemm_replay(&gemm_s, &r->best_gemm_gflops, &log, 0.02, err) != 0) goto done;
        r->ceiling_gflops = log.flops / gemm_s * 1e-9;
        r->share = r->train_gflops / r->ceiling_gflops;
        note(preset, threads[k], "captioning");
        bench_run(&st, run_cached, &w, a->min_time, 5);
        r->caption_ms = st.median * 1e3;
        bench_run(&st, run_encode, &w, a->min_time, 5);
        r->encoder_ms = st.median * 1e3;
        bench_run(&st, run_recompute, &w, a->min_time, 5);
        r->recompute_ms = st.median * 1e3;
        r->tokens_agree = !memcmp(dec.tokens, dec.tokens_full, cfg.max_tokens * sizeof(int));
        w.n = (size_t)a->caption_batch;
        bench_run(&st, run_cached, &w, a->min_time, 3);
        r->batched_s = st.median;
        r->batched_img_s = (double)a->caption_batch / st.median;
        r->rss_mib = bench_peak_rss_mib();
    }
    rc = (int)n_threads;
done:
    bench_gemm_log_free(&log);
    bench_decoder_free(&dec);
    xcap_trainer_free(&tr);
    xcap_model_free(m);
    return rc;
}

/* Prints the table: one column per (preset, threads). */
static void print_table(FILE *f, const bench_row *rows, size_t n) {
    fprintf(f, "%-30s", "");
    for (size_t i = 0; i < n; i++) {
        char h[32];
        snprintf(h, sizeof h, "%.7s / %d thr", rows[i].preset, rows[i].threads % 1000);
        fprintf(f, " %12s", h);
    }
    fputc('\n', f);
#define ROW(label, fmt, expr)                                           \
    do {                                                                \
        fprintf(f, "%-30s", label);                                     \
        for (size_t i = 0; i < n; i++) fprintf(f, " %12" fmt, (expr)); \
        fputc('\n', f);                                                 \
    } while (0)
    ROW("train img/s (batch)", ".1f", rows[i].train_img_s);
    ROW("train step ms", ".1f", rows[i].train_s * 1e3);
    ROW("train GFLOP/s", ".1f", rows[i].train_gflops);
    ROW("sgemm ceiling GFLOP/s", ".1f", rows[i].ceiling_gflops);
    ROW("share of ceiling %", ".1f", 100.0 * rows[i].share);
    ROW("best sgemm GFLOP/s", ".1f", rows[i].best_gemm_gflops);
    ROW("forward img/s (batch)", ".1f", rows[i].forward_img_s);
    ROW("caption ms, cached", ".3f", rows[i].caption_ms);
    ROW("caption ms, encoder only", ".3f", rows[i].encoder_ms);
    ROW("caption ms, recompute", ".3f", rows[i].recompute_ms);
    ROW("batched caption img/s", ".1f", rows[i].batched_img_s);
    ROW("peak RSS MiB", ".1f", rows[i].rss_mib);
    ROW("step GFLOP (formula)", ".3f", rows[i].train_gflop);
    ROW("step GFLOP (counted)", ".3f", rows[i].counted_gflop);
    ROW("sgemm calls per step", "zu", rows[i].gemm_calls);
    ROW("distinct sgemm calls", "zu", rows[i].gemm_shapes);
#undef ROW
    for (size_t i = 0; i < n; i++)
        if (!rows[i].tokens_agree)
            fprintf(f, "note: %s/%d: cached and recomputed captions differ (near-tied logits)\n",
                    rows[i].preset, rows[i].threads);
    fprintf(f, "OpenBLAS kernels: %s\n", nn_blas_core());
}

/* The figures as JSON. */
static cJSON *rows_json(const bench_row *rows, size_t n) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "tool", "xcap");
    cJSON_AddStringToObject(o, "blas_core", nn_blas_core());
    cJSON_AddStringToObject(o, "flops",
                            "F = 2*N*3P^2*d + E*2*N*P^2*d + Le*(8*N*d^2 + 4*N^2*d + 4*N*d*f) + "
                            "Ld*(8*T*d^2 + 4*T^2*d + 4*T*d^2 + X + 4*T*d*f) + 2*T*d*V, "
                            "X = 4*T*d^2 + 4*H*T*N*d (cross-attention reassociated, as in S "
                            "and M) else 4*N*d^2 + 4*T*N*d; "
                            "train step = B*(3*F - 2*N*3P^2*d - E*2*N*P^2*d)");
    cJSON *arr = cJSON_AddArrayToObject(o, "results");
    for (size_t i = 0; arr && i < n; i++) {
        const bench_row *r = &rows[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) continue;
        cJSON_AddStringToObject(e, "preset", r->preset);
        cJSON_AddNumberToObject(e, "threads", r->threads);
        /* the config as a model file stores it, so that the PyTorch peer builds the same */
        cJSON *c = cJSON_AddObjectToObject(e, "config");
        const char *keys[XCAP_CONFIG_META], *vals[XCAP_CONFIG_META];
        char buf[XCAP_CONFIG_META][24];
        xcap_config_to_meta(&r->cfg, keys, vals, buf);
        for (size_t j = 0; c && j < XCAP_CONFIG_META; j++)
            cJSON_AddNumberToObject(c, keys[j], strtod(vals[j], NULL));
        cJSON_AddNumberToObject(e, "params", (double)r->params);
        cJSON_AddNumberToObject(e, "vocab", (double)r->vocab);
        cJSON_AddNumberToObject(e, "batch", (double)r->batch);
        cJSON_AddNumberToObject(e, "caption_batch", (double)r->caption_batch);
        cJSON_AddNumberToObject(e, "train_step_s", r->train_s);
        cJSON_AddNumberToObject(e, "train_img_s", r->train_img_s);
        cJSON_AddNumberToObject(e, "train_gflop", r->train_gflop);
        cJSON_AddNumberToObject(e, "train_gflops", r->train_gflops);
        cJSON_AddNumberToObject(e, "ceiling_gflops", r->ceiling_gflops);
        cJSON_AddNumberToObject(e, "ceiling_share", r->share);
        cJSON_AddNumberToObject(e, "best_sgemm_gflops", r->best_gemm_gflops);
        cJSON_AddNumberToObject(e, "forward_img_s", r->forward_img_s);
        cJSON_AddNumberToObject(e, "caption_ms_cached", r->caption_ms);
        cJSON_AddNumberToObject(e, "caption_ms_encoder", r->encoder_ms);
        cJSON_AddNumberToObject(e, "caption_ms_recompute", r->recompute_ms);
        cJSON_AddNumberToObject(e, "caption_batch_img_s", r->batched_img_s);
        cJSON_AddNumberToObject(e, "peak_rss_mib", r->rss_mib);
        cJSON_AddNumberToObject(e, "counted_gflop", r->counted_gflop);
        cJSON_AddNumberToObject(e, "sgemm_calls", (double)r->gemm_calls);
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

/* Entry point of `xcap bench`; argv[0] is the command name. Returns the exit code. */
int cmd_bench(int argc, char **argv) {
    bench_args a = {"S,M", "1,2", NULL, 1.0f, 32, 64, 1};
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    char presets[MAX_PRESETS][8], thread_names[MAX_THREADS][8];
    size_t n_presets = split_list(presets, MAX_PRESETS, a.presets);
    size_t n_threads = split_list(thread_names, MAX_THREADS, a.threads);
    if (!n_presets)
        return cli_usage_error("bench", "--preset expects a list like S,M, got '%s'", a.presets);
    if (!n_threads)
        return cli_usage_error("bench", "--threads expects a list like 1,2, got '%s'", a.threads);
    nn_error err = {{0}};
    for (size_t p = 0; p < n_presets; p++) {
        xcap_config cfg;
        if (xcap_config_preset(&cfg, presets[p], &err) != 0)
            return cli_usage_error("bench", "%s", err.msg);
    }
    int threads[MAX_THREADS];
    for (size_t i = 0; i < n_threads; i++) {
        long t;
        if (cli_long("bench", "--threads", thread_names[i], 1, 256, &t)) return 2;
        threads[i] = (int)t;
    }
    bench_row rows[MAX_ROWS];
    size_t n = 0;
    for (size_t p = 0; p < n_presets; p++) {
        int got = bench_preset(rows + n, presets[p], threads, n_threads, &a, &err);
        if (got < 0) {
            fprintf(stderr, "xcap bench: %s\n", err.msg);
            return 1;
        }
        n += (size_t)got;
    }
    FILE *out = a.json && !strcmp(a.json, "-") ? stderr : stdout;
    print_table(out, rows, n);
    if (a.json && cli_write_json(a.json, rows_json(rows, n), &err) != 0) {
        fprintf(stderr, "xcap bench: %s\n", err.msg);
        return 1;
    }
    return 0;
}

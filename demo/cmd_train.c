/* cmd_train.c — `xcap train`: trains a captioner on the shapes world, with progress,
 * periodic validation, atomic checkpoints, Ctrl-C handling and bit-exact resume. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/cli.h"
#include "demo/commands.h"
#include "model/eval_dataset.h"
#include "model/train.h"
#include "nn/ops.h"
#include "vision/shapes.h"

static volatile sig_atomic_t g_interrupted = 0;

/* SIGINT: finish the current step, save a checkpoint, exit 130. */
static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: xcap train [options] --out MODEL.safetensors\n"
            "\n"
            "Trains a captioner on the built-in shapes world (scenes made on the fly), or on a\n"
            "caption dataset on disk (COCO captions layout, as `xcap scenes` writes).\n"
            "\n"
            "  --data FILE         captions JSON to train on (default: the shapes world)\n"
            "  --images DIR        folder the JSON's file names are relative to (with --data)\n"
            "  --split NAME        use only images of this split (with --data; default train\n"
            "                      when the file has splits)\n"
            "  --min-count N       vocabulary: words seen at least N times (with --data; default 1)\n"
            "  --out FILE          final model (written atomically)\n"
            "  --preset S|M        model size (default S)\n"
            "  --enc-layers N      override the preset's encoder depth (S: 0, M: 4)\n"
            "  --edge-features     the encoder also embeds a colour-blind outline map of each\n"
            "                      patch, vision/patch_edges.h (the S preset's default)\n"
            "  --no-edge-features  pixels only (the M preset's default)\n"
            "  --steps N           optimiser steps (default 40000)\n"
            "  --batch N           scenes per step (default 32)\n"
            "  --lr X              peak learning rate (default 2e-3)\n"
            "  --warmup N          linear warm-up steps (default 500)\n"
            "  --weight-decay X    AdamW decoupled weight decay (default 0.01)\n"
            "  --clip X            gradient-norm clip, 0 = off (default 1)\n"
            "  --max-objects K     scenes have 1..K objects (default 3)\n"
            "  --align-loss W      add W x the alignment loss: cross-entropy between a cross-\n"
            "                      attention head at each size/colour/shape word and the patch\n"
            "                      share of the object the word names (shapes world only;\n"
            "                      default 1 there, 0 = off)\n"
            "  --word-dropout P    replace each input word by <unk> with probability P, so words\n"
            "                      are read off the image, not the previous word (default 0)\n"
            "  --grey-views P      show a scene in grey with probability P, its colour words\n"
            "                      neither read nor taught, so shapes are told by outline\n"
            "                      rather than by colour (shapes world; default 0)\n"
            "  --align-heads L:H,...  the supervised heads, one per layer (default: the last\n"
            "                      layer's head 0); stored in the model as its alignment heads\n"
            "  --seed N            seed of weights and data (default 1)\n"
            "  --threads N         BLAS threads (default: OpenBLAS's choice)\n"
            "  --val-every N       validate every N steps, 0 = only at the end (default 1000)\n"
            "  --val-count N       validation scenes (default 300)\n"
            "  --checkpoint FILE   checkpoint path (default OUT.ckpt)\n"
            "  --ckpt-every N      checkpoint every N steps (default 500)\n"
            "  --resume FILE       continue from a checkpoint (same options as stored)\n"
            "  --log-every N       progress line every N steps when not a terminal (default 100)\n"
            "  -h, --help          this help\n");
}

/* Loads a dataset for training: with no split given, "train" when the file has one. */
static int load_disk(xcap_disk_data *d, const char *json, const char *images, const char *split,
                     const xcap_config *cfg, nn_error *err) {
    if (!split && xcap_disk_data_load(d, json, images, "train", cfg, err) == 0) return 0;
    return xcap_disk_data_load(d, json, images, split, cfg, err);
}

/* Builds the vocabulary from the training captions of d. */
static int disk_vocab(txt_vocab *v, const xcap_disk_data *d, size_t min_count, nn_error *err) {
    size_t n;
    const char **caps = txt_dataset_caption_list(&d->ds, &n);
    if (!caps) return nn_fail(err, "no captions to build a vocabulary from");
    int rc = txt_vocab_build(v, caps, n, min_count, err);
    free(caps);
    return rc;
}

/* Runs validation and prints one line to stderr. */
static void validate(const xcap_model *m, long step, size_t count, uint64_t seed, double start) {
    xcap_eval_report rep;
    nn_error err;
    double t0 = cli_now();
    xcap_eval_opts o = xcap_eval_default_opts();
    o.batch = 64;
    if (xcap_eval_scenes(&rep, m, VIS_SPLIT_VAL, seed ^ 0x7a11d, count, &o, &err) != 0) {
        fprintf(stderr, "xcap train: validation failed: %s\n", err.msg);
        return;
    }
    const xcap_eval_result r = rep.scores;
    fprintf(stderr,
            "val step %ld (%.1f min): exact %.3f (1 obj %.3f, 2 obj %.3f, 3 obj %.3f)  BLEU-4 %.4f  "
            "CIDEr-D %.3f  [%zu scenes, %.1fs]\n",
            step, (t0 - start) / 60.0, r.exact, r.exact_by_objects[1], r.exact_by_objects[2], r.exact_by_objects[3],
            r.bleu4, r.cider_d, r.count, cli_now() - t0);
}

int cmd_train(int argc, char **argv) {
    const char *out = NULL, *preset = "S", *ckpt = NULL, *resume = NULL, *data = NULL,
               *images = NULL, *split = NULL, *align_heads = NULL;
    long min_count = 1;
    int edge_features = -1;  /* -1: the preset's */
    xcap_train_opts o = xcap_train_defaults();
    o.align_weight = -1.0f;  /* -1: 1 on the shapes world, 0 with --data */
    long enc_layers = -1, threads = 0, val_every = 1000, val_count = 300, ckpt_every = 500,
         log_every = 100, v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--out")) out = val;
        else if (!strcmp(a, "--preset")) preset = val;
        else if (!strcmp(a, "--checkpoint")) ckpt = val;
        else if (!strcmp(a, "--resume")) resume = val;
        else if (!strcmp(a, "--data")) data = val;
        else if (!strcmp(a, "--images")) images = val;
        else if (!strcmp(a, "--split")) split = val;
        else if (!strcmp(a, "--min-count")) { if (cli_long("train", a, val, 1, 1000000, &min_count)) return 2; }
        else if (!strcmp(a, "--enc-layers")) { if (cli_long("train", a, val, 0, VIS_MAX_LAYERS, &enc_layers)) return 2; }
        else if (!strcmp(a, "--steps")) { if (cli_long("train", a, val, 1, 100000000, &o.steps)) return 2; }
        else if (!strcmp(a, "--batch")) { if (cli_long("train", a, val, 1, XCAP_TRAIN_MAX_BATCH, &v)) return 2; o.batch = (size_t)v; }
        else if (!strcmp(a, "--lr")) { if (cli_float("train", a, val, 0, 1, &o.lr)) return 2; }
        else if (!strcmp(a, "--warmup")) { if (cli_long("train", a, val, 0, 100000000, &o.warmup)) return 2; }
        else if (!strcmp(a, "--weight-decay")) { if (cli_float("train", a, val, 0, 1, &o.weight_decay)) return 2; }
        else if (!strcmp(a, "--clip")) { if (cli_float("train", a, val, 0, 1e6f, &o.clip)) return 2; }
        else if (!strcmp(a, "--max-objects")) { if (cli_long("train", a, val, 1, 3, &v)) return 2; o.max_objects = (int)v; }
        else if (!strcmp(a, "--align-loss")) { if (cli_float("train", a, val, 0, 1000, &o.align_weight)) return 2; }
        else if (!strcmp(a, "--align-heads")) align_heads = val;
        else if (!strcmp(a, "--edge-features") || !strcmp(a, "--no-edge-features")) {
            edge_features = !strcmp(a, "--edge-features");
            used = 0;
        }
        else if (!strcmp(a, "--grey-views")) { if (cli_float("train", a, val, 0, 0.95f, &o.grey_views)) return 2; }
        else if (!strcmp(a, "--word-dropout")) { if (cli_float("train", a, val, 0, 0.95f, &o.word_dropout)) return 2; }
        else if (!strcmp(a, "--seed")) { if (cli_u64("train", a, val, &o.seed)) return 2; }
        else if (!strcmp(a, "--threads")) { if (cli_long("train", a, val, 1, 256, &threads)) return 2; }
        else if (!strcmp(a, "--val-every")) { if (cli_long("train", a, val, 0, 100000000, &val_every)) return 2; }
        else if (!strcmp(a, "--val-count")) { if (cli_long("train", a, val, 1, 1000000, &val_count)) return 2; }
        else if (!strcmp(a, "--ckpt-every")) { if (cli_long("train", a, val, 1, 100000000, &ckpt_every)) return 2; }
        else if (!strcmp(a, "--log-every")) { if (cli_long("train", a, val, 1, 100000000, &log_every)) return 2; }
        else {
            fprintf(stderr, "xcap train: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        if (used && val == NULL) {
            fprintf(stderr, "xcap train: %s needs a value\n", a);
            return 2;
        }
        i += used;
    }
    if (!out) {
        fprintf(stderr, "xcap train: --out FILE is required (see --help)\n");
        return 2;
    }
    if ((data != NULL) != (images != NULL)) {
        fprintf(stderr, "xcap train: --data and --images go together (see --help)\n");
        return 2;
    }
    if (o.align_weight < 0.0f) o.align_weight = data ? 0.0f : 1.0f;
    if (data && (o.align_weight > 0.0f || o.grey_views > 0.0f)) {
        fprintf(stderr, "xcap train: --align-loss and --grey-views need the shapes world's groundings; "
                        "they cannot be used with --data\n");
        return 2;
    }
    char ckpt_buf[4096];
    if (!ckpt) {
        snprintf(ckpt_buf, sizeof ckpt_buf, "%s.ckpt", out);
        ckpt = ckpt_buf;
    }
    if (threads > 0) nn_set_threads((int)threads);

    nn_error err;
    xcap_trainer t;
    xcap_disk_data disk;
    memset(&disk, 0, sizeof disk);
    xcap_model *m = NULL;
    if (resume) {
        m = xcap_checkpoint_load(&t, resume, &err);
        if (!m) {
            fprintf(stderr, "xcap train: %s\n", err.msg);
            return 1;
        }
        fprintf(stderr, "resuming %s at step %ld of %ld\n", resume, t.step, t.opts.steps);
    } else {
        xcap_config cfg;
        txt_vocab vocab;
        if (xcap_config_preset(&cfg, preset ? preset : "", &err) != 0) {
            fprintf(stderr, "xcap train: %s\n", err.msg);
            return 2;
        }
        if (enc_layers >= 0) cfg.enc_layers = (size_t)enc_layers;
        if (edge_features >= 0) cfg.edge_features = (size_t)edge_features;
        if (o.align_weight > 0.0f) {
            char last[32];
            snprintf(last, sizeof last, "%zu:0", cfg.dec_layers - 1);
            if (xcap_train_parse_align_heads(&o, align_heads ? align_heads : last, cfg.dec_layers,
                                             cfg.n_heads, &err) != 0) {
                fprintf(stderr, "xcap train: --align-heads: %s\n", err.msg);
                return 2;
            }
        }
        if (data && load_disk(&disk, data, images, split, &cfg, &err) != 0) {
            fprintf(stderr, "xcap train: %s\n", err.msg);
            return 1;
        }
        int vocab_rc = data ? disk_vocab(&vocab, &disk, (size_t)min_count, &err)
                            : xcap_shapes_vocab(&vocab, &cfg, o.seed, &err);
        if (vocab_rc != 0 ||
            !(m = xcap_model_create(&cfg, &vocab, o.seed, &err)) ||
            xcap_trainer_create(&t, m, &o, &err) != 0) {
            fprintf(stderr, "xcap train: %s\n", err.msg);
            xcap_model_free(m);
            xcap_disk_data_free(&disk);
            return 1;
        }
    }
    if (resume && data && load_disk(&disk, data, images, split, &m->cfg, &err) != 0) {
        fprintf(stderr, "xcap train: %s\n", err.msg);
        xcap_trainer_free(&t);
        xcap_model_free(m);
        return 1;
    }
    if (data) fprintf(stderr, "data: %s, %zu images, %zu captions\n", data, disk.ds.n_items, disk.ds.n_captions);
    fprintf(stderr, "model: %zux%zu input, %zux%zu patches%s, d=%zu, %zu heads, %zu enc + %zu dec layers, "
                    "vocab %zu, %zu parameters\n",
            m->cfg.image_w, m->cfg.image_h, xcap_config_grid_w(&m->cfg), xcap_config_grid_h(&m->cfg),
            m->cfg.edge_features ? " + edge channel" : "", m->cfg.d_model, m->cfg.n_heads, m->cfg.enc_layers, m->cfg.dec_layers, m->vocab.size,
            m->layout.total);
    signal(SIGINT, on_sigint);
    cli_progress prog;
    long first = t.step;
    cli_progress_start(&prog, "images", "img", (t.opts.steps - first) * (long)t.opts.batch);
    int rc = 0;
    while (t.step < t.opts.steps) {
        if (data) xcap_trainer_fill_disk(&t, &disk);
        else if (xcap_trainer_fill_shapes(&t, &err) != 0) {
            fprintf(stderr, "xcap train: %s\n", err.msg);
            rc = 1;
            break;
        }
        xcap_trainer_step(&t);
        int last = t.step == t.opts.steps;
        if (prog.tty || t.step % log_every == 0 || last) {
            char extra[160];
            snprintf(extra, sizeof extra, "loss %.4f  lr %.2e  |g| %.2f", t.last_loss, t.last_lr, t.last_norm);
            if (t.opts.align_weight > 0.0f)
                snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  align %.4f", t.last_align);
            /* counts images of this session, so the rate and ETA stay right after --resume */
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  step %ld/%ld", t.step,
                     t.opts.steps);
            cli_progress_show(&prog, (t.step - first) * (long)t.opts.batch, extra);
        }
        if (!data && ((val_every > 0 && t.step % val_every == 0) || last)) {
            cli_progress_end(&prog);
            validate(m, t.step, (size_t)val_count, t.opts.seed, prog.start);
        }
        if (t.step % ckpt_every == 0 || g_interrupted) {
            if (xcap_checkpoint_save(&t, ckpt, &err) != 0) {
                fprintf(stderr, "xcap train: %s\n", err.msg);
                rc = 1;
                break;
            }
        }
        if (g_interrupted) {
            cli_progress_end(&prog);
            fprintf(stderr, "interrupted at step %ld: checkpoint saved to %s (resume with --resume)\n",
                    t.step, ckpt);
            rc = 130;
            break;
        }
    }
    cli_progress_end(&prog);
    if (rc == 0) {
        if (xcap_model_save_file(m, out, &err) != 0 || xcap_checkpoint_save(&t, ckpt, &err) != 0) {
            fprintf(stderr, "xcap train: %s\n", err.msg);
            rc = 1;
        } else {
            fprintf(stderr, "saved %s (checkpoint %s)\n", out, ckpt);
        }
    }
    xcap_trainer_free(&t);
    xcap_model_free(m);
    xcap_disk_data_free(&disk);
    return rc;
}

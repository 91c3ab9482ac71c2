/* cmd_train.c — `xcap train`: trains a captioner on the shapes world, with progress,
 * periodic validation, atomic checkpoints, Ctrl-C handling and bit-exact resume; under
 * mpirun (built with -DXCAP_MPI=ON) data parallel over the processes, rank 0 speaking
 * and writing for all. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo/cli.h"
#include "demo/commands.h"
#include "model/eval_dataset.h"
#include "model/train.h"
#include "model/train_group.h"
#include "nn/ops.h"
#include "vision/shapes.h"

static volatile sig_atomic_t g_interrupted = 0;

/* SIGINT (and under mpirun SIGTERM, SIGUSR1): finish the current step, save a checkpoint,
 * exit 130. */
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
            "Built with -DXCAP_MPI=ON, `mpirun -np P xcap train ...` shares every step's --batch\n"
            "between P processes (the same result as one process); rank 0 prints and writes.\n"
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
            "  --fit stretch|letterbox  how pictures meet the square input: stretched (default),\n"
            "                      or scaled with their aspect kept and padded; stored in the model\n"
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
            "  --threads N         threads (default: OPENBLAS_NUM_THREADS, else the CPUs)\n"
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

/* The command line of `xcap train`. */
typedef struct {
    const char *out, *preset, *ckpt, *resume, *data, *images, *split, *align_heads;
    long min_count;
    int edge_features;  /* -1: the preset's */
    int letterbox;      /* --fit: 0 stretch (default), 1 letterbox */
    xcap_train_opts o;
    long enc_layers, threads, val_every, val_count, ckpt_every, log_every;
    char ckpt_buf[4096];
} train_args;

/* Reads the command line into *A; returns -1 to go on, else the exit code (0 after --help,
 * 2 after a bad-usage message). */
static int parse_args(train_args *A, int argc, char **argv) {
    memset(A, 0, sizeof *A);
    const char *out = NULL, *preset = "S", *ckpt = NULL, *resume = NULL, *data = NULL,
               *images = NULL, *split = NULL, *align_heads = NULL;
    long min_count = 1;
    int edge_features = -1;  /* -1: the preset's */
    int letterbox = 0;
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
        else if (!strcmp(a, "--fit")) {
            if (val && strcmp(val, "stretch") && strcmp(val, "letterbox")) {
                fprintf(stderr, "xcap train: --fit takes stretch or letterbox, not '%s'\n", val);
                return 2;
            }
            letterbox = val && !strcmp(val, "letterbox");
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
    *A = (train_args){out, preset, ckpt, resume, data, images, split, align_heads, min_count,
                      edge_features, letterbox, o, enc_layers, threads, val_every, val_count, ckpt_every,
                      log_every, {0}};
    if (!A->ckpt) {
        snprintf(A->ckpt_buf, sizeof A->ckpt_buf, "%s.ckpt", out);
        A->ckpt = A->ckpt_buf;
    }
    return -1;
}

/* Prints "xcap train: msg" on stderr, naming the rank when there are several; a bad-usage
 * error (rc 2), the same on every rank, only on rank 0. Returns rc. */
static int report(const xcap_dist *d, int rc, const char *msg) {
    if (d->size <= 1) fprintf(stderr, "xcap train: %s\n", msg);
    else if (rc != 2 || d->rank == 0)
        fprintf(stderr, "xcap train (rank %d of %d): %s\n", d->rank, d->size, msg);
    return rc;
}

/* Builds the model and trainer: from a checkpoint, or new; loads the dataset (a->data).
 * Returns 0 or an exit code after reporting. */
static int setup(xcap_model **mp, xcap_trainer *t, xcap_disk_data *disk, train_args *a,
                 xcap_dist *d) {
    nn_error err;
    int lead = d->rank == 0;
    xcap_model *m = NULL;
    if (a->resume) {
        m = xcap_checkpoint_load(t, a->resume, &err);
        if (!m) return report(d, 1, err.msg);
        if (lead) fprintf(stderr, "resuming %s at step %ld of %ld\n", a->resume, t->step, t->opts.steps);
    } else {
        xcap_config cfg;
        txt_vocab vocab;
        xcap_train_opts *o = &a->o;
        if (xcap_config_preset(&cfg, a->preset ? a->preset : "", &err) != 0) return report(d, 2, err.msg);
        if (a->enc_layers >= 0) cfg.enc_layers = (size_t)a->enc_layers;
        if (a->edge_features >= 0) cfg.edge_features = (size_t)a->edge_features;
        cfg.letterbox = (size_t)a->letterbox;
        if (o->align_weight > 0.0f) {
            char last[32];
            snprintf(last, sizeof last, "%zu:0", cfg.dec_layers - 1);
            if (xcap_train_parse_align_heads(o, a->align_heads ? a->align_heads : last, cfg.dec_layers,
                                             cfg.n_heads, &err) != 0) {
                nn_fail_prefix(&err, "--align-heads");
                return report(d, 2, err.msg);
            }
        }
        if (a->data && load_disk(disk, a->data, a->images, a->split, &cfg, &err) != 0)
            return report(d, 1, err.msg);
        int vocab_rc = a->data ? disk_vocab(&vocab, disk, (size_t)a->min_count, &err)
                               : xcap_shapes_vocab(&vocab, &cfg, o->seed, &err);
        if (vocab_rc != 0 ||
            !(m = xcap_model_create(&cfg, &vocab, o->seed, &err)) ||
            xcap_trainer_create(t, m, o, &err) != 0) {
            xcap_model_free(m);
            return report(d, 1, err.msg);
        }
    }
    if (a->resume && a->data && load_disk(disk, a->data, a->images, a->split, &m->cfg, &err) != 0) {
        xcap_trainer_free(t);
        xcap_model_free(m);
        return report(d, 1, err.msg);
    }
    /* every rank made or read the same model: its own shard of each batch, and a check */
    if (t->opts.batch < (size_t)d->size) {
        nn_fail(&err, "a batch of %zu scenes cannot be shared by %d processes (--batch at least %d)",
                t->opts.batch, d->size, d->size);
        xcap_trainer_free(t);
        xcap_model_free(m);
        return report(d, 2, err.msg);
    }
    if (xcap_trainer_join(t, d, &err) != 0 || xcap_trainer_check_group(t, d, &err) != 0) {
        xcap_trainer_free(t);
        xcap_model_free(m);
        return report(d, 1, err.msg);
    }
    *mp = m;
    return 0;
}

/* Prints the model (and data, and group) lines on rank 0. */
static void describe(const xcap_model *m, const xcap_trainer *t, const xcap_disk_data *disk,
                     const train_args *a, const xcap_dist *d) {
    if (d->rank != 0) return;
    if (a->data) fprintf(stderr, "data: %s, %zu images, %zu captions\n", a->data, disk->ds.n_items, disk->ds.n_captions);
    fprintf(stderr, "model: %zux%zu input, %zux%zu patches%s, d=%zu, %zu heads, %zu enc + %zu dec layers, "
                    "vocab %zu, %zu parameters\n",
            m->cfg.image_w, m->cfg.image_h, xcap_config_grid_w(&m->cfg), xcap_config_grid_h(&m->cfg),
            m->cfg.edge_features ? " + edge channel" : "", m->cfg.d_model, m->cfg.n_heads, m->cfg.enc_layers, m->cfg.dec_layers, m->vocab.size,
            m->layout.total);
    if (d->size > 1) {
        size_t P = (size_t)d->size, B = t->opts.batch;
        char share[64];
        if (B % P == 0) snprintf(share, sizeof share, "%zu", B / P);
        else snprintf(share, sizeof share, "%zu or %zu", B / P, B / P + 1);
        fprintf(stderr, "mpi: %d processes, each computing %s of the %zu scenes of a step; the "
                        "gradient (%.2f MB) is summed in %zu bucket(s) of at most %.2f MB\n",
                d->size, share, B, (double)m->layout.total * 4.0 / 1e6,
                (m->layout.total + d->bucket - 1) / d->bucket, (double)d->bucket * 4.0 / 1e6);
    }
}

/* The training loop from t's step to the last; returns the exit code. */
static int train_loop(xcap_trainer *t, xcap_model *m, const xcap_disk_data *disk,
                      const train_args *a, xcap_dist *d) {
    nn_error err;
    int lead = d->rank == 0;
    signal(SIGINT, on_sigint);
    if (d->size > 1) {
        /* mpirun passes SIGTERM (its own SIGINT, SIGTERM) and SIGUSR1 on to every rank */
        signal(SIGTERM, on_sigint);
        signal(SIGUSR1, on_sigint);
    }
    cli_progress prog = {0};
    long first = t->step;
    if (lead) cli_progress_start(&prog, "images", "img", (t->opts.steps - first) * (long)t->opts.batch);
    int rc = 0;
    double reduce0 = d->seconds, start = cli_now();
    while (t->step < t->opts.steps) {
        if (a->data) xcap_trainer_fill_disk(t, disk);
        else if (xcap_trainer_fill_shapes(t, &err) != 0) {
            rc = report(d, 1, err.msg);
            break;
        }
        if (xcap_trainer_step_group(t, d, &err) != 0) {
            rc = report(d, 1, err.msg);
            break;
        }
        int last = t->step == t->opts.steps;
        if (lead && (prog.tty || t->step % a->log_every == 0 || last)) {
            char extra[160];
            snprintf(extra, sizeof extra, "loss %.4f  lr %.2e  |g| %.2f", t->last_loss, t->last_lr, t->last_norm);
            if (t->opts.align_weight > 0.0f)
                snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  align %.4f", t->last_align);
            /* counts images of this session, so the rate and ETA stay right after --resume */
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  step %ld/%ld", t->step,
                     t->opts.steps);
            cli_progress_show(&prog, (t->step - first) * (long)t->opts.batch, extra);
        }
        if (lead && !a->data && ((a->val_every > 0 && t->step % a->val_every == 0) || last)) {
            cli_progress_end(&prog);
            validate(m, t->step, (size_t)a->val_count, t->opts.seed, prog.start);
        }
        int stop;
        /* every rank stops at the same step: a signal that reached one reaches all */
        if (xcap_dist_any(d, g_interrupted, &stop, &err) != 0) {
            rc = report(d, 1, err.msg);
            break;
        }
        if (t->step % a->ckpt_every == 0 || stop) {
            if (xcap_trainer_check_group(t, d, &err) != 0 ||
                (lead && xcap_checkpoint_save(t, a->ckpt, &err) != 0)) {
                rc = report(d, 1, err.msg);
                break;
            }
        }
        if (stop) {
            if (lead) {
                cli_progress_end(&prog);
                fprintf(stderr, "interrupted at step %ld: checkpoint saved to %s (resume with --resume)\n",
                        t->step, a->ckpt);
            }
            rc = 130;
            break;
        }
    }
    if (lead) cli_progress_end(&prog);
    if (lead && d->size > 1 && t->step > first) {
        double red = d->seconds - reduce0, all = cli_now() - start;
        fprintf(stderr, "mpi: %.1f s of %.1f s in sums over the %d processes (%.2f ms a step, waiting for "
                        "the slowest included)\n", red, all, d->size, 1e3 * red / (double)(t->step - first));
    }
    if (rc == 0 && lead) {
        if (xcap_model_save_file(m, a->out, &err) != 0 || xcap_checkpoint_save(t, a->ckpt, &err) != 0)
            rc = report(d, 1, err.msg);
        else
            fprintf(stderr, "saved %s (checkpoint %s)\n", a->out, a->ckpt);
    }
    return rc;
}

/* Fails unless a file can be made next to path, as the atomic write will make one, so that
 * a missing or unwritable output folder is found before training, not after it. */
static int check_writable(const char *path, nn_error *err) {
    char tmp[4200];
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return nn_fail(err, "%s: not a regular file; refused, as the write would replace it", path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return nn_fail(err, "%s: cannot write there (%s)", path, strerror(errno));
    close(fd);
    unlink(tmp);
    return 0;
}

/* Points fd (stdout or stderr) at /dev/null; returns a copy of the old one, or -1. */
static int mute(int fd) {
    int saved = dup(fd), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, fd);
    if (null >= 0) close(null);
    return saved;
}

/* Undoes mute. */
static void unmute(int fd, int saved) {
    if (saved < 0) return;
    fflush(fd == 1 ? stdout : stderr);
    dup2(saved, fd);
    close(saved);
}

int cmd_train(int argc, char **argv) {
    xcap_dist d;
    nn_error err;
    if (xcap_dist_init(&d, &err) != 0) {
        fprintf(stderr, "xcap train: %s\n", err.msg);
        return 1;
    }
    train_args a;
    /* the command line is the same on every rank, and so are its errors: rank 0 shows them */
    int out = d.rank ? mute(1) : -1, errs = d.rank ? mute(2) : -1;
    int rc = parse_args(&a, argc, argv);
    unmute(1, out);
    unmute(2, errs);
    if (rc < 0) {
        nn_set_threads(a.threads > 0 ? (int)a.threads : nn_default_threads());
        xcap_trainer t;
        xcap_disk_data disk;
        memset(&disk, 0, sizeof disk);
        xcap_model *m = NULL;
        if (d.rank == 0 && (check_writable(a.out, &err) != 0 || check_writable(a.ckpt, &err) != 0))
            rc = report(&d, 1, err.msg);
        else
            rc = setup(&m, &t, &disk, &a, &d);
        if (rc == 0) {
            describe(m, &t, &disk, &a, &d);
            rc = train_loop(&t, m, &disk, &a, &d);
            xcap_trainer_free(&t);
            xcap_model_free(m);
        }
        xcap_disk_data_free(&disk);
    }
    /* an error met by this rank alone would leave the others waiting: end the job */
    if (rc != 0 && rc != 2 && rc != 130) xcap_dist_abort(&d, rc);
    xcap_dist_finalize(&d);
    return rc;
}

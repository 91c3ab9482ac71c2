/* train.h — training the captioner: AdamW over the one parameter buffer, the
 * learning-rate schedule, gradient clipping, and checkpoints that resume bit for bit.
 *
 * A trainer borrows the model (the caller keeps ownership) and owns its gradient
 * and moment buffers and its batch; xcap_trainer_free releases them. Data for step s
 * is a pure function of (seed, s), so a resumed run sees the same batches. */
#ifndef XCAP_MODEL_TRAIN_H
#define XCAP_MODEL_TRAIN_H

#include <stdint.h>

#include "model/batch.h"
#include "model/disk_data.h"
#include "nn/adamw.h"

#define XCAP_TRAIN_MAX_BATCH 4096  /* scenes per step, at most (CLI and checkpoints) */

typedef struct {
    long steps, warmup;
    size_t batch;
    float lr, lr_min, weight_decay, clip, beta1, beta2, eps;
    uint64_t seed;
    int max_objects;  /* shapes world: 1..3 objects per scene */
    /* alignment loss (shapes world only): cross-entropy between cross-attention head
     * align_head[i] of decoder layer align_layer[i] at each size/colour/shape word and the
     * patch share of the object that word names, times align_weight; 0 = off */
    float align_weight;
    /* word dropout: each input word (not <bos>) is replaced by <unk> with this probability,
     * so a word is predicted from the image rather than from the word before it; 0 = off */
    float word_dropout;
    /* grey views (shapes world): a scene is shown in grey with this probability and its
     * colour words are neither read nor taught, so that shapes are told by their outline,
     * not by the colours they were seen in; 0 = off */
    float grey_views;
    size_t n_align;
    int align_layer[TXT_MAX_LAYERS], align_head[TXT_MAX_LAYERS];
} xcap_train_opts;

typedef struct {
    xcap_model *model;       /* borrowed */
    xcap_train_opts opts;
    float *grads, *m, *v;    /* layout.total floats each */
    long step;               /* steps done */
    /* the rows of every global batch of opts.batch that this trainer computes:
     * [row0, row0 + rows), all of them unless xcap_trainer_shard made it one of several */
    size_t row0, rows;
    xcap_batch batch;        /* holds `rows` rows */
    float last_loss, last_norm, last_lr;
    float last_align;        /* weighted alignment loss of the last step (0 when off) */
} xcap_trainer;

/* Builds the shapes-world vocabulary from a sample of training captions. */
int xcap_shapes_vocab(txt_vocab *v, const xcap_config *cfg, uint64_t seed, nn_error *err);

/* Sensible defaults for the shapes world at preset S. */
xcap_train_opts xcap_train_defaults(void);

int xcap_trainer_create(xcap_trainer *t, xcap_model *m, const xcap_train_opts *o, nn_error *err);
void xcap_trainer_free(xcap_trainer *t);

/* Parses "L:H,L:H,..." (at most one head per layer, layers < n_layers, heads < n_heads)
 * into o's alignment heads. */
int xcap_train_parse_align_heads(xcap_train_opts *o, const char *s, size_t n_layers,
                                 size_t n_heads, nn_error *err);

/* Fills the batch with shapes-world scenes for the current step (train split), and the
 * alignment targets when the alignment loss is on. */
int xcap_trainer_fill_shapes(xcap_trainer *t, nn_error *err);

/* Fills the batch from a dataset on disk: sample i of step s is image
 * hash(seed, s·batch + i) mod n_items with one of its captions. */
void xcap_trainer_fill_disk(xcap_trainer *t, const xcap_disk_data *d);

/* One step on the filled batch: forward, backward, clip, AdamW; returns the loss. */
float xcap_trainer_step(xcap_trainer *t);

/* Makes t one of `ranks` shards of the global batch: it computes only rows
 * [rank*B/ranks, (rank+1)*B/ranks) of every global batch of B = opts.batch (its batch
 * buffers shrink to them). Each row keeps its global index, so its sample, word dropout
 * and grey view are those of a single-process run. Fails when B < ranks. */
int xcap_trainer_shard(xcap_trainer *t, size_t rank, size_t ranks, nn_error *err);

/* xcap_trainer_step in three phases, for shards of one global batch (model/train_group.h
 * adds the sums over processes in between):
 * forward on t's rows, filling the loss sums s that are to be added over the shards; */
void xcap_trainer_forward(xcap_trainer *t, xcap_batch_sums *s);
/* zeroes t->grads and adds t's share of the gradient of the mean loss over every shard,
 * whose sums add up to total (summing the shares gives the global batch's gradient);
 * returns that mean loss; */
float xcap_trainer_backward(xcap_trainer *t, const xcap_batch_sums *total);
/* clips t->grads (by now the whole batch's gradient), takes the AdamW step and records
 * loss as the step's. */
void xcap_trainer_update(xcap_trainer *t, float loss);

/* Writes weights, optimiser moments, step and options to path atomically. */
int xcap_checkpoint_save(const xcap_trainer *t, const char *path, nn_error *err);
/* Loads a checkpoint: returns a new model and fills the trainer state (created for it). */
xcap_model *xcap_checkpoint_load(xcap_trainer *t, const char *path, nn_error *err);

#endif

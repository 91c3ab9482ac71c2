/* train_group.h — one training run spread over the processes of a group (model/dist.h):
 * data parallel. Every process holds the whole model and optimiser; each computes its
 * shard of every global batch (xcap_trainer_shard), the loss sums and then the gradient
 * are summed over the group, and every process takes the same AdamW step, so the weights
 * stay the same everywhere. In a group of one these are xcap_trainer_step exactly. */
#ifndef XCAP_MODEL_TRAIN_GROUP_H
#define XCAP_MODEL_TRAIN_GROUP_H

#include "model/dist.h"
#include "model/train.h"

/* Makes t the shard of d's rank among d's processes (xcap_trainer_shard). */
int xcap_trainer_join(xcap_trainer *t, const xcap_dist *d, nn_error *err);

/* One step of the group on the filled batches: forward on each shard, the loss sums
 * added over the group (so the loss is the mean over the global batch's positions, not a
 * mean of the shards' means), backward, the gradient summed in place over the one
 * contiguous buffer, clip and AdamW. The loss is in t->last_loss. */
int xcap_trainer_step_group(xcap_trainer *t, xcap_dist *d, nn_error *err);

/* Fails (on every rank) unless every rank's weights are bit for bit the same. */
int xcap_trainer_check_group(const xcap_trainer *t, xcap_dist *d, nn_error *err);

#endif

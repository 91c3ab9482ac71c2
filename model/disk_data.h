/* disk_data.h — a caption dataset on disk (COCO-layout JSON + an image folder) made
 * ready for training: every image loaded once and stretched to the model's input, the
 * captions kept. Owns everything; xcap_disk_data_free releases it. */
#ifndef XCAP_MODEL_DISK_DATA_H
#define XCAP_MODEL_DISK_DATA_H

#include "model/config.h"
#include "text/dataset.h"

typedef struct {
    txt_dataset ds;          /* items and captions */
    unsigned char *pixels;   /* [n_items, image_h, image_w, 3] */
    size_t image_bytes;      /* bytes of one stretched image */
} xcap_disk_data;

/* Loads json (images relative to image_dir; split may be NULL for all) and every image.
 * An image that fails to load fails the whole load with "path: reason". */
int xcap_disk_data_load(xcap_disk_data *d, const char *json, const char *image_dir,
                        const char *split, const xcap_config *cfg, nn_error *err);
void xcap_disk_data_free(xcap_disk_data *d);

#endif

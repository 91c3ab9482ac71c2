/* disk_data.c — loading a caption dataset and its images for training. */
#include "model/disk_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/image.h"

int xcap_disk_data_load(xcap_disk_data *d, const char *json, const char *image_dir,
                        const char *split, const xcap_config *cfg, nn_error *err) {
    memset(d, 0, sizeof *d);
    txt_dataset_opts o = txt_dataset_default_opts();
    o.split = split;
    if (txt_dataset_load(&d->ds, json, &o, err) != 0) return -1;
    d->image_bytes = cfg->image_w * cfg->image_h * 3;
    size_t total;
    if (nn_mul_size(d->image_bytes, d->ds.n_items, &total) != 0 ||
        !(d->pixels = malloc(total ? total : 1))) {
        xcap_disk_data_free(d);
        return nn_fail(err, "%s: out of memory for %zu images", json, d->ds.n_items);
    }
    char path[4096];
    for (size_t i = 0; i < d->ds.n_items; i++) {
        vis_image img;
        int n = snprintf(path, sizeof path, "%s/%s", image_dir, d->ds.items[i].file_name);
        if (n < 0 || (size_t)n >= sizeof path) {
            xcap_disk_data_free(d);
            return nn_fail(err, "%s: images[%zu] file name is too long", json, i);
        }
        if (vis_image_load(&img, path, err) != 0) {
            xcap_disk_data_free(d);
            return -1;
        }
        vis_image_fit(d->pixels + i * d->image_bytes, (int)cfg->image_w, (int)cfg->image_h,
                      img.rgb, img.width, img.height, (int)cfg->letterbox);
        vis_image_free(&img);
    }
    return 0;
}

void xcap_disk_data_free(xcap_disk_data *d) {
    txt_dataset_free(&d->ds);
    free(d->pixels);
    memset(d, 0, sizeof *d);
}

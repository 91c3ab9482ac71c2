/* shapes_export.h — writes shapes-world scenes to disk as PNGs plus a COCO-style captions.json.
 *
 * Layout written under DIR (created with its parents when missing):
 *   DIR/images/scene_000000.png ...   one RGB PNG per scene, i = 0 .. count-1
 *   DIR/captions.json                  COCO captions layout:
 *     {"info": {"description", "generator", "version", "seed" (decimal string: 64 bits do not
 *               fit a JSON double), "split", "count", "width", "height", "objects",
 *               "heldout_pairs", "bbox_format", "mask_format"},
 *      "images": [{"id": i, "file_name": "images/scene_%06d.png", "width", "height", "split",
 *                  "scene_seed" (decimal string),
 *                  "objects": [{"shape", "colour", "size", "bbox": [x, y, w, h] (COCO xywh,
 *                               pixels), "mask_rle": {"size": [h, w], "counts": [...]}}]}],
 *      "annotations": [{"id": k, "image_id": i, "caption", "grounding": [object index or -1
 *                       per word], "kinds": [vis_word_kind per word]}]}
 *   Ids start at 0; image i has one annotation, or two (caption and converse) with two objects.
 *   mask_rle is COCO's uncompressed RLE: column-major run lengths, starting with a run of 0s.
 *   Scene i uses the seed vis_scene_seed(seed, i).
 * Every file is written to a ".tmp" name first and renamed into place. */
#ifndef XCAP_VISION_SHAPES_EXPORT_H
#define XCAP_VISION_SHAPES_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"
#include "vision/shapes.h"

/* Called after each scene image is written: done scenes out of total. */
typedef void (*vis_export_progress)(void *user, size_t done, size_t total);

typedef struct {
    size_t count;                 /* scenes to write */
    uint64_t seed;                /* base seed of the run */
    vis_split split;
    int width, height;            /* canvas size (with random_canvas: the model's input size) */
    int random_canvas;            /* 1: each scene on a random canvas around width × height, as
                                     `xcap eval` draws its scenes (vis_canvas_sample) */
    int n_objects;                /* 1..3 forces the object count; 0 = random per scene */
    int overwrite;                /* 0: refuse when DIR/captions.json already exists */
    vis_export_progress progress; /* optional, may be NULL */
    void *progress_user;
} vis_export_params;

/* Defaults: 0 scenes, seed 1, train split, 96×96, random object count, no overwrite. */
vis_export_params vis_export_default_params(void);

/* Writes p->count scenes and DIR/captions.json as described above. */
int vis_scenes_export_with(const char *dir, const vis_export_params *p, nn_error *err);

/* Shorthand for vis_scenes_export_with with random object counts, one canvas and no
 * overwrite. */
int vis_scenes_export(const char *dir, size_t count, uint64_t seed, vis_split split, int width,
                      int height, nn_error *err);

#endif

/* output.h — writing scenes in the layout `xcap scenes` writes: DIR/images/scene_NNNNNN.png
 * (or .jpg) and DIR/captions.json (COCO captions with boxes, masks and word groundings). */
#ifndef CS_OUTPUT_H
#define CS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "render.h"
#include "scene.h"
#include "style.h"

/* What the run was asked for, recorded in captions.json's "info". */
typedef struct {
    uint64_t seed;
    size_t count;
    int objects;                /* 0: 1..3 at random */
    const char *style;          /* --style value */
    int width, height;          /* --size, or 0 when the canvas is random */
} cs_run_info;

typedef struct {
    char dir[4096];
    char json_path[4200], tmp_path[4200];
    FILE *f;
    size_t n_images;
    char *ann;                  /* the annotations so far, printed, comma-separated */
    size_t ann_len, ann_cap, n_ann;
} cs_output;

/* Creates DIR and DIR/images and starts DIR/captions.json.tmp; refuses (-1) when
 * DIR/captions.json exists and is not empty, unless force. */
int cs_output_open(cs_output *o, const char *dir, int force, const cs_run_info *info,
                   char *err, size_t cap);

/* Writes scene i's picture file and its entries (image, objects, annotations). */
int cs_output_scene(cs_output *o, size_t i, uint64_t scene_seed, const cs_scene *s,
                    const cs_style *st, const cs_picture *pic, char *err, size_t cap);

/* Finishes captions.json and renames it into place; frees everything. */
int cs_output_close(cs_output *o, char *err, size_t cap);

/* Gives up: removes the unfinished captions.json.tmp and frees everything. */
void cs_output_abort(cs_output *o);

#endif

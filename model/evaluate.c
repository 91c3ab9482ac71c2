/* evaluate.c — scoring generated captions against shapes-world references. */
#include "model/evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "model/xcap.h"
#include "text/metrics.h"
#include "vision/shapes.h"

/* The scored corpus: hypotheses and references kept until the metrics ran. */
typedef struct {
    char **hyps;
    char (*refs)[VIS_MAX_CAPTIONS][VIS_CAPTION_MAX_CHARS];
    const char *(*ref_ptrs)[VIS_MAX_CAPTIONS];
    txt_eval_item *items;
    int *objects;
} corpus;

static void corpus_free(corpus *c, size_t n) {
    if (c->hyps)
        for (size_t i = 0; i < n; i++) free(c->hyps[i]);
    free(c->hyps);
    free(c->refs);
    free(c->ref_ptrs);
    free(c->items);
    free(c->objects);
}

int xcap_eval_shapes(xcap_eval_result *res, const xcap_model *m, int split, uint64_t seed,
                     size_t count, size_t batch, nn_error *err) {
    memset(res, 0, sizeof *res);
    if (count == 0) return nn_fail(err, "evaluation needs at least one scene");
    if (batch == 0) batch = 1;
    corpus c = {calloc(count, sizeof(char *)), calloc(count, sizeof *c.refs),
                calloc(count, sizeof *c.ref_ptrs), calloc(count, sizeof *c.items),
                calloc(count, sizeof(int))};
    char msg[512];
    xcap_context *ctx = xcap_context_create(m, batch, msg, sizeof msg);
    vis_scene *scenes = calloc(batch, sizeof *scenes);
    const unsigned char **rgb = calloc(batch, sizeof *rgb);
    int *w = calloc(batch, sizeof *w), *h = calloc(batch, sizeof *h);
    xcap_caption *caps = calloc(batch, sizeof *caps);
    int rc = -1;
    if (!c.hyps || !c.refs || !c.ref_ptrs || !c.items || !c.objects || !ctx || !scenes || !rgb ||
        !w || !h || !caps) {
        nn_fail(err, "out of memory for the evaluation (%s)", ctx ? "" : msg);
        goto done;
    }
    xcap_params p = xcap_default_params();
    for (size_t start = 0; start < count; start += batch) {
        size_t n = count - start < batch ? count - start : batch;
        for (size_t j = 0; j < n; j++) {
            size_t i = start + j;
            if (vis_scene_generate(&scenes[j], vis_scene_seed(seed, i), (vis_split)split,
                                   (int)m->cfg.image_w, (int)m->cfg.image_h, 0, err) != 0)
                goto done;
            rgb[j] = scenes[j].rgb;
            w[j] = scenes[j].width;
            h[j] = scenes[j].height;
            c.objects[i] = scenes[j].n_objects;
            for (int k = 0; k < scenes[j].n_captions; k++) {
                memcpy(c.refs[i][k], scenes[j].captions[k].text, VIS_CAPTION_MAX_CHARS);
                c.ref_ptrs[i][k] = c.refs[i][k];
            }
            c.items[i].refs = c.ref_ptrs[i];
            c.items[i].n_refs = (size_t)scenes[j].n_captions;
        }
        if (xcap_caption_batch(ctx, rgb, w, h, n, &p, caps) != 0) {
            nn_fail(err, "%s", xcap_context_error(ctx));
            goto done;
        }
        for (size_t j = 0; j < n; j++) {
            c.hyps[start + j] = caps[j].text;  /* taken over */
            caps[j].text = NULL;
            c.items[start + j].hyp = c.hyps[start + j];
            xcap_caption_free(&caps[j]);
        }
    }
    size_t hits[4] = {0};
    for (size_t i = 0; i < count; i++) {
        double one;
        if (txt_exact_match(&c.items[i], 1, &one, err) != 0) goto done;
        int k = c.objects[i] >= 1 && c.objects[i] <= 3 ? c.objects[i] : 0;
        res->by_objects[k]++;
        if (one > 0.5) hits[k]++;
    }
    size_t all = 0;
    for (int k = 0; k < 4; k++) {
        all += hits[k];
        res->exact_by_objects[k] = res->by_objects[k] ? (double)hits[k] / (double)res->by_objects[k] : 0.0;
    }
    res->count = count;
    res->exact = (double)all / (double)count;
    if (txt_bleu4(c.items, count, &res->bleu4, err) != 0) goto done;
    if (txt_cider_d(c.items, count, &res->cider_d, err) != 0) goto done;
    rc = 0;
done:
    if (scenes)
        for (size_t j = 0; j < batch; j++) vis_scene_free(&scenes[j]);
    free(scenes);
    free(rgb);
    free(w);
    free(h);
    free(caps);
    xcap_context_free(ctx);
    corpus_free(&c, count);
    return rc;
}

/* eval_explain.h — what `xcap eval` says about its wrong captions and its confidence:
 *
 *  - flags: captions cut without <eos>, captions that repeat a run of words;
 *  - error kinds (text/shapes_errors.h): every wrong caption against its closest
 *    reference; a caption with several kinds counts once under each, so the shares (of
 *    the wrong captions) can add up to more than 100 %;
 *  - right vs wrong: the AUROC of the confidence (xcap_caption.confidence) with right
 *    captions as positives, and the threshold below which to distrust a caption (Youden's
 *    J, text/auroc.h) with the shares of wrong and right captions under it;
 *  - outside (optional): the AUROC of the same confidence with the evaluated pictures as
 *    positives and the pictures of an outside folder as negatives, and its threshold.
 * A ROC needs both of its sets; with one empty (no wrong caption) it is reported absent.
 *
 * Ownership: eval_explain_run allocates the verdicts; eval_explain_free releases them. */
#ifndef XCAP_DEMO_EVAL_EXPLAIN_H
#define XCAP_DEMO_EVAL_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "demo/eval_items.h"
#include "text/shapes_errors.h"

/* A ROC of the confidence: positives should score above negatives. */
typedef struct {
    size_t n_pos, n_neg;
    int have;             /* 0 when either set is empty */
    double auc;
    float threshold;      /* distrust below it */
    double pos_below, neg_below;  /* shares of each set below the threshold */
} eval_roc;

typedef struct {
    const eval_items *in;         /* the explained captions (borrowed) */
    txt_shapes_verdict *verdicts; /* [in->n], owned */
    size_t right, wrong, cut, repeats;
    size_t kinds[TXT_ERR_KINDS];  /* wrong captions with each kind */
    size_t no_grammar;            /* wrong captions none of whose references parse */
    eval_roc right_wrong;
    const eval_items *outside;    /* NULL without --outside (borrowed) */
    const char *outside_dir;
    size_t outside_cut, outside_repeats, outside_flagged;
    eval_roc in_out;
} eval_explain;

/* Judges every caption of in, counts flags and kinds, and measures right vs wrong; with
 * outside (may be NULL), also the evaluated pictures against the outside ones. */
int eval_explain_run(eval_explain *x, const eval_items *in, const eval_items *outside,
                     const char *outside_dir, nn_error *err);

/* Prints the explanation (up to `examples` wrong captions as examples) on f. */
void eval_explain_print(FILE *f, const eval_explain *x, size_t examples);

/* Adds "flags", "errors", "confidence" and (with --outside) "outside" to the JSON object o,
 * with every wrong caption under "errors"."captions"; 0 when out of memory. */
int eval_explain_json(cJSON *o, const eval_explain *x);

void eval_explain_free(eval_explain *x);

#endif

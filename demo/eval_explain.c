/* eval_explain.c — judging, counting and reporting the captions of `xcap eval` (see
 * eval_explain.h). */
#include "demo/eval_explain.h"

#include <stdlib.h>
#include <string.h>

#include "text/auroc.h"

/* The ROC of pos against neg into r (r->have 0 when a set is empty). */
static int roc(eval_roc *r, const float *pos, size_t n_pos, const float *neg, size_t n_neg,
               nn_error *err) {
    memset(r, 0, sizeof *r);
    r->n_pos = n_pos;
    r->n_neg = n_neg;
    if (n_pos == 0 || n_neg == 0) return 0;
    if (txt_auroc(pos, n_pos, neg, n_neg, &r->auc, err) != 0 ||
        txt_roc_threshold(pos, n_pos, neg, n_neg, &r->threshold, &r->pos_below, &r->neg_below,
                          err) != 0)
        return -1;
    r->have = 1;
    return 0;
}

/* Confidences of the items of in that are right (want 1) or wrong (want 0), or all (want
 * -1), into out; returns how many. */
static size_t pick(float *out, const eval_explain *x, const eval_items *in, int want) {
    size_t n = 0;
    for (size_t i = 0; i < in->n; i++)
        if (want < 0 || x->verdicts[i].right == want) out[n++] = in->items[i].confidence;
    return n;
}

int eval_explain_run(eval_explain *x, const eval_items *in, const eval_items *outside,
                     const char *outside_dir, nn_error *err) {
    memset(x, 0, sizeof *x);
    x->in = in;
    x->outside = outside;
    x->outside_dir = outside_dir;
    size_t n_out = outside ? outside->n : 0;
    x->verdicts = calloc(in->n ? in->n : 1, sizeof *x->verdicts);
    float *a = malloc((in->n ? in->n : 1) * sizeof *a);
    float *b = malloc((in->n + n_out ? in->n + n_out : 1) * sizeof *b);
    int rc = -1;
    if (!x->verdicts || !a || !b) {
        nn_fail(err, "out of memory for %zu captions", in->n);
        goto done;
    }
    for (size_t i = 0; i < in->n; i++) {
        const eval_item *it = &in->items[i];
        txt_shapes_verdict *v = &x->verdicts[i];
        txt_shapes_judge(v, it->caption, (const char *const *)it->refs, it->n_refs);
        x->cut += !it->complete;
        x->repeats += it->repeats != 0;
        if (v->right) {
            x->right++;
            continue;
        }
        x->wrong++;
        for (int k = 0; k < TXT_ERR_KINDS; k++) x->kinds[k] += (v->kinds >> k) & 1u;
        x->no_grammar += v->ref < 0;
    }
    size_t n_right = pick(a, x, in, 1), n_wrong = pick(b, x, in, 0);
    if (roc(&x->right_wrong, a, n_right, b, n_wrong, err) != 0) goto done;
    if (outside) {
        for (size_t i = 0; i < n_out; i++) {
            const eval_item *it = &outside->items[i];
            x->outside_cut += !it->complete;
            x->outside_repeats += it->repeats != 0;
            x->outside_flagged += !it->complete || it->repeats;
            b[i] = it->confidence;
        }
        size_t n_in = pick(a, x, in, -1);
        if (roc(&x->in_out, a, n_in, b, n_out, err) != 0) goto done;
    }
    rc = 0;
done:
    free(a);
    free(b);
    if (rc != 0) eval_explain_free(x);
    return rc;
}

void eval_explain_free(eval_explain *x) {
    if (!x) return;
    free(x->verdicts);
    x->verdicts = NULL;
}

/* 100 * part / whole (0 when whole is 0). */
static double pct(size_t part, size_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The kinds of v as "colour+size" into out. */
static void kinds_text(char *out, size_t size, unsigned kinds) {
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < TXT_ERR_KINDS; k++) {
        if (!((kinds >> k) & 1u)) continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? "+" : "", txt_err_kind_names[k]);
        if (n < 0 || (size_t)n >= size - used) return;
        used += (size_t)n;
    }
}

/* Prints one ROC's two lines (or why there is none). */
static void print_roc(FILE *f, const eval_roc *r, const char *label, const char *pos,
                      const char *neg) {
    if (!r->have) {
        fprintf(f, "  %-19s AUROC n/a (%zu %s, %zu %s: needs both)\n", label, r->n_pos, pos,
                r->n_neg, neg);
        return;
    }
    fprintf(f, "  %-19s AUROC %.4f  (%zu %s, %zu %s)\n", label, r->auc, r->n_pos, pos, r->n_neg, neg);
    fprintf(f, "  %-19s %.4f: %.1f %% of the %s, %.1f %% of the %s\n", "distrust below",
            (double)r->threshold, 100.0 * r->neg_below, neg, 100.0 * r->pos_below, pos);
}

void eval_explain_print(FILE *f, const eval_explain *x, size_t examples) {
    const eval_items *in = x->in;
    fprintf(f, "flagged      %zu cut without <eos>, %zu repeating  (of %zu)\n", x->cut, x->repeats,
            in->n);
    if (x->wrong == 0) {
        fprintf(f, "wrong        none\n");
    } else {
        fprintf(f, "wrong        %zu of %zu, by kind (a caption can have several; shares of the "
                   "wrong ones)\n", x->wrong, in->n);
        for (int k = 0; k < TXT_ERR_KINDS; k++)
            fprintf(f, "  %-11s %6zu  %5.1f %%\n", txt_err_kind_names[k], x->kinds[k],
                    pct(x->kinds[k], x->wrong));
        if (x->no_grammar)
            fprintf(f, "  (%zu wrong captions have no reference in the shapes grammar)\n", x->no_grammar);
        size_t shown = 0;
        for (size_t i = 0; i < in->n && shown < examples; i++) {
            const txt_shapes_verdict *v = &x->verdicts[i];
            if (v->right) continue;
            const eval_item *it = &in->items[i];
            char kinds[128];
            kinds_text(kinds, sizeof kinds, v->kinds);
            fprintf(f, "  e.g. %-6s [%s] \"%s\"  (confidence %.3f)\n", it->name, kinds, it->caption,
                    (double)it->confidence);
            if (v->ref >= 0) fprintf(f, "         reference \"%s\"\n", it->refs[v->ref]);
            shown++;
        }
    }
    fprintf(f, "confidence   the least probability of a word or the final <eos> (0 when cut)\n");
    print_roc(f, &x->right_wrong, "right vs wrong", "right ones", "wrong captions");
    if (x->outside) {
        fprintf(f, "outside      %s: %zu pictures, %zu cut, %zu repeating (%zu flagged)\n",
                x->outside_dir, x->outside->n, x->outside_cut, x->outside_repeats,
                x->outside_flagged);
        print_roc(f, &x->in_out, "in-world vs outside", "evaluated pictures", "outside pictures");
    }
}

/* o[key] = v, or null when absent. */
static void add_maybe(cJSON *o, const char *key, int have, double v) {
    if (have) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

/* A ROC as JSON, with the names of its two sets. */
static cJSON *roc_json(const eval_roc *r, const char *pos, const char *neg) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, pos, (double)r->n_pos);
    cJSON_AddNumberToObject(o, neg, (double)r->n_neg);
    add_maybe(o, "auroc", r->have, r->auc);
    add_maybe(o, "threshold", r->have, (double)r->threshold);
    char key[64];
    snprintf(key, sizeof key, "%s_below", pos);
    add_maybe(o, key, r->have, r->pos_below);
    snprintf(key, sizeof key, "%s_below", neg);
    add_maybe(o, key, r->have, r->neg_below);
    return o;
}

/* The wrong captions as a JSON array. */
static cJSON *wrong_json(const eval_explain *x) {
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < x->in->n; i++) {
        const txt_shapes_verdict *v = &x->verdicts[i];
        if (v->right) continue;
        const eval_item *it = &x->in->items[i];
        cJSON *e = cJSON_CreateObject(), *kinds = NULL;
        if (!e || !cJSON_AddItemToArray(list, e)) {
            cJSON_Delete(e);
            cJSON_Delete(list);
            return NULL;
        }
        cJSON_AddNumberToObject(e, "index", (double)it->index);
        cJSON_AddStringToObject(e, "id", it->name);
        cJSON_AddStringToObject(e, "caption", it->caption);
        if (v->ref >= 0) cJSON_AddStringToObject(e, "reference", it->refs[v->ref]);
        else cJSON_AddNullToObject(e, "reference");
        if ((kinds = cJSON_AddArrayToObject(e, "kinds")))
            for (int k = 0; k < TXT_ERR_KINDS; k++)
                if ((v->kinds >> k) & 1u)
                    cJSON_AddItemToArray(kinds, cJSON_CreateString(txt_err_kind_names[k]));
        cJSON_AddNumberToObject(e, "confidence", (double)it->confidence);
        cJSON_AddBoolToObject(e, "complete", it->complete);
        cJSON_AddBoolToObject(e, "repeats", it->repeats);
    }
    return list;
}

int eval_explain_json(cJSON *o, const eval_explain *x) {
    cJSON *flags = cJSON_AddObjectToObject(o, "flags");
    cJSON *errors = cJSON_AddObjectToObject(o, "errors");
    cJSON *conf = cJSON_AddObjectToObject(o, "confidence");
    if (!flags || !errors || !conf) return 0;
    cJSON_AddNumberToObject(flags, "captions", (double)x->in->n);
    cJSON_AddNumberToObject(flags, "cut", (double)x->cut);
    cJSON_AddNumberToObject(flags, "repeats", (double)x->repeats);
    cJSON_AddNumberToObject(errors, "wrong", (double)x->wrong);
    cJSON_AddNumberToObject(errors, "no_grammar", (double)x->no_grammar);
    cJSON *kinds = cJSON_AddObjectToObject(errors, "kinds");
    for (int k = 0; kinds && k < TXT_ERR_KINDS; k++) {
        cJSON *e = cJSON_AddObjectToObject(kinds, txt_err_kind_names[k]);
        if (!e) return 0;
        cJSON_AddNumberToObject(e, "count", (double)x->kinds[k]);
        cJSON_AddNumberToObject(e, "share", x->wrong ? (double)x->kinds[k] / (double)x->wrong : 0.0);
    }
    cJSON *wrong = wrong_json(x);
    if (!kinds || !wrong || !cJSON_AddItemToObject(errors, "captions", wrong)) {
        cJSON_Delete(wrong);
        return 0;
    }
    cJSON_AddStringToObject(conf, "measure", "least probability of a word or the final <eos>, 0 when cut");
    cJSON *rw = roc_json(&x->right_wrong, "right", "wrong");
    if (!rw || !cJSON_AddItemToObject(conf, "right_vs_wrong", rw)) {
        cJSON_Delete(rw);
        return 0;
    }
    if (!x->outside) return 1;
    cJSON *out = cJSON_AddObjectToObject(o, "outside");
    if (!out) return 0;
    cJSON_AddStringToObject(out, "dir", x->outside_dir);
    cJSON_AddNumberToObject(out, "count", (double)x->outside->n);
    cJSON_AddNumberToObject(out, "cut", (double)x->outside_cut);
    cJSON_AddNumberToObject(out, "repeats", (double)x->outside_repeats);
    cJSON_AddNumberToObject(out, "flagged", (double)x->outside_flagged);
    cJSON *io = roc_json(&x->in_out, "inside", "outside");
    if (!io || !cJSON_AddItemToObject(out, "inside_vs_outside", io)) {
        cJSON_Delete(io);
        return 0;
    }
    return 1;
}

/* test_honest_cli.c — honest output end to end ($XCAP_BINARY): a caption cut at the token
 * limit or repeating words is marked in the text lines, the JSON, the HTML page and on
 * stderr, exactly as the library flags it; and `xcap eval` explains its wrong captions
 * (error kinds, confidence AUROC, --outside) in text and JSON, about the same captions it
 * scores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <stb/stb_image_write.h>

#include "demo/caption_flags.h"
#include "model/xcap.h"
#include "tests/util/check.h"
#include "tests/util/run.h"

#define SHIPPED "models/shapes-S.safetensors"
#define TINY "tests/fixtures/tiny_weights.safetensors"
#define OUTSIDE "tests/fixtures/outside"
#define N_IMAGES 6

typedef struct {
    char *tmp;
    char shipped[4096], tiny[4096];
} fixture;

/* Writes a w × h PNG: a flat background and one square, colours and place from seed. */
static void write_scene(const char *path, int w, int h, unsigned seed) {
    unsigned char *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    unsigned char bg[3] = {(unsigned char)(90 + 29 * seed), (unsigned char)(90 + 13 * seed),
                           (unsigned char)(90 + 7 * seed)};
    unsigned char fg[3] = {(unsigned char)(250 - 41 * seed), (unsigned char)(20 + 67 * seed),
                           (unsigned char)(30 + 31 * seed)};
    int s = w / 3, x0 = (int)(seed * 11) % (w - s), y0 = (int)(seed * 7) % (h - s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int in = x >= x0 && x < x0 + s && y >= y0 && y < y0 + s;
            memcpy(px + ((size_t)y * w + x) * 3, in ? fg : bg, 3);
        }
    assert_true(stbi_write_png(path, w, h, 3, px, w * 3));
    free(px);
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !(fx->tmp = make_temp_dir())) return -1;
    snprintf(fx->shipped, sizeof fx->shipped, "%s", source_path(SHIPPED));
    snprintf(fx->tiny, sizeof fx->tiny, "%s", source_path(TINY));
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    remove_tree(fx->tmp);
    free(fx->tmp);
    free(fx);
    return 0;
}

/* Parses the JSON file at path (fails the test when it is not JSON). */
static cJSON *read_json(const char *path) {
    char *text = read_text(path, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!doc) fail_msg("%s: missing or not JSON", path);
    return doc;
}

/* The shipped model, --max-tokens 3: the caption is cut, and every output says so. */
static void test_cut_is_marked(void **state) {
    fixture *fx = *state;
    const char *img = source_path("examples/one-object.png");
    char msg[512];
    xcap_model *m = xcap_model_load(fx->shipped, msg, sizeof msg);
    assert_non_null(m);
    xcap_context *c = xcap_context_create(m, 1, msg, sizeof msg);
    assert_non_null(c);
    xcap_params p = xcap_default_params();
    p.max_tokens = 3;
    xcap_caption cap;
    assert_int_equal(xcap_caption_file(c, img, &p, &cap), 0);
    assert_int_equal(cap.complete, 0);  /* the library: cut, no confidence */
    assert_true(cap.confidence == 0.0f);
    assert_int_equal(cap.n_words, 3);

    const char *args[] = {"--model", fx->shipped, "--max-tokens", "3", img, NULL};
    run_result r = run_xcap("caption", NULL, args);
    assert_int_equal(r.code, 0);
    char want[512];
    snprintf(want, sizeof want, "%s\tcut\n", cap.text);
    assert_string_equal(r.out, want);
    snprintf(want, sizeof want, "xcap caption: warning: %s: cut at 3 words without <eos>\n", img);
    assert_string_equal(r.err, want);
    run_free(&r);

    const char *json = "-";
    const char *jargs[] = {"--model", fx->shipped, "--max-tokens", "3", "--json", json, img, NULL};
    r = run_xcap("caption", NULL, jargs);
    assert_int_equal(r.code, 0);
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    const cJSON *im = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "images"), 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(im, "complete")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(im, "repeats")));
    assert_true(cJSON_GetObjectItem(im, "confidence")->valuedouble == 0.0);
    const cJSON *warn = cJSON_GetObjectItem(im, "warnings");
    assert_int_equal(cJSON_GetArraySize(warn), 1);
    assert_string_equal(cJSON_GetArrayItem(warn, 0)->valuestring, "cut at 3 words without <eos>");
    cJSON_Delete(doc);
    run_free(&r);

    /* without the limit it ends with <eos>: no mark, a confidence in (0, 1] */
    const char *clean[] = {"--model", fx->shipped, "--json", "-", img, NULL};
    r = run_xcap("caption", NULL, clean);
    assert_int_equal(r.code, 0);
    doc = cJSON_Parse(r.out);
    im = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "images"), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(im, "complete")));
    double conf = cJSON_GetObjectItem(im, "confidence")->valuedouble;
    assert_true(conf > 0.0 && conf <= 1.0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(im, "warnings")), 0);
    assert_string_equal(r.err, "");
    cJSON_Delete(doc);
    run_free(&r);
    xcap_caption_free(&cap);
    xcap_context_free(c);
    xcap_model_free(m);
}

/* Six flat pictures through a model: each text line, JSON entry and warning line carries
 * the flags the library gives that caption; among them repeating and clean ones. */
static void check_flags_follow_library(const fixture *fx, const char *model, int need_repeat) {
    char dir[4200], json[4300], html[4300], paths[N_IMAGES][4300];
    snprintf(dir, sizeof dir, "%s/flat-%d", fx->tmp, need_repeat);
    snprintf(json, sizeof json, "%s.json", dir);
    snprintf(html, sizeof html, "%s-html", dir);
    assert_int_equal(mkdir(dir, 0777), 0);
    for (int i = 0; i < N_IMAGES; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/f%d.png", dir, i);
        write_scene(paths[i], 96, 96, (unsigned)i);
    }
    char msg[512];
    xcap_model *m = xcap_model_load(model, msg, sizeof msg);
    assert_non_null(m);
    xcap_context *c = xcap_context_create(m, N_IMAGES, msg, sizeof msg);
    assert_non_null(c);
    xcap_params p = xcap_default_params();
    xcap_caption caps[N_IMAGES];
    for (int i = 0; i < N_IMAGES; i++) assert_int_equal(xcap_caption_file(c, paths[i], &p, &caps[i]), 0);

    const char *args[] = {"--model", model, "--json", json, "--html", html, dir, NULL};
    run_result r = run_xcap("caption", NULL, args);
    assert_int_equal(r.code, 0);
    cJSON *doc = read_json(json);
    const cJSON *images = cJSON_GetObjectItem(doc, "images");
    assert_int_equal(cJSON_GetArraySize(images), N_IMAGES);
    char *page_path = malloc(4300);
    assert_true(snprintf(page_path, 4300, "%s/index.html", html) < 4300);
    char *page = read_text(page_path, NULL);
    assert_non_null(page);
    int repeats = 0, clean = 0, cut = 0;
    for (int i = 0; i < N_IMAGES; i++) {
        const xcap_caption *cap = &caps[i];
        char flags[32], line[8192], warn[4400];
        cap_flags_field(flags, sizeof flags, cap);
        assert_true(snprintf(line, sizeof line, "%s\t%s%s%s\n", paths[i], cap->text,
                             *flags ? "\t" : "", flags) < (int)sizeof line);
        if (!strstr(r.out, line)) fail_msg("no line '%s' in:\n%s", line, r.out);
        assert_true(snprintf(warn, sizeof warn, "xcap caption: warning: %s: ", paths[i]) <
                    (int)sizeof warn);
        assert_int_equal(strstr(r.err, warn) != NULL, cap_flagged(cap));
        const cJSON *im = cJSON_GetArrayItem(images, i);
        assert_string_equal(cJSON_GetObjectItem(im, "caption")->valuestring, cap->text);
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(im, "complete")), cap->complete);
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(im, "repeats")), cap->repeats);
        const cJSON *gram = cJSON_GetObjectItem(im, "grammatical");
        if (cap->grammatical < 0) assert_true(cJSON_IsNull(gram));
        else assert_int_equal(cJSON_IsTrue(gram), cap->grammatical);
        float conf = (float)cJSON_GetObjectItem(im, "confidence")->valuedouble;
        check_close(&conf, &cap->confidence, 1, 1e-5, 1e-5);
        char msgs[CAP_FLAG_MAX][CAP_FLAG_MSG];
        size_t n = cap_flag_messages(msgs, NULL, cap);
        const cJSON *w = cJSON_GetObjectItem(im, "warnings");
        assert_int_equal((size_t)cJSON_GetArraySize(w), n);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(cJSON_GetArrayItem(w, (int)k)->valuestring, msgs[k]);
        if (cap->repeats) {
            assert_non_null(strstr(msgs[n - 1], "repeats \""));
            assert_non_null(strstr(r.err, msgs[n - 1]));
        }
        repeats += cap->repeats;
        cut += !cap->complete;
        clean += !cap_flagged(cap);
    }
    /* the page: one badge per flag, a confidence per card */
    size_t badges = 0, confs = 0;
    for (const char *q = page; (q = strstr(q, "class=\"badge\"")); q++) badges++;
    for (const char *q = page; (q = strstr(q, "class=\"conf\"")); q++) confs++;
    assert_int_equal(badges, (size_t)(repeats + cut));
    assert_int_equal(confs, N_IMAGES);
    if (need_repeat) {
        assert_true(repeats > 0);
        assert_true(clean > 0);
    }
    free(page);
    free(page_path);
    cJSON_Delete(doc);
    run_free(&r);
    for (int i = 0; i < N_IMAGES; i++) xcap_caption_free(&caps[i]);
    xcap_context_free(c);
    xcap_model_free(m);
}

static void test_flags_follow_library(void **state) {
    fixture *fx = *state;
    /* the tiny fixture model repeats on some of these pictures and not on others */
    check_flags_follow_library(fx, fx->tiny, 1);
    /* the shipped model: whatever it writes on flat pictures is marked as it is */
    check_flags_follow_library(fx, fx->shipped, 0);
}

/* Fails unless every wrong caption of the explanation is, under its id, the caption that
 * --predictions wrote for that picture: the explained captions are the scored ones. */
static void check_explained_are_scored(const cJSON *errors, const cJSON *predictions) {
    assert_true(cJSON_IsArray(predictions));
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(errors, "captions")) {
        const char *id = cJSON_GetObjectItem(e, "id")->valuestring;
        const char *caption = cJSON_GetObjectItem(e, "caption")->valuestring;
        int found = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, predictions) {
            const cJSON *pid = cJSON_GetObjectItem(p, "image_id");
            char text[64];
            if (cJSON_IsNumber(pid)) snprintf(text, sizeof text, "%.0f", pid->valuedouble);
            else snprintf(text, sizeof text, "%s", pid->valuestring);
            if (strcmp(text, id) != 0) continue;
            assert_string_equal(cJSON_GetObjectItem(p, "caption")->valuestring, caption);
            found++;
        }
        if (found != 1) fail_msg("picture %s: %d predictions", id, found);
    }
}

/* Fails unless the explanation object of an `xcap eval --json` is whole and consistent, and
 * about the captions in predictions (the --predictions output). */
static void check_explanation(const cJSON *o, const cJSON *predictions, size_t count,
                              int outside) {
    assert_int_equal(cJSON_GetObjectItem(o, "count")->valuedouble, (double)count);
    const cJSON *flags = cJSON_GetObjectItem(o, "flags");
    assert_non_null(flags);
    assert_int_equal(cJSON_GetObjectItem(flags, "captions")->valuedouble, (double)count);
    assert_int_equal(cJSON_GetArraySize(predictions), (int)count);
    check_explained_are_scored(cJSON_GetObjectItem(o, "errors"), predictions);
    const cJSON *errors = cJSON_GetObjectItem(o, "errors");
    double wrong = cJSON_GetObjectItem(errors, "wrong")->valuedouble;
    double exact = cJSON_GetObjectItem(o, "exact")->valuedouble;
    assert_true(wrong == (double)count - (double)(size_t)(exact * (double)count + 0.5));
    const cJSON *kinds = cJSON_GetObjectItem(errors, "kinds");
    static const char *const names[] = {"count", "shape", "colour", "size", "relation",
                                        "order", "ill-formed", "other"};
    double sum = 0;
    for (size_t k = 0; k < 8; k++) {
        const cJSON *e = cJSON_GetObjectItem(kinds, names[k]);
        if (!e) fail_msg("no kind '%s'", names[k]);
        sum += cJSON_GetObjectItem(e, "count")->valuedouble;
    }
    assert_true(sum >= wrong);  /* every wrong caption has at least one kind */
    /* the counts are the kinds of the listed wrong captions */
    const cJSON *list = cJSON_GetObjectItem(errors, "captions");
    assert_int_equal(cJSON_GetArraySize(list), (int)wrong);
    for (size_t k = 0; k < 8; k++) {
        int n = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, list) {
            const cJSON *kk;
            cJSON_ArrayForEach(kk, cJSON_GetObjectItem(e, "kinds")) n += !strcmp(kk->valuestring, names[k]);
        }
        assert_int_equal(n, (int)cJSON_GetObjectItem(cJSON_GetObjectItem(kinds, names[k]), "count")->valuedouble);
    }
    const cJSON *rw = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "confidence"), "right_vs_wrong");
    assert_non_null(rw);
    assert_int_equal(cJSON_GetObjectItem(rw, "right")->valuedouble + cJSON_GetObjectItem(rw, "wrong")->valuedouble, (double)count);
    assert_int_equal(cJSON_GetObjectItem(rw, "wrong")->valuedouble, wrong);
    const cJSON *auc = cJSON_GetObjectItem(rw, "auroc");
    if (wrong > 0 && wrong < (double)count) assert_true(auc->valuedouble >= 0 && auc->valuedouble <= 1);
    else assert_true(cJSON_IsNull(auc));
    const cJSON *out = cJSON_GetObjectItem(o, "outside");
    assert_int_equal(out != NULL, outside);
    if (outside) {
        assert_int_equal(cJSON_GetObjectItem(out, "count")->valuedouble, 24);
        const cJSON *io = cJSON_GetObjectItem(out, "inside_vs_outside");
        double a = cJSON_GetObjectItem(io, "auroc")->valuedouble;
        assert_true(a >= 0 && a <= 1);
    }
}

/* `xcap eval` on scenes: the breakdown, the ROC and --outside, in text and JSON. */
static void test_eval_explains(void **state) {
    fixture *fx = *state;
    const char *outside = source_path(OUTSIDE);
    char json[4200], pred[4200];
    snprintf(json, sizeof json, "%s/eval.json", fx->tmp);
    snprintf(pred, sizeof pred, "%s/eval-pred.json", fx->tmp);
    const char *args[] = {"--model", fx->shipped, "--split", "heldout", "--count", "60",
                          "--outside", outside, "--json", json, "--predictions", pred,
                          "--examples", "2", NULL};
    run_result r = run_xcap("eval", NULL, args);
    if (r.code != 0) fail_msg("eval failed: %s", r.err);
    const char *want[] = {"flagged      ", "confidence   the least probability",
                          "right vs wrong", "outside      ", "in-world vs outside AUROC "};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(r.out, want[i])) fail_msg("no '%s' in:\n%s", want[i], r.out);
    assert_null(strstr(r.out, "again"));  /* one captioning pass, one time */
    cJSON *doc = read_json(json), *preds = read_json(pred);
    check_explanation(doc, preds, 60, 1);
    cJSON_Delete(preds);
    /* the text's kind lines are the JSON's counts */
    const cJSON *errors = cJSON_GetObjectItem(doc, "errors");
    if (cJSON_GetObjectItem(errors, "wrong")->valuedouble > 0) {
        char line[64];
        snprintf(line, sizeof line, "  colour      %6d",
                 (int)cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "kinds"),
                                                              "colour"), "count")->valuedouble);
        if (!strstr(r.out, line)) fail_msg("no '%s' in:\n%s", line, r.out);
    }
    cJSON_Delete(doc);
    run_free(&r);
}

/* `xcap eval --data`: the same explanation from a dataset on disk, and references outside
 * the grammar are counted as such. */
static void test_eval_dataset(void **state) {
    fixture *fx = *state;
    char dir[4200], data[4300];
    snprintf(dir, sizeof dir, "%s/scenes", fx->tmp);
    const char *sargs[] = {"--count", "12", "--seed", "3", "--split", "val", "--out", dir, NULL};
    run_result r = run_xcap("scenes", NULL, sargs);
    assert_int_equal(r.code, 0);
    run_free(&r);
    snprintf(data, sizeof data, "%s/captions.json", dir);
    char pred[4300];
    snprintf(pred, sizeof pred, "%s/pred.json", dir);
    const char *args[] = {"--model", fx->shipped, "--data", data, "--json", "-",
                          "--predictions", pred, NULL};
    r = run_xcap("eval", NULL, args);
    if (r.code != 0) fail_msg("eval failed: %s", r.err);
    cJSON *doc = cJSON_Parse(r.out), *preds = read_json(pred);
    assert_non_null(doc);
    check_explanation(doc, preds, 12, 0);
    cJSON_Delete(preds);
    cJSON_Delete(doc);
    run_free(&r);

    /* a caption file that is not of the shapes world: its wrong captions have no grammar */
    char other[4300];
    snprintf(other, sizeof other, "%s/other.json", dir);
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    fputs("{\"images\": [{\"id\": 1, \"file_name\": \"images/scene_000000.png\"}],"
          " \"annotations\": [{\"image_id\": 1, \"caption\": \"A dog runs on the grass.\"}]}", f);
    fclose(f);
    const char *oargs[] = {"--model", fx->shipped, "--data", other, "--json", "-", NULL};
    r = run_xcap("eval", NULL, oargs);
    if (r.code != 0) fail_msg("eval failed: %s", r.err);
    doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    const cJSON *errors = cJSON_GetObjectItem(doc, "errors");
    assert_int_equal(cJSON_GetObjectItem(errors, "wrong")->valuedouble, 1);
    assert_int_equal(cJSON_GetObjectItem(errors, "no_grammar")->valuedouble, 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(errors, "captions"), 0), "reference")));
    cJSON_Delete(doc);
    run_free(&r);
}

/* A wrong --outside: one line naming it, exit 1. */
static void test_eval_bad_outside(void **state) {
    fixture *fx = *state;
    char missing[4200], empty[4200];
    snprintf(missing, sizeof missing, "%s/no-such-folder", fx->tmp);
    snprintf(empty, sizeof empty, "%s/empty", fx->tmp);
    assert_int_equal(mkdir(empty, 0777), 0);
    const char *a1[] = {"--model", fx->shipped, "--count", "4", "--outside", missing, NULL};
    run_result r = run_xcap("eval", NULL, a1);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "no-such-folder: cannot open the folder (No such file"));
    run_free(&r);
    const char *a2[] = {"--model", fx->shipped, "--count", "4", "--outside", empty, NULL};
    r = run_xcap("eval", NULL, a2);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "empty: no images"));
    run_free(&r);
    const char *a3[] = {"--model", fx->shipped, "--count", "4", "--examples", "-1", NULL};
    r = run_xcap("eval", NULL, a3);
    assert_int_equal(r.code, 2);
    run_free(&r);
}

/* A finished caption outside the grammar is flagged "ill-formed" in every output; a cut one
 * only "cut"; a model without the shapes world's vocabulary (grammatical -1) never. */
static void test_ill_formed_flag(void **state) {
    (void)state;
    char *words[] = {"a", "large", "white"};
    float probs[] = {1.0f, 0.9f, 0.8f};
    xcap_caption cap;
    memset(&cap, 0, sizeof cap);
    cap.text = "a large white";
    cap.n_words = 3;
    cap.words = words;
    cap.probs = probs;
    cap.complete = 1;
    cap.grammatical = 0;
    char field[32], msgs[CAP_FLAG_MAX][CAP_FLAG_MSG];
    cap_flag which[CAP_FLAG_MAX];
    cap_flags_field(field, sizeof field, &cap);
    assert_string_equal(field, "ill-formed");
    assert_true(cap_flagged(&cap));
    assert_int_equal(cap_flag_messages(msgs, which, &cap), 1);
    assert_int_equal(which[0], CAP_FLAG_ILL_FORMED);
    assert_string_equal(msgs[0], "not a sentence of the shapes world's grammar");
    cap.complete = 0;
    cap_flags_field(field, sizeof field, &cap);
    assert_string_equal(field, "cut");
    cap.complete = 1;
    cap.grammatical = -1;
    cap_flags_field(field, sizeof field, &cap);
    assert_string_equal(field, "");
    assert_false(cap_flagged(&cap));
    cap.grammatical = 1;
    cap.repeats = 1;
    cap.repeat_at = 1;
    cap.repeat_len = 1;
    cap_flags_field(field, sizeof field, &cap);
    assert_string_equal(field, "repeats");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_is_marked),
        cmocka_unit_test(test_ill_formed_flag),
        cmocka_unit_test(test_flags_follow_library),
        cmocka_unit_test(test_eval_explains),
        cmocka_unit_test(test_eval_dataset),
        cmocka_unit_test(test_eval_bad_outside),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

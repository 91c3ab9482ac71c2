/* test_dataset.c — the COCO-layout caption loader (good files, every refusal, what
 * `xcap scenes` writes), evaluation on a dataset from disk, and the `xcap eval` command. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/eval_dataset.h"
#include "model/model.h"
#include "model/xcap.h"
#include "tests/util/check.h"
#include "tests/util/fixture.h"
#include "text/dataset.h"
#include "vision/shapes.h"
#include "vision/shapes_export.h"

#define NAME "captions.json"

/* Parses json from memory under the name "captions.json". */
static int parse(txt_dataset *ds, const char *json, const txt_dataset_opts *o, nn_error *err) {
    return txt_dataset_parse(ds, json, strlen(json), NAME, o, err);
}

/* Fails unless parsing json is refused with one line that starts with the file name and
 * contains want. */
static void expect_refused(const char *json, const txt_dataset_opts *o, const char *want) {
    txt_dataset ds;
    nn_error err = {{0}};
    if (parse(&ds, json, o, &err) == 0) {
        txt_dataset_free(&ds);
        fail_msg("accepted, expected '%s' for: %s", want, json);
    }
    if (!strstr(err.msg, want)) fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_memory_equal(err.msg, NAME ": ", strlen(NAME ": "));
    assert_null(strchr(err.msg, '\n'));
    assert_null(ds.items);  /* nothing left behind */
    assert_int_equal(ds.n_items, 0);
}

/* ------------------------------------------------------------------ normalising */

static void expect_norm(const char *in, const char *want) {
    char out[256];
    size_t n = txt_caption_normalize(out, sizeof out, in);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_normalize(void **state) {
    (void)state;
    expect_norm("A man riding a wave on top of a surfboard.", "a man riding a wave on top of a surfboard");
    expect_norm("  two  dogs\tplay\n in the SNOW  ", "two dogs play in the snow");
    expect_norm("Hello,world!", "hello , world !");
    expect_norm("It costs 2.5 dollars...", "it costs 2.5 dollars");
    expect_norm("wait... what?", "wait . . . what ?");
    expect_norm("a small red circle , a large blue square and a small green star",
                "a small red circle , a large blue square and a small green star");
    expect_norm(" . ", "");
    expect_norm("", "");
    expect_norm("end .", "end");
    expect_norm("x.y", "x . y");
    /* a short buffer: terminated, and the length it needed is returned */
    char small[6];
    assert_int_equal(txt_caption_normalize(small, sizeof small, "Hello World"), 11);
    assert_string_equal(small, "hello");
}

static void test_safe_name(void **state) {
    (void)state;
    assert_true(txt_dataset_safe_name("a.png"));
    assert_true(txt_dataset_safe_name("images/scene_000001.png"));
    assert_true(txt_dataset_safe_name("c..d.png"));
    assert_true(txt_dataset_safe_name("./a.png"));
    assert_false(txt_dataset_safe_name(""));
    assert_false(txt_dataset_safe_name("/etc/passwd"));
    assert_false(txt_dataset_safe_name(".."));
    assert_false(txt_dataset_safe_name("../a.png"));
    assert_false(txt_dataset_safe_name("a/../../b.png"));
    assert_false(txt_dataset_safe_name("a/.."));
}

/* ------------------------------------------------------------------ a good file */

static void test_good_file(void **state) {
    (void)state;
    txt_dataset ds;
    nn_error err = {{0}};
    const char *path = source_path("tests/fixtures/dataset/coco_small.json");
    if (txt_dataset_load(&ds, path, NULL, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(ds.n_items, 5);
    assert_int_equal(ds.n_captions, 8);

    const txt_ds_item *a = &ds.items[0];
    assert_string_equal(a->id, "10");
    assert_string_equal(a->file_name, "train/a.png");
    assert_string_equal(a->split, "train");
    assert_int_equal(a->width, 640);
    assert_int_equal(a->height, 480);
    assert_null(a->objects);
    assert_int_equal(a->n_captions, 3);  /* annotations 1, 3 and 6, in file order */
    assert_string_equal(a->captions[0].text, "a man riding a wave on top of a surfboard");
    assert_int_equal(a->captions[0].n_words, 10);
    assert_string_equal(a->captions[1].text, "a surfer , on a big wave !");
    assert_string_equal(a->captions[2].text, "someone surfing");
    assert_null(a->captions[0].grounding);

    assert_string_equal(ds.items[1].captions[0].text, "two dogs play in the snow");
    assert_int_equal(ds.items[1].width, 0);  /* not given */
    assert_string_equal(ds.items[2].id, "img-12");
    assert_string_equal(ds.items[2].file_name, "c..d.png");
    assert_string_equal(ds.items[2].captions[0].text, "it costs 2.5 dollars");

    const txt_ds_item *e = &ds.items[4];
    assert_int_equal(e->n_objects, 2);
    assert_string_equal(e->objects[0].shape, "circle");
    assert_string_equal(e->objects[0].colour, "red");
    assert_string_equal(e->objects[0].size, "large");
    const float box1[4] = {60.5f, 5.0f, 16.0f, 16.0f};
    check_close(e->objects[1].bbox, box1, 4, 0, 0);
    assert_int_equal(e->n_captions, 2);
    assert_int_equal(e->captions[0].n_words, 9);
    const int ground[9] = {-1, 0, 0, 0, -1, -1, 1, 1, 1}, kinds[9] = {0, 1, 2, 3, 0, 0, 1, 2, 3};
    assert_memory_equal(e->captions[0].grounding, ground, sizeof ground);
    assert_memory_equal(e->captions[0].kinds, kinds, sizeof kinds);
    assert_null(e->captions[1].grounding);
    assert_null(e->captions[1].kinds);

    size_t n;
    const char **list = txt_dataset_caption_list(&ds, &n);
    assert_non_null(list);
    assert_int_equal(n, 8);
    assert_ptr_equal(list[0], a->captions[0].text);
    assert_ptr_equal(list[3], ds.items[1].captions[0].text);
    assert_ptr_equal(list[7], e->captions[1].text);
    free(list);
    txt_dataset_free(&ds);
    assert_null(ds.items);
}

/* Loads the fixture keeping only split, and checks which image ids remain. */
static void expect_split(const char *split, const char *const *ids, size_t n, size_t captions) {
    txt_dataset ds;
    nn_error err = {{0}};
    txt_dataset_opts o = txt_dataset_default_opts();
    o.split = split;
    if (txt_dataset_load(&ds, source_path("tests/fixtures/dataset/coco_small.json"), &o, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(ds.n_items, n);
    assert_int_equal(ds.n_captions, captions);
    for (size_t i = 0; i < n; i++) assert_string_equal(ds.items[i].id, ids[i]);
    txt_dataset_free(&ds);
}

static void test_split_filter(void **state) {
    (void)state;
    const char *val[] = {"11", "14"}, *train[] = {"10", "img-12"}, *test[] = {"13"};
    expect_split("val", val, 2, 3);
    expect_split("train", train, 2, 4);  /* Karpathy's restval counts as train */
    expect_split("test", test, 1, 1);
    expect_split("restval", train + 1, 1, 1);

    txt_dataset_opts o = txt_dataset_default_opts();
    o.split = "heldout";
    txt_dataset ds;
    nn_error err = {{0}};
    const char *path = source_path("tests/fixtures/dataset/coco_small.json");
    assert_int_equal(txt_dataset_load(&ds, path, &o, &err), -1);
    assert_non_null(strstr(err.msg, "no image is in split 'heldout' (the file has: train, val, restval, test)"));
    assert_non_null(strstr(err.msg, "coco_small.json: "));

    o.split = "val";
    expect_refused("{\"images\":[{\"id\":1,\"file_name\":\"a.png\"}],"
                   "\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"}]}",
                   &o, NAME ": no image has a 'split' field, so split 'val' selects nothing");
    /* images without a split field never match a filter, but the file is still checked */
    expect_refused("{\"images\":[{\"id\":1,\"file_name\":\"a.png\",\"split\":\"val\"},"
                   "{\"id\":2,\"file_name\":\"b.png\"}],"
                   "\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
                   "{\"image_id\":2,\"caption\":\"\"}]}",
                   &o, NAME ": annotations[1] has an empty caption");
}

/* ------------------------------------------------------------------ refusals */

typedef struct {
    const char *json, *want;
} bad_case;

#define IMG2 "{\"images\":[{\"id\":1,\"file_name\":\"a.png\"},"
#define ANN2 "\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},{\"image_id\":2,\"caption\":\"a dog\"}]}"

static void test_refusals(void **state) {
    (void)state;
    static const bad_case cases[] = {
        {"[1, 2]", NAME ": the top level is not a JSON object"},
        {"{\"annotations\":[]}", NAME ": no 'images' array at the top level"},
        {"{\"images\":{},\"annotations\":[]}", NAME ": 'images' is not an array"},
        {"{\"images\":[{\"id\":1,\"file_name\":\"a.png\"}]}", NAME ": no 'annotations' array"},
        {"{\"images\":[{\"id\":1,\"file_name\":\"a.png\"}],\"annotations\":7}", NAME ": 'annotations' is not an array"},
        {"{\"images\":[],\"annotations\":[]}", NAME ": 'images' is empty"},
        {IMG2 "{\"id\":2}]," ANN2, NAME ": images[1] has no 'file_name'"},
        {IMG2 "{\"file_name\":\"b.png\"}]," ANN2, NAME ": images[1] has no 'id'"},
        {IMG2 "7]," ANN2, NAME ": images[1] is not an object"},
        {IMG2 "{\"id\":2.5,\"file_name\":\"b.png\"}]," ANN2, NAME ": images[1]: 'id' is not an integer"},
        {IMG2 "{\"id\":\"\",\"file_name\":\"b.png\"}]," ANN2, NAME ": images[1]: 'id' is not an integer"},
        {IMG2 "{\"id\":2,\"file_name\":5}]," ANN2, NAME ": images[1]: 'file_name' is not a string"},
        {IMG2 "{\"id\":2,\"file_name\":\"\"}]," ANN2, NAME ": images[1] has an empty 'file_name'"},
        {IMG2 "{\"id\":1,\"file_name\":\"b.png\"}]," ANN2, NAME ": images[1] has id 1, already used by images[0]"},
        {IMG2 "{\"id\":\"1\",\"file_name\":\"b.png\"}]," ANN2, NAME ": images[1] has id 1, already used by images[0]"},
        {IMG2 "{\"id\":2,\"file_name\":\"/etc/passwd\"}]," ANN2,
         NAME ": images[1]: file_name '/etc/passwd' is absolute; refused"},
        {IMG2 "{\"id\":2,\"file_name\":\"../secret.png\"}]," ANN2,
         NAME ": images[1]: file_name '../secret.png' is going up with '..'; refused"},
        {IMG2 "{\"id\":2,\"file_name\":\"/a\\nb\"}]," ANN2,  /* stays one line */
         NAME ": images[1]: file_name '/a?b' is absolute"},
        {IMG2 "{\"id\":2,\"file_name\":\"x/../../b.png\"}]," ANN2,
         NAME ": images[1]: file_name 'x/../../b.png' is going up"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"width\":-3}]," ANN2,
         NAME ": images[1]: 'width' and 'height' must be integers in 1..1000000"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"height\":\"big\"}]," ANN2,
         NAME ": images[1]: 'width' and 'height' must be integers"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"split\":3}]," ANN2, NAME ": images[1]: 'split' is not a"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"objects\":{}}]," ANN2, NAME ": images[1]: 'objects' is not an array"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"objects\":[{\"shape\":\"star\"}]}]," ANN2,
         NAME ": images[1].objects[0] has no 'bbox'"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"objects\":[{\"bbox\":[1,2,3]}]}]," ANN2,
         NAME ": images[1].objects[0]: 'bbox' must be 4 numbers"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"objects\":[{\"bbox\":[1,2,3,4]},{\"bbox\":[1,2,-3,4]}]}]," ANN2,
         NAME ": images[1].objects[1]: 'bbox' must be 4 numbers"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"objects\":[{\"bbox\":[1,2,3,4],\"colour\":7}]}]," ANN2,
         NAME ": images[1].objects[0]: shape, colour and size must be strings"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "{\"image_id\":2}]}", NAME ": annotations[1] has no 'caption'"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "{\"caption\":\"a dog\"}]}", NAME ": annotations[1] has no 'image_id'"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "\"a dog\"]}", NAME ": annotations[1] is not an object"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "{\"image_id\":2,\"caption\":\"a dog\"},{\"image_id\":99,\"caption\":\"a cow\"}]}",
         NAME ": annotations[2] refers to image_id 99, which is not in images[]"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "{\"image_id\":2,\"caption\":\"\"}]}", NAME ": annotations[1] has an empty caption"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "{\"image_id\":2,\"caption\":\" \\t. \"}]}", NAME ": annotations[1] has an empty caption"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"},"
              "{\"image_id\":2,\"caption\":[\"a dog\"]}]}", NAME ": annotations[1]: 'caption' is not a string"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\"}]}",
         NAME ": images[1] (id 2) has no caption in annotations[]"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\","
              "\"grounding\":[-1]}," "{\"image_id\":2,\"caption\":\"a dog\"}]}",
         NAME ": annotations[0]: 'grounding' has 1 entries but the caption has 2 words"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\","
              "\"grounding\":[-1,0]}," "{\"image_id\":2,\"caption\":\"a dog\"}]}",
         NAME ": annotations[0]: grounding[1] is not an integer in -1..-1"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\",\"objects\":[{\"bbox\":[0,0,4,4]}]}],\"annotations\":["
              "{\"image_id\":1,\"caption\":\"a cat\"},{\"image_id\":2,\"caption\":\"a dog\",\"grounding\":[-1,1]}]}",
         NAME ": annotations[1]: grounding[1] is not an integer in -1..0"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\","
              "\"kinds\":[0,7]}," "{\"image_id\":2,\"caption\":\"a dog\"}]}",
         NAME ": annotations[0]: kinds[1] is not an integer in 0..3"},
        {IMG2 "{\"id\":2,\"file_name\":\"b.png\"}],\"annotations\":[{\"image_id\":1,\"caption\":\"a cat\","
              "\"kinds\":\"x\"}," "{\"image_id\":2,\"caption\":\"a dog\"}]}",
         NAME ": annotations[0]: 'kinds' is not an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) expect_refused(cases[i].json, NULL, cases[i].want);

    /* the two-image base itself is fine: the cases above fail for their one fault */
    txt_dataset ds;
    nn_error err = {{0}};
    assert_int_equal(parse(&ds, IMG2 "{\"id\":2,\"file_name\":\"b.png\"}]," ANN2, NULL, &err), 0);
    assert_int_equal(ds.n_items, 2);
    txt_dataset_free(&ds);
}

static void test_not_json(void **state) {
    (void)state;
    /* the offset points at the fault: byte 12 is the '}' that cannot start a value */
    expect_refused("{\"images\": [}", NULL, NAME ": not valid JSON near byte 12");
    expect_refused("{\"images\": [1, 2", NULL, NAME ": not valid JSON near byte 15");  /* cut off */
    expect_refused("", NULL, NAME ": not valid JSON near byte 0");
    expect_refused("{\"images\":[],\"annotations\":[]} trailing", NULL,
                   NAME ": not valid JSON near byte 31 (text after the end)");
    expect_refused("\n\n  nope", NULL, NAME ": not valid JSON near byte 4");
}

/* A caption of n copies of 'a' in a file with one image. */
static char *long_caption_json(size_t n) {
    char *json = malloc(n + 200);
    assert_non_null(json);
    int at = sprintf(json, "{\"images\":[{\"id\":1,\"file_name\":\"a.png\"}],"
                           "\"annotations\":[{\"image_id\":1,\"caption\":\"");
    memset(json + at, 'a', n);
    strcpy(json + at + n, "\"}]}");
    return json;
}

static void test_limits(void **state) {
    (void)state;
    char *ok = long_caption_json(TXT_DS_MAX_CAPTION_BYTES), *bad = long_caption_json(TXT_DS_MAX_CAPTION_BYTES + 1);
    txt_dataset ds;
    nn_error err = {{0}};
    assert_int_equal(parse(&ds, ok, NULL, &err), 0);
    assert_int_equal(strlen(ds.items[0].captions[0].text), TXT_DS_MAX_CAPTION_BYTES);
    txt_dataset_free(&ds);
    expect_refused(bad, NULL, NAME ": annotations[0]: caption is 1001 bytes, over the limit of 1000");
    txt_dataset_opts o = txt_dataset_default_opts();
    o.max_caption_bytes = 3;
    expect_refused(IMG2 "{\"id\":2,\"file_name\":\"b.png\"}]," ANN2, &o,
                   NAME ": annotations[0]: caption is 5 bytes, over the limit of 3");
    free(ok);
    free(bad);

    /* a file over the limit is refused before it is read: a sparse file of 2 GiB + 1 byte */
    char *dir = make_temp_dir(), path[512];
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/huge.json", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    if (truncate(path, (off_t)TXT_DS_MAX_FILE_BYTES + 1) == 0) {
        assert_int_equal(txt_dataset_load(&ds, path, NULL, &err), -1);
        assert_non_null(strstr(err.msg, "huge.json: file is 2147483649 bytes, over the limit of 2147483648 bytes"));
    } else {
        print_message("note: no sparse file here; the 2 GiB case is covered by the option below\n");
    }
    o = txt_dataset_default_opts();
    o.max_file_bytes = 100;
    const char *small = source_path("tests/fixtures/dataset/coco_small.json");
    assert_int_equal(txt_dataset_load(&ds, small, &o, &err), -1);
    assert_non_null(strstr(err.msg, "coco_small.json: file is "));
    assert_non_null(strstr(err.msg, "over the limit of 100 bytes"));

    /* a missing file, a folder, and broken JSON in a file all name the file */
    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_int_equal(txt_dataset_load(&ds, path, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "missing.json: cannot open: No such file"));
    assert_int_equal(txt_dataset_load(&ds, dir, NULL, &err), -1);
    assert_non_null(strstr(err.msg, ": not a regular file"));
    snprintf(path, sizeof path, "%s/broken.json", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"images\": [{\"id\": 1,, }]}", f);
    fclose(f);
    assert_int_equal(txt_dataset_load(&ds, path, NULL, &err), -1);
    char want[600];  /* "near": cJSON stops just past the stray comma at byte 21 */
    snprintf(want, sizeof want, "%s: not valid JSON near byte 22", path);
    assert_string_equal(err.msg, want);
    remove_tree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ what `xcap scenes` writes */

static void test_reads_scenes_export(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512];
    assert_non_null(dir);
    nn_error err = {{0}};
    const size_t n = 12;
    const uint64_t seed = 77;
    if (vis_scenes_export(dir, n, seed, VIS_SPLIT_HELDOUT, 64, 48, &err) != 0) fail_msg("%s", err.msg);
    snprintf(path, sizeof path, "%s/captions.json", dir);
    txt_dataset ds;
    txt_dataset_opts o = txt_dataset_default_opts();
    o.split = "heldout";
    if (txt_dataset_load(&ds, path, &o, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(ds.n_items, n);
    size_t total = 0;
    vis_scene s = {0};
    for (size_t i = 0; i < n; i++) {
        const txt_ds_item *it = &ds.items[i];
        if (vis_scene_generate(&s, vis_scene_seed(seed, i), VIS_SPLIT_HELDOUT, 64, 48, 0, &err))
            fail_msg("%s", err.msg);
        char want[64], id[32], file[600];
        snprintf(want, sizeof want, "images/scene_%06zu.png", i);
        snprintf(id, sizeof id, "%zu", i);
        assert_string_equal(it->file_name, want);
        assert_string_equal(it->id, id);
        assert_string_equal(it->split, "heldout");
        assert_int_equal(it->width, 64);
        assert_int_equal(it->height, 48);
        snprintf(file, sizeof file, "%s/%s", dir, it->file_name);
        assert_int_equal(access(file, R_OK), 0);
        assert_int_equal(it->n_captions, (size_t)s.n_captions);
        for (int k = 0; k < s.n_captions; k++) {
            const txt_ds_caption *c = &it->captions[k];
            assert_string_equal(c->text, s.captions[k].text);
            assert_int_equal(c->n_words, (size_t)s.captions[k].n_words);
            assert_non_null(c->grounding);
            assert_non_null(c->kinds);
            for (int w = 0; w < s.captions[k].n_words; w++) {
                assert_int_equal(c->grounding[w], s.captions[k].object[w]);
                assert_int_equal(c->kinds[w], s.captions[k].kind[w]);
            }
        }
        assert_int_equal(it->n_objects, (size_t)s.n_objects);
        for (int k = 0; k < s.n_objects; k++) {
            const vis_object *ob = &s.objects[k];
            assert_string_equal(it->objects[k].shape, vis_shape_names[ob->shape]);
            assert_string_equal(it->objects[k].colour, vis_colour_names[ob->colour]);
            assert_string_equal(it->objects[k].size, vis_size_names[ob->size]);
            const float box[4] = {(float)ob->x0, (float)ob->y0, (float)(ob->x1 - ob->x0),
                                  (float)(ob->y1 - ob->y0)};
            check_close(it->objects[k].bbox, box, 4, 0, 0);
        }
        total += it->n_captions;
    }
    assert_int_equal(ds.n_captions, total);
    vis_scene_free(&s);
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ evaluation */

/* Exports `count` scenes at the tiny model's 48×32 into a new temp dir and loads them. */
static char *export_and_load(txt_dataset *ds, size_t count, uint64_t seed) {
    char *dir = make_temp_dir(), path[512];
    assert_non_null(dir);
    nn_error err = {{0}};
    vis_export_params p = vis_export_default_params();  /* canvases as xcap_eval_scenes draws */
    p.count = count;
    p.seed = seed;
    p.split = VIS_SPLIT_VAL;
    p.width = 48;
    p.height = 32;
    p.random_canvas = 1;
    if (vis_scenes_export_with(dir, &p, &err) != 0) fail_msg("%s", err.msg);
    snprintf(path, sizeof path, "%s/captions.json", dir);
    if (txt_dataset_load(ds, path, NULL, &err) != 0) fail_msg("%s", err.msg);
    return dir;
}

/* What the callbacks saw. */
typedef struct {
    size_t calls, last_done, total;
    int seen[64];
    char *caption[64];
    const txt_dataset *ds;  /* the evaluated set: the references handed over are its */
} seen_log;

static void log_progress(void *user, size_t done, size_t total) {
    seen_log *l = user;
    assert_true(done > l->last_done && done <= total);
    l->last_done = done;
    l->total = total;
    l->calls++;
}

/* Checks what the caption callback hands over: the whole caption of item `index` (text =
 * its words, a confidence that is its least probability) and that item's references. */
static void log_caption(void *user, size_t index, const char *id, const xcap_caption *cap,
                        const char *const *refs, size_t n_refs) {
    seen_log *l = user;
    assert_true(index < 64 && index < l->ds->n_items);
    char want[32];
    snprintf(want, sizeof want, "%zu", index);
    assert_string_equal(id, want);  /* exported ids equal the scene index */
    const txt_ds_item *it = &l->ds->items[index];
    assert_int_equal(n_refs, it->n_captions);
    for (size_t r = 0; r < n_refs; r++) assert_string_equal(refs[r], it->captions[r].text);
    assert_non_null(cap->text);
    char joined[512] = "";
    float least = cap->complete ? cap->eos_prob : 0.0f;
    for (size_t w = 0; w < cap->n_words; w++) {
        if (w) strcat(joined, " ");
        assert_true(strlen(joined) + strlen(cap->words[w]) < sizeof joined);
        strcat(joined, cap->words[w]);
        if (cap->complete && cap->probs[w] < least) least = cap->probs[w];
    }
    assert_string_equal(cap->text, joined);
    assert_true(cap->confidence == least);
    l->seen[index]++;
    free(l->caption[index]);
    l->caption[index] = strdup(cap->text);
}

static void log_free(seen_log *l) {
    for (size_t i = 0; i < 64; i++) free(l->caption[i]);
}

static void test_eval_dataset_figures(void **state) {
    (void)state;
    txt_dataset ds;
    char *dir = export_and_load(&ds, 8, 3);
    xcap_model *m = fixture_model();
    seen_log log = {0};
    log.ds = &ds;
    xcap_eval_opts o = xcap_eval_default_opts();
    o.batch = 3;
    o.progress = log_progress;
    o.on_caption = log_caption;
    o.user = &log;
    xcap_eval_report rep;
    nn_error err = {{0}};
    if (xcap_eval_dataset(&rep, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    const xcap_eval_result *r = &rep.scores;
    assert_int_equal(r->count, 8);
    assert_int_equal(rep.skipped, 0);
    assert_true(r->exact >= 0 && r->exact <= 1);
    assert_true(r->bleu4 >= 0 && r->bleu4 <= 1);
    assert_true(r->cider_d >= 0 && r->cider_d <= 10);
    size_t by[4] = {0};
    for (size_t i = 0; i < ds.n_items; i++) by[ds.items[i].n_objects]++;
    for (int k = 0; k < 4; k++) assert_int_equal(r->by_objects[k], by[k]);
    assert_int_equal(log.calls, 3);  /* batches of 3, 3, 2 */
    assert_int_equal(log.last_done, 8);
    assert_int_equal(log.total, 8);
    for (size_t i = 0; i < 8; i++) assert_int_equal(log.seen[i], 1);

    /* limit: only the first images */
    o.limit = 5;
    o.progress = NULL;
    o.on_caption = NULL;
    assert_int_equal(xcap_eval_dataset(&rep, m, &ds, dir, &o, &err), 0);
    assert_int_equal(rep.scores.count, 5);
    log_free(&log);
    xcap_model_free(m);
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
}

static void test_eval_scenes_rejects_unknown_split(void **state) {
    (void)state;
    xcap_model *m = fixture_model();
    xcap_eval_report got;
    nn_error err = {{0}};
    assert_int_equal(xcap_eval_scenes(&got, m, 7, 9, 10, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "unknown split 7"));
    xcap_model_free(m);
}

/* The same scenes scored from disk (PNG + captions.json) and made in memory agree exactly. */
static void test_eval_disk_equals_memory(void **state) {
    (void)state;
    txt_dataset ds;
    char *dir = export_and_load(&ds, 12, 31);  /* val split, at the model's 48x32 */
    xcap_model *m = fixture_model();
    xcap_eval_opts o = xcap_eval_default_opts();
    o.batch = 5;
    xcap_eval_report disk, mem;
    nn_error err = {{0}};
    if (xcap_eval_dataset(&disk, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    if (xcap_eval_scenes(&mem, m, VIS_SPLIT_VAL, 31, 12, &o, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(disk.scores.count, 12);
    assert_true(disk.scores.exact == mem.scores.exact);
    assert_true(disk.scores.bleu4 == mem.scores.bleu4);
    assert_true(disk.scores.cider_d == mem.scores.cider_d);
    for (int k = 0; k < 4; k++) assert_int_equal(disk.scores.by_objects[k], mem.scores.by_objects[k]);
    xcap_model_free(m);
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
}

/* Writes a COCO file naming images/scene_%06d.png for the scenes in `which`, with
 * references[j] (and a second, unrelated reference) as their captions. */
static void write_refs(const char *path, const size_t *which, char *const *refs, size_t n) {
    cJSON *root = cJSON_CreateObject(), *images = cJSON_AddArrayToObject(root, "images"),
          *anns = cJSON_AddArrayToObject(root, "annotations");
    for (size_t j = 0; j < n; j++) {
        char name[64];
        snprintf(name, sizeof name, "images/scene_%06zu.png", which[j]);
        cJSON *img = cJSON_CreateObject();
        cJSON_AddNumberToObject(img, "id", (double)(100 + j));
        cJSON_AddStringToObject(img, "file_name", name);
        cJSON_AddItemToArray(images, img);
        const char *caps[2] = {"zebra crossing the road", refs[j]};
        for (int k = 0; k < 2; k++) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddNumberToObject(a, "image_id", (double)(100 + j));
            cJSON_AddStringToObject(a, "caption", caps[k]);
            cJSON_AddItemToArray(anns, a);
        }
    }
    char *text = cJSON_Print(root);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* Loads path and evaluates it with batch 1 against the scenes in dir. */
static xcap_eval_result eval_file(const xcap_model *m, const char *path, const char *dir) {
    txt_dataset ds;
    nn_error err = {{0}};
    if (txt_dataset_load(&ds, path, NULL, &err) != 0) fail_msg("%s", err.msg);
    xcap_eval_opts o = xcap_eval_default_opts();
    o.batch = 1;
    xcap_eval_report rep;
    if (xcap_eval_dataset(&rep, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    txt_dataset_free(&ds);
    return rep.scores;
}

/* References equal to the model's own greedy captions score 1; changed ones score less. */
static void test_eval_hits_and_misses(void **state) {
    (void)state;
    enum { POOL = 40, MAX_KEEP = 8 };
    txt_dataset pool;
    char *dir = export_and_load(&pool, POOL, 11);
    xcap_model *m = fixture_model();
    char msg[512], path[600];
    xcap_context *ctx = xcap_context_create(m, 1, msg, sizeof msg);
    if (!ctx) fail_msg("%s", msg);
    xcap_params p = xcap_default_params();
    size_t which[MAX_KEEP], kept = 0;
    char *caps[MAX_KEEP];
    /* caption first; keep captions of at least 4 words (BLEU-4 needs 4-grams to reach 1) */
    for (size_t i = 0; i < POOL && kept < MAX_KEEP; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, pool.items[i].file_name);
        xcap_caption c;
        if (xcap_caption_file(ctx, path, &p, &c) != 0) fail_msg("%s", xcap_context_error(ctx));
        size_t words = c.text[0] ? 1 : 0;  /* words of the text (n_words also counts <pad>) */
        for (const char *t = c.text; *t; t++) words += *t == ' ';
        if (words >= 4) {
            which[kept] = i;
            caps[kept++] = strdup(c.text);
        }
        xcap_caption_free(&c);
    }
    xcap_context_free(ctx);
    if (kept < 4) fail_msg("only %zu of %d scenes got a caption of 4+ words", kept, POOL);

    snprintf(path, sizeof path, "%s/self.json", dir);
    write_refs(path, which, caps, kept);
    xcap_eval_result hit = eval_file(m, path, dir);
    assert_int_equal(hit.count, kept);
    assert_true(hit.exact == 1.0);
    assert_true(fabs(hit.bleu4 - 1.0) < 1e-12);
    assert_int_equal(hit.by_objects[0], kept);  /* no ground-truth objects in this file */

    /* the same images with every other reference replaced by a different caption */
    size_t changed = 0;
    for (size_t j = 0; j < kept; j += 2, changed++) {
        free(caps[j]);
        caps[j] = strdup("a large white cross above a small cyan star");
    }
    snprintf(path, sizeof path, "%s/miss.json", dir);
    write_refs(path, which, caps, kept);
    xcap_eval_result miss = eval_file(m, path, dir);
    assert_int_equal(miss.count, kept);
    assert_true(fabs(miss.exact - (double)(kept - changed) / (double)kept) < 1e-12);
    assert_true(miss.bleu4 < 1.0 - 1e-6);

    for (size_t j = 0; j < kept; j++) free(caps[j]);
    xcap_model_free(m);
    txt_dataset_free(&pool);
    remove_tree(dir);
    free(dir);
}

/* An image that does not load stops the evaluation naming it, or is skipped and counted. */
static void test_eval_bad_image(void **state) {
    (void)state;
    txt_dataset ds;
    char *dir = export_and_load(&ds, 5, 4);
    xcap_model *m = fixture_model();
    char path[600];
    snprintf(path, sizeof path, "%s/images/scene_000002.png", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("this is not a PNG", f);
    fclose(f);
    xcap_eval_opts o = xcap_eval_default_opts();
    o.batch = 2;
    xcap_eval_report rep;
    nn_error err = {{0}};
    assert_int_equal(xcap_eval_dataset(&rep, m, &ds, dir, &o, &err), -1);
    assert_non_null(strstr(err.msg, "images/scene_000002.png: "));
    assert_non_null(strstr(err.msg, "(image id 2)"));
    assert_null(strchr(err.msg, '\n'));

    o.skip_bad = 1;
    if (xcap_eval_dataset(&rep, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(rep.skipped, 1);
    assert_int_equal(rep.scores.count, 4);
    assert_non_null(strstr(rep.first_skipped, "scene_000002.png"));

    /* a missing image is the same; when nothing loads, the evaluation fails */
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/images/scene_%06d.png", dir, i);
        assert_int_equal(remove(path), 0);
    }
    assert_int_equal(xcap_eval_dataset(&rep, m, &ds, dir, &o, &err), -1);
    assert_non_null(strstr(err.msg, "no image could be loaded (5 skipped; first: "));
    assert_non_null(strstr(err.msg, "scene_000000.png"));
    xcap_model_free(m);
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ the command */

/* Runs a shell command; returns its exit status. */
static int run(const char *cmd) {
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Reads a whole small file as a new string. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static double json_number(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) fail_msg("JSON lacks number '%s'", key);
    return v->valuedouble;
}

static void test_cli(void **state) {
    (void)state;
    const char *bin = getenv("XCAP_BINARY");
    if (!bin || access(bin, X_OK) != 0) {
        print_message("skipping: XCAP_BINARY not built\n");
        skip();
    }
    const char *model = source_path("tests/fixtures/tiny_weights.safetensors");
    char model_path[600];
    snprintf(model_path, sizeof model_path, "%s", model);
    txt_dataset ds;
    char *dir = export_and_load(&ds, 6, 21);
    char cmd[4096], path[700];

    snprintf(cmd, sizeof cmd, "'%s' eval --help | grep -q 'usage: xcap eval'", bin);
    assert_int_equal(run(cmd), 0);
    const char *bad[] = {"--bogus", "--count 0", "--split test", "--batch 0",
                         "--data x.json --seed 3", "--images D", "--skip-bad", "--model"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' eval %s 2>err.txt >/dev/null", dir, bin, bad[i]);
        assert_int_equal(run(cmd), 2);
        snprintf(cmd, sizeof cmd, "cd '%s' && test $(wc -l < err.txt) -eq 1 && grep -q '^xcap eval: ' err.txt", dir);
        assert_int_equal(run(cmd), 0);
    }

    /* a dataset: the figures in the JSON are the library's, computed the same way */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' eval --model '%s' --data captions.json --batch 2 --json out.json "
             "--predictions pred.json > table.txt 2>err.txt", dir, bin, model_path);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && grep -q '^exact match ' table.txt && grep -q '^BLEU-4 ' table.txt "
             "&& grep -q '^CIDEr-D ' table.txt && grep -q '^images  *6$' table.txt", dir);
    assert_int_equal(run(cmd), 0);
    xcap_model *m = fixture_model();
    xcap_eval_opts o = xcap_eval_default_opts();
    o.batch = 2;
    xcap_eval_report rep;
    nn_error err = {{0}};
    if (xcap_eval_dataset(&rep, m, &ds, dir, &o, &err) != 0) fail_msg("%s", err.msg);
    snprintf(path, sizeof path, "%s/out.json", dir);
    char *text = slurp(path);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    assert_true(json_number(j, "count") == 6);
    assert_true(json_number(j, "skipped") == 0);
    assert_true(fabs(json_number(j, "exact") - rep.scores.exact) < 1e-12);
    assert_true(fabs(json_number(j, "bleu4") - rep.scores.bleu4) <= 1e-12 * fabs(rep.scores.bleu4) + 1e-300);
    assert_true(fabs(json_number(j, "cider_d") - rep.scores.cider_d) < 1e-9);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "source")->valuestring, "dataset");
    cJSON_Delete(j);
    free(text);
    snprintf(path, sizeof path, "%s/pred.json", dir);
    text = slurp(path);
    j = cJSON_Parse(text);
    assert_true(cJSON_IsArray(j));
    assert_int_equal(cJSON_GetArraySize(j), 6);
    assert_true(json_number(cJSON_GetArrayItem(j, 5), "image_id") == 5);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 5), "caption")));
    cJSON_Delete(j);
    free(text);

    /* shapes world with the JSON on stdout (the table then goes to stderr) */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' eval --model '%s' --split heldout --count 6 --seed 5 --json - "
             "> s.json 2>s.err && grep -q '^scenes  *6$' s.err", dir, bin, model_path);
    assert_int_equal(run(cmd), 0);
    snprintf(path, sizeof path, "%s/s.json", dir);
    text = slurp(path);
    j = cJSON_Parse(text);
    assert_non_null(j);
    xcap_eval_report rep_want;
    if (xcap_eval_scenes(&rep_want, m, VIS_SPLIT_HELDOUT, 5, 6, NULL, &err) != 0) fail_msg("%s", err.msg);
    const xcap_eval_result want = rep_want.scores;
    assert_true(json_number(j, "count") == 6);
    assert_true(fabs(json_number(j, "exact") - want.exact) < 1e-12);
    assert_true(fabs(json_number(j, "cider_d") - want.cider_d) < 1e-9);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "split")->valuestring, "heldout");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "seed")->valuestring, "5");
    cJSON_Delete(j);
    free(text);

    /* failures: one line naming the file and the entry, exit 1 */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && printf '{\"images\":[{\"id\":1}],\"annotations\":[]}' > bad.json && "
             "'%s' eval --model '%s' --data bad.json 2>err.txt; s=$?; test $s -eq 1 && "
             "test $(wc -l < err.txt) -eq 1 && grep -q \"^xcap eval: bad.json: images\\[0\\] has no 'file_name'$\" err.txt",
             dir, bin, model_path);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm images/scene_000001.png && '%s' eval --model '%s' --data captions.json 2>err.txt; "
             "s=$?; test $s -eq 1 && test $(wc -l < err.txt) -eq 1 && grep -q 'scene_000001.png' err.txt && "
             "'%s' eval --model '%s' --data captions.json --skip-bad > t.txt 2>/dev/null && "
             "grep -q '^images  *5  (1 skipped' t.txt",
             dir, bin, model_path, bin, model_path);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' eval --model nope.safetensors --count 2 2>err.txt; "
             "test $? -eq 1 && grep -q 'nope.safetensors' err.txt", dir, bin);
    assert_int_equal(run(cmd), 0);

    xcap_model_free(m);
    txt_dataset_free(&ds);
    remove_tree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_split_filter),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reads_scenes_export),
        cmocka_unit_test(test_eval_dataset_figures),
        cmocka_unit_test(test_eval_scenes_rejects_unknown_split),
        cmocka_unit_test(test_eval_disk_equals_memory),
        cmocka_unit_test(test_eval_hits_and_misses),
        cmocka_unit_test(test_eval_bad_image),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_shapes_grammar.c — the shapes-world caption parser (text/shapes_grammar.h): every
 * form of good caption with what it parses to, every kind of ill-formed caption with the
 * word the message names, and every reference caption the world writes. */
#include "tests/util/check.h"
#include "text/shapes_grammar.h"
#include "vision/shapes.h"

#include <stdio.h>
#include <string.h>

/* Fails unless object o is (size, colour, shape) named by words. */
static void check_object(const txt_shapes_object *o, const char *size, const char *colour,
                         const char *shape) {
    assert_string_equal(txt_shapes_size_words[o->size], size);
    assert_string_equal(txt_shapes_colour_words[o->colour], colour);
    assert_string_equal(txt_shapes_shape_words[o->shape], shape);
}

static void test_one_object(void **state) {
    (void)state;
    txt_shapes_caption c;
    nn_error err;
    assert_int_equal(txt_shapes_parse(&c, "a large red circle", &err), 0);
    assert_int_equal(c.n_objects, 1);
    assert_int_equal(c.rel, TXT_REL_NONE);
    check_object(&c.objects[0], "large", "red", "circle");
    /* any white space separates words */
    assert_int_equal(txt_shapes_parse(&c, "  a\tsmall  cyan\ncross ", &err), 0);
    check_object(&c.objects[0], "small", "cyan", "cross");
}

static void test_two_objects(void **state) {
    (void)state;
    static const struct {
        const char *caption;
        txt_shapes_rel rel;
    } cases[] = {
        {"a small blue square left of a large green star", TXT_REL_LEFT_OF},
        {"a small blue square right of a large green star", TXT_REL_RIGHT_OF},
        {"a small blue square above a large green star", TXT_REL_ABOVE},
        {"a small blue square below a large green star", TXT_REL_BELOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        txt_shapes_caption c;
        nn_error err;
        assert_int_equal(txt_shapes_parse(&c, cases[i].caption, &err), 0);
        assert_int_equal(c.n_objects, 2);
        assert_int_equal(c.rel, cases[i].rel);
        check_object(&c.objects[0], "small", "blue", "square");
        check_object(&c.objects[1], "large", "green", "star");
        assert_int_equal(txt_shapes_converse(txt_shapes_converse(c.rel)), c.rel);
        assert_int_not_equal(txt_shapes_converse(c.rel), c.rel);
    }
    assert_int_equal(txt_shapes_converse(TXT_REL_LEFT_OF), TXT_REL_RIGHT_OF);
    assert_int_equal(txt_shapes_converse(TXT_REL_ABOVE), TXT_REL_BELOW);
    assert_int_equal(txt_shapes_converse(TXT_REL_NONE), TXT_REL_NONE);
}

static void test_three_objects(void **state) {
    (void)state;
    txt_shapes_caption c;
    nn_error err;
    assert_int_equal(txt_shapes_parse(&c, "a small red circle , a large blue square and a small "
                                          "green star", &err), 0);
    assert_int_equal(c.n_objects, 3);
    assert_int_equal(c.rel, TXT_REL_NONE);
    check_object(&c.objects[0], "small", "red", "circle");
    check_object(&c.objects[1], "large", "blue", "square");
    check_object(&c.objects[2], "small", "green", "star");
    /* every word of every list parses */
    for (int s = 0; s < TXT_SHAPES_SIZES; s++)
        for (int k = 0; k < TXT_SHAPES_COLOURS; k++)
            for (int h = 0; h < TXT_SHAPES_SHAPES; h++) {
                char buf[128];
                snprintf(buf, sizeof buf, "a %s %s %s", txt_shapes_size_words[s],
                         txt_shapes_colour_words[k], txt_shapes_shape_words[h]);
                assert_int_equal(txt_shapes_parse(&c, buf, &err), 0);
                assert_int_equal(c.objects[0].size, s);
                assert_int_equal(c.objects[0].colour, k);
                assert_int_equal(c.objects[0].shape, h);
            }
}

/* Every kind of ill-formed caption, and the start of the message that says why. */
static void test_ill_formed(void **state) {
    (void)state;
    static const struct {
        const char *caption, *message;
    } cases[] = {
        {"", "the caption is empty: expected 'a'"},
        {"   ", "the caption is empty: expected 'a'"},
        {"the large red circle", "word 1 'the': expected 'a'"},
        {"a huge red circle", "word 2 'huge': expected a size"},
        {"a large large red circle", "word 3 'large': expected a colour"},
        {"a large red ball", "word 4 'ball': expected a shape"},
        {"a large red", "the caption ends after word 3: expected a shape"},
        {"a large", "the caption ends after word 2: expected a colour"},
        {"A large red circle", "word 1 'A': expected 'a'"},
        {"a large red circle near a small blue star", "word 5 'near': expected the end, a relation"},
        {"a large red circle left a small blue star", "word 6 'a': expected 'of'"},
        {"a large red circle right", "the caption ends after word 5: expected 'of'"},
        {"a large red circle above", "the caption ends after word 5: expected 'a'"},
        {"a large red circle above small blue star", "word 6 'small': expected 'a'"},
        {"a large red circle and a small blue star", "word 5 'and': expected the end, a relation"},
        {"a large red circle , a small blue star", "the caption ends after word 9: expected 'and'"},
        {"a large red circle , a small blue star , a small green cross", "word 10 ',': expected 'and'"},
        {"a large red circle , a small blue star and", "the caption ends after word 10: expected 'a'"},
        {"a large red circle left of a small blue star left of a small green cross",
         "word 11 'left': expected the end of the caption"},
        {"a large red circle , a small blue star and a small green cross , a large white square",
         "word 15 ',': expected the end of the caption"},
        {"a large red circle circle", "word 5 'circle': expected the end, a relation"},
        {"a large orange small left of a small blue star", "word 4 'small': expected a shape"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        txt_shapes_caption c;
        nn_error err = {{0}};
        if (txt_shapes_parse(&c, cases[i].caption, &err) != -1)
            fail_msg("'%s' parsed", cases[i].caption);
        if (strncmp(err.msg, cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("'%s': message '%s', want '%s...'", cases[i].caption, err.msg, cases[i].message);
        assert_int_equal(c.n_objects, 0);  /* nothing half-parsed is left */
    }
    txt_shapes_caption c;
    assert_int_equal(txt_shapes_parse(&c, NULL, NULL), -1);  /* no caption, no message buffer */
}

/* The word lists are the world's, index for index. */
static void test_word_lists_match_world(void **state) {
    (void)state;
    assert_int_equal(TXT_SHAPES_SIZES, VIS_SIZE_COUNT);
    assert_int_equal(TXT_SHAPES_COLOURS, VIS_COLOUR_COUNT);
    assert_int_equal(TXT_SHAPES_SHAPES, VIS_SHAPE_COUNT);
    for (int i = 0; i < TXT_SHAPES_SIZES; i++)
        assert_string_equal(txt_shapes_size_words[i], vis_size_names[i]);
    for (int i = 0; i < TXT_SHAPES_COLOURS; i++)
        assert_string_equal(txt_shapes_colour_words[i], vis_colour_names[i]);
    for (int i = 0; i < TXT_SHAPES_SHAPES; i++)
        assert_string_equal(txt_shapes_shape_words[i], vis_shape_names[i]);
}

/* Every reference caption of 2000 scenes of each split parses, into the scene's objects. */
static void test_world_captions_parse(void **state) {
    (void)state;
    vis_scene sc;
    memset(&sc, 0, sizeof sc);
    nn_error err;
    for (int split = 0; split < VIS_SPLIT_COUNT; split++)
        for (uint64_t i = 0; i < 2000; i++) {
            assert_int_equal(vis_scene_generate_with(&sc, vis_scene_seed(5, i), (vis_split)split,
                                                     96, 96, 0, NULL, 0, &err), 0);
            for (int k = 0; k < sc.n_captions; k++) {
                txt_shapes_caption c;
                if (txt_shapes_parse(&c, sc.captions[k].text, &err) != 0)
                    fail_msg("'%s': %s", sc.captions[k].text, err.msg);
                assert_int_equal(c.n_objects, sc.n_objects);
                if (sc.n_objects == 3)  /* listed left to right, as the scene stores them */
                    for (int o = 0; o < 3; o++) {
                        assert_int_equal(c.objects[o].shape, (int)sc.objects[o].shape);
                        assert_int_equal(c.objects[o].colour, (int)sc.objects[o].colour);
                        assert_int_equal(c.objects[o].size, (int)sc.objects[o].size);
                    }
            }
        }
    vis_scene_free(&sc);
}

/* A model's vocabulary is the shapes world's only when it holds every shape word and no
 * word outside the grammar (specials aside). */
static void test_vocab_is_world(void **state) {
    (void)state;
    const char *world[] = {"<pad>", "<bos>", "<eos>", "<unk>", "a", "small", "large", "red",
                           "green", "blue", "yellow", "purple", "orange", "white", "cyan",
                           "circle", "square", "triangle", "diamond", "star", "cross", ",",
                           "and", "left", "right", "of", "above", "below"};
    size_t n = sizeof world / sizeof *world;
    assert_int_equal(txt_shapes_vocab_is_world(world, n), 1);
    assert_int_equal(txt_shapes_vocab_is_world(world, n - 10), 0);  /* shapes missing */
    const char *other[] = {"<pad>", "a", "circle", "square", "triangle", "diamond", "star",
                           "cross", "dog"};
    assert_int_equal(txt_shapes_vocab_is_world(other, 9), 0);       /* a word of no grammar */
    assert_int_equal(txt_shapes_vocab_is_world(other, 8), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_object),
        cmocka_unit_test(test_two_objects),
        cmocka_unit_test(test_three_objects),
        cmocka_unit_test(test_ill_formed),
        cmocka_unit_test(test_word_lists_match_world),
        cmocka_unit_test(test_world_captions_parse),
        cmocka_unit_test(test_vocab_is_world),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_shapes_errors.c — error kinds of a wrong caption against its references
 * (text/shapes_errors.h): one wrong caption per kind, captions with several kinds, the
 * closest of several references, and right captions. */
#include "tests/util/check.h"
#include "text/shapes_errors.h"

#include <stdio.h>
#include <string.h>

/* Judges hyp against refs (NULL-terminated) and fails unless the kinds are want and the
 * chosen reference is want_ref. */
static void check_kinds(const char *hyp, const char *const *refs, unsigned want, int want_ref) {
    size_t n = 0;
    while (refs[n]) n++;
    txt_shapes_verdict v;
    txt_shapes_judge(&v, hyp, refs, n);
    if (v.right) fail_msg("'%s' judged right", hyp);
    if (v.kinds != want || v.ref != want_ref)
        fail_msg("'%s': kinds 0x%x reference %d, want 0x%x reference %d", hyp, v.kinds, v.ref,
                 want, want_ref);
}

static const char *const two[] = {"a large red circle left of a small blue star",
                                  "a small blue star right of a large red circle", NULL};
static const char *const three[] = {"a small red circle , a large blue square and a small green star", NULL};
static const char *const one[] = {"a large red circle", NULL};

static void test_one_kind_each(void **state) {
    (void)state;
    check_kinds("a large red circle", two, TXT_ERR_COUNT, 0);
    check_kinds("a large red square", one, TXT_ERR_SHAPE, 0);
    check_kinds("a large green circle", one, TXT_ERR_COLOUR, 0);
    check_kinds("a small red circle", one, TXT_ERR_SIZE, 0);
    check_kinds("a large red circle above a small blue star", two, TXT_ERR_RELATION, 0);
    /* the right objects the wrong way round: a relation error, not four attribute errors */
    check_kinds("a small blue star left of a large red circle", two, TXT_ERR_RELATION, 0);
    check_kinds("a large blue square , a small red circle and a small green star", three,
                TXT_ERR_ORDER, 0);
    check_kinds("a small green star , a large blue square and a small red circle", three,
                TXT_ERR_ORDER, 0);
    check_kinds("a large orange small left of a small blue star", two, TXT_ERR_ILL_FORMED, 0);
    check_kinds("a large large large large", one, TXT_ERR_ILL_FORMED, 0);
    check_kinds("", one, TXT_ERR_ILL_FORMED, 0);
    /* the converse of the only reference: wrong word for word, no error the grammar names */
    static const char *const only_first[] = {"a large red circle left of a small blue star", NULL};
    check_kinds("a small blue star right of a large red circle", only_first, TXT_ERR_OTHER, 0);
    /* no reference in the grammar: nothing to compare with */
    static const char *const coco[] = {"A dog runs on the grass", NULL};
    check_kinds("a large red circle", coco, TXT_ERR_OTHER, -1);
    check_kinds("a dog", coco, TXT_ERR_ILL_FORMED, -1);
}

static void test_several_kinds(void **state) {
    (void)state;
    check_kinds("a small red square", one, TXT_ERR_SHAPE | TXT_ERR_SIZE, 0);
    check_kinds("a large green circle above a small blue star", two,
                TXT_ERR_COLOUR | TXT_ERR_RELATION, 0);
    /* swapped and one colour wrong */
    check_kinds("a large blue square , a small red circle and a small white star", three,
                TXT_ERR_ORDER | TXT_ERR_COLOUR, 0);
    /* two colours off in place, or one object moved and another recoloured: equally cheap
     * (the move costs 1), so the reading in caption order wins */
    check_kinds("a large red circle , a large blue circle and a small green star",
                (const char *const[]){"a large green circle , a large red circle and a small green star", NULL},
                TXT_ERR_COLOUR, 0);
    /* one object named, wrong in size and colour: paired with the closest object */
    check_kinds("a small green circle", two, TXT_ERR_COUNT | TXT_ERR_SIZE | TXT_ERR_COLOUR, 0);
    /* a missing object, the others right; then an extra one */
    check_kinds("a small red circle left of a large blue square", three, TXT_ERR_COUNT, 0);
    /* two of three named, each paired with its closest object: one size, one colour off */
    check_kinds("a large red circle left of a small blue star", three,
                TXT_ERR_COUNT | TXT_ERR_SIZE | TXT_ERR_COLOUR, 0);
    check_kinds("a small red circle , a large blue square and a small white cross",
                (const char *const[]){"a small red circle left of a large blue square", NULL},
                TXT_ERR_COUNT, 0);
}

static void test_closest_reference(void **state) {
    (void)state;
    /* references of another scene shape: the second is closer (one word off) */
    static const char *const refs[] = {"a small white cross below a large cyan diamond",
                                       "a large red circle", NULL};
    check_kinds("a large red square", refs, TXT_ERR_SHAPE, 1);
    /* an unparsable reference is skipped */
    static const char *const mixed[] = {"not a caption", "a large red circle", NULL};
    check_kinds("a small red circle", mixed, TXT_ERR_SIZE, 1);
    /* cost: the pairing and the reference found */
    txt_shapes_caption h, r;
    unsigned kinds;
    assert_int_equal(txt_shapes_parse(&h, "a small green circle", NULL), 0);
    assert_int_equal(txt_shapes_parse(&r, two[0], NULL), 0);
    assert_int_equal(txt_shapes_compare(&h, &r, &kinds), 2 + 3);
    assert_int_equal(txt_shapes_compare(&r, &r, &kinds), 0);
    assert_int_equal(kinds, 0);
}

static void test_right(void **state) {
    (void)state;
    txt_shapes_verdict v;
    txt_shapes_judge(&v, "a small blue star right of a large red circle", two, 2);
    assert_int_equal(v.right, 1);
    assert_int_equal(v.kinds, 0);
    assert_int_equal(v.ref, 1);
    /* white space does not matter, as in exact match */
    txt_shapes_judge(&v, " a large  red circle ", one, 1);
    assert_int_equal(v.right, 1);
    txt_shapes_judge(&v, "a large red circles", one, 1);
    assert_int_equal(v.right, 0);
    txt_shapes_judge(&v, "a large red", one, 1);
    assert_int_equal(v.right, 0);
    assert_string_equal(txt_err_kind_names[0], "count");
    assert_string_equal(txt_err_kind_names[TXT_ERR_KINDS - 1], "other");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_kind_each),
        cmocka_unit_test(test_several_kinds),
        cmocka_unit_test(test_closest_reference),
        cmocka_unit_test(test_right),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

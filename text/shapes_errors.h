/* shapes_errors.h — what is wrong with a shapes-world caption: its parse
 * (text/shapes_grammar.h) against the parse of the closest reference.
 *
 * Error kinds (a caption may have several; each is one bit):
 *   count       it names a different number of objects
 *   shape, colour, size
 *               an object it names differs from its reference object in that word
 *   relation    two objects: the relation between them is wrong
 *   order       three objects: the objects are listed in the wrong left-to-right order
 *   ill-formed  it is not a sentence of the grammar (then no other kind is given)
 *   other       it is not word for word a reference, yet means the same as the closest
 *               one (a converse sentence the references lack), or no reference parses
 *
 * How objects are paired: every one-to-one pairing of the caption's objects with the
 * reference's (the fewer into the more when the counts differ) is scored, cost = one per
 * differing size, colour or shape word, + 1 for a wrong relation (two objects; pairing the
 * objects swapped compares the converse relation) or a wrong order (three objects, pairing
 * not in list order), + 3 per missing or extra object; the cheapest pairing gives the kinds
 * (ties: the pairing in caption order). The closest reference is the cheapest one (ties:
 * the first). Nothing here allocates. */
#ifndef XCAP_TEXT_SHAPES_ERRORS_H
#define XCAP_TEXT_SHAPES_ERRORS_H

#include <stddef.h>

#include "text/shapes_grammar.h"

enum {
    TXT_ERR_COUNT = 1 << 0,
    TXT_ERR_SHAPE = 1 << 1,
    TXT_ERR_COLOUR = 1 << 2,
    TXT_ERR_SIZE = 1 << 3,
    TXT_ERR_RELATION = 1 << 4,
    TXT_ERR_ORDER = 1 << 5,
    TXT_ERR_ILL_FORMED = 1 << 6,
    TXT_ERR_OTHER = 1 << 7,
    TXT_ERR_KINDS = 8  /* number of kinds; bit k is named txt_err_kind_names[k] */
};

/* "count", "shape", "colour", "size", "relation", "order", "ill-formed", "other". */
extern const char *const txt_err_kind_names[TXT_ERR_KINDS];

/* The verdict on one caption. */
typedef struct {
    int right;          /* 1: word for word equal to a reference (then kinds is 0) */
    unsigned kinds;     /* TXT_ERR_* bits */
    int ref;            /* the closest reference that parses (index into refs), or -1 */
    int cost;           /* the pairing cost against it (0 when right) */
} txt_shapes_verdict;

/* Pairing cost and error kinds of caption h against reference r (both parsed). */
int txt_shapes_compare(const txt_shapes_caption *h, const txt_shapes_caption *r,
                       unsigned *kinds);

/* Judges caption hyp against its n_refs references. */
void txt_shapes_judge(txt_shapes_verdict *out, const char *hyp, const char *const *refs,
                      size_t n_refs);

#endif

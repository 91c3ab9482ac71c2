/* shapes_errors.c — error kinds of a shapes-world caption against its references (see
 * shapes_errors.h): an exhaustive search over the at most 6 pairings of objects. */
#include "text/shapes_errors.h"

#include <string.h>

const char *const txt_err_kind_names[TXT_ERR_KINDS] = {
    "count", "shape", "colour", "size", "relation", "order", "ill-formed", "other"};

#define MISSING_OBJECT_COST 3

/* Adds the differences of objects a and b to *kinds and returns how many words differ. */
static int object_diff(const txt_shapes_object *a, const txt_shapes_object *b, unsigned *kinds) {
    int d = 0;
    if (a->shape != b->shape) d++, *kinds |= TXT_ERR_SHAPE;
    if (a->colour != b->colour) d++, *kinds |= TXT_ERR_COLOUR;
    if (a->size != b->size) d++, *kinds |= TXT_ERR_SIZE;
    return d;
}

/* The orderings of up to 3 items, identity first: pairing p maps the k-th object of the
 * smaller caption to object perm[p][k] of the larger. */
static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

int txt_shapes_compare(const txt_shapes_caption *h, const txt_shapes_caption *r,
                       unsigned *kinds) {
    int swap = h->n_objects > r->n_objects;  /* pair the fewer into the more */
    const txt_shapes_caption *few = swap ? r : h, *many = swap ? h : r;
    int best = -1;
    unsigned best_kinds = 0;
    for (int p = 0; p < 6; p++) {
        /* orderings that differ only beyond the fewer objects repeat a pairing: harmless,
         * a repeat never beats the first (strictly cheaper wins) */
        int ok = 1;
        for (int k = 0; k < few->n_objects; k++) ok &= perms[p][k] < many->n_objects;
        if (!ok) continue;
        unsigned k_bits = 0;
        int cost = 0;
        for (int k = 0; k < few->n_objects; k++)
            cost += object_diff(&few->objects[k], &many->objects[perms[p][k]], &k_bits);
        if (h->n_objects != r->n_objects) {
            k_bits |= TXT_ERR_COUNT;
            int d = many->n_objects - few->n_objects;
            cost += MISSING_OBJECT_COST * d;
        } else if (h->n_objects == 2) {
            txt_shapes_rel want = perms[p][0] == 0 ? r->rel : txt_shapes_converse(r->rel);
            if (h->rel != want) cost++, k_bits |= TXT_ERR_RELATION;
        } else if (h->n_objects == 3 && p != 0) {
            cost++, k_bits |= TXT_ERR_ORDER;
        }
        if (best < 0 || cost < best) {
            best = cost;
            best_kinds = k_bits;
        }
    }
    *kinds = best_kinds;
    return best;
}

/* True for the characters that separate words. */
static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Whether a and b are the same words (any run of white space separates two words). */
static int same_words(const char *a, const char *b) {
    for (;;) {
        while (*a && is_space(*a)) a++;
        while (*b && is_space(*b)) b++;
        if (!*a || !*b) return !*a && !*b;
        while (*a && !is_space(*a) && *a == *b) a++, b++;
        if ((*a && !is_space(*a)) || (*b && !is_space(*b))) return 0;
    }
}

void txt_shapes_judge(txt_shapes_verdict *out, const char *hyp, const char *const *refs,
                      size_t n_refs) {
    memset(out, 0, sizeof *out);
    out->ref = -1;
    for (size_t i = 0; i < n_refs; i++)
        if (refs[i] && same_words(hyp ? hyp : "", refs[i])) {
            out->right = 1;
            out->ref = (int)i;
            return;
        }
    txt_shapes_caption h, r;
    int parsed = txt_shapes_parse(&h, hyp, NULL) == 0;
    for (size_t i = 0; i < n_refs; i++) {
        if (!refs[i] || txt_shapes_parse(&r, refs[i], NULL) != 0) continue;
        unsigned kinds = TXT_ERR_ILL_FORMED;
        int cost = parsed ? txt_shapes_compare(&h, &r, &kinds) : 0;
        if (out->ref < 0 || cost < out->cost) {
            out->ref = (int)i;
            out->cost = cost;
            out->kinds = kinds;
        }
        if (!parsed) break;  /* nothing to compare: the first reference that parses */
    }
    if (out->ref < 0) out->kinds = parsed ? TXT_ERR_OTHER : TXT_ERR_ILL_FORMED;
    if (out->kinds == 0) out->kinds = TXT_ERR_OTHER;
}

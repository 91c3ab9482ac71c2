/* shapes_grammar.h — the caption grammar of the shapes world, as a parser:
 *
 *   caption  := object | object rel object | object "," object "and" object
 *   object   := "a" size colour shape
 *   rel      := "left" "of" | "right" "of" | "above" | "below"
 *   size     := small | large
 *   colour   := red | green | blue | yellow | purple | orange | white | cyan
 *   shape    := circle | square | triangle | diamond | star | cross
 *
 * Words are separated by any run of white space and must be lower case. Three objects are
 * listed left to right; two objects stand in one relation ("A left of B", and its converse
 * "B right of A" means the same). The word lists follow vision/shapes.h's order, so an
 * index here is the same index there. Nothing here allocates. */
#ifndef XCAP_TEXT_SHAPES_GRAMMAR_H
#define XCAP_TEXT_SHAPES_GRAMMAR_H

#include "nn/error.h"

enum { TXT_SHAPES_SIZES = 2, TXT_SHAPES_COLOURS = 8, TXT_SHAPES_SHAPES = 6,
       TXT_SHAPES_MAX_OBJECTS = 3 };

typedef enum {
    TXT_REL_NONE = -1,
    TXT_REL_LEFT_OF, TXT_REL_RIGHT_OF, TXT_REL_ABOVE, TXT_REL_BELOW,
    TXT_REL_COUNT
} txt_shapes_rel;

/* One object phrase: indices into the word lists below. */
typedef struct {
    int size, colour, shape;
} txt_shapes_object;

/* A parsed caption. */
typedef struct {
    int n_objects;                                   /* 1..3 */
    txt_shapes_object objects[TXT_SHAPES_MAX_OBJECTS]; /* in caption order (3: left to right) */
    txt_shapes_rel rel;  /* 2 objects: objects[0] rel objects[1]; else TXT_REL_NONE */
} txt_shapes_caption;

extern const char *const txt_shapes_size_words[TXT_SHAPES_SIZES];
extern const char *const txt_shapes_colour_words[TXT_SHAPES_COLOURS];
extern const char *const txt_shapes_shape_words[TXT_SHAPES_SHAPES];
extern const char *const txt_shapes_rel_words[TXT_REL_COUNT];  /* "left of", ... */

/* Parses caption into out. 0, or -1 when it is not a sentence of the grammar (out then has
 * no objects), with a message naming the first word that does not fit ("word 3 'large':
 * expected a colour (red, green, ...)") or what is missing at the end. */
int txt_shapes_parse(txt_shapes_caption *out, const char *caption, nn_error *err);

/* 1 when a model's vocabulary (n words, ids in order) is the shapes world's: its shape words
 * are all there and every word but the <...> specials belongs to the grammar. Captions of
 * such a model can be parsed; others (a model trained on another dataset) cannot. */
int txt_shapes_vocab_is_world(const char *const *words, size_t n);

/* The relation that says the same with the objects swapped (left of <-> right of,
 * above <-> below); TXT_REL_NONE stays. */
txt_shapes_rel txt_shapes_converse(txt_shapes_rel r);

#endif

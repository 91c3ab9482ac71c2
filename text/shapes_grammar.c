/* shapes_grammar.c — a recursive-descent parser for shapes-world captions (see
 * shapes_grammar.h). It walks the caption word by word without copying it. */
#include "text/shapes_grammar.h"

#include <string.h>

const char *const txt_shapes_size_words[TXT_SHAPES_SIZES] = {"small", "large"};
const char *const txt_shapes_colour_words[TXT_SHAPES_COLOURS] = {
    "red", "green", "blue", "yellow", "purple", "orange", "white", "cyan"};
const char *const txt_shapes_shape_words[TXT_SHAPES_SHAPES] = {
    "circle", "square", "triangle", "diamond", "star", "cross"};
const char *const txt_shapes_rel_words[TXT_REL_COUNT] = {"left of", "right of", "above",
                                                         "below"};

/* The caption being read: the current word is s[start, start + len), number `index` (1-based);
 * len 0 at the end. */
typedef struct {
    const char *s;
    size_t pos, start, len;
    int index;
} cursor;

/* True for the characters that separate words. */
static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Moves to the next word (len 0 when there is none). */
static void advance(cursor *c) {
    size_t i = c->pos;
    while (c->s[i] && is_space(c->s[i])) i++;
    c->start = i;
    while (c->s[i] && !is_space(c->s[i])) i++;
    c->len = i - c->start;
    c->pos = i;
    c->index++;
}

/* Whether the current word is w. */
static int is_word(const cursor *c, const char *w) {
    return c->len == strlen(w) && strncmp(c->s + c->start, w, c->len) == 0;
}

/* Fails with "word N 'x': expected <what>", or "the caption ends after word N: expected <what>". */
static int expected(const cursor *c, nn_error *err, const char *what) {
    if (c->len == 0) {
        if (c->index == 1) return nn_fail(err, "the caption is empty: expected %s", what);
        return nn_fail(err, "the caption ends after word %d: expected %s", c->index - 1, what);
    }
    return nn_fail(err, "word %d '%.*s': expected %s", c->index,
                   (int)(c->len > 40 ? 40 : c->len), c->s + c->start, what);
}

/* The index of the current word in list (n words), or -1. */
static int find(const cursor *c, const char *const *list, int n) {
    for (int i = 0; i < n; i++)
        if (is_word(c, list[i])) return i;
    return -1;
}

/* Reads "a size colour shape" into o. */
static int parse_object(cursor *c, txt_shapes_object *o, nn_error *err) {
    if (!is_word(c, "a")) return expected(c, err, "'a' (an object starts 'a <size> <colour> <shape>')");
    advance(c);
    if ((o->size = find(c, txt_shapes_size_words, TXT_SHAPES_SIZES)) < 0)
        return expected(c, err, "a size (small, large)");
    advance(c);
    if ((o->colour = find(c, txt_shapes_colour_words, TXT_SHAPES_COLOURS)) < 0)
        return expected(c, err, "a colour (red, green, blue, yellow, purple, orange, white, cyan)");
    advance(c);
    if ((o->shape = find(c, txt_shapes_shape_words, TXT_SHAPES_SHAPES)) < 0)
        return expected(c, err, "a shape (circle, square, triangle, diamond, star, cross)");
    advance(c);
    return 0;
}

/* Reads a relation into *r (the cursor on its first word). */
static int parse_rel(cursor *c, txt_shapes_rel *r, nn_error *err) {
    if (is_word(c, "above") || is_word(c, "below")) {
        *r = is_word(c, "above") ? TXT_REL_ABOVE : TXT_REL_BELOW;
        advance(c);
        return 0;
    }
    *r = is_word(c, "left") ? TXT_REL_LEFT_OF : TXT_REL_RIGHT_OF;
    advance(c);
    if (!is_word(c, "of")) return expected(c, err, "'of'");
    advance(c);
    return 0;
}

/* Parses the whole caption into out (see txt_shapes_parse). */
static int parse_caption(txt_shapes_caption *out, const char *caption, nn_error *err) {
    cursor c = {caption ? caption : "", 0, 0, 0, 0};
    advance(&c);
    if (parse_object(&c, &out->objects[0], err) != 0) return -1;
    out->n_objects = 1;
    if (c.len == 0) return 0;
    if (is_word(&c, ",")) {
        advance(&c);
        if (parse_object(&c, &out->objects[1], err) != 0) return -1;
        if (!is_word(&c, "and")) return expected(&c, err, "'and' (three objects: 'A , B and C')");
        advance(&c);
        if (parse_object(&c, &out->objects[2], err) != 0) return -1;
        out->n_objects = 3;
    } else if (is_word(&c, "left") || is_word(&c, "right") || is_word(&c, "above") ||
               is_word(&c, "below")) {
        if (parse_rel(&c, &out->rel, err) != 0) return -1;
        if (parse_object(&c, &out->objects[1], err) != 0) return -1;
        out->n_objects = 2;
    } else {
        return expected(&c, err, "the end, a relation (left of, right of, above, below) or ','");
    }
    if (c.len != 0) return expected(&c, err, "the end of the caption");
    return 0;
}

/* 1 when w is one of the n words of list. */
static int in_list(const char *w, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0) return 1;
    return 0;
}

int txt_shapes_vocab_is_world(const char *const *words, size_t n) {
    static const char *const glue[] = {"a", ",", "and", "left", "right", "of", "above", "below"};
    size_t shapes = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        if (w[0] == '<') continue;
        if (in_list(w, txt_shapes_shape_words, TXT_SHAPES_SHAPES)) {
            shapes++;
            continue;
        }
        if (!in_list(w, txt_shapes_size_words, TXT_SHAPES_SIZES) &&
            !in_list(w, txt_shapes_colour_words, TXT_SHAPES_COLOURS) &&
            !in_list(w, glue, sizeof glue / sizeof *glue))
            return 0;
    }
    return shapes == TXT_SHAPES_SHAPES;
}

int txt_shapes_parse(txt_shapes_caption *out, const char *caption, nn_error *err) {
    memset(out, 0, sizeof *out);
    out->rel = TXT_REL_NONE;
    if (parse_caption(out, caption, err) == 0) return 0;
    memset(out, 0, sizeof *out);
    out->rel = TXT_REL_NONE;
    return -1;
}

txt_shapes_rel txt_shapes_converse(txt_shapes_rel r) {
    switch (r) {
    case TXT_REL_LEFT_OF: return TXT_REL_RIGHT_OF;
    case TXT_REL_RIGHT_OF: return TXT_REL_LEFT_OF;
    case TXT_REL_ABOVE: return TXT_REL_BELOW;
    case TXT_REL_BELOW: return TXT_REL_ABOVE;
    default: return r;
    }
}

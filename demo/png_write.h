/* png_write.h — writing RGB images as PNG files atomically, and safe file names.
 *
 * A PNG is written to "<path>.tmp.<pid>" and renamed over path, so a reader never sees a
 * half-written file and a failed write leaves nothing behind. The temporary file is always
 * created new: nothing already at its name (a symlink planted there) is written through. */
#ifndef XCAP_DEMO_PNG_WRITE_H
#define XCAP_DEMO_PNG_WRITE_H

#include <stddef.h>
#include <stdio.h>

#include "nn/error.h"
#include "vision/image.h"

/* Longest sanitised name, terminating NUL included. */
#define OVL_NAME_MAX 64

/* Opens "<path>.tmp.<pid>" (its name into tmp, cap bytes) as a new file for writing; whatever
 * had that name (a stale file, a symlink) is removed first, never written through. NULL with
 * "path: reason" on failure. */
FILE *ovl_open_temp(char *tmp, size_t cap, const char *path, nn_error *err);

/* Writes img (8-bit RGB) to path as a PNG, atomically; "path: reason" on failure. */
int ovl_png_write(const char *path, const vis_image *img, nn_error *err);

/* A file-name-safe version of name in out (cap bytes, at most OVL_NAME_MAX used); returns
 * its length. Rules: [A-Za-z0-9._-] are kept, any other byte becomes '_' (one '_' for a
 * whole UTF-8 sequence), a leading '.' becomes '_' (so never "." or ".." or hidden);
 * a word that is a lone punctuation mark gets its name ("," → "comma", "." → "period",
 * ";" → "semicolon", ":" → "colon", "!" → "exclamation", "?" → "question",
 * "'" → "apostrophe", "\"" → "quote", "-" → "hyphen", "&" → "and", "(" "lparen",
 * ")" "rparen"); an empty name becomes "_". Longer names are cut to OVL_NAME_MAX - 1. */
size_t ovl_sanitize_name(char *out, size_t cap, const char *name);

/* The overlay file name of word number index (from 0): "NN_word.png", NN at least two
 * digits ("00_red.png", "03_comma.png", "112_x.png"). Returns 0, or -1 if cap is too small. */
int ovl_word_filename(char *out, size_t cap, size_t index, const char *word);

#endif

/* png_write.c — atomic PNG output through stb_image_write, and file-name sanitising. */
#include "demo/png_write.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stb/stb_image_write.h>

/* Where stb_image_write's bytes go: a FILE that remembers whether a write failed. */
typedef struct {
    FILE *f;
    int failed;
} png_sink;

/* stbi_write_func: appends the bytes to the sink's file. */
static void sink_write(void *ctx, void *data, int size) {
    png_sink *s = ctx;
    if (!s->failed && size > 0 && fwrite(data, 1, (size_t)size, s->f) != (size_t)size) s->failed = 1;
}

int ovl_png_write(const char *path, const vis_image *img, nn_error *err) {
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || img->width > INT_MAX / 3)
        return nn_fail(err, "%s: no image to write", path);
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) return nn_fail(err, "%s: path too long", path);
    png_sink sink = {fopen(tmp, "wb"), 0};
    if (!sink.f) return nn_fail(err, "%s: cannot create (%s)", path, strerror(errno));
    errno = 0;
    int ok = stbi_write_png_to_func(sink_write, &sink, img->width, img->height, 3, img->rgb,
                                    img->width * 3);
    int e = 0;
    if (!ok || sink.failed || ferror(sink.f)) e = errno ? errno : EIO;
    if (fclose(sink.f) != 0 && !e) e = errno ? errno : EIO;
    if (!ok && !e) e = ENOMEM;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        remove(tmp);
        return nn_fail(err, "%s: cannot write PNG (%s)", path, strerror(e));
    }
    return 0;
}

/* Names for words that are a single punctuation mark. */
static const struct {
    const char *word, *name;
} PUNCT[] = {
    {",", "comma"},       {".", "period"},      {";", "semicolon"}, {":", "colon"},
    {"!", "exclamation"}, {"?", "question"},    {"'", "apostrophe"}, {"\"", "quote"},
    {"-", "hyphen"},      {"&", "and"},         {"(", "lparen"},    {")", "rparen"},
};

/* Whether byte c may appear in a file name unchanged. */
static int safe_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

size_t ovl_sanitize_name(char *out, size_t cap, const char *name) {
    if (cap == 0) return 0;
    size_t limit = (cap < OVL_NAME_MAX ? cap : OVL_NAME_MAX) - 1, len = 0;
    if (!name) name = "";
    for (size_t i = 0; i < sizeof PUNCT / sizeof PUNCT[0]; i++) {
        if (strcmp(name, PUNCT[i].word) == 0) {
            name = PUNCT[i].name;
            break;
        }
    }
    const unsigned char *s = (const unsigned char *)name;
    while (*s && len < limit) {
        unsigned char c = *s++;
        if (c >= 0xC0) /* a UTF-8 lead byte: swallow its continuation bytes */
            while ((*s & 0xC0) == 0x80) s++;
        int keep = safe_byte(c) && !(len == 0 && c == '.');
        out[len++] = keep ? (char)c : '_';
    }
    if (len == 0 && limit > 0) out[len++] = '_';
    out[len] = '\0';
    return len;
}

int ovl_word_filename(char *out, size_t cap, size_t index, const char *word) {
    char safe[OVL_NAME_MAX];
    ovl_sanitize_name(safe, sizeof safe, word);
    int n = snprintf(out, cap, "%02zu_%s.png", index, safe);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

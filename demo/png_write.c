/* png_write.c — atomic PNG output through stb_image_write, and file-name sanitising. */
#include "demo/png_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

FILE *ovl_open_temp(char *tmp, size_t cap, const char *path, nn_error *err) {
    int n = snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= cap) {
        nn_fail(err, "%s: path too long", path);
        return NULL;
    }
    /* the rename would put a regular file in place of a device or FIFO (a folder fails) */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        nn_fail(err, "%s: not a regular file; refused, as the write would replace it", path);
        return NULL;
    }
    /* O_EXCL: a new file, never an existing one or the target of a symlink */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            remove(tmp);
        }
        nn_fail(err, "%s: cannot create (%s)", path, strerror(e));
    }
    return f;
}

int ovl_png_write(const char *path, const vis_image *img, nn_error *err) {
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || img->width > INT_MAX / 3)
        return nn_fail(err, "%s: no image to write", path);
    char tmp[4096];
    png_sink sink = {ovl_open_temp(tmp, sizeof tmp, path, err), 0};
    if (!sink.f) return -1;
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

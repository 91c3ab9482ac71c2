/* safetensors.c — reading (mmap + full validation) and atomic writing of safetensors files.
 *
 * Every message starts with the file's path and stays on one line: names and
 * strings that come from a file are shown with control characters replaced. */
#include "nn/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host (the file format is little-endian)"
#endif

/* Largest integer accepted from a JSON number: every smaller integer is exact in a double. */
#define ST_MAX_JSON_INT 9007199254740991.0 /* 2^53 - 1 */

struct nn_st_reader {
    char *path;
    char *name;               /* path as messages show it (nn_show: one line) */
    void *map;                /* the whole file, read-only */
    size_t map_size;
    nn_st_tensor *tensors;    /* in header order */
    size_t count;
    size_t *by_name;          /* indices into tensors, sorted by name */
    char **meta_keys, **meta_values;
    size_t n_meta;
};

/* ---- small helpers ------------------------------------------------------- */

/* Formats "[a,b,c]" into buf. */
static const char *format_shape(char *buf, size_t cap, const size_t *shape, int ndim) {
    size_t used = 0;
    used += (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && used < cap; d++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%zu", d ? "," : "", shape[d]);
    if (used < cap) snprintf(buf + used, cap - used, "]");
    return buf;
}

/* The element size of a known safetensors dtype name, or 0 when the name is unknown. */
static size_t dtype_size(const char *name, nn_st_dtype *kind) {
    static const struct { const char *name; size_t size; nn_st_dtype kind; } table[] = {
        {"F32", 4, NN_ST_F32},     {"I32", 4, NN_ST_I32},     {"F64", 8, NN_ST_OTHER},
        {"F16", 2, NN_ST_OTHER},   {"BF16", 2, NN_ST_OTHER},  {"I64", 8, NN_ST_OTHER},
        {"I16", 2, NN_ST_OTHER},   {"I8", 1, NN_ST_OTHER},    {"U64", 8, NN_ST_OTHER},
        {"U32", 4, NN_ST_OTHER},   {"U16", 2, NN_ST_OTHER},   {"U8", 1, NN_ST_OTHER},
        {"BOOL", 1, NN_ST_OTHER},  {"F8_E4M3", 1, NN_ST_OTHER}, {"F8_E5M2", 1, NN_ST_OTHER},
        {"F8_E8M0", 1, NN_ST_OTHER},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *kind = table[i].kind;
            return table[i].size;
        }
    return 0;
}

/* Reads a JSON number that must be an exact non-negative integer (< 2^53) into *out. */
static int json_size(const cJSON *item, size_t *out) {
    if (!cJSON_IsNumber(item)) return -1;
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0 || v != floor(v) || v > ST_MAX_JSON_INT) return -1;
    if ((uint64_t)v > (uint64_t)SIZE_MAX) return -1;
    *out = (size_t)v;
    return 0;
}

/* Describes a JSON value that was not an acceptable integer, for a message. */
static const char *show_json(char *buf, size_t cap, const cJSON *item) {
    if (cJSON_IsNumber(item)) snprintf(buf, cap, "%.17g", item->valuedouble);
    else if (cJSON_IsString(item)) snprintf(buf, cap, "a string");
    else if (cJSON_IsArray(item)) snprintf(buf, cap, "an array");
    else if (cJSON_IsObject(item)) snprintf(buf, cap, "an object");
    else if (cJSON_IsBool(item)) snprintf(buf, cap, "a boolean");
    else snprintf(buf, cap, "null");
    return buf;
}

/* strdup that reports failure through err. */
static char *dup_or_fail(const char *s, const char *path, nn_error *err) {
    char *d = strdup(s);
    if (!d) nn_fail(err, "%s: out of memory", path);
    return d;
}

/* ---- reading -------------------------------------------------------------- */

void nn_st_close(nn_st_reader *r) {
    if (!r) return;
    for (size_t i = 0; i < r->count; i++) free(r->tensors[i].name);
    for (size_t i = 0; i < r->n_meta; i++) {
        free(r->meta_keys[i]);
        free(r->meta_values[i]);
    }
    free(r->tensors);
    free(r->by_name);
    free(r->meta_keys);
    free(r->meta_values);
    if (r->map) munmap(r->map, r->map_size);
    free(r->path);
    free(r->name);
    free(r);
}

/* Fills t from one header entry; data_size is the size of the data block. */
static int parse_tensor(nn_st_tensor *t, const cJSON *entry, const unsigned char *data,
                        size_t data_size, const char *path, nn_error *err) {
    char nm[96], buf[64], sh[256];
    nn_show(nm, sizeof nm, entry->string);
    if (!cJSON_IsObject(entry))
        return nn_fail(err, "%s: tensor '%s' is not a JSON object", path, nm);
    const cJSON *dtype = NULL, *shape = NULL, *offsets = NULL;
    for (const cJSON *f = entry->child; f; f = f->next) {
        const cJSON **slot = strcmp(f->string, "dtype") == 0          ? &dtype
                             : strcmp(f->string, "shape") == 0        ? &shape
                             : strcmp(f->string, "data_offsets") == 0 ? &offsets
                                                                      : NULL;
        if (!slot) continue; /* unknown keys are ignored */
        if (*slot) return nn_fail(err, "%s: tensor '%s' has \"%s\" twice", path, nm, f->string);
        *slot = f;
    }

    if (!cJSON_IsString(dtype))
        return nn_fail(err, "%s: tensor '%s' has no \"dtype\" string", path, nm);
    size_t esize = dtype_size(dtype->valuestring, &t->dtype);
    if (esize == 0)
        return nn_fail(err, "%s: tensor '%s' has unknown dtype '%s'", path, nm,
                       nn_show(buf, sizeof buf, dtype->valuestring));
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dtype->valuestring);

    if (!cJSON_IsArray(shape))
        return nn_fail(err, "%s: tensor '%s' has no \"shape\" array", path, nm);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > NN_ST_MAX_DIMS)
        return nn_fail(err, "%s: tensor '%s' has %d dimensions (at most %d)", path, nm, ndim,
                       NN_ST_MAX_DIMS);
    t->ndim = ndim;
    int d = 0;
    for (const cJSON *v = shape->child; v; v = v->next, d++)
        if (json_size(v, &t->shape[d]) != 0)
            return nn_fail(err, "%s: tensor '%s' has a bad shape entry %s "
                           "(dimensions are non-negative integers)", path, nm,
                           show_json(buf, sizeof buf, v));
    format_shape(sh, sizeof sh, t->shape, ndim);
    t->numel = 1;
    for (d = 0; d < ndim; d++)
        if (nn_mul_size(t->numel, t->shape[d], &t->numel) != 0)
            return nn_fail(err, "%s: tensor '%s' shape %s is too large", path, nm, sh);

    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2)
        return nn_fail(err, "%s: tensor '%s' has no \"data_offsets\" [begin,end]", path, nm);
    size_t begin, end;
    if (json_size(offsets->child, &begin) != 0 || json_size(offsets->child->next, &end) != 0)
        return nn_fail(err, "%s: tensor '%s' has bad data_offsets (need two non-negative integers)",
                       path, nm);
    if (begin > end)
        return nn_fail(err, "%s: tensor '%s' data_offsets [%zu,%zu] begin after their end", path,
                       nm, begin, end);
    if (end > data_size)
        return nn_fail(err, "%s: tensor '%s' data_offsets [%zu,%zu] are past the end of the data "
                       "block (%zu bytes)", path, nm, begin, end, data_size);
    size_t need;
    if (nn_mul_size(t->numel, esize, &need) != 0)
        return nn_fail(err, "%s: tensor '%s' shape %s is too large", path, nm, sh);
    if (end - begin != need)
        return nn_fail(err, "%s: tensor '%s' holds %zu bytes, but shape %s of %s needs %zu", path,
                       nm, end - begin, sh, t->dtype_name, need);
    t->data = data + begin;
    t->nbytes = need;
    return 0;
}

/* Copies the "__metadata__" object (string values only) into r. */
static int parse_meta(nn_st_reader *r, const cJSON *meta, nn_error *err) {
    char k[96];
    if (!cJSON_IsObject(meta)) return nn_fail(err, "%s: __metadata__ is not a JSON object", r->name);
    size_t n = (size_t)cJSON_GetArraySize(meta);
    r->meta_keys = calloc(n ? n : 1, sizeof *r->meta_keys);
    r->meta_values = calloc(n ? n : 1, sizeof *r->meta_values);
    if (!r->meta_keys || !r->meta_values) return nn_fail(err, "%s: out of memory", r->name);
    for (const cJSON *v = meta->child; v; v = v->next) {
        nn_show(k, sizeof k, v->string);
        if (!cJSON_IsString(v))
            return nn_fail(err, "%s: __metadata__ value for '%s' is not a string", r->name, k);
        for (size_t i = 0; i < r->n_meta; i++)
            if (strcmp(r->meta_keys[i], v->string) == 0)
                return nn_fail(err, "%s: __metadata__ key '%s' appears more than once", r->name, k);
        r->meta_keys[r->n_meta] = dup_or_fail(v->string, r->name, err);
        if (!r->meta_keys[r->n_meta]) return -1;
        r->meta_values[r->n_meta] = dup_or_fail(v->valuestring, r->name, err);
        r->n_meta++; /* the key is owned now, even if the value failed */
        if (!r->meta_values[r->n_meta - 1]) return -1;
    }
    return 0;
}

/* A tensor and its header position, for sorting by name or by data offset. */
typedef struct {
    size_t index;
    const nn_st_tensor *t;
} st_ref;

/* Orders by name. */
static int cmp_name(const void *a, const void *b) {
    return strcmp(((const st_ref *)a)->t->name, ((const st_ref *)b)->t->name);
}

/* Orders by data begin, then end, then header position. */
static int cmp_offset(const void *a, const void *b) {
    const st_ref *x = a, *y = b;
    const unsigned char *xb = x->t->data, *yb = y->t->data;
    if (xb != yb) return xb < yb ? -1 : 1;
    if (x->t->nbytes != y->t->nbytes) return x->t->nbytes < y->t->nbytes ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Rejects duplicate names and overlapping data; fills r->by_name. */
static int check_tensor_set(nn_st_reader *r, const unsigned char *data, nn_error *err) {
    char a[96], b[96];
    size_t n = r->count;
    st_ref *refs = malloc((n ? n : 1) * sizeof *refs);
    r->by_name = malloc((n ? n : 1) * sizeof *r->by_name);
    if (!refs || !r->by_name) {
        free(refs);
        return nn_fail(err, "%s: out of memory", r->name);
    }
    for (size_t i = 0; i < n; i++) refs[i] = (st_ref){i, &r->tensors[i]};

    qsort(refs, n, sizeof *refs, cmp_name);
    for (size_t i = 0; i < n; i++) {
        r->by_name[i] = refs[i].index;
        if (i > 0 && strcmp(refs[i - 1].t->name, refs[i].t->name) == 0) {
            nn_show(a, sizeof a, refs[i].t->name);
            free(refs);
            return nn_fail(err, "%s: tensor '%s' appears more than once", r->name, a);
        }
    }

    /* Empty tensors occupy no bytes and overlap nothing. */
    qsort(refs, n, sizeof *refs, cmp_offset);
    const nn_st_tensor *reach = NULL; /* the tensor whose data ends furthest so far */
    for (size_t i = 0; i < n; i++) {
        const nn_st_tensor *t = refs[i].t;
        if (t->nbytes == 0) continue;
        const unsigned char *tb = t->data, *rb = reach ? reach->data : NULL;
        if (reach && rb + reach->nbytes > tb) {
            size_t begin = (size_t)(tb - data);
            free(refs);
            return nn_fail(err, "%s: tensor '%s' data_offsets [%zu,%zu] overlap tensor '%s'",
                           r->name, nn_show(a, sizeof a, t->name), begin, begin + t->nbytes,
                           nn_show(b, sizeof b, reach->name));
        }
        if (!reach || tb + t->nbytes > rb + reach->nbytes) reach = t;
    }
    free(refs);
    return 0;
}

/* Parses and checks the JSON header text (len bytes) against a data block of data_size bytes. */
static int parse_header(nn_st_reader *r, const char *text, size_t len, const unsigned char *data,
                        size_t data_size, nn_error *err) {
    /* A NUL-terminated copy keeps the parser inside its buffer whatever the bytes are. */
    char *copy = malloc(len + 1);
    if (!copy) return nn_fail(err, "%s: out of memory for a %zu-byte header", r->name, len);
    memcpy(copy, text, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    if (!root) {
        size_t at = end ? (size_t)(end - copy) : 0;
        free(copy);
        return nn_fail(err, "%s: header is not valid JSON (error near byte %zu of %zu)", r->name,
                       at, len);
    }
    size_t parsed = (size_t)(end - copy);
    for (size_t i = parsed; i < len; i++)
        if (!strchr(" \t\r\n", copy[i]) || copy[i] == '\0') {
            cJSON_Delete(root);
            free(copy);
            return nn_fail(err, "%s: header has bytes after its JSON (at byte %zu of %zu)", r->name,
                           i, len);
        }
    free(copy);

    int rc = 0;
    const cJSON *meta = NULL;
    if (!cJSON_IsObject(root)) {
        rc = nn_fail(err, "%s: header is not a JSON object", r->name);
        goto done;
    }
    size_t n = 0;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") != 0) {
            n++;
        } else if (meta) {
            rc = nn_fail(err, "%s: __metadata__ appears more than once", r->name);
            goto done;
        } else {
            meta = e;
        }
    }
    r->tensors = calloc(n ? n : 1, sizeof *r->tensors);
    if (!r->tensors) {
        rc = nn_fail(err, "%s: out of memory", r->name);
        goto done;
    }
    for (const cJSON *e = root->child; e; e = e->next) {
        if (e == meta) continue;
        nn_st_tensor *t = &r->tensors[r->count];
        if (e->string[0] == '\0') {
            rc = nn_fail(err, "%s: a tensor has an empty name", r->name);
            goto done;
        }
        t->name = dup_or_fail(e->string, r->name, err);
        if (!t->name) {
            rc = -1;
            goto done;
        }
        r->count++;
        if (parse_tensor(t, e, data, data_size, r->name, err) != 0) {
            rc = -1;
            goto done;
        }
    }
    if (meta && parse_meta(r, meta, err) != 0) rc = -1;
    else rc = check_tensor_set(r, data, err);
done:
    cJSON_Delete(root);
    return rc;
}

/* Maps path read-only into r->map; checks it is a regular file of at least 8 bytes. */
static int map_file(nn_st_reader *r, nn_error *err) {
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nn_fail(err, "%s: %s", r->name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return nn_fail(err, "%s: %s", r->name, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return nn_fail(err, "%s: %s", r->name, strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return nn_fail(err, "%s: not a regular file", r->name);
    }
    if (st.st_size < 8) {
        close(fd);
        return nn_fail(err, "%s: not a safetensors file (too short)", r->name);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return nn_fail(err, "%s: file is too large to map", r->name);
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return nn_fail(err, "%s: %s", r->name, strerror(e));
    r->map = map;
    r->map_size = size;
    return 0;
}

nn_st_reader *nn_st_open(const char *path, nn_error *err) {
    if (!path) {
        nn_fail(err, "nn_st_open: no path");
        return NULL;
    }
    char shown[1024]; /* the path in messages, control characters as '?': one line */
    const char *name = nn_show(shown, sizeof shown, path);
    nn_st_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path)) || !(r->name = strdup(name))) {
        nn_st_close(r);
        nn_fail(err, "%s: out of memory", name);
        return NULL;
    }
    if (map_file(r, err) != 0) goto fail;

    const unsigned char *bytes = r->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | bytes[i];
    if (hlen == 0) {
        nn_fail(err, "%s: header length is 0", name);
        goto fail;
    }
    if (hlen > r->map_size - 8) {
        nn_fail(err, "%s: header length %llu is past the end of the file (%zu bytes)", name,
                (unsigned long long)hlen, r->map_size);
        goto fail;
    }
    if (hlen > NN_ST_MAX_HEADER) {
        nn_fail(err, "%s: header length %llu is larger than the limit of %u bytes", name,
                (unsigned long long)hlen, NN_ST_MAX_HEADER);
        goto fail;
    }
    size_t n = (size_t)hlen;
    if (parse_header(r, (const char *)bytes + 8, n, bytes + 8 + n, r->map_size - 8 - n, err) != 0)
        goto fail;
    return r;
fail:
    nn_st_close(r);
    return NULL;
}

size_t nn_st_count(const nn_st_reader *r) { return r ? r->count : 0; }

const nn_st_tensor *nn_st_at(const nn_st_reader *r, size_t i) {
    return r && i < r->count ? &r->tensors[i] : NULL;
}

const nn_st_tensor *nn_st_find(const nn_st_reader *r, const char *name) {
    if (!r || !name) return NULL;
    size_t lo = 0, hi = r->count;
    while (lo < hi) { /* binary search over the name-sorted index */
        size_t mid = lo + (hi - lo) / 2;
        const nn_st_tensor *t = &r->tensors[r->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

const char *nn_st_meta(const nn_st_reader *r, const char *key) {
    if (!r || !key) return NULL;
    for (size_t i = 0; i < r->n_meta; i++)
        if (strcmp(r->meta_keys[i], key) == 0) return r->meta_values[i];
    return NULL;
}

int nn_st_check_f32(const nn_st_reader *r, const char *name, const size_t *shape, int ndim,
                    nn_error *err) {
    char nm[96], got[256], want[256];
    if (!r || !name) return nn_fail(err, "nn_st_check_f32: no reader or name");
    nn_show(nm, sizeof nm, name);
    if (ndim < 0 || ndim > NN_ST_MAX_DIMS || (ndim > 0 && !shape))
        return nn_fail(err, "%s: tensor '%s' requested with %d dimensions", r->name, nm, ndim);
    const nn_st_tensor *t = nn_st_find(r, name);
    if (!t) return nn_fail(err, "%s: tensor '%s' is missing", r->name, nm);
    if (t->dtype != NN_ST_F32)
        return nn_fail(err, "%s: tensor '%s' has dtype %s, expected F32", r->name, nm,
                       t->dtype_name);
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same)
        return nn_fail(err, "%s: tensor '%s' has shape %s, expected %s", r->name, nm,
                       format_shape(got, sizeof got, t->shape, t->ndim),
                       format_shape(want, sizeof want, shape, ndim));
    /* every value must be finite; the data may be unaligned, so memcpy */
    const unsigned char *src = t->data;
    for (size_t i = 0; i < t->numel; i++) {
        float v;
        memcpy(&v, src + 4 * i, sizeof v);
        if (!isfinite(v))
            return nn_fail(err, "%s: tensor '%s' holds a non-finite value at index %zu", r->name,
                           nm, i);
    }
    return 0;
}

int nn_st_read_f32(const nn_st_reader *r, const char *name, const size_t *shape, int ndim,
                   float *dst, nn_error *err) {
    if (nn_st_check_f32(r, name, shape, ndim, err) != 0) return -1;
    const nn_st_tensor *t = nn_st_find(r, name);
    if (t->nbytes) memcpy(dst, t->data, t->nbytes);
    return 0;
}

/* ---- writing -------------------------------------------------------------- */

/* Adds a JSON integer written exactly as %zu (no trip through double). */
static int add_size(cJSON *array, size_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", v);
    cJSON *item = cJSON_CreateRaw(buf);
    return item && cJSON_AddItemToArray(array, item) ? 0 : -1;
}

/* Checks the entries and metadata; fills bytes[i] with each tensor's byte count. */
static int check_entries(const char *path, const nn_st_entry *entries, size_t n_entries,
                         const char *const *meta_keys, const char *const *meta_values,
                         size_t n_meta, size_t *bytes, nn_error *err) {
    char nm[96], sh[256];
    size_t total = 0;
    for (size_t i = 0; i < n_entries; i++) {
        const nn_st_entry *e = &entries[i];
        if (!e->name || !e->name[0] || strcmp(e->name, "__metadata__") == 0)
            return nn_fail(err, "%s: entry %zu has no usable tensor name", path, i);
        nn_show(nm, sizeof nm, e->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(entries[j].name, e->name) == 0)
                return nn_fail(err, "%s: tensor '%s' appears more than once", path, nm);
        if (e->ndim < 0 || e->ndim > NN_ST_MAX_DIMS)
            return nn_fail(err, "%s: tensor '%s' has %d dimensions (0 to %d allowed)", path, nm,
                           e->ndim, NN_ST_MAX_DIMS);
        size_t numel = 1;
        for (int d = 0; d < e->ndim; d++)
            if (e->shape[d] > (size_t)ST_MAX_JSON_INT || nn_mul_size(numel, e->shape[d], &numel))
                return nn_fail(err, "%s: tensor '%s' shape %s is too large", path, nm,
                               format_shape(sh, sizeof sh, e->shape, e->ndim));
        if (nn_mul_size(numel, sizeof(float), &bytes[i]) != 0 || bytes[i] > SIZE_MAX - total ||
            total + bytes[i] > (size_t)ST_MAX_JSON_INT)
            return nn_fail(err, "%s: tensor '%s' makes the data block too large", path, nm);
        total += bytes[i];
        if (numel && !e->data) return nn_fail(err, "%s: tensor '%s' has no data", path, nm);
        for (size_t k = 0; k < numel; k++)
            if (!isfinite(e->data[k]))
                return nn_fail(err, "%s: tensor '%s' holds a non-finite value at index %zu", path,
                               nm, k);
    }
    for (size_t i = 0; i < n_meta; i++) {
        if (!meta_keys || !meta_values || !meta_keys[i] || !meta_values[i])
            return nn_fail(err, "%s: metadata entry %zu has no key or value", path, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(meta_keys[j], meta_keys[i]) == 0)
                return nn_fail(err, "%s: metadata key '%s' appears more than once", path,
                               nn_show(nm, sizeof nm, meta_keys[i]));
    }
    return 0;
}

/* Builds the header JSON text (caller frees with cJSON_free), or NULL when out of memory. */
static char *build_header(const nn_st_entry *entries, size_t n_entries, const size_t *bytes,
                          const char *const *meta_keys, const char *const *meta_values,
                          size_t n_meta) {
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        ok = meta != NULL;
        for (size_t i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(meta, meta_keys[i], meta_values[i]) != NULL;
    }
    size_t offset = 0;
    for (size_t i = 0; ok && i < n_entries; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, entries[i].name);
        cJSON *shape = t ? cJSON_AddArrayToObject(t, "shape") : NULL;
        cJSON *offs = NULL;
        ok = t && cJSON_AddStringToObject(t, "dtype", "F32") && shape;
        for (int d = 0; ok && d < entries[i].ndim; d++) ok = add_size(shape, entries[i].shape[d]) == 0;
        ok = ok && (offs = cJSON_AddArrayToObject(t, "data_offsets")) != NULL &&
             add_size(offs, offset) == 0 && add_size(offs, offset + bytes[i]) == 0;
        offset += bytes[i];
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

/* Writes all of header and data to f; returns 0 or -1 with errno set. */
static int write_all(FILE *f, const char *header, size_t hlen, const nn_st_entry *entries,
                     size_t n_entries, const size_t *bytes) {
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    if (fwrite(len8, 1, 8, f) != 8) return -1;
    if (fwrite(header, 1, hlen, f) != hlen) return -1;
    for (size_t i = 0; i < n_entries; i++)
        if (bytes[i] && fwrite(entries[i].data, 1, bytes[i], f) != bytes[i]) return -1;
    if (fflush(f) != 0) return -1;
    if (fsync(fileno(f)) != 0) return -1;
    return 0;
}

/* Makes the rename durable by syncing the directory that holds path (best effort). */
static void sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* the file is already in place; a failure here changes nothing */
        close(fd);
    }
    free(dir);
}

int nn_st_write(const char *path, const nn_st_entry *entries, size_t n_entries,
                const char *const *meta_keys, const char *const *meta_values, size_t n_meta,
                nn_error *err) {
    if (!path) return nn_fail(err, "nn_st_write: no path");
    char shown[1024]; /* the path in messages, control characters as '?': one line */
    const char *name = nn_show(shown, sizeof shown, path);
    if (n_entries && !entries) return nn_fail(err, "%s: no entries given", name);
    struct stat st; /* the rename would put a regular file in place of a device or FIFO */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return nn_fail(err, "%s: not a regular file; refused, as the write would replace it", name);
    size_t *bytes = calloc(n_entries ? n_entries : 1, sizeof *bytes);
    if (!bytes) return nn_fail(err, "%s: out of memory", name);
    if (check_entries(name, entries, n_entries, meta_keys, meta_values, n_meta, bytes, err) != 0) {
        free(bytes);
        return -1;
    }

    char *json = build_header(entries, n_entries, bytes, meta_keys, meta_values, n_meta);
    size_t jlen = json ? strlen(json) : 0;
    size_t hlen = (jlen + 7) / 8 * 8; /* 8 + hlen stays a multiple of 8 */
    char *header = json ? malloc(hlen ? hlen : 1) : NULL;
    size_t tlen = strlen(path) + 32;
    char *tmp = header ? malloc(tlen) : NULL;
    if (!tmp) {
        cJSON_free(json);
        free(header);
        free(bytes);
        return nn_fail(err, "%s: out of memory", name);
    }
    memcpy(header, json, jlen);
    memset(header + jlen, ' ', hlen - jlen);
    cJSON_free(json);
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());

    int rc = 0;
    FILE *f = NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = nn_fail(err, "%s: %s", name, strerror(errno));
        goto out; /* nothing was created */
    }
    f = fdopen(fd, "wb");
    if (!f) {
        rc = nn_fail(err, "%s: %s", name, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    errno = 0;
    if (write_all(f, header, hlen, entries, n_entries, bytes) != 0) {
        rc = nn_fail(err, "%s: %s", name, errno ? strerror(errno) : "write failed");
        fclose(f);
        unlink(tmp);
        goto out;
    }
    errno = 0;
    if (fclose(f) != 0) {
        rc = nn_fail(err, "%s: %s", name, errno ? strerror(errno) : "close failed");
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = nn_fail(err, "%s: %s", name, strerror(errno));
        unlink(tmp);
        goto out;
    }
    sync_parent_dir(path);
out:
    free(tmp);
    free(header);
    free(bytes);
    return rc;
}

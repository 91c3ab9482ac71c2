/* safetensors.h — reading and writing the safetensors format.
 *
 * File layout: 8-byte little-endian header length n, n bytes of JSON header
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {"key": "value", ...}}, then the data block.
 *
 * Reading maps the file read-only (mmap) and validates everything before any
 * tensor is handed out. nn_st_open returns a reader the caller owns and frees
 * with nn_st_close; tensor data pointers stay valid until then.
 * Writing builds the file at "<path>.tmp.<pid>" and renames it over path. */
#ifndef XCAP_NN_SAFETENSORS_H
#define XCAP_NN_SAFETENSORS_H

#include <stddef.h>

#include "nn/error.h"

#define NN_ST_MAX_HEADER (64u << 20)   /* header bytes accepted at most */
#define NN_ST_MAX_DIMS 8

typedef enum { NN_ST_F32, NN_ST_I32, NN_ST_OTHER } nn_st_dtype;

typedef struct {
    char *name;
    nn_st_dtype dtype;
    char dtype_name[16];
    int ndim;
    size_t shape[NN_ST_MAX_DIMS];
    size_t numel;
    const void *data;       /* into the mapping; 4-byte aligned is not guaranteed */
    size_t nbytes;
} nn_st_tensor;

typedef struct nn_st_reader nn_st_reader;

/* Opens and validates path; NULL with err filled ("path: problem") on failure. */
nn_st_reader *nn_st_open(const char *path, nn_error *err);
void nn_st_close(nn_st_reader *r);

size_t nn_st_count(const nn_st_reader *r);
const nn_st_tensor *nn_st_at(const nn_st_reader *r, size_t i);
/* The tensor with this name, or NULL. */
const nn_st_tensor *nn_st_find(const nn_st_reader *r, const char *name);
/* The __metadata__ value for key, or NULL. */
const char *nn_st_meta(const nn_st_reader *r, const char *key);

/* Checks that the tensor named name is F32, of exactly the given shape and finite, with the
 * messages nn_st_read_f32 gives; copies nothing. */
int nn_st_check_f32(const nn_st_reader *r, const char *name, const size_t *shape, int ndim,
                    nn_error *err);

/* Copies an F32 tensor named name of exactly the given shape into dst; fails with
 * "path: tensor 'name' has shape [a,b], expected [c,d]" (or missing / wrong dtype /
 * non-finite value) otherwise. */
int nn_st_read_f32(const nn_st_reader *r, const char *name, const size_t *shape, int ndim,
                   float *dst, nn_error *err);

/* A tensor to write: F32 data of the given shape. */
typedef struct {
    const char *name;
    int ndim;
    size_t shape[NN_ST_MAX_DIMS];
    const float *data;
} nn_st_entry;

/* Writes tensors and metadata (n_meta key/value pairs) to path atomically. */
int nn_st_write(const char *path, const nn_st_entry *entries, size_t n_entries,
                const char *const *meta_keys, const char *const *meta_values, size_t n_meta,
                nn_error *err);

#endif

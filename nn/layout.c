/* layout.c — appending and finding named tensors in a parameter layout. */
#include "nn/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t nn_layout_add(nn_layout *L, const char *prefix, const char *suffix, size_t d0, size_t d1,
                     int decay, nn_init init, float init_std) {
    size_t offset = L->total;
    if (L->count == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 64;
        nn_tensor *t = realloc(L->tensors, cap * sizeof *t);
        if (!t) {
            L->failed = 1;
            return offset;
        }
        L->tensors = t;
        L->cap = cap;
    }
    nn_tensor *t = &L->tensors[L->count++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s%s%s", prefix, *suffix ? "." : "", suffix);
    t->ndim = d1 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->numel = d1 ? d0 * d1 : d0;
    t->offset = offset;
    t->decay = decay;
    t->init = init;
    t->init_std = init_std;
    L->total += t->numel;
    return offset;
}

const nn_tensor *nn_layout_find(const nn_layout *L, const char *name) {
    for (size_t i = 0; i < L->count; i++)
        if (strcmp(L->tensors[i].name, name) == 0) return &L->tensors[i];
    return NULL;
}

void nn_layout_free(nn_layout *L) {
    free(L->tensors);
    memset(L, 0, sizeof *L);
}

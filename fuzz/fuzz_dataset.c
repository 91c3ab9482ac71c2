/* fuzz_dataset.c — libFuzzer target for the COCO-layout captions loader (text/dataset.c):
 * the input is the JSON text, handed over without a terminating NUL (as
 * txt_dataset_parse allows). It is parsed with every split and with the "train" filter;
 * an accepted dataset's captions build a vocabulary as `xcap train --data` does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/dataset.h"
#include "text/vocab.h"

/* Fails loudly when the loader breaks one of its own promises. */
static void expect(int ok) {
    if (!ok) abort();
}

/* Checks what the header promises about an accepted dataset. */
static void check_dataset(const txt_dataset *ds) {
    size_t total = 0;
    for (size_t i = 0; i < ds->n_items; i++) {
        const txt_ds_item *it = &ds->items[i];
        expect(it->n_captions >= 1 && txt_dataset_safe_name(it->file_name));
        for (size_t j = 0; j < it->n_captions; j++) {
            const txt_ds_caption *c = &it->captions[j];
            expect(c->n_words >= 1 && strlen(c->text) > 0);
            for (size_t w = 0; c->grounding && w < c->n_words; w++)
                expect(c->grounding[w] >= -1 && c->grounding[w] < (int)it->n_objects);
        }
        total += it->n_captions;
    }
    expect(total == ds->n_captions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *json = malloc(size ? size : 1); /* exactly size bytes: reading past them is a bug */
    if (!json) abort();
    if (size) memcpy(json, data, size);
    for (int pass = 0; pass < 2; pass++) {
        txt_dataset_opts o = txt_dataset_default_opts();
        o.split = pass ? "train" : NULL;
        txt_dataset ds;
        nn_error err;
        if (txt_dataset_parse(&ds, json, size, "fuzz.json", &o, &err) != 0) {
            expect(strchr(err.msg, '\n') == NULL);
            continue;
        }
        check_dataset(&ds);
        size_t n = 0;
        const char **caps = txt_dataset_caption_list(&ds, &n);
        if (caps) {
            txt_vocab v;
            if (txt_vocab_build(&v, caps, n, 1, &err) == 0) txt_vocab_free(&v);
            free(caps);
        }
        txt_dataset_free(&ds);
    }
    free(json);
    return 0;
}

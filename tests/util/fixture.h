/* fixture.h — loading the tiny PyTorch fixture model and its batch for tests. */
#ifndef XCAP_TESTS_FIXTURE_H
#define XCAP_TESTS_FIXTURE_H

#include "model/batch.h"
#include "nn/safetensors.h"

/* Loads tests/fixtures/tiny_weights.safetensors (fails the test on error). */
xcap_model *fixture_model(void);
/* Opens tests/fixtures/tiny_case.safetensors. */
nn_st_reader *fixture_case(void);
/* The same for the pair tests/fixtures/PREFIX_weights / PREFIX_case ("tiny", "tiny_edges"). */
xcap_model *fixture_model_named(const char *prefix);
nn_st_reader *fixture_case_named(const char *prefix);
/* Fills batch b (created for 2 images) with the fixture's image, tokens, targets, lengths. */
void fixture_fill_batch(xcap_batch *b, const xcap_model *m, const nn_st_reader *c);
/* The F32 tensor name of the case (fails the test when missing). */
const float *fixture_tensor(const nn_st_reader *c, const char *name, size_t *numel);

#endif

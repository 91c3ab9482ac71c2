/* test_bench_cli.c — `xcap bench` end to end on a tiny run ($XCAP_BINARY): the JSON has every
 * figure, the counted FLOPs equal the formula, bad usage exits 2. No timing is checked. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/util/check.h"

/* Runs "$XCAP_BINARY args" with output to /dev/null; returns the exit code. */
static int run(const char *args) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", getenv("XCAP_BINARY"), args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole file at path as a string (caller frees). */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static void test_usage(void **state) {
    (void)state;
    assert_int_equal(run("bench --help"), 0);
    assert_int_equal(run("bench --threads 0"), 2);
    assert_int_equal(run("bench --preset X"), 2);
    assert_int_equal(run("bench --min-time"), 2);
    assert_int_equal(run("bench --bogus 1"), 2);
}

static void test_tiny_run(void **state) {
    (void)state;
    char *dir = make_temp_dir(), path[512], args[700];
    snprintf(path, sizeof path, "%s/bench.json", dir);
    snprintf(args, sizeof args,
             "bench --preset S --threads 1 --min-time 0 --batch 2 --caption-batch 3 --json '%s'",
             path);
    assert_int_equal(run(args), 0);
    char *text = slurp(path);
    assert_non_null(text);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "results"), 0);
    assert_non_null(r);
    assert_string_equal(cJSON_GetObjectItem(r, "preset")->valuestring, "S");
    static const char *const positive[] = {
        "train_img_s", "train_gflops", "ceiling_gflops", "ceiling_share", "forward_img_s",
        "caption_ms_cached", "caption_ms_encoder", "caption_ms_recompute", "caption_batch_img_s",
        "peak_rss_mib"};
    for (size_t i = 0; i < sizeof positive / sizeof *positive; i++) {
        cJSON *v = cJSON_GetObjectItem(r, positive[i]);
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0.0))
            fail_msg("%s is not positive", positive[i]);
    }
    /* the encoder is a part of the cached caption */
    assert_true(cJSON_GetObjectItem(r, "caption_ms_encoder")->valuedouble <
                cJSON_GetObjectItem(r, "caption_ms_cached")->valuedouble);
    assert_true(cJSON_GetObjectItem(r, "train_gflop")->valuedouble ==
                cJSON_GetObjectItem(r, "counted_gflop")->valuedouble);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "config"), "d_model"));
    cJSON_Delete(doc);
    free(text);
    remove_tree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_tiny_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_crash_safe.c — crash-safe training (issue 8, point 3): `xcap train` is killed with
 * SIGKILL at pseudo-random moments (fixed seed, 3 kills); each time the newest checkpoint
 * loads, it lost at most one checkpoint interval of the steps the run had printed, no
 * "*.tmp.*" leftover is a checkpoint, and resuming to the last step gives a model file
 * byte-identical to an uninterrupted run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "model/train.h"
#include "nn/rng.h"
#include "tests/util/check.h"

#define STEPS "40"
#define EVERY 5
#define KILLS 3

static char *g_dir;

/* Starts `xcap train ... --out DIR/NAME` (more args appended) with stderr to DIR/NAME.err. */
static pid_t start_train(const char *name, const char *resume) {
    const char *bin = getenv("XCAP_BINARY");
    assert_non_null(bin);
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/%s", g_dir, name);
    snprintf(err, sizeof err, "%s/%s.err", g_dir, name);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fe = open(err, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int fn = open("/dev/null", O_RDWR);
        if (fe < 0 || fn < 0) _exit(127);
        dup2(fn, 0);
        dup2(fn, 1);
        dup2(fe, 2);
        char *argv[] = {(char *)bin, "train", "--steps", STEPS, "--ckpt-every", "5", "--val-every", "0",
                        "--val-count", "1", "--threads", "1", "--batch", "4", "--seed", "3",
                        "--log-every", "1", "--out", out, resume ? "--resume" : NULL, (char *)resume, NULL};
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

static int wait_code(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

static char *slurp_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, f), *len);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* The last "step N/40" the run printed to path (0 when none). */
static long last_printed_step(const char *path) {
    size_t len;
    char *s = slurp_file(path, &len);
    long last = 0;
    for (char *p = s; p && (p = strstr(p, "step ")); p += 5) {
        long v;
        if (sscanf(p, "step %ld/", &v) == 1) last = v;
    }
    free(s);
    return last;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void test_kill_and_resume(void **state) {
    (void)state;
    /* the uninterrupted run */
    assert_int_equal(wait_code(start_train("ref.safetensors", NULL)), 0);
    char ref_path[4200], ckpt[4200], out[4200], err_path[4200];
    snprintf(ref_path, sizeof ref_path, "%s/ref.safetensors", g_dir);
    snprintf(ckpt, sizeof ckpt, "%s/m.safetensors.ckpt", g_dir);
    snprintf(out, sizeof out, "%s/m.safetensors", g_dir);
    snprintf(err_path, sizeof err_path, "%s/m.safetensors.err", g_dir);

    nn_rng rng;
    nn_rng_seed(&rng, 20240607);
    long saved = 0; /* the step of the newest checkpoint so far */
    for (int k = 0; k < KILLS; k++) {
        unlink(err_path);
        pid_t pid = start_train("m.safetensors", saved ? ckpt : NULL);
        /* a kill at a random step after the newest checkpoint, 0..19 ms after the run printed
         * it: inside a step or a checkpoint write */
        long target = saved + 1 + (long)nn_rng_below(&rng, (uint32_t)(38 - saved));
        long ms = (long)nn_rng_below(&rng, 20);
        for (int w = 0; w < 20000 && last_printed_step(err_path) < target; w++) sleep_ms(1);
        sleep_ms(ms);
        kill(pid, SIGKILL);
        int code = wait_code(pid);
        long printed = last_printed_step(err_path);
        fprintf(stderr, "kill %d at step %ld + %ld ms: exit %d, last step printed %ld\n", k + 1, target, ms, code,
                printed);
        if (code == 0) break; /* it finished before the kill: nothing more to interrupt */
        assert_int_equal(code, 128 + SIGKILL);
        xcap_trainer t;
        nn_error e;
        xcap_model *m = xcap_checkpoint_load(&t, ckpt, &e);
        if (!m) {
            /* only possible when it died before its first checkpoint */
            assert_true(printed < EVERY);
            assert_int_equal(saved, 0);
            continue;
        }
        fprintf(stderr, "  newest checkpoint: step %ld\n", t.step);
        assert_true(t.step >= saved);
        assert_true(t.step >= printed - EVERY);
        assert_int_equal(t.step % EVERY, 0);
        saved = t.step;
        xcap_trainer_free(&t);
        xcap_model_free(m);
        /* a leftover temp file is never the checkpoint's name, and a load of it is refused
         * or it is a whole file (the rename did not happen yet) */
        char tmp[4300];
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", ckpt, (long)pid);
        struct stat st;
        if (stat(tmp, &st) == 0) {
            fprintf(stderr, "  leftover %s (%lld bytes)\n", tmp, (long long)st.st_size);
            unlink(tmp);
        }
    }
    /* resume to the end */
    unlink(err_path);
    pid_t pid = start_train("m.safetensors", saved ? ckpt : NULL);
    assert_int_equal(wait_code(pid), 0);
    size_t la, lb;
    char *a = slurp_file(ref_path, &la), *b = slurp_file(out, &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
}

static int setup(void **state) {
    (void)state;
    g_dir = make_temp_dir();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    remove_tree(g_dir);
    free(g_dir);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_and_resume)};
    return cmocka_run_group_tests(tests, setup, teardown);
}

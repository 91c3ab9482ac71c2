/* run.c — the runner of run.h. */
#include "tests/util/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/util/check.h"

char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *s = malloc(cap);
    while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n > 1) continue;
        char *t = realloc(s, cap *= 2);
        if (!t) free(s);
        s = t;
    }
    int bad = ferror(f);
    fclose(f);
    if (!s || bad) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    if (len) *len = n;
    return s;
}

/* In the child: sets up folder, limit and descriptors as opts says, then execs argv. */
static void child(char *const argv[], const run_opts *o, int fo, int fe) {
    int fi = open("/dev/null", O_RDONLY);
    if (o->stdout_to) {
        close(fo);
        fo = open(o->stdout_to, O_WRONLY);
    }
    if (fo < 0 || fi < 0 || (o->dir && chdir(o->dir) != 0)) _exit(127);
    if (o->fsize > 0) {
        struct rlimit rl = {(rlim_t)o->fsize, (rlim_t)o->fsize};
        signal(SIGXFSZ, SIG_IGN); /* writes past the limit fail with EFBIG instead */
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(127);
    }
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    int fds[3] = {fi, fo, fe};
    for (int i = 0; i < 3; i++)
        if (fds[i] > 2) close(fds[i]);
    execv(argv[0], argv);
    _exit(127);
}

run_result run_argv(char *const argv[], const run_opts *opts) {
    static const run_opts none = {NULL, NULL, 0};
    const run_opts *o = opts ? opts : &none;
    char out_path[] = "/tmp/xcap-run-out-XXXXXX", err_path[] = "/tmp/xcap-run-err-XXXXXX";
    int fo = mkstemp(out_path), fe = mkstemp(err_path);
    assert_true(fo >= 0 && fe >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child(argv, o, fo, fe);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    close(fo);
    close(fe);
    run_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out_path, NULL),
                    read_text(err_path, NULL)};
    unlink(out_path);
    unlink(err_path);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

void run_free(run_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

run_result run_xcap(const char *cmd, const char *model, const char *const *args) {
    const char *bin = getenv("XCAP_BINARY");
    assert_non_null(bin);
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)bin;
    argv[n++] = (char *)cmd;
    if (model) {
        argv[n++] = "--model";
        argv[n++] = (char *)model;
    }
    for (size_t i = 0; args[i]; i++) {
        assert_true(n < 63);
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
    return run_argv(argv, NULL);
}

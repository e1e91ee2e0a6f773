/* test_lock.c — one writer per output: a held lock refuses a second taker
 * with who holds it; a dead holder's lock (kill -9) is taken over; a
 * waiting taker gets it when the holder lets go; release removes the
 * file; a directory that cannot hold the file is bad input; a probe
 * tells a live holder from a stale file and never makes a run fail. */
#include "tests/cu.h"
#include "coordinator/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

static char g_dir[64];

/* A child that takes the lock, says so on `ready`, then waits for a byte
 * on `go` (or for its death) before releasing it and exiting. */
static pid_t holder(const char *path, int *ready_rd, int *go_wr) {
    int ready[2], go[2];
    if (pipe(ready) || pipe(go)) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        lock *l;
        char c = lock_acquire(path, 0, &l, NULL) ? 'n' : 'y';
        if (write(ready[1], &c, 1) != 1) _exit(3);
        if (read(go[0], &c, 1) < 0) _exit(4);
        lock_release(l);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    *ready_rd = ready[0];
    *go_wr = go[1];
    return pid;
}

static void test_refused_then_free(void) {
    char path[128], host[256] = "";
    snprintf(path, sizeof path, "%s/a.h5.lock", g_dir);
    gethostname(host, sizeof host - 1);
    int rd, wr;
    pid_t pid = holder(path, &rd, &wr);
    CU_ASSERT_FATAL(pid > 0);
    char c = 0;
    CU_ASSERT_EQUAL(read(rd, &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'y');
    lock *l = NULL;
    rs_err e;
    CU_ASSERT_EQUAL(lock_acquire(path, 0, &l, &e), RS_EINPUT);
    CU_ASSERT_PTR_NULL(l);
    char want[320];
    snprintf(want, sizeof want, "in use by pid %ld on host %s since 20", (long)pid, host);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, want);
    /* a taker that waits gets it as soon as the holder lets go */
    CU_ASSERT_EQUAL(write(wr, "x", 1), 1);
    CU_ASSERT_EQUAL(lock_acquire(path, 60, &l, &e), 0);
    CU_ASSERT(lock_held(l));
    int st;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* the file names us now, and goes with the release */
    FILE *f = fopen(path, "r");
    char line[300] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    fclose(f);
    snprintf(want, sizeof want, "pid %ld on host %s since ", (long)getpid(), host);
    CU_ASSERT_EQUAL(strncmp(line, want, strlen(want)), 0);
    lock_release(l);
    CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
    lock_release(NULL);
    close(rd);
    close(wr);
}

/* kill -9 of the holder: the kernel drops its lock; the stale file it
 * leaves never blocks the next run. */
static void test_stale(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/b.h5.lock", g_dir);
    int rd, wr;
    pid_t pid = holder(path, &rd, &wr);
    CU_ASSERT_FATAL(pid > 0);
    char c = 0;
    CU_ASSERT_EQUAL(read(rd, &c, 1), 1);
    kill(pid, SIGKILL);
    int st;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT_EQUAL(access(path, F_OK), 0);        /* the stale file is still there */
    lock *l = NULL;
    rs_err e;
    CU_ASSERT_EQUAL(lock_acquire(path, 0, &l, &e), 0);
    CU_ASSERT(lock_held(l));
    lock_release(l);
    close(rd);
    close(wr);
}

/* Two handles in one process exclude each other too (flock is per open
 * file description): the same program run twice on one output. */
static void test_same_process(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/c.h5.lock", g_dir);
    lock *a = NULL, *b = NULL;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(lock_acquire(path, 0, &a, &e), 0);
    CU_ASSERT_EQUAL(lock_acquire(path, 0.2, &b, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "in use by pid");
    lock_release(a);
    CU_ASSERT_EQUAL(lock_acquire(path, 0, &b, &e), 0);
    lock_release(b);
}

/* lock_probe (show, report): 0 with no file, 1 while a run holds it, 0
 * on a killed run's stale file, which it leaves as it was; a taker with
 * --lock-wait 0 waits out a probe's momentary shared lock instead of
 * refusing (here a shared lock held 0.1 s). */
static void test_probe(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/d.h5.lock", g_dir);
    CU_ASSERT_EQUAL(lock_probe(path), 0);
    CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);    /* the probe creates nothing */
    int rd, wr;
    pid_t pid = holder(path, &rd, &wr);
    CU_ASSERT_FATAL(pid > 0);
    char c = 0;
    CU_ASSERT_EQUAL(read(rd, &c, 1), 1);
    CU_ASSERT_EQUAL(lock_probe(path), 1);
    kill(pid, SIGKILL);
    int st;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    struct stat a, b;
    CU_ASSERT_EQUAL_FATAL(stat(path, &a), 0);
    CU_ASSERT_EQUAL(lock_probe(path), 0);
    CU_ASSERT_EQUAL_FATAL(stat(path, &b), 0);
    CU_ASSERT(a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_size > 0);
    close(rd);
    close(wr);

    int ready[2];
    CU_ASSERT_FATAL(pipe(ready) == 0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDONLY);
        char y = fd >= 0 && flock(fd, LOCK_SH) == 0 ? 'y' : 'n';
        if (write(ready[1], &y, 1) != 1) _exit(3);
        usleep(100000);
        _exit(0);
    }
    CU_ASSERT_EQUAL(read(ready[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'y');
    lock *l = NULL;
    rs_err e;
    CU_ASSERT_EQUAL(lock_acquire(path, 0, &l, &e), 0);
    CU_ASSERT(lock_held(l));
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    lock_release(l);
    close(ready[0]);
    close(ready[1]);
}

static void test_bad_place(void) {
    char path[160];
    lock *l = NULL;
    rs_err e;
    snprintf(path, sizeof path, "%s/no/such/dir/x.lock", g_dir);
    CU_ASSERT_EQUAL(lock_acquire(path, 0, &l, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, strerror(ENOENT));
    CU_ASSERT_PTR_NULL(l);
}

static CU_TestInfo tests[] = {
    {"held: refused with pid, host, time; a waiter gets it", test_refused_then_free},
    {"kill -9 of the holder: its stale lock is taken over", test_stale},
    {"two handles in one process exclude each other", test_same_process},
    {"a lock file that cannot be created: bad input", test_bad_place},
    {"lock_probe: none, held, stale (untouched); a run waits out a probe", test_probe},
    CU_TEST_INFO_NULL
};

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_lock_XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    int r = cu_run("lock", tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}

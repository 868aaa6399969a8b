/* The process's threads (/proc/self/task, Linux), for tests that check that no library thread
 * outlives a call (tests/hostile/hostile.c, tests/run/c/features.c).
 *
 * pthread_join returns when the thread has cleared its tid, a moment before the kernel
 * removes it from /proc/self/task: a joined thread can be listed for a few ms on a busy
 * machine. threads_settle(want) therefore polls for up to 300 ms until at most `want`
 * threads are listed; a thread that was not joined is blocked on the network or a timer
 * far longer, and still counts. */
#ifndef WBM_TEST_THREADS_H
#define WBM_TEST_THREADS_H
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The number of threads; with `out`, the tid and name of each one but the main thread are
 * written there. */
static inline int threads_list(FILE *out) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        n++;
        if (!out || atoi(e->d_name) == getpid()) continue;
        char path[300], name[64] = "?";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(name, sizeof name, f)) strcpy(name, "?");
            fclose(f);
        }
        name[strcspn(name, "\n")] = 0;
        fprintf(out, "thread %s (%s) still running\n", e->d_name, name);
    }
    closedir(d);
    return n;
}

/* The number of threads once it has come down to `want` (or after 300 ms); `*waited_ms`
 * (may be NULL) receives how long that took. */
static inline int threads_settle(int want, int *waited_ms) {
    int n = threads_list(NULL), polls = 0;
    for (; polls < 30 && n > want; polls++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        n = threads_list(NULL);
    }
    if (waited_ms) *waited_ms = polls * 10;
    return n;
}

#endif

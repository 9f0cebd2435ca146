/* Preloaded into a throwaway PostgreSQL server by bench/fsync-bound: every
 * fsync() and fdatasync() returns SLOWSYNC_US microseconds later, as on a disk
 * whose flush is slow. The data is still flushed; only the wait grows. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_US 1000000L /* the script refuses more; a stray value must not stall a server */

static long extra_us;
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

__attribute__((constructor)) static void init(void)
{
    const char *text = getenv("SLOWSYNC_US");
    long us = text ? atol(text) : 0;
    extra_us = us < 0 ? 0 : us > MAX_US ? MAX_US : us;
    real_fsync = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
    /* The default 50 us of timer slack would lengthen every sleep by about that. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

static int delayed(int rc)
{
    int saved = errno; /* the flush's own error, not the sleep's */
    struct timespec left = {extra_us / 1000000L, (extra_us % 1000000L) * 1000L};
    /* PostgreSQL's processes take signals: sleep out what an interruption left. */
    while (extra_us && nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
    errno = saved;
    return rc;
}

int fsync(int fd)
{
    return delayed(real_fsync(fd));
}

int fdatasync(int fd)
{
    return delayed(real_fdatasync(fd));
}

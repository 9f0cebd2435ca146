/* Preloaded into a throwaway PostgreSQL server by bench/fsync-bound: every
 * fsync() and fdatasync() takes SLOWSYNC_US microseconds longer, as on a disk
 * whose flush is slow. The data is still flushed; only the wait grows. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t extra(void)
{
    static long us = -1;
    if (us < 0) {
        const char *text = getenv("SLOWSYNC_US");
        us = text ? atol(text) : 0;
    }
    return (useconds_t) us;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
    int rc = real(fd);
    if (extra())
        usleep(extra());
    return rc;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    int rc = real(fd);
    if (extra())
        usleep(extra());
    return rc;
}

/*
 * LD_PRELOAD shim for tests/api/fsync_failure.rs: while the file named by
 * FAILING_FSYNC_FLAG exists, fsync and fdatasync of the event log's
 * WAL (a path ending in /events.db-wal) fail with EIO, as a dying disk's
 * do. Everything else goes to the C library. The service binary itself is
 * unchanged: the shim sits between it and the kernel.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failing(int fd) {
    const char *flag = getenv("FAILING_FSYNC_FLAG");
    if (flag == NULL || access(flag, F_OK) != 0) {
        return 0;
    }
    char link[64];
    char path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) {
        return 0;
    }
    path[length] = '\0';
    const char *suffix = "/events.db-wal";
    size_t suffix_length = strlen(suffix);
    return (size_t)length >= suffix_length && strcmp(path + length - suffix_length, suffix) == 0;
}

int fsync(int fd) {
    static int (*real)(int) = NULL;
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    if (real == NULL) {
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    }
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int) = NULL;
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    if (real == NULL) {
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    }
    return real(fd);
}

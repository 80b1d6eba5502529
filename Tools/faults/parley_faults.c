// Fault injection for Tools/faults.py: an LD_PRELOAD library that makes chosen system calls of a real
// `parley serve` fail, the way a failing disk would. Nothing happens unless its environment variables are set.
//
//   PARLEY_FAULT_SYNC_TRIGGER=PATH   while the file PATH exists, fdatasync and fsync fail with EIO (a disk that
//                                    lost the write-back); the calls before and after it behave normally.
//   PARLEY_FAULT_EIO_SUFFIX=NAME     open/openat of any path ending in NAME fails with EIO (an unreadable file,
//                                    which `chmod 000` cannot give a process running as root).
//
// Built by faults.py with the C compiler at hand: cc -shared -fPIC -O2 -o parley_faults.so parley_faults.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// Whether the trigger file exists (checked with the raw system call, so no intercepted function is re-entered).
static int sync_fault_on(void) {
    const char *trigger = getenv("PARLEY_FAULT_SYNC_TRIGGER");
    if (trigger == NULL || *trigger == 0) return 0;
    return syscall(SYS_faccessat, AT_FDCWD, trigger, F_OK, 0) == 0;
}

static int unreadable(const char *path) {
    const char *suffix = getenv("PARLEY_FAULT_EIO_SUFFIX");
    if (suffix == NULL || *suffix == 0 || path == NULL) return 0;
    size_t length = strlen(path), suffix_length = strlen(suffix);
    return length >= suffix_length && strcmp(path + length - suffix_length, suffix) == 0;
}

typedef int (*sync_function)(int);
typedef int (*open_function)(const char *, int, ...);
typedef int (*openat_function)(int, const char *, int, ...);

// The next definition of `name` (libc's), looked up once.
#define REAL(name, type) \
    static type real_##name; \
    if (real_##name == NULL) real_##name = (type)dlsym(RTLD_NEXT, #name)

int fdatasync(int fd) {
    REAL(fdatasync, sync_function);
    if (sync_fault_on()) { errno = EIO; return -1; }
    return real_fdatasync(fd);
}

int fsync(int fd) {
    REAL(fsync, sync_function);
    if (sync_fault_on()) { errno = EIO; return -1; }
    return real_fsync(fd);
}

static mode_t mode_argument(int flags, va_list arguments) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

int open(const char *path, int flags, ...) {
    REAL(open, open_function);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (unreadable(path)) { errno = EIO; return -1; }
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    REAL(open64, open_function);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (unreadable(path)) { errno = EIO; return -1; }
    return real_open64(path, flags, mode);
}

int openat(int directory, const char *path, int flags, ...) {
    REAL(openat, openat_function);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (unreadable(path)) { errno = EIO; return -1; }
    return real_openat(directory, path, flags, mode);
}

int openat64(int directory, const char *path, int flags, ...) {
    REAL(openat64, openat_function);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (unreadable(path)) { errno = EIO; return -1; }
    return real_openat64(directory, path, flags, mode);
}

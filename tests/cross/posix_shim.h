/* Force-included (-include) when the POSIX-flavoured C tests (tests/c, tests/run/c) are
 * compiled with mingw-w64 for Windows: the few POSIX calls they use, mapped to the CRT.
 * Only for the tests; the library's C API itself needs nothing of this. */
#ifndef WBM_POSIX_SHIM_H
#define WBM_POSIX_SHIM_H
#ifdef _WIN32
#include <io.h>
#include <process.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
static inline int wbm_setenv(const char *n, const char *v, int overwrite) {
    if (!overwrite && getenv(n)) return 0;
    return _putenv_s(n, v);
}
static inline int wbm_unsetenv(const char *n) { return _putenv_s(n, ""); }
#define setenv wbm_setenv
#define unsetenv wbm_unsetenv
#include <direct.h>
#include <string.h>
static inline char *wbm_mkdtemp(char *t) {
    if (_mktemp_s(t, strlen(t) + 1) != 0 || _mkdir(t) != 0) return NULL;
    return t;
}
#define mkdtemp wbm_mkdtemp
#endif
#endif

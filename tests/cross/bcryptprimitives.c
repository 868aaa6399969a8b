/* Test-only stand-in for Windows' bcryptprimitives.dll, which Debian 12's wine 8.0 lacks.
 * Rust's std (HashMap keys) and getrandom call its ProcessPrng (Windows 10+ has the real
 * DLL); this forwards to BCryptGenRandom, which wine implements. Placed next to the test
 * executables under wine only; never shipped. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

/* Test-only shim for wine (tests/dist/cross.sh): Debian 12's wine 8.0 lacks
 * bcryptprimitives.dll, whose ProcessPrng the Rust standard library (>= 1.78) imports for
 * random numbers. Real Windows (8 and later) has it. Implemented with RtlGenRandom. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

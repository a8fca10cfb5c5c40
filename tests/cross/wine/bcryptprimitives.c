/* Test-harness aid for running Windows builds under Wine 8.0, never shipped: Rust's std imports
 * ProcessPrng from bcryptprimitives.dll (Windows 10+), which Wine 8.0 lacks. This stub, placed
 * beside a test program, forwards it to BCryptGenRandom (docs/platforms.md). */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}

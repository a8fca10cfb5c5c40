/* For C tests built with gcc's ThreadSanitizer runtime (gcc 12's libtsan) around our library
 * built with rustc's (LLVM's) instrumentation: LLVM emits calls of these three for memory
 * moves, which gcc 12's runtime lacks. Plain forwards: the accesses are checked where the
 * instrumented code around them reads and writes. Used by scripts/tsan.sh only. */
#include <string.h>
void *__tsan_memcpy(void *d, const void *s, size_t n);
void *__tsan_memmove(void *d, const void *s, size_t n);
void *__tsan_memset(void *d, int c, size_t n);
void *__tsan_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
void *__tsan_memmove(void *d, const void *s, size_t n) { return memmove(d, s, n); }
void *__tsan_memset(void *d, int c, size_t n) { return memset(d, c, n); }

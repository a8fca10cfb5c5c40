/* Ceilings for the into-memory benchmarks: a plain socket and one HTTP/1.1 request, no library.
 * Prints "<seconds> <bytes>".
 *   rawbench MODE URL OP SIZE [fresh|resident]
 * MODE direct: read() straight into the caller's buffer; waitall: recv(MSG_WAITALL) of at most
 * 256 KiB at a time straight into the caller's buffer (what olconnect-wf does for a large body
 * on a bare connection, docs/architecture.md "Reading bodies"); copy: read() into a 256 KiB
 * buffer, then memcpy into the caller's buffer; discard: read() into a 64 KiB buffer and drop
 * it; discard-waitall: recv(MSG_WAITALL) into a 128 KiB buffer and drop it; prefault: as
 * waitall, the buffer's pages faulted in 8 MiB ahead of the reads with
 * madvise(MADV_POPULATE_WRITE) (what olconnect-wf does for a buffer whose pages are not in memory).
 * fresh: the buffer comes from malloc and its pages are untouched (what most callers do);
 * resident: its pages are written before the clock starts. */
#define _DEFAULT_SOURCE /* madvise */
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  char host[256], port[16] = "80", req[1024], head[8192];
  const char *p, *mode;
  struct addrinfo hints, *ai;
  size_t cap, got = 0, hl = 0, body_len;
  int fd, fresh;
  unsigned char *buf;
  double t0;
  if (argc < 5 || strncmp(argv[2], "http://", 7) != 0) return 2;
  mode = argv[1];
  fresh = argc < 6 || strcmp(argv[5], "resident") != 0;
  p = argv[2] + 7;
  {
    const char *colon = strchr(p, ':'), *end = p + strcspn(p, "/");
    size_t n = (size_t)((colon && colon < end ? colon : end) - p);
    if (n >= sizeof host) return 2;
    memcpy(host, p, n);
    host[n] = 0;
    if (colon && colon < end) snprintf(port, sizeof port, "%.*s", (int)(end - colon - 1), colon + 1);
  }
  cap = (size_t)strtoull(argv[4], NULL, 10);
  buf = (unsigned char *)malloc(cap ? cap : 1);
  if (!buf) die("malloc");
  if (!fresh) memset(buf, 1, cap); /* non-zero: the compiler cannot turn it into calloc */
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) != 0) die("getaddrinfo");
  fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) die("connect");
  snprintf(req, sizeof req,
           "POST /rest/serverengine/workflow/print/getResult/%s HTTP/1.1\r\nHost: %s\r\n"
           "Authorization: Basic b2wtYWRtaW46c2VjcmV0\r\nContent-Length: 0\r\n\r\n",
           argv[3], host);
  t0 = now();
  if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) die("write");
  /* The head, read a byte at a time so no body byte lands in it. */
  while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
    if (hl == sizeof head - 1 || read(fd, head + hl, 1) != 1) die("head");
    hl++;
  }
  head[hl] = 0;
  p = strstr(head, "Content-Length: ");
  if (!p) p = strstr(head, "content-length: ");
  if (!p) die("no Content-Length");
  body_len = (size_t)strtoull(p + 16, NULL, 10);
  if (strcmp(mode, "direct") == 0 || strcmp(mode, "waitall") == 0 || strcmp(mode, "prefault") == 0) {
    int waitall = mode[0] != 'd', prefault = mode[0] == 'p';
    size_t most = waitall ? 256 * 1024 : (size_t)-1, faulted = 0, step = 8 << 20;
    if (body_len > cap) die("buffer too small");
    while (got < body_len) {
      size_t want = body_len - got < most ? body_len - got : most;
      if (prefault && got + want > faulted) {
        size_t upto = body_len - faulted < step ? body_len : faulted + step;
        uintptr_t page = 4096, a = (uintptr_t)(buf + faulted) / page * page;
        uintptr_t e = ((uintptr_t)(buf + upto) + page - 1) / page * page;
        if (madvise((void *)a, e - a, MADV_POPULATE_WRITE) != 0) {
          perror("madvise (reading on into the pages as they are)"); /* before Linux 5.14 */
          prefault = 0;
        }
        faulted = upto;
      }
      ssize_t n = recv(fd, buf + got, want, waitall ? MSG_WAITALL : 0);
      if (n <= 0) die("read");
      got += (size_t)n;
    }
  } else if (strcmp(mode, "copy") == 0 || strncmp(mode, "discard", 7) == 0) {
    int waitall = strcmp(mode, "discard-waitall") == 0;
    size_t chunk = getenv("RAW_CHUNK") ? (size_t)atol(getenv("RAW_CHUNK"))
                   : mode[0] == 'c'    ? 256 * 1024
                   : waitall           ? 128 * 1024
                                       : 64 * 1024;
    unsigned char *tmp = (unsigned char *)malloc(chunk);
    if (!tmp || (mode[0] == 'c' && body_len > cap)) die("buffer");
    while (got < body_len) {
      size_t want = body_len - got < chunk ? body_len - got : chunk;
      ssize_t n = recv(fd, tmp, want, waitall ? MSG_WAITALL : 0);
      if (n <= 0) die("read");
      if (mode[0] == 'c') memcpy(buf + got, tmp, (size_t)n);
      got += (size_t)n;
    }
    free(tmp);
  } else {
    return 2;
  }
  printf("%.6f %zu\n", now() - t0, got);
  close(fd);
  freeaddrinfo(ai);
  free(buf);
  return 0;
}

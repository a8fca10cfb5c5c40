/* olconnect-wf side of the benchmarks. Prints one line: "<seconds> <bytes or calls>".
 *   wfbench file    URL OP PATH          wf_get_result_to_file (synced, the default)
 *   wfbench fastfile URL OP PATH         wf_get_result_to_file after wf_client_set_durable_files(false)
 *   wfbench stream  URL OP               wf_get_result_stream, discarding the bytes
 *   wfbench mem     URL OP SIZE [fresh|resident]  wf_get_result into a caller buffer of SIZE bytes:
 *                                        fresh (default) straight from malloc, pages untouched;
 *                                        resident: its pages written before the clock starts
 *   wfbench memex   URL OP               wf_get_result_ex (library-owned result)
 *   wfbench small   URL OP N             N x wf_get_result of a small result, one client; also
 *                                        prints the median and 99th percentile call time in µs
 *   wfbench threads URL OP N T           N calls in all from T threads sharing one client */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "olconnect_wf.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(wf_status st, const char *what) {
  if (st != WF_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, wf_status_name(st), wf_last_error_message());
    exit(1);
  }
}

static int32_t discard(void *user_data, const uint8_t *chunk, size_t len) {
  (void)chunk;
  *(size_t *)user_data += len;
  return 0;
}

struct job {
  wf_client *client;
  const char *op;
  long calls;
};

static void *small_calls(void *p) {
  struct job *j = (struct job *)p;
  uint8_t buf[256];
  long i;
  for (i = 0; i < j->calls; i++) {
    size_t len = sizeof buf;
    check(wf_get_result(j->client, j->op, buf, &len), "wf_get_result");
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  wf_client *c;
  double t0;
  if (argc < 4) {
    fprintf(stderr, "usage: see the comment at the top of wfbench.c\n");
    return 2;
  }
  check(wf_client_new(argv[2], &c), "wf_client_new");
  check(wf_client_set_basic_auth(c, "ol-admin", "secret"), "credentials");
  if ((strcmp(argv[1], "file") == 0 || strcmp(argv[1], "fastfile") == 0) && argc == 5) {
    if (argv[1][0] == 'f' && argv[1][1] == 'a') check(wf_client_set_durable_files(c, false), "durable files");
    t0 = now();
    check(wf_get_result_to_file(c, argv[3], argv[4]), "wf_get_result_to_file");
    printf("%.6f 0\n", now() - t0);
  } else if (strcmp(argv[1], "stream") == 0) {
    size_t total = 0;
    t0 = now();
    check(wf_get_result_stream(c, argv[3], discard, &total), "wf_get_result_stream");
    printf("%.6f %zu\n", now() - t0, total);
  } else if (strcmp(argv[1], "mem") == 0 && (argc == 5 || argc == 6)) {
    size_t cap = (size_t)strtoull(argv[4], NULL, 10), len = cap;
    uint8_t *buf = (uint8_t *)malloc(cap);
    if (!buf) return 1;
    /* Non-zero, so that the compiler cannot turn malloc + memset into calloc (untouched pages). */
    if (argc == 6 && strcmp(argv[5], "resident") == 0) memset(buf, 1, cap);
    t0 = now();
    check(wf_get_result(c, argv[3], buf, &len), "wf_get_result");
    printf("%.6f %zu\n", now() - t0, len);
    free(buf);
  } else if (strcmp(argv[1], "memex") == 0) {
    wf_result *r;
    size_t len = 0;
    t0 = now();
    check(wf_get_result_ex(c, argv[3], &r), "wf_get_result_ex");
    wf_result_data(r, &len);
    printf("%.6f %zu\n", now() - t0, len);
    wf_result_free(r);
  } else if (strcmp(argv[1], "small") == 0 && argc == 5) {
    long n = atol(argv[4]), i;
    double *took = (double *)malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), total;
    uint8_t buf[256];
    size_t len = sizeof buf;
    if (!took || n < 1) return 2;
    check(wf_get_result(c, argv[3], buf, &len), "wf_get_result"); /* warm up the connection */
    t0 = now();
    for (i = 0; i < n; i++) {
      double t = now();
      len = sizeof buf;
      check(wf_get_result(c, argv[3], buf, &len), "wf_get_result");
      took[i] = now() - t;
    }
    total = now() - t0;
    qsort(took, (size_t)n, sizeof *took, by_value);
    printf("%.6f %ld %.1f %.1f\n", total, n, took[n / 2] * 1e6, took[(n * 99) / 100] * 1e6);
    free(took);
  } else if (strcmp(argv[1], "threads") == 0 && argc == 6) {
    long n = atol(argv[4]);
    int threads = atoi(argv[5]), i;
    pthread_t tids[64];
    struct job jobs[64];
    if (threads < 1 || threads > 64) return 2;
    { /* warm up: one connection per thread is opened before timing */
      struct job w = {c, argv[3], 1};
      small_calls(&w);
    }
    t0 = now();
    for (i = 0; i < threads; i++) {
      jobs[i].client = c;
      jobs[i].op = argv[3];
      jobs[i].calls = n / threads;
      pthread_create(&tids[i], NULL, small_calls, &jobs[i]);
    }
    for (i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    printf("%.6f %ld\n", now() - t0, (n / threads) * threads);
  } else {
    fprintf(stderr, "unknown mode or wrong arguments\n");
    return 2;
  }
  wf_client_free(c);
  return 0;
}

/* libcurl side of the benchmarks, doing what a careful C programmer would by hand. Prints
 * "<seconds> <bytes or calls>".
 *   curlbench file  URL OP PATH    POST getResult, body written to PATH (fwrite callback)
 *   curlbench mem   URL OP SIZE [fresh|resident]  body into a preallocated buffer of SIZE bytes
 *                                  (fresh: pages untouched; resident: written before the clock)
 *   curlbench small URL OP N       N POSTs of a small result reusing one easy handle; also
 *                                  prints the median and 99th percentile call time in µs */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct membuf {
  char *data;
  size_t len, cap;
};

static size_t to_mem(char *ptr, size_t size, size_t n, void *user) {
  struct membuf *m = (struct membuf *)user;
  size_t bytes = size * n;
  if (m->len + bytes > m->cap) return 0;
  memcpy(m->data + m->len, ptr, bytes);
  m->len += bytes;
  return bytes;
}

static size_t to_file(char *ptr, size_t size, size_t n, void *user) { return fwrite(ptr, size, n, (FILE *)user) * size; }

static CURL *setup(const char *base, const char *op) {
  static char url[1024];
  CURL *h = curl_easy_init();
  snprintf(url, sizeof url, "%s/rest/serverengine/workflow/print/getResult/%s", base, op);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  curl_easy_setopt(h, CURLOPT_USERPWD, "ol-admin:secret");
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
  return h;
}

static void run(CURL *h) {
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
    exit(1);
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
int main(int argc, char **argv) {
  CURL *h;
  double t0;
  if (argc != 5 && argc != 6) return 2;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  h = setup(argv[2], argv[3]);
  if (strcmp(argv[1], "file") == 0) {
    FILE *f = fopen(argv[4], "wb");
    if (!f) return 1;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_file);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    t0 = now();
    run(h);
    fflush(f);
    printf("%.6f 0\n", now() - t0);
    fclose(f);
  } else if (strcmp(argv[1], "mem") == 0) {
    struct membuf m;
    m.cap = (size_t)strtoull(argv[4], NULL, 10);
    m.len = 0;
    m.data = (char *)malloc(m.cap);
    if (!m.data) return 1;
    if (argc == 6 && strcmp(argv[5], "resident") == 0) memset(m.data, 1, m.cap); /* not calloc-able */
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_mem);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
    t0 = now();
    run(h);
    printf("%.6f %zu\n", now() - t0, m.len);
    free(m.data);
  } else if (strcmp(argv[1], "small") == 0) {
    long n = atol(argv[4]), i;
    char buf[256];
    struct membuf m = {buf, 0, sizeof buf};
    double *took = (double *)malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), total;
    if (!took || n < 1) return 2;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_mem);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
    run(h); /* warm up the connection */
    t0 = now();
    for (i = 0; i < n; i++) {
      double t = now();
      m.len = 0;
      run(h);
      took[i] = now() - t;
    }
    total = now() - t0;
    qsort(took, (size_t)n, sizeof *took, by_value);
    printf("%.6f %ld %.1f %.1f\n", total, n, took[n / 2] * 1e6, took[(n * 99) / 100] * 1e6);
    free(took);
  } else {
    return 2;
  }
  curl_easy_cleanup(h);
  curl_global_cleanup();
  return 0;
}

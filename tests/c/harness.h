/* A tiny test harness for the C tests: CHECK macros, a run counter, and a raw-socket HTTP
 * helper for the simulator's /sim/ control routes (fault injection, request log). Valid C11
 * and C++17, so the same tests also compile as C++. */
#ifndef WF_TEST_HARNESS_H
#define WF_TEST_HARNESS_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
/* Windows (MinGW-w64, run under Wine by make cross-test; docs/platforms.md): Winsock for the
 * control requests, the user's temporary folder for files. */
#include <winsock2.h>
#include <direct.h>
#include <process.h>
#define close_socket closesocket
#define make_dir(path) _mkdir(path)
#define remove_dir(path) _rmdir(path)
typedef int socket_io;
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#define close_socket close
#define make_dir(path) mkdir(path, 0700)
#define remove_dir(path) rmdir(path)
typedef ssize_t socket_io;
#endif

#include "olconnect_wf.h"

static int g_passed = 0;
static int g_failed = 0;
static const char *g_test = "";

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (cond) {                                                                              \
      g_passed++;                                                                            \
    } else {                                                                                 \
      g_failed++;                                                                            \
      fprintf(stderr, "FAIL %s (%s:%d): %s | last error: %s\n", g_test, __FILE__, __LINE__, \
              #cond, wf_last_error_message());                                               \
    }                                                                                        \
  } while (0)

#define CHECK_STATUS(expr, expected)                                                           \
  do {                                                                                         \
    wf_status got_ = (expr);                                                                   \
    if (got_ == (expected)) {                                                                  \
      g_passed++;                                                                              \
    } else {                                                                                   \
      g_failed++;                                                                              \
      fprintf(stderr, "FAIL %s (%s:%d): %s gave %s, expected %s | last error: %s\n", g_test,   \
              __FILE__, __LINE__, #expr, wf_status_name(got_), wf_status_name(expected),       \
              wf_last_error_message());                                                        \
    }                                                                                          \
  } while (0)

static char g_base_url[256];
static int g_port = 0;

static inline void harness_init(int argc, char **argv) {
  if (argc < 2 || strncmp(argv[1], "http://127.0.0.1:", 17) != 0) {
    fprintf(stderr, "usage: %s http://127.0.0.1:PORT (a simulator started with --control true)\n", argv[0]);
    exit(2);
  }
  snprintf(g_base_url, sizeof g_base_url, "%s", argv[1]);
  g_port = atoi(argv[1] + 17);
#ifdef _WIN32
  {
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
      fprintf(stderr, "WSAStartup failed\n");
      exit(2);
    }
  }
#endif
}

/* A path for a test file named `name` (with the process id) in the temporary folder. */
static inline void temp_path(char *out, size_t cap, const char *name) {
#ifdef _WIN32
  const char *dir = getenv("TEMP");
  snprintf(out, cap, "%s\\%s-%d", dir ? dir : ".", name, (int)_getpid());
#else
  snprintf(out, cap, "/tmp/%s-%d", name, (int)getpid());
#endif
}

/* Installs `handler` for SIGINT (sigaction where there is one); returns 0 on success. */
static inline int on_sigint_install(void (*handler)(int)) {
#ifdef _WIN32
  return signal(SIGINT, handler) == SIG_ERR ? -1 : 0;
#else
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGINT, &sa, NULL);
#endif
}

static inline int harness_finish(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

/* Sends one request to the simulator and returns the malloc'ed response body (NULL on error). */
static inline char *sim_request(const char *method, const char *path, const char *body) {
#ifdef _WIN32
  SOCKET fd = socket(AF_INET, SOCK_STREAM, 0);
#else
  int fd = socket(AF_INET, SOCK_STREAM, 0);
#endif
  struct sockaddr_in addr;
  size_t blen = body ? strlen(body) : 0;
  size_t cap = 1 << 16, len = 0;
  char *resp, *start;
  socket_io n;
  char head[512];
#ifdef _WIN32
  if (fd == INVALID_SOCKET) return NULL;
#else
  if (fd < 0) return NULL;
#endif
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close_socket(fd);
    return NULL;
  }
  snprintf(head, sizeof head,
           "%s %s HTTP/1.1\r\nHost: sim\r\nConnection: close\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\n\r\n",
           method, path, blen);
  if (send(fd, head, (int)strlen(head), 0) < 0 || (blen && send(fd, body, (int)blen, 0) < 0)) {
    close_socket(fd);
    return NULL;
  }
  resp = (char *)malloc(cap);
  while ((n = recv(fd, resp + len, (int)(cap - len - 1), 0)) > 0) {
    len += (size_t)n;
    if (cap - len < 2) {
      cap *= 2;
      resp = (char *)realloc(resp, cap);
    }
  }
  close_socket(fd);
  resp[len] = '\0';
  start = strstr(resp, "\r\n\r\n");
  if (!start) {
    free(resp);
    return NULL;
  }
  memmove(resp, start + 4, strlen(start + 4) + 1);
  return resp;
}

static char g_config[1024];

/* An All-In-One configuration of every step with this output preset and runtime parameters
 * (e.g. "\"sim_output_size\":1000"). The returned text lives until the next call. */
static inline const char *config(const char *preset, const char *params) {
  snprintf(g_config, sizeof g_config,
           "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},"
           "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},"
           "\"outputcreation\":{\"config\":\"%s\",\"parameters\":{%s}},\"returnIdInHeader\":true}",
           preset, params);
  return g_config;
}

/* A client logged in as the simulator's user. */
static inline wf_client *logged_in_client(void) {
  wf_client *c = NULL;
  CHECK_STATUS(wf_client_new(g_base_url, &c), WF_OK);
  CHECK_STATUS(wf_client_login(c, "ol-admin", "secret"), WF_OK);
  return c;
}

/* Submits and checks the operation id came back whole into `op` (of `cap` bytes). */
static inline void submit(wf_client *c, const char *cfg, char *op, size_t cap) {
  size_t len = cap;
  CHECK_STATUS(wf_submit(c, cfg, op, &len), WF_OK);
  CHECK(len == strlen(op) + 1);
}

/* Adds a fault rule, e.g. {"kind":"close_mid_body","bytes":1000}. */
static inline void sim_fault(const char *json) { free(sim_request("POST", "/sim/faults", json)); }

static inline void sim_settings(const char *json) { free(sim_request("POST", "/sim/settings", json)); }

static inline void sim_clear_log(void) { free(sim_request("DELETE", "/sim/requests", NULL)); }

/* How many logged requests have a target containing `text`. */
static inline int sim_count(const char *text) {
  char *log = sim_request("GET", "/sim/requests", NULL);
  int count = 0;
  const char *p = log;
  size_t tl = strlen(text);
  if (!log) return -1;
  while ((p = strstr(p, "\"target\":\"")) != NULL) {
    const char *end;
    p += 10;
    end = strchr(p, '"');
    if (!end) break;
    {
      const char *hit = strstr(p, text);
      if (hit && hit + tl <= end) count++;
    }
    p = end;
  }
  free(log);
  return count;
}

#endif

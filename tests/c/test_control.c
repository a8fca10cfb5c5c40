/* Control of calls in flight from C: abort switches (from another thread and from a signal
 * handler), per-call timeouts through a view, transfer reports, the log hook, the request cap,
 * and the lifetimes of views and switches. What the core does at each stall point is tested in
 * the Rust suite; this checks what C sees. */
#include "harness.h" /* first: it sets _POSIX_C_SOURCE */

#include <pthread.h>
#include <signal.h>
#include <time.h>

#define PDF_PRESET "Invoice-PDF.OL-outputpreset"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

struct waiting {
  wf_client *view;
  const char *op;
  wf_status status;
  double returned_at;
};

static void *wait_thread(void *p) {
  struct waiting *w = (struct waiting *)p;
  w->status = wf_wait(w->view, w->op, 0, NULL, NULL);
  w->returned_at = now_ms();
  return NULL;
}

static void test_abort_from_another_thread(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  wf_client *c = logged_in_client();
  wf_abort *abort = NULL;
  wf_client *view = NULL;
  pthread_t t;
  struct waiting w;
  double triggered;
  g_test = "abort_from_another_thread";
  submit(c, config(PDF_PRESET, "\"sim_duration_ms\":60000"), op, sizeof op);
  /* A view keeps what it needs of its switch: freeing the switch first is fine. */
  CHECK_STATUS(wf_abort_new(&abort), WF_OK);
  CHECK_STATUS(wf_client_with_controls(c, abort, 0, NULL, NULL, &view), WF_OK);
  wf_abort_free(abort);
  {
    int32_t percent;
    bool done;
    CHECK_STATUS(wf_get_progress(view, op, &percent, &done), WF_OK);
  }
  wf_client_free(view);

  w.op = op;
  w.status = WF_OK;
  CHECK_STATUS(wf_abort_new(&abort), WF_OK);
  CHECK_STATUS(wf_client_with_controls(c, abort, 0, NULL, NULL, &view), WF_OK);
  w.view = view;
  CHECK(pthread_create(&t, NULL, wait_thread, &w) == 0);
  sleep_ms(300);
  triggered = now_ms();
  wf_abort_trigger(abort);
  pthread_join(t, NULL);
  CHECK_STATUS(w.status, WF_ABORTED);
  CHECK(w.returned_at - triggered < 250.0);
  CHECK(wf_abort_is_triggered(abort));
  /* A triggered switch stops calls before they start; reset, they run again. */
  CHECK_STATUS(wf_cancel(view, op), WF_ABORTED);
  wf_abort_reset(abort);
  CHECK(!wf_abort_is_triggered(abort));
  CHECK_STATUS(wf_cancel(view, op), WF_OK);
  wf_client_free(c); /* the view outlives the client it was made from */
  CHECK_STATUS(wf_cancel(view, op), WF_NOT_FOUND);
  wf_client_free(view);
  wf_abort_free(abort);
}

static const wf_abort *g_sigint_abort;

static void on_sigint(int sig) {
  (void)sig;
  wf_abort_trigger(g_sigint_abort);
}

struct bytes_seen {
  int calls;
  uint64_t received;
  int64_t total;
  int raise_at_call;
};

static int32_t on_transfer(void *user_data, const wf_transfer *t) {
  struct bytes_seen *b = (struct bytes_seen *)user_data;
  b->calls++;
  b->received = t->received;
  b->total = t->receive_total;
  if (b->raise_at_call && b->calls == b->raise_at_call) raise(SIGINT);
  return 0;
}

static void test_signal_handler_and_transfer_reports(void) {
  char op[WF_OPERATION_ID_CAPACITY], path[512];
  wf_client *c = logged_in_client();
  wf_abort *abort = NULL;
  wf_client *view = NULL;
  struct bytes_seen seen;
  FILE *f;
  g_test = "signal_handler_and_transfer_reports";
  CHECK_STATUS(wf_abort_new(&abort), WF_OK);
  memset(&seen, 0, sizeof seen);
  CHECK_STATUS(wf_client_with_controls(c, abort, 0, on_transfer, &seen, &view), WF_OK);
  submit(c, config(PDF_PRESET, "\"sim_output_size\":3000000"), op, sizeof op);

  temp_path(path, sizeof path, "wf-control.pdf");
  CHECK_STATUS(wf_get_result_to_file(view, op, path), WF_OK);
  CHECK(seen.total == 3000000 && seen.received == 3000000);

  /* Ctrl-C during a slow download: the handler triggers the switch; no file is left. */
  CHECK(on_sigint_install(on_sigint) == 0);
  g_sigint_abort = abort;
  remove(path);
  sim_fault("{\"kind\":\"trickle\",\"chunk\":65536,\"interval_ms\":100,\"path\":\"getResult\"}");
  memset(&seen, 0, sizeof seen);
  seen.raise_at_call = 4;
  CHECK_STATUS(wf_get_result_to_file(view, op, path), WF_ABORTED);
  CHECK(seen.received < 3000000);
  f = fopen(path, "rb");
  CHECK(f == NULL);
  if (f) fclose(f);
  on_sigint_install(SIG_DFL);
  wf_abort_reset(abort);
  CHECK_STATUS(wf_get_result_to_file(view, op, path), WF_OK);
  remove(path);
  wf_client_free(view);
  wf_abort_free(abort);
  wf_client_free(c);
}

static void test_timeout_of_a_view(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  wf_client *c = logged_in_client();
  wf_client *view = NULL;
  double start;
  g_test = "timeout_of_a_view";
  submit(c, config(PDF_PRESET, "\"sim_duration_ms\":60000"), op, sizeof op);
  CHECK_STATUS(wf_client_with_controls(c, NULL, 400, NULL, NULL, &view), WF_OK);
  start = now_ms();
  CHECK_STATUS(wf_wait(view, op, 0, NULL, NULL), WF_TIMEOUT);
  CHECK(now_ms() - start < 400.0 + 250.0);
  CHECK(strstr(wf_last_error_message(), "wait deadline") != NULL);
  CHECK_STATUS(wf_cancel(c, op), WF_OK);
  wf_client_free(view);
  wf_client_free(c);
}

struct log_lines {
  char text[8192];
  size_t used;
  int errors;
};

static void on_log(void *user_data, wf_log_level level, const char *message) {
  struct log_lines *l = (struct log_lines *)user_data;
  size_t n = strlen(message);
  if (level == WF_LOG_ERROR) l->errors++;
  if (l->used + n + 2 < sizeof l->text) {
    memcpy(l->text + l->used, message, n);
    l->used += n;
    l->text[l->used++] = '\n';
    l->text[l->used] = 0;
  }
}

static void test_log_hook_and_request_cap(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  uint8_t buf[64];
  size_t len = sizeof buf;
  wf_client *c = NULL;
  struct log_lines lines;
  int32_t percent;
  bool done;
  g_test = "log_hook_and_request_cap";
  memset(&lines, 0, sizeof lines);
  CHECK_STATUS(wf_client_new(g_base_url, &c), WF_OK);
  CHECK_STATUS(wf_client_set_log(c, on_log, &lines), WF_OK);
  CHECK_STATUS(wf_client_set_max_concurrent(c, 1), WF_OK);
  CHECK_STATUS(wf_client_login(c, "ol-admin", "secret"), WF_OK);
  submit(c, config(PDF_PRESET, "\"sim_output_size\":10"), op, sizeof op);
  CHECK_STATUS(wf_wait(c, op, 0, NULL, NULL), WF_OK);
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_OK);
  CHECK_STATUS(wf_get_progress(c, "no-such-op", &percent, &done), WF_NOT_FOUND);
  CHECK_STATUS(wf_client_set_log(c, NULL, NULL), WF_OK);
  CHECK(strstr(lines.text, "/getResult/") != NULL && strstr(lines.text, "-> HTTP 200") != NULL);
  CHECK(lines.errors == 1);
  CHECK(strstr(lines.text, "secret") == NULL && strstr(lines.text, "b2wtYWRtaW46c2VjcmV0") == NULL);
  wf_client_free(c);
}

/* A callback calling back into the library: wf_cancel of the operation being waited on (it
 * used to deadlock: the wait held a lock while its callback ran) and another call of the same
 * client under a cap of one request (it used to wait for the slot its own thread held). */
struct reentry {
  wf_client *client;
  const char *op;
  double started;
  int cancels;
  wf_status cancel_status;
  int versions;
  wf_status version_status;
};

static int32_t cancel_from_callback(void *user_data, const wf_transfer *t) {
  struct reentry *r = (struct reentry *)user_data;
  (void)t;
  /* After a while the callback runs between two polls, while the wait sleeps. */
  if (now_ms() - r->started > 350.0 && r->cancels++ == 0) {
    r->cancel_status = wf_cancel(r->client, r->op);
  }
  return 0;
}

static int32_t version_from_callback(void *user_data, const wf_transfer *t) {
  struct reentry *r = (struct reentry *)user_data;
  char version[64];
  size_t len = sizeof version;
  (void)t;
  if (now_ms() - r->started > 200.0 && r->versions++ == 0) {
    r->version_status = wf_server_version(r->client, version, &len);
  }
  return 0;
}

static void test_callbacks_calling_back_in(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  wf_client *c = logged_in_client();
  wf_client *view = NULL;
  struct reentry r;
  int32_t percent;
  bool done;
  double started;
  g_test = "callbacks_calling_back_in";
  submit(c, config(PDF_PRESET, "\"sim_duration_ms\":60000"), op, sizeof op);
  memset(&r, 0, sizeof r);
  r.client = c;
  r.op = op;
  r.started = now_ms();
  CHECK_STATUS(wf_client_with_controls(c, NULL, 20000, cancel_from_callback, &r, &view), WF_OK);
  started = now_ms();
  CHECK_STATUS(wf_wait(view, op, 0, NULL, NULL), WF_ABORTED);
  CHECK(now_ms() - started < 3000.0);
  CHECK(r.cancels >= 1);
  CHECK_STATUS(r.cancel_status, WF_OK);
  wf_client_free(view);
  /* The client is not stuck: the cancelled operation is gone or cancelled on the server. */
  CHECK(wf_get_progress(c, op, &percent, &done) != WF_OK || done);

  CHECK_STATUS(wf_client_set_max_concurrent(c, 1), WF_OK);
  submit(c, config(PDF_PRESET, "\"sim_output_size\":10"), op, sizeof op);
  sim_fault("{\"path\":\"getResult\",\"kind\":\"delay\",\"ms\":600,\"times\":1}");
  memset(&r, 0, sizeof r);
  r.client = c;
  r.started = now_ms();
  CHECK_STATUS(wf_client_with_controls(c, NULL, 10000, version_from_callback, &r, &view), WF_OK);
  {
    uint8_t buf[64];
    size_t len = sizeof buf;
    CHECK_STATUS(wf_get_result(view, op, buf, &len), WF_OK);
    CHECK(len == 10);
  }
  CHECK(r.versions >= 1);
  CHECK_STATUS(r.version_status, WF_OK);
  wf_client_free(view);
  wf_client_free(c);
}

static void test_null_arguments(void) {
  wf_client *view = NULL;
  wf_abort *abort = NULL;
  g_test = "null_arguments";
  CHECK_STATUS(wf_client_with_controls(NULL, NULL, 0, NULL, NULL, &view), WF_INVALID_ARGUMENT);
  CHECK(view == NULL);
  CHECK_STATUS(wf_abort_new(NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_log(NULL, NULL, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_max_concurrent(NULL, 1), WF_INVALID_ARGUMENT);
  wf_abort_trigger(NULL);
  wf_abort_reset(NULL);
  CHECK(!wf_abort_is_triggered(NULL));
  wf_abort_free(NULL);
  CHECK_STATUS(wf_abort_new(&abort), WF_OK);
  wf_abort_free(abort);
}

int main(int argc, char **argv) {
  harness_init(argc, argv);
  test_abort_from_another_thread();
  test_signal_handler_and_transfer_reports();
  test_timeout_of_a_view();
  test_log_hook_and_request_cap();
  test_callbacks_calling_back_in();
  test_null_arguments();
  return harness_finish();
}

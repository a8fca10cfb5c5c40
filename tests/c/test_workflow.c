/* C tests of the workflow ABI: submit, progress, wait with its callback, cancel, the text
 * endpoints, streaming, files and managed downloads. Run by tests/c/run.sh. */
#include "harness.h"

#include <dirent.h>
#include <pthread.h>
#include <time.h>

static char g_dir[256];

static wf_client *client(void) {
  wf_client *c = NULL;
  CHECK_STATUS(wf_client_new(g_base_url, &c), WF_OK);
  CHECK_STATUS(wf_client_set_basic_auth(c, "ol-admin", "secret"), WF_OK);
  return c;
}

static int file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  long size;
  if (!f) return -1;
  size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  fclose(f);
  return (int)size;
}

/* Removes the test folder's files (it has no subfolders), then the folder. */
static void remove_test_dir(void) {
  DIR *d = opendir(g_dir);
  struct dirent *e;
  char path[600];
  if (!d) return;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
    if (remove(path) != 0) fprintf(stderr, "could not remove %s\n", path);
  }
  closedir(d);
  if (remove_dir(g_dir) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
}

static int count_dir_entries(void) {
  DIR *d = opendir(g_dir);
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  }
  closedir(d);
  return n;
}

static void test_submit(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  size_t len = 16;
  wf_client *c = client();
  g_test = "submit";
  sim_clear_log();
  CHECK_STATUS(wf_submit(c, config("Invoice-PDF.OL-outputpreset", ""), op, &len), WF_BUFFER_TOO_SMALL);
  CHECK(len == WF_OPERATION_ID_CAPACITY);
  CHECK(sim_count("/submit") == 0);
  CHECK_STATUS(wf_submit(c, config("Invoice-PDF.OL-outputpreset", ""), op, &len), WF_OK);
  CHECK(len == 37 && strlen(op) == 36);
  len = sizeof op;
  CHECK_STATUS(wf_submit(c, "{\"datamining\":{\"identifier\":\"nope.csv\",\"config\":\"Invoice.OL-datamapper\"}}", op, &len),
               WF_BAD_REQUEST);
  CHECK(strstr(wf_last_error_message(), "Datafile 'nope.csv'") != NULL);
  CHECK(wf_last_http_status() == 400);
  CHECK_STATUS(wf_submit(c, config("Missing.OL-outputpreset", ""), op, &len), WF_BAD_REQUEST);
  CHECK(strstr(wf_last_error_message(), "Output creation config") != NULL);
  CHECK_STATUS(wf_submit(c, "{\"jobcreation\":{}}", op, &len), WF_SERVER_ERROR);
  CHECK_STATUS(wf_submit(c, "{{{", op, &len), WF_BAD_REQUEST);
  CHECK_STATUS(wf_submit(c, NULL, op, &len), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_submit(c, "{}", NULL, &len), WF_INVALID_ARGUMENT);
  sim_fault("{\"kind\":\"drop\",\"path\":\"/submit\"}");
  CHECK_STATUS(wf_submit(c, config("Invoice-PDF.OL-outputpreset", ""), op, &len), WF_CONNECT_FAILED);
  wf_client_free(c);
}

static int g_calls;
static int g_last;
static int g_monotonic;

static int32_t on_progress(void *user_data, int32_t percent) {
  int stop_at = *(int *)user_data;
  if (percent <= g_last) g_monotonic = 0;
  g_last = percent;
  g_calls++;
  return stop_at >= 0 && g_calls >= stop_at;
}

static void test_progress_and_wait(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  int32_t percent = -1;
  bool done = true;
  int never = -1, first = 1;
  wf_client *c = client();
  g_test = "progress_and_wait";
  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":900"), op, WF_OPERATION_ID_CAPACITY);
  CHECK_STATUS(wf_get_progress(c, op, &percent, &done), WF_OK);
  CHECK(percent >= 0 && percent < 100 && !done);
  CHECK_STATUS(wf_get_progress(c, op, NULL, &done), WF_INVALID_ARGUMENT);
  g_calls = 0;
  g_last = -1;
  g_monotonic = 1;
  CHECK_STATUS(wf_wait(c, op, 10000, on_progress, &never), WF_OK);
  CHECK(g_calls >= 2 && g_last == 100 && g_monotonic);
  CHECK_STATUS(wf_get_progress(c, op, &percent, &done), WF_OK);
  CHECK(percent == 100 && done);
  CHECK_STATUS(wf_wait(c, op, 0, NULL, NULL), WF_OK);

  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":60000"), op, WF_OPERATION_ID_CAPACITY);
  g_calls = 0;
  g_last = -1;
  CHECK_STATUS(wf_wait(c, op, 0, on_progress, &first), WF_ABORTED);
  CHECK(g_calls == 1);
  CHECK_STATUS(wf_wait(c, op, 300, NULL, NULL), WF_TIMEOUT);
  CHECK_STATUS(wf_wait(c, "never-submitted", 0, NULL, NULL), WF_NOT_FOUND);

  /* The field behaviour: 404 once finished operations leave the active list. */
  sim_settings("{\"progress_gone_after_ms\":0}");
  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":400"), op, WF_OPERATION_ID_CAPACITY);
  CHECK_STATUS(wf_wait(c, op, 10000, NULL, NULL), WF_OK);
  CHECK_STATUS(wf_get_progress(c, op, &percent, &done), WF_NOT_FOUND);
  sim_settings("{\"progress_gone_after_ms\":null}");
  wf_client_free(c);
}

struct waiter {
  wf_client *client;
  const char *op;
  wf_status status;
};

static void *wait_thread(void *p) {
  struct waiter *w = (struct waiter *)p;
  w->status = wf_wait(w->client, w->op, 0, NULL, NULL);
  return NULL;
}

static void test_cancel(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  pthread_t t;
  struct waiter w;
  wf_client *c = client();
  g_test = "cancel";
  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":60000"), op, WF_OPERATION_ID_CAPACITY);
  w.client = c;
  w.op = op;
  w.status = WF_OK;
  pthread_create(&t, NULL, wait_thread, &w);
  {
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  CHECK_STATUS(wf_cancel(c, op), WF_OK);
  pthread_join(t, NULL);
  CHECK(w.status == WF_ABORTED);
  CHECK_STATUS(wf_cancel(c, op), WF_NOT_FOUND);
  CHECK(strstr(wf_last_error_message(), "Operation not found") != NULL);
  wf_client_free(c);
}

static void test_text_managed_operations(void) {
  char op[WF_OPERATION_ID_CAPACITY], running[WF_OPERATION_ID_CAPACITY];
  char text[2048], json[2048], path[300];
  char *ops;
  size_t len = 4;
  const char *id;
  wf_client *c = client();
  g_test = "text_managed_operations";
  submit(c, config("Invoice-Split.OL-outputpreset", "\"sim_output_size\":5000"), op, WF_OPERATION_ID_CAPACITY);
  sim_clear_log();
  CHECK_STATUS(wf_get_result_text(c, op, text, &len), WF_BUFFER_TOO_SMALL);
  CHECK(len > 4);
  CHECK_STATUS(wf_get_result_text(c, op, text, &len), WF_OK);
  CHECK(sim_count("/getResultTxt/") == 1);
  CHECK(len == strlen(text) + 1 && strchr(text, ',') != NULL && text[0] == '/');
  len = sizeof json;
  CHECK_STATUS(wf_get_managed_result(c, op, json, &len), WF_OK);
  CHECK(strstr(json, "\"files\":[\"job_0001.pdf\",\"job_0002.pdf\",\"job_0003.pdf\"]") != NULL);
  id = strstr(json, "\"identifier\":");
  CHECK(id != NULL);
  if (id) {
    char file_id[32];
    snprintf(file_id, sizeof file_id, "%ld", strtol(id + 13, NULL, 10));
    snprintf(path, sizeof path, "%s/one.pdf", g_dir);
    CHECK_STATUS(wf_download_managed(c, file_id, "job_0003.pdf", path), WF_OK);
    CHECK(file_size(path) == 5000);
    snprintf(path, sizeof path, "%s/all.zip", g_dir);
    CHECK_STATUS(wf_download_managed(c, file_id, NULL, path), WF_OK);
    CHECK(file_size(path) > 15000);
    CHECK_STATUS(wf_download_managed(c, "424242", NULL, path), WF_NOT_FOUND);
    CHECK_STATUS(wf_download_managed(c, file_id, "../x", path), WF_INVALID_ARGUMENT);
  }

  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":60000"), running, WF_OPERATION_ID_CAPACITY);
  len = 0;
  CHECK_STATUS(wf_get_operations(c, NULL, &len), WF_BUFFER_TOO_SMALL);
  ops = (char *)malloc(len + 1024);
  len += 1024;
  CHECK_STATUS(wf_get_operations(c, ops, &len), WF_OK);
  CHECK(ops[0] == '[' && strstr(ops, running) != NULL);
  free(ops);
  CHECK_STATUS(wf_cancel(c, running), WF_OK);
  wf_client_free(c);
}

struct sink {
  size_t total;
  int chunks;
  int stop_after;
};

static int32_t write_chunk(void *user_data, const uint8_t *chunk, size_t len) {
  struct sink *s = (struct sink *)user_data;
  (void)chunk;
  s->total += len;
  s->chunks++;
  return s->stop_after > 0 && s->chunks >= s->stop_after;
}

static void test_stream_and_files(void) {
  char op[WF_OPERATION_ID_CAPACITY], path[300];
  struct sink s = {0, 0, 0};
  wf_result *info = NULL;
  FILE *f;
  wf_client *c = client();
  g_test = "stream_and_files";
  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_output_size\":3000000"), op, WF_OPERATION_ID_CAPACITY);
  CHECK_STATUS(wf_get_result_stream(c, op, write_chunk, &s), WF_OK);
  CHECK(s.total == 3000000 && s.chunks >= 12);
  s.total = 0;
  s.chunks = 0;
  s.stop_after = 2;
  CHECK_STATUS(wf_get_result_stream(c, op, write_chunk, &s), WF_ABORTED);
  CHECK(s.chunks == 2);
  CHECK_STATUS(wf_get_result_stream(c, op, NULL, NULL), WF_INVALID_ARGUMENT);

  snprintf(path, sizeof path, "%s/result.pdf", g_dir);
  CHECK_STATUS(wf_get_result_to_file_ex(c, op, path, &info), WF_OK);
  CHECK(file_size(path) == 3000000);
  CHECK(wf_result_type_of(info) == WF_RESULT_OUTPUT_STREAMED && wf_result_job_set_id(info) > 0);
  wf_result_free(info);

  f = fopen(path, "w");
  if (f) {
    fputs("old", f);
    fclose(f);
  }
  sim_fault("{\"kind\":\"close_mid_body\",\"bytes\":1000000,\"path\":\"getResult\"}");
  CHECK_STATUS(wf_get_result_to_file(c, op, path), WF_UNEXPECTED_RESPONSE);
  CHECK(file_size(path) == 3);
  snprintf(path, sizeof path, "%s/missing-dir/x.pdf", g_dir);
  CHECK_STATUS(wf_get_result_to_file(c, op, path), WF_IO_ERROR);
  CHECK_STATUS(wf_get_result_to_file(c, op, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_durable_files(c, false), WF_OK);
  snprintf(path, sizeof path, "%s/fast.pdf", g_dir);
  CHECK_STATUS(wf_get_result_to_file(c, op, path), WF_OK);
  CHECK(file_size(path) == 3000000);
  CHECK_STATUS(wf_client_set_durable_files(NULL, false), WF_INVALID_ARGUMENT);
  /* result.pdf, fast.pdf, one.pdf and all.zip: no temporary file left anywhere. */
  CHECK(count_dir_entries() == 4);
  wf_client_free(c);
}

/* Many operations, one thread: wf_wait_any gives the first to end, wf_wait_all waits for each,
 * through the client's watcher (one getOperations per interval for all of them). */
static void test_wait_any_and_all(void) {
  enum { N = 6 };
  char ops[N][WF_OPERATION_ID_CAPACITY];
  const char *ids[N + 1];
  char params[64];
  size_t which = 99;
  int i;
  wf_client *c = logged_in_client();
  g_test = "wait_any_and_all";
  for (i = 0; i < N; i++) {
    /* The fourth is the shortest. */
    snprintf(params, sizeof params, "\"sim_output_size\":10,\"sim_duration_ms\":%d", i == 3 ? 200 : 1200 + 100 * i);
    submit(c, config("Invoice-PDF.OL-outputpreset", params), ops[i], sizeof ops[i]);
    ids[i] = ops[i];
  }
  sim_clear_log();
  CHECK_STATUS(wf_wait_any(c, ids, N, 10000, &which), WF_OK);
  CHECK(which == 3);
  CHECK_STATUS(wf_wait_all(c, ids, N, 10000), WF_OK);
  CHECK(sim_count("/getOperations") >= 1);
  CHECK(sim_count("/getProgress/") <= N + 2);
  /* An id the server does not know ends first, with its status. */
  ids[N] = "no-such-operation";
  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":60000"), ops[0], sizeof ops[0]);
  ids[0] = ops[0];
  CHECK_STATUS(wf_wait_any(c, ids, 1, 300, &which), WF_TIMEOUT);
  CHECK(which == 1);
  {
    const char *two[2];
    two[0] = ops[0];
    two[1] = "no-such-operation";
    CHECK_STATUS(wf_wait_any(c, two, 2, 10000, &which), WF_NOT_FOUND);
    CHECK(which == 1);
    CHECK(strstr(wf_last_error_message(), "no-such-operation") != NULL);
    CHECK_STATUS(wf_wait_all(c, two, 2, 300), WF_TIMEOUT);
    two[1] = NULL;
    CHECK_STATUS(wf_wait_any(c, two, 2, 1000, &which), WF_INVALID_ARGUMENT);
    CHECK(which == 2);
  }
  CHECK_STATUS(wf_wait_any(c, NULL, 0, 1000, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_wait_all(NULL, ids, 1, 1000), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_cancel(c, ops[0]), WF_OK);
  wf_client_free(c);
}

/* wf_client_set_retry and wf_client_retry_count: a read is repeated after a 503 (one request
 * per attempt, in the simulator's journal), within the attempts set; a submit never is. */
static void test_retry(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  char version[64];
  size_t len = sizeof version;
  size_t op_len = sizeof op;
  int32_t percent = -1;
  bool done = false;
  uint64_t retries = 99;
  wf_client *c = client();
  g_test = "retry";
  CHECK_STATUS(wf_client_retry_count(c, &retries), WF_OK);
  CHECK(retries == 0);
  CHECK_STATUS(wf_client_retry_count(c, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_retry_count(NULL, &retries), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_retry(c, 0, 100), WF_INVALID_ARGUMENT);
  CHECK(strstr(wf_last_error_message(), "at least 1") != NULL);
  CHECK_STATUS(wf_client_set_retry(NULL, 3, 100), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_retry(c, 3, 20), WF_OK);

  sim_clear_log();
  sim_fault("{\"kind\":\"unavailable\",\"path\":\"/version\",\"times\":2}");
  CHECK_STATUS(wf_server_version(c, version, &len), WF_OK);
  CHECK(sim_count("/version") == 3);
  CHECK_STATUS(wf_client_retry_count(c, &retries), WF_OK);
  CHECK(retries == 2);

  submit(c, config("Invoice-PDF.OL-outputpreset", "\"sim_duration_ms\":60000"), op, sizeof op);
  sim_clear_log();
  sim_fault("{\"kind\":\"unavailable\",\"path\":\"/getProgress\",\"times\":\"always\"}");
  CHECK_STATUS(wf_get_progress(c, op, &percent, &done), WF_SERVER_ERROR);
  CHECK(wf_last_http_status() == 503);
  CHECK(strstr(wf_last_error_message(), "3 attempts") != NULL);
  CHECK(sim_count("/getProgress/") == 3);
  free(sim_request("DELETE", "/sim/faults", NULL));
  CHECK_STATUS(wf_client_retry_count(c, &retries), WF_OK);
  CHECK(retries == 4);

  /* One attempt: no retry. */
  CHECK_STATUS(wf_client_set_retry(c, 1, 0), WF_OK);
  sim_clear_log();
  sim_fault("{\"kind\":\"unavailable\",\"path\":\"/version\"}");
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_SERVER_ERROR);
  CHECK(sim_count("/version") == 1);

  /* A submit is never sent twice, whatever the setting. */
  CHECK_STATUS(wf_client_set_retry(c, WF_DEFAULT_RETRY_ATTEMPTS, WF_DEFAULT_RETRY_MAX_BACKOFF_MS), WF_OK);
  sim_clear_log();
  sim_fault("{\"kind\":\"unavailable\",\"path\":\"/submit\"}");
  CHECK_STATUS(wf_submit(c, config("Invoice-PDF.OL-outputpreset", ""), op, &op_len), WF_SERVER_ERROR);
  CHECK(sim_count("/submit") == 1);
  CHECK_STATUS(wf_client_retry_count(c, &retries), WF_OK);
  CHECK(retries == 4);
  CHECK_STATUS(wf_cancel(c, op), WF_OK);
  wf_client_free(c);
}

int main(int argc, char **argv) {
  harness_init(argc, argv);
  temp_path(g_dir, sizeof g_dir, "olconnect-wf-ctest");
  make_dir(g_dir);
  test_submit();
  test_progress_and_wait();
  test_cancel();
  test_wait_any_and_all();
  test_text_managed_operations();
  test_stream_and_files();
  test_retry();
  remove_test_dir();
  return harness_finish();
}

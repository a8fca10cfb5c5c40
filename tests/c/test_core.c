/* C tests of the core ABI: handles, credentials, wf_get_result and its buffer protocol,
 * wf_get_result_ex, statuses and messages, hostile input. Run by tests/c/run.sh against a
 * simulator started with --control true. */
#include "harness.h"

#include <pthread.h>

#define PDF_PRESET "Invoice-PDF.OL-outputpreset"
#define SPLIT_PRESET "Invoice-Split.OL-outputpreset"


static void test_versions_and_names(void) {
  g_test = "versions_and_names";
  CHECK(strcmp(wf_version(), WF_VERSION) == 0);
  CHECK(wf_abi_version() == WF_ABI_VERSION);
  CHECK(strcmp(wf_status_name(WF_OK), "WF_OK") == 0);
  CHECK(strcmp(wf_status_name(WF_NOT_FOUND), "WF_NOT_FOUND") == 0);
  CHECK(strcmp(wf_status_name(WF_INTERNAL_ERROR), "WF_INTERNAL_ERROR") == 0);
  CHECK(strcmp(wf_status_name(-7), "WF_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(wf_status_name(12345), "WF_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(wf_log_level_name(WF_LOG_ERROR), "WF_LOG_ERROR") == 0);
  CHECK(strcmp(wf_log_level_name(WF_LOG_WARN), "WF_LOG_WARN") == 0);
  CHECK(strcmp(wf_log_level_name(WF_LOG_INFO), "WF_LOG_INFO") == 0);
  CHECK(strcmp(wf_log_level_name(WF_LOG_DEBUG), "WF_LOG_DEBUG") == 0);
  CHECK(strcmp(wf_log_level_name(0), "WF_UNKNOWN_LOG_LEVEL") == 0);
  CHECK(strcmp(wf_log_level_name(-1), "WF_UNKNOWN_LOG_LEVEL") == 0);
  CHECK(wf_last_error_message() != NULL);
}

static void test_null_and_invalid_arguments(void) {
  wf_client *c = NULL;
  uint8_t buf[8];
  size_t len = sizeof buf;
  wf_result *r = NULL;
  g_test = "null_and_invalid_arguments";
  CHECK_STATUS(wf_client_new(NULL, &c), WF_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK(strstr(wf_last_error_message(), "base_url") != NULL);
  CHECK(wf_last_http_status() == 0);
  CHECK_STATUS(wf_client_new(g_base_url, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_new("localhost:9340", &c), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_new("http://host/a b", &c), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_new("http://h\r\nX: y", &c), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_new("\xff\xfe", &c), WF_INVALID_ARGUMENT);
  CHECK(strstr(wf_last_error_message(), "UTF-8") != NULL);
  CHECK(c == NULL);

  CHECK_STATUS(wf_get_result(NULL, "op", buf, &len), WF_INVALID_ARGUMENT);
  CHECK(len == sizeof buf);
  CHECK_STATUS(wf_client_new(g_base_url, &c), WF_OK);
  CHECK_STATUS(wf_get_result(c, NULL, buf, &len), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_get_result(c, "op", buf, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_get_result(c, "op", NULL, &len), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_get_result(c, "\xc3\x28", buf, &len), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_get_result_ex(c, "op", NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_get_result_ex(c, NULL, &r), WF_INVALID_ARGUMENT);
  CHECK(r == NULL);
  CHECK_STATUS(wf_client_set_basic_auth(c, NULL, "p"), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_basic_auth(c, "u", NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_token(c, NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_token(c, ""), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_token(c, "abc\r\nX-Injected: 1"), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_basic_auth(c, "ol-admin\r\n", "secret"), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_login(c, "ol-admin", "sec\nret"), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_login(NULL, "a", "b"), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_clear_auth(NULL), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_timeouts(NULL, 1, 1), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_tls_insecure(NULL, true), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_tls_ca_file(c, "/nonexistent/ca.pem"), WF_IO_ERROR);
  CHECK_STATUS(wf_client_set_tls_ca_file(c, NULL), WF_OK);
  CHECK_STATUS(wf_client_set_proxy(c, "not a url"), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_proxy(c, NULL), WF_OK);

  /* Accessors and frees are NULL-safe. */
  CHECK(wf_result_data(NULL, &len) == NULL && len == 0);
  CHECK(wf_result_data(NULL, NULL) == NULL);
  CHECK(wf_result_type_of(NULL) == WF_RESULT_UNKNOWN);
  CHECK(wf_result_data_set_id(NULL) == -1);
  CHECK(wf_result_path_count(NULL) == 0);
  CHECK(wf_result_path(NULL, 0) == NULL);
  wf_result_free(NULL);
  wf_client_free(NULL);
  wf_client_free(c);
}

static void test_operation_ids_cannot_change_the_path(void) {
  const char *bad[] = {"", ".", "..", "../getOperations", "a/b", "a?b=1", "a#x", "a%2e", "a\r\nX: y", "a\tb", "a\\b"};
  uint8_t buf[16];
  size_t i;
  wf_client *c = logged_in_client();
  g_test = "operation_ids_cannot_change_the_path";
  sim_clear_log();
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t len = sizeof buf;
    CHECK_STATUS(wf_get_result(c, bad[i], buf, &len), WF_INVALID_ARGUMENT);
    CHECK(len == sizeof buf);
    CHECK_STATUS(wf_cancel(c, bad[i]), WF_INVALID_ARGUMENT);
  }
  CHECK(sim_count("/rest/") == 0);
  wf_client_free(c);
}

static void test_credentials_and_statuses(void) {
  wf_client *c = NULL;
  char version[64];
  size_t len = sizeof version;
  g_test = "credentials_and_statuses";
  CHECK_STATUS(wf_client_new(g_base_url, &c), WF_OK);
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_REQUIRED);
  CHECK(wf_last_http_status() == 401);
  CHECK(strstr(wf_last_error_message(), "Authentication required") != NULL);
  CHECK_STATUS(wf_client_set_basic_auth(c, "ol-admin", "wrong-pw"), WF_OK);
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_FAILED);
  CHECK(strstr(wf_last_error_message(), "wrong-pw") == NULL);
  CHECK_STATUS(wf_client_login(c, "ol-admin", "wrong-pw"), WF_AUTH_FAILED);
  CHECK_STATUS(wf_client_set_basic_auth(c, "ol-admin", "secret"), WF_OK);
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_OK);
  CHECK(strcmp(version, "2024.2.1.12345") == 0 && len == strlen(version) + 1);
  CHECK(wf_last_http_status() == 0 && wf_last_error_message()[0] == '\0');
  CHECK_STATUS(wf_client_login(c, "ol-admin", "secret"), WF_OK);
  /* The legacy dialect answers 403 to invalid credentials. */
  sim_settings("{\"dialect\":\"legacy\"}");
  CHECK_STATUS(wf_client_set_token(c, "made-up-token"), WF_OK);
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_FORBIDDEN);
  CHECK(wf_last_http_status() == 403);
  sim_settings("{\"dialect\":\"modern\"}");
  CHECK_STATUS(wf_client_clear_auth(c), WF_OK);
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_REQUIRED);
  wf_client_free(c);
}

/* The hints of messages follow the client's language (docs/c-contract.md, "Messages"). */
static void test_message_language(void) {
  wf_client *c = NULL;
  char version[64];
  size_t len = sizeof version;
  g_test = "message_language";
  CHECK_STATUS(wf_client_new(g_base_url, &c), WF_OK);
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_REQUIRED);
  CHECK(strstr(wf_last_error_message(), "wf_client_login") != NULL); /* C, the default */
  CHECK_STATUS(wf_client_set_message_language(c, WF_LANGUAGE_PYTHON), WF_OK);
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_REQUIRED);
  CHECK(strstr(wf_last_error_message(), "username=") != NULL);
  CHECK(strstr(wf_last_error_message(), "wf_") == NULL);
  CHECK_STATUS(wf_client_set_message_language(c, WF_LANGUAGE_CLI), WF_OK);
  len = sizeof version;
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_REQUIRED);
  CHECK(strstr(wf_last_error_message(), "--user") != NULL);
  CHECK_STATUS(wf_client_set_message_language(c, (wf_language)4), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_client_set_message_language(NULL, WF_LANGUAGE_C), WF_INVALID_ARGUMENT);
  len = sizeof version; /* the refused value changed nothing */
  CHECK_STATUS(wf_server_version(c, version, &len), WF_AUTH_REQUIRED);
  CHECK(strstr(wf_last_error_message(), "--user") != NULL);
  wf_client_free(c);
}

static void test_buffer_protocol_asks_the_server_once(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  uint8_t *buf;
  size_t len = 0;
  wf_client *c = logged_in_client();
  g_test = "buffer_protocol_asks_the_server_once";
  submit(c, config(PDF_PRESET, "\"sim_output_size\":100000"), op, sizeof op);
  sim_clear_log();
  CHECK_STATUS(wf_get_result(c, op, NULL, &len), WF_BUFFER_TOO_SMALL);
  CHECK(len == 100000);
  CHECK(strstr(wf_last_error_message(), "100000") != NULL);
  buf = (uint8_t *)malloc(len);
  len = 99999;
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_BUFFER_TOO_SMALL);
  CHECK(len == 100000);
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_OK);
  CHECK(len == 100000);
  CHECK(sim_count("/getResult/") == 1);
  /* Delivered: the next call asks the server again. */
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_OK);
  CHECK(sim_count("/getResult/") == 2);
  free(buf);
  wf_client_free(c);
}

static void test_result_ex_for_every_kind(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  wf_result *r = NULL;
  size_t len = 0, i;
  const uint8_t *data;
  wf_client *c = logged_in_client();
  g_test = "result_ex_for_every_kind";

  submit(c, config(PDF_PRESET, "\"sim_output_size\":4096"), op, sizeof op);
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_OK);
  data = wf_result_data(r, &len);
  CHECK(data != NULL && len == 4096);
  CHECK(wf_result_type_of(r) == WF_RESULT_OUTPUT_STREAMED);
  CHECK(wf_result_data_set_id(r) > 0 && wf_result_content_set_id(r) > 0 && wf_result_job_set_id(r) > 0);
  CHECK(wf_result_path_count(r) == 0 && wf_result_path(r, 0) == NULL);
  wf_result_free(r);

  submit(c, config(SPLIT_PRESET, ""), op, sizeof op);
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_OK);
  CHECK(wf_result_type_of(r) == WF_RESULT_OUTPUT_PATHS);
  CHECK(wf_result_path_count(r) == 3);
  for (i = 0; i < 3; i++) {
    const char *p = wf_result_path(r, i);
    CHECK(p != NULL && p[0] == '/' && strstr(p, op) != NULL);
  }
  CHECK(wf_result_path(r, 3) == NULL);
  wf_result_free(r);

  submit(c, "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},\"returnIdInHeader\":true}", op,
         sizeof op);
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_OK);
  CHECK(wf_result_type_of(r) == WF_RESULT_DATA_SET_ID);
  data = wf_result_data(r, &len);
  CHECK(len > 0 && len < 32);
  {
    char digits[32] = {0};
    memcpy(digits, data, len < 31 ? len : 31); /* the data is not NUL-terminated */
    CHECK((int64_t)strtoll(digits, NULL, 10) == wf_result_data_set_id(r));
  }
  CHECK(wf_result_content_set_id(r) == -1 && wf_result_job_set_id(r) == -1);
  wf_result_free(r);

  r = NULL;
  CHECK_STATUS(wf_get_result_ex(c, "no-such-operation", &r), WF_NOT_FOUND);
  CHECK(r == NULL);
  CHECK(wf_last_http_status() == 404);
  CHECK(strstr(wf_last_error_message(), "Operation not found in Server (parameter: no-such-operation)") != NULL);
  wf_client_free(c);
}

/* A result read whole whose path list cannot be built (more than WF_MAX_PATHS paths) is kept,
 * not lost: on a server that deletes results once read, the next calls still get it. */
static void test_result_ex_keeps_a_body_it_cannot_list(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  wf_result *r = NULL;
  uint8_t *buf;
  size_t len = 0, i, lines = 0;
  char params[64];
  wf_client *c = logged_in_client();
  g_test = "result_ex_keeps_a_body_it_cannot_list";
  sim_settings("{\"delete_after_read\":true,\"spool_dir\":\"\",\"path_separator\":\"\\n\"}");
  snprintf(params, sizeof params, "\"sim_spool_files\":%lu", (unsigned long)WF_MAX_PATHS + 1);
  submit(c, config(SPLIT_PRESET, params), op, sizeof op);
  sim_clear_log();
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_UNEXPECTED_RESPONSE);
  CHECK(r == NULL);
  CHECK(strstr(wf_last_error_message(), "is kept") != NULL);
  CHECK_STATUS(wf_get_result(c, op, NULL, &len), WF_BUFFER_TOO_SMALL);
  buf = (uint8_t *)malloc(len);
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_OK);
  for (i = 0; i < len; i++) lines += buf[i] == '\n';
  CHECK(lines == WF_MAX_PATHS && buf[0] == '/');
  CHECK(sim_count("/getResult/") == 1);
  free(buf);
  sim_settings("{\"delete_after_read\":false,\"spool_dir\":\"/var/lib/olconnect/spool\",\"path_separator\":\",\"}");
  wf_client_free(c);
}

/* What reaches C after a failure: the status, *out_len untouched, the HTTP status and the
 * server's words. The full fault matrix is tested once, in the Rust suite. */
static void test_wire_failures(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  uint8_t *buf = (uint8_t *)malloc(300000);
  size_t len;
  wf_client *c = logged_in_client();
  g_test = "wire_failures";
  submit(c, config(PDF_PRESET, "\"sim_output_size\":300000"), op, sizeof op);

  sim_fault("{\"kind\":\"close_mid_body\",\"bytes\":1000,\"path\":\"getResult\"}");
  len = 300000;
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_UNEXPECTED_RESPONSE);
  CHECK(len == 300000);
  sim_fault("{\"kind\":\"unavailable\",\"path\":\"getResult\"}");
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_SERVER_ERROR);
  CHECK(wf_last_http_status() == 503);
  sim_fault("{\"kind\":\"error_500_json\",\"message\":\"Job creation failed\",\"path\":\"getResult\"}");
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_SERVER_ERROR);
  CHECK(strstr(wf_last_error_message(), "Job creation failed") != NULL);
  CHECK_STATUS(wf_client_set_timeouts(c, 2000, 200), WF_OK);
  sim_fault("{\"kind\":\"delay\",\"ms\":1000,\"path\":\"getResult\"}");
  CHECK_STATUS(wf_get_result(c, op, buf, &len), WF_TIMEOUT);
  CHECK(wf_last_http_status() == 0);
  free(buf);
  wf_client_free(c);

  CHECK_STATUS(wf_client_new("http://127.0.0.1:9", &c), WF_OK);
  len = 0;
  CHECK_STATUS(wf_get_result(c, "x", NULL, &len), WF_CONNECT_FAILED);
  wf_client_free(c);

  {
    char https_url[300];
    snprintf(https_url, sizeof https_url, "https://%s", g_base_url + strlen("http://"));
    CHECK_STATUS(wf_client_new(https_url, &c), WF_OK);
    CHECK_STATUS(wf_get_result(c, "x", NULL, &len), WF_TLS_ERROR);
    wf_client_free(c);
  }
}

/* Large enough to be read straight from the socket (docs/architecture.md, "Large bodies straight
 * from the socket"), into pages never touched, pages in memory, and the library's own vector. */
static void test_large_results_read_past_the_stack(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  const size_t size = 9 * 1024 * 1024 + 77;
  wf_result *r = NULL;
  const uint8_t *data;
  uint8_t *fresh = (uint8_t *)malloc(size), *resident = (uint8_t *)malloc(size + 16);
  size_t len = 0, i;
  int tail_kept = 1;
  wf_client *c = logged_in_client();
  g_test = "large_results_read_past_the_stack";
  submit(c, config(PDF_PRESET, "\"sim_output_size\":9437261"), op, sizeof op);
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_OK);
  data = wf_result_data(r, &len);
  CHECK(data != NULL && len == size);
  len = size;
  CHECK_STATUS(wf_get_result(c, op, fresh, &len), WF_OK);
  CHECK(len == size && data != NULL && memcmp(fresh, data, size) == 0);
  memset(resident, 0xA5, size + 16);
  len = size + 16;
  CHECK_STATUS(wf_get_result(c, op, resident, &len), WF_OK);
  CHECK(len == size && data != NULL && memcmp(resident, data, size) == 0);
  for (i = size; i < size + 16; i++) tail_kept &= resident[i] == 0xA5;
  CHECK(tail_kept);
  wf_result_free(r);

  /* Cut after 5 MiB: an error, never a short result. */
  sim_fault("{\"kind\":\"close_mid_body\",\"bytes\":5242883,\"path\":\"getResult\"}");
  len = size;
  CHECK_STATUS(wf_get_result(c, op, fresh, &len), WF_UNEXPECTED_RESPONSE);
  CHECK(strstr(wf_last_error_message(), "truncated") != NULL);
  r = NULL;
  sim_fault("{\"kind\":\"close_mid_body\",\"bytes\":5242883,\"path\":\"getResult\"}");
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_UNEXPECTED_RESPONSE);
  CHECK(r == NULL);
  free(fresh);
  free(resident);
  wf_client_free(c);
}

struct thread_arg {
  wf_client *client;
  const char *op;
  int ok;
};

static void *fetch_many(void *p) {
  struct thread_arg *a = (struct thread_arg *)p;
  int i;
  uint8_t buf[2048];
  for (i = 0; i < 25; i++) {
    size_t len = sizeof buf;
    if (wf_get_result(a->client, a->op, buf, &len) == WF_OK && len == 2048) a->ok++;
  }
  return NULL;
}

static void test_threads_share_one_client(void) {
  char op[WF_OPERATION_ID_CAPACITY];
  pthread_t t[4];
  struct thread_arg args[4];
  int i;
  wf_client *c = logged_in_client();
  g_test = "threads_share_one_client";
  submit(c, config(PDF_PRESET, "\"sim_output_size\":2048"), op, sizeof op);
  for (i = 0; i < 4; i++) {
    args[i].client = c;
    args[i].op = op;
    args[i].ok = 0;
    pthread_create(&t[i], NULL, fetch_many, &args[i]);
  }
  for (i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK(args[i].ok == 25);
  }
  wf_client_free(c);
}

static int32_t count_chunk(void *user_data, const uint8_t *chunk, size_t len) {
  (void)chunk;
  *(size_t *)user_data += len;
  return 0;
}

/* Every call that leaves the client's settings as they are takes a `const wf_client *`, so a
 * program can hand out a client through a const pointer (docs/c-contract.md, "Const handles");
 * wf_upload's kind is a wf_resource_kind. Compiled as C and C++ with -Werror: a const dropped
 * from one of these declarations fails the build. */
static void test_const_handles(void) {
  wf_client *owned = logged_in_client();
  const wf_client *c = owned;
  const wf_abort *stop = NULL;
  wf_abort *abort_owned = NULL;
  wf_client *view = NULL;
  wf_data *data = NULL;
  wf_result *r = NULL;
  char op[WF_OPERATION_ID_CAPACITY], running[WF_OPERATION_ID_CAPACITY], text[4096];
  char id[WF_FILE_ID_CAPACITY], dir[512], path[600];
  const char *ids[2];
  static const uint8_t csv[] = "id;name\n1;one\n";
  const wf_resource_kind kind = WF_RESOURCE_DATA_FILE;
  /* wf_upload as C++ and C23 see it: its kind is the enum (in C before C23 the same int32_t). */
  wf_status (*upload)(const wf_client *, wf_resource_kind, wf_data *, const char *, bool, char *, size_t *) = wf_upload;
  uint8_t body[64];
  size_t len = sizeof op, index = 99, streamed = 0;
  int32_t percent = -1;
  bool done = false, flag = false;
  g_test = "const_handles";
  temp_path(dir, sizeof dir, "wf-const");
  CHECK(make_dir(dir) == 0);
  snprintf(path, sizeof path, "%s/out.pdf", dir);

  CHECK_STATUS(wf_submit(c, config(PDF_PRESET, "\"sim_output_size\":64"), op, &len), WF_OK);
  CHECK_STATUS(wf_get_progress(c, op, &percent, &done), WF_OK);
  CHECK_STATUS(wf_wait(c, op, 60000, NULL, NULL), WF_OK);
  ids[0] = op;
  CHECK_STATUS(wf_wait_any(c, ids, 1, 60000, &index), WF_OK);
  CHECK(index == 0);
  CHECK_STATUS(wf_wait_all(c, ids, 1, 60000), WF_OK);
  len = sizeof body;
  CHECK_STATUS(wf_get_result(c, op, body, &len), WF_OK);
  CHECK(len == 64);
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_OK);
  wf_result_free(r);
  r = NULL;
  CHECK_STATUS(wf_get_result_stream(c, op, count_chunk, &streamed), WF_OK);
  CHECK(streamed == 64);
  CHECK_STATUS(wf_get_result_to_file(c, op, path), WF_OK);
  CHECK_STATUS(wf_get_result_to_file_ex(c, op, path, &r), WF_OK);
  CHECK(wf_result_type_of(r) == WF_RESULT_OUTPUT_STREAMED);
  wf_result_free(r);
  remove(path);
  len = sizeof text;
  CHECK_STATUS(wf_get_result_text(c, op, text, &len), WF_OK);
  len = sizeof text;
  CHECK_STATUS(wf_get_managed_result(c, op, text, &len), WF_OK);
  len = sizeof text;
  CHECK_STATUS(wf_get_operations(c, text, &len), WF_OK);
  len = sizeof text;
  CHECK_STATUS(wf_server_version(c, text, &len), WF_OK);

  CHECK_STATUS(wf_data_from_buffer(csv, sizeof csv - 1, &data), WF_OK);
  len = sizeof id;
  CHECK_STATUS(upload(c, kind, data, "const.csv", false, id, &len), WF_OK);
  CHECK_STATUS(wf_managed_exists(c, id, &flag), WF_OK);
  CHECK(flag);
  CHECK_STATUS(wf_download_managed(c, id, NULL, path), WF_OK);
  remove(path);
  CHECK_STATUS(wf_delete_managed(c, id, &flag), WF_OK);
  wf_data_free(data);

  len = sizeof running;
  CHECK_STATUS(wf_submit(c, config(PDF_PRESET, "\"sim_duration_ms\":60000"), running, &len), WF_OK);
  CHECK_STATUS(wf_cancel(c, running), WF_OK);

  CHECK_STATUS(wf_abort_new(&abort_owned), WF_OK);
  stop = abort_owned;
  CHECK_STATUS(wf_client_with_controls(c, stop, 0, NULL, NULL, &view), WF_OK);
  CHECK_STATUS(wf_client_set_log(c, NULL, NULL), WF_OK);
  CHECK_STATUS(wf_client_set_max_concurrent(c, 0), WF_OK);
  CHECK_STATUS(wf_client_set_kept_body_limit(c, WF_DEFAULT_KEPT_BODY_LIMIT), WF_OK);
  CHECK(!wf_abort_is_triggered(stop));
  wf_client_free(view);
  wf_abort_free(abort_owned);
  remove_dir(dir);
  wf_client_free(owned);
}

int main(int argc, char **argv) {
  harness_init(argc, argv);
  test_versions_and_names();
  test_null_and_invalid_arguments();
  test_operation_ids_cannot_change_the_path();
  test_credentials_and_statuses();
  test_message_language();
  test_buffer_protocol_asks_the_server_once();
  test_result_ex_for_every_kind();
  test_result_ex_keeps_a_body_it_cannot_list();
  test_wire_failures();
  test_large_results_read_past_the_stack();
  test_threads_share_one_client();
  test_const_handles();
  return harness_finish();
}

/* Bringing local data in from C: wf_data from a file, a buffer and a read callback; uploads,
 * exists and delete; ad-hoc jobs asynchronous and synchronous; bad input; a reader whose length
 * does not match what it announced. What the core does with each is tested in the Rust suite;
 * this checks what C sees. */
#include "harness.h" /* first: it sets _POSIX_C_SOURCE */

#include <time.h>

static const char CSV[] = "id,name,amount\n1,Alice,10.00\n2,Bob,20.00\n";

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

struct source {
  const char *data;
  size_t left;
  int fail;
};

static int64_t read_source(void *user_data, uint8_t *buf, size_t capacity) {
  struct source *s = (struct source *)user_data;
  size_t n = s->left < capacity ? s->left : capacity;
  if (s->fail) return -1;
  memcpy(buf, s->data, n);
  s->data += n;
  s->left -= n;
  return (int64_t)n;
}

static void test_uploads(void) {
  char id[WF_FILE_ID_CAPACITY], small[8];
  size_t len;
  bool yes = false;
  wf_client *c = logged_in_client();
  wf_data *data = NULL;
  struct source src;
  char path[256];
  FILE *f;
  g_test = "uploads";

  temp_path(path, sizeof path, "wf-upload.csv");
  f = fopen(path, "w");
  if (f) {
    fputs(CSV, f);
    fclose(f);
  }
  CHECK_STATUS(wf_data_from_file(path, &data), WF_OK);
  len = sizeof id;
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_FROM_NAME, data, NULL, false, id, &len), WF_OK);
  CHECK(len == strlen(id) + 1);
  wf_data_free(data);
  remove(path);
  CHECK_STATUS(wf_managed_exists(c, id, &yes), WF_OK);
  CHECK(yes);
  CHECK_STATUS(wf_delete_managed(c, id, &yes), WF_OK);
  CHECK(yes);
  CHECK_STATUS(wf_managed_exists(c, id, &yes), WF_OK);
  CHECK(!yes);
  CHECK_STATUS(wf_delete_managed(c, id, &yes), WF_NOT_FOUND);

  CHECK_STATUS(wf_data_from_buffer((const uint8_t *)CSV, strlen(CSV), &data), WF_OK);
  len = sizeof small; /* too small: nothing is sent */
  sim_clear_log();
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_DATA_FILE, data, "b.csv", true, small, &len), WF_BUFFER_TOO_SMALL);
  CHECK(len == WF_FILE_ID_CAPACITY && sim_count("/filestore/") == 0);
  len = sizeof id;
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_DATA_FILE, data, "b.csv", true, id, &len), WF_OK);
  CHECK_STATUS(wf_upload(c, (wf_resource_kind)42, data, "b.csv", true, id, &len), WF_INVALID_ARGUMENT);
  wf_data_free(data);

  src.data = CSV;
  src.left = strlen(CSV);
  src.fail = 0;
  CHECK_STATUS(wf_data_from_reader(read_source, &src, -1, &data), WF_OK);
  len = sizeof id;
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_FROM_NAME, data, "c.csv", false, id, &len), WF_OK);
  len = sizeof id; /* a reader is read once */
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_FROM_NAME, data, "c.csv", false, id, &len), WF_INVALID_ARGUMENT);
  wf_data_free(data);
  src.fail = 1;
  CHECK_STATUS(wf_data_from_reader(read_source, &src, 1000, &data), WF_OK);
  len = sizeof id;
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_FROM_NAME, data, "d.csv", false, id, &len), WF_IO_ERROR);
  wf_data_free(data);

  CHECK_STATUS(wf_data_from_file("/no/such/file.csv", &data), WF_IO_ERROR);
  CHECK_STATUS(wf_data_from_buffer(NULL, 3, &data), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_data_from_reader(NULL, NULL, -1, &data), WF_INVALID_ARGUMENT);
  len = sizeof id;
  CHECK_STATUS(wf_upload(c, WF_RESOURCE_FROM_NAME, NULL, "x", false, id, &len), WF_INVALID_ARGUMENT);
  wf_data_free(NULL);
  wf_client_free(c);
}

/* A reader that ends before the length it announced, or goes on past it: WF_IO_ERROR at once
 * with a message saying so, and nothing stored. The calls run on a view with a timeout so that
 * a regression (an endless wait for the missing bytes) fails instead of hanging the test. */
static void test_reader_length_mismatch(void) {
  char id[WF_FILE_ID_CAPACITY], expected[128];
  size_t len;
  wf_client *c = logged_in_client();
  wf_client *view = NULL;
  wf_data *data = NULL;
  struct source src;
  double started;
  g_test = "reader_length_mismatch";
  CHECK_STATUS(wf_client_with_controls(c, NULL, 10000, NULL, NULL, &view), WF_OK);

  src.data = CSV;
  src.left = strlen(CSV);
  src.fail = 0;
  CHECK_STATUS(wf_data_from_reader(read_source, &src, 100000, &data), WF_OK);
  sim_clear_log();
  len = sizeof id;
  started = now_ms();
  CHECK_STATUS(wf_upload(view, WF_RESOURCE_FROM_NAME, data, "short.csv", false, id, &len), WF_IO_ERROR);
  snprintf(expected, sizeof expected, "the data ended after %u of the 100000 bytes announced",
           (unsigned)strlen(CSV));
  CHECK(strstr(wf_last_error_message(), expected) != NULL);
  CHECK(now_ms() - started < 5000.0);
  CHECK(sim_count("/filestore/") == 0);
  wf_data_free(data);

  src.data = CSV;
  src.left = strlen(CSV);
  CHECK_STATUS(wf_data_from_reader(read_source, &src, 10, &data), WF_OK);
  len = sizeof id;
  CHECK_STATUS(wf_upload(view, WF_RESOURCE_FROM_NAME, data, "long.csv", false, id, &len), WF_IO_ERROR);
  CHECK(strstr(wf_last_error_message(), "the data has more than the 10 bytes announced") != NULL);
  CHECK(sim_count("/filestore/") == 0);
  wf_data_free(data);
  wf_client_free(view);
  wf_client_free(c);
}

static void test_adhoc(void) {
  char op[WF_OPERATION_ID_CAPACITY], path[256];
  size_t len = sizeof op;
  wf_client *c = logged_in_client();
  wf_data *data = NULL;
  wf_result *r = NULL;
  wf_adhoc_job job;
  g_test = "adhoc";
  memset(&job, 0, sizeof job);
  job.data_mapping = "Invoice.OL-datamapper";
  job.template_name = "Invoice.OL-template";
  job.output_preset = "Invoice-PDF.OL-outputpreset";
  CHECK_STATUS(wf_data_from_buffer((const uint8_t *)CSV, strlen(CSV), &data), WF_OK);

  CHECK_STATUS(wf_submit_adhoc(c, &job, data, op, &len), WF_OK);
  CHECK_STATUS(wf_wait(c, op, 0, NULL, NULL), WF_OK);
  CHECK_STATUS(wf_get_result_ex(c, op, &r), WF_OK);
  wf_result_free(r);

  temp_path(path, sizeof path, "wf-adhoc.pdf");
  r = NULL;
  CHECK_STATUS(wf_run_adhoc_to_file(c, &job, data, path, &r), WF_OK);
  CHECK(r != NULL);
  wf_result_free(r);
  remove(path);

  job.output_preset = "Invoice-Split.OL-outputpreset";
  job.result_as_text = true;
  r = NULL;
  CHECK_STATUS(wf_run_adhoc_ex(c, &job, data, &r), WF_OK);
  {
    size_t n = 0;
    const uint8_t *text = wf_result_data(r, &n);
    CHECK(n > 0 && text[0] == '/');
  }
  wf_result_free(r);

  job.template_name = "../elsewhere";
  CHECK_STATUS(wf_run_adhoc_ex(c, &job, data, &r), WF_INVALID_ARGUMENT);
  CHECK_STATUS(wf_submit_adhoc(c, NULL, data, op, &len), WF_INVALID_ARGUMENT);
  wf_data_free(data);
  wf_client_free(c);
}

int main(int argc, char **argv) {
  harness_init(argc, argv);
  test_uploads();
  test_reader_length_mismatch();
  test_adhoc();
  return harness_finish();
}

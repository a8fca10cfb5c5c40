/* The main job, end to end: log in, submit an All-In-One configuration, wait with a progress
 * bar, fetch the result to a file, and say what arrived.
 *
 *   fetch_result BASE_URL [OUTPUT_FILE] [CONFIG_JSON_FILE]
 *
 * Credentials come from OLCONNECT_USER / OLCONNECT_PASSWORD (default ol-admin / secret, the
 * simulator's). Without a configuration file it runs every step on the demo File Store of
 * olconnect-sim. Copy the body of main() into your program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "olconnect_wf.h"

static const char *DEMO_CONFIG =
    "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},"
    "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},"
    "\"jobcreation\":{\"config\":\"Invoice.OL-jobpreset\"},"
    "\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"createOnly\":false},"
    "\"returnIdInHeader\":true}";

static const char *TYPE_NAMES[] = {"unknown (no X-Result-Type)", "data set ID",       "content set ID",
                                   "job set ID",                 "spool file",        "spool file paths",
                                   "managed output"};

/* Draws a 40-column progress bar on stderr; returning 0 keeps waiting. */
static int32_t show_progress(void *user_data, int32_t percent) {
  int filled = percent * 40 / 100;
  (void)user_data;
  fprintf(stderr, "\r  [%.*s%*s] %3d%%", filled, "########################################", 40 - filled, "", (int)percent);
  if (percent == 100) fputc('\n', stderr);
  return 0;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    text = (char *)calloc((size_t)size + 1, 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) {
      free(text);
      text = NULL;
    }
  }
  fclose(f);
  return text;
}

static int fail(const char *step, wf_status status) {
  fprintf(stderr, "%s failed: %s (HTTP %d)\n  %s\n", step, wf_status_name(status), (int)wf_last_http_status(),
          wf_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  const char *base_url = argc > 1 ? argv[1] : "http://localhost:9340";
  const char *output = argc > 2 ? argv[2] : "result.out";
  const char *user = getenv("OLCONNECT_USER") ? getenv("OLCONNECT_USER") : "ol-admin";
  const char *password = getenv("OLCONNECT_PASSWORD") ? getenv("OLCONNECT_PASSWORD") : "secret";
  char *config_text = argc > 3 ? read_file(argv[3]) : NULL;
  char op_id[WF_OPERATION_ID_CAPACITY];
  size_t op_len = sizeof op_id;
  wf_client *client = NULL;
  wf_result *info = NULL;
  wf_status st;
  int rc = 0;

  if (argc > 3 && !config_text) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    return 1;
  }
  printf("olconnect-wf %s, server %s\n", wf_version(), base_url);
  if ((st = wf_client_new(base_url, &client)) != WF_OK) return fail("creating the client", st);
  if ((st = wf_client_login(client, user, password)) != WF_OK) {
    rc = fail("login", st);
  } else if ((st = wf_submit(client, config_text ? config_text : DEMO_CONFIG, op_id, &op_len)) != WF_OK) {
    rc = fail("submit", st);
  } else {
    printf("operation %s submitted, waiting:\n", op_id);
    if ((st = wf_wait(client, op_id, 10 * 60 * 1000, show_progress, NULL)) != WF_OK) {
      rc = fail("wait", st);
    } else if ((st = wf_get_result_to_file_ex(client, op_id, output, &info)) != WF_OK) {
      rc = fail("fetching the result", st);
    } else {
      FILE *f = fopen(output, "rb");
      long size = -1;
      int type = (int)wf_result_type_of(info);
      if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
      if (f) fclose(f);
      printf("result: %s\n", TYPE_NAMES[type >= 0 && type <= 6 ? type : 0]);
      printf("  data set %lld, content set %lld, job set %lld (-1: not reported)\n",
             (long long)wf_result_data_set_id(info), (long long)wf_result_content_set_id(info),
             (long long)wf_result_job_set_id(info));
      printf("  %ld bytes written to %s\n", size, output);
      wf_result_free(info);
    }
  }
  wf_client_free(client);
  free(config_text);
  return rc;
}

/* The main job, end to end: log in, upload a local data file to the File Store, submit an
 * All-In-One configuration that uses it, wait with a progress bar, download the result to a file
 * with a byte progress bar, delete the upload, and say what arrived. Ctrl-C stops whichever call
 * is running within a fraction of a second and leaves no partial file.
 *
 *   fetch_result BASE_URL [OUTPUT_FILE] [--data DATA_FILE] [--config CONFIG_JSON_FILE]
 *
 * With --data, the file is uploaded and the demo configuration maps it (an own --config names
 * its data itself). Credentials come from OLCONNECT_USER / OLCONNECT_PASSWORD (default ol-admin /
 * secret, the simulator's). The resources are those of olconnect-sim's demo File Store. Copy the
 * body of main() into your program. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include "olconnect_wf.h"

/* Triggered by Ctrl-C: every call of the view made with it stops (WF_ABORTED). */
static wf_abort *g_abort = NULL;

#ifdef _WIN32
/* Windows runs a console control handler on a thread of its own; TRUE: handled, go on. */
static BOOL WINAPI on_ctrl_c(DWORD event) {
  if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT) return FALSE;
  wf_abort_trigger(g_abort);
  return TRUE;
}

static void catch_ctrl_c(void) { SetConsoleCtrlHandler(on_ctrl_c, TRUE); }
#else
static void on_sigint(int sig) {
  (void)sig;
  wf_abort_trigger(g_abort); /* one atomic store: safe in a signal handler */
}

static void catch_ctrl_c(void) {
  struct sigaction on_ctrl_c;
  memset(&on_ctrl_c, 0, sizeof on_ctrl_c);
  on_ctrl_c.sa_handler = on_sigint;
  sigemptyset(&on_ctrl_c.sa_mask);
  sigaction(SIGINT, &on_ctrl_c, NULL);
}
#endif

/* %s: the data file, by Managed File ID or name. */
static const char *DEMO_CONFIG =
    "{\"datamining\":{\"identifier\":\"%s\",\"config\":\"Invoice.OL-datamapper\"},"
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

/* Draws the bytes received so far (and the total when the server announced one). */
static int32_t show_bytes(void *user_data, const wf_transfer *t) {
  (void)user_data;
  if (t->receive_total > 0) {
    int filled = (int)(t->received * 40 / (uint64_t)t->receive_total);
    fprintf(stderr, "\r  [%.*s%*s] %llu / %lld bytes", filled, "########################################", 40 - filled, "",
            (unsigned long long)t->received, (long long)t->receive_total);
  } else if (t->received > 0) {
    fprintf(stderr, "\r  %llu bytes", (unsigned long long)t->received);
  }
  return 0;
}

/* Uploads a local data file to the File Store; its Managed File ID goes to id_out. */
static wf_status upload(wf_client *client, const char *path, char *id_out, size_t *id_len) {
  wf_data *data = NULL;
  wf_status st = wf_data_from_file(path, &data);
  if (st == WF_OK) {
    st = wf_upload(client, WF_RESOURCE_FROM_NAME, data, NULL, false, id_out, id_len);
    wf_data_free(data);
  }
  if (st == WF_OK) printf("uploaded %s as %s\n", path, id_out);
  return st;
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

/* Submits the configuration, waits with a progress bar, downloads the result to `output` with a
 * byte progress bar and says what arrived. Returns 0 or 1. */
static int run_job(wf_client *view, const char *config, const char *output) {
  char op_id[WF_OPERATION_ID_CAPACITY];
  size_t op_len = sizeof op_id;
  wf_result *info = NULL;
  wf_status st;
  FILE *f;
  long size = -1;
  int type;
  if ((st = wf_submit(view, config, op_id, &op_len)) != WF_OK) return fail("submit", st);
  printf("operation %s submitted, waiting:\n", op_id);
  if ((st = wf_wait(view, op_id, 10 * 60 * 1000, show_progress, NULL)) != WF_OK) return fail("wait", st);
  st = wf_get_result_to_file_ex(view, op_id, output, &info);
  fputc('\n', stderr);
  if (st != WF_OK) return fail("fetching the result", st);
  f = fopen(output, "rb");
  if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (f) fclose(f);
  type = (int)wf_result_type_of(info);
  printf("result: %s\n", TYPE_NAMES[type >= 0 && type <= 6 ? type : 0]);
  printf("  data set %lld, content set %lld, job set %lld (-1: not reported)\n", (long long)wf_result_data_set_id(info),
         (long long)wf_result_content_set_id(info), (long long)wf_result_job_set_id(info));
  printf("  %ld bytes written to %s\n", size, output);
  wf_result_free(info);
  return 0;
}

int main(int argc, char **argv) {
  const char *base_url = "http://localhost:9340";
  const char *output = "result.out";
  const char *data_file = NULL;
  const char *config_file = NULL;
  const char *user = getenv("OLCONNECT_USER") ? getenv("OLCONNECT_USER") : "ol-admin";
  const char *password = getenv("OLCONNECT_PASSWORD") ? getenv("OLCONNECT_PASSWORD") : "secret";
  char *config_text = NULL;
  char demo_config[1024];
  char data_id[WF_FILE_ID_CAPACITY] = "invoices.csv"; /* the demo File Store's own data file */
  size_t data_id_len = sizeof data_id;
  bool uploaded = false;
  int positional = 0, i;
  wf_client *client = NULL;
  wf_client *view = NULL; /* the same client; its calls stop on Ctrl-C and report bytes */
  wf_status st;
  int rc = 0;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      data_file = argv[++i];
    } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_file = argv[++i];
    } else if (positional == 0) {
      base_url = argv[i];
      positional++;
    } else if (positional == 1) {
      output = argv[i];
      positional++;
    } else {
      fprintf(stderr, "usage: %s BASE_URL [OUTPUT_FILE] [--data DATA_FILE] [--config CONFIG_JSON_FILE]\n", argv[0]);
      return 2;
    }
  }
  if (config_file && !(config_text = read_file(config_file))) {
    fprintf(stderr, "cannot read %s\n", config_file);
    return 1;
  }
  printf("olconnect-wf %s, server %s\n", wf_version(), base_url);
  if ((st = wf_client_new(base_url, &client)) != WF_OK) return fail("creating the client", st);
  if ((st = wf_abort_new(&g_abort)) != WF_OK ||
      (st = wf_client_with_controls(client, g_abort, 0, show_bytes, NULL, &view)) != WF_OK) {
    wf_client_free(client);
    return fail("setting up Ctrl-C", st);
  }
  catch_ctrl_c();
  if ((st = wf_client_login(view, user, password)) != WF_OK) {
    rc = fail("login", st);
  } else if (data_file && (st = upload(view, data_file, data_id, &data_id_len)) != WF_OK) {
    rc = fail("uploading the data file", st);
  } else {
    uploaded = data_file != NULL;
    snprintf(demo_config, sizeof demo_config, DEMO_CONFIG, data_id);
    rc = run_job(view, config_text ? config_text : demo_config, output);
  }
  if (uploaded) {
    /* Through the client, not the view: the upload is deleted even after Ctrl-C. */
    bool deleted = false;
    if ((st = wf_delete_managed(client, data_id, &deleted)) != WF_OK) fail("deleting the upload", st);
    else printf("  upload %s deleted\n", data_id);
  }
  if (rc != 0 && wf_abort_is_triggered(g_abort)) {
    fprintf(stderr, "interrupted: nothing partial was left behind\n");
    rc = 130;
  }
  wf_client_free(view);
  wf_client_free(client);
  wf_abort_free(g_abort);
  free(config_text);
  return rc;
}

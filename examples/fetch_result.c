/* The main job, end to end: log in, submit an All-In-One configuration, wait with a progress
 * bar, download the result to a file with a byte progress bar, and say what arrived. Ctrl-C
 * stops whichever call is running within a fraction of a second and leaves no partial file.
 *
 *   fetch_result BASE_URL [OUTPUT_FILE] [CONFIG_JSON_FILE]
 *
 * Credentials come from OLCONNECT_USER / OLCONNECT_PASSWORD (default ol-admin / secret, the
 * simulator's). Without a configuration file it runs every step on the demo File Store of
 * olconnect-sim. Copy the body of main() into your program. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "olconnect_wf.h"

/* Triggered by Ctrl-C: every call of the view made with it stops (WF_ABORTED). */
static wf_abort *g_abort = NULL;

static void on_sigint(int sig) {
  (void)sig;
  wf_abort_trigger(g_abort); /* one atomic store: safe in a signal handler */
}

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
  wf_client *view = NULL; /* the same client; its calls stop on Ctrl-C and report bytes */
  wf_result *info = NULL;
  struct sigaction on_ctrl_c;
  wf_status st;
  int rc = 0;

  if (argc > 3 && !config_text) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    return 1;
  }
  printf("olconnect-wf %s, server %s\n", wf_version(), base_url);
  if ((st = wf_client_new(base_url, &client)) != WF_OK) return fail("creating the client", st);
  if ((st = wf_abort_new(&g_abort)) != WF_OK ||
      (st = wf_client_with_controls(client, g_abort, 0, show_bytes, NULL, &view)) != WF_OK) {
    wf_client_free(client);
    return fail("setting up Ctrl-C", st);
  }
  memset(&on_ctrl_c, 0, sizeof on_ctrl_c);
  on_ctrl_c.sa_handler = on_sigint;
  sigemptyset(&on_ctrl_c.sa_mask);
  sigaction(SIGINT, &on_ctrl_c, NULL);
  if ((st = wf_client_login(view, user, password)) != WF_OK) {
    rc = fail("login", st);
  } else if ((st = wf_submit(view, config_text ? config_text : DEMO_CONFIG, op_id, &op_len)) != WF_OK) {
    rc = fail("submit", st);
  } else {
    printf("operation %s submitted, waiting:\n", op_id);
    if ((st = wf_wait(view, op_id, 10 * 60 * 1000, show_progress, NULL)) != WF_OK) {
      rc = fail("wait", st);
    } else if ((st = wf_get_result_to_file_ex(view, op_id, output, &info)) != WF_OK) {
      fputc('\n', stderr);
      rc = fail("fetching the result", st);
    } else {
      fputc('\n', stderr);
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

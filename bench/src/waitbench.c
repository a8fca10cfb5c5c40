/* Many concurrent waits in one process (bench/wait.sh): N operations submitted to the simulator,
 * each with its own duration so that they end spread over [MIN_MS, MAX_MS] after the waits
 * start, then waited on in one of three ways:
 *   waitbench baseline URL N MIN_MS MAX_MS    BASELINE, how waits worked before the watcher: a
 *                                             thread per operation polling wf_get_progress itself,
 *                                             at once, then after 100 ms growing x1.5 to 2 s
 *                                             (the library's old wf_wait loop, rebuilt here)
 *   waitbench wait     URL N MIN_MS MAX_MS    a thread per operation calling wf_wait (the watcher)
 *   waitbench any      URL N MIN_MS MAX_MS T  T threads, each looping wf_wait_any over its share
 *                                             of the operations still pending (the watcher)
 * Prints key=value lines: the wait window in Unix epoch ms (to match the simulator's access
 * log), peak threads and resident memory of this process, its CPU time during the wait, and the
 * delay between each operation's end and its waiter's return (median, p99, max).
 *
 * An operation's end is taken as the moment its submit request was sent plus its duration: the
 * simulator starts the clock while answering the submit, so this end is at most one submit round
 * trip early and the delays are upper bounds (the round trips are printed too).
 *
 * Submitting takes time, and more per operation as the simulator holds more of them, so the
 * ends are planned from a measured model of that time (warm-up operations that end at once),
 * corrected as the submissions go: the operations are submitted latest-ending first, the first
 * planned MAX_MS after a generous projection of the end of the submissions, each next one a step
 * closer to MIN_MS after the end as projected then. Every waiter gives up at a common deadline (the last
 * end + GRACE_S), so that a way of waiting that cannot keep up still ends the run. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "olconnect_wf.h"

#define STACK_BYTES (256 * 1024)
#define FIRST_POLL_MS 100.0
#define LONGEST_POLL_MS 2000.0
#define WARM_UP 500   /* operations that end at once, submitted to time submitting */
#define GRACE_S 30.0  /* after the last end, waiters give up */
#define ERRORS_SHOWN 5

struct op {
  char id[WF_OPERATION_ID_CAPACITY];
  double end;    /* monotonic seconds: submit sent + duration */
  double called; /* when its waiter first called the library to wait for it */
  double returned;
  wf_status status;
};

static wf_client *client;
static struct op *ops;
static long n_ops;
static double deadline; /* monotonic seconds: every waiter gives up then */
static atomic_long finished, failures;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  struct timespec ts;
  if (s <= 0) return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void check(wf_status st, const char *what) {
  if (st != WF_OK) {
    fprintf(stderr, "waitbench: %s: %s: %s\n", what, wf_status_name(st), wf_last_error_message());
    exit(1);
  }
}

/* Milliseconds left until the common deadline, at least 1 (0 would mean no deadline). */
static uint32_t left_ms(void) {
  double left = (deadline - now()) * 1e3;
  return left < 1.0 ? 1u : (uint32_t)left;
}

static void done(struct op *o, wf_status st) {
  o->returned = now();
  o->status = st;
  if (st != WF_OK && atomic_fetch_add(&failures, 1) < ERRORS_SHOWN)
    fprintf(stderr, "waitbench: %s: %s: %s\n", o->id, wf_status_name(st), wf_last_error_message());
  atomic_fetch_add(&finished, 1);
}

/* BASELINE: the polling loop of wf_wait before the watcher, one thread per operation. */
static void *poll_one(void *p) {
  struct op *o = (struct op *)p;
  double delay_ms = FIRST_POLL_MS;
  bool seen = false;
  o->called = now();
  for (;;) {
    int32_t percent = 0;
    bool is_done = false;
    wf_status st = wf_get_progress(client, o->id, &percent, &is_done);
    if (st == WF_OK && is_done) break;
    if (st == WF_NOT_FOUND && seen) break; /* finished and dropped by the server */
    if (st != WF_OK) {
      done(o, st);
      return NULL;
    }
    seen = true;
    if (now() + delay_ms / 1e3 > deadline) {
      done(o, WF_TIMEOUT);
      return NULL;
    }
    sleep_s(delay_ms / 1e3);
    delay_ms = delay_ms * 1.5 > LONGEST_POLL_MS ? LONGEST_POLL_MS : delay_ms * 1.5;
  }
  done(o, WF_OK);
  return NULL;
}

/* (a) A thread per operation in wf_wait. */
static void *wait_one(void *p) {
  struct op *o = (struct op *)p;
  o->called = now();
  done(o, wf_wait(client, o->id, left_ms(), NULL, NULL));
  return NULL;
}

/* (b) One of a few threads: wf_wait_any over its share of the pending operations, the one that
 * ended taken out of the set, until none is left. */
struct share {
  long first, step;
};

static void *wait_share(void *p) {
  struct share *s = (struct share *)p;
  size_t k = 0, i;
  const char **ids = (const char **)malloc(sizeof(char *) * (size_t)(n_ops / s->step + 1));
  struct op **mine = (struct op **)malloc(sizeof(struct op *) * (size_t)(n_ops / s->step + 1));
  double t;
  if (!ids || !mine) exit(1);
  for (long j = s->first; j < n_ops; j += s->step) {
    ids[k] = ops[j].id;
    mine[k++] = &ops[j];
  }
  t = now();
  for (i = 0; i < k; i++) mine[i]->called = t;
  while (k > 0) {
    size_t which = k;
    wf_status st = wf_wait_any(client, ids, k, left_ms(), &which);
    if (which >= k) { /* the wait itself failed: every pending operation of the share fails */
      fprintf(stderr, "waitbench: wf_wait_any: %s: %s\n", wf_status_name(st), wf_last_error_message());
      for (i = 0; i < k; i++) done(mine[i], st);
      break;
    }
    done(mine[which], st);
    k--;
    ids[which] = ids[k];
    mine[which] = mine[k];
  }
  free(ids);
  free(mine);
  return NULL;
}

/* Threads and resident memory of this process, from /proc/self/status. */
static void proc_status(long *threads, long *rss_kib, long *hwm_kib) {
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Threads:", 8) == 0 && threads) *threads = atol(line + 8);
    if (strncmp(line, "VmRSS:", 6) == 0 && rss_kib) *rss_kib = atol(line + 6);
    if (strncmp(line, "VmHWM:", 6) == 0 && hwm_kib) *hwm_kib = atol(line + 6);
  }
  fclose(f);
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double quantile(const double *sorted, long n, double q) {
  long i = (long)(q * (double)(n - 1) + 0.5);
  return n > 0 ? sorted[i] : 0.0;
}

/* Projected time of `count` more submits, the first taking `each` seconds and every one `growth`
 * more than the one before; times `margin`, and 200 ms more, for safety. */
static double remaining_submits(long count, double each, double growth, double margin) {
  double c = (double)count;
  return margin * (c * each + growth * c * (c - 1) / 2) + 0.2;
}

static void submit(long duration_ms, char *id) {
  char config[256];
  size_t len = WF_OPERATION_ID_CAPACITY;
  snprintf(config, sizeof config,
           "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\","
           "\"parameters\":{\"sim_duration_ms\":%ld}}}",
           duration_ms);
  check(wf_submit(client, config, id, &len), "wf_submit");
}

int main(int argc, char **argv) {
  const char *mode;
  long min_ms, max_ms, nthreads = 0, i, late = 0, errors = 0, peak_threads = 0, rss0 = 0, hwm = 0;
  double warm[WARM_UP], spawned, t0, per_submit, growth, first_plan, bottom, start, joined = 0, end = 0, cpu0, rtt_max = 0, *rtt, *delays;
  pthread_attr_t attr;
  pthread_t *tids;
  struct share *shares = NULL;
  char scratch[WF_OPERATION_ID_CAPACITY];
  double clock_offset = epoch() - now(); /* monotonic to epoch */

  if (argc < 6 || (strcmp(argv[1], "any") == 0 && argc != 7)) {
    fprintf(stderr, "usage: see the comment at the top of waitbench.c\n");
    return 2;
  }
  mode = argv[1];
  n_ops = atol(argv[3]);
  min_ms = atol(argv[4]);
  max_ms = atol(argv[5]);
  if (argc == 7) nthreads = atol(argv[6]);
  if (n_ops < 1 || min_ms < 0 || max_ms < min_ms || (argc == 7 && (nthreads < 1 || nthreads > n_ops))) return 2;
  if (strcmp(mode, "baseline") != 0 && strcmp(mode, "wait") != 0 && strcmp(mode, "any") != 0) return 2;

  check(wf_client_new(argv[2], &client), "wf_client_new");
  check(wf_client_set_basic_auth(client, "ol-admin", "secret"), "credentials");
  ops = (struct op *)calloc((size_t)n_ops, sizeof *ops);
  rtt = (double *)malloc(sizeof(double) * (size_t)n_ops);
  delays = (double *)malloc(sizeof(double) * (size_t)n_ops);
  tids = (pthread_t *)malloc(sizeof(pthread_t) * (size_t)n_ops);
  if (!ops || !rtt || !delays || !tids) return 1;

  /* The time a submit takes, from operations that end at once (not waited on): at first (a), and
   * how it grows with every operation the simulator holds (b, seconds per operation). */
  for (i = 0; i < WARM_UP; i++) {
    double sent = now();
    submit(0, scratch);
    warm[i] = now() - sent;
  }
  qsort(warm, WARM_UP / 5, sizeof *warm, by_value);
  qsort(warm + WARM_UP * 4 / 5, WARM_UP / 5, sizeof *warm, by_value);
  per_submit = warm[WARM_UP / 10];
  growth = (warm[WARM_UP * 9 / 10] - per_submit) / (WARM_UP * 4.0 / 5.0);
  if (growth < 0) growth = 0;
  per_submit += growth * WARM_UP * 0.9;

  /* Ends spread evenly from MAX_MS after the projected end of the submissions (`first_plan`, on
   * the generous side) down to MIN_MS after it, submitted latest-ending first: each operation
   * takes the next step down towards the bottom, MIN_MS after the end of the submissions as
   * projected now (from the last 50 submits), the steps shared out over the operations left. */
  t0 = now();
  first_plan = t0 + remaining_submits(n_ops, per_submit, growth, 1.5);
  bottom = first_plan;
  for (i = 0; i < n_ops; i++) {
    double sent = now(), end_s;
    long duration_ms;
    if (i >= 50 && i % 50 == 0) {
      double recent = 0;
      for (long j = i - 50; j < i; j++) recent += rtt[j] / 50.0;
      bottom = sent + remaining_submits(n_ops - i, recent, growth, 1.1);
    }
    end_s = i == 0 ? first_plan + (double)max_ms / 1e3
                   : ops[i - 1].end - (ops[i - 1].end - (bottom + (double)min_ms / 1e3)) / (double)(n_ops - i);
    duration_ms = (long)((end_s - sent) * 1e3);
    if (duration_ms < 0) duration_ms = 0;
    submit(duration_ms, ops[i].id);
    rtt[i] = now() - sent;
    if (rtt[i] > rtt_max) rtt_max = rtt[i];
    ops[i].end = sent + (double)duration_ms / 1e3;
  }
  deadline = ops[0].end + GRACE_S;
  for (i = 1; i < n_ops; i++)
    if (ops[i].end + GRACE_S > deadline) deadline = ops[i].end + GRACE_S;
  printf("mode=%s\nn=%ld\nwait_threads=%ld\n", mode, n_ops, strcmp(mode, "any") == 0 ? nthreads : n_ops);
  printf("submit_s=%.3f\nsubmit_planned_s=%.3f\n", now() - t0, first_plan - t0);
  qsort(rtt, (size_t)n_ops, sizeof *rtt, by_value);
  printf("submit_rtt_median_ms=%.2f\nsubmit_rtt_max_ms=%.2f\n", quantile(rtt, n_ops, 0.5) * 1e3, rtt_max * 1e3);
  proc_status(NULL, &rss0, NULL);

  /* The waits. */
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, STACK_BYTES);
  start = now();
  cpu0 = cpu_seconds();
  if (strcmp(mode, "any") == 0) {
    shares = (struct share *)malloc(sizeof *shares * (size_t)nthreads);
    if (!shares) return 1;
  } else {
    nthreads = n_ops;
  }
  for (i = 0; i < nthreads; i++) {
    int rc;
    void *(*fn)(void *) = mode[0] == 'b' ? poll_one : mode[0] == 'w' ? wait_one : wait_share;
    void *arg = &ops[i];
    if (shares) {
      shares[i].first = i;
      shares[i].step = nthreads;
      arg = &shares[i];
    }
    rc = pthread_create(&tids[i], &attr, fn, arg);
    if (rc != 0) {
      fprintf(stderr, "waitbench: thread %ld of %ld could not be started: %s\n", i + 1, nthreads, strerror(rc));
      printf("failed=threads\nthreads_started=%ld\n", i);
      fflush(stdout);
      _Exit(3);
    }
  }
  spawned = now();
  /* Sample threads and memory until every waiter has returned. */
  while (atomic_load(&finished) < n_ops) {
    long threads = 0;
    proc_status(&threads, NULL, NULL);
    if (threads > peak_threads) peak_threads = threads;
    sleep_s(0.05);
  }
  for (i = 0; i < nthreads; i++) pthread_join(tids[i], NULL);
  proc_status(NULL, NULL, &hwm);

  for (i = 0; i < n_ops; i++) {
    if (ops[i].called > joined) joined = ops[i].called;
    if (ops[i].returned > end) end = ops[i].returned;
  }
  {
    long k = 0, timeouts = 0, before_called = 0;
    for (i = 0; i < n_ops; i++) {
      if (ops[i].status == WF_TIMEOUT) {
        timeouts++; /* not returned by the common deadline */
      } else if (ops[i].status != WF_OK) {
        errors++;
      } else if (ops[i].end < start) {
        late++; /* ended before the waits began: the plan failed, no notice delay to speak of */
      } else {
        if (ops[i].end < ops[i].called) before_called++; /* its waiter ran too late to be in time */
        delays[k++] = ops[i].returned - ops[i].end;
      }
    }
    qsort(delays, (size_t)k, sizeof *delays, by_value);
    printf("delay_count=%ld\ndelay_median_ms=%.1f\ndelay_p99_ms=%.1f\ndelay_max_ms=%.1f\n", k,
           quantile(delays, k, 0.5) * 1e3, quantile(delays, k, 0.99) * 1e3, k > 0 ? delays[k - 1] * 1e3 : 0.0);
    printf("delay_min_ms=%.1f\ntimed_out=%ld\nended_before_its_waiter_ran=%ld\n", k > 0 ? delays[0] * 1e3 : 0.0,
           timeouts, before_called);
  }
  printf("ended_before_waits_began=%ld\nerrors=%ld\n", late, errors);
  printf("peak_threads=%ld\nrss_before_wait_kib=%ld\npeak_rss_kib=%ld\n", peak_threads, rss0, hwm);
  printf("cpu_wait_s=%.2f\ncpu_total_s=%.2f\n", cpu_seconds() - cpu0, cpu_seconds());
  /* The window, in Unix epoch ms: waits starting, all waiters in, the last one out. */
  printf("wait_start_ms=%.0f\nspawned_ms=%.0f\nall_joined_ms=%.0f\nwait_end_ms=%.0f\n", (start + clock_offset) * 1e3,
         (spawned + clock_offset) * 1e3, (joined + clock_offset) * 1e3, (end + clock_offset) * 1e3);
  {
    double first_end = ops[0].end, last_end = ops[0].end;
    for (i = 1; i < n_ops; i++) {
      if (ops[i].end < first_end) first_end = ops[i].end;
      if (ops[i].end > last_end) last_end = ops[i].end;
    }
    printf("first_end_ms=%.0f\nlast_end_ms=%.0f\n", (first_end + clock_offset) * 1e3, (last_end + clock_offset) * 1e3);
  }
  wf_client_free(client);
  return 0; /* the figures say how the waits ended */
}

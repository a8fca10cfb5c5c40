/* olconnect_wf.hpp: a header-only C++17 wrapper of olconnect_wf.h.
 *
 * It covers the whole C surface: RAII owners (move-only) of every handle (wf::Client and its
 * views, wf::Result, wf::Abort, wf::Data), exceptions for every failure (wf::Error carries the
 * status, the HTTP status and the message), std::vector / std::string results, std::function
 * callbacks. An exception thrown inside a callback is carried across the C library (never
 * unwound through it) and rethrown from the call that ran the callback.
 *
 *   wf::Client client("http://localhost:9340");
 *   client.login("ol-admin", "secret");
 *   std::string data_id = client.upload(wf::Data::file("invoices.csv"));
 *   std::string op = client.submit(config_json_naming(data_id));
 *   client.wait(op, std::chrono::minutes(10), [](int percent) { std::cout << percent << "%\n"; });
 *   wf::Result info = client.get_result_to_file(op, "out.pdf");
 *   client.delete_managed(data_id);
 *
 * examples/fetch_result.cpp is the main job in full (a view with an abort switch for Ctrl-C and
 * a byte progress bar).
 *
 * Supported: C++17 and later (the C header itself is C99 and C++11 clean). */
#ifndef OLCONNECT_WF_HPP
#define OLCONNECT_WF_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "olconnect_wf.hpp needs C++17 or later; C programs include olconnect_wf.h"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "olconnect_wf.h"

namespace wf {

/** A failed call: the status, the HTTP status of the exchange (0 if none) and the library's
 *  message (what happened, the server's words, what to do; never a secret). */
class Error : public std::runtime_error {
 public:
  Error(wf_status status, int http_status, const std::string &message)
      : std::runtime_error(message), status_(status), http_status_(http_status) {}
  wf_status status() const noexcept { return status_; }
  int http_status() const noexcept { return http_status_; }
  /** The status's name, e.g. "WF_NOT_FOUND". */
  const char *status_name() const noexcept { return wf_status_name(static_cast<int32_t>(status_)); }

 private:
  wf_status status_;
  int http_status_;
};

/** What the body of a result holds (X-Result-Type). */
enum class ResultType : int32_t {
  Unknown = WF_RESULT_UNKNOWN,
  DataSetId = WF_RESULT_DATA_SET_ID,
  ContentSetId = WF_RESULT_CONTENT_SET_ID,
  JobSetId = WF_RESULT_JOB_SET_ID,
  OutputStreamed = WF_RESULT_OUTPUT_STREAMED,
  OutputPaths = WF_RESULT_OUTPUT_PATHS,
  OutputManaged = WF_RESULT_OUTPUT_MANAGED,
};

/** What an upload is (wf_resource_kind); FromName chooses from the file name. */
enum class ResourceKind : int32_t {
  FromName = static_cast<int32_t>(WF_RESOURCE_FROM_NAME),
  DataFile = WF_RESOURCE_DATA_FILE,
  DataMapping = WF_RESOURCE_DATA_MAPPING,
  Template = WF_RESOURCE_TEMPLATE,
  JobPreset = WF_RESOURCE_JOB_PRESET,
  OutputPreset = WF_RESOURCE_OUTPUT_PRESET,
};

/** Bytes a call has moved: of the download (received, and its total when the server announced
 *  one) and of the upload (sent, and its total when known). */
struct Transfer {
  std::uint64_t received;
  std::optional<std::uint64_t> total;
  std::uint64_t sent;
  std::optional<std::uint64_t> send_total;
};

/** One ad-hoc All-In-One job (wf_adhoc_job): its resources by File Store id or name, and options. */
struct AdhocJob {
  std::string data_mapping;
  std::string template_name;
  std::optional<std::string> job_preset;  // none: no job creation preset
  std::string output_preset;
  bool create_only = false;
  bool result_as_text = false;
  std::optional<std::string> print_range;  // e.g. "1-5,8"; none: all records
  std::optional<std::string> filename;     // the data file's name on the server
};

/** How the first operation to end in Client::wait_any ended: its index in the list given, and
 *  its failure (none: it finished). */
struct Ended {
  std::size_t index;
  std::optional<Error> error;
};

/** The library's version, e.g. "0.1.0". */
inline const char *version() noexcept { return wf_version(); }

/** The name of a log level, e.g. "WF_LOG_WARN". */
inline const char *level_name(wf_log_level level) noexcept { return wf_log_level_name(static_cast<int32_t>(level)); }

/** The progress of an operation. */
struct Progress {
  int percent;
  bool done;
};

namespace detail {

/** The exception a callback threw on this thread, waiting to be rethrown after the C call. */
inline std::exception_ptr &pending() {
  thread_local std::exception_ptr error;
  return error;
}

/** Rethrows a callback's exception, else throws wf::Error for a failed status. */
inline void check(wf_status status) {
  if (std::exception_ptr error = std::exchange(pending(), nullptr)) std::rethrow_exception(error);
  if (status != WF_OK) throw Error(status, wf_last_http_status(), wf_last_error_message());
}

/** Runs a callback body; an exception is kept for the caller and the C call is told to stop. */
template <typename F>
int32_t guarded(F &&body) noexcept {
  try {
    return body() ? 0 : 1;
  } catch (...) {
    pending() = std::current_exception();
    return 1;
  }
}

struct ClientFree {
  void operator()(wf_client *c) const noexcept { wf_client_free(c); }
};
struct ResultFree {
  void operator()(wf_result *r) const noexcept { wf_result_free(r); }
};
struct AbortFree {
  void operator()(wf_abort *a) const noexcept { wf_abort_free(a); }
};
struct DataFree {
  void operator()(wf_data *d) const noexcept { wf_data_free(d); }
};

using WriteFn = std::function<void(const std::uint8_t *, std::size_t)>;

/** What a wf_write_fn hands to a WriteFn, and how many bytes it handed. */
struct Sink {
  const WriteFn *write;
  std::uint64_t total;
  static int32_t call(void *user, const std::uint8_t *chunk, std::size_t len) noexcept {
    return guarded([&] {
      auto *s = static_cast<Sink *>(user);
      (*s->write)(chunk, len);
      s->total += len;
      return true;
    });
  }
};

inline std::optional<std::uint64_t> total(int64_t n) noexcept {
  return n >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(n)) : std::nullopt;
}

/** A wf_adhoc_job pointing into an AdhocJob, valid while it lives. */
inline wf_adhoc_job adhoc(const AdhocJob &job) noexcept {
  wf_adhoc_job c{};
  c.data_mapping = job.data_mapping.c_str();
  c.template_name = job.template_name.c_str();
  c.job_preset = job.job_preset ? job.job_preset->c_str() : nullptr;
  c.output_preset = job.output_preset.c_str();
  c.create_only = job.create_only;
  c.result_as_text = job.result_as_text;
  c.print_range = job.print_range ? job.print_range->c_str() : nullptr;
  c.filename = job.filename ? job.filename->c_str() : nullptr;
  return c;
}

inline std::vector<const char *> c_strings(const std::vector<std::string> &ops) {
  std::vector<const char *> out;
  out.reserve(ops.size());
  for (const auto &op : ops) out.push_back(op.c_str());
  return out;
}

inline uint32_t millis(std::chrono::milliseconds d) {
  if (d.count() <= 0) return 0;
  return d.count() > 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<uint32_t>(d.count());
}

/** Calls a function of the buffer protocol until the buffer is large enough. */
template <typename F>
std::string text(F &&call) {
  std::string buf(4096, '\0');
  for (;;) {
    size_t len = buf.size();
    wf_status st = call(&buf[0], &len);
    if (st == WF_BUFFER_TOO_SMALL) {
      buf.assign(len, '\0');
      continue;
    }
    check(st);
    buf.resize(len > 0 ? len - 1 : 0);  // the length counts the NUL
    return buf;
  }
}

}  // namespace detail

/** A fetched result (owns a wf_result). Move-only. */
class Result {
 public:
  explicit Result(wf_result *r) : r_(r) {}
  const std::uint8_t *data() const noexcept { return wf_result_data(r_.get(), nullptr); }
  std::size_t size() const noexcept {
    std::size_t n = 0;
    wf_result_data(r_.get(), &n);
    return n;
  }
  std::vector<std::uint8_t> bytes() const { return std::vector<std::uint8_t>(data(), data() + size()); }
  std::string text() const { return std::string(reinterpret_cast<const char *>(data()), size()); }
  ResultType type() const noexcept { return static_cast<ResultType>(wf_result_type_of(r_.get())); }
  std::optional<std::int64_t> data_set_id() const noexcept { return id(wf_result_data_set_id(r_.get())); }
  std::optional<std::int64_t> content_set_id() const noexcept { return id(wf_result_content_set_id(r_.get())); }
  std::optional<std::int64_t> job_set_id() const noexcept { return id(wf_result_job_set_id(r_.get())); }
  std::vector<std::string> paths() const {
    std::vector<std::string> out;
    std::size_t n = wf_result_path_count(r_.get());
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.emplace_back(wf_result_path(r_.get(), i));
    return out;
  }

 private:
  static std::optional<std::int64_t> id(std::int64_t v) noexcept { return v >= 0 ? std::optional<std::int64_t>(v) : std::nullopt; }
  std::unique_ptr<wf_result, detail::ResultFree> r_;
};

/** A switch that stops the calls of client views made with it (see Client::with_controls).
 *  trigger() is safe from any thread and from a signal handler. Move-only. */
class Abort {
 public:
  Abort() {
    wf_abort *a = nullptr;
    detail::check(wf_abort_new(&a));
    a_.reset(a);
  }
  void trigger() const noexcept { wf_abort_trigger(a_.get()); }
  bool triggered() const noexcept { return wf_abort_is_triggered(a_.get()); }
  void reset() const noexcept { wf_abort_reset(a_.get()); }
  const wf_abort *get() const noexcept { return a_.get(); }

 private:
  std::unique_ptr<wf_abort, detail::AbortFree> a_;
};

/** The bytes an upload or an ad-hoc job sends (owns a wf_data): a file, memory, or a read
 *  function. Used by one call at a time; move-only. A file is read when sent (and again for the
 *  one replay a re-login may need); a reader is read once. */
class Data {
 public:
  /** Fills `buf` with up to `capacity` bytes and returns how many; 0 at the end, and only there.
   *  What it throws comes out of the call that sends the data. */
  using ReadFn = std::function<std::size_t(std::uint8_t *buf, std::size_t capacity)>;

  /** The file at `path`, checked now (wf::Error WF_IO_ERROR when it cannot be read). */
  static Data file(const std::string &path) {
    wf_data *d = nullptr;
    detail::check(wf_data_from_file(path.c_str(), &d));
    return Data(d, nullptr);
  }
  /** These bytes, kept by the Data (moving the Data keeps them where they are). */
  static Data memory(std::vector<std::uint8_t> bytes) {
    auto owned = std::make_unique<Source>();
    owned->bytes = std::move(bytes);
    wf_data *d = nullptr;
    detail::check(wf_data_from_buffer(owned->bytes.data(), owned->bytes.size(), &d));
    return Data(d, std::move(owned));
  }
  /** The caller's `size` bytes at `bytes`, not copied: they must outlive the Data. */
  static Data view(const void *bytes, std::size_t size) {
    wf_data *d = nullptr;
    detail::check(wf_data_from_buffer(static_cast<const std::uint8_t *>(bytes), size, &d));
    return Data(d, nullptr);
  }
  /** Bytes read by `read` when they are sent: `length` of them, or an unknown length (sent
   *  chunked) when none is given. A reader that gives fewer or more bytes than announced stops
   *  the call with WF_IO_ERROR. */
  static Data reader(ReadFn read, std::optional<std::uint64_t> length = std::nullopt) {
    if (length && *length > static_cast<std::uint64_t>(INT64_MAX)) {
      throw Error(WF_INVALID_ARGUMENT, 0, "the length of the data is over 2^63 - 1 bytes");
    }
    auto owned = std::make_unique<Source>();
    owned->read = std::move(read);
    wf_data *d = nullptr;
    detail::check(wf_data_from_reader(&Data::read_trampoline, owned.get(), length ? static_cast<int64_t>(*length) : -1, &d));
    return Data(d, std::move(owned));
  }

  /** The C handle. */
  wf_data *get() const noexcept { return d_.get(); }

 private:
  struct Source {
    std::vector<std::uint8_t> bytes;
    ReadFn read;
  };

  Data(wf_data *d, std::unique_ptr<Source> source) : source_(std::move(source)), d_(d) {}

  static int64_t read_trampoline(void *user, std::uint8_t *buf, std::size_t capacity) noexcept {
    try {
      std::size_t n = static_cast<Source *>(user)->read(buf, capacity);
      return n <= capacity ? static_cast<int64_t>(n) : -1;
    } catch (...) {
      detail::pending() = std::current_exception();
      return -1;
    }
  }

  // Declared before the handle: destroyed after it, so the library never reads freed bytes.
  std::unique_ptr<Source> source_;
  std::unique_ptr<wf_data, detail::DataFree> d_;
};

/** A client of one OL Connect server (owns a wf_client). Thread-safe; move-only. */
class Client {
 public:
  using TransferFn = std::function<bool(const Transfer &)>;
  using LogFn = std::function<void(wf_log_level, std::string_view)>;

  explicit Client(const std::string &base_url) : logs_(std::make_shared<Logs>()) {
    wf_client *c = nullptr;
    detail::check(wf_client_new(base_url.c_str(), &c));
    c_.reset(c);
  }

  // -- credentials and options ---------------------------------------------------------------
  void login(const std::string &user, const std::string &password) { detail::check(wf_client_login(get(), user.c_str(), password.c_str())); }
  void set_basic_auth(const std::string &user, const std::string &password) {
    detail::check(wf_client_set_basic_auth(get(), user.c_str(), password.c_str()));
  }
  void set_token(const std::string &token) { detail::check(wf_client_set_token(get(), token.c_str())); }
  void clear_auth() { detail::check(wf_client_clear_auth(get())); }
  void set_timeouts(std::chrono::milliseconds connect, std::chrono::milliseconds read) {
    detail::check(wf_client_set_timeouts(get(), detail::millis(connect), detail::millis(read)));
  }
  void set_tls_ca_file(const std::optional<std::string> &pem_path) {
    detail::check(wf_client_set_tls_ca_file(get(), pem_path ? pem_path->c_str() : nullptr));
  }
  void set_tls_insecure(bool insecure) { detail::check(wf_client_set_tls_insecure(get(), insecure)); }
  void set_proxy(const std::optional<std::string> &url) { detail::check(wf_client_set_proxy(get(), url ? url->c_str() : nullptr)); }
  void set_durable_files(bool durable) { detail::check(wf_client_set_durable_files(get(), durable)); }
  void set_kept_body_limit(std::size_t bytes) { detail::check(wf_client_set_kept_body_limit(get(), bytes)); }
  void set_max_concurrent(uint32_t max) { detail::check(wf_client_set_max_concurrent(get(), max)); }
  /** How a request that is safe to repeat is sent again after a transient failure (attempts,
   *  the first included; the longest pause). */
  void set_retry(uint32_t max_attempts, std::chrono::milliseconds max_backoff) {
    detail::check(wf_client_set_retry(get(), max_attempts, detail::millis(max_backoff)));
  }
  /** Retries made by this client and its views. */
  uint64_t retry_count() const {
    uint64_t n = 0;
    detail::check(wf_client_retry_count(get(), &n));
    return n;
  }
  /** How long a wait goes on while the server cannot be asked (0: no limit). */
  void set_outage_limit(std::chrono::milliseconds limit) { detail::check(wf_client_set_outage_limit(get(), detail::millis(limit))); }
  /** Whose names the hints of messages use (WF_LANGUAGE_C by default). */
  void set_message_language(wf_language language) { detail::check(wf_client_set_message_language(get(), language)); }

  /** Log lines of this client and its views (never a secret); an empty function turns logging
   *  off. The function is called from the threads that make calls; what it throws is ignored. */
  void set_log(LogFn log) {
    // Every function ever installed lives as long as the client and its views: another thread
    // may still be inside the one being replaced.
    std::lock_guard<std::mutex> lock(logs_->mutex);
    LogFn *raw = nullptr;
    if (log) {
      logs_->installed.push_back(std::make_unique<LogFn>(std::move(log)));
      raw = logs_->installed.back().get();
    }
    detail::check(wf_client_set_log(get(), raw ? &Client::log_trampoline : nullptr, raw));
  }

  /** A view of this client (same connections, credentials and kept bodies) whose every call
   *  stops when `abort` is triggered, fails with WF_TIMEOUT past `timeout` (0: none), and
   *  reports bytes to `on_transfer` (false from it stops the call). */
  Client with_controls(const Abort *abort, std::chrono::milliseconds timeout = std::chrono::milliseconds(0),
                       TransferFn on_transfer = {}) const {
    auto owned = on_transfer ? std::make_shared<TransferFn>(std::move(on_transfer)) : nullptr;
    wf_client *view = nullptr;
    detail::check(wf_client_with_controls(get(), abort ? abort->get() : nullptr, detail::millis(timeout),
                                          owned ? &Client::transfer_trampoline : nullptr, owned.get(), &view));
    Client c(view, logs_);
    c.transfer_ = std::move(owned);
    return c;
  }

  // -- results ---------------------------------------------------------------------------------
  std::vector<std::uint8_t> get_result(const std::string &op) { return get_result_ex(op).bytes(); }
  Result get_result_ex(const std::string &op) {
    wf_result *r = nullptr;
    detail::check(wf_get_result_ex(get(), op.c_str(), &r));
    return Result(r);
  }
  /** The result streamed to `path` (complete or absent); its type and set IDs. */
  Result get_result_to_file(const std::string &op, const std::string &path) {
    wf_result *r = nullptr;
    detail::check(wf_get_result_to_file_ex(get(), op.c_str(), path.c_str(), &r));
    return Result(r);
  }
  /** Hands the result to `write` chunk by chunk; returns the byte count. */
  std::uint64_t stream_result(const std::string &op, const detail::WriteFn &write) {
    detail::Sink sink{&write, 0};
    detail::check(wf_get_result_stream(get(), op.c_str(), &detail::Sink::call, &sink));
    return sink.total;
  }
  std::string get_result_text(const std::string &op) {
    return detail::text([&](char *b, size_t *n) { return wf_get_result_text(get(), op.c_str(), b, n); });
  }
  std::string managed_result(const std::string &op) {
    return detail::text([&](char *b, size_t *n) { return wf_get_managed_result(get(), op.c_str(), b, n); });
  }
  void download_managed(const std::string &file_id, const std::string &path, const std::optional<std::string> &file_name = std::nullopt) {
    detail::check(wf_download_managed(get(), file_id.c_str(), file_name ? file_name->c_str() : nullptr, path.c_str()));
  }

  // -- workflow ----------------------------------------------------------------------------------
  std::string submit(const std::string &config_json) {
    char id[WF_OPERATION_ID_CAPACITY];
    size_t len = sizeof id;
    detail::check(wf_submit(get(), config_json.c_str(), id, &len));
    return std::string(id, len > 0 ? len - 1 : 0);
  }
  Progress progress(const std::string &op) {
    int32_t percent = 0;
    bool done = false;
    detail::check(wf_get_progress(get(), op.c_str(), &percent, &done));
    return Progress{percent, done};
  }
  /** Waits until the operation has finished, calling `on_progress` with each new percentage. */
  void wait(const std::string &op, std::chrono::milliseconds timeout = std::chrono::milliseconds(0),
            const std::function<void(int)> &on_progress = {}) {
    auto trampoline = [](void *user, int32_t percent) -> int32_t {
      return detail::guarded([&] {
        (*static_cast<const std::function<void(int)> *>(user))(percent);
        return true;
      });
    };
    detail::check(wf_wait(get(), op.c_str(), detail::millis(timeout), on_progress ? +trampoline : nullptr,
                          const_cast<std::function<void(int)> *>(&on_progress)));
  }
  /** Waits until the first of `ops` ends: its index, and its failure if it did not finish.
   *  Throws wf::Error when the wait itself ends first (timeout, abort switch, invalid id). */
  Ended wait_any(const std::vector<std::string> &ops, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    std::vector<const char *> ids = detail::c_strings(ops);
    std::size_t index = ops.size();
    wf_status st = wf_wait_any(get(), ids.data(), ids.size(), detail::millis(timeout), &index);
    if (index >= ops.size()) {
      detail::check(st);  // the wait ended first: a callback's exception, else its status
      throw Error(WF_INTERNAL_ERROR, 0, "wait_any ended with neither an operation nor a failure: a bug, please report it");
    }
    detail::check(WF_OK);  // a callback's exception, if any
    if (st == WF_OK) return Ended{index, std::nullopt};
    return Ended{index, Error(st, wf_last_http_status(), wf_last_error_message())};
  }
  /** Waits until every one of `ops` has ended; throws wf::Error for the first (in the order
   *  given) that did not finish, naming it, or when the wait itself ends first. */
  void wait_all(const std::vector<std::string> &ops, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    std::vector<const char *> ids = detail::c_strings(ops);
    detail::check(wf_wait_all(get(), ids.data(), ids.size(), detail::millis(timeout)));
  }
  void cancel(const std::string &op) { detail::check(wf_cancel(get(), op.c_str())); }

  // -- the File Store and ad-hoc jobs ----------------------------------------------------------
  /** Uploads `data` to the File Store; returns its Managed File ID. `filename` names it (none:
   *  the file's own name); `persistent` files are never removed by the server's clean-up. */
  std::string upload(const Data &data, ResourceKind kind = ResourceKind::FromName,
                     const std::optional<std::string> &filename = std::nullopt, bool persistent = false) {
    char id[WF_FILE_ID_CAPACITY];
    size_t len = sizeof id;
    detail::check(wf_upload(get(), static_cast<wf_resource_kind>(kind), data.get(), filename ? filename->c_str() : nullptr,
                            persistent, id, &len));
    return std::string(id, len > 0 ? len - 1 : 0);
  }
  /** Deletes a managed file or folder; the server's answer (true: deleted). */
  bool delete_managed(const std::string &file_id) {
    bool deleted = false;
    detail::check(wf_delete_managed(get(), file_id.c_str(), &deleted));
    return deleted;
  }
  /** Whether a managed file or folder exists (servers 2023.2 and later). */
  bool managed_exists(const std::string &file_id) {
    bool exists = false;
    detail::check(wf_managed_exists(get(), file_id.c_str(), &exists));
    return exists;
  }
  /** Starts an ad-hoc job on `data`; its operation id, for wait, the results and cancel. */
  std::string submit_adhoc(const AdhocJob &job, const Data &data) {
    wf_adhoc_job c = detail::adhoc(job);
    char id[WF_OPERATION_ID_CAPACITY];
    size_t len = sizeof id;
    detail::check(wf_submit_adhoc(get(), &c, data.get(), id, &len));
    return std::string(id, len > 0 ? len - 1 : 0);
  }
  /** Runs an ad-hoc job and gives its whole result in memory. */
  Result run_adhoc(const AdhocJob &job, const Data &data) {
    wf_adhoc_job c = detail::adhoc(job);
    wf_result *r = nullptr;
    detail::check(wf_run_adhoc_ex(get(), &c, data.get(), &r));
    return Result(r);
  }
  /** Runs an ad-hoc job and streams its result to `path` (complete or absent); its type and IDs. */
  Result run_adhoc_to_file(const AdhocJob &job, const Data &data, const std::string &path) {
    wf_adhoc_job c = detail::adhoc(job);
    wf_result *r = nullptr;
    detail::check(wf_run_adhoc_to_file(get(), &c, data.get(), path.c_str(), &r));
    return Result(r);
  }
  /** Runs an ad-hoc job and hands its result to `write` chunk by chunk; returns the byte count. */
  std::uint64_t run_adhoc_stream(const AdhocJob &job, const Data &data, const detail::WriteFn &write) {
    wf_adhoc_job c = detail::adhoc(job);
    detail::Sink sink{&write, 0};
    detail::check(wf_run_adhoc_stream(get(), &c, data.get(), &detail::Sink::call, &sink));
    return sink.total;
  }
  std::string operations() {
    return detail::text([&](char *b, size_t *n) { return wf_get_operations(get(), b, n); });
  }
  std::string server_version() {
    return detail::text([&](char *b, size_t *n) { return wf_server_version(get(), b, n); });
  }

  /** The C handle, for functions this wrapper does not cover. */
  wf_client *get() const noexcept { return c_.get(); }

 private:
  struct Logs {
    std::mutex mutex;
    std::vector<std::unique_ptr<LogFn>> installed;
  };

  Client(wf_client *c, std::shared_ptr<Logs> logs) : logs_(std::move(logs)), c_(c) {}

  static int32_t transfer_trampoline(void *user, const wf_transfer *t) {
    return detail::guarded([&] {
      Transfer info{t->received, detail::total(t->receive_total), t->sent, detail::total(t->send_total)};
      return (*static_cast<TransferFn *>(user))(info);
    });
  }

  static void log_trampoline(void *user, wf_log_level level, const char *message) {
    try {
      (*static_cast<LogFn *>(user))(level, std::string_view(message));
    } catch (...) {
      // A log function must never disturb the call it reports on.
    }
  }

  // Declared before the handle: destroyed after it, so no callback outlives its function.
  std::shared_ptr<TransferFn> transfer_;
  std::shared_ptr<Logs> logs_;
  std::unique_ptr<wf_client, detail::ClientFree> c_;
};

}  // namespace wf

#endif /* OLCONNECT_WF_HPP */

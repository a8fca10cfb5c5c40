/* olconnect_wf.hpp: a header-only C++17 wrapper of olconnect_wf.h.
 *
 * RAII owners (move-only) of every handle, exceptions for every failure (wf::Error carries the
 * status, the HTTP status and the message), std::vector / std::string results, std::function
 * callbacks. An exception thrown inside a callback is carried across the C library (never
 * unwound through it) and rethrown from the call that ran the callback.
 *
 *   wf::Client client("http://localhost:9340");
 *   client.login("ol-admin", "secret");
 *   std::string op = client.submit(config_json);
 *   client.wait(op, std::chrono::minutes(10), [](int percent) { std::cout << percent << "%\n"; });
 *   wf::Result info = client.get_result_to_file(op, "out.pdf");
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

/** Bytes of a download received so far, and its total when the server announced one. */
struct Transfer {
  std::uint64_t received;
  std::optional<std::uint64_t> total;
};

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
  std::uint64_t stream_result(const std::string &op, const std::function<void(const std::uint8_t *, std::size_t)> &write) {
    struct Sink {
      const std::function<void(const std::uint8_t *, std::size_t)> *write;
      std::uint64_t total;
    } sink{&write, 0};
    auto trampoline = [](void *user, const std::uint8_t *chunk, std::size_t len) -> int32_t {
      return detail::guarded([&] {
        auto *s = static_cast<Sink *>(user);
        (*s->write)(chunk, len);
        s->total += len;
        return true;
      });
    };
    detail::check(wf_get_result_stream(get(), op.c_str(), trampoline, &sink));
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
  void cancel(const std::string &op) { detail::check(wf_cancel(get(), op.c_str())); }
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
      Transfer info{t->received, t->receive_total >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(t->receive_total))
                                                        : std::nullopt};
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

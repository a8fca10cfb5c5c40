// The C++ wrapper (olconnect_wf.hpp) against the simulator: RAII and move-only handles,
// wf::Error with status, HTTP status and message, vector/string results, std::function
// callbacks whose exceptions come back out of the call, views with an abort switch and a
// transfer callback, the log function, uploads (file, memory, reader), delete and exists,
// ad-hoc runs, wait_any and wait_all. Built as C++17 and C++20 with -Wall -Wextra -Werror, and
// with the address and undefined-behaviour sanitizers.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>
#include <type_traits>

#include "olconnect_wf.hpp"

static int passed = 0, failed = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++passed;                                                                \
    } else {                                                                   \
      ++failed;                                                                \
      std::cerr << __FILE__ << ":" << __LINE__ << ": CHECK(" #cond ") failed\n"; \
    }                                                                          \
  } while (0)

static_assert(!std::is_copy_constructible_v<wf::Client>, "a client is move-only");
static_assert(std::is_nothrow_move_constructible_v<wf::Client>, "a client moves without throwing");
static_assert(!std::is_copy_constructible_v<wf::Result>, "a result is move-only");
static_assert(!std::is_copy_constructible_v<wf::Abort>, "a switch is move-only");
static_assert(!std::is_copy_constructible_v<wf::Data>, "data is move-only");
static_assert(std::is_nothrow_move_constructible_v<wf::Data>, "data moves without throwing");
static_assert(std::is_same_v<std::underlying_type_t<wf::ResourceKind>, int32_t>, "kinds are wf_resource_kind values");

static std::string config(const std::string &params) {
  return "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},"
         "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},"
         "\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"parameters\":{" +
         params + "}},\"returnIdInHeader\":true}";
}

static const std::string CSV = "id,name,amount\n1,Alice,10.00\n2,Bob,20.00\n";

template <typename F>
static wf_status status_of(F &&call) {
  try {
    call();
    return WF_OK;
  } catch (const wf::Error &e) {
    return e.status();
  }
}

// Uploads from a file, memory (owned, and a view of the caller's bytes) and a reader, with and
// without a length; exists and delete; bytes sent reported to a view; a reader's exception.
static void test_uploads(wf::Client &client) {
  const std::string path = "/tmp/wf-cpp-upload-" + std::to_string(::getpid()) + ".csv";
  std::ofstream(path) << CSV;
  std::string from_file = client.upload(wf::Data::file(path));
  std::remove(path.c_str());
  CHECK(client.managed_exists(from_file));
  CHECK(client.delete_managed(from_file));
  CHECK(!client.managed_exists(from_file));

  std::vector<std::uint8_t> bytes(CSV.begin(), CSV.end());
  wf::Data owned = wf::Data::memory(bytes);
  wf::Data moved = std::move(owned);  // the bytes stay where the library was told they are
  std::string from_memory = client.upload(moved, wf::ResourceKind::DataFile, std::string("memory.csv"), true);
  CHECK(!from_memory.empty() && client.managed_exists(from_memory));
  CHECK(client.delete_managed(from_memory));
  std::string from_view = client.upload(wf::Data::view(CSV.data(), CSV.size()), wf::ResourceKind::FromName, std::string("view.csv"));
  CHECK(client.delete_managed(from_view));

  // A reader, announced and chunked; a view sees the bytes sent.
  for (bool announced : {true, false}) {
    std::size_t at = 0;
    auto read = [&](std::uint8_t *buf, std::size_t capacity) {
      std::size_t n = std::min(capacity, CSV.size() - at);
      std::memcpy(buf, CSV.data() + at, n);
      at += n;
      return n;
    };
    std::uint64_t sent = 0;
    std::optional<std::uint64_t> send_total;
    wf::Client view = client.with_controls(nullptr, std::chrono::seconds(30), [&](const wf::Transfer &t) {
      sent = t.sent;
      send_total = t.send_total;
      return true;
    });
    std::optional<std::uint64_t> length;
    if (announced) length = CSV.size();
    std::string id = view.upload(wf::Data::reader(read, length), wf::ResourceKind::FromName, std::string("reader.csv"));
    CHECK(at == CSV.size() && sent == CSV.size());
    CHECK(announced ? send_total == std::optional<std::uint64_t>(CSV.size()) : !send_total.has_value());
    CHECK(client.delete_managed(id));
  }

  // A reader that gives less than it announced; one that throws: its exception comes out.
  auto short_read = [](std::uint8_t *buf, std::size_t) {
    buf[0] = 'x';
    static bool once = false;
    return std::exchange(once, true) ? std::size_t(0) : std::size_t(1);
  };
  CHECK(status_of([&] { client.upload(wf::Data::reader(short_read, 100), wf::ResourceKind::FromName, std::string("short.csv")); }) ==
        WF_IO_ERROR);
  struct Unreadable : std::runtime_error {
    Unreadable() : std::runtime_error("unreadable") {}
  };
  try {
    client.upload(wf::Data::reader([](std::uint8_t *, std::size_t) -> std::size_t { throw Unreadable(); }),
                  wf::ResourceKind::FromName, std::string("throws.csv"));
    CHECK(false);
  } catch (const Unreadable &) {
    CHECK(true);
  }
  try {
    client.upload(wf::Data::memory({}), wf::ResourceKind::FromName, std::string("empty.csv"));
    CHECK(false);
  } catch (const wf::Error &e) {
    CHECK(e.status() == WF_INVALID_ARGUMENT && e.http_status() == 0 && std::string(e.what()).find("empty") != std::string::npos);
  }
  try {
    client.delete_managed("no-such-file");
    CHECK(false);
  } catch (const wf::Error &e) {
    CHECK(e.status() == WF_NOT_FOUND && e.http_status() == 404);
  }
}

// Ad-hoc jobs: asynchronous (then wait and fetch) and the three synchronous runs.
static void test_adhoc(wf::Client &client) {
  wf::AdhocJob job;
  job.data_mapping = "Invoice.OL-datamapper";
  job.template_name = "Invoice.OL-template";
  job.output_preset = "Invoice-PDF.OL-outputpreset";
  wf::Data data = wf::Data::view(CSV.data(), CSV.size());
  std::string op = client.submit_adhoc(job, data);
  client.wait(op, std::chrono::seconds(60));
  std::vector<std::uint8_t> result = client.get_result(op);
  CHECK(!result.empty());

  wf::Result in_memory = client.run_adhoc(job, data);
  CHECK(in_memory.size() > 0 && in_memory.data() != nullptr);
  std::uint64_t streamed = client.run_adhoc_stream(job, data, [](const std::uint8_t *, std::size_t) {});
  CHECK(streamed == in_memory.size());
  const std::string path = "/tmp/wf-cpp-adhoc-" + std::to_string(::getpid()) + ".pdf";
  wf::Result info = client.run_adhoc_to_file(job, data, path);
  CHECK(info.size() == 0);  // the body is in the file
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  CHECK(file && static_cast<std::uint64_t>(file.tellg()) == in_memory.size());
  std::remove(path.c_str());

  job.output_preset = "Invoice-Split.OL-outputpreset";
  job.result_as_text = true;
  CHECK(client.run_adhoc(job, data).text().front() == '/');
  job.template_name = "../elsewhere";
  CHECK(status_of([&] { client.run_adhoc(job, data); }) == WF_INVALID_ARGUMENT);
}

// wait_any: the first to end, and how; wait_all; the wait itself timing out.
static void test_waits(wf::Client &client) {
  std::vector<std::string> ops;
  for (int i = 0; i < 4; i++) {
    // The third is the shortest.
    ops.push_back(client.submit(config("\"sim_output_size\":10,\"sim_duration_ms\":" + std::to_string(i == 2 ? 100 : 800 + 100 * i))));
  }
  wf::Ended first = client.wait_any(ops, std::chrono::seconds(10));
  CHECK(first.index == 2 && !first.error.has_value());
  client.wait_all(ops, std::chrono::seconds(10));

  std::string slow = client.submit(config("\"sim_duration_ms\":60000"));
  wf::Ended missing = client.wait_any({slow, "no-such-operation"}, std::chrono::seconds(10));
  CHECK(missing.index == 1 && missing.error && missing.error->status() == WF_NOT_FOUND && missing.error->http_status() == 404);
  CHECK(missing.error && std::string(missing.error->what()).find("no-such-operation") != std::string::npos);
  CHECK(status_of([&] { client.wait_any({slow}, std::chrono::milliseconds(300)); }) == WF_TIMEOUT);
  CHECK(status_of([&] { client.wait_any({}); }) == WF_INVALID_ARGUMENT);
  try {
    client.wait_all({ops[0], "no-such-operation"}, std::chrono::seconds(10));
    CHECK(false);
  } catch (const wf::Error &e) {
    CHECK(e.status() == WF_NOT_FOUND && std::string(e.what()).find("no-such-operation") != std::string::npos);
  }
  client.cancel(slow);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: test_wrapper BASE_URL\n";
    return 2;
  }
  std::string url = argv[1];
  try {
    wf::Client client(url);
    std::vector<std::string> lines;
    std::mutex lines_mutex;
    client.set_log([&](wf_log_level level, std::string_view line) {
      std::lock_guard<std::mutex> lock(lines_mutex);
      lines.emplace_back(std::to_string(static_cast<int>(level)) + " " + std::string(line));
    });
    client.login("ol-admin", "secret");
    CHECK(std::string(wf::version()) == WF_VERSION);
    CHECK(std::string(wf::level_name(WF_LOG_WARN)) == "WF_LOG_WARN");
    test_uploads(client);
    test_adhoc(client);
    test_waits(client);

    // Results and the workflow.
    std::string op = client.submit(config("\"sim_output_size\":5000"));
    int last = -1;
    client.wait(op, std::chrono::seconds(60), [&](int percent) { last = percent; });
    CHECK(last == 100);
    std::vector<std::uint8_t> bytes = client.get_result(op);
    CHECK(bytes.size() == 5000);
    wf::Result info = client.get_result_to_file(op, "cpp-result.pdf");
    CHECK(info.type() == wf::ResultType::OutputStreamed && info.job_set_id().has_value() && info.size() == 0);
    wf::Result moved = std::move(info);
    CHECK(moved.data_set_id().has_value());
    std::remove("cpp-result.pdf");
    CHECK(!client.server_version().empty());
    CHECK(client.operations().front() == '[');

    // Settings added with the retries and the message vocabulary.
    client.set_retry(2, std::chrono::milliseconds(20));
    client.set_outage_limit(std::chrono::seconds(30));
    client.set_message_language(WF_LANGUAGE_C);
    CHECK(client.retry_count() == 0);
    try {
      client.set_retry(0, std::chrono::milliseconds(20));
      CHECK(false);
    } catch (const wf::Error &e) {
      CHECK(e.status() == WF_INVALID_ARGUMENT);
    }

    // Errors carry status, HTTP status and message.
    try {
      client.get_result("no-such-op");
      CHECK(false);
    } catch (const wf::Error &e) {
      CHECK(e.status() == WF_NOT_FOUND && e.http_status() == 404 && std::string(e.status_name()) == "WF_NOT_FOUND");
      CHECK(std::string(e.what()).find("no-such-op") != std::string::npos);
    }

    // An exception thrown in a callback comes out of the call, as itself.
    struct DiskFull : std::runtime_error {
      DiskFull() : std::runtime_error("disk full") {}
    };
    try {
      client.stream_result(op, [](const std::uint8_t *, std::size_t) { throw DiskFull(); });
      CHECK(false);
    } catch (const DiskFull &) {
      CHECK(true);
    }
    std::uint64_t streamed = client.stream_result(op, [](const std::uint8_t *, std::size_t) {});
    CHECK(streamed == 5000);

    // A view: an abort switch triggered from another thread, and byte reports.
    wf::Abort abort;
    std::atomic<std::uint64_t> seen{0};
    wf::Client view = client.with_controls(&abort, std::chrono::milliseconds(0), [&](const wf::Transfer &t) {
      seen = t.received;
      return true;
    });
    std::string slow = view.submit(config("\"sim_duration_ms\":60000"));
    std::thread trigger([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      abort.trigger();
    });
    auto start = std::chrono::steady_clock::now();
    try {
      view.wait(slow);
      CHECK(false);
    } catch (const wf::Error &e) {
      CHECK(e.status() == WF_ABORTED);
    }
    trigger.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300 + 250));
    abort.reset();
    view.cancel(slow);
    view.get_result_to_file(op, "cpp-view.pdf");
    CHECK(seen == 5000);
    std::remove("cpp-view.pdf");

    // A view outlives the client it was made from.
    wf::Client survivor = client.with_controls(nullptr, std::chrono::seconds(30));
    { wf::Client gone = std::move(client); }
    CHECK(survivor.get_result(op).size() == 5000);
    survivor.set_log({});
    bool logged = false;
    for (const auto &l : lines) logged = logged || l.find("/getResult/") != std::string::npos;
    CHECK(logged);
  } catch (const std::exception &e) {
    std::cerr << "unexpected exception: " << e.what() << "\n";
    ++failed;
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

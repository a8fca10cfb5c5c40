// The C++ wrapper (olconnect_wf.hpp) against the simulator: RAII and move-only handles,
// wf::Error with status, HTTP status and message, vector/string results, std::function
// callbacks whose exceptions come back out of the call, views with an abort switch and a
// transfer callback, the log function. Built as C++17 and C++20 with -Wall -Wextra -Werror.
#include <atomic>
#include <cstdio>
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

static std::string config(const std::string &params) {
  return "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},"
         "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},"
         "\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"parameters\":{" +
         params + "}},\"returnIdInHeader\":true}";
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

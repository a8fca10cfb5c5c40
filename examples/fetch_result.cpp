// The main job with the C++ wrapper (include/olconnect_wf.hpp), end to end, as
// examples/fetch_result.c does it in C: log in, upload a local data file to the File Store,
// submit an All-In-One configuration that uses it, wait with a progress bar, download the result
// to a file with a byte progress bar, delete the upload, and say what arrived. Ctrl-C stops
// whichever call is running within a fraction of a second and leaves no partial file.
//
//   fetch_result_cpp BASE_URL [OUTPUT_FILE] [--data DATA_FILE] [--config CONFIG_JSON_FILE]
//
// With --data, the file is uploaded and the demo configuration maps it (an own --config names
// its data itself). Credentials come from OLCONNECT_USER / OLCONNECT_PASSWORD (default ol-admin /
// secret, the simulator's). The resources are those of olconnect-sim's demo File Store.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "olconnect_wf.hpp"

namespace {

// Triggered by Ctrl-C: every call of the view made with it stops (wf::Error, WF_ABORTED).
const wf::Abort *g_abort = nullptr;

extern "C" void on_sigint(int) {
  if (g_abort) g_abort->trigger();  // one atomic store: safe in a signal handler
}

std::string demo_config(const std::string &data_id) {
  return "{\"datamining\":{\"identifier\":\"" + data_id + "\",\"config\":\"Invoice.OL-datamapper\"},"
         "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},"
         "\"jobcreation\":{\"config\":\"Invoice.OL-jobpreset\"},"
         "\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"createOnly\":false},"
         "\"returnIdInHeader\":true}";
}

const char *type_name(wf::ResultType type) {
  switch (type) {
    case wf::ResultType::DataSetId: return "data set ID";
    case wf::ResultType::ContentSetId: return "content set ID";
    case wf::ResultType::JobSetId: return "job set ID";
    case wf::ResultType::OutputStreamed: return "spool file";
    case wf::ResultType::OutputPaths: return "spool file paths";
    case wf::ResultType::OutputManaged: return "managed output";
    default: return "unknown (no X-Result-Type)";
  }
}

// A 40-column bar on stderr.
void draw_bar(std::uint64_t done, std::uint64_t total, const std::string &tail) {
  int filled = total > 0 ? static_cast<int>(done * 40 / total) : 0;
  std::cerr << "\r  [" << std::string(filled, '#') << std::string(40 - filled, ' ') << "] " << tail << std::flush;
}

long long or_minus_one(const std::optional<std::int64_t> &id) { return id ? *id : -1; }

}  // namespace

int main(int argc, char **argv) {
  std::string base_url = "http://localhost:9340", output = "result.out";
  std::optional<std::string> data_file, config_file;
  int positional = 0;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--data" && i + 1 < argc) {
      data_file = argv[++i];
    } else if (arg == "--config" && i + 1 < argc) {
      config_file = argv[++i];
    } else if (positional == 0) {
      base_url = arg;
      positional++;
    } else if (positional == 1) {
      output = arg;
      positional++;
    } else {
      std::cerr << "usage: " << argv[0] << " BASE_URL [OUTPUT_FILE] [--data DATA_FILE] [--config CONFIG_JSON_FILE]\n";
      return 2;
    }
  }
  std::string config_text;
  if (config_file) {
    std::ifstream in(*config_file, std::ios::binary);
    std::ostringstream text;
    if (!(text << in.rdbuf())) {
      std::cerr << "cannot read " << *config_file << "\n";
      return 1;
    }
    config_text = text.str();
  }
  const char *user = std::getenv("OLCONNECT_USER") ? std::getenv("OLCONNECT_USER") : "ol-admin";
  const char *password = std::getenv("OLCONNECT_PASSWORD") ? std::getenv("OLCONNECT_PASSWORD") : "secret";
  std::cout << "olconnect-wf " << wf::version() << ", server " << base_url << std::endl;

  std::optional<wf::Client> client;
  wf::Abort abort;
  std::optional<std::string> uploaded;
  int rc = 0;
  try {
    client.emplace(base_url);
    // The same client; its calls stop on Ctrl-C and report the bytes of the download.
    wf::Client view = client->with_controls(&abort, std::chrono::milliseconds(0), [](const wf::Transfer &t) {
      if (t.total && *t.total > 0) {
        draw_bar(t.received, *t.total, std::to_string(t.received) + " / " + std::to_string(*t.total) + " bytes");
      } else if (t.received > 0) {
        std::cerr << "\r  " << t.received << " bytes" << std::flush;
      }
      return true;  // false would stop the download
    });
    g_abort = &abort;
    std::signal(SIGINT, on_sigint);

    view.login(user, password);
    std::string data_id = "invoices.csv";  // the demo File Store's own data file
    if (data_file) {
      data_id = view.upload(wf::Data::file(*data_file));
      uploaded = data_id;
      std::cout << "uploaded " << *data_file << " as " << data_id << std::endl;
    }
    std::string op = view.submit(config_file ? config_text : demo_config(data_id));
    std::cout << "operation " << op << " submitted, waiting:" << std::endl;
    view.wait(op, std::chrono::minutes(10), [](int percent) {
      draw_bar(static_cast<std::uint64_t>(percent), 100, std::to_string(percent) + "%");
      if (percent == 100) std::cerr << "\n";
    });
    wf::Result info = view.get_result_to_file(op, output);
    std::cerr << "\n";
    std::ifstream written(output, std::ios::binary | std::ios::ate);
    std::cout << "result: " << type_name(info.type()) << "\n"
              << "  data set " << or_minus_one(info.data_set_id()) << ", content set " << or_minus_one(info.content_set_id())
              << ", job set " << or_minus_one(info.job_set_id()) << " (-1: not reported)\n"
              << "  " << static_cast<long long>(written.tellg()) << " bytes written to " << output << std::endl;
  } catch (const wf::Error &e) {
    std::cerr << "\n" << e.status_name() << " (HTTP " << e.http_status() << ")\n  " << e.what() << std::endl;
    rc = 1;
  }
  if (uploaded) {
    // Through the client, not the view: the upload is deleted even after Ctrl-C.
    try {
      client->delete_managed(*uploaded);
      std::cout << "  upload " << *uploaded << " deleted" << std::endl;
    } catch (const wf::Error &e) {
      std::cerr << "deleting the upload failed: " << e.what() << std::endl;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  g_abort = nullptr;
  if (rc != 0 && abort.triggered()) {
    std::cerr << "interrupted: nothing partial was left behind" << std::endl;
    rc = 130;
  }
  return rc;
}

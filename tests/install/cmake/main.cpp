// Logs in, runs the demo job and prints the size of its result: a C++ program built against an
// installed olconnect_wf.
#include <iostream>

#include <olconnect_wf.hpp>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  try {
    wf::Client client(argv[1]);
    client.login("ol-admin", "secret");
    std::string op = client.submit(
        "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},"
        "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},"
        "\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"parameters\":{\"sim_output_size\":777}}}");
    client.wait(op);
    std::cout << client.get_result(op).size() << "\n";
    return 0;
  } catch (const wf::Error &e) {
    std::cerr << e.status_name() << ": " << e.what() << "\n";
    return 1;
  }
}

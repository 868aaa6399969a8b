// ODR test, translation unit B (also holds main): both TUs instantiate the same inline
// functions and templates; linking them together must work and behave identically.
#include <wandb_media.hpp>

#include <cstdio>
#include <string>

#include "test_util.hpp"

std::string odr_row_a(wb::RunDir& dir);
void odr_install_handler(int* counter);

static std::string odr_row_b(wb::RunDir& dir) {
  wb::Row row;
  row.set("a", 1).set("h", wb::Histogram::from_np_json("[1]", "[0, 1]"));
  return row.to_json(dir, 0).str();
}

int main() {
  wbtest::TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::string a = odr_row_a(dir), b = odr_row_b(dir);
  const std::string want = R"({"a":1,"h":{"_type":"histogram","values":[1],"bins":[0,1]}})";
  int calls = 0;
  odr_install_handler(&calls);
  wb::detail::report(wb::LogLevel::Warn, "seen from the other TU");
  wb::set_log_handler(nullptr);
  const int failed = (a != want) + (b != want) + (calls != 1);
  if (failed) std::fprintf(stderr, "odr: a=%s b=%s handler calls=%d\n", a.c_str(), b.c_str(), calls);
  std::printf("odr_test: %d passed, %d failed\n", 3 - failed, failed);
  return failed ? 1 : 0;
}

// Compiled with -fno-exceptions (and -fno-rtti): only the non-throwing try_ API exists, and it
// must work. Exits non-zero on the first failed check.
#include <wandb_media.hpp>

#include <cstdio>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <vector>

#include "test_util.hpp"

#if WB_CPP_EXCEPTIONS
#error "this test must be compiled with -fno-exceptions"
#endif

namespace {
// The throwing API is compiled out.
template <class T, class = void>
struct has_throwing_from_u8 : std::false_type {};
template <class T>
struct has_throwing_from_u8<T, std::void_t<decltype(T::from_u8(nullptr, 0, 0, 0))>> : std::true_type {};
static_assert(!has_throwing_from_u8<wb::Image>::value, "throwing API must be absent under -fno-exceptions");

int failures = 0, checks = 0;
void check(bool ok, const char* what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what);
  }
}
}  // namespace

int main() {
  wbtest::TempDir tmp;
  auto dir = wb::RunDir::try_open(tmp.files());
  check(dir.ok(), "open run dir");
  if (!dir.ok()) return 1;

  std::vector<uint8_t> px(2 * 3 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + 11) % 256);

  wb::Row row;
  check(row.try_set("loss", 0.25).ok(), "set loss");
  auto img = wb::Image::try_from_u8(px.data(), 2, 3, 3);
  check(img.ok(), "image");
  if (!img.ok()) return 1;
  check(img->try_set_caption("hello").ok(), "caption");
  check(row.try_set("img", *img).ok(), "set img");
  auto json = row.try_to_json(*dir, 7);
  check(json.ok(), "row json");
  check(json.ok() && json->view() ==
                         R"({"loss":0.25,"img":{"caption":"hello","_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_7_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}})",
        "row JSON matches the SDK");
  check(wbtest::file_exists(tmp.files() + "/media/images/img_7_4b2ef48a447ceee4ef90.png"), "png written");

  auto bad = wb::Image::try_from_u8(px.data(), 3, 3, 2);
  check(!bad.ok() && bad.code() == WB_ERR_INVALID_ARGUMENT && std::strlen(bad.error().message()) > 0,
        "error status and message");
  auto hist = wb::Histogram::try_from_tensor(wb::TensorRef(std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), 4);
  check(hist.ok(), "histogram");
  auto hj = hist.ok() ? hist->try_to_json(*dir, "h", 0) : wb::Result<wb::String>(hist.error());
  check(hj.ok() && hj->view() == R"({"_type":"histogram","values":[3,2,2,3],"bins":[0.0,2.25,4.5,6.75,9.0]})",
        "histogram JSON");

  // Summary namespace, table rows, run end with failure reporting: all without exceptions.
  auto sj = row.try_to_summary_json(*dir);
  check(sj.ok() && sj->view().find("media/images/img_summary_4b2ef48a447ceee4ef90.png") != std::string_view::npos,
        "summary json");
  check(row.try_to_json(*dir, -1).code() == WB_ERR_INVALID_ARGUMENT, "negative step is an error");
  auto table = wb::Table::try_create("[\"a\"]");
  check(table.ok() && table->try_add(1).ok() && table->try_nrows().ok() && table->try_nrows().value() == 1,
        "table nrows");
  static int warnings = 0;
  check(wb::try_set_log_handler([](wb::LogLevel l, std::string_view m) {
          if (l == wb::LogLevel::Warn && m.find("less than the current step") != std::string_view::npos) ++warnings;
        }).ok(),
        "set log handler");
  auto run = wb::Run::try_open(tmp.path(), wb::RunOptions().id("noexc"));
  check(run.ok(), "open run");
  if (run.ok()) {
    wb::Row a, b;
    check(a.try_set("x", 1).ok() && run->try_log(a, 4).ok(), "log step 4");
    check(b.try_set("x", 2).ok() && run->try_log(b, 2).ok(), "log step 2 (dropped)");
    check(run->try_close().ok(), "close");
    check(run->try_close().ok() && !*run, "close twice is a no-op");
  }
  check(warnings == 1, "dropped-step warning reached the handler");
  check(wb::try_set_log_handler(nullptr).ok(), "restore default handler");
  auto w = wb::VideoWriter::try_open(4, 6, 3, wb::VideoOptions().format(WB_VIDEO_GIF).fps(2));
  std::vector<uint8_t> frame(4 * 6 * 3, 7);
  check(w.ok() && w->try_push_u8(frame.data(), 6, 4, 3).code() == WB_ERR_INVALID_ARGUMENT &&
            w->try_push_u8(frame.data(), 4, 6, 3).ok(),
        "video writer shape order");

  std::printf("noexcept_test: %d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}

// GoogleTest suite for bindings/cpp/include/wandb_media.hpp. Expected JSON and PNG bytes
// were produced by the wandb 0.31.0 Python SDK (gen_reference.py) on the same inputs.
#include <wandb_media.hpp>
#include <wandb_media.hpp>  // double include must be harmless

#include <gtest/gtest.h>

#include <ctime>

#include <array>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <cstring>
#include <cmath>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "test_util.hpp"

namespace {

using wbtest::TempDir;

// 2×3 RGB, pixel byte i = (i*37 + 11) % 256.
std::vector<uint8_t> fx_pixels() {
  std::vector<uint8_t> px(2 * 3 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
  return px;
}

const char* const kImageJson =
    R"({"img":{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_0_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}})";

const std::vector<unsigned char> kImagePng = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12, 0x16, 0xf1, 0x4d, 0x00,
    0x00, 0x00, 0x1c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe0, 0x36, 0x08, 0xad, 0x9a, 0x7f, 0xe4,
    0x25, 0x9f, 0x31, 0x43, 0x44, 0xed, 0xa2, 0xe3, 0x6f, 0x04, 0xcd, 0xa2, 0x1b, 0x00, 0x4b, 0x11, 0x07,
    0xe4, 0xbe, 0xe6, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

// The RAII types are move-only and cheap to move.
static_assert(!std::is_copy_constructible_v<wb::Value>);
static_assert(!std::is_copy_assignable_v<wb::Image>);
static_assert(std::is_nothrow_move_constructible_v<wb::Image>);
static_assert(std::is_nothrow_move_assignable_v<wb::Row>);
static_assert(!std::is_copy_constructible_v<wb::RunDir>);
static_assert(!std::is_copy_constructible_v<wb::String>);
static_assert(std::is_base_of_v<std::exception, wb::Error>);
static_assert(sizeof(wb::Value) == sizeof(void*), "a Value is just the handle");

TEST(Row, ScalarsMatchSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  wb::List list;
  list.append(1).append(2.5).append("x");
  wb::Dict nested;
  nested.set("a", list);
  wb::Row row;
  row.set("loss", 0.25)
      .set("step", 3)
      .set("name", std::string("run\xc3\xa9"))
      .set("ok", true)
      .set("nothing", nullptr)
      .set("big", 1e20)
      .set("nan", std::numeric_limits<double>::quiet_NaN())
      .set("nested", nested);
  wb::String json = row.to_json(dir, 0);
  EXPECT_EQ(json.view(),
            R"({"loss":0.25,"step":3,"name":"runé","ok":true,"nothing":null,"big":1e+20,"nan":NaN,"nested":{"a":[1,2.5,"x"]}})");
}

TEST(Row, IntegerTypesAndKeyOrder) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  wb::Row row;
  row.set("u8", uint8_t{200})
      .set("i16", int16_t{-7})
      .set("u64", std::numeric_limits<uint64_t>::max())
      .set("f", 1.0f)
      .set("sv", std::string_view("a\0b", 3));
  row.set("u8", 1);  // an existing key keeps its position, as in Python
  EXPECT_EQ(row.to_json(dir, 0).view(), std::string_view(R"({"u8":1,"i16":-7,"u64":18446744073709551615,"f":1.0,"sv":"a\u0000b"})"));
}

TEST(Row, EmptyRow) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  wb::Row row;
  EXPECT_EQ(row.to_json(dir, 5).view(), "{}");
}

TEST(Image, FromU8MatchesSdkBytes) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  wb::Row row;
  row.set("img", wb::Image::from_u8(px.data(), 2, 3, 3));
  EXPECT_EQ(row.to_json(dir, 0).view(), kImageJson);
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(wbtest::read_file(tmp.files() + "/media/images/img_0_4b2ef48a447ceee4ef90.png", bytes));
  EXPECT_EQ(bytes, kImagePng);
}

TEST(Image, TensorOverloadsGiveTheSameFile) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> hwc = fx_pixels();
  // The same pixels stored channels-first (C,H,W), as a libtorch tensor would hold them.
  std::vector<uint8_t> chw(hwc.size());
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) chw[static_cast<std::size_t>(c * 6 + y * 3 + x)] = hwc[static_cast<std::size_t>((y * 3 + x) * 3 + c)];

  const std::array<int64_t, 3> shape = {2, 3, 3};
  const std::vector<int64_t> hwc_view_strides = {3, 1, 6};  // H, W, C strides into CHW memory
  std::vector<wb::Image> images;
  images.push_back(wb::Image::from_tensor(wb::TensorRef(hwc, {2, 3, 3})));
  images.push_back(wb::Image::from_tensor(wb::TensorRef(hwc.data(), shape)));
  images.push_back(wb::Image::from_tensor(wb::TensorRef(chw.data(), shape, hwc_view_strides)));
  images.push_back(wb::Image::from_chw(wb::TensorRef(chw.data(), {3, 2, 3})));
  images.push_back(wb::Image::from_tensor(wb::TensorRef(static_cast<const void*>(hwc.data()), WB_DTYPE_U8, {2, 3, 3})));
  for (const wb::Image& img : images) {
    wb::Row row;
    row.set("img", img);
    EXPECT_EQ(row.to_json(dir, 0).view(), kImageJson);
  }
}

TEST(Image, FloatChwWithLegacyConversion) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  // Float CHW in [0,1]: the legacy conversion scales by 255 (x/255 → x exactly after trunc
  // of x/255*255 only for representable values; use k/4 which is exact).
  const std::vector<uint8_t> hwc = fx_pixels();
  std::vector<float> chw(hwc.size());
  std::vector<uint8_t> expect_hwc(hwc.size());
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = static_cast<float>((y * 3 + x + c) % 5) / 4.0f;  // 0, .25, .5, .75, 1
        chw[static_cast<std::size_t>(c * 6 + y * 3 + x)] = v;
        expect_hwc[static_cast<std::size_t>((y * 3 + x) * 3 + c)] = static_cast<uint8_t>(static_cast<int>(v * 255.0f));
      }
  wb::Row a, b;
  a.set("img", wb::Image::from_chw(wb::TensorRef(chw, {3, 2, 3}), wb::ImageOptions().convert(WB_CONVERT_LEGACY)));
  b.set("img", wb::Image::from_u8(expect_hwc.data(), 2, 3, 3));
  const wb::String ja = a.to_json(dir, 1);
  EXPECT_EQ(ja.view(), b.to_json(dir, 1).view());
  EXPECT_NE(ja.view().find("\"width\":3,\"height\":2"), std::string_view::npos);
}

TEST(Image, CaptionStepAndGray) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  wb::Image img = wb::Image::from_u8(px.data(), 2, 3, 3);
  img.set_caption("hello");
  EXPECT_EQ(img.to_json(dir, "img", 7).view(),
            R"({"caption":"hello","_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_7_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2})");

  std::array<uint8_t, 12> gray{};
  for (std::size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i * 20);
  wb::Row row;
  row.set("g", wb::Image::from_tensor(wb::TensorRef(gray, {3, 4})));
  EXPECT_EQ(row.to_json(dir, 2).view(),
            R"({"g":{"_type":"image-file","sha256":"066c1ed13dcba44dd2022d606e2e4c224e29eef38026748abcc271ec32d66d2c","size":80,"path":"media/images/g_2_066c1ed13dcba44dd202.png","format":"png","width":4,"height":3}})");
  EXPECT_TRUE(wbtest::file_exists(tmp.files() + "/media/images/g_2_066c1ed13dcba44dd202.png"));
}

TEST(Image, ListIsBatchedLikeTheSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  std::vector<uint8_t> inv(px.size());
  for (std::size_t i = 0; i < px.size(); ++i) inv[i] = static_cast<uint8_t>(255 - px[i]);
  wb::List imgs;
  imgs.append(wb::Image::from_u8(px.data(), 2, 3, 3).set_caption("a"));
  imgs.append(wb::Image::from_u8(inv.data(), 2, 3, 3).set_caption("b"));
  wb::Row row;
  row.set("imgs", imgs);
  EXPECT_EQ(row.to_json(dir, 1).view(),
            R"({"imgs":{"_type":"images/separated","width":3,"height":2,"format":"png","count":2,"filenames":["media/images/imgs_1_4b2ef48a447ceee4ef90.png","media/images/imgs_1_22701fbeb1f4a69c9a15.png"],"captions":["a","b"]}})");
}

TEST(Histogram, FromVectorMatchesSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  std::vector<double> data(10);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<double>(i);
  wb::Row row;
  row.set("h", wb::Histogram::from_tensor(wb::TensorRef(data), 4));
  EXPECT_EQ(row.to_json(dir, 0).view(), R"({"h":{"_type":"histogram","values":[3,2,2,3],"bins":[0.0,2.25,4.5,6.75,9.0]}})");
}

TEST(Histogram, NpForms) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<int64_t> values = {1, 2};
  const std::vector<double> edges = {0.0, 0.5, 1.0};
  wb::Row row;
  row.set("a", wb::Histogram::from_np(wb::TensorRef(values), wb::TensorRef(edges)));
  row.set("b", wb::Histogram::from_np_json("[0, 1]", "[0, 0.5, 1]"));
  EXPECT_EQ(row.to_json(dir, 0).view(),
            R"({"a":{"_type":"histogram","values":[1,2],"bins":[0.0,0.5,1.0]},"b":{"_type":"histogram","values":[0,1],"bins":[0,0.5,1]}})");
}

TEST(Value, ArrayAndJson) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const int32_t m[4] = {1, 2, 3, 4};
  wb::Row row;
  row.set("arr", wb::Value::array(wb::TensorRef(m, {2, 2})));
  row.set("cfg", wb::Value::from_json(R"({"lr":0.001,"layers":[64,64]})"));
  EXPECT_EQ(row.to_json(dir, 0).view(), R"({"arr":[[1,2],[3,4]],"cfg":{"lr":0.001,"layers":[64,64]}})");
  EXPECT_EQ(dir.config_json().view(), "{}");
}

TEST(Errors, TryApiReportsStatusAndMessage) {
  const std::vector<uint8_t> px(2 * 3 * 2, 0);
  wb::Result<wb::Image> r = wb::Image::try_from_u8(px.data(), 2, 3, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(r.error().code_name(), "WB_ERR_INVALID_ARGUMENT");
  EXPECT_GT(std::strlen(r.error().message()), 0u);

  wb::Result<wb::Histogram> h = wb::Histogram::try_from_tensor(wb::TensorRef(std::vector<double>{1.0, NAN}), 4);
  EXPECT_EQ(h.code(), WB_ERR_INVALID_ARGUMENT);
  wb::Result<wb::Histogram> big = wb::Histogram::try_from_tensor(wb::TensorRef(std::vector<double>{1.0}), 513);
  EXPECT_EQ(big.code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Value::try_from_json("{").code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Image::try_from_file("/nonexistent/x.png").code(), WB_ERR_IO);
}

TEST(Errors, ThrowingApiThrowsWbError) {
  const std::vector<uint8_t> px(2 * 3 * 2, 0);
  try {
    (void)wb::Image::from_u8(px.data(), 2, 3, 2);
    FAIL() << "no exception";
  } catch (const wb::Error& e) {
    EXPECT_EQ(e.code(), WB_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(e.what(), e.message());
  }
  EXPECT_THROW((void)wb::Value::from_json("nope"), std::exception);
  wb::Result<wb::Value> bad = wb::Value::try_from_json("[");
  EXPECT_THROW((void)bad.value(), wb::Error);
}

TEST(Errors, TensorDescriptionProblemsAreCaughtBeforeTheCall) {
  const std::vector<float> small(5, 0.0f);
  // Shape larger than the container: rejected without reading past the vector (ASan).
  auto r = wb::Image::try_from_tensor(wb::TensorRef(small, {2, 3}));
  EXPECT_EQ(r.code(), WB_ERR_INVALID_ARGUMENT);
  std::vector<int64_t> shape(33, 1);
  auto r2 = wb::Value::try_array(wb::TensorRef(small.data(), shape));
  EXPECT_EQ(r2.code(), WB_ERR_INVALID_ARGUMENT);
  const std::vector<int64_t> s2 = {1, 5}, st1 = {5};
  auto r3 = wb::Value::try_array(wb::TensorRef(small.data(), s2, st1));
  EXPECT_EQ(r3.code(), WB_ERR_INVALID_ARGUMENT);
  // Negative extents are the library's to reject.
  auto r4 = wb::Value::try_array(wb::TensorRef(small.data(), {-1}));
  EXPECT_EQ(r4.code(), WB_ERR_INVALID_ARGUMENT);
}

TEST(Ownership, MovedFromAndEmptyHandles) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  wb::Image a = wb::Image::from_u8(px.data(), 2, 3, 3);
  wb::Image b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b);
  // Using an empty handle is a NULL-argument error, not a crash.
  EXPECT_EQ(a.try_set_caption("x").code(), WB_ERR_NULL_ARGUMENT);
  EXPECT_EQ(a.try_to_json(dir, "k", 0).code(), WB_ERR_NULL_ARGUMENT);
  wb::RunDir none;
  EXPECT_EQ(b.try_to_json(none, "k", 0).code(), WB_ERR_NULL_ARGUMENT);
  // Containers hold shared copies: the original stays valid after it is added and freed.
  wb::Row row;
  {
    wb::Image c = wb::Image::from_u8(px.data(), 2, 3, 3);
    row.set("img", c);
  }
  EXPECT_EQ(row.to_json(dir, 0).view(), kImageJson);
  // release() hands the handle over to C code.
  wb_value* raw = b.release();
  EXPECT_FALSE(b);
  wb_value_free(raw);
  // Summary namespace.
  wb::Row s;
  s.set("nested", wb::Dict().set("img", wb::Image::from_u8(px.data(), 2, 3, 3)));
  EXPECT_NE(s.to_summary_json(dir).view().find("media/images/nested.img_summary_4b2ef48a447ceee4ef90.png"),
            std::string_view::npos);
  wb::Image lone = wb::Image::from_u8(px.data(), 2, 3, 3);
  EXPECT_NE(lone.to_summary_json(dir, "lone").view().find("\"path\":\"media/images/lone_summary_4b2ef48a447ceee4ef90.png\""),
            std::string_view::npos);
  // A negative step is an error now (it used to mean "summary", so Run::kNoStep passed by
  // mistake silently wrote a summary row).
  EXPECT_EQ(s.try_to_json(dir, wb::Run::kNoStep).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lone.try_to_json(dir, "lone", -1).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(wbtest::file_exists(tmp.files() + "/media/images/img_summary_4b2ef48a447ceee4ef90.png"));
}

TEST(Threads, ConcurrentRowsIntoOneRunDir) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        wb::Row row;
        if (!row.try_set("img", wb::Image::try_from_u8(px.data(), 2, 3, 3).value()).ok()) return;
        auto j = row.try_to_json(dir, 0);
        if (j.ok() && j->view() == kImageJson) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 100);
}

// ---- boxes, masks, tables ----------------------------------------------------------------

// A value's "path"/"size" fields, parsed from its JSON (enough for these checks).
std::string json_field(std::string_view json, std::string_view key) {
  const std::string pat = "\"" + std::string(key) + "\":";
  const std::size_t at = json.find(pat);
  if (at == std::string_view::npos) return {};
  std::size_t b = at + pat.size(), e = b;
  if (json[b] == '"') {
    e = json.find('"', ++b);
  } else {
    while (e < json.size() && json[e] != ',' && json[e] != '}') ++e;
  }
  return std::string(json.substr(b, e - b));
}


TEST(Image, BoxesAndMaskMatchSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  const uint8_t mask[6] = {0, 1, 1, 2, 2, 0};
  wb::Image img = wb::Image::from_u8(px.data(), 2, 3, 3);
  img.add_boxes("pred",
                R"([{"position":{"minX":0.1,"maxX":0.5,"minY":0.2,"maxY":0.6},"class_id":1,"box_caption":"car","scores":{"acc":0.25}}])",
                R"({"1":"car"})")
      .add_mask("seg", wb::TensorRef(mask, {2, 3}), R"({"0":"bg","1":"a","2":"b"})");
  EXPECT_EQ(img.to_json(dir, "img", 3).view(),
            R"({"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_3_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2,"boxes":{"pred":{"_type":"boxes2D","sha256":"846b479d42199f14195e85b2b46281d872aaf51f45df40bead374a33ae7617d3","size":155,"path":"media/metadata/boxes2D/img_3_846b479d42199f14195e.boxes2D.json"}},"masks":{"seg":{"_type":"mask","sha256":"b13cd14fef9845ac3f2b37b7cc0434ff6d844ec34ae1e1c0ae6e82a86d60e96a","size":73,"path":"media/images/mask/img_3_b13cd14fef9845ac3f2b.mask.png"}}})");
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(wbtest::read_file(tmp.files() + "/media/metadata/boxes2D/img_3_846b479d42199f14195e.boxes2D.json", bytes));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()),
            R"({"box_data":[{"position":{"minX":0.1,"maxX":0.5,"minY":0.2,"maxY":0.6},"class_id":1,"box_caption":"car","scores":{"acc":0.25}}],"class_labels":{"1":"car"}})");
  EXPECT_NE(dir.config_json().view().find("\"car\""), std::string_view::npos);
  // SDK validation errors.
  EXPECT_EQ(img.try_add_boxes("bad", R"([{"class_id":1}])").code(), WB_ERR_INVALID_ARGUMENT);
  const uint8_t cube[8] = {};
  EXPECT_EQ(img.try_add_mask("m3", wb::TensorRef(cube, {2, 2, 2})).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(img.try_set_classes(R"([{"id":1,"name":"car"}])").ok());
}

TEST(Table, RunCopyMatchesSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> px = fx_pixels();
  wb::Table t = wb::Table::create(R"(["id","img","score"])");
  t.add(1, wb::Image::from_u8(px.data(), 2, 3, 3), 0.5);
  t.add(2, nullptr, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(t.nrows(), 2u);
  wb::Row row;
  row.set("t", t);
  const wb::String json = row.to_json(dir, 2);
  // Everything but the two random artifact ids is fixed.
  const std::string_view head =
      R"({"t":{"_type":"table-file","sha256":"47f157b0d29eaa75804d277d1e5fb215618e562636ae16963feed4cc92b3722e","size":70,"artifact_path":"wandb-client-artifact://)";
  EXPECT_EQ(json.view().substr(0, head.size()), head);
  EXPECT_NE(json.view().find(R"(/t.table.json","_latest_artifact_path":"wandb-client-artifact://)"), std::string_view::npos);
  EXPECT_NE(json.view().find(R"(:latest/t.table.json","path":"media/table/t_2_47f157b0d29eaa75804d.table.json","ncols":3,"nrows":2,"log_mode":"IMMUTABLE"}})"),
            std::string_view::npos)
      << json.view();
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(wbtest::read_file(tmp.files() + "/media/table/t_2_47f157b0d29eaa75804d.table.json", bytes));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), R"({"columns":["id","img","score"],"data":[[1,"Image",0.5],[2,null,NaN]]})");
  EXPECT_EQ(json_field(json.view(), "ncols"), "3");

  // SDK errors: wrong cell count, histogram cells.
  EXPECT_EQ(t.try_add(3).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(t.nrows(), 2u);
  EXPECT_EQ(wb::Table::try_create("[\"a\",\"a\"]").code(), WB_ERR_INVALID_ARGUMENT);
  wb::Table mixed = wb::Table::create(R"(["x"])", wb::TableOptions().log_mode(WB_TABLE_MUTABLE).allow_mixed_types(true));
  mixed.add(1).add("two");
  EXPECT_NE(mixed.to_json(dir, "m", 0).view().find(R"("log_mode":"MUTABLE")"), std::string_view::npos);
  const wb::String art = mixed.artifact_json();
  EXPECT_NE(art.view().find("\"nrows\": 2"), std::string_view::npos) << art.view();
  // nrows reports errors (an empty handle is not a table).
  EXPECT_EQ(wb::Table().try_nrows().code(), WB_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mixed.try_nrows().value(), 2u);
  // An ordinary array of cells passes to the C call without a cast.
  wb::Value c1 = wb::Value::string("three");
  wb_value* cells[1] = {c1.get()};
  EXPECT_TRUE(mixed.try_add_row(cells, 1).ok());
  EXPECT_EQ(mixed.nrows(), 3u);
  // INCREMENTAL: each log writes the rows added since the previous one.
  wb::Table inc = wb::Table::create(R"(["x"])", wb::TableOptions().log_mode(WB_TABLE_INCREMENTAL));
  inc.add(1);
  const wb::String inc0 = inc.to_json(dir, "inc", 0);
  EXPECT_NE(inc0.view().find(R"("increment_num":0,"previous_increments_paths":[],"ncols":1,"nrows":1,"log_mode":"INCREMENTAL"})"),
            std::string_view::npos) << inc0.view();
  inc.add(2);
  const wb::String inc1 = inc.to_json(dir, "inc", 1);
  EXPECT_NE(inc1.view().find(R"("increment_num":1,"previous_increments_paths":["wandb-client-artifact://)"),
            std::string_view::npos) << inc1.view();
  EXPECT_NE(inc.artifact_json().view().find(R"("data": [[2]], "increment_num": 1)"), std::string_view::npos);
  wb::Table not_a_table(wb::Value::integer(1).release());
  EXPECT_FALSE(not_a_table.try_nrows().ok());
  wb::Value joined = wb::Table::join(t, t, "id");
  EXPECT_NE(joined.to_json(dir, "j", 0).view().find("joined-table"), std::string_view::npos);
}

// ---- video -------------------------------------------------------------------------------

void expect_video_file(const std::string& files, std::string_view json, const std::string& path_prefix,
                       const char* magic, std::size_t magic_at) {
  const std::string path = json_field(json, "path");
  EXPECT_EQ(path.rfind(path_prefix, 0), 0u) << json;
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(wbtest::read_file(files + "/" + path, bytes)) << path;
  EXPECT_EQ(std::to_string(bytes.size()), json_field(json, "size"));
  const std::size_t n = std::strlen(magic);
  ASSERT_GT(bytes.size(), magic_at + n);
  EXPECT_EQ(std::string(bytes.begin() + static_cast<std::ptrdiff_t>(magic_at),
                        bytes.begin() + static_cast<std::ptrdiff_t>(magic_at + n)),
            magic);
}

// (T,C,H,W) uint8 frames: a moving bright square.
std::vector<uint8_t> tchw_frames(int t, int h, int w) {
  std::vector<uint8_t> v(static_cast<std::size_t>(t * 3 * h * w), 20);
  for (int f = 0; f < t; ++f)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        if (x / 4 == f % (w / 4) && y < h / 2)
          for (int c = 0; c < 3; ++c) v[static_cast<std::size_t>(((f * 3 + c) * h + y) * w + x)] = 230;
  return v;
}

TEST(Video, GifFromTensor) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> frames = tchw_frames(6, 24, 16);
  wb::Video v = wb::Video::from_tensor(wb::TensorRef(frames, {6, 3, 24, 16}),
                                       wb::VideoOptions().format(WB_VIDEO_GIF).fps(10));
  v.set_caption("ten");
  const wb::String json = v.to_json(dir, "v", 1);
  EXPECT_EQ(json.view().substr(0, 43), R"({"caption":"ten","_type":"video-file","sha2)");
  EXPECT_NE(json.view().find(R"("width":16,"height":24})"), std::string_view::npos) << json.view();
  expect_video_file(tmp.files(), json.view(), "media/videos/v_1_", "GIF89a", 0);
}

TEST(Video, WriterStreamsMp4) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  // height 16, width 32: shape order, as push_u8 and tensors.
  wb::VideoWriter w = wb::VideoWriter::open(16, 32, 4, wb::VideoOptions().format(WB_VIDEO_MP4).fps(30));
  std::vector<uint8_t> rgba(16 * 32 * 4);
  for (int f = 0; f < 8; ++f) {
    for (std::size_t i = 0; i < rgba.size(); ++i) rgba[i] = static_cast<uint8_t>((i + static_cast<std::size_t>(f) * 9) % 251);
    if (f % 2) {
      w.push_u8(rgba.data(), 16, 32, 4);
    } else {
      w.push(wb::TensorRef(rgba, {16, 32, 4}));
    }
  }
  // A frame of the wrong shape — here height and width swapped — is rejected (not
  // scrambled) and the writer stays usable.
  EXPECT_EQ(w.try_push(wb::TensorRef(rgba, {32, 16, 4})).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w.try_push_u8(rgba.data(), 32, 16, 4).code(), WB_ERR_INVALID_ARGUMENT);
  wb::Video v = w.finish();
  EXPECT_FALSE(w);  // consumed
  wb::Row row;
  row.set("clip", v);
  const wb::String json = row.to_json(dir, 0);
  EXPECT_NE(json.view().find(R"("width":32,"height":16}})"), std::string_view::npos) << json.view();
  expect_video_file(tmp.files(), json.view(), "media/videos/clip_0_", "ftyp", 4);
}

// The stored MP4 of a logged video, and the fields of its `dOps` box (Opus audio track):
// {found, channels, pre_skip, input_rate}; count of `trak` boxes.
struct OpusInfo {
  bool found = false;
  unsigned channels = 0, pre_skip = 0, input_rate = 0, traks = 0;
};
OpusInfo opus_info(const std::string& files, std::string_view json) {
  std::vector<unsigned char> b;
  OpusInfo info;
  if (!wbtest::read_file(files + "/" + json_field(json, "path"), b)) return info;
  const std::string bytes(b.begin(), b.end());
  for (std::size_t at = bytes.find("trak"); at != std::string::npos; at = bytes.find("trak", at + 4)) ++info.traks;
  const std::size_t d = bytes.find("dOps");
  if (d == std::string::npos || d + 13 > b.size() || bytes.find("Opus") == std::string::npos) return info;
  info.found = true;
  info.channels = b[d + 5];
  auto u = [&b](std::size_t i) { return static_cast<unsigned>(b[i]); };
  info.pre_skip = (u(d + 6) << 8u) | u(d + 7);
  info.input_rate = (u(d + 8) << 24u) | (u(d + 9) << 16u) | (u(d + 10) << 8u) | u(d + 11);
  return info;
}

TEST(Video, Mp4WithAudioTrack) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> frames = tchw_frames(6, 24, 16);
  // (frames, 2) float32 stereo at 44.1 kHz, 0.5 s
  std::vector<float> stereo(22050 * 2);
  for (std::size_t i = 0; i < stereo.size(); ++i)
    stereo[i] = 0.5f * static_cast<float>(std::sin(0.0627 * static_cast<double>(i / 2 + 1) * (i % 2 ? 1.5 : 1.0)));
  wb::Video v = wb::Video::from_tensor_with_audio(wb::TensorRef(frames, {6, 3, 24, 16}),
                                                  wb::VideoOptions().format(WB_VIDEO_MP4).fps(10),
                                                  wb::TensorRef(stereo, {22050, 2}), 44100);
  const wb::String json = v.to_json(dir, "av", 0);
  expect_video_file(tmp.files(), json.view(), "media/videos/av_0_", "ftyp", 4);
  OpusInfo info = opus_info(tmp.files(), json.view());
  EXPECT_TRUE(info.found);
  EXPECT_EQ(info.traks, 2u);
  EXPECT_EQ(info.channels, 2u);
  EXPECT_EQ(info.input_rate, 44100u);
  EXPECT_GT(info.pre_skip, 0u);
  // Streaming: int16 mono blocks between frames; channels/rate fixed by the first block.
  std::vector<int16_t> mono(1600);
  for (std::size_t i = 0; i < mono.size(); ++i) mono[i] = static_cast<int16_t>((i % 40) * 800);
  wb::VideoWriter w = wb::VideoWriter::open(24, 16, 3, wb::VideoOptions().format(WB_VIDEO_MP4).fps(10));
  std::vector<uint8_t> rgb(24 * 16 * 3, 90);
  for (int f = 0; f < 5; ++f) {
    w.push_u8(rgb.data(), 24, 16, 3);
    w.push_audio(wb::TensorRef(mono, {1600}), 16000);
  }
  EXPECT_EQ(w.try_push_audio(wb::TensorRef(mono, {1600}), 8000).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(w.try_push_audio(wb::TensorRef(mono, {800, 2}), 16000).code(), WB_ERR_INVALID_ARGUMENT);
  wb::Video v2 = w.finish();
  const wb::String json2 = v2.to_json(dir, "av", 1);
  info = opus_info(tmp.files(), json2.view());
  EXPECT_TRUE(info.found);
  EXPECT_EQ(info.channels, 1u);
  EXPECT_EQ(info.input_rate, 16000u);
  // Refused clearly: 3 channels, a rate out of range, GIF, WebM.
  std::vector<float> three(300 * 3, 0.1f);
  auto err = wb::Video::try_from_tensor_with_audio(wb::TensorRef(frames, {6, 3, 24, 16}),
                                                   wb::VideoOptions().format(WB_VIDEO_MP4),
                                                   wb::TensorRef(three, {300, 3}), 16000);
  EXPECT_EQ(err.code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err.error().message()).find("1 (mono) or 2 (stereo)"), std::string::npos)
      << err.error().message();
  EXPECT_EQ(wb::Video::try_from_tensor_with_audio(wb::TensorRef(frames, {6, 3, 24, 16}),
                                                  wb::VideoOptions().format(WB_VIDEO_MP4),
                                                  wb::TensorRef(mono, {1600}), 500)
                .code(),
            WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Video::try_from_tensor_with_audio(wb::TensorRef(frames, {6, 3, 24, 16}),
                                                  wb::VideoOptions().format(WB_VIDEO_GIF),
                                                  wb::TensorRef(mono, {1600}), 16000)
                .code(),
            WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Video::try_from_tensor_with_audio(wb::TensorRef(frames, {6, 3, 24, 16}),
                                                  wb::VideoOptions().format(WB_VIDEO_WEBM),
                                                  wb::TensorRef(mono, {1600}), 16000)
                .code(),
            WB_ERR_UNSUPPORTED);
}

TEST(Video, WebmWithQualityControls) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<uint8_t> frames = tchw_frames(6, 24, 16);
  wb::Video v = wb::Video::from_tensor(
      wb::TensorRef(frames, {6, 3, 24, 16}),
      wb::VideoOptions().format(WB_VIDEO_WEBM).fps(10).crf(20).keyframe_interval(3));
  const wb::String json = v.to_json(dir, "w", 2);
  EXPECT_NE(json.view().find(R"("width":16,"height":24})"), std::string_view::npos) << json.view();
  expect_video_file(tmp.files(), json.view(), "media/videos/w_2_", "\x1a\x45\xdf\xa3", 0);
  // crf and bitrate together are refused; MP4 takes the same controls.
  EXPECT_EQ(wb::Video::try_from_tensor(wb::TensorRef(frames, {6, 3, 24, 16}),
                                       wb::VideoOptions().format(WB_VIDEO_WEBM).crf(20).bitrate_kbps(100))
                .code(),
            WB_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(wb::Video::try_from_tensor(wb::TensorRef(frames, {6, 3, 24, 16}),
                                         wb::VideoOptions().format(WB_VIDEO_MP4).bitrate_kbps(200).keyframe_interval(2))
                  .ok());
}

#ifndef WB_TEST_DATA_DIR
#define WB_TEST_DATA_DIR "tests/data"
#endif

// x264 High profile, 2 B-frames, 64x48, 12 frames (tests/data/h264/README.md), Annex-B,
// and its access units (split at start codes: a new unit begins at SEI/SPS/AUD after a
// slice, or at a slice whose first_mb_in_slice is 0).
struct H264Fixture {
  std::vector<unsigned char> stream;
  std::vector<int64_t> pts, dts;
  std::vector<std::pair<std::size_t, std::size_t>> units;  // [begin, end) in stream
};

static H264Fixture h264_fixture() {
  H264Fixture f;
  const std::string base = std::string(WB_TEST_DATA_DIR) + "/h264/x264_high_b2_64x48";
  EXPECT_TRUE(wbtest::read_file(base + ".h264", f.stream));
  std::vector<unsigned char> times;
  EXPECT_TRUE(wbtest::read_file(base + ".times", times));
  std::string t(times.begin(), times.end());
  long long p = 0, d = 0;
  int used = 0;
  const char* c = t.c_str();
  while (std::sscanf(c, "%lld %lld%n", &p, &d, &used) == 2) {
    f.pts.push_back(p);
    f.dts.push_back(d);
    c += used;
  }
  const std::vector<unsigned char>& s = f.stream;
  std::size_t begin = 0;
  bool has_slice = false;
  for (std::size_t i = 0; i + 4 < s.size(); ++i) {
    if (s[i] != 0 || s[i + 1] != 0 || s[i + 2] != 1) continue;
    const std::size_t sc = (i > 0 && s[i - 1] == 0) ? i - 1 : i;
    const unsigned type = s[i + 3] & 0x1Fu;
    const bool slice = type >= 1 && type <= 5;
    const bool starts = has_slice && ((slice && (s[i + 4] & 0x80u)) || type == 6 || type == 7 || type == 9);
    if (starts) {
      f.units.emplace_back(begin, sc);
      begin = sc;
      has_slice = false;
    }
    has_slice = has_slice || slice;
    i += 2;
  }
  f.units.emplace_back(begin, s.size());
  return f;
}

TEST(Video, H264PassThrough) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const H264Fixture f = h264_fixture();
  ASSERT_EQ(f.units.size(), 12u);
  ASSERT_EQ(f.pts.size(), 12u);
  // whole stream, pts only (dts derived) and with dts, timescale of the .times file (ms)
  wb::Video v0 = wb::Video::from_h264(f.stream.data(), f.stream.size(), f.pts.data(), nullptr, f.pts.size(),
                                      wb::H264Options().timescale(1000));
  const wb::String json0 = v0.to_json(dir, "h0", 0);
  EXPECT_NE(json0.view().find(R"("width":64,"height":48})"), std::string_view::npos) << json0.view();
  wb::Video v = wb::Video::from_h264(f.stream.data(), f.stream.size(), f.pts.data(), f.dts.data(), f.pts.size(),
                                     wb::H264Options().timescale(1000));
  const wb::String json = v.to_json(dir, "h", 0);
  EXPECT_NE(json.view().find(R"("width":64,"height":48})"), std::string_view::npos) << json.view();
  expect_video_file(tmp.files(), json.view(), "media/videos/h_0_", "ftyp", 4);
  // streaming, one access unit at a time with pts and dts
  wb::VideoWriter w = wb::VideoWriter::open_h264(wb::H264Options().timescale(1000).framing(WB_H264_FRAMING_ANNEXB));
  EXPECT_EQ(w.try_push(wb::TensorRef(f.stream, {1, 1, 3})).code(), WB_ERR_INVALID_ARGUMENT);  // not a pixel writer
  // a non-IDR first picture is refused, and the writer stays usable
  EXPECT_EQ(w.try_push_h264(f.stream.data() + f.units[1].first, f.units[1].second - f.units[1].first, f.pts[1]).code(),
            WB_ERR_INVALID_ARGUMENT);
  for (std::size_t i = 0; i < f.units.size(); ++i) {
    w.push_h264(f.stream.data() + f.units[i].first, f.units[i].second - f.units[i].first, f.pts[i], &f.dts[i]);
  }
  wb::Video v2 = w.finish();
  const wb::String json2 = v2.to_json(dir, "h", 1);
  EXPECT_NE(json2.view().find(R"("width":64,"height":48})"), std::string_view::npos) << json2.view();
  // both paths store the same samples with the same timing: identical files
  EXPECT_EQ(json_field(json.view(), "sha256"), json_field(json2.view(), "sha256"));
  // timestamp count must match the access units
  EXPECT_EQ(wb::Video::try_from_h264(f.stream.data(), f.stream.size(), f.pts.data(), nullptr, 3,
                                     wb::H264Options().timescale(1000)).code(),
            WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Video::try_from_h264(nullptr, 0, nullptr, nullptr, 0).code(), WB_ERR_INVALID_ARGUMENT);
}

TEST(Video, Errors) {
  const std::vector<uint8_t> frames = tchw_frames(2, 8, 8);
  // The SDK requires format= for arrays.
  EXPECT_EQ(wb::Video::try_from_tensor(wb::TensorRef(frames, {2, 3, 8, 8}), wb::VideoOptions()).code(),
            WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Video::try_from_tensor(wb::TensorRef(frames, {6, 8, 8}), wb::VideoOptions().format(WB_VIDEO_GIF)).code(),
            WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Video::try_from_file("/nonexistent/clip.mp4").code(), WB_ERR_IO);
  auto w = wb::VideoWriter::try_open(8, 8, 3, wb::VideoOptions().format(WB_VIDEO_GIF));
  ASSERT_TRUE(w.ok());
  EXPECT_NE(w->try_finish().code(), WB_OK);  // no frames
  EXPECT_FALSE(*w);
  EXPECT_EQ(w->try_finish().code(), WB_ERR_NULL_ARGUMENT);  // already consumed
  EXPECT_EQ(wb::VideoWriter::try_open(8, 8, 2, wb::VideoOptions().format(WB_VIDEO_GIF)).code(), WB_ERR_INVALID_ARGUMENT);
  // The format comes from the options only and must be chosen.
  EXPECT_EQ(wb::VideoWriter::try_open(8, 8, 3, wb::VideoOptions()).code(), WB_ERR_INVALID_ARGUMENT);
  // Options not made by wb_video_options_default() (bad struct_size) are rejected.
  wb::VideoOptions bad = wb::VideoOptions().format(WB_VIDEO_GIF);
  bad.c.struct_size = 3;
  EXPECT_EQ(wb::VideoWriter::try_open(8, 8, 3, bad).code(), WB_ERR_INVALID_ARGUMENT);
  // An unfinished writer is simply freed.
  auto w2 = wb::VideoWriter::try_open(8, 8, 3, wb::VideoOptions().format(WB_VIDEO_MP4));
  ASSERT_TRUE(w2.ok());
}

// ---- audio, html, object3d, plotly, graph ------------------------------------------------

TEST(Media, OtherTypesMatchSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const float pts[6] = {0, 0, 0, 1, 2, 3};
  wb::Graph g = wb::Graph::create();
  g.add_node(R"({"id":"a","name":"in"})").add_node(R"({"id":"b","name":"out","is_output":true})").add_edge("\"a\"", "\"b\"");
  wb::Row row;
  row.set("h", wb::Html::from_string("<b>x</b>"))
      .set("pts", wb::Object3D::from_tensor(wb::TensorRef(pts, {2, 3})).set_caption("pc"))
      .set("fig", wb::Plotly::from_json(R"({"data":[{"x":[1,2],"y":[3.5,4]}],"layout":{"title":"t"}})"))
      .set("g", g);
  EXPECT_EQ(row.to_json(dir, 5).view(),
            R"({"h":{"_type":"html-file","sha256":"801859fb10f42a30095a36ee6b8e29fa202ac662833bfb60959b6dcbf5bfa0af","size":113,"path":"media/html/h_5_801859fb10f42a30095a.html"},"pts":{"caption":"pc","_type":"object3D-file","sha256":"1fc02ac4b082511e5bf193052ae9d1d88fa2b468f9fabeac3d45353c9b53a216","size":29,"path":"media/object3D/pts_5_1fc02ac4b082511e5bf1.pts.json"},"fig":{"_type":"plotly-file","sha256":"d1d2673a529d7ae51e3e9ab60ea143069fdf2e4325c4e0c5f5aeda7ceba4a73a","size":57,"path":"media/plotly/fig_5_d1d2673a529d7ae51e3e.plotly.json"},"g":{"_type":"graph-file","sha256":"3fda2376ff651c316c2499da49db42215ecb1e30c8b149c9145e481b929162bc","size":112,"path":"media/graph/g_5_3fda2376ff651c316c24.graph.json"}})");
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(wbtest::read_file(tmp.files() + "/media/object3D/pts_5_1fc02ac4b082511e5bf1.pts.json", bytes));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "[[0.0,0.0,0.0],[1.0,2.0,3.0]]");
  ASSERT_TRUE(wbtest::read_file(tmp.files() + "/media/graph/g_5_3fda2376ff651c316c24.graph.json", bytes));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()),
            R"({"format":"keras","nodes":[{"name":"in","id":"a"},{"name":"out","id":"b","is_output":true}],"edges":[["a","b"]]})");
  // Errors as in the SDK.
  EXPECT_EQ(wb::Object3D::try_from_tensor(wb::TensorRef(pts, {3, 2})).code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Molecule::try_from_string("ATOM", "xyz").code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(g.try_add_edge("\"a\"", "\"zz\"").code(), WB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wb::Audio::try_from_tensor(wb::TensorRef(pts, {6}), 0).code(), WB_ERR_INVALID_ARGUMENT);
  auto pc = wb::Object3D::try_from_point_cloud(wb::TensorRef(pts, {2, 3}),
                                               R"([{"center":[0,0,0],"size":[1,1,1],"orientation":[1,0,0,0],"color":[255,0,0]}])");
  EXPECT_TRUE(pc.ok()) << pc.error().message();
  EXPECT_TRUE(wb::Molecule::try_from_string("ATOM      1  N   ALA A   1       0.000   0.000   0.000\n", "pdb").ok());
}

TEST(Media, AudioMatchesSdk) {
  TempDir tmp;
  wb::RunDir dir = wb::RunDir::open(tmp.files());
  const std::vector<float> samples = {0.0f, 0.5f, -0.5f, 0.25f};
  wb::Row row;
  row.set("au", wb::Audio::from_tensor(wb::TensorRef(samples), 8000).set_caption("beep"));
  EXPECT_EQ(row.to_json(dir, 5).view(),
            R"({"au":{"caption":"beep","_type":"audio-file","sha256":"34869a9b7d1c3046e25c25d6f77bcd0ebbeb6964563f5314051431873885fcb3","size":52,"path":"media/audio/au_5_34869a9b7d1c3046e25c.wav"}})");
}

// ---- offline run writer ------------------------------------------------------------------

TEST(Run, WritesAnOfflineRun) {
  TempDir tmp;
  const std::vector<uint8_t> px = fx_pixels();
  wb::Run run = wb::Run::open(tmp.path(), wb::RunOptions().project("bindings").id("cpptest1").config_json(R"({"lr":0.5})"));
  EXPECT_EQ(run.id().view(), "cpptest1");
  const std::string dir = run.dir_path().str(), files = run.files_dir().str();
  EXPECT_NE(dir.find("/wandb/offline-run-"), std::string::npos);
  EXPECT_EQ(dir.substr(dir.size() - 9), "-cpptest1");
  for (int step = 0; step < 3; ++step) {
    wb::Row row;
    row.set("loss", 1.0 / (step + 1)).set("img", wb::Image::from_u8(px.data(), 2, 3, 3));
    run.log(row);
  }
  wb::Dict summary;
  summary.set("best", 0.125);
  run.summary_update(summary).config_update_json(R"({"epochs":3})");
  run.finish();
  wb::Row late;
  late.set("x", 1);
  EXPECT_EQ(run.try_log(late).code(), WB_ERR_STATE);
  // Media are named with the local step, as run.log does.
  for (int step = 0; step < 3; ++step)
    EXPECT_TRUE(wbtest::file_exists(files + "/media/images/img_" + std::to_string(step) + "_4b2ef48a447ceee4ef90.png"));
  std::vector<unsigned char> log;
  ASSERT_TRUE(wbtest::read_file(dir + "/run-cpptest1.wandb", log));
  const std::string text(log.begin(), log.end());
  EXPECT_NE(text.find("4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d"), std::string::npos);
  EXPECT_NE(text.find("media/images/img_2_4b2ef48a447ceee4ef90.png"), std::string::npos);
  EXPECT_NE(text.find("0.125"), std::string::npos);
  EXPECT_EQ(wbtest::wandb_exit_code(dir + "/run-cpptest1.wandb"), 0);
}

// Opens a run under `root` with id `id`; `log` receives its .wandb path.
wb::Run open_run(const std::string& root, const char* id, std::string& log) {
  wb::Run run = wb::Run::open(root, wb::RunOptions().project("bindings").id(id));
  log = run.dir_path().str() + "/run-" + id + ".wandb";
  return run;
}

TEST(Run, ExitCodes) {
  TempDir tmp;
  std::string log_ok, log_thrown, log_explicit, log_closed, log_nested;
  {  // Going out of scope normally: exit code 0.
    wb::Run run = open_run(tmp.path(), "exitok", log_ok);
    wb::Row row;
    run.log(row.set("x", 1));
  }
  EXPECT_EQ(wbtest::wandb_exit_code(log_ok), 0);
  // ~Run while an exception unwinds: the run is recorded as failed (exit code 1).
  try {
    wb::Run run = open_run(tmp.path(), "exitthrow", log_thrown);
    wb::Row row;
    run.log(row.set("x", 1));
    EXPECT_EQ(wbtest::wandb_exit_code(log_thrown), wbtest::kNoExit);
    throw std::runtime_error("training diverged");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(wbtest::wandb_exit_code(log_thrown), 1);
  // finish(code) is recorded as given; the destructor then only frees.
  try {
    wb::Run run = open_run(tmp.path(), "exitthree", log_explicit);
    run.finish(3);
    EXPECT_EQ(run.try_finish(0).code(), WB_ERR_STATE);
    throw std::runtime_error("after finish");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(wbtest::wandb_exit_code(log_explicit), 3);
  {
    wb::Run run = open_run(tmp.path(), "exitclose", log_closed);
    run.close();
    EXPECT_FALSE(run);
    EXPECT_EQ(wbtest::wandb_exit_code(log_closed), 0);
  }
  // A Run created *during* unwinding (in a destructor) and destroyed normally there is not
  // failed: only exceptions thrown after its construction count.
  struct Cleanup {
    std::string root, *log;
    ~Cleanup() {
      wb::Run run = open_run(root, "exitnested", *log);
    }
  };
  try {
    Cleanup c{tmp.path(), &log_nested};
    throw std::runtime_error("outer");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(wbtest::wandb_exit_code(log_nested), 0);
}

// Collects diagnostics; restores the default handler on destruction.
struct LogCapture {
  std::mutex mu;
  std::vector<std::pair<wb::LogLevel, std::string>> messages;
  explicit LogCapture(wb::LogLevel min = wb::LogLevel::Warn) {
    wb::set_log_handler(
        [this](wb::LogLevel level, std::string_view msg) {
          std::lock_guard<std::mutex> lock(mu);
          messages.emplace_back(level, std::string(msg));
        },
        min);
  }
  ~LogCapture() { wb::set_log_handler(nullptr); }
  bool has(wb::LogLevel level, std::string_view needle) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& m : messages)
      if (m.first == level && m.second.find(needle) != std::string::npos) return true;
    return false;
  }
};

TEST(Run, FailedFinishIsReported) {
  TempDir tmp;
  std::string log1, log2, log3;
  // close(): the finish failure (the log file cannot grow) is returned, and the library
  // reports it through the log handler too.
  {
    LogCapture cap(wb::LogLevel::Error);
    wb::Run run = open_run(tmp.path(), "closefail", log1);
    wb::Row row;
    run.log(row.set("x", 1));
    wbtest::FileSizeLimit limit;
    limit.arm(wbtest::file_size(log1));
    ASSERT_TRUE(limit.armed());
    const wb::Result<void> r = run.try_close();
    limit.disarm();
    EXPECT_EQ(r.code(), WB_ERR_IO) << r.error().message();
    EXPECT_FALSE(run);
    EXPECT_EQ(wbtest::wandb_exit_code(log1), wbtest::kNoExit);
    EXPECT_TRUE(cap.has(wb::LogLevel::Error, "finishing the run in wb_run_free failed"));
  }
  // finish() throws.
  {
    wb::Run run = open_run(tmp.path(), "finishfail", log2);
    wbtest::FileSizeLimit limit;
    limit.arm(wbtest::file_size(log2));
    EXPECT_THROW(run.finish(0), wb::Error);
    limit.disarm();
    EXPECT_EQ(wbtest::wandb_exit_code(log2), wbtest::kNoExit);
  }
  // The destructor's implicit finish fails while an exception unwinds: no throw (that
  // would terminate), the failure goes to the log handler.
  LogCapture cap(wb::LogLevel::Error);
  wbtest::FileSizeLimit limit;
  try {
    wb::Run run = open_run(tmp.path(), "dtorfail", log3);
    limit.arm(wbtest::file_size(log3));
    throw std::runtime_error("boom");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  limit.disarm();
  EXPECT_EQ(wbtest::wandb_exit_code(log3), wbtest::kNoExit);
  EXPECT_TRUE(cap.has(wb::LogLevel::Error, "finishing the run with exit code 1 while an exception unwinds failed"));
}

TEST(Log, HandlerReceivesDroppedStepWarning) {
  TempDir tmp;
  std::string log;
  {
    LogCapture cap;
    wb::Run run = open_run(tmp.path(), "dropstep", log);
    wb::Row a, b;
    run.log(a.set("x", 1), 5);
    run.log(b.set("x", 2), 3);  // below the current step: dropped with a warning
    EXPECT_TRUE(cap.has(wb::LogLevel::Warn, "Tried to log to step 3 that is less than the current step 5"))
        << (cap.messages.empty() ? std::string("no messages") : cap.messages[0].second);
    // commit values are distinct from the step sentinel: swapping them is an error.
    wb::Row c;
    EXPECT_EQ(run.try_log(c.set("x", 3), wb::Run::kCommitDefault, wb::Run::kNoStep).code(), WB_ERR_INVALID_ARGUMENT);
    run.finish();
  }
  // A handler that throws: the exception is swallowed at the C boundary, the call succeeds.
  std::atomic<int> calls{0};
  wb::set_log_handler([&calls](wb::LogLevel, std::string_view) {
    ++calls;
    throw std::runtime_error("handler bug");
  });
  {
    wb::Run run = open_run(tmp.path(), "throwinghandler", log);
    wb::Row a, b;
    run.log(a.set("x", 1), 5);
    EXPECT_TRUE(run.try_log(b.set("x", 2), 1).ok());
  }
  EXPECT_EQ(calls.load(), 1);
  // min level: a handler for errors only does not get warnings.
  std::atomic<int> errors_only{0};
  wb::set_log_handler([&errors_only](wb::LogLevel, std::string_view) { ++errors_only; }, wb::LogLevel::Error);
  {
    wb::Run run = open_run(tmp.path(), "minlevel", log);
    wb::Row a, b;
    run.log(a.set("x", 1), 5).log(b.set("x", 2), 1);
  }
  EXPECT_EQ(errors_only.load(), 0);
  wb::set_log_handler(nullptr);
}

// Handlers may be replaced while other threads log and warnings are delivered: each
// callable stays alive while a call into it is in flight.
TEST(Log, SwapHandlerWhileLogging) {
  TempDir tmp;
  std::string log;
  wb::Run run = open_run(tmp.path(), "swaphandler", log);
  wb::Row first;
  run.log(first.set("x", 1), 1000);
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  for (int g = 0; g < 4; ++g) {
    threads.emplace_back([&run] {
      wb::Row row;
      row.set("y", 2);
      for (int i = 0; i < 50; ++i) EXPECT_TRUE(run.try_log(row, i).ok());  // below 1000: warned
    });
  }
  for (int i = 0; i < 50; ++i) {
    auto counter = std::make_shared<int>(i);  // state owned by the callable
    wb::set_log_handler([&delivered, counter](wb::LogLevel, std::string_view msg) {
      if (*counter >= 0 && msg.find("less than the current step 1000") != std::string_view::npos) ++delivered;
    });
  }
  for (auto& th : threads) th.join();
  const int before = delivered.load();
  run.log(first, 1);
  EXPECT_EQ(delivered.load(), before + 1);
  wb::set_log_handler(nullptr);
}

TEST(Version, MatchesHeader) { EXPECT_STREQ(wb::version(), WB_VERSION_STRING); }

TEST(Version, Compatible) {
  EXPECT_TRUE(wb::version_compatible());
  EXPECT_TRUE(wb::detail::version_checked);
  EXPECT_TRUE(wb::version_compatible(WB_VERSION_STRING));
  char other[32];
  std::snprintf(other, sizeof other, "%d.%d.99", WB_VERSION_MAJOR, WB_VERSION_MINOR);
  EXPECT_TRUE(wb::version_compatible(other));  // any patch
  std::snprintf(other, sizeof other, "%d.%d.0", WB_VERSION_MAJOR + 1, WB_VERSION_MINOR);
  EXPECT_FALSE(wb::version_compatible(other));
  std::snprintf(other, sizeof other, "%d.%d.0", WB_VERSION_MAJOR, WB_VERSION_MINOR + 1);
  EXPECT_EQ(wb::version_compatible(other), WB_VERSION_MAJOR != 0);  // 0.x: minor must match
  EXPECT_FALSE(wb::version_compatible(""));
  EXPECT_FALSE(wb::version_compatible("x.y.z"));
  EXPECT_FALSE(wb::version_compatible(nullptr));
}

}  // namespace

TEST(Run, DefineMetricSaveArtifactAndStats) {
  TempDir tmp;
  const std::string src = tmp.path() + "/src";
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  {
    std::FILE* f = std::fopen((src + "/w.bin").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("checkpoint notes\n", f);
    std::fclose(f);
  }
  wb::Run run = wb::Run::open(tmp.path(), wb::RunOptions().id("cppfeat1").stats_interval_ms(100));
  using M = wb::MetricOptions;
  run.define_metric("train/*", M().step_metric("epoch").summary(M::kMin | M::kMax));
  EXPECT_EQ(run.try_define_metric("a*b").code(), WB_ERR_INVALID_ARGUMENT);
  for (int i = 0; i < 3; ++i) {
    wb::Row row;
    run.log(row.set("train/loss", 3.0 - i));
  }
  EXPECT_EQ(run.save(src + "/*.bin", src.c_str(), WB_SAVE_END), 1u);
  run.log_artifact(wb::Artifact::create("model-ckpt", "model").add_file(src + "/w.bin", "weights/w.bin"), {"best"});
  EXPECT_EQ(wb::Artifact::try_create("a/b", "model").code(), WB_ERR_INVALID_ARGUMENT);
  struct timespec ts = {0, 350 * 1000000L};
  nanosleep(&ts, nullptr);
  const std::string dir = run.dir_path().str();
  run.finish();
  std::vector<unsigned char> log;
  ASSERT_TRUE(wbtest::read_file(dir + "/run-cppfeat1.wandb", log));
  const std::string text(log.begin(), log.end());
  // metric record (glob, step metric, min/max), the aggregated summary, the inserted step
  EXPECT_NE(text.find(std::string("\x12\x07train/*\x22\x05" "epoch", 16)), std::string::npos);
  EXPECT_TRUE(text.find(R"({"max":3,"min":1})") != std::string::npos || text.find(R"({"min":1,"max":3})") != std::string::npos);
  // saved file (policy END), artifact entry with the SDK's base64 MD5, stats records
  EXPECT_NE(text.find(std::string("\x0a\x05w.bin\x10\x01", 9)), std::string::npos);
  EXPECT_NE(text.find("Vt1HGOGouTaRRVjT+gU0nA=="), std::string::npos);
  EXPECT_NE(text.find("proc.memory.rssMB"), std::string::npos);
  EXPECT_TRUE(wbtest::file_exists(dir + "/files/w.bin"));
}

// Issue 23: an offline run has no URL (a status, no string); finish_open_runs finishes every
// open wb::Run (exit code given), skips released and closed ones, and leaves the handles to
// their owners (whose destructors then only free).
TEST(Run, UrlOfflineAndFinishOpenRuns) {
  TempDir tmp;
  wb::Run a = wb::Run::open(tmp.path(), wb::RunOptions().id("cppurl1").disable_stats(true));
  EXPECT_EQ(a.try_url().code(), WB_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(a.try_url().error().message()).find("offline run has no URL"), std::string::npos);
  EXPECT_EQ(a.try_entity().code(), WB_ERR_UNSUPPORTED);
  wb::Run b = wb::Run::open(tmp.path(), wb::RunOptions().id("cppurl2").disable_stats(true));
  wb::Run moved = std::move(b);  // a moved handle stays registered once
  wb::Run c = wb::Run::open(tmp.path(), wb::RunOptions().id("cppurl3").disable_stats(true));
  wb::Run d = wb::Run::open(tmp.path(), wb::RunOptions().id("cppurl4").disable_stats(true));
  const std::string la = a.dir_path().str() + "/run-cppurl1.wandb";
  const std::string lb = moved.dir_path().str() + "/run-cppurl2.wandb";
  const std::string lc = c.dir_path().str() + "/run-cppurl3.wandb";
  const std::string ld = d.dir_path().str() + "/run-cppurl4.wandb";
  wb_run* released = c.release();
  d.finish(0);
  EXPECT_EQ(wb::finish_open_runs(7, std::chrono::milliseconds(1000)), 2u);  // a and moved
  EXPECT_EQ(wbtest::wandb_exit_code(la), 7);
  EXPECT_EQ(wbtest::wandb_exit_code(lb), 7);
  EXPECT_EQ(wbtest::wandb_exit_code(lc), wbtest::kNoExit);
  EXPECT_EQ(wbtest::wandb_exit_code(ld), 0);
  EXPECT_EQ(a.try_finish(0).code(), WB_ERR_STATE);
  ASSERT_EQ(wb_run_finish_within(released, 4, 1000, nullptr), WB_OK);
  EXPECT_EQ(wbtest::wandb_exit_code(lc), 4);
  wb_run_free(released, nullptr);
  EXPECT_EQ(wb::finish_open_runs(1, std::chrono::milliseconds(100)), 0u);  // all finished
}

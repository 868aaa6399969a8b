// GoogleTest suite of wb::weave (the C++ wrapper of the Weave client) in offline mode: calls
// are spooled under a temporary directory, never sent. What the server stores from these
// scope objects (exception texts, nesting) is checked against a real trace server by
// tests/weave (make test-weave).
#include <gtest/gtest.h>
#include <wandb_media.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/wb-weave-cpp-XXXXXX";
    const char* p = mkdtemp(tmpl);
    EXPECT_NE(p, nullptr);
    path = p ? p : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

wb::weave::Client offline_client(const TempDir& dir) {
  const std::string spool = dir.path.string();
  return wb::weave::Client::open("wbm-test/cpp-unit",
                                 wb::weave::Options().mode(WB_MODE_OFFLINE).spool_dir(spool.c_str()));
}

bool is_uuid_v7(const std::string& s) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  return s[14] == '7';
}

}  // namespace

static_assert(!std::is_copy_constructible_v<wb::weave::Call>);
static_assert(std::is_nothrow_move_constructible_v<wb::weave::Call>);
static_assert(!std::is_copy_constructible_v<wb::weave::Client>);

TEST(Weave, NestedCallsShareTheTrace) {
  TempDir dir;
  auto client = offline_client(dir);
  wb::Dict inputs;
  inputs.set("step", 1);
  auto root = client.call("policy_step", inputs);
  auto child = client.call("preprocess", inputs, &root);
  EXPECT_TRUE(is_uuid_v7(root.id())) << root.id();
  EXPECT_TRUE(is_uuid_v7(child.id())) << child.id();
  EXPECT_NE(std::string(root.id()), std::string(child.id()));
  EXPECT_EQ(std::string(child.trace_id()), std::string(root.trace_id()));
  auto other = client.call("policy_step", inputs);
  EXPECT_NE(std::string(other.trace_id()), std::string(root.trace_id()));
  child.end(wb::Value::integer(2));
  EXPECT_TRUE(child.ended());
  root.end();
  other.end_exception("boom");
  EXPECT_TRUE(other.ended());
}

TEST(Weave, EndTwiceIsAStateError) {
  TempDir dir;
  auto client = offline_client(dir);
  auto call = client.call("x");
  ASSERT_TRUE(call.try_end().ok());
  auto again = call.try_end();
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.code(), WB_ERR_STATE);
}

TEST(Weave, ScopeEndsTheCallWhileUnwinding) {
  TempDir dir;
  auto client = offline_client(dir);
  bool caught = false;
  try {
    auto call = client.call("policy_step");
    EXPECT_FALSE(call.ended());
    throw std::runtime_error("camera disconnected");
  } catch (const std::runtime_error& e) {
    caught = true;
    EXPECT_STREQ(e.what(), "camera disconnected");
  }
  EXPECT_TRUE(caught);
  // an unended call destroyed without an exception ends as a success with no output
  { auto quiet = client.call("noop"); }
  wb::weave::Status st;
  ASSERT_TRUE(client.try_flush(5.0, &st).ok());
  EXPECT_EQ(st.calls_pending(), 2u);  // offline: both ended calls wait for `wandb-media sync`
  EXPECT_EQ(st.calls_sent(), 0u);
}

TEST(Weave, TraceRecordsAndRethrows) {
  TempDir dir;
  auto client = offline_client(dir);
  wb::Value v = client.trace("double", wb::Dict(), [](wb::weave::Call&) { return wb::Value::integer(4); });
  ASSERT_TRUE(static_cast<bool>(v));
  EXPECT_THROW(client.trace("fails", wb::Dict(),
                            [](wb::weave::Call&) -> wb::Value { throw std::invalid_argument("bad frame"); }),
               std::invalid_argument);
  // the lambda may end the call itself
  wb::Value w = client.trace("self", wb::Dict(), [](wb::weave::Call& c) {
    c.end(wb::Value::string("done"));
    return wb::Value();
  });
  (void)w;
  wb::weave::Status st;
  ASSERT_TRUE(client.try_flush(5.0, &st).ok());
  EXPECT_EQ(st.calls_pending(), 3u);
}

TEST(Weave, MediaInputsAndManyThreads) {
  TempDir dir;
  auto client = offline_client(dir);
  std::vector<uint8_t> px(16 * 16 * 3, 7);
  auto img = wb::Image::from_u8(px.data(), 16, 16, 3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&client, &img, t] {
      for (int i = 0; i < 25; i++) {
        wb::Dict in;
        in.set("thread", t).set("i", i).set("frame", img);
        auto call = client.call("worker", in);
        auto child = client.call("inner", wb::Dict(), &call);
        child.end();
        call.end(wb::Value::integer(i));
      }
    });
  }
  for (auto& th : threads) th.join();
  wb::weave::Status st = client.close(5.0);
  EXPECT_EQ(st.calls_pending(), 200u);
  auto late = client.try_call("late");
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(late.code(), WB_ERR_STATE);
}

TEST(Weave, BadArguments) {
  auto bad = wb::weave::Client::try_open("", wb::weave::Options().mode(WB_MODE_OFFLINE));
  EXPECT_FALSE(bad.ok());
  wb::weave::Call empty;
  EXPECT_FALSE(empty.try_end().ok());
  EXPECT_STREQ(empty.id(), "");
}

// wb::weave scope objects against a real trace server (tests/weave `cppscope`): what the
// server stores when a Call is left by an exception, when trace() catches one, when a Call
// is destroyed without end(), and for nested calls on several threads.
// Usage: weave_scope_cpp   (env: WANDB_PROJECT, WF_TRACE_SERVER_URL, WANDB_API_KEY)
#include <wandb_media.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

int main() {
  auto client = wb::weave::Client::open(std::getenv("WANDB_PROJECT"));
  try {
    auto call = client.call("unwound");
    throw std::runtime_error("camera disconnected");
  } catch (const std::runtime_error&) {
  }
  try {
    client.trace("traced", wb::Dict(), [](wb::weave::Call&) -> wb::Value { throw std::invalid_argument("bad frame"); });
  } catch (const std::invalid_argument&) {
  }
  { auto quiet = client.call("implicit"); }
  {
    auto failed = client.call("explicit");
    failed.end_exception("gripper jammed");
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&client, t] {
      for (int i = 0; i < 10; i++) {
        wb::Dict in;
        in.set("thread", t).set("i", i);
        auto root = client.call("worker", in);
        auto child = client.call("inner", in, &root);
        // the child ends on another thread than the one that started it
        std::thread([c = std::move(child), i]() mutable { c.end(wb::Value::integer(i)); }).join();
        root.end(wb::Value::integer(t));
      }
    });
  }
  for (auto& th : threads) th.join();
  wb::weave::Status st;
  auto r = client.try_close(60.0, &st);
  std::printf("scope: %llu calls sent, %llu pending\n", static_cast<unsigned long long>(st.calls_sent()),
              static_cast<unsigned long long>(st.calls_pending()));
  return r.ok() ? 0 : 1;
}

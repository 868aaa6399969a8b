// ODR test, translation unit A: the header (included twice) in one of two linked TUs.
#include <wandb_media.hpp>
#include <wandb_media.hpp>

#include <string>

std::string odr_row_a(wb::RunDir& dir) {
  wb::Row row;
  row.set("a", 1).set("h", wb::Histogram::from_np_json("[1]", "[0, 1]"));
  return row.to_json(dir, 0).str();
}

// Installs a log handler from this TU; odr_b.cpp checks that its TU sees the same one (the
// handler state is a function-local static of an inline function: one per program).
void odr_install_handler(int* counter) {
  wb::set_log_handler([counter](wb::LogLevel, std::string_view) { ++*counter; });
}

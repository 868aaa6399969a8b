// ODR test, translation unit A: the header (included twice) in one of two linked TUs.
#include <wandb_media.hpp>
#include <wandb_media.hpp>

#include <string>

std::string odr_row_a(const wb::RunDir& dir) {
  wb::Row row;
  row.set("a", 1).set("h", wb::Histogram::from_np_json("[1]", "[0, 1]"));
  return row.to_json(dir, 0).str();
}

// A C++ evaluation loop over a dataset table that a Python team logged with wandb
// (issue 21): read the table (image + label columns) out of the artifact directory, run a
// "model" over its rows, and log the predictions as a new table whose rows point back at
// the source (the source row id and the same image files: cells read from the artifact
// keep their bytes, so no image is re-encoded).
//
//   eval_table OUT_DIR DATASET_DIR [NAME [ARTIFACT_ID]]
//
// DATASET_DIR holds NAME.table.json (default "dataset") and its media, as
// `artifact.download()` or examples/cpp/make_dataset.py leaves it. The prediction row's
// JSON is printed; media go to OUT_DIR/files; the predictions table is also saved as an
// artifact directory OUT_DIR/predictions (readable by wandb.Table.from_json).
//
// With ARTIFACT_ID (the dataset artifact's server id, `artifact.id` in Python), the
// dataset is read as the logged artifact it is, and an offline run is written under
// OUT_DIR/wandb (sync it with `wandb sync`): step 0 logs the dataset table itself (a
// reference to the dataset artifact's entry, no copy), step 1 the predictions, whose
// image cells are references to the dataset's image files (the SDK's `artifact.get`
// semantics: nothing is uploaded twice).
#include <wandb_media.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

// The "model": classifies an image as "bright" or "dark" by its mean pixel value.
std::string predict(const wb::Pixels& px) {
  double sum = 0;
  for (uint8_t v : px.data) sum += v;
  return px.data.empty() || sum / static_cast<double>(px.data.size()) < 128.0 ? "dark" : "bright";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: eval_table OUT_DIR DATASET_DIR [NAME]\n");
    return 2;
  }
  const std::string out = argv[1], dataset = argv[2], name = argc > 3 ? argv[3] : "dataset";
  const std::string artifact_id = argc > 4 ? argv[4] : "";
  try {
    wb::Value source = artifact_id.empty() ? wb::read::artifact_get(dataset, name)
                                           : wb::read::artifact_get(dataset, name, artifact_id);
    wb::read::TableView view(source);
    const std::vector<std::string> cols = view.try_columns().value();
    std::size_t id_col = cols.size(), image_col = cols.size(), label_col = cols.size();
    for (std::size_t c = 0; c < cols.size(); ++c) {
      if (cols[c] == "id") id_col = c;
      if (cols[c] == "image") image_col = c;
      if (cols[c] == "label") label_col = c;
    }
    if (image_col == cols.size() || label_col == cols.size()) {
      std::fprintf(stderr, "the dataset needs \"image\" and \"label\" columns\n");
      return 1;
    }

    wb::Table preds = wb::Table::create(R"(["source_row", "id", "image", "label", "prediction", "correct"])");
    std::size_t row_index = 0, right = 0, total = 0;
    for (const auto& row : view.rows()) {
      const wb::Value& image = row[image_col];
      if (wb::read::type(image) == "Image") {
        const wb::Pixels px = wb::read::pixels(image);  // H×W×C uint8, ready for a model
        const std::string label(wb::read::try_as_string(row[label_col]).value());
        const std::string guess = predict(px);
        const bool ok = guess == label;
        right += ok ? 1 : 0;
        ++total;
        const int64_t id = id_col < cols.size() ? wb::read::try_as_int(row[id_col]).value() : -1;
        preds.add(static_cast<int64_t>(row_index), id, image, label, guess, ok);
      }
      ++row_index;
    }
    const double accuracy = total ? static_cast<double>(right) / static_cast<double>(total) : 0.0;
    if (!artifact_id.empty()) {
      wb::Run run = wb::Run::open(out, wb::RunOptions().mode(WB_MODE_OFFLINE).disable_stats().console(WB_CONSOLE_OFF));
      std::printf("dataset refers to %s\n", wb::read::artifact_reference(source).c_str());
      wb::Dict step0;
      step0.set("dataset", source);
      run.log(step0);
      wb::Dict step1;
      step1.set("predictions", preds);
      step1.set("accuracy", accuracy);
      run.log(step1);
      std::printf("run: %s\n", run.dir_path().c_str());
      run.finish();
      std::fprintf(stderr, "evaluated %zu images: %zu correct\n", total, right);
      return 0;
    }
    wb::RunDir dir = wb::RunDir::open(out + "/files");
    wb::Row log;
    log.set("predictions", preds);
    log.set("accuracy", accuracy);
    std::printf("step 0: %s\n", log.to_json(dir, 0).c_str());
    wb::read::try_save_artifact_dir(preds, out + "/predictions", "predictions").value();
    std::fprintf(stderr, "evaluated %zu images: %zu correct\n", total, right);
  } catch (const wb::Error& e) {
    std::fprintf(stderr, "wandb-media: %s: %s\n", e.code_name(), e.what());
    return 1;
  }
  return 0;
}

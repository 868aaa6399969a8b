// wandb_media/read.hpp — reading back: wb::read (values from W&B JSON and files) (part of the C++17 wrapper; included by
// <wandb_media.hpp>, which is what programs include: this file is not meant to be included
// on its own).
#ifndef WANDB_MEDIA_READ_HPP
#define WANDB_MEDIA_READ_HPP
#ifndef WANDB_MEDIA_HPP_PARTS
#error "include <wandb_media.hpp>, not its parts"
#endif

namespace wb {

// ------------------------------------------------------------------------------------------
// Reading back (issue 21): W&B JSON + files → values, accessors, equality
// ------------------------------------------------------------------------------------------

/// Decoded image pixels, H × W × C uint8 row-major (C = 1 L, 2 LA, 3 RGB, 4 RGBA).
struct Pixels {
  std::vector<uint8_t> data;
  std::size_t height = 0, width = 0, channels = 0;
};

/// Decoded audio: frames × channels float samples, interleaved.
struct Samples {
  std::vector<float> data;
  std::size_t frames = 0, channels = 0;
  uint32_t sample_rate = 0;
};

/// A histogram's counts and edges (`bins.size() == values.size() + 1`).
struct HistogramData {
  std::vector<double> values, bins;
};

namespace read {

/// `init_from_json`: any W&B JSON (a history row, one value, an artifact's
/// `<name>.<type>.json`) and the directory its paths are relative to.
inline Result<Value> try_from_wandb_json(CStr json, CStr source_dir) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) {
    return wb_value_from_wandb_json(json.c_str(), source_dir.c_str(), o, e);
  });
}
/// `artifact.get(name)` on an artifact directory.
inline Result<Value> try_artifact_get(CStr artifact_dir, CStr name) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) {
    return wb_artifact_get(artifact_dir.c_str(), name.c_str(), o, e);
  });
}
/// `artifact.get(name)` on a logged artifact whose server id (`artifact.id`, base64) is
/// known: the value refers back to its source when logged (a table: `artifact_path` and a
/// reference entry; media cells of a new table: reference entries, no copies). See
/// `wb_artifact_get_options`.
inline Result<Value> try_artifact_get(CStr artifact_dir, CStr name, CStr artifact_id) noexcept {
  wb_artifact_get_options o = wb_artifact_get_options_default();
  o.artifact_id = artifact_id.c_str();
  return detail::make<Value>([&](wb_value** out, wb_error* e) {
    return wb_artifact_get_with_options(artifact_dir.c_str(), name.c_str(), &o, out, e);
  });
}
/// The `wandb-artifact://` URL the value references when logged ("" when none).
inline Result<std::string> try_artifact_reference(const Value& v) {
  detail::CallError e;
  char* s = nullptr;
  if (wb_value_artifact_reference(v.get(), &s, e.ptr()) != WB_OK) return e.error();
  if (s == nullptr) return std::string();
  String owned(s);
  return owned.str();
}
/// "null", "bool", "int", "float", "string", "list", "dict", "histogram", or the media
/// class ("Image", "Table", …).
inline std::string_view type(const Value& v) noexcept {
  const char* t = wb_value_type(v.get());
  return t ? std::string_view(t) : std::string_view();
}
inline Result<int64_t> try_as_int(const Value& v) noexcept {
  detail::CallError e;
  int64_t x = 0;
  if (wb_value_get_int(v.get(), &x, e.ptr()) != WB_OK) return e.error();
  return x;
}
inline Result<double> try_as_float(const Value& v) noexcept {
  detail::CallError e;
  double x = 0;
  if (wb_value_get_float(v.get(), &x, e.ptr()) != WB_OK) return e.error();
  return x;
}
inline Result<bool> try_as_bool(const Value& v) noexcept {
  detail::CallError e;
  bool x = false;
  if (wb_value_get_bool(v.get(), &x, e.ptr()) != WB_OK) return e.error();
  return x;
}
/// The string's bytes (valid while `v` lives).
inline Result<std::string_view> try_as_string(const Value& v) noexcept {
  detail::CallError e;
  const char* p = nullptr;
  std::size_t n = 0;
  if (wb_value_get_string(v.get(), &p, &n, e.ptr()) != WB_OK) return e.error();
  return std::string_view(p, n);
}
/// Items of a list, members of a dict, rows of a table.
inline Result<std::size_t> try_len(const Value& v) noexcept {
  detail::CallError e;
  std::size_t n = 0;
  if (wb_value_len(v.get(), &n, e.ptr()) != WB_OK) return e.error();
  return n;
}
inline Result<Value> try_item(const Value& list, std::size_t i) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) { return wb_list_get(list.get(), i, o, e); });
}
/// A dict member read back.
struct DictEntry {
  std::string key;
  Value value;
};
/// Dict member `i` (insertion order): key and value.
inline Result<DictEntry> try_entry(const Value& dict, std::size_t i) {
  detail::CallError e;
  char* k = nullptr;
  wb_value* v = nullptr;
  if (wb_dict_entry(dict.get(), i, &k, &v, e.ptr()) != WB_OK) return e.error();
  String key(k);
  DictEntry out;
  out.key = key.str();
  out.value = Value(v);
  return out;
}
inline Result<Value> try_member(const Value& dict, CStr key) noexcept {
  return detail::make<Value>([&](wb_value** o, wb_error* e) { return wb_dict_get(dict.get(), key.c_str(), o, e); });
}
inline Result<Pixels> try_pixels(const Value& image) {
  detail::CallError e;
  wb_image_pixels px{};
  if (wb_image_get_pixels(image.get(), &px, e.ptr()) != WB_OK) return e.error();
  Pixels out;
  out.height = px.height;
  out.width = px.width;
  out.channels = px.channels;
  out.data.assign(px.data, px.data + px.height * px.width * px.channels);
  wb_image_pixels_free(&px);
  return out;
}
inline Result<Samples> try_samples(const Value& audio) {
  detail::CallError e;
  wb_audio_samples s{};
  if (wb_audio_get_samples(audio.get(), &s, e.ptr()) != WB_OK) return e.error();
  Samples out;
  out.frames = s.frames;
  out.channels = s.channels;
  out.sample_rate = s.sample_rate;
  out.data.assign(s.data, s.data + s.frames * s.channels);
  wb_audio_samples_free(&s);
  return out;
}
inline Result<HistogramData> try_histogram(const Value& h) {
  detail::CallError e;
  std::size_t n = 0;
  if (wb_histogram_size(h.get(), &n, e.ptr()) != WB_OK) return e.error();
  HistogramData out;
  out.values.resize(n);
  out.bins.resize(n + 1);
  if (wb_histogram_read(h.get(), out.values.data(), out.bins.data(), e.ptr()) != WB_OK) return e.error();
  return out;
}
/// A media value's caption as JSON (`null` without one).
inline Result<String> try_caption_json(const Value& v) noexcept {
  detail::CallError e;
  char* out = nullptr;
  if (wb_media_caption_json(v.get(), &out, e.ptr()) != WB_OK) return e.error();
  return String(out);
}
/// `a == b` with the SDK's `__eq__` semantics.
inline Result<bool> try_equal(const Value& a, const Value& b) noexcept {
  detail::CallError e;
  bool eq = false;
  if (wb_value_equal(a.get(), b.get(), &eq, e.ptr()) != WB_OK) return e.error();
  return eq;
}

/// A table read back: columns, column types and rows of cells (`for (auto& row : t.rows())`).
class TableView {
 public:
  explicit TableView(const Value& table) noexcept : t_(table.get()) {}
  Result<std::size_t> try_ncols() const noexcept {
    detail::CallError e;
    std::size_t n = 0;
    if (wb_table_ncols(t_, &n, e.ptr()) != WB_OK) return e.error();
    return n;
  }
  Result<std::size_t> try_nrows() const noexcept {
    detail::CallError e;
    std::size_t n = 0;
    if (wb_table_nrows(t_, &n, e.ptr()) != WB_OK) return e.error();
    return n;
  }
  Result<std::vector<std::string>> try_columns() const {
    auto n = try_ncols();
    if (!n) return n.error();
    std::vector<std::string> out;
    for (std::size_t c = 0; c < *n; c++) {
      detail::CallError e;
      char* name = nullptr;
      if (wb_table_column_name(t_, c, &name, e.ptr()) != WB_OK) return e.error();
      out.push_back(String(name).str());
    }
    return out;
  }
  Result<String> try_column_types_json() const noexcept {
    detail::CallError e;
    char* out = nullptr;
    if (wb_table_column_types_json(t_, &out, e.ptr()) != WB_OK) return e.error();
    return String(out);
  }
  Result<Value> try_cell(std::size_t row, std::size_t col) const noexcept {
    return detail::make<Value>([&](wb_value** o, wb_error* e) { return wb_table_cell(t_, row, col, o, e); });
  }
  /// Row `r` as its cells.
  Result<std::vector<Value>> try_row(std::size_t r) const {
    auto n = try_ncols();
    if (!n) return n.error();
    std::vector<Value> cells;
    cells.reserve(*n);
    for (std::size_t c = 0; c < *n; c++) {
      auto cell = try_cell(r, c);
      if (!cell) return cell.error();
      cells.push_back(std::move(*cell));
    }
    return cells;
  }

  /// Input iterator over the rows (each a std::vector<Value>); an error while reading a
  /// row throws it (aborts without exceptions).
  class RowIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::vector<Value>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;
    RowIterator(const TableView* t, std::size_t r) : t_(t), r_(r) {}
    reference operator*() {
      if (!loaded_) {
        row_ = t_->try_row(r_).value();
        loaded_ = true;
      }
      return row_;
    }
    pointer operator->() { return &**this; }
    RowIterator& operator++() {
      ++r_;
      loaded_ = false;
      return *this;
    }
    bool operator==(const RowIterator& o) const noexcept { return r_ == o.r_; }
    bool operator!=(const RowIterator& o) const noexcept { return r_ != o.r_; }

   private:
    const TableView* t_;
    std::size_t r_;
    value_type row_;
    bool loaded_ = false;
  };
  struct Rows {
    const TableView* t;
    RowIterator begin() const { return RowIterator(t, 0); }
    RowIterator end() const { return RowIterator(t, t->try_nrows().value()); }
  };
  Rows rows() const noexcept { return Rows{this}; }

 private:
  wb_value* t_;
};

/// Writes a table as an artifact directory (`<dir>/<name>.table.json` + its media files).
inline Result<void> try_save_artifact_dir(const Value& table, CStr dir, CStr name) noexcept {
  detail::CallError e;
  return detail::status(wb_table_save_artifact_dir(table.get(), dir.c_str(), name.c_str(), e.ptr()), e);
}

#if WB_CPP_EXCEPTIONS
inline Value from_wandb_json(CStr json, CStr source_dir) { return try_from_wandb_json(json, source_dir).value(); }
inline Value artifact_get(CStr artifact_dir, CStr name) { return try_artifact_get(artifact_dir, name).value(); }
inline Value artifact_get(CStr artifact_dir, CStr name, CStr artifact_id) {
  return try_artifact_get(artifact_dir, name, artifact_id).value();
}
inline std::string artifact_reference(const Value& v) { return try_artifact_reference(v).value(); }
inline Pixels pixels(const Value& image) { return try_pixels(image).value(); }
inline Samples samples(const Value& audio) { return try_samples(audio).value(); }
inline HistogramData histogram(const Value& h) { return try_histogram(h).value(); }
inline bool equal(const Value& a, const Value& b) { return try_equal(a, b).value(); }
#endif

}  // namespace read

}  // namespace wb

#endif  // WANDB_MEDIA_READ_HPP

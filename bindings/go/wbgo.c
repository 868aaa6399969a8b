#include "wbgo.h"

#define WBGO_TENSOR(t, p) wb_tensor t = {p##data, (wb_dtype)p##dtype, p##ndim, p##shape, p##strides}

enum wb_status wbgo_value_from_tensor(WBGO_TENSOR_ARGS(), wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_value_from_tensor(&t, out, err);
}

enum wb_status wbgo_image_from_tensor(WBGO_TENSOR_ARGS(), const wb_image_options *o, int chw, wb_value **out,
                                 wb_error *err) {
  WBGO_TENSOR(t, );
  return chw ? wb_image_from_chw_tensor(&t, o, out, err) : wb_image_from_tensor(&t, o, out, err);
}

enum wb_status wbgo_histogram_from_tensor(WBGO_TENSOR_ARGS(), size_t bins, wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_histogram_from_tensor(&t, bins, out, err);
}

enum wb_status wbgo_histogram_from_np(WBGO_TENSOR_ARGS(v), WBGO_TENSOR_ARGS(e), wb_value **out, wb_error *err) {
  WBGO_TENSOR(tv, v);
  WBGO_TENSOR(te, e);
  return wb_histogram_from_np(&tv, &te, out, err);
}

enum wb_status wbgo_image_add_mask(wb_value *img, const char *layer, WBGO_TENSOR_ARGS(), const char *labels,
                                   wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_image_add_mask(img, layer, &t, labels, err);
}

enum wb_status wbgo_video_from_tensor(WBGO_TENSOR_ARGS(), const wb_video_options *o, wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_video_from_tensor(&t, o, out, err);
}

enum wb_status wbgo_video_writer_push(wb_video_writer *w, WBGO_TENSOR_ARGS(), wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_video_writer_push(w, &t, err);
}

enum wb_status wbgo_video_from_tensor_with_audio(WBGO_TENSOR_ARGS(), const wb_video_options *o, WBGO_TENSOR_ARGS(a),
                                                 uint32_t rate, wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  WBGO_TENSOR(ta, a);
  return wb_video_from_tensor_with_audio(&t, o, &ta, rate, out, err);
}

enum wb_status wbgo_video_writer_push_audio(wb_video_writer *w, WBGO_TENSOR_ARGS(), uint32_t rate, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_video_writer_push_audio(w, &t, rate, err);
}

enum wb_status wbgo_audio_from_tensor(WBGO_TENSOR_ARGS(), uint32_t rate, wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_audio_from_tensor(&t, rate, out, err);
}

enum wb_status wbgo_object3d_from_tensor(WBGO_TENSOR_ARGS(), wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_object3d_from_tensor(&t, out, err);
}

enum wb_status wbgo_object3d_from_point_cloud(int has_points, WBGO_TENSOR_ARGS(), const char *boxes,
                                              const char *vectors, wb_value **out, wb_error *err) {
  WBGO_TENSOR(t, );
  return wb_object3d_from_point_cloud(has_points ? &t : NULL, boxes, vectors, out, err);
}

/* Exported from Go (log.go). */
extern void wbgoLog(int level, char *msg);

static void wbgo_log_trampoline(enum wb_log_level level, const char *message, void *user_data) {
  (void)user_data;
  wbgoLog((int)level, (char *)message);
}

enum wb_status wbgo_set_log_handler(int install, enum wb_log_level min_level, wb_error *err) {
  return wb_set_log_handler(install ? wbgo_log_trampoline : NULL, NULL, min_level, err);
}

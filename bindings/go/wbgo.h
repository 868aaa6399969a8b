// C helpers for the Go binding. Each takes a tensor as separate arguments and builds the
// wb_tensor descriptor on the C stack, so Go never hands C a Go struct that contains a Go
// pointer (cgo pointer-passing rules).
#ifndef WBGO_H
#define WBGO_H
#include <stdlib.h>
#include <wandb_media.h>

#define WBGO_TENSOR_ARGS(p) \
  const void *p##data, int p##dtype, size_t p##ndim, const int64_t *p##shape, const int64_t *p##strides

enum wb_status wbgo_value_from_tensor(WBGO_TENSOR_ARGS(), wb_value **out, wb_error *err);
enum wb_status wbgo_image_from_tensor(WBGO_TENSOR_ARGS(), const wb_image_options *o, int chw, wb_value **out,
                                 wb_error *err);
enum wb_status wbgo_histogram_from_tensor(WBGO_TENSOR_ARGS(), size_t bins, wb_value **out, wb_error *err);
enum wb_status wbgo_histogram_from_np(WBGO_TENSOR_ARGS(v), WBGO_TENSOR_ARGS(e), wb_value **out, wb_error *err);
enum wb_status wbgo_image_add_mask(wb_value *img, const char *layer, WBGO_TENSOR_ARGS(), const char *labels,
                                   wb_error *err);
enum wb_status wbgo_video_from_tensor(WBGO_TENSOR_ARGS(), const wb_video_options *o, wb_value **out, wb_error *err);
enum wb_status wbgo_video_writer_push(wb_video_writer *w, WBGO_TENSOR_ARGS(), wb_error *err);
enum wb_status wbgo_video_from_tensor_with_audio(WBGO_TENSOR_ARGS(), const wb_video_options *o, WBGO_TENSOR_ARGS(a),
                                                 uint32_t rate, wb_value **out, wb_error *err);
enum wb_status wbgo_video_writer_push_audio(wb_video_writer *w, WBGO_TENSOR_ARGS(), uint32_t rate, wb_error *err);
enum wb_status wbgo_audio_from_tensor(WBGO_TENSOR_ARGS(), uint32_t rate, wb_value **out, wb_error *err);
enum wb_status wbgo_object3d_from_tensor(WBGO_TENSOR_ARGS(), wb_value **out, wb_error *err);
enum wb_status wbgo_object3d_from_point_cloud(int has_points, WBGO_TENSOR_ARGS(), const char *boxes,
                                              const char *vectors, wb_value **out, wb_error *err);

/* Installs (install != 0) the Go log callback wbgoLog, or restores the default. */
enum wb_status wbgo_set_log_handler(int install, enum wb_log_level min_level, wb_error *err);

#endif

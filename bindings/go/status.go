package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"time"
)

// UploadState is what an online run's upload is doing (wb_upload_state).
type UploadState int

const (
	// UploadOffline: an offline or disabled run (nothing is uploaded live).
	UploadOffline UploadState = C.WB_UPLOAD_OFFLINE
	// UploadConnecting: no request has reached the server yet.
	UploadConnecting UploadState = C.WB_UPLOAD_CONNECTING
	// UploadUploading: the server answers; rows or files wait to be sent.
	UploadUploading UploadState = C.WB_UPLOAD_UPLOADING
	// UploadUpToDate: everything logged so far was sent.
	UploadUpToDate UploadState = C.WB_UPLOAD_UP_TO_DATE
	// UploadRetrying: requests fail (connection, TLS, 5xx, 429); retried with backoff.
	UploadRetrying UploadState = C.WB_UPLOAD_RETRYING
	// UploadFailed: the server refused for good (wrong key, URL, entity) or Finish ended
	// with data pending; the run's log keeps everything for `wandb-media sync`.
	UploadFailed UploadState = C.WB_UPLOAD_FAILED
	// UploadFinished: Finish uploaded everything.
	UploadFinished UploadState = C.WB_UPLOAD_FINISHED
)

// UploadStatus is what Run.UploadStatus reports.
type UploadStatus struct {
	State                                          UploadState
	HTTPStatus                                     uint32 // the refusal that stopped uploading (401, 404, …); 0 if none
	RowsSent, RowsPending, FilesSent, FilesPending uint64
	UnreachableSince                               time.Time // zero while the server is reachable
	LastError                                      string    // why uploading fails or retries, with the fix; "" if none
}

// UploadStatus says what the run's upload is doing (online runs; offline and disabled runs
// report UploadOffline). Never blocks on the network; safe for concurrent use, also after
// Finish (until Close).
func (r *Run) UploadStatus() (UploadStatus, error) {
	st := C.wb_upload_status_default()
	var e C.wb_error
	err := check(C.wb_run_upload_status(r.ptr(), &st, &e), &e)
	runtime.KeepAlive(r)
	if err != nil {
		return UploadStatus{}, err
	}
	out := UploadStatus{
		State: UploadState(st.state), HTTPStatus: uint32(st.http_status),
		RowsSent: uint64(st.rows_sent), RowsPending: uint64(st.rows_pending),
		FilesSent: uint64(st.files_sent), FilesPending: uint64(st.files_pending),
		LastError: C.GoString(&st.last_error[0]),
	}
	if st.unreachable_since > 0 {
		out.UnreachableSince = time.Unix(int64(st.unreachable_since), 0)
	}
	return out, nil
}

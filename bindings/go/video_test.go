package wandbmedia

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tchw is (T,C,H,W) uint8 frames: a moving bright square.
func tchw(t, h, w int) []byte {
	v := bytes.Repeat([]byte{20}, t*3*h*w)
	for f := 0; f < t; f++ {
		for y := 0; y < h/2; y++ {
			for x := 0; x < w; x++ {
				if x/4 == f%(w/4) {
					for c := 0; c < 3; c++ {
						v[((f*3+c)*h+y)*w+x] = 230
					}
				}
			}
		}
	}
	return v
}

func checkVideo(t *testing.T, files, js, prefix string, w, h float64, magic string, at int) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	if m["_type"] != "video-file" || m["width"] != w || m["height"] != h || !strings.HasPrefix(m["path"].(string), prefix) {
		t.Fatalf("unexpected video JSON %s", js)
	}
	checkMediaFile(t, files, `{"v":`+js+`}`, "v")
	data, _ := os.ReadFile(filepath.Join(files, m["path"].(string)))
	if len(data) < at+len(magic) || string(data[at:at+len(magic)]) != magic {
		t.Fatalf("%s does not contain %q at %d", m["path"], magic, at)
	}
}

func TestVideoGifFromTensor(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	v := must(VideoFromTensor(TensorOf(tchw(6, 24, 16), 6, 3, 24, 16), VideoOptions{Format: VideoGIF, FPS: 10}))
	defer v.Close()
	if err := v.SetCaption("ten"); err != nil {
		t.Fatal(err)
	}
	js := must(v.JSON(dir, "v", 1))
	if !strings.HasPrefix(js, `{"caption":"ten","_type":"video-file"`) {
		t.Fatalf("got %s", js)
	}
	checkVideo(t, files, js, "media/videos/v_1_", 16, 24, "GIF89a", 0)
}

func TestVideoWriterMp4(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	// height 16, width 32: shape order, as Push frames and every tensor.
	w := must(NewVideoWriter(16, 32, 4, VideoOptions{Format: VideoMP4, FPS: 30}))
	frame := make([]byte, 16*32*4)
	for f := 0; f < 8; f++ {
		for i := range frame {
			frame[i] = byte((i + f*9) % 251)
		}
		if err := w.PushU8(frame); err != nil {
			t.Fatal(err)
		}
	}
	// A frame with height and width swapped is rejected, not scrambled; the writer stays usable.
	if err := w.Push(TensorOf(frame, 32, 16, 4)); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("swapped frame shape: %v", err)
	}
	if err := w.Push(TensorOf(frame, 16, 32, 4)); err != nil {
		t.Fatal(err)
	}
	v := must(w.Finish())
	defer v.Close()
	if err := w.Push(TensorOf(frame, 16, 32, 4)); !errors.Is(err, StatusState) {
		t.Fatalf("push after finish: %v", err)
	}
	checkVideo(t, files, must(v.JSON(dir, "clip", 0)), "media/videos/clip_0_", 32, 16, "ftyp", 4)
}

func TestVideoWebMWithQualityControls(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	w := must(NewVideoWriter(16, 32, 3, VideoOptions{Format: VideoWebM, FPS: 10, CRF: 20, KeyframeInterval: 3}))
	frame := make([]byte, 16*32*3)
	for f := 0; f < 6; f++ {
		for i := range frame {
			frame[i] = byte((i + f*9) % 251)
		}
		if err := w.PushU8(frame); err != nil {
			t.Fatal(err)
		}
	}
	v := must(w.Finish())
	defer v.Close()
	checkVideo(t, files, must(v.JSON(dir, "clip", 1)), "media/videos/clip_1_", 32, 16, "\x1a\x45\xdf\xa3", 0)
	// crf and bitrate together are refused.
	if _, err := NewVideoWriter(16, 32, 3, VideoOptions{Format: VideoWebM, CRF: 20, BitrateKbps: 100}); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("crf + bitrate: %v", err)
	}
}

// opusInfo reads the stored MP4 of a logged video: the number of trak boxes and the dOps
// fields (found, channels, input sample rate).
func opusInfo(t *testing.T, files, js string) (traks int, found bool, channels int, rate uint32) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(files, m["path"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	traks = bytes.Count(data, []byte("trak"))
	d := bytes.Index(data, []byte("dOps"))
	if d < 0 || d+12 > len(data) || !bytes.Contains(data, []byte("Opus")) {
		return traks, false, 0, 0
	}
	rate = uint32(data[d+8])<<24 | uint32(data[d+9])<<16 | uint32(data[d+10])<<8 | uint32(data[d+11])
	return traks, true, int(data[d+5]), rate
}

func TestVideoMp4WithAudio(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	stereo := make([]float32, 22050*2)
	for i := range stereo {
		stereo[i] = float32(0.5 * math.Sin(0.06*float64(i/2)*(1+0.5*float64(i%2))))
	}
	v := must(VideoFromTensorWithAudio(TensorOf(tchw(6, 24, 16), 6, 3, 24, 16), VideoOptions{Format: VideoMP4, FPS: 10},
		TensorOf(stereo, 22050, 2), 44100))
	defer v.Close()
	js := must(v.JSON(dir, "av", 0))
	checkVideo(t, files, js, "media/videos/av_0_", 16, 24, "ftyp", 4)
	if traks, found, ch, rate := opusInfo(t, files, js); traks != 2 || !found || ch != 2 || rate != 44100 {
		t.Fatalf("audio track: traks=%d dOps=%v channels=%d rate=%d", traks, found, ch, rate)
	}
	// Streaming: int16 mono blocks between frames.
	w := must(NewVideoWriter(24, 16, 3, VideoOptions{Format: VideoMP4, FPS: 10}))
	mono := make([]int16, 1600)
	for i := range mono {
		mono[i] = int16((i % 40) * 800)
	}
	frame := bytes.Repeat([]byte{90}, 24*16*3)
	for f := 0; f < 5; f++ {
		if err := w.PushU8(frame); err != nil {
			t.Fatal(err)
		}
		if err := w.PushAudio(TensorOf(mono, 1600), 16000); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.PushAudio(TensorOf(mono, 1600), 8000); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("changed sample rate: %v", err)
	}
	v2 := must(w.Finish())
	defer v2.Close()
	js2 := must(v2.JSON(dir, "av", 1))
	if traks, found, ch, rate := opusInfo(t, files, js2); traks != 2 || !found || ch != 1 || rate != 16000 {
		t.Fatalf("streamed audio track: traks=%d dOps=%v channels=%d rate=%d", traks, found, ch, rate)
	}
	// Refused clearly: 3 channels, a rate out of range, GIF; WebM is unsupported.
	frames := TensorOf(tchw(6, 24, 16), 6, 3, 24, 16)
	three := make([]float32, 300*3)
	if _, err := VideoFromTensorWithAudio(frames, VideoOptions{Format: VideoMP4}, TensorOf(three, 300, 3), 16000); !errors.Is(err, StatusInvalidArgument) || !strings.Contains(err.Error(), "1 (mono) or 2 (stereo)") {
		t.Fatalf("3 channels: %v", err)
	}
	if _, err := VideoFromTensorWithAudio(frames, VideoOptions{Format: VideoMP4}, TensorOf(mono, 1600), 500); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("rate 500: %v", err)
	}
	if _, err := VideoFromTensorWithAudio(frames, VideoOptions{Format: VideoGIF}, TensorOf(mono, 1600), 16000); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("gif: %v", err)
	}
	if _, err := VideoFromTensorWithAudio(frames, VideoOptions{Format: VideoWebM}, TensorOf(mono, 1600), 16000); !errors.Is(err, StatusUnsupported) {
		t.Fatalf("webm: %v", err)
	}
}

func TestVideoErrors(t *testing.T) {
	defer catch(t)
	frames := tchw(2, 8, 8)
	if _, err := VideoFromTensor(TensorOf(frames, 2, 3, 8, 8), VideoOptions{}); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("format unset: %v", err)
	}
	if _, err := VideoFormatFromName("avi"); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("avi: %v", err)
	}
	if f, err := VideoFormatFromName("mp4"); err != nil || f != VideoMP4 {
		t.Fatalf("mp4: %v %v", f, err)
	}
	if _, err := VideoFromFile("/nonexistent/clip.mp4"); !errors.Is(err, StatusIO) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := NewVideoWriter(8, 8, 2, VideoOptions{Format: VideoGIF}); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("2 channels: %v", err)
	}
	// Format comes from the options only and must be chosen.
	if _, err := NewVideoWriter(8, 8, 3, VideoOptions{FPS: 4}); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("format unset: %v", err)
	}
}

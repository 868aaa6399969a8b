package wandbmedia

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// h264Fixture: x264 High, 2 B-frames, 64x48, 12 access units (tests/data/h264/README.md).
func h264Fixture(t *testing.T) (stream []byte, units [][]byte, pts, dts []int64) {
	t.Helper()
	stream, err := os.ReadFile("../../tests/data/h264/x264_high_b2_64x48.h264")
	if err != nil {
		t.Fatal(err)
	}
	times, err := os.ReadFile("../../tests/data/h264/x264_high_b2_64x48.times")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(times)), "\n") {
		var p, d int64
		if _, err := fmt.Sscan(line, &p, &d); err != nil {
			t.Fatal(err)
		}
		pts, dts = append(pts, p), append(dts, d)
	}
	// access units: a new one begins at SEI/SPS/AUD after a slice or at a slice with
	// first_mb_in_slice == 0
	begin, hasSlice := 0, false
	for i := 0; i+4 < len(stream); i++ {
		if stream[i] != 0 || stream[i+1] != 0 || stream[i+2] != 1 {
			continue
		}
		sc := i
		if i > 0 && stream[i-1] == 0 {
			sc = i - 1
		}
		typ := stream[i+3] & 0x1F
		slice := typ >= 1 && typ <= 5
		if hasSlice && ((slice && stream[i+4]&0x80 != 0) || typ == 6 || typ == 7 || typ == 9) {
			units = append(units, stream[begin:sc])
			begin, hasSlice = sc, false
		}
		hasSlice = hasSlice || slice
		i += 2
	}
	units = append(units, stream[begin:])
	return
}

func TestVideoH264PassThrough(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	stream, units, pts, dts := h264Fixture(t)
	if len(units) != 12 || len(pts) != 12 {
		t.Fatalf("fixture: %d units, %d timestamps", len(units), len(pts))
	}
	v0 := must(VideoFromH264(stream, pts, nil, H264Options{Timescale: 1000})) // dts derived
	defer v0.Close()
	checkVideo(t, files, must(v0.JSON(dir, "h0", 0)), "media/videos/h0_0_", 64, 48, "ftyp", 4)
	v := must(VideoFromH264(stream, pts, dts, H264Options{Timescale: 1000}))
	defer v.Close()
	js := must(v.JSON(dir, "h", 0))
	checkVideo(t, files, js, "media/videos/h_0_", 64, 48, "ftyp", 4)

	w := must(NewH264VideoWriter(H264Options{Timescale: 1000, Framing: H264FramingAnnexB}))
	// a non-IDR first picture is refused; the writer stays usable
	if err := w.PushH264(units[1], pts[1], nil); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("non-IDR start: %v", err)
	}
	for i, u := range units {
		if err := w.PushH264(u, pts[i], &dts[i]); err != nil {
			t.Fatal(err)
		}
	}
	v2 := must(w.Finish())
	defer v2.Close()
	js2 := must(v2.JSON(dir, "h", 1))
	checkVideo(t, files, js2, "media/videos/h_1_", 64, 48, "ftyp", 4)
	var a, b map[string]any
	_ = json.Unmarshal([]byte(js), &a)
	_ = json.Unmarshal([]byte(js2), &b)
	if a["sha256"] != b["sha256"] {
		t.Fatalf("whole-stream and streaming muxes differ: %s vs %s", js, js2)
	}
	if _, err := VideoFromH264(stream, pts[:3], nil, H264Options{Timescale: 1000}); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("timestamp count: %v", err)
	}
	if _, err := VideoFromH264([]byte("not h264"), nil, nil, H264Options{}); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("garbage: %v", err)
	}
}

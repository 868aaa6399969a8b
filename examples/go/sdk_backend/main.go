// Command sdk_backend shows a Go program acting as a W&B SDK backend: it receives log
// requests (here: generated in-process, as if decoded from an RPC), turns them into history
// rows with package wandbmedia, and collects each row's JSON and the media files written.
//
//	go run ./sdk_backend OUT_DIR
//
// Output: one line per row, `step N: {json}`, then the media files with their sizes; the
// rows are also appended to OUT_DIR/history.jsonl.
package main

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

// logRequest is what a client library would send for one run.log call.
type logRequest struct {
	Step    int64
	Scalars map[string]float64
	Images  map[string]rawImage // packed RGB bytes
	Weights []float32           // logged as a histogram
	Caption string
	Rollout *rawVideo // optional: (T,H,W,3) frames, logged as a GIF
}

type rawVideo struct {
	Frames           []byte
	T, Height, Width int
}

type rawImage struct {
	Pixels        []byte
	Height, Width int
}

func requests() []logRequest {
	var reqs []logRequest
	for step := int64(0); step < 3; step++ {
		px := make([]byte, 24*32*3)
		for i := range px {
			px[i] = byte((i*7 + int(step)*40) % 256)
		}
		w := make([]float32, 1000)
		for i := range w {
			w[i] = float32(math.Sin(float64(i)*0.1)) * float32(step+1)
		}
		reqs = append(reqs, logRequest{
			Step:    step,
			Scalars: map[string]float64{"loss": 1 / float64(step+1), "acc": 0.5 + 0.1*float64(step)},
			Images:  map[string]rawImage{"input": {Pixels: px, Height: 24, Width: 32}},
			Weights: w,
			Caption: fmt.Sprintf("batch %d", step),
		})
	}
	// The last request also carries a short rollout.
	v := &rawVideo{T: 8, Height: 16, Width: 16}
	v.Frames = make([]byte, v.T*v.Height*v.Width*3)
	for i := range v.Frames {
		v.Frames[i] = byte(i * 13 % 256)
	}
	reqs[len(reqs)-1].Rollout = v
	return reqs
}

// handle builds one row from a request and returns its JSON.
func handle(dir *wm.RunDir, req logRequest) (string, error) {
	row := wm.NewRow()
	defer row.Close()
	for _, k := range []string{"loss", "acc"} { // a fixed key order
		row.Set(k, req.Scalars[k])
	}
	for key, im := range req.Images {
		img, err := wm.NewImageU8(im.Pixels, im.Height, im.Width, 3) // pixels are not copied
		if err != nil {
			return "", err
		}
		defer img.Close()
		if err := img.SetCaption(req.Caption); err != nil {
			return "", err
		}
		row.Set(key, img)
	}
	hist, err := wm.HistogramFromTensor(wm.TensorOf(req.Weights), 32)
	if err != nil {
		return "", err
	}
	defer hist.Close()
	row.Set("weights", hist)
	if r := req.Rollout; r != nil {
		t := wm.TensorOf(r.Frames, int64(r.T), int64(r.Height), int64(r.Width), 3)
		video, err := wm.VideoFromTensor(t, wm.VideoOptions{Format: wm.VideoGIF, FPS: 8, Layout: wm.ChannelsLast})
		if err != nil {
			return "", err
		}
		defer video.Close()
		row.Set("rollout", video)
	}
	return row.JSON(dir, req.Step)
}

func main() {
	out := "go-run"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	files := filepath.Join(out, "files")
	dir, err := wm.OpenRunDir(files)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer dir.Close()
	history, err := os.Create(filepath.Join(out, "history.jsonl"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer history.Close()
	for _, req := range requests() {
		js, err := handle(dir, req)
		if err != nil {
			fmt.Fprintf(os.Stderr, "step %d: %v\n", req.Step, err)
			os.Exit(1)
		}
		fmt.Printf("step %d: %s\n", req.Step, js)
		fmt.Fprintln(history, js)
	}
	_ = filepath.WalkDir(files, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			rel, _ := filepath.Rel(files, p)
			fmt.Printf("file %s %d\n", rel, info.Size())
		}
		return nil
	})
}

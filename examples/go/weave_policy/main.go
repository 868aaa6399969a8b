// Command weave_policy traces a robot policy loop to Weave from Go: every step is a
// `policy_step` call with the camera clip it saw as a video input, a nested `preprocess` call
// (its parent taken from the context), and the action, an overlay image and an audio cue as
// its output. Python's weave client reads the trace back as moviepy clips, PIL images and
// wave objects.
//
//	weave_policy [N]     N steps (default 3)
//
// Environment: WANDB_PROJECT ("entity/project", or the project with WANDB_ENTITY),
// WF_TRACE_SERVER_URL (else WANDB_BASE_URL + "/traces"), WANDB_API_KEY. Calls are spooled in
// ./weave first; the exit status is non-zero when Close reports calls it could not deliver
// (they stay in the spool for `wandb-media sync weave`). WEAVE_CLOSE_TIMEOUT is how long
// Close waits for delivery (seconds, default 60).
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	wb "github.com/wandb-media/wandb-media/bindings/go"
)

const (
	frames, height, width, fps = 16, 48, 64, 8
	overlaySize, samples       = 32, 1600
)

// The camera clip of step i: (T, H, W, 3) uint8 (tests/weave/policy_values.py has the formula).
func camera(i int) []uint8 {
	px := make([]uint8, 0, frames*height*width*3)
	for t := 0; t < frames; t++ {
		for y := 0; y < height; y++ {
			for x := 0; x < width; x++ {
				px = append(px, uint8(3*x+4*t), uint8(4*y+8*(i%8)), uint8(2*(x+y)))
			}
		}
	}
	return px
}

func overlay(i int) []byte {
	px := make([]byte, 0, overlaySize*overlaySize*3)
	for y := 0; y < overlaySize; y++ {
		for x := 0; x < overlaySize; x++ {
			px = append(px, byte(8*x), byte(8*y), byte((37*i)%256))
		}
	}
	return px
}

// A short 16 kHz mono int16 cue (stored exactly in the WAV).
func cue(i int) []int16 {
	s := make([]int16, samples)
	for k := range s {
		s[k] = int16((k*37+i*101)%2000 - 1000)
	}
	return s
}

func project() string {
	p := os.Getenv("WANDB_PROJECT")
	if p == "" {
		p = "weave-policy"
	}
	if e := os.Getenv("WANDB_ENTITY"); e != "" && !strings.Contains(p, "/") {
		p = e + "/" + p
	}
	return p
}

func step(ctx context.Context, client *wb.WeaveClient, i int) error {
	video, err := wb.VideoFromTensor(wb.TensorOf(camera(i), frames, height, width, 3),
		wb.VideoOptions{Format: wb.VideoMP4, FPS: fps, Layout: wb.ChannelsLast})
	if err != nil {
		return err
	}
	defer video.Close()
	_, err = client.Call(ctx, "policy_step", map[string]any{"step": i, "camera": video},
		func(ctx context.Context) (any, error) {
			// nested: the parent is the policy_step call carried by ctx
			if _, err := client.Call(ctx, "preprocess", map[string]any{"step": i},
				func(context.Context) (any, error) { return map[string]any{"step": i}, nil }); err != nil {
				return nil, err
			}
			img, err := wb.NewImageU8(overlay(i), overlaySize, overlaySize, 3)
			if err != nil {
				return nil, err
			}
			audio, err := wb.AudioFromTensor(wb.TensorOf(cue(i), samples), 16000)
			if err != nil {
				return nil, err
			}
			// the values are converted when the call ends; the finalizers free img and audio
			return map[string]any{"action": []any{0.1 * float64(i), -0.2 * float64(i), 0.5},
				"overlay": img, "audio": audio}, nil
		})
	return err
}

func main() {
	n := 3
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: weave_policy [N]")
			os.Exit(2)
		}
		n = v
	}
	client, err := wb.OpenWeave(project(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "weave_policy:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for i := 0; i < n; i++ {
		if err := step(ctx, client, i); err != nil {
			fmt.Fprintln(os.Stderr, "weave_policy:", err)
			os.Exit(2)
		}
	}
	timeout := 60 * time.Second
	if v, err := strconv.ParseFloat(os.Getenv("WEAVE_CLOSE_TIMEOUT"), 64); err == nil {
		timeout = time.Duration(v * float64(time.Second))
	}
	st, err := client.Close(timeout)
	fmt.Printf("weave_policy (Go): %d calls sent, %d pending, %d files sent\n", st.CallsSent, st.CallsPending, st.FilesSent)
	if err != nil {
		fmt.Fprintln(os.Stderr, "weave_policy:", err)
		os.Exit(1)
	}
}

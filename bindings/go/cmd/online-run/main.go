// Command online-run is a short online run through package wandbmedia (the Go twin of
// tests/online/cpp/online_run.cpp; tests/online/online.sh "bindings" drives it):
//
//	online-run ROOT N   N rows {"i": i, "loss": 1/(i+1)} and a 16x16 image every 10 rows,
//	                    RunModeOnline with BaseURL/APIKey from WANDB_BASE_URL/WANDB_API_KEY;
//	                    prints the run directory
//
// On any error it prints it and exits with 2.
package main

import (
	"fmt"
	"os"
	"strconv"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "online-run: %s failed: %v\n", what, err)
	os.Exit(2)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: online-run ROOT N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		die("N", err)
	}
	run, err := wm.OpenRun(os.Args[1], &wm.RunOptions{
		Mode:            wm.RunModeOnline,
		BaseURL:         os.Getenv("WANDB_BASE_URL"),
		APIKey:          os.Getenv("WANDB_API_KEY"),
		Project:         "wbm-online",
		Name:            "go-online",
		ConfigJSON:      `{"binding":"go"}`,
		FinishTimeoutMs: 120000,
	})
	if err != nil {
		die("OpenRun", err)
	}
	px := make([]byte, 16*16*3)
	for i := 0; i < n; i++ {
		row := wm.NewRow().Set("i", float64(i)).Set("loss", 1/float64(i+1))
		if i%10 == 0 {
			for k := range px {
				px[k] = byte(k*7 + i*13)
			}
			img, err := wm.NewImageU8(px, 16, 16, 3)
			if err != nil {
				die("NewImageU8", err)
			}
			row.Set("img", img)
			img.Close()
		}
		if row.Err() != nil {
			die("Row.Set", row.Err())
		}
		if err := run.LogRow(row); err != nil {
			die("LogRow", err)
		}
		row.Close()
	}
	dir, err := run.DirPath()
	if err != nil {
		die("DirPath", err)
	}
	if err := run.Finish(0); err != nil {
		die("Finish", err)
	}
	if err := run.Close(); err != nil {
		die("Close", err)
	}
	fmt.Println(dir)
}

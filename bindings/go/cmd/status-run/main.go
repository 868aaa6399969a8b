// Command status-run prints Run.UploadStatus through package wandbmedia (the Go twin of
// tests/online/cpp/status_run.cpp; tests/online/status.py "bindings" drives it):
//
//	status-run ROOT N   N rows (a 16x16 image every 10) online (server and key from the
//	                    environment); after 1.5 s prints "MID <status>", then finishes and
//	                    prints "FINISH ok|<error>", "END <status>" and "DIR <run dir>"
//
// On any other error it prints it and exits with 2.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "status-run: %s failed: %v\n", what, err)
	os.Exit(2)
}

func print(tag string, run *wm.Run) {
	s, err := run.UploadStatus()
	if err != nil {
		die("UploadStatus", err)
	}
	since := int64(0)
	if !s.UnreachableSince.IsZero() {
		since = s.UnreachableSince.Unix()
	}
	fmt.Printf("%s %d %d %d %d %d %d %d %s\n", tag, s.State, s.HTTPStatus, s.RowsSent, s.RowsPending,
		s.FilesSent, s.FilesPending, since, s.LastError)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: status-run ROOT N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		die("N", err)
	}
	run, err := wm.OpenRun(os.Args[1], &wm.RunOptions{Mode: wm.RunModeOnline, Project: "wbm-status", FinishTimeoutMs: 60000})
	if err != nil {
		die("OpenRun", err)
	}
	px := make([]byte, 16*16*3)
	for i := 0; i < n; i++ {
		row := wm.NewRow().Set("i", float64(i))
		if i%10 == 0 {
			img, err := wm.NewImageU8(px, 16, 16, 3)
			if err != nil {
				die("NewImageU8", err)
			}
			row.Set("img", img)
			img.Close()
		}
		if err := run.LogRow(row); err != nil {
			die("LogRow", err)
		}
		row.Close()
	}
	time.Sleep(1500 * time.Millisecond)
	print("MID", run)
	dir, err := run.DirPath()
	if err != nil {
		die("DirPath", err)
	}
	if err := run.Finish(0); err != nil {
		fmt.Printf("FINISH %v\n", err)
	} else {
		fmt.Println("FINISH ok")
	}
	print("END", run)
	if err := run.Close(); err != nil {
		die("Close", err)
	}
	fmt.Printf("DIR %s\n", dir)
}

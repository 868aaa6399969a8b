// A Go program that uses the published module (tests/dist/run.sh): logs one row into
// os.Args[1] and prints its JSON — the same row as tests/packaging/consumer/main.c.
package main

import (
	"fmt"
	"os"

	wandbmedia "github.com/wandb-media/wandb-media/bindings/go"
)

func main() {
	px := make([]byte, 18)
	for i := range px {
		px[i] = byte((i*37 + 11) % 256)
	}
	dir, err := wandbmedia.OpenRunDir(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer dir.Close()
	img, err := wandbmedia.NewImageU8(px, 2, 3, 3)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer img.Close()
	row := wandbmedia.NewRow().Set("loss", 0.5).Set("img", img)
	defer row.Close()
	json, err := row.JSON(dir, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(json)
}

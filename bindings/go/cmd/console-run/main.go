// console-run ROOT: fmt / os.Stderr / a child process under ConsoleRedirect, then a
// ConsoleWrap run fed through Run.ConsoleWriter (tests/console).
package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"

	wbm "github.com/wandb-media/wandb-media/bindings/go"
)

func main() {
	root := os.Args[1]
	run, err := wbm.OpenRun(root, &wbm.RunOptions{Mode: wbm.RunModeOffline, DisableStats: true, Console: wbm.ConsoleRedirect})
	if err != nil {
		panic(err)
	}
	fmt.Println("fmt line 1")
	fmt.Fprintln(os.Stderr, "stderr from go")
	os.Stdout.WriteString("os.Stdout line\n")
	cmd := exec.Command("sh", "-c", "echo child from go")
	cmd.Stdout = os.Stdout
	if err := cmd.Run(); err != nil {
		panic(err)
	}
	if err := run.Finish(0); err != nil {
		panic(err)
	}
	run.Close()

	run2, err := wbm.OpenRun(root, &wbm.RunOptions{Mode: wbm.RunModeOffline, DisableStats: true, Console: wbm.ConsoleWrap})
	if err != nil {
		panic(err)
	}
	w := run2.ConsoleWriter(wbm.ConsoleStdout)
	fmt.Fprintln(w, "writer line")
	l := log.New(w, "", 0)
	l.Printf("logged %d", 7)
	if err := run2.Finish(0); err != nil {
		panic(err)
	}
	run2.Close()
}

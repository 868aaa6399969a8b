//go:build !wandb_static && !wandb_pkgconfig

package wandbmedia

// Default: link the shared library built in this repository (cargo build --release), with
// an rpath so tests and examples run in place. Override or extend with CGO_CFLAGS /
// CGO_LDFLAGS, or build with -tags wandb_pkgconfig (installed library) or -tags
// wandb_static (static archive). See README.md.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -lwandb_media -Wl,-rpath,${SRCDIR}/../../target/release
import "C"

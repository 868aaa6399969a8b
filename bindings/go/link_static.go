//go:build wandb_static && !wandb_pkgconfig

package wandbmedia

// -tags wandb_static: link target/release/libwandb_media.a into the Go binary (no runtime
// dependency on the .so). The extra libraries are what the Rust standard library and the bundled
// OpenH264 (C++) encoder need.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: ${SRCDIR}/../../target/release/libwandb_media.a -lstdc++ -lvpx -lgcc_s -lutil -lrt -lpthread -lm -ldl
import "C"

//go:build wandb_pkgconfig

package wandbmedia

// -tags wandb_pkgconfig: use an installed library found by pkg-config (scripts/install.sh
// PREFIX; set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig). Add -tags wandb_static too with
// `pkg-config --static` semantics by setting CGO_LDFLAGS yourself.

// #cgo pkg-config: wandb_media
import "C"

//go:build !wandb_pkgconfig

package wandbmedia

// Link mode of the published module (added by `make dist`, which also puts the prebuilt
// static archives under lib/GOOS-GOARCH/ and the C header under include/): no Rust, no
// checkout, no shared library at run time. The archive exports only wb_* symbols, so the
// zlib/OpenH264/Rust code inside cannot clash with other cgo libraries. The extra libraries
// are what the Rust standard library and the bundled OpenH264 (C++) encoder need.
// In the repository this file is replaced by link_shared.go / link_static.go (development).

// #cgo CFLAGS: -I${SRCDIR}/include
// #cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux-amd64/libwandb_media.a -lstdc++ -lgcc_s -lutil -lrt -lpthread -lm -ldl
// #cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux-arm64/libwandb_media.a -lstdc++ -lgcc_s -lutil -lrt -lpthread -lm -ldl
// #cgo windows,amd64 LDFLAGS: ${SRCDIR}/lib/windows-amd64/libwandb_media.a -lstdc++ -lkernel32 -ladvapi32 -lbcrypt -lcrypt32 -lncrypt -lsecur32 -lntdll -luserenv -lws2_32 -lole32 -loleaut32 -lsynchronization
import "C"

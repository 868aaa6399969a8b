package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"fmt"
	"strconv"
	"strings"
)

// HeaderMajor, HeaderMinor and HeaderPatch are the version of wandb_media.h this package was
// compiled against (WB_VERSION_MAJOR/MINOR/PATCH); Version() is the linked library's.
const (
	HeaderMajor = int(C.WB_VERSION_MAJOR)
	HeaderMinor = int(C.WB_VERSION_MINOR)
	HeaderPatch = int(C.WB_VERSION_PATCH)
)

// versionCompatible reports whether a library of version lib ("major.minor.patch") serves
// code compiled against header major.minor: same major and, while major is 0, same minor
// (0.x releases may change the C API/ABI).
func versionCompatible(lib string, major, minor int) bool {
	parts := strings.SplitN(lib, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || ma != major {
		return false
	}
	return major != 0 || mi == minor
}

// CheckVersion returns an error when the linked C library is not compatible with the header
// this package was compiled against. The package runs it at initialisation and panics with
// that error, so an incompatible library never gets to run.
func CheckVersion() error {
	lib := Version()
	if versionCompatible(lib, HeaderMajor, HeaderMinor) {
		return nil
	}
	return fmt.Errorf("wandbmedia: incompatible wandb_media C library: this package was compiled against "+
		"wandb_media.h %d.%d.%d but the linked library is %s (the major version, and for 0.x the minor "+
		"version, must match); use the library and header of the same release",
		HeaderMajor, HeaderMinor, HeaderPatch, lib)
}

func init() {
	if err := CheckVersion(); err != nil {
		panic(err)
	}
}

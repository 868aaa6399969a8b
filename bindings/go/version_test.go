package wandbmedia

import (
	"fmt"
	"testing"
)

func TestVersionCompatible(t *testing.T) {
	cases := []struct {
		lib          string
		major, minor int
		want         bool
	}{
		{"0.2.0", 0, 2, true},
		{"0.2.7", 0, 2, true},
		{"0.3.0", 0, 2, false},
		{"0.1.9", 0, 2, false},
		{"1.0.0", 0, 2, false},
		{"1.4.2", 1, 2, true},
		{"1.1.0", 1, 2, true},
		{"2.2.0", 1, 2, false},
		{"", 0, 2, false},
		{"x.y", 0, 2, false},
	}
	for _, c := range cases {
		if got := versionCompatible(c.lib, c.major, c.minor); got != c.want {
			t.Errorf("versionCompatible(%q, %d, %d) = %v", c.lib, c.major, c.minor, got)
		}
	}
	if err := CheckVersion(); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d.%d.%d", HeaderMajor, HeaderMinor, HeaderPatch); Version() != want {
		t.Fatalf("library %s, header %s", Version(), want)
	}
}

package wandbmedia

// Expected JSON and PNG sha256 values come from the wandb 0.31.0 Python SDK on the same
// inputs (gen_reference.py).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const imageJSON = `{"img":{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_0_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}}`

func fxPixels() []byte {
	px := make([]byte, 2*3*3)
	for i := range px {
		px[i] = byte((i*37 + 11) % 256)
	}
	return px
}

func catch(t *testing.T) {
	if r := recover(); r != nil {
		t.Fatalf("unexpected error: %v", r)
	}
}

func openDir(t *testing.T) (*RunDir, string) {
	t.Helper()
	files := filepath.Join(t.TempDir(), "files")
	d, err := OpenRunDir(files)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, files
}

// must panics on error; catch (deferred first in every test) turns that panic into a test
// failure, so one failing call does not abort the other tests.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestScalarsRowMatchesSDK(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	row := NewRow().
		Set("loss", 0.25).
		Set("step", 3).
		Set("name", "runé").
		Set("ok", true).
		Set("nothing", nil).
		Set("big", 1e20).
		Set("nan", math.NaN()).
		Set("nested", map[string]any{"a": []any{1, 2.5, "x"}})
	defer row.Close()
	got := must(row.JSON(dir, 0))
	want := `{"loss":0.25,"step":3,"name":"runé","ok":true,"nothing":null,"big":1e+20,"nan":NaN,"nested":{"a":[1,2.5,"x"]}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestIntegersStringsAndKeyOrder(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	row := NewRow().Set("u8", uint8(200)).Set("u64", uint64(math.MaxUint64)).Set("f", float32(1)).
		Set("s", "a\x00b").Set("n", json.Number("12")).Set("u8", 1)
	defer row.Close()
	got := must(row.JSON(dir, 0))
	want := `{"u8":1,"u64":18446744073709551615,"f":1.0,"s":"a\u0000b","n":12}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func checkMediaFile(t *testing.T, files, rowJSON, key string) {
	t.Helper()
	var row map[string]map[string]any
	if err := json.Unmarshal([]byte(rowJSON), &row); err != nil {
		t.Fatal(err)
	}
	m := row[key]
	data, err := os.ReadFile(filepath.Join(files, m["path"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != m["sha256"] || float64(len(data)) != m["size"] {
		t.Fatalf("file %s does not match its JSON %v", m["path"], m)
	}
	if !strings.Contains(m["path"].(string), hex.EncodeToString(sum[:])[:20]) {
		t.Fatalf("path %s lacks hash20", m["path"])
	}
}

func TestImageU8MatchesSDK(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	img := must(NewImageU8(fxPixels(), 2, 3, 3))
	defer img.Close()
	row := NewRow().Set("img", img)
	defer row.Close()
	got := must(row.JSON(dir, 0))
	if got != imageJSON {
		t.Fatalf("got %s", got)
	}
	checkMediaFile(t, files, got, "img")
}

func TestTensorLayoutsGiveTheSameImage(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	hwc := fxPixels()
	chw := make([]byte, len(hwc))
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			for c := 0; c < 3; c++ {
				chw[c*6+y*3+x] = hwc[(y*3+x)*3+c]
			}
		}
	}
	// Reversed rows via a negative stride and an offset.
	flipped := make([]byte, len(hwc))
	copy(flipped[0:9], hwc[9:18])
	copy(flipped[9:18], hwc[0:9])
	tensors := []struct {
		name string
		make func() (*Value, error)
	}{
		{"hwc", func() (*Value, error) { return ImageFromTensor(TensorOf(hwc, 2, 3, 3), nil) }},
		{"chw-strided", func() (*Value, error) { return ImageFromTensor(TensorOf(chw, 2, 3, 3).WithStrides(3, 1, 6), nil) }},
		{"chw", func() (*Value, error) { return ImageFromCHW(TensorOf(chw, 3, 2, 3), nil) }},
		{"raw", func() (*Value, error) { return ImageFromTensor(RawTensor(DTypeU8, hwc, []int64{2, 3, 3}), nil) }},
		{"flipped", func() (*Value, error) {
			return ImageFromTensor(TensorOf(flipped, 2, 3, 3).WithStrides(-9, 3, 1).WithOffset(9), nil)
		}},
	}
	for _, tc := range tensors {
		img, err := tc.make()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := must(img.JSON(dir, "img", 0))
		img.Close()
		if "{\"img\":"+got+"}" != imageJSON {
			t.Errorf("%s: got %s", tc.name, got)
		}
	}
}

func TestFloatCHWLegacy(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	chw := make([]float32, 18)
	want := make([]byte, 18)
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			for c := 0; c < 3; c++ {
				v := float32((y*3+x+c)%5) / 4
				chw[c*6+y*3+x] = v
				want[(y*3+x)*3+c] = byte(int(v * 255))
			}
		}
	}
	a := must(ImageFromCHW(TensorOf(chw, 3, 2, 3), &ImageOptions{Convert: ConvertLegacy}))
	defer a.Close()
	b := must(NewImageU8(want, 2, 3, 3))
	defer b.Close()
	ja, jb := must(a.JSON(dir, "x", 1)), must(b.JSON(dir, "x", 1))
	if ja != jb {
		t.Fatalf("%s != %s", ja, jb)
	}
}

func TestCaptionGroupingGrayAndList(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	img := must(NewImageU8(fxPixels(), 2, 3, 3))
	defer img.Close()
	if err := img.SetCaption("hello"); err != nil {
		t.Fatal(err)
	}
	got := must(img.JSON(dir, "img", 7))
	want := `{"caption":"hello","_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_7_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2}`
	if got != want {
		t.Fatalf("got %s", got)
	}

	gray := make([]uint8, 12)
	for i := range gray {
		gray[i] = uint8(i * 20)
	}
	g := must(ImageFromTensor(TensorOf(gray, 3, 4), nil))
	defer g.Close()
	row := NewRow().Set("g", g)
	defer row.Close()
	got = must(row.JSON(dir, 2))
	if got != `{"g":{"_type":"image-file","sha256":"066c1ed13dcba44dd2022d606e2e4c224e29eef38026748abcc271ec32d66d2c","size":80,"path":"media/images/g_2_066c1ed13dcba44dd202.png","format":"png","width":4,"height":3}}` {
		t.Fatalf("got %s", got)
	}
	checkMediaFile(t, files, got, "g")

	px := fxPixels()
	inv := make([]byte, len(px))
	for i := range px {
		inv[i] = 255 - px[i]
	}
	list := must(NewList())
	defer list.Close()
	for i, p := range [][]byte{px, inv} {
		im := must(NewImageU8(p, 2, 3, 3))
		if err := im.SetCaption(string(rune('a' + i))); err != nil {
			t.Fatal(err)
		}
		if err := list.Append(im); err != nil {
			t.Fatal(err)
		}
		im.Close()
	}
	got = must(list.JSON(dir, "imgs", 1))
	if got != `{"_type":"images/separated","width":3,"height":2,"format":"png","count":2,"filenames":["media/images/imgs_1_4b2ef48a447ceee4ef90.png","media/images/imgs_1_22701fbeb1f4a69c9a15.png"],"captions":["a","b"]}` {
		t.Fatalf("got %s", got)
	}
}

func TestHistogramMatchesSDK(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	data := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	h := must(HistogramFromTensor(TensorOf(data), 4))
	defer h.Close()
	got := must(h.JSON(dir, "h", 0))
	if got != `{"_type":"histogram","values":[3,2,2,3],"bins":[0.0,2.25,4.5,6.75,9.0]}` {
		t.Fatalf("got %s", got)
	}
}

func TestHistogramNPAndArray(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	a := must(HistogramFromNP(TensorOf([]int64{1, 2}), TensorOf([]float64{0, 0.5, 1})))
	defer a.Close()
	b := must(HistogramFromNPJSON("[0, 1]", "[0, 0.5, 1]"))
	defer b.Close()
	arr := must(Array(TensorOf([]int32{1, 2, 3, 4}, 2, 2)))
	defer arr.Close()
	scalar := must(Array(TensorOf([]float32{1.5}).Reshape()))
	defer scalar.Close()
	row := NewRow().Set("a", a).Set("b", b).Set("arr", arr).Set("s", scalar)
	defer row.Close()
	got := must(row.JSON(dir, 0))
	want := `{"a":{"_type":"histogram","values":[1,2],"bins":[0.0,0.5,1.0]},"b":{"_type":"histogram","values":[0,1],"bins":[0,0.5,1]},"arr":[[1,2],[3,4]],"s":1.5}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if c := must(dir.ConfigJSON()); c != "{}" {
		t.Fatalf("config %s", c)
	}
}

func TestErrorsCarryStatus(t *testing.T) {
	defer catch(t)
	_, err := NewImageU8(make([]byte, 12), 2, 3, 2)
	var we *Error
	if !errors.As(err, &we) || we.Code != StatusInvalidArgument || we.Message == "" {
		t.Fatalf("want invalid-argument *Error, got %#v", err)
	}
	if !errors.Is(err, StatusInvalidArgument) || errors.Is(err, StatusIO) {
		t.Fatal("errors.Is on Status")
	}
	if _, err := ImageFromFile("/nonexistent/x.png"); !errors.Is(err, StatusIO) {
		t.Fatalf("want IO error, got %v", err)
	}
	if _, err := FromJSON("{"); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("got %v", err)
	}
	if _, err := HistogramFromTensor(TensorOf([]float64{1}), 513); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("got %v", err)
	}
	// A closed value is a NULL handle: an error, not a crash.
	v := must(Int(1))
	v.Close()
	v.Close()
	if err := v.SetCaption("x"); !errors.Is(err, StatusNullArgument) {
		t.Fatalf("got %v", err)
	}
	var nilv *Value
	if _, err := nilv.JSON(nil, "k", 0); !errors.Is(err, StatusNullArgument) {
		t.Fatalf("got %v", err)
	}
	if err := NewRow().Set("k", struct{}{}).Err(); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("got %v", err)
	}
	if _, err := String("ok"); err != nil {
		t.Fatal(err)
	}
	if err := must(NewDict()).Set("a\x00b", v); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("NUL in key: %v", err)
	}
}

func TestTensorBoundsAreChecked(t *testing.T) {
	defer catch(t)
	small := make([]float32, 5)
	cases := []Tensor{
		TensorOf(small, 2, 3),
		TensorOf(small, 5).WithStrides(2),
		TensorOf(small, 5).WithStrides(-1),
		TensorOf(small, 5).WithOffset(1),
		TensorOf(small, 1, 5).WithStrides(1),
		TensorOf(small, math.MaxInt64, 2),
	}
	for i, tc := range cases {
		if _, err := Array(tc); !errors.Is(err, StatusInvalidArgument) {
			t.Errorf("case %d: want invalid argument, got %v", i, err)
		}
	}
	if _, err := NewImageU8(make([]byte, 17), 2, 3, 3); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("short pixels: %v", err)
	}
	// In bounds: the last element via a negative stride from an offset.
	v, err := Array(TensorOf([]int64{1, 2, 3}, 3).WithStrides(-1).WithOffset(2))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := openDir(t)
	if got := must(v.JSON(dir, "k", 0)); got != "[3,2,1]" {
		t.Fatalf("got %s", got)
	}
	// Empty tensors need no data; negative extents are the library's to reject.
	if _, err := Array(TensorOf([]float64{}, 0, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := Array(TensorOf(small, -1)); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("negative extent: %v", err)
	}
}

// Many goroutines build values from Go memory while the GC runs; values are left to the
// finalizers half of the time. Run with -race.
func TestConcurrentWithForcedGC(t *testing.T) {
	defer catch(t)
	dir, _ := openDir(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				px := fxPixels()
				img, err := NewImageU8(px, 2, 3, 3)
				if err != nil {
					errs <- err
					return
				}
				data := make([]float64, 6)
				for j := range data {
					data[j] = float64(j*(g+1)) / 4
				}
				h, err := Array(TensorOf(data, 2, 3))
				if err != nil {
					errs <- err
					return
				}
				row := NewRow().Set("img", img).Set("h", h).Set("i", i)
				js, err := row.JSON(dir, 0)
				if err != nil {
					errs <- err
					return
				}
				if !strings.HasPrefix(js, imageJSON[:len(imageJSON)-1]+`,"h":[[0.0,`) {
					errs <- errors.New("unexpected row " + js)
					return
				}
				if i%2 == 0 { // the other half is freed by finalizers
					img.Close()
					h.Close()
					row.Close()
				}
				if i%5 == 0 {
					runtime.GC()
				}
			}
		}(g)
	}
	for i := 0; i < 20; i++ {
		runtime.GC()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	runtime.GC()
	runtime.GC()
}

func TestVersion(t *testing.T) {
	defer catch(t)
	if v := Version(); v == "" || strings.Count(v, ".") != 2 {
		t.Fatalf("version %q", v)
	}
}

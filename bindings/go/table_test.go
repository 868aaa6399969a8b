package wandbmedia

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBoxesAndMaskMatchSDK(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	img := must(NewImageU8(fxPixels(), 2, 3, 3))
	defer img.Close()
	if err := img.AddBoxes("pred", `[{"position":{"minX":0.1,"maxX":0.5,"minY":0.2,"maxY":0.6},"class_id":1,"box_caption":"car","scores":{"acc":0.25}}]`, `{"1":"car"}`); err != nil {
		t.Fatal(err)
	}
	if err := img.AddMask("seg", TensorOf([]uint8{0, 1, 1, 2, 2, 0}, 2, 3), `{"0":"bg","1":"a","2":"b"}`); err != nil {
		t.Fatal(err)
	}
	got := must(img.JSON(dir, "img", 3))
	want := `{"_type":"image-file","sha256":"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d","size":85,"path":"media/images/img_3_4b2ef48a447ceee4ef90.png","format":"png","width":3,"height":2,"boxes":{"pred":{"_type":"boxes2D","sha256":"846b479d42199f14195e85b2b46281d872aaf51f45df40bead374a33ae7617d3","size":155,"path":"media/metadata/boxes2D/img_3_846b479d42199f14195e.boxes2D.json"}},"masks":{"seg":{"_type":"mask","sha256":"b13cd14fef9845ac3f2b37b7cc0434ff6d844ec34ae1e1c0ae6e82a86d60e96a","size":73,"path":"media/images/mask/img_3_b13cd14fef9845ac3f2b.mask.png"}}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	box, err := os.ReadFile(filepath.Join(files, "media/metadata/boxes2D/img_3_846b479d42199f14195e.boxes2D.json"))
	if err != nil || string(box) != `{"box_data":[{"position":{"minX":0.1,"maxX":0.5,"minY":0.2,"maxY":0.6},"class_id":1,"box_caption":"car","scores":{"acc":0.25}}],"class_labels":{"1":"car"}}` {
		t.Fatalf("boxes file %q %v", box, err)
	}
	if c := must(dir.ConfigJSON()); !strings.Contains(c, `"car"`) {
		t.Fatalf("config %s", c)
	}
	if err := img.AddBoxes("bad", `[{"class_id":1}]`, ""); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("box without position: %v", err)
	}
	if err := img.AddMask("m3", TensorOf(make([]uint8, 8), 2, 2, 2), ""); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("3-D mask: %v", err)
	}
	if err := img.SetClasses(`[{"id":1,"name":"car"}]`); err != nil {
		t.Fatal(err)
	}
}

func TestTableRunCopyMatchesSDK(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	img := must(NewImageU8(fxPixels(), 2, 3, 3))
	defer img.Close()
	tab := must(NewTable(`["id","img","score"]`, nil))
	defer tab.Close()
	if err := tab.AddRow(1, img, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := tab.AddRow(2, nil, math.NaN()); err != nil {
		t.Fatal(err)
	}
	if err := tab.AddRow(3); !errors.Is(err, StatusInvalidArgument) || must(tab.NRows()) != 2 {
		t.Fatalf("short row: %v, %d rows", err, must(tab.NRows()))
	}
	notTable := must(Int(1))
	defer notTable.Close()
	if _, err := notTable.NRows(); err == nil {
		t.Fatal("NRows of an int value: no error")
	}
	var nilTable *Value
	if _, err := nilTable.NRows(); !errors.Is(err, StatusNullArgument) {
		t.Fatalf("NRows of nil: %v", err)
	}
	js := must(tab.JSON(dir, "t", 2))
	head := `{"_type":"table-file","sha256":"47f157b0d29eaa75804d277d1e5fb215618e562636ae16963feed4cc92b3722e","size":70,"artifact_path":"wandb-client-artifact://`
	tail := `:latest/t.table.json","path":"media/table/t_2_47f157b0d29eaa75804d.table.json","ncols":3,"nrows":2,"log_mode":"IMMUTABLE"}`
	if !strings.HasPrefix(js, head) || !strings.HasSuffix(js, tail) {
		t.Fatalf("got %s", js)
	}
	data, err := os.ReadFile(filepath.Join(files, "media/table/t_2_47f157b0d29eaa75804d.table.json"))
	if err != nil || string(data) != `{"columns":["id","img","score"],"data":[[1,"Image",0.5],[2,null,NaN]]}` {
		t.Fatalf("run copy %q %v", data, err)
	}
	mixed := must(NewTable(`["x"]`, &TableOptions{LogMode: TableMutable, AllowMixedTypes: true}))
	defer mixed.Close()
	if err := mixed.AddRow(1); err != nil {
		t.Fatal(err)
	}
	if err := mixed.AddRow("two"); err != nil {
		t.Fatal(err)
	}
	if js := must(mixed.JSON(dir, "m", 0)); !strings.Contains(js, `"log_mode":"MUTABLE"`) {
		t.Fatalf("got %s", js)
	}
	if a := must(mixed.ArtifactJSON()); !strings.Contains(a, `"nrows": 2`) {
		t.Fatalf("artifact %s", a)
	}
	// INCREMENTAL: each log writes the rows added since the previous one.
	inc := must(NewTable(`["x"]`, &TableOptions{LogMode: TableIncremental}))
	defer inc.Close()
	if err := inc.AddRow(1); err != nil {
		t.Fatal(err)
	}
	if js := must(inc.JSON(dir, "inc", 0)); !strings.Contains(js, `"_type":"incremental-table-file"`) ||
		!strings.Contains(js, `"increment_num":0,"previous_increments_paths":[],"ncols":1,"nrows":1,"log_mode":"INCREMENTAL"}`) {
		t.Fatalf("increment 0: %s", js)
	}
	if err := inc.AddRow(2); err != nil {
		t.Fatal(err)
	}
	if js := must(inc.JSON(dir, "inc", 1)); !strings.Contains(js, `"increment_num":1,"previous_increments_paths":["wandb-client-artifact://`) ||
		!strings.Contains(js, `"nrows":2,`) {
		t.Fatalf("increment 1: %s", js)
	}
	if a := must(inc.ArtifactJSON()); !strings.Contains(a, `"data": [[2]], "increment_num": 1`) {
		t.Fatalf("increment 1 artifact %s", a)
	}
	j := must(NewJoinedTable(tab, tab, "id", ""))
	defer j.Close()
	if js := must(j.JSON(dir, "j", 0)); !strings.Contains(js, "joined-table") {
		t.Fatalf("got %s", js)
	}
	if _, err := NewTable(`["a","a"]`, nil); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("duplicate columns: %v", err)
	}
}

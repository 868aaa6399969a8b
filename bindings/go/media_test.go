package wandbmedia

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOtherMediaMatchSDK(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	h := must(HTML("<b>x</b>", true))
	defer h.Close()
	pts := must(Object3DFromTensor(TensorOf([]float32{0, 0, 0, 1, 2, 3}, 2, 3)))
	defer pts.Close()
	if err := pts.SetCaption("pc"); err != nil {
		t.Fatal(err)
	}
	fig := must(PlotlyFromJSON(`{"data":[{"x":[1,2],"y":[3.5,4]}],"layout":{"title":"t"}}`))
	defer fig.Close()
	g := must(NewGraph(""))
	defer g.Close()
	for _, n := range []string{`{"id":"a","name":"in"}`, `{"id":"b","name":"out","is_output":true}`} {
		if err := g.AddNode(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.AddEdge(`"a"`, `"b"`); err != nil {
		t.Fatal(err)
	}
	row := NewRow().Set("h", h).Set("pts", pts).Set("fig", fig).Set("g", g)
	defer row.Close()
	got := must(row.JSON(dir, 5))
	want := `{"h":{"_type":"html-file","sha256":"801859fb10f42a30095a36ee6b8e29fa202ac662833bfb60959b6dcbf5bfa0af","size":113,"path":"media/html/h_5_801859fb10f42a30095a.html"},"pts":{"caption":"pc","_type":"object3D-file","sha256":"1fc02ac4b082511e5bf193052ae9d1d88fa2b468f9fabeac3d45353c9b53a216","size":29,"path":"media/object3D/pts_5_1fc02ac4b082511e5bf1.pts.json"},"fig":{"_type":"plotly-file","sha256":"d1d2673a529d7ae51e3e9ab60ea143069fdf2e4325c4e0c5f5aeda7ceba4a73a","size":57,"path":"media/plotly/fig_5_d1d2673a529d7ae51e3e.plotly.json"},"g":{"_type":"graph-file","sha256":"3fda2376ff651c316c2499da49db42215ecb1e30c8b149c9145e481b929162bc","size":112,"path":"media/graph/g_5_3fda2376ff651c316c24.graph.json"}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, k := range []string{"h", "pts", "fig", "g"} {
		checkMediaFile(t, files, got, k)
	}
	if b, _ := os.ReadFile(filepath.Join(files, "media/object3D/pts_5_1fc02ac4b082511e5bf1.pts.json")); string(b) != "[[0.0,0.0,0.0],[1.0,2.0,3.0]]" {
		t.Fatalf("pts.json %q", b)
	}
	if _, err := Object3DFromTensor(TensorOf([]float32{0, 0, 0, 1, 2, 3}, 3, 2)); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("3x2 points: %v", err)
	}
	if err := g.AddEdge(`"a"`, `"zz"`); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("unknown node: %v", err)
	}
	if _, err := MoleculeFromString("ATOM", "xyz"); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("molecule type: %v", err)
	}
	pc := TensorOf([]float32{0, 0, 0, 1, 2, 3}, 2, 3)
	if v, err := Object3DFromPointCloud(&pc, `[{"center":[0,0,0],"size":[1,1,1],"orientation":[1,0,0,0],"color":[255,0,0]}]`, ""); err != nil {
		t.Fatal(err)
	} else {
		v.Close()
	}
	if _, err := AudioFromTensor(TensorOf([]float32{0, 1}), 0); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("rate 0: %v", err)
	}
}

func TestAudioMatchesSDK(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	au := must(AudioFromTensor(TensorOf([]float32{0, 0.5, -0.5, 0.25}), 8000))
	defer au.Close()
	if err := au.SetCaption("beep"); err != nil {
		t.Fatal(err)
	}
	got := must(au.JSON(dir, "au", 5))
	if got != `{"caption":"beep","_type":"audio-file","sha256":"34869a9b7d1c3046e25c25d6f77bcd0ebbeb6964563f5314051431873885fcb3","size":52,"path":"media/audio/au_5_34869a9b7d1c3046e25c.wav"}` {
		t.Fatalf("got %s", got)
	}
	checkMediaFile(t, files, `{"v":`+got+`}`, "v")
}

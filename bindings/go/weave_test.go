package wandbmedia

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Weave client in offline mode (spooled under t.TempDir(), never sent); what a server
// stores from these calls is checked against a real trace server by tests/weave.

func offlineWeave(t *testing.T) *WeaveClient {
	t.Helper()
	c, err := OpenWeave("wbm-test/go-unit", &WeaveOptions{Mode: RunModeOffline, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func isUUIDv7(s string) bool {
	return len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && s[14] == '7'
}

func TestWeaveCallNestsThroughContext(t *testing.T) {
	c := offlineWeave(t)
	defer c.Close(5 * time.Second)
	var rootID, rootTrace, childParentTrace, childID string
	out, err := c.Call(context.Background(), "policy_step", map[string]any{"step": 1},
		func(ctx context.Context) (any, error) {
			root := WeaveCallFromContext(ctx)
			rootID, rootTrace = root.ID(), root.TraceID()
			_, err := c.Call(ctx, "preprocess", nil, func(ctx context.Context) (any, error) {
				child := WeaveCallFromContext(ctx)
				childID, childParentTrace = child.ID(), child.TraceID()
				return 7, nil
			})
			return map[string]any{"action": []any{0.5, 1}}, err
		})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := out.(map[string]any); !ok || m["action"] == nil {
		t.Fatalf("Call returned %v, not fn's output", out)
	}
	if !isUUIDv7(rootID) || !isUUIDv7(childID) || rootID == childID {
		t.Fatalf("ids %q %q", rootID, childID)
	}
	if childParentTrace != rootTrace {
		t.Fatalf("child trace %q != root trace %q", childParentTrace, rootTrace)
	}
	if WeaveCallFromContext(context.Background()) != nil {
		t.Fatal("a bare context carries a call")
	}
}

func TestWeaveCallErrorsAndPanics(t *testing.T) {
	c := offlineWeave(t)
	defer c.Close(5 * time.Second)
	boom := errors.New("camera disconnected")
	_, err := c.Call(context.Background(), "fails", nil, func(context.Context) (any, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Call returned %v, want fn's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "bad frame" {
				t.Fatalf("recovered %v, want the panic re-raised", r)
			}
		}()
		c.Call(context.Background(), "panics", nil, func(context.Context) (any, error) { panic("bad frame") })
	}()
	_, err = c.Call(context.Background(), "badinput", map[string]any{"x": struct{}{}},
		func(context.Context) (any, error) {
			t.Fatal("fn ran although the call could not start")
			return nil, nil
		})
	if err == nil {
		t.Fatal("an unconvertible input was accepted")
	}
	st, err := c.Flush(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st.CallsPending != 2 || st.CallsSent != 0 {
		t.Fatalf("offline status %+v: want the 2 ended calls pending", st)
	}
}

func TestWeaveConcurrentMediaCalls(t *testing.T) {
	c := offlineWeave(t)
	img, err := NewImageU8(make([]byte, 16*16*3), 16, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				_, err := c.Call(context.Background(), "worker", map[string]any{"g": g, "i": i, "frame": img},
					func(ctx context.Context) (any, error) {
						return c.Call(ctx, "inner", nil, func(context.Context) (any, error) { return i, nil })
					})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	st, err := c.Close(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st.CallsPending != 200 {
		t.Fatalf("status %+v: want 200 calls pending (offline)", st)
	}
	if _, err := c.Call(context.Background(), "late", nil, func(context.Context) (any, error) { return nil, nil }); !errors.Is(err, StatusState) {
		t.Fatalf("a call after Close: %v, want StatusState", err)
	}
	if _, err := c.Close(time.Second); !errors.Is(err, StatusState) || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("second Close: %v", err)
	}
}

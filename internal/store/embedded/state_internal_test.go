package embedded

import (
	"bufio"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
)

// TestSnapshotPathsAgree fills a server with every kind of key and checks
// that the MULTI/EXEC snapshot and the Lua fallback read the same state.
func TestSnapshotPathsAgree(t *testing.T) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer mr.Close()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nil, mr.Set("s", "v"))
	must(nil, mr.Set("bin\xff", "\x00\x01"))
	mr.SetTTL("s", time.Hour)
	mr.HSet("h", "a", "1", "b", "2")
	must(mr.SAdd("set", "x", "y"))
	must(mr.ZAdd("z", 2.5, "m"))
	must(mr.RPush("l", "1", "2", "1"))
	must(mr.XAdd("st", "5-1", []string{"f", "v"}))
	must(mr.PfAdd("hll", "a")) // not kept by either path
	for i := range 300 {
		must(nil, mr.Set(fmt.Sprint("k", i), strings.Repeat("v", i)))
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fast, err := snapshot(newConn(mr), now)
	if err != nil {
		t.Fatal(err)
	}
	lua, err := snapshotLua(newConn(mr), now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lua, fast); diff != "" {
		t.Errorf("snapshot paths disagree (-lua +exec):\n%s", diff)
	}
	if len(fast.Keys) != 307 {
		t.Errorf("snapshot has %d keys, want 307", len(fast.Keys))
	}
}

func TestReadReply(t *testing.T) {
	in := "*5\r\n+OK\r\n-ERR bad\r\n:42\r\n$-1\r\n*2\r\n$3\r\na\r\n\r\n*-1\r\n"
	got, err := readReply(bufio.NewReader(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"OK", respError("ERR bad"), 42, nil, []any{"a\r\n", nil}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readReply (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "?x\r\n", ":x\r\n", "$5\r\nab", "*2\r\n:1\r\n", "+no-crlf\n"} {
		if _, err := readReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("readReply(%q) succeeded", bad)
		}
	}
}

package embedded_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/store"
	"newsbot/internal/store/embedded"
)

// The crash test kills a process running the embedded store with SIGKILL
// at random moments. The process is this test binary run again with
// crashHelperEnv set: TestCrashHelperProcess subscribes readers and marks
// stories seen, printing each one once the store has acknowledged it.
const (
	crashHelperEnv = "NEWSBOT_EMBEDDED_CRASH_HELPER"
	crashDirEnv    = "NEWSBOT_EMBEDDED_CRASH_DIR"
	crashFirstEnv  = "NEWSBOT_EMBEDDED_CRASH_FIRST"
)

// TestCrashHelperProcess is the process TestAcceptanceKillDashNine kills.
// It does nothing in a normal test run.
func TestCrashHelperProcess(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process of TestAcceptanceKillDashNine")
	}
	ctx := context.Background()
	// Snapshots every 20ms: kills land during saves and compactions too.
	srv, err := embedded.Start(ctx, embedded.Options{DataDir: os.Getenv(crashDirEnv), SaveEvery: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	rdb, err := store.Open(ctx, srv.URL())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	st := store.New(rdb, store.Options{Logger: quiet})
	first, _ := strconv.ParseInt(os.Getenv(crashFirstEnv), 10, 64)
	var next atomic.Int64
	next.Store(first)
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		fmt.Printf(format+"\n", args...) // one write(2) per line
		out.Unlock()
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				id := next.Add(1)
				_, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
					c.Lang, c.Tags = news.Ukrainian, append(c.Tags, "sud")
					return nil
				})
				if err != nil {
					say("error %v", err)
					return
				}
				say("sub %d", id)
				fresh, err := st.MarkSeen(ctx, news.Ukrainian, []int64{id})
				if err != nil {
					say("error %v", err)
					return
				}
				if slices.Contains(fresh, id) {
					say("seen %d", id)
				}
			}
		})
	}
	wg.Wait()
	os.Exit(1)
}

// TestAcceptanceKillDashNine: every subscription and every "seen" the
// store acknowledged before a kill -9 is there after the restart, in
// several runs on the same DATA_DIR.
func TestAcceptanceKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	var subs, seen []int64
	for run := range 3 {
		s, n := crashRun(t, dir, int64(run)*1_000_000)
		subs, seen = append(subs, s...), append(seen, n...)
		t.Logf("run %d: %d subscriptions and %d stories marked seen acknowledged before the kill", run, len(s), len(n))
		checkSurvivors(t, dir, subs, seen, run%2 == 0)
	}
}

// crashRun starts the helper, kills it at a random moment once it has
// acknowledged some writes, and returns what it acknowledged.
func crashRun(t *testing.T, dir string, first int64) (subs, seen []int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"=1", crashDirEnv+"="+dir, crashFirstEnv+"="+strconv.FormatInt(first, 10))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	target := 10 + rand.IntN(150)
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	deadline := time.After(20 * time.Second)
	n := 0
	killed := false
	for !killed {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the helper exited before the kill: %v", cmd.Wait())
			}
			parseAck(t, line, &subs, &seen)
			if n++; n >= target {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the helper acknowledged %d writes in 20s", n)
		}
	}
	// Lines written before the kill are still in the pipe.
	for line := range lines {
		parseAck(t, line, &subs, &seen)
	}
	cmd.Wait()
	return subs, seen
}

func parseAck(t *testing.T, line string, subs, seen *[]int64) {
	t.Helper()
	kind, num, _ := strings.Cut(line, " ")
	id, err := strconv.ParseInt(num, 10, 64)
	switch {
	case kind == "sub" && err == nil:
		*subs = append(*subs, id)
	case kind == "seen" && err == nil:
		*seen = append(*seen, id)
	default:
		t.Fatalf("helper: %s", line)
	}
}

// checkSurvivors restarts the store on dir and checks every acknowledged
// write; clean says whether to stop it with Close (a save) or a crash.
func checkSurvivors(t *testing.T, dir string, subs, seen []int64, clean bool) {
	t.Helper()
	ctx := context.Background()
	srv, err := embedded.Start(ctx, embedded.Options{DataDir: dir, SaveEvery: time.Hour, Logger: quiet})
	if err != nil {
		t.Fatalf("restart after the kill: %v", err)
	}
	defer func() {
		if clean {
			must(t, srv.Close())
		} else {
			srv.Crash()
		}
	}()
	rdb, err := store.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{Logger: quiet})
	have, err := st.Subscribers(ctx, news.Ukrainian, "sud")
	if err != nil {
		t.Fatal(err)
	}
	var lost []int64
	for _, id := range subs {
		if !slices.Contains(have, id) {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged subscriptions lost: %v", len(lost), len(subs), lost[:min(len(lost), 10)])
	}
	unseen, err := st.Unseen(ctx, news.Ukrainian, seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(unseen) > 0 {
		t.Errorf("%d of %d stories marked seen would be announced again: %v", len(unseen), len(seen), unseen[:min(len(unseen), 10)])
	}
}

package roles_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/internal/redistest"
	"newsbot/internal/roles"
	"newsbot/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const lease = 600 * time.Millisecond

// partitioned wraps the store's leases; once cut, every call fails as if
// the replica lost its network.
type partitioned struct {
	roles.Leases
	cut atomic.Bool
}

var errCut = errors.New("network is unreachable")

func (p *partitioned) AcquireLease(ctx context.Context, role, holder string, ttl time.Duration) (int64, error) {
	if p.cut.Load() {
		return 0, errCut
	}
	return p.Leases.AcquireLease(ctx, role, holder, ttl)
}

func (p *partitioned) RenewLease(ctx context.Context, role, holder string, token int64, ttl time.Duration) (bool, error) {
	if p.cut.Load() {
		return false, errCut
	}
	return p.Leases.RenewLease(ctx, role, holder, token, ttl)
}

func (p *partitioned) ReleaseLease(ctx context.Context, role, holder string, token int64) error {
	if p.cut.Load() {
		return errCut
	}
	return p.Leases.ReleaseLease(ctx, role, holder, token)
}

// events records who runs the role, and catches two at once.
type events struct {
	mu      sync.Mutex
	running map[string]bool
	overlap []string
	starts  chan start
	tokens  []int64
}

type start struct {
	holder string
	token  int64
	at     time.Time
}

func newEvents() *events {
	return &events{running: map[string]bool{}, starts: make(chan start, 16)}
}

// role is the role's work: it runs until its context ends.
func (e *events) role(holder string) func(ctx context.Context, token int64) error {
	return func(ctx context.Context, token int64) error {
		e.mu.Lock()
		for h := range e.running {
			e.overlap = append(e.overlap, h+" and "+holder)
		}
		e.running[holder] = true
		e.tokens = append(e.tokens, token)
		e.mu.Unlock()
		e.starts <- start{holder, token, time.Now()}
		<-ctx.Done()
		e.mu.Lock()
		delete(e.running, holder)
		e.mu.Unlock()
		return nil
	}
}

func (e *events) isRunning(holder string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running[holder]
}

func (e *events) next(t *testing.T, within time.Duration) start {
	t.Helper()
	select {
	case s := <-e.starts:
		return s
	case <-time.After(within):
		t.Fatalf("nobody took the role within %s", within)
		return start{}
	}
}

type replica struct {
	name   string
	leases *partitioned
	m      *roles.Manager
	cancel context.CancelFunc
	done   chan error
}

func startReplica(t *testing.T, st *store.Store, name string, ev *events) *replica {
	t.Helper()
	r := &replica{name: name, leases: &partitioned{Leases: st}, done: make(chan error, 1)}
	r.m = roles.New(r.leases, roles.Config{Holder: name, Lease: lease, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.m.Run(ctx, "poller", ev.role(name)) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One replica holds the role; when it stops (releasing it) or loses its
// network (its lease runs out), another takes it, never two at once, and
// each new holder has a higher fencing token.
func TestOneHolderAtATimeAndFailover(t *testing.T) {
	st := store.New(redistest.Start(t).Client(), store.Options{Logger: quiet})
	ev := newEvents()
	reps := map[string]*replica{}
	for _, name := range []string{"a", "b", "c"} {
		reps[name] = startReplica(t, st, name, ev)
	}
	first := ev.next(t, 2*lease)
	if got := reps[first.holder].m.Held(); len(got) != 1 || got[0] != "poller" {
		t.Errorf("Held() = %v on the holder", got)
	}

	// A clean stop releases the lease: another replica takes it at once.
	stopped := time.Now()
	reps[first.holder].cancel()
	if err := <-reps[first.holder].done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	reps[first.holder].done <- nil // for the cleanup
	second := ev.next(t, lease)
	t.Logf("after a clean stop the role moved in %s", second.at.Sub(stopped))

	// A holder cut off from Redis stops at once (before its lease could
	// have run out), and another takes the role within 2 × the lease.
	cut := time.Now()
	reps[second.holder].leases.cut.Store(true)
	waitUntil(t, lease, "the cut-off holder stops its role", func() bool { return !ev.isRunning(second.holder) })
	third := ev.next(t, 2*lease)
	if third.holder == second.holder {
		t.Fatalf("the cut-off replica %s took the role again", third.holder)
	}
	t.Logf("after a partition the role moved in %s", third.at.Sub(cut))
	if third.at.Sub(cut) > 2*lease {
		t.Errorf("the role moved %s after the partition, want within %s", third.at.Sub(cut), 2*lease)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.overlap) != 0 {
		t.Errorf("two replicas held the role at once: %v", ev.overlap)
	}
	for i := 1; i < len(ev.tokens); i++ {
		if ev.tokens[i] <= ev.tokens[i-1] {
			t.Errorf("fencing tokens %v do not grow", ev.tokens)
		}
	}
}

// An error from the role's work stops Run with it, and releases the lease.
func TestRoleErrorStopsRun(t *testing.T) {
	st := store.New(redistest.Start(t).Client(), store.Options{Logger: quiet})
	m := roles.New(st, roles.Config{Holder: "x", Lease: lease, Logger: quiet})
	boom := errors.New("boom")
	err := m.Run(context.Background(), "updates", func(ctx context.Context, token int64) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want %v", err, boom)
	}
	if holder, _, err := st.LeaseHolder(context.Background(), "updates"); err != nil || holder != "" {
		t.Errorf("lease still held by %q (%v) after the error", holder, err)
	}
}

func TestLeasePrimitives(t *testing.T) {
	st := store.New(redistest.Start(t).Client(), store.Options{Logger: quiet})
	ctx := context.Background()
	tok, err := st.AcquireLease(ctx, "poller", "a", time.Minute)
	if err != nil || tok != 1 {
		t.Fatalf("AcquireLease(a) = %d, %v; want 1", tok, err)
	}
	if again, _ := st.AcquireLease(ctx, "poller", "a", time.Minute); again != tok {
		t.Errorf("re-acquiring gives token %d, want %d", again, tok)
	}
	if other, _ := st.AcquireLease(ctx, "poller", "b", time.Minute); other != 0 {
		t.Errorf("a second holder got token %d", other)
	}
	if ok, _ := st.RenewLease(ctx, "poller", "b", tok, time.Minute); ok {
		t.Error("a non-holder renewed the lease")
	}
	if ok, _ := st.RenewLease(ctx, "poller", "a", tok+1, time.Minute); ok {
		t.Error("the holder renewed with a wrong token")
	}
	st.ReleaseLease(ctx, "poller", "b", tok) // not b's: no effect
	if h, _, _ := st.LeaseHolder(ctx, "poller"); h != "a" {
		t.Errorf("holder after a stranger's release = %q", h)
	}
	st.ReleaseLease(ctx, "poller", "a", tok)
	if next, _ := st.AcquireLease(ctx, "poller", "b", time.Minute); next != tok+1 {
		t.Errorf("the next holder got token %d, want %d", next, tok+1)
	}
	for _, bad := range []struct{ role, holder string }{{"po ller", "a"}, {"{x}", "a"}, {"poller", "a b"}, {"poller", ""}} {
		if _, err := st.AcquireLease(ctx, bad.role, bad.holder, time.Minute); err == nil {
			t.Errorf("AcquireLease(%q, %q) accepted", bad.role, bad.holder)
		}
	}
}

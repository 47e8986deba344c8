package delivery

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"newsbot/internal/queue"
)

// arrivalGuard keeps this process's sends within a strict server's
// sliding second whatever the network does to their spacing. The shared
// limiter spaces the starts of the requests; the server counts their
// arrivals, which network and scheduling delays bunch up. The guard bounds
// each arrival from what the client measures: a request arrives no earlier
// than its start plus half the shortest round trip seen, and no later than
// its answer minus that half. So a send may start once every send n or more
// places before it (n = the rate per second) has been answered for 1 s
// minus the shortest round trip: then their arrivals are surely more than
// a second earlier than its own, and no second holds more than n. The guard waits only when a round trip
// was longer than the shortest, by that excess: the margin follows the
// jitter actually measured instead of being configured.
//
// n follows the rate in force (setRate, adapt.go): after a 429 lowered the
// shared rate, no sliding second holds more of this process's sends than
// the new rate.
//
// The guard also bounds what one 429 costs. A 429 refuses every request
// that reaches the server inside its retry_after, so each request started
// before the answer comes back costs another one:
//   - consecutive sends start a little over half the shortest round trip
//     apart (gapLocked), so a send delayed by the guard is not followed by
//     its successor at once: at 30/s with 50 ms round trips at most one
//     send starts before a 429 to the one before it is known;
//   - a pause learned while a send waits for its place voids the place
//     (errGuardPaused): the caller waits out the pause and takes a new
//     slot;
//   - for probeWindow after a pause, while the rate in force is below the
//     configured one (the second that measures the new limit, see
//     queue.Adaptive), one send at a time is in flight: the 429 that
//     measures the limit is the only one.
type arrivalGuard struct {
	now func() time.Time

	turn chan struct{} // held by the one acquirer taking the next place

	mu     sync.Mutex
	n      int           // sends allowed per sliding second, at most len(ring)
	ring   []*guardEntry // the last len(ring) sends, by sequence number mod len(ring)
	seq    int           // sequence number of the next send
	next   int           // first sequence number not yet folded
	minRTT time.Duration // shortest round trip seen; 0 until one is
	folded time.Time     // latest answer of the sends n or more places back
	last   time.Time     // start of the latest send admitted
}

const (
	// guardGap is the most the least spacing of two sends may be, in
	// intervals of the rate the guard applies (gapLocked).
	guardGap = 0.9
	// probeWindow is how long after a pause, with the rate cut, sends go
	// one at a time.
	probeWindow = time.Second
)

// errGuardPaused is acquire's answer when a pause came while it waited.
var errGuardPaused = errors.New("delivery: sending paused")

// guardEntry is one send: done is closed when it was answered at end.
type guardEntry struct {
	end  time.Time
	done chan struct{}
}

// guardMaxRate is the highest free rate the guard applies to: Telegram's
// free limit per token, which SEND_RATE may not exceed. Above it the
// server is not Telegram's free tier, and the guard (which makes every
// send wait out the slowest answer of the second before it) is off.
const guardMaxRate = 30

// newArrivalGuard returns a guard for perSecond, or nil (no guard) above
// guardMaxRate.
func newArrivalGuard(perSecond float64, now func() time.Time) *arrivalGuard {
	if perSecond > guardMaxRate {
		return nil
	}
	n := max(1, int(perSecond))
	return &arrivalGuard{n: n, now: now, turn: make(chan struct{}, 1), ring: make([]*guardEntry, n)}
}

// setRate sets the sends allowed in a sliding second for a rate in force
// (rounded up: the rate is a count the server was seen to accept, or a
// fraction of the configured one), at most the configured rate.
func (g *arrivalGuard) setRate(perSecond float64) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n = min(len(g.ring), max(1, int(math.Ceil(perSecond-1e-6))))
}

// acquire waits until a send may start and returns its entry, to pass to
// finish when the answer (or the failure) comes. paused is the end of the
// pause as this process knows it; a pause in force when the place comes
// voids it: acquire returns errGuardPaused and registers nothing.
func (g *arrivalGuard) acquire(ctx context.Context, paused func() time.Time) (*guardEntry, error) {
	if g == nil {
		return nil, nil
	}
	select {
	case g.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-g.turn }()
	if err := g.fold(ctx); err != nil {
		return nil, err
	}
	g.mu.Lock()
	at := g.last.Add(g.gapLocked())
	if g.seq >= g.n {
		at = later(at, g.folded.Add(time.Second-g.minRTT+rttSlack(g.minRTT)))
	}
	var prev *guardEntry
	if g.n < len(g.ring) && g.seq > 0 {
		prev = g.ring[(g.seq-1)%len(g.ring)]
	}
	g.mu.Unlock()
	if err := sleep(ctx, at.Sub(g.now())); err != nil {
		return nil, err
	}
	if prev != nil && g.now().Before(paused().Add(probeWindow)) {
		select {
		case <-prev.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	now := g.now()
	if now.Before(paused()) {
		return nil, errGuardPaused
	}
	e := &guardEntry{done: make(chan struct{})}
	g.mu.Lock()
	g.ring[g.seq%len(g.ring)] = e
	g.seq++
	g.last = now
	g.mu.Unlock()
	return e, nil
}

// gapLocked is the least spacing of two sends' starts: a little over half
// the shortest round trip, so that at most one send starts while the
// answer to the one before it travels, and at most guardGap of an
// interval, so that a send delayed by the guard is caught up at once.
// When even that spacing cannot keep two sends from one round trip (at
// rates with more than two in flight), there is none.
func (g *arrivalGuard) gapLocked() time.Duration {
	if g.minRTT == 0 {
		return 0
	}
	iv := time.Second / time.Duration(g.n)
	half := (g.minRTT + g.minRTT/10 + 2*time.Millisecond) / 2
	if half > iv {
		return 0
	}
	return min(half, time.Duration(guardGap*float64(iv)))
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// fold waits for the answers of every send n or more places before the
// next one and keeps the latest: answers come back out of order, and each
// of those sends must be more than a second older than the next.
func (g *arrivalGuard) fold(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.next > g.seq-g.n {
			g.mu.Unlock()
			return nil
		}
		old := g.ring[g.next%len(g.ring)]
		g.mu.Unlock()
		select {
		case <-old.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		g.mu.Lock()
		if old.end.After(g.folded) {
			g.folded = old.end
		}
		g.next++
		g.mu.Unlock()
	}
}

// finish records that e's request, started at start, was answered now.
func (g *arrivalGuard) finish(e *guardEntry, start time.Time) {
	if g == nil || e == nil {
		return
	}
	now := g.now()
	g.mu.Lock()
	if rtt := now.Sub(start); rtt > 0 && (g.minRTT == 0 || rtt < g.minRTT) {
		g.minRTT = rtt
	}
	e.end = now
	g.mu.Unlock()
	close(e.done)
}

// rttSlack is taken off the shortest round trip before it is counted on:
// the shortest way in and the shortest way back need not belong to the
// same request, so their sum may be a little shorter than any one round
// trip.
func rttSlack(minRTT time.Duration) time.Duration {
	return min(minRTT, minRTT/50+2*time.Millisecond)
}

// pausedUntil is the end of the pause as this process knows it.
func (e *Engine) pausedUntil() time.Time {
	if p, ok := e.lim.(interface{ PausedUntil() time.Time }); ok {
		return p.PausedUntil()
	}
	return time.Time{}
}

// admit takes a free or paid slot of the shared limiter (see
// sendLimiter.Wait for maxPause) and, for a free one, this process's place
// in the arrival guard: the request may start when it returns. A pause
// that comes between the two voids both, and admit waits again.
func (e *Engine) admit(ctx context.Context, maxPause time.Duration) (queue.Slot, *guardEntry, error) {
	for {
		s, err := e.lim.Wait(ctx, maxPause)
		if err != nil {
			return s, nil, err
		}
		e.noteRate()
		if s.Paid {
			return s, nil, nil
		}
		ge, err := e.guard.acquire(ctx, e.pausedUntil)
		if !errors.Is(err, errGuardPaused) {
			return s, ge, err
		}
	}
}

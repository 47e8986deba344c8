package delivery

import (
	"context"
	"math"
	"sync"
	"time"
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
}

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
// finish when the answer (or the failure) comes.
func (g *arrivalGuard) acquire(ctx context.Context) (*guardEntry, error) {
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
	waited := g.seq >= g.n
	at := g.folded.Add(time.Second - g.minRTT + rttSlack(g.minRTT))
	g.mu.Unlock()
	if waited {
		if err := sleep(ctx, at.Sub(g.now())); err != nil {
			return nil, err
		}
	}
	e := &guardEntry{done: make(chan struct{})}
	g.mu.Lock()
	g.ring[g.seq%len(g.ring)] = e
	g.seq++
	g.mu.Unlock()
	return e, nil
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

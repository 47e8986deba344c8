package delivery

import (
	"context"
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
type arrivalGuard struct {
	n   int
	now func() time.Time

	turn chan struct{} // held by the one acquirer taking the next place

	mu     sync.Mutex
	ring   []*guardEntry // the last n sends, by sequence number mod n
	seq    int
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
	g.mu.Lock()
	old := g.ring[g.seq%g.n]
	g.mu.Unlock()
	if old != nil {
		select {
		case <-old.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		g.mu.Lock()
		// Answers come back out of order: every send up to this one's
		// n-th predecessor must be more than a second older, so the
		// latest of their answers counts.
		if old.end.After(g.folded) {
			g.folded = old.end
		}
		at := g.folded.Add(time.Second - g.minRTT + rttSlack(g.minRTT))
		g.mu.Unlock()
		if err := sleep(ctx, at.Sub(g.now())); err != nil {
			return nil, err
		}
	}
	e := &guardEntry{done: make(chan struct{})}
	g.mu.Lock()
	g.ring[g.seq%g.n] = e
	g.seq++
	g.mu.Unlock()
	return e, nil
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

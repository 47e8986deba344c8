package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// Claims across replicas (long polling). The offset given to getUpdates
// and stored in Redis is that of the first update not yet handled, so an
// update in hand when a replica dies is polled again by the next holder of
// the update role, with the ones after it that were handled already. A
// shared claim per update tells them apart: ClaimUpdate before handling
// (renewed every third of its lifetime while the handler runs),
// FinishUpdate ("done") after. The next holder skips the done ones, waits
// while another replica's claim lives (a replica that lost the role
// finishing its updates), and handles those whose claimant died once the
// claim expires. An update is handled twice only if its holder dies after
// its reply went out and before the done mark (one Redis round trip), or
// if Redis fails in between.
const (
	// doneTTL is how long a handled update stays marked: past the 24
	// hours Telegram keeps an update.
	doneTTL = 25 * time.Hour
	// defaultClaimTTL is the default of Config.ClaimTTL.
	defaultClaimTTL = 10 * time.Second
	// finishTimeout bounds the done mark after a handler.
	finishTimeout = 5 * time.Second
)

// verdict is what to do with a polled update.
type verdict int

const (
	handleIt verdict = iota // claimed: handle, then finish
	skipIt                  // handled already (here or by another replica)
	leaveIt                 // another replica holds it and Poll is stopping
)

// claimer holds this Poll's claims of updates.
type claimer struct {
	st     Store
	log    *slog.Logger
	holder string
	ttl    time.Duration

	mu   sync.Mutex
	mine map[int]struct{} // claims held: renewed until finished
}

func newClaimer(b *Bot) *claimer {
	var id [8]byte
	rand.Read(id[:]) // never fails (crypto/rand)
	return &claimer{st: b.store, log: b.log, holder: hex.EncodeToString(id[:]), ttl: b.cfg.ClaimTTL,
		mine: make(map[int]struct{})}
}

// acquire claims update id. While another replica's claim lives it checks
// again every recheck, for at most handleTimeout plus a claim's lifetime
// (a live claimant is done by then), or until stop is closed. When Redis
// fails the update is handled anyway: a second answer is better than none.
func (c *claimer) acquire(ctx context.Context, stop <-chan struct{}, id int) verdict {
	deadline := time.Now().Add(handleTimeout + c.ttl)
	recheck := min(c.ttl/4, 250*time.Millisecond)
	for {
		claimed, done, err := c.st.ClaimUpdate(ctx, id, c.holder, c.ttl)
		switch {
		case err != nil:
			c.log.Warn("Unable to claim an update; it is handled without a claim.", "update_id", id, "err", err)
			return handleIt
		case claimed:
			c.mu.Lock()
			c.mine[id] = struct{}{}
			c.mu.Unlock()
			return handleIt
		case done:
			c.log.Debug("An update handled already was skipped.", "update_id", id)
			return skipIt
		}
		if time.Now().After(deadline) {
			c.log.Warn("Another replica's claim of an update outlived its handler; handling it here.", "update_id", id)
			return handleIt
		}
		if !sleepUnless(stop, recheck) {
			return leaveIt
		}
	}
}

// finish marks update id handled and drops its claim.
func (c *claimer) finish(ctx context.Context, id int) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := c.st.FinishUpdate(fctx, id, doneTTL); err != nil {
		c.log.Error("Unable to mark an update handled; another replica may handle it again if this one dies.",
			"update_id", id, "err", err)
	}
	c.mu.Lock()
	delete(c.mine, id)
	c.mu.Unlock()
}

// renew extends the claims held every third of their lifetime until ctx
// ends.
func (c *claimer) renew(ctx context.Context) {
	t := time.NewTicker(c.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		ids := make([]int, 0, len(c.mine))
		for id := range c.mine {
			ids = append(ids, id)
		}
		c.mu.Unlock()
		lost, err := c.st.RenewUpdateClaims(ctx, c.holder, ids, c.ttl)
		if err != nil && ctx.Err() == nil {
			c.log.Warn("Unable to renew the claims of the updates in hand.", "err", err, "updates", len(ids))
		}
		for _, id := range lost {
			c.mu.Lock()
			_, held := c.mine[id]
			c.mu.Unlock()
			if held { // not finished meanwhile
				c.log.Warn("The claim of an update in hand expired; another replica may handle it too.", "update_id", id)
			}
		}
	}
}

// sleepUnless waits for d; it reports false when stop is closed first.
func sleepUnless(stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

package bot

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"newsbot/internal/telegram"
)

// Parking. Poll confirms to Telegram (and stores) only the offset of the
// first update not yet handled, but a long poll returns at most
// maxPollUpdates updates past its offset: behind a slow handler (a
// flooding chat's replies at one a second, a reply waiting out a 429) the
// window can fill with updates known already and hide the new ones. When a
// poll returns a full window while an update is held back, the updates in
// hand are parked in Redis (their JSON, store.ParkUpdates) and the offset moves past
// them; a parked update is unparked once handled. The next holder of the
// update role submits the parked updates before its first poll (resume),
// the claims skipping those handled already.
const (
	// maxPollUpdates is the most updates getUpdates returns (its limit's
	// default and maximum).
	maxPollUpdates = 100
	// unparkTimeout bounds the removal of a handled update from Redis.
	unparkTimeout = 5 * time.Second
)

// received submits the updates of a poll that are new to it, then parks
// the updates in hand when the window is full, or waits
// (until the updates in hand are handled, at most repollPause) while an
// update is held back: the next poll would return at once.
func (b *Bot) received(ctx context.Context, d *dispatcher, p *pollState, updates []telegram.Update) {
	d.forget(p.offset) // confirmed by this poll: never returned again
	for _, u := range updates {
		p.next = max(p.next, u.UpdateID+1)
		if d.fresh(u.UpdateID) {
			d.submit(ctx, u)
		}
	}
	if d.safeOffset(p.next) == p.next {
		return
	}
	if len(updates) >= maxPollUpdates && b.park(ctx, d) {
		return
	}
	d.waitIdle(ctx, repollPause)
}

// park stores the updates in hand that are not parked yet and reports
// whether it could; the offset may then move past them.
func (b *Bot) park(ctx context.Context, d *dispatcher) bool {
	d.mu.Lock()
	batch := make(map[int][]byte)
	for id, u := range d.pending {
		if _, ok := d.parked[id]; ok {
			continue
		}
		js, err := json.Marshal(u)
		if err != nil {
			continue // plain structs: cannot happen
		}
		batch[id] = js
	}
	d.mu.Unlock()
	if err := b.store.ParkUpdates(context.WithoutCancel(ctx), batch); err != nil {
		b.log.Error("Unable to park the updates in hand; a slow chat holds the others up.", "err", err, "updates", len(batch))
		return false
	}
	var done []int
	d.mu.Lock()
	for id := range batch {
		if _, ok := d.pending[id]; ok {
			d.parked[id] = struct{}{}
		} else {
			done = append(done, id) // handled meanwhile
		}
	}
	d.mu.Unlock()
	for _, id := range done {
		b.unpark(ctx, id)
	}
	b.log.Info("The updates in hand were parked in Redis: a full poll could hide the new ones behind them.",
		"updates", len(batch))
	return true
}

// unpark forgets a handled update in Redis.
func (b *Bot) unpark(ctx context.Context, id int) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unparkTimeout)
	defer cancel()
	if err := b.store.UnparkUpdate(uctx, id); err != nil {
		b.log.Warn("Unable to unpark a handled update; the next holder of the update role will skip it.",
			"update_id", id, "err", err)
	}
}

// resume submits the updates parked in Redis by an earlier holder of the
// update role, oldest first.
func (b *Bot) resume(ctx context.Context, d *dispatcher) {
	parked, err := b.store.ParkedUpdates(ctx)
	if err != nil {
		b.log.Error("Unable to read the parked updates; those a dead replica had in hand are lost.", "err", err)
		return
	}
	ids := make([]int, 0, len(parked))
	for id := range parked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		u, err := telegram.DecodeUpdate(parked[id])
		if err != nil || u.UpdateID != id {
			b.log.Error("A parked update is unreadable; dropped.", "update_id", id, "err", err)
			b.unpark(ctx, id)
			continue
		}
		if !d.fresh(id) {
			continue
		}
		d.mu.Lock()
		d.parked[id] = struct{}{}
		d.mu.Unlock()
		d.submit(ctx, u)
		d.mu.Lock()
		_, held := d.pending[id]
		if !held {
			delete(d.parked, id) // dropped by the flood control
		}
		d.mu.Unlock()
		if !held {
			b.unpark(ctx, id)
		}
	}
	if len(ids) > 0 {
		b.log.Info("Updates parked by an earlier holder of the update role were resumed.", "updates", len(ids))
	}
}

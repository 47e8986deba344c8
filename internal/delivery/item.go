package delivery

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/queue"
)

// Priorities of queued items.
const (
	prioBreaking = queue.PrioBreaking
	prioNormal   = queue.PrioNormal
)

// item is a reference to what a chat is owed: an article of an edition, a
// broadcast or a notice. Its string form ("uk:123", "bc:7", "nt:8") is the
// reference the queue keeps (opaque to it).
type item struct {
	edition   news.Lang
	articleID int64
	broadcast int64
	edit      bool  // a correction of the article (the reference names its version)
	notice    int64 // a rendered text, kept like a broadcast's (Engine.Notify)
}

// article reports whether the item is an article to send (not a
// broadcast, a notice or a correction).
func (it item) article() bool { return it.broadcast == 0 && it.notice == 0 && !it.edit }

func (it item) String() string {
	switch {
	case it.broadcast != 0:
		return "bc:" + strconv.FormatInt(it.broadcast, 10)
	case it.notice != 0:
		return "nt:" + strconv.FormatInt(it.notice, 10)
	}
	return string(it.edition) + ":" + strconv.FormatInt(it.articleID, 10)
}

// parseItem reads an item reference; it reports false for anything else.
func parseItem(s string) (item, bool) {
	head, tail, ok := strings.Cut(s, ":")
	if !ok {
		return item{}, false
	}
	n, err := strconv.ParseInt(tail, 10, 64)
	if err != nil || n <= 0 {
		return item{}, false
	}
	switch head {
	case "bc":
		return item{broadcast: n}, true
	case "nt":
		return item{notice: n}, true
	}
	l := news.Lang(head)
	if !l.Valid() {
		return item{}, false
	}
	return item{edition: l, articleID: n}, true
}

// pending is one item waiting for a chat, as claimed.
type pending struct {
	ref      string // raw reference, kept so that finish names it exactly
	item     item
	valid    bool // ref parsed
	prio     int
	enqueued time.Time
	attempts int
}

// newPending reads the reference of a claimed item.
func newPending(p queue.Pending) pending {
	it, ok := parseItem(p.Ref)
	if !ok {
		it, ok = parseEdit(p.Ref)
	}
	return pending{ref: p.Ref, item: it, valid: ok, prio: p.Prio, enqueued: p.Enqueued, attempts: p.Attempts}
}

// claimed is a chat taken from the queue with everything it is owed.
type claimed struct {
	raw   queue.Claim
	chat  int64
	items []pending // sorted: breaking first, then oldest first
}

func newClaimed(c queue.Claim) claimed {
	out := claimed{raw: c, chat: c.Chat, items: make([]pending, len(c.Items))}
	for i, p := range c.Items {
		out.items[i] = newPending(p)
	}
	return out
}

// outcome is what becomes of a claimed chat's items.
type outcome struct {
	sent, drop, retry, dead []string // item refs
	messages                int      // Bot API messages delivered
	ambiguous               int      // sends whose answer was lost
	// notBefore is when the chat may get its next message: the last send
	// plus the per-chat interval, or a retry's back-off. Zero: no change.
	notBefore time.Time
	// holdUntil is when the chat's normal items may go again (quiet
	// hours, a daily digest). Zero: no change.
	holdUntil  time.Time
	deadLetter *DeadLetter
	released   bool // the claim was already given up (migrated)
}

// queued is o as the queue records it.
func (o outcome) queued() (queue.Outcome, error) {
	q := queue.Outcome{Sent: o.sent, Drop: o.drop, Retry: o.retry, Dead: o.dead,
		Messages: o.messages, Ambiguous: o.ambiguous, NotBefore: o.notBefore, HoldUntil: o.holdUntil}
	if o.deadLetter != nil {
		b, err := json.Marshal(o.deadLetter)
		if err != nil {
			return queue.Outcome{}, fmt.Errorf("delivery: unable to encode dead letter: %w", err)
		}
		q.DeadLetter = b
	}
	return q, nil
}

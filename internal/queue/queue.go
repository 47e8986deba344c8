// Package queue is delivery's state in Redis: the durable per-chat queue,
// the sent-ledger, claims under renewable leases, the shared rate limiter
// (global rate, paid budget, the pause after a 429), dead letters,
// counters, fan-out markers and broadcast texts. It is, with package store,
// the only importer of go-redis; package delivery decides what goes in and
// what a failure means, and talks to it in the types declared here.
//
// Every state change is one Lua script (lua/*.lua, embedded), atomic in
// Redis. Every key a script touches is passed in KEYS and its arguments are
// one JSON object; the constants shared by Go and Lua are defined once, in
// Go (lua.go). Time comes from the caller's clock as an argument, never from
// TTLs, which the embedded miniredis does not run down by itself; TTLs only
// collect garbage. Everything works on Redis 6.2+ and on miniredis.
// docs/redis-keys.md lists the keys.
package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// Priorities of queued items, and the bands of the ready set.
const (
	PrioBreaking = 0
	PrioNormal   = 1
)

// bandShift separates the two priority bands in the ready set: 2^42 ms is
// about 139 years, so band 0 scores (Unix ms) always sort before band 1
// scores. band·2^42 + ms stays below 2^53 and is exact in a float64.
const bandShift = 1 << 42

// valueSep separates the parts of an owed item's value
// (prio|enqueued_ms|attempts) and of a sent-ledger member (chat|ref).
const valueSep = "|"

// The counters of the stats hash.
const (
	statPending   = "pending"
	statMessages  = "messages"
	statDelivered = "delivered"
	statDropped   = "dropped"
	statRetried   = "retried"
	statDead      = "dead"
	statReclaimed = "reclaimed"
	statMigrated  = "migrated"
	statFloods    = "floods"
	statAmbiguous = "ambiguous"
)

const (
	// LedgerTTL is how long the sent-ledger keeps a send and a fan-out
	// marker is kept: longer than any article is announced.
	LedgerTTL = 72 * time.Hour
	// broadcastTTL is how long a broadcast's text is kept for its sends.
	broadcastTTL = 7 * 24 * time.Hour
	// maxDeadLetters caps the dead-letter list.
	maxDeadLetters = 10000
	// reclaimBatch is how many expired leases one claim returns to the queue.
	reclaimBatch = 16
	// enqueueBatch is how many chats one enqueue script handles: a few
	// milliseconds of Redis time at most.
	enqueueBatch = 500
)

// Queue is the durable queue in Redis. It is safe for concurrent use.
type Queue struct {
	rdb redis.UniversalClient
	k   keys
}

// New returns a queue keeping its keys under prefix (":" and the key name
// are appended; the app passes store.Key("delivery")). Every script
// touches several of the queue's keys, so on a Redis Cluster they must
// share a hash slot: a prefix without a hash tag gets its last part as one
// ("newsbot:delivery" becomes "newsbot:{delivery}"). The queue then lives
// in one slot, which its load (tens of scripts a second, capped by
// Telegram's rate) allows.
func New(rdb redis.UniversalClient, prefix string) *Queue {
	return &Queue{rdb: rdb, k: keys{prefix: hashTagged(prefix)}}
}

// hashTagged puts the last ':'-separated part of prefix in braces unless
// prefix already holds a hash tag.
func hashTagged(prefix string) string {
	if strings.Contains(prefix, "{") || prefix == "" {
		return prefix
	}
	i := strings.LastIndexByte(prefix, ':') + 1
	return prefix[:i] + "{" + prefix[i:] + "}"
}

// Pending is one item waiting for a chat, as claimed.
type Pending struct {
	Ref      string // what is owed, opaque to the queue ("uk:123", "bc:7")
	Prio     int    // PrioBreaking or PrioNormal
	Enqueued time.Time
	Attempts int // failed sends so far
}

// parsePending reads a pending value ("prio|enqueued_ms|attempts"); a
// damaged value reads as normal priority, never sent.
func parsePending(ref, val string) Pending {
	p := Pending{Ref: ref, Prio: PrioNormal}
	parts := strings.Split(val, valueSep)
	if len(parts) == 3 {
		if n, err := strconv.Atoi(parts[0]); err == nil && n == PrioBreaking {
			p.Prio = PrioBreaking
		}
		if ms, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
			p.Enqueued = time.UnixMilli(ms)
		}
		if n, err := strconv.Atoi(parts[2]); err == nil && n >= 0 {
			p.Attempts = n
		}
	}
	return p
}

// Claim is a chat taken from the queue with everything it is owed.
type Claim struct {
	Chat  int64
	Token string
	Items []Pending // breaking first, then oldest first
}

// State says what a claim found.
type State int

const (
	Got    State = iota // a chat was claimed
	Idle                // nothing due; Wait says when something may be
	Paused              // a 429 pause is in force for Wait
	Empty               // the chat due had nothing left (already sent)
)

// ClaimResult is the answer of Claim.
type ClaimResult struct {
	State State
	Wait  time.Duration // for Idle (negative: nothing queued at all) and Paused
	Claim Claim
}

// Outcome is what Finish records for a claimed chat.
type Outcome struct {
	Sent, Drop, Retry, Dead []string // item refs
	Messages                int      // Bot API messages delivered
	Ambiguous               int      // sends whose answer was lost
	// NotBefore is when the chat may get its next message. Zero: no change.
	NotBefore time.Time
	// HoldUntil is when the chat's normal items may go again (its quiet
	// hours or its daily digest hold them); breaking items and the
	// per-chat pacing do not wait for it. Zero: no change (a hold set
	// earlier lasts until its time).
	HoldUntil time.Time
	// DeadLetter is a dead letter (JSON) to keep; nil: none.
	DeadLetter []byte
}

// Enqueue adds ref for every chat in recipients (chat → priority), in
// batches, and returns how many (chat, item) pairs were new. A chat whose
// sent-ledger lists ref, or that has it pending, is skipped.
func (q *Queue) Enqueue(ctx context.Context, now time.Time, ref string, recipients map[int64]int) (int, error) {
	chats := make([]int64, 0, len(recipients))
	for c := range recipients {
		chats = append(chats, c)
	}
	// Stable order: breaking first, then by chat ID, so a retried fan-out
	// walks the same batches.
	sort.Slice(chats, func(i, j int) bool {
		pi, pj := recipients[chats[i]], recipients[chats[j]]
		if pi != pj {
			return pi < pj
		}
		return chats[i] < chats[j]
	})
	type recipient struct {
		Chat int64 `json:"chat,string"` // a string: Lua numbers print 14 digits
		Prio int   `json:"prio"`
	}
	added := 0
	for len(chats) > 0 {
		n := min(len(chats), enqueueBatch)
		ks := []string{q.k.ready(), q.k.inflight(), q.k.owed(), q.k.sent(), q.k.notBefore(), q.k.stats(), q.k.hold()}
		rs := make([]recipient, 0, n)
		for _, c := range chats[:n] {
			rs = append(rs, recipient{c, recipients[c]})
		}
		arg := struct {
			Now        int64       `json:"now"`
			Ref        string      `json:"ref"`
			Recipients []recipient `json:"recipients"`
		}{now.UnixMilli(), ref, rs}
		got, err := run(ctx, q.rdb, enqueueScript, ks, arg).Int()
		if err != nil {
			return added, fmt.Errorf("queue: unable to enqueue %s: %w", ref, err)
		}
		added += got
		chats = chats[n:]
	}
	return added, nil
}

// The first element of claim.lua's answer (reserve.lua answers
// answerPause too).
const (
	answerPause = "pause"
	answerIdle  = "idle"
	answerEmpty = "empty"
	answerChat  = "chat"
)

// Claim takes the chat due first and holds it for lease under token.
func (q *Queue) Claim(ctx context.Context, now time.Time, token string, lease time.Duration) (ClaimResult, error) {
	arg := struct {
		Now   int64  `json:"now"`
		Lease int64  `json:"lease"`
		Token string `json:"token"`
	}{now.UnixMilli(), lease.Milliseconds(), token}
	ks := []string{q.k.pause(), q.k.ready(), q.k.inflight(), q.k.lease(), q.k.owed(), q.k.sent(), q.k.notBefore(), q.k.stats(), q.k.hold()}
	res, err := run(ctx, q.rdb, claimScript, ks, arg).StringSlice()
	if err != nil {
		return ClaimResult{}, fmt.Errorf("queue: unable to claim: %w", err)
	}
	if len(res) == 0 {
		return ClaimResult{}, errors.New("queue: unable to claim: empty script answer")
	}
	switch res[0] {
	case answerPause, answerIdle:
		ms := int64(-1)
		if len(res) > 1 {
			if v, err := strconv.ParseInt(res[1], 10, 64); err == nil {
				ms = v
			}
		}
		st := Idle
		if res[0] == answerPause {
			st = Paused
		}
		return ClaimResult{State: st, Wait: time.Duration(ms) * time.Millisecond}, nil
	case answerEmpty:
		return ClaimResult{State: Empty}, nil
	case answerChat:
		if len(res) < 2 {
			return ClaimResult{}, errors.New("queue: unable to claim: short script answer")
		}
		chat, err := strconv.ParseInt(res[1], 10, 64)
		if err != nil {
			return ClaimResult{}, fmt.Errorf("queue: unable to claim: bad chat %q: %w", res[1], err)
		}
		return ClaimResult{State: Got, Claim: Claim{Chat: chat, Token: token, Items: parseItems(res[2:])}}, nil
	}
	return ClaimResult{}, fmt.Errorf("queue: unable to claim: unexpected answer %q", res[0])
}

// parseItems reads ref, value pairs, sorted: breaking first, then oldest
// first.
func parseItems(pairs []string) []Pending {
	var out []Pending
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, parsePending(pairs[i], pairs[i+1]))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Prio != b.Prio {
			return a.Prio < b.Prio
		}
		if !a.Enqueued.Equal(b.Enqueued) {
			return a.Enqueued.Before(b.Enqueued)
		}
		return a.Ref < b.Ref
	})
	return out
}

// Finish applies o and releases the claim. It reports whether the claim
// was still held; the item changes are applied either way (they record
// sends that happened).
func (q *Queue) Finish(ctx context.Context, now time.Time, c Claim, o Outcome) (bool, error) {
	arg := struct {
		Now        int64    `json:"now"`
		Chat       string   `json:"chat"`
		Token      string   `json:"token"`
		LedgerTTL  int64    `json:"ledger_ttl"`
		NotBefore  int64    `json:"not_before,omitempty"`
		Hold       int64    `json:"hold,omitempty"`
		DeadLetter string   `json:"dead_letter,omitempty"`
		DeadMax    int      `json:"dead_max"`
		Messages   int      `json:"messages,omitempty"`
		Ambiguous  int      `json:"ambiguous,omitempty"`
		Sent       []string `json:"sent,omitempty"`
		Drop       []string `json:"drop,omitempty"`
		Retry      []string `json:"retry,omitempty"`
		Dead       []string `json:"dead,omitempty"`
	}{
		Now: now.UnixMilli(), Chat: strconv.FormatInt(c.Chat, 10), Token: c.Token,
		LedgerTTL: LedgerTTL.Milliseconds(), DeadLetter: string(o.DeadLetter), DeadMax: maxDeadLetters,
		Messages: o.Messages, Ambiguous: o.Ambiguous, Sent: o.Sent, Drop: o.Drop, Retry: o.Retry, Dead: o.Dead,
	}
	if !o.NotBefore.IsZero() {
		arg.NotBefore = o.NotBefore.UnixMilli()
	}
	if !o.HoldUntil.IsZero() {
		arg.Hold = o.HoldUntil.UnixMilli()
	}
	ks := []string{q.k.ready(), q.k.inflight(), q.k.lease(), q.k.owed(), q.k.sent(), q.k.notBefore(), q.k.stats(), q.k.dead(), q.k.hold()}
	held, err := run(ctx, q.rdb, finishScript, ks, arg).Int()
	if err != nil {
		return false, fmt.Errorf("queue: unable to record the outcome for chat %d: %w", c.Chat, err)
	}
	return held == 1, nil
}

// Migrate moves the claimed chat's pending items to its new ID (a group
// that became a supergroup) and releases the claim; the new ID is queued.
func (q *Queue) Migrate(ctx context.Context, now time.Time, c Claim, to int64) error {
	arg := struct {
		From  string `json:"from"`
		To    string `json:"to"`
		Token string `json:"token"`
	}{strconv.FormatInt(c.Chat, 10), strconv.FormatInt(to, 10), c.Token}
	ks := []string{q.k.ready(), q.k.inflight(), q.k.lease(), q.k.owed(), q.k.sent(), q.k.notBefore(), q.k.stats(), q.k.hold()}
	if err := run(ctx, q.rdb, migrateScript, ks, arg).Err(); err != nil {
		return fmt.Errorf("queue: unable to move the queue of chat %d to %d: %w", c.Chat, to, err)
	}
	return nil
}

// Renew moves the claim's lease deadline to now+lease. It reports whether
// the claim is still held.
func (q *Queue) Renew(ctx context.Context, now time.Time, c Claim, lease time.Duration) (bool, error) {
	arg := struct {
		Chat     string `json:"chat"`
		Token    string `json:"token"`
		Deadline int64  `json:"deadline"`
	}{strconv.FormatInt(c.Chat, 10), c.Token, now.Add(lease).UnixMilli()}
	n, err := run(ctx, q.rdb, renewScript, []string{q.k.lease(), q.k.inflight()}, arg).Int()
	if err != nil {
		return false, fmt.Errorf("queue: unable to renew a claim: %w", err)
	}
	return n == 1, nil
}

// FanOut returns the recipient count a finished fan-out of ref recorded,
// and false when there is none.
func (q *Queue) FanOut(ctx context.Context, ref string) (int, bool, error) {
	v, err := q.rdb.Get(ctx, q.k.fanOut(ref)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("queue: unable to read the fan-out of %s: %w", ref, err)
	}
	n, _ := strconv.Atoi(v)
	return n, true, nil
}

// SetFanOut records that the fan-out of ref is complete, with its number
// of recipients, for LedgerTTL.
func (q *Queue) SetFanOut(ctx context.Context, ref string, recipients int) error {
	if err := q.rdb.Set(ctx, q.k.fanOut(ref), recipients, LedgerTTL).Err(); err != nil {
		return fmt.Errorf("queue: unable to mark the fan-out of %s done: %w", ref, err)
	}
	return nil
}

// AddBroadcast numbers a broadcast and keeps its text for its sends.
func (q *Queue) AddBroadcast(ctx context.Context, text string) (int64, error) {
	n, err := q.rdb.Incr(ctx, q.k.broadcastSeq()).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: unable to number a broadcast: %w", err)
	}
	if err := q.rdb.Set(ctx, q.k.broadcast(n), text, broadcastTTL).Err(); err != nil {
		return 0, fmt.Errorf("queue: unable to save the text of broadcast %d: %w", n, err)
	}
	return n, nil
}

// BroadcastText returns the text of broadcast n, or an error wrapping
// news.ErrNotFound once it has expired.
func (q *Queue) BroadcastText(ctx context.Context, n int64) (string, error) {
	s, err := q.rdb.Get(ctx, q.k.broadcast(n)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("queue: broadcast %d: %w", n, news.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("queue: unable to read broadcast %d: %w", n, err)
	}
	return s, nil
}

// DeadLetters returns up to n dead letters (as given to Finish), newest
// first.
func (q *Queue) DeadLetters(ctx context.Context, n int) ([][]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	raw, err := q.rdb.LRange(ctx, q.k.dead(), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: unable to read dead letters: %w", err)
	}
	out := make([][]byte, len(raw))
	for i, r := range raw {
		out[i] = []byte(r)
	}
	return out, nil
}

package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats is a snapshot of the queue, shared by every process.
type Stats struct {
	// Breaking and Normal count the chats waiting per priority (due now or
	// later: rate-limited or backing off).
	Breaking, Normal int64
	// InFlight counts the chats claimed by a sender right now.
	InFlight int64
	// Pending counts the (chat, item) pairs not yet delivered, in flight
	// included.
	Pending int64
	// DeadLetters is the length of the dead-letter list.
	DeadLetters int64
	// Paused is what is left of a pause after a 429.
	Paused time.Duration
	// Totals since the queue was created.
	Messages  int64 // messages delivered (a digest counts once)
	Delivered int64 // (chat, item) pairs delivered
	Dropped   int64 // pairs dropped: inactive or unknown chat, article gone
	Retried   int64 // pairs scheduled for another attempt
	Dead      int64 // messages dead-lettered
	Reclaimed int64 // claims taken back from dead senders
	Migrated  int64 // chats moved to a supergroup ID
	Floods    int64 // 429 answers (and pauses after a 401)
	Ambiguous int64 // sends whose answer was lost
}

// Waiting is the number of chats waiting, both priorities.
func (s Stats) Waiting() int64 { return s.Breaking + s.Normal }

// Stats reads the queue's size and counters.
func (q *Queue) Stats(ctx context.Context, now time.Time) (Stats, error) {
	pipe := q.rdb.Pipeline()
	band := strconv.FormatInt(bandShift, 10)
	breaking := pipe.ZCount(ctx, q.k.ready(), "0", "("+band)
	normal := pipe.ZCount(ctx, q.k.ready(), band, "+inf")
	inflight := pipe.ZCard(ctx, q.k.inflight())
	dead := pipe.LLen(ctx, q.k.dead())
	counters := pipe.HGetAll(ctx, q.k.stats())
	pause := pipe.Get(ctx, q.k.pause())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Stats{}, fmt.Errorf("queue: unable to read stats: %w", err)
	}
	c := counters.Val()
	n := func(k string) int64 {
		v, _ := strconv.ParseInt(c[k], 10, 64)
		return v
	}
	s := Stats{
		Breaking:    breaking.Val(),
		Normal:      normal.Val(),
		InFlight:    inflight.Val(),
		DeadLetters: dead.Val(),
		Pending:     n(statPending),
		Messages:    n(statMessages),
		Delivered:   n(statDelivered),
		Dropped:     n(statDropped),
		Retried:     n(statRetried),
		Dead:        n(statDead),
		Reclaimed:   n(statReclaimed),
		Migrated:    n(statMigrated),
		Floods:      n(statFloods),
		Ambiguous:   n(statAmbiguous),
	}
	if v, err := strconv.ParseFloat(pause.Val(), 64); err == nil {
		if d := time.Duration(v-float64(now.UnixMilli())) * time.Millisecond; d > 0 {
			s.Paused = d
		}
	}
	return s, nil
}

package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

var groupTurnScript = loadScript("groupturn")

// groups is the zset group chat ID → Unix ms of the group's next turn.
func (k keys) groups() string { return k.name("groups") }

// GroupTurn takes group's next turn (Telegram's per-group limit, shared
// by the group and its forum topics): when it is due it returns 0 and the
// following turn is interval later; otherwise it returns how long until
// it is due, and nothing changes.
func (q *Queue) GroupTurn(ctx context.Context, now time.Time, group int64, interval time.Duration) (time.Duration, error) {
	arg := struct {
		Now      int64  `json:"now"`
		Group    string `json:"group"`
		Interval int64  `json:"interval"`
	}{now.UnixMilli(), strconv.FormatInt(group, 10), interval.Milliseconds()}
	ms, err := run(ctx, q.rdb, groupTurnScript, []string{q.k.groups()}, arg).Int64()
	if err != nil {
		return 0, fmt.Errorf("queue: unable to take a turn of group %d: %w", group, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// DelayGroupTurn moves group's next turn to at unless it is later already:
// the send that took the turn started late.
func (q *Queue) DelayGroupTurn(ctx context.Context, group int64, at time.Time) error {
	arg := struct {
		Group string `json:"group"`
		At    int64  `json:"at"`
	}{strconv.FormatInt(group, 10), at.UnixMilli()}
	if err := run(ctx, q.rdb, groupTurnScript, []string{q.k.groups()}, arg).Err(); err != nil {
		return fmt.Errorf("queue: unable to delay the turn of group %d: %w", group, err)
	}
	return nil
}

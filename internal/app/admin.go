package app

import (
	"context"

	"newsbot/bot"
	"newsbot/internal/delivery"
	"newsbot/internal/news"
	"newsbot/internal/store"
)

// adminService gives the bot's admin commands their data: what /stats
// shows (the bot renders it), the readers a broadcast reaches, and the
// broadcast itself. It implements bot.Admin.
type adminService struct {
	editions []news.Lang
	store    *store.Store
	engine   *delivery.Engine
}

var _ bot.Admin = (*adminService)(nil)

// topTagsInStats is how many tags /stats shows per edition.
const topTagsInStats = 5

// Stats gathers /stats: readers, top tags and last poll per edition, the
// queue.
func (a *adminService) Stats(ctx context.Context) (bot.Stats, error) {
	var s bot.Stats
	var err error
	if s.Active, s.Inactive, s.PerLang, err = a.store.CountChats(ctx); err != nil {
		return bot.Stats{}, err
	}
	for _, ed := range a.editions {
		tags, _, err := a.store.TopTags(ctx, ed, 0, topTagsInStats)
		if err != nil {
			return bot.Stats{}, err
		}
		last, _ := a.store.Meta(ctx, "last_poll:"+string(ed))
		s.Editions = append(s.Editions, bot.EditionStats{Edition: ed, LastPoll: last, TopTags: tags})
	}
	qs, err := a.engine.Stats(ctx)
	if err != nil {
		return bot.Stats{}, err
	}
	s.Queue = bot.QueueStats{
		Breaking: qs.Breaking, Normal: qs.Normal, Pending: qs.Pending, InFlight: qs.InFlight,
		Messages: qs.Messages, Delivered: qs.Delivered, Floods: qs.Floods, Retried: qs.Retried,
		DeadLetters: qs.DeadLetters, Paused: qs.Paused,
	}
	return s, nil
}

// Recipients counts active readers.
func (a *adminService) Recipients(ctx context.Context) (int, error) {
	active, _, _, err := a.store.CountChats(ctx)
	return int(active), err
}

// Broadcast queues an announcement through the rate-limited queue.
func (a *adminService) Broadcast(ctx context.Context, text string) (int, error) {
	return a.engine.Broadcast(ctx, text)
}

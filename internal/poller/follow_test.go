package poller

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
)

// fakeFollower records promotions and corrections.
type fakeFollower struct {
	mu                  sync.Mutex
	promoted, corrected []int64
	headlines           []string
}

func (f *fakeFollower) Promote(ctx context.Context, a *news.Article) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.promoted = append(f.promoted, a.ID)
	return 1, nil
}

func (f *fakeFollower) Correct(ctx context.Context, a *news.Article) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.corrected = append(f.corrected, a.ID)
	f.headlines = append(f.headlines, a.Headline)
	return 1, nil
}

// newRealPoller is a poller on a real Redis store, as the bot runs it.
func newRealPoller(rdb *redistest.Server, src Source, ann Announcer, fol Follower) *Poller {
	st := store.New(rdb.Client(), store.Options{Logger: slog.New(slog.DiscardHandler)})
	return New(src, st, ann, Config{Editions: []news.Lang{news.English}, Watcher: st, Follower: fol, Jitter: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// The bot restarts between a story's announcement and its promotion: the
// promotion still happens, once.
func TestPromotionSurvivesRestart(t *testing.T) {
	rdb := redistest.Start(t)
	ctx := context.Background()
	src := &fakeSource{items: []news.ListItem{item(1)}, failing: map[int64]bool{}}
	ann := &fakeAnnouncer{}
	fol := &fakeFollower{}
	p := newRealPoller(rdb, src, ann, fol)
	p.PollAll(ctx) // first poll: stored, not announced
	src.mu.Lock()
	src.items = []news.ListItem{item(2), item(1)}
	src.mu.Unlock()
	p.PollAll(ctx) // story 2 announced as ordinary news
	if diff := cmp.Diff([]int64{2}, ids(ann.got)); diff != "" {
		t.Fatalf("announced (-want +got):\n%s", diff)
	}

	p = newRealPoller(rdb, src, ann, fol) // restart: nothing in memory survives
	promoted := item(2)
	promoted.Important = true
	src.mu.Lock()
	src.items = []news.ListItem{promoted, item(1)}
	src.mu.Unlock()
	for range 3 {
		p.PollAll(ctx)
	}
	if diff := cmp.Diff([]int64{2}, fol.promoted); diff != "" {
		t.Errorf("promoted (-want +got):\n%s", diff)
	}
	if len(fol.corrected) != 0 || len(ann.got) != 1 {
		t.Errorf("corrected %v, announced %v; want none, [2]", fol.corrected, ids(ann.got))
	}
}

// A changed headline in the feed reads the page again and corrects the
// story once; a poll from the list page (no lead) is no correction.
func TestCorrectionFromTheFeed(t *testing.T) {
	rdb := redistest.Start(t)
	ctx := context.Background()
	src := &fakeSource{items: []news.ListItem{item(1)}, failing: map[int64]bool{}}
	fol := &fakeFollower{}
	p := newRealPoller(rdb, src, &fakeAnnouncer{}, fol)
	p.PollAll(ctx)
	src.mu.Lock()
	src.items = []news.ListItem{item(2), item(1)}
	src.mu.Unlock()
	p.PollAll(ctx)

	fixed := item(2)
	fixed.Title = "Story 2, corrected"
	for _, it := range []news.ListItem{fixed, fixed, {ID: 2, Edition: news.English, URL: fixed.URL, Title: fixed.Title}} {
		src.mu.Lock()
		src.items = []news.ListItem{it, item(1)}
		src.mu.Unlock()
		p.PollAll(ctx)
	}
	if diff := cmp.Diff([]string{"Story 2, corrected"}, fol.headlines); diff != "" {
		t.Errorf("corrections (-want +got):\n%s", diff)
	}
}

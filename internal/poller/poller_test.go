package poller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
)

type fakeSource struct {
	mu      sync.Mutex
	items   []news.ListItem
	failing map[int64]bool
	fetched []int64
}

func (s *fakeSource) Discover(ctx context.Context, ed news.Lang) ([]news.ListItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.items), nil
}

func (s *fakeSource) Fetch(ctx context.Context, it news.ListItem) (*news.Article, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetched = append(s.fetched, it.ID)
	if s.failing[it.ID] {
		return nil, errors.New("page answered 503")
	}
	return &news.Article{ID: it.ID, Edition: it.Edition, URL: it.URL, Headline: it.Title,
		Tags: []news.Tag{{Slug: "t", Name: "T"}}, Important: it.Important}, nil
}

type fakeStore struct {
	mu    sync.Mutex
	seen  map[int64]bool
	init  bool
	saved map[int64]*news.Article
}

func (s *fakeStore) Unseen(ctx context.Context, ed news.Lang, ids []int64) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, id := range ids {
		if !s.seen[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *fakeStore) MarkSeen(ctx context.Context, ed news.Lang, ids []int64) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.seen[id] = true
	}
	return ids, nil
}

func (s *fakeStore) Initialized(ctx context.Context, ed news.Lang) (bool, error) { return s.init, nil }
func (s *fakeStore) SetInitialized(ctx context.Context, ed news.Lang) error {
	s.init = true
	return nil
}
func (s *fakeStore) SetMeta(ctx context.Context, name, value string) error { return nil }
func (s *fakeStore) SaveArticle(ctx context.Context, a *news.Article) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved[a.ID] = a
	return nil
}

type fakeAnnouncer struct {
	got  []*news.Article
	fail error
}

func (a *fakeAnnouncer) Announce(ctx context.Context, art *news.Article) (int, error) {
	if a.fail != nil {
		return 0, a.fail
	}
	a.got = append(a.got, art)
	return 1, nil
}

func item(id int64) news.ListItem {
	return news.ListItem{ID: id, Edition: news.English, URL: fmt.Sprintf("https://www.pravda.com.ua/eng/news/2026/11/25/%d/", id), Title: fmt.Sprintf("Story %d", id), Description: "Lead."}
}

func setup() (*fakeSource, *fakeStore, *fakeAnnouncer, *Poller) {
	src := &fakeSource{items: []news.ListItem{item(3), item(2), item(1)}, failing: map[int64]bool{}}
	st := &fakeStore{seen: map[int64]bool{}, saved: map[int64]*news.Article{}}
	ann := &fakeAnnouncer{}
	p := New(src, st, ann, Config{Editions: []news.Lang{news.English}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return src, st, ann, p
}

func ids(as []*news.Article) []int64 {
	var out []int64
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func TestFirstPollStoresWithoutAnnouncing(t *testing.T) {
	_, st, ann, p := setup()
	n, err := p.Poll(context.Background(), news.English)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || len(ann.got) != 0 {
		t.Errorf("first poll announced %d articles", len(ann.got))
	}
	if !st.init || len(st.saved) != 3 || len(st.seen) != 3 {
		t.Errorf("init=%v saved=%d seen=%d, want true 3 3", st.init, len(st.saved), len(st.seen))
	}
}

func TestNewArticlesAnnouncedOnceOldestFirst(t *testing.T) {
	src, _, ann, p := setup()
	ctx := context.Background()
	p.Poll(ctx, news.English)
	src.items = append([]news.ListItem{item(5), item(4)}, src.items...)
	if n, err := p.Poll(ctx, news.English); err != nil || n != 2 {
		t.Fatalf("second poll = %d, %v; want 2, nil", n, err)
	}
	if n, err := p.Poll(ctx, news.English); err != nil || n != 0 {
		t.Fatalf("third poll = %d, %v; want 0, nil", n, err)
	}
	if diff := cmp.Diff([]int64{4, 5}, ids(ann.got)); diff != "" {
		t.Errorf("announced (-want +got):\n%s", diff)
	}
}

// A failed announcement leaves the article unseen, so the next poll tries
// again instead of losing it.
func TestAnnounceFailureIsRetried(t *testing.T) {
	src, st, ann, p := setup()
	ctx := context.Background()
	p.Poll(ctx, news.English)
	src.items = append([]news.ListItem{item(4)}, src.items...)
	ann.fail = errors.New("redis down")
	if _, err := p.Poll(ctx, news.English); err == nil {
		t.Fatal("want an error while announcing fails")
	}
	if st.seen[4] {
		t.Fatal("article marked seen although its announcement failed")
	}
	ann.fail = nil
	if n, err := p.Poll(ctx, news.English); err != nil || n != 1 {
		t.Fatalf("retry poll = %d, %v; want 1, nil", n, err)
	}
}

// A page that keeps failing is announced from its feed entry after
// FetchAttempts polls, marked as missing its tags.
func TestFailingPageFallsBackToFeedEntry(t *testing.T) {
	src, st, ann, p := setup()
	ctx := context.Background()
	p.Poll(ctx, news.English)
	it := item(9)
	it.Important = true
	src.items = append([]news.ListItem{it}, src.items...)
	src.failing[9] = true
	for i := 1; i < p.cfg.FetchAttempts; i++ {
		if n, _ := p.Poll(ctx, news.English); n != 0 {
			t.Fatalf("poll %d announced %d before giving up on the page", i, n)
		}
		if st.seen[9] {
			t.Fatalf("poll %d marked a failing article seen", i)
		}
	}
	if n, err := p.Poll(ctx, news.English); err != nil || n != 1 {
		t.Fatalf("final poll = %d, %v; want 1, nil", n, err)
	}
	got := ann.got[0]
	if !got.TagsMissing || !got.Important || got.Headline != "Story 9" || len(got.Tags) != 0 {
		t.Errorf("fallback article = %+v", got)
	}
}

// The first poll is not complete while a page is unread: the edition stays
// uninitialised, so the article is not announced as new later either.
func TestFirstPollWithFailingPage(t *testing.T) {
	src, st, ann, p := setup()
	ctx := context.Background()
	src.failing[2] = true
	p.Poll(ctx, news.English)
	if st.init {
		t.Fatal("edition initialised with an unread page")
	}
	src.failing[2] = false
	p.Poll(ctx, news.English)
	if !st.init || len(ann.got) != 0 {
		t.Errorf("init=%v announced=%v", st.init, ids(ann.got))
	}
}

type fakeGuard struct {
	checkErr  error
	checks    int
	hold      map[int64]bool
	announced []int64
}

func (g *fakeGuard) Check(ctx context.Context) error  { g.checks++; return g.checkErr }
func (g *fakeGuard) Hold(ed news.Lang, id int64) bool { return g.hold[id] }
func (g *fakeGuard) Announced(ctx context.Context, ed news.Lang, id int64) error {
	g.announced = append(g.announced, id)
	return nil
}

// A story the guard holds back is stored and marked seen, not announced;
// the others are announced and reported to the guard.
func TestGuardHoldsBackStories(t *testing.T) {
	src, st, ann, p := setup()
	g := &fakeGuard{hold: map[int64]bool{4: true}}
	p.cfg.Guard = g
	ctx := context.Background()
	p.PollAll(ctx)
	src.items = append([]news.ListItem{item(5), item(4)}, src.items...)
	p.PollAll(ctx)
	if diff := cmp.Diff([]int64{5}, ids(ann.got)); diff != "" {
		t.Errorf("announced (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{5}, g.announced); diff != "" {
		t.Errorf("reported to the guard (-want +got):\n%s", diff)
	}
	if !st.seen[4] || st.saved[4] == nil {
		t.Errorf("the held story: seen=%v saved=%v, want both", st.seen[4], st.saved[4] != nil)
	}
	if g.checks != 2 {
		t.Errorf("the guard was checked %d times in 2 rounds", g.checks)
	}
}

// When the guard cannot check the store, the round is skipped and
// reported as failed.
func TestGuardCheckFailureSkipsTheRound(t *testing.T) {
	src, _, ann, p := setup()
	g := &fakeGuard{}
	p.cfg.Guard = g
	var polls []error
	p.cfg.Observer = pollObserver(func(ed news.Lang, n int, err error) { polls = append(polls, err) })
	ctx := context.Background()
	p.PollAll(ctx)
	src.items = append([]news.ListItem{item(5)}, src.items...)
	g.checkErr = errors.New("redis: connection refused")
	p.PollAll(ctx)
	if len(ann.got) != 0 || len(src.fetched) != 3 {
		t.Errorf("a round ran without a store check: announced %v, fetched %v", ids(ann.got), src.fetched)
	}
	if len(polls) != 2 || polls[0] != nil || !errors.Is(polls[1], g.checkErr) {
		t.Errorf("Polled errors = %v, want [nil, the check's error]", polls)
	}
}

// pollObserver is a poller.Observer made of a function.
type pollObserver func(ed news.Lang, n int, err error)

func (f pollObserver) Polled(ed news.Lang, n int, err error) { f(ed, n, err) }

// Package poller watches the site: every interval it asks the source what
// each edition lists, reads the articles it has not seen, stores them and
// hands them to delivery. The first poll of an edition on an empty store
// only stores what is listed, so a new installation does not flood its
// readers with old news.
package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"newsbot/internal/news"
)

// Source discovers and reads articles; *upravda.Source implements it.
type Source interface {
	Discover(ctx context.Context, edition news.Lang) ([]news.ListItem, error)
	Fetch(ctx context.Context, item news.ListItem) (*news.Article, error)
}

// Store records what was seen; *store.Store implements it.
type Store interface {
	Unseen(ctx context.Context, ed news.Lang, ids []int64) ([]int64, error)
	MarkSeen(ctx context.Context, ed news.Lang, ids []int64) ([]int64, error)
	Initialized(ctx context.Context, ed news.Lang) (bool, error)
	SetInitialized(ctx context.Context, ed news.Lang) error
	SaveArticle(ctx context.Context, a *news.Article) error
	SetMeta(ctx context.Context, name, value string) error
}

// Announcer queues an article for its readers; *delivery.Engine implements
// it. Announce must be idempotent per article: a crash between announcing
// and recording the ID as seen makes the next poll announce it again.
type Announcer interface {
	Announce(ctx context.Context, a *news.Article) (int, error)
}

// Guard notices a store that lost data and holds back the stories it
// would otherwise announce again; *integrity.Guard implements it.
type Guard interface {
	// Check runs before each round; an error skips the round.
	Check(ctx context.Context) error
	// Hold reports that a story must be stored and marked seen, not announced.
	Hold(ed news.Lang, id int64) bool
	// Announced records an announcement.
	Announced(ctx context.Context, ed news.Lang, id int64) error
}

// Observer hears the outcome of each edition's poll, for metrics and
// health; the app implements it. Polled is called from the polling
// goroutines and must be quick and safe for concurrent use.
type Observer interface {
	// Polled reports one edition's poll: the articles announced, or the
	// error that ended it (the poll is logged already).
	Polled(ed news.Lang, announced int, err error)
}

// nopObserver is the Observer of a poller configured without one.
type nopObserver struct{}

func (nopObserver) Polled(news.Lang, int, error) {}

// Config holds the poller's settings.
type Config struct {
	Editions []news.Lang
	Interval time.Duration
	// FetchAttempts is how many polls an article page may fail before the
	// article is stored and announced from its feed entry alone (tags
	// missing), default 3.
	FetchAttempts int
	Workers       int // article pages read at once, default 4
	Logger        *slog.Logger
	Now           func() time.Time
	// Observer, when set, hears the outcome of each edition's poll.
	Observer Observer
	// Guard, when set, is checked before each round and before each
	// announcement.
	Guard Guard
	// Watcher and Follower, when both set, watch the stories announced
	// within the store's window: one that later enters the mainnews feed
	// (or is marked important on the list page) is promoted to the
	// breaking subscribers, one whose headline or lead changes is read
	// again and its messages corrected.
	Watcher  Watcher
	Follower Follower
	// Jitter spreads the editions over the start of each round so that
	// they do not hit the site in the same millisecond: edition i of n
	// starts at a random moment of the i-th n-th of Jitter. Default
	// min(Interval/4, 1s); negative: none.
	Jitter time.Duration
}

// Poller runs the polling loop.
type Poller struct {
	src   Source
	store Store
	ann   Announcer
	cfg   Config
	log   *slog.Logger

	mu       sync.Mutex
	attempts map[string]int // edition:id → failed page reads
}

// New returns a poller.
func New(src Source, st Store, ann Announcer, cfg Config) *Poller {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.FetchAttempts <= 0 {
		cfg.FetchAttempts = 3
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == 0 {
		cfg.Jitter = min(cfg.Interval/4, time.Second)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return &Poller{src: src, store: st, ann: ann, cfg: cfg, log: cfg.Logger, attempts: map[string]int{}}
}

// Run polls every edition at once and then every interval until ctx is done.
// Failures are logged and retried at the next poll; Run returns nil when
// ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		p.PollAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PollAll polls each edition once, concurrently.
func (p *Poller) PollAll(ctx context.Context) {
	if g := p.cfg.Guard; g != nil {
		if err := g.Check(ctx); err != nil {
			if ctx.Err() == nil {
				p.log.Error("Unable to check the store; skipping this poll.", "err", err)
			}
			for _, ed := range p.cfg.Editions {
				p.cfg.Observer.Polled(ed, 0, err)
			}
			return
		}
	}
	var wg sync.WaitGroup
	for i, ed := range p.cfg.Editions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !p.stagger(ctx, i) {
				return
			}
			n, err := p.Poll(ctx, ed)
			if err != nil && ctx.Err() == nil {
				p.log.Error("Unable to poll an edition; retrying at the next poll.", "edition", ed, "err", err)
			}
			p.cfg.Observer.Polled(ed, n, err)
		}()
	}
	wg.Wait()
}

// stagger waits for edition i's moment in the round; it reports false
// when ctx ended first.
func (p *Poller) stagger(ctx context.Context, i int) bool {
	n := len(p.cfg.Editions)
	if p.cfg.Jitter <= 0 || n < 2 {
		return true
	}
	slot := p.cfg.Jitter / time.Duration(n)
	d := time.Duration(i)*slot + rand.N(slot+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Poll polls one edition: new articles are read, stored, announced (unless
// this is the edition's first poll) and only then recorded as seen, so a
// crash at any point loses nothing. It returns how many were announced.
func (p *Poller) Poll(ctx context.Context, ed news.Lang) (int, error) {
	items, err := p.src.Discover(ctx, ed)
	if err != nil {
		return 0, fmt.Errorf("poller: unable to discover %s articles: %w", ed, err)
	}
	initialized, err := p.store.Initialized(ctx, ed)
	if err != nil {
		return 0, fmt.Errorf("poller: %w", err)
	}
	byID := make(map[int64]news.ListItem, len(items))
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		if it.Edition != ed || it.ID <= 0 {
			continue
		}
		if _, dup := byID[it.ID]; !dup {
			byID[it.ID] = it
			ids = append(ids, it.ID)
		}
	}
	fresh, err := p.store.Unseen(ctx, ed, ids)
	if err != nil {
		return 0, fmt.Errorf("poller: %w", err)
	}
	slices.Sort(fresh) // oldest first: readers get stories in the order they appeared
	p.forgetAttempts(ed, fresh)

	articles := p.fetchAll(ctx, ed, fresh, byID)
	announced := 0
	var done []int64
	for _, id := range fresh {
		a, ok := articles[id]
		if !ok {
			continue // page not read yet: tried again next poll
		}
		if a == nil { // not an article of this site (a redirect elsewhere)
			if _, err := p.store.MarkSeen(ctx, ed, []int64{id}); err != nil {
				return announced, fmt.Errorf("poller: %w", err)
			}
			done = append(done, id)
			continue
		}
		if err := p.store.SaveArticle(ctx, a); err != nil {
			return announced, fmt.Errorf("poller: %w", err)
		}
		if initialized {
			ok, err := p.announce(ctx, a)
			if err != nil {
				return announced, err
			}
			if ok {
				announced++
				p.watch(ctx, byID[id], a)
			}
		}
		if _, err := p.store.MarkSeen(ctx, ed, []int64{id}); err != nil {
			return announced, fmt.Errorf("poller: %w", err)
		}
		done = append(done, id)
	}
	if initialized {
		if _, err := p.follow(ctx, ed, byID, fresh); err != nil {
			return announced, err
		}
	}
	if !initialized && len(done) == len(fresh) {
		if err := p.store.SetInitialized(ctx, ed); err != nil {
			return 0, fmt.Errorf("poller: %w", err)
		}
		p.log.Info("First poll of an edition stored its current articles without announcing them.", "edition", ed, "articles", len(done))
	}
	if err := p.store.SetMeta(ctx, "last_poll:"+string(ed), p.cfg.Now().UTC().Format(time.RFC3339)); err != nil {
		p.log.Warn("Unable to record the poll time.", "edition", ed, "err", err)
	}
	return announced, nil
}

// announce hands a stored article to delivery, unless the guard holds it
// back; it reports whether the article was announced.
func (p *Poller) announce(ctx context.Context, a *news.Article) (bool, error) {
	if g := p.cfg.Guard; g != nil && g.Hold(a.Edition, a.ID) {
		p.log.Warn("Not announcing a story again after the store lost data.", "edition", a.Edition, "article_id", a.ID)
		return false, nil
	}
	n, err := p.ann.Announce(ctx, a)
	if err != nil {
		return false, fmt.Errorf("poller: unable to announce article %d: %w", a.ID, err)
	}
	p.log.Info("A new article was announced.", "edition", a.Edition, "article_id", a.ID, "recipients", n, "important", a.Important, "tags", len(a.Tags))
	if g := p.cfg.Guard; g != nil {
		if err := g.Announced(ctx, a.Edition, a.ID); err != nil {
			p.log.Warn("Unable to record an announcement for the store check.", "edition", a.Edition, "article_id", a.ID, "err", err)
		}
	}
	return true, nil
}

// fetchAll reads the pages of the fresh articles with bounded concurrency.
// An item the source refuses as not its own (news.ErrInvalid: a redirect
// to a sister site) maps to nil: it is marked seen and never announced.
// A page that keeps failing is replaced, after FetchAttempts polls, by its
// feed entry with TagsMissing set: it still reaches breaking readers and
// /latest, and nothing about it is made up.
func (p *Poller) fetchAll(ctx context.Context, ed news.Lang, ids []int64, items map[int64]news.ListItem) map[int64]*news.Article {
	out := make(map[int64]*news.Article, len(ids))
	var mu sync.Mutex
	sem := make(chan struct{}, p.cfg.Workers)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			item := items[id]
			a, err := p.src.Fetch(ctx, item)
			key := fmt.Sprintf("%s:%d", ed, id)
			if errors.Is(err, news.ErrInvalid) {
				p.log.Info("A listed item is not an article of this site; skipping it for good.", "edition", ed, "article_id", id, "err", err)
				mu.Lock()
				out[id] = nil
				mu.Unlock()
				return
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				p.mu.Lock()
				p.attempts[key]++
				n := p.attempts[key]
				p.mu.Unlock()
				if n < p.cfg.FetchAttempts {
					p.log.Warn("Unable to read an article page; trying again next poll.", "edition", ed, "article_id", id, "attempt", n, "err", err)
					return
				}
				p.log.Error("Giving up on an article page; using its feed entry.", "edition", ed, "article_id", id, "attempts", n, "err", err)
				a = fromItem(item)
			}
			p.mu.Lock()
			delete(p.attempts, key)
			p.mu.Unlock()
			mu.Lock()
			out[id] = a
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// forgetAttempts drops the failure counts of the edition's articles that
// are no longer waiting (read meanwhile, or gone from the feed).
func (p *Poller) forgetAttempts(ed news.Lang, waiting []int64) {
	keep := make(map[string]bool, len(waiting))
	for _, id := range waiting {
		keep[fmt.Sprintf("%s:%d", ed, id)] = true
	}
	prefix := string(ed) + ":"
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.attempts {
		if strings.HasPrefix(k, prefix) && !keep[k] {
			delete(p.attempts, k)
		}
	}
}

// fromItem is an article built from its feed entry alone.
func fromItem(it news.ListItem) *news.Article {
	return &news.Article{
		ID: it.ID, Edition: it.Edition, URL: it.URL, Headline: it.Title, Published: it.Published,
		Lead: it.Description, Summary: it.Description, Important: it.Important, TagsMissing: true,
	}
}

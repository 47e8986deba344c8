package poller

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"newsbot/internal/news"
)

// Watcher keeps, for the stories announced within a bounded window, the
// state the poller compares each poll with; *store.Store implements it.
// The state is small and opaque to the store.
type Watcher interface {
	Watch(ctx context.Context, ed news.Lang, id int64, state string) error
	Watched(ctx context.Context, ed news.Lang, ids []int64) (map[int64]string, error)
	Article(ctx context.Context, ed news.Lang, id int64) (*news.Article, error)
}

// Follower acts on what happens to a story after its announcement;
// *delivery.Engine implements it. Both calls must be idempotent: a crash
// before the poller records the new state makes the next poll call again.
type Follower interface {
	// Promote sends an announced story that became important to the
	// edition's breaking subscribers who have not received it.
	Promote(ctx context.Context, a *news.Article) (int, error)
	// Correct edits the messages already sent for a story whose headline
	// or lead changed.
	Correct(ctx context.Context, a *news.Article) (int, error)
}

// watchState is what the poller remembers of an announced story: whether
// it was announced (or promoted) as important, and digests of the
// headline and lead its feed entry had then (0: the entry had none).
type watchState struct {
	important   bool
	title, lead uint64
}

func stateOf(it news.ListItem, important bool) watchState {
	return watchState{important: important, title: digest(it.Title), lead: digest(it.Description)}
}

func digest(s string) uint64 {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64() | 1 // never 0
}

// String is "i|<title>|<lead>" (important) or "n|…", in hex: 36 bytes at most.
func (w watchState) String() string {
	flag := "n"
	if w.important {
		flag = "i"
	}
	return flag + "|" + strconv.FormatUint(w.title, 16) + "|" + strconv.FormatUint(w.lead, 16)
}

func parseWatchState(s string) (watchState, bool) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 || (parts[0] != "i" && parts[0] != "n") {
		return watchState{}, false
	}
	t, err1 := strconv.ParseUint(parts[1], 16, 64)
	l, err2 := strconv.ParseUint(parts[2], 16, 64)
	if err1 != nil || err2 != nil {
		return watchState{}, false
	}
	return watchState{important: parts[0] == "i", title: t, lead: l}, true
}

// changed reports whether the entry's wording differs from the state's; a
// field the entry (or the state) lacks is not compared, so a poll served
// from the list page, which has no lead, is no correction.
func (w watchState) changed(now watchState) bool {
	differ := func(a, b uint64) bool { return a != 0 && b != 0 && a != b }
	return differ(w.title, now.title) || differ(w.lead, now.lead)
}

// watch records the state of a story just announced.
func (p *Poller) watch(ctx context.Context, it news.ListItem, a *news.Article) {
	if p.cfg.Watcher == nil {
		return
	}
	if err := p.cfg.Watcher.Watch(ctx, a.Edition, a.ID, stateOf(it, a.Important).String()); err != nil {
		p.log.Warn("Unable to record an announced story for promotions and corrections.", "edition", a.Edition, "article_id", a.ID, "err", err)
	}
}

// follow compares the listed stories already announced with their
// recorded state: a story now important is promoted, a story whose
// headline or lead changed is read again and corrected. It returns how
// many stories were promoted or corrected.
func (p *Poller) follow(ctx context.Context, ed news.Lang, byID map[int64]news.ListItem, fresh []int64) (int, error) {
	if p.cfg.Watcher == nil || p.cfg.Follower == nil {
		return 0, nil
	}
	skip := make(map[int64]bool, len(fresh))
	for _, id := range fresh {
		skip[id] = true
	}
	var ids []int64
	for id := range byID {
		if !skip[id] {
			ids = append(ids, id)
		}
	}
	states, err := p.cfg.Watcher.Watched(ctx, ed, ids)
	if err != nil {
		return 0, fmt.Errorf("poller: %w", err)
	}
	n := 0
	for id, raw := range states {
		was, ok := parseWatchState(raw)
		if !ok {
			continue
		}
		it := byID[id]
		now := stateOf(it, was.important || it.Important)
		done, err := p.followOne(ctx, it, was, now)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// followOne promotes or corrects one story and records its new state.
func (p *Poller) followOne(ctx context.Context, it news.ListItem, was, now watchState) (bool, error) {
	promote := now.important && !was.important
	correct := was.changed(now)
	if !promote && !correct {
		return false, nil
	}
	a, err := p.cfg.Watcher.Article(ctx, it.Edition, it.ID)
	if errors.Is(err, news.ErrNotFound) {
		return false, nil // expired from the store: nothing to act on
	}
	if err != nil {
		return false, fmt.Errorf("poller: %w", err)
	}
	if correct {
		if a, err = p.corrected(ctx, it, a); err != nil {
			p.log.Warn("Unable to read a corrected article page; trying again next poll.", "edition", it.Edition, "article_id", it.ID, "err", err)
			return false, nil
		}
	}
	if promote {
		a.Important = true
		if err := p.store.SaveArticle(ctx, a); err != nil {
			return false, fmt.Errorf("poller: %w", err)
		}
		n, err := p.cfg.Follower.Promote(ctx, a)
		if err != nil {
			return false, fmt.Errorf("poller: unable to promote article %d: %w", a.ID, err)
		}
		p.log.Info("An announced story became important; breaking subscribers get it now.", "edition", a.Edition, "article_id", a.ID, "recipients", n)
	}
	if correct {
		n, err := p.cfg.Follower.Correct(ctx, a)
		if err != nil {
			return false, fmt.Errorf("poller: unable to correct article %d: %w", a.ID, err)
		}
		p.log.Info("An announced story was corrected; its messages are edited.", "edition", a.Edition, "article_id", a.ID, "messages", n)
	}
	if err := p.cfg.Watcher.Watch(ctx, it.Edition, it.ID, now.String()); err != nil {
		return true, fmt.Errorf("poller: %w", err)
	}
	return true, nil
}

// corrected reads the page of a story again and stores the new version,
// keeping what only the first reading knew (importance, a page-less
// fallback's missing tags are filled if the page now has them).
func (p *Poller) corrected(ctx context.Context, it news.ListItem, old *news.Article) (*news.Article, error) {
	a, err := p.src.Fetch(ctx, it)
	if err != nil {
		return nil, err
	}
	a.Important = a.Important || old.Important
	if err := p.store.SaveArticle(ctx, a); err != nil {
		return nil, fmt.Errorf("poller: %w", err)
	}
	return a, nil
}

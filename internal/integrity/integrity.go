// Package integrity notices when the store lost data: emptied (a Redis
// without persistence restarted), replaced by a different one, or restored
// from an older copy. The store carries a random identity and a write
// counter that only grows; the bot keeps the last identity and counter it
// saw in a small file of its own (and in memory), together with the
// highest article ID it announced in each edition.
//
// After a loss the guard tells the poller not to announce again any story
// at or below those marks for a day (the site lists the last day or so of
// stories; an older copy of the store has forgotten that they were sent).
// An emptied store also forgot that its editions had their first poll, so
// the poller's usual first-poll rule (store, do not announce) re-baselines
// it.
package integrity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"newsbot/internal/news"
)

// Window is how long after a loss the marks hold back stories, and how
// long a mark stays meaningful.
const Window = 24 * time.Hour

// Store is what the guard needs from the store; *store.Store implements it.
type Store interface {
	EnsureIdentity(ctx context.Context, candidate string) (id string, counter int64, created bool, err error)
	BumpCounter(ctx context.Context) (int64, error)
}

// Mark is the highest article ID announced in an edition, and when.
type Mark struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
}

// Loss describes a detected data loss.
type Loss struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// state is what the guard keeps outside the store.
type state struct {
	Identity string             `json:"identity"`
	Counter  int64              `json:"counter"`
	Marks    map[news.Lang]Mark `json:"marks"`
	Loss     *Loss              `json:"loss,omitempty"`
}

// Config configures a Guard.
type Config struct {
	// Path is the file the guard keeps its state in (DATA_DIR/store-identity.json);
	// empty keeps it in memory only, which still notices a loss while the
	// process runs.
	Path string
	// Observer, when set, hears of each detected loss.
	Observer Observer
	Logger   *slog.Logger
	Now      func() time.Time
}

// Observer hears of the losses a Guard detects, for metrics, health and
// admin alerts; the app implements it.
type Observer interface {
	// StoreLost is called once per detected loss, after it is recorded and
	// logged, from the Check that found it.
	StoreLost(ctx context.Context, l Loss)
}

// Guard checks the store and holds back stories after a loss. It is safe
// for concurrent use.
type Guard struct {
	store Store
	cfg   Config
	log   *slog.Logger

	mu    sync.Mutex
	st    state
	known bool // st.Identity came from the file or from this process
}

// New loads the guard's file, if any. A file that cannot be read is
// reported and ignored: the guard then starts from what the store says.
func New(st Store, cfg Config) *Guard {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Guard{store: st, cfg: cfg, log: cfg.Logger, st: state{Marks: map[news.Lang]Mark{}}}
	if cfg.Path == "" {
		return g
	}
	b, err := os.ReadFile(cfg.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		g.log.Warn("Unable to read the store identity file; starting from the store.", "path", cfg.Path, "err", err)
	default:
		var s state
		if err := json.Unmarshal(b, &s); err != nil {
			g.log.Warn("The store identity file is damaged; starting from the store.", "path", cfg.Path, "err", err)
			break
		}
		if s.Marks == nil {
			s.Marks = map[news.Lang]Mark{}
		}
		g.st, g.known = s, s.Identity != ""
	}
	return g
}

// Check compares the store with what the guard remembers, records a loss
// when they disagree, and bumps the store's counter. The poller calls it
// before each round.
func (g *Guard) Check(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	candidate := g.st.Identity
	if candidate == "" {
		candidate = newIdentity()
	}
	id, counter, created, err := g.store.EnsureIdentity(ctx, candidate)
	if err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	reason := ""
	switch {
	case !g.known:
	case created:
		reason = "the store was emptied: it no longer carries its identity"
	case id != g.st.Identity:
		reason = fmt.Sprintf("the store is a different one (identity %s, expected %s)", id, g.st.Identity)
	case counter < g.st.Counter:
		reason = fmt.Sprintf("the store went back in time: write counter %d, last seen %d (restored from an older copy?)", counter, g.st.Counter)
	}
	n, err := g.store.BumpCounter(ctx)
	if err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	g.st.Identity, g.st.Counter, g.known = id, n, true
	var loss *Loss
	if reason != "" {
		loss = &Loss{At: g.cfg.Now().UTC(), Reason: reason}
		g.st.Loss = loss
	}
	g.save()
	if loss != nil {
		g.log.Error("The store lost data; stories announced in the last day will not be announced again.", "reason", reason)
		if g.cfg.Observer != nil {
			g.cfg.Observer.StoreLost(ctx, *loss)
		}
	}
	return nil
}

// Hold reports whether the story id of edition ed must not be announced:
// within Window of a loss, an ID at or below the edition's mark (set
// within Window before the loss) was announced already.
func (g *Guard) Hold(ed news.Lang, id int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.st.Loss
	if l == nil || g.cfg.Now().Sub(l.At) > Window {
		return false
	}
	m, ok := g.st.Marks[ed]
	return ok && id <= m.ID && l.At.Sub(m.At) <= Window
}

// Announced records that the story id of edition ed was announced, and
// bumps the store's counter.
func (g *Guard) Announced(ctx context.Context, ed news.Lang, id int64) error {
	n, err := g.store.BumpCounter(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil && n > g.st.Counter {
		g.st.Counter = n
	}
	m := g.st.Marks[ed]
	if g.cfg.Now().Sub(m.At) > Window {
		m.ID = 0 // a day-old mark says nothing about what the site lists now
	}
	g.st.Marks[ed] = Mark{ID: max(id, m.ID), At: g.cfg.Now().UTC()}
	g.save()
	if err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	return nil
}

// LastLoss returns the last loss detected, if any.
func (g *Guard) LastLoss() (Loss, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.st.Loss == nil {
		return Loss{}, false
	}
	return *g.st.Loss, true
}

// save writes the state file atomically (temporary file, fsync, rename).
// Failures are logged: the guard keeps working from memory.
func (g *Guard) save() {
	if g.cfg.Path == "" {
		return
	}
	b, err := json.Marshal(g.st)
	if err == nil {
		err = writeFileAtomic(g.cfg.Path, b)
	}
	if err != nil {
		g.log.Warn("Unable to save the store identity file.", "path", g.cfg.Path, "err", err)
	}
}

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func newIdentity() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

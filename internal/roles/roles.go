// Package roles runs the bot's singleton roles (the site poller, the
// Telegram update consumer) on one replica at a time. A role is a lease in
// the store with a fencing token: the replica that holds it renews it every
// third of its length, and stops the role as soon as it loses it or can no
// longer prove that it holds it (two thirds of the lease without a
// successful renewal). When the holder dies, its lease runs out and
// another replica, which tries every third of a lease, takes the role
// within 2 × the lease.
package roles

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultLease is the length of a role's lease.
const DefaultLease = 10 * time.Second

// Leases is what roles need from the store; *store.Store implements it.
type Leases interface {
	AcquireLease(ctx context.Context, role, holder string, ttl time.Duration) (int64, error)
	RenewLease(ctx context.Context, role, holder string, token int64, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, role, holder string, token int64) error
}

// Config configures a Manager.
type Config struct {
	// Holder names this replica in the leases; NewHolder() when empty.
	Holder string
	// Lease is the lease length; DefaultLease when 0.
	Lease time.Duration
	// OnChange is called when this replica takes or gives up a role.
	OnChange func(role string, held bool)
	Logger   *slog.Logger
}

// Manager runs roles under leases. It is safe for concurrent use.
type Manager struct {
	leases Leases
	cfg    Config
	log    *slog.Logger

	mu   sync.Mutex
	held map[string]int64 // role → fencing token
}

// New returns a Manager.
func New(l Leases, cfg Config) *Manager {
	if cfg.Holder == "" {
		cfg.Holder = NewHolder()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{leases: l, cfg: cfg, log: cfg.Logger.With("holder", cfg.Holder), held: map[string]int64{}}
}

// NewHolder returns a name for this replica: the host name and a random
// suffix (two processes on one host are two holders).
func NewHolder() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r <= ' ' || r == '{' || r == '}' || r > '~' {
			return '_'
		}
		return r
	}, host)
	b := make([]byte, 4)
	crand.Read(b)
	if host == "" {
		host = "replica"
	}
	return host + "-" + hex.EncodeToString(b)
}

// Holder returns this replica's name.
func (m *Manager) Holder() string { return m.cfg.Holder }

// Held returns the roles this replica holds now, sorted.
func (m *Manager) Held() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.held))
	for r := range m.held {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Run runs fn whenever this replica holds role, until ctx ends. fn gets a
// context that ends when the role is lost, and the lease's fencing token;
// it must return soon after its context ends. An error from fn (other than
// its context ending) stops Run with that error.
func (m *Manager) Run(ctx context.Context, role string, fn func(ctx context.Context, token int64) error) error {
	retry := m.cfg.Lease / 3
	for {
		token, err := m.leases.AcquireLease(ctx, role, m.cfg.Holder, m.cfg.Lease)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			m.log.Warn("Unable to try for a role; trying again.", "role", role, "err", err)
		case token > 0:
			if err := m.hold(ctx, role, token, fn); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		// Jitter spreads the replicas' attempts.
		if !sleep(ctx, retry-retry/4+rand.N(retry/2+1)) {
			return nil
		}
	}
}

// hold runs fn while the lease of role is renewed.
func (m *Manager) hold(ctx context.Context, role string, token int64, fn func(context.Context, int64) error) error {
	m.setHeld(role, token, true)
	defer m.setHeld(role, token, false)
	m.log.Info("This replica took a role.", "role", role, "token", token)
	roleCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(roleCtx, token) }()

	every := m.cfg.Lease / 3
	t := time.NewTicker(every)
	defer t.Stop()
	lastRenewed := time.Now()
	for {
		select {
		case err := <-done:
			m.release(role, token)
			if err != nil && roleCtx.Err() == nil {
				return fmt.Errorf("roles: %s: %w", role, err)
			}
			return nil
		case <-ctx.Done():
			cancel()
			<-done
			m.release(role, token)
			return nil
		case <-t.C:
		}
		ok, err := m.leases.RenewLease(ctx, role, m.cfg.Holder, token, m.cfg.Lease)
		switch {
		case err == nil && ok:
			lastRenewed = time.Now()
			continue
		case err == nil:
			m.log.Warn("This replica lost a role: another holds it now.", "role", role, "token", token)
		case time.Since(lastRenewed) < 2*m.cfg.Lease/3:
			m.log.Warn("Unable to renew a role; trying again.", "role", role, "err", err)
			continue
		default:
			m.log.Warn("This replica gives up a role it cannot renew before its lease ends.", "role", role, "err", err)
		}
		cancel()
		<-done
		return nil
	}
}

// release gives the lease back so another replica may take it at once.
func (m *Manager) release(role string, token int64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := m.leases.ReleaseLease(ctx, role, m.cfg.Holder, token); err != nil {
		m.log.Warn("Unable to release a role; it ends with its lease.", "role", role, "err", err)
	}
}

func (m *Manager) setHeld(role string, token int64, held bool) {
	m.mu.Lock()
	if held {
		m.held[role] = token
	} else {
		delete(m.held, role)
	}
	m.mu.Unlock()
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(role, held)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

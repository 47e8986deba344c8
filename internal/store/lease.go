package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

var (
	//go:embed lua/lease_acquire.lua
	leaseAcquireLua string
	//go:embed lua/lease_renew.lua
	leaseRenewLua string
	//go:embed lua/lease_release.lua
	leaseReleaseLua string

	leaseAcquire = redis.NewScript(leaseAcquireLua)
	leaseRenew   = redis.NewScript(leaseRenewLua)
	leaseRelease = redis.NewScript(leaseReleaseLua)
)

// checkLeaseArgs validates a role name and a holder: neither may hold a
// space (the lease value is "holder token") nor braces (the role is the
// hash tag of its keys).
func checkLeaseArgs(role, holder string, ttl time.Duration) error {
	if err := checkRole(role); err != nil {
		return err
	}
	if holder == "" || strings.ContainsAny(holder, " \t\r\n{}") {
		return fmt.Errorf("store: bad lease holder %q: %w", holder, news.ErrInvalid)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("store: lease of %s: %w", ttl, news.ErrInvalid)
	}
	return nil
}

func checkRole(role string) error {
	if err := checkKeyName("role", role); err != nil {
		return err
	}
	if strings.ContainsAny(role, "{}") {
		return fmt.Errorf("store: role %q has a brace: %w", role, news.ErrInvalid)
	}
	return nil
}

// AcquireLease takes the lease of role for holder, or renews it when
// holder has it already, for ttl. It returns the fencing token, which grows
// with every new holder, or 0 when another holder has the lease.
func (s *Store) AcquireLease(ctx context.Context, role, holder string, ttl time.Duration) (int64, error) {
	if err := checkLeaseArgs(role, holder, ttl); err != nil {
		return 0, err
	}
	keys := []string{s.k.lease(role), s.k.leaseFence(role)}
	token, err := leaseAcquire.Run(ctx, s.rdb, keys, holder, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: unable to acquire the %s lease: %w", role, err)
	}
	return token, nil
}

// RenewLease extends holder's lease of role taken with token. It reports
// false when the lease was lost (expired, or taken by another holder).
func (s *Store) RenewLease(ctx context.Context, role, holder string, token int64, ttl time.Duration) (bool, error) {
	if err := checkLeaseArgs(role, holder, ttl); err != nil {
		return false, err
	}
	n, err := leaseRenew.Run(ctx, s.rdb, []string{s.k.lease(role)}, holder, strconv.FormatInt(token, 10), ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("store: unable to renew the %s lease: %w", role, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up holder's lease of role taken with token, so another
// replica may take it at once. Releasing a lease no longer held is not an
// error.
func (s *Store) ReleaseLease(ctx context.Context, role, holder string, token int64) error {
	if err := checkLeaseArgs(role, holder, time.Second); err != nil {
		return err
	}
	if err := leaseRelease.Run(ctx, s.rdb, []string{s.k.lease(role)}, holder, strconv.FormatInt(token, 10)).Err(); err != nil {
		return fmt.Errorf("store: unable to release the %s lease: %w", role, err)
	}
	return nil
}

// LeaseHolder returns who holds role's lease and with which token ("" and
// 0 when nobody does).
func (s *Store) LeaseHolder(ctx context.Context, role string) (string, int64, error) {
	if err := checkRole(role); err != nil {
		return "", 0, err
	}
	v, err := s.rdb.Get(ctx, s.k.lease(role)).Result()
	if errors.Is(err, redis.Nil) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("store: unable to read the %s lease: %w", role, err)
	}
	holder, token, _ := strings.Cut(v, " ")
	n, _ := strconv.ParseInt(token, 10, 64)
	return holder, n, nil
}

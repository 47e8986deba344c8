package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestUpdateClaims(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{Prefix: "uc"})
		claim := func(id int, holder string) string {
			t.Helper()
			claimed, done, err := st.ClaimUpdate(ctx, id, holder, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case claimed && done:
				t.Fatalf("ClaimUpdate(%d, %s) is both claimed and done", id, holder)
			case claimed:
				return "claimed"
			case done:
				return "done"
			}
			return "busy"
		}
		if got := claim(11, "a"); got != "claimed" {
			t.Errorf("first claim: %s, want claimed", got)
		}
		if got := claim(11, "a"); got != "claimed" {
			t.Errorf("claim again by its holder: %s, want claimed", got)
		}
		if got := claim(11, "b"); got != "busy" {
			t.Errorf("claim by another holder: %s, want busy", got)
		}
		if ttl := rdb.PTTL(ctx, "uc:tg:update:11").Val(); ttl <= 59*time.Second || ttl > time.Minute {
			t.Errorf("claim TTL = %v, want about 1m", ttl)
		}
		lost, err := st.RenewUpdateClaims(ctx, "a", []int{11, 12}, 2*time.Minute)
		if err != nil || !slices.Equal(lost, []int{12}) {
			t.Errorf("RenewUpdateClaims = %v, %v; want [12] lost", lost, err)
		}
		if ttl := rdb.PTTL(ctx, "uc:tg:update:11").Val(); ttl <= time.Minute {
			t.Errorf("renewed claim TTL = %v, want about 2m", ttl)
		}
		if lost, _ := st.RenewUpdateClaims(ctx, "b", []int{11}, time.Minute); !slices.Equal(lost, []int{11}) {
			t.Errorf("another holder renewed the claim (lost = %v)", lost)
		}
		if err := st.FinishUpdate(ctx, 11, time.Hour); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"a", "b"} {
			if got := claim(11, h); got != "done" {
				t.Errorf("claim of a finished update by %s: %s, want done", h, got)
			}
		}
		if ttl := rdb.TTL(ctx, "uc:tg:update:11").Val(); ttl <= 59*time.Minute {
			t.Errorf("done TTL = %v, want 1h", ttl)
		}
		if lost, _ := st.RenewUpdateClaims(ctx, "a", []int{11}, time.Minute); !slices.Equal(lost, []int{11}) {
			t.Errorf("a finished update's claim was renewed (lost = %v)", lost)
		}
		// The webhook's dedupe and the claims share the key.
		if first, _ := st.FirstTimeUpdate(ctx, 13, time.Hour); !first {
			t.Fatal("FirstTimeUpdate(13) = false")
		}
		if got := claim(13, "a"); got != "done" {
			t.Errorf("claim of a webhook update: %s, want done", got)
		}
		claim(14, "a")
		if first, _ := st.FirstTimeUpdate(ctx, 14, time.Hour); first {
			t.Error("FirstTimeUpdate of a claimed update = true")
		}
		if err := st.FinishUpdate(ctx, 15, 0); err != nil {
			t.Fatal(err)
		}
		if ttl := rdb.TTL(ctx, "uc:tg:update:15").Val(); ttl <= 23*time.Hour {
			t.Errorf("default done TTL = %v, want 24h", ttl)
		}
		// A dead holder's claim expires; another then takes it.
		if _, _, err := st.ClaimUpdate(ctx, 16, "a", 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for claim(16, "b") != "claimed" {
			if time.Now().After(deadline) {
				t.Fatal("an expired claim was never taken over")
			}
			// Polling Redis for the expiry (the embedded server expires
			// keys once a second), with a deadline.
			time.Sleep(20 * time.Millisecond)
		}
		for _, bad := range []struct {
			id     int
			holder string
			ttl    time.Duration
		}{{-1, "a", time.Second}, {1, "", time.Second}, {1, "a b", time.Second}, {1, "a", 0}} {
			if _, _, err := st.ClaimUpdate(ctx, bad.id, bad.holder, bad.ttl); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("ClaimUpdate(%d, %q, %v): err = %v, want ErrInvalid", bad.id, bad.holder, bad.ttl, err)
			}
		}
		if err := st.FinishUpdate(ctx, -1, 0); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("FinishUpdate(-1): err = %v", err)
		}
	})
}

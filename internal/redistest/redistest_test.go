package redistest

import (
	"context"
	"testing"
)

func TestRestartKeepsAOFData(t *testing.T) {
	s := Start(t, WithAOF())
	ctx := context.Background()
	c := s.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	got, err := c.Get(ctx, "k").Result()
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got != "v" {
		t.Fatalf("after restart got %q, want %q", got, "v")
	}
}

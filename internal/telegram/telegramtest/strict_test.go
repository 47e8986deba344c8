package telegramtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// strictServer is Strict on a fake clock, without latency.
func strictServer(t *testing.T) (*telegramtest.Server, *clock) {
	t.Helper()
	clk := newClock()
	opts := telegramtest.Strict(0)
	opts.Now = clk.Now
	return newServer(t, opts), clk
}

func TestStrictSlidingSecond(t *testing.T) {
	s, clk := strictServer(t)
	var got []string
	// 30 sends spread over 0.9 s pass; the 31st, still within the second
	// of the first, does not, whatever the spacing.
	for i := range 30 {
		got = append(got, outcome(t, s, int64(1000+i), nil))
		clk.Advance(30 * time.Millisecond)
	}
	got = append(got, outcome(t, s, 2000, nil)) // t = 900 ms
	clk.Advance(100 * time.Millisecond)         // t = 1 s: the first send has left the window, but the token is paused
	got = append(got, outcome(t, s, 2001, nil))
	clk.Advance(time.Second) // t = 2 s, the pause is over
	got = append(got, outcome(t, s, 2002, nil))
	var want []string
	for range 30 {
		want = append(want, "ok")
	}
	want = append(want, "429 after 1", "429 after 1", "ok")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	st := s.Stats()
	if st.FloodGlobal != 1 || st.TooManyRequests != 2 || st.InsideRetryAfter != 1 {
		t.Errorf("Stats() global floods %d, 429s %d, inside retry_after %d; want 1, 2, 1", st.FloodGlobal, st.TooManyRequests, st.InsideRetryAfter)
	}
}

func TestStrictChatBurst(t *testing.T) {
	s, clk := strictServer(t)
	got := []string{outcome(t, s, 7, nil), outcome(t, s, 7, nil), outcome(t, s, 7, nil), outcome(t, s, 7, nil)}
	clk.Advance(500 * time.Millisecond) // inside the chat's retry_after: refused again
	got = append(got, outcome(t, s, 7, nil), outcome(t, s, 8, nil))
	clk.Advance(500 * time.Millisecond) // one token back, one only
	got = append(got, outcome(t, s, 7, nil), outcome(t, s, 7, nil))
	want := []string{"ok", "ok", "ok", "429 after 1", "429 after 1", "ok", "ok", "429 after 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.FloodChat != 2 || st.InsideRetryAfter != 1 {
		t.Errorf("Stats() chat floods %d, inside retry_after %d; want 2, 1", st.FloodChat, st.InsideRetryAfter)
	}
}

func TestStrictLimitsEdits(t *testing.T) {
	s, clk := strictServer(t)
	for range 3 {
		if got := outcome(t, s, 9, nil); got != "ok" {
			t.Fatalf("send: %s", got)
		}
	}
	code, env := call(t, s, "editMessageText", map[string]any{"chat_id": 9, "message_id": 1, "text": "edited"})
	if code != 429 || env.Parameters == nil || env.Parameters.RetryAfter != 1 {
		t.Errorf("fourth request to the chat, an edit: %d %s, want 429 after 1", code, env.Description)
	}
	clk.Advance(2 * time.Second)
	if code, env := call(t, s, "editMessageText", map[string]any{"chat_id": 9, "message_id": 1, "text": "edited"}); code != 200 {
		t.Errorf("edit after the pause: %d %s", code, env.Description)
	}
}

func TestSetGlobalPerSecond(t *testing.T) {
	s, clk := strictServer(t)
	s.SetGlobalPerSecond(10)
	var got []string
	for i := range 11 {
		got = append(got, outcome(t, s, int64(100+i), nil))
	}
	clk.Advance(time.Second)
	got = append(got, outcome(t, s, 200, nil))
	want := []string{"ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "429 after 1", "ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestFailNextPausesTheToken(t *testing.T) {
	s, clk := strictServer(t)
	s.FailNext("sendMessage", 429, "Too Many Requests: retry after 2", 1)
	got := []string{outcome(t, s, 1, nil), outcome(t, s, 2, nil)}
	clk.Advance(2 * time.Second)
	got = append(got, outcome(t, s, 2, nil))
	if diff := cmp.Diff([]string{"429 after 2", "429 after 2", "ok"}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestLatency(t *testing.T) {
	s := newServer(t, telegramtest.Options{Latency: 200 * time.Millisecond})
	c, err := telegram.New(context.Background(), telegram.Config{Token: s.Token(), APIURL: s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	s.SetLatency(100 * time.Millisecond)
	start := time.Now()
	if _, err := c.Send(context.Background(), telegram.Message{ChatID: 1, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	rtt := time.Since(start)
	arrived := s.Arrivals()[0].Sub(start)
	if rtt < 100*time.Millisecond || arrived < 50*time.Millisecond {
		t.Errorf("round trip %v, arrival after %v; want at least 100 ms and 50 ms", rtt, arrived)
	}
}

func TestMaxPerSecond(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var ts []time.Time
	for _, ms := range []int{0, 100, 999, 1000, 1001, 1500, 3000} {
		ts = append(ts, t0.Add(time.Duration(ms)*time.Millisecond))
	}
	if got := telegramtest.MaxPerSecond(ts); got != 4 { // 999, 1000, 1001, 1500
		t.Errorf("MaxPerSecond = %d, want 4", got)
	}
}

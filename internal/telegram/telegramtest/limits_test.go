package telegramtest_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram/telegramtest"
)

// outcome is the short form of a send's answer: "ok" or "429 after N".
func outcome(t *testing.T, s *telegramtest.Server, chatID int64, params map[string]any) string {
	t.Helper()
	p := map[string]any{"chat_id": chatID, "text": "x"}
	for k, v := range params {
		p[k] = v
	}
	code, env := call(t, s, "sendMessage", p)
	switch {
	case code == 200:
		return "ok"
	case code == 429 && env.Parameters != nil:
		want := "Too Many Requests: retry after " + strconv.Itoa(env.Parameters.RetryAfter)
		if env.Description != want {
			t.Errorf("429 description %q, want %q", env.Description, want)
		}
		return "429 after " + strconv.Itoa(env.Parameters.RetryAfter)
	}
	return strconv.Itoa(code) + " " + env.Description
}

func TestGlobalRate(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{GlobalRate: 30, Now: clk.Now})
	var got []string
	for i := range 31 { // a burst of 30, one second's worth, then 429
		got = append(got, outcome(t, s, int64(1000+i), nil))
	}
	clk.Advance(time.Second / 30) // one token back
	got = append(got, outcome(t, s, 2000, nil), outcome(t, s, 2001, nil))
	clk.Advance(10 * time.Second) // the bucket refills to its size, not more
	for i := range 31 {
		got = append(got, outcome(t, s, int64(3000+i), nil))
	}
	var want []string
	for range 30 {
		want = append(want, "ok")
	}
	want = append(want, "429 after 1", "ok", "429 after 1")
	for range 30 {
		want = append(want, "ok")
	}
	want = append(want, "429 after 1")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	st := s.Stats()
	if st.TooManyRequests != 3 || st.FloodGlobal != 3 || st.Delivered != 61 {
		t.Errorf("Stats() 429s %d (global %d) delivered %d, want 3, 3, 61", st.TooManyRequests, st.FloodGlobal, st.Delivered)
	}
}

func TestGlobalBurstAndSlowRate(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{GlobalRate: 0.2, GlobalBurst: 2, Now: clk.Now})
	got := []string{outcome(t, s, 1, nil), outcome(t, s, 2, nil), outcome(t, s, 3, nil)}
	clk.Advance(2 * time.Second) // 0.4 of a token: 3 s still to wait
	got = append(got, outcome(t, s, 4, nil))
	clk.Advance(3 * time.Second)
	got = append(got, outcome(t, s, 5, nil))
	want := []string{"ok", "ok", "429 after 5", "429 after 3", "ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestChatInterval(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{ChatInterval: time.Second, Now: clk.Now})
	steps := []struct {
		advance time.Duration
		chat    int64
		want    string
	}{
		{0, 1, "ok"},
		{0, 2, "ok"}, // other chats are independent
		{500 * time.Millisecond, 1, "429 after 1"},
		{440 * time.Millisecond, 1, "429 after 1"}, // 940 ms: beyond the default 20 ms jitter
		{45 * time.Millisecond, 1, "ok"},           // 985 ms: within it
		{985 * time.Millisecond, 1, "ok"},          // spacing counts from the last delivery, not from a 429
		{0, -5, "ok"},                              // groups are not spaced per second
		{0, -5, "ok"},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if got := outcome(t, s, st.chat, nil); got != st.want {
			t.Errorf("step %d (chat %d): %s, want %s", i, st.chat, got, st.want)
		}
	}
	if st := s.Stats(); st.FloodChat != 2 {
		t.Errorf("Stats().FloodChat = %d, want 2", st.FloodChat)
	}
}

func TestGroupPerMinute(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{GroupPerMinute: 20, ChatInterval: time.Second, Now: clk.Now})
	for i := range 20 {
		if got := outcome(t, s, -100, nil); got != "ok" {
			t.Fatalf("send %d: %s, want ok", i, got)
		}
		clk.Advance(time.Second)
	}
	// t = 20 s: the first send leaves the window at t = 60 s.
	steps := []struct {
		at   time.Duration
		chat int64
		want string
	}{
		{20 * time.Second, -100, "429 after 40"},
		{20 * time.Second, -101, "ok"}, // another group
		{20 * time.Second, 7, "ok"},    // a private chat
		{59500 * time.Millisecond, -100, "429 after 1"},
		{60 * time.Second, -100, "ok"},
		{60500 * time.Millisecond, -100, "429 after 1"}, // the second send (t = 1 s) leaves at 61 s
		{61 * time.Second, -100, "ok"},
	}
	start := clk.Now().Add(-20 * time.Second)
	for _, st := range steps {
		clk.Advance(start.Add(st.at).Sub(clk.Now()))
		if got := outcome(t, s, st.chat, nil); got != st.want {
			t.Errorf("at %v chat %d: %s, want %s", st.at, st.chat, got, st.want)
		}
	}
	if st := s.Stats(); st.FloodGroup != 3 {
		t.Errorf("Stats().FloodGroup = %d, want 3", st.FloodGroup)
	}
}

func TestJitter(t *testing.T) {
	tests := []struct {
		name   string
		jitter time.Duration
		want   []string
	}{
		// At 100/s a token takes 10 ms: the default 20 ms lends two.
		{"default", 0, []string{"ok", "ok", "ok", "429 after 1"}},
		{"exact", -1, []string{"ok", "429 after 1", "429 after 1", "429 after 1"}},
		{"50 ms", 50 * time.Millisecond, []string{"ok", "ok", "ok", "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			s := newServer(t, telegramtest.Options{GlobalRate: 100, GlobalBurst: 1, Jitter: tt.jitter, Now: clk.Now})
			var got []string
			for i := range 4 {
				got = append(got, outcome(t, s, int64(i+1), nil))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			// The loan is paid back: a second later the bucket is full (one
			// token), never more.
			clk.Advance(time.Second)
			got = []string{outcome(t, s, 10, nil)}
			if tt.jitter < 0 {
				got = append(got, outcome(t, s, 11, nil))
				if diff := cmp.Diff([]string{"ok", "429 after 1"}, got); diff != "" {
					t.Errorf("after a second (-want +got):\n%s", diff)
				}
			} else if got[0] != "ok" {
				t.Errorf("after a second: %s, want ok", got[0])
			}
		})
	}
	// Spacing per chat tolerates the jitter too, but never more than half
	// the interval.
	clk := newClock()
	s := newServer(t, telegramtest.Options{ChatInterval: 60 * time.Millisecond, Jitter: time.Second, Now: clk.Now})
	got := []string{outcome(t, s, 1, nil)}
	clk.Advance(29 * time.Millisecond)
	got = append(got, outcome(t, s, 1, nil))
	clk.Advance(time.Millisecond)
	got = append(got, outcome(t, s, 1, nil))
	if diff := cmp.Diff([]string{"ok", "429 after 1", "ok"}, got); diff != "" {
		t.Errorf("chat spacing with a large jitter (-want +got):\n%s", diff)
	}
}

func TestPaidBroadcastRate(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{GlobalRate: 1, PaidRate: 3, Now: clk.Now})
	paid := map[string]any{"allow_paid_broadcast": true}
	got := []string{
		outcome(t, s, 1, nil), outcome(t, s, 2, nil),
		outcome(t, s, 3, paid), outcome(t, s, 4, paid), outcome(t, s, 5, paid), outcome(t, s, 6, paid),
	}
	want := []string{"ok", "429 after 1", "ok", "ok", "ok", "429 after 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	st := s.Stats()
	if st.FloodGlobal != 1 || st.FloodPaid != 1 {
		t.Errorf("Stats() global %d paid %d floods, want 1 and 1", st.FloodGlobal, st.FloodPaid)
	}
	var paidChats []int64
	for _, m := range s.Sent() {
		if m.Paid {
			paidChats = append(paidChats, m.ChatID)
		}
	}
	if diff := cmp.Diff([]int64{3, 4, 5}, paidChats); diff != "" {
		t.Errorf("paid sends (-want +got):\n%s", diff)
	}
}

func TestConcurrentSendsRespectTheBucket(t *testing.T) {
	const rate, senders, perSender = 50, 8, 25
	s := newServer(t, telegramtest.Options{GlobalRate: rate})
	start := time.Now()
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/sendMessage", "application/json",
					strings.NewReader(`{"chat_id":`+strconv.Itoa(g*1000+i+1)+`,"text":"x"}`))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	st := s.Stats()
	if st.Delivered+st.TooManyRequests != senders*perSender {
		t.Errorf("delivered %d + 429s %d, want %d requests in all", st.Delivered, st.TooManyRequests, senders*perSender)
	}
	if limit := rate + int((elapsed+telegramtest.DefaultJitter).Seconds()*rate) + 1; st.Delivered > limit {
		t.Errorf("delivered %d in %v, more than the bucket allows (%d)", st.Delivered, elapsed, limit)
	}
	if st.Delivered < rate {
		t.Errorf("delivered %d, want at least the burst of %d", st.Delivered, rate)
	}
}

package telegramtest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram/telegramtest"
)

// rawSend posts a sendMessage and returns the status, content type and
// body, or the transport error.
func rawSend(t *testing.T, s *telegramtest.Server, chatID string) (status int, contentType, body string, err error) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/sendMessage", "application/json",
		strings.NewReader(`{"chat_id":`+chatID+`,"text":"x"}`))
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b), err
}

func TestServerErrorFault(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	s.SetFaults(telegramtest.Faults{ServerErrorRate: 1})
	var got []string
	for range 4 {
		code, ct, body, err := rawSend(t, s, "1")
		if err != nil {
			t.Fatal(err)
		}
		kind := "json"
		if strings.HasPrefix(body, "<html>") {
			kind = "html"
		}
		got = append(got, http.StatusText(code)+" "+ct+" "+kind)
	}
	want := []string{
		"Internal Server Error application/json json", "Bad Gateway text/html html",
		"Internal Server Error application/json json", "Bad Gateway text/html html",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if n := len(s.Sent()); n != 0 {
		t.Errorf("Sent() has %d messages, want none (5xx answers come before delivery)", n)
	}
	if st := s.Stats(); st.ServerErrors != 4 || st.Requests["sendMessage"] != 4 {
		t.Errorf("Stats() server errors %d requests %d, want 4 and 4", st.ServerErrors, st.Requests["sendMessage"])
	}
	// Faults apply to sends only.
	if code, _ := call(t, s, "getMe", nil); code != 200 {
		t.Errorf("getMe under faults = %d, want 200", code)
	}
}

func TestDropFault(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	s.SetFaults(telegramtest.Faults{DropRate: 1})
	_, _, _, err := rawSend(t, s, "2")
	if err == nil {
		t.Fatal("a dropped send got an answer")
	}
	if got := len(s.SentTo(2)); got != 1 {
		t.Errorf("SentTo(2) has %d messages, want 1: a drop happens after delivery", got)
	}
	if st := s.Stats(); st.Drops != 1 || st.Delivered != 1 {
		t.Errorf("Stats() drops %d delivered %d, want 1 and 1", st.Drops, st.Delivered)
	}
	s.SetFaults(telegramtest.Faults{})
	if code, _, _, err := rawSend(t, s, "2"); err != nil || code != 200 {
		t.Errorf("send after clearing faults: %d %v", code, err)
	}
}

func TestSlowFault(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	const delay = 150 * time.Millisecond
	s.SetFaults(telegramtest.Faults{SlowRate: 1, SlowDelay: delay})
	start := time.Now()
	code, _, _, err := rawSend(t, s, "3")
	if err != nil || code != 200 {
		t.Fatalf("slow send: %d %v", code, err)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("answered after %v, want at least %v", elapsed, delay)
	}
	if st := s.Stats(); st.Slow != 1 || st.Delivered != 1 {
		t.Errorf("Stats() slow %d delivered %d, want 1 and 1", st.Slow, st.Delivered)
	}
}

func TestFaultsAreSeeded(t *testing.T) {
	pattern := func(seed int64) string {
		s := newServer(t, telegramtest.Options{})
		s.SetFaults(telegramtest.Faults{ServerErrorRate: 0.5, Seed: seed})
		var b strings.Builder
		for range 24 {
			code, _, _, err := rawSend(t, s, "1")
			if err != nil {
				t.Fatal(err)
			}
			if code == 200 {
				b.WriteByte('.')
			} else {
				b.WriteByte('x')
			}
		}
		return b.String()
	}
	a, b, c := pattern(7), pattern(7), pattern(8)
	if a != b {
		t.Errorf("seed 7 gave %s then %s, want the same pattern", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 both gave %s", a)
	}
	if !strings.Contains(a, ".") || !strings.Contains(a, "x") {
		t.Errorf("rate 0.5 gave %s, want a mix", a)
	}
}

func TestFailNext(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	s.FailNext("sendMessage", 429, "Too Many Requests: retry after 7", 2)
	s.FailNext("SENDPHOTO", 400, "Bad Request: chat not found", 1)
	s.FailNext("getMe", 502, "<html><body>Bad Gateway</body></html>", 1)

	for i := range 2 {
		code, env := send(t, s, 1, "x")
		if code != 429 || env.Description != "Too Many Requests: retry after 7" || env.Parameters == nil || env.Parameters.RetryAfter != 7 {
			t.Errorf("send %d: %d %q %+v, want 429 retry after 7", i, code, env.Description, env.Parameters)
		}
	}
	sendOK(t, s, 1, "x")
	if code, env := call(t, s, "sendPhoto", map[string]any{"chat_id": 1, "photo": "p"}); code != 400 || env.Description != "Bad Request: chat not found" {
		t.Errorf("sendPhoto = %d %q, want 400 chat not found", code, env.Description)
	}
	resp, err := http.Get(s.URL() + "/bot" + s.Token() + "/getMe")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "text/html" || string(body) != "<html><body>Bad Gateway</body></html>" {
		t.Errorf("getMe = %d %q %q, want the HTML 502", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if code, _ := call(t, s, "getMe", nil); code != 200 {
		t.Errorf("second getMe = %d, want 200", code)
	}
	if st := s.Stats(); st.TooManyRequests != 0 || st.ServerErrors != 1 {
		t.Errorf("Stats() 429s %d server errors %d, want 0 (FailNext 429s are not rate limits) and 1", st.TooManyRequests, st.ServerErrors)
	}
}

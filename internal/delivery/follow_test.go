package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram/telegramtest"
)

// A story announced as ordinary news is promoted: every breaking
// subscriber who has not received it gets it once, with sound; a tag
// subscriber who got it silently is not sent it again.
func TestPromoteReachesBreakingSubscribersOnce(t *testing.T) {
	env := newAcceptanceEnv(t, testConfig(t), telegramtest.Options{})
	ctx := context.Background()
	seedChat(t, env.st, 1, news.Ukrainian, false, "sud")
	seedChat(t, env.st, 2, news.Ukrainian, true)
	seedChat(t, env.st, 3, news.Ukrainian, true, "sud")
	runEngine(t, env.e)
	a := article(news.Ukrainian, 8100001, false, "sud")
	if err := env.st.SaveArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := env.e.Announce(ctx, a); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, env.e, 10*time.Second)
	a.Important = true
	if err := env.st.SaveArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if _, err := env.e.Promote(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	waitDrained(t, env.e, 10*time.Second)
	for chat, want := range map[int64][]bool{1: {true}, 2: {false}, 3: {true}} { // silent flags
		var got []bool
		for _, s := range env.srv.SentTo(chat) {
			if strings.Contains(s.Text, articleMark(a)) {
				got = append(got, s.Silent)
			}
		}
		if len(got) != len(want) || got[0] != want[0] {
			t.Errorf("chat %d: silent flags %v, want %v", chat, got, want)
		}
	}
}

// A corrected headline edits every sent copy once; a correction that
// changes nothing the reader sees costs no request; a message the chat
// deleted is skipped without retries.
func TestCorrectEditsSentCopiesOnce(t *testing.T) {
	env := newAcceptanceEnv(t, testConfig(t), telegramtest.Options{})
	ctx := context.Background()
	chats := seedChats(t, env.st, 10, 3, news.Ukrainian, false, "sud")
	runEngine(t, env.e)
	a := article(news.Ukrainian, 8100002, false, "sud")
	if err := env.st.SaveArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := env.e.Announce(ctx, a); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, env.e, 10*time.Second)
	edits := func() int {
		n := 0
		for _, s := range env.srv.Sent() {
			if s.Method == "editMessageText" {
				n++
			}
		}
		return n
	}
	// The same wording again: nothing to do, no request.
	if _, err := env.e.Correct(ctx, a); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, env.e, 10*time.Second)
	if n := edits(); n != 0 {
		t.Fatalf("%d edits for a correction that changes nothing, want 0", n)
	}
	a.Headline = "Corrected headline"
	if err := env.st.SaveArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent per version
		if _, err := env.e.Correct(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	waitDrained(t, env.e, 10*time.Second)
	if n := edits(); n != len(chats) {
		t.Fatalf("%d edits, want %d (one per sent copy)", n, len(chats))
	}
	for _, s := range env.srv.Sent() {
		if s.Method == "editMessageText" && !strings.Contains(s.Text, "Corrected headline") {
			t.Errorf("edit to chat %d says %q", s.ChatID, s.Text)
		}
	}
	st, err := env.e.Stats(ctx)
	if err != nil || st.DeadLetters != 0 {
		t.Errorf("dead letters %d, %v; want 0", st.DeadLetters, err)
	}
}

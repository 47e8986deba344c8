package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/bot"
	"newsbot/internal/i18n"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// gatedAPI holds the replies to one chat until open is closed, and counts
// getUpdates calls.
type gatedAPI struct {
	*telegram.Client
	chat  int64
	open  chan struct{}
	polls atomic.Int64
}

func (g *gatedAPI) Send(ctx context.Context, m telegram.Message) (int, error) {
	if m.ChatID == g.chat {
		select {
		case <-g.open:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return g.Client.Send(ctx, m)
}

func (g *gatedAPI) GetUpdates(ctx context.Context, offset int, timeout time.Duration, allowed []string) ([]telegram.Update, error) {
	g.polls.Add(1)
	return g.Client.GetUpdates(ctx, offset, timeout, allowed)
}

// pollRig is a bot polling the fake Bot API with a gated chat, not started.
type pollRig struct {
	t     *testing.T
	tg    *telegramtest.Server
	store *store.Store
	api   *gatedAPI
	bot   *bot.Bot
}

func newPollRig(t *testing.T, gated int64) *pollRig {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client(), store.Options{})
	tg := telegramtest.NewServer(telegramtest.Options{Token: token, BotUserName: "newsbot_test_bot"})
	t.Cleanup(tg.Close)
	client, err := telegram.New(context.Background(), telegram.Config{Token: token, APIURL: tg.URL()})
	if err != nil {
		t.Fatal(err)
	}
	api := &gatedAPI{Client: client, chat: gated, open: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := bot.New(api, st, nil, i18n.MustLoad(), bot.Config{UserName: "newsbot_test_bot", Logger: log,
		PollTimeout: time.Second, ClaimTTL: 300 * time.Millisecond})
	return &pollRig{t: t, tg: tg, store: st, api: api, bot: b}
}

// start runs Poll until the test ends; the gate opens first.
func (r *pollRig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.bot.Poll(ctx) }()
	var once sync.Once
	r.t.Cleanup(func() {
		once.Do(func() { r.release() })
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("Poll: %v", err)
		}
	})
}

func (r *pollRig) release() {
	select {
	case <-r.api.open:
	default:
		close(r.api.open)
	}
}

// search sends "/search word" from chat and returns the update ID.
func (r *pollRig) search(chat int64, word string) int {
	u := telegramtest.User{ID: chat, FirstName: "Reader", LanguageCode: "en"}
	return r.tg.SendText(u, telegramtest.Chat{ID: chat, Type: "private"}, "/search "+word)
}

// answers counts the messages to chat naming word.
func (r *pollRig) answers(chat int64, word string) int {
	n := 0
	for _, s := range r.tg.SentTo(chat) {
		if strings.Contains(s.Text, "“"+word+"”") {
			n++
		}
	}
	return n
}

func (r *pollRig) waitAnswer(chat int64, word string, within time.Duration) time.Duration {
	r.t.Helper()
	start := time.Now()
	for r.answers(chat, word) == 0 {
		if time.Since(start) > within {
			r.t.Fatalf("chat %d: no answer for %q within %v", chat, word, within)
		}
		time.Sleep(5 * time.Millisecond) // polling the fake, with a deadline
	}
	return time.Since(start)
}

func (r *pollRig) offset() int {
	n, err := r.store.UpdateOffset(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// A chat whose reply hangs holds the offset back: the stored offset never
// passes its update, the other chats are answered promptly and once
// (their updates come back in every poll from the held-back offset), and
// Poll does not spin on the polls that return at once.
func TestPollSlowHandlerHoldsTheOffsetNotTheOthers(t *testing.T) {
	const slow, other = 501, 502
	r := newPollRig(t, slow)
	r.start()
	slowID := r.search(slow, "zqslow")
	var worst time.Duration
	held := time.Now()
	words := []string{}
	for i := range 4 {
		w := fmt.Sprintf("zqother%d", i)
		words = append(words, w)
		r.search(other, w)
		worst = max(worst, r.waitAnswer(other, w, 3*time.Second))
		if got := r.offset(); got > slowID {
			t.Errorf("stored offset %d passed the update %d in hand", got, slowID)
		}
	}
	polls, span := r.api.polls.Load(), time.Since(held)
	r.release()
	r.waitAnswer(slow, "zqslow", 3*time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for r.offset() <= slowID+len(words) {
		if time.Now().After(deadline) {
			t.Fatalf("the stored offset stays at %d after every update was handled", r.offset())
		}
		time.Sleep(10 * time.Millisecond) // polling Redis, with a deadline
	}
	for _, w := range append(words, "zqslow") {
		chat := int64(other)
		if w == "zqslow" {
			chat = slow
		}
		if n := r.answers(chat, w); n != 1 {
			t.Errorf("chat %d: %d answers for %q, want 1", chat, n, w)
		}
	}
	// While held back, a poll at most every 250 ms (and one more per
	// answer, when the others' updates were all handled).
	if limit := int64(span/(250*time.Millisecond)) + 2*int64(len(words)) + 3; polls > limit {
		t.Errorf("%d getUpdates calls in %v while an update was held back, want at most %d", polls, span, limit)
	}
	t.Logf("4 commands from another chat answered within %v at worst while one hung; %d polls in %v", worst, polls, span.Round(time.Millisecond))
	if worst > time.Second {
		t.Errorf("a slow chat delayed another's answer by %v, want under 1 s", worst)
	}
}

// The next holder of the update role, starting from a stale stored
// offset, skips the updates a dead replica handled (marked done) and
// handles the one it had in hand once that claim expires, each once.
func TestPollTakesOverADeadReplicasUpdates(t *testing.T) {
	r := newPollRig(t, 0)
	r.release()
	ctx := context.Background()
	handled := r.search(601, "zqhandled")
	inHand := r.search(602, "zqinhand")
	fresh := r.search(603, "zqfresh")
	// The dead replica stored no offset past them, marked the first done
	// and held a claim of the second.
	if err := r.store.FinishUpdate(ctx, handled, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.store.ClaimUpdate(ctx, inHand, "dead", 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r.start()
	r.waitAnswer(603, "zqfresh", 3*time.Second)
	r.waitAnswer(602, "zqinhand", 3*time.Second)
	if n := r.answers(601, "zqhandled"); n != 0 {
		t.Errorf("the update handled by the dead replica was answered %d times again", n)
	}
	if n := r.answers(602, "zqinhand"); n != 1 {
		t.Errorf("the update the dead replica had in hand got %d answers, want 1", n)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("the dead replica's update was handled %v after the start, before its claim expired", elapsed)
	}
	deadline := time.Now().Add(3 * time.Second)
	for r.offset() <= fresh {
		if time.Now().After(deadline) {
			t.Fatalf("stored offset %d, want past %d", r.offset(), fresh)
		}
		time.Sleep(10 * time.Millisecond) // polling Redis, with a deadline
	}
}

// Behind a hung reply, more than a poll's 100 updates from other chats
// fill the window: the update in hand is parked in Redis and the offset
// moves past it, so a new chat is still answered at once; the parked
// update is answered once and unparked.
func TestPollParksWhenTheWindowFills(t *testing.T) {
	const slow = 701
	r := newPollRig(t, slow)
	r.start()
	slowID := r.search(slow, "zqslow")
	for c := range 7 { // under the flood limit of 20 per chat
		for i := range 16 {
			r.search(int64(710+c), fmt.Sprintf("zqbusy%dn%d", c, i))
		}
	}
	for c := range 7 {
		r.waitAnswer(int64(710+c), fmt.Sprintf("zqbusy%dn15", c), 5*time.Second)
	}
	r.search(799, "zqlate")
	took := r.waitAnswer(799, "zqlate", 3*time.Second)
	t.Logf("a new chat behind a full window answered in %v", took)
	if took > time.Second {
		t.Errorf("a new chat behind a full window was answered after %v, want under 1 s", took)
	}
	parked, err := r.store.ParkedUpdates(context.Background())
	if err != nil || parked[slowID] == nil {
		t.Fatalf("parked updates = %d (err %v), want the hung one (%d) among them", len(parked), err, slowID)
	}
	if got := r.offset(); got <= slowID {
		t.Errorf("stored offset %d: not past the parked update %d", got, slowID)
	}
	r.release()
	r.waitAnswer(slow, "zqslow", 3*time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for {
		p, _ := r.store.ParkedUpdates(context.Background())
		if len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d updates still parked after they were handled", len(p))
		}
		time.Sleep(10 * time.Millisecond) // polling Redis, with a deadline
	}
	if n := r.answers(slow, "zqslow"); n != 1 {
		t.Errorf("the parked update got %d answers, want 1", n)
	}
}

// An update a dead replica parked (confirmed to Telegram, stored offset
// past it) is handled by the next Poll, once.
func TestPollResumesParkedUpdates(t *testing.T) {
	r := newPollRig(t, 0)
	r.release()
	ctx := context.Background()
	id := r.search(801, "zqparked")
	ups, err := r.api.Client.GetUpdates(ctx, 0, 0, bot.AllowedUpdates)
	if err != nil || len(ups) != 1 {
		t.Fatalf("getUpdates = %d updates, %v", len(ups), err)
	}
	js, _ := json.Marshal(ups[0])
	if err := r.store.ParkUpdates(ctx, map[int][]byte{id: js}); err != nil {
		t.Fatal(err)
	}
	if err := r.store.SetUpdateOffset(ctx, id+1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.api.Client.GetUpdates(ctx, id+1, 0, bot.AllowedUpdates); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.waitAnswer(801, "zqparked", 3*time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for {
		p, _ := r.store.ParkedUpdates(ctx)
		if len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the resumed update is still parked after it was handled")
		}
		time.Sleep(10 * time.Millisecond) // polling Redis, with a deadline
	}
	if n := r.answers(801, "zqparked"); n != 1 {
		t.Errorf("the parked update got %d answers, want 1", n)
	}
}

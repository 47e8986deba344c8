package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram/telegramtest"
)

// The role-kill test runs two replicas of the app as child processes: this
// test binary run again with roleKillHelperEnv set, so that one can be
// killed with SIGKILL as a crashed host would be. TestRoleKillHelperProcess
// runs app.Run with the environment the parent passes in roleKillEnvEnv
// (JSON), until it is killed or gets SIGTERM.
const (
	roleKillHelperEnv = "NEWSBOT_APP_ROLEKILL_HELPER"
	roleKillEnvEnv    = "NEWSBOT_APP_ROLEKILL_ENV"
)

// The test's scale: kept small for CI (about 8 s), with leases of a
// second so the hand-over is quick.
const (
	roleKillReaders = 90 // 3 s of broadcast at 30/s
	roleKillChats   = 3  // chats sending commands all along
	roleKillLease   = time.Second
	// roleKillSenders bounds the sends the killed replica can have had in
	// flight: at its half of 30/s and a local round trip of milliseconds,
	// one or two; 8 leaves room for a loaded machine.
	roleKillSenders = 8
	// roleKillLag is how long after a kill the fake may still record a
	// request the killed process wrote before it died.
	roleKillLag = 50 * time.Millisecond
	// roleKillDoneMark bounds how long before the kill an answer can have
	// been recorded by the fake and still be answered again: the killed
	// replica got the fake's response and marked the update done in
	// Redis (one round trip each) in less than that, on a loaded machine.
	roleKillDoneMark = 250 * time.Millisecond
)

// TestRoleKillHelperProcess is a replica of TestKillRoleHolderMidBroadcast.
// It does nothing in a normal test run.
func TestRoleKillHelperProcess(t *testing.T) {
	if os.Getenv(roleKillHelperEnv) != "1" {
		t.Skip("helper process of TestKillRoleHolderMidBroadcast")
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(os.Getenv(roleKillEnvEnv)), &env); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if code := Run(ctx, []string{"run"}, func(k string) string { return env[k] }, os.Stderr, os.Stderr); code != 0 {
		t.Fatalf("newsbot exited with %d", code)
	}
}

// childReplica is one replica running as a child process.
type childReplica struct {
	cmd  *exec.Cmd
	base string // its operator endpoint
	log  string // path of its output
	done chan struct{}
}

// startChild starts a replica with env (HTTP_ADDR set here) and kills it
// when the test ends.
func startChild(t *testing.T, env map[string]string) *childReplica {
	t.Helper()
	env = maps.Clone(env)
	env["HTTP_ADDR"] = freeAddr(t)
	env["DATA_DIR"] = t.TempDir()
	js, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	c := &childReplica{base: "http://" + env["HTTP_ADDR"], log: filepath.Join(t.TempDir(), "replica.log"), done: make(chan struct{})}
	logf, err := os.Create(c.log)
	if err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestRoleKillHelperProcess$", "-test.count=1")
	c.cmd.Env = append(os.Environ(), roleKillHelperEnv+"=1", roleKillEnvEnv+"="+string(js))
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.cmd.Wait(); logf.Close(); close(c.done) }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			b, _ := os.ReadFile(c.log)
			t.Logf("replica %d log (tail):\n%s", c.cmd.Process.Pid, tail(string(b), 40))
		}
	})
	return c
}

// roles is the set of roles the replica's /healthz lists; nil when it does
// not answer.
func (c *childReplica) roles() map[string]bool {
	code, body := getQuiet(c.base + "/healthz")
	if code != 200 {
		return nil
	}
	held := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if list, ok := strings.CutPrefix(line, "roles: "); ok {
			for _, r := range strings.Split(list, ",") {
				if r != "" {
					held[r] = true
				}
			}
		}
	}
	return held
}

func (c *childReplica) holdsBoth() bool {
	r := c.roles()
	return r["poller"] && r["updates"]
}

// commander sends commands from one chat all along: each a /search for a
// word of its own, the next once the answer came (or after 3 s).
type commander struct {
	w     *world
	r     *reader
	mu    sync.Mutex
	words []string
	at    []time.Time // when each word was sent
}

func (c *commander) sentAt(word string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at[slices.Index(c.words, word)]
}

// unanswered counts the commands of cs without an answer yet.
func unanswered(cs []*commander) int {
	n := 0
	for _, c := range cs {
		for _, k := range c.answers() {
			if k == 0 {
				n++
			}
		}
	}
	return n
}

func (c *commander) run(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		word := fmt.Sprintf("zq%dn%d", c.r.chat.ID, i)
		c.mu.Lock()
		c.words, c.at = append(c.words, word), append(c.at, time.Now())
		c.mu.Unlock()
		c.w.tg.SendText(c.r.user, c.r.chat, "/search "+word)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c.w.tg.WaitSent(ctx, c.r.chat.ID, i+1)
		cancel()
	}
}

// answers counts, for every word sent, the messages to the chat naming it.
func (c *commander) answers() map[string]int {
	n := make(map[string]int)
	for w, at := range c.answerTimes() {
		n[w] = len(at)
	}
	return n
}

// answerTimes lists, for every word sent, when the fake recorded each
// message to the chat naming it.
func (c *commander) answerTimes() map[string][]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := make(map[string][]time.Time, len(c.words))
	for _, w := range c.words {
		at[w] = nil
	}
	for _, s := range c.w.tg.SentTo(c.r.chat.ID) {
		for _, w := range c.words {
			if strings.Contains(s.Text, "“"+w+"”") { // "Nothing found for “word”."
				at[w] = append(at[w], s.At)
			}
		}
	}
	return at
}

// Two replicas of the app, each a child process, on one Redis, one fake
// Bot API and the fake site. The replica holding both the poller and the
// update roles is killed with SIGKILL in the middle of a broadcast while
// readers send commands: the other takes both roles within 2 × ROLE_LEASE,
// the broadcast completes (a second copy only for sends in flight at the
// kill), every command gets exactly one answer (the update offset, the
// claims of the updates and the updates parked are shared in Redis: the
// commands the killed replica had in hand are answered by the other), and
// the site is polled by one replica per interval. The one window for a
// second answer (docs/operations.md): the killed replica sent an answer
// and died before marking the update done in Redis, a round trip; a second
// answer is accepted only for an answer recorded within roleKillDoneMark
// before the kill, at most one per chat.
func TestKillRoleHolderMidBroadcast(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two replicas as child processes")
	}
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.env["EDITIONS"] = "en"
	w.env["LOG_LEVEL"] = "info"
	w.env["ROLE_LEASE"] = roleKillLease.String()
	w.env["DELIVERY_LEASE"] = "3s" // the dead replica's claims come back quickly
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	w.site.Publish(article(8120001, news.English, "An older story", russia))
	readers := seedReaders(t, store.New(srv.Client(), store.Options{}), 710001, roleKillReaders, "russia")

	// The first replica takes both roles before the second starts.
	first := startChild(t, w.env)
	waitFor(t, "the first replica to hold both roles", first.holdsBoth)
	second := startChild(t, w.env)
	w.waitPolls(t, 1)
	waitFor(t, "the second replica to serve", func() bool { return second.roles() != nil })

	stop := make(chan struct{})
	var cmds []*commander
	var wg sync.WaitGroup
	for i := range roleKillChats {
		c := &commander{w: w, r: w.reader(int64(7201+i), "en")}
		cmds = append(cmds, c)
		wg.Add(1)
		go func() { defer wg.Done(); c.run(stop) }()
	}
	const mark = "Russia story sent mid-kill"
	w.site.Publish(article(8120010, news.English, mark, russia))
	delivered := func() int {
		n := 0
		for _, s := range w.tg.Sent() {
			if strings.Contains(s.Text, mark) {
				n++
			}
		}
		return n
	}
	waitFor(t, "a quarter of the broadcast", func() bool { return delivered() >= roleKillReaders/4 })
	if !first.holdsBoth() || len(second.roles()) != 0 {
		t.Fatalf("before the kill the first replica holds %v, the second %v", first.roles(), second.roles())
	}
	atKill := delivered()
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	<-first.done
	waitFor(t, "the second replica to take both roles", second.holdsBoth)
	took := time.Since(killedAt)
	polls, pollsFrom := w.feedPolls(), time.Now()

	// Commands go on until each chat had one sent after the hand-over
	// answered, while the broadcast completes.
	waitFor(t, "a command sent after the hand-over to be answered in every chat", func() bool {
		return answeredSince(cmds, killedAt.Add(took)) == len(cmds)
	})
	close(stop)
	waitFor(t, "every reader to get the story", func() bool { return missing(w.tg, readers, mark) == 0 })
	wg.Wait()
	// Answers still on their way arrive within a few seconds; a command
	// with none by then is lost.
	deadline := time.Now().Add(5 * time.Second)
	for unanswered(cmds) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling the fake, not waiting for time to pass
	}
	w.waitPolls(t, 1)
	pollSpan, polled := time.Since(pollsFrom), w.feedPolls()-polls

	dups := inFlightDuplicates(t, w.tg, readers, mark, killedAt)
	sent, inHand, twice := checkCommandAnswers(t, cmds, killedAt)
	t.Logf("kill -9 of the role holder after %d of %d sent: both roles taken over in %v (lease %v); "+
		"broadcast complete, %d duplicates; %d commands from %d chats, each answered once but %d (in the "+
		"done-mark window); %d were in hand at the kill and answered by the other replica; %d polls in %v after the hand-over",
		atKill, roleKillReaders, took.Round(time.Millisecond), roleKillLease, dups, sent, roleKillChats, twice, inHand,
		polled, pollSpan.Round(time.Millisecond))
	if took > 2*roleKillLease {
		t.Errorf("the roles were taken over %v after the kill, want within 2 × ROLE_LEASE = %v", took, 2*roleKillLease)
	}
	if dups > roleKillSenders {
		t.Errorf("%d duplicates, more than the %d sends the killed replica can have in flight", dups, roleKillSenders)
	}
	// One poll per interval (POLL_INTERVAL=1s): n+1 polls take at least n
	// intervals, less a little for the rounds' own length.
	if limit := int(pollSpan/time.Second) + 2; polled > limit {
		t.Errorf("the site saw %d polls in %v after the hand-over: more than one replica polls", polled, pollSpan)
	}
}

// answeredSince counts the commanders with a command sent after since
// answered.
func answeredSince(cs []*commander, since time.Time) int {
	n := 0
	for _, c := range cs {
		for w, k := range c.answers() {
			if k > 0 && c.sentAt(w).After(since) {
				n++
				break
			}
		}
	}
	return n
}

// checkCommandAnswers fails the test for every command without an answer,
// and for every command answered twice unless the first answer was
// recorded within roleKillDoneMark before the kill (at most one per
// chat). It returns the number of commands, of those sent before the kill
// and first answered after it (they were in hand at the kill), and of
// those answered twice.
func checkCommandAnswers(t *testing.T, cmds []*commander, killedAt time.Time) (sent, inHand, twice int) {
	t.Helper()
	ts := func(at time.Time) string { return at.Format("15:04:05.000") }
	for _, c := range cmds {
		chatTwice := 0
		for word, at := range c.answerTimes() {
			sent++
			if len(at) == 0 {
				t.Errorf("chat %d: the command for %q (sent %s; kill at %s) got no answer",
					c.r.chat.ID, word, ts(c.sentAt(word)), ts(killedAt))
				continue
			}
			slices.SortFunc(at, time.Time.Compare)
			if c.sentAt(word).Before(killedAt) && at[0].After(killedAt.Add(roleKillLag)) {
				inHand++
			}
			if len(at) == 1 {
				continue
			}
			twice++
			chatTwice++
			inWindow := !at[0].Before(killedAt.Add(-roleKillDoneMark)) && !at[0].After(killedAt.Add(roleKillLag))
			if len(at) > 2 || !inWindow || chatTwice > 1 {
				t.Errorf("chat %d: the command for %q got %d answers (the first at %s; kill at %s), want 1",
					c.r.chat.ID, word, len(at), ts(at[0]), ts(killedAt))
			}
		}
	}
	return sent, inHand, twice
}

// seedReaders stores n English readers following tag, from chat first on.
func seedReaders(t *testing.T, st *store.Store, first int64, n int, tag string) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
		_, err := st.UpdateChat(context.Background(), ids[i], func(c *news.Chat, _ bool) error {
			c.Lang, c.LangChosen, c.Tags = news.English, true, []string{tag}
			return nil
		})
		if err != nil {
			t.Fatalf("seed readers: %v", err)
		}
	}
	return ids
}

// missing counts the readers that have not got a message containing mark.
func missing(tg *telegramtest.Server, readers []int64, mark string) int {
	got := map[int64]bool{}
	for _, s := range tg.Sent() {
		if strings.Contains(s.Text, mark) {
			got[s.ChatID] = true
		}
	}
	n := 0
	for _, id := range readers {
		if !got[id] {
			n++
		}
	}
	return n
}

// inFlightDuplicates fails the test for every reader that got mark twice
// unless the first copy went out in the second before the kill (a send in
// flight), and returns the number of second copies.
func inFlightDuplicates(t *testing.T, tg *telegramtest.Server, readers []int64, mark string, killedAt time.Time) int {
	t.Helper()
	dups := 0
	for _, id := range readers {
		var at []time.Time
		for _, s := range tg.SentTo(id) {
			if strings.Contains(s.Text, mark) {
				at = append(at, s.At)
			}
		}
		if len(at) < 2 {
			continue
		}
		dups += len(at) - 1
		slices.SortFunc(at, time.Time.Compare)
		if at[0].Before(killedAt.Add(-time.Second)) || at[0].After(killedAt.Add(roleKillLag)) {
			t.Errorf("reader %d got the story %d times; the first at %s was not in flight at the kill (%s)",
				id, len(at), at[0].Format("15:04:05.000"), killedAt.Format("15:04:05.000"))
		}
	}
	return dups
}

// getQuiet is a GET that reports a refused connection as status 0.
func getQuiet(url string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

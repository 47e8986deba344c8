package app

import (
	"maps"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
)

// Two replicas on one Redis and one token in long-polling mode: one polls
// the site and one consumes updates at a time (leases), so every command
// gets exactly one answer and the site sees one poll per interval; when
// the holder stops, the other takes both roles over.
func TestTwoReplicasOnePollerOneConsumer(t *testing.T) {
	srv := redistest.Start(t)
	w := newWorld(t, srv.URL())
	w.env["EDITIONS"] = "en"
	w.env["ROLE_LEASE"] = "1s"
	w.site.Publish(article(8090001, news.English, "A story", news.Tag{Slug: "russia", Name: "Russia"}))
	env2 := maps.Clone(w.env)
	env2["DATA_DIR"] = t.TempDir()
	replicas := []*process{start(t, w.env), start(t, env2)}
	w.waitPolls(t, 1)

	// Every command is answered once.
	for i := range 10 {
		r := w.reader(int64(5000+i), "en")
		mustContain(t, "/start", r.say(t, "/start").Text, "Hello")
		mustContain(t, "/help", r.say(t, "/help").Text, "/subscribe")
		if n := len(w.tg.SentTo(r.chat.ID)); n != 2 {
			t.Errorf("reader %d got %d answers to 2 commands", r.chat.ID, n)
		}
	}

	// One poll per interval: 4 polls of the feed take at least 3 intervals.
	from, start := w.feedPolls(), time.Now()
	w.waitPolls(t, 4)
	if d := time.Since(start); d < 2700*time.Millisecond {
		t.Errorf("the site saw %d polls in %s with POLL_INTERVAL=1s: more than one replica polls", w.feedPolls()-from, d)
	}
	holder := -1
	for i, p := range replicas {
		logs := p.logs.String()
		took := tookRole(logs, "poller")
		if took > 1 || took == 1 && holder >= 0 {
			t.Fatalf("the poller role was taken %d times by replica %d (holder %d)", took, i, holder)
		}
		if took == 1 {
			holder = i
			if tookRole(logs, "updates") == 0 {
				t.Logf("replica %d polls the site, the other consumes updates", i)
			}
		}
	}
	if holder < 0 {
		t.Fatal("no replica took the poller role")
	}

	// The holder stops: the other replica takes the roles over and the
	// next command is answered once, the site polled on.
	replicas[holder].stop(t)
	other := replicas[1-holder]
	waitFor(t, "the other replica to take the poller role", func() bool {
		return tookRole(other.logs.String(), "poller") == 1
	})
	r := w.reader(6000, "en")
	mustContain(t, "/start after the hand-over", r.say(t, "/start").Text, "Hello")
	w.waitPolls(t, 2)
	mustContain(t, "/help after the hand-over", r.say(t, "/help").Text, "/subscribe")
	if n := len(w.tg.SentTo(r.chat.ID)); n != 2 {
		t.Errorf("after the hand-over a reader got %d answers to 2 commands", n)
	}
	if c := w.tg.Stats().Requests["getUpdates"]; c == 0 {
		t.Error("no getUpdates at all")
	}
}

// tookRole counts the log lines saying this replica took role.
func tookRole(logs, role string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `msg="This replica took a role."`) && strings.Contains(line, " role="+role+" ") {
			n++
		}
	}
	return n
}

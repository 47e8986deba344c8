package app

import (
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram/telegramtest"
)

// topicReader is someone who writes in one topic of a forum group (thread
// 0: the General topic).
type topicReader struct {
	w      *world
	user   telegramtest.User
	group  telegramtest.Chat
	thread int64
}

// say sends text in the reader's topic and returns the bot's next message
// to that topic.
func (r *topicReader) say(t *testing.T, text string) telegramtest.Sent {
	t.Helper()
	n := len(r.w.tg.SentToTopic(r.group.ID, r.thread))
	r.w.tg.SendTextInTopic(r.user, r.group, r.thread, text)
	return r.w.waitTopic(t, r.group.ID, r.thread, n+1)[n]
}

// waitTopic waits until n messages were delivered to a topic and returns
// them.
func (w *world) waitTopic(t *testing.T, group, thread int64, n int) []telegramtest.Sent {
	t.Helper()
	var got []telegramtest.Sent
	waitFor(t, "messages in a topic", func() bool {
		got = w.tg.SentToTopic(group, thread)
		return len(got) >= n
	})
	return got
}

// TestEndToEndForumTopics: two topics of one forum group follow different
// tags and each story lands in its own topic; a member who is not an admin
// cannot change a topic's settings; a closed topic stops receiving after
// its strikes while the other topic and the group itself go on.
func TestEndToEndForumTopics(t *testing.T) {
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	sport := news.Tag{Slug: "sport", Name: "Sport"}
	weather := news.Tag{Slug: "weather", Name: "Weather"}
	w := newWorld(t, redistest.Start(t).URL())
	w.env["STRIKE_LIMIT"] = "2"
	w.site.Publish(article(8070001, news.English, "An older story about Russia", russia))
	w.site.Publish(article(8070002, news.English, "An older story about sport", sport))
	w.site.Publish(article(8070003, news.English, "An older story about the weather", weather))
	start(t, w.env)
	w.waitPolls(t, 1)

	group := telegramtest.Chat{ID: -1001000000800, Type: "supergroup", Title: "Newsroom"}
	w.tg.CreateForum(group.ID, group.Title)
	warTopic, sportTopic := w.tg.CreateTopic(group.ID, "War"), w.tg.CreateTopic(group.ID, "Sport")
	admin := telegramtest.User{ID: 4101, FirstName: "Admin", LanguageCode: "en"}
	member := telegramtest.User{ID: 4102, FirstName: "Member", LanguageCode: "en"}
	w.tg.SetMemberStatus(group.ID, admin.ID, "administrator")
	inWar := &topicReader{w: w, user: admin, group: group, thread: warTopic}
	inSport := &topicReader{w: w, user: admin, group: group, thread: sportTopic}
	inGeneral := &topicReader{w: w, user: admin, group: group}
	memberInSport := &topicReader{w: w, user: member, group: group, thread: sportTopic}

	mustContain(t, "/subscribe in the war topic", inWar.say(t, "/subscribe Russia").Text, "Russia")
	mustContain(t, "/subscribe in the sport topic", inSport.say(t, "/subscribe Sport").Text, "Sport")
	mustContain(t, "/subscribe in General", inGeneral.say(t, "/subscribe Weather").Text, "Weather")
	mustContain(t, "a member's /subscribe in a topic", memberInSport.say(t, "/subscribe Russia").Text, "Only the admins")

	// Each story lands in its own topic.
	before := map[int64]int{}
	for _, th := range []int64{0, warTopic, sportTopic} {
		before[th] = len(w.tg.SentToTopic(group.ID, th))
	}
	w.site.Publish(article(8070010, news.English, "Russia launches a new attack", russia))
	w.site.Publish(article(8070011, news.English, "The final ends in a draw", sport))
	mustContain(t, "story in the war topic", w.waitTopic(t, group.ID, warTopic, before[warTopic]+1)[before[warTopic]].Text,
		"Russia launches a new attack")
	sportGot := w.waitTopic(t, group.ID, sportTopic, before[sportTopic]+1)[before[sportTopic]].Text
	mustContain(t, "story in the sport topic", sportGot, "The final ends in a draw")
	if strings.Contains(sportGot, "Russia") {
		t.Errorf("the member's /subscribe changed the sport topic's settings: %q", sportGot)
	}
	w.waitQueueDrained(t)
	for th, n := range before {
		if got := len(w.tg.SentToTopic(group.ID, th)); got != n+1-boolInt(th == 0) {
			t.Errorf("topic %d got %d messages, want %d", th, got-n, 1-boolInt(th == 0))
		}
	}

	// The sport topic is closed: its story is refused, struck twice, and
	// the topic goes inactive; the group is not.
	w.tg.CloseTopic(group.ID, sportTopic)
	refusedBefore := w.tg.Stats().BadRequests
	w.site.Publish(article(8070020, news.English, "A transfer record", sport))
	waitFor(t, "two refusals of the closed topic", func() bool { return w.tg.Stats().BadRequests >= refusedBefore+2 })
	w.waitQueueDrained(t)
	sportBefore := len(w.tg.SentToTopic(group.ID, sportTopic))
	general, war := len(w.tg.SentToTopic(group.ID, 0)), len(w.tg.SentToTopic(group.ID, warTopic))
	w.site.Publish(article(8070030, news.English, "Russia shells the city", russia))
	w.site.Publish(article(8070031, news.English, "Snow in the Carpathians", weather))
	w.site.Publish(article(8070032, news.English, "Another match report", sport))
	mustContain(t, "the war topic after the closed one", w.waitTopic(t, group.ID, warTopic, war+1)[war].Text, "Russia shells the city")
	mustContain(t, "General after the closed topic", w.waitTopic(t, group.ID, 0, general+1)[general].Text, "Snow in the Carpathians")
	w.waitQueueDrained(t)
	if n := w.tg.Stats().BadRequests - refusedBefore; n != 2 {
		t.Errorf("the closed topic was sent to %d times, want 2 (the strike limit)", n)
	}
	if n := len(w.tg.SentToTopic(group.ID, sportTopic)); n != sportBefore {
		t.Errorf("the closed topic got %d messages", n-sportBefore)
	}
	assertGroupSpacing(t, w.tg.SentTo(group.ID))
}

// assertGroupSpacing checks that the bot's news to one group, whatever
// topic it went to, kept to 20 a minute (one per 3 s).
func assertGroupSpacing(t *testing.T, sent []telegramtest.Sent) {
	t.Helper()
	var last time.Time
	for _, s := range sent {
		if s.Silent && !last.IsZero() && s.At.Sub(last) < 3*time.Second {
			t.Errorf("two news messages to the group %v apart", s.At.Sub(last))
		}
		if s.Silent {
			last = s.At
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

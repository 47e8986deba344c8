package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram/telegramtest"
)

// button is one inline button of a sent message.
type button struct {
	Text string `json:"text"`
	URL  string `json:"url"`
	Data string `json:"callback_data"`
}

func buttons(t *testing.T, s telegramtest.Sent) []button {
	t.Helper()
	if len(s.ReplyMarkup) == 0 {
		return nil
	}
	var kb struct {
		Rows [][]button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal(s.ReplyMarkup, &kb); err != nil {
		t.Fatalf("reply_markup %s: %v", s.ReplyMarkup, err)
	}
	var out []button
	for _, r := range kb.Rows {
		out = append(out, r...)
	}
	return out
}

// buttonWith returns the button whose callback data starts with prefix.
func buttonWith(t *testing.T, s telegramtest.Sent, prefix string) button {
	t.Helper()
	for _, b := range buttons(t, s) {
		if b.Data != "" && strings.HasPrefix(b.Data, prefix) {
			return b
		}
	}
	t.Fatalf("no %q button under %q: %s", prefix, s.Plain, s.ReplyMarkup)
	return button{}
}

// press presses a button of message s and returns the toast and the
// message as the bot left it (the edit the press made).
func (r *reader) press(t *testing.T, s telegramtest.Sent, data string) (string, telegramtest.Sent) {
	t.Helper()
	n := len(r.w.tg.SentTo(r.chat.ID))
	_, id := r.w.tg.PressButton(r.user, r.chat, s.MessageID, data)
	edited := r.next(t, n)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range r.w.tg.CallbackAnswers() {
			if a.ID == id {
				return a.Text, edited
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the press of %q was not answered", data)
	return "", edited
}

// controlCase is one language of TestReaderControls.
type controlCase struct {
	lang           news.Lang
	tag            news.Tag // followed by both readers
	mute, headline string   // a muted stem and a headline with an inflected form of it
	other          string   // a headline without it
	readIn         string   // the label of a "read in" button
}

var controlCases = []controlCase{
	{news.Ukrainian, news.Tag{Slug: "kyiv", Name: "Київ"}, "росі", "Удар Росії по Києву", "Київ готується до зими", "Читати"},
	{news.Russian, news.Tag{Slug: "kyiv", Name: "Киев"}, "росси", "Удар России по Киеву", "Киев готовится к зиме", "Читать"},
	{news.English, news.Tag{Slug: "kyiv", Name: "Kyiv"}, "russia", "Russian strike on Kyiv", "Kyiv gets ready for winter", "Read in"},
}

// TestReaderControls is issue 13's acceptance for mutes and story buttons,
// in the three languages, against the fake Bot API and a real Redis: a
// muted word keeps a story from its muter only; the buttons under a story
// open the same story in the other editions, and its mute button mutes the
// tag (a toast, an undo button) so that the next story of the tag stays
// away, until the undo.
func TestReaderControls(t *testing.T) {
	w := newWorld(t, redistest.Start(t).URL())
	for i, c := range controlCases {
		w.site.Publish(article(8070000+int64(i), c.lang, c.other, c.tag))
	}
	start(t, w.env)
	w.waitPolls(t, 1)
	for i, c := range controlCases {
		t.Run(string(c.lang), func(t *testing.T) { runControls(t, w, i, c) })
	}
}

func runControls(t *testing.T, w *world, i int, c controlCase) {
	muter, other := w.reader(int64(2001+10*i), string(c.lang)), w.reader(int64(2002+10*i), string(c.lang))
	for _, r := range []*reader{muter, other} {
		r.say(t, "/start")
		r.say(t, "/language "+string(c.lang))
		mustContain(t, "/subscribe reply", r.say(t, "/subscribe "+c.tag.Name).Text, c.tag.Name)
	}
	mustContain(t, "/mute reply", muter.say(t, "/mute "+strings.ToUpper(c.mute)).Text, c.mute)
	mustContain(t, "/mysubs with a mute", muter.say(t, "/mysubs").Text, c.mute)

	// The story exists in all three editions: its buttons lead to the two others.
	id := int64(8070100 + i)
	var urls []string
	for _, l := range news.Langs { // the other editions first, so the page links them
		if l != c.lang {
			a := article(id, l, fmt.Sprintf("%s (%s)", c.other, l), news.Tag{Slug: "elsewhere", Name: "Elsewhere"})
			w.site.Publish(a)
			urls = append(urls, w.site.ArticleURL(a))
		}
	}
	w.site.Publish(article(id, c.lang, c.headline, c.tag))
	muterBefore, otherBefore := len(w.tg.SentTo(muter.chat.ID)), len(w.tg.SentTo(other.chat.ID))
	story := other.next(t, otherBefore)
	mustContain(t, "story", story.Text, c.headline)
	var read []string
	for _, b := range buttons(t, story) {
		if b.URL != "" {
			read = append(read, b.URL)
			mustContain(t, "read-in button", b.Text, c.readIn)
		}
	}
	if strings.Join(read, " ") != strings.Join(urls, " ") {
		t.Errorf("read-in buttons open %q, want %q", read, urls)
	}
	w.waitPolls(t, 2)
	if n := len(w.tg.SentTo(muter.chat.ID)); n != muterBefore {
		t.Errorf("the muter got %d messages after the story, want 0", n-muterBefore)
	}

	// The mute button of the story mutes its tag, with an undo.
	toast, edited := other.press(t, story, buttonWith(t, story, "sm:").Data)
	mustContain(t, "mute toast", toast, c.tag.Name)
	undo := buttonWith(t, edited, "su:")
	mustContain(t, "undo button", undo.Text, c.tag.Name)
	otherBefore = len(w.tg.SentTo(other.chat.ID))
	w.site.Publish(article(id+10, c.lang, c.other+"!", c.tag))
	w.waitPolls(t, 2)
	if n := len(w.tg.SentTo(other.chat.ID)); n != otherBefore {
		t.Errorf("after muting the tag the reader got %d messages, want 0", n-otherBefore)
	}
	_, edited = other.press(t, edited, undo.Data)
	buttonWith(t, edited, "sm:")
	otherBefore = len(w.tg.SentTo(other.chat.ID))
	w.site.Publish(article(id+20, c.lang, c.other+"?", c.tag))
	mustContain(t, "story after the undo", other.next(t, otherBefore).Text, c.other+"?")

	// Quiet hours and the time zone, as the reader sets them.
	sleeper := w.reader(int64(2003+10*i), string(c.lang))
	sleeper.say(t, "/language "+string(c.lang))
	mustContain(t, "/timezone reply", sleeper.say(t, "/timezone Europe/Berlin").Text, "Europe/Berlin")
	mustContain(t, "/quiet reply", sleeper.say(t, "/quiet 23:30-07 strict").Text, "23:30", "07:00", "Europe/Berlin")
	mustContain(t, "/quiet without argument", sleeper.say(t, "/quiet").Text, "23:30", "07:00")
	if got, before := sleeper.say(t, "/quiet off").Text, sleeper.say(t, "/quiet").Text; got == before {
		t.Errorf("/quiet off answered %q, like /quiet", got)
	}
}

package bot

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/i18n"
	"newsbot/internal/news"
)

// publicForms are the declared ways of calling the readers' commands, as
// the README writes them ("/subscribe <tag>").
func publicForms() []string {
	var forms []string
	for _, c := range commands {
		if c.admin {
			continue
		}
		for _, u := range c.usages {
			forms = append(forms, strings.TrimSpace("/"+c.name+" "+u.args))
		}
	}
	slices.Sort(forms)
	return forms
}

// The README's table of what readers can do lists exactly the declared
// commands, with their arguments.
func TestREADMEListsTheCommands(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## What readers can do\n")
	if !ok {
		t.Fatal(`README.md has no "## What readers can do" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	code := regexp.MustCompile("`([^`]+)`")
	var forms []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `/") {
			continue
		}
		first, _, _ := strings.Cut(strings.ReplaceAll(line[1:], `\|`, "\x00"), "|")
		for _, m := range code.FindAllStringSubmatch(first, -1) {
			forms = append(forms, strings.ReplaceAll(m[1], "\x00", "|"))
		}
	}
	slices.Sort(forms)
	if diff := cmp.Diff(publicForms(), forms); diff != "" {
		t.Errorf("README table vs the declared commands (-declared +README):\n%s", diff)
	}
}

// Names are what setMyCommands accepts, unique, and every catalog key the
// list names exists in every language; a help line starts with the
// (localized) synopsis exactly when the usage has arguments.
func TestCommandDeclarations(t *testing.T) {
	cat := i18n.MustLoad()
	valid := regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	for _, c := range commands {
		for _, n := range append([]string{c.name}, c.aliases...) {
			if !valid.MatchString(n) {
				t.Errorf("command name %q is not valid for Telegram", n)
			}
			if commandsByName[n] == nil || commandsByName[n].name != c.name {
				t.Errorf("the parser does not find /%s", n)
			}
		}
		if c.run == nil || len(c.usages) == 0 {
			t.Errorf("/%s has no handler or no usage", c.name)
		}
		if c.admin && (c.menu || c.changes) {
			t.Errorf("/%s is admin-only but in the menu or a group-setting command", c.name)
		}
		for _, l := range news.Langs {
			if c.menu && !cat.Has(l, "command."+c.name) {
				t.Errorf("%s lacks command.%s (the menu line of /%s)", l, c.name, c.name)
			}
			for _, u := range c.usages {
				if u.help == "" {
					continue
				}
				if !cat.Has(l, u.help) {
					t.Errorf("%s lacks %s (the help line of /%s %s)", l, u.help, c.name, u.args)
					continue
				}
				line := cat.T(l, u.help)
				if startsDash := strings.HasPrefix(line, "— "); startsDash != (u.args == "") || !strings.Contains(line, "— ") {
					t.Errorf("%s %s = %q: want \"— what it does\" after the synopsis %q", l, u.help, line, u.args)
				}
			}
		}
	}
	for _, k := range []string{"help.header", "help.footer", "help.admin_header"} {
		for _, l := range news.Langs {
			if !cat.Has(l, k) {
				t.Errorf("%s lacks %s", l, k)
			}
		}
	}
}

func TestMenuCommands(t *testing.T) {
	cat := i18n.MustLoad()
	var want []string
	for _, c := range commands {
		if c.menu && !c.admin {
			want = append(want, c.name)
		}
	}
	for _, l := range news.Langs {
		menu := MenuCommands(cat, l)
		var got []string
		for _, m := range menu {
			got = append(got, m.Command)
			if n := utf8.RuneCountInString(m.Description); n == 0 || n > 256 {
				t.Errorf("%s /%s: description of %d characters, want 1–256", l, m.Command, n)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s menu (-want +got):\n%s", l, diff)
		}
		if slices.Contains(got, "stats") || slices.Contains(got, "broadcast") {
			t.Errorf("%s menu shows admin commands: %v", l, got)
		}
	}
	if got := MenuCommands(cat, news.Ukrainian)[0]; got.Command != "start" || got.Description != "Почати й обрати мову" {
		t.Errorf("first Ukrainian menu entry = %+v", got)
	}
}

func TestHelpText(t *testing.T) {
	cat := i18n.MustLoad()
	for _, l := range news.Langs {
		reader, admin := helpText(cat, l, false), helpText(cat, l, true)
		if !strings.HasPrefix(admin, reader) || strings.Contains(reader, "/stats") || !strings.Contains(admin, "/broadcast ") {
			t.Errorf("%s: the admin help should extend the reader's with /stats and /broadcast:\n%s", l, admin)
		}
		for _, c := range commands {
			for _, u := range c.usages {
				if u.help != "" && !strings.Contains(admin, "\n/"+c.name+" "+cat.T(l, u.help)+"\n") &&
					!strings.HasSuffix(admin, "\n/"+c.name+" "+cat.T(l, u.help)) {
					t.Errorf("%s help lacks the line of /%s %s", l, c.name, u.args)
				}
			}
		}
	}
	want := "<b>What I can do</b>\n/subscribe <i>tag</i> — follow a topic (tags of the site, e.g. /subscribe Russia)\n" +
		"/subscribe — the most popular tags to tap\n/unsubscribe <i>tag</i> — stop following\n/mysubs — your subscriptions and settings\n" +
		"/mute <i>word or tag</i> — stop getting stories with that word or tag\n" +
		"/mute — your mutes, with remove buttons, and whether breaking alerts ignore them\n" +
		"/unmute <i>word or tag</i> — get those stories again\n" +
		"/quiet <i>23-07</i> [strict] — quiet hours: news waits and comes as one digest at their end; breaking alerts still ring unless strict; /quiet off ends them\n" +
		"/digest <i>08:00</i> — one daily digest instead of live news; /digest off returns to live news\n" +
		"/timezone <i>Europe/Berlin</i> or <i>+1</i> — the time zone of your quiet hours\n" +
		"/breaking on|off — alerts for the most important news\n/latest [N] [tag] — the latest news\n/search <i>words</i> — find stories of the last 30 days\n/language — language of news and replies\n" +
		"/channel <i>@name</i> — post news to a channel you administer; the settings commands then change the channel, until /channel off\n" +
		"/channel — your channels, to switch between them\n" +
		"/stop — forget this chat\n\nNews comes from Ukrainska Pravda (pravda.com.ua); every message links to the original."
	if diff := cmp.Diff(want, helpText(cat, news.English, false)); diff != "" {
		t.Errorf("English help (-want +got):\n%s", diff)
	}
}

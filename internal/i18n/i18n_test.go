package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"newsbot/internal/news"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// Every key exists in every language, with the same placeholders.
func TestCatalogsComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base := func(k string) string { // plural keys differ per language: compare their stems
		for _, f := range []string{".one", ".few", ".many", ".other"} {
			if strings.HasSuffix(k, f) {
				return strings.TrimSuffix(k, f)
			}
		}
		return k
	}
	stems := map[news.Lang]map[string]bool{}
	for _, l := range news.Langs {
		stems[l] = map[string]bool{}
		keys := c.Keys(l)
		if len(keys) < 50 {
			t.Errorf("%s: only %d keys", l, len(keys))
		}
		for _, k := range keys {
			stems[l][base(k)] = true
		}
	}
	for _, l := range news.Langs {
		for _, other := range news.Langs {
			for k := range stems[other] {
				if !stems[l][k] {
					t.Errorf("%s lacks %q (present in %s)", l, k, other)
				}
			}
		}
		for _, k := range c.Keys(l) {
			if base(k) != k {
				continue
			}
			want := placeholder.FindAllString(c.T(news.English, k), -1)
			got := placeholder.FindAllString(c.T(l, k), -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s %q placeholders %v, English has %v", l, k, got, want)
			}
		}
	}
}

// Plural keys carry every form their language needs.
func TestPluralFormsPresent(t *testing.T) {
	c := MustLoad()
	forms := map[news.Lang][]string{
		news.Ukrainian: {"one", "few", "many"},
		news.Russian:   {"one", "few", "many"},
		news.English:   {"one", "other"},
	}
	for _, l := range news.Langs {
		for _, k := range []string{"digest.header"} {
			for _, f := range forms[l] {
				if !c.Has(l, k+"."+f) {
					t.Errorf("%s lacks %s.%s", l, k, f)
				}
			}
		}
	}
}

// Catalog text goes out in HTML parse mode: only the tags Telegram allows,
// and no bare & or <.
func TestCatalogsAreTelegramHTML(t *testing.T) {
	c := MustLoad()
	tag := regexp.MustCompile(`</?([a-z]+)>`)
	for _, l := range news.Langs {
		for _, k := range c.Keys(l) {
			s := c.T(l, k)
			for _, m := range tag.FindAllStringSubmatch(s, -1) {
				if !slices.Contains([]string{"b", "i"}, m[1]) {
					t.Errorf("%s %q uses <%s>", l, k, m[1])
				}
			}
			rest := tag.ReplaceAllString(s, "")
			if strings.ContainsAny(rest, "<>&") {
				t.Errorf("%s %q has an unescaped <, > or &: %q", l, k, s)
			}
		}
	}
}

func TestPluralForm(t *testing.T) {
	tests := []struct {
		lang news.Lang
		n    int
		want string
	}{
		{news.Ukrainian, 1, "one"}, {news.Ukrainian, 2, "few"}, {news.Ukrainian, 4, "few"},
		{news.Ukrainian, 5, "many"}, {news.Ukrainian, 11, "many"}, {news.Ukrainian, 12, "many"},
		{news.Ukrainian, 21, "one"}, {news.Ukrainian, 22, "few"}, {news.Ukrainian, 111, "many"},
		{news.Russian, 0, "many"}, {news.Russian, 101, "one"}, {news.Russian, 14, "many"},
		{news.English, 1, "one"}, {news.English, 0, "other"}, {news.English, 21, "other"},
	}
	for _, tt := range tests {
		if got := PluralForm(tt.lang, tt.n); got != tt.want {
			t.Errorf("PluralForm(%s, %d) = %s, want %s", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestTAndN(t *testing.T) {
	c := MustLoad()
	if got := c.T(news.English, "subscribe.done", "tag", "Russia"); !strings.Contains(got, "“Russia”") {
		t.Errorf("T filled = %q", got)
	}
	if got := c.N(news.Ukrainian, "digest.header", 3); got != "<b>3 нові матеріали</b>" {
		t.Errorf("N(uk, 3) = %q", got)
	}
	if got := c.N(news.Russian, "digest.header", 25); got != "<b>25 новых материалов</b>" {
		t.Errorf("N(ru, 25) = %q", got)
	}
	if got := c.T(news.Russian, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
}

// Package i18n holds the bot's message catalogs in Ukrainian, Russian and
// English, embedded in the binary, with {name} placeholders and the plural
// rules of each language.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"newsbot/internal/news"
)

//go:embed catalog/*.json
var files embed.FS

// Catalog maps a language to its messages. A missing key falls back to
// English, then to the key itself, so a reply is never empty.
type Catalog struct {
	msgs map[news.Lang]map[string]string
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[news.Lang]map[string]string{}}
	for _, l := range news.Langs {
		b, err := files.ReadFile("catalog/" + string(l) + ".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: unable to read catalog %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: catalog %s is not valid JSON: %w", l, err)
		}
		c.msgs[l] = m
	}
	return c, nil
}

// MustLoad is Load for program start-up: the catalogs are compiled in, so
// a failure is a build defect.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Keys returns the keys of one language's catalog.
func (c *Catalog) Keys(l news.Lang) []string {
	var out []string
	for k := range c.msgs[l] {
		out = append(out, k)
	}
	return out
}

// Has reports whether the language's catalog defines key.
func (c *Catalog) Has(l news.Lang, key string) bool {
	_, ok := c.msgs[l][key]
	return ok
}

// T returns the message key in language l with {name} placeholders filled
// from pairs (name, value, name, value, ...).
func (c *Catalog) T(l news.Lang, key string, pairs ...string) string {
	s, ok := c.msgs[l][key]
	if !ok {
		s, ok = c.msgs[news.English][key]
	}
	if !ok {
		s = key
	}
	if len(pairs) == 0 {
		return s
	}
	r := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		r = append(r, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(r...).Replace(s)
}

// N returns the plural form of key for n ("key.one", "key.few", "key.many"
// or "key.other", as the language has them) with {n} filled in.
func (c *Catalog) N(l news.Lang, key string, n int, pairs ...string) string {
	form := key + "." + PluralForm(l, n)
	if !c.Has(l, form) {
		form = key + ".other"
	}
	return c.T(l, form, append([]string{"n", strconv.Itoa(n)}, pairs...)...)
}

// PluralForm returns the CLDR plural category of n in language l: "one",
// "few" or "many" for Ukrainian and Russian, "one" or "other" for English.
func PluralForm(l news.Lang, n int) string {
	if n < 0 {
		n = -n
	}
	switch l {
	case news.Ukrainian, news.Russian:
		switch {
		case n%10 == 1 && n%100 != 11:
			return "one"
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return "few"
		default:
			return "many"
		}
	default:
		if n == 1 {
			return "one"
		}
		return "other"
	}
}

// LangName is the name of a language in that language, for buttons.
func LangName(l news.Lang) string {
	switch l {
	case news.Ukrainian:
		return "Українська"
	case news.Russian:
		return "Русский"
	default:
		return "English"
	}
}

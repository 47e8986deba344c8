package upravda

import (
	"encoding/json"
	"html"
	"strconv"
	"strings"
)

// ldArticle is what the page's JSON-LD says about the article.
type ldArticle struct {
	Headline      string
	Description   string
	ArticleBody   string
	DatePublished string
	InLanguage    string
	URL           string // mainEntityOfPage or url
	Persons       []string
	Keywords      []string
	ImageURL      string
	ImageCaption  string
}

// maxLDDepth bounds the walk through nested JSON-LD values.
const maxLDDepth = 8

// parseJSONLD returns the first Article-like object among the page's JSON-LD
// blocks. Blocks that are not valid JSON are skipped; raw control
// characters, which the site leaves inside strings now and then, are read
// as spaces.
func parseJSONLD(blocks []string) (ldArticle, bool) {
	for _, b := range blocks {
		var v any
		if err := json.Unmarshal([]byte(sanitizeJSON(b)), &v); err != nil {
			continue
		}
		if obj, ok := findArticle(v, 0); ok {
			return readArticle(obj), true
		}
	}
	return ldArticle{}, false
}

// sanitizeJSON replaces control characters with spaces: outside strings
// they are white space anyway, inside strings they are invalid JSON.
func sanitizeJSON(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, s))
}

// findArticle looks for an object whose @type is an article type in v, in
// arrays and @graph lists.
func findArticle(v any, depth int) (map[string]any, bool) {
	if depth > maxLDDepth {
		return nil, false
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if o, ok := findArticle(e, depth+1); ok {
				return o, true
			}
		}
	case map[string]any:
		if isArticleType(x["@type"]) {
			return x, true
		}
		if g, ok := x["@graph"]; ok {
			return findArticle(g, depth+1)
		}
	}
	return nil, false
}

func isArticleType(t any) bool {
	switch x := t.(type) {
	case string:
		return strings.HasSuffix(x, "Article") || x == "BlogPosting" || x == "LiveBlogPosting" || x == "Report"
	case []any:
		for _, e := range x {
			if isArticleType(e) {
				return true
			}
		}
	}
	return false
}

func readArticle(o map[string]any) ldArticle {
	a := ldArticle{
		Headline:      ldText(o["headline"]),
		Description:   ldText(o["description"]),
		ArticleBody:   ldString(o["articleBody"]),
		DatePublished: ldString(o["datePublished"]),
		InLanguage:    ldString(o["inLanguage"]),
	}
	if a.Headline == "" {
		a.Headline = ldText(o["name"])
	}
	switch m := o["mainEntityOfPage"].(type) {
	case string:
		a.URL = m
	case map[string]any:
		a.URL = ldString(m["@id"])
		if a.URL == "" {
			a.URL = ldString(m["url"])
		}
	}
	if a.URL == "" {
		a.URL = ldString(o["url"])
	}
	a.Persons = ldPersons(o["author"], 0)
	a.Keywords = ldKeywords(o["keywords"])
	a.ImageURL, a.ImageCaption = ldImage(o["image"], 0)
	return a
}

// ldString returns a string or number value as a trimmed string.
func ldString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// ldText returns a text value with entities decoded and white space
// collapsed.
func ldText(v any) string {
	return collapse(html.UnescapeString(ldString(v)))
}

// ldPersons returns the names of the Person authors (Organizations, such as
// the site itself, are not bylines).
func ldPersons(v any, depth int) []string {
	if depth > maxLDDepth {
		return nil
	}
	switch x := v.(type) {
	case string:
		if n := collapse(x); n != "" {
			return []string{n}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, ldPersons(e, depth+1)...)
		}
		return out
	case map[string]any:
		if t := ldString(x["@type"]); t != "" && t != "Person" {
			return nil
		}
		if n := ldText(x["name"]); n != "" {
			return []string{n}
		}
	}
	return nil
}

func ldKeywords(v any) []string {
	var raw []string
	switch x := v.(type) {
	case string:
		raw = strings.Split(x, ",")
	case []any:
		for _, e := range x {
			raw = append(raw, ldString(e))
		}
	}
	var out []string
	for _, k := range raw {
		if k = collapse(html.UnescapeString(k)); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// ldImage returns the URL and caption of the first image.
func ldImage(v any, depth int) (string, string) {
	if depth > maxLDDepth {
		return "", ""
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), ""
	case []any:
		for _, e := range x {
			if u, c := ldImage(e, depth+1); u != "" {
				return u, c
			}
		}
	case map[string]any:
		u := ldString(x["url"])
		if u == "" {
			u = ldString(x["contentUrl"])
		}
		return u, ldText(x["caption"])
	}
	return "", ""
}

package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"io"
	"strconv"
	"strings"

	"newsbot/internal/text"
)

// ldArticle is what the page's JSON-LD says about the article.
type ldArticle struct {
	Headline      string
	Description   string
	DatePublished string
	InLanguage    string
	URL           string // mainEntityOfPage or url
	Persons       []string
	Keywords      []string
	ImageURL      string
	ImageCaption  string
	// articleBody is left undecoded until ArticleBody is called: most
	// pages have their text in the markup.
	articleBody json.RawMessage
}

// ArticleBody returns the articleBody text ("" when absent).
func (a ldArticle) ArticleBody() string {
	return ldString(decodeLD(a.articleBody))
}

// maxLDDepth bounds the walk through nested JSON-LD values.
const maxLDDepth = 8

// parseJSONLD returns the first Article-like object among the page's JSON-LD
// blocks. Blocks that are not valid JSON are skipped; raw control
// characters, which the site leaves inside strings now and then, are read
// as spaces. Values are decoded only for the fields used.
func parseJSONLD(blocks []string) (ldArticle, bool) {
	for _, b := range blocks {
		raw := []byte(strings.TrimSpace(b))
		obj, ok, err := findArticle(raw, 0)
		if err != nil {
			obj, ok, _ = findArticle([]byte(sanitizeJSON(b)), 0)
		}
		if ok {
			return readArticle(obj), true
		}
	}
	return ldArticle{}, false
}

// sanitizeJSON replaces control characters with spaces: outside strings
// they are white space anyway, inside strings they are invalid JSON.
func sanitizeJSON(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, s))
}

// ldNode is one JSON-LD object, decoded in one pass: the fields used as
// json.Unmarshal decodes them into an any, except that numbers are kept as
// json.Number (see ldValue); @graph and articleBody are left undecoded.
// Keys are matched as encoding/json matches them to struct tags (exact,
// then without regard to case; the last repeat wins).
type ldNode struct {
	Type             any             `json:"@type"`
	Graph            json.RawMessage `json:"@graph"`
	Headline         any             `json:"headline"`
	Name             any             `json:"name"`
	Description      any             `json:"description"`
	ArticleBody      json.RawMessage `json:"articleBody"`
	DatePublished    any             `json:"datePublished"`
	InLanguage       any             `json:"inLanguage"`
	MainEntityOfPage any             `json:"mainEntityOfPage"`
	URL              any             `json:"url"`
	Author           any             `json:"author"`
	Keywords         any             `json:"keywords"`
	Image            any             `json:"image"`
}

// findArticle looks for an object whose @type is an article type in raw,
// in arrays and @graph lists. It returns an error when raw is an array or
// an object but not valid JSON.
func findArticle(raw []byte, depth int) (*ldNode, bool, error) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if depth > maxLDDepth || len(raw) == 0 {
		return nil, false, nil
	}
	switch raw[0] {
	case '[':
		var arr []json.RawMessage
		if err := decodeJSON(raw, &arr); err != nil {
			return nil, false, err
		}
		for _, e := range arr {
			if o, ok, _ := findArticle(e, depth+1); ok {
				return o, true, nil
			}
		}
	case '{':
		var n ldNode
		if err := decodeJSON(raw, &n); err != nil {
			return nil, false, err
		}
		if isArticleType(ldValue(n.Type)) {
			return &n, true, nil
		}
		if len(n.Graph) > 0 {
			return findArticle(n.Graph, depth+1)
		}
	}
	return nil, false, nil
}

// decodeJSON decodes the one JSON value in raw into v as json.Unmarshal
// does, except that numbers in an any are kept as json.Number: a number
// too large for a float64 does not fail the whole block (ldValue drops
// the field that holds it, as json.Unmarshal into an any of its own would
// have failed).
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailingData
	}
	return nil
}

// errTrailingData reports a JSON-LD block with more after its value.
var errTrailingData = errors.New("extract: invalid JSON-LD: data after the value")

// decodeLD decodes one JSON value (nil when absent or when it does not
// decode into an any, such as a number too large for a float64).
func decodeLD(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return v
}

// ldValue returns a field's value as decodeLD would have decoded it on
// its own: nil when a number in it does not fit a float64.
func ldValue(v any) any {
	if !numbersFit(v) {
		return nil
	}
	return v
}

// numbersFit reports whether every json.Number in v parses as a float64.
func numbersFit(v any) bool {
	switch x := v.(type) {
	case json.Number:
		_, err := strconv.ParseFloat(string(x), 64)
		return err == nil
	case []any:
		for _, e := range x {
			if !numbersFit(e) {
				return false
			}
		}
	case map[string]any:
		for _, e := range x {
			if !numbersFit(e) {
				return false
			}
		}
	}
	return true
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

func readArticle(o *ldNode) ldArticle {
	a := ldArticle{
		Headline:      ldText(ldValue(o.Headline)),
		Description:   ldText(ldValue(o.Description)),
		DatePublished: ldString(ldValue(o.DatePublished)),
		InLanguage:    ldString(ldValue(o.InLanguage)),
		articleBody:   o.ArticleBody,
	}
	if a.Headline == "" {
		a.Headline = ldText(ldValue(o.Name))
	}
	switch m := ldValue(o.MainEntityOfPage).(type) {
	case string:
		a.URL = m
	case map[string]any:
		a.URL = ldString(m["@id"])
		if a.URL == "" {
			a.URL = ldString(m["url"])
		}
	}
	if a.URL == "" {
		a.URL = ldString(ldValue(o.URL))
	}
	a.Persons = ldPersons(ldValue(o.Author), 0)
	a.Keywords = ldKeywords(ldValue(o.Keywords))
	a.ImageURL, a.ImageCaption = ldImage(ldValue(o.Image), 0)
	return a
}

// ldString returns a string or number value as a trimmed string.
func ldString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64) // it fits: see ldValue
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// ldText returns a text value with entities decoded and white space
// collapsed.
func ldText(v any) string {
	return text.Collapse(html.UnescapeString(ldString(v)))
}

// ldPersons returns the names of the Person authors (Organizations, such as
// the site itself, are not bylines).
func ldPersons(v any, depth int) []string {
	if depth > maxLDDepth {
		return nil
	}
	switch x := v.(type) {
	case string:
		if n := text.Collapse(x); n != "" {
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
		if k = text.Collapse(html.UnescapeString(k)); k != "" {
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

package upravda

import (
	"bytes"
	"errors"
	"html"
	"strconv"
	"strings"
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
	articleBody []byte
}

// ArticleBody returns the articleBody text ("" when absent).
func (a ldArticle) ArticleBody() string {
	return ldString(ldValue(a.articleBody))
}

// maxLDDepth bounds the walk through nested JSON-LD values.
const maxLDDepth = 8

// errInvalidJSON reports a JSON-LD block that is not valid JSON.
var errInvalidJSON = errors.New("invalid JSON")

// parseJSONLD returns the first Article-like object among the page's JSON-LD
// blocks. Blocks that are not valid JSON are skipped; raw control
// characters, which the site leaves inside strings now and then, are read
// as spaces. Values are decoded only for the fields used.
//
// Each block is validated once (jsonValid) and then read in place, without
// decoding what is not used: the result is what json.Unmarshal into a
// struct of json.RawMessage fields, then into an any per field used, gave,
// at a fraction of the cost (field names are matched as encoding/json
// matches them to struct tags; values are read as json.Unmarshal reads
// them into an any, see ldValue).
func parseJSONLD(blocks []string) (ldArticle, bool) {
	for _, b := range blocks {
		raw := []byte(strings.TrimSpace(b))
		obj, ok, err := findArticle(raw)
		if err != nil {
			obj, ok, _ = findArticle([]byte(sanitizeJSON(b)))
		}
		if ok {
			return readArticle(&obj), true
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

// ldNode is one JSON-LD object with its fields left undecoded: each is the
// raw bytes of a valid JSON value (nil when absent).
type ldNode struct {
	Type             []byte // @type
	Graph            []byte // @graph
	Headline         []byte
	Name             []byte
	Description      []byte
	ArticleBody      []byte
	DatePublished    []byte
	InLanguage       []byte
	MainEntityOfPage []byte
	URL              []byte
	Author           []byte
	Keywords         []byte
	Image            []byte
}

// field returns the field of n that the object key raw (quotes included)
// names, or nil. As with encoding/json and struct tags, an exact match is
// tried first, then one without regard to case.
func (n *ldNode) field(raw []byte) *[]byte {
	switch string(raw[1 : len(raw)-1]) {
	case "@type":
		return &n.Type
	case "@graph":
		return &n.Graph
	case "headline":
		return &n.Headline
	case "name":
		return &n.Name
	case "description":
		return &n.Description
	case "articleBody":
		return &n.ArticleBody
	case "datePublished":
		return &n.DatePublished
	case "inLanguage":
		return &n.InLanguage
	case "mainEntityOfPage":
		return &n.MainEntityOfPage
	case "url":
		return &n.URL
	case "author":
		return &n.Author
	case "keywords":
		return &n.Keywords
	case "image":
		return &n.Image
	}
	key := jsonString(raw)
	for _, f := range [...]struct {
		name string
		p    *[]byte
	}{
		{"@type", &n.Type}, {"@graph", &n.Graph}, {"headline", &n.Headline}, {"name", &n.Name},
		{"description", &n.Description}, {"articleBody", &n.ArticleBody}, {"datePublished", &n.DatePublished},
		{"inLanguage", &n.InLanguage}, {"mainEntityOfPage", &n.MainEntityOfPage}, {"url", &n.URL},
		{"author", &n.Author}, {"keywords", &n.Keywords}, {"image", &n.Image},
	} {
		if strings.EqualFold(key, f.name) {
			return f.p
		}
	}
	return nil
}

// findArticle looks for an object whose @type is an article type in raw,
// in arrays and @graph lists. It returns an error when raw is an array or
// an object but not valid JSON.
func findArticle(raw []byte) (ldNode, bool, error) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || (raw[0] != '[' && raw[0] != '{') {
		return ldNode{}, false, nil
	}
	end, valid := jsonValid(raw)
	if !valid {
		return ldNode{}, false, errInvalidJSON
	}
	n, ok := findArticleIn(raw[:end], 0)
	return n, ok, nil
}

// findArticleIn is findArticle on v, one valid JSON value.
func findArticleIn(v []byte, depth int) (ldNode, bool) {
	if depth > maxLDDepth {
		return ldNode{}, false
	}
	switch v[0] {
	case '[':
		for it := jsonElements(v); ; {
			e, more := it.element()
			if !more {
				break
			}
			if o, ok := findArticleIn(e, depth+1); ok {
				return o, true
			}
		}
	case '{':
		var n ldNode
		for it := jsonMembers(v); ; {
			k, val, more := it.member()
			if !more {
				break
			}
			if f := n.field(k); f != nil {
				*f = val // the last of repeated keys wins, as with json.Unmarshal
			}
		}
		if isArticleType(ldValue(n.Type)) {
			return n, true
		}
		if len(n.Graph) > 0 {
			return findArticleIn(n.Graph, depth+1)
		}
	}
	return ldNode{}, false
}

// ldValue returns raw, one field's value, as the functions below read it: nil
// when absent or when it holds a number that does not fit a float64 (a
// value json.Unmarshal refuses to decode into an any). raw must be valid
// JSON. Object members are looked up as in a map[string]any: exact name,
// the last of repeated keys.
func ldValue(raw []byte) []byte {
	if len(raw) == 0 || !jsonNumbersFit(raw) {
		return nil
	}
	return raw
}

// isArticleType reports whether an @type value (a string or a list) names
// an article.
func isArticleType(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	switch v[0] {
	case '"':
		// Without escapes the raw bytes are the decoded string, except for
		// invalid UTF-8, which the ASCII names cannot match either way.
		x := v[1 : len(v)-1]
		if bytes.IndexByte(x, '\\') >= 0 {
			x = []byte(jsonString(v))
		}
		return bytes.HasSuffix(x, []byte("Article")) || string(x) == "BlogPosting" || string(x) == "LiveBlogPosting" ||
			string(x) == "Report"
	case '[':
		for it := jsonElements(v); ; {
			e, more := it.element()
			if !more {
				return false
			}
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
	if m := ldValue(o.MainEntityOfPage); len(m) > 0 {
		switch m[0] {
		case '"':
			a.URL = jsonString(m)
		case '{':
			a.URL = ldString(jsonField(m, "@id"))
			if a.URL == "" {
				a.URL = ldString(jsonField(m, "url"))
			}
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
func ldString(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	switch c := v[0]; {
	case c == '"':
		return strings.TrimSpace(jsonString(v))
	case c == '-' || '0' <= c && c <= '9':
		f, _ := strconv.ParseFloat(string(v), 64) // it fits: see ldValue
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// ldText returns a text value with entities decoded and white space
// collapsed.
func ldText(v []byte) string {
	return collapse(html.UnescapeString(ldString(v)))
}

// ldPersons returns the names of the Person authors (Organizations, such as
// the site itself, are not bylines).
func ldPersons(v []byte, depth int) []string {
	if depth > maxLDDepth || len(v) == 0 {
		return nil
	}
	switch v[0] {
	case '"':
		if n := collapse(jsonString(v)); n != "" {
			return []string{n}
		}
	case '[':
		var out []string
		for it := jsonElements(v); ; {
			e, more := it.element()
			if !more {
				break
			}
			out = append(out, ldPersons(e, depth+1)...)
		}
		return out
	case '{':
		if t := ldString(jsonField(v, "@type")); t != "" && t != "Person" {
			return nil
		}
		if n := ldText(jsonField(v, "name")); n != "" {
			return []string{n}
		}
	}
	return nil
}

func ldKeywords(v []byte) []string {
	var raw []string
	if len(v) > 0 {
		switch v[0] {
		case '"':
			raw = strings.Split(jsonString(v), ",")
		case '[':
			for it := jsonElements(v); ; {
				e, more := it.element()
				if !more {
					break
				}
				raw = append(raw, ldString(e))
			}
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
func ldImage(v []byte, depth int) (string, string) {
	if depth > maxLDDepth || len(v) == 0 {
		return "", ""
	}
	switch v[0] {
	case '"':
		return strings.TrimSpace(jsonString(v)), ""
	case '[':
		for it := jsonElements(v); ; {
			e, more := it.element()
			if !more {
				break
			}
			if u, c := ldImage(e, depth+1); u != "" {
				return u, c
			}
		}
	case '{':
		u := ldString(jsonField(v, "url"))
		if u == "" {
			u = ldString(jsonField(v, "contentUrl"))
		}
		return u, ldText(jsonField(v, "caption"))
	}
	return "", ""
}

package discover

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"newsbot/internal/text"
)

// feedEntry is one item of a feed.
type feedEntry struct {
	Link        string
	Title       string
	Description string
	Published   time.Time
	ImageURL    string
}

// feedResult is what a feed yielded.
type feedResult struct {
	Entries []feedEntry
	// TTL is the feed's ttl (0 when absent).
	TTL time.Duration
	// Truncated is set when the document ended early and the complete
	// items before the cut were kept.
	Truncated bool
}

// maxTTL bounds what a feed may ask for; anything longer is read as this.
const maxFeedTTL = 24 * time.Hour

// parseFeed reads an RSS (or Atom) feed in whatever charset its XML
// declaration or, failing that, its Content-Type names. A feed cut short is
// read up to its last complete item.
func parseFeed(body []byte, contentType string) (feedResult, error) {
	body = toUTF8IfUndeclared(body, contentType)
	res, err := parseFeedBytes(body)
	if err == nil {
		return res, nil
	}
	fixed, ok := repairTruncated(body)
	if !ok {
		return feedResult{}, err
	}
	res, err2 := parseFeedBytes(fixed)
	if err2 != nil || len(res.Entries) == 0 {
		return feedResult{}, err
	}
	res.Truncated = true
	return res, nil
}

func parseFeedBytes(body []byte) (res feedResult, err error) {
	defer func() {
		// gofeed is third-party code fed with hostile input: a panic in it
		// must not take the poller down.
		if r := recover(); r != nil {
			err = fmt.Errorf("discover: the feed parser failed: %v", r)
		}
	}()
	fp := gofeed.NewParser()
	fp.KeepOriginalFeed = true
	f, err := fp.Parse(bytes.NewReader(body))
	if err != nil {
		return feedResult{}, fmt.Errorf("discover: unable to parse the feed: %w", err)
	}
	if orig, ok := f.OriginalFeed().(*rss.Feed); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(orig.TTL)); err == nil && n > 0 {
			res.TTL = min(time.Duration(n)*time.Minute, maxFeedTTL)
		}
	}
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		e := feedEntry{
			Link:        strings.TrimSpace(it.Link),
			Title:       text.Collapse(html.UnescapeString(it.Title)),
			Description: plainText(it.Description),
		}
		if e.Link == "" && it.GUID != "" {
			e.Link = strings.TrimSpace(it.GUID)
		}
		// gofeed converts times to UTC; the site's readers live in Kyiv.
		if it.PublishedParsed != nil {
			e.Published = it.PublishedParsed.In(kyiv)
		} else if it.UpdatedParsed != nil {
			e.Published = it.UpdatedParsed.In(kyiv)
		}
		if it.Image != nil {
			e.ImageURL = strings.TrimSpace(it.Image.URL)
		}
		for _, enc := range it.Enclosures {
			if e.ImageURL == "" && enc != nil && strings.HasPrefix(enc.Type, "image/") {
				e.ImageURL = strings.TrimSpace(enc.URL)
			}
		}
		res.Entries = append(res.Entries, e)
	}
	return res, nil
}

// plainText returns the text of an HTML fragment (feed descriptions may
// hold markup) with entities decoded and white space collapsed.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return text.Collapse(s)
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return text.Collapse(b.String())
		case xhtml.TextToken:
			b.Write(z.Text())
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			b.WriteByte(' ')
		}
	}
}

var xmlDeclEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=`)

// toUTF8IfUndeclared decodes a feed whose XML declaration names no
// encoding but whose Content-Type names a charset other than UTF-8.
func toUTF8IfUndeclared(body []byte, contentType string) []byte {
	if xmlDeclEncoding.Match(body[:min(len(body), 200)]) {
		return body
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body
	}
	cs := strings.ToLower(params["charset"])
	if cs == "" || cs == "utf-8" || cs == "utf8" {
		return body
	}
	r, err := charset.NewReaderLabel(cs, bytes.NewReader(body))
	if err != nil {
		return body
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return body
	}
	return out
}

// repairTruncated cuts a feed after its last complete item and closes the
// document. It reports false when no item is complete.
func repairTruncated(body []byte) ([]byte, bool) {
	for _, tag := range [][2]string{{"</item>", "</channel></rss>"}, {"</entry>", "</feed>"}} {
		i := bytes.LastIndex(body, []byte(tag[0]))
		if i < 0 {
			continue
		}
		out := make([]byte, 0, i+len(tag[0])+len(tag[1]))
		out = append(out, body[:i+len(tag[0])]...)
		out = append(out, tag[1]...)
		return out, true
	}
	return nil, false
}

package telegramtest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// entity is a Bot API MessageEntity.
type entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

// htmlError is a parse error worded like Telegram's ("Unsupported start
// tag …"), capitals included, since it ends up in a Bot API description.
type htmlError string

func (e htmlError) Error() string { return string(e) }

func htmlErrorf(format string, args ...any) error { return htmlError(fmt.Sprintf(format, args...)) }

// utf16Len is the length of s in UTF-16 code units, the unit of Telegram's
// limits and entity offsets.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// openTag is a start tag waiting for its end tag.
type openTag struct {
	name     string
	typ      string // entity type; "" for none
	start    int    // UTF-16 offset in the plain text
	url      string
	language string
}

// parseHTML parses text in Telegram's HTML parse mode and returns the plain
// text and its entities. It accepts Telegram's tags only (b strong i em u
// ins s strike del tg-spoiler span.tg-spoiler a code pre blockquote), the
// entities &lt; &gt; &amp; &quot; and numeric ones, and refuses a bare '&'
// or '<'. Errors read like Telegram's, after "can't parse entities: ".
func parseHTML(text string) (string, []entity, error) {
	var (
		plain strings.Builder
		units int
		stack []openTag
		ents  []entity
	)
	appendText := func(s string) {
		plain.WriteString(s)
		units += utf16Len(s)
	}
	for i := 0; i < len(text); {
		switch c := text[i]; c {
		case '&':
			decoded, n, err := decodeEntity(text[i:])
			if err != nil {
				return "", nil, htmlErrorf("%s at byte offset %d", err.Error(), i)
			}
			appendText(decoded)
			i += n
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				if i+1 < len(text) && text[i+1] == '/' {
					return "", nil, htmlErrorf("Unclosed end tag at byte offset %d", i)
				}
				return "", nil, htmlErrorf("Unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			if name, isEnd := strings.CutPrefix(tag, "/"); isEnd {
				name = strings.ToLower(strings.TrimSpace(name))
				if len(stack) == 0 {
					return "", nil, htmlErrorf("Unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				if name != top.name {
					return "", nil, htmlErrorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top.name, name)
				}
				stack = stack[:len(stack)-1]
				if top.typ != "" && units > top.start {
					ents = append(ents, entity{Type: top.typ, Offset: top.start, Length: units - top.start, URL: top.url, Language: top.language})
				}
			} else {
				t, err := parseStartTag(tag, i)
				if err != nil {
					return "", nil, err
				}
				t.start = units
				if t.name == "code" && t.language != "" && len(stack) > 0 && stack[len(stack)-1].name == "pre" {
					// <pre><code class="language-go">: the language belongs to pre.
					stack[len(stack)-1].language = t.language
					t.typ = ""
				}
				t.language = "" // only pre carries a language
				stack = append(stack, t)
			}
			i += end + 1
		default:
			_, size := utf8.DecodeRuneInString(text[i:])
			j := i + size
			for j < len(text) && text[j] != '&' && text[j] != '<' {
				j++
			}
			appendText(text[i:j])
			i = j
		}
	}
	if len(stack) > 0 {
		return "", nil, htmlErrorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	// Entities are listed by offset, outer ones first, as Telegram does.
	slices.SortStableFunc(ents, func(a, b entity) int {
		if a.Offset != b.Offset {
			return cmp.Compare(a.Offset, b.Offset)
		}
		return cmp.Compare(b.Length, a.Length)
	})
	return plain.String(), ents, nil
}

// parseStartTag parses the inside of "<…>" (without the brackets).
func parseStartTag(tag string, offset int) (openTag, error) {
	n := 0
	for n < len(tag) && (isASCIILetter(tag[n]) || (n > 0 && (tag[n] == '-' || (tag[n] >= '0' && tag[n] <= '9')))) {
		n++
	}
	name := strings.ToLower(tag[:n])
	attrs, err := parseAttributes(strings.TrimSuffix(tag[n:], "/"), name, offset)
	if err != nil {
		return openTag{}, err
	}
	t := openTag{name: name}
	switch name {
	case "b", "strong":
		t.typ = "bold"
	case "i", "em":
		t.typ = "italic"
	case "u", "ins":
		t.typ = "underline"
	case "s", "strike", "del":
		t.typ = "strikethrough"
	case "tg-spoiler":
		t.typ = "spoiler"
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return openTag{}, htmlErrorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", offset)
		}
		t.typ = "spoiler"
	case "a":
		if href := attrs["href"]; href != "" {
			t.typ = "text_link"
			t.url = href
		}
	case "code":
		t.typ = "code"
		t.language = strings.TrimPrefix(attrs["class"], "language-")
		if !strings.HasPrefix(attrs["class"], "language-") {
			t.language = ""
		}
	case "pre":
		t.typ = "pre"
	case "blockquote":
		t.typ = "blockquote"
		if _, expandable := attrs["expandable"]; expandable {
			t.typ = "expandable_blockquote"
		}
	default:
		return openTag{}, htmlErrorf("Unsupported start tag \"%s\" at byte offset %d", name, offset)
	}
	return t, nil
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// parseAttributes parses ` key="value" key='value' key=value key`.
func parseAttributes(s, tagName string, offset int) (map[string]string, error) {
	attrs := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return attrs, nil
		}
		n := 0
		for n < len(s) && s[n] != '=' && s[n] != ' ' && s[n] != '\t' && s[n] != '\r' && s[n] != '\n' {
			n++
		}
		key := strings.ToLower(s[:n])
		if key == "" {
			return nil, htmlErrorf("Empty attribute name in the tag \"%s\" at byte offset %d", tagName, offset)
		}
		s = strings.TrimLeft(s[n:], " \t\r\n")
		if !strings.HasPrefix(s, "=") {
			attrs[key] = ""
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\r\n")
		var raw string
		switch {
		case s == "":
			return nil, htmlErrorf("Expected value of an attribute of the tag \"%s\" at byte offset %d", tagName, offset)
		case s[0] == '"' || s[0] == '\'':
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return nil, htmlErrorf("Unclosed quote in the tag \"%s\" at byte offset %d", tagName, offset)
			}
			raw, s = s[1:1+end], s[2+end:]
		default:
			end := strings.IndexAny(s, " \t\r\n")
			if end < 0 {
				end = len(s)
			}
			raw, s = s[:end], s[end:]
		}
		val, err := decodeEntities(raw)
		if err != nil {
			return nil, htmlErrorf("%s in an attribute of the tag \"%s\" at byte offset %d", err.Error(), tagName, offset)
		}
		attrs[key] = val
	}
}

// decodeEntities decodes every entity of s.
func decodeEntities(s string) (string, error) {
	if !strings.Contains(s, "&") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b.WriteByte(s[i])
			i++
			continue
		}
		d, n, err := decodeEntity(s[i:])
		if err != nil {
			return "", err
		}
		b.WriteString(d)
		i += n
	}
	return b.String(), nil
}

// maxEntityLen bounds the search for the ';' of an entity.
const maxEntityLen = 12

// decodeEntity decodes the entity at the start of s ("&amp;…") and returns
// the text and the bytes consumed.
func decodeEntity(s string) (string, int, error) {
	semi := strings.IndexByte(s, ';')
	if semi < 0 || semi > maxEntityLen {
		return "", 0, htmlErrorf("Unescaped \"&\" (use &amp;)")
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return "<", semi + 1, nil
	case "gt":
		return ">", semi + 1, nil
	case "amp":
		return "&", semi + 1, nil
	case "quot":
		return `"`, semi + 1, nil
	}
	if num, isNum := strings.CutPrefix(name, "#"); isNum && num != "" {
		base := 10
		if hex, isHex := strings.CutPrefix(strings.ToLower(num), "x"); isHex {
			num, base = hex, 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err == nil && n > 0 && n <= utf8.MaxRune && !(n >= 0xD800 && n <= 0xDFFF) {
			return string(rune(n)), semi + 1, nil
		}
		return "", 0, htmlErrorf("Invalid numeric HTML entity \"&%s;\"", name)
	}
	return "", 0, htmlErrorf("Unsupported HTML entity \"&%s;\"", name)
}

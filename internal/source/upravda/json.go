package upravda

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A minimal JSON reader for JSON-LD blocks: jsonValid checks a block as
// json.Valid does, then the page's few fields are found and decoded in
// place, as encoding/json decodes them, without reflection and without
// validating each nested level again.

// maxJSONDepth is the deepest nesting of arrays and objects that
// encoding/json accepts.
const maxJSONDepth = 10000

// jsonValid reports whether b is one valid JSON value, with optional white
// space around it, as json.Valid does (without its per-byte state machine,
// which cost more than the rest of the JSON-LD reading), and returns the
// index just past the value.
func jsonValid(b []byte) (end int, ok bool) {
	end, ok = jsonValidValue(b, jsonSkipSpace(b, 0), 0)
	return end, ok && jsonSkipSpace(b, end) == len(b)
}

// jsonValidValue checks the value at b[i], inside depth arrays and objects,
// and returns the index just past it.
func jsonValidValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		if depth+1 > maxJSONDepth {
			return i, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = jsonSkipSpace(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, false
				}
				if i, ok = jsonValidString(b, i); !ok {
					return i, false
				}
				if i = jsonSkipSpace(b, i); i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = jsonSkipSpace(b, i+1)
			}
			if i, ok = jsonValidValue(b, i, depth+1); !ok {
				return i, false
			}
			if i = jsonSkipSpace(b, i); i >= len(b) {
				return i, false
			}
			switch b[i] {
			case ',':
				i = jsonSkipSpace(b, i+1)
			case end:
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '"':
		return jsonValidString(b, i)
	case c == '-' || '0' <= c && c <= '9':
		return jsonValidNumber(b, i)
	case c == 't':
		return jsonValidLiteral(b, i, "true")
	case c == 'f':
		return jsonValidLiteral(b, i, "false")
	case c == 'n':
		return jsonValidLiteral(b, i, "null")
	}
	return i, false
}

func jsonValidLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// jsonValidString checks the string at b[i]: no raw control characters,
// known escapes only (any other byte, invalid UTF-8 included, is accepted).
func jsonValidString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i++; i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if jsonHex4(b[i+1:]) < 0 {
					return i, false
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

// jsonValidNumber checks the number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonValidNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}

// The functions below read JSON that jsonValid has accepted: they do not
// check the syntax again, and decode as encoding/json does.

// jsonIter walks the members of an object or the elements of an array.
type jsonIter struct {
	b []byte
	i int
}

func jsonMembers(obj []byte) jsonIter { return jsonIter{b: obj, i: jsonSkipSpace(obj, 1)} }

func jsonElements(arr []byte) jsonIter { return jsonIter{b: arr, i: jsonSkipSpace(arr, 1)} }

// member returns the next key (quotes included) and value of an object;
// more is false at the end.
func (it *jsonIter) member() (key, val []byte, more bool) {
	if it.i >= len(it.b) || it.b[it.i] != '"' {
		return nil, nil, false
	}
	end := jsonValueEnd(it.b, it.i)
	key = it.b[it.i:end]
	it.i = jsonSkipSpace(it.b, end)
	it.i = jsonSkipSpace(it.b, it.i+1) // the colon
	return key, it.next(), true
}

// element returns the next element of an array; more is false at the end.
func (it *jsonIter) element() (val []byte, more bool) {
	if it.i >= len(it.b) || it.b[it.i] == ']' {
		return nil, false
	}
	return it.next(), true
}

// next returns the value at it.i and moves past it and its comma.
func (it *jsonIter) next() []byte {
	start := it.i
	end := jsonValueEnd(it.b, start)
	it.i = jsonSkipSpace(it.b, end)
	if it.i < len(it.b) && it.b[it.i] == ',' {
		it.i = jsonSkipSpace(it.b, it.i+1)
	}
	return it.b[start:end]
}

func jsonSkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// jsonValueEnd returns the index just past the value that starts at b[i].
func jsonValueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		// The closing quote is the first one after an even number of
		// backslashes.
		for j := i + 1; j < len(b); j++ {
			k := bytes.IndexByte(b[j:], '"')
			if k < 0 {
				break
			}
			j += k
			n := 0
			for m := j - 1; m > i && b[m] == '\\'; m-- {
				n++
			}
			if n%2 == 0 {
				return j + 1
			}
		}
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = jsonValueEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	default: // a number, true, false or null
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return i
			}
		}
	}
	return len(b)
}

// jsonString decodes the string literal q (quotes included) as
// encoding/json does: escapes resolved, invalid UTF-8 and lone surrogates
// replaced with U+FFFD.
func jsonString(q []byte) string {
	s := q[1 : len(q)-1]
	r := 0
	for r < len(s) {
		c := s[r]
		if c == '\\' || c == '"' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			r++
			continue
		}
		rr, size := utf8.DecodeRune(s[r:])
		if rr == utf8.RuneError && size == 1 {
			break
		}
		r += size
	}
	if r == len(s) {
		return string(s)
	}
	b := make([]byte, 0, len(s)+2*utf8.UTFMax)
	b = append(b, s[:r]...)
	for r < len(s) {
		switch c := s[r]; {
		case c == '\\' && r+1 < len(s):
			r++
			switch c := s[r]; c {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := jsonHex4(s[r+1:])
				r += 4
				if utf16.IsSurrogate(rr) {
					if r+2 < len(s) && s[r+1] == '\\' && s[r+2] == 'u' {
						if dec := utf16.DecodeRune(rr, jsonHex4(s[r+3:])); dec != unicode.ReplacementChar {
							b = utf8.AppendRune(b, dec)
							r += 6
							break
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			default: // " \ / '
				b = append(b, c)
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	return string(b)
}

// jsonHex4 reads the four hexadecimal digits of a \u escape (-1 when they
// are not there).
func jsonHex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// jsonField returns the value of the last member of the object obj whose
// key is name (nil when there is none), as a map[string]any would hold it.
func jsonField(obj []byte, name string) []byte {
	var val []byte
	for it := jsonMembers(obj); ; {
		k, v, more := it.member()
		if !more {
			return val
		}
		// Without escapes the key is its raw bytes (invalid UTF-8, which
		// decoding would replace, cannot equal name either way).
		if c := k[1 : len(k)-1]; bytes.IndexByte(c, '\\') < 0 {
			if string(c) == name {
				val = v
			}
		} else if jsonString(k) == name {
			val = v
		}
	}
}

// jsonNumbersFit reports whether every number in the value v fits a
// float64 (json.Unmarshal into an any fails on the value otherwise).
func jsonNumbersFit(v []byte) bool {
	for i := 0; i < len(v); {
		switch c := v[i]; {
		case c == '"':
			i = jsonValueEnd(v, i)
		case c == '-' || '0' <= c && c <= '9':
			end := jsonValueEnd(v, i)
			if _, err := strconv.ParseFloat(string(v[i:end]), 64); err != nil {
				return false
			}
			i = end
		default:
			i++
		}
	}
	return true
}

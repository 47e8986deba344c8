package telegram

import "unicode/utf16"

// MaxTextUnits is Telegram's limit on a message's text, in UTF-16 code
// units after entity parsing.
const MaxTextUnits = 4096

// Units returns the length of s in UTF-16 code units, as Telegram counts
// message lengths (never bytes).
func Units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

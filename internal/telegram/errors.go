package telegram

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind classifies a failed Bot API call by what the caller should do about
// it. Every error returned by this package is an *Error with a Kind, decided
// in one place (classify).
type Kind int

// The kinds of failure.
const (
	// Unknown is anything not classified below, including answers that
	// could not be decoded after a successful call.
	Unknown Kind = iota
	// Flood is 429 Too Many Requests; RetryAfter says how long every sender
	// of the token should wait.
	Flood
	// Migrated is a 400 carrying migrate_to_chat_id: the group became a
	// supergroup with the ID in MigrateTo.
	Migrated
	// BadMarkup is 400 "can't parse entities": the HTML was not valid for
	// Telegram.
	BadMarkup
	// TooLong is 400 "message is too long".
	TooLong
	// NotModified is 400 "message is not modified" (an edit changed
	// nothing).
	NotModified
	// ChatNotFound is 400 "chat not found".
	ChatNotFound
	// BadRequest is any other 400.
	BadRequest
	// Blocked is any 403: the user blocked the bot, was deactivated, or the
	// bot was removed from the group.
	Blocked
	// Unauthorized is 401: the token was rejected.
	Unauthorized
	// Conflict is 409: another getUpdates poll or a webhook is active.
	Conflict
	// Server is a 5xx answer, or an answer that is not Bot API JSON at all
	// (a proxy's 502 HTML page).
	Server
	// NetworkBeforeSend means the request provably never left this process:
	// DNS or dial failures, a refused connection, a context cancelled before
	// the request was written. Retrying cannot duplicate a message.
	NetworkBeforeSend
	// NetworkAmbiguous means the request was written but no answer arrived
	// (timeout, reset, closed connection): a send may or may not have been
	// delivered.
	NetworkAmbiguous
	// TopicClosed is 400 "TOPIC_CLOSED" or "message thread not found": the
	// forum topic a message went to is closed or deleted (the group itself
	// may still be reached).
	TopicClosed
)

var kindNames = [...]string{
	Unknown:           "unknown",
	Flood:             "flood",
	Migrated:          "migrated",
	BadMarkup:         "bad_markup",
	TooLong:           "too_long",
	NotModified:       "not_modified",
	ChatNotFound:      "chat_not_found",
	BadRequest:        "bad_request",
	Blocked:           "blocked",
	Unauthorized:      "unauthorized",
	Conflict:          "conflict",
	Server:            "server",
	NetworkBeforeSend: "network_before_send",
	NetworkAmbiguous:  "network_ambiguous",
	TopicClosed:       "topic_closed",
}

// String returns the kind's snake_case name ("flood", "bad_markup", …),
// suitable as a metrics label.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Retryable reports whether the same call may simply be made again later
// without risking a duplicate: Flood (after RetryAfter), Server and
// NetworkBeforeSend.
func (k Kind) Retryable() bool {
	switch k {
	case Flood, Server, NetworkBeforeSend:
		return true
	}
	return false
}

// Error is a failed Bot API call. Its text never contains the bot token.
type Error struct {
	Kind Kind
	// Code is Telegram's error_code, or the HTTP status of a non-JSON
	// answer; zero for network failures.
	Code int
	// Description is Telegram's description ("Forbidden: bot was blocked by
	// the user"), or a short explanation for failures without one.
	Description string
	// RetryAfter is parameters.retry_after (Flood only).
	RetryAfter time.Duration
	// MigrateTo is parameters.migrate_to_chat_id (Migrated only).
	MigrateTo int64
	// Method is the Bot API method called ("sendMessage").
	Method string
	// Err is the underlying error, if any (a network error, a decode error).
	Err error
}

// Error describes the failure: "telegram: sendMessage: flood (429): Too Many
// Requests: retry after 5".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("telegram: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Code != 0 {
		fmt.Fprintf(&b, " (%d)", e.Code)
	}
	if e.Kind == Unauthorized && e.Code == 401 {
		b.WriteString(": the bot token was rejected")
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err if it is (or wraps) an *Error, and Unknown
// otherwise (nil included).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// apiFailure is what a Bot API error answer says.
type apiFailure struct {
	code        int
	description string
	retryAfter  int   // parameters.retry_after, seconds
	migrateTo   int64 // parameters.migrate_to_chat_id
}

// classify decides the Kind of a Bot API error answer. As Telegram advises,
// it branches on parameters first, then on the code, then on the text.
func classify(f apiFailure) Kind {
	switch {
	case f.retryAfter > 0:
		return Flood
	case f.migrateTo != 0:
		return Migrated
	}
	switch {
	case f.code == 429:
		return Flood
	case f.code == 401:
		return Unauthorized
	case f.code == 403:
		return Blocked
	case f.code == 409:
		return Conflict
	case f.code >= 500 && f.code <= 599:
		return Server
	case f.code != 400:
		return Unknown
	}
	d := strings.ToLower(f.description)
	switch {
	case strings.Contains(d, "can't parse entities"), strings.Contains(d, "can't parse message text"):
		return BadMarkup
	case strings.Contains(d, "message is too long"), strings.Contains(d, "text is too long"),
		strings.Contains(d, "caption is too long"):
		return TooLong
	case strings.Contains(d, "message is not modified"):
		return NotModified
	case strings.Contains(d, "chat not found"), strings.Contains(d, "peer_id_invalid"):
		return ChatNotFound
	case strings.Contains(d, "topic_closed"), strings.Contains(d, "topic_deleted"),
		strings.Contains(d, "message thread not found"), strings.Contains(d, "topic_id_invalid"):
		return TopicClosed
	}
	return BadRequest
}

// retryAfterFromText reads "retry after N" from a 429 description that came
// without parameters.
func retryAfterFromText(desc string) int {
	const marker = "retry after "
	i := strings.Index(strings.ToLower(desc), marker)
	if i < 0 {
		return 0
	}
	rest := desc[i+len(marker):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// apiError builds the *Error for a Bot API error answer.
func apiError(method string, f apiFailure) *Error {
	k := classify(f)
	e := &Error{Kind: k, Code: f.code, Description: f.description, Method: method}
	switch k {
	case Flood:
		secs := f.retryAfter
		if secs <= 0 {
			secs = retryAfterFromText(f.description)
		}
		e.RetryAfter = time.Duration(secs) * time.Second
	case Migrated:
		e.MigrateTo = f.migrateTo
	}
	return e
}

package telegram

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Transport settings of the default HTTP client.
const (
	defaultDialTimeout = 10 * time.Second
	// defaultRequestTimeout bounds a whole call, long polls included:
	// GetUpdates keeps its poll timeout below it (see pollTimeout).
	defaultRequestTimeout = 60 * time.Second
	// pollGrace is what GetUpdates leaves between its long-poll timeout and
	// the HTTP client's timeout, for the answer to travel back.
	pollGrace = 10 * time.Second
	// maxAnswerBytes caps an answer's body; 100 updates of getUpdates stay
	// far below it.
	maxAnswerBytes = 16 << 20
	// redacted replaces the bot token wherever it would show.
	redacted = "<redacted>"
)

// newDefaultHTTPClient returns a client with bounded dials and calls, and
// enough idle connections per host for concurrent senders.
func newDefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: defaultRequestTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: defaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   defaultDialTimeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          128,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}

// errAnswerTooLarge is recorded when an answer exceeds maxAnswerBytes.
var errAnswerTooLarge = errors.New("answer body exceeds the size limit")

// call is the tgbotapi.HTTPClient of one Bot API call. tgbotapi has no
// context support and ignores the HTTP status, so call binds each request to
// the call's context, records whether the request was written (httptrace)
// and the status of the answer, watches the body for read failures, and
// redacts the token from transport errors (url.Error embeds the URL).
type call struct {
	ctx    context.Context
	client *http.Client
	token  string

	wrote   atomic.Bool // a request was completely written
	status  int         // HTTP status of the answer; 0 when none arrived
	bodyErr error       // a failure reading the answer body (not io.EOF)
}

// Do sends req with the call's context and a trace.
func (c *call) Do(req *http.Request) (*http.Response, error) {
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				c.wrote.Store(true)
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(c.ctx, trace))
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, redactError(err, c.token)
	}
	c.status = resp.StatusCode
	resp.Body = &watchedBody{rc: resp.Body, left: maxAnswerBytes, call: c}
	return resp, nil
}

// watchedBody records read failures and caps the answer size.
type watchedBody struct {
	rc   io.ReadCloser
	left int64
	call *call
}

func (b *watchedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.call.bodyErr = errAnswerTooLarge
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.call.bodyErr = redactError(err, b.call.token)
		err = b.call.bodyErr
	}
	return n, err
}

func (b *watchedBody) Close() error { return b.rc.Close() }

// redactString removes the token, raw or escaped, from s.
func redactString(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, redacted)
	if esc := url.PathEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, redacted)
	}
	if esc := url.QueryEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, redacted)
	}
	return s
}

// redactError returns err with the token removed from its text. A
// *url.Error (which embeds the request URL) gets a redacted URL and keeps
// its cause, so errors.Is(err, context.Canceled) and net.Error checks keep
// working; any other error still showing the token is wrapped in a
// redacting layer.
func redactError(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		clean := &url.Error{Op: ue.Op, URL: redactString(ue.URL, token), Err: ue.Err}
		if ue == err {
			err = clean
		} else if strings.Contains(err.Error(), token) {
			return &redactedError{msg: redactString(err.Error(), token), err: clean}
		}
	}
	if strings.Contains(err.Error(), token) {
		return &redactedError{msg: redactString(err.Error(), token), err: err}
	}
	return err
}

// redactedError hides the token in the message of an error it wraps.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

package telegram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		f    apiFailure
		want Kind
	}{
		{"429", apiFailure{code: 429, description: "Too Many Requests: retry after 3", retryAfter: 3}, Flood},
		{"429 without parameters", apiFailure{code: 429, description: "Too Many Requests"}, Flood},
		{"retry_after wins over the code", apiFailure{code: 400, description: "Bad Request: x", retryAfter: 5}, Flood},
		{"migrate", apiFailure{code: 400, description: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: -100123}, Migrated},
		{"migrate wins over the text", apiFailure{code: 400, description: "Bad Request: chat not found", migrateTo: -100123}, Migrated},
		{"upgrade text without parameters", apiFailure{code: 400, description: "Bad Request: group chat was upgraded to a supergroup chat"}, BadRequest},
		{"entities", apiFailure{code: 400, description: "Bad Request: can't parse entities: Unsupported start tag \"br\" at byte offset 3"}, BadMarkup},
		{"too long", apiFailure{code: 400, description: "Bad Request: message is too long"}, TooLong},
		{"caption too long", apiFailure{code: 400, description: "Bad Request: message caption is too long"}, TooLong},
		{"not modified", apiFailure{code: 400, description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"}, NotModified},
		{"chat not found", apiFailure{code: 400, description: "Bad Request: chat not found"}, ChatNotFound},
		{"peer invalid", apiFailure{code: 400, description: "Bad Request: PEER_ID_INVALID"}, ChatNotFound},
		{"other 400", apiFailure{code: 400, description: "Bad Request: message text is empty"}, BadRequest},
		{"blocked", apiFailure{code: 403, description: "Forbidden: bot was blocked by the user"}, Blocked},
		{"deactivated", apiFailure{code: 403, description: "Forbidden: user is deactivated"}, Blocked},
		{"kicked", apiFailure{code: 403, description: "Forbidden: bot was kicked from the supergroup chat"}, Blocked},
		{"401", apiFailure{code: 401, description: "Unauthorized"}, Unauthorized},
		{"409", apiFailure{code: 409, description: "Conflict: terminated by other getUpdates request"}, Conflict},
		{"500", apiFailure{code: 500, description: "Internal Server Error"}, Server},
		{"502", apiFailure{code: 502, description: "Bad Gateway"}, Server},
		{"404", apiFailure{code: 404, description: "Not Found"}, Unknown},
		{"no code", apiFailure{}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.f); got != tt.want {
				t.Errorf("classify(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	tests := []struct {
		f    apiFailure
		want *Error
	}{
		{apiFailure{code: 429, description: "Too Many Requests: retry after 3", retryAfter: 3},
			&Error{Kind: Flood, Code: 429, Description: "Too Many Requests: retry after 3", RetryAfter: 3 * time.Second, Method: "m"}},
		{apiFailure{code: 429, description: "Too Many Requests: retry after 17"},
			&Error{Kind: Flood, Code: 429, Description: "Too Many Requests: retry after 17", RetryAfter: 17 * time.Second, Method: "m"}},
		{apiFailure{code: 429, description: "Too Many Requests"},
			&Error{Kind: Flood, Code: 429, Description: "Too Many Requests", Method: "m"}},
		{apiFailure{code: 400, description: "Bad Request: upgraded", migrateTo: -1001234567890123},
			&Error{Kind: Migrated, Code: 400, Description: "Bad Request: upgraded", MigrateTo: -1001234567890123, Method: "m"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, apiError("m", tt.f)); diff != "" {
			t.Errorf("apiError(%+v) (-want +got):\n%s", tt.f, diff)
		}
	}
}

func TestKind(t *testing.T) {
	want := map[Kind]struct {
		name      string
		retryable bool
	}{
		Unknown: {"unknown", false}, Flood: {"flood", true}, Migrated: {"migrated", false},
		BadMarkup: {"bad_markup", false}, TooLong: {"too_long", false}, NotModified: {"not_modified", false},
		ChatNotFound: {"chat_not_found", false}, BadRequest: {"bad_request", false}, Blocked: {"blocked", false},
		Unauthorized: {"unauthorized", false}, Conflict: {"conflict", false}, Server: {"server", true},
		NetworkBeforeSend: {"network_before_send", true}, NetworkAmbiguous: {"network_ambiguous", false},
		TopicClosed: {"topic_closed", false},
	}
	for k := Unknown; k <= TopicClosed; k++ {
		w, ok := want[k]
		if !ok {
			t.Fatalf("kind %d has no expectation", k)
		}
		if k.String() != w.name || k.Retryable() != w.retryable {
			t.Errorf("kind %d: %q retryable %v, want %q %v", k, k.String(), k.Retryable(), w.name, w.retryable)
		}
	}
	if got := Kind(99).String(); got != "kind(99)" {
		t.Errorf("Kind(99).String() = %q", got)
	}
	if got := Kind(-1).String(); got != "kind(-1)" {
		t.Errorf("Kind(-1).String() = %q", got)
	}
}

func TestErrorText(t *testing.T) {
	cause := errors.New("connection refused")
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: Flood, Code: 429, Description: "Too Many Requests: retry after 5", Method: "sendMessage"},
			"telegram: sendMessage: flood (429): Too Many Requests: retry after 5"},
		{&Error{Kind: Unauthorized, Code: 401, Description: "Unauthorized", Method: "getMe"},
			"telegram: getMe: unauthorized (401): the bot token was rejected: Unauthorized"},
		{&Error{Kind: NetworkBeforeSend, Description: "the request could not be sent", Method: "sendMessage", Err: cause},
			"telegram: sendMessage: network_before_send: the request could not be sent: connection refused"},
		{&Error{Kind: Unknown}, "telegram: unknown"},
		{&Error{Kind: Unauthorized, Description: "the token is empty", Method: "getMe"},
			"telegram: getMe: unauthorized: the token is empty"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	wrapped := fmt.Errorf("delivery: unable to send: %w", tests[2].err)
	if KindOf(wrapped) != NetworkBeforeSend || !errors.Is(wrapped, cause) {
		t.Errorf("KindOf/Is through wrapping failed for %v", wrapped)
	}
	if KindOf(nil) != Unknown || KindOf(cause) != Unknown {
		t.Error("KindOf of nil or a foreign error is not Unknown")
	}
}

func TestRedactError(t *testing.T) {
	const token = "123:AAH-secret_token"
	ue := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + token + "/sendMessage",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	got := redactError(ue, token)
	if strings.Contains(got.Error(), token) {
		t.Errorf("redacted url.Error still shows the token: %v", got)
	}
	if want := `Post "https://api.telegram.org/bot<redacted>/sendMessage": dial tcp: connection refused`; got.Error() != want {
		t.Errorf("redacted = %q, want %q", got, want)
	}
	var opErr *net.OpError
	if !errors.As(got, &opErr) {
		t.Error("the cause was lost")
	}

	ctxErr := &url.Error{Op: "Post", URL: "http://x/bot" + token + "/getMe", Err: context.Canceled}
	if got := redactError(fmt.Errorf("outer: %w", ctxErr), token); strings.Contains(got.Error(), token) || !errors.Is(got, context.Canceled) {
		t.Errorf("wrapped url.Error: %v (is canceled: %v)", got, errors.Is(got, context.Canceled))
	}
	plain := errors.New("token " + token + " and escaped " + url.QueryEscape(token))
	if got := redactError(plain, token); strings.Contains(got.Error(), token) || strings.Contains(got.Error(), url.QueryEscape(token)) || !errors.Is(got, plain) {
		t.Errorf("plain error: %v", got)
	}
	clean := errors.New("nothing secret")
	if got := redactError(clean, token); got != clean {
		t.Errorf("a clean error was replaced: %v", got)
	}
	if redactError(nil, token) != nil {
		t.Error("redactError(nil) != nil")
	}
}

func TestPollTimeout(t *testing.T) {
	tests := []struct {
		clientTimeout, asked, want time.Duration
	}{
		{60 * time.Second, 30 * time.Second, 30 * time.Second},
		{60 * time.Second, 50 * time.Second, 50 * time.Second},
		{60 * time.Second, 55 * time.Second, 50 * time.Second},
		{15 * time.Second, 30 * time.Second, 5 * time.Second},
		{5 * time.Second, 30 * time.Second, 0},
		{0, 300 * time.Second, 300 * time.Second}, // no client timeout: as asked
		{60 * time.Second, -time.Second, 0},
	}
	for _, tt := range tests {
		c := &Client{httpClient: &http.Client{Timeout: tt.clientTimeout}}
		if got := c.pollTimeout(tt.asked); got != tt.want {
			t.Errorf("client timeout %v: pollTimeout(%v) = %v, want %v", tt.clientTimeout, tt.asked, got, tt.want)
		}
	}
}

// Package telegram is newsbot's one wrapper around the Bot API client
// (github.com/go-telegram-bot-api/telegram-bot-api/v5). It adds what that
// client lacks: a context on every call, Bot API fields newer than the
// library (link_preview_options, allow_paid_broadcast, message_thread_id),
// and errors classified by Kind in one place, with the bot token redacted
// from every error and log line.
//
// Every failed call returns an *Error; use KindOf or errors.As to branch on
// it. Kind.Retryable tells whether a call may be repeated without risking a
// duplicate message.
//
// Only this package imports the library: updates, chats, users and inline
// keyboards cross its boundary as the package's own types (Update,
// IncomingMessage, InlineKeyboard…), and a webhook body is read with
// DecodeUpdate.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Config configures a Client.
type Config struct {
	// Token is the bot token from @BotFather. It is never logged or shown
	// in errors.
	Token string
	// APIURL is the Bot API server, DefaultAPIURL when empty. The endpoint
	// of a method is APIURL + "/bot<token>/<method>".
	APIURL string
	// HTTPClient sends the requests. When nil, a client with a 10 s dial
	// timeout and a 60 s overall timeout (enough for long polls) is used.
	HTTPClient *http.Client
	// Logger receives debug lines about failed calls; slog.Default() when
	// nil.
	Logger *slog.Logger
}

// Message is a text message to send.
type Message struct {
	ChatID int64
	Text   string
	// ParseMode is "HTML" or "" (plain text).
	ParseMode string
	// Silent sends the message without a notification sound
	// (disable_notification).
	Silent bool
	// DisablePreview turns the link preview off (link_preview_options
	// {"is_disabled":true}).
	DisablePreview bool
	// PreviewURL picks the link shown in the preview
	// (link_preview_options.url); ignored when DisablePreview is set.
	PreviewURL string
	// ReplyMarkup is an optional inline keyboard.
	ReplyMarkup *InlineKeyboard
	// PaidBroadcast sends above the free rate limit, paid in Stars
	// (allow_paid_broadcast).
	PaidBroadcast bool
	// ThreadID is a forum topic in a supergroup (message_thread_id).
	ThreadID int
}

// Command is one entry of the bot's command menu.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Client calls the Bot API. It is safe for concurrent use.
type Client struct {
	api        *tgbotapi.BotAPI // template; each call uses a shallow copy
	httpClient *http.Client
	token      string
	log        *slog.Logger
	self       User
}

// New checks cfg, calls getMe and returns a client for the bot. A rejected
// token gives an *Error of Kind Unauthorized; the token never appears in
// the error.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := checkToken(cfg.Token); err != nil {
		return nil, err
	}
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Kind: Unknown, Description: "the API URL must be an absolute http(s) URL", Err: redactError(err, cfg.Token)}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newDefaultHTTPClient()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	api := &tgbotapi.BotAPI{Token: cfg.Token, Buffer: 100}
	// The endpoint is a Sprintf format: escape any '%' of the URL itself.
	api.SetAPIEndpoint(strings.ReplaceAll(strings.TrimRight(apiURL, "/"), "%", "%%") + "/bot%s/%s")
	c := &Client{api: api, httpClient: hc, token: cfg.Token, log: logger}

	// https://core.telegram.org/bots/api#getme
	var me User
	if err := c.do(ctx, "getMe", nil, &me); err != nil {
		return nil, err
	}
	c.self = User{ID: me.ID, UserName: me.UserName, FirstName: me.FirstName}
	return c, nil
}

// checkToken rejects tokens that are empty or could not be a URL path
// segment. The error never repeats the token.
func checkToken(token string) error {
	if token == "" {
		return &Error{Kind: Unauthorized, Method: "getMe", Description: "the token is empty"}
	}
	for _, r := range token {
		if r <= ' ' || r == '/' || r == '?' || r == '#' || r == '%' || r > '~' {
			return &Error{Kind: Unauthorized, Method: "getMe", Description: "the token contains characters a token cannot have"}
		}
	}
	return nil
}

// Self returns the bot's account as reported by getMe: its ID, username
// and first name.
func (c *Client) Self() User { return c.self }

// Send sends a text message and returns its message_id.
func (c *Client) Send(ctx context.Context, m Message) (int, error) {
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", m.ChatID)
	p["text"] = m.Text
	p.AddNonEmpty("parse_mode", m.ParseMode)
	p.AddBool("disable_notification", m.Silent)
	p.AddBool("allow_paid_broadcast", m.PaidBroadcast)
	p.AddNonZero("message_thread_id", m.ThreadID)
	switch {
	case m.DisablePreview:
		p["link_preview_options"] = `{"is_disabled":true}`
	case m.PreviewURL != "":
		b, err := json.Marshal(struct {
			URL string `json:"url"`
		}{m.PreviewURL})
		if err != nil {
			return 0, &Error{Kind: Unknown, Method: "sendMessage", Description: "unable to encode link_preview_options", Err: err}
		}
		p["link_preview_options"] = string(b)
	}
	if err := addMarkup(p, m.ReplyMarkup); err != nil {
		return 0, &Error{Kind: Unknown, Method: "sendMessage", Description: "unable to encode reply_markup", Err: err}
	}
	// https://core.telegram.org/bots/api#sendmessage
	var sent tgbotapi.Message
	if err := c.do(ctx, "sendMessage", p, &sent); err != nil {
		return 0, err
	}
	return sent.MessageID, nil
}

// SendPhoto sends a photo by URL (or file_id) with an optional caption and
// returns its message_id.
func (c *Client) SendPhoto(ctx context.Context, chatID int64, photoURL, caption, parseMode string, silent bool) (int, error) {
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", chatID)
	p.AddNonEmpty("photo", photoURL)
	p.AddNonEmpty("caption", caption)
	p.AddNonEmpty("parse_mode", parseMode)
	p.AddBool("disable_notification", silent)
	// https://core.telegram.org/bots/api#sendphoto
	var sent tgbotapi.Message
	if err := c.do(ctx, "sendPhoto", p, &sent); err != nil {
		return 0, err
	}
	return sent.MessageID, nil
}

// EditText replaces the text (and keyboard: nil removes it) of a message the
// bot sent. An edit that changes nothing fails with Kind NotModified.
func (c *Client) EditText(ctx context.Context, chatID int64, messageID int, text, parseMode string, markup *InlineKeyboard) error {
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", chatID)
	p.AddNonZero("message_id", messageID)
	p["text"] = text
	p.AddNonEmpty("parse_mode", parseMode)
	if err := addMarkup(p, markup); err != nil {
		return &Error{Kind: Unknown, Method: "editMessageText", Description: "unable to encode reply_markup", Err: err}
	}
	// https://core.telegram.org/bots/api#editmessagetext
	return c.do(ctx, "editMessageText", p, nil)
}

// AnswerCallback answers a callback query, showing text (if any) as a toast.
func (c *Client) AnswerCallback(ctx context.Context, callbackID, text string) error {
	p := tgbotapi.Params{}
	p["callback_query_id"] = callbackID
	p.AddNonEmpty("text", text)
	// https://core.telegram.org/bots/api#answercallbackquery
	return c.do(ctx, "answerCallbackQuery", p, nil)
}

// GetUpdates long-polls for updates with update_id ≥ offset (confirming
// every earlier one). timeout is the long-poll wait (whole seconds; zero
// polls without waiting), kept 10 s below the HTTP client's timeout.
// allowed sets allowed_updates; nil keeps the previous setting.
func (c *Client) GetUpdates(ctx context.Context, offset int, timeout time.Duration, allowed []string) ([]Update, error) {
	p := tgbotapi.Params{}
	p.AddNonZero("offset", offset)
	p.AddNonZero("timeout", int(c.pollTimeout(timeout)/time.Second))
	if allowed != nil {
		if err := p.AddInterface("allowed_updates", allowed); err != nil {
			return nil, &Error{Kind: Unknown, Method: "getUpdates", Description: "unable to encode allowed_updates", Err: err}
		}
	}
	// https://core.telegram.org/bots/api#getupdates
	var updates []Update
	if err := c.do(ctx, "getUpdates", p, &updates); err != nil {
		return nil, err
	}
	return updates, nil
}

// pollTimeout keeps a long poll shorter than the HTTP client's timeout.
func (c *Client) pollTimeout(timeout time.Duration) time.Duration {
	if timeout < 0 {
		return 0
	}
	if limit := c.httpClient.Timeout - pollGrace; c.httpClient.Timeout > 0 && timeout > limit {
		return max(limit, 0)
	}
	return timeout
}

// ChatAdmin reports whether userID is the creator or an administrator of
// chatID (getChatMember). In a private chat the user owns the chat.
func (c *Client) ChatAdmin(ctx context.Context, chatID, userID int64) (bool, error) {
	if chatID > 0 && chatID == userID {
		return true, nil
	}
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", chatID)
	p.AddNonZero64("user_id", userID)
	// https://core.telegram.org/bots/api#getchatmember
	var m struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, "getChatMember", p, &m); err != nil {
		return false, err
	}
	return m.Status == "creator" || m.Status == "administrator", nil
}

// SetMyCommands sets the command menu shown to users whose interface
// language is languageCode ("" for everyone else).
func (c *Client) SetMyCommands(ctx context.Context, cmds []Command, languageCode string) error {
	if cmds == nil {
		cmds = []Command{}
	}
	p := tgbotapi.Params{}
	if err := p.AddInterface("commands", cmds); err != nil {
		return &Error{Kind: Unknown, Method: "setMyCommands", Description: "unable to encode commands", Err: err}
	}
	p.AddNonEmpty("language_code", languageCode)
	// https://core.telegram.org/bots/api#setmycommands
	return c.do(ctx, "setMyCommands", p, nil)
}

// SetWebhook makes Telegram POST updates to url, with secretToken in the
// X-Telegram-Bot-Api-Secret-Token header. allowed sets allowed_updates; nil
// keeps the previous setting.
func (c *Client) SetWebhook(ctx context.Context, url, secretToken string, allowed []string) error {
	p := tgbotapi.Params{}
	p["url"] = url
	p.AddNonEmpty("secret_token", secretToken)
	if allowed != nil {
		if err := p.AddInterface("allowed_updates", allowed); err != nil {
			return &Error{Kind: Unknown, Method: "setWebhook", Description: "unable to encode allowed_updates", Err: err}
		}
	}
	// https://core.telegram.org/bots/api#setwebhook
	return c.do(ctx, "setWebhook", p, nil)
}

// DeleteWebhook removes the webhook, so that GetUpdates works again.
// Pending updates are kept.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	// https://core.telegram.org/bots/api#deletewebhook
	return c.do(ctx, "deleteWebhook", nil, nil)
}

// addMarkup adds reply_markup when a keyboard is given.
func addMarkup(p tgbotapi.Params, markup *InlineKeyboard) error {
	if markup == nil {
		return nil
	}
	return p.AddInterface("reply_markup", markup)
}

// do makes one Bot API call and decodes its result into out (unless nil).
// Every failure comes back as an *Error.
func (c *Client) do(ctx context.Context, method string, p tgbotapi.Params, out any) error {
	err := c.request(ctx, method, p, out)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "Telegram call failed.",
			slog.String("method", method),
			slog.String("kind", err.Kind.String()),
			slog.Int("code", err.Code),
			slog.String("err", err.Error()))
		return err
	}
	return nil
}

func (c *Client) request(ctx context.Context, method string, p tgbotapi.Params, out any) *Error {
	if err := ctx.Err(); err != nil {
		return &Error{Kind: NetworkBeforeSend, Method: method, Description: "the context ended before the request was sent", Err: err}
	}
	cl := &call{ctx: ctx, client: c.httpClient, token: c.token}
	api := *c.api
	api.Client = cl
	resp, err := api.MakeRequest(method, p)
	if err != nil {
		return c.failure(ctx, method, cl, resp, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, out); err != nil {
		return &Error{Kind: Unknown, Method: method, Code: cl.status, Description: "the call succeeded but its result could not be decoded", Err: err}
	}
	return nil
}

// failure turns what MakeRequest returned into an *Error.
func (c *Client) failure(ctx context.Context, method string, cl *call, resp *tgbotapi.APIResponse, err error) *Error {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		f := apiFailure{code: apiErr.Code, description: redactString(apiErr.Message, c.token)}
		if resp != nil && resp.Parameters != nil {
			f.retryAfter = resp.Parameters.RetryAfter
			f.migrateTo = resp.Parameters.MigrateToChatID
		}
		if f.code == 0 {
			f.code = cl.status
		}
		return apiError(method, f)
	}
	err = redactError(err, c.token)
	switch {
	case cl.status == 0:
		// No answer arrived: did the request leave?
		if cl.wrote.Load() {
			return &Error{Kind: NetworkAmbiguous, Method: method, Description: "the request was sent but no answer arrived", Err: err}
		}
		desc := "the request could not be sent"
		if ctx.Err() != nil {
			desc = "the context ended before the request was sent"
		}
		return &Error{Kind: NetworkBeforeSend, Method: method, Description: desc, Err: err}
	case cl.status >= 500:
		return &Error{Kind: Server, Method: method, Code: cl.status, Description: "the server answered " + strconv.Itoa(cl.status) + " " + http.StatusText(cl.status), Err: err}
	case errors.Is(cl.bodyErr, errAnswerTooLarge):
		return &Error{Kind: Unknown, Method: method, Code: cl.status, Description: "the answer was too large", Err: err}
	case cl.bodyErr != nil:
		return &Error{Kind: NetworkAmbiguous, Method: method, Code: cl.status, Description: "the answer was cut off", Err: err}
	default:
		// An answer that is not Bot API JSON: a proxy or load balancer
		// spoke, not Telegram.
		return &Error{Kind: Server, Method: method, Code: cl.status, Description: fmt.Sprintf("the answer (HTTP %d) is not Bot API JSON", cl.status), Err: err}
	}
}

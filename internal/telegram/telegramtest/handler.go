package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxRequestBytes caps a request body.
const maxRequestBytes = 50 << 20

// proxyPage is the body of an injected 502: not Bot API JSON.
const proxyPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// answer is a Bot API answer: a result, or an error with optional
// parameters. raw, when set, is sent as is (an HTML page).
type answer struct {
	status      int
	result      any
	description string // for errors; optional on success (setWebhook)
	parameters  *responseParameters
	raw         string
	// delivered is set when a message was delivered (faults that act after
	// delivery apply).
	delivered bool
}

type responseParameters struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

func ok(result any) answer { return answer{status: http.StatusOK, result: result} }

func badRequest(format string, args ...any) answer {
	return answer{status: http.StatusBadRequest, description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func tooManyRequests(wait time.Duration) answer {
	n := retryAfterSeconds(wait)
	return answer{
		status:      http.StatusTooManyRequests,
		description: "Too Many Requests: retry after " + strconv.Itoa(n),
		parameters:  &responseParameters{RetryAfter: n},
	}
}

// body is the JSON of an answer.
func (a answer) body() []byte {
	type envelope struct {
		OK          bool                `json:"ok"`
		Result      any                 `json:"result,omitempty"`
		ErrorCode   int                 `json:"error_code,omitempty"`
		Description string              `json:"description,omitempty"`
		Parameters  *responseParameters `json:"parameters,omitempty"`
	}
	env := envelope{OK: a.status == http.StatusOK, Description: a.description, Parameters: a.parameters}
	if env.OK {
		env.Result = a.result
	} else {
		env.ErrorCode = a.status
	}
	b, err := json.Marshal(env)
	if err != nil {
		// Results are built from plain types; this cannot happen.
		return []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error: ` + strings.ReplaceAll(err.Error(), `"`, `'`) + `"}`)
	}
	return b
}

// canonicalMethod returns the spelling of a known method; Bot API method
// names are case-insensitive.
func canonicalMethod(name string) (string, bool) {
	for _, m := range [...]string{"getMe", "getUpdates", "sendMessage", "sendPhoto", "editMessageText",
		"editMessageReplyMarkup",
		"answerCallbackQuery", "getChatMember", "getChat", "setMyCommands", "getMyCommands", "deleteMyCommands",
		"setWebhook", "deleteWebhook", "getWebhookInfo", "answerInlineQuery"} {
		if strings.EqualFold(m, name) {
			return m, true
		}
	}
	return "", false
}

// isSend reports whether faults apply to method: those that send or edit a
// message.
func isSend(method string) bool { return limited(method) }

// serveHTTP routes /bot<token>/<method>.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, name, _ := strings.Cut(rest, "/")
	if !found || token != s.opts.Token {
		s.mu.Lock()
		s.stats.Unauthorized++
		s.mu.Unlock()
		writeAnswer(w, answer{status: http.StatusUnauthorized, description: "Unauthorized"})
		return
	}
	method, known := canonicalMethod(name)
	if !known {
		writeAnswer(w, answer{status: http.StatusNotFound, description: "Not Found"})
		return
	}
	rtt := s.latency()
	if !s.travel(r, rtt) {
		return
	}
	// The answer travels back for half the round trip too.
	respond := func(a answer) {
		s.travel(r, rtt)
		writeAnswer(w, a)
	}
	s.mu.Lock()
	s.stats.Requests[method]++
	s.mu.Unlock()
	p, err := readParams(r)
	if err != nil {
		a := badRequest("%s", err.Error())
		s.count(a)
		respond(a)
		return
	}

	s.mu.Lock()
	if a, failed := s.failNextLocked(method); failed {
		if a.status == http.StatusTooManyRequests {
			s.notePauseLocked(nil, a, true, s.now())
		}
		s.mu.Unlock()
		respond(a)
		return
	}
	var (
		drop      bool
		slowDelay time.Duration
	)
	if isSend(method) {
		var serverErr bool
		serverErr, drop, slowDelay = s.drawFaultsLocked()
		if serverErr {
			a := s.injectedServerErrorLocked()
			s.mu.Unlock()
			respond(a)
			return
		}
	}
	s.mu.Unlock()

	var a answer
	if method == "getUpdates" {
		a = s.getUpdates(r, p)
	} else {
		a = s.call(method, p)
	}
	s.count(a)
	if a.delivered && drop {
		s.mu.Lock()
		s.stats.Drops++
		s.mu.Unlock()
		hangUp(w)
		return
	}
	if a.delivered && slowDelay > 0 && !s.slowAnswer(r, slowDelay) {
		return
	}
	respond(a)
}

// slowAnswer holds an answer for d (SlowRate); it reports false when the
// client gave up meanwhile.
func (s *Server) slowAnswer(r *http.Request, d time.Duration) bool {
	s.mu.Lock()
	s.stats.Slow++
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return false
	case <-s.closed:
	}
	return true
}

// call runs every method but getUpdates.
func (s *Server) call(method string, p params) answer {
	switch method {
	case "getMe":
		return ok(s.botUser())
	case "sendMessage":
		return s.sendMessage(p)
	case "sendPhoto":
		return s.sendPhoto(p)
	case "editMessageText":
		return s.editMessageText(p)
	case "editMessageReplyMarkup":
		return s.editMessageReplyMarkup(p)
	case "answerCallbackQuery":
		return s.answerCallbackQuery(p)
	case "getChatMember":
		return s.getChatMember(p)
	case "getChat":
		return s.getChat(p)
	case "answerInlineQuery":
		return s.answerInlineQuery(p)
	case "setMyCommands":
		return s.setMyCommands(p)
	case "getMyCommands":
		return s.getMyCommands(p)
	case "deleteMyCommands":
		return s.deleteMyCommands(p)
	case "setWebhook":
		return s.setWebhook(p)
	case "deleteWebhook":
		return s.deleteWebhook(p)
	case "getWebhookInfo":
		return s.getWebhookInfo()
	}
	return answer{status: http.StatusNotFound, description: "Not Found"}
}

// count updates the error counters for an answer.
func (s *Server) count(a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case a.status == http.StatusForbidden:
		s.stats.Forbidden++
	case a.status == http.StatusBadRequest && a.parameters != nil && a.parameters.MigrateToChatID != 0:
		s.stats.Migrations++
	case a.status == http.StatusBadRequest:
		s.stats.BadRequests++
	}
}

// failNextLocked pops a FailNext answer for method.
func (s *Server) failNextLocked(method string) (answer, bool) {
	key := strings.ToLower(method)
	q := s.failNext[key]
	if len(q) == 0 {
		return answer{}, false
	}
	f := q[0]
	if len(q) == 1 {
		delete(s.failNext, key)
	} else {
		s.failNext[key] = q[1:]
	}
	code := f.code
	if code < 100 || code > 599 {
		code = http.StatusBadRequest
	}
	if code >= 500 {
		s.stats.ServerErrors++
	}
	a := answer{status: code, description: f.description}
	if strings.HasPrefix(f.description, "<") {
		a.raw = f.description
	}
	if code == http.StatusTooManyRequests {
		n := retryAfterInText(f.description)
		if n <= 0 {
			n = 1
		}
		a.parameters = &responseParameters{RetryAfter: n}
	}
	return a, true
}

// retryAfterInText reads N from "retry after N".
func retryAfterInText(s string) int {
	_, rest, found := strings.Cut(strings.ToLower(s), "retry after ")
	if !found {
		return 0
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0
	}
	return n
}

// drawFaultsLocked decides the faults of one send request: a 5xx answer, a
// dropped connection, or a delay before the answer (zero for none).
func (s *Server) drawFaultsLocked() (serverErr, drop bool, slowDelay time.Duration) {
	f := s.faults
	if f.ServerErrorRate <= 0 && f.DropRate <= 0 && f.SlowRate <= 0 {
		return false, false, 0
	}
	a, b, c := s.rng.Float64(), s.rng.Float64(), s.rng.Float64()
	if c < f.SlowRate {
		slowDelay = f.SlowDelay
	}
	return a < f.ServerErrorRate, b < f.DropRate, slowDelay
}

// injectedServerErrorLocked alternates a JSON 500 and a proxy's HTML 502.
func (s *Server) injectedServerErrorLocked() answer {
	s.stats.ServerErrors++
	s.injected5++
	if s.injected5%2 == 0 {
		return answer{status: http.StatusBadGateway, raw: proxyPage}
	}
	return answer{status: http.StatusInternalServerError, description: "Internal Server Error"}
}

// writeAnswer writes a as Telegram would.
func writeAnswer(w http.ResponseWriter, a answer) {
	if a.raw != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.raw)
		return
	}
	b := a.body()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(a.status)
	_, _ = w.Write(b)
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection quietly
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// param is one request parameter before typing: form text, or raw JSON
// from a JSON body.
type param struct {
	text   string
	isJSON bool
}

// params are a request's parameters.
type params map[string]param

// readParams reads the query string and a JSON, form-encoded or multipart
// body (files count as present, their content is ignored).
func readParams(r *http.Request) (params, error) {
	p := params{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			p[k] = param{text: v[0]}
		}
	}
	if r.Body == nil {
		return p, nil
	}
	body := http.MaxBytesReader(nil, r.Body, maxRequestBytes)
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, fmt.Errorf("unable to read the request: %w", err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			return p, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, errors.New("can't parse JSON encoded request")
		}
		for k, v := range obj {
			p[k] = param{text: string(v), isJSON: true}
		}
	case "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, fmt.Errorf("unable to read the request: %w", err)
		}
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, errors.New("can't parse form-encoded request")
		}
		for k, v := range vals {
			if len(v) > 0 {
				p[k] = param{text: v[0]}
			}
		}
	case "multipart/form-data":
		r.Body = body
		if ctParams["boundary"] == "" {
			return nil, errors.New("can't parse multipart request")
		}
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, errors.New("can't parse multipart request")
		}
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				p[k] = param{text: v[0]}
			}
		}
		for k, files := range r.MultipartForm.File {
			if len(files) > 0 {
				p[k] = param{text: "attach://" + files[0].Filename}
			}
		}
	default:
		_, _ = io.Copy(io.Discard, body)
	}
	return p, nil
}

// has reports whether k was given.
func (p params) has(k string) bool {
	_, found := p[k]
	return found
}

// str returns k as a string ("" when absent or null).
func (p params) str(k string) string {
	v, found := p[k]
	if !found {
		return ""
	}
	if !v.isJSON {
		return v.text
	}
	var s string
	if err := json.Unmarshal([]byte(v.text), &s); err == nil {
		return s
	}
	if v.text == "null" {
		return ""
	}
	return v.text
}

// int64 returns k as an integer; found is false when absent or empty.
func (p params) int64(k string) (n int64, found bool, err error) {
	s := strings.TrimSpace(p.str(k))
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%s is not an integer", k)
	}
	return n, true, nil
}

// bool returns k as a boolean (false when absent or not a boolean).
func (p params) bool(k string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(p.str(k)))
	return err == nil && b
}

// json returns k as compact JSON (nil when absent), accepting both a JSON
// value in a JSON body and a JSON string in a form.
func (p params) json(k string) (json.RawMessage, error) {
	v, found := p[k]
	if !found {
		return nil, nil
	}
	text := v.text
	if v.isJSON && strings.HasPrefix(strings.TrimSpace(text), `"`) {
		text = p.str(k)
	}
	if strings.TrimSpace(text) == "" || text == "null" {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// paramType is how a parameter is typed in Sent.Params.
type paramType int

const (
	stringParam paramType = iota
	intParam
	boolParam
	jsonParam
)

// typeOf returns the type of a known parameter (stringParam for the rest).
func typeOf(name string) paramType {
	switch name {
	case "chat_id", "user_id", "message_id", "message_thread_id", "reply_to_message_id", "offset", "limit",
		"timeout", "cache_time", "max_connections":
		return intParam
	case "disable_notification", "allow_paid_broadcast", "protect_content", "disable_web_page_preview",
		"show_alert", "drop_pending_updates", "allow_sending_without_reply":
		return boolParam
	case "reply_markup", "link_preview_options", "entities", "caption_entities", "allowed_updates",
		"commands", "scope", "reply_parameters":
		return jsonParam
	}
	return stringParam
}

// typed returns every parameter with its natural Go type (see Sent.Params).
func (p params) typed() map[string]any {
	out := make(map[string]any, len(p))
	for k := range p {
		switch typeOf(k) {
		case intParam:
			if n, _, err := p.int64(k); err == nil {
				out[k] = n
				continue
			}
			out[k] = p.str(k)
		case boolParam:
			out[k] = p.bool(k)
		case jsonParam:
			raw, err := p.json(k)
			var v any
			if err == nil && raw != nil && json.Unmarshal(raw, &v) == nil {
				out[k] = v
				continue
			}
			out[k] = p.str(k)
		default:
			out[k] = p.str(k)
		}
	}
	return out
}

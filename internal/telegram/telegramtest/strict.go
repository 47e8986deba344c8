package telegramtest

import (
	"net/http"
	"time"
)

// StrictLimit is Telegram's bulk limit as a strict server would apply it:
// sends and edits per sliding second per token.
const StrictLimit = 30

// Strict returns Options with Telegram's limits applied as strictly as
// Telegram might: at most StrictLimit sends and edits in any sliding second
// (no bucket to forgive a bunched pair), a burst of 3 per private chat then
// one a second, 20 a minute per group, no jitter allowance, every request
// made inside an announced retry_after answered 429 again, and rtt added to
// every round trip.
func Strict(rtt time.Duration) Options {
	return Options{
		GlobalPerSecond:  StrictLimit,
		ChatBurst:        3,
		ChatInterval:     time.Second,
		GroupPerMinute:   20,
		Jitter:           -1,
		StrictRetryAfter: true,
		Latency:          rtt,
	}
}

// limited reports whether method counts against the flood limits: every
// method that sends or edits a message.
func limited(method string) bool {
	switch method {
	case "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendVideo", "sendAnimation",
		"copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
		"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia":
		return true
	}
	return false
}

// SetGlobalPerSecond changes the sliding-second limit of the token while
// the server runs (0: none), as Telegram's limit may drop under load.
func (s *Server) SetGlobalPerSecond(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.GlobalPerSecond = n
}

// SetLatency changes the added round-trip time of later requests.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Latency = d
}

// latency returns the added round-trip time.
func (s *Server) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Latency
}

// travel waits half a round trip (the way to or from the server); it
// reports false when the request was abandoned or the server closed.
func (s *Server) travel(r *http.Request, rtt time.Duration) bool {
	if rtt <= 0 {
		return true
	}
	t := time.NewTimer(rtt / 2)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

// pausedLocked applies an announced retry_after: a request to c (nil for a
// request without a chat) that arrives before the token's or the chat's
// pause is over is counted in Stats.InsideRetryAfter and, with
// StrictRetryAfter, answered 429 with the time left.
func (s *Server) pausedLocked(c *chat, now time.Time) (answer, bool) {
	until := s.pausedUntil
	if c != nil && c.pausedUntil.After(until) {
		until = c.pausedUntil
	}
	if !now.Before(until) {
		return answer{}, false
	}
	s.stats.InsideRetryAfter++
	if !s.opts.StrictRetryAfter {
		return answer{}, false
	}
	s.stats.TooManyRequests++
	return tooManyRequests(until.Sub(now)), true
}

// notePauseLocked records the retry_after of a 429 given to a request to c:
// the whole token's for a global limit, the chat's otherwise.
func (s *Server) notePauseLocked(c *chat, a answer, global bool, now time.Time) {
	if a.parameters == nil || a.parameters.RetryAfter <= 0 {
		return
	}
	until := now.Add(time.Duration(a.parameters.RetryAfter) * time.Second)
	switch {
	case global && until.After(s.pausedUntil):
		s.pausedUntil = until
	case !global && until.After(c.pausedUntil):
		c.pausedUntil = until
	}
}

// windowLocked applies GlobalPerSecond: at most that many accepted sends in
// any sliding second. It returns the wait until a slot frees, zero when the
// send may go.
func (s *Server) windowLocked(now time.Time) time.Duration {
	n := s.opts.GlobalPerSecond
	if n <= 0 {
		return 0
	}
	cut := 0
	for cut < len(s.window) && !s.window[cut].After(now.Add(-time.Second)) {
		cut++
	}
	s.window = s.window[cut:]
	if len(s.window) < n {
		return 0
	}
	return s.window[len(s.window)-n].Add(time.Second).Sub(now)
}

// chatBucketLocked applies ChatBurst to a private chat: a bucket of
// ChatBurst messages refilled one per ChatInterval. It returns the wait
// until the next message may go, zero when it may go now.
func (s *Server) chatBucketLocked(c *chat, now time.Time) time.Duration {
	if c.bucket.rate == 0 {
		c.bucket = newBucket(float64(time.Second)/float64(s.opts.ChatInterval), s.opts.ChatBurst)
	}
	if w := c.bucket.wait(now); w > min(s.jitter, s.opts.ChatInterval/2) {
		return w
	}
	return 0
}

// Arrivals returns when each accepted send or edit reached the server, in
// order: the spacing a rate limiter really achieved, after the network.
func (s *Server) Arrivals() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]time.Time, len(s.sent))
	for i, m := range s.sent {
		out[i] = m.At
	}
	return out
}

// MaxPerSecond returns the most accepted sends and edits found in any
// sliding second of ts (sorted).
func MaxPerSecond(ts []time.Time) int {
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

package delivery

import (
	"log/slog"
	"time"
)

// quietRecheck bounds how long a chat in quiet hours waits before its
// queue is looked at again: a breaking alert queued behind held news rings
// within it (the queue's not-before time is a floor for every item).
const quietRecheck = time.Minute

// holdQuiet keeps the chat's ordinary news queued during its quiet hours:
// it returns the items that may go now (breaking alerts, unless the quiet
// hours are strict) and, when any item is held, makes the chat wait until
// the quiet hours end (looking again every quietRecheck). Held items stay in the durable queue, so they go
// through the same limits and sent-ledger as everything else, survive a
// restart and are coalesced into one digest when the chat is due again;
// a bot that is down at that hour sends them when it is back.
func (e *Engine) holdQuiet(j *job, valid []pending) []pending {
	now := e.now()
	end, quiet := j.chat.QuietUntil(now)
	if !quiet {
		return valid
	}
	var ringing []pending
	if !j.chat.Quiet.Strict {
		for _, p := range valid {
			if p.prio == prioBreaking && p.item.broadcast == 0 {
				ringing = append(ringing, p)
			}
		}
	}
	if len(ringing) < len(valid) {
		j.after(now, min(end.Sub(now), quietRecheck))
		j.log.Debug("Holding news for the quiet hours.", slog.Int("items", len(valid)-len(ringing)), slog.Time("until", end))
	}
	return ringing
}

package delivery

import (
	"math"
	"time"
)

// In flight. A sender holds one request in flight at a time, so a rate R
// with round trips of T needs R × T senders busy, plus some waiting for
// their slot. A fixed number caps the rate at Workers / T: 8 senders reach
// only 26/s at 300 ms. With Config.Workers 0 the engine starts
// maxAutoWorkers(Rate) senders and lets activeWorkers of them work:
// inFlightHeadroom × Rate × the mean send time, plus inFlightSpare, never
// fewer than DefaultWorkers. Fewer senders waiting for slots also keep the
// shared limiter's queue short, so a reader's reply (which takes the next
// free slot) waits behind few sends.
const (
	inFlightHeadroom = 1.5
	inFlightSpare    = 2
	// maxAutoRoundTrip is the longest round trip the automatic sender
	// count covers at full rate.
	maxAutoRoundTrip = 1500 * time.Millisecond
	// assumedRoundTrip is the send time counted on until one is
	// measured: enough senders for a distant server from the first send.
	assumedRoundTrip = 500 * time.Millisecond
	// idleSenderCheck is how often a sender beyond activeWorkers looks
	// again.
	idleSenderCheck = 50 * time.Millisecond
)

// maxAutoWorkers is the most senders started for a rate when Workers is 0.
func maxAutoWorkers(rate float64) int {
	return max(DefaultWorkers, int(math.Ceil(inFlightHeadroom*rate*maxAutoRoundTrip.Seconds()))+inFlightSpare)
}

// noteSendTime folds one send's duration into the moving mean.
func (e *Engine) noteSendTime(d time.Duration) {
	for {
		old := e.sendTime.Load()
		next := int64(d)
		if old != 0 {
			next = old + (int64(d)-old)/8
		}
		if e.sendTime.CompareAndSwap(old, next) {
			return
		}
	}
}

// activeWorkers is how many senders may work now.
func (e *Engine) activeWorkers() int {
	if !e.cfg.autoWorkers {
		return e.cfg.Workers
	}
	mean := time.Duration(e.sendTime.Load())
	if mean == 0 {
		mean = assumedRoundTrip
	}
	n := int(math.Ceil(inFlightHeadroom*e.cfg.Rate*mean.Seconds())) + inFlightSpare
	return min(e.cfg.Workers, max(DefaultWorkers, n))
}

// SendTime returns the moving mean of a send's round trip.
func (e *Engine) SendTime() time.Duration { return time.Duration(e.sendTime.Load()) }

package upravda

import (
	"log/slog"
	"sync"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/discover"
)

var _ discover.Recorder = (*driftTracker)(nil)

// driftTracker counts consecutive failures per edition and layer and
// raises one alert per outage. It is the discover.Recorder of the Source's
// discoverer, and records the layers of article pages itself.
type driftTracker struct {
	threshold int
	log       *slog.Logger
	obs       Observer
	mu        sync.Mutex
	layers    map[driftKey]*layerState
}

type driftKey struct {
	edition news.Lang
	layer   string
}

type layerState struct {
	failures int
	alerted  bool
}

func newDriftTracker(threshold int, log *slog.Logger, obs Observer) *driftTracker {
	return &driftTracker{threshold: threshold, log: log, obs: obs, layers: make(map[driftKey]*layerState)}
}

// Fail records a failure of a layer. It logs the failure once: as an error
// that tells the Observer of the drift when the layer crosses the threshold
// for the first time since it last worked, as a warning otherwise.
func (d *driftTracker) Fail(edition news.Lang, layer string, err error) {
	d.mu.Lock()
	k := driftKey{edition, layer}
	st := d.layers[k]
	if st == nil {
		st = &layerState{}
		d.layers[k] = st
	}
	st.failures++
	failures := st.failures
	alert := failures >= d.threshold && !st.alerted
	if alert {
		st.alerted = true
	}
	d.mu.Unlock()

	d.obs.LayerFailed(edition, layer)
	attrs := []any{slog.String("edition", string(edition)), slog.String("layer", layer),
		slog.Int("failures", failures), slog.Any("err", err)}
	if !alert {
		d.log.Warn("A layer of the site failed.", attrs...)
		return
	}
	d.log.Error("The site seems to have changed: a layer keeps failing.", attrs...)
	d.obs.Drifted(DriftAlert{Edition: edition, Layer: layer, Failures: failures, Err: err})
}

// OK records that a layer worked; a layer that had raised an alert is
// logged as recovered.
func (d *driftTracker) OK(edition news.Lang, layer string) {
	d.mu.Lock()
	k := driftKey{edition, layer}
	st := d.layers[k]
	if st == nil {
		d.mu.Unlock()
		return
	}
	recovered := st.alerted
	delete(d.layers, k)
	d.mu.Unlock()
	if recovered {
		d.log.Info("A layer of the site works again.", slog.String("edition", string(edition)), slog.String("layer", layer))
	}
}

// record calls OK or Fail.
func (d *driftTracker) record(edition news.Lang, layer string, err error) {
	if err == nil {
		d.OK(edition, layer)
		return
	}
	d.Fail(edition, layer, err)
}

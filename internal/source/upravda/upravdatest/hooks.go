package upravdatest

import "net/http"

// BeforeServe sets f to run before every request is answered, with the
// request's path, outside the site's lock: f may Publish, Fail or Handle,
// so that the site changes between two requests of one poll (nil removes
// it).
func (s *Site) BeforeServe(f func(path string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = f
}

func (s *Site) runBefore(path string) {
	s.mu.Lock()
	f := s.before
	s.mu.Unlock()
	if f != nil {
		f(path)
	}
}

// Redirect makes path answer 301 with a Location of target (an absolute
// URL, another host for a sister site).
func (s *Site) Redirect(path, target string) {
	s.Handle(path, Raw{Status: http.StatusMovedPermanently, Header: http.Header{"Location": {target}}})
}

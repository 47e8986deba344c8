package embedded

// Crash stops the server the way kill -9 would as far as the data
// directory is concerned: no save, the journal as it is, the lock released.
func (s *Server) Crash() {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.loopDone
		s.dropClients()
		s.j.close()
		s.abandon()
	})
}

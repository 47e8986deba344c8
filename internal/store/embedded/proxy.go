package embedded

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2/server"
)

// The server's clients talk RESP to this package, not to miniredis's own
// listener: each command is handed to miniredis's dispatcher, and every
// command that changes data is journaled, under Server.wmu, in the order it
// was applied. A reply leaves only once the records it may depend on are
// on disk (see client.flush).

// maxHeldReplies bounds the replies of a pipeline held back while their
// records are synced.
const maxHeldReplies = 1 << 20

// notJournaled are commands miniredis does not mark read-only that change
// no data.
var notJournaled = map[string]bool{
	"PING": true, "ECHO": true, "QUIT": true, "AUTH": true, "HELLO": true, "CLIENT": true,
	"INFO": true, "COMMAND": true, "TIME": true, "DBSIZE": true, "SELECT": true,
	"MULTI": true, "EXEC": true, "DISCARD": true, "WATCH": true, "UNWATCH": true,
	"SCRIPT": true, "EVAL": true, "EVALSHA": true, "EVAL_RO": true, "EVALSHA_RO": true,
	"PUBLISH": true, "PUBSUB": true, "MEMORY": true, "OBJECT": true, "CLUSTER": true,
}

// refusedCommands cannot be journaled deterministically, would block the
// journal, or need a connection this proxy does not keep.
var refusedCommands = map[string]bool{
	"SPOP": true, "SWAPDB": true, "MOVE": true,
	"BLPOP": true, "BRPOP": true, "BLMOVE": true, "BRPOPLPUSH": true, "BLMPOP": true,
	"BZPOPMIN": true, "BZPOPMAX": true, "BZMPOP": true, "XREAD": true, "XREADGROUP": true,
	"XGROUP": true, "XACK": true, "XCLAIM": true, "XAUTOCLAIM": true, "WAIT": true,
	"SUBSCRIBE": true, "PSUBSCRIBE": true, "SSUBSCRIBE": true, "MONITOR": true,
}

// journaled reports whether cmd (upper case) changes data.
func (s *Server) journaled(cmd string) bool {
	return !notJournaled[cmd] && s.srv.IsRegisteredCommand(cmd) && !s.srv.IsReadOnlyCommand(cmd)
}

// refusal is the error reply for a command the embedded store does not
// run, or "".
func refusal(cmd string, args []string) string {
	switch {
	case refusedCommands[cmd]:
	case cmd == "SELECT" && len(args) == 1 && args[0] != "0":
	case cmd == "XADD" && xaddAutoID(args):
	default:
		return ""
	}
	return "ERR embedded: " + cmd + " " + reason(cmd) + " is not supported by newsbot's embedded store"
}

func reason(cmd string) string {
	switch cmd {
	case "SELECT", "SWAPDB", "MOVE":
		return "(databases other than 0)"
	case "XADD":
		return "(with an ID of *)"
	}
	return ""
}

// xaddAutoID reports whether XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] n
// [LIMIT c]] id … asks for a generated ID.
func xaddAutoID(args []string) bool {
	i := 1
	for i < len(args) {
		switch strings.ToUpper(args[i]) {
		case "NOMKSTREAM":
			i++
			continue
		case "MAXLEN", "MINID":
			i++
			if i < len(args) && (args[i] == "=" || args[i] == "~") {
				i++
			}
			i++
			continue
		case "LIMIT":
			i += 2
			continue
		}
		break
	}
	return i < len(args) && args[i] == "*"
}

// capture collects the write commands a script runs.
type capture struct {
	cmds [][]string
}

// preHook sees every command miniredis dispatches, those a script runs
// too. While a script runs under Server.wmu, it records the script's write
// commands: the journal keeps a script by its effects, so that a script
// reading TIME or a random member replays the same way.
func (s *Server) preHook(p *server.Peer, cmd string, args ...string) bool {
	c := s.capturing.Load()
	if c == nil {
		return false
	}
	if _, ours := s.peers.Load(p); ours || !s.journaled(cmd) {
		return false // a client's own command, or a read
	}
	if msg := refusal(cmd, args); msg != "" {
		p.WriteError(msg)
		return true
	}
	c.cmds = append(c.cmds, append([]string{cmd}, args...))
	return false
}

// client is one connection.
type client struct {
	s      *Server
	nc     net.Conn
	r      *bufio.Reader
	out    bytes.Buffer // replies held until their records are synced
	pw     *bufio.Writer
	peer   *server.Peer
	multi  bool
	abort  bool
	queued [][]string
	wait   uint64 // the last record the held replies may depend on
}

// serve runs one connection until it closes or the server stops.
func (s *Server) serve(nc net.Conn) {
	defer s.conns.Done()
	defer nc.Close()
	c := &client{s: s, nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
	c.pw = bufio.NewWriterSize(&c.out, 4<<10)
	c.peer = server.NewPeer(c.pw)
	s.peers.Store(c.peer, true)
	defer s.peers.Delete(c.peer)
	for {
		args, err := readCommand(c.r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.out.WriteString("-ERR Protocol error: " + err.Error() + "\r\n")
				c.flush()
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		c.handle(args)
		closed := c.peer.Closed()
		if closed || c.r.Buffered() == 0 || c.out.Len() > maxHeldReplies {
			if !c.flush() || closed {
				return
			}
		}
	}
}

// flush waits until every record the held replies may depend on is on
// disk, then sends them. When the journal failed, the replies are dropped
// and the connection closed: nothing is acknowledged that is not durable.
func (c *client) flush() bool {
	if err := c.s.j.wait(c.wait); err != nil {
		c.s.journalFailed(err)
		return false
	}
	c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := c.nc.Write(c.out.Bytes())
	c.out.Reset()
	return err == nil
}

// dispatch runs args through miniredis and returns the reply it wrote.
func (c *client) dispatch(args []string) []byte {
	start := c.out.Len()
	c.s.srv.Dispatch(c.peer, args)
	c.peer.Flush()
	return c.out.Bytes()[start:]
}

func (c *client) writeError(msg string) {
	c.out.WriteString("-" + msg + "\r\n")
}

// handle runs one command.
func (c *client) handle(args []string) {
	name := strings.ToUpper(args[0])
	if msg := refusal(name, args[1:]); msg != "" {
		c.writeError(msg)
		c.abort = c.abort || c.multi
		return
	}
	switch {
	case c.multi && name != "EXEC" && name != "DISCARD" && name != "MULTI" && name != "WATCH":
		if strings.HasPrefix(name, "EVAL") {
			c.writeError("ERR embedded: scripts inside MULTI are not supported by newsbot's embedded store")
			c.abort = true
			return
		}
		if string(c.dispatch(args)) == "+QUEUED\r\n" && c.s.journaled(name) {
			c.queued = append(c.queued, args)
		}
	case name == "MULTI":
		if reply := c.dispatch(args); len(reply) > 0 && reply[0] == '+' {
			c.multi, c.abort, c.queued = true, false, nil
		}
	case name == "DISCARD":
		c.dispatch(args)
		c.multi, c.abort, c.queued = false, false, nil
	case name == "EXEC" && c.multi:
		c.exec(args)
	case name == "EVAL" || name == "EVALSHA":
		c.s.apply(func() [][]string {
			cp := &capture{}
			c.s.capturing.Store(cp)
			c.dispatch(args)
			c.s.capturing.Store(nil)
			return cp.cmds
		})
	case c.s.journaled(name):
		c.s.apply(func() [][]string {
			c.dispatch(args)
			return [][]string{args}
		})
	default:
		c.dispatch(args)
	}
	c.wait = max(c.wait, c.s.applied.Load())
}

// exec runs EXEC and journals the transaction's writes when it ran.
func (c *client) exec(args []string) {
	queued, abort := c.queued, c.abort
	c.multi, c.abort, c.queued = false, false, nil
	if abort {
		start := c.out.Len()
		c.dispatch([]string{"DISCARD"})
		c.out.Truncate(start)
		c.writeError("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if len(queued) == 0 {
		c.dispatch(args)
		return
	}
	c.s.apply(func() [][]string {
		reply := c.dispatch(args)
		// An array ran; "*-1" or "_" (RESP3) means a WATCHed key changed,
		// an error that nothing ran.
		if len(reply) == 0 || reply[0] != '*' || bytes.HasPrefix(reply, []byte("*-1")) {
			return nil
		}
		return queued
	})
}

// apply runs fn under the write lock and journals the commands it returns
// as one record.
func (s *Server) apply(fn func() [][]string) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cmds := fn()
	if len(cmds) == 0 {
		return
	}
	s.seq++
	s.j.add(&record{seq: s.seq, wall: time.Now(), clock: s.clock, cmds: cmds})
	s.applied.Store(s.seq)
}

// journalFailed logs the first journal failure.
func (s *Server) journalFailed(err error) {
	s.failOnce.Do(func() {
		s.log.Error("The embedded store cannot write its journal; it answers no client until a restart.",
			slog.String("data_dir", s.opts.DataDir), slog.Any("err", err))
	})
}

var errBadRequest = errors.New("bad request")

// readCommand reads one request: a RESP array of bulk strings, or an
// inline command.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" || line[0] != '*' {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n > 1<<20 {
		return nil, errBadRequest
	}
	args := make([]string, 0, max(n, 0))
	for range n {
		h, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if len(h) < 4 || h[0] != '$' {
			return nil, errBadRequest
		}
		l, err := strconv.Atoi(strings.TrimRight(h[1:], "\r\n"))
		if err != nil || l < 0 || l > 512<<20 {
			return nil, errBadRequest
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		args = append(args, string(b[:l]))
	}
	return args, nil
}
